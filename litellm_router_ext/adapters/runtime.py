"""One installed router at run time: the policy plus a LiteLLM ``Router`` that carries every tier attempt.

``TieredRouter.complete`` / ``acomplete`` / ``stream`` / ``astream`` pick the first tier with the pure
policy, dispatch through ``litellm.Router`` (so LiteLLM's retries, timeouts, fallbacks and cooldowns do
the transport) and move up the ladder when a tier fails at the provider after LiteLLM gave up on it.
The routing record (``Decision``) is returned beside the response; ``provider.py`` attaches it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import litellm

from ..config import RouterConfig, TierConfig
from ..errors import AllTiersFailedError
from ..policy import TierPolicy
from ..state import ConversationMemory
from ..types import Attempt, Decision, RequestView, conversation_key
from .capabilities import tier_profile

log = logging.getLogger("litellm_router_ext")

# Errors that say "this request is wrong", not "this tier is unavailable": retrying higher up would only
# spend more money on the same failure. Context-window errors are the exception: a bigger tier may fit.
_CALLER_ERRORS: tuple[type[BaseException], ...] = (litellm.BadRequestError,)
_TIER_ERRORS_ANYWAY: tuple[type[BaseException], ...] = (litellm.ContextWindowExceededError,)


def is_tier_failure(exc: BaseException) -> bool:
    """True when moving up the ladder may succeed where this tier failed."""
    return isinstance(exc, _TIER_ERRORS_ANYWAY) or not isinstance(exc, _CALLER_ERRORS)


def describe_error(exc: BaseException) -> str:
    """Error class and status only: provider messages can echo the prompt, so they are not recorded."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}({status})" if status else type(exc).__name__


def response_cost(response: Any, tier: TierConfig) -> float:
    """Cost of one attempt: the tier's price override, else what LiteLLM computed for the deployment."""
    usage = getattr(response, "usage", None)
    if tier.price is not None and usage is not None:
        return (
            (usage.prompt_tokens or 0) * tier.price.input_usd_per_mtok
            + (usage.completion_tokens or 0) * tier.price.output_usd_per_mtok
        ) / 1e6
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost")
    if cost is None:
        try:
            cost = litellm.completion_cost(completion_response=response)
        except Exception:  # a model missing from the price map costs what we cannot know: record 0
            cost = 0.0
    return float(cost or 0.0)


@dataclass(frozen=True, slots=True)
class TierCall:
    """Everything needed to send one request to one tier."""

    index: int
    tier: TierConfig
    kwargs: dict[str, Any]


class TieredRouter:
    """Runs requests for one alias: decide, dispatch, escalate on tier failure, record."""

    def __init__(self, config: RouterConfig, router: litellm.Router, memory: ConversationMemory | None) -> None:
        self.config = config
        self.router = router
        profiles = [tier_profile(t, router) for t in config.tiers]
        self.policy = TierPolicy.from_config(config, profiles=profiles, memory=memory)

    # ------------------------------------------------------------------ deciding

    def plan(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[RequestView, Decision]:
        request = RequestView.from_openai(
            messages, tools=params.get("tools"), response_format=params.get("response_format"), metadata=metadata
        )
        return request, self.policy.decide(request)

    def _calls(
        self, request: RequestView, decision: Decision, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]
    ) -> Iterator[TierCall]:
        index: int | None = decision.tier_index
        while index is not None:
            tier = self.config.tiers[index]
            kwargs = {k: v for k, v in params.items() if k not in ("metadata", "stream")}
            yield TierCall(index, tier, {"model": tier.model, "messages": list(messages), **kwargs})
            index = self.policy.eligible(request, index + 1)

    def _record(self, decision: Decision, call: TierCall, response: Any, started: float) -> None:
        decision.attempts.append(
            Attempt(
                tier=call.tier.name,
                model=call.tier.model,
                cost_usd=response_cost(response, call.tier),
                latency_ms=(time.perf_counter() - started) * 1000,
            )
        )
        decision.escalations = len(decision.attempts) - 1
        decision.tier, decision.tier_index, decision.model = call.tier.name, call.index, call.tier.model

    def _failed(self, decision: Decision, call: TierCall, exc: BaseException, started: float) -> None:
        if not is_tier_failure(exc):
            raise exc
        log.warning(
            "router %s: tier %s failed at the provider (%s); moving up",
            self.config.alias,
            call.tier.name,
            describe_error(exc),
        )
        decision.attempts.append(
            Attempt(
                tier=call.tier.name,
                model=call.tier.model,
                latency_ms=(time.perf_counter() - started) * 1000,
                error=describe_error(exc),
            )
        )

    def _exhausted(self, decision: Decision, last: BaseException | None) -> AllTiersFailedError:
        return AllTiersFailedError(self.config.alias, [a.tier for a in decision.attempts], last)

    def remember(self, messages: Sequence[Mapping[str, Any]], answer_text: str, decision: Decision) -> None:
        """Let the conversation's next turn start no lower than the tier that answered this one."""
        if self.policy.memory is not None:
            key = conversation_key([*messages, {"role": "assistant", "content": answer_text}])
            self.policy.remember(key, decision.tier_index)

    # ------------------------------------------------------------------ non-streaming

    def complete(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Any, Decision]:
        request, decision = self.plan(messages, params, metadata)
        last: BaseException | None = None
        for call in self._calls(request, decision, messages, params):
            started = time.perf_counter()
            try:
                response = self.router.completion(**call.kwargs)
            except Exception as exc:
                self._failed(decision, call, exc, started)
                last = exc
                continue
            self._record(decision, call, response, started)
            self.remember(messages, _text_of(response), decision)
            return response, decision
        raise self._exhausted(decision, last) from last

    async def acomplete(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Any, Decision]:
        request, decision = self.plan(messages, params, metadata)
        last: BaseException | None = None
        for call in self._calls(request, decision, messages, params):
            started = time.perf_counter()
            try:
                response = await self.router.acompletion(**call.kwargs)
            except Exception as exc:
                self._failed(decision, call, exc, started)
                last = exc
                continue
            self._record(decision, call, response, started)
            self.remember(messages, _text_of(response), decision)
            return response, decision
        raise self._exhausted(decision, last) from last

    # ------------------------------------------------------------------ streaming

    def stream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Decision, Iterator[Any]]:
        """Open the stream of the first tier that answers; a tier that fails before its first chunk escalates."""
        request, decision = self.plan(messages, params, metadata)
        last: BaseException | None = None
        for call in self._calls(request, decision, messages, params):
            started = time.perf_counter()
            try:
                chunks = iter(self.router.completion(**call.kwargs, stream=True))
                first = next(chunks, None)
            except Exception as exc:
                self._failed(decision, call, exc, started)
                last = exc
                continue
            self._record(decision, call, None, started)
            return decision, self._relay(first, chunks, messages, decision, call)
        raise self._exhausted(decision, last) from last

    def _relay(
        self,
        first: Any,
        chunks: Iterator[Any],
        messages: Sequence[Mapping[str, Any]],
        decision: Decision,
        call: TierCall,
    ) -> Iterator[Any]:
        seen: list[Any] = []
        if first is not None:
            seen.append(first)
            yield first
        for chunk in chunks:
            seen.append(chunk)
            yield chunk
        self._finish_stream(seen, messages, decision, call)

    def _finish_stream(
        self, seen: list[Any], messages: Sequence[Mapping[str, Any]], decision: Decision, call: TierCall
    ) -> None:
        """Price the streamed attempt from its chunks and remember the conversation's tier."""
        try:
            rebuilt = litellm.stream_chunk_builder(seen, messages=list(messages))
        except Exception:  # an unpriceable stream keeps cost 0 rather than failing a delivered answer
            rebuilt = None
        if rebuilt is not None:
            last = decision.attempts[-1]
            decision.attempts[-1] = Attempt(
                tier=last.tier,
                model=last.model,
                latency_ms=last.latency_ms,
                cost_usd=response_cost(rebuilt, call.tier),
                verdict=last.verdict,
            )
        self.remember(messages, _text_of(rebuilt) if rebuilt is not None else "", decision)

    async def astream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Decision, AsyncIterator[Any]]:
        request, decision = self.plan(messages, params, metadata)
        last: BaseException | None = None
        for call in self._calls(request, decision, messages, params):
            started = time.perf_counter()
            try:
                chunks = (await self.router.acompletion(**call.kwargs, stream=True)).__aiter__()
                first = await anext(chunks, None)
            except Exception as exc:
                self._failed(decision, call, exc, started)
                last = exc
                continue
            self._record(decision, call, None, started)
            return decision, self._arelay(first, chunks, messages, decision, call)
        raise self._exhausted(decision, last) from last

    async def _arelay(
        self,
        first: Any,
        chunks: AsyncIterator[Any],
        messages: Sequence[Mapping[str, Any]],
        decision: Decision,
        call: TierCall,
    ) -> AsyncIterator[Any]:
        seen: list[Any] = []
        if first is not None:
            seen.append(first)
            yield first
        async for chunk in chunks:
            seen.append(chunk)
            yield chunk
        self._finish_stream(seen, messages, decision, call)


def _text_of(response: Any) -> str:
    try:
        return response.choices[0].message.content or ""
    except (AttributeError, IndexError):
        return ""
