"""SDK streaming: ``litellm.completion(model="tiered/...", stream=True)`` puts the decision on the first chunk
only, also when the tier's first chunk holds several tool calls (LiteLLM's custom-provider chunk format takes
one tool call per chunk, so that one upstream chunk becomes several)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import litellm
import pytest

import litellm_router_ext as lre

CALLS = [
    {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": "lookup", "arguments": f'{{"q": {i}}}'}}
    for i in range(3)
]


class ParallelToolCallsRouter:
    """A stand-in for the tiers' ``litellm.Router``: every tier streams three tool calls in one chunk."""

    model_names = ("small", "large")

    def _chunks(self) -> list[litellm.ModelResponseStream]:
        return [
            litellm.ModelResponseStream(choices=[{"index": 0, "delta": {"role": "assistant", "tool_calls": CALLS}}]),
            litellm.ModelResponseStream(choices=[{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
        ]

    def get_model_list(self, model_name: str | None = None) -> list[dict[str, Any]]:
        return []

    def completion(self, **kwargs: Any) -> Iterator[litellm.ModelResponseStream]:
        assert kwargs.get("stream") is True
        return iter(self._chunks())

    async def acompletion(self, **kwargs: Any) -> AsyncIterator[litellm.ModelResponseStream]:
        assert kwargs.get("stream") is True

        async def gen() -> AsyncIterator[litellm.ModelResponseStream]:
            for chunk in self._chunks():
                yield chunk

        return gen()


@pytest.fixture
def installed() -> Iterator[None]:
    tiers = [{"name": "s", "model": "small"}, {"name": "l", "model": "large"}]
    config = {"alias": "t", "thresholds": [0.5], "tiers": tiers}
    lre.install(config, router=ParallelToolCallsRouter())  # type: ignore[arg-type]
    yield
    lre.uninstall()


def stream_sync() -> list[Any]:
    return list(litellm.completion(model="tiered/t", messages=[{"role": "user", "content": "hi"}], stream=True))


def stream_async() -> list[Any]:
    async def run() -> list[Any]:
        stream = await litellm.acompletion(model="tiered/t", messages=[{"role": "user", "content": "hi"}], stream=True)
        return [c async for c in stream]

    return asyncio.run(run())


@pytest.mark.parametrize("collect", [stream_sync, stream_async], ids=["sync", "async"])
def test_parallel_tool_calls_carry_the_decision_on_the_first_chunk_only(installed: None, collect: Any) -> None:
    chunks = collect()
    carrying = [i for i, c in enumerate(chunks) if lre.decision_of(c) is not None]
    assert carrying == [0]
    decision = lre.decision_of(chunks[0])
    assert isinstance(decision, dict) and decision["router"] == "t" and decision["tier"] == "s"
    ids = [tc.id for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    assert ids == ["call_0", "call_1", "call_2"]
