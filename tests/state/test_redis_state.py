"""Shared routing state on a real Redis: two 'instances' agree, and Redis going away loses nothing."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import litellm
import pytest
import redis

import litellm_router_ext as lre
from litellm_router_ext.adapters.redis_state import RedisState
from litellm_router_ext.config import StateConfig
from litellm_router_ext.state import EscalationMonitor
from litellm_router_ext.types import Decision

from .conftest import RedisProcess


def state(server: RedisProcess, **kwargs: Any) -> RedisState:
    settings = {"retry_after_s": 0.2, "flush_s": 0.05, **kwargs}
    return RedisState(StateConfig(backend="redis", redis={"url": server.url}, **settings))


def eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Poll until ``condition`` holds (the background writer is asynchronous); False after the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


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
    for monitor in (monitor_a, monitor_b):  # each writer flushes within flush_s
        assert eventually(lambda m=monitor: m.snapshot().requests == 30)
        assert monitor.snapshot().escalation_rate == pytest.approx(0.2)
    a.put("conversation", 2)
    b.put("conversation", 1)  # never lowers what another instance recorded
    assert eventually(lambda: b.get("conversation") == 2) and a.get("missing") is None
    assert eventually(lambda: state(redis_server).get("conversation") == 2)


def test_writes_leave_the_request_path_until_flushed(redis_server: RedisProcess) -> None:
    writer, reader = state(redis_server, flush_s=30), state(redis_server)
    EscalationMonitor("w", ["small", "large"], writer).record(decision(1))
    writer.put("conv-w", 1)
    seen = EscalationMonitor("w", ["small", "large"], reader)
    assert seen.snapshot().requests == 0 and reader.get("conv-w") is None  # queued, not yet in Redis
    assert writer.get("conv-w") == 1  # this process already knows its own tier
    writer.flush()
    assert seen.snapshot().requests == 1 and reader.get("conv-w") == 1


def test_flush_s_zero_writes_on_the_request_path(redis_server: RedisProcess) -> None:
    writer, reader = state(redis_server, flush_s=0), state(redis_server)
    EscalationMonitor("z", ["small", "large"], writer).record(decision(0))
    writer.put("conv-z", 1)
    assert EscalationMonitor("z", ["small", "large"], reader).snapshot().requests == 1 and reader.get("conv-z") == 1


class LostReplies:
    """A real Redis client whose next ``lost`` pipeline replies vanish after Redis ran them (a stall or a cut link)."""

    def __init__(self, client: Any, lost: int) -> None:
        self.client, self.lost = client, lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def pipeline(self, **kwargs: Any) -> Any:
        pipe, owner = self.client.pipeline(**kwargs), self

        class Pipe:
            def __getattr__(self, name: str) -> Any:
                return getattr(pipe, name)

            def execute(self) -> Any:
                result = pipe.execute()
                if owner.lost:
                    owner.lost -= 1
                    raise redis.exceptions.TimeoutError("reply lost")
                return result

        return Pipe()


def test_a_batch_whose_reply_was_lost_is_counted_once(redis_server: RedisProcess) -> None:
    # Redis ran the batch but the reply never came back; the re-send carries the same batch id, so the
    # guard makes it a no-op instead of a second count. New counts made meanwhile go in the next batch.
    client = RedisState(StateConfig(backend="redis", redis={"url": redis_server.url})).client
    config = StateConfig(backend="redis", redis={"url": redis_server.url}, retry_after_s=0.05, flush_s=30)
    writer = RedisState(config, client=LostReplies(client, lost=2))
    monitor = EscalationMonitor("once", ["small", "large"], writer)
    reader = EscalationMonitor("once", ["small", "large"], state(redis_server))
    for _ in range(10):
        monitor.record(decision(0))
    writer.flush()
    assert writer.degraded and reader.snapshot().requests == 10  # applied, though the writer could not know
    monitor.record(decision(1))
    for _ in range(2):  # the first re-send loses its reply too; the second is confirmed
        assert eventually(lambda: not writer.degraded)
        writer.flush()
    assert reader.snapshot().requests == 10  # the unconfirmed batch goes first, alone, and counts once
    writer.flush()  # then what came in meanwhile
    assert reader.snapshot().requests == 11 and monitor.snapshot().requests == 11


def test_redis_killed_and_restarted_degrades_then_catches_up(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    shared = state(redis_server)
    monitor = EscalationMonitor("r", ["small", "large"], shared)
    for _ in range(5):
        monitor.record(decision(0))
    shared.flush()
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext"):
        for _ in range(7):
            monitor.record(decision(1))  # must not raise
        assert eventually(lambda: shared.degraded)  # the background writer met the outage
        assert monitor.snapshot().requests == 7  # local view while Redis is away
        shared.put("conv", 1)
        assert shared.get("conv") == 1
        assert sum("Redis unavailable" in r.getMessage() for r in caplog.records) == 1
        redis_server.start()  # same port, empty: counts made during the outage must reach it
        time.sleep(0.25)
        monitor.record(decision(0))
        assert not shared.degraded
        # Another instance sees them once the background writer is through: the outage lost nothing.
        other = EscalationMonitor("r", ["small", "large"], state(redis_server))
        assert eventually(lambda: other.snapshot().requests == 8)
        assert other.snapshot().escalation_rate == pytest.approx(7 / 8)
        assert eventually(lambda: state(redis_server).get("conv") == 1)
    assert any("Redis is back" in r.getMessage() for r in caplog.records)


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
        provider.routers["r"].monitor.store.flush()  # type: ignore[attr-defined]  # the RedisState
        redis_server.stop()
        during = [litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}]) for _ in range(3)]
    finally:
        lre.uninstall()
    assert ok.choices[0].message.content == "s"
    assert all(r.choices[0].message.content == "s" for r in during)
    assert provider.routers["r"].monitor.snapshot().requests == 3  # the outage's counts, kept locally
