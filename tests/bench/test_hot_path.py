"""The hot-path rewrites keep their results: ``Decision.to_dict`` equals the generic dataclass conversion."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from litellm_router_ext.types import Attempt, Decision, Verdict


def _reference(decision: Decision) -> dict[str, object]:
    out = asdict(decision)
    out["cost_usd"] = decision.cost_usd
    return out


@pytest.mark.parametrize(
    "attempts",
    [
        [],
        [Attempt("small", "gpt-4o-mini", 1e-6, 12.5, Verdict(True, "refusal", 1.0, "ok"))],
        [
            Attempt("small", "gpt-4o-mini", 2e-6, 3.0, Verdict(False, "format", None, "no final answer")),
            Attempt("medium", "gpt-4o", 0.0, 1.0, None, "APIConnectionError(500)"),
            Attempt("large", "o1", 3.5e-4, 900.0, Verdict(True, "cascade", 0.75, "accepted by logprob")),
        ],
    ],
)
def test_to_dict_matches_asdict(attempts: list[Attempt]) -> None:
    decision = Decision(
        router="r",
        tier="large" if attempts else "small",
        tier_index=2 if attempts else 0,
        model="o1",
        cause="threshold",
        difficulty=0.42,
        scores={"heuristic": 0.4, "learned": 0.44},
        decision_us=17.5,
        first_tier="small",
        attempts=attempts,
        escalations=max(0, len(attempts) - 1),
        verified=True if attempts else None,
    )
    fast = decision.to_dict()
    assert fast == _reference(decision)
    assert list(fast) == list(_reference(decision))  # same key order, so the same JSON text
    assert decision.to_json() == json.dumps(_reference(decision), separators=(",", ":"))


def test_to_dict_is_a_copy() -> None:
    decision = Decision("r", "small", 0, "m", "threshold", 0.1, {"heuristic": 0.1}, 1.0, "small")
    decision.attempts.append(Attempt("small", "m", 1e-6, 1.0, Verdict(True, "refusal")))
    record = decision.to_dict()
    record["scores"]["heuristic"] = 9.0
    record["attempts"].clear()
    assert decision.scores == {"heuristic": 0.1} and len(decision.attempts) == 1
