"""Cascade replay: start at the router's tier, check the recorded answer, escalate on rejection.

Uses the production cascade (``cascade.replay_cascade``: the same flow and validators) on recorded
responses, so no model is called. A tier with no recorded response plays as a provider failure (the flow
moves up). An answer counts as *correct* when its recorded score is >= 0.5.

Diagnostics:
- ``escalation_rate``: share of items with at least one escalation;
- ``auroc``: how well the combined verdict score (1/0 when a verdict has no score) ranks correct answers
  above wrong ones, over every checked answer below the top tier;
- ``false_accept_rate``: wrong answers accepted / wrong answers checked (the key risk), and
  ``accepted_wrong_share``: wrong answers among those accepted;
- ``wasted_usd``: spend on attempts that were rejected and escalated away from, and its share of the total.

``trace`` holds one entry per item: the tier it was routed to, each attempt (its verdict and reason, and
whether the recorded answer was correct) and where it ended. No prompt or answer text.

A cascade with an LLM ``judge`` is not replayed (``replay_error``): replay calls no model, and the recorded
outcomes hold answers, not a judge's ratings of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import RouterConfig
from ..errors import ConfigError
from ..plugins import importable_beside
from ..types import Attempt
from .metrics import auroc
from .outcomes import OutcomeTable

CORRECT = 0.5


@dataclass(frozen=True)
class CascadeReplay:
    """Per-item results of a replayed cascade and its diagnostics."""

    final_tier: np.ndarray
    quality: np.ndarray
    cost: np.ndarray
    diagnostics: dict[str, Any]
    trace: list[dict[str, Any]]


def has_responses(table: OutcomeTable) -> bool:
    """Whether any tier below the top has a recorded response to check."""
    return any(r is not None for j in range(len(table.tiers) - 1) for r in table.responses(j))


def replay_error(config: RouterConfig, file: str | None = None, router_key: str | None = None) -> ConfigError | None:
    """Why ``config``'s cascade cannot be replayed on recorded answers, or ``None`` when it can: an LLM ``judge``
    among its validators. ``file`` and ``router_key`` (``routers[0]``) say where the validator is written."""
    cascade = config.cascade
    judge = next((i for i, v in enumerate(cascade.validators) if v.name == "judge"), None) if cascade else None
    if judge is None:
        return None
    return ConfigError(
        "validator 'judge' (an LLM judge) cannot be replayed: replay calls no model, and the recorded outcomes hold "
        "answers, not a judge's ratings of them; measure the cascade live with `litellm-router eval --live --router "
        f"{file or 'PATH.yaml'}`, or replay a copy of the config without the judge",
        file=file, key=f"{router_key or config.alias}.cascade.validators[{judge}]")


def replay(table: OutcomeTable, config: RouterConfig, start: np.ndarray, *, source: str | None = None) -> CascadeReplay:
    """Run ``config.cascade`` on every item from its routed tier ``start[i]``; ``replay_error`` when it cannot.
    ``source``: the config file, beside which a custom check's module may sit."""
    from ..cascade import build_validators, replay_cascade

    assert config.cascade is not None
    error = replay_error(config)
    if error is not None:
        raise error
    with importable_beside(source):
        validators = build_validators(config.cascade, key=f"{config.alias}.cascade")
    responses = [table.responses(j) for j in range(len(table.tiers))]
    top = len(table.tiers) - 1
    n = table.n
    final = np.empty(n, dtype=int)
    spent = np.empty(n)
    escalated = np.zeros(n, dtype=bool)
    wasted = 0.0
    checked_scores: list[float] = []
    checked_correct: list[bool] = []
    accepted_wrong = accepted = 0
    trace: list[dict[str, Any]] = []
    for i, item in enumerate(table.items):
        finished = replay_cascade(
            item.request(), [r[i] for r in responses], tiers=config.tiers, validators=validators,
            cascade=config.cascade, costs=list(table.cost[i]), start=int(start[i]), prompt_text=item.prompt_text)
        index = finished.index if finished.index is not None else top
        final[i] = index
        spent[i] = finished.cost_usd
        escalated[i] = finished.escalations > 0
        attempts = []
        for attempt in finished.attempts:
            tier = config.tier_index(attempt.tier)
            attempts.append(_traced(attempt, table.quality[i, tier]))
            if attempt.verdict is None or tier == top:
                continue
            correct = bool(table.quality[i, tier] >= CORRECT)
            score = attempt.verdict.score
            checked_scores.append(float(score) if score is not None else float(attempt.verdict.accepted))
            checked_correct.append(correct)
            if attempt.verdict.accepted:
                accepted += 1
                accepted_wrong += not correct
            elif tier != index:
                wasted += attempt.cost_usd
        trace.append({"id": item.id, "routed": config.tiers[int(start[i])].name, "final": config.tiers[index].name,
                      "cost_usd": float(finished.cost_usd), "attempts": attempts})
    labels = np.array(checked_correct, dtype=bool)
    wrong = int((~labels).sum())
    quality = table.quality[np.arange(n), final]
    total = float(spent.sum())
    diagnostics = {
        "quality": float(quality.mean()), "cost_usd": total, "escalation_rate": float(escalated.mean()),
        "checked": len(labels), "auroc": auroc(np.array(checked_scores), labels),
        "false_accept_rate": accepted_wrong / wrong if wrong else None,
        "accepted_wrong_share": accepted_wrong / accepted if accepted else None,
        "wasted_usd": wasted, "wasted_share": wasted / total if total > 0 else None,
        "final_shares": (np.bincount(final, minlength=len(table.tiers)) / n).tolist(),
    }
    return CascadeReplay(final, quality, spent, diagnostics, trace)


def _traced(attempt: Attempt, recorded_quality: float) -> dict[str, Any]:
    """One attempt as the trace shows it: the verdict and whether the answer was right, or the failure."""
    out: dict[str, Any] = {"tier": attempt.tier}
    if attempt.error is None:  # an answer was recorded: was it right?
        out["correct"] = bool(recorded_quality >= CORRECT)
    if attempt.verdict is not None:
        out.update(accepted=attempt.verdict.accepted, validator=attempt.verdict.validator,
                   score=attempt.verdict.score, reason=attempt.verdict.reason)
    if attempt.error is not None:
        out["error"] = attempt.error
    return out
