"""A cascade with an LLM judge cannot be replayed on recorded answers (replay calls no model): eval reports the
routing without it and says how to measure it; gate refuses. Neither tells the user to set judge_tier, which
changes nothing in replay."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from litellm_router_ext.cli import main

from .conftest import record, write_set


def _judged(tmp_path: Path) -> tuple[Path, Path]:
    records = [record(i, "hi", float(i % 2), 1.0, response="Sure, here it is.") for i in range(8)]
    data = write_set(tmp_path, records)
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "r", "thresholds": [0.99], "tiers": [{"name": "small", "model": "cheap"},
                                                     {"name": "large", "model": "strong"}],
        "cascade": {"validators": [{"name": "refusal"}, {"name": "judge"}], "judge_tier": "large"}}]}))
    return data, config


def test_eval_replays_the_routing_and_says_how_to_measure_a_judged_cascade(tmp_path: Path) -> None:
    data, config = _judged(tmp_path)
    result = CliRunner().invoke(main, ["eval", "--data", str(data), "--router", str(config), "--bootstrap", "0",
                                       "--json", "-", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = [r["router"] for r in report["results"]]
    assert "r" in rows and "r+cascade" not in rows
    (note,) = [n for n in report["notes"] if "judge" in n]
    assert "router 'r' is replayed without its cascade" in note and "replay calls no model" in note
    assert f"litellm-router eval --live --router {config}" in note and "judge_tier" not in note


def test_gate_refuses_a_judged_cascade_and_says_what_to_do(tmp_path: Path) -> None:
    data, config = _judged(tmp_path)
    result = CliRunner().invoke(main, ["gate", "--data", str(data), "--router", str(config), "--target", "0.5",
                                       "--bootstrap", "0"])
    message = " ".join(result.output.split())
    assert result.exit_code == 1 and "Traceback" not in message, message
    assert f"{config}, key 'routers[0].cascade.validators[1]'" in message, message
    assert "replay calls no model" in message and "litellm-router eval --live --router" in message
    assert "judge_tier" not in message


def test_calibrate_does_not_promise_that_gate_and_eval_replay_a_judged_cascade(tmp_path: Path) -> None:
    data, config = _judged(tmp_path)
    out = tmp_path / "calibrated.yaml"
    result = CliRunner().invoke(main, ["calibrate", "--data", str(data), "--router", str(config), "--target", "0.5",
                                       "--bootstrap", "0", "--out", str(out), "--json", "-"])
    (note,) = [n for n in json.loads(result.stdout)["notes"] if "has a cascade" in n]
    assert "`gate` and `eval` replay both" not in note and "`eval --live`" in note, note


def test_gate_refuses_a_judged_cascade_on_outcomes_without_answers_too(tmp_path: Path) -> None:
    # Without recorded answers gate skipped the cascade and gated the routing alone, silently.
    data, config = _judged(tmp_path)
    records = [json.loads(line) for line in data.read_text().splitlines()]
    for r in records:
        for outcome in r["outcomes"].values():
            outcome.pop("response", None)
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = CliRunner().invoke(main, ["gate", "--data", str(data), "--router", str(config), "--target", "0.5",
                                       "--bootstrap", "0"])
    message = " ".join(result.output.split())
    assert result.exit_code == 1 and "replay calls no model" in message, message


def test_gate_says_when_a_cascade_was_not_replayed_for_want_of_answers(tmp_path: Path) -> None:
    # A cascade without a judge on outcomes without answers was gated on its routing alone, with no word of it.
    data = write_set(tmp_path, [record(i, "hi", float(i % 2), 1.0) for i in range(8)])
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "r", "thresholds": [0.99], "tiers": [{"name": "small", "model": "cheap"},
                                                     {"name": "large", "model": "strong"}],
        "cascade": {"validators": [{"name": "refusal"}]}}]}))
    result = CliRunner().invoke(main, ["gate", "--data", str(data), "--router", str(config), "--target", "0.5",
                                       "--bootstrap", "0", "--json", "-", "--quiet"])
    notes = json.loads(result.stdout)["warnings"]
    assert any("has a cascade, not replayed" in n and "routing alone" in n for n in notes), notes
