"""Metrics against small cases computed by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from litellm_router_ext.evaluation import metrics as m


def test_ties_are_split_pro_rata():
    # Scores 0.1, 0.5, 0.5, 0.9 -> blocks [0,1), [1,3), [3,4); values 1, 2, 4, 8 in that order.
    order = m.ScoreOrder(np.array([0.5, 0.9, 0.1, 0.5]))
    assert order.bounds.tolist() == [0, 1, 3, 4]
    sums = order.block_sums(np.array([[2.0, 8.0, 1.0, 4.0]]))
    assert sums.tolist() == [[1.0, 6.0, 8.0]]
    # Half-way into the tied block counts half of its sum: 1 + 3 = 4.
    assert order.prefix(sums, np.array([0, 1, 2, 3, 4]))[0].tolist() == [0.0, 1.0, 4.0, 7.0, 15.0]


def test_two_tier_apgr_and_cpt_by_hand():
    # Four items; weak right on items 0,1; strong right on 0,1,2. Router scores rank item 2 hardest.
    quality = np.array([[1, 1], [1, 1], [0, 1], [0, 0]], dtype=float)
    cost = np.array([[1, 10]] * 4, dtype=float)
    scores = np.array([0.1, 0.2, 0.9, 0.5])
    order = m.ScoreOrder(scores)
    pts = m.sweep(order, quality, cost, m.cut_grid(order, 2))
    # Cuts from 0 (all strong) to 4 (all weak): strong shares 1, .75, .5, .25, 0
    assert pts.shares[:, 1].tolist() == [1.0, 0.75, 0.5, 0.25, 0.0]
    # q_weak = .5, q_strong = .75. Sending item 2 first lifts quality to .75 at x = .25 (PGR 1).
    assert pts.quality.tolist() == [0.75, 0.75, 0.75, 0.75, 0.5]
    x, pgr = pts.shares[::-1, 1], m.pgr(pts.quality[::-1], 0.5, 0.75)
    assert pgr.tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]
    # Area: triangle 0.25 * 1 / 2 + 0.75 * 1 = 0.875
    assert m.apgr(x, pgr) == pytest.approx(0.875)
    assert m.cpt(x, pgr, 0.5) == pytest.approx(0.125)
    assert m.cpt(x, pgr, 0.8) == pytest.approx(0.2)
    # Cost: 4 weak calls = 4; each strong call adds 9 -> mean cost at x=.25 is (4 + 9) / 4.
    assert pts.cost[3] == pytest.approx(13 / 4)


def test_constant_score_is_the_random_router():
    rng = np.random.default_rng(1)
    quality = rng.integers(0, 2, size=(50, 2)).astype(float)
    order = m.ScoreOrder(np.zeros(50))
    pts = m.sweep(order, quality, np.ones((50, 2)), np.linspace(0, 50, 11)[:, None])
    x, pgr = pts.shares[::-1, 1], m.pgr(pts.quality[::-1], quality[:, 0].mean(), quality[:, 1].mean())
    assert m.apgr(x, pgr) == pytest.approx(0.5)


def test_upper_hull_and_aiq():
    cost = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    quality = np.array([0.5, 0.55, 0.8, 0.7, 0.9])
    hc, hq = m.upper_hull(cost, quality)
    # (1, .55) lies under the chord (0,.5)-(2,.8); (3,.7) under (2,.8)-(4,.9).
    assert hc.tolist() == [0.0, 2.0, 4.0]
    assert hq.tolist() == [0.5, 0.8, 0.9]
    # Mean of the hull over [0, 4]: (2*(.5+.8)/2 + 2*(.8+.9)/2) / 4 = 0.75
    assert m.aiq(hc, hq, 0.0, 4.0) == pytest.approx(0.75)


def test_hull_is_flat_after_its_best_point():
    hc, hq = m.upper_hull(np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.9, 0.6]))
    assert hc.tolist() == [0.0, 1.0]
    assert m.aiq(hc, hq, 0.0, 2.0) == pytest.approx((0.7 + 0.9) / 2)


def test_saved_at_picks_the_cheapest_point_meeting_the_target():
    quality = np.array([0.5, 0.79, 0.8, 0.81])
    cost = np.array([1.0, 4.0, 5.0, 7.0])
    assert m.saved_at(quality, cost, 0.8, 10.0, 0.98) == pytest.approx(0.6)  # .79 >= .784
    assert m.saved_at(quality, cost, 0.8, 10.0, 0.99) == pytest.approx(0.5)  # .79 < .792 <= .8
    assert m.saved_at(quality, cost, 0.8, 10.0, 1.01) == pytest.approx(0.3)
    assert np.isnan(m.saved_at(quality, cost, 0.8, 10.0, 1.05))


def test_oracle_points_pick_cheapest_best_tier():
    quality = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=float)
    cost = np.array([[1, 2, 4]] * 4, dtype=float)
    pts = m.oracle_points(quality, cost, m.oracle_choices(quality, cost))
    # lambda = 0: tiers 0, 1, 2, 0 -> quality .75, cost (1 + 2 + 4 + 1) / 4
    assert pts.quality[0] == pytest.approx(0.75)
    assert pts.cost[0] == pytest.approx(2.0)
    # lambda = inf: always the cheapest tier.
    assert pts.quality[-1] == pytest.approx(0.25)


def test_quantile_grid_for_three_tiers_is_non_decreasing_and_bounded():
    order = m.ScoreOrder(np.arange(100.0))
    grid = m.cut_grid(order, 3, max_points=300)
    assert len(grid) <= 300
    assert (np.diff(grid, axis=1) >= 0).all()
    assert grid.min() == 0 and grid.max() == 100


def test_bootstrap_weights_are_seeded_counts():
    a = m.bootstrap_weights(7, 5, seed=3)
    assert a.shape == (5, 7) and (a.sum(axis=1) == 7).all()
    assert (a == m.bootstrap_weights(7, 5, seed=3)).all()
    assert not (a == m.bootstrap_weights(7, 5, seed=4)).all()


def test_auroc_with_ties():
    assert m.auroc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0], dtype=bool)) == 1.0
    # One tie between a positive and a negative counts half: (1 + 0.5) / 2
    assert m.auroc(np.array([0.9, 0.5, 0.5, 0.1]), np.array([1, 0, 1, 0], dtype=bool)) == pytest.approx(0.875)
    assert m.auroc(np.array([0.1]), np.array([True])) is None


def test_no_gap_between_the_tiers_gives_nan_quietly():
    # Equal tier means (a tiny or mocked set) leave nothing to recover: NaN, not +-inf summed into a warning.
    values = m.pgr(np.array([[0.4, 0.5, 0.6]]), np.array([0.5]), np.array([0.5]))
    assert np.isnan(values).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(m.apgr(np.array([0.0, 0.5, 1.0]), values)).all()
