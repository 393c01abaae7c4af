"""`train` reads its data as `eval` does, and a retrained or damaged artifact is read as it is now.

From a new user's walk through training a predictor on their own outcomes.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import litellm
import pytest
from click.testing import CliRunner, Result

import litellm_router_ext
from litellm_router_ext.cli import main
from litellm_router_ext.scorers.learned import default_artifact_path

SMALL, BIG = "openai/gpt-4o-mini", "openai/gpt-4o"
TIERS = f"{SMALL},{BIG}"


def _records(n: int = 40) -> list[dict]:
    """Long arithmetic prompts need the big model, short chat does not."""
    out = []
    for i in range(n):
        hard = i % 2 == 0
        text = (f"A train leaves at {i}:15 and travels {3 * i + 7} km at {40 + i} km/h, then waits {i % 5} "
                f"minutes and goes {2 * i + 1} km more. When does it arrive? Show each step." if hard
                else f"Say hello to my friend number {i}.")
        out.append({"id": f"mine-{i}", "source": "mine", "messages": [{"role": "user", "content": text}],
                    "outcomes": {SMALL: {"score": 0.0 if hard else 1.0}, BIG: {"score": 1.0}}})
    return out


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _train(*args: str) -> Result:
    return CliRunner().invoke(main, ["train", *args], catch_exceptions=False)


@pytest.mark.parametrize("bad", ["1", 5, -1, float("nan"), True, "abc", "BARE"])
def test_a_bad_outcome_is_refused_with_its_file_line_and_key(tmp_path: Path, bad: object) -> None:
    records = _records()
    if bad == "BARE":  # an outcome that is a bare number, not {"score": ...}
        records[5]["outcomes"][BIG] = 1.0
    else:
        records[5]["outcomes"][BIG]["score"] = bad
    data = _write(tmp_path / "evals.jsonl", records)
    result = _train("--data", str(data), "--tiers", TIERS, "--out", str(tmp_path / "a.npz"), "--folds", "0")
    assert result.exit_code != 0 and not (tmp_path / "a.npz").exists()
    assert "evals.jsonl:6" in result.output and f"outcomes.{BIG}" in result.output, result.output


def test_a_record_passed_twice_is_refused_not_counted_in_both_folds(tmp_path: Path) -> None:
    records = _records()
    data = _write(tmp_path / "evals.jsonl", records)
    once = _train("--data", str(data), "--tiers", TIERS, "--out", str(tmp_path / "a.npz"), "--folds", "3")
    assert once.exit_code == 0, once.output
    twice = _train("--data", str(data), "--data", str(data), "--tiers", TIERS, "--out", str(tmp_path / "b.npz"))
    assert twice.exit_code != 0 and "duplicate id 'mine-0'" in twice.output, twice.output
    repeated = _write(tmp_path / "repeated.jsonl", [*records, records[3]])
    inside = _train("--data", str(repeated), "--tiers", TIERS, "--out", str(tmp_path / "c.npz"))
    assert inside.exit_code != 0 and "repeated.jsonl:41" in inside.output and "mine-3" in inside.output


def test_too_few_records_says_the_minimum_and_which_tier_model_no_record_scores(tmp_path: Path) -> None:
    few = _train("--data", str(_write(tmp_path / "few.jsonl", _records(5))), "--tiers", TIERS,
                 "--out", str(tmp_path / "a.npz"), "--folds", "0")
    assert few.exit_code != 0 and "5 usable records" in few.output and "at least 10" in few.output, few.output
    assert "no record scores" not in few.output and "--folds" not in few.output  # the count is the problem
    folds = _train("--data", str(_write(tmp_path / "more.jsonl", _records(12))), "--tiers", TIERS,
                   "--out", str(tmp_path / "a.npz"), "--folds", "15")
    assert folds.exit_code != 0 and "at least 15" in folds.output and "lower --folds" in folds.output
    typo = _train("--data", str(_write(tmp_path / "evals.jsonl", _records())), "--tiers", f"{SMALL},openai/gpt4o",
                  "--out", str(tmp_path / "b.npz"))
    assert typo.exit_code != 0 and "no record scores 'openai/gpt4o'" in typo.output, typo.output
    assert f"the files score {BIG}, {SMALL}" in typo.output


def _router(artifact: Path) -> dict:
    tiers = [{"name": "s", "model": "s"}, {"name": "l", "model": "l"}]
    deployments = [{"model_name": name, "litellm_params": {"model": model, "mock_response": name, "api_key": "x"}}
                   for name, model in (("s", SMALL), ("l", BIG))]
    return {"routers": [{"alias": "mine", "tiers": tiers, "thresholds": {"l": 0.5},
                         "scorers": [{"name": "learned", "params": {"artifact": str(artifact)}}]}],
            "model_list": deployments}


def _difficulty(artifact: Path) -> float:
    litellm_router_ext.install(_router(artifact))
    try:
        response = litellm.completion(model="tiered/mine",
                                      messages=[{"role": "user", "content": "Say hello to my friend number 7."}])
        decision = litellm_router_ext.decision_of(response)
        assert decision is not None
        return float(decision["difficulty"])
    finally:
        litellm_router_ext.uninstall()


def test_install_again_after_retraining_to_the_same_path_reads_the_new_artifact(tmp_path: Path) -> None:
    trained = tmp_path / "trained.npz"
    data = _write(tmp_path / "evals.jsonl", _records())
    assert _train("--data", str(data), "--tiers", TIERS, "--out", str(trained), "--folds", "0").exit_code == 0
    mine = tmp_path / "mine.npz"
    shutil.copy(default_artifact_path(), mine)
    shipped = _difficulty(mine)
    shutil.copy(trained, mine)  # `train --out mine.npz` again, then install again, in one notebook
    assert _difficulty(mine) == pytest.approx(_difficulty(trained)) != pytest.approx(shipped)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04" + b"\x00" * 40], ids=["empty", "cut short"])
def test_a_damaged_artifact_is_named_with_the_fix(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "damaged.npz"
    bad.write_bytes(content)
    try:
        with pytest.raises(litellm_router_ext.ArtifactError, match=re.escape(str(bad)) + ".*litellm-router train"):
            litellm_router_ext.install(_router(bad))
    finally:
        litellm_router_ext.uninstall()


def test_options_that_cannot_work_are_refused_before_training(tmp_path: Path) -> None:
    data = str(_write(tmp_path / "evals.jsonl", _records()))
    one_fold = _train("--data", data, "--tiers", TIERS, "--out", str(tmp_path / "a.npz"), "--folds", "1")
    assert one_fold.exit_code == 2 and "use 0 to skip it, or 2 or more" in one_fold.output, one_fold.output
    (tmp_path / "taken").write_text("a file where a folder should be")
    blocked = _train("--data", data, "--tiers", TIERS, "--out", str(tmp_path / "taken" / "sub" / "a.npz"))
    assert blocked.exit_code == 2 and f"{tmp_path / 'taken'} is a file, not a folder" in blocked.output
    assert "usable records" not in blocked.output and "APGR" not in blocked.output  # refused before training
    _write(tmp_path / "bad.jsonl", [{**_records(1)[0], "outcomes": {SMALL: {"score": 5}}}])
    refused = _train("--data", str(tmp_path / "bad.jsonl"), "--tiers", TIERS, "--out", str(tmp_path / "new" / "a.npz"))
    assert refused.exit_code != 0 and not (tmp_path / "new").exists()  # a refused run leaves no folder behind


def test_a_file_saved_with_a_byte_order_mark_reads_as_without(tmp_path: Path) -> None:
    plain = _write(tmp_path / "plain.jsonl", _records())
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())  # as some Windows editors save UTF-8
    result = _train("--data", str(marked), "--tiers", TIERS, "--out", str(tmp_path / "a.npz"), "--folds", "0")
    assert result.exit_code == 0 and "trained on 40 prompts" in result.output, result.output


def test_a_source_with_no_gain_between_the_tiers_is_named_and_does_not_pick_the_form(tmp_path: Path) -> None:
    upside_down = [{**r, "id": f"flat-{i}", "source": "flat",
                    "outcomes": {SMALL: {"score": 1.0}, BIG: {"score": float(i % 2)}}}
                   for i, r in enumerate(_records())]
    mixed = _write(tmp_path / "mixed.jsonl", [*_records(), *upside_down])
    result = _train("--data", str(mixed), "--tiers", TIERS, "--out", str(tmp_path / "a.npz"), "--folds", "3")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "no gain to route for on flat: the top tier scores 0.500 there, below the lower tiers (1.000)" in said
    assert "no gain to route for on mine" not in result.output  # the other source gains 0.5


def test_auto_lets_only_sources_with_a_gain_choose_the_form() -> None:
    from litellm_router_ext.learned.training import _choose

    cv = {"linear": {"real": 0.70, "flat": 0.50}, "trees": {"real": 0.69, "flat": 9.0}}  # 9.0: APGR over ~0 gain
    assert _choose("auto", cv) == "trees"  # the noise outvotes the real source
    assert _choose("auto", cv, ignore=["flat"]) == "linear"
    assert _choose("auto", cv, ignore=["real", "flat"]) == "linear" and _choose("trees", cv, ignore=["flat"]) == "trees"


def test_a_model_that_scores_chit_chat_as_hard_says_so(tmp_path: Path, shared_data: Path) -> None:
    with_chat = _train("--data", str(_write(tmp_path / "mixed.jsonl", _records())), "--tiers", TIERS,
                       "--out", str(tmp_path / "a.npz"), "--folds", "0")
    assert with_chat.exit_code == 0 and "everyday prompts score as hard" not in with_chat.output
    # 300 LLMRouter prompts: short trivia is what gemma-2-9b gets wrong, so "hi, how are you?" (short, and like
    # nothing in the data) is scored harder than almost all of them
    lines = (shared_data / "llmrouter-train.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    (tmp_path / "trivia.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pair = "gemma-2-9b-it,llama-3.1-nemotron-51b-instruct"
    trivia = _train("--data", str(tmp_path / "trivia.jsonl"), "--tiers", pair, "--out", str(tmp_path / "b.npz"),
                    "--folds", "0")
    said = " ".join(trivia.output.split())
    assert trivia.exit_code == 0 and "everyday prompts score as hard: 'hi, how are you?'" in said, trivia.output


def test_a_rules_file_rebuilt_in_place_is_read_afresh(tmp_path: Path) -> None:
    from litellm_router_ext.learned.litellm_rules import default_rules_path
    from litellm_router_ext.scorers.litellm_heuristic import LiteLLMHeuristicScorer
    from litellm_router_ext.types import RequestView

    rules = tmp_path / "rules.json"
    shutil.copy(default_rules_path(), rules)
    request = RequestView.from_params([{"role": "user", "content": "Write a Python function to sort a list."}], {})
    before = LiteLLMHeuristicScorer(rules).score(request)
    data = json.loads(rules.read_text())
    data["knots"] = [k + 100.0 for k in data["knots"]]  # every prompt now scores below the lowest knot
    rules.write_text(json.dumps(data))
    assert before > 0.0 and LiteLLMHeuristicScorer(rules).score(request) == 0.0


def test_a_three_tier_report_names_the_mean_of_the_lower_tiers(tmp_path: Path) -> None:
    # The APGR table of small,mid,top was titled "small -> top", though it scores top against the mean of both
    records = _records()
    for r in records:
        r["outcomes"]["acme/mid"] = {"score": 0.5}
    data = _write(tmp_path / "evals.jsonl", records)
    result = _train("--data", str(data), "--tiers", f"{SMALL},acme/mid,{BIG}", "--out", str(tmp_path / "a.npz"),
                    "--folds", "0", "--model", "linear")
    assert result.exit_code == 0, result.output
    assert f"mean of {SMALL} | acme/mid -> {BIG}" in " ".join(result.output.split())
