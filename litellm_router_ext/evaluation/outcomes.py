"""Outcome tables: per-item quality and cost of every tier of a ladder, from some ``OutcomeSource``.

Replay mode reads them from the recorded outcomes (``RecordedOutcomes``). Live mode (not built yet) will
be another ``OutcomeSource`` that calls the tiers and records what comes back; everything downstream
(metrics, calibration, gate, reports) only sees an ``OutcomeTable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import DatasetError
from .dataset import EvalItem, EvalSet
from .prices import PriceTable, cost_matrix


@dataclass(frozen=True)
class OutcomeTable:
    """Items that have an outcome for every tier, with ``quality`` and ``cost`` of shape (n, tiers)."""

    tiers: tuple[str, ...]
    items: tuple[EvalItem, ...]
    quality: np.ndarray
    cost: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)
    """Reason -> number of items left out (e.g. ``"no outcome for gpt-4"``)."""

    @property
    def n(self) -> int:
        return len(self.items)

    def responses(self, tier: int) -> list[str | None]:
        """Recorded response text of one tier per item (``None`` where the source has none)."""
        model = self.tiers[tier]
        return [item.outcomes[model].response for item in self.items]

    def take(self, keep: np.ndarray) -> OutcomeTable:
        """The rows where the boolean mask ``keep`` is true."""
        idx = np.flatnonzero(keep)
        return OutcomeTable(self.tiers, tuple(self.items[i] for i in idx), self.quality[idx], self.cost[idx],
                            dict(self.skipped))


class OutcomeSource(Protocol):
    """Supplies the quality and cost of each tier on each item of an eval set."""

    def table(self, eval_set: EvalSet, tiers: Sequence[str]) -> OutcomeTable: ...


@dataclass(frozen=True)
class RecordedOutcomes:
    """Replay: the scores recorded in the file, costed by ``prices`` (see ``prices.py`` for the rule)."""

    prices: PriceTable
    assumed_output_tokens: int | None = None

    def table(self, eval_set: EvalSet, tiers: Sequence[str]) -> OutcomeTable:
        ladder = tuple(tiers)
        present = np.array([[m in item.outcomes for m in ladder] for item in eval_set.items], dtype=bool)
        skipped: dict[str, int] = {}
        for j, model in enumerate(ladder):
            # Count each skipped item once, under the first tier it lacks.
            first_missing = ~present[:, j] & present[:, :j].all(axis=1)
            if first_missing.any():
                skipped[f"no outcome for {model}"] = int(first_missing.sum())
        keep = np.asarray(present.all(axis=1), dtype=bool)
        if not keep.any():
            raise DatasetError(f"no item has outcomes for every tier {list(ladder)}", file=eval_set.path)
        kept = eval_set if keep.all() else eval_set.subset(keep.tolist(), "complete")
        quality = np.array([[item.outcomes[m].score for m in ladder] for item in kept.items], dtype=float)
        cost = cost_matrix(kept, ladder, self.prices, self.assumed_output_tokens)
        return OutcomeTable(ladder, kept.items, quality, cost, skipped)


def mean_recorded_cost(eval_set: EvalSet, model: str) -> float | None:
    """Mean ``cost_usd`` of the model's outcomes, or ``None`` unless every one of them records it."""
    costs = [o.cost_usd for item in eval_set.items if (o := item.outcomes.get(model)) is not None]
    known = [c for c in costs if c is not None]
    return sum(known) / len(known) if known and len(known) == len(costs) else None


def ladder_warnings(table: OutcomeTable) -> list[str]:
    """A tier that costs clearly (over 5%) more per item than the tier above it: a ladder in the wrong order.

    Requests escalate in the order of ``--tiers``, so a reversed ladder makes every router look upside down.
    """
    mean = table.cost.mean(axis=0) if table.n else np.zeros(len(table.tiers))
    return [f"the ladder is not cheapest first: {a} costs ${ca:.3g} per item, more than {b} above it (${cb:.3g}); "
            "requests escalate in the order given (--tiers, or the router config's tiers), so put the cheapest "
            "model first"
            for a, b, ca, cb in zip(table.tiers, table.tiers[1:], mean, mean[1:], strict=False) if ca > 1.05 * cb]


def cheapest_first(eval_set: EvalSet, models: Sequence[str], prices: PriceTable, *,
                   no_price_hint: str | None = None, assumed_output_tokens: int | None = None) -> list[str]:
    """``models`` ordered by their mean cost per answer on the items all of them answered, costed as replay
    costs them: the recorded ``cost_usd`` where there is one (files written by ``collect``), else tokens x the
    table's price.

    A model that needs a price the table lacks raises ``DatasetError``: the table's own message, or with
    ``no_price_hint`` one that ends in that hint.
    """
    if no_price_hint is not None:
        for m in models:
            if mean_recorded_cost(eval_set, m) is None and not prices.has(m):
                raise DatasetError(f"cannot tell which model is cheaper: {m!r} has outcomes without cost_usd and "
                                   f"no price in {prices.path}; {no_price_hint}", file=eval_set.path)
    cost = cost_matrix(eval_set, models, prices, assumed_output_tokens)
    answered = ~np.isnan(cost)
    if not answered.any(axis=0).all():
        missing = models[int(np.argmin(answered.any(axis=0)))]
        raise DatasetError(f"model {missing!r} has no outcomes in this file", file=eval_set.path)
    # Compared on the items every model answered (the ones replay keeps): a model that failed on the long
    # prompts must not look cheap because its mean skips them.
    complete = answered.all(axis=1)
    mean = cost[complete].mean(axis=0) if complete.any() else np.nanmean(cost, axis=0)
    return [models[j] for j in np.argsort(mean, kind="stable")]


def default_ladder(eval_set: EvalSet, tiers: Sequence[str] | None, prices: PriceTable,
                   assumed_output_tokens: int | None = None) -> tuple[str, ...]:
    """The tiers to evaluate, cheapest first; a 2-model file defaults to its models ordered by cost."""
    models = eval_set.model_counts()
    if tiers is None:
        if len(models) != 2:
            raise DatasetError("pass --tiers with 2 or more model ids, cheapest first; the file has: "
                               + ", ".join(models), file=eval_set.path)
        return tuple(cheapest_first(eval_set, list(models), prices, assumed_output_tokens=assumed_output_tokens,
                                    no_price_hint="pass --tiers cheapest first, and --prices FILE with its price"))
    ladder = tuple(t.strip() for t in tiers if t.strip())
    if len(ladder) < 2 or len(set(ladder)) != len(ladder):
        raise DatasetError(f"--tiers needs 2 or more distinct model ids, got {list(ladder)}", file=eval_set.path)
    missing = [t for t in ladder if t not in models]
    if missing:
        pooled = ("; 'a+b' pools models into one tier for `train` only: a router's tier is one model group, so "
                  "evaluate one model per tier" if "+" in missing[0] else "")
        raise DatasetError(f"model {missing[0]!r} has no outcomes in this file{pooled}; models present: "
                           + ", ".join(models), file=eval_set.path, field="--tiers")
    return ladder
