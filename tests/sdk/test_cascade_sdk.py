"""The response-gated cascade through litellm.completion(model="tiered/<alias>"), with LiteLLM for real."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import litellm
import pytest

import litellm_router_ext as lre
from tests.stubs.openai_stub import Script, StubServer

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
JSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}}
GOOD = '{"name": "Jane", "age": 34}'
BAD = '{"name": "Jane"}'


def three_tiers(small: Any, medium: Any, large: Any, **cascade: Any) -> dict[str, Any]:
    validators = cascade.pop("validators", [{"name": "schema"}])
    return {
        "alias": "c",
        "thresholds": [0.98, 0.99],
        "sticky": False,
        "cascade": {"validators": validators, **cascade},
        "tiers": [
            {"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": small}},
            {"name": "medium", "model": "gpt-4o", "litellm_params": {"mock_response": medium}},
            {"name": "large", "model": "gpt-4.1", "litellm_params": {"mock_response": large}},
        ],
    }


def run(config: dict[str, Any], **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    lre.install(config)
    try:
        response = litellm.completion(
            model="tiered/c",
            messages=[{"role": "user", "content": "Extract: Jane Roe, 34"}],
            response_format=JSON_FORMAT,
            **kwargs,
        )
    finally:
        lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict)
    return response, decision


def stream_json(config: dict[str, Any]) -> tuple[list[Any], Any]:
    """Stream a JSON-mode request through ``tiered/c``; the chunks and the decision on the first one."""
    lre.install(config)
    try:
        chunks = list(
            litellm.completion(
                model="tiered/c", messages=[{"role": "user", "content": "x"}], response_format=JSON_FORMAT, stream=True
            )
        )
    finally:
        lre.uninstall()
    return chunks, lre.decision_of(chunks[0])


def test_accepted_at_the_bottom_tier() -> None:
    response, decision = run(three_tiers(GOOD, GOOD, GOOD))
    assert decision["tier"] == "small" and decision["escalations"] == 0 and decision["verified"] is True
    assert json.loads(response.choices[0].message.content) == {"name": "Jane", "age": 34}


def test_a_failed_check_escalates_once_and_records_why() -> None:
    response, decision = run(three_tiers(BAD, GOOD, GOOD))
    assert decision["tier"] == "medium" and decision["escalations"] == 1 and decision["verified"] is True
    first = decision["attempts"][0]
    assert first["tier"] == "small" and first["verdict"]["accepted"] is False
    assert first["verdict"]["validator"] == "schema" and "age" in first["verdict"]["reason"]
    assert response.choices[0].message.content == GOOD


def test_top_tier_answer_is_returned_unverified_when_every_check_fails() -> None:
    response, decision = run(three_tiers(BAD, BAD, "not json at all"))
    assert decision["tier"] == "large" and decision["verified"] is False and decision["escalations"] == 2
    assert response.choices[0].message.content == "not json at all"


def test_total_cost_is_the_sum_of_every_attempt() -> None:
    response, decision = run(three_tiers(BAD, BAD, GOOD))
    costs = [a["cost_usd"] for a in decision["attempts"]]
    assert len(costs) == 3 and all(c > 0 for c in costs)
    assert response._hidden_params["response_cost"] == pytest.approx(sum(costs))
    assert decision["cost_usd"] == pytest.approx(sum(costs))


def test_max_escalations_stops_the_climb() -> None:
    _, decision = run(three_tiers(BAD, BAD, GOOD, max_escalations=1))
    assert decision["tier"] == "medium" and decision["verified"] is False and len(decision["attempts"]) == 2


def test_budget_is_never_exceeded() -> None:
    # o1 costs far more than the budget left after two cheap attempts, so the climb stops there.
    budget = 0.001
    config = three_tiers(BAD, BAD, GOOD, budget_usd=budget)
    config["tiers"][2]["model"] = "o1"
    _, decision = run(config)
    assert decision["cost_usd"] <= budget
    assert [a["tier"] for a in decision["attempts"]] == ["small", "medium"]
    assert decision["verified"] is False
    assert (decision["escalations"], decision["stop_reason"]) == (1, "budget")  # medium -> o1 was never asked


def test_a_climb_the_budget_stops_counts_no_escalation_in_the_monitor() -> None:
    # small's answer fails its check and every tier above costs more than the budget: the answer comes back
    # unverified, the decision says the budget stopped it, and neither it nor the monitor counts an escalation.
    config = three_tiers(BAD, GOOD, GOOD, budget_usd=0.0001)
    config["tiers"][1]["model"] = config["tiers"][2]["model"] = "o1"
    provider = lre.install(config)
    try:
        response = litellm.completion(model="tiered/c", messages=[{"role": "user", "content": "Extract: Jane Roe, 34"}],
                                      response_format=JSON_FORMAT)
        snapshot = provider.routers["c"].monitor.snapshot()
    finally:
        lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and [a["tier"] for a in decision["attempts"]] == ["small"]
    assert (decision["verified"], decision["escalations"], decision["stop_reason"]) == (False, 0, "budget")
    assert (snapshot.requests, snapshot.escalation_rate) == (1, 0.0)


def test_a_tier_whose_deployments_all_fail_is_skipped_upward() -> None:
    _, decision = run(three_tiers("litellm.InternalServerError", GOOD, GOOD))
    assert decision["tier"] == "medium" and decision["verified"] is True
    assert decision["attempts"][0]["error"].startswith("InternalServerError")


def explode(answer: object) -> bool:
    raise RuntimeError("validator bug")


def test_a_raising_validator_is_a_failed_check_not_an_error() -> None:
    validators = [{"name": "custom", "path": "tests.sdk.test_cascade_sdk:explode"}]
    _, decision = run(three_tiers(GOOD, GOOD, GOOD, validators=validators))
    assert decision["tier"] == "large" and decision["verified"] is False
    assert "RuntimeError" in decision["attempts"][0]["verdict"]["reason"]


def test_a_failed_check_does_not_cool_down_the_cheap_deployment() -> None:
    provider = lre.install(three_tiers(BAD, GOOD, GOOD))
    try:
        for _ in range(3):
            response = litellm.completion(
                model="tiered/c", messages=[{"role": "user", "content": "x"}], response_format=JSON_FORMAT
            )
            decision = lre.decision_of(response)
            assert isinstance(decision, dict)
            # Every request still reaches the cheap tier: a rejected answer is not a deployment failure.
            assert decision["attempts"][0]["tier"] == "small" and decision["attempts"][0]["error"] is None
        router = provider.routers["c"].router
        small_ids = [d["model_info"]["id"] for d in router.get_model_list(model_name="gpt-4o-mini")]
        cooling = router.cooldown_cache.get_active_cooldowns(model_ids=small_ids, parent_otel_span=None)
        assert cooling == []
    finally:
        lre.uninstall()


def test_buffer_mode_streams_only_the_accepted_answer() -> None:
    chunks, decision = stream_json(three_tiers(BAD, GOOD, GOOD, stream_mode="buffer"))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == GOOD
    assert isinstance(decision, dict) and decision["tier"] == "medium" and decision["escalations"] == 1


def test_early_mode_rejects_a_refusing_prefix_and_streams_the_next_tier() -> None:
    config = three_tiers(
        "I'm sorry, but I cannot help with that request.",
        "Sure: the answer is 42.",
        "unused",
        validators=[{"name": "refusal"}],
        stream_mode="early",
        early_tokens=8,
    )

    async def go() -> list[Any]:
        lre.install(config)
        try:
            stream = await litellm.acompletion(
                model="tiered/c", messages=[{"role": "user", "content": "x"}], stream=True
            )
            return [c async for c in stream]
        finally:
            lre.uninstall()

    chunks = asyncio.run(go())
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Sure: the answer is 42."
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and decision["tier"] == "medium"
    assert decision["attempts"][0]["verdict"]["validator"] == "refusal"


def test_logprob_confidence_is_requested_and_gates_escalation() -> None:
    with (
        StubServer(Script(reply="maybe seven", logprob=-2.5)) as unsure,
        StubServer(Script(reply="seven", logprob=-0.01)) as sure,
    ):
        config = {
            "alias": "c",
            "thresholds": [0.99],
            "sticky": False,
            "cascade": {"validators": [{"name": "logprob", "params": {"min_mean": -1.0}}]},
            "tiers": [
                {
                    "name": "small",
                    "model": "openai/slm",
                    "supports_logprobs": True,
                    "litellm_params": {"api_base": unsure.base_url, "api_key": "k"},
                },
                {
                    "name": "large",
                    "model": "openai/big",
                    "supports_logprobs": True,
                    "litellm_params": {"api_base": sure.base_url, "api_key": "k"},
                },
            ],
        }
        lre.install(config)
        try:
            response = litellm.completion(model="tiered/c", messages=[{"role": "user", "content": "3+4?"}])
        finally:
            lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and decision["tier"] == "large" and decision["verified"] is True
    assert unsure.script.requests[0]["logprobs"] is True and unsure.script.requests[0]["top_logprobs"] == 1
    assert "mean logprob -2.500" in decision["attempts"][0]["verdict"]["reason"]


def test_async_cascade_matches_sync() -> None:
    async def go() -> Any:
        lre.install(three_tiers(BAD, GOOD, GOOD))
        try:
            return await litellm.acompletion(
                model="tiered/c", messages=[{"role": "user", "content": "x"}], response_format=JSON_FORMAT
            )
        finally:
            lre.uninstall()

    decision = lre.decision_of(asyncio.run(go()))
    assert isinstance(decision, dict) and decision["tier"] == "medium" and decision["escalations"] == 1


def ask_once(config: dict[str, Any], use_async: bool) -> Any:
    """Install ``config``, send one plain request through the sync or async SDK path, uninstall."""
    lre.install(config)
    messages = [{"role": "user", "content": "x"}]
    try:
        if use_async:
            return asyncio.run(litellm.acompletion(model="tiered/c", messages=messages))
        return litellm.completion(model="tiered/c", messages=messages)
    finally:
        lre.uninstall()


def hang(answer: object) -> bool:
    import time

    time.sleep(5)
    return True


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_hanging_validator_is_cut_off_by_the_time_limit(use_async: bool) -> None:
    config = three_tiers(
        GOOD,
        GOOD,
        GOOD,
        validators=[{"name": "custom", "path": "tests.sdk.test_cascade_sdk:hang"}],
        validator_timeout_s=0.2,
        max_escalations=0,
    )
    response = ask_once(config, use_async)
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and decision["verified"] is False
    assert "timed out after 0.2s" in decision["attempts"][0]["verdict"]["reason"]


def test_an_outage_under_a_tight_budget_keeps_the_provider_error_not_a_400() -> None:
    # small is affordable but rate-limited; medium would break the budget: the caller gets the outage (429),
    # not "raise the budget", which would blame the request for the provider's failure.
    lre.install(three_tiers("litellm.RateLimitError", GOOD, GOOD, budget_usd=0.0001))
    try:
        with pytest.raises(litellm.RateLimitError, match="every tier failed"):
            litellm.completion(model="tiered/c", messages=[{"role": "user", "content": "x"}])
    finally:
        lre.uninstall()


def test_early_mode_without_prefix_checks_streams_unverified_not_verified() -> None:
    # schema cannot judge a prefix, and the answer runs past the first 2 chunks (mock streams 3 characters a chunk)
    _, decision = stream_json(three_tiers(GOOD, GOOD, GOOD, stream_mode="early", early_tokens=2))
    assert isinstance(decision, dict) and decision["tier"] == "small" and decision["verified"] is None


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_an_early_stream_that_ends_inside_the_window_gets_every_check(use_async: bool) -> None:
    # The small tier's whole answer arrived within early_tokens chunks, so nothing was sent yet: it is checked as a
    # whole, by the schema check too. Before, only prefix checks ran and the invalid JSON went out, unverified.
    lre.install(three_tiers(BAD, GOOD, GOOD, stream_mode="early", early_tokens=64))
    request = {"model": "tiered/c", "messages": [{"role": "user", "content": "x"}],
               "response_format": JSON_FORMAT, "stream": True}

    async def collect() -> list[Any]:
        return [c async for c in await litellm.acompletion(**request)]

    try:
        chunks = asyncio.run(collect()) if use_async else list(litellm.completion(**request))
    finally:
        lre.uninstall()
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and (decision["tier"], decision["verified"]) == ("medium", True), decision
    assert [a["verdict"]["accepted"] for a in decision["attempts"]] == [False, True]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == GOOD


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_judge_calls_are_paid_for_in_the_decision(use_async: bool) -> None:
    # The top tier doubles as the judge here and always answers "8" (accepted at the default threshold 7).
    config = three_tiers("The answer is 42.", GOOD, "8", validators=[{"name": "judge"}], judge_tier="large")
    response = ask_once(config, use_async)
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and decision["tier"] == "small" and decision["verified"] is True
    assert decision["checks_cost_usd"] > 0
    attempts = sum(a["cost_usd"] for a in decision["attempts"])
    assert decision["cost_usd"] == pytest.approx(attempts + decision["checks_cost_usd"])
    assert response._hidden_params["response_cost"] == pytest.approx(decision["cost_usd"])


def test_judge_spend_counts_against_the_budget() -> None:
    # The judge (large, answering "2") rejects small's answer. Its call costs more than medium's estimate
    # leaves room for, so the climb stops: before, medium was tried and the request cost 0.000598 > 0.0004.
    budget = 0.0004
    config = three_tiers("The answer is 42.", "The answer is 41.", "2", validators=[{"name": "judge"}],
                         judge_tier="large", budget_usd=budget)
    decision = lre.decision_of(ask_once(config, False))
    assert isinstance(decision, dict) and decision["checks_cost_usd"] > 0
    assert [a["tier"] for a in decision["attempts"]] == ["small"] and decision["verified"] is False
    assert decision["cost_usd"] <= budget


def test_a_router_without_a_cascade_gives_no_stop_reason() -> None:
    # It said stop_reason 'accepted' though no check ran (verified None), where dispatch: precall says None.
    def ask(alias: str, small: dict[str, Any]) -> dict[str, Any]:
        lre.install({"alias": alias, "thresholds": [0.99], "sticky": False, "tiers": [
            {"name": "s", "model": "openai/gpt-4o-mini", "litellm_params": small},
            {"name": "l", "model": "gpt-4o", "litellm_params": {"mock_response": "b"}}]})
        try:
            response = litellm.completion(model=f"tiered/{alias}", messages=[{"role": "user", "content": "hi"}])
        finally:
            lre.uninstall()
        decision = lre.decision_of(response)
        assert decision is not None
        return decision

    plain = ask("nocascade", {"mock_response": "a"})
    assert (plain["tier"], plain["verified"], plain["stop_reason"]) == ("s", None, None)
    down = ask("nocascade_down", {"api_base": "http://127.0.0.1:9/v1", "api_key": "sk-fake"})  # nothing listens
    assert (down["tier"], down["verified"], down["stop_reason"]) == ("l", None, None), down
    assert "InternalServerError" in down["attempts"][0]["error"]  # the climb past the dead tier is in the attempts
