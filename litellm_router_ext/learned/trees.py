"""Boosted oblivious regression trees in numpy: the learned predictor's non-linear part.

An oblivious tree asks the same question (feature >= threshold) of every node on a level, so a tree of
depth d is d (feature, threshold) pairs plus 2**d leaf values, and scoring one prompt is a gather, a
compare and a table look-up for all trees at once (about 10 us for 900 trees). Training is histogram
based: features are cut into at most 32 quantile bins once, and each level picks the split that most
reduces the weighted squared error summed over the level's nodes. The ensemble is plain arrays, so it
saves into the artifact's ``.npz`` without pickle.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import ArtifactError


@dataclass(frozen=True)
class TreeParams:
    """Boosting settings; the defaults were chosen by cross-validated APGR on the shared sets."""

    rounds: int = 300
    bags: int = 3  # independent ensembles averaged: steadier than one (about +-0.01 APGR between seeds)
    depth: int = 5
    learning_rate: float = 0.05
    l2: float = 20.0  # shrinks leaf values of nodes with little weight
    bins: int = 32
    colsample: float = 0.5
    subsample: float = 0.8
    seed: int = 0


DEFAULT_TREES = TreeParams()


@dataclass(frozen=True)
class ObliviousTrees:
    feature: np.ndarray  # (rounds, depth) int
    threshold: np.ndarray  # (rounds, depth) float
    leaves: np.ndarray  # (rounds, 2**depth) float
    _powers: np.ndarray = field(init=False, repr=False, compare=False)  # bit weights of a leaf index
    _offsets: np.ndarray = field(init=False, repr=False, compare=False)  # each tree's start in leaves.ravel()
    _flat: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.feature.ndim != 2 or self.threshold.shape != self.feature.shape or \
                self.leaves.shape != (self.feature.shape[0], 2 ** self.feature.shape[1]):
            raise ArtifactError(f"tree arrays disagree: features {self.feature.shape}, thresholds "
                                f"{self.threshold.shape}, leaves {self.leaves.shape}; "
                                "retrain with `litellm-router train`")
        rounds, depth = self.feature.shape
        object.__setattr__(self, "_powers", 2 ** np.arange(depth - 1, -1, -1))
        object.__setattr__(self, "_offsets", np.arange(rounds) * 2**depth)
        object.__setattr__(self, "_flat", self.leaves.ravel())

    def reads_within(self, n_features: int) -> bool:
        """Whether the trees read only features ``0 .. n_features - 1`` (a negative index would silently read the last
        one) and hold finite leaves: what an artifact's trees must do to score this version's features."""
        feature = self.feature
        return (feature.size == 0 or (int(feature.min()) >= 0 and int(feature.max()) < n_features)) and bool(
            np.isfinite(self.leaves).all())

    def predict_one(self, x: np.ndarray) -> float:
        """Sum of the trees' leaves for one feature vector, added in ``predict``'s order (tree by tree), so the
        two agree to the last bit and a score never crosses a plateau of the quantile table that ``predict`` cut."""
        idx = (x.take(self.feature) >= self.threshold) @ self._powers
        leaves = self._flat.take(self._offsets + idx)
        return float(np.cumsum(leaves)[-1]) if len(leaves) else 0.0

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Sum of the trees' leaves for each row of ``x``."""
        out = np.zeros(len(x))
        for t in range(self.feature.shape[0]):
            idx = (x[:, self.feature[t]] >= self.threshold[t]) @ self._powers
            out += self.leaves[t][idx]
        return out


def _bin_edges(x: np.ndarray, bins: int) -> list[np.ndarray]:
    qs = np.quantile(x, np.linspace(0.0, 1.0, bins + 1)[1:-1], axis=0).T
    return [np.unique(q) for q in qs]


def fit_trees(x: np.ndarray, target: np.ndarray, weight: np.ndarray, params: TreeParams = DEFAULT_TREES,
              ) -> ObliviousTrees:
    """Boost ``params.bags`` ensembles (different row and column samples) on ``target`` and average them.

    Trees start from zero: centre ``target`` first (the caller keeps its mean as the model's bias).
    """
    edges = _bin_edges(x, params.bins)
    binned = np.zeros(x.shape, dtype=np.min_scalar_type(params.bins))  # uint8 for up to 255 bins: faster to sample
    for f, e in enumerate(edges):
        binned[:, f] = np.searchsorted(e, x[:, f], side="right")
    w = weight / weight.mean()

    def bag(b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _boost(x, binned, edges, target, w, params, np.random.default_rng(params.seed + b))

    # the bags share nothing but read-only inputs, and numpy lets go of the GIL in their heavy steps: threads
    # give the same trees, in the same order, about 1.3x sooner for 3 bags on 2 cores
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(params.bags, cores)  # an interrupt waits for the running bags (a few seconds on full data)
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(bag, range(params.bags)))
    else:
        parts = [bag(b) for b in range(params.bags)]
    feature = np.concatenate([p[0] for p in parts])
    threshold = np.concatenate([p[1] for p in parts])
    leaves = np.concatenate([p[2] for p in parts]) / params.bags
    return ObliviousTrees(feature, threshold, leaves)


def _boost(x: np.ndarray, binned: np.ndarray, edges: list[np.ndarray], residual: np.ndarray, w: np.ndarray,
           params: TreeParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, n_feat = x.shape
    nb = params.bins
    rounds, depth = params.rounds, params.depth
    feature = np.zeros((rounds, depth), dtype=np.int64)
    threshold = np.zeros((rounds, depth))
    leaves = np.zeros((rounds, 2**depth))
    pred = np.zeros(n)
    n_cols = max(1, round(n_feat * params.colsample))
    offsets = (np.arange(n_cols) * nb)[None, :]
    for t in range(rounds):
        g = (residual - pred) * w
        rows = rng.random(n) < params.subsample
        cols = np.sort(rng.choice(n_feat, n_cols, replace=False))
        b_rows, g_rows, w_rows = binned[rows][:, cols], g[rows], w[rows]
        cells = offsets + b_rows  # each row's histogram cell per column, within its node
        g_cells, w_cells = np.repeat(g_rows, n_cols), np.repeat(w_rows, n_cols)  # the same on every level
        keys = np.empty_like(cells)
        node = np.zeros(n, dtype=np.int64)
        for level in range(depth):
            size = (2**level) * n_cols * nb
            key = np.add(cells, (node[rows] * (n_cols * nb))[:, None], out=keys).ravel()
            hist_g = np.bincount(key, weights=g_cells, minlength=size).reshape(-1, n_cols, nb)
            hist_w = np.bincount(key, weights=w_cells, minlength=size).reshape(-1, n_cols, nb)
            left_g = np.cumsum(hist_g, axis=2)[:, :, :-1]
            left_w = np.cumsum(hist_w, axis=2)[:, :, :-1]
            tot_g = hist_g.sum(axis=2, keepdims=True)
            tot_w = hist_w.sum(axis=2, keepdims=True)
            gain = (left_g**2 / (left_w + params.l2) + (tot_g - left_g) ** 2 / (tot_w - left_w + params.l2)).sum(axis=0)
            c, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
            f = int(cols[c])
            cut = float(edges[f][b]) if b < len(edges[f]) else float("inf")
            feature[t, level], threshold[t, level] = f, cut
            node = node * 2 + (x[:, f] >= cut)
        sum_g = np.bincount(node[rows], weights=g_rows, minlength=2**depth)
        sum_w = np.bincount(node[rows], weights=w_rows, minlength=2**depth)
        leaves[t] = params.learning_rate * sum_g / (sum_w + params.l2)
        pred += leaves[t][node]
    return feature, threshold, leaves
