"""Replay evaluation: routers and baselines over one ``OutcomeTable``, every metric with bootstrap intervals.

Baselines computed in the same run: each tier alone, ``random`` (the expected mix: a constant score, see
``metrics``), ``oracle`` (cheapest tier with the item's best score, and its lambda frontier), plus any
LiteLLM scorer passed as a router. The *operating point* of a router is its configured thresholds; a router
without thresholds (a bare scorer) is reported at the block-aligned cut closest to an equal share of items
per tier, and ``random`` at the exact equal mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import metrics as m
from .cascade import has_responses, replay_error
from .cascade import replay as replay_cascade
from .outcomes import OutcomeTable
from .routers import ReplayRouter

SAVED_LEVELS = (0.95, 0.99)
_CURVE_POINTS = 300
_HULL_SAMPLE = 400


@dataclass
class RouterResult:
    """Everything reported for one router or baseline. Costs are totals over the set's items, in USD."""

    router: str
    kind: str
    """``router``, ``baseline`` (LiteLLM scorer), ``tier``, ``random`` or ``oracle``."""
    quality: float
    cost_usd: float
    shares: list[float]
    operating_point: str
    apgr: float | None = None
    cpt50: float | None = None
    cpt80: float | None = None
    aiq: float | None = None
    saved_at_95: float | None = None
    saved_at_99: float | None = None
    thresholds: list[float] | None = None
    ci: dict[str, list[float] | None] = field(default_factory=dict)
    curve: dict[str, list[float]] = field(default_factory=dict)
    hull: dict[str, list[float]] = field(default_factory=dict)
    regressions: dict[str, Any] | None = None
    cascade: dict[str, Any] | None = None
    assignment: np.ndarray | None = field(default=None, repr=False)
    """Tier index per item at the operating point (``None`` for mixtures such as ``random``)."""
    trace: list[dict[str, Any]] | None = field(default=None, repr=False)
    """A cascade row's per-item trace (``cascade.replay``); written by ``eval --trace``, not in ``to_dict``."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _jsonable({k: v for k, v in self.__dict__.items() if k not in ("assignment", "trace")})
        return out


@dataclass
class EvalReport:
    """One replay run."""

    data: str
    tiers: list[str]
    n: int
    skipped: dict[str, int]
    bootstrap: int
    seed: int
    results: list[RouterResult]
    categories: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    prices: str | None = None
    """The price table's file: it sets every cost here (a ``models.json`` beside the data is read silently)."""

    def result(self, name: str) -> RouterResult:
        for r in self.results:
            if r.router == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _jsonable({
            "n": self.n, "tiers": self.tiers, "data": self.data, "skipped": self.skipped,
            "bootstrap": self.bootstrap, "seed": self.seed, "seconds": self.seconds, "notes": self.notes,
            "prices": self.prices,
            "results": [r.to_dict() for r in self.results], "categories": self.categories,
        })
        return out


def _jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if np.isnan(f) or np.isinf(f) else f
    return value


def _opt(value: float | np.floating[Any] | np.ndarray) -> float | None:
    f = float(np.asarray(value))
    # Savings of exactly-equal costs come out as +-1e-16; report them as the 0 they are.
    return None if np.isnan(f) else (0.0 if abs(f) < 1e-9 else f)


def _ci(samples: np.ndarray | None, scale: float = 1.0) -> list[float] | None:
    if samples is None:
        return None
    bounds = m.interval(np.asarray(samples) * scale)
    return None if bounds is None else [bounds[0], bounds[1]]


def _downsample(length: int, limit: int = _CURVE_POINTS) -> np.ndarray:
    return np.unique(np.round(np.linspace(0, length - 1, min(length, limit))).astype(int))


@dataclass(frozen=True)
class _Context:
    """Quantities shared by every router of one run."""

    table: OutcomeTable
    weights: np.ndarray | None
    q_top: float
    c_top: float
    c_lo: float
    c_hi: float

    @property
    def quality(self) -> np.ndarray:
        return self.table.quality

    @property
    def cost(self) -> np.ndarray:
        return self.table.cost


def _batches(ctx: _Context) -> list[np.ndarray]:
    return [] if ctx.weights is None else list(m.weight_batches(ctx.weights, ctx.table.n))


def _tier_stats(ctx: _Context, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = ctx.table.n
    return weights @ ctx.quality / n, weights @ ctx.cost / n


def _two_tier(points: m.Points, q_weak: np.ndarray | float, q_strong: np.ndarray | float, budget: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """APGR, CPT(50%), CPT(80%) from a sweep over block boundaries (points run from all-strong to all-weak).

    ``budget``: the curve is the best quality with *at most* x strong calls (running maximum), which is how
    the oracle is scored: an oracle never spends a strong call that lowers quality.
    """
    x = points.shares[..., ::-1, 1]
    q = points.quality[..., ::-1]
    p = m.pgr(np.maximum.accumulate(q, axis=-1) if budget else q, q_weak, q_strong)
    return m.apgr(x, p), m.cpt(x, p, 0.5), m.cpt(x, p, 0.8)


def _hull_aiq(cost: np.ndarray, quality: np.ndarray, c_lo: float, c_hi: float) -> tuple[float, np.ndarray, np.ndarray]:
    hc, hq = m.upper_hull(cost, quality)
    return m.aiq(hc, hq, c_lo, c_hi), hc, hq


def _assignment_stats(ctx: _Context, assign: np.ndarray) -> tuple[float, float, list[float]]:
    rows = np.arange(ctx.table.n)
    k = len(ctx.table.tiers)
    return (float(ctx.quality[rows, assign].mean()), float(ctx.cost[rows, assign].sum()),
            (np.bincount(assign, minlength=k) / ctx.table.n).tolist())


def evaluate_scores(ctx: _Context, name: str, kind: str, scores: np.ndarray,
                    thresholds: Sequence[float] | None) -> RouterResult:
    """Metrics of a router given by its difficulty scores (and thresholds, if it has any)."""
    k, n = len(ctx.table.tiers), ctx.table.n
    order = m.ScoreOrder(scores)
    # A constant score has one block; random's curve is swept on a uniform grid of expected mixes instead.
    grid = np.linspace(0, n, 101)[:, None] if kind == "random" and k == 2 else m.cut_grid(order, k)
    points = m.sweep(order, ctx.quality, ctx.cost, grid)
    assign: np.ndarray | None
    if kind == "random":
        cuts = np.arange(1, k) * n / k
        op = m.sweep(order, ctx.quality, ctx.cost, cuts[None])
        quality, cost, shares = float(op.quality[0]), float(op.cost[0]) * n, op.shares[0].tolist()
        assign, used, operating = None, None, "equal mix"
    else:
        if thresholds is None:
            used = order.thresholds_for(m.equal_share_cuts(order, k))
            operating = "equal share"
        else:
            used, operating = np.asarray(thresholds, dtype=float), "thresholds"
        cuts = order.positions_for(used)
        assign = np.searchsorted(used, scores, side="right")
        quality, cost, shares = _assignment_stats(ctx, assign)
    result = RouterResult(name, kind, quality, cost, shares, operating,
                          thresholds=None if used is None else [float(t) for t in used])
    q_weak, q_strong = ctx.quality[:, 0].mean(), ctx.quality[:, -1].mean()
    if k == 2:
        a, c50, c80 = _two_tier(points, q_weak, q_strong)
        result.apgr, result.cpt50, result.cpt80 = _opt(a), _opt(c50), _opt(c80)
    result.aiq, hc, hq = _hull_aiq(points.cost, points.quality, ctx.c_lo, ctx.c_hi)
    result.saved_at_95, result.saved_at_99 = (
        _opt(m.saved_at(points.quality, points.cost, ctx.q_top, ctx.c_top, f)) for f in SAVED_LEVELS)
    keep = _downsample(len(points.quality))
    result.curve = {"strong_share" if k == 2 else "top_share": points.shares[keep, -1].tolist(),
                    "quality": points.quality[keep].tolist(), "cost_usd": (points.cost[keep] * n).tolist()}
    result.hull = {"quality": hq.tolist(), "cost_usd": (hc * n).tolist()}
    result.assignment = assign
    if ctx.weights is not None:
        _bootstrap_scores(ctx, result, order, grid, cuts)
    return result


def _bootstrap_scores(ctx: _Context, result: RouterResult, order: m.ScoreOrder, grid: np.ndarray,
                      cuts: np.ndarray) -> None:
    k, n = len(ctx.table.tiers), ctx.table.n
    sub = grid[_downsample(len(grid), _HULL_SAMPLE)]
    acc: dict[str, list[np.ndarray]] = {key: [] for key in
                                         ("quality", "cost_usd", "apgr", "cpt50", "cpt80", "aiq", "s95", "s99")}
    for wb in _batches(ctx):
        tq, tc = _tier_stats(ctx, wb)
        op = m.sweep(order, ctx.quality, ctx.cost, cuts[None], wb)
        acc["quality"].append(op.quality[:, 0])
        acc["cost_usd"].append(op.cost[:, 0])
        pts = m.sweep(order, ctx.quality, ctx.cost, grid, wb)
        if k == 2:
            a, c50, c80 = _two_tier(pts, tq[:, 0], tq[:, -1])
            acc["apgr"].append(a)
            acc["cpt50"].append(c50)
            acc["cpt80"].append(c80)
        acc["s95"].append(m.saved_at(pts.quality, pts.cost, tq[:, -1], tc[:, -1], 0.95))
        acc["s99"].append(m.saved_at(pts.quality, pts.cost, tq[:, -1], tc[:, -1], 0.99))
        small = m.sweep(order, ctx.quality, ctx.cost, sub, wb)
        acc["aiq"].append(np.array([_hull_aiq(small.cost[b], small.quality[b], tc[b].min(), tc[b].max())[0]
                                    for b in range(len(wb))]))
    joined = {key: np.concatenate(v) if v else None for key, v in acc.items()}
    result.ci = {"quality": _ci(joined["quality"]), "cost_usd": _ci(joined["cost_usd"], n),
                 "apgr": _ci(joined["apgr"]), "cpt50": _ci(joined["cpt50"]), "cpt80": _ci(joined["cpt80"]),
                 "aiq": _ci(joined["aiq"]), "saved_at_95": _ci(joined["s95"]), "saved_at_99": _ci(joined["s99"])}


def evaluate_tier(ctx: _Context, j: int) -> RouterResult:
    """One tier alone."""
    k, n = len(ctx.table.tiers), ctx.table.n
    q, c = float(ctx.quality[:, j].mean()), float(ctx.cost[:, j].mean())
    saved = [_opt(1.0 - c / ctx.c_top) if q >= f * ctx.q_top - 1e-12 and ctx.c_top > 0 else None
             for f in SAVED_LEVELS]
    result = RouterResult(ctx.table.tiers[j], "tier", q, c * n, np.eye(k)[j].tolist(), "single tier",
                          saved_at_95=saved[0], saved_at_99=saved[1])
    result.assignment = np.full(n, j)
    if ctx.weights is not None:
        tq = np.concatenate([_tier_stats(ctx, wb)[0] for wb in _batches(ctx)])
        tc = np.concatenate([_tier_stats(ctx, wb)[1] for wb in _batches(ctx)])
        result.ci = {"quality": _ci(tq[:, j]), "cost_usd": _ci(tc[:, j], n)}
    return result


def evaluate_oracle(ctx: _Context) -> RouterResult:
    """The oracle: per item the cheapest tier with its best score; frontier by lambda; 2-tier curve by gain."""
    k, n = len(ctx.table.tiers), ctx.table.n
    choices = m.oracle_choices(ctx.quality, ctx.cost)
    frontier = m.oracle_points(ctx.quality, ctx.cost, choices)
    assign = np.argmax(ctx.quality - 1e-9 * ctx.cost, axis=1)
    quality, cost, shares = _assignment_stats(ctx, assign)
    result = RouterResult("oracle", "oracle", quality, cost, shares, "oracle")
    result.assignment = assign
    gain = ctx.quality[:, -1] - ctx.quality[:, 0]
    order = m.ScoreOrder(gain)
    if k == 2:
        a, c50, c80 = _two_tier(m.sweep(order, ctx.quality, ctx.cost, m.cut_grid(order, 2)),
                                ctx.quality[:, 0].mean(), ctx.quality[:, -1].mean(), budget=True)
        result.apgr, result.cpt50, result.cpt80 = _opt(a), _opt(c50), _opt(c80)
    result.aiq, hc, hq = _hull_aiq(frontier.cost, frontier.quality, ctx.c_lo, ctx.c_hi)
    result.saved_at_95, result.saved_at_99 = (
        _opt(m.saved_at(frontier.quality, frontier.cost, ctx.q_top, ctx.c_top, f)) for f in SAVED_LEVELS)
    result.hull = {"quality": hq.tolist(), "cost_usd": (hc * n).tolist()}
    result.curve = {"quality": frontier.quality.tolist(), "cost_usd": (frontier.cost * n).tolist()}
    if ctx.weights is not None:
        acc: dict[str, list[np.ndarray]] = {key: [] for key in ("q", "c", "apgr", "aiq", "s95", "s99")}
        for wb in _batches(ctx):
            tq, tc = _tier_stats(ctx, wb)
            pts = m.oracle_points(ctx.quality, ctx.cost, choices, wb)
            acc["q"].append(pts.quality[:, 0])
            acc["c"].append(pts.cost[:, 0])
            if k == 2:
                acc["apgr"].append(_two_tier(m.sweep(order, ctx.quality, ctx.cost, m.cut_grid(order, 2), wb),
                                             tq[:, 0], tq[:, -1], budget=True)[0])
            acc["s95"].append(m.saved_at(pts.quality, pts.cost, tq[:, -1], tc[:, -1], 0.95))
            acc["s99"].append(m.saved_at(pts.quality, pts.cost, tq[:, -1], tc[:, -1], 0.99))
            acc["aiq"].append(np.array([_hull_aiq(pts.cost[b], pts.quality[b], tc[b].min(), tc[b].max())[0]
                                        for b in range(len(wb))]))
        joined = {key: np.concatenate(v) if v else None for key, v in acc.items()}
        result.ci = {"quality": _ci(joined["q"]), "cost_usd": _ci(joined["c"], n), "apgr": _ci(joined["apgr"]),
                     "aiq": _ci(joined["aiq"]), "saved_at_95": _ci(joined["s95"]),
                     "saved_at_99": _ci(joined["s99"])}
    return result


def make_context(table: OutcomeTable, bootstrap: int, seed: int) -> _Context:
    single_cost = table.cost.mean(axis=0)
    weights = m.bootstrap_weights(table.n, bootstrap, seed) if bootstrap > 0 else None
    return _Context(table, weights, float(table.quality[:, -1].mean()), float(single_cost[-1]),
                    float(single_cost.min()), float(single_cost.max()))


def regressions(table: OutcomeTable, result: RouterResult, scores: np.ndarray | None, limit: int) -> dict[str, Any]:
    """Items the top tier got right (score >= 0.5) and the routed tier got wrong, worst first."""
    assign = result.assignment
    if assign is None:
        return {"count": None, "worst": []}
    rows = np.arange(table.n)
    top, routed = table.quality[:, -1], table.quality[rows, assign]
    bad = np.flatnonzero((top >= 0.5) & (routed < 0.5))
    difficulty = scores if scores is not None else np.zeros(table.n)
    worst = bad[np.lexsort((difficulty[bad], -(top[bad] - routed[bad])))][:limit]
    return {"count": len(bad), "share": len(bad) / table.n, "worst": [
        {"id": table.items[i].id, "category": table.items[i].category, "tier": table.tiers[assign[i]],
         "difficulty": float(difficulty[i]), "top_score": float(top[i]), "routed_score": float(routed[i]),
         "prompt": table.items[i].prompt_text[:120]} for i in worst]}


def category_slices(table: OutcomeTable, results: Sequence[RouterResult], limit: int = 30) -> list[dict[str, Any]]:
    """Quality and cost per category (the ``limit`` largest) for every result with a per-item assignment."""
    cats = np.array([item.category or "(none)" for item in table.items])
    names, counts = np.unique(cats, return_counts=True)
    if len(names) <= 1:
        return []
    rows = np.arange(table.n)
    out = []
    for name in names[np.argsort(-counts, kind="stable")][:limit]:
        mask = cats == name
        entry: dict[str, Any] = {"category": str(name), "n": int(mask.sum()),
                                 "top_quality": float(table.quality[mask, -1].mean()), "routers": {}}
        for r in results:
            if r.assignment is None or r.kind == "tier":
                continue
            sel = r.assignment[mask]
            entry["routers"][r.router] = {
                "quality": float(table.quality[rows[mask], sel].mean()),
                "cost_usd": float(table.cost[rows[mask], sel].sum()),
                "top_share": float((sel == len(table.tiers) - 1).mean())}
        out.append(entry)
    return out


def report_of(results: Sequence[RouterResult], name: str) -> RouterResult:
    return next(r for r in results if r.router == name)


def evaluate_cascade(ctx: _Context, router: ReplayRouter, routed: RouterResult) -> RouterResult:
    """The router followed by its cascade on the recorded responses (a row of its own)."""
    assert router.config is not None and routed.assignment is not None
    run = replay_cascade(ctx.table, router.config, routed.assignment, source=router.source)
    n, k = ctx.table.n, len(ctx.table.tiers)
    cost = float(run.cost.sum())
    quality = float(run.quality.mean())
    saved = [_opt(1 - cost / n / ctx.c_top) if quality >= f * ctx.q_top - 1e-12 else None for f in SAVED_LEVELS]
    result = RouterResult(f"{router.name}+cascade", "cascade", quality, cost,
                          (np.bincount(run.final_tier, minlength=k) / n).tolist(), "thresholds + cascade",
                          saved_at_95=saved[0], saved_at_99=saved[1], thresholds=routed.thresholds,
                          cascade=run.diagnostics)
    result.assignment = run.final_tier
    result.trace = run.trace
    routed.cascade = run.diagnostics
    return result


def evaluate(table: OutcomeTable, routers: Sequence[ReplayRouter], *, bootstrap: int = 200, seed: int = 0,
             worst: int = 10, data: str = "") -> EvalReport:
    """Replay ``routers`` and every baseline over ``table``."""
    ctx = make_context(table, bootstrap, seed)
    k = len(table.tiers)
    results = [evaluate_tier(ctx, j) for j in range(k)]
    results.append(evaluate_scores(ctx, "random", "random", np.zeros(table.n), None))
    results.append(evaluate_oracle(ctx))
    scores: dict[str, np.ndarray] = {}
    for router in routers:
        r = evaluate_scores(ctx, router.name, router.kind, router.scores, router.thresholds)
        scores[router.name] = router.scores
        results.append(r)
    for router in routers:
        # a cascade replay cannot run (an LLM judge) gets no row: build_router's note says so
        if (router.config is not None and router.config.cascade is not None and replay_error(router.config) is None
                and has_responses(table)):
            results.append(evaluate_cascade(ctx, router, report_of(results, router.name)))
    for r in results:
        if r.kind in ("router", "baseline", "oracle", "cascade"):
            r.regressions = regressions(table, r, scores.get(r.router.removesuffix("+cascade")), worst)
    report = EvalReport(data, list(table.tiers), table.n, dict(table.skipped), bootstrap, seed, results)
    report.categories = category_slices(table, results)
    return report
