from __future__ import annotations

import json
import math
from typing import Any

import pytest

from litellm_router_ext.cascade import build_validators
from litellm_router_ext.cascade.validators.agreement import final_answer
from litellm_router_ext.cascade.validators.arithmetic import evaluate
from litellm_router_ext.cascade.validators.judge import parse_score
from litellm_router_ext.cascade.validators.structured import extract_json_text
from litellm_router_ext.config import CascadeConfig, ValidatorConfig
from litellm_router_ext.errors import ConfigError
from litellm_router_ext.types import RequestView, Verdict

from .conftest import answer, cascade, request


def one(name: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
    return build_validators(cascade({"name": name, "params": params or {}}, **kw), **_deps(name))[0]


def _deps(name: str) -> dict[str, Any]:
    return {"ask": lambda m: "Score: 8"} if name == "judge" else {}


# ------------------------------------------------------------------------------------------ bad params


@pytest.mark.parametrize(
    ("name", "params", "key_part"),
    [
        ("logprob", {"min_mean": 0.5}, "min_mean"),
        ("logprob", {"mean": -1}, "mean"),
        ("format", {"must_match": ["("]}, "params"),
        ("format", {"min_chars": 10, "max_chars": 5}, "params"),
        ("refusal", {"reject_hedges": "maybe"}, "reject_hedges"),
        ("agreement", {"extract": "word"}, "extract"),
        ("agreement", {"n": 1}, "n"),
        ("judge", {"threshold": 11}, "params"),
        ("schema", {"schema": {"type": "nope"}}, "schema"),
        ("arithmetic", {"final_pattern": "####"}, "final_pattern"),
        ("json", {"when": "sometimes"}, "when"),
    ],
)
def test_bad_params_raise_config_error_naming_the_key(name: str, params: dict[str, Any], key_part: str) -> None:
    with pytest.raises(ConfigError) as info:
        one(name, params)
    assert info.value.key is not None and key_part in info.value.key
    assert info.value.key.startswith("cascade.validators[0].params")


def test_bad_literal_lists_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        one("agreement", {"extract": "word"})
    # each said once: pydantic's message lists them, and they were listed again after it as "; allowed: ..."
    assert all(str(info.value).count(f"'{v}'") == 1 for v in ("auto", "number", "choice", "last_line")), info.value
    assert "allowed:" not in str(info.value)


def test_unknown_param_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        one("refusal", {"phrases": ["x"]})
    assert info.value.allowed is not None and "refusal_phrases" in info.value.allowed


def test_an_unbuilt_misspelt_validator_name_gets_the_near_one() -> None:
    # a config made without validation (model_construct) reaches build_validators with any name
    misspelt = CascadeConfig(validators=({"name": "refusal"},)).model_copy(
        update={"validators": (ValidatorConfig.model_construct(name="refusl", path=None, weight=1.0, params={}),)}
    )
    with pytest.raises(ConfigError, match=r"unknown validator 'refusl'; did you mean 'refusal'\?"):
        build_validators(misspelt)


def test_judge_without_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="judge_tier"):
        build_validators(cascade({"name": "judge"}))


def test_capabilities_are_class_attributes() -> None:
    vs = build_validators(
        cascade({"name": "logprob"}, {"name": "refusal"}, {"name": "agreement", "params": {"n": 3}}, {"name": "json"})
    )
    assert [(v.needs_logprobs, v.needs_samples, v.can_stream) for v in vs] == [
        (True, 1, False),
        (False, 1, True),
        (False, 3, False),
        (False, 1, False),
    ]
    assert type(vs[2]).needs_samples == 3


# ------------------------------------------------------------------------------------------ logprob


def test_logprob_accepts_confident_rejects_unsure() -> None:
    v = one("logprob", {"min_mean": -0.5, "min_token": -3})
    good = v.check(answer("yes", token_logprobs=(-0.1, -0.2)))
    assert good.accepted and good.score == pytest.approx(math.exp(-0.15))
    assert not v.check(answer("x", token_logprobs=(-1.0, -2.0))).accepted
    low = v.check(answer("x", token_logprobs=(-0.01,) * 9 + (-4.0,)))
    assert not low.accepted and "min token" in low.reason


def test_logprob_missing_skip_or_fail() -> None:
    skip = one("logprob").check(answer("x"))
    assert skip.accepted and skip.reason == "no logprobs, skipped"
    fail = one("logprob", on_missing_logprobs="fail").check(answer("x"))
    assert not fail.accepted


def test_logprob_survives_minus_infinity() -> None:
    assert not one("logprob").check(answer("x", token_logprobs=(float("-inf"),))).accepted


# ------------------------------------------------------------------------------------------ json / schema / tools

SCHEMA = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}},
    "required": ["n"],
    "additionalProperties": False,
}


def test_fences_are_stripped() -> None:
    assert extract_json_text('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert extract_json_text('Here:\n```json\n{"a": 1}\n```\nDone', allow_prose=True) == '{"a": 1}'
    assert extract_json_text('Here:\n```json\n{"a": 1}\n```').startswith("Here")


def test_json_validator() -> None:
    v = one("json")
    wants = request(wants_json=True)
    assert v.check(answer('```json\n{"a": 1}\n```', wants)).accepted
    bad = v.check(answer('{"a": 1', wants))
    assert not bad.accepted and "not valid JSON" in bad.reason
    assert v.check(answer("plain prose")).accepted  # request asked for no JSON
    assert not one("json", {"when": "always"}).check(answer("plain prose")).accepted
    assert not one("json", {"require_object": True}).check(answer("[1]", wants)).accepted


def test_schema_validator_uses_request_schema() -> None:
    v = one("schema")
    req = request(wants_json=True, response_schema=SCHEMA)
    assert v.check(answer('{"n": 3}', req)).accepted
    for bad in ('{"n": -1}', '{"n": "3"}', "{}", '{"n": 1, "x": 2}'):
        verdict = v.check(answer(bad, req))
        assert not verdict.accepted and "schema violation" in verdict.reason, bad


def test_schema_validator_configured_schema_and_broken_request_schema() -> None:
    v = one("schema", {"schema": SCHEMA})
    assert not v.check(answer('{"n": "x"}', request(wants_json=True))).accepted
    broken = request(wants_json=True, response_schema={"type": 12})
    assert v.check(answer('{"n": 1}', broken)).accepted


def test_tool_args_validator() -> None:
    tools = ({"type": "function", "function": {"name": "add", "parameters": SCHEMA}},)
    req = request(needs_tools=True, tools=tools)
    v = one("tool_args")

    def call(name: str, args: str) -> dict[str, Any]:
        return {"id": "1", "type": "function", "function": {"name": name, "arguments": args}}

    assert v.check(answer("", req, tool_calls=(call("add", json.dumps({"n": 2})),))).accepted
    assert not v.check(answer("", req, tool_calls=(call("add", '{"n": -2}'),))).accepted
    assert not v.check(answer("", req, tool_calls=(call("add", "{n: 2"),))).accepted
    assert "unknown tool" in v.check(answer("", req, tool_calls=(call("sub", "{}"),))).reason
    assert v.check(answer("no call", req)).accepted
    assert not one("tool_args", {"require_call": True}).check(answer("no call", req)).accepted


def test_tool_args_follows_the_requests_tool_choice() -> None:
    tools = [{"type": "function", "function": {"name": "add", "parameters": SCHEMA}},
             {"type": "function", "function": {"name": "sub"}}]
    add = {"id": "1", "type": "function", "function": {"name": "add", "arguments": '{"n": 2}'}}

    def verdict(tool_choice: object, *calls: dict[str, Any], require_call: bool = False) -> Any:
        req = RequestView.from_openai([{"role": "user", "content": "2 + 2?"}], tools=tools, tool_choice=tool_choice)
        return one("tool_args", {"require_call": require_call}).check(answer("four", req, tool_calls=calls))

    # a call demanded by the request: a plain answer fails the request, whatever require_call says
    assert "'required'" in verdict("required").reason and not verdict("required").accepted
    named = {"type": "function", "function": {"name": "sub"}}
    assert not verdict(named).accepted
    assert "names 'sub'" in verdict(named, add).reason  # calls a tool, but not the one asked for
    assert verdict({"type": "function", "function": {"name": "add"}}, add).accepted
    # auto (or absent, or a form not known here): a plain answer is a valid answer unless require_call says not
    for choice in ("auto", None, {"type": "any"}):
        assert verdict(choice).accepted and verdict(choice, add).accepted
        assert not verdict(choice, require_call=True).accepted
    # none: a plain answer is what was asked for, even with require_call; a call is not
    assert verdict("none", require_call=True).accepted
    assert not verdict("none", add).accepted
    # a named function the request does not offer: no tier can call it, so the name is not held against a call
    assert verdict({"type": "function", "function": {"name": "nope"}}, add).accepted


def test_a_providers_own_tool_is_an_offered_tool() -> None:
    # Anthropic's server tools (named at the top level) come back from LiteLLM as tool_calls: not "unknown"
    tools = [{"type": "function", "function": {"name": "add", "parameters": SCHEMA}},
             {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]
    search = {"id": "srvtoolu_1", "type": "function", "function": {"name": "web_search", "arguments": '{"query": "x"}'}}
    req = RequestView.from_openai([{"role": "user", "content": "news on x?"}], tools=tools, tool_choice="required")
    assert one("tool_args").check(answer("", req, tool_calls=(search,))).accepted
    other = {"id": "2", "type": "function", "function": {"name": "browse", "arguments": "{}"}}
    assert "unknown tool" in one("tool_args").check(answer("", req, tool_calls=(other,))).reason


def test_legacy_functions_are_read_as_tools() -> None:
    # functions / function_call, the deprecated spelling LiteLLM still forwards, are tools / a named tool_choice
    req = RequestView.from_openai([{"role": "user", "content": "2 + 2?"}],
                                  functions=[{"name": "add", "parameters": SCHEMA}], function_call={"name": "add"})
    assert req.needs_tools and (req.tool_choice, req.required_tool) == ("function", "add")
    assert not one("tool_args").check(answer("four", req)).accepted
    assert RequestView.from_openai([{"role": "user", "content": "hi"}], functions=[{"name": "add"}],
                                   function_call="none").tool_choice == "none"


# ------------------------------------------------------------------------------------------ format


def test_format_validator() -> None:
    v = one(
        "format",
        {
            "final_answer": r"####\s*-?[\d,.]+",
            "must_not_match": ["lorem"],
            "max_chars": 50,
            "min_chars": 3,
            "must_match": ["total"],
        },
    )
    assert v.check(answer("The total is 4.\n#### 4")).accepted
    assert "final_answer" in v.check(answer("The total is 4.")).reason
    assert "must_not_match" in v.check(answer("lorem total\n#### 4")).reason
    assert "max_chars" in v.check(answer("total " * 20 + "#### 4")).reason
    assert "min_chars" in v.check(answer("#")).reason
    assert "must_match" in v.check(answer("sum\n#### 4")).reason


# ------------------------------------------------------------------------------------------ refusal


@pytest.mark.parametrize(
    "text",
    [
        "I cannot help with that.",
        "As an AI, I have no opinion.",
        "I’m sorry, but no.",
        "Sorry, I can't help with that.",
        "Sorry, I cannot share that.",
        "Sorry, I can not do that.",
        "Sorry, I can only help with cooking questions.",
        "I can only help with questions about our product.",
        "   ",
        "It is 4, but I'm not sure about it.",
    ],
)
def test_refusal_rejects(text: str) -> None:
    assert not one("refusal").check(answer(text)).accepted


def test_refusal_accepts_and_limits_refusals_to_the_opening() -> None:
    v = one("refusal")
    assert v.check(answer("The answer is 4.")).accepted
    assert v.check(answer("x" * 400 + " I cannot stress this enough.")).accepted
    hedge = one("refusal", {"reject_hedges": False}).check(answer("I don't know, maybe 4"))
    assert hedge.accepted and hedge.score == 0.5
    assert one("refusal", {"refusal_phrases": ["nope"]}).check(answer("I cannot")).accepted


def test_refusal_accepts_an_apology_that_goes_on_to_answer() -> None:
    # "sorry, i can" was a refusal phrase, so "Sorry, I can see why..." escalated a right answer
    assert one("refusal").check(answer("Sorry, I can see why you'd ask. The answer is 4.")).accepted
    assert one("refusal").check(answer("I can only help so much without the traceback, but the fix is x.")).accepted
    assert one("refusal").check(answer("Sorry, I can only guess without the logs: the likely cause is y.")).accepted


# ------------------------------------------------------------------------------------------ agreement


def test_final_answer_extraction() -> None:
    assert final_answer("so 3 x 60 = 180\n#### 1,540") == "1540"
    assert final_answer("The answer is (C).") == "C"
    assert final_answer("Hello\n  Paris. ") == "paris"
    assert final_answer("It costs $12.50", "number") == "12.5"


def test_agreement_validator() -> None:
    v = one("agreement", {"n": 4, "threshold": 0.75})
    assert v.check(answer("#### 4", samples=("so 4", "= 4", "#### 4.0"))).accepted
    split = v.check(answer("#### 4", samples=("5", "4", "6")))
    assert not split.accepted and split.score == 0.5
    assert v.check(answer("#### 4")).reason == "no samples, skipped"
    assert not one("agreement", {"on_missing": "fail"}).check(answer("4")).accepted


# ------------------------------------------------------------------------------------------ judge


def test_parse_score() -> None:
    assert parse_score("Reasoning... Score: 8", 10) == 8
    assert parse_score("I'd give it 7/10.", 10) == 7
    assert parse_score("9", 10) == 9
    assert parse_score("Score: 42", 10) is None
    assert parse_score("excellent", 10) is None


def test_judge_prompt_and_threshold() -> None:
    sent: list[Any] = []

    def ask(messages: Any) -> str:
        sent.append(messages)
        return "Score: 6"

    v = build_validators(cascade({"name": "judge", "params": {"rubric": "Be picky.", "threshold": 7}}), ask=ask)[0]
    verdict = v.check(answer("It is 4", request("2+2?")))
    assert not verdict.accepted and verdict.score == pytest.approx(0.6)
    assert "Be picky." in sent[0][0]["content"]
    assert "2+2?" in sent[0][1]["content"] and "It is 4" in sent[0][1]["content"]


def test_judge_unparseable_reply_is_rejected() -> None:
    v = build_validators(cascade({"name": "judge"}), ask=lambda m: "looks fine")[0]
    verdict = v.check(answer("4"))
    assert not verdict.accepted and "no readable score" in verdict.reason


async def test_judge_async() -> None:
    async def aask(messages: Any) -> str:
        return "Score: 9"

    v = build_validators(cascade({"name": "judge"}), aask=aask)[0]
    assert (await v.acheck(answer("4"))).accepted
    assert not v.check(answer("4")).accepted  # only an async model: the sync path says so
    sync_only = build_validators(cascade({"name": "judge"}), ask=lambda m: "Score: 9")[0]
    assert (await sync_only.acheck(answer("4"))).accepted


# ------------------------------------------------------------------------------------------ custom


def score_half(a: Any) -> float:
    return 0.5


def is_short(a: Any) -> bool:
    return len(a.text) < 5


def gives_verdict(a: Any) -> Verdict:
    return Verdict(False, "", 0.1, "mine")


def out_of_range(a: Any) -> float:
    return 3.0


async def async_check(a: Any) -> bool:
    return True


@pytest.mark.parametrize(
    ("path", "accepted"),
    [
        ("tests.cascade.test_validators:is_short", True),
        ("tests.cascade.test_validators.is_short", True),
        ("tests.cascade.test_validators:score_half", True),
        ("tests.cascade.test_validators:gives_verdict", False),
    ],
)
def test_custom_validator(path: str, accepted: bool) -> None:
    v = build_validators(cascade({"name": "custom", "path": path}))[0]
    verdict = v.check(answer("4"))
    assert verdict.accepted is accepted and verdict.validator


def test_custom_threshold_and_out_of_range() -> None:
    v = build_validators(
        cascade({"name": "custom", "path": "tests.cascade.test_validators:score_half", "params": {"threshold": 0.6}})
    )[0]
    assert not v.check(answer("4")).accepted
    bad = build_validators(cascade({"name": "custom", "path": "tests.cascade.test_validators:out_of_range"}))[0]
    with pytest.raises(ValueError):
        bad.check(answer("4"))


async def test_custom_async() -> None:
    v = build_validators(cascade({"name": "custom", "path": "tests.cascade.test_validators:async_check"}))[0]
    assert (await v.acheck(answer("4"))).accepted
    with pytest.raises(TypeError):
        v.check(answer("4"))


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("tests.cascade.nope:f", "not importable"),
        ("tests.cascade.test_validators:missing", "no attribute"),
        ("not a path", "importable path"),
        ("tests.cascade.test_validators:SCHEMA", "not callable"),
    ],
)
def test_custom_bad_path(path: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as info:
        build_validators(cascade({"name": "custom", "path": path}))
    assert info.value.key == "cascade.validators[0].path"


# ------------------------------------------------------------------------------------------ arithmetic


def test_evaluate_is_safe_arithmetic_only() -> None:
    assert evaluate("3 x 60") == 180
    assert evaluate("$1,000 / 4") == 250
    assert evaluate("(2+3)*4") == 20
    assert evaluate("__import__('os')") is None
    assert evaluate("9**9**9") is None
    assert evaluate("1/0") is None


@pytest.mark.parametrize("times", ["\u00b7", "\u22c5", r"\times", r"\cdot"])
def test_arithmetic_reads_a_middle_dot_and_latex_times_as_multiplication(times: str) -> None:
    # "8 · 5 = 45" and "$8 \times 5 = 45$" were not read as equations: "nothing to check", accepted
    assert evaluate(f"3 {times} 60") == 180 and evaluate(f"3{times}60") == 180
    wrong = one("arithmetic").check(answer(f"He pays $8 {times} 5 = 45$ dollars."))
    assert not wrong.accepted and "equation in the answer does not hold" in wrong.reason
    right = one("arithmetic").check(answer(f"He pays $8 {times} 5 = 40$ dollars."))
    assert right.accepted and right.reason == "1/1 checks hold"


def test_arithmetic_accepts_correct_work() -> None:
    text = "3 x 60 = <<3*60=180>>180 m. Then 180 * 3 = <<180*3=540>>540 m, and 250 / 3 = 83.33.\n#### 540"
    verdict = one("arithmetic").check(answer(text))
    assert verdict.accepted and verdict.score == 1.0


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("He pays <<8*5=45>>45 dollars.\n#### 45", "annotation does not hold"),
        ("He pays <<8*5=40>>45 dollars.\n#### 45", "annotation does not hold"),
        ("He pays 8 x $5 = $45.\n#### 45", "equation in the answer does not hold"),
        ("So 4.\n#### 4\nActually #### 5", "different final"),
    ],
)
def test_arithmetic_rejects_wrong_work(text: str, why: str) -> None:
    verdict = one("arithmetic").check(answer(text))
    assert not verdict.accepted and why in verdict.reason
    assert "$" not in verdict.reason and "8" not in verdict.reason  # reasons never quote the answer


def test_arithmetic_consistency_options() -> None:
    req = request("Tom has 3 bags of 7 apples and eats 2. How many are left?")
    assert not one("arithmetic", {"final_in_body": True}).check(answer("Easy.\n#### 19", req)).accepted
    assert one("arithmetic", {"final_in_body": True}).check(answer("3 * 7 - 2 = 19\n#### 19", req)).accepted
    cov = one("arithmetic", {"min_number_coverage": 1.0})
    assert not cov.check(answer("3 * 7 = 21\n#### 21", req)).accepted
    assert cov.check(answer("3 * 7 = 21, 21 - 2 = 19\n#### 19", req)).accepted
    assert one("arithmetic", {"max_errors": 1}).check(answer("2 + 2 = 5")).accepted
