"""The SDK surface: litellm.completion(model="tiered/<alias>") after install(), through LiteLLM for real."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger

import litellm_router_ext as lre
from litellm_router_ext import ConfigError
from tests.stubs.openai_stub import Script, StubServer

HARD = (
    "Prove rigorously, step by step, that every finite group of prime order is cyclic. Derive each lemma you use, "
    "then analyze why the argument fails for composite orders and compare it with groups of order p^2."
)
EASY = "hi, how are you?"


def ladder(small: Any = "small answer", large: Any = "large answer", **router: Any) -> dict[str, Any]:
    return {
        "alias": "t",
        "thresholds": [0.5],
        **router,
        "tiers": [
            {"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": small}},
            {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": large}},
        ],
    }


@pytest.fixture
def installed() -> Iterator[lre.adapters.provider.TieredProvider]:
    yield lre.install(ladder())
    lre.uninstall()


def ask(text: str, **kwargs: Any) -> Any:
    return litellm.completion(model="tiered/t", messages=[{"role": "user", "content": text}], **kwargs)


def test_easy_goes_to_the_bottom_and_hard_to_the_top(installed: object) -> None:
    easy, hard = ask(EASY), ask(HARD)
    assert easy.choices[0].message.content == "small answer"
    assert hard.choices[0].message.content == "large answer"
    d_easy, d_hard = lre.decision_of(easy), lre.decision_of(hard)
    assert isinstance(d_easy, dict) and isinstance(d_hard, dict)
    assert (d_easy["tier"], d_easy["model"], d_easy["cause"]) == ("small", "gpt-4o-mini", "threshold")
    assert (d_hard["tier"], d_hard["model"]) == ("large", "gpt-4o")
    assert d_easy["router"] == "t" and d_easy["decision_us"] > 0
    assert set(d_easy["scores"]) == {"heuristic"} and d_easy["difficulty"] < 0.5 < d_hard["difficulty"]
    assert easy._hidden_params["response_cost"] == pytest.approx(d_easy["cost_usd"])
    assert d_hard["cost_usd"] > d_easy["cost_usd"] > 0


def test_decision_holds_no_prompt_or_answer_text(installed: object) -> None:
    record = json.dumps(lre.decision_of(ask(HARD)))
    assert "finite group" not in record and "large answer" not in record


def test_async_path(installed: object) -> None:
    async def both() -> tuple[Any, Any]:
        return await asyncio.gather(
            litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": EASY}]),
            litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": HARD}]),
        )

    easy, hard = asyncio.run(both())
    assert lre.decision_of(easy)["tier"] == "small"  # type: ignore[index]
    assert lre.decision_of(hard)["tier"] == "large"  # type: ignore[index]


def test_sync_streaming_carries_the_decision_on_the_first_chunk(installed: object) -> None:
    chunks = list(ask(HARD, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "large answer"
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and decision["tier"] == "large"


def test_async_streaming(installed: object) -> None:
    async def run() -> list[Any]:
        stream = await litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": EASY}], stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(run())
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "small answer"
    assert lre.decision_of(chunks[0])["tier"] == "small"  # type: ignore[index]


TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}


def test_tool_calls_pass_through() -> None:
    config = ladder()
    config["tiers"][0]["litellm_params"]["mock_tool_calls"] = [CALL]
    lre.install(config)
    try:
        response = ask(EASY, tools=[TOOL])
    finally:
        lre.uninstall()
    call = response.choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("lookup", {"q": "x"})


def test_a_plain_answer_to_a_required_tool_call_escalates() -> None:
    # tool_choice reaches the check through LiteLLM's optional_params: "required" makes the small tier's plain
    # answer a failure, "auto" keeps it
    config = ladder(cascade={"validators": [{"name": "tool_args"}]})
    config["tiers"][1]["litellm_params"]["mock_tool_calls"] = [CALL]
    lre.install(config)
    try:
        required, auto = ask(EASY, tools=[TOOL], tool_choice="required"), ask(EASY, tools=[TOOL], tool_choice="auto")
    finally:
        lre.uninstall()
    assert required.choices[0].message.tool_calls[0].function.name == "lookup"
    assert lre.decision_of(required)["escalations"] == 1  # type: ignore[index]
    assert auto.choices[0].message.content == "small answer"
    assert lre.decision_of(auto)["escalations"] == 0  # type: ignore[index]


def test_a_named_tool_choice_the_request_does_not_offer_pays_for_one_tier() -> None:
    # No tier can call "nope": the small tier's valid call to the offered tool is kept, not escalated
    config = ladder(cascade={"validators": [{"name": "tool_args"}]})
    for tier in config["tiers"]:
        tier["litellm_params"]["mock_tool_calls"] = [CALL]
    lre.install(config)
    try:
        response = ask(EASY, tools=[TOOL], tool_choice={"type": "function", "function": {"name": "nope"}})
    finally:
        lre.uninstall()
    assert lre.decision_of(response)["escalations"] == 0  # type: ignore[index]


@pytest.mark.parametrize("arguments, escalations", [('{"q": "x"}', 0), ('{"q": 1}', 1)])
def test_a_legacy_function_call_answer_is_checked(arguments: str, escalations: int) -> None:
    # functions + function_call (deprecated, still forwarded by LiteLLM): the answer's message.function_call is
    # the call tool_args checks; a plain answer would fail the named function_call
    with stub_ladder(Script(reply="", function_call={"name": "lookup", "arguments": arguments}),
                     cascade={"validators": [{"name": "tool_args"}]}):
        response = ask(EASY, functions=[TOOL["function"]], function_call={"name": "lookup"})
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and decision["escalations"] == escalations
    assert response.choices[0].message.function_call.name == "lookup"


def test_streamed_tool_calls_from_an_openai_compatible_upstream() -> None:
    with StubServer(Script(reply="", tool_calls=[CALL])) as stub:
        lre.install(
            {
                "alias": "t",
                "thresholds": [0.5],
                "tiers": [
                    {
                        "name": "small",
                        "model": "openai/stub-small",
                        "litellm_params": {"api_base": stub.base_url, "api_key": "k"},
                    },
                    {
                        "name": "large",
                        "model": "openai/stub-large",
                        "litellm_params": {"api_base": stub.base_url, "api_key": "k"},
                    },
                ],
            }
        )
        try:
            chunks = list(ask(EASY, tools=[TOOL], stream=True))
        finally:
            lre.uninstall()
    calls = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls and calls[0].function.name == "lookup"
    assert "".join(tc.function.arguments or "" for tc in calls) == '{"q": "x"}'
    assert stub.script.requests[0]["tools"][0]["function"]["name"] == "lookup"


def test_a_tier_that_fails_at_the_provider_escalates() -> None:
    lre.install(ladder(small="litellm.RateLimitError"))
    try:
        response = ask(EASY)
    finally:
        lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict)
    assert response.choices[0].message.content == "large answer"
    # Failover is not an escalation (no check failed), but both attempts are on record.
    assert decision["tier"] == "large" and decision["escalations"] == 0 and len(decision["attempts"]) == 2
    assert decision["attempts"][0]["error"].startswith("RateLimitError")
    assert response._hidden_params["response_cost"] == pytest.approx(sum(a["cost_usd"] for a in decision["attempts"]))


def test_every_tier_down_keeps_the_provider_status() -> None:
    lre.install(ladder(small="litellm.RateLimitError", large="litellm.RateLimitError"))
    try:
        with pytest.raises(litellm.RateLimitError):
            ask(EASY)
    finally:
        lre.uninstall()


def test_unknown_alias_and_bad_override_are_client_errors(installed: object) -> None:
    with pytest.raises(litellm.NotFoundError, match="no tiered router named 'nope'.*installed: t"):
        litellm.completion(model="tiered/nope", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(litellm.BadRequestError, match="force_tier"):
        ask(EASY, metadata={"force_tier": "huge"})


def test_metadata_overrides_reach_the_policy(installed: object) -> None:
    assert lre.decision_of(ask(EASY, metadata={"min_tier": "large"}))["cause"] == "override"  # type: ignore[index]
    assert lre.decision_of(ask(HARD, metadata={"force_tier": "small"}))["tier"] == "small"  # type: ignore[index]


def test_follow_up_stays_on_the_tier_the_conversation_reached(installed: object) -> None:
    first = [{"role": "user", "content": HARD}]
    answer = ask(HARD).choices[0].message.content
    follow = litellm.completion(
        model="tiered/t",
        messages=[*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "ok, do it"}],
    )
    decision = lre.decision_of(follow)
    assert isinstance(decision, dict) and (decision["tier"], decision["cause"]) == ("large", "sticky")


def tool_calling_ladder() -> dict[str, Any]:
    """Both tiers answer with a tool call (no text), each with its own call id, as real providers do."""
    config = ladder(small="", large="")
    for tier in config["tiers"]:
        tier["litellm_params"]["mock_tool_calls"] = [
            {"id": f"call_{tier['name']}", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]
    return config


def tool_step(opening: list[dict[str, Any]], answer: Any) -> Any:
    """The loop's next request: the tool call the tier made, and its result."""
    call = answer.choices[0].message.tool_calls[0]
    return litellm.completion(model="tiered/t", tools=[TOOL], messages=[
        *opening, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "found it"}])


def test_a_tool_call_loop_stays_on_its_tier_and_only_its_own() -> None:
    # The loop's last user message is still the first one (easy on its own), so only memory keeps the tier.
    lre.install(tool_calling_ladder())
    try:
        opening = [{"role": "system", "content": "ops agent"}, {"role": "user", "content": EASY}]
        started_large = litellm.completion(model="tiered/t", messages=opening, tools=[TOOL],
                                           metadata={"min_tier": "large"})
        step = lre.decision_of(tool_step(opening, started_large))
        assert isinstance(step, dict) and (step["tier"], step["cause"]) == ("large", "sticky")
        # Another conversation with the same opening started small: the first one's floor is not its floor.
        started_small = litellm.completion(model="tiered/t", messages=opening, tools=[TOOL])
        other = lre.decision_of(tool_step(opening, started_small))
        assert isinstance(other, dict) and (other["tier"], other["cause"]) == ("small", "threshold")
    finally:
        lre.uninstall()


@contextlib.contextmanager
def logging_to(capture: CustomLogger) -> Iterator[None]:
    """LiteLLM's callbacks are ``capture`` for the block. LiteLLM keeps one logger per class in its lists, so a later
    test's Capture would be dropped while this one stayed: it is taken out of every list after."""
    litellm.callbacks = [capture]
    try:
        yield
    finally:
        litellm.callbacks = []
        for name in ("success_callback", "_async_success_callback", "failure_callback", "_async_failure_callback",
                     "input_callback"):
            getattr(litellm, name)[:] = [c for c in getattr(litellm, name) if c is not capture]


class Capture(CustomLogger):
    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[dict[str, Any]] = []

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.payloads.append(kwargs["standard_logging_object"])


def test_decision_reaches_litellm_standard_logging_payload(installed: object) -> None:
    capture = Capture()

    async def run() -> None:
        await litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": HARD}])
        for _ in range(100):
            if capture.payloads:
                return
            await asyncio.sleep(0.02)

    with logging_to(capture):
        asyncio.run(run())
    outer = [p for p in capture.payloads if p["metadata"].get("spend_logs_metadata")]
    assert outer, "no logging payload carried the routing decision"
    record = outer[0]["metadata"]["spend_logs_metadata"]["tiered_routing"]
    assert record["tier"] == "large" and "finite group" not in json.dumps(record)


def test_given_router_must_have_the_tier_groups() -> None:
    router = litellm.Router(model_list=[{"model_name": "cheap", "litellm_params": {"model": "gpt-4o-mini"}}])
    with pytest.raises(ConfigError, match=r"routers\[0\]\.tiers\[0\]\.model.*allowed: cheap"):
        lre.install(ladder(), router=router)


def test_a_streamed_tool_call_pins_its_loop_too() -> None:
    call = {"id": "call_streamed", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    with stub_ladder(Script(reply="", tool_calls=[call])):
        opening = [{"role": "user", "content": EASY}]
        chunks = list(litellm.completion(model="tiered/t", messages=opening, tools=[TOOL], stream=True,
                                         metadata={"min_tier": "large"}))
        text = "".join(c.choices[0].delta.content or "" for c in chunks)  # what the client assembles
        ids = [tc.id for c in chunks for tc in (c.choices[0].delta.tool_calls or []) if tc.id]
        assert ids == ["call_streamed"]
        step = litellm.completion(model="tiered/t", tools=[TOOL], messages=[
            *opening, {"role": "assistant", "content": text, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_streamed", "content": "found it"}])
        decision = lre.decision_of(step)
        assert isinstance(decision, dict) and (decision["tier"], decision["cause"]) == ("large", "sticky")


def test_a_conversation_continued_from_another_choice_keeps_its_tier() -> None:
    # With n=2 the client may carry on from choice 1: that answer pins the conversation's tier as choice 0 does
    with stub_ladder(Script(reply="first take", other_choices=["second take"])):
        opening = [{"role": "user", "content": EASY}]
        answer = litellm.completion(model="tiered/t", messages=opening, n=2, metadata={"min_tier": "large"})
        second = answer.choices[1].message.content
        assert second == "second take"
        step = litellm.completion(model="tiered/t", messages=[
            *opening, {"role": "assistant", "content": second}, {"role": "user", "content": "thanks!"}])
        decision = lre.decision_of(step)
        assert isinstance(decision, dict) and (decision["tier"], decision["cause"]) == ("large", "sticky")


def test_a_stream_with_two_choices_delivers_choice_zero_whole() -> None:
    # LiteLLM reads a custom provider's stream as one choice: choice 1's text was spliced into choice 0's, and its
    # finish could end choice 0 early. Choice 0 now arrives as it was written, the others are not delivered.
    with stub_ladder(Script(reply="first take", other_choices=["second take"])):
        chunks = list(litellm.completion(model="tiered/t", messages=[{"role": "user", "content": EASY}], n=2,
                                         stream=True))
    texts: dict[int, str] = {}
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    assert texts == {0: "first take "} and lre.decision_of(chunks[0])["tier"] == "small"  # type: ignore[index]


@contextlib.contextmanager
def stub_ladder(script: Script, **router: Any) -> Iterator[StubServer]:
    """The two-tier ladder (with ``router`` settings) installed on an OpenAI-compatible stub answering by ``script``."""
    with StubServer(script) as stub:
        config = ladder(**router)
        for tier, model in zip(config["tiers"], ("openai/gpt-4o-mini", "openai/gpt-4o"), strict=True):
            tier["model"] = model
            tier["litellm_params"] = {"api_base": stub.base_url, "api_key": "sk-test-not-a-real-key"}
        lre.install(config)
        try:
            yield stub
        finally:
            lre.uninstall()


def test_given_router_ignores_tier_params_so_they_are_refused() -> None:
    router = litellm.Router(model_list=[{"model_name": "gpt-4o-mini", "litellm_params": {"model": "gpt-4o-mini"}},
                                        {"model_name": "gpt-4o", "litellm_params": {"model": "gpt-4o"}}])
    with pytest.raises(ConfigError, match=r"routers\[0\]\.tiers\[0\]\.litellm_params.*ignores"):
        lre.install(ladder(), router=router)


def test_a_misspelt_router_setting_is_named() -> None:
    # litellm.Router(**router_settings) raised a bare TypeError naming neither the file nor the key
    with pytest.raises(ConfigError, match=r"key 'router_settings\.num_retrys'.*did you mean 'num_retries'"):
        lre.install({"routers": [ladder()], "router_settings": {"num_retrys": 2}})


def test_user_headers_and_timeout_reach_the_tier_call() -> None:
    # LiteLLM hands a custom provider these beside optional_params; they were dropped, so a request's timeout=
    # waited for a slow tier and the provider never saw the end user or the trace header.
    with stub_ladder(Script()) as stub:
        ask(EASY, user="end-user-7", extra_headers={"X-Trace": "abc"})
        assert stub.script.requests[-1]["user"] == "end-user-7"
        assert stub.script.request_headers[-1].get("X-Trace") == "abc"
        stub.script.delay_s = 2.0
        with pytest.raises(litellm.Timeout):  # every tier timed out: the request's own 0.3 s, not LiteLLM's 600 s
            ask(EASY, timeout=0.3, num_retries=0)


def test_each_tier_call_is_logged_at_its_own_cost_and_the_request_at_the_total() -> None:
    # The request's total was written into the escalated-to tier's own response, which LiteLLM's async logging of
    # that tier call read afterwards: a user's logger saw the top tier's call cost the whole request.
    capture = Capture()
    lre.install(ladder(small="I cannot help with that.", cascade={"validators": [{"name": "refusal"}]}, sticky=False))

    async def run() -> Any:
        response = await litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": EASY}])
        for _ in range(100):
            if len(capture.payloads) >= 3:
                break
            await asyncio.sleep(0.02)
        return response

    try:
        with logging_to(capture):
            decision = lre.decision_of(asyncio.run(run()))
    finally:
        lre.uninstall()
    assert isinstance(decision, dict) and [a["tier"] for a in decision["attempts"]] == ["small", "large"]
    logged = {p["model"]: p["response_cost"] for p in capture.payloads}
    assert logged["gpt-4o"] == pytest.approx(decision["attempts"][1]["cost_usd"])
    assert logged["t"] == pytest.approx(decision["cost_usd"]) and decision["cost_usd"] > logged["gpt-4o"]


class CaptureBoth(Capture):
    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.payloads.append(kwargs["standard_logging_object"])  # a sync stream is logged by the sync hook


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_a_streamed_request_is_logged_at_the_ladders_cost(mode: str) -> None:
    # LiteLLM prices a finished stream by its model name, which no price map has for tiered/<alias>: a user's
    # logger (and the proxy's spend logs) saw every streamed request as free.
    capture = CaptureBoth()
    lre.install(ladder(small="I cannot help with that.", cascade={"validators": [{"name": "refusal"}]}, sticky=False))
    messages = [{"role": "user", "content": EASY}]

    def logged() -> bool:
        return any(p["model"] == "t" for p in capture.payloads)

    async def consume() -> list[Any]:
        chunks = [c async for c in await litellm.acompletion(model="tiered/t", messages=messages, stream=True)]
        for _ in range(100):  # the async hooks run on this loop: wait inside it
            if logged():
                break
            await asyncio.sleep(0.02)
        return chunks

    try:
        with logging_to(capture):
            if mode == "sync":
                chunks = list(litellm.completion(model="tiered/t", messages=messages, stream=True))
                for _ in range(100):
                    if logged():
                        break
                    time.sleep(0.02)
            else:
                chunks = asyncio.run(consume())
    finally:
        lre.uninstall()
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and decision["escalations"] == 1 and decision["cost_usd"] > 0
    (outer,) = [p for p in capture.payloads if p["model"] == "t"]
    assert outer["response_cost"] == pytest.approx(decision["cost_usd"])


@pytest.mark.parametrize("deployment_timeout", [0.3, "0.3"], ids=["number", "string"])  # os.environ/... is a string
def test_a_longer_request_timeout_does_not_lift_a_deployments_own(deployment_timeout: object) -> None:
    # The request's timeout overrides a deployment's in LiteLLM: a proxy hands every request its Router's timeout,
    # which lifted each slow tier's 0.3 s limit, so the tier answered late instead of moving up.
    with StubServer(Script(delay_s=1.5)) as stub:
        config = ladder()
        for tier, model in zip(config["tiers"], ("openai/gpt-4o-mini", "openai/gpt-4o"), strict=True):
            tier["model"] = model
            tier["litellm_params"] = {"api_base": stub.base_url, "api_key": "sk-test-not-a-real-key",
                                      "timeout": deployment_timeout}
        lre.install(config)
        try:
            with pytest.raises(litellm.Timeout):
                ask(EASY, timeout=30, num_retries=0)
        finally:
            lre.uninstall()


def test_one_install_of_two_configs_refuses_a_repeated_alias() -> None:
    # One file refuses a repeated alias; two configs in one install() call silently kept the second
    with pytest.raises(ConfigError, match=r"key 'routers\[0\]\.alias'.*also in config 0"):
        lre.install([ladder(), ladder(large="other")])


def test_a_requests_headers_join_a_deployments_own() -> None:
    # Sent as extra_headers they replaced the deployment's (a gateway key) whenever the request carried any
    with StubServer(Script()) as stub:
        params = {"api_base": stub.base_url, "api_key": "sk-test", "extra_headers": {"X-Gateway-Key": "secret"}}
        config = ladder()
        for tier, model in zip(config["tiers"], ("openai/gpt-4o-mini", "openai/gpt-4o"), strict=True):
            tier["model"], tier["litellm_params"] = model, params
        lre.install(config)
        try:
            ask(EASY, extra_headers={"X-Trace": "abc"})
        finally:
            lre.uninstall()
    sent = stub.script.request_headers[-1]
    assert sent.get("X-Gateway-Key") == "secret" and sent.get("X-Trace") == "abc"


@pytest.mark.parametrize("deployment_timeout", [5, "5"], ids=["number", "string"])
def test_a_router_wide_timeout_does_not_cut_a_tiers_longer_one(deployment_timeout: object) -> None:
    # A proxy (here a user's Router serving tiered/t too) hands every request its Router-wide timeout. Forwarded,
    # its 0.5 s beat the slow tier's own 5 s deployment timeout, and every tier timed out.
    with StubServer(Script(delay_s=1.0)) as stub:
        params = {"api_base": stub.base_url, "api_key": "sk-test", "timeout": deployment_timeout}
        router = litellm.Router(model_list=[
            {"model_name": "small", "litellm_params": {"model": "openai/gpt-4o-mini", **params}},
            {"model_name": "large", "litellm_params": {"model": "openai/gpt-4o", **params}}], timeout=0.5,
            num_retries=0)
        lre.install({"alias": "t", "thresholds": [0.5], "tiers": [{"name": "s", "model": "small"},
                                                                  {"name": "l", "model": "large"}]}, router=router)
        router.set_model_list([*router.model_list, {"model_name": "tiered/t", "litellm_params": {"model": "tiered/t"}}])
        try:
            response = router.completion(model="tiered/t", messages=[{"role": "user", "content": EASY}])
        finally:
            lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict) and decision["tier"] == "s" and decision["attempts"][0]["error"] is None


@pytest.mark.parametrize("cascade", [None, {"validators": [{"name": "refusal"}], "stream_mode": "early",
                                            "early_tokens": 2}], ids=["live", "early"])
def test_a_relayed_stream_is_logged_at_its_final_cost(cascade: dict[str, Any] | None) -> None:
    # A relayed stream is priced only once its last chunk is in: LiteLLM must read the cost after that
    capture = CaptureBoth()
    router = {"cascade": cascade} if cascade else {}
    with stub_ladder(Script(reply="a streamed answer of several words"), **router), logging_to(capture):
        chunks = list(litellm.completion(model="tiered/t", messages=[{"role": "user", "content": EASY}],
                                         stream=True, stream_options={"include_usage": True}))
        for _ in range(100):
            if any(p["model"] == "t" for p in capture.payloads):
                break
            time.sleep(0.02)
    (outer,) = [p for p in capture.payloads if p["model"] == "t"]
    final = outer["metadata"]["spend_logs_metadata"]["tiered_routing"]
    assert final["cost_usd"] > 0 and outer["response_cost"] == pytest.approx(final["cost_usd"])
    assert chunks


def test_install_refuses_two_tiers_sharing_a_model_with_different_params() -> None:
    # the deployment built for one tier answered the other's requests, on its server with its key
    config = ladder()
    config["tiers"][1]["model"] = "gpt-4o-mini"
    with pytest.raises(ConfigError, match=r"routers\[0\]\.tiers\[1\]\.litellm_params.*one deployment per model"):
        lre.install(config)
