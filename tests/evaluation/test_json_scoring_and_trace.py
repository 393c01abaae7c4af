"""JSON scoring edge cases, records scored as text by an earlier version, the judge gate, eval --trace."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from litellm_router_ext.cascade.base import is_tool_calls, tool_calls_of_text, tool_calls_text
from litellm_router_ext.cli import main
from litellm_router_ext.config import CascadeConfig, RouterConfig, ScorerConfig, TierConfig, ValidatorConfig
from litellm_router_ext.evaluation.cascade import replay
from litellm_router_ext.evaluation.dataset import EvalItem, Outcome, load_eval_set
from litellm_router_ext.evaluation.live import LiveAnswer, LiveRun, resolve_mode, same_json, score_answer
from litellm_router_ext.evaluation.outcomes import OutcomeTable

from .conftest import record, write_set

# ------------------------------------------------------------------------------------------- json scoring


@pytest.mark.parametrize(
    ("answer", "reference", "score"),
    [
        ('[{"a": [1, {"b": 2.0}]}, {"c": null}]', '[{"a": [1, {"b": 2}]}, {"c": null}]', 1.0),  # nested, 2 == 2.0
        ('[{"a": [1, {"b": 2}]}]', '[{"a": [{"b": 2}, 1]}]', 0.0),  # a list keeps its order
        ('{"n": 1}', '{"n": 1.0}', 1.0),
        ('{"n": true}', '{"n": 1}', 0.0),
        ('{"n": 0}', '{"n": false}', 0.0),
        ('{"n": null}', '{"n": 0}', 0.0),
        ('{"n": []}', '{"n": {}}', 0.0),
        ('{"city": "Z\\u00fcrich"}', '{"city": "Zürich"}', 1.0),  # an escape is the same string
        ('```JSON\n{"a": 1}\n```', '{"a": 1}', 1.0),
        ('```\n{"a": 1}\n```', '{"a": 1}', 1.0),
        ('{"a": 1} and more', '{"a": 1}', 0.0),
    ],
)
def test_json_mode_edge_cases(answer: str, reference: str, score: float) -> None:
    assert score_answer(answer, reference) == score


def test_auto_reads_only_real_json_as_json() -> None:
    for reference in ("{", "[citation needed]", "[", "{a: 1}", "true", '"x"', "42", "B"):
        assert resolve_mode(reference, "auto") != "json", reference
    assert same_json({"a": [1, 2]}, {"a": [1, 2]}) and not same_json({"a": "1"}, {"a": 1})


def test_auto_keeps_a_list_of_plain_values_a_text_answer() -> None:
    # README: a reference "that is JSON (such a list of calls, or an object) is compared as JSON; a letter, a
    # number or other text is compared as such". "[2, 3, 5]" is neither calls nor an object, yet auto now
    # compares it as JSON: "2, 3, 5" (scored 1.0 by the normalised-text rule before) scores 0.0.
    assert score_answer("2, 3, 5", "[2, 3, 5]") == 1.0
    assert score_answer("Paris", '["Paris"]') == 1.0


def test_a_reference_call_with_arguments_as_a_json_string_matches_the_same_call() -> None:
    # OpenAI's wire format carries arguments as a JSON string; answer_text decodes the answer's arguments
    # (tool_calls_text), the reference's are compared as written: every answer scores 0, silently.
    answer = tool_calls_text([("pay", '{"amount": 5}')])
    assert score_answer(answer, json.dumps([{"name": "pay", "arguments": '{"amount": 5}'}])) == 1.0


def test_parallel_tool_calls_in_another_order_are_the_same_answer() -> None:
    answer = tool_calls_text([("weather", '{"city": "Paris"}'), ("weather", '{"city": "Tokyo"}')])
    reference = tool_calls_text([("weather", '{"city": "Tokyo"}'), ("weather", '{"city": "Paris"}')])
    assert score_answer(answer, reference) == 1.0


def test_score_json_with_a_reference_that_is_not_json_accepts_nothing() -> None:
    # --score json names the mode for every item; a reference that does not parse becomes None, and an
    # answer "null" then equals it.
    assert score_answer("null", "Paris", "json") == 0.0


def test_a_deeply_nested_answer_scores_zero_instead_of_failing_for_good(tmp_path: Path) -> None:
    # A model stuck repeating "[" (degenerate output) against a JSON reference: json.loads raises RecursionError,
    # which is no ValueError, so the record fails as "judge: RecursionError" (no judge is involved), collect
    # exits 1 asking for a rerun, and every rerun rescoring the kept answer fails the same way.
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"id": "j", "source": "s", "messages": [{"role": "user", "content": "calls?"}],
                                "reference": '[{"name": "pay", "arguments": {}}]'}) + "\n")
    items = load_eval_set(data, require_outcomes=False).items

    async def ask(item: EvalItem) -> LiveAnswer:
        return LiveAnswer(text="[" * 50_000, model="m")

    fresh, _ = asyncio.run(LiveRun(ask, tmp_path / "part.jsonl", keep_responses=True).run(items))
    assert (fresh[0].error, fresh[0].score) == (None, 0.0)


# ------------------------------------------------------------------ the fingerprint change and eval --live


def test_eval_live_does_not_buy_answers_to_json_references_again(tmp_path: Path) -> None:
    # eval --live keeps no response (keep_responses=False): a record an earlier version wrote for a JSON
    # reference under auto no longer matches its fingerprint, and there is no answer to rescore, so the
    # upgrade re-asks (pays for) every such item. The commit says "nothing bought twice"; that holds for
    # collect only, and neither README nor the run's output says so.
    messages = [{"role": "user", "content": "Tokyo as JSON?"}]
    reference = '{"city": "Tokyo"}'
    data = tmp_path / "set.jsonl"
    data.write_text(json.dumps({"id": "j", "source": "s", "messages": messages, "reference": reference}) + "\n")
    items = load_eval_set(data, require_outcomes=False).items
    answerer = "r:0123456789ab"
    out = tmp_path / "live.jsonl"
    old = hashlib.sha256(json.dumps([messages, reference, "auto", f"{answerer}|"], sort_keys=True).encode())
    asked = hashlib.sha256(json.dumps([messages, answerer], sort_keys=True).encode()).hexdigest()[:16]
    out.write_text(json.dumps({"id": "j", "category": None, "score": 1.0, "tier": "small", "model": "m",
                               "cost_usd": 0.5, "escalations": 0, "verified": True, "latency_ms": 10.0,
                               "error": None, "fingerprint": old.hexdigest()[:16], "response": None,
                               "detail": None, "asked": asked}) + "\n")
    calls: list[str] = []

    async def ask(item: EvalItem) -> LiveAnswer:
        calls.append(item.id)
        return LiveAnswer(text='{"city": "Tokyo"}', tier="small", model="m", cost_usd=0.5)

    run = LiveRun(ask, out, answerer=answerer)
    asyncio.run(run.run(items))
    assert calls == []  # today: ["j"], bought again


# ---------------------------------------------------------------------------------------- the judge gate


class _SlowGroups:
    """A router stand-in with one model group, ``grader``, that answers "8" after a short wait."""

    model_list: ClassVar[list[dict[str, Any]]] = []  # no deployment to price its answers by

    def get_model_names(self) -> list[str]:
        return ["grader"]

    async def acompletion(self, **_: Any) -> Any:
        await asyncio.sleep(0.01)
        return SimpleNamespace(_hidden_params={"response_cost": 0.0},
                               choices=[SimpleNamespace(message=SimpleNamespace(content="8"))])


def test_a_judge_with_a_concurrency_cap_serves_a_second_event_loop() -> None:
    # The Semaphore binds to the first loop in which a caller had to wait; a second asyncio.run (a script or
    # notebook calling collect twice with one judge) then fails every call that has to wait: RuntimeError,
    # recorded as "judge: RuntimeError" on answers that were paid for.
    from litellm_router_ext.adapters.live import LLMJudge

    judge = LLMJudge("grader", _SlowGroups(), concurrency=1)  # type: ignore[arg-type]
    item = EvalItem("i", "s", None, ({"role": "user", "content": "2+2?"},), {}, reference="4")

    async def three() -> list[float]:
        return list(await asyncio.gather(*(judge(item, "4") for _ in range(3))))

    assert asyncio.run(three()) == [7 / 9] * 3
    assert asyncio.run(three()) == [7 / 9] * 3
    assert judge.failed == 0


# ------------------------------------------------------------------------------------------- eval --trace


def _three_tier_table() -> tuple[OutcomeTable, RouterConfig]:
    def item(i: int, low: str | None, mid: str | None, scores: tuple[float, float, float]) -> EvalItem:
        outcomes = {"a": Outcome(scores[0], low), "b": Outcome(scores[1], mid), "c": Outcome(scores[2], "top")}
        return EvalItem(f"x{i}", "s", None, ({"role": "user", "content": f"q{i}"},), outcomes)

    items = (item(0, "fine", None, (1.0, 1.0, 1.0)),  # routed to mid, whose response is missing
             item(1, "I cannot help with that.", "Sure: 4", (0.0, 1.0, 1.0)),  # low refuses, mid answers
             item(2, "I cannot help.", "I can't do that.", (0.0, 0.0, 1.0)))  # both refuse
    table = OutcomeTable(("a", "b", "c"), items, np.array([i.outcomes[m].score for i in items for m in "abc"])
                         .reshape(3, 3), np.array([[0.1, 1.0, 10.0]] * 3))
    config = RouterConfig(alias="r", tiers=(TierConfig(name="low", model="a"), TierConfig(name="mid", model="b"),
                                            TierConfig(name="top", model="c")),
                          scorers=(ScorerConfig(name="heuristic"),), thresholds=(0.3, 0.6),
                          cascade=CascadeConfig(validators=(ValidatorConfig(name="refusal"),)))
    return table, config


def test_trace_of_a_three_tier_ladder_from_above_the_bottom_with_a_missing_response() -> None:
    table, config = _three_tier_table()
    run = replay(table, config, np.array([1, 0, 0]))
    by_id = {entry["id"]: entry for entry in run.trace}
    missing = by_id["x0"]
    assert (missing["routed"], missing["final"]) == ("mid", "top")
    assert [a["tier"] for a in missing["attempts"]] == ["mid", "top"]
    assert missing["attempts"][0]["error"] == "NoRecordedResponse" and "accepted" not in missing["attempts"][0]
    one = by_id["x1"]
    assert [(a["tier"], a.get("accepted"), a["correct"]) for a in one["attempts"]] == [("low", False, False),
                                                                                     ("mid", True, True)]
    assert one["final"] == "mid" and one["cost_usd"] == pytest.approx(1.1)
    assert by_id["x2"]["final"] == "top" and len(by_id["x2"]["attempts"]) == 3
    assert all(json.loads(json.dumps(entry)) == entry for entry in run.trace)  # plain JSON, no numpy types
    assert [config.tier_index(by_id[f"x{i}"]["final"]) for i in range(3)] == run.final_tier.tolist()


def _trace_run(tmp_path: Path, *extra: str, cascade: bool) -> Any:
    records = [record(i, "hi", 1.0, 1.0, response="Sure.") for i in range(4)]
    data = write_set(tmp_path, records)
    router = {"alias": "r", "tiers": [{"name": "small", "model": "cheap"}, {"name": "large", "model": "strong"}],
              "scorers": [{"name": "heuristic"}], "thresholds": [0.99],
              **({"cascade": {"validators": [{"name": "refusal"}]}} if cascade else {})}
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [router]}))
    return CliRunner().invoke(main, ["eval", "--data", str(data), "--router", str(config), "--bootstrap", "0",
                                     *extra], catch_exceptions=False)


def test_trace_without_a_cascade_says_there_was_nothing_to_trace(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    result = _trace_run(tmp_path, "--trace", str(trace), cascade=False)
    assert result.exit_code == 0, result.output
    assert trace.read_text() == ""  # an empty file ...
    said = result.output.replace(str(tmp_path), "").lower()  # tmp_path holds this test's name
    assert "trace" in said or "cascade" in said  # ... and not a word about why


def test_trace_dash_writes_to_stdout_as_json_dash_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _trace_run(tmp_path, "--trace", "-", "--quiet", cascade=True)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "-").exists()  # today: a file named "-" in the working directory


# ------------------------------------------------------------------------------------- docs/validators.md


def test_docs_validators_md_shows_defaults_as_they_are_written_in_yaml() -> None:
    # The default column is repr() inside a code span, where Markdown shows every backslash: the arithmetic
    # final_pattern reads '####\\s*...' (a regex for a literal backslash if copied into YAML), while
    # format.final_answer's description shows the same kind of regex with single backslashes.
    from litellm_router_ext.cascade.validators.arithmetic import ArithmeticParams

    doc = (Path(__file__).resolve().parents[2] / "docs" / "validators.md").read_text(encoding="utf-8")
    row = next(line for line in doc.splitlines() if line.startswith("| `final_pattern` |"))
    shown = row.split(" | ")[2].strip("`").strip("'")
    assert shown == ArithmeticParams.model_fields["final_pattern"].default


def test_scoring_and_replay_read_the_same_lists_as_tool_calls() -> None:
    # One predicate for both: a list the replay would not turn into calls is not scored as calls either.
    calls = json.loads(tool_calls_text([("weather", '{"city": "Paris"}')]))
    assert is_tool_calls(calls) and tool_calls_of_text(json.dumps(calls))
    nameless = [{"name": None, "arguments": {}}, {"name": "f", "arguments": {}}]
    assert not is_tool_calls(nameless) and tool_calls_of_text(json.dumps(nameless)) == ()
    # scoring reads them the same way: not calls, so order matters as in any JSON list
    assert not same_json(nameless, nameless[::-1]) and same_json(calls * 2, calls * 2)
    assert not is_tool_calls([]) and not is_tool_calls([{"name": "f"}])
