"""Structured-output checks: valid JSON, JSON Schema conformance, tool-call arguments.

Schemas are checked with ``jsonschema`` (a dependency of LiteLLM itself). A request that asked for no
JSON and no tools is skipped (accepted), so these checks can sit on a mixed-traffic router.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import jsonschema  # type: ignore[import-untyped]  # a LiteLLM dependency; no stubs installed
from pydantic import Field, field_validator

from ...types import Verdict
from ..base import Answer
from ._params import Params

_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n(.*?)\n?```\s*$", re.DOTALL)
_INNER_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)\n?```", re.DOTALL)


def extract_json_text(text: str, *, allow_prose: bool = False) -> str:
    """The JSON part of an answer: the text itself, or the body of a ```json fence around it.

    With ``allow_prose`` the first fenced block inside surrounding prose is used too.
    """
    stripped = text.strip()
    m = _FENCE.match(stripped)
    if m:
        return m.group(1).strip()
    if allow_prose:
        m = _INNER_FENCE.search(stripped)
        if m:
            return m.group(1).strip()
    return stripped


def schema_errors(instance: object, schema: Mapping[str, Any], *, limit: int = 1) -> list[str]:
    """Readable schema violations ('path: rule'), at most ``limit``; [] when it conforms.

    Only the location and the schema's own rule are reported, never the offending value: verdict reasons
    go into decision records, which must not carry answer text.
    """
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    out = []
    for err in sorted(cls(schema).iter_errors(instance), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in err.absolute_path) or "<root>"
        out.append(f"{path}: violates '{err.validator}' {json.dumps(err.validator_value, default=str)[:80]}")
        if len(out) >= limit:
            break
    return out


class JsonParams(Params):
    when: Literal["requested", "always"] = Field(
        default="requested", description="Check only requests that asked for JSON, or every answer"
    )
    allow_prose: bool = Field(default=False, description="Accept a ```json block inside surrounding prose")
    require_object: bool = Field(default=False, description="The top level must be an object")


class JsonValidator:
    """Accepts an answer that parses as JSON (after stripping a code fence)."""

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(self, params: JsonParams, *, name: str = "json") -> None:
        self.params = params
        self.name = name

    def parse(self, answer: Answer) -> tuple[object, str | None]:
        """(value, None) on success, (None, reason) on failure."""
        body = extract_json_text(answer.text, allow_prose=self.params.allow_prose)
        try:
            value = json.loads(body)
        except ValueError as exc:
            return None, f"not valid JSON ({type(exc).__name__} at char {getattr(exc, 'pos', '?')})"
        if self.params.require_object and not isinstance(value, dict):
            return None, f"top-level JSON is {type(value).__name__}, expected an object"
        return value, None

    def applies(self, answer: Answer) -> bool:
        return self.params.when == "always" or answer.request.wants_json

    def check(self, answer: Answer) -> Verdict:
        if not self.applies(answer):
            return Verdict(True, self.name, None, "request asked for no JSON, skipped", skipped=True)
        _, problem = self.parse(answer)
        if problem:
            return Verdict(False, self.name, 0.0, problem)
        return Verdict(True, self.name, 1.0, "valid JSON")


class SchemaParams(JsonParams):
    schema_: dict[str, Any] | None = Field(
        default=None, alias="schema", description="Schema used when the request carries none"
    )

    @field_validator("schema_")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            try:
                jsonschema.validators.validator_for(value).check_schema(value)
            except jsonschema.SchemaError as exc:
                raise ValueError(f"not a valid JSON Schema: {exc.message}") from None
        return value


class SchemaValidator(JsonValidator):
    """Accepts JSON that conforms to the request's response schema (or the configured one)."""

    def __init__(self, params: SchemaParams, *, name: str = "schema") -> None:
        super().__init__(params, name=name)
        self.schema = params.schema_

    def check(self, answer: Answer) -> Verdict:
        schema = answer.request.response_schema or self.schema
        if schema is None and not self.applies(answer):
            return Verdict(True, self.name, None, "request asked for no JSON, skipped", skipped=True)
        value, problem = self.parse(answer)
        if problem:
            return Verdict(False, self.name, 0.0, problem)
        if schema is None:
            return Verdict(True, self.name, 1.0, "valid JSON, no schema given")
        try:
            errors = schema_errors(value, schema)
        except jsonschema.SchemaError:
            # The caller's schema is broken: a stronger tier cannot fix that, so do not escalate.
            return Verdict(True, self.name, None, "response schema is not valid JSON Schema, skipped", skipped=True)
        if errors:
            return Verdict(False, self.name, 0.0, f"schema violation at {errors[0]}")
        return Verdict(True, self.name, 1.0, "matches schema")


class ToolArgsParams(Params):
    require_call: bool = Field(default=False, description="Also reject a plain-text answer to a request with tools "
                               "whose tool_choice is auto or absent: for traffic where every such request needs a "
                               "call. Without it, only tool_choice required or a named function demands a call")


class ToolArgsValidator:
    """Accepts tool calls that name an offered tool and whose arguments match its parameter schema, as the
    request's tool_choice allows: with "required" or a named function a plain answer fails (and so does a call to
    another function than the named one), with "none" any call fails.

    A named function the request does not offer is ignored (no tier can call it), as a broken schema is.
    """

    needs_logprobs: ClassVar[bool] = False
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(self, params: ToolArgsParams, *, name: str = "tool_args") -> None:
        self.params = params
        self.name = name

    def check(self, answer: Answer) -> Verdict:
        request = answer.request
        offered = _tool_schemas(request.tools)
        named = request.required_tool if request.required_tool in offered else None
        if not answer.tool_calls:
            if request.needs_tools and (request.tool_choice == "required" or named is not None):
                return Verdict(False, self.name, 0.0, f"no tool call, but the request's tool_choice is "
                                                      f"{named or request.tool_choice!r}")
            if self.params.require_call and request.needs_tools and request.tool_choice == "auto":
                return Verdict(False, self.name, 0.0, "no tool call in answer to a request with tools")
            return Verdict(True, self.name, None, "no tool calls, skipped", skipped=True)
        if request.tool_choice == "none":
            return Verdict(False, self.name, 0.0, "tool call in answer to a request whose tool_choice is 'none'")
        for i, call in enumerate(answer.tool_calls):
            fn = call.get("function") or {}
            tool = fn.get("name") if isinstance(fn, Mapping) else None
            if offered and tool not in offered:
                return Verdict(False, self.name, 0.0, f"tool_calls[{i}] names unknown tool {tool!r}")
            if named is not None and tool != named:
                return Verdict(False, self.name, 0.0, f"tool_calls[{i}] calls {tool!r}, but the request's "
                                                      f"tool_choice names {named!r}")
            raw = fn.get("arguments", "") if isinstance(fn, Mapping) else ""
            try:
                args = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError as exc:
                return Verdict(False, self.name, 0.0, f"tool_calls[{i}] arguments are not JSON ({type(exc).__name__})")
            if not isinstance(args, dict):
                return Verdict(False, self.name, 0.0, f"tool_calls[{i}] arguments are not a JSON object")
            schema = offered.get(tool) if tool else None
            if schema:
                try:
                    errors = schema_errors(args, schema)
                except jsonschema.SchemaError:
                    continue  # a broken tool schema is the caller's problem, not the tier's
                if errors:
                    return Verdict(False, self.name, 0.0, f"tool_calls[{i}] ({tool}) arguments: {errors[0]}")
        return Verdict(True, self.name, 1.0, f"{len(answer.tool_calls)} tool call(s) valid")


def _tool_schemas(tools: tuple[Mapping[str, Any], ...]) -> dict[str, Mapping[str, Any] | None]:
    """Parameter schema by offered tool name; a provider's own tool (Anthropic's web search, named at the top
    level) is offered too, with arguments it checks itself (None)."""
    out: dict[str, Mapping[str, Any] | None] = {}
    for tool in tools:
        fn = tool.get("function")
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str):
            params = fn.get("parameters")
            out[fn["name"]] = params if isinstance(params, Mapping) else None
        elif fn is None and isinstance(tool.get("name"), str):
            out[tool["name"]] = None
    return out
