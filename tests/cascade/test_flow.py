from __future__ import annotations

from collections.abc import Sequence

import pytest

from litellm_router_ext.cascade import (
    Answered,
    CascadeFlow,
    CheckAnswer,
    Finished,
    ProviderFailed,
    TryTier,
    adrive,
    drive,
)
from litellm_router_ext.cascade.base import Answer
from litellm_router_ext.types import Verdict

from .conftest import answer, cascade

TIERS = ("small", "medium", "large")


def run(
    script: dict[str, str | None],
    *,
    accept: Sequence[str] = (),
    start: int = 0,
    estimate: Sequence[float | None] | None = None,
    costs: dict[str, float] | None = None,
    **kw: object,
) -> tuple[Finished, list[str]]:
    """Replies from ``script`` (tier -> text, None = provider failure); texts in ``accept`` pass."""
    tried: list[str] = []

    def call(step: TryTier) -> Answered | ProviderFailed:
        tried.append(step.tier)
        cost = (costs or {}).get(step.tier, 0.01)
        text = script[step.tier]
        if text is None:
            return ProviderFailed("RateLimitError 429", cost_usd=0.0)
        return Answered(answer(text), cost_usd=cost)

    def check(a: Answer) -> Verdict:
        return Verdict(a.text in accept, "fake", None, "scripted")

    flow = CascadeFlow(TIERS, cascade({"name": "refusal"}, **kw), start=start, estimate=estimate)
    return drive(flow, call, check), tried


def test_accept_at_bottom() -> None:
    done, tried = run({"small": "ok"}, accept=["ok"])
    assert (done.status, done.tier, done.verified, tried) == ("accepted", "small", True, ["small"])
    assert done.attempts[0].verdict is not None and done.attempts[0].verdict.accepted


def test_an_answer_no_check_could_judge_is_accepted_but_not_verified() -> None:
    # Every check skipped (schema without response_format): the answer stays, but nothing verified it.
    skipped = Verdict(True, "cascade", None, "every check skipped", skipped=True)
    flow = CascadeFlow(TIERS, cascade({"name": "schema"}))
    done = drive(flow, lambda step: Answered(answer("Paris")), lambda a: skipped)
    assert (done.status, done.tier, done.verified) == ("accepted", "small", None)


def test_escalate_once() -> None:
    done, tried = run({"small": "bad", "medium": "ok"}, accept=["ok"])
    assert tried == ["small", "medium"] and done.tier == "medium" and done.escalations == 1
    assert [a.verdict.accepted for a in done.attempts if a.verdict] == [False, True]
    assert done.cost_usd == pytest.approx(0.02)


def test_top_tier_answer_returned_unverified() -> None:
    done, _ = run({"small": "a", "medium": "b", "large": "c"})
    assert (done.status, done.reason, done.tier, done.verified) == ("unverified", "top_tier", "large", False)
    assert done.answer is not None and done.answer.text == "c" and len(done.attempts) == 3


def test_max_escalations_stops_the_climb() -> None:
    done, tried = run({"small": "a", "medium": "b", "large": "ok"}, accept=["ok"], max_escalations=1)
    assert tried == ["small", "medium"] and (done.reason, done.tier, done.verified) == (
        "max_escalations",
        "medium",
        False,
    )
    zero, tried0 = run({"small": "a"}, max_escalations=0)
    assert tried0 == ["small"] and zero.reason == "max_escalations"


def test_budget_stops_before_an_attempt_that_would_break_it() -> None:
    done, tried = run(
        {"small": "a", "medium": "b", "large": "ok"},
        accept=["ok"],
        budget_usd=0.05,
        estimate=[0.01, 0.02, 0.05],
        costs={"small": 0.01, "medium": 0.02},
    )
    assert tried == ["small", "medium"]
    assert (done.reason, done.tier, done.verified) == ("budget", "medium", False)
    assert done.cost_usd <= 0.05
    assert done.escalations == 1  # small -> medium happened; medium -> large was only wanted


def test_a_climb_the_budget_stops_is_no_escalation() -> None:
    # small's answer is rejected and medium would break the budget: nothing was re-asked, so nothing escalated.
    done, tried = run({"small": "a", "medium": "ok"}, accept=["ok"], budget_usd=0.015, estimate=[0.01, 0.02, 0.05])
    assert tried == ["small"] and (done.status, done.reason, done.tier) == ("unverified", "budget", "small")
    assert done.escalations == 0
    # the same stop after a re-ask that reached a tier that is down: that re-ask did happen, and is counted
    down, tried2 = run({"small": "a", "medium": None, "large": "ok"}, accept=["ok"], budget_usd=0.015,
                       estimate=[0.01, 0.0, 0.05], costs={"small": 0.01, "medium": 0.0})
    assert tried2 == ["small", "medium"] and (down.reason, down.tier, down.escalations) == ("budget", "small", 1)


def test_spend_outside_the_attempts_counts_against_the_budget() -> None:
    # Each check costs 0.02 (a judge call): small 0.01 + its check 0.02 + medium's estimate 0.02 > 0.04.
    checks: list[float] = []
    tried: list[tuple[str, float]] = []

    def call(step: TryTier) -> Answered:
        tried.append((step.tier, step.spent_usd))
        return Answered(answer("bad"), cost_usd=0.01)

    def check(a: Answer) -> Verdict:
        checks.append(0.02)
        return Verdict(False, "judge", None, "scripted")

    def flow(other: bool) -> CascadeFlow:
        return CascadeFlow(TIERS, cascade({"name": "refusal"}, budget_usd=0.04), estimate=[0.01, 0.02, 0.05],
                           other_spend=(lambda: sum(checks)) if other else None)

    done = drive(flow(True), call, check)
    assert [t for t, _ in tried] == ["small"] and done.reason == "budget"
    assert done.cost_usd + sum(checks) <= 0.04
    tried.clear()
    checks.clear()
    drive(flow(False), call, check)  # blind to the checks' spend, the flow would have climbed
    assert [t for t, _ in tried] == ["small", "medium"] and tried[1][1] == pytest.approx(0.01)


def test_budget_unknown_estimate_is_conservative() -> None:
    done, tried = run({"small": "a", "medium": "ok"}, accept=["ok"], budget_usd=1.0, estimate=None)
    assert tried == ["small"] and done.reason == "budget"  # first attempt made, no blind escalation
    nothing, tried2 = run({"small": "a"}, budget_usd=0.001, estimate=[0.01, 0.02, 0.05])
    assert tried2 == [] and nothing.status == "failed" and nothing.verified is None


def test_provider_failure_moves_up_without_counting_an_escalation() -> None:
    done, tried = run({"small": None, "medium": "ok"}, accept=["ok"], max_escalations=0)
    assert tried == ["small", "medium"] and done.status == "accepted" and done.escalations == 0
    assert done.attempts[0].error == "RateLimitError 429" and done.attempts[0].verdict is None


def test_top_failure_returns_the_best_lower_answer() -> None:
    done, _ = run({"small": "a", "medium": None, "large": None})
    assert (done.status, done.reason, done.tier) == ("unverified", "provider_failed", "small")


def test_every_tier_failed() -> None:
    done, tried = run({"small": None, "medium": None, "large": None})
    assert tried == list(TIERS) and (done.status, done.reason, done.answer) == ("failed", "all_failed", None)


def test_start_and_eligible_tiers() -> None:
    flow = CascadeFlow(TIERS, cascade({"name": "refusal"}), start=0, eligible={0, 2})
    step = flow.start()
    assert isinstance(step, TryTier) and step.tier == "small"
    step = flow.send(Answered(answer("bad"), verdict=Verdict(False, "early", 0.0, "prefix")))
    assert isinstance(step, TryTier) and step.tier == "large"  # medium is not eligible; verdict given skips checking
    step = flow.send(Answered(answer("ok")))
    assert isinstance(step, CheckAnswer)
    done = flow.send(Verdict(True, "fake"))
    assert isinstance(done, Finished) and done.tier == "large"
    with pytest.raises(RuntimeError):
        flow.send(Verdict(True, "x"))


def test_wrong_reply_type_is_a_programming_error() -> None:
    flow = CascadeFlow(TIERS, cascade({"name": "refusal"}))
    flow.start()
    with pytest.raises(TypeError):
        flow.send(Verdict(True, "x"))
    with pytest.raises(ValueError):
        CascadeFlow(TIERS, cascade({"name": "refusal"}), start=3)


async def test_async_driver() -> None:
    async def call(step: TryTier) -> Answered:
        return Answered(answer(step.tier), cost_usd=0.5, model=f"m-{step.tier}")

    async def check(a: Answer) -> Verdict:
        return Verdict(a.text == "medium", "fake")

    done = await adrive(CascadeFlow(TIERS, cascade({"name": "refusal"})), call, check)
    assert done.tier == "medium" and [a.model for a in done.attempts] == ["m-small", "m-medium"]
