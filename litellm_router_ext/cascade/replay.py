"""Replay a cascade on recorded answers for the evaluation harness: same flow and validators, no calls."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import CascadeConfig, TierConfig
from ..types import RequestView
from . import flow as _flow
from .base import Answer, Validator, tool_calls_of_text


def replay_cascade(
    request: RequestView,
    responses: Sequence[str | None],
    *,
    tiers: Sequence[TierConfig | str],
    validators: Sequence[Validator],
    cascade: CascadeConfig,
    costs: Sequence[float | None] | None = None,
    start: int = 0,
    estimates: _flow.Estimate | None = None,
    samples: Sequence[Sequence[str]] | None = None,
    prompt_text: str | None = None,
) -> _flow.Finished:
    """Run the cascade for one request on recorded per-tier responses.

    ``responses[k]`` is tier k's recorded answer text, ``None`` when missing: a missing answer plays as a
    provider failure (the flow moves up). ``costs[k]`` is what that answer cost (``None``: unknown, counted
    0). The budget check uses ``estimates`` when given, else the recorded costs (an exact estimate).
    ``samples[k]`` are extra recorded answers for agreement checks. For a request with tools, a response
    written as tool calls (``tool_calls_text``) replays as an answer that made those calls.
    """
    from . import validate  # the package module imports this one

    if len(responses) != len(tiers):
        raise ValueError(f"{len(responses)} responses for {len(tiers)} tiers; pass None for a missing one")
    recorded = list(costs) if costs is not None else [None] * len(tiers)
    flow = _flow.CascadeFlow(tiers, cascade, start=start, estimate=estimates if estimates is not None else recorded)
    prompt = request.text if prompt_text is None else prompt_text

    def call(step: _flow.TryTier) -> _flow.Outcome:
        text = responses[step.index]
        cost = recorded[step.index] or 0.0
        if text is None:
            return _flow.ProviderFailed("NoRecordedResponse", cost_usd=0.0)
        extra = tuple(samples[step.index]) if samples is not None and step.index < len(samples) else ()
        calls = tool_calls_of_text(text) if request.needs_tools else ()
        answer = Answer(text="" if calls else text, request=request, tool_calls=calls, samples=extra,
                        prompt_text=prompt)
        return _flow.Answered(answer, cost_usd=cost)

    return _flow.drive(flow, call, lambda answer: validate(answer, validators, cascade))
