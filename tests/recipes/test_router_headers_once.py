"""RouterHeaders without a proxy: what leaves the proxy carries the decision once and only the four x-router-*
headers. The chunks and responses are LiteLLM's own, made by ``litellm.completion(model="tiered/...")``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import litellm
import pytest

import litellm_router_ext as lre
from litellm_router_ext.adapters.proxy import RouterHeaders
from tests.factories import FakeStream

ROUTER_HEADERS = {"x-router-tier", "x-router-model", "x-router-escalations", "x-router-cost-usd"}


@pytest.fixture
def installed() -> Iterator[None]:
    lre.install(
        {
            "alias": "t",
            "thresholds": [0.5],
            "tiers": [
                {"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": "small answer here"}},
                {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": "large answer"}},
            ],
        }
    )
    yield
    lre.uninstall()


def ask(**kwargs: Any) -> Any:
    return litellm.completion(model="tiered/t", messages=[{"role": "user", "content": "hi"}], **kwargs)


def through_hooks(chunks: list[Any]) -> tuple[list[Any], FakeStream]:
    stream, hook, data = FakeStream(chunks), RouterHeaders(), {"litellm_call_id": "c1"}

    async def run() -> list[Any]:
        assert await hook.async_post_call_response_headers_hook(data, None, stream) is None
        return [c async for c in hook.async_post_call_streaming_iterator_hook(None, stream, data)]

    return asyncio.run(run()), stream


def serialized(chunks: list[Any]) -> list[str]:
    return [c.model_dump_json(exclude_none=True, exclude_unset=True) for c in chunks]  # as the proxy sends them


def test_sdk_chunks_leave_the_proxy_with_the_decision_once(installed: None) -> None:
    chunks = list(ask(stream=True))
    assert '"tiered_routing"' in serialized(chunks)[0]
    out, stream = through_hooks(chunks)
    events = serialized(out)
    assert [e.count('"tiered_routing"') for e in events] == [1] + [0] * (len(events) - 1)
    assert out[0].choices[0].delta.provider_specific_fields["tiered_routing"]["tier"] == "small"
    assert "".join(c.choices[0].delta.content or "" for c in out) == "small answer here"
    assert set(stream._hidden_params["additional_headers"]) == ROUTER_HEADERS


def test_a_later_chunk_carrying_the_decision_again_loses_it(installed: None) -> None:
    chunks = list(ask(stream=True))
    record = lre.decision_of(chunks[0])
    later = litellm.ModelResponseStream(
        choices=[{"index": 0, "delta": {"content": "x", "provider_specific_fields": {"tiered_routing": record}}}]
    )
    out, _ = through_hooks([chunks[0], later, *chunks[1:]])
    events = serialized(out)
    assert [e.count('"tiered_routing"') for e in events] == [1] + [0] * (len(events) - 1)
    assert out[1].choices[0].delta.content == "x" and out[1].choices[0].delta.provider_specific_fields is None


def test_other_provider_fields_of_a_chunk_are_kept(installed: None) -> None:
    chunks = list(ask(stream=True))  # the whole stream: the provider finishes its record at the end
    first = chunks[0]
    first.choices[0].delta.provider_specific_fields["other"] = 1
    out, _ = through_hooks([first, first.model_copy(deep=True)])
    assert out[0].choices[0].delta.provider_specific_fields == {"tiered_routing": lre.decision_of(first), "other": 1}
    assert out[1].choices[0].delta.provider_specific_fields == {"other": 1}


def test_non_streaming_response_keeps_no_llm_provider_copies_of_the_headers(installed: None) -> None:
    response = ask()
    headers = response._hidden_params["additional_headers"]
    assert {f"llm_provider-{name}" for name in ROUTER_HEADERS} <= set(headers)  # LiteLLM's prefixed copies
    hook, data = RouterHeaders(), {"litellm_call_id": "c2"}

    async def run() -> dict[str, str] | None:
        assert await hook.async_post_call_success_hook(data, None, response) is None
        return await hook.async_post_call_response_headers_hook(data, None, response)

    sent = asyncio.run(run())
    assert sent is not None and set(sent) == ROUTER_HEADERS and sent["x-router-tier"] == "small"
    assert not [name for name in response._hidden_params["additional_headers"] if "x-router-" in name]
