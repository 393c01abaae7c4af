"""Routing state that outlives one request, behind two small Protocols.

- ``ConversationMemory``: the highest tier a conversation reached, keyed by a digest of the conversation
  so far, so a follow-up ("ok, do it") does not drop to the bottom tier.
- ``CounterStore``: integer counters in time buckets (requests, escalations, tier shares, spend), summed
  over a rolling window. ``EscalationMonitor`` builds the escalation rate and bottom-tier share on it.

The in-process implementations here are the default; ``adapters/redis_state.py`` implements the same
Protocols on Redis so several proxy instances share one view. Nothing here does I/O.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from .types import Decision

log = logging.getLogger("litellm_router_ext")


class ConversationMemory(Protocol):
    def get(self, key: str) -> int | None: ...

    def put(self, key: str, tier_index: int) -> None: ...


class CounterStore(Protocol):
    def add(self, key: str, bucket: int, counts: Mapping[str, int]) -> None:
        """Add ``counts`` to the fields of ``key`` in time bucket ``bucket``."""

    def total(self, key: str, buckets: range) -> dict[str, int]:
        """Sum of every field of ``key`` over ``buckets``."""


class InMemoryConversationMemory:
    """Thread-safe LRU of conversation digest -> tier index (bounded, so it never grows without limit)."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self._entries: OrderedDict[str, int] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> int | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, tier_index: int) -> None:
        with self._lock:
            self._entries[key] = max(tier_index, self._entries.get(key, -1))
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class InMemoryCounterStore:
    """Counters in a dict of buckets; buckets older than ``keep`` are dropped as new ones arrive."""

    def __init__(self, keep: int = 240) -> None:
        self._buckets: dict[tuple[str, int], defaultdict[str, int]] = {}
        self._keep = keep
        self._lock = threading.Lock()

    def add(self, key: str, bucket: int, counts: Mapping[str, int]) -> None:
        with self._lock:
            fields = self._buckets.setdefault((key, bucket), defaultdict(int))
            for name, value in counts.items():
                fields[name] += value
            for old in [k for k in self._buckets if k[0] == key and k[1] <= bucket - self._keep]:
                del self._buckets[old]

    def total(self, key: str, buckets: range) -> dict[str, int]:
        out: defaultdict[str, int] = defaultdict(int)
        with self._lock:
            for bucket in buckets:
                for name, value in self._buckets.get((key, bucket), {}).items():
                    out[name] += value
        return dict(out)


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    """The rolling view of one router: how much escalates, and how much stays at the bottom tier."""

    router: str
    requests: int
    escalation_rate: float | None
    bottom_share: float | None
    tier_share: dict[str, float]
    spend_usd: float
    in_band: bool | None
    """False when the escalation rate left the configured band (None: no band or too few requests)."""

    def to_dict(self) -> dict[str, object]:
        return {
            "router": self.router,
            "requests": self.requests,
            "escalation_rate": self.escalation_rate,
            "bottom_share": self.bottom_share,
            "tier_share": self.tier_share,
            "spend_usd": self.spend_usd,
            "in_band": self.in_band,
        }


class EscalationMonitor:
    """Counts every decision of one router and warns when its escalation rate leaves the expected band.

    Too low a rate means the router accepts nearly every cheap answer (too greedy); too high means the
    bottom tier is wasted spend. The band usually comes from the designer's calibration report.
    """

    def __init__(
        self,
        router: str,
        tiers: list[str],
        store: CounterStore,
        *,
        band: tuple[float, float] | None = None,
        bottom_band: tuple[float, float] | None = None,
        window_s: int = 900,
        bucket_s: int = 60,
        min_requests: int = 50,
        warn_every_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.router, self.tiers, self.store, self.band, self.bottom_band = router, tiers, store, band, bottom_band
        self.window_s, self.bucket_s, self.min_requests = window_s, bucket_s, min_requests
        self.warn_every_s, self.clock = warn_every_s, clock
        self._key = f"monitor:{router}"
        self._last_warning = -float("inf")

    def record(self, decision: Decision) -> None:
        counts = {
            "requests": 1,
            "escalated": 1 if decision.escalations else 0,
            "bottom": 1 if decision.tier_index == 0 else 0,
            f"tier:{decision.tier}": 1,
            "spend_micro_usd": round(decision.cost_usd * 1e6),
        }
        self.store.add(self._key, int(self.clock() // self.bucket_s), counts)

    def snapshot(self) -> MonitorSnapshot:
        now = int(self.clock() // self.bucket_s)
        span = max(1, self.window_s // self.bucket_s)
        totals = self.store.total(self._key, range(now - span + 1, now + 1))
        n = totals.get("requests", 0)
        rate = totals.get("escalated", 0) / n if n else None
        bottom = totals.get("bottom", 0) / n if n else None
        in_band = None
        if n >= self.min_requests and (self.band or self.bottom_band):
            in_band = _inside(self.band, rate) and _inside(self.bottom_band, bottom)
        return MonitorSnapshot(
            router=self.router,
            requests=n,
            escalation_rate=rate,
            bottom_share=bottom,
            tier_share={t: totals.get(f"tier:{t}", 0) / n for t in self.tiers} if n else {},
            spend_usd=totals.get("spend_micro_usd", 0) / 1e6,
            in_band=in_band,
        )

    def check(self) -> MonitorSnapshot:
        """Snapshot, logging a warning (at most every ``warn_every_s``) when a rate is out of its band."""
        snap = self.snapshot()
        now = self.clock()
        if snap.in_band is False and now - self._last_warning >= self.warn_every_s:
            self._last_warning = now
            log.warning("router %s: %s over %d requests", self.router, "; ".join(self._problems(snap)), snap.requests)
        return snap

    def _problems(self, snap: MonitorSnapshot) -> list[str]:
        problems = []
        rate, bottom = snap.escalation_rate, snap.bottom_share
        if not _inside(self.band, rate) and self.band and rate is not None:
            hint = (
                "router too greedy: cheap answers almost never escalate"
                if rate < self.band[0]
                else "bottom tier rarely good enough: check thresholds or validators"
            )
            problems.append(
                f"escalation rate {rate:.3f} outside band [{self.band[0]:.3f}, {self.band[1]:.3f}] ({hint})"
            )
        if not _inside(self.bottom_band, bottom) and self.bottom_band and bottom is not None:
            problems.append(
                f"bottom-tier share {bottom:.3f} outside band [{self.bottom_band[0]:.3f}, {self.bottom_band[1]:.3f}]"
                " (traffic or difficulty drifted from calibration)"
            )
        return problems


def _inside(band: tuple[float, float] | None, value: float | None) -> bool:
    return band is None or value is None or band[0] <= value <= band[1]
