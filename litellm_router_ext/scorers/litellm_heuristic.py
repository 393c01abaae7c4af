"""The ``litellm-heuristic`` scorer: LiteLLM's complexity heuristic on the quantile scale of ``learned``.

LiteLLM's ``ComplexityRouter.classify`` gives an unbounded weighted score. Mapped through its quantiles over
the prompts the shipped ``learned`` artifact was trained on, it becomes a [0, 1] difficulty on the same scale,
so a config can average the two like ranks::

    scorers: [{name: learned, weight: 0.5}, {name: litellm-heuristic, weight: 0.5}]

The rules are LiteLLM's, frozen in ``data/learned/litellm_heuristic.json`` (``learned/litellm_rules.py`` says
why and how), so this costs tens of microseconds, not LiteLLM's 0.4 ms. ``params: {rules: FILE}`` reads
another rules file, e.g. one rebuilt from a newer LiteLLM.
"""

from __future__ import annotations

from pathlib import Path

from ..learned.litellm_rules import default_rules_path, load_rules, quantile
from ..types import RequestView


class LiteLLMHeuristicScorer:
    """Difficulty = quantile of LiteLLM's complexity-heuristic score among the learned model's training prompts."""

    name = "litellm-heuristic"

    def __init__(self, rules: str | Path | None = None) -> None:
        self.rules_path = Path(rules).expanduser() if rules is not None else default_rules_path()
        self.rules, self.knots = load_rules(str(self.rules_path.resolve()))

    def score(self, request: RequestView) -> float:
        return quantile(self.knots, self.rules.raw(request.text))
