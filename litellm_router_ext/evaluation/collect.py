"""Collect outcomes: answer every prompt with every model, score each answer, write the outcome format.

``train``, ``eval``, ``calibrate`` and ``design`` read per-model outcomes; users have prompts (and often
reference answers) from their own traffic, not outcomes. This runs each model over the prompts as a
``LiveRun`` of its own (``live.py``: scored against the reference or by a judge, written as it lands,
resumable), then joins the runs into one eval-set file, one line per prompt::

    {"id", "source", "category", "messages", "reference"?, "outcomes": {model: {"score", "response", "cost_usd"?}}}

``cost_usd`` is left out when LiteLLM could not price the model (``eval`` then prices it from a table).
Outcomes of other models are kept, both from the input file and from an earlier ``out`` for the same prompt,
so a model can be added later. A prompt no model answered yet is left out of ``out`` (the format needs at
least one outcome); a rerun asks again.

Per-model progress lives in ``<out>.parts/``; rerunning the same command skips every answered pair whose
prompt, reference and scoring are unchanged, and retries the failed ones, so nothing is lost or stale.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DatasetError
from .dataset import REQUEST_KEYS, EvalItem, EvalSet, Outcome
from .live import Judge, LiveAnswer, LiveRecord, LiveRun, ScoreMode, check_references_fit, summarise

Ask = Callable[[EvalItem], Awaitable[LiveAnswer]]


@dataclass(frozen=True)
class Collected:
    """What a collection produced: the joined file, and per model its live-run summary."""

    out: Path
    items: int
    complete: int
    """Prompts with a scored outcome from every model of this run."""
    written: int
    """Prompts in ``out`` (those with at least one outcome)."""
    by_model: Mapping[str, dict[str, Any]]
    carried: int = 0
    """Outcomes of the models asked that this run did not score, kept as the earlier ``out`` had them."""

    @property
    def errors(self) -> int:
        return sum(int(s["errors"]) for s in self.by_model.values())


def parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def part_path(out: Path, model: str) -> Path:
    """One model's progress file: a readable name plus a digest of the exact id (``a/b`` and ``a:b`` differ)."""
    readable = re.sub(r"[^\w.-]", "_", model)
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]
    return parts_dir(out) / f"{readable}-{digest}.jsonl"


async def collect(
    eval_set: EvalSet,
    models: Sequence[str],
    ask_for: Callable[[str], Ask],
    out: Path,
    *,
    concurrency: int = 8,
    mode: ScoreMode = "auto",
    judge: Judge | None = None,
    judge_model: str | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_done: Callable[[LiveRecord], None] | None = None,
) -> Collected:
    """Ask every model about every item (``concurrency`` calls per model at a time), then write ``out``.

    ``judge_model`` names the judge in the fingerprint, so a different judge rescores. ``on_plan`` gets the
    number of calls this run will make (answered pairs are reused), before the first is made.
    """
    if len(set(models)) != len(models) or not models:
        raise ConfigError("needs one or more distinct model ids", key="--models", value=list(models))
    if out.resolve() == Path(eval_set.path).resolve():
        raise ConfigError("would overwrite the input; write the outcomes to another file", key="--out",
                          value=str(out))
    items = list(eval_set.items)
    if mode != "judge":
        unscored = [item for item in items if item.reference is None]
        if unscored:
            raise DatasetError(f"{len(unscored)} prompt(s) have no 'reference' to score answers against; add "
                               "references or score with a judge (--score judge --judge MODEL)",
                               file=eval_set.path, line=unscored[0].line, field="reference")
        check_references_fit(items, mode, eval_set.path)
    runs = {model: LiveRun(ask_for(model), part_path(out, model), concurrency=concurrency, mode=mode, judge=judge,
                           on_done=on_done, tag=judge_model or "", keep_responses=True) for model in models}
    splits = {model: run.split(items) for model, run in runs.items()}  # each results file is read once
    if on_plan is not None:
        on_plan(sum(len(todo) + len(rescore) for todo, rescore, _ in splits.values()))
    finished = await asyncio.gather(*(run.run(items, splits[model]) for model, run in runs.items()))
    records = {model: [*fresh, *reused] for model, (fresh, reused) in zip(runs, finished, strict=True)}
    complete, written, carried = write_outcomes(items, records, out)
    return Collected(out, len(items), complete, written,
                     {model: summarise(rows) for model, rows in records.items()}, carried)


def write_outcomes(items: Sequence[EvalItem], records: Mapping[str, Sequence[LiveRecord]],
                   out: Path) -> tuple[int, int, int]:
    """Join the per-model records into ``out``; returns (items complete for these models, items written,
    outcomes carried over from the earlier ``out``).

    An outcome the earlier ``out`` has for the same prompt and reference is kept unless this run scored that
    pair again: a failed rerun (a broken judge, a provider down) never empties a file that was complete.
    """
    scored = {model: {r.id: r for r in rows if r.error is None and r.score is not None}
              for model, rows in records.items()}
    earlier = _earlier_outcomes(out)
    complete = written = carried = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            new = {model: _outcome(by_id[item.id]) for model, by_id in scored.items() if item.id in by_id}
            complete += len(new) == len(scored)
            previous = earlier.get(item.id, {})
            same = (previous.get("messages") == [dict(m) for m in item.messages]
                    and previous.get("reference") == item.reference
                    and all(previous.get(k) == item.params.get(k) for k in REQUEST_KEYS))
            kept = {model: o for model, o in previous.get("outcomes", {}).items() if same}
            kept.update({model: _recorded(o) for model, o in item.outcomes.items()})
            outcomes = {**kept, **new}
            carried += sum(1 for m in kept if m in records and m not in new)
            if not outcomes:
                continue  # the format needs one outcome at least; a rerun asks again
            line: dict[str, Any] = {"id": item.id, "source": item.source, "category": item.category,
                                    "messages": [dict(m) for m in item.messages]}
            if item.reference is not None:
                line["reference"] = item.reference
            line.update(item.params)
            line["outcomes"] = outcomes
            line.update(item.extra)  # the user's own keys (tags, notes) travel with the prompt
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            written += 1
    tmp.replace(out)  # a reader never sees a half-written file
    return complete, written, carried


def _earlier_outcomes(out: Path) -> dict[str, dict[str, Any]]:
    """Records of an earlier ``out`` by id (to keep models this run does not ask); unreadable lines are skipped."""
    earlier: dict[str, dict[str, Any]] = {}
    if not out.exists():
        return earlier
    for line in out.read_text(encoding="utf-8").split("\n"):
        try:
            record = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("outcomes"), dict):
            earlier[str(record.get("id"))] = record
    return earlier


def _recorded(outcome: Outcome) -> dict[str, Any]:
    fields = {"score": outcome.score, "response": outcome.response, "cost_usd": outcome.cost_usd}
    return {k: v for k, v in fields.items() if v is not None}


def _outcome(record: LiveRecord) -> dict[str, Any]:
    outcome: dict[str, Any] = {"score": float(record.score or 0.0)}  # unscored records never get here
    if record.response is not None:
        outcome["response"] = record.response
    if record.cost_usd is not None:
        outcome["cost_usd"] = record.cost_usd
    return outcome
