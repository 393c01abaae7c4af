"""Quality gate for CI: does a router keep its target share of the top tier's quality, overall and on slices?

A check passes when quality / quality(always-top) >= target on its items — the point estimate, or with
``lower_bound`` the one-sided lower bootstrap bound (a stricter gate for small sets). Slices are category
names; a slice with no items is a failed check, so a renamed category cannot pass the gate silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import metrics as m
from .outcomes import OutcomeTable

FEW_ITEMS = 30
"""Below this many items a check's ratio and bootstrap bound say little (13 items all right: a bound of 100%)."""


@dataclass(frozen=True)
class GateCheck:
    scope: str
    n: int
    quality: float | None
    top_quality: float | None
    ratio: float | None
    lower_bound: float | None
    target: float
    cost_usd: float | None
    saved: float | None
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class GateResult:
    router: str
    tiers: list[str]
    data: str
    checks: list[GateCheck] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    """Warnings about the setup itself (ladder order, tier mapping), listed before the per-check ones."""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def warnings(self) -> list[str]:
        """The setup notes, then checks on too few items to mean much: they still count, but the reader should know."""
        few = [f"{c.scope}: only {c.n} items; its ratio and bootstrap bound say little below {FEW_ITEMS} "
               "(add hard items to this slice)" for c in self.checks if 0 < c.n < FEW_ITEMS]
        return [*self.notes, *few]

    def to_dict(self) -> dict[str, Any]:
        return {"router": self.router, "tiers": self.tiers, "data": self.data, "passed": self.passed,
                "checks": [dict(c.__dict__) for c in self.checks], "warnings": self.warnings}


def _check(scope: str, table: OutcomeTable, mask: np.ndarray, quality: np.ndarray, cost: np.ndarray,
           target: float, lower_bound: bool, bootstrap: int, seed: int, confidence: float) -> GateCheck:
    n = int(mask.sum())
    if n == 0:
        return GateCheck(scope, 0, None, None, None, None, target, None, None, False, "no items in this slice")
    q, top = quality[mask], table.quality[mask, -1]
    ratio = float(q.mean() / top.mean()) if top.mean() > 0 else float("inf")
    lower = None
    if bootstrap > 0:
        w = m.bootstrap_weights(n, bootstrap, seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = float(np.nanquantile((w @ q) / (w @ top), 1 - confidence))
    value = lower if lower_bound and lower is not None else ratio
    passed = value >= target - 1e-12
    top_cost = float(table.cost[mask, -1].sum())
    spent = float(cost[mask].sum())
    reason = "" if passed else f"{'lower bound' if lower_bound else 'quality ratio'} {value:.4f} < target {target}"
    return GateCheck(scope, n, float(q.mean()), float(top.mean()), ratio, lower, target, spent,
                     1 - spent / top_cost if top_cost > 0 else None, passed, reason)


def gate(table: OutcomeTable, router: str, quality: np.ndarray, cost: np.ndarray, target: float, *,
         slices: Sequence[str] = (), lower_bound: bool = False, bootstrap: int = 200, seed: int = 0,
         confidence: float = 0.95, data: str = "") -> GateResult:
    """Gate per-item routed ``quality``/``cost`` against ``target`` on the whole set and on each slice."""
    result = GateResult(router, list(table.tiers), data)
    everything = np.ones(table.n, dtype=bool)
    result.checks.append(_check("all", table, everything, quality, cost, target, lower_bound, bootstrap, seed,
                                confidence))
    categories = np.array([item.category or "" for item in table.items])
    for name in slices:
        result.checks.append(_check(f"category:{name}", table, categories == name, quality, cost, target,
                                    lower_bound, bootstrap, seed, confidence))
    return result
