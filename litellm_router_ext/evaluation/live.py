"""Live evaluation: run an eval set's prompts through a real router, score the answers, record as you go.

The runner is transport-free: it takes an async ``ask(item) -> LiveAnswer`` (the adapter supplies one
that calls ``litellm.acompletion(model="tiered/<alias>")``) and writes one JSON line per finished item,
flushed immediately, so an interrupted run loses nothing: rerunning with the same ``--out`` file skips
every item already answered and retries only those that failed. Each record carries a fingerprint of what
was asked and how it was scored (the request, reference, score mode, ``tag``: the router or judge), so a
changed item never keeps a stale score: a kept answer to the same messages is scored again, anything else
is asked again.

Answers are scored against the item's ``reference``: ``choice`` (a letter A-J), ``numeric`` (the final
number, GSM8K-style ``#### N`` first), ``json`` (the same JSON value: key order free, types strict, a
```json fence allowed; tool calls are compared as ``[{"name", "arguments"}]``), ``exact`` (normalised
text), ``auto`` (picks one of those from the reference's shape), or ``judge`` (an LLM rates the answer;
the adapter supplies the judge).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..cascade.base import is_tool_calls, tool_calls_text
from ..cascade.validators.structured import extract_json_text
from ..errors import DatasetError
from .dataset import EvalItem

ScoreMode = Literal["auto", "exact", "numeric", "choice", "json", "judge"]
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
# "#### N", or a labelled answer's clause: "The answer is 42.", "Final answer: 3 x 4 = 12" (its result, after "=")
_FINAL = re.compile(r"####\s*\$?\s*(-?\d[\d,]*(?:\.\d+)?)|answer(?: is\s*:?|\s*:)\s*([^\n]*)", re.IGNORECASE)
_CHOICE = re.compile(r"(?:answer is|answer:)\s*\(?([A-J])\b|^\s*\(?([A-J])[).:]?\s*$|\(([A-J])\)"
                     r"|\A\s*\(?([A-J])[).:](?:\s|$)", re.I | re.M)  # the last: an answer opening "C. ..."
_LETTER = re.compile(r"\b([A-J])\b")
_NOT_PRONOUN = re.compile(r"\b(?!I(?:['\u2019]|\s+[a-z]))([A-J])\b")  # "I think", "I'd": the pronoun, not option I


@dataclass(frozen=True, slots=True)
class LiveAnswer:
    """What the router returned for one item (no prompt text)."""

    text: str
    tier: str | None = None
    model: str | None = None
    cost_usd: float | None = 0.0
    """``None``: LiteLLM could not price the call (an unknown model), which is not the same as free."""
    escalations: int = 0
    verified: bool | None = None


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """One finished item as written to the results file."""

    id: str
    category: str | None
    score: float | None
    tier: str | None
    model: str | None
    cost_usd: float | None
    escalations: int
    verified: bool | None
    latency_ms: float
    error: str | None = None
    fingerprint: str | None = None
    """What was asked and how it was scored; a record without one (an older file) is reused as is."""
    response: str | None = None
    """The answer text: kept when the run asks for it (collecting outcomes), and when the judge failed on it."""
    detail: str | None = None
    """The failure's message (first line, cut short): what ``error`` alone does not say."""
    asked: str | None = None
    """A digest of the messages alone: a kept answer to the same messages is scored again, never bought again."""


def _as_number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def final_number(text: str) -> float | None:
    """The answer's final number: ``#### N``, ``answer is N`` or ``(final) answer: N`` first, else the last number
    in the text."""
    for final in reversed(list(_FINAL.finditer(text))):
        if final.group(1) is not None:
            return _as_number(final.group(1))
        clause = final.group(2).rpartition("=")[2] if "=" in final.group(2) else final.group(2)
        found = _NUMBER.search(clause)
        if found:
            return _as_number(found.group())
    numbers = _NUMBER.findall(text)
    return _as_number(numbers[-1]) if numbers else None


_LABELLED = re.compile(r"\b(?:rating|score|rate|grade)\b\D{0,12}?(\d+(?:\.\d+)?)", re.IGNORECASE)
_OUT_OF_TEN = re.compile(r"(\d+(?:\.\d+)?)\s*(?:/|out of)\s*10\b", re.IGNORECASE)
_SCALE = re.compile(r"(?:scale of|from|between)?\s*\b1\s*(?:-|to|and|\u2013)\s*10\b", re.IGNORECASE)
_RATING_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def judge_rating(reply: str) -> float | None:
    """A judge's 1-10 rating in its reply: a labelled one ("Rating: 7", "I rate this 9"), else the first "N/10" or
    "N out of 10", else its first number once the scale it may restate ("on a scale of 1 to 10") is set aside (a
    judge that explains its rating puts the rating first); ``None`` when that is not in 1..10."""
    unscaled = _SCALE.sub(" ", reply)
    for pattern in (_LABELLED, _OUT_OF_TEN, _RATING_NUMBER):
        found = pattern.search(unscaled)
        if found:
            rating = float(found.group(1) if found.groups() else found.group())
            return rating if 1.0 <= rating <= 10.0 else None
    return None


def final_choice(text: str) -> str | None:
    """The chosen option letter: 'answer is (B)', a bare 'B.' line, '(B)', else a lone capital letter."""
    for match in _CHOICE.finditer(text):
        return next(g for g in match.groups() if g).upper()
    head = text.strip()[:40]
    for pattern in (_NOT_PRONOUN, _LETTER):  # "I think it's C" is C; "A is right" is still A
        letters = pattern.findall(head)
        if len(letters) == 1:
            return str(letters[0]).upper()
    return None


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s.-]", " ", text.lower()).split()).rstrip(".")


def _json_value(text: str) -> tuple[bool, object]:
    """(True, value) when ``text`` is JSON (inside a ```json fence, too), else (False, None); tool calls
    (``[{"name", "arguments"}]``) come with their arguments decoded, as ``tool_calls_text`` writes them."""
    try:
        value = json.loads(extract_json_text(text))
    except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
        return False, None
    return True, _decoded_calls(value)


def _decoded_calls(value: object) -> object:
    """Tool calls with JSON-string arguments decoded (OpenAI sends them as strings), by the rule answers are
    written with (``tool_calls_text``); anything else as it is."""
    if not is_tool_calls(value):
        return value
    return json.loads(tool_calls_text((c["name"], c["arguments"]) for c in value))


def same_json(a: object, b: object) -> bool:
    """Equal JSON values with strict types: key order is free, but "42" is not 42 and true is not 1. Two lists
    of tool calls are equal in any order (parallel calls have none)."""
    if is_tool_calls(a) and is_tool_calls(b):
        rest = list(b)
        for call in a:
            match = next((i for i, other in enumerate(rest) if same_json(call, other)), None)
            if match is None:
                return False
            rest.pop(match)
        return not rest
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b  # numbers (42 == 42.0) and null


def resolve_mode(reference: str, mode: ScoreMode) -> ScoreMode:
    """The concrete mode for one reference (``auto`` looks at its shape: a JSON object, or a list of objects
    such as tool calls, is ``json``; a list of plain values stays text)."""
    if mode != "auto":
        return mode
    ref = reference.strip()
    if re.fullmatch(r"\(?[A-J]\)?", ref):
        return "choice"
    if _as_number(ref) is not None:
        return "numeric"
    if ref.startswith(("{", "[")):
        parsed, value = _json_value(ref)
        if parsed and (isinstance(value, dict) or (isinstance(value, list) and value
                                                    and all(isinstance(v, dict) for v in value))):
            return "json"
    return "exact"


def check_references_fit(items: Sequence[EvalItem], mode: ScoreMode, file: str) -> None:
    """``DatasetError`` when a forced ``mode`` cannot read some reference (``--score numeric`` on "B"): every answer
    to it would score 0 for every model, silently, after they were paid for."""
    def fits(reference: str) -> bool:
        ref = reference.strip()
        if mode == "numeric":
            return _as_number(ref) is not None
        if mode == "choice":
            return re.fullmatch(r"\(?[A-Ja-j]\)?", ref) is not None
        if mode == "json":
            return _json_value(ref)[0]
        return True  # auto picks per reference; exact compares any text; judge reads none

    unfit = [item for item in items if item.reference is not None and not fits(item.reference)]
    if unfit:
        raise DatasetError(f"{len(unfit)} reference(s) cannot be read as --score {mode} (this one: "
                           f"{unfit[0].reference!r:.40}): their answers would all score 0; use --score auto, which "
                           "picks the way to compare per reference, or fix them", file=file, line=unfit[0].line,
                           field="reference")


def score_answer(answer: str, reference: str, mode: ScoreMode = "auto") -> float:
    """1.0 when the answer matches the reference under ``mode`` (not ``judge``), else 0.0."""
    concrete = resolve_mode(reference, mode)
    if concrete == "choice":
        return 1.0 if final_choice(answer) == reference.strip().strip("()").upper() else 0.0
    if concrete == "numeric":
        got, want = final_number(answer), _as_number(reference.strip())
        return 1.0 if got is not None and want is not None and abs(got - want) <= 1e-6 * max(1.0, abs(want)) else 0.0
    if concrete == "json":
        (parsed, value), (valid, expected) = _json_value(answer), _json_value(reference)
        return 1.0 if parsed and valid and same_json(value, expected) else 0.0
    if concrete == "exact":
        return 1.0 if _normalise(answer) == _normalise(reference) else 0.0
    raise ValueError("judge scoring needs a judge; use LiveRun with a judge callable")


JUDGE_FAILED = "judge: "
"""Error prefix of an answer the judge could not score: the paid answer is kept, and a rerun asks the judge only."""


def read_records(path: Path) -> dict[str, list[LiveRecord]]:
    """Every record of a results file per item, oldest first; keys a newer version added are ignored."""
    records: dict[str, list[LiveRecord]] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                record = LiveRecord(**{k: v for k, v in data.items() if k in _RECORD_FIELDS})
            except (json.JSONDecodeError, TypeError, AttributeError) as exc:
                if handle.read(1) == "":  # a torn last line from an interrupted run: redo that item
                    break
                raise DatasetError(f"not a live-results record ({exc})", file=str(path), line=number) from None
            records.setdefault(record.id, []).append(record)
    return records


def read_done(path: Path) -> dict[str, LiveRecord]:
    """The latest answered record of each item in a results file (failed ones are left out: they are retried)."""
    done: dict[str, LiveRecord] = {}
    for key, rows in read_records(path).items():
        answered = [r for r in rows if r.error is None]
        if answered:
            done[key] = answered[-1]
    return done


def _asked(item: EvalItem) -> object:
    """What was asked: the messages, plus the request's own parameters when it has any (so records of a
    messages-only item keep the digest they had before records could carry parameters)."""
    return list(item.messages) if not item.params else [list(item.messages), dict(item.params)]


def asked_digest(item: EvalItem, answerer: str = "") -> str:
    """A short digest of the item's request (and of who answered, when one file may hold several): what was
    asked, whatever the scoring."""
    payload = json.dumps(_asked(item) if not answerer else [_asked(item), answerer], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def fingerprint(item: EvalItem, mode: ScoreMode, tag: str = "") -> str:
    """A short digest of the item's request and reference and of the scoring (``tag``: e.g. the judge model).

    A JSON reference under ``auto`` digests as ``auto/json``: such answers were compared as text before the
    ``json`` mode existed, so their records are scored again (from the kept answer, when there is one).
    """
    return _digest(item, _scoring(item, mode), tag)


def _fingerprints(item: EvalItem, mode: ScoreMode, tag: str) -> tuple[str, str | None]:
    """(``fingerprint``, the one an earlier version gave a JSON reference under ``auto``, compared as text
    then; ``None`` for every other item, whose fingerprint did not change), reading the reference once."""
    scoring = _scoring(item, mode)
    return _digest(item, scoring, tag), (_digest(item, mode, tag) if scoring != mode else None)


def _scoring(item: EvalItem, mode: ScoreMode) -> str:
    if mode == "auto" and item.reference is not None and resolve_mode(item.reference, mode) == "json":
        return "auto/json"
    return mode


def _digest(item: EvalItem, scoring: str, tag: str) -> str:
    payload = json.dumps([_asked(item), item.reference, scoring, tag], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _cut_torn_tail(path: Path) -> None:
    """Drop a last line without its newline (a run killed mid-write), so the next append starts a clean line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


Judge = Callable[[EvalItem, str], Awaitable[float]]
Split = tuple[list[EvalItem], list["LiveRecord"], list["LiveRecord"]]
"""(items to ask, kept answers to score again, records to reuse), as ``LiveRun.split`` returns it."""


class LiveRun:
    """Answers every item once, ``concurrency`` at a time, appending each result to ``out`` as it lands."""

    def __init__(
        self,
        ask: Callable[[EvalItem], Awaitable[LiveAnswer]],
        out: Path,
        *,
        concurrency: int = 8,
        mode: ScoreMode = "auto",
        judge: Judge | None = None,
        on_done: Callable[[LiveRecord], None] | None = None,
        tag: str = "",
        answerer: str = "",
        keep_responses: bool = False,
    ) -> None:
        """``tag`` names the scoring (the judge), ``answerer`` what answers (a router's config); both are part
        of each record's fingerprint, and ``answerer`` also of which kept answers may be scored again."""
        if mode == "judge" and judge is None:
            raise ValueError("mode 'judge' needs a judge callable")
        self.ask, self.out, self.mode, self.judge = ask, out, mode, judge
        self.concurrency = concurrency
        self.on_done = on_done
        self.keep_responses, self.answerer = keep_responses, answerer
        self.rescored = 0  # kept answers the last run scored again: among its fresh records, asked of nobody
        self.text_scored = 0  # reused records of JSON references an earlier version scored as text (no answer kept)
        self.tag = f"{answerer}|{tag}" if answerer else tag
        self._write_lock = asyncio.Lock()

    def split(self, items: Sequence[EvalItem]) -> Split:
        """(items to ask, kept answers to score again, records from earlier runs to reuse).

        A record is reused for the same id and fingerprint. Otherwise a kept answer to the same messages (the
        judge failed on it, or the reference or judge changed since) is scored again instead of asked again.
        A JSON reference's record that an earlier version scored as text, with no answer kept to score again,
        is reused as it is rather than bought again (counted in ``text_scored``).
        """
        records = read_records(self.out)
        todo: list[EvalItem] = []
        rescore: list[LiveRecord] = []
        reused: list[LiveRecord] = []
        self.text_scored = 0
        for item in items:
            rows = records.get(item.id, [])[::-1]  # latest first
            current, earlier = _fingerprints(item, self.mode, self.tag)
            done = next((r for r in rows if r.error is None and r.fingerprint in (None, current)), None)
            asked = asked_digest(item, self.answerer)
            kept = next((r for r in rows if r.response is not None and r.asked == asked
                         and (r.error is None or r.error.startswith(JUDGE_FAILED))), None)
            as_text = next((r for r in rows if r.error is None and earlier and r.fingerprint == earlier), None)
            if done is not None:
                reused.append(done)
            elif kept is not None:
                rescore.append(kept)
            elif as_text is not None:
                reused.append(as_text)
                self.text_scored += 1
            else:
                todo.append(item)
        return todo, rescore, reused

    async def _score(self, item: EvalItem, text: str) -> float | None:
        if self.mode == "judge":
            assert self.judge is not None
            return await self.judge(item, text)
        if item.reference is None:
            return None
        return score_answer(text, item.reference, self.mode)

    async def _one(self, item: EvalItem, handle: Any, answered: LiveRecord | None = None) -> LiveRecord:
        """Ask about ``item`` and score the answer; with ``answered`` (a kept answer), score that one again."""
        started = time.perf_counter()
        try:
            answer = await self.ask(item) if answered is None else _answer_of(answered)
        except Exception as exc:  # recorded, and retried on the next run; never lost, never fatal
            record = LiveRecord(item.id, item.category, None, None, None, 0.0, 0, None,
                                (time.perf_counter() - started) * 1000, _error_name(exc), detail=_detail(exc))
        else:
            latency_ms = (time.perf_counter() - started) * 1000 if answered is None else answered.latency_ms
            error = detail = None
            try:
                score = await self._score(item, answer.text)
            except Exception as exc:  # the paid answer stays in the file; a rerun asks the judge only
                score, error, detail = None, JUDGE_FAILED + _error_name(exc), _detail(exc)
            record = LiveRecord(
                item.id,
                item.category,
                score,
                answer.tier,
                answer.model,
                answer.cost_usd,
                answer.escalations,
                answer.verified,
                latency_ms,
                error,
                fingerprint=fingerprint(item, self.mode, self.tag),
                response=answer.text if self.keep_responses or error else None,
                detail=detail,
                asked=asked_digest(item, self.answerer),
            )
        async with self._write_lock:
            handle.write(json.dumps(asdict(record)) + "\n")
            handle.flush()
        if self.on_done is not None:
            self.on_done(record)
        return record

    async def run(self, items: Sequence[EvalItem],
                  split: Split | None = None) -> tuple[list[LiveRecord], list[LiveRecord]]:
        """(records of this run, records from earlier runs that were reused); ``split``: ``self.split(items)``
        if the caller has it already (the results file is then read once)."""
        todo, rescore, reused = split if split is not None else self.split(items)
        self.rescored = len(rescore)
        by_id = {item.id: item for item in items}
        # ``concurrency`` workers share one queue, so a run of 100k prompts holds 8 calls, not 100k tasks.
        jobs = iter([*((item, None) for item in todo), *((by_id[r.id], r) for r in rescore)])
        fresh: list[LiveRecord] = []
        self.out.parent.mkdir(parents=True, exist_ok=True)
        _cut_torn_tail(self.out)
        with self.out.open("a", encoding="utf-8") as handle:

            async def worker() -> None:
                for item, answered in jobs:
                    fresh.append(await self._one(item, handle, answered))

            await asyncio.gather(*(worker() for _ in range(max(1, self.concurrency))))
        return fresh, reused


_RECORD_FIELDS = frozenset(f.name for f in fields(LiveRecord))


def _error_name(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}({status})" if status else type(exc).__name__


def _detail(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


def _answer_of(record: LiveRecord) -> LiveAnswer:
    """The answer a record keeps, to be scored again without asking the model again."""
    return LiveAnswer(record.response or "", record.tier, record.model, record.cost_usd, record.escalations,
                      record.verified)


def summarise(records: Iterable[LiveRecord]) -> dict[str, Any]:
    """Quality, cost, tier share and escalation rate over finished records."""
    rows = list(records)
    ok = [r for r in rows if r.error is None]
    scored = [r.score for r in ok if r.score is not None]
    tiers = Counter(r.tier for r in ok)
    priced = [r.cost_usd for r in ok if r.cost_usd is not None]
    return {
        "n": len(rows),
        "answered": len(ok),
        "errors": len(rows) - len(ok),
        "error_kinds": dict(Counter(r.error for r in rows if r.error is not None)),
        "error_examples": {r.error: r.detail for r in reversed(rows) if r.error is not None and r.detail},
        "quality": sum(scored) / len(scored) if scored else None,
        "scored": len(scored),
        "cost_usd": sum(priced),
        "unpriced": len(ok) - len(priced),
        "tier_share": {t: c / len(ok) for t, c in tiers.items()} if ok else {},
        "escalation_rate": sum(1 for r in ok if r.escalations) / len(ok) if ok else None,
        "unverified": sum(1 for r in ok if r.verified is False),
    }
