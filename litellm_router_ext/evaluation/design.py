"""Router designer: choose the ladder, the scorer and its thresholds from an eval set and a price list.

Candidates are ladders (subsets of the candidate models, cheapest first, strictly rising in cost, 2 to
``max_tiers`` tiers) x router families (each built-in scorer, and the same scorer followed by a cascade
where responses are recorded) x a *shape*: the share of the traffic below the top tier split between the
lower tiers. A candidate's operating points form one path indexed by lambda in [0, 1]: the thresholds are
quantiles ``lambda * shape`` of the scores on the selection part, so lambda = 0 sends everything to the
top tier and larger lambdas keep more traffic below it.

The calibration items are split once more (seeded): a *selection* part picks the best model b, the
candidate and a predicted operating point; the *certification* part, untouched until then, runs
learn-then-test along the chosen candidate's path (``guarantee.learn_then_test``). Splitting, rather than a
Bonferroni correction over every candidate, keeps the guarantee while spending the error budget on one
test: with ~100 candidates Bonferroni would double the bound's width. The guarantee is then: with
probability >= 1 - delta over the certification sample, E[quality routed] >= target * E[quality of b] on
traffic drawn like it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import yaml

from ..config import CascadeConfig, MonitorConfig, Price, RouterConfig, ScorerConfig, TierConfig
from ..errors import ConfigError
from . import guarantee as g
from . import metrics as m
from .dataset import EvalItem
from .outcomes import OutcomeTable
from .prices import PriceTable
from .routers import config_scores, tier_name

GRID = np.linspace(0.0, 1.0, 101)
"""lambda values of every candidate path: the share of traffic kept below the top tier, in 1% steps."""
SHAPE_LEVELS = 6
"""Lower-tier split points for 3+ tiers are multiples of 1/SHAPE_LEVELS."""
_EPS = 1e-9


@dataclass(frozen=True)
class Family:
    """A router family: a scorer's difficulty per item, optionally followed by a cascade."""

    name: str
    scorer: ScorerConfig
    scores: np.ndarray
    cascade: CascadeConfig | None = None
    cascade_source: str | None = None  # the file the cascade came from: a custom check's module may sit beside it


@dataclass(frozen=True)
class Candidate:
    family: int
    ladder: tuple[int, ...]
    """Column indices of the design table, cheapest first."""
    shape: tuple[float, ...]
    """Cumulative share of below-top traffic at each cut; the last is 1."""


@dataclass
class PathStats:
    """One candidate's path on one set of rows: per-lambda point estimates."""

    retained: np.ndarray
    saved: np.ndarray
    escalation: np.ndarray | None
    bottom: np.ndarray


@dataclass
class Point:
    """A router at fixed thresholds on some items."""

    n: int
    retained: float
    saved: float
    quality: float
    best_quality: float
    escalation_rate: float | None
    bottom_share: float
    shares: list[float]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DesignResult:
    """The recommendation, its certificate, and the frontier it was picked from."""

    target: float
    delta: float
    reached: bool
    best_model: str
    ladder: list[str]
    router: str
    thresholds: list[float] | None
    lam: float | None
    calibration_bound: float | None
    """Upper 1 - delta bound on 1 - E[routed] / E[best] at the chosen point (certification part)."""
    certification: Point | None
    selection: Point | None
    n_selection: int
    n_certification: int
    candidates: int
    families: list[str]
    escalation_band: list[float] | None = None
    bottom_share_band: list[float] | None = None
    frontier: list[dict[str, Any]] = field(default_factory=list)
    best_frontier_point: dict[str, Any] | None = None
    """The cheapest frontier point keeping the target on the calibration items (point estimates, not certified:
    the written router is the certified ``thresholds``); when none keeps it, the highest-quality point saving
    cost. ``meets_target`` says which."""
    test: Point | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    calibration: Point | None = None
    """The chosen point on every calibration item (selection + certification), for plots."""
    models: list[dict[str, Any]] = field(default_factory=list)
    """Each candidate model alone on the calibration items: quality, total cost, retained, saved."""
    holdout: int = 0
    """Size of the fresh sample the guarantee also covers (0: the expectation only)."""
    holdout_margin: float = 0.0
    """Relative-loss margin kept for the fluctuation of a ``holdout``-item mean."""
    family: Family | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reached": self.reached, "ladder": self.ladder, "router": self.router, "target": self.target,
            "delta": self.delta, "calibration_bound": self.calibration_bound,
            "test_quality_retained": self.test.retained if self.test else None,
            "test_cost_saved": self.test.saved if self.test else None,
            "escalation_rate": self.certification.escalation_rate if self.certification else None,
            "bottom_share": self.certification.bottom_share if self.certification else None,
            "escalation_band": self.escalation_band, "bottom_share_band": self.bottom_share_band,
            "holdout": self.holdout, "holdout_margin": self.holdout_margin, "best_model": self.best_model,
            "thresholds": self.thresholds, "lambda": self.lam,
            "n_selection": self.n_selection, "n_certification": self.n_certification,
            "candidates": self.candidates, "families": self.families,
            "certification": self.certification.to_dict() if self.certification else None,
            "selection": self.selection.to_dict() if self.selection else None,
            "test": self.test.to_dict() if self.test else None,
            "best_frontier_point": self.best_frontier_point, "frontier": self.frontier,
            "method": "learn-then-test, fixed-sequence over lambda, WSR betting p-values; selection/certification "
                      "split", "seconds": self.seconds, "notes": self.notes,
        }


# ------------------------------------------------------------------------------------------ candidates


def ladders(unit_cost: np.ndarray, max_tiers: int) -> list[tuple[int, ...]]:
    """Every subset of 2..``max_tiers`` models whose costs rise strictly, cheapest first."""
    order = sorted(range(len(unit_cost)), key=lambda j: unit_cost[j])
    out = []
    for k in range(2, max_tiers + 1):
        for combo in itertools.combinations(order, k):
            costs = unit_cost[list(combo)]
            if np.all(np.diff(costs) > 1e-12 * max(1.0, float(costs.max()))):
                out.append(tuple(combo))
    return out


def shapes(k: int, levels: int = SHAPE_LEVELS) -> list[tuple[float, ...]]:
    """Splits of the below-top traffic between ``k - 1`` lower tiers (cumulative shares, last = 1)."""
    inner = itertools.combinations(range(1, levels), k - 2)
    return [(*(i / levels for i in combo), 1.0) for combo in inner]


def config_thresholds(values: np.ndarray) -> np.ndarray:
    """Clamp to [0, 1] and make strictly increasing, as a router config requires (nudges of 1e-9)."""
    out = np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
    for j in range(1, len(out)):
        out[j] = max(out[j], out[j - 1] + _EPS)
    top = 1.0
    for j in range(len(out) - 1, -1, -1):
        out[j] = min(out[j], top)
        top = out[j] - _EPS
    result: np.ndarray = out
    return result


def threshold_path(reference: np.ndarray, shape: Sequence[float], grid: np.ndarray = GRID) -> np.ndarray:
    """(len(grid), k-1) thresholds: cut j at the ``lambda * shape[j]`` quantile of ``reference`` scores."""
    order = m.ScoreOrder(reference)
    positions = np.round(np.outer(grid, shape) * order.n)
    raw = order.thresholds_for(positions.ravel()).reshape(positions.shape)
    return np.array([config_thresholds(row) for row in raw])


def start_tiers(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(G, n) tier index per threshold row: the number of thresholds at or below each score (as the policy)."""
    return np.stack([np.searchsorted(row, scores, side="right") for row in thresholds])


# ------------------------------------------------------------------------------------------ outcomes


@dataclass
class Outcomes:
    """Per-item quality and cost of a router family on a table, from its start tiers (cascade lookups cached)."""

    table: OutcomeTable
    cascade_runs: dict[tuple[int, tuple[int, ...]], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def lookup(self, family: Family, family_index: int, ladder: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(k, n) final ladder tier and spent cost of every item when it starts at each tier."""
        key = (family_index, ladder)
        if key not in self.cascade_runs:
            self.cascade_runs[key] = cascade_lookup(self.table, family, ladder)
        return self.cascade_runs[key]

    def routed(self, family: Family, family_index: int, ladder: tuple[int, ...], start: np.ndarray,
               rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Quality, cost and final ladder tier of items ``rows`` started at ``start`` (shape (G, len(rows)))."""
        cols = np.asarray(ladder)
        if family.cascade is None:
            final = start
            cost = self.table.cost[rows[None, :], cols[start]]
        else:
            finals, spent = self.lookup(family, family_index, ladder)
            final = finals[start, rows[None, :]]
            cost = spent[start, rows[None, :]]
        return self.table.quality[rows[None, :], cols[final]], cost, final


def ladder_table(table: OutcomeTable, ladder: Sequence[int]) -> OutcomeTable:
    cols = list(ladder)
    return OutcomeTable(tuple(table.tiers[j] for j in cols), table.items, table.quality[:, cols],
                        table.cost[:, cols], dict(table.skipped))


def router_config(alias: str, tiers: Sequence[str], family: Family, thresholds: Sequence[float],
                  prices: Callable[[str], Price | None] | None = None,
                  monitor: MonitorConfig | None = None) -> RouterConfig:
    """The router config a design deploys: tier models named by model id, price overrides when given."""
    return RouterConfig(
        alias=alias,
        tiers=tuple(TierConfig(name=tier_name(t), model=t, price=prices(t) if prices else None) for t in tiers),
        scorers=(family.scorer,),
        thresholds=tuple(float(t) for t in thresholds),
        cascade=family.cascade,
        monitor=monitor or MonitorConfig(),
    )


def cascade_lookup(table: OutcomeTable, family: Family, ladder: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Replay the family's cascade on the recorded responses from every start tier (production flow)."""
    from .cascade import replay

    sub = ladder_table(table, ladder)
    k = len(ladder)
    config = router_config("design", sub.tiers, family, config_thresholds(np.linspace(0.5, 0.9, k - 1)).tolist())
    finals, spent = np.empty((k, table.n), dtype=int), np.empty((k, table.n))
    for s in range(k):
        run = replay(sub, config, np.full(table.n, s), source=family.cascade_source)
        finals[s], spent[s] = run.final_tier, run.cost
    return finals, spent


def point(outcomes: Outcomes, family: Family, family_index: int, ladder: tuple[int, ...], thresholds: np.ndarray,
          rows: np.ndarray, best: int) -> Point:
    """Quality retained vs ``best``, cost saved, escalation and bottom share of fixed thresholds on ``rows``."""
    start = start_tiers(family.scores[rows], thresholds[None, :])
    q, c, final = outcomes.routed(family, family_index, ladder, start, rows)
    table = outcomes.table
    qb, cb = table.quality[rows, best], table.cost[rows, best]
    k = len(ladder)
    return Point(
        n=len(rows), retained=_ratio(q.mean(), qb.mean()), saved=1.0 - _ratio(c.sum(), cb.sum()),
        quality=float(q.mean()), best_quality=float(qb.mean()),
        escalation_rate=float((final > start).mean()) if family.cascade is not None else None,
        bottom_share=float((start == 0).mean()), shares=(np.bincount(final[0], minlength=k) / len(rows)).tolist())


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


# ------------------------------------------------------------------------------------------ the design


def design(table: OutcomeTable, families: Sequence[Family], *, target: float, delta: float, max_tiers: int = 4,
           select_fraction: float = 0.35, seed: int = 0, grid: np.ndarray = GRID, holdout: int = 0,
           frontier: bool = True) -> DesignResult:
    """Pick ladder, family and thresholds on ``table`` (the calibration split) with the LTT guarantee.

    ``holdout`` > 0 also covers the mean over that many fresh items (a test split): half of ``delta`` goes to
    the expectation (learn-then-test, exact), half to the fluctuation of an m-item mean (normal approximation
    with the selection part's standard deviation), so each point must clear E[loss] <= -margin.
    """
    started = time.perf_counter()
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    tolerated = 1.0 - target
    delta_ltt = delta / 2 if holdout > 0 else delta
    z_holdout = NormalDist().inv_cdf(1 - delta / 2) / np.sqrt(holdout) if holdout > 0 else 0.0
    n = table.n
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_sel = round(select_fraction * n)
    if n_sel < 10 or n - n_sel < 10:
        raise ValueError(f"{n} calibration items are too few to split into selection and certification parts")
    sel, cert = np.sort(perm[:n_sel]), perm[n_sel:]  # cert keeps its random order: the WSR test is sequential
    best = int(np.argmax(table.quality[sel].mean(axis=0)))
    unit_cost = table.cost[sel].mean(axis=0)
    outcomes = Outcomes(table)
    calib_rows = np.arange(n)
    candidates = [Candidate(f, lad, shp) for f in range(len(families)) for lad in ladders(unit_cost, max_tiers)
                  for shp in shapes(len(lad))]
    if not families:
        raise ValueError("no router family to design with: pass at least one (heuristic, learned, cascade)")
    if not candidates:  # a ladder climbs to a dearer model; no two of these differ in cost
        costs = ", ".join(f"{model} {cost:.3g}" for model, cost in zip(table.tiers, unit_cost, strict=True))
        raise ValueError(f"no two candidate models differ in mean cost per answer ({costs} USD), so there is no "
                         "ladder to route up; check their prices (--prices) or recorded cost_usd")
    # Selection: the WSR test's width is about sd * sqrt(2 log(1/delta) / n); predict which lambdas the
    # certification part will pass, walking the path as the test will, and keep the candidate saving most.
    width = np.sqrt(2 * np.log(1 / delta_ltt) / len(cert))
    qb_sel, cb_sel = table.quality[sel, best], table.cost[sel, best]
    qb_all, cb_all = table.quality[:, best], table.cost[:, best]
    best_key: tuple[float, ...] | None = None
    chosen: tuple[Candidate, np.ndarray, int] | None = None
    points: list[dict[str, Any]] = []
    for cand in candidates:
        fam = families[cand.family]
        thresholds = threshold_path(fam.scores[sel], cand.shape, grid)
        rows = calib_rows if frontier else sel
        start = start_tiers(fam.scores[rows], thresholds)
        q, c, _ = outcomes.routed(fam, cand.family, cand.ladder, start, rows)
        on_sel = np.isin(rows, sel) if frontier else np.ones(len(rows), dtype=bool)
        loss = (1 - tolerated) * qb_sel[None, :] - q[:, on_sel]
        ok = loss.mean(axis=1) + (width + z_holdout) * loss.std(axis=1) + 1.0 / len(cert) <= 0
        saved_sel = 1.0 - c[:, on_sel].sum(axis=1) / cb_sel.sum()
        fails = np.flatnonzero(~ok)
        last = (int(fails[0]) if fails.size else len(grid)) - 1
        key = (saved_sel[last] if last >= 0 else -np.inf, -len(cand.ladder), -cand.family)
        if best_key is None or key > best_key:
            best_key, chosen = key, (cand, thresholds, last)
        if frontier:
            retained = q.mean(axis=1) / qb_all.mean()
            saved = 1.0 - c.sum(axis=1) / cb_all.sum()
            for i in range(len(grid)):
                points.append({"family": fam.name, "ladder": [table.tiers[j] for j in cand.ladder],
                               "shape": list(cand.shape), "lambda": float(grid[i]),
                               "retained": float(retained[i]), "saved": float(saved[i])})
    assert chosen is not None
    cand, thresholds, predicted = chosen
    fam = families[cand.family]
    q_sel, _, _ = outcomes.routed(fam, cand.family, cand.ladder, start_tiers(fam.scores[sel], thresholds), sel)
    margin = z_holdout * ((1 - tolerated) * qb_sel[None, :] - q_sel).std(axis=1)  # fixed before certification
    start = start_tiers(fam.scores[cert], thresholds)
    q, _, _ = outcomes.routed(fam, cand.family, cand.ladder, start, cert)
    test = g.learn_then_test(table.quality[cert, best], q, tolerated, delta_ltt, margin)
    idx = test.certified
    ladder_names = [table.tiers[j] for j in cand.ladder]
    result = DesignResult(
        target=target, delta=delta, reached=False, best_model=table.tiers[best], ladder=ladder_names,
        router=fam.name, thresholds=None, lam=None, calibration_bound=None, certification=None, selection=None,
        n_selection=len(sel), n_certification=len(cert), candidates=len(candidates),
        families=[f.name for f in families])
    result.models = [{"model": t, "quality": float(table.quality[:, j].mean()),
                      "cost_usd": float(table.cost[:, j].sum()),
                      "retained": _ratio(table.quality[:, j].mean(), qb_all.mean()),
                      "saved": 1.0 - _ratio(table.cost[:, j].sum(), cb_all.sum())} for j, t in enumerate(table.tiers)]
    overall = pareto(points)
    result.frontier = [p for name in result.families for p in pareto([q for q in points if q["family"] == name])]
    for p in result.frontier:
        p["overall"] = p in overall
    result.best_frontier_point = best_frontier_point(overall, target)
    result.notes.append(f"selection predicted lambda {f'{grid[predicted]:.4g}' if predicted >= 0 else None}; "
                        f"certification passed lambda {f'{grid[idx]:.4g}' if idx >= 0 else None}")
    if idx >= 0:
        chosen_thresholds = thresholds[idx]
        cert_point = point(outcomes, fam, cand.family, cand.ladder, chosen_thresholds, cert, best)
        if cert_point.saved > 1e-9:
            result.reached = True
            result.thresholds = [float(t) for t in chosen_thresholds]
            result.lam = float(grid[idx])
            result.certification = cert_point
            result.selection = point(outcomes, fam, cand.family, cand.ladder, chosen_thresholds, sel, best)
            result.calibration = point(outcomes, fam, cand.family, cand.ladder, chosen_thresholds, calib_rows, best)
            result.calibration_bound = g.relative_loss_upper_bound(table.quality[cert, best], q[idx], delta_ltt,
                                                                   anchor=tolerated)
            result.holdout = holdout
            result.holdout_margin = float(margin[idx] / table.quality[cert, best].mean()) if holdout else 0.0
            window = MonitorConfig().min_requests
            if cert_point.escalation_rate is not None:
                hits = round(cert_point.escalation_rate * len(cert))
                result.escalation_band = list(g.alert_band(hits, len(cert), window))
            result.bottom_share_band = list(g.alert_band(round(cert_point.bottom_share * len(cert)),
                                                         len(cert), window))
            result.family = fam
    if not result.reached:
        result.notes.append(f"no operating point saving cost was certified at {target:.1%} of {table.tiers[best]}'s "
                            f"quality with delta {delta}")
    result.seconds = time.perf_counter() - started
    return result


def best_frontier_point(points: Sequence[dict[str, Any]], target: float) -> dict[str, Any] | None:
    """The cheapest of ``points`` keeping ``target`` of the best model's quality (point estimates, not certified),
    marked ``meets_target``; when none does, the highest-quality point saving anything, marked as missing it.
    None when no point saves cost."""
    saving = [p for p in points if p["saved"] > 1e-9]
    meeting = [p for p in saving if p["retained"] >= target - 1e-12]
    if meeting:
        return {**max(meeting, key=lambda p: (p["saved"], p["retained"])), "meets_target": True}
    highest = max(saving, key=lambda p: (p["retained"], p["saved"]), default=None)
    return None if highest is None else {**highest, "meets_target": False}


def pareto(points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points not dominated in (retained up, saved up), sorted by saving."""
    ordered = sorted(points, key=lambda p: (-p["saved"], -p["retained"]))
    out: list[dict[str, Any]] = []
    best = -np.inf
    for p in ordered:
        if p["retained"] > best + 1e-12:
            out.append(p)
            best = p["retained"]
    return sorted(out, key=lambda p: p["saved"])


@dataclass(frozen=True)
class FamilySpec:
    """A router family before scoring: its name, scorer and optional cascade."""

    name: str
    scorer: ScorerConfig
    cascade: CascadeConfig | None = None
    cascade_source: str | None = None

    def on(self, items: Sequence[EvalItem]) -> Family:
        """The family with its scorer's difficulty for each of ``items`` (as the live policy computes it)."""
        config = RouterConfig(alias="score", tiers=(TierConfig(name="a", model="a"), TierConfig(name="b", model="b")),
                              scorers=(self.scorer,), thresholds=(0.5,))
        return Family(self.name, self.scorer, config_scores(config, items), self.cascade, self.cascade_source)


def check(result: DesignResult, table: OutcomeTable, families: Sequence[Family]) -> Point | None:
    """The recommended router on held-out items (``table`` must have the design table's columns)."""
    if not result.reached or result.thresholds is None:
        return None
    f = next(i for i, fam in enumerate(families) if fam.name == result.router)
    ladder = tuple(table.tiers.index(t) for t in result.ladder)
    best = table.tiers.index(result.best_model)
    return point(Outcomes(table), families[f], f, ladder, np.asarray(result.thresholds), np.arange(table.n), best)


def designed_config(result: DesignResult, alias: str, prices: PriceTable | None = None) -> RouterConfig:
    """The recommended router as a config: model ids as tier models, the price table's own prices as overrides
    (a model it lacks gets none: the router then reads LiteLLM's price map, where a borrowed price came from)."""
    if not result.reached or result.family is None or result.thresholds is None:
        raise ValueError("no recommendation to write: the design did not reach its target")

    def price(model: str) -> Price | None:
        p = prices.prices.get(model) if prices is not None else None
        return None if p is None else Price(input_usd_per_mtok=p.input_usd_per_mtok,
                                            output_usd_per_mtok=p.output_usd_per_mtok)

    band = (result.escalation_band[0], result.escalation_band[1]) if result.escalation_band else None
    monitor = MonitorConfig(escalation_band=band) if band else MonitorConfig()
    if result.bottom_share_band and "bottom_share_band" in MonitorConfig.model_fields:
        monitor = monitor.model_copy(update={"bottom_share_band": tuple(result.bottom_share_band)})
    return router_config(alias, result.ladder, result.family, result.thresholds,
                         prices=price if prices is not None else None, monitor=monitor)


def refuse_existing(out: str | Path) -> None:
    """``ConfigError`` when ``out`` already holds a router.yaml or config.yaml that writing the design would replace
    (the CLI asks before the run, not after minutes of it)."""
    from ..recipes import PROXY_FILE, ROUTER_FILE

    for path in (Path(out) / ROUTER_FILE, Path(out) / PROXY_FILE):
        if path.exists():
            raise ConfigError("already exists; pass --force to overwrite it, or choose another --out", file=str(path))


def write_design(result: DesignResult, out: str | Path, prices: PriceTable | None, *, alias: str = "designed",
                 force: bool = False) -> list[Path]:
    """Write router.yaml (validated by ``load_config``) and a proxy config.yaml into ``out``; return the paths."""
    from ..config import load_config
    from ..recipes import PROXY_FILE, ROUTER_FILE, ProxyPart, Recipe, proxy_config

    folder = Path(out)
    router_path, proxy_path = folder / ROUTER_FILE, folder / PROXY_FILE
    if not force:
        refuse_existing(folder)
    config = designed_config(result, alias, prices)
    router_data = {"routers": [config.model_dump(mode="json", exclude_defaults=True)]}
    router_data["routers"][0]["thresholds"] = list(config.thresholds)  # always explicit, even if default-like
    # Tier models double as proxy model groups; the user points each at a real deployment.
    model_list = [{"model_name": t, "litellm_params": {"model": t}} for t in result.ladder]
    recipe = Recipe(name="designed", description=f"designed ladder {' -> '.join(result.ladder)}",
                    proxy=ProxyPart(model_list=tuple(model_list), router_settings={"num_retries": 1}),
                    router=router_data)
    folder.mkdir(parents=True, exist_ok=True)
    bound = f"{result.calibration_bound:.4f}" if result.calibration_bound is not None else "-"
    header = (f"# Router from `litellm-router design`: {result.router} over {' -> '.join(result.ladder)}.\n"
              f"# Certified: with probability >= {1 - result.delta:.0%}, quality >= {result.target:.1%} of "
              f"{result.best_model} on traffic like the calibration set (bound on the loss: {bound}).\n")
    router_path.write_text(header + yaml.safe_dump(router_data, sort_keys=False), encoding="utf-8")
    load_config(router_path)  # never leave a config that would not load
    proxy_header = (f"# LiteLLM proxy config from `litellm-router design` ({ROUTER_FILE} beside it).\n"
                    "# Each model_list entry is named after a tier model: set litellm_params.model (and api_key as\n"
                    "# os.environ/NAME) to the provider deployment serving it, e.g. nvidia_nim/<org>/<model>.\n"
                    f"# Start: LITELLM_MASTER_KEY=... litellm --config {PROXY_FILE}   Call: model={alias}\n")
    proxy_path.write_text(proxy_header + yaml.safe_dump(proxy_config(recipe), sort_keys=False, width=110),
                          encoding="utf-8")
    return [router_path, proxy_path]
