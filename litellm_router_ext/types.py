"""Plain typed values the core works on: a request view, verdicts, attempts, decisions.

Nothing here imports LiteLLM. ``RequestView.from_openai`` reads OpenAI-style chat arguments (which
is what LiteLLM hands over) once, so scorers and the policy never parse messages themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import RequestError

Cause = Literal["threshold", "constraint", "override", "sticky"]
StopReason = Literal["accepted", "top_tier", "max_escalations", "budget", "provider_failed", "all_failed"]
ToolChoice = Literal["auto", "none", "required", "function"]
_IMAGE_PART_TYPES = frozenset({"image_url", "input_image", "image"})
_TEXT_PART_TYPES = frozenset({"text", "input_text"})
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def _content_text(content: object, where: str) -> tuple[str, bool]:
    """Text of one message's content and whether it carries an image part."""
    if content is None:
        return "", False
    if isinstance(content, str):
        return content, False
    if isinstance(content, list):
        texts: list[str] = []
        has_image = False
        for i, part in enumerate(content):
            if not isinstance(part, Mapping):
                # The type only: the part itself is prompt text, and error messages reach the proxy's logs.
                raise RequestError(
                    f"{where}.content[{i}] must be an object with a 'type', got {type(part).__name__}"
                )
            kind = part.get("type")
            if kind in _TEXT_PART_TYPES:
                text = part.get("text")
                if isinstance(text, str):
                    texts.append(text)
            elif kind in _IMAGE_PART_TYPES:
                has_image = True
        return "\n".join(texts), has_image
    raise RequestError(f"{where}.content must be a string or a list of parts, got {type(content).__name__}")


def content_text(content: object) -> str:
    """A message content's text as routing reads it: text parts joined by newlines, image and other parts skipped.

    Training, eval and the live router all read a prompt through this, so a scorer sees at run time the text it
    was trained on. A malformed content raises ``RequestError``.
    """
    return _content_text(content, "message")[0]


def conversation_key(messages: Sequence[Mapping[str, Any]]) -> str:
    """Stable digest of a conversation prefix (roles, text, tool-call ids), used for multi-turn stability.

    Tool-call ids (``tool_calls[].id``, ``tool_call_id``) are generated per response, so they tell apart two
    tool loops that open with the same prompt: a tier one of them reached must not become the other's floor.
    """
    digest = hashlib.blake2b(digest_size=16)
    for message in messages:
        text, _ = _content_text(message.get("content"), "message")
        digest.update(str(message.get("role", "")).encode())
        digest.update(b"\x00")
        digest.update(text.encode("utf-8", "replace"))
        for call_id in tool_call_ids(message):
            digest.update(b"\x02")
            digest.update(call_id.encode("utf-8", "replace"))
        digest.update(b"\x01")
    return digest.hexdigest()


def tool_call_ids(message: Mapping[str, Any]) -> list[str]:
    """Ids of an assistant message's tool calls (dicts or LiteLLM objects), or a tool message's ``tool_call_id``."""
    ids = [message["tool_call_id"]] if isinstance(message.get("tool_call_id"), str) else []
    for call in message.get("tool_calls") or ():
        call_id = call.get("id") if isinstance(call, Mapping) else getattr(call, "id", None)
        if isinstance(call_id, str):
            ids.append(call_id)
    return ids


@dataclass(frozen=True, slots=True)
class RequestView:
    """What routing needs to know about one chat request, parsed once."""

    text: str
    """Text of the last user message: what the difficulty is about."""
    context_chars: int
    """Characters in every message together (system, history, last turn)."""
    n_messages: int
    n_user_turns: int
    has_system: bool = False
    needs_tools: bool = False
    has_images: bool = False
    wants_json: bool = False
    response_schema: Mapping[str, Any] | None = None
    tools: tuple[Mapping[str, Any], ...] = ()
    tool_choice: ToolChoice = "auto"
    """The request's ``tool_choice``: "auto" (also when absent or in a form not known here), "none",
    "required", or "function" (a named function, ``required_tool``, must be called)."""
    required_tool: str | None = None
    min_tier: str | int | None = None
    force_tier: str | int | None = None
    history_key: str | None = None
    """Digest of the conversation up to its last assistant message (``None`` before the first answer).

    The router remembers a tier under the digest of a request plus its answer, which is exactly this prefix
    of the next request: a new user turn, or a tool result in a tool-call loop (whose last user message is
    still the first one), so neither drops below the tier the conversation reached."""

    @property
    def approx_tokens(self) -> int:
        """Cheap upper-leaning token estimate (about 4 characters a token plus per-message overhead)."""
        return self.context_chars // 4 + 4 * self.n_messages

    @classmethod
    def from_params(
        cls, messages: object, params: Mapping[str, Any], metadata: Mapping[str, Any] | None = None
    ) -> RequestView:
        """``from_openai`` with the request's other arguments as one mapping (LiteLLM's ``optional_params``, a
        proxy request body, an eval record's parameters)."""
        return cls.from_openai(
            messages,
            tools=params.get("tools"),
            tool_choice=params.get("tool_choice"),
            response_format=params.get("response_format"),
            metadata=metadata,
            functions=params.get("functions"),
            function_call=params.get("function_call"),
        )

    @classmethod
    def from_openai(
        cls,
        messages: object,
        *,
        tools: object = None,
        tool_choice: object = None,
        response_format: object = None,
        metadata: Mapping[str, Any] | None = None,
        functions: object = None,
        function_call: object = None,
    ) -> RequestView:
        """Parse OpenAI-style chat arguments; a malformed request raises ``RequestError`` (a 4xx).

        ``functions`` / ``function_call``, the deprecated spelling of ``tools`` / ``tool_choice`` that LiteLLM still
        forwards, are read as those when the new ones are absent.
        """
        if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
            raise RequestError("messages must be a non-empty list of {'role': ..., 'content': ...} objects")
        last_user = ""
        chars = 0
        users = 0
        has_system = has_images = False
        answered = -1  # the last assistant message followed by another (a trailing one is a prefill)
        for i, message in enumerate(messages):
            if not isinstance(message, Mapping) or "role" not in message:
                raise RequestError(f"messages[{i}] must be an object with a 'role'")
            if message["role"] not in _ROLES:
                raise RequestError(f"messages[{i}].role must be one of {', '.join(sorted(_ROLES))}")
            text, image = _content_text(message.get("content"), f"messages[{i}]")
            chars += len(text)
            has_images = has_images or image
            role = message["role"]
            if role != "assistant" and i and messages[i - 1]["role"] == "assistant":
                answered = i - 1
            if role == "user":
                users += 1
                last_user = text
            elif role in ("system", "developer"):
                has_system = True
        if tools is None and isinstance(functions, list):
            tools = [{"type": "function", "function": f} for f in functions if isinstance(f, Mapping)] or None
        if tool_choice is None and function_call is not None:
            name = function_call.get("name") if isinstance(function_call, Mapping) else None
            tool_choice = {"type": "function", "function": {"name": name}} if name is not None else function_call
        tool_list = _parse_tools(tools)
        schema, wants_json = _parse_response_format(response_format)
        choice, required_tool = _parse_tool_choice(tool_choice)
        meta = metadata or {}
        history = messages[:answered + 1]  # the conversation up to its last answer
        return cls(
            text=last_user,
            context_chars=chars,
            n_messages=len(messages),
            n_user_turns=users,
            has_system=has_system,
            needs_tools=bool(tool_list),
            has_images=has_images,
            wants_json=wants_json,
            response_schema=schema,
            tools=tool_list,
            tool_choice=choice,
            required_tool=required_tool,
            min_tier=meta.get("min_tier"),
            force_tier=meta.get("force_tier"),
            history_key=conversation_key(history) if history else None,
        )


def _parse_tools(tools: object) -> tuple[Mapping[str, Any], ...]:
    if tools is None:
        return ()
    if not isinstance(tools, Sequence) or isinstance(tools, str):
        raise RequestError("tools must be a list of {'type': 'function', 'function': {...}} objects")
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping) or not isinstance(tool.get("function", {}), Mapping):
            raise RequestError(f"tools[{i}] must be an object like {{'type': 'function', 'function': {{...}}}}")
    return tuple(tools)


def _parse_tool_choice(tool_choice: object) -> tuple[ToolChoice, str | None]:
    """Lenient on purpose: a form a provider accepts but this does not know routes as "auto", it is not refused."""
    if tool_choice == "none":
        return "none", None
    if tool_choice == "required":
        return "required", None
    if isinstance(tool_choice, Mapping) and tool_choice.get("type") == "function":
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if isinstance(name, str):
            return "function", name
    return "auto", None


def _parse_response_format(response_format: object) -> tuple[Mapping[str, Any] | None, bool]:
    if response_format is None:
        return None, False
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        if kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            schema = spec.get("schema") if isinstance(spec, Mapping) else None
            return (schema if isinstance(schema, Mapping) else None), True
        return None, kind == "json_object"
    # A pydantic model class passed straight to litellm.completion(response_format=Model).
    schema_fn = getattr(response_format, "model_json_schema", None)
    if callable(schema_fn):
        schema = schema_fn()
        return (schema if isinstance(schema, Mapping) else None), True
    raise RequestError("response_format must be {'type': 'json_object'}, {'type': 'json_schema', ...} or a model")


@dataclass(frozen=True, slots=True)
class Verdict:
    """A validator's judgement of one answer."""

    accepted: bool
    validator: str
    score: float | None = None
    reason: str = ""
    skipped: bool = False
    """The check could not judge this answer (no log-probs, no JSON asked for): accepted, but it decides nothing
    where another check can (``combine: any`` and ``weighted`` leave it out)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One tier tried for one request: what it cost and what the checks said."""

    tier: str
    model: str
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    verdict: Verdict | None = None
    error: str | None = None
    """Provider error class and status when the tier failed at the transport (no answer)."""


@dataclass(slots=True)
class Decision:
    """The routing record attached to every response. Never holds prompt or response text."""

    router: str
    tier: str
    tier_index: int
    model: str
    cause: Cause
    difficulty: float
    scores: dict[str, float]
    decision_us: float
    first_tier: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    escalations: int = 0
    verified: bool | None = None
    """True: the checks accepted the whole answer; False: returned though a check rejected it; None: not judged as
    a whole (no cascade configured, every check skipped, or an early-mode stream whose first ``early_tokens`` chunks
    passed: the rest was never checked)."""
    checks_cost_usd: float = 0.0
    """Spend on model calls made by checks (LLM judges), on top of the attempts."""
    stop_reason: StopReason | None = None
    """Why the cascade ended on this answer: "accepted", "top_tier", "max_escalations", "budget" (the next tier's
    estimated cost would have broken ``budget_usd``: that climb is not an escalation) or "provider_failed" (every
    tier above failed). None when no cascade ran: a router without one (a tier that failed on the way is in
    ``attempts``), or a ``dispatch: precall`` answer taken as it came."""

    @property
    def cost_usd(self) -> float:
        return sum(a.cost_usd for a in self.attempts) + self.checks_cost_usd

    def to_dict(self) -> dict[str, Any]:
        """A fresh JSON-ready dict: every field (attempts and verdicts as dicts) plus the total ``cost_usd``."""
        # Written out rather than dataclasses.asdict: this runs on every proxied response, and asdict's
        # generic recursion with deepcopy costs ~10x more (same result; a test compares the two).
        attempts = [_attempt_dict(a) for a in self.attempts]
        return {
            "router": self.router,
            "tier": self.tier,
            "tier_index": self.tier_index,
            "model": self.model,
            "cause": self.cause,
            "difficulty": self.difficulty,
            "scores": dict(self.scores),
            "decision_us": self.decision_us,
            "first_tier": self.first_tier,
            "attempts": attempts,
            "escalations": self.escalations,
            "verified": self.verified,
            "checks_cost_usd": self.checks_cost_usd,
            "stop_reason": self.stop_reason,
            "cost_usd": sum(a["cost_usd"] for a in attempts) + self.checks_cost_usd,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    v = attempt.verdict
    return {
        "tier": attempt.tier,
        "model": attempt.model,
        "cost_usd": attempt.cost_usd,
        "latency_ms": attempt.latency_ms,
        "verdict": None
        if v is None
        else {"accepted": v.accepted, "validator": v.validator, "score": v.score, "reason": v.reason,
              "skipped": v.skipped},
        "error": attempt.error,
    }
