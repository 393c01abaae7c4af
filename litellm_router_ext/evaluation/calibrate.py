"""Threshold calibration: the cheapest thresholds whose quality stays above a target, with confidence.

On the calibration split, every candidate cut vector (every block boundary for two tiers, a quantile grid
snapped down to block boundaries for more) is scored on ``bootstrap`` resamples. A candidate qualifies
when the one-sided lower ``confidence`` bound of quality / quality(always-top) — paired on the same
resample — is >= ``target``; the cheapest qualifying candidate (point-estimate cost) wins. Its cut
positions become threshold values half-way between neighbouring scores, which are then replayed on the
held-out split to report what the choice really does on unseen items.

A router config whose thresholds are out of order is accepted here, though it does not load elsewhere:
those are the values calibrate replaces (``load_router_to_calibrate``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..config import RouterConfig, RouterFile, anchor_scorer_paths, parse_config, parse_yaml, router_entries, yaml_child
from ..errors import ConfigError
from . import metrics as m
from .gate import FEW_ITEMS
from .outcomes import OutcomeTable
from .prices import PriceOverride
from .routers import LEARNED_PREFIX, declared_prices, load_router_spec, scorer_router_config


@dataclass(frozen=True)
class SplitStats:
    """A router at fixed thresholds on one split."""

    n: int
    quality: float
    top_quality: float
    ratio: float
    ratio_ci: list[float] | None
    cost_usd: float
    saved: float
    shares: list[float]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Calibration:
    target: float
    confidence: float
    reached: bool
    thresholds: list[float] | None
    calibration: SplitStats | None
    heldout: SplitStats | None = None
    best_lower_bound: float = 0.0
    """The highest lower bound over every candidate cut (what came nearest, when the target is not reached)."""
    lower_bound: float | None = None
    """The chosen thresholds' own one-sided lower bound on the calibration split (what cleared the target)."""
    notes: list[str] = field(default_factory=list)
    point_estimate: bool = False
    """True when no resamples were drawn (``bootstrap=0``): the "bound" is the calibration split's own ratio."""

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "confidence": None if self.point_estimate else self.confidence,
                "reached": self.reached,
                "thresholds": self.thresholds, "lower_bound": self.lower_bound,
                "best_lower_bound": self.best_lower_bound,
                "calibration": self.calibration.to_dict() if self.calibration else None,
                "heldout": self.heldout.to_dict() if self.heldout else None, "notes": self.notes}


def _candidates(order: m.ScoreOrder, k: int) -> np.ndarray:
    grid = m.cut_grid(order, k)
    if k == 2:
        return grid
    # A threshold cannot split tied scores: snap each cut down to a block boundary (more items go up).
    snapped = order.bounds[np.searchsorted(order.bounds, grid, side="right") - 1].astype(float)
    return np.unique(snapped, axis=0)


def split_stats(table: OutcomeTable, scores: np.ndarray, thresholds: np.ndarray, bootstrap: int, seed: int,
                confidence: float = 0.95) -> SplitStats:
    """Quality, cost and top-quality ratio (with a two-sided interval) of fixed thresholds on ``table``."""
    assign = np.searchsorted(thresholds, scores, side="right")
    rows = np.arange(table.n)
    q_items, c_items = table.quality[rows, assign], table.cost[rows, assign]
    top_q, top_c = table.quality[:, -1], table.cost[:, -1]
    ratio_ci = None
    if bootstrap > 0:
        w = m.bootstrap_weights(table.n, bootstrap, seed)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_ci = m.interval((w @ q_items) / (w @ top_q), confidence)
    q, tq = float(q_items.mean()), float(top_q.mean())
    return SplitStats(table.n, q, tq, q / tq if tq > 0 else float("nan"), list(ratio_ci) if ratio_ci else None,
                      float(c_items.sum()), 1.0 - float(c_items.sum()) / float(top_c.sum()) if top_c.sum() else 0.0,
                      (np.bincount(assign, minlength=len(table.tiers)) / table.n).tolist())


def strictly_increasing(values: np.ndarray) -> list[float]:
    """Thresholds clamped to [0, 1] and nudged apart so a router config accepts them: upwards, and where that
    passes 1.0 (several empty tiers at the top), downwards from 1.0."""
    out: list[float] = []
    for v in np.clip(values, 0.0, 1.0):
        out.append(float(v) if not out or v > out[-1] else out[-1] + 1e-9)
    if out and out[-1] > 1.0:
        out[-1] = 1.0
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - 1e-9)
    if out and out[0] < 0.0:
        raise ConfigError("calibrated thresholds do not fit in [0, 1]: too many tiers would be empty; "
                          "drop a tier from --tiers")
    return out


def _expressible(intended: np.ndarray, scores: np.ndarray) -> list[float] | None:
    """``intended`` as thresholds a router config accepts, or None when those would route ``scores`` otherwise."""
    try:
        written = strictly_increasing(intended)
    except ConfigError:
        return None
    same = np.array_equal(np.searchsorted(intended, scores, side="right"),
                          np.searchsorted(np.asarray(written), scores, side="right"))
    return written if same else None


def calibrate(table: OutcomeTable, scores: np.ndarray, target: float, *, bootstrap: int = 200, seed: int = 0,
              confidence: float = 0.95) -> Calibration:
    """Cheapest thresholds whose lower-bound quality ratio to always-top is >= ``target`` on ``table``."""
    k, n = len(table.tiers), table.n
    order = m.ScoreOrder(scores)
    cuts = _candidates(order, k)
    points = m.sweep(order, table.quality, table.cost, cuts)
    weights = m.bootstrap_weights(n, max(bootstrap, 1), seed) if bootstrap > 0 else np.ones((1, n))
    lower_parts = []
    for wb in m.weight_batches(weights, n):
        top = wb @ table.quality[:, -1] / n
        boot = m.sweep(order, table.quality, table.cost, cuts, wb)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower_parts.append(boot.quality / top[:, None])
    ratios = np.concatenate(lower_parts)
    lower = np.quantile(ratios, 1 - confidence, axis=0) if bootstrap > 0 else ratios[0]
    ok = lower >= target - 1e-12
    best_lower = float(np.nanmax(lower))
    if not ok.any():
        at = "as a point estimate" if bootstrap == 0 else f"at {confidence:.0%} confidence"
        return Calibration(target, confidence, False, None, None, best_lower_bound=best_lower, notes=[
            f"no thresholds reach {target:.1%} of the top tier's quality {at} on {n} calibration items; the best "
            f"is {best_lower:.1%}"], point_estimate=bootstrap == 0)
    # Cheapest first, the first point a config can express: thresholds live in [0, 1] and a score at a threshold
    # goes up, so "no prompt reaches the top tier" cannot be written while prompts score 1.0 (it was written as 1.0,
    # sending them all up, while the report promised the other point's quality and savings).
    picked = next(((int(i), written) for i in np.flatnonzero(ok)[np.argsort(points.cost[ok], kind="stable")]
                   if (written := _expressible(order.thresholds_for(cuts[i]), scores)) is not None), None)
    if picked is None:
        return Calibration(target, confidence, False, None, None, best_lower_bound=best_lower, notes=[
            f"the only thresholds reaching {target:.1%} keep some tier empty above prompts that score 1.0, the "
            "highest a threshold can be (a score at a threshold goes up); drop that tier from --tiers"],
            point_estimate=bootstrap == 0)
    pick, thresholds = picked
    stats = split_stats(table, scores, np.asarray(thresholds), bootstrap, seed + 1, confidence)
    notes = [f"only {n} calibration items: a bootstrap bound on so few says little (all right gives 100%); "
             f"calibrate on {FEW_ITEMS} or more"] if n < FEW_ITEMS else []
    return Calibration(target, confidence, True, thresholds, stats, best_lower_bound=best_lower,
                       lower_bound=float(lower[pick]), notes=notes, point_estimate=bootstrap == 0)


@dataclass(frozen=True)
class RouterToCalibrate:
    """The router config calibrate is about to re-threshold, and what was wrong with its old thresholds."""

    config: RouterConfig
    path: str
    misordered: list[float] | None = None
    """The file's thresholds when their order was their only fault; ``config`` then holds evenly spaced ones."""

    def note(self, replaced: bool) -> str | None:
        """What the report says about out-of-order thresholds, once calibrate has (``replaced``) or has not
        written new ones."""
        if self.misordered is None:
            return None
        said = (f"{self.path}: router '{self.config.alias}' had its thresholds out of order ({self.misordered}; "
                "they must rise strictly up the ladder)")
        return (f"{said}: replaced by the calibrated ones" if replaced
                else f"{said}: left as they are, so the file still will not load until they rise")

    def tier_prices(self, ladder: Sequence[str]) -> dict[str, PriceOverride]:
        """The prices its tiers declare, by the ladder model each costs (tier i prices model i), as
        ``config_tier_prices`` reads them from a config that loads."""
        return {model: price for _, model, price in declared_prices(self.config, self.path, ladder)}


def load_router_to_calibrate(spec: str) -> RouterToCalibrate:
    """The router ``path.yaml[#alias]`` names, as ``load_router_spec`` loads it, except that thresholds out of
    order (the only fault of the file) are accepted: calibrate replaces them. Any other fault is refused with
    the error naming the file and key, as loading does."""
    try:
        config, path = load_router_spec(spec)
        return RouterToCalibrate(config, path)
    except ConfigError as refused:
        path, _, alias = spec.partition("#")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise refused from None
        data = anchor_scorer_paths(parse_yaml(text, path), Path(path).parent)
        entry = _router_entry(data, alias)
        tiers = entry.get("tiers") if entry is not None else None
        names = [t.get("name") for t in tiers if isinstance(t, Mapping)] if isinstance(tiers, list) else []
        misordered = _misordered(entry.get("thresholds"), names) if entry is not None else None
        if entry is None or misordered is None:
            raise refused from None
        entry["thresholds"] = [(j + 1) / len(names) for j in range(len(names) - 1)]
        parsed = parse_config(data, path)  # another fault: refused here, naming its file and key
        config = parsed.router(alias, path) if alias else parsed.routers[0]
        return RouterToCalibrate(config, path, misordered)


def _router_entry(data: object, alias: str) -> dict[str, Any] | None:
    """The (mutable) dict of router ``alias`` (or the only router) in parsed YAML; None when there is none."""
    matches = [r for r in router_entries(data) if isinstance(r, dict) and (not alias or r.get("alias") == alias)]
    return matches[0] if len(matches) == 1 else None


def _misordered(thresholds: object, names: Sequence[object]) -> list[float] | None:
    """``thresholds`` as numbers in tier order when their only fault is that they do not rise strictly: one
    number in [0, 1] per tier above the first, as a list or ``{tier: value}``. None otherwise."""
    if isinstance(thresholds, Mapping):
        if set(thresholds) != set(names[1:]):
            return None
        thresholds = [thresholds[name] for name in names[1:]]
    if not isinstance(thresholds, list) or len(thresholds) != len(names) - 1:
        return None
    if not all(isinstance(t, int | float) and not isinstance(t, bool) and 0.0 <= t <= 1.0 for t in thresholds):
        return None
    values = [float(t) for t in thresholds]
    return values if any(b <= a for a, b in pairwise(values)) else None


def write_thresholds(path: str | Path, alias: str | None, thresholds: list[float], out: str | Path) -> None:
    """Copy the router config at ``path`` to ``out`` with new thresholds for router ``alias``.

    Only the threshold values change: comments, layout and the list or ``{tier: value}`` form are kept. When
    the values cannot be edited in place, the file is rewritten as plain YAML (comments are then lost). When
    ``out`` is ``path`` itself, the original is kept first as ``<path>.bak``.
    """
    original = Path(path).read_bytes()
    text = original.decode("utf-8")  # not read_text: a CRLF file keeps its line endings
    data = parse_yaml(text, str(path))
    entries = router_entries(data)
    matches = [i for i, r in enumerate(entries) if isinstance(r, dict) and (alias is None or r.get("alias") == alias)]
    if len(matches) != 1:
        raise ConfigError("cannot tell which router to update; pass PATH#ALIAS", file=str(path), key="routers")
    entries[matches[0]]["thresholds"] = [float(t) for t in thresholds]
    config = parse_config(data, str(out))  # never write a config that would not load
    tier_names = [t.name for t in config.routers[matches[0]].tiers]
    updated = _splice_thresholds(text, matches[0], tier_names, thresholds)
    if updated is None or not _same_config(updated, str(out), config):  # the in-place edit must mean the same
        updated = yaml.safe_dump(data, sort_keys=False)
    if Path(out).resolve() == Path(path).resolve():
        Path(f"{path}.bak").write_bytes(original)
    Path(out).write_bytes(updated.encode("utf-8"))


def _yaml_float(value: float) -> str:
    """``value`` as YAML reads it back as that float: ``repr`` writes 5e-05, which YAML 1.1 reads as a string."""
    text = repr(float(value))
    return text if "e" not in text or "." in text else text.replace("e", ".0e", 1)


def _same_config(text: str, source: str, config: RouterFile) -> bool:
    try:
        return parse_config(parse_yaml(text, source), source) == config
    except ConfigError:
        return False


def _splice_thresholds(text: str, index: int, tier_names: list[str], thresholds: list[float]) -> str | None:
    """``text`` with each threshold scalar of router ``index`` replaced where it stands; None if not possible."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    routers = yaml_child(root, "routers")
    router = routers.value[index] if isinstance(routers, yaml.SequenceNode) else root
    node = yaml_child(router, "thresholds")
    if isinstance(node, yaml.SequenceNode):
        slots = list(zip(node.value, thresholds, strict=False)) if len(node.value) == len(thresholds) else []
    elif isinstance(node, yaml.MappingNode):
        by_name = dict(zip(tier_names[1:], thresholds, strict=True))
        slots = [(v, by_name[k.value]) for k, v in node.value if getattr(k, "value", None) in by_name]
    else:
        return None
    if len(slots) != len(thresholds) or not all(isinstance(scalar, yaml.ScalarNode) for scalar, _ in slots):
        return None
    for scalar, value in sorted(slots, key=lambda slot: -slot[0].start_mark.index):  # back to front: marks stay valid
        text = text[: scalar.start_mark.index] + _yaml_float(value) + text[scalar.end_mark.index :]
    return text


def write_scorer_config(scorer: str, tiers: list[str], thresholds: list[float], out: str | Path) -> None:
    """A new router config file: the built-in ``scorer`` (or ``learned:ARTIFACT.npz``) over ``tiers`` with
    calibrated thresholds. An artifact is named relative to ``out``'s folder, where the config reads it from."""
    params = None
    if scorer.startswith(LEARNED_PREFIX):
        artifact, folder = Path(scorer.removeprefix(LEARNED_PREFIX)).resolve(), Path(out).resolve().parent
        # relative where they share a folder below the root (else the absolute path reads better; on Windows the
        # two may even be on different drives, which have no relative path)
        shared = artifact.drive == folder.drive and os.path.commonpath([artifact, folder]) != artifact.anchor
        scorer, params = "learned", {"artifact": os.path.relpath(artifact, folder) if shared else str(artifact)}
    config = scorer_router_config(scorer, tiers, thresholds, params=params)
    data = {"routers": [config.model_dump(mode="json", exclude_defaults=True)]}
    data["routers"][0]["thresholds"] = [float(t) for t in thresholds]
    parse_config(data, str(out))
    Path(out).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
