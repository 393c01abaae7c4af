"""Self-consistency: sample the tier several times and accept when the answers agree.

Each answer is reduced to a final answer (a number, a choice letter, or its normalised last line);
the score is the share of all answers that agree with the one being returned.
"""

from __future__ import annotations

import re
from functools import cache
from typing import ClassVar, Literal

from pydantic import Field

from ...types import Verdict
from ..base import Answer
from ._params import Params

Extract = Literal["auto", "number", "choice", "last_line"]
_NUM = r"-?\$?\d[\d,]*(?:\.\d+)?"
_MARKED_NUM = re.compile(rf"(?:####|answer is|answer:|=)\s*\**\s*({_NUM})", re.IGNORECASE)
_ANY_NUM = re.compile(_NUM)
_CHOICE = re.compile(r"(?:answer is|answer:)\s*\**\s*\(?([A-J])\)?(?![A-Za-z])|^\(?([A-J])\)?[.)]?\s*$", re.M)


def _number(text: str) -> str | None:
    found = _MARKED_NUM.findall(text) or _ANY_NUM.findall(text)
    if not found:
        return None
    value = found[-1].replace(",", "").replace("$", "")
    try:
        f = float(value)
    except ValueError:
        return None
    return str(int(f)) if f == int(f) else repr(f)


def _choice(text: str) -> str | None:
    found = _CHOICE.findall(text)
    if not found:
        return None
    a, b = found[-1]
    letter: str = a or b
    return letter.upper()


def _last_line(text: str) -> str | None:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    return re.sub(r"\s+", " ", lines[-1]).strip(" .!*").lower() or None


def final_answer(text: str, how: Extract = "auto") -> str | None:
    """The comparable final answer of ``text``, or ``None`` when there is none."""
    if how == "number":
        return _number(text)
    if how == "choice":
        return _choice(text)
    if how == "last_line":
        return _last_line(text)
    return _choice(text) or _number(text) or _last_line(text)


class AgreementParams(Params):
    n: int = Field(default=5, ge=2, le=20, description="Answers wanted in total (this one plus n-1 samples)")
    threshold: float = Field(default=0.6, gt=0, le=1, description="Accept when this share agrees with the answer")
    extract: Extract = Field(default="auto", description="How a final answer is read from each text")
    on_missing: Literal["skip", "fail"] = Field(default="skip", description="When no samples came back")


class AgreementValidator:
    """Accepts when at least ``threshold`` of the answers share the returned answer's final answer."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 5
    can_stream: ClassVar[bool] = False

    def __init__(self, params: AgreementParams, *, name: str = "agreement") -> None:
        self.params = params
        self.name = name

    @staticmethod
    @cache
    def for_samples(n: int) -> type[AgreementValidator]:
        """The class whose ``needs_samples`` is ``n`` (capabilities stay class attributes)."""
        if n == AgreementValidator.needs_samples:
            return AgreementValidator
        return type(f"AgreementValidator{n}", (AgreementValidator,), {"needs_samples": n})

    def check(self, answer: Answer) -> Verdict:
        if not answer.samples:
            if self.params.on_missing == "skip":
                return Verdict(True, self.name, None, "no samples, skipped", skipped=True)
            return Verdict(False, self.name, 0.0, "no samples to compare")
        mine = final_answer(answer.text, self.params.extract)
        if mine is None:
            return Verdict(False, self.name, 0.0, "no final answer found")
        others = [final_answer(s, self.params.extract) for s in answer.samples]
        share = (1 + sum(o == mine for o in others)) / (1 + len(others))
        ok = share >= self.params.threshold
        return Verdict(ok, self.name, share, f"{share:.0%} of {1 + len(others)} answers agree")
