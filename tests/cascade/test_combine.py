from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

import pytest

from litellm_router_ext.cascade import avalidate, cascade_needs, reject_prefix, validate
from litellm_router_ext.cascade.base import Answer
from litellm_router_ext.cascade.combine import combine_verdicts
from litellm_router_ext.types import Verdict

from .conftest import answer, cascade, request


class Fixed:
    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(self, name: str, accepted: bool, score: float | None = None) -> None:
        self.name, self.accepted, self.score, self.calls = name, accepted, score, 0

    def check(self, answer: Answer) -> Verdict:
        self.calls += 1
        return Verdict(self.accepted, self.name, self.score, "fixed")


class Raises(Fixed):
    def check(self, answer: Answer) -> Verdict:
        raise KeyError(answer.text)  # the message carries answer text: it must not be logged


class Slow(Fixed):
    async def acheck(self, answer: Answer) -> Verdict:
        await asyncio.sleep(5)
        return Verdict(True, self.name)


def cfg(n: int, **kw: Any) -> Any:
    return cascade(*[{"name": "refusal", "weight": w} for w in kw.pop("weights", [1.0] * n)], **kw)


def test_all_mode_names_the_failing_validator() -> None:
    v = combine_verdicts([Verdict(True, "a", 1.0), Verdict(False, "b", 0.2, "too long")], mode="all")
    assert not v.accepted and v.score == 0.2
    assert "b failed (score 0.20): too long" in v.reason


def test_any_mode() -> None:
    assert combine_verdicts([Verdict(False, "a"), Verdict(True, "b")], mode="any").accepted
    assert not combine_verdicts([Verdict(False, "a"), Verdict(False, "b")], mode="any").accepted


def test_weighted_mode_against_threshold() -> None:
    verdicts = [Verdict(True, "a", 1.0), Verdict(False, "b", 0.0)]
    assert combine_verdicts(verdicts, mode="weighted", threshold=0.7, weights=[3, 1]).accepted
    low = combine_verdicts(verdicts, mode="weighted", threshold=0.7, weights=[1, 1])
    assert not low.accepted and "weighted score 0.50 < 0.7" in low.reason and "b failed" in low.reason


def test_validate_short_circuits_all_mode() -> None:
    a, b = Fixed("a", False), Fixed("b", True)
    assert not validate(answer("x"), [a, b], cfg(2)).accepted
    assert (a.calls, b.calls) == (1, 0)


def test_validate_weighted_runs_all_and_uses_config_weights() -> None:
    a, b = Fixed("a", False, 0.0), Fixed("b", True, 1.0)
    v = validate(answer("x"), [a, b], cfg(2, combine="weighted", threshold=0.6, weights=[1.0, 2.0]))
    assert v.accepted and v.score == pytest.approx(2 / 3) and (a.calls, b.calls) == (1, 1)


def test_raising_validator_is_a_failed_check_logged_without_text(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="litellm_router_ext.cascade"):
        v = validate(answer("SECRET PROMPT TEXT"), [Raises("boom", True)], cfg(1))
    assert not v.accepted and "KeyError" in v.reason
    assert "KeyError" in caplog.text and "SECRET" not in caplog.text


async def test_async_timeout_is_a_failed_check() -> None:
    v = await avalidate(answer("x"), [Fixed("a", True), Slow("slow", True)], cfg(2, validator_timeout_s=0.05))
    assert not v.accepted and "TimeoutError" in v.reason and "slow" in v.reason


async def test_avalidate_runs_sync_validators_and_raisers() -> None:
    assert (await avalidate(answer("x"), [Fixed("a", True)], cfg(1))).accepted
    assert not (await avalidate(answer("x"), [Raises("r", True)], cfg(1))).accepted


def test_validator_count_must_match_config() -> None:
    with pytest.raises(ValueError, match="build_validators"):
        validate(answer("x"), [Fixed("a", True)], cfg(2))


def test_needs_and_early_prefix() -> None:
    from litellm_router_ext.cascade import build_validators

    vs = build_validators(
        cascade({"name": "refusal"}, {"name": "format", "params": {"final_answer": "####"}}, {"name": "logprob"})
    )
    needs = cascade_needs(vs)
    assert needs.logprobs and needs.samples == 1
    # The format check would fail a prefix without '####', but it cannot judge prefixes, so it is not asked.
    assert reject_prefix(vs, "The answer", request()) is None
    rejected = reject_prefix(vs, "I'm sorry, but I cannot", request())
    assert rejected is not None and rejected.validator == "refusal"
    assert reject_prefix(vs, "", request()) is None  # an empty prefix is not an empty answer
