"""The documented drop-in snippets under configs/ stay valid: the checker passes them, the loader loads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_router_ext import load_config
from litellm_router_ext.check import check_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ENV = {"OPENAI_API_KEY": "k", "LITELLM_MASTER_KEY": "m", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379",
       "REDIS_PASSWORD": "p"}


def test_proxy_drop_in_checks_clean() -> None:
    report = check_config(CONFIGS / "proxy" / "config.yaml", env=ENV)
    assert report.ok, [p for p in report.problems]
    assert any(c.endswith("router.yaml") for c in report.checked)


def test_missing_env_vars_are_named() -> None:
    report = check_config(CONFIGS / "proxy" / "config.yaml", env={})
    assert not report.ok
    assert any("OPENAI_API_KEY" in p.message for p in report.problems)


@pytest.mark.parametrize("name", ["proxy/router.yaml", "proxy/router-redis.yaml", "eval/gsm8k-cascade.yaml"])
def test_router_configs_load(name: str) -> None:
    file = load_config(CONFIGS / name)
    assert len(file.routers[0].tiers) >= 2
