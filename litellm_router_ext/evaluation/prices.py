"""Price tables (the shared ``models.json`` format) and the replay cost rule.

``{"<model id>": {"input_usd_per_mtok": float, "output_usd_per_mtok": float, ...}}``; other keys (sources,
notes) are allowed and ignored. The cost of one outcome is its recorded ``cost_usd`` when present, else::

    input_tokens * input_usd_per_mtok / 1e6 + output_tokens * output_usd_per_mtok / 1e6

at the model's price: a router config's tier ``price:`` (``PriceTable.overrides``), else the table's entry, else
LiteLLM's price map (``PriceTable.fallback``).

with cl100k_base counts of the message contents (no chat-template overhead) and of the recorded
``response``. Without a response the output length is a per-source assumption: RouteLLM's MMLU answers
were generated with ``max_new_tokens=1`` (1 token); every other source, e.g. LLMRouter, ships no outputs
and is costed on prompt tokens only (0), unless ``output_tokens`` overrides it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .dataset import EvalItem, EvalSet

DEFAULT_OUTPUT_TOKENS: Mapping[str, int] = {"routellm-mmlu": 1}
"""Assumed output tokens per source when an outcome has neither ``response`` nor ``cost_usd``."""


@dataclass(frozen=True, slots=True)
class Price:
    input_usd_per_mtok: float
    output_usd_per_mtok: float


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """A price a router config declares for a tier (``tiers[i].price``): it costs the model replayed as that tier."""

    price: Price
    file: str
    """The router config that declares it."""
    tier: str

    @property
    def source(self) -> str:
        """Where it is declared, for the report: ``router.yaml tier 'small'``."""
        return f"{self.file} tier '{self.tier}'"


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Model id -> price; ``path`` says where it came from (for messages)."""

    prices: Mapping[str, Price]
    path: str
    fallback: Callable[[str], Price | None] | None = None
    """Prices a model the table lacks (the CLI passes LiteLLM's price map); ``None`` when it cannot."""
    borrowed: dict[str, Price] = field(default_factory=dict)
    """The models ``fallback`` priced, so a report can say where their prices came from."""
    overrides: Mapping[str, PriceOverride] = field(default_factory=dict)
    """Prices a router config declares, by model: they win over the table (a recorded ``cost_usd`` still wins)."""
    overridden: set[str] = field(default_factory=set)
    """The models an override priced, so a report can say so."""

    def price(self, model: str) -> Price:
        override = self.overrides.get(model)
        if override is not None:
            self.overridden.add(model)
            return override.price
        found = self.prices.get(model) or self.borrowed.get(model)
        if found is None and self.fallback is not None:
            found = self.fallback(model)
            if found is not None:
                self.borrowed[model] = found
        if found is None:
            raise DatasetError(
                f"no price for model {model!r}, and some of its outcomes record no cost_usd"
                f"{'; nor does LiteLLM price it' if self.fallback is not None else ''}; pass --prices FILE, "
                f"a JSON of your own with {{\"{model}\": {{\"input_usd_per_mtok\": ..., "
                f"\"output_usd_per_mtok\": ...}}}}",
                file=self.path)
        return found

    def has(self, model: str) -> bool:
        """Whether ``price(model)`` would find a price."""
        try:
            self.price(model)
        except DatasetError:
            return False
        return True

    def borrowed_note(self) -> str | None:
        """What the report should say about prices taken from the fallback, if any were."""
        if not self.borrowed:
            return None
        listed = ", ".join(f"{m} ({per_mtok(p)})" for m, p in sorted(self.borrowed.items()))
        return f"priced from LiteLLM's price map, since {self.path} has no entry for them: {listed}"

    def override_notes(self) -> list[str]:
        """What the report should say about the router config's tier prices: the models they costed, and those
        whose every outcome records its ``cost_usd``, so the declared price was not needed."""
        used = [f"{m} at {per_mtok(o.price)} ({o.source})" for m, o in sorted(self.overrides.items())
                if m in self.overridden]
        notes = [f"priced from the router config's tier price where an outcome records no cost_usd (a recorded "
                 f"cost is kept): {', '.join(used)}"] if used else []
        notes += [f"{o.source} declares a price for {m}, but every outcome of {m} records its cost_usd, which "
                  "replay uses instead" for m, o in sorted(self.overrides.items()) if m not in self.overridden]
        return notes


def per_mtok(price: Price) -> str:
    """``$a / $b per M tokens in / out``, as reports write a price."""
    return f"${price.input_usd_per_mtok:g} / ${price.output_usd_per_mtok:g} per M tokens in / out"


def load_prices(path: str | Path) -> PriceTable:
    """Read a price table; ``DatasetError`` names the model and field that is wrong."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError("price file not found; pass --prices models.json", file=str(p)) from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"not valid JSON ({exc.msg})", file=str(p), line=exc.lineno) from None
    if not isinstance(data, Mapping):
        raise DatasetError("must be an object {model id: {input_usd_per_mtok, output_usd_per_mtok}}", file=str(p))
    prices: dict[str, Price] = {}
    for model, entry in data.items():
        values = []
        for key in ("input_usd_per_mtok", "output_usd_per_mtok"):
            value = entry.get(key) if isinstance(entry, Mapping) else None
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise DatasetError(f"must be a non-negative number, got {value!r}", file=str(p),
                                   field=f"{model}.{key}")
            values.append(float(value))
        prices[model] = Price(*values)
    return PriceTable(prices, str(p))


def packaged_prices_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "prices.json"


def find_prices(data_path: str | Path, explicit: str | Path | None,
                fallback: Callable[[str], Price | None] | None = None) -> PriceTable:
    """``explicit`` if given; else ``models.json`` beside the data file; else the packaged table. A model none
    of them prices is asked of ``fallback``."""
    if explicit is not None:
        table = load_prices(explicit)
    else:
        beside = Path(data_path).resolve().parent / "models.json"
        table = load_prices(beside if beside.is_file() else packaged_prices_path())
    return replace(table, fallback=fallback)


def _token_counts(eval_set: EvalSet, key: str, texts: Sequence[str]) -> np.ndarray:
    from ..adapters.tokens import count_tokens

    cached = eval_set.cache.get(key)
    if cached is None:
        cached = np.asarray(count_tokens(texts), dtype=float)
        eval_set.cache[key] = cached
    return np.asarray(cached)


def input_tokens(eval_set: EvalSet) -> np.ndarray:
    """cl100k_base tokens of every item's message contents (computed once per set)."""
    return _token_counts(eval_set, "input_tokens", [item.input_text for item in eval_set.items])


def output_tokens(eval_set: EvalSet, model: str, assumed: int | None = None) -> np.ndarray:
    """Output tokens of ``model`` per item: its response's count, else the source's assumed length."""
    items = eval_set.items
    has_response = [(i, o.response) for i, item in enumerate(items)
                    if (o := item.outcomes.get(model)) is not None and o.response is not None]
    counts = _token_counts(eval_set, f"output_tokens:{model}", [text for _, text in has_response])
    out = np.array([_assumed(item, assumed) for item in items], dtype=float)
    if has_response:
        out[[i for i, _ in has_response]] = counts
    return out


def _assumed(item: EvalItem, assumed: int | None) -> int:
    return assumed if assumed is not None else DEFAULT_OUTPUT_TOKENS.get(item.source, 0)


def cost_matrix(eval_set: EvalSet, models: Sequence[str], prices: PriceTable,
                assumed_output_tokens: int | None = None) -> np.ndarray:
    """USD cost of each (item, model): recorded ``cost_usd`` where present, else tokens x price.

    Items where a model has no outcome get NaN (the caller decides whether to skip them).
    """
    n = len(eval_set)
    out = np.full((n, len(models)), np.nan)
    tokens_in: np.ndarray | None = None
    for j, model in enumerate(models):
        recorded = np.array([np.nan if (o := item.outcomes.get(model)) is None or o.cost_usd is None
                             else o.cost_usd for item in eval_set.items])
        present = np.array([model in item.outcomes for item in eval_set.items])
        need = present & np.isnan(recorded)
        if need.any():
            if tokens_in is None:
                tokens_in = input_tokens(eval_set)
            price = prices.price(model)
            computed = (tokens_in * price.input_usd_per_mtok
                        + output_tokens(eval_set, model, assumed_output_tokens) * price.output_usd_per_mtok) / 1e6
            recorded = np.where(need, computed, recorded)
        out[:, j] = recorded
    return out
