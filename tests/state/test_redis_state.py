"""Shared routing state on a real Redis: two 'instances' agree, and Redis going away loses nothing."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
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
from tests.factories import decision

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


def test_redis_cluster_works_too(redis_cluster: RedisProcess) -> None:
    # Every key carries the prefix as a hash tag, so each batch script and each read touches one slot.
    def node() -> RedisState:
        nodes = [{"host": "127.0.0.1", "port": redis_cluster.port}]
        return RedisState(StateConfig(backend="redis", redis={"startup_nodes": nodes}, flush_s=30))

    writer, reader = node(), node()
    assert type(writer.client).__name__ == "RedisCluster"
    for i in range(4):
        EscalationMonitor("c", ["small", "large"], writer).record(decision(escalations=i % 2))
    writer.put("conv-c", 1)
    assert writer.flush() and not writer.degraded
    snap = EscalationMonitor("c", ["small", "large"], reader).snapshot()
    assert snap.requests == 4 and snap.escalation_rate == pytest.approx(0.5) and reader.get("conv-c") == 1


def test_writes_leave_the_request_path_until_flushed(redis_server: RedisProcess) -> None:
    writer, reader = state(redis_server, flush_s=30), state(redis_server)
    EscalationMonitor("w", ["small", "large"], writer).record(decision(escalations=1))
    writer.put("conv-w", 1)
    seen = EscalationMonitor("w", ["small", "large"], reader)
    assert seen.snapshot().requests == 0 and reader.get("conv-w") is None  # queued, not yet in Redis
    assert writer.get("conv-w") == 1  # this process already knows its own tier
    writer.flush()
    assert seen.snapshot().requests == 1 and reader.get("conv-w") == 1


def test_flush_s_zero_writes_on_the_request_path(redis_server: RedisProcess) -> None:
    writer, reader = state(redis_server, flush_s=0), state(redis_server)
    EscalationMonitor("z", ["small", "large"], writer).record(decision(escalations=0))
    writer.put("conv-z", 1)
    assert EscalationMonitor("z", ["small", "large"], reader).snapshot().requests == 1 and reader.get("conv-z") == 1


class LostReplies:
    """A real Redis client whose next ``lost`` script replies vanish after Redis ran them (a stall, a cut link)."""

    def __init__(self, client: Any, lost: int) -> None:
        self.client, self.lost = client, lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def eval(self, *args: Any) -> Any:
        result = self.client.eval(*args)
        if self.lost:
            self.lost -= 1
            raise redis.exceptions.TimeoutError("reply lost")
        return result


def test_a_batch_whose_reply_was_lost_is_counted_once(redis_server: RedisProcess) -> None:
    # Redis ran the batch but the reply never came back; the re-send carries the same batch number, so the
    # script skips it instead of counting twice. New counts made meanwhile go in the next batch.
    client = RedisState(StateConfig(backend="redis", redis={"url": redis_server.url})).client
    config = StateConfig(backend="redis", redis={"url": redis_server.url}, retry_after_s=1.0, flush_s=30)
    writer = RedisState(config, client=LostReplies(client, lost=2))
    monitor = EscalationMonitor("once", ["small", "large"], writer)
    reader = EscalationMonitor("once", ["small", "large"], state(redis_server))
    for _ in range(10):
        monitor.record(decision(escalations=0))
    assert not writer.flush()
    assert writer.degraded and reader.snapshot().requests == 10  # applied, though the writer could not know
    monitor.record(decision(escalations=1))
    assert eventually(lambda: not writer.degraded)
    assert monitor.snapshot().requests == 11  # Redis has the unconfirmed batch: not added a second time
    assert not writer.flush()  # the re-send loses its reply too
    assert eventually(lambda: not writer.degraded)
    assert writer.flush()  # confirmed, then what came in meanwhile
    assert reader.snapshot().requests == 11 and monitor.snapshot().requests == 11


class Hooked:
    """A real Redis client that runs ``before_read`` just before each monitor read reaches Redis, and counts scripts."""

    def __init__(self, client: Any) -> None:
        self.client, self.before_read, self.scripts = client, None, 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def eval(self, script: str, *args: Any) -> Any:
        with self._lock:
            self.scripts += 1
        if "HGETALL" in script and self.before_read is not None:
            hook, self.before_read = self.before_read, None
            hook()
        return self.client.eval(script, *args)


def hooked_state(server: RedisProcess, **kwargs: Any) -> tuple[RedisState, Hooked]:
    client = Hooked(RedisState(StateConfig(backend="redis", redis={"url": server.url})).client)
    return RedisState(StateConfig(backend="redis", redis={"url": server.url}, **kwargs), client=client), client


def test_counts_written_while_a_read_is_under_way_are_counted_once(redis_server: RedisProcess) -> None:
    # The monitor copies the queued counts, then reads Redis; the writer sends those counts in between.
    writer, client = hooked_state(redis_server, flush_s=30)
    monitor = EscalationMonitor("race", ["small", "large"], writer)
    for _ in range(5):
        monitor.record(decision(escalations=0))
    client.before_read = writer.flush
    assert monitor.snapshot().requests == 5
    assert EscalationMonitor("race", ["small", "large"], state(redis_server)).snapshot().requests == 5


def test_inline_writes_from_many_threads_send_each_count_once(redis_server: RedisProcess) -> None:
    # flush_s: 0 under concurrency: one sender at a time, the others leave their counts to it.
    writer, client = hooked_state(redis_server, flush_s=0)
    monitor = EscalationMonitor("threads", ["small", "large"], writer)

    def work() -> None:
        for _ in range(100):
            monitor.record(decision(escalations=0))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()  # whatever the last sender left queued
    assert EscalationMonitor("threads", ["small", "large"], state(redis_server)).snapshot().requests == 800
    assert client.scripts <= 800 + 2  # one script per count at most (was 13,737 for 2,400 before one-sender)


def test_a_broken_key_is_skipped_not_half_applied_and_resent(redis_server: RedisProcess) -> None:
    writer = state(redis_server, flush_s=30)
    writer.add("bad", 1, {"n": 1})
    writer.add("good", 1, {"n": 2})
    writer.client.set(writer._bucket_key("bad", 1), "not a hash")  # someone else's value under our key
    assert writer.flush() and writer.flush()
    assert state(redis_server).total("good", range(1, 2)) == {"n": 2}


def test_close_writes_everything_queued_even_right_after_an_error(redis_server: RedisProcess) -> None:
    client = RedisState(StateConfig(backend="redis", redis={"url": redis_server.url})).client
    config = StateConfig(backend="redis", redis={"url": redis_server.url}, retry_after_s=60, flush_s=30)
    writer = RedisState(config, client=LostReplies(client, lost=1))
    monitor = EscalationMonitor("close", ["small", "large"], writer)
    for _ in range(5):
        monitor.record(decision(escalations=0))
    assert not writer.flush() and writer.degraded  # skipped for a minute after this
    for _ in range(3):
        monitor.record(decision(escalations=0))
    writer.put("conv-close", 2)
    writer.close()  # shutdown does not wait out retry_after_s
    reader = state(redis_server)
    assert EscalationMonitor("close", ["small", "large"], reader).snapshot().requests == 8
    assert reader.get("conv-close") == 2


def test_a_forked_child_writes_only_its_own_counts(redis_server: RedisProcess) -> None:
    # A proxy may fork workers after loading its config: the child must not write the parent's queue again.
    parent = state(redis_server, flush_s=30)
    monitor = EscalationMonitor("fork", ["small", "large"], parent)
    for _ in range(5):
        monitor.record(decision(escalations=0))
    pid = os.fork()
    if pid == 0:  # the child: three requests of its own, then exit the way a worker does
        code = 1
        try:
            for _ in range(3):
                monitor.record(decision(escalations=1))
            parent.close()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    parent.close()
    snap = EscalationMonitor("fork", ["small", "large"], state(redis_server)).snapshot()
    assert snap.requests == 8 and snap.escalation_rate == pytest.approx(3 / 8)


def _record_escalations(monitor: EscalationMonitor, n: int) -> None:
    for _ in range(n):
        monitor.record(decision(escalations=1))


def test_a_multiprocessing_child_flushes_its_counts_when_it_exits(redis_server: RedisProcess) -> None:
    # A forked multiprocessing child ends in os._exit, which skips atexit: with a long flush_s nothing but the
    # exit flush writes its counts.
    writer = state(redis_server, flush_s=30)
    monitor = EscalationMonitor("mp", ["small", "large"], writer)
    child = multiprocessing.get_context("fork").Process(target=_record_escalations, args=(monitor, 4))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    snap = EscalationMonitor("mp", ["small", "large"], state(redis_server)).snapshot()
    assert snap.requests == 4 and snap.escalation_rate == pytest.approx(1.0)
    writer.close()


def test_redis_killed_and_restarted_degrades_then_catches_up(
    redis_server: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    shared = state(redis_server)
    monitor = EscalationMonitor("r", ["small", "large"], shared)
    for _ in range(5):
        monitor.record(decision(escalations=0))
    shared.flush()
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext"):
        for _ in range(7):
            monitor.record(decision(escalations=1))  # must not raise
        assert eventually(lambda: shared.degraded)  # the background writer met the outage
        assert monitor.snapshot().requests == 7  # local view while Redis is away
        shared.put("conv", 1)
        assert shared.get("conv") == 1
        assert sum("Redis unavailable" in r.getMessage() for r in caplog.records) == 1
        redis_server.start()  # same port, empty: counts made during the outage must reach it
        monitor.record(decision(escalations=0))
        assert eventually(lambda: not shared.degraded)
        # Another instance sees them once the background writer is through: the outage lost nothing.
        other = EscalationMonitor("r", ["small", "large"], state(redis_server))
        assert eventually(lambda: other.snapshot().requests == 8)
        assert other.snapshot().escalation_rate == pytest.approx(7 / 8)
        assert eventually(lambda: state(redis_server).get("conv") == 1)
    assert any("Redis is back" in r.getMessage() for r in caplog.records)


def sdk_config(server: RedisProcess, **state_settings: Any) -> dict[str, Any]:
    return {
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
        "state": {"backend": "redis", "redis": {"url": server.url}, **state_settings},
    }


def test_uninstall_writes_what_is_still_queued(redis_server: RedisProcess) -> None:
    lre.install(sdk_config(redis_server, flush_s=30))  # the writer would wait 30 s
    try:
        for _ in range(2):
            litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}])
    finally:
        lre.uninstall()
    assert EscalationMonitor("r", ["small", "large"], state(redis_server)).snapshot().requests == 2


def test_sdk_requests_never_fail_because_redis_is_down(redis_server: RedisProcess) -> None:
    provider = lre.install(sdk_config(redis_server, retry_after_s=0.2))
    try:
        ok = litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}])
        assert provider.shared_states[0].flush()
        redis_server.stop()
        during = [litellm.completion(model="tiered/r", messages=[{"role": "user", "content": "hi"}]) for _ in range(3)]
    finally:
        lre.uninstall()
    assert ok.choices[0].message.content == "s"
    assert all(r.choices[0].message.content == "s" for r in during)
    assert provider.routers["r"].monitor.snapshot().requests == 3  # the outage's counts, kept locally
