from __future__ import annotations

import logging

import pytest

from litellm_router_ext.state import EscalationMonitor, InMemoryCounterStore
from tests.factories import decision


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_counter_store_sums_a_window_and_forgets_old_buckets() -> None:
    store = InMemoryCounterStore(keep=3)
    for bucket in range(5):
        store.add("k", bucket, {"requests": 1, "escalated": bucket % 2})
    assert store.total("k", range(2, 5)) == {"requests": 3, "escalated": 1}
    assert store.total("k", range(0, 2)) == {}


def test_monitor_reports_rates_and_shares() -> None:
    clock = Clock()
    monitor = EscalationMonitor("r", ["small", "large"], InMemoryCounterStore(), clock=clock)
    for i in range(10):
        monitor.record(decision("small" if i < 7 else "large", 0 if i < 7 else 1, escalations=1 if i >= 8 else 0))
    snap = monitor.snapshot()
    assert snap.requests == 10
    assert snap.escalation_rate == pytest.approx(0.2)
    assert snap.bottom_share == pytest.approx(0.7)
    assert snap.tier_share == {"small": pytest.approx(0.7), "large": pytest.approx(0.3)}
    assert snap.in_band is None


def test_monitor_window_rolls() -> None:
    clock = Clock()
    monitor = EscalationMonitor("r", ["small", "large"], InMemoryCounterStore(), window_s=120, bucket_s=60, clock=clock)
    monitor.record(decision("small", 0))
    clock.now += 600
    monitor.record(decision("large", 1, escalations=1))
    snap = monitor.snapshot()
    assert snap.requests == 1 and snap.escalation_rate == 1.0


def test_monitor_warns_when_the_router_is_too_greedy(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    monitor = EscalationMonitor(
        "r", ["small", "large"], InMemoryCounterStore(), band=(0.1, 0.5), min_requests=20, warn_every_s=60, clock=clock
    )
    for _ in range(19):
        monitor.record(decision("small", 0))
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext"):
        assert monitor.check().in_band is None  # too few requests to judge
        monitor.record(decision("small", 0))
        assert monitor.check().in_band is False
        monitor.check()  # rate-limited: no second warning within warn_every_s
    warnings = [r for r in caplog.records if "outside band" in r.getMessage()]
    assert len(warnings) == 1 and "too greedy" in warnings[0].getMessage()


def test_monitor_warns_when_the_bottom_tier_share_drifts(caplog: pytest.LogCaptureFixture) -> None:
    monitor = EscalationMonitor(
        "r", ["small", "large"], InMemoryCounterStore(), bottom_band=(0.6, 0.9), min_requests=10, clock=Clock()
    )
    for _ in range(10):
        monitor.record(decision("large", 1))
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext"):
        assert monitor.check().in_band is False
    assert any("bottom-tier share 0.000 outside band" in r.getMessage() for r in caplog.records)
