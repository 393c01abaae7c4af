"""Synthetic routing populations with known difficulty, and the shared data location (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from litellm_router_ext.config import ScorerConfig
from litellm_router_ext.evaluation.dataset import EvalItem, Outcome
from litellm_router_ext.evaluation.design import Family
from litellm_router_ext.evaluation.outcomes import OutcomeTable

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MODELS = ("cheap", "mid", "top")
COSTS = np.array([1.0, 3.0, 10.0])


def population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quality (n, 3), cost (n, 3), noisy difficulty score (n,)): harder items defeat cheaper models first."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(size=n)
    p_right = np.stack([0.97 - 0.9 * difficulty, 0.98 - 0.6 * difficulty, 0.99 - 0.3 * difficulty], axis=1)
    luck = rng.uniform(size=(n, 1))  # one draw per item: a model right on it makes every stronger one right too
    quality = (luck < p_right).astype(float)
    cost = COSTS[None, :] * rng.uniform(0.5, 1.5, size=(n, 1))
    score = np.clip(difficulty + rng.normal(0, 0.15, size=n), 0, 1)
    return quality, cost, score


def table_of(quality: np.ndarray, cost: np.ndarray) -> OutcomeTable:
    items = tuple(EvalItem(f"s-{i}", "s", None, ({"role": "user", "content": "q"},),
                           {m: Outcome(float(quality[i, j])) for j, m in enumerate(MODELS)})
                  for i in range(len(quality)))
    return OutcomeTable(MODELS, items, quality, cost)


def family(scores: np.ndarray) -> Family:
    return Family("heuristic", ScorerConfig(name="heuristic"), scores)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED / "llmrouter-train.jsonl").is_file():
        pytest.skip(f"shared data not found at {SHARED}")
    return SHARED
