"""The bound on synthetic data with a known mean: coverage, tightness, and the learn-then-test walk."""

from __future__ import annotations

import numpy as np
import pytest

from litellm_router_ext.evaluation import guarantee as g

DELTA = 0.1


def test_upper_bound_covers_a_known_mean_and_is_tight() -> None:
    rng = np.random.default_rng(0)
    misses, widths = 0, []
    for _ in range(300):
        x = (rng.uniform(size=400) < 0.3).astype(float)
        bound = g.wsr_upper_bound(x, DELTA)
        misses += bound < 0.3
        widths.append(bound - x.mean())
    assert misses / 300 <= DELTA  # expected well under DELTA: the bound is conservative
    assert 0 < np.mean(widths) < 0.07  # and not vacuous: Hoeffding alone would be 0.054 + no variance gain


def test_bound_adapts_to_low_variance() -> None:
    rng = np.random.default_rng(1)
    rare = (rng.uniform(size=2000) < 0.01).astype(float)
    common = (rng.uniform(size=2000) < 0.5).astype(float)
    assert g.wsr_upper_bound(rare, 0.05) - rare.mean() < 0.5 * (g.wsr_upper_bound(common, 0.05) - common.mean())


def test_pvalue_is_valid_at_the_null_boundary_and_powerful_away_from_it() -> None:
    rng = np.random.default_rng(2)
    at_null = rng.uniform(size=(400, 300)) < 0.4  # mean exactly the tested level
    rejections = (g.wsr_pvalue(at_null.astype(float), 0.4, DELTA) <= DELTA).mean()
    assert rejections <= DELTA
    far = (rng.uniform(size=(50, 300)) < 0.2).astype(float)
    assert (g.wsr_pvalue(far, 0.4, DELTA) <= DELTA).mean() > 0.95


def test_losses_outside_unit_interval_are_refused() -> None:
    with pytest.raises(ValueError, match="rescale"):
        g.wsr_pvalue(np.array([0.2, 1.5]), 0.5, 0.1)


def test_relative_loss_bound_covers_the_true_relative_loss() -> None:
    rng = np.random.default_rng(3)
    misses = 0
    true_loss = 1 - 0.55 / 0.6
    for _ in range(200):
        best = (rng.uniform(size=1500) < 0.6).astype(float)
        routed = best * (rng.uniform(size=1500) < 0.55 / 0.6)  # the router loses 1/12 of best's successes
        misses += g.relative_loss_upper_bound(best, routed, DELTA, anchor=0.1) < true_loss
    assert misses / 200 <= DELTA


def test_bound_below_anchor_exactly_when_the_anchor_test_rejects() -> None:
    rng = np.random.default_rng(4)
    for drop in (0.0, 0.02, 0.05, 0.1):
        best = (rng.uniform(size=2000) < 0.6).astype(float)
        routed = best * (rng.uniform(size=2000) >= drop)
        p = g.relative_loss_pvalues(best, routed[None, :], 0.05, DELTA)[0]
        bound = g.relative_loss_upper_bound(best, routed, DELTA, anchor=0.05)
        assert (p <= DELTA) == (bound <= 0.05 + 1e-6), (drop, p, bound)


def test_fixed_sequence_stops_at_the_first_failure() -> None:
    assert g.fixed_sequence(np.array([0.01, 0.02, 0.2, 0.01]), 0.05).certified == 1
    assert g.fixed_sequence(np.array([0.5, 0.01]), 0.05).certified == -1
    assert g.fixed_sequence(np.array([0.01, 0.01]), 0.05).certified == 1


def test_learn_then_test_certifies_only_points_within_the_tolerated_loss() -> None:
    rng = np.random.default_rng(5)
    best = (rng.uniform(size=3000) < 0.6).astype(float)
    drops = np.linspace(0, 0.2, 21)  # relative loss of each successive operating point
    routed = np.stack([best * (rng.uniform(size=3000) >= d) for d in drops])
    result = g.learn_then_test(best, routed, 0.05, DELTA)
    assert 0 <= result.certified < 5  # drop 0.05 is the true boundary; the bound costs a little


def test_alert_band_contains_the_rate_and_widens_for_small_windows() -> None:
    lo, hi = g.alert_band(300, 1000, window=50)
    assert lo < 0.3 < hi
    lo_big, hi_big = g.alert_band(300, 1000, window=5000)
    assert lo < lo_big < 0.3 < hi_big < hi
