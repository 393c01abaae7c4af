"""``litellm-router design`` end to end on a slice of llmrouter-train (skipped without ../shared/data),
and the designer's guarantee over repeated random splits of the shared set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.cli import main
from litellm_router_ext.config import load_config
from litellm_router_ext.evaluation import design as d
from litellm_router_ext.evaluation.dataset import calibration_mask, load_eval_set
from litellm_router_ext.evaluation.outcomes import RecordedOutcomes
from litellm_router_ext.evaluation.prices import load_prices
from tests.evaluation.conftest import record, write_set

REQUIRED = {"ladder": list, "router": str, "target": float, "delta": float, "calibration_bound": float,
            "test_quality_retained": float, "test_cost_saved": float}


def _slice(shared: Path, folder: Path, lines: int) -> Path:
    path = folder / "llmrouter-slice.jsonl"
    with (shared / "llmrouter-train.jsonl").open(encoding="utf-8") as src:
        path.write_text("".join(next(src) for _ in range(lines)), encoding="utf-8")
    shutil.copy(shared / "models.json", folder / "models.json")
    return path


def test_design_on_a_llmrouter_slice_writes_configs_and_json(shared_data: Path, tmp_path: Path) -> None:
    data = _slice(shared_data, tmp_path, 2500)
    out, report = tmp_path / "out", tmp_path / "design.json"
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--target", "0.95", "--out", str(out),
                                       "--json", str(report), "--plot", str(tmp_path / "frontier.html"),
                                       "--max-tiers", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(report.read_text())
    for key, kind in REQUIRED.items():
        assert isinstance(payload[key], kind), key
    assert "escalation_rate" in payload and payload["escalation_rate"] is None  # no responses: no cascade
    assert payload["calibration_bound"] <= 1 - 0.95
    assert payload["test_cost_saved"] > 0
    router = load_config(out / "router.yaml").router("designed")
    assert [t.model for t in router.tiers] == payload["ladder"]
    assert (out / "config.yaml").is_file() and "<svg" in (tmp_path / "frontier.html").read_text()
    assert "recommended" in result.output and "guarantee" in result.output


def test_unreachable_target_exits_non_zero_and_writes_nothing(shared_data: Path, tmp_path: Path) -> None:
    data = _slice(shared_data, tmp_path, 1500)
    out, report = tmp_path / "out", tmp_path / "design.json"
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--target", "1.0", "--out", str(out),
                                       "--json", str(report), "--max-tiers", "2"])
    assert result.exit_code == 1
    assert "not reachable" in result.output and "best frontier point" in result.output
    assert not out.exists()
    payload = json.loads(report.read_text())
    assert payload["reached"] is False and payload["best_frontier_point"] is not None


def test_unreachable_exit_code_without_shared_data(tmp_path: Path) -> None:
    records = [record(i, "hi" if i % 2 else "Prove the lemma rigorously.", float(i % 2), 1.0) for i in range(200)]
    data = write_set(tmp_path, records)
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--target", "1.0", "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 1 and "not reachable" in result.output


def test_user_mistakes_are_one_clean_message(tmp_path: Path) -> None:
    data = write_set(tmp_path, [record(i, "hi", 1.0, 1.0) for i in range(50)])
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--candidates", "cheap,nope", "--out",
                                       str(tmp_path / "o")])
    assert result.exit_code == 1 and "'nope' has no outcomes" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--routers", "magic", "--out",
                                       str(tmp_path / "o")])
    assert result.exit_code == 2 and "unknown family 'magic'" in result.output
    same_price = tmp_path / "same"  # no ladder climbs to a dearer model: was an AssertionError traceback
    same_price.mkdir()
    data = write_set(same_price, [record(i, "hi" if i % 2 else "Prove it.", float(i % 2), 1.0) for i in range(50)])
    (same_price / "models.json").write_text(json.dumps({m: {"input_usd_per_mtok": 1, "output_usd_per_mtok": 1}
                                                        for m in ("cheap", "strong")}))
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no two candidate models differ in mean cost" in result.output


@pytest.fixture(scope="module")
def llmrouter(shared_data: Path) -> tuple[object, d.Family]:
    eval_set = load_eval_set(shared_data / "llmrouter-train.jsonl")
    models = ["gemma-2-9b-it", "qwen2.5-7b-instruct", "llama-3.1-8b-instruct", "llama-3.1-nemotron-51b-instruct"]
    table = RecordedOutcomes(load_prices(shared_data / "models.json")).table(eval_set, models)
    spec = d.FamilySpec("heuristic", d.ScorerConfig(name="heuristic"))
    return table, spec.on(table.items)


def test_test_loss_exceeds_the_tolerance_in_at_most_delta_of_random_splits(llmrouter: tuple[object, d.Family]) -> None:
    table, fam = llmrouter
    target, delta, runs = 0.98, 0.05, 12
    violations = reached = 0
    for seed in range(runs):
        calib = np.array(calibration_mask(table.items, 0.7, seed=100 + seed), dtype=bool)  # type: ignore[attr-defined]
        sub = d.Family(fam.name, fam.scorer, fam.scores[calib])
        result = d.design(table.take(calib), [sub], target=target, delta=delta, frontier=False,  # type: ignore[attr-defined]
                          seed=seed, max_tiers=3, holdout=int((~calib).sum()))
        if not result.reached:
            continue
        reached += 1
        held = d.check(result, table.take(~calib), [d.Family(fam.name, fam.scorer, fam.scores[~calib])])  # type: ignore[attr-defined]
        assert held is not None and held.saved > 0
        violations += held.retained < target
    assert reached >= runs // 2
    assert violations / runs <= delta


def test_design_warns_when_the_shipped_learned_predictor_was_trained_on_the_data(shared_data: Path,
                                                                               tmp_path: Path) -> None:
    # Learn-then-test assumes the scorer never saw the calibration items; the shipped one saw llmrouter-train.
    trained_on = tmp_path / "llmrouter-train.jsonl"
    with (shared_data / "llmrouter-train.jsonl").open(encoding="utf-8") as src:
        trained_on.write_text("".join(next(src) for _ in range(600)), encoding="utf-8")
    shutil.copy(shared_data / "models.json", tmp_path / "models.json")
    args = ["--routers", "learned", "--target", "0.9", "--max-tiers", "2"]

    def notes(data: Path, name: str) -> list[str]:
        report = tmp_path / f"{name}.json"  # one report per run: none can pass on a previous run's file
        result = CliRunner().invoke(main, ["design", "--data", str(data), "--out", str(tmp_path / name),
                                           "--json", str(report), *args])
        assert result.exit_code in (0, 1), result.output  # 1: the target not reached, still a report
        found: list[str] = json.loads(report.read_text())["notes"]
        return found

    assert any("trained on 600 of these 600 prompts" in n and "optimistic" in n for n in notes(trained_on, "a"))
    (tmp_path / "fresh").mkdir()
    renamed = _slice(shared_data, tmp_path / "fresh", 600)  # the same prompts under another name: still in-sample
    assert any("600 of these 600" in n for n in notes(renamed, "b"))
    unseen = tmp_path / "unseen.jsonl"  # prompts the shipped predictor never saw: no warning
    unseen.write_text("".join(json.dumps({**json.loads(line), "messages": [{"role": "user", "content": (
        json.loads(line)["messages"][-1]["content"] + " (reworded)")}]}) + "\n"
        for line in renamed.read_text(encoding="utf-8").splitlines()), encoding="utf-8")
    assert not any("optimistic" in n for n in notes(unseen, "c"))


def test_what_the_design_leaves_out_is_said(tmp_path: Path) -> None:
    # A model missing on some items was left out of --candidates all without a word, and --test-data equal to
    # --data was reported as a check on fresh items.
    records = [record(i, "hi" if i % 2 else "Prove the lemma rigorously.", float(i % 2), 1.0) for i in range(200)]
    for r in records[:150]:
        r["outcomes"]["mid"] = {"score": 1.0}  # type: ignore[index]
    data = write_set(tmp_path, records)
    result = CliRunner().invoke(main, ["design", "--data", str(data), "--test-data", str(data), "--target", "0.9",
                                       "--out", str(tmp_path / "out"), "--json", "-", "--quiet"])
    notes = json.loads(result.output)["notes"]
    assert any("leaves out mid (outcomes on 150 of 200 items)" in n for n in notes), notes
    assert any("200 of the 200 --test-data items are also in --data" in n for n in notes), notes


def test_an_existing_design_is_refused_before_the_run_naming_the_file(tmp_path: Path) -> None:
    # It ran the whole design, then said "<config>: .../router.yaml already exists"
    out = tmp_path / "out"
    out.mkdir()
    (out / "router.yaml").write_text("routers: []\n")
    missing = tmp_path / "not-there.jsonl"  # a run would fail on it: the refusal comes first
    result = CliRunner().invoke(main, ["design", "--data", str(missing), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{out / 'router.yaml'}: already exists; pass --force" in " ".join(result.output.split())
