"""Replay over fake routers (explicit scores) with results computed by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from litellm_router_ext.config import parse_config
from litellm_router_ext.evaluation.dataset import load_eval_set
from litellm_router_ext.evaluation.outcomes import RecordedOutcomes
from litellm_router_ext.evaluation.prices import find_prices
from litellm_router_ext.evaluation.replay import evaluate
from litellm_router_ext.evaluation.routers import ReplayRouter

from .conftest import record, write_set


def _table(path: Path, tiers: tuple[str, ...] = ("cheap", "strong")):
    return RecordedOutcomes(find_prices(path, None)).table(load_eval_set(path), tiers)


def test_perfect_and_inverted_routers_against_baselines(small_set: Path):
    table = _table(small_set)
    hard = np.array([0.0] * 20 + [1.0] * 20)
    report = evaluate(table, [ReplayRouter("perfect", hard, (0.5,)), ReplayRouter("inverted", 1 - hard, (0.5,))],
                      bootstrap=50, seed=1)
    perfect, inverted = report.result("perfect"), report.result("inverted")
    # Weak quality .5, strong 1.0: the perfect router reaches 1.0 sending half the calls up.
    assert perfect.quality == 1.0 and perfect.shares == [0.5, 0.5]
    # PGR rises linearly to 1 over x in [0, .5] then stays: area .25 + .5 = .75; CPT(50%) = .25.
    assert perfect.apgr == pytest.approx(0.75)
    assert perfect.cpt50 == pytest.approx(0.25)
    assert inverted.apgr == pytest.approx(0.25) and inverted.quality == 0.5
    assert report.result("random").apgr == pytest.approx(0.5)
    assert report.result("oracle").apgr == pytest.approx(0.75)
    assert report.result("oracle").quality == 1.0
    assert perfect.ci["apgr"] is not None and perfect.ci["quality"][0] <= 1.0
    # Perfect routing keeps 100% of top quality: saved = 1 - cost(perfect) / cost(always strong).
    top = report.result("strong")
    assert perfect.saved_at_99 == pytest.approx(1 - perfect.cost_usd / top.cost_usd)
    assert perfect.regressions["count"] == 0
    assert inverted.regressions["count"] == 20


def test_category_slices_and_json_shape(small_set: Path):
    report = evaluate(_table(small_set), [ReplayRouter("perfect", np.r_[np.zeros(20), np.ones(20)], (0.5,))],
                      bootstrap=0)
    cats = {c["category"]: c for c in report.categories}
    assert cats["proof"]["routers"]["perfect"]["quality"] == 1.0
    assert cats["chat"]["routers"]["perfect"]["top_share"] == 0.0
    data = report.to_dict()
    assert data["n"] == 40 and data["tiers"] == ["cheap", "strong"]
    row = next(r for r in data["results"] if r["router"] == "perfect")
    for key in ("quality", "cost_usd", "apgr", "cpt50", "cpt80", "aiq", "saved_at_95", "saved_at_99"):
        assert isinstance(row[key], float), key


def test_three_tiers_report_aiq_not_apgr(tmp_path: Path):
    records = []
    for i in range(30):
        r = record(i, f"q{i}", float(10 <= i < 20 or i >= 25), 1.0)
        r["outcomes"]["mid"] = {"score": float(i < 20 or i >= 25)}
        records.append(r)
    path = write_set(tmp_path, records)
    (tmp_path / "models.json").write_text(
        '{"cheap": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1},'
        ' "mid": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 3},'
        ' "strong": {"input_usd_per_mtok": 9, "output_usd_per_mtok": 9}}')
    table = _table(path, ("cheap", "mid", "strong"))
    report = evaluate(table, [ReplayRouter("by-id", np.arange(30.0))], bootstrap=20)
    r = report.result("by-id")
    assert r.apgr is None and r.aiq is not None
    oracle = report.result("oracle")
    # The oracle's classic point: mid for i < 10, strong for 20..24 (both cheaper tiers wrong), else cheap.
    assert oracle.quality == 1.0 and oracle.shares == pytest.approx([15 / 30, 10 / 30, 5 / 30])
    assert oracle.aiq >= r.aiq >= report.result("random").aiq - 1e-9
    assert 0 <= r.saved_at_99 <= 1


def test_cascade_replay_escalates_refusals(tmp_path: Path):
    records = [record(i, "hi", 1.0, 1.0, response="Sure, here it is.") for i in range(10)]
    records += [record(i, "hi", 0.0, 1.0, response="I cannot help with that.") for i in range(10, 20)]
    for r in records:
        r["outcomes"]["strong"]["response"] = "Here is the answer."  # a tier without one plays as failed
    path = write_set(tmp_path, records)
    tiers = [{"name": "a", "model": "cheap"}, {"name": "b", "model": "strong"}]
    config = parse_config({"alias": "casc", "tiers": tiers, "thresholds": [0.99],
                           "cascade": {"validators": [{"name": "refusal"}]}}).routers[0]
    table = _table(path)
    report = evaluate(table, [ReplayRouter("casc", np.zeros(20), (0.99,), config)], bootstrap=0)
    routed, cascaded = report.result("casc"), report.result("casc+cascade")
    assert routed.quality == 0.5
    assert cascaded.quality == 1.0 and cascaded.shares == [0.5, 0.5]
    d = cascaded.cascade
    assert d["escalation_rate"] == 0.5 and d["false_accept_rate"] == 0.0 and d["auroc"] == 1.0
    # The 10 refused cheap answers were paid for and thrown away.
    assert d["wasted_usd"] == pytest.approx(table.cost[10:, 0].sum())


def test_cascade_replay_checks_json_against_each_records_own_response_format(tmp_path: Path):
    schema = {"type": "object", "required": ["city"]}
    asked_json = {"type": "json_schema", "json_schema": {"name": "place", "schema": schema}}
    records = [record(i, "where?", 0.0, 1.0, response='{"town": "Oslo"}') for i in range(10)]  # wrong shape
    records += [record(i, "chat", 1.0, 1.0, response='{"town": "Oslo"}') for i in range(10, 20)]
    for r in records:
        r["outcomes"]["strong"]["response"] = '{"city": "Oslo"}'
    for r in records[:10]:
        r["response_format"] = asked_json  # only these asked for the schema; the rest is free text
    path = write_set(tmp_path, records)
    tiers = [{"name": "a", "model": "cheap"}, {"name": "b", "model": "strong"}]
    config = parse_config({"alias": "js", "tiers": tiers, "thresholds": [0.99],
                           "cascade": {"validators": [{"name": "schema"}]}}).routers[0]
    report = evaluate(_table(path), [ReplayRouter("js", np.zeros(20), (0.99,), config)], bootstrap=0)
    cascaded = report.result("js+cascade")
    assert cascaded.quality == 1.0 and cascaded.shares == [0.5, 0.5]  # the schema misses went up, the rest stayed
    assert cascaded.cascade["escalation_rate"] == 0.5 and cascaded.cascade["false_accept_rate"] == 0.0
