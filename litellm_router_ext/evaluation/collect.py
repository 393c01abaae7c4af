"""Collect outcomes: answer every prompt with every model, score each answer, write the outcome format.

``train``, ``eval``, ``calibrate`` and ``design`` read per-model outcomes; users have prompts (and often
reference answers) from their own traffic, not outcomes. This runs each model over the prompts as a
``LiveRun`` of its own (``live.py``: scored against the reference or by a judge, written as it lands,
resumable), then joins the runs into one eval-set file, one line per prompt::

    {"id", "source", "category", "messages", "reference"?, "outcomes": {model: {"score", "cost_usd"?}}}

Outcomes the input file already has for other models are kept, so a model can be added to a file later.

Per-model progress lives in ``<out>.parts/``; rerunning the same command skips every answered pair and
retries the failed ones, so an interrupted or partly failed collection loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DatasetError
from .dataset import EvalItem, EvalSet, Outcome
from .live import Judge, LiveAnswer, LiveRecord, LiveRun, ScoreMode, summarise

Ask = Callable[[EvalItem], Awaitable[LiveAnswer]]


@dataclass(frozen=True)
class Collected:
    """What a collection produced: the joined file, and per model its live-run summary."""

    out: Path
    items: int
    complete: int
    """Prompts with a scored outcome from every model (what ``train --tiers`` over all of them can use)."""
    by_model: Mapping[str, dict[str, Any]]

    @property
    def errors(self) -> int:
        return sum(int(s["errors"]) for s in self.by_model.values())


def parts_dir(out: Path) -> Path:
    return out.with_name(out.name + ".parts")


def part_path(out: Path, model: str) -> Path:
    """One model's progress file (model ids hold ``/`` and ``:``, which file names cannot)."""
    return parts_dir(out) / (re.sub(r"[^\w.-]", "_", model) + ".jsonl")


async def collect(
    eval_set: EvalSet,
    models: Sequence[str],
    ask_for: Callable[[str], Ask],
    out: Path,
    *,
    concurrency: int = 8,
    mode: ScoreMode = "auto",
    judge: Judge | None = None,
    on_done: Callable[[LiveRecord], None] | None = None,
) -> Collected:
    """Ask every model about every item (``concurrency`` calls per model at a time), then write ``out``."""
    if len(set(models)) != len(models) or not models:
        raise ConfigError("needs one or more distinct model ids", key="--models", value=list(models))
    items = list(eval_set.items)
    if mode != "judge":
        unscored = [item for item in items if item.reference is None]
        if unscored:
            raise DatasetError(f"{len(unscored)} prompt(s) have no 'reference' to score answers against; add "
                               "references or score with a judge (--score judge --judge MODEL)",
                               file=eval_set.path, line=unscored[0].line, field="reference")
    runs = {model: LiveRun(ask_for(model), part_path(out, model), concurrency=concurrency, mode=mode, judge=judge,
                           on_done=on_done) for model in models}
    finished = await asyncio.gather(*(run.run(items) for run in runs.values()))
    records = {model: [*fresh, *reused] for model, (fresh, reused) in zip(runs, finished, strict=True)}
    complete = write_outcomes(items, records, out)
    return Collected(out, len(items), complete, {model: summarise(rows) for model, rows in records.items()})


def write_outcomes(items: Sequence[EvalItem], records: Mapping[str, Sequence[LiveRecord]], out: Path) -> int:
    """Join the per-model records into ``out`` (every item, with the outcomes it has); returns complete items."""
    scored = {model: {r.id: r for r in rows if r.error is None and r.score is not None}
              for model, rows in records.items()}
    complete = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for item in items:
            outcomes = {model: _outcome(by_id[item.id]) for model, by_id in scored.items() if item.id in by_id}
            complete += len(outcomes) == len(scored)
            kept = {model: _recorded(o) for model, o in item.outcomes.items() if model not in records}
            line: dict[str, Any] = {"id": item.id, "source": item.source, "category": item.category,
                                    "messages": [dict(m) for m in item.messages]}
            if item.reference is not None:
                line["reference"] = item.reference
            line["outcomes"] = {**kept, **outcomes}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    tmp.replace(out)  # a reader never sees a half-written file
    return complete


def _recorded(outcome: Outcome) -> dict[str, Any]:
    fields = {"score": outcome.score, "response": outcome.response, "cost_usd": outcome.cost_usd}
    return {k: v for k, v in fields.items() if v is not None}


def _outcome(record: LiveRecord) -> dict[str, float]:
    outcome = {"score": float(record.score or 0.0)}  # never None here: unscored records are left out
    if record.cost_usd:  # 0.0 means LiteLLM could not price the call: let eval price it from a table
        outcome["cost_usd"] = record.cost_usd
    return outcome
