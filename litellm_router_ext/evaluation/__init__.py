"""Evaluation harness: replay routers over recorded outcomes, calibrate thresholds, gate quality in CI.

Flow: ``dataset`` (JSONL eval sets) -> ``outcomes`` (an ``OutcomeSource`` builds the per-tier quality/cost
table; replay reads recorded outcomes, costed by ``prices``) -> ``routers`` (difficulty scores per item)
-> ``replay`` / ``calibrate`` / ``gate`` (numbers, from the pure ``metrics``) -> ``report`` / ``plot``.
"""

from .dataset import EvalItem, EvalSet, Outcome, load_eval_set, sample_eval_path
from .outcomes import OutcomeSource, OutcomeTable, RecordedOutcomes
from .prices import PriceTable, load_prices
from .replay import EvalReport, RouterResult, evaluate

__all__ = [
    "EvalItem",
    "EvalReport",
    "EvalSet",
    "Outcome",
    "OutcomeSource",
    "OutcomeTable",
    "PriceTable",
    "RecordedOutcomes",
    "RouterResult",
    "evaluate",
    "load_eval_set",
    "load_prices",
    "sample_eval_path",
]
