"""The learned difficulty scorer: features, artifact round-trip, training, scoring, quality."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import string
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.adapters.complexity_plugin import LearnedClassifierPlugin
from litellm_router_ext.cli.train import train as train_command
from litellm_router_ext.config import ScorerConfig, load_config
from litellm_router_ext.errors import ArtifactError, DatasetError
from litellm_router_ext.learned import features
from litellm_router_ext.learned.features import DENSE_NAMES, dense_features, words
from litellm_router_ext.learned.model import DifficultyModel, apgr, featurize, manifest_path
from litellm_router_ext.learned.training import (
    Example,
    _choose,
    apgr_interval,
    average_rank,
    parse_tiers,
    read_examples,
    targets,
    train,
)
from litellm_router_ext.learned.trees import TreeParams, fit_trees
from litellm_router_ext.scorers import build_scorer
from litellm_router_ext.scorers.learned import LearnedScorer, default_artifact_path
from litellm_router_ext.types import RequestView
from tests.learned.artifacts import arrays_of, refused, with_first

HARD = "Prove that there are infinitely many primes p such that p + 2 is also prime, step by step."
EASY = "hi, thanks!"


def test_features_are_deterministic_and_named() -> None:
    a = dense_features(HARD)
    assert a == dense_features(HARD)
    assert len(a) == len(DENSE_NAMES)
    assert words("Hello, World 42 x") == ["hello", "world", "x"]
    assert dense_features(HARD, words(HARD)) == a
    assert dense_features("") == dense_features("")  # empty text does not divide by zero


def test_keyword_counts_and_upper_case_share_are_the_plain_ones() -> None:
    text = "WHY? Explain ÄÖ step-by-step, STEP again: not  not not , why analyze? " * 3
    f = dict(zip(DENSE_NAMES, dense_features(text), strict=True))
    lower = text.lower()
    assert f["upper_frac"] == sum(c in string.ascii_uppercase for c in text) / len(text)  # Ä, Ö are not [A-Z]
    assert f["reasoning_words"] == math.log1p(sum(lower.count(n) for n in features._REASONING))
    assert f["negation_words"] == math.log1p(sum(lower.count(n) for n in features._NEGATION)) > 0


def test_multiple_choice_and_code_are_detected() -> None:
    mc = "Which is a mammal?\nA. shark\nB. whale\nC. trout\nD. eel\nAnswer:"
    f = dict(zip(DENSE_NAMES, dense_features(mc), strict=True))
    assert f["n_options_ge2"] == 1.0 and f["ends_answer_colon"] == 1.0
    code = dict(zip(DENSE_NAMES, dense_features("```python\ndef f(x):\n    return x\n```"), strict=True))
    assert code["log_code_marks"] > 0 and f["log_code_marks"] == 0


def test_default_artifact_loads_without_pickle_and_scores_in_unit_range() -> None:
    path = default_artifact_path()
    with np.load(path, allow_pickle=False) as data:  # would raise if any array needed pickle
        assert "word_weights" in data.files
    scorer = LearnedScorer()
    for text in (HARD, EASY, "", "x" * 20000):
        s = scorer.score(RequestView.from_openai([{"role": "user", "content": text}]))
        assert 0.0 <= s <= 1.0
    assert scorer.score_text(HARD) > scorer.score_text(EASY)
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["metrics"]["cv_apgr"] and manifest["training_data"]


def test_artifact_round_trip(tmp_path: Path) -> None:
    model = DifficultyModel.load(default_artifact_path())
    out = model.save(tmp_path / "copy" / "difficulty.npz")
    again = DifficultyModel.load(out)
    assert again.score(HARD) == model.score(HARD)
    assert (tmp_path / "copy" / "difficulty.manifest.json").exists()


def test_bad_artifacts_raise_artifact_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        DifficultyModel.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="not an .npz archive.*litellm-router train") as caught:
        DifficultyModel.load(junk)
    assert "pickle" not in str(caught.value)  # numpy's "load it unsafely" hint is not advice to pass on
    obj = tmp_path / "object.npz"
    np.savez(obj, coef=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ArtifactError):
        DifficultyModel.load(obj)
    assert zipfile.is_zipfile(default_artifact_path())


def test_train_writes_artifact_a_scorer_config_loads(synthetic: Path, tmp_path: Path) -> None:
    model, report = train([synthetic], parse_tiers("small,big"), folds=3)
    assert report.n_examples == 120 and set(report.sources) == {"math", "chat"}
    out = model.save(tmp_path / "mine" / "difficulty.npz")
    scorer = build_scorer(ScorerConfig(name="learned", params={"artifact": str(out)}))
    hard = scorer.score(RequestView.from_openai([{"role": "user", "content":
        "A bus travels 40 km per hour for 3 hours. How many km in total? Explain step by step."}]))
    easy = scorer.score(RequestView.from_openai([{"role": "user", "content": "Say hello to my friend Bob."}]))
    assert 0.0 <= easy < hard <= 1.0
    assert json.loads(manifest_path(out).read_text())["tiers"] == ["small", "big"]


def test_config_artifact_paths_are_relative_to_the_config_file(synthetic: Path, tmp_path: Path) -> None:
    # A proxy rarely runs in the directory that holds its router config; the artifact beside it must still load.
    model, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False)
    artifact = model.save(tmp_path / "deploy" / "mine.npz")
    elsewhere = model.save(tmp_path / "elsewhere.npz")
    config = tmp_path / "deploy" / "router.yaml"
    config.write_text(
        "routers:\n"
        "  - alias: a\n    tiers: [{name: s, model: small}, {name: b, model: big}]\n"
        "    scorers: [{name: learned, params: {artifact: mine.npz}}]\n    thresholds: [0.5]\n"
        "  - alias: b\n    tiers: [{name: s, model: small}, {name: b, model: big}]\n"
        f"    scorers: [{{name: learned, params: {{artifact: {elsewhere}}}}}]\n    thresholds: [0.5]\n",
        encoding="utf-8")
    first, second = (r.scorers[0].params["artifact"] for r in load_config(config).routers)
    assert Path(first) == artifact and Path(second) == elsewhere
    assert 0.0 <= build_scorer(load_config(config).routers[0].scorers[0]).score(
        RequestView.from_openai([{"role": "user", "content": "How many km in total?"}])) <= 1.0


def test_train_rejects_tiers_missing_from_data(synthetic: Path) -> None:
    with pytest.raises(DatasetError, match="no record scores .gpt-99."):
        train([synthetic], parse_tiers("small,gpt-99"))
    with pytest.raises(ValueError, match="at least two tiers"):
        parse_tiers("small")


def test_cli_train(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli" / "difficulty.npz"
    result = CliRunner().invoke(train_command, ["--data", str(synthetic), "--tiers", "small,big", "--out", str(out),
                                                "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "APGR" in result.output
    cv = json.loads(manifest_path(out).read_text())["metrics"]["cv_apgr_95ci_by_model"]["linear"]
    lo, hi = cv["math"]
    assert f"[{lo:.2f}, {hi:.2f}]" in result.output
    bad = CliRunner().invoke(train_command, ["--data", str(tmp_path / "nope.jsonl"), "--tiers", "small,big"])
    assert bad.exit_code == 1 and "file not found" in bad.output and "Traceback" not in bad.output


def test_cli_train_says_what_it_left_out_and_why_auto_tried_one_form(synthetic: Path, tmp_path: Path) -> None:
    partial = json.dumps({"id": "p", "source": "math", "messages": [{"role": "user", "content": "2 + 2?"}],
                          "outcomes": {"small": {"score": 1.0}}})  # no score for the big tier
    data = tmp_path / "d.jsonl"
    data.write_text(synthetic.read_text() + partial + "\n")
    result = CliRunner().invoke(train_command, ["--data", str(data), "--tiers", "small,big", "--folds", "0",
                                                "--out", str(tmp_path / "a.npz")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "1 record(s) left out: no score for some tier of --tiers small,big" in said
    assert "120 prompts, fewer than 500: auto tried the linear form alone" in said
    assert "fold CV" not in said  # --folds 0: no empty CV column
    assert json.loads(manifest_path(tmp_path / "a.npz").read_text())["metrics"]["skipped_records"] == 1


def test_cli_train_warns_when_cross_validation_ranks_a_source_backwards(tmp_path: Path) -> None:
    # Triples of one prompt with conflicting outcomes (two hard and one easy, or the reverse): whichever one is
    # held out, its twins in training say the opposite, so CV ranks the held-out prompts backwards.
    rows = []
    for g in range(150):
        for j, hard in enumerate((1, 1, 0) if g % 2 else (0, 0, 1)):
            rows.append(json.dumps({"id": f"{g}-{j}", "source": "mine", "messages": [
                {"role": "user", "content": f"g{g}x"}], "outcomes": {"small": {"score": 1.0 - hard},
                                                                     "big": {"score": 1.0}}}))
    data = tmp_path / "conflicting.jsonl"
    data.write_text("\n".join(rows) + "\n")
    args = ["--data", str(data), "--tiers", "small,big", "--out", str(tmp_path / "c.npz"), "--model", "ngrams"]
    result = CliRunner().invoke(train_command, args)
    assert result.exit_code == 0, result.output
    assert "worse than random on mine: the whole CV interval is below 0.50" in " ".join(result.output.split())
    fine = CliRunner().invoke(train_command, [*args[:1], str(_order_set_file(tmp_path)), *args[2:]])
    assert fine.exit_code == 0 and "worse than random" not in fine.output


def _order_set_file(folder: Path) -> Path:
    lines = [json.dumps({"id": f"o{i}", "source": "mine", "messages": [{"role": "user", "content": text}],
                         "outcomes": {"small": {"score": 0.0 if i % 2 == 0 else 1.0}, "big": {"score": 1.0}}})
             for i, text in enumerate(("the clerk paid the bank", "the bank paid the clerk") * 100)]
    path = folder / "order.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_check_warns_when_an_artifact_was_trained_for_another_ladder(synthetic: Path, tmp_path: Path) -> None:
    from litellm_router_ext.adapters.proxy import litellm_facts
    from litellm_router_ext.check import check_config

    model, _ = train([synthetic], parse_tiers("small,big"), folds=0)
    model.save(tmp_path / "mine.npz")
    for tiers, warned, reversed_ in ((("small", "big"), False, False), (("gpt-4o-mini", "gpt-4o"), True, False),
                                     (("big", "small"), False, True)):
        config = tmp_path / "router.yaml"
        config.write_text(
            "model_list:\n" + "".join(f"  - {{model_name: {m}, litellm_params: {{model: gpt-4o-mini}}}}\n"
                                      for m in tiers)
            + "routers:\n  - alias: r\n    tiers: [" + ", ".join(f"{{name: t{i}, model: {m}}}" for i, m in
                                                          enumerate(tiers))
            + "]\n    scorers: [{name: learned, params: {artifact: mine.npz}}]\n    thresholds: [0.5]\n")
        report = check_config(config, env={}, facts=litellm_facts())
        warnings = [p.message for p in report.problems if p.severity == "warning"]
        assert report.ok, report.problems
        assert any("mine.npz was trained for the ladder small -> big, which shares no model" in w
                   for w in warnings) == warned
        assert any("climbs the other way from this router's (big -> small)" in w for w in warnings) == reversed_


def test_cv_interval_brackets_the_estimate_and_narrows_with_more_prompts(synthetic: Path) -> None:
    _, report = train([synthetic], parse_tiers("small,big"), folds=3, leave_one_out=False, model="linear")
    for source, value in report.cv_apgr_by_model["linear"].items():
        ci = report.cv_ci_by_model["linear"][source]
        assert ci is not None and ci[0] <= value <= ci[1]
    rng = np.random.default_rng(0)

    def width(n: int) -> float:
        weak = rng.integers(0, 2, n).astype(float)
        strong = np.maximum(weak, rng.integers(0, 2, n)).astype(float)
        hint = (strong - weak) + rng.normal(0, 1.0, n)  # informative, not perfect
        ci = apgr_interval(hint, weak, strong)
        assert ci is not None and ci[0] > 0.5  # clearly better than random at either size
        return ci[1] - ci[0]

    assert width(4000) < 0.5 * width(200)
    weak = rng.integers(0, 2, 400).astype(float)
    strong = np.maximum(weak, rng.integers(0, 2, 400)).astype(float)
    good, noise = strong - weak + rng.normal(0, 0.3, 400), rng.normal(0, 1, 400)
    paired = apgr_interval(good, weak, strong, versus=noise)
    assert paired is not None and paired[0] > 0  # the informative scorer wins on every resample's prompts
    assert apgr_interval(good, weak, strong, versus=good) == (0.0, 0.0)


def test_apgr_matches_definition() -> None:
    weak = np.array([0.0, 1.0, 1.0, 0.0])
    strong = np.array([1.0, 1.0, 1.0, 1.0])
    assert apgr(np.array([1.0, 0.0, 0.0, 1.0]), weak, strong) == pytest.approx(0.7)  # oracle: PGR 0, .5, 1, 1, 1
    assert apgr(np.array([0.0, 1.0, 1.0, 0.0]), weak, strong) == pytest.approx(0.3)  # worst: PGR 0, 0, 0, .5, 1


def test_complexity_plugin_returns_a_tier_name() -> None:
    plugin = LearnedClassifierPlugin(tiers=("cheap", "strong"), cuts=(0.5,))

    from litellm.types.router import RoutingContext

    context = RoutingContext(raw_messages=[], structured_messages=[{"role": "user", "content": HARD}],
                             candidate_models=["cheap-model", "strong-model"])
    tier = asyncio.run(plugin.classify(context))
    assert tier == plugin.tier_for(plugin.scorer.score_text(HARD))
    assert tier in ("cheap", "strong")
    empty = RoutingContext(raw_messages=[], structured_messages=[], candidate_models=[])
    assert asyncio.run(plugin.classify(empty)) is None
    with pytest.raises(ValueError, match="cuts"):
        LearnedClassifierPlugin(tiers=("a", "b"), cuts=(0.2, 0.4))


def test_complexity_plugin_routes_a_litellm_sdk_router() -> None:
    # A custom tier set (two tiers, one cut), in LiteLLM's own Router through its classifier_plugin hook.
    import litellm

    plugin = LearnedClassifierPlugin(tiers=("CHEAP", "STRONG"), cuts=(0.5,))
    complexity = {"classifier_type": "custom", "classifier_plugin": plugin,
                  "tier_definitions": [{"name": "CHEAP", "description": "answerable by a small model"},
                                       {"name": "STRONG", "description": "needs the strong model"}],
                  "fallback_tier": "STRONG", "tiers": {"CHEAP": "cheap", "STRONG": "strong"}}
    router = litellm.Router(model_list=[
        {"model_name": "smart",
         "litellm_params": {"model": "auto_router/complexity_router", "complexity_router_config": complexity}},
        *({"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_key": "x",
                                                   "mock_response": f"from {name}"}} for name in ("cheap", "strong")),
    ])

    async def ask(text: str) -> str:
        response = await router.acompletion(model="smart", messages=[{"role": "user", "content": text}])
        return str(response.choices[0].message.content)

    assert plugin.scorer.score_text(EASY) < 0.5 <= plugin.scorer.score_text(HARD)
    assert asyncio.run(ask(EASY)) == "from cheap"
    assert asyncio.run(ask(HARD)) == "from strong"


def test_shipped_artifact_blends_in_litellms_heuristic_with_its_own_copy_of_the_rules() -> None:
    from litellm_router_ext.learned.litellm_rules import load_rules

    model = LearnedScorer().model
    assert model.prior is not None and model.prior.weight == 0.5
    shipped_rules, _ = load_rules()
    assert model.prior.rules.spec == shipped_rules.spec
    assert model.manifest["litellm_prior"]["weight"] == 0.5


def test_shipped_model_beats_random_on_shared_test(shared_data: Path) -> None:
    scorer = LearnedScorer()
    rows = [json.loads(line) for line in (shared_data / "llmrouter-test.jsonl").read_text().split("\n") if line]
    diff = np.array([scorer.score_text(r["messages"][-1]["content"]) for r in rows])
    weak = np.array([r["outcomes"]["gemma-2-9b-it"]["score"] for r in rows])
    strong = np.array([r["outcomes"]["llama-3.1-nemotron-51b-instruct"]["score"] for r in rows])
    assert apgr(diff, weak, strong) > 0.62


def test_average_rank_shares_ties_and_spans_unit_range() -> None:
    assert average_rank(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]
    assert average_rank(np.array([0.0, 1.0, 1.0, 0.0, 1.0])).tolist() == pytest.approx([0.125, 0.75, 0.75, 0.125, 0.75])
    assert average_rank(np.array([7.0, 7.0])).tolist() == [0.5, 0.5]
    assert average_rank(np.array([2.0])).tolist() == [0.5]


def test_targets_are_ranked_within_each_source() -> None:
    # A 0/1 benchmark and a judge-scored one whose gains are ten times smaller get the same target range.
    binary = [Example("binary", "q", (w, s)) for w, s in ((0.0, 1.0), (1.0, 1.0), (0.0, 0.0), (1.0, 0.0))]
    judged = [Example("judged", "q", (w, s)) for w, s in ((0.90, 1.0), (1.0, 1.0), (0.90, 0.90), (1.0, 0.90))]
    y, weak, strong = targets(binary + judged)
    assert y[:4].tolist() == pytest.approx(y[4:].tolist())
    assert y[0] == y.max() and y[3] == y[:4].min()  # largest gain hardest, a loss easiest
    assert weak.tolist()[:2] == [0.0, 1.0] and strong.tolist()[4] == 1.0


def test_shipped_model_beats_random_on_unseen_test_prompts(shared_data: Path) -> None:
    # 119 of the 500 llmrouter-test prompts also occur in llmrouter-train (training data): score the rest.
    def rows(name: str) -> list[dict]:
        return [json.loads(line) for line in (shared_data / name).read_text().split("\n") if line]

    seen = {r["messages"][-1]["content"] for r in rows("llmrouter-train.jsonl")}
    unseen = [r for r in rows("llmrouter-test.jsonl") if r["messages"][-1]["content"] not in seen]
    assert len(unseen) == 381
    scorer = LearnedScorer()
    diff = np.array([scorer.score_text(r["messages"][-1]["content"]) for r in unseen])
    weak = np.array([r["outcomes"]["gemma-2-9b-it"]["score"] for r in unseen])
    strong = np.array([r["outcomes"]["llama-3.1-nemotron-51b-instruct"]["score"] for r in unseen])
    # 0.731; LiteLLM's heuristic 0.710, the artifact without the prior 0.676, the one before it 0.598
    assert apgr(diff, weak, strong) > 0.72


# ------------------------------------------------------------------------------------------ the trees form


def test_trees_learn_an_interaction_a_linear_model_cannot() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((2000, 4))
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)).astype(float)  # XOR: no linear signal in either feature
    trees = fit_trees(x, y - y.mean(), np.ones(len(y)), TreeParams(rounds=60, bags=2))
    pred = trees.predict(x)
    assert np.corrcoef(pred, y)[0, 1] > 0.9
    assert trees.feature.shape == (120, TreeParams().depth)  # two bags of 60 rounds, averaged
    assert [trees.predict_one(row) for row in x[:50]] == pytest.approx(pred[:50].tolist())


def test_bags_fitted_side_by_side_are_the_bags_fitted_one_after_another() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.random((600, 6)), rng.standard_normal(600)
    params = TreeParams(rounds=20, bags=3, seed=4)
    together = fit_trees(x, y, np.ones(len(y)), params)  # in threads on a machine with 2 or more cores
    alone = [fit_trees(x, y, np.ones(len(y)), dataclasses.replace(params, bags=1, seed=params.seed + b))
             for b in range(params.bags)]
    assert np.array_equal(together.feature, np.concatenate([t.feature for t in alone]))  # the same bags, in order
    assert np.array_equal(together.leaves, np.concatenate([t.leaves for t in alone]) / params.bags)


def test_tree_model_round_trips_and_scores_like_its_batch_path(synthetic: Path, tmp_path: Path) -> None:
    model, report = train([synthetic], parse_tiers("small,big"), folds=0, model="trees",
                          tree_params=TreeParams(rounds=40, bags=1))
    assert model.trees is not None and report.model == "trees" and model.manifest["model"] == "trees"
    again = DifficultyModel.load(model.save(tmp_path / "t" / "difficulty.npz"))
    texts = [HARD, EASY, "A train travels 9 km per hour for 4 hours. How many km in total?", ""]
    assert [again.raw(t) for t in texts] == pytest.approx([model.raw(t) for t in texts])
    feats = featurize(texts, {w: i for i, w in enumerate(again.vocab)})
    assert again.raw_batch(feats).tolist() == pytest.approx([again.raw(t) for t in texts], abs=1e-9)
    assert again.score(texts[2]) > again.score("Say hello to my friend number 7.")


def test_auto_cross_validates_every_form_and_keeps_one(synthetic: Path) -> None:
    _, small = train([synthetic], parse_tiers("small,big"), folds=3, model="auto")
    assert set(small.cv_apgr_by_model) == {"linear"} and small.model == "linear"  # 120 examples: too few for trees
    _, report = train([synthetic], parse_tiers("small,big"), folds=3, model="auto",
                      tree_params=TreeParams(rounds=30, bags=1), min_examples=100)
    assert set(report.cv_apgr_by_model) == {"linear", "trees", "ngrams"}
    assert report.cv_apgr == report.cv_apgr_by_model[report.model]
    assert set(report.cv_minus_linear) == {"trees", "ngrams"}
    for kind, by_source in report.cv_minus_linear.items():
        for source, (diff, ci) in by_source.items():
            by_model = report.cv_apgr_by_model
            assert diff == pytest.approx(by_model[kind][source] - by_model["linear"][source], abs=1e-3)
            assert ci is not None and ci[0] <= diff <= ci[1]
    assert small.cv_minus_linear == {}
    _, no_cv = train([synthetic], parse_tiers("small,big"), folds=0, model="auto")
    assert no_cv.model == "linear"  # no evidence for another form: keep the one that transfers
    with pytest.raises(ValueError, match="auto, linear, trees, ngrams"):
        train([synthetic], parse_tiers("small,big"), model="forest")


def test_auto_keeps_another_form_only_when_it_wins_by_the_margin() -> None:
    cv = {"linear": {"a": 0.60}, "trees": {"a": 0.603}, "ngrams": {"a": 0.62}}
    assert _choose("auto", cv) == "ngrams"
    assert _choose("auto", {**cv, "ngrams": {"a": 0.604}}) == "linear"  # within the margin: keep what transfers
    assert _choose("auto", {"linear": {"a": 0.6}}) == "linear" and _choose("trees", cv) == "trees"


def test_linear_artifacts_of_format_1_still_load(tmp_path: Path) -> None:
    model = DifficultyModel.load(default_artifact_path())
    model.prior = None  # format 1 predates priors
    path = model.save(tmp_path / "v2.npz")
    arrays = arrays_of(path)
    arrays["format_version"] = np.asarray([1])
    np.savez(tmp_path / "v1.npz", **arrays)
    assert DifficultyModel.load(tmp_path / "v1.npz").score(HARD) == DifficultyModel.load(path).score(HARD)
    arrays["format_version"] = np.asarray([9])
    np.savez(tmp_path / "v9.npz", **arrays)
    with pytest.raises(ArtifactError, match="format 9"):
        DifficultyModel.load(tmp_path / "v9.npz")


def test_trees_without_their_word_vectors_are_refused(synthetic: Path, tmp_path: Path) -> None:
    model, _ = train([synthetic], parse_tiers("small,big"), folds=0, model="trees",
                     tree_params=TreeParams(rounds=5, bags=1))
    arrays = arrays_of(model.save(tmp_path / "t.npz"))
    refused(tmp_path / "broken.npz", {k: v for k, v in arrays.items() if k != "word_vectors"}, "")
    refused(tmp_path / "short.npz", {**arrays, "tree_leaves": arrays["tree_leaves"][:, :3]}, "tree arrays disagree")
    for name, key, value in (("negative", "tree_feature", -1), ("nan", "tree_leaves", np.nan)):  # -1: the last one
        refused(tmp_path / f"{name}.npz", {**arrays, key: with_first(arrays[key], value)},
                ".*trees read a feature .* not a finite number")


def test_eval_takes_a_trained_artifact_as_router(synthetic: Path, tmp_path: Path) -> None:
    from litellm_router_ext.cli.evaluate import eval_command as evaluate

    model, _ = train([synthetic], parse_tiers("small,big"), folds=0)
    artifact = model.save(tmp_path / "mine.npz")
    out = tmp_path / "eval.json"
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"small": {"input_usd_per_mtok": 0.1, "output_usd_per_mtok": 0.1},
                                  "big": {"input_usd_per_mtok": 5.0, "output_usd_per_mtok": 15.0}}))
    result = CliRunner().invoke(evaluate, ["--data", str(synthetic), "--tiers", "small,big", "--prices", str(prices),
                                           "--router", f"learned:{artifact}", "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert f"learned:{artifact}" in json.dumps(report)
    bad = CliRunner().invoke(evaluate, ["--data", str(synthetic), "--tiers", "small,big", "--prices", str(prices),
                                        "--router", f"learned:{tmp_path / 'none.npz'}"])
    assert bad.exit_code != 0 and "artifact not found" in bad.output


def test_eval_says_when_an_artifact_is_scored_on_prompts_it_was_trained_on(synthetic: Path, tmp_path: Path) -> None:
    from litellm_router_ext.cli.evaluate import eval_command as evaluate

    model, _ = train([synthetic], parse_tiers("small,big"), folds=0)
    artifact = model.save(tmp_path / "mine.npz")
    assert DifficultyModel.load(artifact).count_seen(["Say hello to my friend number 3.", "unseen"]) == 1
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"small": {"input_usd_per_mtok": 0.1, "output_usd_per_mtok": 0.1},
                                  "big": {"input_usd_per_mtok": 5.0, "output_usd_per_mtok": 15.0}}))
    args = ["--tiers", "small,big", "--prices", str(prices), "--router", f"learned:{artifact}", "--bootstrap", "0"]
    same = CliRunner().invoke(evaluate, ["--data", str(synthetic), *args])
    assert same.exit_code == 0, same.output
    assert "mine.npz was trained on 120 of these 120 prompts" in " ".join(same.output.split())
    # the table cuts a long artifact path at the front, so the file name that tells rows apart stays
    assert any(line.strip().startswith("…") and "mine.npz" in line for line in same.output.splitlines())
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text(synthetic.read_text().replace("Say hello to my friend", "Wave at my pal"))
    other = CliRunner().invoke(evaluate, ["--data", str(fresh), *args])
    assert other.exit_code == 0 and "trained on 60 of these 120" in " ".join(other.output.split())  # the rest


def test_the_shipped_artifact_knows_the_llmrouter_test_prompts_it_was_trained_on(shared_data: Path) -> None:
    # 119 of llmrouter-test's 500 prompts also occur in llmrouter-train, and some more in the RouteLLM sets: the
    # shipped model was trained on all four files.
    from litellm_router_ext.evaluation.dataset import load_eval_set
    from litellm_router_ext.evaluation.routers import build_router

    items = load_eval_set(shared_data / "llmrouter-test.jsonl").items
    trained = {i.prompt_text for name in DifficultyModel.load(default_artifact_path()).manifest["training_data"]
               for i in load_eval_set(shared_data / name).items}
    expected = sum(item.prompt_text in trained for item in items)
    assert expected >= 119
    router = build_router("learned", items, ["gemma-2-9b-it", "llama-3.1-nemotron-51b-instruct"])
    assert any(f"difficulty.npz was trained on {expected} of these 500 prompts" in note for note in router.notes)


def test_trees_trained_on_llmrouter_train_beat_litellm_heuristic_on_its_test(shared_data: Path) -> None:
    # The user path: `train --model trees` on one pair's recorded traffic, scored on held-out prompts of it.
    # LiteLLM's heuristic scores 0.791 APGR on this test file (0.710 on the 381 prompts not in train).
    tiers = parse_tiers("gemma-2-9b-it,llama-3.1-nemotron-51b-instruct")
    model, _ = train([shared_data / "llmrouter-train.jsonl"], tiers, folds=0, model="trees")
    test = read_examples([shared_data / "llmrouter-test.jsonl"], tiers)
    _, weak, strong = targets(test)
    raw = model.raw_batch(featurize([e.text for e in test], {w: i for i, w in enumerate(model.vocab)}))
    assert apgr(raw, weak, strong) > 0.85
    seen = {e.text for e in read_examples([shared_data / "llmrouter-train.jsonl"], tiers)}
    unseen = np.array([e.text not in seen for e in test])
    assert unseen.sum() == 381
    assert apgr(raw[unseen], weak[unseen], strong[unseen]) > 0.78


def test_two_artifacts_in_one_folder_keep_their_own_manifests(synthetic: Path, tmp_path: Path) -> None:
    plain, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False)
    prior, _ = train([synthetic], parse_tiers("small,big"), folds=0, leave_one_out=False, litellm_prior=0.5)
    a, b = plain.save(tmp_path / "a.npz"), prior.save(tmp_path / "b.npz")
    assert json.loads(manifest_path(a).read_text())["litellm_prior"] is None
    assert json.loads(manifest_path(a).read_text())["metrics"]["litellm_prior"] is None  # the same word for off
    assert json.loads(manifest_path(b).read_text())["litellm_prior"]["weight"] == 0.5
    assert manifest_path(a).name == "a.manifest.json"
