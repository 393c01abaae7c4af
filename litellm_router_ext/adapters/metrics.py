"""Prometheus metrics for the escalation monitor, served by LiteLLM's own ``/metrics`` endpoint.

When the proxy runs with ``litellm_settings.callbacks: ["prometheus"]`` LiteLLM mounts ``/metrics`` on
prometheus_client's default registry; the series below are registered there, so they appear beside
LiteLLM's. Without prometheus_client installed (``pip install 'litellm-router-ext[metrics]'``) this is a
no-op. Labels are router alias and tier name only: no prompt text, bounded cardinality.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..state import MonitorSnapshot
from ..types import Decision

try:
    import prometheus_client
except ImportError:  # optional: metrics are off
    prometheus_client = None  # type: ignore[assignment]


class RouterMetrics:
    """Per-router counters and rolling gauges; every method is a no-op without prometheus_client."""

    _instances: ClassVar[dict[str, Any]] = {}

    def __init__(self) -> None:
        if prometheus_client is None:
            self.enabled: bool = False
            return
        self.enabled = True
        Counter, Gauge = prometheus_client.Counter, prometheus_client.Gauge
        made = RouterMetrics._instances  # one set per process: the default registry rejects duplicates
        if not made:
            made["requests"] = Counter(
                "litellm_router_ext_requests", "Requests answered, by final tier", ["router", "tier"]
            )
            made["escalations"] = Counter(
                "litellm_router_ext_escalations", "Re-asks one tier up after a check rejected the answer", ["router"]
            )
            made["cost"] = Counter("litellm_router_ext_cost_usd", "Spend over every attempt", ["router"])
            made["rate"] = Gauge("litellm_router_ext_escalation_rate", "Rolling escalation rate", ["router"])
            made["bottom"] = Gauge("litellm_router_ext_bottom_tier_share", "Rolling bottom-tier share", ["router"])
            made["in_band"] = Gauge(
                "litellm_router_ext_escalation_in_band",
                "1 when the rolling escalation rate is inside its alert band, 0 outside",
                ["router"],
            )
        self._m = made

    def observe(self, decision: Decision) -> None:
        if not self.enabled:
            return
        self._m["requests"].labels(decision.router, decision.tier).inc()
        if decision.escalations:
            self._m["escalations"].labels(decision.router).inc(decision.escalations)
        self._m["cost"].labels(decision.router).inc(decision.cost_usd)

    def snapshot(self, snap: MonitorSnapshot) -> None:
        if not self.enabled:
            return
        if snap.escalation_rate is not None:
            self._m["rate"].labels(snap.router).set(snap.escalation_rate)
        if snap.bottom_share is not None:
            self._m["bottom"].labels(snap.router).set(snap.bottom_share)
        if snap.in_band is not None:
            self._m["in_band"].labels(snap.router).set(1.0 if snap.in_band else 0.0)
