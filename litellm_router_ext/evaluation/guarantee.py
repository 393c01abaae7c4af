"""Finite-sample risk control for threshold choice: betting (WSR) bounds and learn-then-test. Pure numpy.

The designer certifies a router against the best single model b. For a candidate operating point with
routed scores ``s_r`` and the best model's scores ``s_b`` (both in [0, 1]) and a tolerated relative loss
``r`` (``1 - target``), the per-item loss is::

    loss_r = (1 - r) * s_b - s_r          in [-1, 1 - r];   E[loss_r] <= 0  <=>  E[s_r] >= (1 - r) E[s_b]

Each operating point is a hypothesis H0: E[loss_r] > 0, tested with the Waudby-Smith & Ramdas betting
martingale on the losses rescaled to [0, 1] (x = (loss + 1) / 3, tested at 1/3; the span covers every
tolerated loss r in [-1, 1]): the wealth K_i = prod_j (1 - nu_j (x_j - 1/3)) is a non-negative
supermartingale under H0 for any predictable bet nu_j in [0, 1], so by Ville's inequality
p = min(1, 1 / max_i K_i) is a valid p-value. The bets follow the WSR plug-in rule
(nu_i = min(1, sqrt(2 log(1/delta) / (n sigma_{i-1}^2)))), which adapts to the losses' variance: that
matters here because most items lose nothing, and a range-only bound (Hoeffding) would be several times
wider. Learn-then-test (Angelopoulos et al. 2021) walks the hypotheses in a fixed order, most
conservative first, and stops at the first one it cannot reject (fixed-sequence testing needs no
multiplicity correction); with probability >= 1 - delta every point it certifies has E[loss_r] <= 0.

Assumption: the certification items are i.i.d. (exchangeable) draws from the traffic the router will
see, and independent of every choice made before the test (ladder, scorer, threshold grid, item order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _as_rows(x: np.ndarray) -> np.ndarray:
    rows = np.atleast_2d(np.asarray(x, dtype=float))
    if rows.shape[-1] == 0:
        raise ValueError("need at least one loss value")
    if np.any(rows < -1e-12) or np.any(rows > 1 + 1e-12):
        raise ValueError("WSR losses must lie in [0, 1]; rescale them first")
    clipped: np.ndarray = np.clip(rows, 0.0, 1.0)
    return clipped


def wsr_bets(x: np.ndarray, delta: float) -> np.ndarray:
    """Predictable WSR bet sizes for each row of [0, 1] losses ``x`` (shape (..., n)); each uses only the past."""
    rows = _as_rows(x)
    n = rows.shape[-1]
    i = np.arange(1, n + 1)
    mean = (0.5 + np.cumsum(rows, axis=-1)) / (i + 1)
    var = (0.25 + np.cumsum((rows - mean) ** 2, axis=-1)) / (i + 1)
    previous = np.concatenate([np.full((*rows.shape[:-1], 1), 0.25), var[..., :-1]], axis=-1)
    return np.asarray(np.minimum(1.0, np.sqrt(2 * np.log(1 / delta) / (n * previous))))


def wsr_log_wealth(x: np.ndarray, level: float, bets: np.ndarray) -> np.ndarray:
    """max_i log K_i of the bet "mean < ``level``" on each row of [0, 1] losses ``x`` (wealth starts at 1)."""
    rows = _as_rows(x)
    factors = 1.0 - bets * (rows - level)
    with np.errstate(divide="ignore"):
        log_k = np.cumsum(np.log(np.maximum(factors, 0.0)), axis=-1)
    return np.asarray(np.maximum(0.0, log_k.max(axis=-1)))


def wsr_pvalue(x: np.ndarray, level: float, delta: float, bets: np.ndarray | None = None) -> np.ndarray:
    """p-values of H0: E[x] >= ``level`` per row of [0, 1] losses ``x`` (in the given, pre-fixed order)."""
    b = wsr_bets(x, delta) if bets is None else bets
    return np.asarray(np.exp(-wsr_log_wealth(x, level, b)))


def wsr_upper_bound(x: np.ndarray, delta: float, *, tol: float = 1e-6) -> float:
    """Upper 1 - ``delta`` confidence bound on the mean of i.i.d. [0, 1] values ``x`` (WSR, exact bisection)."""
    row = _as_rows(x)[0]
    bets = wsr_bets(row, delta)
    lo, hi = 0.0, 1.0
    if wsr_log_wealth(row, hi, bets)[0] < np.log(1 / delta):
        return 1.0
    # The wealth grows with the level for fixed bets, so the rejection set is an interval [bound, 1].
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if wsr_log_wealth(row, mid, bets)[0] >= np.log(1 / delta):
            hi = mid
        else:
            lo = mid
    return hi


# ----------------------------------------------------------------------------------------- relative loss


LEVEL = 1.0 / 3.0
"""Where ``relative_losses`` puts a zero loss: the level every relative-loss test is run at."""


def relative_losses(best: np.ndarray, routed: np.ndarray, tolerated: float,
                    offset: float | np.ndarray = 0.0) -> np.ndarray:
    """Per-item ``(1 - tolerated) * best - routed + offset`` mapped from [-1, 2] to [0, 1]; any leading shape.

    ``offset`` (>= 0, per row) demands that much margin below zero: E[loss] <= -offset.
    """
    if not -1.0 <= tolerated <= 1.0:
        raise ValueError(f"tolerated relative loss must lie in [-1, 1], got {tolerated}")
    margin = np.asarray(offset, dtype=float)
    if margin.ndim:
        margin = margin.reshape(-1, *([1] * (np.ndim(routed) - 1)))
    loss = (1.0 - tolerated) * np.asarray(best, dtype=float) - np.asarray(routed, dtype=float) + margin
    return np.asarray(np.clip((loss + 1.0) / 3.0, 0.0, 1.0))


def relative_loss_pvalues(best: np.ndarray, routed: np.ndarray, tolerated: float, delta: float,
                          offset: float | np.ndarray = 0.0) -> np.ndarray:
    """p-value per row of H0: E[routed] < (1 - tolerated) E[best] + offset (rows = points, columns = items)."""
    return wsr_pvalue(relative_losses(best, routed, tolerated, offset), LEVEL, delta)


def relative_loss_upper_bound(best: np.ndarray, routed: np.ndarray, delta: float, *, anchor: float,
                              tol: float = 1e-6) -> float:
    """Upper 1 - ``delta`` bound on 1 - E[routed] / E[best] (1-d arrays of one operating point).

    The bets are fixed from the losses at ``anchor`` (the tolerated loss that was tested), so the test is
    monotone in the tolerated loss and the bound is below ``anchor`` exactly when that test rejects.
    """
    bets = wsr_bets(relative_losses(best, routed, anchor), delta)
    threshold = np.log(1 / delta)

    def rejects(r: float) -> bool:
        return bool(wsr_log_wealth(relative_losses(best, routed, r), LEVEL, bets)[0] >= threshold)

    lo, hi = -1.0, 1.0
    if not rejects(hi):
        return 1.0
    if rejects(lo):
        return -1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if rejects(mid):
            hi = mid
        else:
            lo = mid
    return hi


# ----------------------------------------------------------------------------------------- learn then test


@dataclass(frozen=True)
class FixedSequence:
    """Result of fixed-sequence testing along pre-ordered hypotheses."""

    pvalues: np.ndarray
    certified: int
    """Index of the last hypothesis rejected before the first non-rejection; -1 when the first is not."""


def fixed_sequence(pvalues: np.ndarray, delta: float) -> FixedSequence:
    """Reject in order while p <= ``delta``; stop at the first p > ``delta`` (FWER <= ``delta``)."""
    p = np.asarray(pvalues, dtype=float)
    failed = np.flatnonzero(p > delta)
    last = (int(failed[0]) if failed.size else len(p)) - 1
    return FixedSequence(p, last)


def learn_then_test(best: np.ndarray, routed: np.ndarray, tolerated: float, delta: float,
                    offset: float | np.ndarray = 0.0) -> FixedSequence:
    """Certify operating points (rows of ``routed``, most conservative first) at relative loss ``tolerated``.

    ``offset`` (one per row, fixed before this call) asks each point for that much margin to spare.
    """
    return fixed_sequence(relative_loss_pvalues(best, routed, tolerated, delta, offset), delta)


# ----------------------------------------------------------------------------------------- rates


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (two-sided, ~95% for z = 1.96)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def alert_band(successes: int, n: int, window: int, z_window: float = 3.0) -> tuple[float, float]:
    """Band for a rate watched over windows of ``window`` requests: calibration interval plus window noise.

    The 95% Wilson interval of the calibration rate, widened on each side by ``z_window`` binomial standard
    errors of a window of ``window`` requests, so a healthy router rarely leaves it by chance.
    """
    lo, hi = wilson_interval(successes, n)
    lo_w = lo - z_window * np.sqrt(lo * (1 - lo) / window)
    hi_w = hi + z_window * np.sqrt(hi * (1 - hi) / window)
    return float(max(0.0, lo_w)), float(min(1.0, hi_w))
