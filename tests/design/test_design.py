"""The designer on synthetic ladders: it saves money, writes loadable configs, and keeps its guarantee."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from litellm_router_ext.config import load_config
from litellm_router_ext.errors import ConfigError
from litellm_router_ext.evaluation import design as d
from litellm_router_ext.evaluation.prices import Price, PriceTable

from .conftest import family, population, table_of

PRICES = PriceTable({"cheap": Price(1.0, 1.0), "mid": Price(3.0, 3.0), "top": Price(10.0, 10.0)}, "prices.json")


def test_ladders_rise_strictly_in_cost_and_shapes_end_at_one() -> None:
    assert d.ladders(np.array([1.0, 2.0, 2.0, 5.0]), 3) == [
        (0, 1), (0, 2), (0, 3), (1, 3), (2, 3), (0, 1, 3), (0, 2, 3)]
    assert d.shapes(2) == [(1.0,)]
    assert all(s[-1] == 1.0 and list(s) == sorted(s) for s in d.shapes(4))


def test_threshold_path_starts_with_everything_at_the_top_and_is_config_valid() -> None:
    scores = np.random.default_rng(0).uniform(size=500)
    path = d.threshold_path(scores, (0.5, 1.0))
    assert (d.start_tiers(scores, path[:1]) == 2).all()  # lambda = 0: always the top tier
    assert np.all(np.diff(path, axis=1) > 0) and path.min() >= 0 and path.max() <= 1
    bottom = (d.start_tiers(scores, path) == 0).mean(axis=1)
    assert np.all(np.diff(bottom) >= 0)  # larger lambda keeps more traffic low
    assert abs(bottom[-1] - 0.5) < 0.01


def test_design_saves_cost_and_meets_the_target_on_fresh_traffic(tmp_path: Path) -> None:
    q, c, s = population(6000, seed=1)
    result = d.design(table_of(q[:3000], c[:3000]), [family(s[:3000])], target=0.95, delta=0.05)
    assert result.reached and result.ladder[-1] == "top"
    assert result.calibration_bound is not None and result.calibration_bound <= 0.05
    assert result.certification is not None and result.certification.saved > 0.2
    fresh = d.check(result, table_of(q[3000:], c[3000:]), [family(s[3000:])])
    assert fresh is not None and fresh.retained >= 0.95 and fresh.saved > 0.2
    assert result.bottom_share_band is not None
    assert result.bottom_share_band[0] <= result.certification.bottom_share <= result.bottom_share_band[1]
    paths = d.write_design(result, tmp_path, PRICES, alias="syn")
    router = load_config(tmp_path / "router.yaml").router("syn")
    assert [t.model for t in router.tiers] == result.ladder and list(router.thresholds) == result.thresholds
    proxy = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert {e["model_name"] for e in proxy["model_list"]} >= set(result.ladder)
    assert proxy["litellm_settings"]["custom_provider_map"][0]["provider"] == "tiered"
    with pytest.raises(ConfigError, match="already exists"):
        d.write_design(result, tmp_path, PRICES)
    assert d.write_design(result, tmp_path, PRICES, force=True) == paths


def test_unreachable_target_reports_the_best_frontier_point() -> None:
    q, c, s = population(2000, seed=2)
    result = d.design(table_of(q, c), [family(s)], target=1.05, delta=0.05)
    assert not result.reached and result.thresholds is None
    best = result.best_frontier_point
    assert best is not None and best["saved"] > 0 and best["meets_target"] is False
    # no point reaches 105%: the one shown is the highest-quality point that saves anything
    saving = [p for p in result.frontier if p["overall"] and p["saved"] > 1e-9]
    assert best["retained"] == max(p["retained"] for p in saving)
    with pytest.raises(ValueError, match="did not reach"):
        d.designed_config(result, "x")


def test_best_frontier_point_is_the_cheapest_meeting_the_target_not_the_highest_quality() -> None:
    """100 items: too few to certify 95%, yet several frontier points keep 95% on the calibration split. The best
    is the one saving most among them; the highest-quality point saving anything (what was called best) saves
    far less."""
    q, c, s = population(100, seed=2)
    result = d.design(table_of(q, c), [family(s)], target=0.95, delta=0.05)
    assert not result.reached
    best = result.best_frontier_point
    assert best is not None and best["meets_target"] is True and best["retained"] >= 0.95
    overall = [p for p in result.frontier if p["overall"]]
    assert best["saved"] == max(p["saved"] for p in overall if p["retained"] >= 0.95)
    highest = max((p for p in overall if p["saved"] > 1e-9), key=lambda p: (p["retained"], p["saved"]))
    assert highest["saved"] < best["saved"] - 0.1


def test_reached_design_writes_the_certified_point_and_its_best_frontier_point_meets_the_target(
        tmp_path: Path) -> None:
    q, c, s = population(2000, seed=2)
    result = d.design(table_of(q, c), [family(s)], target=0.95, delta=0.05)
    assert result.reached and result.certification is not None
    best = result.best_frontier_point
    assert best is not None and best["meets_target"] is True and best["retained"] >= 0.95
    d.write_design(result, tmp_path, PRICES)
    assert list(load_config(tmp_path / "router.yaml").router("designed").thresholds) == result.thresholds


def test_the_report_names_the_best_point_by_what_it_is() -> None:
    from rich.console import Console

    from litellm_router_ext.cli.design import render_design

    said = {}
    for name, n, target in (("meets", 100, 0.95), ("misses", 2000, 1.05)):
        q, c, s = population(n, seed=2)
        result = d.design(table_of(q, c), [family(s)], target=target, delta=0.05)
        console = Console(record=True, width=200)
        render_design(result, console, data="syn")
        said[name] = " ".join(console.export_text().split())
    assert "best frontier point (cheapest meeting the target of 95.0% on the calibration split" in said["meets"]
    assert "no frontier point keeps 105.0%" in said["misses"] and "highest-quality point" in said["misses"]


def test_uninformative_scores_save_less_than_informative_ones() -> None:
    q, c, s = population(4000, seed=3)
    informed = d.design(table_of(q, c), [family(s)], target=0.95, delta=0.05, frontier=False)
    noise = np.random.default_rng(9).uniform(size=len(s))
    blind = d.design(table_of(q, c), [family(noise)], target=0.95, delta=0.05, frontier=False)
    assert informed.certification is not None
    assert blind.certification is None or blind.certification.saved < informed.certification.saved


def test_violation_share_over_repeated_calibration_samples_stays_below_delta() -> None:
    """The guarantee itself: over many calibration draws, the true loss on the population exceeds 1 - target
    in at most a delta share of them (observed: none; the test allows delta plus binomial noise)."""
    target, delta, runs = 0.95, 0.1, 40
    q, c, s = population(60_000, seed=4)
    fam, everyone_table = family(s), table_of(q, c)
    rng = np.random.default_rng(5)
    violations = reached = 0
    for run in range(runs):
        rows = rng.choice(len(q), size=1500, replace=False)
        result = d.design(table_of(q[rows], c[rows]), [family(s[rows])], target=target, delta=delta,
                          frontier=False, seed=run)
        if not result.reached:
            continue
        reached += 1
        everyone = d.check(result, everyone_table, [fam])
        assert everyone is not None
        violations += everyone.retained < target
    assert reached >= runs // 2
    assert violations / runs <= delta
