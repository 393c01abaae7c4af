"""Faults through a real `litellm --config` proxy: failing tiers, every tier down, a dead judge, bad validators.

Upstreams are local stubs (see ``ladders.py``); each router plays one fault. What each fault does is the
table in docs/operations.md.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.conftest import Proxy

from . import ladders
from .fault_validators import HANG_S
from .harness import Stubs, chat, error_text, logged_decision, user

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("alias", "error"),
    [
        ("t500", "InternalServerError(500)"),
        ("t429", "RateLimitError(429)"),
        ("tslow", "Timeout(408)"),
        ("tdead", "InternalServerError(500)"),  # connection refused: LiteLLM reports it as a 500
    ],
)
def test_failing_bottom_tier_moves_the_request_up(fault_proxy: Proxy, alias: str, error: str) -> None:
    started = time.monotonic()
    response = chat(fault_proxy, user("hello there"), alias)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, error_text(response)
    assert response.json()["choices"][0]["message"]["content"] == "large answer"
    assert response.headers["x-router-tier"] == "large" and response.headers["x-router-escalations"] == "0"
    decision = logged_decision(fault_proxy, response)
    assert [(a["tier"], a["error"]) for a in decision["attempts"]] == [("small", error), ("large", None)]
    # A slow tier costs its deployment timeout, not the upstream's delay.
    assert elapsed < ladders.DEPLOYMENT_TIMEOUT_S + 3.0


@pytest.mark.parametrize(
    ("alias", "status", "error_class", "stub"),
    [
        ("all500", 500, "InternalServerError", "e500"),
        ("all429", 429, "RateLimitError", "e429"),
        ("alldead", 500, "InternalServerError", None),
        ("allslow", 408, "Timeout", "slow"),  # LiteLLM's status for a timeout (it has no 504)
    ],
)
def test_every_tier_down_returns_the_last_providers_status(
    fault_proxy: Proxy, fault_stubs: Stubs, alias: str, status: int, error_class: str, stub: str | None
) -> None:
    calls_before = len(fault_stubs.script(stub).requests) if stub else 0
    statuses = []
    for _ in range(3):  # repeated: LiteLLM's cooldowns must not turn the status into something else
        started = time.monotonic()
        response = chat(fault_proxy, user("hello there"), alias)
        assert time.monotonic() - started < 2 * ladders.DEPLOYMENT_TIMEOUT_S + 3.0
        statuses.append(response.status_code)
        message = error_text(response)
        assert f"router '{alias}': every tier failed (small, large)" in message, message
        assert error_class in message
        assert not any(h.startswith("x-router-") for h in response.headers)
    assert statuses == [status] * 3
    if stub is not None:  # each tier tried exactly once per request (num_retries: 0), nothing more
        assert len(fault_stubs.script(stub).requests) - calls_before == 2 * 3


def test_judge_model_down_counts_as_a_failed_check(fault_proxy: Proxy) -> None:
    response = chat(fault_proxy, user("hello there"), "judged")
    assert response.status_code == 200, error_text(response)
    assert response.headers["x-router-tier"] == "large" and response.headers["x-router-escalations"] == "1"
    first = logged_decision(fault_proxy, response)["attempts"][0]
    assert first["tier"] == "small" and first["error"] is None
    assert first["verdict"]["accepted"] is False and first["verdict"]["validator"] == "judge"


def test_validator_that_raises_escalates(fault_proxy: Proxy) -> None:
    response = chat(fault_proxy, user("hello there"), "vraise")
    assert response.status_code == 200, error_text(response)
    assert response.headers["x-router-tier"] == "large" and response.headers["x-router-escalations"] == "1"
    verdict = logged_decision(fault_proxy, response)["attempts"][0]["verdict"]
    assert verdict["accepted"] is False and "RuntimeError" in verdict["reason"]
    assert "raised RuntimeError; counted as a failed check" in fault_proxy.process.log.read_text(errors="replace")


def test_validator_that_hangs_is_cut_at_its_time_limit(fault_proxy: Proxy) -> None:
    started = time.monotonic()
    response = chat(fault_proxy, user("hello there"), "vhang")
    elapsed = time.monotonic() - started
    assert response.status_code == 200, error_text(response)
    assert response.headers["x-router-tier"] == "large" and response.headers["x-router-escalations"] == "1"
    verdict = logged_decision(fault_proxy, response)["attempts"][0]["verdict"]
    assert verdict["accepted"] is False and "timed out" in verdict["reason"]
    # The request waited for the limit (twice at most: a hanging check on the top tier returns unverified).
    assert elapsed < 2 * ladders.VALIDATOR_TIMEOUT_S + 2.0 < HANG_S


def test_proxy_is_healthy_after_the_faults(fault_proxy: Proxy) -> None:
    assert httpx.get(f"{fault_proxy.url}/health/liveliness", timeout=10).status_code == 200
    response = chat(fault_proxy, user("hello there"), "plain")
    assert response.status_code == 200 and response.headers["x-router-tier"] == "small"
    assert fault_proxy.process.popen is not None and fault_proxy.process.popen.poll() is None
