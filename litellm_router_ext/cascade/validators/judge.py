"""LLM-as-judge verifier: a model grades the answer against a rubric; accept at or above a threshold.

The model call is injected (``Ask`` / ``AsyncAsk`` from ``cascade.base``), so this module does no I/O of
its own: the adapter routes judge calls through the cascade's judge tier, tests pass a fake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, model_validator

from ...types import Verdict
from ..base import Answer, Ask, AsyncAsk
from ..blocking import CHECK_THREADS
from ._params import Params

DEFAULT_RUBRIC = (
    "You are a strict grader. Judge whether the answer fully and correctly answers the question: "
    "check facts, reasoning and arithmetic, and that it follows every instruction in the question."
)
_SCORE = re.compile(r"score\s*[:=]?\s*\**\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
_OUT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/|out of)\s*\d+", re.IGNORECASE)


class JudgeParams(Params):
    rubric: str = Field(default=DEFAULT_RUBRIC, min_length=1, description="Grading instructions for the judge")
    threshold: float = Field(default=7.0, ge=0, description="Accept when the judge's score is >= this")
    max_score: float = Field(default=10.0, gt=0, description="Top of the judge's scale (scores run 0..max)")
    max_answer_chars: int = Field(default=8000, gt=0, description="Longer answers are cut before judging")

    @model_validator(mode="after")
    def _in_scale(self) -> JudgeParams:
        if self.threshold > self.max_score:
            raise ValueError(f"threshold {self.threshold} is above max_score {self.max_score}")
        return self


def parse_score(reply: str, max_score: float) -> float | None:
    """The score in a judge reply ('Score: 8', '8/10', or a bare number), or ``None``."""
    for rx in (_SCORE, _OUT_OF):
        m = rx.search(reply)
        if m:
            value = float(m.group(1))
            return value if 0 <= value <= max_score else None
    bare = reply.strip().rstrip(".")
    try:
        value = float(bare)
    except ValueError:
        return None
    return value if 0 <= value <= max_score else None


class JudgeValidator:
    """Grades with an injected model; a reply without a readable score is a rejection."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False
    may_block: ClassVar[bool] = True
    """User code or a model call: run under the cascade's validator_timeout_s on a worker thread."""

    def __init__(
        self,
        params: JudgeParams,
        *,
        ask: Ask | None = None,
        aask: AsyncAsk | None = None,
        name: str = "judge",
    ) -> None:
        if ask is None and aask is None:
            raise ValueError("a judge validator needs an ask or aask model call")
        self.params = params
        self.name = name
        self._ask = ask
        self._aask = aask

    def messages(self, answer: Answer) -> list[Mapping[str, Any]]:
        """The grading prompt: rubric as system message, question and answer as the user turn."""
        p = self.params
        max_text = f"{p.max_score:g}"
        system = f"{p.rubric}\n\nReply with one line 'Score: N' where N is a number from 0 to {max_text}."
        question = answer.prompt_text or answer.request.text
        body = answer.text[: p.max_answer_chars]
        user = f"Question:\n{question}\n\nAnswer:\n{body}\n\nGrade the answer (0-{max_text})."
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def check(self, answer: Answer) -> Verdict:
        if self._ask is None:
            return Verdict(False, self.name, 0.0, "judge has only an async model call; use avalidate")
        return self._verdict(self._ask(self.messages(answer)))

    async def acheck(self, answer: Answer) -> Verdict:
        if self._aask is not None:
            return self._verdict(await self._aask(self.messages(answer)))
        assert self._ask is not None
        return self._verdict(await CHECK_THREADS.run(self, self._ask, self.messages(answer)))

    def _verdict(self, reply: str) -> Verdict:
        score = parse_score(reply or "", self.params.max_score)
        if score is None:
            return Verdict(False, self.name, 0.0, "judge reply has no readable score")
        ok = score >= self.params.threshold
        return Verdict(
            ok,
            self.name,
            score / self.params.max_score,
            f"judge score {score:g}/{self.params.max_score:g} (threshold {self.params.threshold:g})",
        )
