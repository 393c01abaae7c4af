"""The cascade decision loop, as a pure state machine (in the spirit of httpx's ``auth_flow``).

The flow yields steps and the caller answers them::

    flow = CascadeFlow(router.tiers, router.cascade, start=first_tier)
    step = flow.start()
    while not isinstance(step, Finished):
        if isinstance(step, TryTier):      # call the tier; send Answered(...) or ProviderFailed(...)
            step = flow.send(call(step))
        else:                              # CheckAnswer: send the combined Verdict
            step = flow.send(validate(step.answer, validators, cascade))

``drive`` / ``adrive`` run that loop for sync and async callers. Rules:

* an accepted answer ends the cascade; a rejected one goes one eligible tier up;
* a tier that failed at the provider (every deployment) is skipped upward; it is failover, not an
  escalation, so it does not count against ``max_escalations``;
* the top eligible tier's answer is returned even when rejected, marked unverified; so is the best
  answer so far when ``max_escalations`` or the budget stops the climb;
* ``escalations`` counts re-asks that were made: a climb the budget stops before the next attempt is not one;
* ``budget_usd`` gates every attempt: before each, the caller's estimate of its cost is added to what
  was spent (the attempts so far plus ``other_spend()``, e.g. judge calls made while checking answers),
  and the attempt is skipped when the sum exceeds the budget. The check of an attempt's answer is not
  estimated in advance, so a judge call can take a request past the budget by that one call. When an
  attempt's estimate is unknown (``None``) the flow is conservative: it makes the first attempt of a request
  (nothing was spent and there is no cheaper way to answer) but never a further one;
* no answer at all (every tier failed, or the budget forbade the first attempt) ends ``failed``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Generator, Sequence
from dataclasses import dataclass
from typing import Literal

from ..config import CascadeConfig, TierConfig
from ..types import Attempt, StopReason, Verdict
from .base import Answer

Estimate = Sequence[float | None] | Callable[[int], float | None]


@dataclass(frozen=True, slots=True)
class TryTier:
    """Step: call tier ``index`` (ladder position) and send back ``Answered`` or ``ProviderFailed``."""

    index: int
    tier: str
    model: str
    escalations: int
    spent_usd: float
    """Spent on this request so far: earlier attempts plus ``other_spend()`` (judge calls)."""


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    """Step: validate ``answer`` (from tier ``index``) and send back the combined ``Verdict``."""

    index: int
    tier: str
    answer: Answer


@dataclass(frozen=True, slots=True)
class Answered:
    """Outcome: the tier answered. A ``verdict`` given here (an early-mode rejection) skips CheckAnswer."""

    answer: Answer
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    model: str | None = None
    verdict: Verdict | None = None


@dataclass(frozen=True, slots=True)
class ProviderFailed:
    """Outcome: every deployment of the tier failed (error class and status, no message text)."""

    error: str
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    model: str | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    """Final step: what to return and the record of every attempt."""

    status: Literal["accepted", "unverified", "failed"]
    reason: StopReason
    index: int | None
    """Ladder index of the returned answer's tier (``None`` when failed)."""
    tier: str | None
    answer: Answer | None
    verdict: Verdict | None
    attempts: tuple[Attempt, ...]
    escalations: int

    @property
    def verified(self) -> bool | None:
        """True accepted by a check, False returned unverified, None nothing returned or every check skipped (an
        answer no check could judge is kept, but not verified) (``Decision.verified``)."""
        if self.status == "failed" or (self.status == "accepted" and self.verdict is not None and self.verdict.skipped):
            return None
        return self.status == "accepted"

    @property
    def cost_usd(self) -> float:
        return sum(a.cost_usd for a in self.attempts)


Step = TryTier | CheckAnswer | Finished
Outcome = Answered | ProviderFailed


class CascadeFlow:
    """One request's cascade: ``start()`` then ``send(reply)`` until a ``Finished`` step comes back."""

    def __init__(
        self,
        tiers: Sequence[TierConfig | str],
        cascade: CascadeConfig,
        *,
        start: int = 0,
        eligible: Collection[int] | None = None,
        estimate: Estimate | None = None,
        other_spend: Callable[[], float] | None = None,
    ) -> None:
        if not 0 <= start < len(tiers):
            raise ValueError(f"start tier {start} is outside the ladder (0..{len(tiers) - 1})")
        self._names = [t if isinstance(t, str) else t.name for t in tiers]
        self._models = [t if isinstance(t, str) else t.model for t in tiers]
        self._cascade = cascade
        self._ladder = [i for i in range(start, len(tiers)) if eligible is None or i in eligible]
        self._estimate = estimate
        self._other_spend = other_spend
        self._gen = self._run()
        self._step: Step | None = None

    def start(self) -> Step:
        if self._step is not None:
            raise RuntimeError("CascadeFlow.start() was already called")
        return self._advance(None)

    def send(self, reply: Outcome | Verdict) -> Step:
        step = self._step
        if step is None or isinstance(step, Finished):
            raise RuntimeError("send() needs a started, unfinished flow")
        if isinstance(step, TryTier) and not isinstance(reply, Answered | ProviderFailed):
            raise TypeError(f"TryTier expects Answered or ProviderFailed, got {type(reply).__name__}")
        if isinstance(step, CheckAnswer) and not isinstance(reply, Verdict):
            raise TypeError(f"CheckAnswer expects a Verdict, got {type(reply).__name__}")
        return self._advance(reply)

    def _advance(self, reply: Outcome | Verdict | None) -> Step:
        try:
            self._step = self._gen.send(reply)
        except StopIteration as stop:
            self._step = stop.value
        assert self._step is not None
        return self._step

    def _cost_estimate(self, index: int) -> float | None:
        if self._estimate is None:
            return None
        if callable(self._estimate):
            return self._estimate(index)
        return self._estimate[index] if index < len(self._estimate) else None

    def _affordable(self, index: int, spent: float, first: bool) -> bool:
        budget = self._cascade.budget_usd
        if budget is None:
            return True
        estimate = self._cost_estimate(index)
        if estimate is None:
            return first
        return spent + estimate <= budget

    def _run(self) -> Generator[Step, Outcome | Verdict | None, Finished]:
        attempts: list[Attempt] = []
        best: tuple[int, Answer, Verdict] | None = None
        escalations, spent = 0, 0.0
        climbing = False  # the last answer was rejected: the next attempt, if made, is an escalation

        def finish(status: Literal["accepted", "unverified", "failed"], reason: StopReason) -> Finished:
            if status == "failed" or best is None:
                return Finished("failed", reason, None, None, None, None, tuple(attempts), escalations)
            k, answer, verdict = best
            return Finished(status, reason, k, self._names[k], answer, verdict, tuple(attempts), escalations)

        for pos, k in enumerate(self._ladder):
            so_far = spent + (self._other_spend() if self._other_spend else 0.0)
            if not self._affordable(k, so_far, first=not attempts):
                return finish("unverified", "budget") if best else finish("failed", "budget")
            if climbing:
                escalations, climbing = escalations + 1, False
            outcome = yield TryTier(k, self._names[k], self._models[k], escalations, so_far)
            assert isinstance(outcome, Answered | ProviderFailed)
            spent += outcome.cost_usd
            model = outcome.model or self._models[k]
            if isinstance(outcome, ProviderFailed):
                attempts.append(
                    Attempt(self._names[k], model, outcome.cost_usd, outcome.latency_ms, error=outcome.error)
                )
                continue
            verdict = outcome.verdict
            if verdict is None:
                reply = yield CheckAnswer(k, self._names[k], outcome.answer)
                assert isinstance(reply, Verdict)
                verdict = reply
            attempts.append(Attempt(self._names[k], model, outcome.cost_usd, outcome.latency_ms, verdict))
            best = (k, outcome.answer, verdict)
            if verdict.accepted:
                return finish("accepted", "accepted")
            if pos == len(self._ladder) - 1:
                return finish("unverified", "top_tier")
            if escalations >= self._cascade.max_escalations:
                return finish("unverified", "max_escalations")
            climbing = True
        # Only provider failures end the loop here: return the best rejected answer, if any.
        return finish("unverified", "provider_failed") if best else finish("failed", "all_failed")


def drive(flow: CascadeFlow, call: Callable[[TryTier], Outcome], check: Callable[[Answer], Verdict]) -> Finished:
    """Run ``flow`` to the end with a synchronous tier call and answer check."""
    step = flow.start()
    while not isinstance(step, Finished):
        step = flow.send(call(step) if isinstance(step, TryTier) else check(step.answer))
    return step


async def adrive(
    flow: CascadeFlow,
    call: Callable[[TryTier], Awaitable[Outcome]],
    check: Callable[[Answer], Awaitable[Verdict]],
) -> Finished:
    """Run ``flow`` to the end with an async tier call and answer check."""
    step = flow.start()
    while not isinstance(step, Finished):
        step = flow.send(await call(step) if isinstance(step, TryTier) else await check(step.answer))
    return step
