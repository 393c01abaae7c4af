"""eval, calibrate and gate of ``folder/router.yaml`` find a custom scorer or check in a module beside it, as the
LiteLLM proxy and ``check`` do, wherever they run from; ``sys.path`` is left as it was."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import litellm_router_ext as lre
from litellm_router_ext.cli import main

from .conftest import record, write_set
from .test_live import write_items

SCORER = '''
class ByLength:
    name = "by_length"

    def score(self, request):
        return 1.0 if len(request.text) > 10 else 0.0
'''
CHECKS = '''
def check_answer(answer):
    return "wrong" not in answer.text
'''


def forget() -> None:
    """Each command must find the modules itself, not reuse those an earlier one imported."""
    for name in [n for n in sys.modules if n.startswith("beside_")]:
        del sys.modules[name]


@pytest.fixture
def forget_modules() -> Iterator[None]:
    yield
    forget()


def test_eval_calibrate_and_gate_find_modules_beside_the_config(tmp_path: Path, forget_modules: None) -> None:
    records = [record(i, "hi" if i % 2 else "a long, hard question", 1.0, 1.0,
                      response="wrong" if i % 4 == 1 else "fine") for i in range(40)]
    for r in records:
        r["outcomes"]["strong"]["response"] = "fine"  # type: ignore[index]
    data = write_set(tmp_path, records)
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "beside_eval_scorer.py").write_text(SCORER, encoding="utf-8")
    (folder / "beside_eval_checks.py").write_text(CHECKS, encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "r", "thresholds": [0.5], "scorers": [{"name": "custom", "path": "beside_eval_scorer.ByLength"}],
        "tiers": [{"name": "small", "model": "cheap"}, {"name": "large", "model": "strong"}],
        "cascade": {"validators": [{"name": "custom", "path": "beside_eval_checks.check_answer"}]}}]}))
    path_before = list(sys.path)

    def run(*args: str) -> dict[str, object]:
        forget()
        result = CliRunner().invoke(main, [*args, "--data", str(data), "--router", str(config), "--bootstrap", "0",
                                           "--json", "-", "--quiet"])
        assert result.exit_code == 0, result.output
        report: dict[str, object] = json.loads(result.stdout)
        return report

    results = {r["router"]: r for r in run("eval")["results"]}  # type: ignore[attr-defined]
    assert results["r"]["shares"] == [0.5, 0.5]  # the custom scorer sent the long questions up
    assert results["r+cascade"]["cascade"]["escalation_rate"] == pytest.approx(0.25)  # the check rejected 'wrong'
    assert run("gate", "--target", "0.5")["passed"] is True
    assert run("calibrate", "--target", "0.5", "--out", str(tmp_path / "calibrated.yaml"))["reached"] is True
    assert sys.path == path_before


def test_design_replays_a_cascade_whose_check_is_beside_its_file(tmp_path: Path, forget_modules: None) -> None:
    # design --cascade PATH.yaml replayed that file's cascade without looking beside the file for its module
    records = [record(i, "hi" if i % 2 else "a long, hard question", 1.0, 1.0,
                      response="wrong" if i % 4 == 1 else "fine") for i in range(400)]
    data = write_set(tmp_path, records)
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "beside_design_checks.py").write_text(CHECKS, encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "r", "thresholds": [0.5], "tiers": [{"name": "small", "model": "cheap"},
                                                    {"name": "large", "model": "strong"}],
        "cascade": {"validators": [{"name": "custom", "path": "beside_design_checks.check_answer"}]}}]}))
    forget()
    designed = CliRunner().invoke(main, ["design", "--data", str(data), "--target", "0.5", "--cascade", str(config),
                                         "--routers", "heuristic,cascade", "--out", str(tmp_path / "designed"),
                                         "--json", str(tmp_path / "design.json")])
    assert designed.exception is None or isinstance(designed.exception, SystemExit), designed.output
    assert "not importable" not in designed.output, designed.output
    assert "heuristic+cascade" in designed.output and "beside_design_checks" in sys.modules  # the check ran


def test_calibrate_finds_them_for_a_config_with_thresholds_out_of_order(tmp_path: Path, forget_modules: None) -> None:
    # such a config is loaded by calibrate itself (its thresholds are what it replaces), not by build_router
    rows = [{"id": f"t-{i}", "source": "t", "category": "c",
             "messages": [{"role": "user", "content": "why " * i}],
             "outcomes": {m: {"score": float(m == "c" or i < 10 * (1 + j)), "cost_usd": c}
                          for j, (m, c) in enumerate((("a", 0.001), ("b", 0.002), ("c", 0.01)))}}
            for i in range(40)]
    data = tmp_path / "three.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "beside_calibrate_scorer.py").write_text(
        "class ByLength:\n    name = 'by_length'\n\n    def score(self, request):\n"
        "        return min(1.0, len(request.text) / 160)\n", encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "r", "thresholds": [0.6, 0.3],
        "scorers": [{"name": "custom", "path": "beside_calibrate_scorer.ByLength"}],
        "tiers": [{"name": n, "model": n} for n in ("a", "b", "c")]}]}))
    forget()
    result = CliRunner().invoke(main, ["calibrate", "--data", str(data), "--router", str(config), "--target", "0.5",
                                       "--bootstrap", "0", "--out", str(tmp_path / "calibrated.yaml"), "--json", "-",
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reached"] is True


# `eval --live` loaded the file itself and installed the loaded object, so nothing beside it was importable.
LIVE_CHECKS = "def check_answer(answer):\n    return True\n"


def test_eval_live_finds_a_custom_check_beside_the_router_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "review_live_checks.py").write_text(LIVE_CHECKS, encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text(yaml.safe_dump({
        "model_list": [
            {"model_name": "small", "litellm_params": {"model": "openai/gpt-4o-mini", "api_key": "sk",
                                                       "mock_response": "#### 0"}},
            {"model_name": "large", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk",
                                                       "mock_response": "#### 0"}}],
        "routers": [{"alias": "r", "thresholds": [0.99], "sticky": False,
                     "tiers": [{"name": "small", "model": "small"}, {"name": "large", "model": "large"}],
                     "cascade": {"validators": [{"name": "custom", "path": "review_live_checks.check_answer"}]}}]}))
    data = write_items(tmp_path / "set.jsonl", 2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sys.modules.pop("review_live_checks", None)
    try:
        result = CliRunner().invoke(main, ["eval", "--live", "--router", str(config), "--data", str(data),
                                           "--out", str(tmp_path / "out.jsonl")])
    finally:
        lre.uninstall()
        sys.modules.pop("review_live_checks", None)
    assert result.exit_code == 0, result.output
