"""Eval sets: the shared JSONL outcome format, read and validated once.

One JSON object per line::

    {"id": "gsm8k-3", "source": "gsm8k", "category": "math" | null,
     "messages": [{"role": "user", "content": "..."}], "reference": "540",          # reference optional
     "outcomes": {"<model id>": {"score": 0.0..1.0, "response": "...", "cost_usd": 0.0012}}}  # last two optional

A record may also carry the request's own parameters under their OpenAI names, ``tools``, ``tool_choice``
and ``response_format``: replay's checks and scorers see them, and live runs send them with the messages.
Every problem raises ``DatasetError`` naming the file, line and field; nothing is skipped silently.
Blank lines are allowed and ignored. Unknown keys are ignored so newer files still load (``collect`` copies
them to the file it writes).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError, RequestError
from ..types import RequestView, content_text

REQUEST_KEYS = ("tools", "tool_choice", "response_format")
"""Request parameters a record may carry beside its messages (OpenAI names)."""
RECORD_KEYS = frozenset({"id", "source", "category", "messages", "reference", "outcomes", *REQUEST_KEYS})


@dataclass(frozen=True, slots=True)
class Outcome:
    """One model's recorded result on one item."""

    score: float
    response: str | None = None
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One prompt with its recorded outcomes."""

    id: str
    source: str
    category: str | None
    messages: tuple[Mapping[str, Any], ...]
    outcomes: Mapping[str, Outcome]
    reference: str | None = None
    line: int = 0
    """Line number in the file it came from (for messages)."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """The record's other top-level keys (tags, notes...): not read here, carried over by ``collect``."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """The request's own parameters (``REQUEST_KEYS`` it has): asked with the messages, seen by replay."""

    def request(self) -> RequestView:
        """The request as the router sees it."""
        return RequestView.from_params(list(self.messages), self.params)

    @property
    def prompt_text(self) -> str:
        """Text of the last user message: what prompt-only scorers read."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _parts_text(message.get("content"))
        return ""

    @property
    def input_text(self) -> str:
        """All message text concatenated: what the price rule counts as input tokens."""
        return "\n".join(_parts_text(m.get("content")) for m in self.messages)


@dataclass(slots=True)
class EvalSet:
    """The items of one eval file, in file order, plus a per-set cache of derived values (token counts)."""

    path: str
    items: tuple[EvalItem, ...]
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def source(self) -> str:
        """The most common ``source`` among the items."""
        counts = Counter(item.source for item in self.items)
        return counts.most_common(1)[0][0] if counts else ""

    def model_counts(self) -> dict[str, int]:
        """Each model id with the number of items that have its outcome, most common first."""
        counts = Counter(model for item in self.items for model in item.outcomes)
        return dict(counts.most_common())

    def subset(self, keep: Iterable[bool], label: str) -> EvalSet:
        """A new set with only the items where ``keep`` is true (token counts are recomputed lazily)."""
        items = tuple(item for item, k in zip(self.items, keep, strict=True) if k)
        return EvalSet(f"{self.path}[{label}]", items)

    def split(self, calibration_fraction: float, seed: int = 0) -> tuple[EvalSet, EvalSet]:
        """Deterministic calibration / held-out split by a hash of each item id (stable across runs)."""
        marks = calibration_mask(self.items, calibration_fraction, seed, self.path)
        return self.subset(marks, "calib"), self.subset([not m for m in marks], "test")


def calibration_mask(items: Iterable[EvalItem], fraction: float, seed: int = 0, file: str = "<eval set>") -> list[bool]:
    """True for items in the calibration split: a hash of (seed, id) below ``fraction``, so splits are stable."""
    if not 0.0 < fraction < 1.0:
        raise DatasetError(f"calibration fraction must lie strictly between 0 and 1, got {fraction}", file=file)
    return [_unit_hash(item.id, seed) < fraction for item in items]


def _unit_hash(text: str, seed: int) -> float:
    digest = hashlib.blake2b(f"{seed}\x00{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _parts_text(content: object) -> str:
    try:
        return content_text(content)
    except RequestError:
        return ""  # parse_record has refused such a record already; an item built in code reads as no text


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def _parse_outcome(raw: object, where: tuple[str, int], model: str) -> Outcome:
    file, line = where
    key = f"outcomes.{model}"
    if not isinstance(raw, Mapping):
        raise DatasetError("must be an object {'score': ..., 'response'?: ..., 'cost_usd'?: ...}",
                           file=file, line=line, field=key)
    score = _number(raw.get("score"))
    if score is None or not 0.0 <= score <= 1.0:
        raise DatasetError(f"must be a number in [0, 1], got {raw.get('score')!r:.40}",
                           file=file, line=line, field=f"{key}.score")
    response = raw.get("response")
    if response is not None and not isinstance(response, str):
        raise DatasetError("must be a string when present", file=file, line=line, field=f"{key}.response")
    cost: float | None = None
    if raw.get("cost_usd") is not None:
        cost = _number(raw["cost_usd"])
        if cost is None or cost < 0:
            raise DatasetError(f"must be a non-negative number, got {raw['cost_usd']!r:.40}",
                               file=file, line=line, field=f"{key}.cost_usd")
    return Outcome(score, response, cost)


def _tools_ok(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(t, Mapping) and isinstance(t.get("function"), Mapping) and isinstance(t["function"].get("name"), str)
        for t in value)


def _tool_choice_ok(value: object) -> bool:
    if isinstance(value, str):
        return value in ("auto", "none", "required")
    function = value.get("function") if isinstance(value, Mapping) else None
    return (isinstance(value, Mapping) and value.get("type") == "function" and isinstance(function, Mapping)
            and isinstance(function.get("name"), str))


def _response_format_ok(value: object) -> bool:
    if not isinstance(value, Mapping) or value.get("type") not in ("text", "json_object", "json_schema"):
        return False
    spec = value.get("json_schema")
    return value["type"] != "json_schema" or (isinstance(spec, Mapping) and isinstance(spec.get("schema"), Mapping))


def parse_record(record: object, file: str, line: int, *, require_outcomes: bool = True) -> EvalItem:
    """Validate one decoded JSONL record; ``DatasetError`` names the first bad field.

    ``require_outcomes=False`` accepts prompt-only records (live mode produces the outcomes itself).
    """
    if not isinstance(record, Mapping):
        raise DatasetError(f"a record must be a JSON object, got {type(record).__name__}", file=file, line=line)
    item_id = record.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise DatasetError("must be a non-empty string", file=file, line=line, field="id")
    source = record.get("source", "")
    if not isinstance(source, str):
        raise DatasetError("must be a string", file=file, line=line, field="source")
    category = record.get("category")
    if category is not None and not isinstance(category, str):
        raise DatasetError("must be a string or null", file=file, line=line, field="category")
    reference = record.get("reference")
    if isinstance(reference, dict) or (isinstance(reference, list) and reference
                                       and all(isinstance(r, dict) for r in reference)):
        reference = json.dumps(reference, ensure_ascii=False)  # a JSON answer (an object, calls) written as JSON
    if reference is not None and not isinstance(reference, str):
        raise DatasetError("must be a string, or a JSON object or list of objects, when present (one reference per "
                           "record: a list of accepted answers is not read as such)", file=file, line=line,
                           field="reference")
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise DatasetError("must be a non-empty list of {'role': ..., 'content': ...}",
                           file=file, line=line, field="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise DatasetError("must be an object with a string 'role'", file=file, line=line,
                               field=f"messages[{i}]")
    params = {k: record[k] for k in REQUEST_KEYS if record.get(k) is not None}
    if "tools" in params and not _tools_ok(params["tools"]):
        raise DatasetError("must be a non-empty list of {'type': 'function', 'function': {'name': ..., "
                           "'parameters': {...}}}", file=file, line=line, field="tools")
    if "tool_choice" in params and not _tool_choice_ok(params["tool_choice"]):
        raise DatasetError("must be 'auto', 'none', 'required' or {'type': 'function', 'function': {'name': ...}}",
                           file=file, line=line, field="tool_choice")
    if "response_format" in params and not _response_format_ok(params["response_format"]):
        raise DatasetError("must be {'type': 'text'}, {'type': 'json_object'} or {'type': 'json_schema', "
                           "'json_schema': {'name': ..., 'schema': {...}}}", file=file, line=line,
                           field="response_format")
    try:
        RequestView.from_openai(messages)
    except RequestError as exc:
        raise DatasetError(str(exc), file=file, line=line, field="messages") from None
    outcomes_raw = record.get("outcomes")
    if not require_outcomes and outcomes_raw is None:
        outcomes_raw = {}
    elif not isinstance(outcomes_raw, Mapping) or not outcomes_raw:
        raise DatasetError("must be a non-empty object {model id: {'score': ...}}",
                           file=file, line=line, field="outcomes")
    outcomes = {str(m): _parse_outcome(o, (file, line), str(m)) for m, o in outcomes_raw.items()}
    extra = {k: v for k, v in record.items() if k not in RECORD_KEYS}
    return EvalItem(item_id, source, category, tuple(messages), outcomes, reference, line, extra, params)


def parse_lines(lines: Iterable[str], file: str, *, require_outcomes: bool = True) -> EvalSet:
    """Parse JSONL text lines (numbered from 1) into an ``EvalSet``."""
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"not valid JSON ({exc.msg} at column {exc.colno}); is the line truncated?",
                               file=file, line=number) from None
        item = parse_record(record, file, number, require_outcomes=require_outcomes)
        if item.id in seen:
            raise DatasetError(f"duplicate id {item.id!r} (first on line {seen[item.id]})",
                               file=file, line=number, field="id")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError("no records; an eval set needs at least one JSON line", file=file)
    return EvalSet(file, tuple(items))


def load_eval_set(path: str | Path, *, require_outcomes: bool = True) -> EvalSet:
    """Read and validate a JSONL eval set (``require_outcomes=False``: prompts, references only)."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8-sig") as handle:  # -sig: a byte-order mark (some editors write one) is not text
            return parse_lines(handle, str(p), require_outcomes=require_outcomes)
    except FileNotFoundError:
        raise DatasetError("file not found; pass the path of a JSONL eval set with --data", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(p)) from None


def sample_eval_path() -> Path:
    """The small eval set shipped with the package (used when no data file is given)."""
    return Path(__file__).resolve().parent.parent / "data" / "sample_eval.jsonl"
