"""Shape checks on the answer text: required / forbidden patterns, length, a final-answer marker."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, model_validator

from ...types import Verdict
from ..base import Answer
from ._params import Params, compile_patterns


class FormatParams(Params):
    must_match: tuple[str, ...] = Field(default=(), description="Regexes that must all occur in the answer")
    must_not_match: tuple[str, ...] = Field(default=(), description="Regexes none of which may occur")
    min_chars: int = Field(default=0, ge=0, description="Shortest acceptable answer (stripped)")
    max_chars: int | None = Field(default=None, gt=0, description="Longest acceptable answer (stripped)")
    final_answer: str | None = Field(
        default=None, description=r"Regex the final answer must match, e.g. '####\s*-?[\d,.]+' or 'answer is'"
    )
    ignore_case: bool = Field(default=True, description="Match every regex case-insensitively")

    @model_validator(mode="after")
    def _compiles(self) -> FormatParams:
        patterns = (
            *self.must_match,
            *self.must_not_match,
            *([self.final_answer] if self.final_answer else []),
        )
        compile_patterns(patterns)
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError(f"max_chars ({self.max_chars}) is below min_chars ({self.min_chars})")
        return self


class FormatValidator:
    """Accepts text that has the configured shape; the reason names the first rule broken."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(self, params: FormatParams, *, name: str = "format") -> None:
        self.params = params
        self.name = name
        ic = params.ignore_case
        self._must = compile_patterns(params.must_match, ignore_case=ic)
        self._must_not = compile_patterns(params.must_not_match, ignore_case=ic)
        self._final = compile_patterns((params.final_answer,), ignore_case=ic)[0] if params.final_answer else None

    def check(self, answer: Answer) -> Verdict:
        if answer.tool_calls and not answer.text.strip():  # the call is the answer: tool_args judges it
            return Verdict(True, self.name, None, "answer is tool calls, skipped", skipped=True)
        text = answer.text.strip()
        p = self.params
        if len(text) < p.min_chars:
            return self._reject(f"answer has {len(text)} chars < min_chars {p.min_chars}")
        if p.max_chars is not None and len(text) > p.max_chars:
            return self._reject(f"answer has {len(text)} chars > max_chars {p.max_chars}")
        if self._final is not None and not self._final.search(text):
            return self._reject("no final answer matching final_answer")
        for rx in self._must:
            if not rx.search(text):
                return self._reject(f"must_match pattern {_show(rx)} not found")
        for rx in self._must_not:
            if rx.search(text):
                return self._reject(f"must_not_match pattern {_show(rx)} found")
        return Verdict(True, self.name, 1.0, "format ok")

    def _reject(self, reason: str) -> Verdict:
        return Verdict(False, self.name, 0.0, reason)


def _show(rx: re.Pattern[str]) -> str:
    return repr(rx.pattern[:60])
