"""Router metrics on per-item outcome arrays: pure numpy, no I/O, no knowledge of models or files.

What is computed (n items, k tiers, ``quality``/``cost`` of shape (n, k), a difficulty ``score`` per item):

- A router sends an item to tier j when j of its k-1 thresholds lie at or below its score. Sorting items by
  score, thresholds become *cut positions* a_1 <= ... <= a_{k-1} in [0, n]: items [a_j, a_{j+1}) go to
  tier j. Tied scores cannot be split by a threshold, so a cut inside a block of ties is evaluated as the
  expectation under random tie-breaking (the block's mean contributes pro rata). Every curve below is
  therefore exact and deterministic, and a constant score is exactly the *random* router.
- A point = (mean quality, mean cost per item in USD, call share per tier) at one cut vector.
- Two tiers (RouteLLM): the curve over every block boundary, x = share of strong calls;
  PGR(x) = (q(x) - q_weak) / (q_strong - q_weak); APGR = trapezoid area of PGR over x in [0, 1] (exact:
  the curve is linear between boundaries); CPT(p) = smallest x with PGR >= p (linear within a segment).
- Any k (RouterBench): points at every non-decreasing cut vector on a quantile grid; their upper convex
  hull in (cost, quality), made non-decreasing (flat after its best point); AIQ = mean of that hull over
  [cheapest single-tier cost, dearest single-tier cost] (left of the router's cheapest point the hull is
  held at that point's quality).
- saved_at(f) = 1 - cost/cost(always-top) at the cheapest *swept point* (no hull mixing) whose quality is
  >= f * quality(always-top); ``None`` when no point reaches it.
- Oracle: per item the tier maximising q - lambda * cost (cheapest tier on ties); sweeping lambda traces
  its exact frontier; lambda -> 0 is the classic oracle (cheapest tier with the item's best score). Its
  two-tier PGR curve sorts items by gain (strong - weak) and takes the running maximum: the best quality
  with *at most* x strong calls (an oracle never spends a call that lowers quality).
- Bootstrap: items resampled with replacement as integer weights, seeded; every statistic is recomputed
  from the same weights, so ratios against the top tier are paired.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations_with_replacement
from math import comb

import numpy as np

MAX_GRID_POINTS = 2000
"""Upper bound on cut vectors swept for k >= 3 tiers (2 tiers always use every block boundary)."""


class ScoreOrder:
    """Items sorted by ascending score, with the boundaries of blocks of tied scores."""

    def __init__(self, scores: np.ndarray) -> None:
        scores = np.asarray(scores, dtype=float)
        if scores.ndim != 1 or len(scores) == 0:
            raise ValueError("scores must be a non-empty 1-d array")
        if np.isnan(scores).any():
            raise ValueError("scores contain NaN")
        self.n = len(scores)
        self.order = np.argsort(scores, kind="stable")
        self.sorted_scores = scores[self.order]
        s = self.sorted_scores
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        self.bounds = np.r_[starts, self.n]
        """Block boundaries as item positions: 0, ..., n."""
        self._lengths = np.diff(self.bounds)

    def block_sums(self, values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per-block sums of ``values`` (shape (r, n), item order), weighted by (B, n) ``weights`` if given."""
        v = values[:, self.order]
        if weights is not None:
            v = weights[:, None, self.order] * v[None]
        return np.add.reduceat(v, self.bounds[:-1], axis=-1)

    def prefix(self, sums: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Expected sum over the first p sorted items (ties split pro rata), for each position p."""
        cum = np.concatenate([np.zeros((*sums.shape[:-1], 1)), np.cumsum(sums, axis=-1)], axis=-1)
        p = np.asarray(positions, dtype=float)
        b = np.clip(np.searchsorted(self.bounds, p, side="right") - 1, 0, len(self._lengths) - 1)
        frac = (p - self.bounds[b]) / self._lengths[b]
        return np.asarray(cum[..., b] + frac * (cum[..., b + 1] - cum[..., b]))

    def positions_for(self, thresholds: np.ndarray) -> np.ndarray:
        """Cut positions of threshold values: number of items whose score is below each threshold."""
        return np.searchsorted(self.sorted_scores, np.asarray(thresholds, dtype=float), side="left").astype(float)

    def thresholds_for(self, positions: np.ndarray) -> np.ndarray:
        """Threshold values realising block-aligned cut positions (midpoints between neighbouring scores)."""
        s = self.sorted_scores
        out = np.empty(len(positions))
        for i, p in enumerate(np.asarray(positions, dtype=int)):
            if p <= 0:
                out[i] = s[0] - 1.0
            elif p >= self.n:
                out[i] = s[-1] + 1.0
            else:
                out[i] = (s[p - 1] + s[p]) / 2
        return out


@dataclass(frozen=True)
class Points:
    """Operating points: arrays with a leading bootstrap axis when weights were given."""

    quality: np.ndarray
    cost: np.ndarray
    shares: np.ndarray
    """Call share per tier, shape (..., m, k)."""


def sweep(order: ScoreOrder, quality: np.ndarray, cost: np.ndarray, cuts: np.ndarray,
          weights: np.ndarray | None = None) -> Points:
    """Quality, cost and tier shares at each cut vector (rows of ``cuts``, shape (m, k-1))."""
    n, k = quality.shape
    cuts = np.atleast_2d(np.asarray(cuts, dtype=float))
    full = np.concatenate([np.zeros((len(cuts), 1)), cuts, np.full((len(cuts), 1), float(n))], axis=1)
    values = np.concatenate([quality.T, cost.T, np.ones((1, n))], axis=0)
    unique, idx = np.unique(full, return_inverse=True)
    idx = idx.reshape(full.shape)
    pre = order.prefix(order.block_sums(values, weights), unique)  # (..., 2k+1, |unique|)

    def segment(row: int, tier: int) -> np.ndarray:
        return np.asarray(pre[..., row, idx[:, tier + 1]] - pre[..., row, idx[:, tier]])

    q = sum(segment(j, j) for j in range(k)) / n
    c = sum(segment(k + j, j) for j in range(k)) / n
    shares = np.stack([segment(2 * k, j) for j in range(k)], axis=-1) / n
    return Points(np.asarray(q), np.asarray(c), shares)


def cut_grid(order: ScoreOrder, k: int, max_points: int = MAX_GRID_POINTS) -> np.ndarray:
    """Cut vectors to sweep: every block boundary for 2 tiers; a quantile grid of non-decreasing cuts for more."""
    if k == 2:
        return np.asarray(order.bounds[:, None], dtype=float)
    levels = 2
    while levels < order.n and comb(levels + 1 + k - 1, k - 1) <= max_points:
        levels += 1
    grid = np.round(np.linspace(0, order.n, levels + 1))
    return np.array([[grid[i] for i in combo] for combo in combinations_with_replacement(range(levels + 1), k - 1)])


def equal_share_cuts(order: ScoreOrder, k: int) -> np.ndarray:
    """Block-aligned cuts closest to an equal share of items per tier (operating point without thresholds)."""
    targets = np.arange(1, k) * order.n / k
    nearest = order.bounds[np.abs(order.bounds[None, :] - targets[:, None]).argmin(axis=1)]
    return np.maximum.accumulate(nearest).astype(float)


# ------------------------------------------------------------------------------------- two-tier metrics


def pgr(q: np.ndarray, q_weak: np.ndarray | float, q_strong: np.ndarray | float) -> np.ndarray:
    """Performance gap recovered; NaN where both tiers have the same quality."""
    gap = np.asarray(q_strong, dtype=float) - np.asarray(q_weak, dtype=float)
    gap = np.where(gap == 0, np.nan, gap)  # no gap: NaN, never +-inf (whose sum warns and means nothing)
    return np.asarray((np.asarray(q) - np.asarray(q_weak)[..., None]) / gap[..., None])


def apgr(x: np.ndarray, pgr_values: np.ndarray) -> np.ndarray:
    """Area under PGR over strong-call share x (points sorted by x along the last axis)."""
    return np.asarray(np.trapezoid(pgr_values, x, axis=-1))


def _take(a: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, index[..., None], axis=-1)[..., 0]


def cpt(x: np.ndarray, pgr_values: np.ndarray, level: float) -> np.ndarray:
    """Smallest strong-call share at which PGR reaches ``level`` (NaN if never), linear within segments."""
    x2 = np.broadcast_to(x, pgr_values.shape)
    reached = pgr_values >= level - 1e-12
    first = reached.argmax(axis=-1)
    never = ~reached.any(axis=-1)
    prev = np.maximum(first - 1, 0)
    x1, x0 = _take(x2, first), _take(x2, prev)
    p1, p0 = _take(pgr_values, first), _take(pgr_values, prev)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where((first > 0) & (p1 != p0), (level - p0) / (p1 - p0), 1.0)
    out = np.where(first > 0, x0 + np.clip(t, 0, 1) * (x1 - x0), x1)
    return np.where(never, np.nan, out)


# ------------------------------------------------------------------------------------- any number of tiers


def upper_hull(cost: np.ndarray, quality: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-decreasing upper convex hull of points, as vertex arrays sorted by cost."""
    order = np.lexsort((-quality, cost))
    c, q = cost[order], quality[order]
    keep = np.r_[True, c[1:] != c[:-1]]  # best quality at each distinct cost
    c, q = c[keep], q[keep]
    hull: list[int] = []
    for i in range(len(c)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (c[b] - c[a]) * (q[i] - q[a]) - (q[b] - q[a]) * (c[i] - c[a]) >= 0:
                hull.pop()
            else:
                break
        hull.append(i)
    hc, hq = c[hull], q[hull]
    best = int(np.argmax(hq))
    return hc[: best + 1], hq[: best + 1]


def aiq(hull_cost: np.ndarray, hull_quality: np.ndarray, c_lo: float, c_hi: float) -> float:
    """Mean of the hull's quality over [c_lo, c_hi] (flat beyond its ends)."""
    if c_hi <= c_lo:
        return float(hull_quality[-1])
    inner = hull_cost[(hull_cost > c_lo) & (hull_cost < c_hi)]
    grid = np.r_[c_lo, inner, c_hi]
    return float(np.trapezoid(np.interp(grid, hull_cost, hull_quality), grid) / (c_hi - c_lo))


def saved_at(quality: np.ndarray, cost: np.ndarray, q_top: np.ndarray | float, c_top: np.ndarray | float,
             fraction: float) -> np.ndarray:
    """1 - cost/cost(top) at the cheapest point with quality >= fraction * q_top; NaN if none (last axis = points)."""
    ok = quality >= fraction * np.asarray(q_top)[..., None] - 1e-12
    cheapest = np.where(ok, cost, np.inf).min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        saved = np.where(np.isfinite(cheapest), 1.0 - cheapest / np.asarray(c_top), np.nan)
    return np.where(np.abs(saved) < 1e-9, 0.0, saved)  # equal costs give +-1e-16: report the 0 they are


def oracle_choices(quality: np.ndarray, cost: np.ndarray, n_lambda: int = 200) -> np.ndarray:
    """Oracle frontier: (lambdas, n) tier per item maximising quality - lambda * cost, for a sweep of lambda.

    The first row (lambda = 0) is the classic oracle: the cheapest tier reaching the item's best score.
    """
    dq = quality[:, None, :] - quality[:, :, None]
    dc = cost[:, None, :] - cost[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = (dq / dc)[(dq > 0) & (dc > 0)]
    lambdas = np.r_[0.0, np.quantile(ratios, np.linspace(0, 1, n_lambda)) if ratios.size else [], np.inf]
    choices = np.empty((len(lambdas), len(quality)), dtype=int)
    for i, lam in enumerate(lambdas):
        # The tiny cost term breaks ties toward the cheaper tier; lambda = inf means "cheapest tier".
        value = -cost if np.isinf(lam) else quality - lam * cost - 1e-9 * cost
        choices[i] = value.argmax(axis=1)
    return choices


def oracle_points(quality: np.ndarray, cost: np.ndarray, choices: np.ndarray,
                  weights: np.ndarray | None = None) -> Points:
    """Quality, cost and shares of each row of ``oracle_choices`` (shares only without weights)."""
    n, k = quality.shape
    rows = np.arange(n)
    q_sel, c_sel = quality[rows, choices], cost[rows, choices]
    if weights is None:
        shares = np.stack([(choices == j).mean(axis=1) for j in range(k)], axis=-1)
        return Points(q_sel.mean(axis=1), c_sel.mean(axis=1), shares)
    # Resampled shares are never reported; skipping them keeps the bootstrap to two matrix products.
    return Points(weights @ q_sel.T / n, weights @ c_sel.T / n, np.full((len(weights), len(choices), k), np.nan))


# ------------------------------------------------------------------------------------- bootstrap


def bootstrap_weights(n: int, replicates: int, seed: int) -> np.ndarray:
    """(replicates, n) resampling counts: each row sums to n."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(replicates, n))
    offsets = (np.arange(replicates) * n)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=replicates * n).reshape(replicates, n).astype(float)


def weight_batches(weights: np.ndarray, n: int, budget: int = 4_000_000) -> Iterator[np.ndarray]:
    """Row batches of ``weights`` small enough that a (batch, ~5, n) array stays modest in memory."""
    size = max(1, budget // max(1, 5 * n))
    for start in range(0, len(weights), size):
        yield weights[start:start + size]


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile interval of bootstrap samples (NaN samples dropped); ``None`` when all are NaN."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None
    lo, hi = np.quantile(finite, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def auroc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """P(a random positive outscores a random negative), ties counting half; ``None`` if a class is empty."""
    scores, labels = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos, neg = int(labels.sum()), int((~labels).sum())
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(scores)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2  # average 1-based rank of the tie block
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))
