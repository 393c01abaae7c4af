"""The answer-validator extension point of the cascade.

A validator looks at one tier's answer and returns a ``Verdict``. It declares what it needs as
class attributes, so the cascade can request log-probs or extra samples up front and knows which
checks can decide on a streamed prefix. Validators that need a model (the LLM judge) implement
``acheck``/``check`` on top of an injected ``Ask`` callable; the cascade never lets a validator's
exception escape: it becomes a failed verdict.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeGuard, runtime_checkable

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


def tool_calls_text(calls: Iterable[tuple[str, object]]) -> str:
    """Tool calls written as text, ``[{"name": ..., "arguments": {...}}]``: how an eval record keeps an answer
    that called tools (JSON arguments decoded, anything else kept as sent), and what is scored."""
    out = []
    for name, arguments in calls:
        if isinstance(arguments, str) or arguments is None:
            with contextlib.suppress(ValueError):  # not JSON is kept as sent: part of what gets scored
                arguments = json.loads(arguments or "{}")
        out.append({"name": name, "arguments": arguments})
    return json.dumps(out, ensure_ascii=False)


def is_tool_calls(value: object) -> TypeGuard[list[dict[str, Any]]]:
    """True for a non-empty list shaped as ``tool_calls_text`` writes it (each item a name and its arguments)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(c, dict) and set(c) == {"name", "arguments"} and isinstance(c["name"], str) for c in value)


def tool_calls_of_text(text: str) -> tuple[Mapping[str, Any], ...]:
    """The OpenAI-style tool calls written by ``tool_calls_text``; () for any other text."""
    try:
        calls = json.loads(text) if text.lstrip().startswith("[") else None
    except ValueError:
        return ()
    if not is_tool_calls(calls):
        return ()
    return tuple({"id": f"call_{i}", "type": "function", "function": {
        "name": c["name"], "arguments": c["arguments"] if isinstance(c["arguments"], str)
        else json.dumps(c["arguments"], ensure_ascii=False)}} for i, c in enumerate(calls))


@runtime_checkable
class Validator(Protocol):
    """Checks an answer; ``Verdict.accepted`` False means escalate."""

    name: str
    needs_logprobs: ClassVar[bool]
    needs_samples: ClassVar[int]
    """How many answers the check wants in total (1 = just the one answer)."""
    can_stream: ClassVar[bool]
    """True when a rejection of a prefix is final (the full answer would fail too), so early streaming mode can use
    it; a prefix that passes says nothing of the rest."""

    def check(self, answer: Answer) -> Verdict: ...


@runtime_checkable
class AsyncValidator(Validator, Protocol):
    """A validator that waits on I/O (a judge model); ``avalidate`` awaits ``acheck`` under a time limit."""

    async def acheck(self, answer: Answer) -> Verdict: ...


Ask = Callable[[Sequence[Mapping[str, Any]]], str]
"""Synchronous model call used by judge validators: messages in, answer text out."""
AsyncAsk = Callable[[Sequence[Mapping[str, Any]]], Awaitable[str]]
