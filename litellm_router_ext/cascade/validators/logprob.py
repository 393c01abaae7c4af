"""Token log-prob confidence: accept when the answer's mean and weakest token log-probs clear thresholds."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field

from ...types import Verdict
from ..base import Answer
from ._params import Params


class LogprobParams(Params):
    min_mean: float = Field(default=-0.5, le=0, description="Lowest allowed mean token log-prob")
    min_token: float | None = Field(default=None, le=0, description="Lowest allowed single-token log-prob")


class LogprobValidator:
    """Score = geometric-mean token probability, exp(mean log-prob), in [0, 1]."""

    needs_logprobs: ClassVar[bool] = True
    needs_samples: ClassVar[int] = 1
    can_stream: ClassVar[bool] = False

    def __init__(
        self, params: LogprobParams, *, on_missing: Literal["skip", "fail"] = "skip", name: str = "logprob"
    ) -> None:
        self.params = params
        self.on_missing = on_missing
        self.name = name

    def check(self, answer: Answer) -> Verdict:
        lps = answer.token_logprobs
        if not lps:
            # A tier without log-probs (or an empty answer) gives nothing to judge; the config decides.
            if self.on_missing == "skip":
                return Verdict(True, self.name, None, "no logprobs, skipped", skipped=True)
            return Verdict(False, self.name, 0.0, "no logprobs (on_missing_logprobs=fail)")
        finite = [lp if math.isfinite(lp) else -1e9 for lp in lps]
        mean = sum(finite) / len(finite)
        score = math.exp(max(mean, -50.0))
        if mean < self.params.min_mean:
            return Verdict(False, self.name, score, f"mean logprob {mean:.3f} < {self.params.min_mean}")
        low = min(finite)
        if self.params.min_token is not None and low < self.params.min_token:
            return Verdict(False, self.name, score, f"min token logprob {low:.3f} < {self.params.min_token}")
        return Verdict(True, self.name, score, f"mean logprob {mean:.3f}")
