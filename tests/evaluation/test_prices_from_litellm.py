"""Models a price table lacks are priced from LiteLLM's map: every command that costs with them says so, and a
design writes no price override it did not get from the table."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from litellm_router_ext.cli import main


def _outcomes(path: Path, *, costed: bool, small: str = "gpt-4o-mini", big: str = "gpt-4o") -> Path:
    rng = random.Random(0)
    rows = []
    for i in range(200):
        hard = i % 2 == 0
        text = (f"Prove that the sum of the first {i} odd numbers is a perfect square, with each step shown."
                if hard else f"hi there, friend number {i}")
        cheap: dict[str, float] = {"score": 0.0 if hard and rng.random() < 0.8 else 1.0}
        strong: dict[str, float] = {"score": 1.0}
        if costed:
            cheap["cost_usd"], strong["cost_usd"] = 0.0001, 0.002
        rows.append({"id": f"r-{i}", "source": "mine", "messages": [{"role": "user", "content": text}],
                     "outcomes": {small: cheap, big: strong}})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _notes(args: list[str], report: Path, key: str = "notes") -> list[str]:
    CliRunner().invoke(main, [*args, "--json", str(report), "--quiet"])
    notes: list[str] = json.loads(report.read_text())[key]
    return notes


def test_calibrate_and_gate_say_which_models_litellm_priced(tmp_path: Path) -> None:
    # calibrate picks its cheapest thresholds by these costs: where they came from belongs in its report
    data = str(_outcomes(tmp_path / "mine.jsonl", costed=False))
    calibrated = _notes(["calibrate", "--data", data, "--router", "heuristic", "--target", "0.9",
                         "--out", str(tmp_path / "r.yaml"), "--bootstrap", "0"], tmp_path / "c.json")
    gated = _notes(["gate", "--data", data, "--router", "heuristic", "--target", "0.5", "--bootstrap", "0"],
                   tmp_path / "g.json", key="warnings")
    for notes in (calibrated, gated):
        assert any("priced from LiteLLM's price map" in n and "gpt-4o-mini ($0.15" in n for n in notes), notes


def test_design_writes_only_the_tables_own_prices(tmp_path: Path) -> None:
    # Every outcome records its cost, so nothing needs a price until router.yaml is written: a model LiteLLM
    # knows gets no override (the router reads LiteLLM's map itself), and one nothing prices no longer fails
    # the whole design at the end with a false "record no cost_usd".
    for small, big in (("gpt-4o-mini", "gpt-4o"), ("my-small", "my-big")):
        data = _outcomes(tmp_path / f"{small}.jsonl", costed=True, small=small, big=big)
        out = tmp_path / f"designed-{small}"
        result = CliRunner().invoke(main, ["design", "--data", str(data), "--target", "0.8", "--routers",
                                           "heuristic", "--out", str(out), "--quiet"])
        assert result.exit_code == 0 and "record no cost_usd" not in result.output, result.output
        tiers = yaml.safe_load((out / "router.yaml").read_text())["routers"][0]["tiers"]
        assert [t["model"] for t in tiers] == [small, big] and not any("price" in t for t in tiers)


def test_eval_of_recorded_costs_runs_without_importing_litellm(tmp_path: Path) -> None:
    # LiteLLM is imported on the first price lookup only (2 s, and a price-map download without
    # LITELLM_LOCAL_MODEL_COST_MAP): outcomes that record their costs need none.
    data = _outcomes(tmp_path / "costed.jsonl", costed=True)
    code = ("import sys\nfrom click.testing import CliRunner\nfrom litellm_router_ext.cli import main\n"
            f"r = CliRunner().invoke(main, ['eval', '--data', {str(data)!r}, '--router', 'heuristic', "
            "'--bootstrap', '0', '--quiet'])\nassert r.exit_code == 0, r.output\n"
            "print('litellm' in sys.modules)")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
