"""The answer-option features and the n-gram form's option trees: what the block parser accepts, what the trees
learn that word pairs cannot, their weight chosen by inner CV, artifacts, and the MMLU figure they were built for."""

from __future__ import annotations

import json
import math
import random
import signal
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.cli.train import train as train_command
from litellm_router_ext.learned.model import DifficultyModel, featurize, manifest_path
from litellm_router_ext.learned.options import OPTION_NAMES, option_features
from litellm_router_ext.learned.training import OPTION_WEIGHTS, OPTIONS_MIN_PROMPTS, parse_tiers, train
from litellm_router_ext.learned.trees import TreeParams
from tests.learned.artifacts import arrays_of, refused, with_first

TIERS = parse_tiers("small,big")
FAST_TREES = TreeParams(rounds=40, bags=1)


def _features(text: str) -> dict[str, float]:
    return dict(zip(OPTION_NAMES, option_features(text), strict=True))


# ------------------------------------------------------------------ the block parser


def test_a_closing_option_block_is_read_with_its_stem() -> None:
    text = ("Which of the following is NOT a prime number?\nA. 2\nB. 3\nC. 9\nD. 11\nAnswer:")
    f = _features(text)
    assert f["mc_block"] == 1.0 and f["mc_n_options"] == 4.0
    assert f["mc_numeric_share"] == 1.0 and f["mc_single_word_share"] == 1.0
    assert f["mc_question_negated"] == 1.0 and f["mc_question_which_following"] == 1.0
    assert f["mc_question_wh"] == 1.0 and f["mc_question_ends_mark"] == 1.0


@pytest.mark.parametrize("text", [
    "Pick one.\n(A) red\n(B) green\n(C) blue",
    "Pick one.\na) red\nb) green\nc) blue\n\nThe answer is:",
    "Pick one.\nA: red\nB: green\nC: blue\n",
    "B. F. Skinner was known for his work in\nA. red\nB. green\nC. blue",  # initials above are the question's
    "f: R -> R is defined by f(x) = x^2. Then f is\nA. injective\nB. surjective\nC. bijective",
    "I: all cats are mammals. Which follows?\nA. none\nB. some\nC. all",  # "I:" above, options not so
])
def test_lettering_styles_and_trailers_are_read(text: str) -> None:
    assert _features(text)["mc_n_options"] == 3.0


@pytest.mark.parametrize("text", [
    "",
    "What is the capital of France?",
    "Pick one.\nA. red\nB. green\nC. blue\nThen explain your choice in detail.",  # the block does not close it
    "Pick one.\nA. red\nC. green\nB. blue",  # letters out of order
    "Pick one.\nB. red\nC. green",  # no A
    "A. only one option\nAnswer:",
    "A. red\nB. green\nAnswer:",  # no question above the options
    "A: hi\nB: yo",  # a chat transcript
    "log of the chat:\nA: hi\nB: yo\nA: how are you?\nB: fine",
])
def test_prompts_without_a_closing_block_get_all_zeros(text: str) -> None:
    assert option_features(text) == [0.0] * len(OPTION_NAMES)


def test_how_the_options_relate_is_measured() -> None:
    stem = "Statement 1 | A group has an identity. Statement 2 | Every ring is a field.\n"
    tf = _features(stem + "A. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:")
    assert tf["mc_statement_pair"] == 1.0 and tf["mc_true_false_options"] == 1.0 and tf["mc_max_pair_overlap"] == 1.0
    longest = _features("Q?\nA. yes\nB. no\nC. a much much longer option than the others here\nD. maybe")
    level = _features("Q?\nA. red\nB. tan\nC. sky\nD. ink")
    assert longest["mc_longest_margin"] > 0.5 > level["mc_longest_margin"]
    above = _features("Q?\nA. red\nB. blue\nC. both A and B\nD. none of the above")
    assert above["mc_above_option"] == 1.0 and level["mc_above_option"] == 0.0
    close = _features("How far?\nA. 10.1 km\nB. 10.2 km\nC. 10.3 km\nD. 10.4 km")
    far = _features("How far?\nA. 1 km\nB. 100 km\nC. 1000 km\nD. 100000 km")
    assert close["mc_numeric_share"] == far["mc_numeric_share"] == 1.0
    assert close["mc_numeric_log_spread"] < far["mc_numeric_log_spread"]


def test_patterns_run_in_linear_time_on_long_runs_of_spaces() -> None:
    # a prompt is user input: the first option-line pattern backtracked quadratically on a run of spaces inside a
    # line (80,000 spaces: 33 s on every scored prompt). The alarm is a hang guard, 1000 times the time it takes.
    def hang(*_: object) -> None:
        raise TimeoutError("option_features backtracks on a long run of spaces")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)
    try:
        assert _features("Q\nA. x\nB. x" + " " * 200_000 + "y")["mc_n_options"] == 2.0
        assert _features("Q\nA. x\nB. y\nAnswer" + " " * 200_000 + "y")["mc_block"] == 0.0
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_odd_options_give_finite_features_and_line_ends_do_not_matter() -> None:
    huge = option_features("How many?\nA. " + "9" * 400 + "\nB. 1\nC. 2")
    assert all(math.isfinite(v) for v in huge)  # float("9" * 400) is inf: such an option is not read as a number
    windows = option_features("Pick?\r\nA. red\r\nB. blue\r\nAnswer:\r\n")
    assert windows == option_features("Pick?\nA. red\nB. blue\nAnswer:")


def test_a_long_prompt_is_judged_by_the_line_right_above_its_options() -> None:
    gap = "\n" * 45  # over the 40 lines read: the question sits in the unsplit rest of the prompt
    assert option_features("A: a note first\nWhich one is red?" + gap + "A: x\nB: y")[0] == 1.0
    assert option_features("a chat log\nC: hello there" + gap + "A: x\nB: y")[0] == 0.0


def test_a_long_prompt_is_read_from_its_end() -> None:
    text = "word " * 50_000 + "\n" * 100 + "Which?\nA. x\nB. y\nAnswer:"
    assert _features(text)["mc_n_options"] == 2.0
    assert option_features("line\n" * 5000) == [0.0] * len(OPTION_NAMES)


# ------------------------------------------------------------------ the option trees in the n-gram form


def _structure_set(path: Path, n: int = 2 * OPTIONS_MIN_PROMPTS) -> Path:
    """Multiple-choice prompts whose words are one-offs (no n-gram recurs), hard exactly when one option is much
    longer than the rest (an easy one has those words in its question): only the options' structure tells them
    apart, not the prompt's length."""
    rng = random.Random(0)

    def word() -> str:
        return "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(9))

    lines = []
    for i in range(n):
        hard = i % 2 == 0
        options = [word() for _ in range(4)]
        extra = " ".join(word() for _ in range(8))
        question = f"{word()} {word()}"
        if hard:  # one option's word moves to the question: both kinds have 14 words of 9 letters
            options[rng.randrange(4)] = extra
            question += " " + word()
        else:
            question += " " + extra
        text = f"{question}?\n" + "".join(f"{'ABCD'[k]}. {o}\n" for k, o in enumerate(options)) + "Answer:"
        lines.append(json.dumps({"id": f"q{i}", "source": "mc", "messages": [{"role": "user", "content": text}],
                                 "outcomes": {"small": {"score": 0.0 if hard else 1.0}, "big": {"score": 1.0}}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_option_trees_learn_what_word_pairs_cannot(tmp_path: Path) -> None:
    data = _structure_set(tmp_path / "mc.jsonl")
    model, report = train([data], TIERS, folds=3, model="ngrams", leave_one_out=False, tree_params=FAST_TREES)
    assert report.options_weight is not None and report.options_weight > 0 and model.options is not None
    assert report.options_inner_apgr[report.options_weight] > report.options_inner_apgr[0.0] + 0.1
    assert set(report.options_inner_apgr) == set(OPTION_WEIGHTS)
    assert report.cv_apgr["mc"] > 0.7  # half the prompts gain: 0.75 is the best any ranking gets
    # the form is cross-validated without them, then again with them nested in each fold: the report has both
    assert report.cv_apgr == report.cv_apgr_by_model["ngrams + option trees"]
    assert report.cv_apgr_by_model["ngrams"]["mc"] < 0.6 and report.cv_options_effect["mc"][0] > 0.1
    hard = "zzz qqq?\nA. kkk\nB. a very long option of many words, longer than the rest\nC. ppp\nD. ttt\nAnswer:"
    easy = "zzz qqq?\nA. kkk\nB. vvv\nC. ppp\nD. ttt\nAnswer:"
    assert model.score(hard) > model.score(easy)


def test_without_enough_multiple_choice_prompts_no_trees_are_tried(tmp_path: Path) -> None:
    data = _structure_set(tmp_path / "mc.jsonl", n=OPTIONS_MIN_PROMPTS - 20)
    model, report = train([data], TIERS, folds=0, model="ngrams", tree_params=FAST_TREES)
    assert report.options_weight is None and model.options is None
    assert json.loads(manifest_path(model.save(tmp_path / "a.npz")).read_text())["format_version"] == 4


def test_an_option_tree_artifact_round_trips_and_scores_like_its_batch_path(tmp_path: Path) -> None:
    model, report = train([_structure_set(tmp_path / "mc.jsonl")], TIERS, folds=0, model="ngrams",
                          tree_params=FAST_TREES)
    path = model.save(tmp_path / "o.npz")
    manifest = json.loads(manifest_path(path).read_text())
    assert manifest["format_version"] == 5 and manifest["features"] == list(OPTION_NAMES)
    assert manifest["option_trees"]["weight"] == report.options_weight
    assert manifest["metrics"]["options_inner_cv_apgr"] and "inner_cv_apgr" not in manifest["option_trees"]
    again = DifficultyModel.load(path)
    texts = ["zzz?\nA. kkk\nB. a long option of many many words\nC. ppp\nAnswer:", "no options here", "",
             "x?\nA. 1\nB. 2\n" * 3000]
    assert [again.raw(t) for t in texts] == [model.raw(t) for t in texts]
    # exact: the quantile table was cut on raw_batch's values, and the run-time path must land on the same ones
    assert again.raw_batch(featurize(texts, {}, gram_bits=18)).tolist() == [again.raw(t) for t in texts]


def test_option_tree_artifacts_that_disagree_are_refused(tmp_path: Path) -> None:
    model, _ = train([_structure_set(tmp_path / "mc.jsonl")], TIERS, folds=0, model="ngrams", tree_params=FAST_TREES)
    arrays = arrays_of(model.save(tmp_path / "o.npz"))
    refused(tmp_path / "bare.npz", {k: v for k, v in arrays.items() if not k.startswith("option_tree_")},
            "artifact format 5 without answer-option trees")
    refused(tmp_path / "v4.npz", {**arrays, "format_version": np.asarray([4])},
            "artifact format 4 with answer-option trees")
    feature = arrays["option_tree_feature"]
    for name, index in (("wide", len(OPTION_NAMES)), ("negative", -1)):  # -1 would silently read the last feature
        refused(tmp_path / f"{name}.npz", {**arrays, "option_tree_feature": with_first(feature, index)},
                ".*answer-option features do not have")
    refused(tmp_path / "nan.npz", {**arrays, "option_tree_leaves": with_first(arrays["option_tree_leaves"], np.nan)},
            ".*not a finite number")


def test_cli_train_reports_the_option_trees_weight(tmp_path: Path) -> None:
    out = tmp_path / "m.npz"
    result = CliRunner().invoke(train_command, ["--data", str(_structure_set(tmp_path / "mc.jsonl")),
                                                "--tiers", "small,big", "--model", "ngrams", "--folds", "2",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ngrams + option trees" in result.output and "option trees on mc: +0." in result.output
    weight = json.loads(manifest_path(out).read_text())["option_trees"]["weight"]
    assert f"answer-option trees: weight {weight:g}" in result.output


def test_option_trees_lift_mmlu_past_0_70(shared_data: Path) -> None:
    # mixtral -> gpt-4, 5-fold CV; the weight of the trees is chosen inside each training fold. The word pairs
    # alone score 0.696 on these folds, and LiteLLM's heuristic 0.583.
    tiers = parse_tiers("mixtral-8x7b-instruct-v0.1,gpt-4-1106-preview")
    _, report = train([shared_data / "routellm-mmlu.jsonl"], tiers, folds=5, model="ngrams", leave_one_out=False)
    assert report.cv_apgr["routellm-mmlu"] >= 0.70 and report.options_weight


def _plain_rows(n: int = 120) -> list[str]:
    """A source without multiple-choice prompts: long questions are the hard ones."""
    rows = []
    for i in range(n):
        hard = i % 2 == 0
        text = (f"Prove step by step that the series {i} converges, and explain why." if hard
                else f"Say hi to friend {i}.")
        rows.append(json.dumps({"id": f"p{i}", "source": "plain", "messages": [{"role": "user", "content": text}],
                                "outcomes": {"small": {"score": 0.0 if hard else 1.0}, "big": {"score": 1.0}}}))
    return rows


def test_any_form_takes_option_trees_and_other_sources_keep_their_order(tmp_path: Path) -> None:
    data = _structure_set(tmp_path / "mc.jsonl")
    data.write_text(data.read_text() + "\n".join(_plain_rows()) + "\n")
    plain = [json.loads(r)["messages"][0]["content"] for r in _plain_rows()]
    with_trees, report = train([data], TIERS, folds=0, model="linear", tree_params=FAST_TREES)
    without, _ = train([data], TIERS, folds=0, model="linear", options=False)
    assert report.options_weight and with_trees.options is not None and without.options is None
    # a prompt without options gets exactly nothing from them; a constant would do for one model, but cross-
    # validation pools the held-out predictions of five models, and five constants reorder a source
    assert [with_trees.raw(t) for t in plain] == [without.raw(t) for t in plain]
    hard = "zzz qqq?\nA. kkk\nB. a very long option of many words, longer than the rest\nC. ppp\nD. ttt\nAnswer:"
    easy = "zzz qqq?\nA. kkk\nB. vvv\nC. ppp\nD. ttt\nAnswer:"
    assert with_trees.raw(hard) - with_trees.raw(easy) > without.raw(hard) - without.raw(easy)


def test_option_trees_are_not_tried_beside_a_litellm_prior(tmp_path: Path) -> None:
    model, report = train([_structure_set(tmp_path / "mc.jsonl")], TIERS, folds=0, model="ngrams",
                          litellm_prior=0.5, tree_params=FAST_TREES)
    assert model.options is None and report.options_weight is None and "--litellm-prior" in report.options_note
    result = CliRunner().invoke(train_command, ["--data", str(tmp_path / "mc.jsonl"), "--tiers", "small,big",
                                                "--model", "ngrams", "--folds", "0", "--no-option-trees",
                                                "--out", str(tmp_path / "n.npz")])
    assert result.exit_code == 0, result.output
    assert json.loads(manifest_path(tmp_path / "n.npz").read_text())["option_trees"] is None
