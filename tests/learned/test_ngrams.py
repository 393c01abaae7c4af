"""The n-gram form: what it learns that a bag of words cannot, its ridge, artifact round trips, the run-time
path against the batch path, small and odd training sets, the CLI report, the manifest and the token rule."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.adapters.complexity_plugin import LearnedClassifierPlugin
from litellm_router_ext.cli.train import train as train_command
from litellm_router_ext.learned.model import DifficultyModel, apgr, featurize, manifest_path
from litellm_router_ext.learned.ngrams import (
    MAX_CHARS,
    NgramModel,
    NgramParams,
    bucket_occurrences,
    buckets,
    fit_ngrams,
    grams,
)
from litellm_router_ext.learned.training import parse_tiers, train
from litellm_router_ext.scorers.learned import LearnedScorer
from litellm_router_ext.types import RequestView
from tests.learned.artifacts import arrays_of, refused

TIERS = parse_tiers("small,big")


def _rows(path: Path, rows: list[tuple[str, float, float, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": f"r{i}", "source": src, "messages": [{"role": "user", "content": t}],
                                        "outcomes": {"small": {"score": w}, "big": {"score": s}}}) + "\n"
                            for i, (t, w, s, src) in enumerate(rows)), encoding="utf-8")
    return path


def _order_set(path: Path, n: int = 120, sources: tuple[str, ...] = ("mine",)) -> Path:
    """Same words, two orders: 'the clerk paid the bank' is hard, 'the bank paid the clerk' easy."""
    rows = []
    for i in range(n):
        hard = i % 2 == 0
        who = "the clerk paid the bank" if hard else "the bank paid the clerk"
        rows.append((f"{who} on day {i % 9}; what happened next?", 0.0 if hard else 1.0, 1.0,
                     sources[(i // 2) % len(sources)]))
    return _rows(path, rows)


# ------------------------------------------------------------------ what it learns


def test_ngrams_learn_word_order_that_a_bag_of_words_cannot(tmp_path: Path) -> None:
    data = _order_set(tmp_path / "order.jsonl", 300)
    ngrams, report = train([data], TIERS, folds=3, model="ngrams", leave_one_out=False)
    linear, linear_report = train([data], TIERS, folds=3, model="linear", leave_one_out=False)
    gain = np.array([1.0, 0.0] * 150)  # half the prompts gain from the big model; ranking them first is the best
    best = apgr(gain, 1 - gain, np.ones(300))  # 0.75
    assert report.cv_apgr["mine"] == pytest.approx(best, abs=0.005) and linear_report.cv_apgr["mine"] < 0.6
    hard, easy = "Ticket 7: the clerk paid the bank on day 2?", "Ticket 7: the bank paid the clerk on day 2?"
    assert ngrams.score(hard) > ngrams.score(easy) and linear.raw(hard) == pytest.approx(linear.raw(easy))


def test_ngram_model_round_trips_and_scores_like_its_batch_path(tmp_path: Path) -> None:
    model, report = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams")
    assert model.ngrams is not None and report.model == "ngrams" and model.manifest["ngrams"]["bits"] == 18
    path = model.save(tmp_path / "n" / "difficulty.npz")
    with np.load(path, allow_pickle=False) as data:
        assert int(data["format_version"][0]) == 4  # older readers refuse it instead of scoring it as linear
    again = DifficultyModel.load(path)
    texts = ["Ticket 3: the clerk paid the bank on day 1; what happened next?", "never seen words", "", "x " * 9000]
    assert [again.raw(t) for t in texts] == pytest.approx([model.raw(t) for t in texts])
    feats = featurize(texts, {}, gram_bits=18)
    assert again.raw_batch(feats).tolist() == pytest.approx([again.raw(t) for t in texts], abs=1e-6)
    assert again.raw("") == again.bias  # nothing known: the training mean
    with pytest.raises(ValueError, match="gram_bits=18"):
        again.raw_batch(featurize(texts, {}))
    scorer = LearnedScorer(path)  # what a router config's `learned` scorer with this artifact runs
    assert scorer.score(RequestView.from_openai([{"role": "user", "content": texts[0]}])) == again.score(texts[0])
    assert scorer.score_text(texts[0]) > scorer.score_text("Ticket 3: the bank paid the clerk on day 1; what?")


def test_ngram_artifacts_without_their_weights_are_refused(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl", 40)], TIERS, folds=0, model="ngrams")
    path = model.save(tmp_path / "n.npz")
    arrays = arrays_of(path)
    refused(tmp_path / "bare.npz", {k: v for k, v in arrays.items() if not k.startswith("ngram_")},
            "artifact format 4 without n-gram weights")
    refused(tmp_path / "v2.npz", {**arrays, "format_version": np.asarray([2])}, "artifact format 2 with n-gram weights")
    refused(tmp_path / "odd.npz", {**arrays, "ngram_idf": arrays["ngram_idf"][:1000]}, "n-gram arrays disagree")


def test_ngram_ridge_matches_a_dense_solve() -> None:
    texts = [f"alpha beta {w} gamma {v}" for w in ("red", "blue", "green") for v in ("one", "two", "three", "four")]
    target = np.random.default_rng(0).normal(size=len(texts))
    weight = np.linspace(0.5, 1.5, len(texts))
    doc, bucket = bucket_occurrences(texts, 10)
    model, bias = fit_ngrams(doc, bucket, len(texts), target, weight, NgramParams(bits=10, min_df=1, l2=2.0))
    x = np.zeros((len(texts), 1 << 10))
    idf = model.idf[bucket].astype(np.float64)
    x[doc, bucket] = idf
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    sw = weight / weight.mean()
    coef = np.linalg.solve(x.T @ (sw[:, None] * x) + 2.0 * len(texts) / 1000 * np.eye(1 << 10),
                           x.T @ (sw * (target - bias)))
    assert bias == pytest.approx(np.average(target, weights=sw))
    assert model.predict(doc, bucket, len(texts)) == pytest.approx(x @ coef, abs=1e-5)
    assert sorted(buckets("b a b", 10)) == sorted(set(buckets("a b", 10) + buckets("b a", 10)))  # words, both pairs


# ------------------------------------------------------------------ run-time path == batch path (knots)


def test_run_time_score_of_a_training_prompt_matches_the_batch_score(tmp_path: Path) -> None:
    # Knots come from raw_batch (float64); score() goes through predict_one (float32 sums). When many training
    # prompts share one prediction (templated traffic), the knots have a plateau, and a 1e-8 difference moves
    # a prompt from the top of the plateau to its bottom: a hard prompt scores 0.50 instead of 1.0.
    model, _ = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams")
    texts = [f"{w} on day {d}; what happened next?" for w in ("the clerk paid the bank", "the bank paid the clerk")
             for d in range(9)]
    batch = model.scores_batch(featurize(texts, {}, gram_bits=18))
    single = np.array([model.score(t) for t in texts])
    assert single == pytest.approx(batch, abs=1e-6)


def test_run_time_raw_matches_batch_raw_bit_for_bit(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams")
    texts = ["the clerk paid the bank on day 3; what happened next?", "", "Привет мир", "x" * (MAX_CHARS + 5000)]
    batch = model.raw_batch(featurize(texts, {}, gram_bits=18)).tolist()
    assert [model.raw(t) for t in texts] == batch  # exact: the knots cut on exact values


def test_a_serving_process_scores_bit_for_bit_as_the_training_process() -> None:
    # the buckets are summed in their listed order; a set's order follows the string hash seed, which differs
    # from process to process: unsorted, 39 of 72 long prompts got another last digit in another process
    probe = ("import sys, json, numpy as np; from litellm_router_ext.learned.ngrams import NgramModel; "
             "rng = np.random.default_rng(0); "
             "m = NgramModel(rng.random(2**18).astype(np.float32), rng.standard_normal(2**18).astype(np.float32)); "
             "print(json.dumps([m.predict_one(t).hex() for t in json.loads(sys.argv[1])]))")
    rng = np.random.default_rng(1)
    texts = [" ".join(f"w{k}" for k in rng.integers(0, 5000, 400)) for _ in range(12)]
    seen = {subprocess.run([sys.executable, "-c", probe, json.dumps(texts)], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(seen) == 1
    ours = np.random.default_rng(0)
    model = NgramModel(ours.random(2**18).astype(np.float32), ours.standard_normal(2**18).astype(np.float32))
    doc, bucket = bucket_occurrences(texts, 18)
    assert json.loads(seen.pop()) == [float(v).hex() for v in model.predict(doc, bucket, len(texts))]  # = batch


# ------------------------------------------------------------------ artifacts


def test_ngram_artifact_with_a_litellm_prior_round_trips(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams", litellm_prior=0.5)
    path = model.save(tmp_path / "p.npz")
    again = DifficultyModel.load(path)
    assert again.ngrams is not None and again.prior is not None
    assert json.loads(manifest_path(path).read_text())["format_version"] == 4
    texts = ["the bank paid the clerk on day 3; what happened next?", "", "Write a poem " * 50, "日本語のテキスト"]
    assert [again.score(t) for t in texts] == [model.score(t) for t in texts]
    # a version-4 file that lost its prior arrays loads without its prior (no refusal as for version 3)
    np.savez(tmp_path / "noprior.npz", **{k: v for k, v in arrays_of(path).items() if not k.startswith("prior_")})
    assert DifficultyModel.load(tmp_path / "noprior.npz").prior is None


def test_refusal_messages_name_the_file(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl", 40)], TIERS, folds=0, model="ngrams")
    arrays = arrays_of(model.save(tmp_path / "n.npz"))
    refused(tmp_path / "ragged.npz", {**arrays, "ngram_weighted": arrays["ngram_weighted"][:8]},
            "n-gram arrays disagree.*retrain")


def test_learned_scorer_and_complexity_plugin_run_an_ngrams_artifact(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams")
    path = model.save(tmp_path / "n.npz")
    hard = "the clerk paid the bank on day 4; what happened next?"
    plugin = LearnedClassifierPlugin(path, tiers=("cheap", "strong"), cuts=(0.5,))
    context = {"structured_messages": [{"role": "user", "content": hard}]}
    assert asyncio.run(plugin.classify(context)) == "strong"
    assert LearnedScorer(path).score_text("the bank paid the clerk on day 4; what happened next?") < 0.5


# ------------------------------------------------------------------ small and odd training sets


def test_tiny_constant_and_many_fold_sets_train_without_errors(tmp_path: Path) -> None:
    tiny = _rows(tmp_path / "t.jsonl", [(f"question {i} about apples", float(i % 2), 1.0, "a") for i in range(10)])
    model, report = train([tiny], TIERS, folds=10, model="ngrams")  # most folds hold one prompt
    assert 0.0 <= model.score("question 3 about apples") <= 1.0 and report.model == "ngrams"
    flat = _rows(tmp_path / "f.jsonl", [(f"question {i} about pears", 1.0, 1.0, "a") for i in range(12)])
    model, report = train([flat], TIERS, folds=3, model="ngrams")
    assert 0.0 <= model.score("anything") <= 1.0 and np.isnan(report.cv_apgr["a"])  # no gap to recover


def test_auto_with_two_sources_tries_all_three_forms(tmp_path: Path) -> None:
    from litellm_router_ext.learned.trees import TreeParams

    data = _order_set(tmp_path / "o.jsonl", 200, sources=("a", "b"))
    _, report = train([data], TIERS, folds=3, model="auto", min_examples=100,
                      tree_params=TreeParams(rounds=20, bags=1))
    assert set(report.cv_apgr_by_model) == {"linear", "trees", "ngrams"} and report.model == "ngrams"
    assert set(report.lodo_apgr) == {"a", "b"}


# ------------------------------------------------------------------ manifest and CLI


def test_ngrams_manifest_lists_only_what_the_form_reads(tmp_path: Path) -> None:
    model, _ = train([_order_set(tmp_path / "o.jsonl")], TIERS, folds=0, model="ngrams")
    path = model.save(tmp_path / "n.npz")
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["ngrams"] == {"bits": 18, "min_df": 2, "l2": 1.0} and manifest["penalties"] is None
    assert manifest["option_trees"] is None
    # no multiple-choice prompts: no option trees, and the form reads none of the hand-made features
    assert not manifest.get("dense_features") and not manifest.get("features")


def test_cli_train_ngrams_prints_its_column_and_the_kept_form(tmp_path: Path) -> None:
    out = tmp_path / "n.npz"
    result = CliRunner().invoke(train_command, ["--data", str(_order_set(tmp_path / "o.jsonl")), "--tiers",
                                                "small,big", "--out", str(out), "--folds", "2", "--model", "ngrams",
                                                "--litellm-prior", "0.3"])
    assert result.exit_code == 0, result.output
    assert "2-fold CV, ngrams" in result.output and "model kept: ngrams" in result.output
    assert "LiteLLM prior (0.3) on mine" in result.output and "(paired, ngrams)" in result.output


# ------------------------------------------------------------------ the documented token rule


def test_tokens_are_runs_of_letters_and_digits_as_documented() -> None:
    # ngrams.py: "lower-cased runs of letters and digits, in any script, so 'covid19' and 'café' are one token"
    assert grams("COVID19 cases, statement_1") == {"covid19", "cases", "statement", "1", "covid19 cases",
                                                   "cases statement", "statement 1"}


def test_non_ascii_letters_make_tokens() -> None:
    # a prompt in Russian or with accents is read too (with ASCII-only tokens its score was the bias)
    assert grams("Привет мир") == {"привет", "мир", "привет мир"} and "café" in grams("un café noir")
