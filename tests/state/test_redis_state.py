"""Shared routing state on a real Redis: two 'instances' agree, and Redis going away loses nothing."""

from __future__ import annotations

import logging
from typing import Any

import litellm
import pytest

import litellm_router_ext as lre
from litellm_router_ext.adapters.redis_state import RedisState
from litellm_router_ext.config import StateConfig
from litellm_router_ext.state import EscalationMonitor
from litellm_router_ext.types import Decision

from .conftest import RedisProcess


def state(server: RedisProcess, **kwargs: Any) -> RedisState:
    return RedisState(StateConfig(backend="redis", redis={"url": server.url}, retry_after_s=0.2, **kwargs))


def decision(escalations: int) -> Decision:
    return Decision(
        router="r",
        tier="small",
        tier_index=0,
        model="m",
        cause="threshold",
        difficulty=0.1,
        scores={},
        decision_us=1.0,
        escalations=escalations,
    )


def test_two_instances_share_counters_and_conversation_memory(redis_server: RedisProcess) -> None:
    a, b = state(redis_server), state(redis_server)
    monitor_a = EscalationMonitor("r", ["small", "large"], a)
    monitor_b = EscalationMonitor("r", ["small", "large"], b)
    for i in range(30):
        (monitor_a if i % 2 else monitor_b).record(decision(escalations=1 if i < 6 else 0))
    for monitor in (monitor_a, monitor_b):
        snap = monitor.snapshot()
        assert snap.requests == 30 and snap.escalation_rate == pytest.approx(0.2)
    a.put("conversation", 2)
    b.put("conversation", 1)  # never lowers what another instance recorded
    assert b.get("conversation") == 2 and a.get("missing") is None


def test_redis_killed_and_restarted_degrades_then_catches_up(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    shared = state(redis_server)
    monitor = EscalationMonitor("r", ["small", "large"], shared)
    for _ in range(5):
        monitor.record(decision(0))
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext"):
        for _ in range(7):
            monitor.record(decision(1))  # must not raise
        assert shared.degraded
        assert monitor.snapshot().requests == 7  # local view while Redis is away
        shared.put("conv", 1)
        assert shared.get("conv") == 1
    assert sum("Redis unavailable" in r.getMessage() for r in caplog.records) == 1
    redis_server.start()  # same port, empty: counts made during the outage must reach it
    import time

    time.sleep(0.25)
    monitor.record(decision(0))
    assert not shared.degraded
    snap = monitor.snapshot()
    assert snap.requests == 8 and snap.escalation_rate == pytest.approx(7 / 8)


def test_sdk_requests_never_fail_because_redis_is_down(redis_server: RedisProcess) -> None:
    config = {
        "routers": [
            {
                "alias": "r",
                "thresholds": [0.5],
                "tiers": [
                    {"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": "s"}},
                    {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": "l"}},
                ],
            }
        ],
        "state": {"backend": "redis", "redis": {"url": redis_server.url}, "retry_after_s": 0.2},
    }
    provider = lre.install(config)
    try:
        ok = litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}])
        redis_server.stop()
        during = [litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}]) for _ in range(3)]
    finally:
        lre.uninstall()
    assert ok.choices[0].message.content == "s"
    assert all(r.choices[0].message.content == "s" for r in during)
    assert provider.routers["r"].monitor.snapshot().requests == 3  # the outage's counts, kept locally
