"""The answer-validator extension point of the cascade.

A validator looks at one tier's answer and returns a ``Verdict``. It declares what it needs as
class attributes, so the cascade can request log-probs or extra samples up front and knows which
checks can decide on a streamed prefix. Validators that need a model (the LLM judge) implement
``acheck``/``check`` on top of an injected ``Ask`` callable; the cascade never lets a validator's
exception escape: it becomes a failed verdict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from ..types import RequestView, Verdict


@dataclass(frozen=True, slots=True)
class Answer:
    """One tier's answer, reduced to what validators read."""

    text: str
    request: RequestView
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    """OpenAI-style tool calls: {'id', 'type': 'function', 'function': {'name', 'arguments'}}."""
    token_logprobs: tuple[float, ...] | None = None
    """Per-token log-probs of the answer, or ``None`` when the tier returned none."""
    finish_reason: str | None = None
    samples: tuple[str, ...] = ()
    """Further sampled answers (for agreement checks); empty unless a validator asked for them."""
    prompt_text: str = field(default="", repr=False)
    """The last user message, for judges; never logged."""
    partial: bool = False
    """True when ``text`` is only a streamed prefix (early streaming mode)."""


@runtime_checkable
class Validator(Protocol):
    """Checks an answer; ``Verdict.accepted`` False means escalate."""

    name: str
    needs_logprobs: ClassVar[bool]
    needs_samples: ClassVar[int]
    """How many answers the check wants in total (1 = just the one answer)."""
    can_stream: ClassVar[bool]
    """True when a verdict on a prefix is final (early streaming mode can use it)."""

    def check(self, answer: Answer) -> Verdict: ...


@runtime_checkable
class AsyncValidator(Validator, Protocol):
    """A validator that waits on I/O (a judge model); ``avalidate`` awaits ``acheck`` under a time limit."""

    async def acheck(self, answer: Answer) -> Verdict: ...


Ask = Callable[[Sequence[Mapping[str, Any]]], str]
"""Synchronous model call used by judge validators: messages in, answer text out."""
AsyncAsk = Callable[[Sequence[Mapping[str, Any]]], Awaitable[str]]
