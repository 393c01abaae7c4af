"""Run validators safely and fold their verdicts into one.

A validator that raises, or (async) overruns its time limit, is a failed check whose reason names the
exception class; it is logged by validator name and class only, never with answer or prompt text.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Literal

from ..types import Verdict
from .base import Answer, AsyncValidator, Validator
from .blocking import CHECK_THREADS, ChecksBusy

log = logging.getLogger("litellm_router_ext.cascade")
Combine = Literal["all", "any", "weighted"]
COMBINED = "cascade"
"""``Verdict.validator`` of a combined verdict."""


def _may_block(validator: Validator) -> bool:
    return bool(getattr(validator, "may_block", False))


def _timed_out(validator: Validator, timeout_s: float) -> Verdict:
    # Validators that may block (user code, model calls) run on threads of their own (``blocking``): one that
    # overran cannot be killed, so it is left running, and how many are is worth seeing beside the time-out.
    log.warning("validator %s timed out after %gs; counted as a failed check (%d check threads still running "
                "past their time limit)", _name(validator), timeout_s, CHECK_THREADS.stuck())
    return Verdict(False, _name(validator), 0.0, f"timed out after {timeout_s:g}s (TimeoutError)")


def _not_started(validator: Validator, busy: ChecksBusy) -> Verdict:
    log.warning("validator %s %s; counted as a failed check", _name(validator), busy)
    return Verdict(False, _name(validator), 0.0, str(busy))


def run_check(validator: Validator, answer: Answer, timeout_s: float | None = None) -> Verdict:
    """``validator.check(answer)``, with any exception (or, for blocking validators, a time-out) a failed verdict."""
    try:
        if timeout_s is not None and _may_block(validator):
            future = CHECK_THREADS.start(validator, validator.check, answer)
            try:
                return _as_verdict(future.result(timeout=timeout_s), validator)
            except FutureTimeout:
                CHECK_THREADS.abandon(future)
                raise
        return _as_verdict(validator.check(answer), validator)
    except FutureTimeout:
        return _timed_out(validator, timeout_s or 0.0)
    except ChecksBusy as busy:
        return _not_started(validator, busy)
    except Exception as exc:
        return _raised(validator, exc)


async def arun_check(validator: Validator, answer: Answer, timeout_s: float) -> Verdict:
    """Awaits ``acheck`` (or a blocking ``check`` on a thread) under ``timeout_s``; fast checks run inline."""
    if not isinstance(validator, AsyncValidator) and not _may_block(validator):
        return run_check(validator, answer)
    try:
        pending = (
            validator.acheck(answer)
            if isinstance(validator, AsyncValidator)
            else CHECK_THREADS.run(validator, validator.check, answer)
        )
        return _as_verdict(await asyncio.wait_for(pending, timeout_s), validator)
    except TimeoutError:
        return _timed_out(validator, timeout_s)
    except ChecksBusy as busy:
        return _not_started(validator, busy)
    except Exception as exc:
        return _raised(validator, exc)


def combine_verdicts(
    verdicts: Sequence[Verdict],
    *,
    mode: Combine = "all",
    threshold: float = 0.5,
    weights: Sequence[float] | None = None,
) -> Verdict:
    """One verdict from many: ``all`` must accept, ``any`` one may, or ``weighted`` mean score >= threshold.

    The combined score is the lowest score (all), the highest (any) or the weighted mean (weighted); a
    verdict without a score counts 1.0 when accepted, 0.0 when not. A skipped check (it could not judge the
    answer) is left out: it is no vote for ``any`` and no 1.0 in the weighted mean. A rejection's reason names each
    failing validator with its score and reason.
    """
    if not verdicts:
        return Verdict(True, COMBINED, None, "no validators")
    w = list(weights) if weights is not None and mode == "weighted" else [1.0] * len(verdicts)
    if len(w) != len(verdicts):  # weights are read by `weighted` only
        raise ValueError(f"{len(w)} weights for {len(verdicts)} verdicts")
    # a skip is an acceptance that judged nothing; a rejection always counts, whatever it is marked
    judged = [(v, wi) for v, wi in zip(verdicts, w, strict=True) if not (v.skipped and v.accepted)]
    if not judged:  # no check could judge this answer: nothing says it is wrong
        return Verdict(True, COMBINED, None, "every check skipped", skipped=True)
    scores = [_score(v) for v, _ in judged]
    failed = [v for v in verdicts if not v.accepted]
    if mode == "all":
        accepted, score = not failed, min(scores)
    elif mode == "any":  # a skipped check is no vote for the answer
        accepted, score = len(failed) < len(judged), max(scores)
    else:
        score = sum(wi * si for (_, wi), si in zip(judged, scores, strict=True)) / sum(wi for _, wi in judged)
        accepted = score >= threshold
    if accepted:
        passed = ", ".join(v.validator for v in verdicts if v.accepted and not v.skipped)
        return Verdict(
            True,
            COMBINED,
            score,
            f"accepted by {passed}" + (f" (score {score:.2f})" if mode == "weighted" else ""),
        )
    detail = "; ".join(f"{v.validator} failed (score {_score(v):.2f}): {v.reason}" for v in failed)
    if mode == "weighted":
        detail = f"weighted score {score:.2f} < {threshold:g}" + (f"; {detail}" if detail else "")
    # Name the validator(s) that failed, so an escalation says which check sent it up.
    return Verdict(False, "+".join(v.validator for v in failed) or COMBINED, score, detail)


def _score(v: Verdict) -> float:
    if v.score is None:
        return 1.0 if v.accepted else 0.0
    return v.score


def _name(validator: Validator) -> str:
    return getattr(validator, "name", type(validator).__name__)


def _as_verdict(result: object, validator: Validator) -> Verdict:
    """``result`` when it is a well-formed Verdict; ``TypeError`` (a failed check, inside the guard) otherwise, so a
    custom check's malformed verdict cannot break combining later, outside it, and lose the request."""
    if not isinstance(result, Verdict):
        raise TypeError(f"check() returned {type(result).__name__}, not a Verdict")
    score = result.score
    if (not isinstance(result.accepted, bool) or not isinstance(result.validator, str)
            or (score is not None and (isinstance(score, bool) or not isinstance(score, int | float)
                                       or not math.isfinite(score)))):
        raise TypeError(f"check() returned a malformed Verdict: accepted must be a bool, score a number or None "
                        f"(got {result.accepted!r}, {score!r})")
    return result


def _raised(validator: Validator, exc: Exception) -> Verdict:
    log.warning("validator %s raised %s; counted as a failed check", _name(validator), type(exc).__name__)
    return Verdict(False, _name(validator), 0.0, f"validator raised {type(exc).__name__}")
