"""LiteLLM's own complexity-router scorers, called through LiteLLM's code, as continuous difficulty baselines.

- ``litellm-heuristic``: ``ComplexityRouter.classify(prompt)``'s weighted score (the number LiteLLM cuts with
  its tier boundaries), default config.
- ``litellm-heuristic-v2``: ``TierSuccessPredictor`` with the bundled ``ultrafeedback`` artifact, fed the
  request type from LiteLLM's own ``classify_prompt``. Its output is a success probability per LiteLLM
  tier; the difficulty is ``1 - P(success at the cheapest tier)``, i.e. how unlikely the cheapest tier is
  to be good enough, which is what heuristic_v2 thresholds when it picks the first tier.

Both see only the prompt text (the last user message), as LiteLLM's router does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

LITELLM_BASELINES = ("litellm-heuristic", "litellm-heuristic-v2")


@lru_cache(maxsize=1)
def _complexity_router() -> Any:
    from litellm.router_strategy.complexity_router.complexity_router import ComplexityRouter

    # classify() never touches the Router instance; the default config is LiteLLM's shipped behaviour.
    return ComplexityRouter(model_name="litellm-router-ext-baseline", litellm_router_instance=None)


@lru_cache(maxsize=1)
def _v2_predictor() -> tuple[Any, Callable[[str], Any]]:
    from litellm.router_strategy.adaptive_router.classifier import classify_prompt
    from litellm.router_strategy.complexity_router.tier_predictor import (
        TierSuccessPredictor,
        resolve_tier_artifact,
    )

    return TierSuccessPredictor(resolve_tier_artifact("ultrafeedback")), classify_prompt


def litellm_heuristic_score(prompt: str) -> float:
    """LiteLLM complexity heuristic's weighted score of one prompt (unbounded; higher is harder)."""
    return float(_complexity_router().classify(prompt)[1])


def litellm_heuristic_scores(prompts: Sequence[str]) -> np.ndarray:
    """``litellm_heuristic_score`` of each prompt."""
    return np.fromiter((litellm_heuristic_score(p) for p in prompts), dtype=float, count=len(prompts))


def litellm_heuristic_v2_scores(prompts: Sequence[str]) -> np.ndarray:
    """``1 - P(cheapest LiteLLM tier succeeds)`` per prompt from heuristic_v2's predictor, in [0, 1]."""
    predictor, classify_prompt = _v2_predictor()
    out = np.empty(len(prompts))
    for i, prompt in enumerate(prompts):
        out[i] = 1.0 - predictor.predict(prompt, classify_prompt(prompt)).probabilities[1]
    return out


def litellm_baseline_scores(name: str, prompts: Sequence[str]) -> np.ndarray:
    """Scores of one named LiteLLM baseline; ``KeyError`` for a name not in ``LITELLM_BASELINES``."""
    scorers = {"litellm-heuristic": litellm_heuristic_scores, "litellm-heuristic-v2": litellm_heuristic_v2_scores}
    return scorers[name](prompts)
