"""LiteLLM's complexity heuristic as a quantile-scale scorer, and its blend with ``learned`` on unseen data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litellm_router_ext.adapters.litellm_baselines import litellm_heuristic_scores
from litellm_router_ext.adapters.litellm_scorer import live_score
from litellm_router_ext.cli import main
from litellm_router_ext.config import ScorerConfig
from litellm_router_ext.learned.litellm_rules import load_rules, quantile
from litellm_router_ext.learned.training import parse_tiers, train
from litellm_router_ext.scorers import build_scorer
from litellm_router_ext.scorers.litellm_heuristic import LiteLLMHeuristicScorer
from litellm_router_ext.types import RequestView

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


def test_blend_beats_both_parts_on_a_benchmark_left_out_of_training(shared_data: Path, tmp_path: Path) -> None:
    # GSM8K never seen by the learned model: measured 0.616 blended, 0.603 learned, 0.537 LiteLLM's heuristic.
    others = [shared_data / f"{s}.jsonl" for s in ("routellm-mmlu", "routellm-mtbench", "llmrouter-train")]
    model, _ = train(others, parse_tiers(SHIPPED_TIERS), folds=0, leave_one_out=False, model="linear")
    artifact = model.save(tmp_path / "no-gsm8k.npz")
    config = tmp_path / "blend.yaml"
    config.write_text(
        "routers:\n  - alias: blend\n    tiers: [{name: a, model: a}, {name: b, model: b}]\n"
        f"    scorers: [{{name: learned, params: {{artifact: {artifact}}}}}, {{name: litellm-heuristic}}]\n"
        "    thresholds: [0.5]\n", encoding="utf-8")
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(main, [
        "eval", "--data", str(shared_data / "routellm-gsm8k.jsonl"), "--router", str(config),
        "--router", f"learned:{artifact}", "--router", "litellm-heuristic", "--bootstrap", "0", "--worst", "0",
        "--categories", "0", "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    apgr = {r["router"]: r["apgr"] for r in json.loads(out.read_text())["results"]}
    assert apgr["blend"] > apgr[f"learned:{artifact}"] > apgr["litellm-heuristic"] + 0.05
