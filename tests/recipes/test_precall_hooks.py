"""dispatch: precall with a cascade, hook by hook: force_tier, the judge's spend, log-probs, a failed call, retries.

The proxy's hooks are driven directly (pre-call -> the proxy's call -> success hook -> headers hook) with a fake
router standing in for the proxy's ``llm_router``; the retry test uses a real ``litellm.Router`` against in-process
stub servers. tests/integration/test_precall_cascade.py runs the same flow in a real proxy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import litellm
import pytest

from litellm_router_ext.adapters.proxy import RouterHeaders, check_chat_request
from litellm_router_ext.adapters.runtime import TieredRouter
from litellm_router_ext.config import parse_config
from litellm_router_ext.state import InMemoryConversationMemory
from tests.stubs.openai_stub import Script, StubServer

EASY = "What is the capital of France?"
KEY = {"user_api_key_hash": "hash-of-the-clients-key", "user_api_key": "hash-of-the-clients-key"}


class FakeProxyRouter:
    """The proxy's llm_router: answers by model group, log-probs only when asked, records every call."""

    def __init__(self, replies: dict[str, str], logprob: float = -0.1, cost: float = 0.001) -> None:
        self.replies = replies
        self.model_names = list(replies)
        self.logprob = logprob
        self.cost = cost
        self.calls: list[dict[str, Any]] = []

    def get_model_list(self, model_name: str | None = None) -> list[dict[str, Any]]:
        return [{"model_name": model_name, "litellm_params": {"model": "openai/gpt-4o-mini"}}]

    async def acompletion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        model = kwargs["model"]
        text = self.replies[model]
        if any("grader" in str(m.get("content")) for m in kwargs["messages"]):
            text = "Score: 9"  # a judge call
        choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": text},
                                  "finish_reason": "stop"}
        if kwargs.get("logprobs"):
            choice["logprobs"] = {"content": [{"token": w, "logprob": self.logprob, "bytes": None, "top_logprobs": []}
                                              for w in text.split()]}
        extra = [{"index": k, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                 for k in range(1, int(kwargs.get("n") or 1))]
        response = litellm.ModelResponse(model=model, choices=[choice, *extra],
                                         usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15})
        response._hidden_params = {"response_cost": self.cost, "additional_headers": {"x-litellm-model-group": model}}
        return response


def runtime(router: Any, **overrides: Any) -> TieredRouter:
    config = {
        "alias": "w", "thresholds": [0.5], "sticky": False, "dispatch": "precall",
        "tiers": [{"name": "small", "model": "small", "supports_logprobs": True},
                  {"name": "large", "model": "large", "supports_logprobs": True}],
        **overrides,
    }
    return TieredRouter(parse_config(config).routers[0], router, InMemoryConversationMemory())


def stub_group(name: str, stub: StubServer) -> dict[str, Any]:
    """A model group of a real ``litellm.Router`` on a stub (the OpenAI client's own retries off)."""
    return {"model_name": name, "litellm_params": {"model": "openai/gpt-4o-mini", "api_base": stub.base_url,
                                                   "api_key": "sk-fake", "max_retries": 0}}


async def through_proxy(hooks: RouterHeaders, rt: TieredRouter, fake: FakeProxyRouter,
                        data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """What the proxy does for one non-streamed request: pre-call hook, its call, success hook, headers hook."""
    hooks._dispatch_direct(rt, check_chat_request(data), data)
    response = await fake.acompletion(**data)
    replaced = await hooks.async_post_call_success_hook(data, None, response)
    final = replaced if replaced is not None else response
    headers = await hooks.async_post_call_response_headers_hook(data, None, final)
    return final, headers or {}


# ------------------------------------------------------------------------------------------ force_tier


async def test_precall_check_does_not_escalate_a_forced_tier() -> None:
    # force_tier is exact (README): the forced tier's answer comes back unverified, as on the SDK path
    # (tests/sdk/test_overrides_and_outages.py); the request's metadata reaches the success hook's cascade
    fake = FakeProxyRouter({"small": "I cannot help with that.", "large": "large answer"})
    rt = runtime(fake, cascade={"validators": [{"name": "refusal"}]})
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}],
            "metadata": {**KEY, "force_tier": "small"}}
    final, headers = await through_proxy(RouterHeaders(), rt, fake, data)
    assert headers["x-router-tier"] == "small" and final.choices[0].message.content == "I cannot help with that."
    assert headers["x-router-escalations"] == "0"
    assert [c["model"] for c in fake.calls] == ["small"]


# ------------------------------------------------------------------------------------------ judge spend


async def test_judge_calls_in_the_success_hook_are_charged_to_the_clients_key() -> None:
    # In a precall cascade the judge runs inside the proxy's success hook, through the proxy's router, which charges
    # a call to a key only through the key fields in its metadata: the judge's calls carry them as the attempts do
    # (with dispatch: provider, judge spend is inside the provider's response_cost, charged to the key)
    fake = FakeProxyRouter({"small": "Paris.", "large": "large answer"})
    rt = runtime(fake, cascade={"validators": [{"name": "judge"}], "judge_tier": "large"})
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}], "metadata": dict(KEY)}
    await through_proxy(RouterHeaders(), rt, fake, data)
    judge_calls = [c for c in fake.calls[1:] if any("grader" in str(m.get("content")) for m in c["messages"])]
    assert judge_calls, "the judge was not called"
    for call in judge_calls:
        assert (call.get("metadata") or {}).get("user_api_key_hash") == KEY["user_api_key_hash"]


# ------------------------------------------------------------------------------------------ log-probs


async def test_logprob_gate_still_works_in_precall_when_only_the_top_tier_lacks_logprobs() -> None:
    # A common ladder: a local model that gives log-probs under a frontier model that does not (Anthropic). The
    # chosen tier is asked for log-probs and its fallback is not (a fallback entry carries its own settings), so a
    # confident local answer is kept after one call, as with dispatch: provider
    fake = FakeProxyRouter({"small": "Paris is the capital.", "large": "large answer"}, logprob=-0.1)
    rt = runtime(
        fake,
        tiers=[{"name": "small", "model": "small", "supports_logprobs": True},
               {"name": "large", "model": "large", "supports_logprobs": False}],
        cascade={"validators": [{"name": "logprob", "params": {"min_mean": -0.7}}], "on_missing_logprobs": "fail"},
    )
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}], "metadata": dict(KEY)}
    final, headers = await through_proxy(RouterHeaders(), rt, fake, data)
    assert headers["x-router-tier"] == "small"
    assert [c["model"] for c in fake.calls] == ["small"]
    assert data["fallbacks"] == [{"model": "large", "num_retries": 0, "logprobs": None, "top_logprobs": None}]
    assert final.choices[0].logprobs is None  # asked for the check, not by the client


# ------------------------------------------------------------------------------------------ failed first call


async def test_a_precall_request_whose_call_fails_leaves_nothing_behind() -> None:
    # When the proxy's call fails (every fallback down, or a 400 from the tier) the success and headers hooks never
    # run: the failure hook forgets the request, which would otherwise hold its whole conversation until 4096
    # later requests pushed it out
    fake = FakeProxyRouter({"small": "s", "large": "l"})
    rt = runtime(fake, cascade={"validators": [{"name": "refusal"}]})
    hooks = RouterHeaders()
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": "x" * 10_000}], "metadata": dict(KEY)}
    hooks._dispatch_direct(rt, check_chat_request(data), data)
    error = litellm.ServiceUnavailableError("down", model="large", llm_provider="openai")
    await hooks.async_post_call_failure_hook(request_data=data, original_exception=error, user_api_key_dict=None)
    assert len(hooks._direct) == 0


# ------------------------------------------------------------------------------------------ retries


def test_precall_num_retries_zero_does_not_reach_the_top_tier_fallback() -> None:
    # RouterConfig.retry_before_escalating: "The top tier always keeps them" (LiteLLM's retries). LiteLLM passes the
    # request's num_retries=0 on to its fallbacks (router_utils/fallback_event_handlers.run_async_fallback), so the
    # top tier's fallback entry carries the router's own: a transient 500/429 there is still retried
    with StubServer(Script(status=500)) as small, StubServer(Script(status=500)) as large:
        router = litellm.Router(model_list=[stub_group("small", small), stub_group("large", large)],
                                num_retries=2, retry_after=0, allowed_fails=100)
        rt = runtime(router)
        data: dict[str, Any] = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}]}
        RouterHeaders()._dispatch_direct(rt, check_chat_request(data), data)
        assert data["model"] == "small" and data["num_retries"] == 0
        assert data["fallbacks"] == [{"model": "large", "num_retries": 2}]  # the router's own, for the top tier
        with pytest.raises(litellm.InternalServerError):  # every tier is down: the count of tries is the point
            asyncio.run(router.acompletion(**data))
        assert len(small.script.requests) == 1  # the bottom tier moves up at once (as intended)
        assert len(large.script.requests) == 3  # the top tier keeps the router's num_retries=2


# ------------------------------------------------------------------------------------------ the logging payload


async def test_one_spend_log_row_carries_the_decision_the_one_whose_answer_was_delivered() -> None:
    # As on the provider path (one row per request): a climb over three tiers makes three calls, and only the
    # call that answered carries the final decision; the other rows keep an empty record (no double counting)
    fake = FakeProxyRouter({"small": "I cannot help with that.", "mid": "I'm sorry, but I can't.", "large": "Paris."})
    rt = runtime(fake, tiers=[{"name": "s", "model": "small"}, {"name": "m", "model": "mid"},
                              {"name": "l", "model": "large"}],
                 thresholds=[0.5, 0.9], cascade={"validators": [{"name": "refusal"}], "max_escalations": 2})
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}], "metadata": dict(KEY)}
    _, headers = await through_proxy(RouterHeaders(), rt, fake, data)
    assert (headers["x-router-tier"], headers["x-router-escalations"]) == ("l", "2")
    rows = {c["model"]: c["metadata"]["spend_logs_metadata"]["tiered_routing"] for c in fake.calls}
    assert rows["small"] == {} and rows["mid"] == {}
    assert (rows["large"]["tier"], rows["large"]["escalations"], rows["large"]["cost_usd"]) == ("l", 2, 0.003)


async def test_a_cascade_with_a_budget_stays_with_the_provider() -> None:
    # A budget caps and gates every attempt before it is paid for (runtime._kwargs, CascadeFlow): the pre-call hook
    # would send an uncapped first call, and a start tier found unaffordable after it would drop a paid answer
    fake = FakeProxyRouter({"small": "Paris.", "large": "large answer"})
    rt = runtime(fake, cascade={"validators": [{"name": "refusal"}], "budget_usd": 0.001})
    hooks = RouterHeaders()
    data = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}], "metadata": dict(KEY)}
    hooks._dispatch_direct(rt, check_chat_request(data), data)
    assert data["model"] == "tiered/w" and "fallbacks" not in data and not hooks._direct


def test_the_proxys_own_fallbacks_for_the_chosen_tier_are_kept() -> None:
    # A request's fallbacks replace the router's in LiteLLM; precall adds the tiers above as request fallbacks, so
    # a second provider configured for the chosen tier (router_settings.fallbacks) must be kept, and tried first
    fake = FakeProxyRouter({"small": "s", "small-b": "s", "large": "l"})
    fake.fallbacks = [{"small": ["small-b"]}, {"large": ["large-b"]}]  # type: ignore[attr-defined]
    rt = runtime(fake)
    data: dict[str, Any] = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}]}
    RouterHeaders()._dispatch_direct(rt, check_chat_request(data), data)
    assert data["model"] == "small"
    assert data["fallbacks"] == ["small-b", {"model": "large", "num_retries": 0}]


def test_a_same_tier_fallback_serves_before_the_tier_above_in_a_real_router() -> None:
    with StubServer(Script(status=500)) as small, StubServer(Script(reply="b answer")) as small_b, \
            StubServer(Script(reply="large answer")) as large:
        groups = [stub_group("small", small), stub_group("small-b", small_b), stub_group("large", large)]
        router = litellm.Router(model_list=groups, fallbacks=[{"small": ["small-b"]}], num_retries=0)
        rt = runtime(router)
        data: dict[str, Any] = {"model": "tiered/w", "messages": [{"role": "user", "content": EASY}]}
        RouterHeaders()._dispatch_direct(rt, check_chat_request(data), data)
        response = asyncio.run(router.acompletion(**data))
    assert response.choices[0].message.content == "b answer"
    assert len(small.script.requests) == 1 and not large.script.requests
