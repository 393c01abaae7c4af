"""LiteLLM's own complexity router, its tier picked by our learned scorer: a real `litellm --config` proxy
on the shipped configs/proxy/complexity-router-learned.yaml, its two model groups on stub upstreams."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import REPO_ROOT, Process, Proxy, Stub, start_proxy_config, start_stub

pytestmark = pytest.mark.integration

CONFIG = REPO_ROOT / "configs" / "proxy" / "complexity-router-learned.yaml"
EASY = "Say hello to my friend Bob."
HARD = ("Prove that there are infinitely many primes p such that p+2 is also prime, or explain step by step why "
        "this is an open problem, deriving the best known bounds.")


@pytest.fixture(scope="module")
def upstream(module_tmp: Path, processes: list[Process]) -> Stub:
    stub = start_stub(module_tmp, "upstream", "--reply-for", "gpt-4o-mini=small answer",
                      "--reply-for", "gpt-4o=large answer")
    processes.append(stub.process)
    return stub


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process], upstream: Stub) -> Proxy:
    config = module_tmp / CONFIG.name
    shutil.copy(CONFIG, config)
    p = start_proxy_config(module_tmp, config, {"OPENAI_API_BASE": upstream.base_url, "OPENAI_API_KEY": "sk-fake"})
    processes.append(p.process)
    return p


def ask(proxy: Proxy, text: str) -> httpx.Response:
    body = {"model": "smart", "messages": [{"role": "user", "content": text}]}
    return httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60)


def test_shipped_config_names_our_plugin() -> None:
    params = yaml.safe_load(CONFIG.read_text())["model_list"][0]["litellm_params"]
    assert params["model"] == "auto_router/complexity_router"
    assert params["complexity_router_config"]["classifier_type"] == "custom"
    assert params["complexity_router_config"]["classifier_plugin"].startswith("litellm_router_ext.")


def test_learned_plugin_picks_the_tier_inside_litellms_complexity_router(proxy: Proxy) -> None:
    easy, hard = ask(proxy, EASY), ask(proxy, HARD)
    assert easy.status_code == 200 and hard.status_code == 200, (easy.text, hard.text)
    assert easy.json()["choices"][0]["message"]["content"] == "small answer"
    assert hard.json()["choices"][0]["message"]["content"] == "large answer"
    # LiteLLM reports which tier its router chose and why: the custom classifier, not its fallback.
    assert easy.headers.get("x-litellm-complexity-router-tier") in {"SIMPLE", "MEDIUM"}
    assert hard.headers.get("x-litellm-complexity-router-tier") in {"COMPLEX", "REASONING"}
    assert hard.headers.get("x-litellm-complexity-router-cause") == "classifier_plugin"
