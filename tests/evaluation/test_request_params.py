"""Review of request parameters on eval records: parsing, replay, resume fingerprints, collect's merge, and how
a tool-calling answer is rendered for scoring."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from litellm_router_ext.errors import DatasetError
from litellm_router_ext.evaluation.collect import Ask, collect
from litellm_router_ext.evaluation.dataset import EvalItem, load_eval_set, parse_record
from litellm_router_ext.evaluation.live import LiveAnswer, asked_digest, fingerprint

TOOL = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
CALL = [{"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}]


def _record(**params: object) -> dict[str, object]:
    return {"id": "a", "source": "s", "messages": [{"role": "user", "content": "Weather in Oslo?"}],
            "reference": "x", **params}


def _item(**params: object) -> EvalItem:
    return parse_record(_record(**params), "f.jsonl", 1, require_outcomes=False)


# ------------------------------------------------------------------ parsing and replay


def test_null_params_are_no_params_and_keep_the_old_fingerprints() -> None:
    item = _item(tools=None, tool_choice=None, response_format=None)
    assert item.params == {} and item.extra == {}
    messages = [{"role": "user", "content": "Weather in Oslo?"}]
    # the formulas before request parameters existed: a results file written then still resumes
    old_fp = hashlib.sha256(json.dumps([messages, "x", "auto", ""], sort_keys=True, default=str)
                            .encode()).hexdigest()[:16]
    old_asked = hashlib.sha256(json.dumps([messages, "m"], sort_keys=True, default=str).encode()).hexdigest()[:16]
    assert fingerprint(item, "auto") == old_fp and asked_digest(item, "m") == old_asked
    assert fingerprint(_item(tools=[TOOL]), "auto") != old_fp


def test_odd_but_accepted_params_never_make_request_raise() -> None:
    many = [{"type": "function", "function": {"name": f"f{i}", "parameters": {"type": "object"}}} for i in range(500)]
    for params in ({"response_format": {"type": "text"}}, {"tools": many, "tool_choice": "auto"},
                   {"response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {}}}},
                   {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "weather"}}}):
        view = _item(**params).request()
        assert view.needs_tools == ("tools" in params)
    assert not _item(response_format={"type": "text"}).request().wants_json


@pytest.mark.parametrize("choice", ["banana", "Auto", {"type": "function"}, {"function": {"name": "weather"}}])
def test_tool_choice_outside_what_the_error_message_promises_is_refused(choice: object) -> None:
    # the message says "must be 'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}";
    # these parse, then every live call fails (LiteLLM itself raises BadRequestError on the dict forms)
    with pytest.raises(DatasetError, match="tool_choice"):
        _item(tools=[TOOL], tool_choice=choice)


def test_a_tool_without_its_function_or_an_empty_tool_list_is_refused() -> None:
    # both parse and are sent as they are (LiteLLM passes tools=[] through; replay sees no tools for it), and
    # OpenAI rejects both ("empty array", "missing required parameter tools[0].function")
    for tools in ([], [{"type": "function"}]):
        with pytest.raises(DatasetError, match="tools"):
            _item(tools=tools)


# ------------------------------------------------------------------ rendering a tool-calling answer


def _message(content: str | None, calls: list[dict[str, object]] | None) -> object:
    from litellm.types.utils import Message

    return Message(content=content, tool_calls=calls)


def test_answer_text_renders_tool_calls_and_odd_arguments() -> None:
    from litellm_router_ext.adapters.live import answer_text

    assert json.loads(answer_text(_message("", CALL))) == [{"name": "weather", "arguments": {"city": "Oslo"}}]
    odd = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": a}} for a in (None, "not json")]
    assert json.loads(answer_text(_message(None, odd))) == [{"name": "f", "arguments": {}},
                                                            {"name": "f", "arguments": "not json"}]
    assert answer_text(SimpleNamespace(content=None)) == ""  # no tool_calls attribute at all
    assert answer_text(_message("plain", None)) == "plain"


def test_answer_text_keeps_the_tool_call_of_an_answer_that_also_says_something() -> None:
    # Claude and GPT-4o often write "Let me check." beside the call: the call is dropped, and an answer that
    # called the right tool is scored 0 against a tool-call reference
    from litellm_router_ext.adapters.live import answer_text

    assert '"weather"' in answer_text(_message("Let me check the weather.", CALL))


def test_answer_text_takes_arguments_already_decoded() -> None:
    from litellm_router_ext.adapters.live import answer_text

    message = SimpleNamespace(content=None, tool_calls=[SimpleNamespace(
        function=SimpleNamespace(name="weather", arguments={"city": "Oslo"}))])
    assert json.loads(answer_text(message)) == [{"name": "weather", "arguments": {"city": "Oslo"}}]


# ------------------------------------------------------------------ collect's merge with an earlier out


def _fixed(text: str) -> Ask:
    async def ask(item: EvalItem) -> LiveAnswer:
        return LiveAnswer(text=text, model="m", cost_usd=0.0)

    return ask


def _run(data: Path, out: Path) -> dict[str, dict[str, object]]:
    asyncio.run(collect(load_eval_set(data, require_outcomes=False), ["m"], lambda _: _fixed("x"), out))
    return {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}


@pytest.mark.parametrize(("before", "after", "kept"), [
    ({"tools": [TOOL]}, {"tools": [TOOL]}, True),
    ({"tools": [TOOL]}, {"tools": [{**TOOL, "function": {"name": "other"}}]}, False),
    ({"tools": [TOOL]}, {}, False),
    ({}, {"response_format": {"type": "json_object"}}, False),
    ({}, {"tools": None}, True),
])
def test_collect_keeps_other_models_outcomes_only_for_the_same_request(tmp_path: Path, before: dict, after: dict,
                                                                        kept: bool) -> None:
    data, out = tmp_path / "p.jsonl", tmp_path / "o.jsonl"
    data.write_text(json.dumps(_record(**before)) + "\n")
    _run(data, out)
    line = json.loads(out.read_text())
    line["outcomes"]["earlier-model"] = {"score": 1.0}  # asked by an earlier run of another model
    out.write_text(json.dumps(line) + "\n")
    data.write_text(json.dumps(_record(**after)) + "\n")
    written = _run(data, out)["a"]
    assert ("earlier-model" in written["outcomes"]) == kept
    assert {k: written.get(k) for k in ("tools", "response_format")} == {
        k: after.get(k) for k in ("tools", "response_format")}


# ------------------------------------------------------------------ replaying a collected tool-call answer


def test_replayed_tool_args_check_sees_the_recorded_tool_call(tmp_path: Path) -> None:
    # collect writes a tool-calling answer as answer_text renders it; replay now gives the check the record's
    # tools (needs_tools) but never the recorded call, so `tool_args` with require_call rejects every cheap
    # tool call it replays and the cascade escalates all of them (live, the same answers are accepted)
    from litellm_router_ext.adapters.live import answer_text
    from litellm_router_ext.config import parse_config
    from litellm_router_ext.evaluation.replay import evaluate
    from litellm_router_ext.evaluation.routers import ReplayRouter

    from .conftest import record, write_set
    from .test_replay import _table

    rendered = answer_text(_message("", CALL))  # what collect stores as the cheap model's response
    records = [record(i, "Weather in Oslo?", 1.0, 1.0, response=rendered, tools=[TOOL]) for i in range(10)]
    path = write_set(tmp_path, records)
    tiers = [{"name": "a", "model": "cheap"}, {"name": "b", "model": "strong"}]
    config = parse_config({"alias": "t", "tiers": tiers, "thresholds": [0.99], "cascade": {
        "validators": [{"name": "tool_args", "params": {"require_call": True}}]}}).routers[0]
    report = evaluate(_table(path), [ReplayRouter("t", np.zeros(10), (0.99,), config)], bootstrap=0)
    assert report.result("t+cascade").cascade["escalation_rate"] == 0.0
