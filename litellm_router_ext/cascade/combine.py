"""Run validators safely and fold their verdicts into one.

A validator that raises, or (async) overruns its time limit, is a failed check whose reason names the
exception class; it is logged by validator name and class only, never with answer or prompt text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Literal

from ..types import Verdict
from .base import Answer, AsyncValidator, Validator

log = logging.getLogger("litellm_router_ext.cascade")
Combine = Literal["all", "any", "weighted"]
COMBINED = "cascade"
"""``Verdict.validator`` of a combined verdict."""


def run_check(validator: Validator, answer: Answer) -> Verdict:
    """``validator.check(answer)``, with any exception turned into a failed verdict."""
    try:
        return _as_verdict(validator.check(answer), validator)
    except Exception as exc:
        return _raised(validator, exc)


async def arun_check(validator: Validator, answer: Answer, timeout_s: float) -> Verdict:
    """Awaits ``acheck`` under ``timeout_s`` when the validator has one, else runs ``check`` inline."""
    if not isinstance(validator, AsyncValidator):
        return run_check(validator, answer)
    try:
        return _as_verdict(await asyncio.wait_for(validator.acheck(answer), timeout_s), validator)
    except TimeoutError:
        log.warning("validator %s timed out after %.1fs", _name(validator), timeout_s)
        return Verdict(False, _name(validator), 0.0, f"timed out after {timeout_s:g}s (TimeoutError)")
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
    verdict without a score counts 1.0 when accepted, 0.0 when not. A rejection's reason names each
    failing validator with its score and reason.
    """
    if not verdicts:
        return Verdict(True, COMBINED, None, "no validators")
    scores = [_score(v) for v in verdicts]
    failed = [v for v in verdicts if not v.accepted]
    if mode == "all":
        accepted, score = not failed, min(scores)
    elif mode == "any":
        accepted, score = len(failed) < len(verdicts), max(scores)
    else:
        w = list(weights) if weights is not None else [1.0] * len(verdicts)
        if len(w) != len(verdicts):
            raise ValueError(f"{len(w)} weights for {len(verdicts)} verdicts")
        score = sum(wi * si for wi, si in zip(w, scores, strict=True)) / sum(w)
        accepted = score >= threshold
    if accepted:
        passed = ", ".join(v.validator for v in verdicts if v.accepted)
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
    if not isinstance(result, Verdict):
        raise TypeError(f"check() returned {type(result).__name__}, not a Verdict")
    return result


def _raised(validator: Validator, exc: Exception) -> Verdict:
    log.warning("validator %s raised %s; counted as a failed check", _name(validator), type(exc).__name__)
    return Verdict(False, _name(validator), 0.0, f"validator raised {type(exc).__name__}")
