"""Checks that hang past their time limit do not take the capacity other checks (of any router) run on."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from litellm_router_ext.cascade import avalidate, build_validators, validate
from litellm_router_ext.cascade.base import Answer
from litellm_router_ext.cascade.blocking import CHECK_THREADS, MAX_PER_CHECK, CheckThreads
from litellm_router_ext.cascade.combine import arun_check, run_check
from litellm_router_ext.types import Verdict
from tests.cascade.hanging_checks import RELEASE

from .conftest import answer, cascade

HUNG = 30
"""More hung checks than a pool they could share held threads: 8, or the event loop's default executor (cpus + 4)."""


class Blocking:
    """A check that may block (as a custom check or a judge does); ``hangs`` until the test releases it."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False
    may_block: ClassVar[bool] = True

    def __init__(self, name: str, hangs: bool) -> None:
        self.name, self.hangs = name, hangs

    def check(self, answer: Answer) -> Verdict:
        if self.hangs:
            RELEASE.wait(30)
        return Verdict(True, self.name, 1.0, "checked")


def drained() -> bool:
    """Whether every abandoned thread has returned (they are released at the end of each test)."""
    deadline = time.monotonic() + 5
    while CHECK_THREADS.stuck() and time.monotonic() < deadline:
        time.sleep(0.01)
    return CHECK_THREADS.stuck() == 0


@pytest.fixture(autouse=True)
def release() -> Iterator[None]:
    assert drained()
    RELEASE.clear()
    yield
    RELEASE.set()  # the abandoned threads return, and are no longer counted
    assert drained()


def test_sync_checks_still_run_after_many_hung_ones() -> None:
    hung = [run_check(Blocking("hung", True), answer("x"), timeout_s=0.02) for _ in range(HUNG)]
    assert all(not v.accepted and "timed out" in v.reason for v in hung)
    fine = run_check(Blocking("fine", False), answer("x"), timeout_s=5.0)
    assert fine.accepted and fine.reason == "checked"


async def test_async_checks_still_run_after_many_hung_ones() -> None:
    hung = await asyncio.gather(*(arun_check(Blocking("hung", True), answer("x"), 0.05) for _ in range(HUNG)))
    assert all(not v.accepted and "timed out" in v.reason for v in hung)
    fine = await arun_check(Blocking("fine", False), answer("x"), 5.0)
    assert fine.accepted and fine.reason == "checked"


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_custom_checks_of_another_router_still_run_after_many_hung_ones(use_async: bool) -> None:
    hanging = cascade({"name": "custom", "path": "tests.cascade.hanging_checks:hang_until_released"},
                      validator_timeout_s=0.05)
    other = cascade({"name": "custom", "path": "tests.cascade.hanging_checks:passes"}, validator_timeout_s=5.0)
    hanging_checks, other_checks = build_validators(hanging), build_validators(other)

    async def go() -> Verdict:
        await asyncio.gather(*(avalidate(answer("x"), hanging_checks, hanging) for _ in range(HUNG)))
        return await avalidate(answer("x"), other_checks, other)

    if use_async:
        verdict = asyncio.run(go())
    else:
        for _ in range(HUNG):
            assert not validate(answer("x"), hanging_checks, hanging).accepted
        verdict = validate(answer("x"), other_checks, other)
    assert verdict.accepted, verdict.reason


def test_a_check_that_keeps_hanging_is_capped_without_stopping_the_others() -> None:
    hanging, other = Blocking("hung", True), Blocking("fine", False)
    for _ in range(MAX_PER_CHECK):
        assert "timed out" in run_check(hanging, answer("x"), timeout_s=0.01).reason
    assert CHECK_THREADS.stuck(hanging) == CHECK_THREADS.stuck() == MAX_PER_CHECK
    started = time.monotonic()
    refused = run_check(hanging, answer("x"), timeout_s=5.0)  # no thread more for it, and no wait
    assert not refused.accepted
    cap = MAX_PER_CHECK
    assert refused.reason == f"not started: {cap} runs of this check have not returned ({cap} past their time limit)"
    assert time.monotonic() - started < 1.0
    assert run_check(other, answer("x"), timeout_s=5.0).accepted
    RELEASE.set()
    assert drained() and run_check(hanging, answer("x"), timeout_s=5.0).accepted


def test_a_burst_of_one_hanging_check_starts_at_most_the_cap_of_threads() -> None:
    # The cap was read before a check started and counted only threads already abandoned: a burst of concurrent
    # requests all passed it before any timed out, and 96 requests left 96 stuck threads against a cap of 32.
    hanging = Blocking("hung", True)

    async def burst() -> list[Verdict]:
        return await asyncio.gather(*(arun_check(hanging, answer("x"), 0.05) for _ in range(MAX_PER_CHECK + 20)))

    verdicts = asyncio.run(burst())
    assert CHECK_THREADS.stuck(hanging) == CHECK_THREADS.running(hanging) == MAX_PER_CHECK
    assert sum("timed out" in v.reason for v in verdicts) == MAX_PER_CHECK
    assert sum(v.reason.startswith("not started") for v in verdicts) == 20 and not any(v.accepted for v in verdicts)
    RELEASE.set()
    assert drained() and CHECK_THREADS.running(hanging) == 0


def test_a_thread_that_never_starts_gives_its_place_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # The place was taken before Thread.start(); when that raised ("can't start new thread", likeliest when many
    # checks hang) it was never given back, and after MAX_PER_CHECK of them the check was refused for good.
    threads, owner = CheckThreads(max_per_check=2), object()

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            threads.start(owner, lambda: True)
    monkeypatch.undo()
    assert threads.running(owner) == 0
    assert threads.start(owner, lambda: True).result(timeout=5) is True
