"""LiteLLM's complexity heuristic as a quantile-scale scorer, and its blend with ``learned`` on unseen data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.adapters.litellm_baselines import litellm_heuristic_scores
from litellm_router_ext.adapters.litellm_rules_build import live_score
from litellm_router_ext.cli import main
from litellm_router_ext.config import ScorerConfig
from litellm_router_ext.learned.litellm_rules import load_rules, quantile
from litellm_router_ext.learned.model import DifficultyModel, to_unit
from litellm_router_ext.learned.training import parse_tiers, train
from litellm_router_ext.scorers import build_scorer
from litellm_router_ext.scorers.litellm_heuristic import LiteLLMHeuristicScorer
from litellm_router_ext.types import RequestView
from tests.learned.artifacts import arrays_of, refused

HARD = ("Implement a thread-safe LRU cache in Python with O(1) get and put, explain the algorithm step by step, "
        "then prove its complexity and analyze the trade-offs against a lock-free design.")
EASY = "hi, thanks!"
SHIPPED_TIERS = ("mixtral-8x7b-instruct-v0.1+gemma-2-9b-it+qwen2.5-7b-instruct+llama-3.1-8b-instruct+"
                 "mistral-7b-instruct-v0.3,gpt-4-1106-preview+llama-3.1-nemotron-51b-instruct+"
                 "llama-3.3-nemotron-super-49b-v1")


def view(text: str) -> RequestView:
    return RequestView.from_openai([{"role": "user", "content": text}])


def test_long_prompts_are_scored_on_a_bounded_head_and_tail() -> None:
    # LiteLLM scans the whole text with one regex per keyword; a 1M-character prompt took about 1 s.
    filler = "word " * 200_000
    long = "Write a Python function that parses JSON. " + filler + " Explain step by step."
    cut = long[:4000] + "\n" + long[-4000:]
    rules, _ = load_rules()
    assert rules.raw(long) == rules.raw(cut) == live_score(cut)
    assert rules.raw(long) != rules.raw(long[:4000])  # the tail's "step by step" counts


def test_scorer_is_litellms_score_on_the_quantile_scale() -> None:
    scorer = build_scorer(ScorerConfig(name="litellm-heuristic"))
    assert isinstance(scorer, LiteLLMHeuristicScorer)
    hard, easy = scorer.score(view(HARD)), scorer.score(view(EASY))
    assert 0.0 <= easy < hard <= 1.0
    raw = float(litellm_heuristic_scores([HARD])[0])  # through LiteLLM's own code
    assert hard == pytest.approx(quantile(scorer.knots, raw))


def test_calibrate_accepts_the_scorer_on_its_config_scale(tmp_path: Path) -> None:
    # As a --router for calibrate, the name means the scorer a config would run, not the raw baseline.
    result = CliRunner().invoke(main, ["calibrate", "--router", "litellm-heuristic", "--target", "0.9",
                                       "--out", str(tmp_path / "r.yaml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "litellm-heuristic" in (tmp_path / "r.yaml").read_text()


def test_eval_averages_builtin_scorers_joined_by_plus(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = CliRunner().invoke(main, ["eval", "--router", "learned+litellm-heuristic", "--router", "learned",
                                       "--bootstrap", "0", "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = [r["router"] for r in json.loads(out.read_text())["results"]]
    assert "learned+litellm-heuristic" in names and "learned" in names
    bad = CliRunner().invoke(main, ["eval", "--router", "learned+nope", "--bootstrap", "0"])
    assert bad.exit_code == 1 and "unknown router" in bad.output
    assert "command line, key '--router'" in bad.output and bad.output.count(", litellm-heuristic,") == 1


def test_the_prior_beats_both_parts_on_a_benchmark_left_out_of_training(shared_data: Path, tmp_path: Path) -> None:
    # GSM8K never seen by the learned model: measured 0.617 with the prior, 0.603 without, 0.537 LiteLLM's heuristic.
    others = [shared_data / f"{s}.jsonl" for s in ("routellm-mmlu", "routellm-mtbench", "llmrouter-train")]
    model, _ = train(others, parse_tiers(SHIPPED_TIERS), folds=0, leave_one_out=False, model="linear",
                     litellm_prior=0.5)
    with_prior = model.save(tmp_path / "prior" / "no-gsm8k.npz")
    model.prior = None  # the same fitted model without its prior
    without = model.save(tmp_path / "plain" / "no-gsm8k.npz")
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(main, [
        "eval", "--data", str(shared_data / "routellm-gsm8k.jsonl"), "--router", f"learned:{with_prior}",
        "--router", f"learned:{without}", "--router", "litellm-heuristic", "--bootstrap", "0", "--worst", "0",
        "--categories", "0", "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    apgr = {r["router"]: r["apgr"] for r in json.loads(out.read_text())["results"]}
    assert apgr[f"learned:{with_prior}"] > apgr[f"learned:{without}"] > apgr["litellm-heuristic"] + 0.05


# ------------------------------------------------------------------- the prior inside a trained artifact


def test_train_with_a_litellm_prior_stores_it_and_scores_with_it(synthetic: Path, tmp_path: Path) -> None:
    model, report = train([synthetic], parse_tiers("small,big"), folds=3, litellm_prior=0.5)
    assert model.prior is not None and model.prior.weight == 0.5
    assert model.manifest["litellm_prior"]["weight"] == 0.5 and report.to_dict()["litellm_prior"] == 0.5
    assert set(report.cv_prior_effect) == {"math", "chat"}
    for diff, ci in report.cv_prior_effect.values():
        assert ci is not None and ci[0] <= diff <= ci[1]
    again = DifficultyModel.load(model.save(tmp_path / "p" / "difficulty.npz"))
    assert again.manifest["format_version"] == 3  # an older reader refuses it rather than drop the prior
    texts = [HARD, EASY, "A train travels 9 km per hour for 4 hours. How many km in total?", ""]
    assert [again.score(t) for t in texts] == [model.score(t) for t in texts]
    rules, _ = load_rules()
    for text in texts:  # the average of the two quantiles, mapped back through the blend's own table
        unit = to_unit(model.knots, model.raw(text))
        mixed = 0.5 * unit + 0.5 * quantile(model.prior.knots, rules.raw(text))
        assert model.score(text) == pytest.approx(to_unit(model.prior.blend_knots, mixed))
    assert model.score(texts[2]) > model.score("Say hello to my friend number 7.")


def test_a_prior_of_weight_one_ranks_as_litellms_heuristic(synthetic: Path) -> None:
    model, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False, litellm_prior=1.0)
    plain, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False)
    rules, _ = load_rules()
    texts = [EASY, HARD, "Say hello.", "Debug this Python function and explain the algorithm", "what's 2+2?",
             "Compare and analyze the trade-offs, then prove it step by step: 1. a 2. b",
             "A train travels 9 km per hour for 4 hours. How many km in total? Explain step by step."]

    def against_prior(score: Callable[[str], float]) -> int:  # pairs ordered opposite to LiteLLM's heuristic
        return sum(1 for a in texts for b in texts if rules.raw(a) < rules.raw(b) and score(a) > score(b))

    assert against_prior(model.score) == 0
    assert against_prior(plain.score) > 0  # without the prior the order is the model's own


def test_cli_train_reports_the_priors_effect(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "m" / "difficulty.npz"
    result = CliRunner().invoke(main, ["train", "--data", str(synthetic), "--tiers", "small,big", "--folds", "3",
                                       "--litellm-prior", "0.3", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "LiteLLM prior (0.3) on math" in result.output
    assert DifficultyModel.load(out).prior is not None
    bad = CliRunner().invoke(main, ["train", "--data", str(synthetic), "--tiers", "small,big",
                                    "--litellm-prior", "1.5", "--out", str(out)])
    assert bad.exit_code == 2 and "--litellm-prior" in bad.output


def test_a_relative_rules_path_is_read_from_the_config_files_folder(tmp_path: Path) -> None:
    from litellm_router_ext.config import load_config
    from litellm_router_ext.learned.litellm_rules import default_rules_path

    folder = tmp_path / "deploy"
    folder.mkdir()
    rules = json.loads(default_rules_path().read_text(encoding="utf-8"))
    rules["knots"] = [-1.0, 1.0]  # a table of our own, so the scorer provably read this file
    (folder / "rules.json").write_text(json.dumps(rules), encoding="utf-8")
    (folder / "router.yaml").write_text(
        "routers:\n  - alias: a\n    tiers: [{name: s, model: small}, {name: b, model: big}]\n"
        "    scorers: [{name: litellm-heuristic, params: {rules: rules.json}}]\n    thresholds: [0.5]\n",
        encoding="utf-8")
    scorer = build_scorer(load_config(folder / "router.yaml").routers[0].scorers[0])
    assert isinstance(scorer, LiteLLMHeuristicScorer) and scorer.knots == (-1.0, 1.0)


def test_corrupted_prior_tables_are_refused_on_load(synthetic: Path, tmp_path: Path) -> None:
    model, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False, litellm_prior=0.5)
    path = model.save(tmp_path / "good.npz")
    arrays = arrays_of(path)
    cases = {
        "nan.npz": ({"prior_blend_knots": np.full(101, np.nan)}, "prior_blend_knots"),
        "reversed.npz": ({"prior_knots": arrays["prior_knots"][::-1].copy()}, "prior_knots"),
        "no-weight.npz": ({"prior_weight": np.zeros(0)}, "not a learned-scorer artifact"),
        "bad-rules.npz": ({"prior_rules": np.frombuffer(b'{"weights": []}', dtype=np.uint8)}, "rules"),
        "v3-no-prior.npz": ({k: None for k in ("prior_rules", "prior_weight", "prior_knots", "prior_blend_knots")},
                            "format 3 without a prior"),
    }
    for name, (changes, message) in cases.items():
        refused(tmp_path / name, {k: v for k, v in {**arrays, **changes}.items() if v is not None}, ".*" + message)
