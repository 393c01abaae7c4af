"""The learned scorer as a classifier plugin for LiteLLM's own complexity router.

In a LiteLLM proxy config (full example: ``configs/proxy/complexity-router-learned.yaml``)::

    model_list:
      - model_name: smart
        litellm_params:
          model: auto_router/complexity_router
          complexity_router_config:
            classifier_type: custom
            classifier_plugin: litellm_router_ext.adapters.complexity_plugin.default_plugin
            tiers: {SIMPLE: small, MEDIUM: small, COMPLEX: large, REASONING: large}

In the SDK, put a ``LearnedClassifierPlugin(...)`` instance itself under ``classifier_plugin``.

``classify(context)`` scores the last user message and returns the name of the tier whose cut it
reaches. The default cuts the score (a quantile of the training prompts) into LiteLLM's four
built-in tiers at 0.25/0.5/0.75; pass your own ``tiers`` and ``cuts`` for a custom tier set (LiteLLM then
also wants those names in ``tier_definitions`` and a ``fallback_tier``).

The shipped artifact already blends in LiteLLM's own keyword heuristic (its rules frozen inside it), which
is what makes it beat that heuristic on benchmarks left out of training (``docs/learned.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import RequestError
from ..scorers.learned import LearnedScorer
from ..types import RequestView

DEFAULT_TIERS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
DEFAULT_CUTS = (0.25, 0.5, 0.75)


class LearnedClassifierPlugin:
    """LiteLLM ``ClassifierPlugin``: ``async classify(context) -> tier name | None``.

    ``artifact``: a relative path is read from the process's working directory (a router config reads it from
    the config's folder; a module has no such anchor), so in a module of yours write
    ``Path(__file__).with_name("mine.npz")``.
    """

    def __init__(
        self,
        artifact: str | Path | None = None,
        tiers: Sequence[str] = DEFAULT_TIERS,
        cuts: Sequence[float] = DEFAULT_CUTS,
    ) -> None:
        if len(cuts) != len(tiers) - 1 or list(cuts) != sorted(cuts) or not all(0 <= c <= 1 for c in cuts):
            raise ValueError(
                f"cuts must be {len(tiers) - 1} increasing values in [0, 1], one per tier above "
                f"the first ({', '.join(tiers[1:])}); got {list(cuts)}"
            )
        self.scorer = LearnedScorer(artifact)
        self.tiers = tuple(tiers)
        self.cuts = tuple(cuts)

    def tier_for(self, difficulty: float) -> str:
        index = sum(1 for c in self.cuts if difficulty >= c)
        return self.tiers[index]

    async def classify(self, context: Any) -> str | None:
        messages = _messages(context)
        if not messages:
            return None  # nothing to score: let LiteLLM's classifier_fallback decide
        try:
            view = RequestView.from_openai(messages)
        except RequestError:
            return None
        return self.tier_for(self.scorer.score(view))


def _messages(context: Any) -> list[Mapping[str, Any]]:
    for name in ("structured_messages", "raw_messages"):
        value = getattr(context, name, None)
        if value is None and isinstance(context, Mapping):
            value = context.get(name)
        if value:
            return list(value)
    return []


default_plugin = LearnedClassifierPlugin()
