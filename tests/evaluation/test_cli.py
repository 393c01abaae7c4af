"""The eval / calibrate / gate commands through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from litellm_router_ext.cli import main

from .conftest import record, write_set

ROUTER = {"routers": [{"alias": "r", "tiers": [{"name": "small", "model": "cheap"},
                                               {"name": "large", "model": "strong"}],
                       "scorers": [{"name": "heuristic"}], "thresholds": [0.99]}]}


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_eval_writes_the_documented_json(small_set: Path, tmp_path: Path):
    out, plot = tmp_path / "out.json", tmp_path / "plot.html"
    result = _run("eval", "--data", str(small_set), "--bootstrap", "20", "--json", str(out), "--plot", str(plot))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["n"] == 40 and data["tiers"] == ["cheap", "strong"]
    names = [r["router"] for r in data["results"]]
    assert names[:4] == ["cheap", "strong", "random", "oracle"] and "heuristic" in names
    heuristic = next(r for r in data["results"] if r["router"] == "heuristic")
    assert set(heuristic) >= {"quality", "cost_usd", "apgr", "cpt50", "cpt80", "aiq", "saved_at_95", "saved_at_99"}
    # The heuristic ranks the proofs above the chit-chat, so it routes perfectly here.
    assert heuristic["apgr"] > 0.7
    assert "<svg" in plot.read_text()


def test_eval_on_the_packaged_sample_needs_no_arguments():
    result = _run("eval", "--bootstrap", "0", "--categories", "0", "--worst", "0")
    assert result.exit_code == 0, result.output
    assert "280 items" in result.output and "oracle" in result.output


def test_piped_report_keeps_every_column():
    # Piped output (CI logs) once fell back to 80 columns and dropped saved95/saved99 from the table.
    result = CliRunner().invoke(main, ["eval", "--bootstrap", "0", "--categories", "0"], env={"COLUMNS": None},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "quality" in line and "router" in line)
    assert "saved95" in header and "saved99" in header
    regression_header = next(line for line in result.output.splitlines() if " difficulty " in line)
    assert "tier" in regression_header and "prompt" in regression_header


def test_a_litellm_baselines_regressions_show_its_score_not_a_difficulty():
    # LiteLLM's heuristic scores are unbounded (below 0 for short prompts): under "difficulty" they read as a bug
    result = _run("eval", "--router", "litellm-heuristic", "--router", "heuristic", "--bootstrap", "0",
                  "--categories", "0", "--worst", "1")
    assert result.exit_code == 0, result.output
    headers = [line for line in result.output.splitlines() if " prompt " in line and " tier " in line]
    assert len(headers) == 2 and "LiteLLM score" in headers[0] and " difficulty " in headers[1]


def test_malformed_line_is_one_clean_error_with_its_line_number(tmp_path: Path):
    path = write_set(tmp_path, [record(0, "a", 1, 1), record(1, "b", 0, 1)])
    path.write_text(path.read_text() + '{"id": "t-2", "messages": [\n')
    result = _run("eval", "--data", str(path))
    assert result.exit_code == 1
    assert "set.jsonl:3: not valid JSON" in result.output and "Traceback" not in result.output


def test_calibrate_then_gate_on_held_out_split(small_set: Path, tmp_path: Path):
    config = tmp_path / "router.yaml"
    original = "# owned by team X\n" + yaml.safe_dump(ROUTER)
    config.write_text(original)
    common = ["--data", str(small_set), "--bootstrap", "50", "--calib-fraction", "0.5"]
    result = _run("calibrate", *common, "--router", str(config), "--target", "0.98", "--json", str(tmp_path / "c.json"))
    assert result.exit_code == 0, result.output
    calibrated = json.loads((tmp_path / "c.json").read_text())
    assert calibrated["reached"] and calibrated["heldout"]["ratio"] >= 0.98
    # the chosen thresholds' own bound cleared the target; the best over all cuts may be higher (a walk-through
    # read that one as the chosen thresholds')
    assert 0.98 <= calibrated["lower_bound"] <= calibrated["best_lower_bound"]
    assert f"reached ({calibrated['lower_bound']:.1%})" in " ".join(result.output.split())
    n_calib = calibrated["calibration"]["n"]
    assert n_calib < 30 and any(f"only {n_calib} calibration items" in note for note in calibrated["notes"])
    assert yaml.safe_load(config.read_text())["routers"][0]["thresholds"] == calibrated["thresholds"]
    assert config.read_text().startswith("# owned by team X\n")  # only the values changed
    assert (tmp_path / "router.yaml.bak").read_text() == original  # rewritten in place: the original is kept

    passed = _run("gate", *common, "--split", "test", "--router", str(config), "--target", "0.98",
                  "--slice", "proof", "--json", "-", "--quiet")
    assert passed.exit_code == 0, passed.output
    verdict = json.loads(passed.output)
    assert verdict["passed"] and [c["scope"] for c in verdict["checks"]] == ["all", "category:proof"]
    few = {c["scope"]: c["n"] for c in verdict["checks"] if c["n"] < 30}
    assert few and all(any(w.startswith(f"{scope}: only {n} items") for w in verdict["warnings"])
                       for scope, n in few.items())  # a pass on a handful of items is flagged, not hidden

    failed = _run("gate", *common, "--split", "test", "--router", str(config), "--target", "1.2", "--json", "-",
                  "--quiet")
    assert failed.exit_code == 1 and json.loads(failed.output)["passed"] is False


def test_unreachable_target_fails_calibration_and_writes_nothing(small_set: Path, tmp_path: Path):
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump(ROUTER))
    before = config.read_text()
    result = _run("calibrate", "--data", str(small_set), "--bootstrap", "50", "--router", str(config),
                  "--target", "1.2")
    assert result.exit_code == 1
    assert "not reachable" in result.output and "nothing was written" in result.output and config.read_text() == before


def test_calibrate_without_resamples_says_it_used_the_point_estimate(small_set: Path, tmp_path: Path):
    result = _run("calibrate", "--data", str(small_set), "--bootstrap", "0", "--router", "heuristic",
                  "--out", str(tmp_path / "r.yaml"), "--target", "0.9", "--json", str(tmp_path / "c.json"))
    assert result.exit_code == 0, result.output
    assert "point estimate, --bootstrap 0" in result.output and "95% bound" not in result.output
    assert json.loads((tmp_path / "c.json").read_text())["confidence"] is None


def test_calibrate_says_a_cascade_is_left_out_of_its_thresholds(small_set: Path, tmp_path: Path):
    config = tmp_path / "router.yaml"
    for cascade, said in ((None, False), ({"validators": [{"name": "refusal"}]}, True)):
        router = {**ROUTER["routers"][0], **({"cascade": cascade} if cascade else {})}
        config.write_text(yaml.safe_dump({"routers": [router]}))
        result = _run("calibrate", "--data", str(small_set), "--bootstrap", "0", "--router", str(config),
                      "--target", "0.9")
        assert result.exit_code == 0, result.output
        assert ("has a cascade: these thresholds are set on routing alone" in " ".join(result.output.split())) == said


def test_eval_trace_says_why_each_item_escalated(tmp_path: Path):
    records = [record(i, "hi", 1.0, 1.0, response="Sure, here it is.") for i in range(4)]
    records += [record(i, "hi", 0.0, 1.0, response="I cannot help with that.") for i in range(4, 8)]
    for r in records:
        r["outcomes"]["strong"]["response"] = "Here is the answer."
    data = write_set(tmp_path, records)
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{**ROUTER["routers"][0], "thresholds": [0.99],
                                                   "cascade": {"validators": [{"name": "refusal"}]}}]}))
    trace = tmp_path / "trace.jsonl"
    result = _run("eval", "--data", str(data), "--router", str(config), "--bootstrap", "0", "--trace", str(trace))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert len(lines) == 8 and {line["router"] for line in lines} == {"r+cascade"}
    refused = next(line for line in lines if line["id"] == "t-5")
    first = refused["attempts"][0]
    assert (refused["routed"], refused["final"]) == ("small", "large") and len(refused["attempts"]) == 2
    assert first["accepted"] is False and first["validator"] == "refusal" and first["correct"] is False
    assert "refus" in first["reason"]
    kept = next(line for line in lines if line["id"] == "t-1")
    assert kept["final"] == "small" and kept["attempts"][0]["accepted"] is True
    written = trace.read_text()
    assert not any(text in written for text in ("Sure, here it is.", "I cannot help with that.", "Here is the answer."))


def test_a_ladder_the_config_does_not_fit_says_where_the_ladder_came_from(small_set: Path, tmp_path: Path):
    three = {"routers": [{**ROUTER["routers"][0], "thresholds": [0.3, 0.6],
                          "tiers": [{"name": n, "model": n} for n in ("a", "b", "c")]}]}
    config = tmp_path / "three.yaml"
    config.write_text(yaml.safe_dump(three))
    result = _run("eval", "--data", str(small_set), "--router", str(config), "--bootstrap", "0")
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "the ladder replayed has 2 (cheap, strong: --tiers, or a 2-model file's models by cost)" in message
    assert "pass --tiers with 3 model ids" in message


def test_gate_fails_on_an_unknown_slice(small_set: Path, tmp_path: Path):
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump(ROUTER))
    result = _run("gate", "--data", str(small_set), "--router", str(config), "--target", "0.1",
                  "--slice", "no-such-category", "--bootstrap", "0", "--json", "-")
    assert result.exit_code == 1
    checks = json.loads(result.output)["checks"]
    assert checks[0]["passed"] and checks[1]["reason"] == "no items in this slice"


def test_a_reversed_ladder_and_a_renamed_tier_are_pointed_out(small_set: Path, tmp_path: Path):
    def notes(tiers: str) -> list[str]:
        result = _run("eval", "--data", str(small_set), "--tiers", tiers, "--router", "heuristic", "--bootstrap", "0",
                      "--json", "-", "--quiet")
        assert result.exit_code == 0, result.output
        found = list(json.loads(result.stdout)["notes"])
        assert result.stderr == "".join(f"warning: {n}\n" for n in found)  # the quiet user still hears of it
        return found

    assert notes("cheap,strong") == []
    (note,) = notes("strong,cheap")
    assert note.startswith("the ladder is not cheapest first: strong costs")

    config = tmp_path / "router.yaml"
    renamed = {"routers": [{**ROUTER["routers"][0], "tiers": [{"name": "small", "model": "gpt-mini"},
                                                              {"name": "large", "model": "strong"}]}]}
    config.write_text(yaml.safe_dump(renamed))
    gated = _run("gate", "--data", str(small_set), "--router", str(config), "--target", "0.1", "--bootstrap", "0",
                 "--json", "-", "--quiet")
    (warning,) = [w for w in json.loads(gated.stdout)["warnings"] if "replayed" in w]
    assert "small (gpt-mini) as cheap" in warning and "large" not in warning


def test_the_default_ladder_is_not_called_a_wrong_tiers_order(tmp_path: Path) -> None:
    # Without --tiers, a 2-model file is ordered by mean cost per answer, as replay costs it (not by the sum of
    # per-token prices, which can disagree), and the user is never told about a --tiers they did not pass.
    rows = [{"id": f"t-{i}", "source": "t", "category": "c",
             "messages": [{"role": "user", "content": "Explain the proof of the theorem in detail. " * 5}],
             "outcomes": {"a": {"score": float(i % 2)}, "b": {"score": 1.0}}} for i in range(30)]
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "models.json").write_text(json.dumps({
        "a": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 100.0},   # cheap prompts, dear answers
        "b": {"input_usd_per_mtok": 5.0, "output_usd_per_mtok": 5.0}}))
    result = CliRunner().invoke(main, ["eval", "--data", str(data), "--bootstrap", "0", "--json", "-", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["tiers"] == ["a", "b"]  # a's answers cost more per token, but its prompts dominate the bill
    assert not [n for n in report["notes"] if "the ladder is not cheapest first" in n], report["notes"]



def test_a_router_configs_tiers_are_the_ladder_when_the_file_has_them(tmp_path: Path):
    # A 3-model file (as collect --config writes) needs no --tiers to replay the router that names those models.
    rows = [{"id": f"t-{i}", "source": "t", "category": "c", "messages": [{"role": "user", "content": f"q {i}"}],
             "outcomes": {"cheap": {"score": 0.0, "cost_usd": 0.001}, "mid": {"score": 1.0, "cost_usd": 0.002},
                          "strong": {"score": 1.0, "cost_usd": 0.01}}} for i in range(30)]
    data = tmp_path / "three.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    def replay(models: list[str]) -> dict:
        config = tmp_path / "router.yaml"
        config.write_text(yaml.safe_dump({"routers": [{"alias": "r", "thresholds": [0.3, 0.6], "tiers": [
            {"name": f"t{i}", "model": m} for i, m in enumerate(models)]}]}))
        result = _run("eval", "--data", str(data), "--router", str(config), "--bootstrap", "0", "--json", "-")
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))

    report = replay(["cheap", "mid", "strong"])
    assert report["tiers"] == ["cheap", "mid", "strong"] and report["notes"] == []
    backwards = replay(["strong", "mid", "cheap"])
    assert backwards["tiers"] == ["strong", "mid", "cheap"]
    assert [n.split(":")[0] for n in backwards["notes"]] == ["the ladder is not cheapest first"] * 2


def test_two_versions_of_one_config_are_told_apart(small_set: Path, tmp_path: Path):
    # Comparing an edited router.yaml with the one in production: same alias, so both rows were named 'r'.
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(ROUTER))
    new.write_text(yaml.safe_dump({"routers": [{**ROUTER["routers"][0], "thresholds": [0.2]}]}))
    out = tmp_path / "out.json"
    result = _run("eval", "--data", str(small_set), "--router", str(old), "--router", f"{new}#r",
                  "--router", "heuristic", "--bootstrap", "0", "--quiet", "--json", str(out))
    assert result.exit_code == 0, result.output
    rows = {r["router"]: r for r in json.loads(out.read_text())["results"]}
    assert {str(old), f"{new}#r", "heuristic"} <= set(rows) and "r" not in rows
    assert rows[str(old)]["shares"] != rows[f"{new}#r"]["shares"]  # each row is its own config's routing
    # a note about one of them names it by its spec too (tier models replayed by position), not both as 'r'
    renamed = {"routers": [{**ROUTER["routers"][0], "tiers": [{"name": "small", "model": "mini"},
                                                              {"name": "large", "model": "big"}]}]}
    old.write_text(yaml.safe_dump(renamed))
    new.write_text(yaml.safe_dump(renamed))
    assert _run("eval", "--data", str(small_set), "--tiers", "cheap,strong", "--router", str(old), "--router",
                str(new), "--bootstrap", "0", "--quiet", "--json", str(out)).exit_code == 0
    notes = json.loads(out.read_text())["notes"]
    assert any(f"router '{old}' is replayed" in n for n in notes) and not any("router 'r'" in n for n in notes)
    alone = tmp_path / "alone.json"
    assert _run("eval", "--data", str(small_set), "--router", str(old), "--bootstrap", "0", "--quiet",
                "--json", str(alone)).exit_code == 0
    assert "r" in {r["router"] for r in json.loads(alone.read_text())["results"]}  # no clash: still its alias


def test_models_litellm_prices_need_no_price_file(tmp_path: Path):
    # A user's own outcomes under LiteLLM model ids: eval prices them from LiteLLM's map, and says so.
    records = [{**record(i, "hello world", 1.0, 1.0), "outcomes": {"gpt-4o-mini": {"score": 1.0},
                                                                    "made-up-model-x": {"score": 1.0}}}
               for i in range(4)]
    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")  # no models.json beside it
    unknown = CliRunner().invoke(main, ["eval", "--data", str(data), "--bootstrap", "0", "--quiet"])
    assert unknown.exit_code != 0 and "'made-up-model-x'" in unknown.output, unknown.output
    for r in records:
        r["outcomes"] = {"gpt-4o-mini": {"score": 1.0}, "gpt-4o": {"score": 1.0}}
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out.json"
    result = _run("eval", "--data", str(data), "--bootstrap", "0", "--quiet", "--json", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["tiers"] == ["gpt-4o-mini", "gpt-4o"]  # ordered by LiteLLM's prices
    mini = next(r for r in report["results"] if r["router"] == "gpt-4o-mini")
    assert mini["cost_usd"] == pytest.approx(4 * 2 * 0.15 / 1e6)  # 4 x "hello world": 2 input tokens, no output
    assert any("priced from LiteLLM's price map" in n and "gpt-4o-mini ($0.15 / $0.6" in n for n in report["notes"])


def test_calibrate_writes_a_config_for_a_learned_artifact(small_set: Path, tmp_path: Path):
    # `eval --router learned:A.npz` then `calibrate --router learned:A.npz --out` crashed after the whole run
    import litellm_router_ext

    artifact = Path(litellm_router_ext.__file__).parent / "data" / "learned" / "difficulty.npz"
    out = tmp_path / "routers" / "r.yaml"  # a folder that does not exist yet
    result = _run("calibrate", "--data", str(small_set), "--bootstrap", "0", "--router", f"learned:{artifact}",
                  "--out", str(out), "--target", "0.9", "--json", str(tmp_path / "new" / "c.json"))
    assert result.exit_code == 0, result.output
    (scorer,) = yaml.safe_load(out.read_text())["routers"][0]["scorers"]
    assert scorer["name"] == "learned" and (out.parent / scorer["params"]["artifact"]).resolve() == artifact.resolve()
    assert json.loads((tmp_path / "new" / "c.json").read_text())["reached"]
    gated = _run("gate", "--data", str(small_set), "--router", str(out), "--target", "0.5", "--quiet")
    assert gated.exit_code == 0, gated.output  # the written config loads, artifact and all


def test_a_repeated_data_file_is_refused_not_dropped(small_set: Path):
    # click kept the last --data without a word: a CI gate checked one of the two files it was given
    result = CliRunner().invoke(main, ["gate", "--data", str(small_set), "--data", str(small_set), "--router",
                                       "heuristic", "--target", "0.5"])
    assert result.exit_code == 2 and "given 2 times" in result.output and "concatenate" in result.output


def test_an_alias_the_config_lacks_names_the_file(small_set: Path, tmp_path: Path):
    # It said "<config>, key 'routers'": the README promises the file's name in every config error
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump(ROUTER))
    result = CliRunner().invoke(main, ["gate", "--data", str(small_set), "--router", f"{config}#nope", "--target",
                                       "0.5"])
    assert result.exit_code == 1 and f"{config}, key 'routers': no router 'nope'" in " ".join(result.output.split())


def test_every_report_names_the_price_table_it_used(small_set: Path, tmp_path: Path):
    # a models.json beside --data set every cost, and no report said it was read
    beside = str((small_set.parent / "models.json").resolve())
    ran = _run("eval", "--data", str(small_set), "--bootstrap", "0", "--json", "-", "--quiet")
    gated = _run("gate", "--data", str(small_set), "--router", "heuristic", "--target", "0.1", "--json", "-",
                 "--quiet")
    calibrated = _run("calibrate", "--data", str(small_set), "--bootstrap", "0", "--router", "heuristic", "--out",
                      str(tmp_path / "r.yaml"), "--target", "0.5", "--json", "-", "--quiet")
    for result in (ran, gated, calibrated):
        assert json.loads(result.output)["prices"] == beside, result.output
