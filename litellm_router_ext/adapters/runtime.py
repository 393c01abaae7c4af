"""One installed router at run time: the policy, the cascade, and a LiteLLM ``Router`` for every attempt.

``TieredRouter.complete`` / ``acomplete`` / ``stream`` / ``astream``:

1. the pure policy picks the first tier;
2. the pure ``CascadeFlow`` says which tier to try next; each attempt goes through ``litellm.Router`` so
   LiteLLM's retries, timeouts, fallbacks and cooldowns do the transport;
3. the answer is checked in this layer, after LiteLLM reported success, so a failed check is never a
   provider failure: no retry of the same tier, no cooldown of its deployment;
4. a tier whose every deployment failed (after LiteLLM gave up) is skipped upward instead of failing.

Without a ``cascade:`` section the same loop runs with no checks: the first tier that answers wins.
The routing record (``Decision``) is returned beside the response; ``provider.py`` attaches it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import litellm

from ..cascade import avalidate, build_validators, cascade_needs, validate
from ..cascade.base import Answer, AsyncValidator
from ..cascade.combine import _may_block
from ..cascade.early import reject_prefix
from ..cascade.flow import Answered, CascadeFlow, Finished, ProviderFailed, TryTier, adrive, drive
from ..config import CascadeConfig, RouterConfig, TierConfig
from ..errors import AllTiersFailedError, ConfigError, RequestError, did_you_mean
from ..policy import TierPolicy
from ..state import ConversationMemory, CounterStore, EscalationMonitor, InMemoryCounterStore, MonitorSnapshot
from ..types import Decision, RequestView, Verdict, conversation_key, tool_call_ids
from .capabilities import (
    attempt_timeout,
    routable,
    router_timeout,
    seconds,
    supports_logprobs,
    tier_price,
    tier_profile,
)
from .metrics import RouterMetrics

log = logging.getLogger("litellm_router_ext")

# Errors that say "this request is wrong", not "this tier is unavailable": retrying higher up would only
# spend more money on the same failure. Context-window errors are the exception: a bigger tier may fit.
_CALLER_ERRORS: tuple[type[BaseException], ...] = (litellm.BadRequestError,)
_TIER_ERRORS_ANYWAY: tuple[type[BaseException], ...] = (litellm.ContextWindowExceededError,)
# Without a cascade the flow runs with no checks: every answer is accepted, provider failures move up.
_NO_CASCADE = CascadeConfig.model_construct(
    validators=(),
    combine="all",
    threshold=0.5,
    max_escalations=0,
    budget_usd=None,
    stream_mode="buffer",
    early_tokens=32,
    on_missing_logprobs="skip",
    validator_timeout_s=10.0,
    judge_tier=None,
)
_UNCHECKED = Verdict(True, "none", None, "no cascade configured")
_MIN_USEFUL_OUTPUT_TOKENS = 32
_MONITOR_REFRESH_S = 5.0
# Spend of judge calls made while checking the current request's answers (judges are shared per router).
_CHECK_SPEND: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("check_spend", default=None)
# LiteLLM ``metadata`` for a call the router makes, by the tier it asks (None: a judge's call). The proxy charges a
# call to a key through it, so a precall cascade's attempts and its judge calls carry the client's key fields.
CallMetadata = Callable[[int | None], Mapping[str, Any]]
_CALL_METADATA: contextvars.ContextVar[CallMetadata | None] = contextvars.ContextVar("call_metadata", default=None)


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


@dataclass
class _Run:
    """One request in flight: its parsed view, raw arguments, and what each tier returned."""

    request: RequestView
    messages: list[Mapping[str, Any]]
    params: dict[str, Any]
    decision: Decision
    responses: dict[int, Any] = field(default_factory=dict)
    streams: dict[int, tuple[list[Any], Any]] = field(default_factory=dict)
    last_error: BaseException | None = None
    check_spend: list[float] = field(default_factory=list)
    """Judge-call costs, appended by ``_judged`` through a context variable."""
    call_metadata: CallMetadata | None = None
    """LiteLLM ``metadata`` for each attempt, by tier."""
    eligible: list[int] = field(default_factory=list)
    """Tiers that may serve the request, cheapest first."""
    whole_streams: set[int] = field(default_factory=set)
    """Tiers whose early-mode stream ended inside the early window: checked as whole answers, by every check."""


class TieredRouter:
    """Runs requests for one alias: decide, dispatch, check, escalate, record."""

    def __init__(
        self,
        config: RouterConfig,
        router: litellm.Router,
        memory: ConversationMemory | None,
        counters: CounterStore | None = None,
    ) -> None:
        self.config = config
        self.router = router
        monitor = config.monitor
        self.monitor = EscalationMonitor(
            config.alias,
            [t.name for t in config.tiers],
            counters or InMemoryCounterStore(),
            band=monitor.escalation_band,
            bottom_band=monitor.bottom_share_band,
            window_s=monitor.window_s,
            bucket_s=monitor.bucket_s,
            min_requests=monitor.min_requests,
        )
        self._snapshot: MonitorSnapshot | None = None
        self.metrics = RouterMetrics()
        self._next_check = 0.0
        profiles = [tier_profile(t, router) for t in config.tiers]
        self.policy = TierPolicy.from_config(config, profiles=profiles, memory=memory)
        self.cascade = config.cascade or _NO_CASCADE
        self.validators = (
            build_validators(config.cascade, ask=self._ask_judge, aask=self._aask_judge, key=f"{config.alias}.cascade")
            if config.cascade
            else []
        )
        needs = cascade_needs(self.validators)
        self._logprob_tiers = {i for i, t in enumerate(config.tiers) if needs.logprobs and supports_logprobs(t, router)}
        self._samples = needs.samples
        # Checks that neither await nor may block give the same verdicts from validate() as from avalidate();
        # decided once here, because avalidate's per-answer isinstance() on a runtime Protocol costs ~20 us.
        self._inline_checks = not any(isinstance(v, AsyncValidator) or _may_block(v) for v in self.validators)
        self._prices = [tier_price(t, router) for t in config.tiers]
        self._own_timeouts = [attempt_timeout(t, router) for t in config.tiers]
        self._router_timeout = router_timeout(router)
        judge = config.cascade.judge_tier if config.cascade else None
        names = [t.name for t in config.tiers]
        if judge is not None and judge not in names and judge not in router.model_names and not routable(judge):
            # every judge call would fail, and every request climb to the top tier unverified
            raise ConfigError(f"cascade.judge_tier {judge!r} is neither a tier, a model group of the model_list, nor "
                              f"a model LiteLLM can route (provider/model){did_you_mean(judge, names)}",
                              key=f"{config.alias}.cascade.judge_tier", allowed=[*names, *router.model_names])

    # ------------------------------------------------------------------ deciding

    def _start(
        self,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        decided: Decision | None = None,
        call_metadata: CallMetadata | None = None,
    ) -> tuple[_Run, CascadeFlow]:
        request = RequestView.from_params(messages, params, metadata)
        decision = decided if decided is not None else self.policy.decide(request)
        run = _Run(
            request, list(messages), {k: v for k, v in params.items() if k not in ("metadata", "stream")}, decision
        )
        run.call_metadata = call_metadata
        _CHECK_SPEND.set(run.check_spend)
        _CALL_METADATA.set(call_metadata)
        run.eligible = self.policy.eligible_tiers(request)
        flow = CascadeFlow(
            self.config.tiers,
            self.cascade,
            start=decision.tier_index,
            eligible=run.eligible,
            estimate=lambda k: self._estimate(k, run),
            other_spend=lambda: sum(run.check_spend),  # judge calls count against cascade.budget_usd
        )
        return run, flow

    @property
    def router_retries(self) -> int:
        """LiteLLM's ``num_retries`` for this runtime's router (what the top tier keeps)."""
        return int(getattr(self.router, "num_retries", None) or 0)

    def attempt_retries(self, index: int, top: int) -> int | None:
        """``num_retries`` for an attempt at tier ``index`` when ``top`` is the highest tier that may serve the
        request: 0 below it (the tier above is the retry; no back-off), None to keep LiteLLM's (the top tier, or
        ``retry_before_escalating``)."""
        return None if self.config.retry_before_escalating or index >= top else 0

    def check_kwargs(self, index: int, params: Mapping[str, Any]) -> dict[str, Any]:
        """What the checks of a whole answer need from tier ``index`` beyond the caller's ``params``: log-probs for
        a log-prob check, extra samples for an agreement check."""
        extra: dict[str, Any] = {}
        if index in self._logprob_tiers and "logprobs" not in params:
            extra.update(logprobs=True, top_logprobs=1)
        if self._samples > 1 and "n" not in params:
            extra["n"] = self._samples
        return extra

    def _prompt_tokens_bound(self, run: _Run) -> int:
        # Budget arithmetic must not under-count: ~3 characters a token is a safe upper bound for prose.
        return run.request.context_chars // 3 + 8 * run.request.n_messages + 16

    def _estimate(self, index: int, run: _Run) -> float | None:
        """Least an attempt at this tier costs (prompt + a minimal answer); ``None`` when unpriced."""
        price = self._prices[index]
        if price is None:
            return None
        out_tokens = (
            run.params.get("max_completion_tokens") or run.params.get("max_tokens") or _MIN_USEFUL_OUTPUT_TOKENS
        )
        return self._prompt_tokens_bound(run) * price[0] + min(out_tokens, _MIN_USEFUL_OUTPUT_TOKENS) * price[1]

    def _kwargs(self, step: TryTier, run: _Run, *, stream: bool = False) -> dict[str, Any]:
        tier = self.config.tiers[step.index]
        kwargs: dict[str, Any] = {"model": tier.model, "messages": run.messages, **run.params}
        if not stream:  # a streamed attempt is judged on its prefix
            kwargs.update(self.check_kwargs(step.index, run.params))
        if run.call_metadata is not None:
            kwargs["metadata"] = run.call_metadata(step.index)
        if "timeout" in kwargs and not self._tighter_timeout(step.index, kwargs["timeout"]):
            del kwargs["timeout"]
        retries = self.attempt_retries(step.index, run.eligible[-1]) if run.eligible else None
        if retries is not None:
            kwargs.setdefault("num_retries", retries)
        price = self._prices[step.index]
        if self.cascade.budget_usd is not None and price is not None and price[1] > 0:
            # Cap the answer length so this attempt cannot spend past the request's budget: each of its n choices
            # (agreement's samples, or the caller's n) is billed for its own output.
            left = self.cascade.budget_usd - step.spent_usd - self._prompt_tokens_bound(run) * price[0]
            choices = max(1, int(kwargs.get("n") or 1))
            cap = max(1, int(left / (price[1] * choices)))
            key = "max_completion_tokens" if "max_completion_tokens" in run.params else "max_tokens"
            kwargs[key] = min(int(run.params.get(key) or cap), cap)
        return kwargs

    def _tighter_timeout(self, index: int, timeout: object) -> bool:
        """Whether a request's ``timeout`` is its own and tighter than tier ``index``'s limits. LiteLLM lets a call's
        timeout beat a deployment's, and a proxy (or a user's Router) hands every request its Router-wide timeout,
        which must neither lift a tier's shorter deployment timeout nor cut a longer one."""
        asked, own = seconds(timeout), self._own_timeouts[index]
        return asked is not None and asked != self._router_timeout and (own is None or asked < own)

    def _answer(self, response: Any, run: _Run) -> Answer:
        choices = response.choices
        message = choices[0].message
        logprobs = getattr(choices[0], "logprobs", None)
        content = logprobs.get("content") if isinstance(logprobs, dict) else getattr(logprobs, "content", None)
        tokens = tuple(float(t["logprob"] if isinstance(t, dict) else t.logprob) for t in content) if content else None
        calls = tuple(c.model_dump() if hasattr(c, "model_dump") else dict(c) for c in (message.tool_calls or []))
        legacy = getattr(message, "function_call", None)  # the answer to a request with deprecated `functions`
        if not calls and legacy is not None:
            calls = ({"type": "function", "function": legacy.model_dump() if hasattr(legacy, "model_dump")
                      else dict(legacy)},)
        return Answer(
            text=message.content or "",
            request=run.request,
            tool_calls=calls,
            token_logprobs=tokens,
            finish_reason=choices[0].finish_reason,
            samples=tuple(c.message.content or "" for c in choices[1:]),
            prompt_text=run.request.text,
        )

    def _failed(self, step: TryTier, run: _Run, exc: BaseException, started: float) -> ProviderFailed:
        if not is_tier_failure(exc):
            raise exc
        log.warning(
            "router %s: tier %s failed at the provider (%s); moving up",
            self.config.alias,
            step.tier,
            describe_error(exc),
        )
        run.last_error = exc
        return ProviderFailed(describe_error(exc), latency_ms=(time.perf_counter() - started) * 1000)

    def _answered(self, step: TryTier, run: _Run, response: Any, started: float) -> Answered | ProviderFailed:
        tier = self.config.tiers[step.index]
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            answer = self._answer(response, run)
        except (AttributeError, IndexError, KeyError, TypeError):  # no choices or no message: the tier failed
            log.warning("router %s: tier %s returned a malformed response; moving up", self.config.alias, tier.name)
            return ProviderFailed("MalformedResponse", response_cost(response, tier), latency_ms)
        run.responses[step.index] = response
        return Answered(answer, response_cost(response, tier), latency_ms)

    def _check(self, answer: Answer) -> Verdict:
        return validate(answer, self.validators, self.cascade) if self.validators else _UNCHECKED

    async def _acheck(self, answer: Answer) -> Verdict:
        if not self.validators:
            return _UNCHECKED
        if self._inline_checks:
            return validate(answer, self.validators, self.cascade)
        return await avalidate(answer, self.validators, self.cascade)

    def _finish(self, run: _Run, finished: Finished, *, streaming: bool = False) -> int:
        """Write the outcome into the decision; the index of the tier whose answer is returned.

        A stream is counted by the monitor when it ends (``_finish_stream``), once its cost is known.
        """
        decision = run.decision
        decision.attempts = list(finished.attempts)
        decision.escalations = finished.escalations
        decision.stop_reason = finished.reason if self.validators else None  # no checks: nothing accepted it
        decision.checks_cost_usd = sum(run.check_spend)
        if finished.index is None:
            if finished.reason == "budget" and not finished.attempts:
                raise RequestError(
                    f"router '{self.config.alias}': cascade.budget_usd={self.cascade.budget_usd} cannot pay for "
                    "any eligible tier; raise the budget or shorten the request"
                )
            raise AllTiersFailedError(self.config.alias, [a.tier for a in finished.attempts], run.last_error) from (
                run.last_error
            )
        tier = self.config.tiers[finished.index]
        decision.tier, decision.tier_index, decision.model = tier.name, finished.index, tier.model
        decision.verified = finished.verified if self.validators else None
        if streaming and decision.verified and finished.index not in run.whole_streams:
            # early mode checked the first early_tokens chunks only: a passing prefix does not judge the whole answer
            # (a rejected one does: the phrase stays in it)
            decision.verified = None
        if not streaming:
            self.observe(decision)
        return finished.index

    def observe(self, decision: Decision) -> None:
        """Count the decision; refresh the monitor's rolling view (and its band check) every few seconds."""
        self.monitor.record(decision)
        self.metrics.observe(decision)
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + _MONITOR_REFRESH_S
            self._snapshot = self.monitor.check()
            self.metrics.snapshot(self._snapshot)

    @property
    def snapshot(self) -> MonitorSnapshot | None:
        """The monitor's latest rolling view (refreshed at most every few seconds)."""
        return self._snapshot

    def _deliver(self, run: _Run, index: int) -> Any:
        response = run.responses[index]
        if self._samples > 1 and "n" not in run.params:
            response.choices = response.choices[:1]  # extra samples were for the checks, not the caller
        if "logprobs" not in run.params and index in self._logprob_tiers:
            for choice in response.choices:  # asked for the checks too: a client that did not ask gets none
                choice.logprobs = None
        self.remember(run.messages, response_answers(response), run.decision)
        return response

    def remember(self, messages: Sequence[Mapping[str, Any]], answers: Iterable[tuple[str, Sequence[str]]],
                 decision: Decision) -> None:
        """Let the conversation's next turn (or tool-loop step) start no lower than the tier that answered this one.

        ``answers``: (text, tool-call ids) of every choice delivered; with ``n > 1`` the client may continue from
        any of them, so each is remembered.
        """
        if self.policy.memory is not None:
            for text, call_ids in answers:
                answer = {"role": "assistant", "content": text, "tool_calls": [{"id": i} for i in call_ids]}
                self.policy.remember(conversation_key([*messages, answer]), decision.tier_index)

    # ------------------------------------------------------------------ judge calls

    def _judge_model(self) -> str:
        judge = self.cascade.judge_tier
        names = [t.name for t in self.config.tiers]
        if judge is None:
            return self.config.tiers[-1].model
        return self.config.tiers[names.index(judge)].model if judge in names else judge

    def _judge_kwargs(self, messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        metadata = _CALL_METADATA.get()
        extra = {"metadata": metadata(None)} if metadata is not None else {}
        return {"model": self._judge_model(), "messages": list(messages), "temperature": 0, **extra}

    def _ask_judge(self, messages: Sequence[Mapping[str, Any]]) -> str:
        return _judged(self.router.completion(**self._judge_kwargs(messages)))

    async def _aask_judge(self, messages: Sequence[Mapping[str, Any]]) -> str:
        return _judged(await self.router.acompletion(**self._judge_kwargs(messages)))

    # ------------------------------------------------------------------ non-streaming

    def complete(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Any, Decision]:
        run, flow = self._start(messages, params, metadata)

        def call(step: TryTier) -> Answered | ProviderFailed:
            kwargs = self._kwargs(step, run)
            started = time.perf_counter()
            try:
                response = self.router.completion(**kwargs)
            except Exception as exc:
                return self._failed(step, run, exc, started)
            return self._answered(step, run, response, started)

        index = self._finish(run, drive(flow, call, self._check))
        return self._deliver(run, index), run.decision

    async def acomplete(
        self,
        messages: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        *,
        answered: tuple[Decision, Any, float] | None = None,
        call_metadata: CallMetadata | None = None,
    ) -> tuple[Any, Decision]:
        """Run the request's cascade; the delivered response and the decision.

        ``answered``: a first attempt made elsewhere, (decision, response, ``perf_counter()`` when it was sent), as
        the proxy's own call to the tier a ``dispatch: precall`` request was sent to: it is checked like any
        attempt, and the cascade climbs from the decision's tier only if it fails. ``call_metadata``: LiteLLM
        metadata for every further attempt, by tier, and for judge calls (None).
        """
        run, flow = self._start(messages, params, metadata, answered[0] if answered else None, call_metadata)
        first = answered[1:] if answered else None

        async def call(step: TryTier) -> Answered | ProviderFailed:
            nonlocal first
            if first is not None and step.index == run.decision.tier_index:
                (response, sent), first = first, None
                return self._answered(step, run, response, sent)
            started = time.perf_counter()
            kwargs = self._kwargs(step, run)
            try:
                response = await self.router.acompletion(**kwargs)
            except Exception as exc:
                return self._failed(step, run, exc, started)
            return self._answered(step, run, response, started)

        index = self._finish(run, await adrive(flow, call, self._acheck))
        return self._deliver(run, index), run.decision

    # ------------------------------------------------------------------ streaming

    @property
    def buffers_streams(self) -> bool:
        """Buffer mode: the whole cascade runs first, then the accepted answer is streamed."""
        return bool(self.validators) and self.cascade.stream_mode == "buffer"

    def _prefix_verdict(self, seen: list[Any], run: _Run) -> Verdict:
        if not self.validators:
            return _UNCHECKED
        prefix = "".join(delta_text(c) for c in seen)
        rejected = reject_prefix(self.validators, prefix, run.request, prompt_text=run.request.text)
        return rejected or Verdict(True, "early", None, f"first {len(seen)} chunks passed the streamable checks")

    def _streamed(self, step: TryTier, run: _Run, seen: list[Any], rest: Any, started: float,
                  *, ended: bool) -> Answered:
        """The attempt's outcome from its first chunks. ``ended``: the stream ended inside the early window, so the
        whole answer is here and nothing is sent yet; it gets every check, as in buffer mode."""
        run.streams[step.index] = (seen, rest)
        whole = _rebuilt(seen, run) if ended and self.validators else None
        if whole is not None:
            answered = self._answered(step, run, whole, started)
            if isinstance(answered, Answered):
                run.whole_streams.add(step.index)
                return answered
        verdict = self._prefix_verdict(seen, run)
        answer = Answer(text="".join(delta_text(c) for c in seen), request=run.request, partial=True)
        cost = 0.0 if verdict.accepted else _stream_cost(seen, run, self.config.tiers[step.index])
        return Answered(answer, cost, (time.perf_counter() - started) * 1000, verdict=verdict)

    def stream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Decision, Iterator[Any] | Any]:
        """Open the stream of the first tier that answers and passes the early checks.

        Returns the decision and either an iterator of LiteLLM chunks or, in buffer mode, a whole response.
        """
        if self.buffers_streams:
            response, decision = self.complete(messages, params, metadata)
            return decision, response
        run, flow = self._start(messages, params, metadata)
        wanted = self.cascade.early_tokens if self.validators else 1
        # A rejected tier's stream is closed (it must stop generating, and billing) once the climb goes on; the
        # one the flow ends on is relayed whole, even when rejected (the top tier's, or below a tier that is down).
        rejected: list[Iterator[Any]] = []

        def call(step: TryTier) -> Answered | ProviderFailed:
            kwargs = self._kwargs(step, run, stream=True)
            started = time.perf_counter()
            try:
                chunks = iter(self.router.completion(**kwargs, stream=True))
                seen = [c for _, c in zip(range(wanted), chunks, strict=False)]
            except Exception as exc:  # the rejected tier below stays open: the flow may end on it
                return self._failed(step, run, exc, started)
            while rejected:  # this tier answers, so the one below will not be relayed
                _close(rejected.pop())
            answered = self._streamed(step, run, seen, chunks, started, ended=len(seen) < wanted)
            if answered.verdict is not None and not answered.verdict.accepted:
                rejected.append(chunks)
            return answered

        try:
            index = self._finish(run, drive(flow, call, self._check), streaming=True)
        except BaseException:
            for stream in rejected:
                _close(stream)
            raise
        seen, rest = run.streams[index]
        for stream in rejected:
            if stream is not rest:
                _close(stream)
        return run.decision, self._relay(seen, rest, run, index)

    def _relay(self, seen: list[Any], rest: Iterator[Any], run: _Run, index: int) -> Iterator[Any]:
        try:
            yield from list(seen)
            for chunk in rest:
                seen.append(chunk)
                yield chunk
        finally:  # also when the client goes away mid-stream: close upstream, count what was streamed
            _close(rest)
            self._finish_stream(seen, run, index)

    async def astream(
        self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any], metadata: Mapping[str, Any] | None
    ) -> tuple[Decision, AsyncIterator[Any] | Any]:
        if self.buffers_streams:
            response, decision = await self.acomplete(messages, params, metadata)
            return decision, response
        run, flow = self._start(messages, params, metadata)
        wanted = self.cascade.early_tokens if self.validators else 1
        rejected: list[AsyncIterator[Any]] = []  # as in ``stream``: closed once the climb goes on

        async def call(step: TryTier) -> Answered | ProviderFailed:
            kwargs = self._kwargs(step, run, stream=True)
            started = time.perf_counter()
            try:
                chunks = (await self.router.acompletion(**kwargs, stream=True)).__aiter__()
                seen: list[Any] = []
                async for chunk in chunks:
                    seen.append(chunk)
                    if len(seen) >= wanted:
                        break
            except Exception as exc:
                return self._failed(step, run, exc, started)
            while rejected:
                await _aclose(rejected.pop())
            answered = self._streamed(step, run, seen, chunks, started, ended=len(seen) < wanted)
            if answered.verdict is not None and not answered.verdict.accepted:
                rejected.append(chunks)
            return answered

        try:
            index = self._finish(run, await adrive(flow, call, self._acheck), streaming=True)
        except BaseException:
            for stream in rejected:
                await _aclose(stream)
            raise
        seen, rest = run.streams[index]
        for stream in rejected:
            if stream is not rest:
                await _aclose(stream)
        return run.decision, self._arelay(seen, rest, run, index)

    async def _arelay(self, seen: list[Any], rest: AsyncIterator[Any], run: _Run, index: int) -> AsyncIterator[Any]:
        try:
            for chunk in list(seen):
                yield chunk
            async for chunk in rest:
                seen.append(chunk)
                yield chunk
        finally:
            await _aclose(rest)
            self._finish_stream(seen, run, index)

    def _finish_stream(self, seen: list[Any], run: _Run, index: int) -> None:
        """Price the streamed attempt from its chunks, count the decision, remember the conversation's tier."""
        decision = run.decision
        # the relayed tier's own attempt: the last one need not be (a tier above it may have failed after it)
        tier = self.config.tiers[index]
        at = next((i for i in range(len(decision.attempts) - 1, -1, -1)
                   if decision.attempts[i].tier == tier.name and decision.attempts[i].error is None), -1)
        decision.attempts[at] = dataclasses.replace(decision.attempts[at], cost_usd=_stream_cost(seen, run, tier))
        self.observe(decision)
        self.remember(run.messages, stream_answers(seen), decision)


def _judged(response: Any) -> str:
    """A judge's reply text; its cost is added to the current request's check spend."""
    spend = _CHECK_SPEND.get()
    if spend is not None:
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is None:
            with contextlib.suppress(Exception):
                cost = litellm.completion_cost(completion_response=response)
        spend.append(float(cost or 0.0))
    return str(response.choices[0].message.content or "")


def _close(stream: Any) -> None:
    """Stop an upstream stream we will not read further (LiteLLM's wrapper, or the raw iterator under it)."""
    for target in (stream, getattr(stream, "completion_stream", None)):
        close = getattr(target, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):  # closing is best effort; the answer is already decided
                close()
            return


async def _aclose(stream: Any) -> None:
    close = getattr(stream, "aclose", None)
    if callable(close):
        with contextlib.suppress(Exception):
            await close()
    else:
        _close(stream)


def _deltas(chunk: Any) -> Iterator[tuple[int, Any]]:
    """(choice index, delta) of each choice a stream chunk carries (with ``n > 1``, any of them, or several)."""
    for choice in getattr(chunk, "choices", None) or ():
        yield getattr(choice, "index", 0) or 0, getattr(choice, "delta", None)


def _call_ids(delta: Any) -> list[str]:
    """Ids of the tool calls a delta opens (each call's id comes in its first delta)."""
    calls = getattr(delta, "tool_calls", None) or ()
    return [call.id for call in calls if isinstance(getattr(call, "id", None), str)]


def delta_text(chunk: Any) -> str:
    """The answer text a stream chunk adds to choice 0: what a cascade checks."""
    return "".join(getattr(delta, "content", None) or "" for k, delta in _deltas(chunk) if k == 0)


def stream_answers(chunks: Iterable[Any]) -> list[tuple[str, list[str]]]:
    """(text, tool-call ids) of every choice a stream delivered, in choice order (one empty answer for none)."""
    texts: dict[int, list[str]] = {}
    ids: dict[int, list[str]] = {}
    for chunk in chunks:
        for k, delta in _deltas(chunk):
            texts.setdefault(k, []).append(getattr(delta, "content", None) or "")
            ids.setdefault(k, []).extend(_call_ids(delta))
    return [("".join(texts[k]), ids[k]) for k in sorted(texts)] or [("", [])]


def response_answers(response: Any) -> list[tuple[str, list[str]]]:
    """(text, tool-call ids) of every choice of a whole response."""
    return [(getattr(c.message, "content", None) or "", answer_tool_call_ids(c.message))
            for c in getattr(response, "choices", None) or ()]


def answer_tool_call_ids(message: Any) -> list[str]:
    """Ids of the tool calls in a response message (LiteLLM's Message object or a dict)."""
    if isinstance(message, Mapping):
        return tool_call_ids(message)
    return tool_call_ids({"tool_calls": getattr(message, "tool_calls", None)})


def _rebuilt(seen: list[Any], run: _Run) -> Any:
    """The response a stream's chunks add up to (LiteLLM's own builder), or None where they cannot be rebuilt."""
    try:
        return litellm.stream_chunk_builder(seen, messages=run.messages) if seen else None
    except Exception:  # e.g. chunks of a shape the builder does not know: the caller falls back
        return None


def _stream_cost(seen: list[Any], run: _Run, tier: TierConfig) -> float:
    rebuilt = _rebuilt(seen, run)  # an unpriceable stream costs what we cannot know: record 0 rather than fail
    return response_cost(rebuilt, tier) if rebuilt is not None else 0.0
