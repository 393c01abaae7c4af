"""Cascade edges a new user's walk through the SDK found: the answer returned is whole, a check that could not
judge decides nothing, and a custom check's malformed verdict cannot lose the request."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger

import litellm_router_ext as lre
from litellm_router_ext.cascade.combine import combine_verdicts
from litellm_router_ext.types import Verdict

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


def _config(validators: list[dict[str, Any]], small: str, large: str, **cascade: Any) -> dict[str, Any]:
    """Two tiers answered by mock_response; every request starts at the small one."""
    tiers = [{"name": "small", "model": "small"}, {"name": "large", "model": "large"}]
    return {"routers": [{"alias": "c", "tiers": tiers, "thresholds": [0.99],
                         "cascade": {"validators": validators, **cascade}}],
            "model_list": [{"model_name": name, "litellm_params": {"model": model, "mock_response": reply}}
                           for name, model, reply in (("small", "gpt-4o-mini", small), ("large", "gpt-4o", large))]}


@pytest.fixture(autouse=True)
def _uninstall() -> Iterator[None]:
    yield
    lre.uninstall()


def test_an_early_stream_returns_the_whole_answer_of_the_tier_it_ends_on() -> None:
    # The top tier's answer failed the prefix check too: its stream had been closed after early_tokens chunks,
    # so the client got "I cannot " and a stop. README: the top tier's answer is returned even when rejected.
    large = "I cannot fully answer, but Paris is the capital of France and a lovely city with many museums"
    lre.install(_config([{"name": "refusal"}], small="I cannot answer that one, and here are more words after it",
                        large=large, stream_mode="early", early_tokens=3))
    chunks = list(litellm.completion(model="tiered/c", messages=QUESTION, stream=True))
    decision = lre.decision_of(chunks[0])
    assert decision is not None and decision["tier"] == "large" and decision["verified"] is False
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip() == large


@pytest.mark.parametrize("combine", ["any", "weighted"])
def test_a_check_that_could_not_judge_decides_nothing(combine: str) -> None:
    # No response_format: schema skips. Under `any` that skip had accepted a refusal before `refusal` ran; under
    # `weighted` it counted 1.0, so the refusal's 0.0 still averaged 0.5 and passed.
    lre.install(_config([{"name": "schema"}, {"name": "refusal"}], combine=combine,
                        small="I cannot help with that.", large="Paris"))
    decision = lre.decision_of(litellm.completion(model="tiered/c", messages=QUESTION))
    assert decision is not None and decision["tier"] == "large", decision
    lre.uninstall()
    lre.install(_config([{"name": "schema"}, {"name": "refusal"}], combine=combine, small="Paris", large="Paris"))
    kept = lre.decision_of(litellm.completion(model="tiered/c", messages=QUESTION))
    assert kept is not None and kept["tier"] == "small" and kept["verified"] is True  # a real pass still passes


def test_an_answer_every_check_skipped_is_kept_but_not_reported_verified() -> None:
    # No response_format, so schema judged nothing: the decision said verified: true all the same.
    lre.install(_config([{"name": "schema"}], small="Paris", large="Paris, France"))
    decision = lre.decision_of(litellm.completion(model="tiered/c", messages=QUESTION))
    assert decision is not None and (decision["tier"], decision["verified"]) == ("small", None), decision


def test_a_custom_checks_malformed_verdict_is_a_failed_check_not_a_lost_request(tmp_path: Path) -> None:
    # Verdict(score="0.9") broke combining, outside the guard around the check: the caller got an error.
    (tmp_path / "cascade_edges_bad_verdict.py").write_text(textwrap.dedent("""
        from litellm_router_ext.types import Verdict
        def bad(answer):
            return Verdict(True, "mine", "0.9", "ok")
    """))
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        lre.install(_config([{"name": "refusal"}, {"name": "custom", "path": "cascade_edges_bad_verdict:bad"}],
                            small="Lyon", large="Paris"))
        response = litellm.completion(model="tiered/c", messages=QUESTION)
    finally:
        sys.path.remove(str(tmp_path))
    decision = lre.decision_of(response)
    assert response.choices[0].message.content == "Paris"  # the failed check climbed; the top answer is returned
    assert decision is not None and decision["tier"] == "large"
    first = decision["attempts"][0]["verdict"]
    assert first["accepted"] is False and "raised TypeError" in first["reason"], first


def test_an_async_custom_check_works_under_sync_completion(tmp_path: Path) -> None:
    # It passed under acompletion, but under completion every answer failed it (TypeError) and climbed to the top.
    (tmp_path / "cascade_edges_async_check.py").write_text("async def ok(answer):\n    return 'Paris' in answer.text\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        lre.install(_config([{"name": "custom", "path": "cascade_edges_async_check:ok"}], small="Paris", large="Rome"))
        decision = lre.decision_of(litellm.completion(model="tiered/c", messages=QUESTION))
    finally:
        sys.path.remove(str(tmp_path))
    assert decision is not None and decision["tier"] == "small" and decision["verified"] is True, decision


def test_a_tool_call_answer_is_not_failed_by_a_text_format_rule() -> None:
    # An answer that is a valid call has no text: format(min_chars) failed it on every tier, after a wasted climb.
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    calls = [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    mock = {"model": "gpt-4o-mini", "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            "choices": [{"index": 0, "finish_reason": "tool_calls",
                         "message": {"role": "assistant", "content": None, "tool_calls": calls}}]}
    config = _config([{"name": "tool_args"}, {"name": "format", "params": {"min_chars": 5}}], small="", large="")
    for deployment in config["model_list"]:
        deployment["litellm_params"]["mock_response"] = mock
    lre.install(config)
    response = litellm.completion(model="tiered/c", messages=[{"role": "user", "content": "weather in Paris"}],
                                  tools=tools)
    decision = lre.decision_of(response)
    assert decision is not None and decision["tier"] == "small" and decision["verified"] is True, decision


class _SentParams(CustomLogger):
    def __init__(self) -> None:
        super().__init__()
        self.params: list[dict[str, Any]] = []

    def log_pre_api_call(self, model: str, messages: Any, kwargs: dict[str, Any]) -> None:
        self.params.append(dict(kwargs.get("optional_params") or {}))


def test_a_budget_caps_every_sample_of_an_attempt() -> None:
    # The output cap was per choice while agreement asks for n=5: 5 x the budget's worth of output could be bought.
    sent = _SentParams()
    before = list(litellm.callbacks)
    litellm.callbacks = [*before, sent]
    try:
        lre.install(_config([{"name": "agreement", "params": {"n": 5}}], small="4", large="4", budget_usd=0.001))
        litellm.completion(model="tiered/c", messages=QUESTION)
    finally:
        litellm.callbacks = before
    first = sent.params[0]
    assert first.get("n") == 5 and first["max_tokens"] * 5 * 0.6e-6 <= 0.001, first  # gpt-4o-mini: $0.60 / M out


def test_judge_tier_is_checked_against_the_tiers_the_groups_and_litellm() -> None:
    # A group named 'grader' was refused (only names with '/' or '-' passed as models), while 'no-such-group'
    # loaded, and then every judge call failed and every request climbed to the top tier, unverified.
    config = _config([{"name": "judge"}], small="Paris", large="Paris", judge_tier="grader")
    config["model_list"].append({"model_name": "grader", "litellm_params": {"model": "gpt-4o", "mock_response": "9"}})
    lre.install(config)
    decision = lre.decision_of(litellm.completion(model="tiered/c", messages=QUESTION))
    assert decision is not None and decision["tier"] == "small" and decision["verified"] is True, decision
    lre.uninstall()
    with pytest.raises(lre.ConfigError, match="c.cascade.judge_tier.*'no-such-group' is neither a tier"):
        lre.install(_config([{"name": "judge"}], small="Paris", large="Paris", judge_tier="no-such-group"))


# From a review of the fixes above: a stream below a tier that is down, and verdicts marked skipped
DOWN = "litellm.InternalServerError"  # LiteLLM's mock of a provider error
SMALL = "I cannot answer that one, and here are many more words after it to make a long stream of text"


def _down_above() -> Any:
    """small's prefix is rejected (refusal), large is down: the flow ends on small, whose stream is relayed."""
    config = {"routers": [{"alias": "c", "tiers": [{"name": "small", "model": "small"},
                                                   {"name": "large", "model": "large"}],
                           "thresholds": [0.99],
                           "cascade": {"validators": [{"name": "refusal"}], "stream_mode": "early",
                                       "early_tokens": 3}}],
              "model_list": [{"model_name": "small", "litellm_params": {"model": "gpt-4o-mini",
                                                                         "mock_response": SMALL}},
                             {"model_name": "large", "litellm_params": {"model": "gpt-4o",
                                                                         "mock_response": DOWN}}],
              "router_settings": {"num_retries": 0}}
    return lre.install(config).runtime("c")


def test_a_stream_below_a_down_tier_is_relayed_whole() -> None:
    # Every rejected stream had been closed as the next attempt started, before it was known to answer: large
    # failed, the flow ended on small, and the client got small's closed stream ("I cannot" and a stop).
    decision, stream = _down_above().stream(QUESTION, {}, None)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert decision.tier == "small"
    assert text.strip() == SMALL


@pytest.mark.asyncio
async def test_an_async_stream_below_a_down_tier_is_relayed_whole() -> None:
    decision, stream = await _down_above().astream(QUESTION, {}, None)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert decision.tier == "small"
    assert text.strip() == SMALL


def test_a_stream_relayed_below_a_down_tier_bills_its_own_attempt() -> None:
    # The relayed stream's cost had gone onto the last attempt, here large's failed one (the spend on the wrong
    # tier, and small's prefix counted twice).
    decision, stream = _down_above().stream(QUESTION, {}, None)
    list(stream)
    by_tier = {a.tier: a for a in decision.attempts}
    assert by_tier["large"].cost_usd == 0.0, decision.attempts  # a failed attempt bought nothing


def test_a_rejected_verdict_marked_skipped_is_still_a_rejection() -> None:
    # A custom check may return Verdict(False, ..., skipped=True): it is a rejection all the same.
    v = combine_verdicts([Verdict(False, "b", 0.0, "wrong", skipped=True)], mode="all")
    assert not v.accepted, v


def test_weights_of_another_length_do_not_drop_verdicts_under_all() -> None:
    # Weights are read by `weighted` only: under all/any they must not drop the verdicts past their length.
    v = combine_verdicts([Verdict(False, "a", 0.0, "wrong")], mode="all", weights=[])
    assert not v.accepted, v


def test_install_names_the_file_and_key_of_a_validator_param_typo(tmp_path: Path) -> None:
    # install("router.yaml") said "<config>, key 'c.cascade...'", where `check` names the file and routers[0].
    import yaml

    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(_config([{"name": "logprob", "params": {"min_maen": -1}}], small="a", large="b")))
    with pytest.raises(lre.ConfigError) as err:
        lre.install(str(path))
    assert str(err.value).startswith(f"{path}, key 'routers[0].cascade.validators[0].params"), str(err.value)
    assert "min_maen" in str(err.value)
