"""Refusal and hedging detector: escalate answers that decline, disclaim, or say nothing.

Phrases are matched case-insensitively with curly apostrophes folded, refusals only near the start
(where models put them; "I cannot stress enough" mid-answer is not a refusal), hedges anywhere.
A phrase found in a streamed prefix stays in the full answer, so the check can decide early.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field

from ...types import Verdict
from ..base import Answer
from ._params import Params

DEFAULT_REFUSALS = (
    "i cannot",
    "i can't",
    "i can not",
    "i won't",
    "i will not",
    "i'm unable",
    "i am unable",
    "i'm not able",
    "i am not able",
    "i must decline",
    "i'm sorry, but",
    "i am sorry, but",
    "i can only help with",  # not "sorry, i can" (nor "i can only help"): openers that go on to answer
    "i can only assist with",
    "as an ai",
    "as a language model",
    "as an artificial intelligence",
    "i don't have access",
    "i do not have access",
    "i'm not allowed",
    "it is not possible for me",
    "against my guidelines",
)
DEFAULT_HEDGES = (
    "i'm not sure",
    "i am not sure",
    "i'm not certain",
    "i am not certain",
    "i don't know",
    "i do not know",
    "i'm not confident",
    "cannot be determined",
    "can't be determined",
    "not enough information",
    "insufficient information",
    "it is unclear",
    "it's unclear",
    "hard to say",
    "i might be wrong",
    "i may be wrong",
    "this is a guess",
    "my best guess",
)


class RefusalParams(Params):
    refusal_phrases: tuple[str, ...] = Field(default=DEFAULT_REFUSALS, description="Phrases that mark a refusal")
    hedge_phrases: tuple[str, ...] = Field(default=DEFAULT_HEDGES, description="Phrases that mark hedging")
    reject_hedges: bool = Field(default=True, description="Escalate hedged answers too (else only lower the score)")
    refusal_window_chars: int = Field(default=300, gt=0, description="Refusals are looked for in this many first chars")
    min_chars: int = Field(default=1, ge=0, description="Shorter (stripped) complete answers count as empty")


def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    # Whole-word start, so "i cannot" does not fire inside "wi cannot".
    if not phrases:
        return None
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(_fold(p)) for p in phrases) + ")")


def _fold(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


class RefusalValidator:
    """Score 1.0 clean, 0.5 hedged, 0.0 refused or empty."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = True

    def __init__(self, params: RefusalParams, *, name: str = "refusal") -> None:
        self.params = params
        self.name = name
        self._refusals = _phrase_regex(params.refusal_phrases)
        self._hedges = _phrase_regex(params.hedge_phrases)

    def check(self, answer: Answer) -> Verdict:
        text = _fold(answer.text.strip())
        if not answer.partial and len(text) < self.params.min_chars and not answer.tool_calls:
            return Verdict(False, self.name, 0.0, "empty answer")
        head = text[: self.params.refusal_window_chars]
        m = self._refusals.search(head) if self._refusals else None
        if m:
            return Verdict(False, self.name, 0.0, f"refusal phrase {m.group(0)!r}")
        m = self._hedges.search(text) if self._hedges else None
        if m:
            return Verdict(not self.params.reject_hedges, self.name, 0.5, f"hedging phrase {m.group(0)!r}")
        return Verdict(True, self.name, 1.0, "no refusal or hedging")
