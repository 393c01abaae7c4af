"""Per-request overrides, request checks, log-probs, early streams and outages, through litellm.completion."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import litellm
import pytest

import litellm_router_ext as lre
from tests.stubs.openai_stub import Script, StubServer

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
JSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}}


def mocked_ladder(small: str, large: str, **router: Any) -> dict[str, Any]:
    return {
        "alias": "w",
        "thresholds": [0.5],
        "sticky": False,
        **router,
        "tiers": [
            {"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": small}},
            {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": large}},
        ],
    }


@pytest.fixture
def uninstall() -> Iterator[None]:
    yield
    lre.uninstall()


# ------------------------------------------------------------------------------------------ per-request overrides


def test_force_tier_is_used_exactly_even_when_its_answer_fails_a_check(uninstall: None) -> None:
    # README: force_tier = "use exactly this tier": the forced tier's answer comes back, marked unverified, and
    # the cascade does not climb past it
    lre.install(mocked_ladder("I cannot help with that.", "large answer",
                              cascade={"validators": [{"name": "refusal"}]}))
    response = litellm.completion(
        model="tiered/w", messages=[{"role": "user", "content": "hi"}], metadata={"force_tier": "small"}
    )
    decision = lre.decision_of(response)
    assert isinstance(decision, dict)
    assert (decision["tier"], decision["escalations"], decision["verified"]) == ("small", 0, False)
    assert response.choices[0].message.content == "I cannot help with that."


# ------------------------------------------------------------------------------------------ request checking


def test_a_message_with_an_unknown_role_is_refused_before_any_tier(uninstall: None) -> None:
    # As OpenAI would: a 400, and no tier is called (or billed). A message with no role at all is LiteLLM's to
    # read: litellm.completion gives it the assistant role before any provider sees it, for every model.
    lre.install(mocked_ladder("small answer", "large answer"))
    with pytest.raises(litellm.BadRequestError, match=r"messages\[0\]\.role must be one of"):
        litellm.completion(model="tiered/w", messages=[{"role": "wizard", "content": "hi"}])


def test_logprobs_the_router_asked_for_are_not_returned_to_a_client_that_did_not(uninstall: None) -> None:
    # The logprob check asks the tier for token log-probs; they are the router's business, not the client's
    def ask(**kwargs: Any) -> Any:
        return litellm.completion(model="tiered/w", messages=[{"role": "user", "content": "hi"}], **kwargs)

    with StubServer(Script(reply="small answer", logprob=-0.1)) as small, StubServer(Script(reply="big")) as large:
        lre.install({"routers": [{
            "alias": "w", "thresholds": [0.5],
            "tiers": [
                {"name": "small", "model": "openai/gpt-4o-mini",
                 "litellm_params": {"api_base": small.base_url, "api_key": "sk-fake"}},
                {"name": "large", "model": "openai/gpt-4o",
                 "litellm_params": {"api_base": large.base_url, "api_key": "sk-fake"}},
            ],
            "cascade": {"validators": [{"name": "logprob", "params": {"min_mean": -0.6}}]},
        }]})
        plain, asked = ask(), ask(logprobs=True)
        assert small.script.requests[0].get("logprobs") is True  # the router asked for the check
    assert lre.decision_of(plain)["tier"] == "small"  # type: ignore[index]
    assert getattr(plain.choices[0], "logprobs", None) is None
    assert asked.choices[0].logprobs is not None  # a client that asked keeps them


# ------------------------------------------------------------------------------------------ streaming cascade


def test_an_early_stream_is_not_verified_by_checks_that_never_ran(uninstall: None) -> None:
    # `early` mode runs only the checks that can judge a prefix (refusal); the schema check cannot, so an answer
    # that passed refusal alone is not reported verified (`check` warns about such a cascade). The answer runs past
    # the first 2 chunks: a stream that ends inside the window is checked whole, by every check.
    lre.install(mocked_ladder(
        "not json at all", '{"name": "Bob"}',
        cascade={"validators": [{"name": "schema"}, {"name": "refusal"}], "stream_mode": "early", "early_tokens": 2},
    ))
    chunks = list(litellm.completion(
        model="tiered/w", messages=[{"role": "user", "content": "hi"}], response_format=JSON_FORMAT, stream=True
    ))
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and (decision["tier"], decision["verified"]) == ("small", None)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_an_early_stream_is_not_verified_by_checks_of_its_prefix_alone(uninstall: None, use_async: bool) -> None:
    # Every check can judge a prefix (refusal), and the first early_tokens chunks pass it; the hedge after them was
    # never read, so the answer as a whole was not judged: verified is null, not true. The prefix's verdict stays.
    lre.install(mocked_ladder(
        "Paris is the capital of France, but I'm not sure.", "large answer",
        cascade={"validators": [{"name": "refusal"}], "stream_mode": "early", "early_tokens": 3},
    ))

    async def collect() -> list[Any]:
        stream = await litellm.acompletion(model="tiered/w", messages=[{"role": "user", "content": "hi"}],
                                           stream=True)
        return [c async for c in stream]

    chunks = asyncio.run(collect()) if use_async else list(
        litellm.completion(model="tiered/w", messages=[{"role": "user", "content": "hi"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks).endswith("I'm not sure.")
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and (decision["tier"], decision["verified"]) == ("small", None)
    assert decision["attempts"][0]["verdict"]["accepted"] is True  # what was checked, the prefix, passed


def test_an_early_stream_whose_every_tier_failed_a_check_is_reported_unverified(uninstall: None) -> None:
    # README: the top tier's answer "is returned even if it fails its checks, marked verified: false"; a check that
    # could not run on the stream (schema) does not turn the refusal check's rejection into "unchecked"
    lre.install(mocked_ladder(
        "I cannot help with that.", "I'm sorry, but I can't help with that.",
        cascade={"validators": [{"name": "schema"}, {"name": "refusal"}], "stream_mode": "early"},
    ))
    chunks = list(litellm.completion(model="tiered/w", messages=[{"role": "user", "content": "hi"}],
                                     response_format=JSON_FORMAT, stream=True))
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and (decision["tier"], decision["escalations"]) == ("large", 1)
    assert decision["verified"] is False


# ------------------------------------------------------------------------------------------ outages


@pytest.mark.parametrize("retry_first, calls", [(False, 1), (True, 2)])
def test_a_failing_tier_below_the_top_moves_up_without_litellms_retries(
    uninstall: None, retry_first: bool, calls: int
) -> None:
    # The tier above is the retry: LiteLLM's num_retries (and its back-off, seconds a retry) apply to a lower
    # tier only with retry_before_escalating: true. The top tier keeps them either way.
    with StubServer(Script(status=500)) as small, StubServer(Script(reply="large answer")) as large:
        lre.install({
            "routers": [{
                "alias": "w", "thresholds": [0.5], "retry_before_escalating": retry_first,
                "tiers": [
                    {"name": "small", "model": "openai/gpt-4o-mini",
                     "litellm_params": {"api_base": small.base_url, "api_key": "k"}},
                    {"name": "large", "model": "openai/gpt-4o",
                     "litellm_params": {"api_base": large.base_url, "api_key": "k"}},
                ],
            }],
            "router_settings": {"num_retries": 1},
        })
        response = litellm.completion(model="tiered/w", messages=[{"role": "user", "content": "hi"}])
        assert lre.decision_of(response)["tier"] == "large"  # type: ignore[index]
        assert len(small.script.requests) == calls
