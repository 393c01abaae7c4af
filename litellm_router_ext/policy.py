"""Tier policy: scorer outputs + thresholds + hard constraints -> the first tier to try.

Order of precedence, each step only ever moving *up* the ladder except ``force_tier``:

1. threshold: the weighted mean of the scorers' difficulties, cut by the router's thresholds;
2. floors: ``metadata.min_tier`` (override) and the tier the conversation already reached (sticky);
3. ``metadata.force_tier`` replaces all of the above (override);
4. hard constraints: tools, images or a context longer than a tier's window skip tiers that cannot serve
   the request (constraint). If no tier can, the request is refused with ``RequestError``.

Pure: no LiteLLM, no I/O; tier capabilities arrive as ``TierProfile`` values resolved by the adapter.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .config import RouterConfig
from .errors import ConfigError, RequestError
from .scorers import build_scorer
from .scorers.base import DifficultyScorer
from .state import ConversationMemory
from .types import Cause, Decision, RequestView


@dataclass(frozen=True, slots=True)
class TierProfile:
    """What a tier can serve. Unknown capabilities are assumed present (never block on a guess)."""

    name: str
    model: str
    max_context_tokens: int | None = None
    supports_tools: bool = True
    supports_vision: bool = True

    def refusal(self, request: RequestView) -> str | None:
        """Why this tier cannot serve the request, or ``None`` when it can."""
        if request.needs_tools and not self.supports_tools:
            return "needs tools"
        if request.has_images and not self.supports_vision:
            return "has images"
        if self.max_context_tokens is not None and request.approx_tokens > self.max_context_tokens:
            return f"~{request.approx_tokens} tokens > window {self.max_context_tokens}"
        return None


class TierPolicy:
    """Chooses the first tier for a request and the next eligible tier for an escalation."""

    def __init__(
        self,
        config: RouterConfig,
        scorers: Sequence[DifficultyScorer],
        profiles: Sequence[TierProfile] | None = None,
        memory: ConversationMemory | None = None,
    ) -> None:
        if len(scorers) != len(config.scorers):
            raise ValueError("one scorer instance per ScorerConfig is required")
        self.config = config
        self.scorers = tuple(scorers)
        self._weights = tuple(s.weight for s in config.scorers)
        self._total_weight = sum(self._weights)
        self.profiles = (
            tuple(profiles)
            if profiles is not None
            else tuple(
                TierProfile(
                    t.name, t.model, t.max_context_tokens, t.supports_tools is not False, t.supports_vision is not False
                )
                for t in config.tiers
            )
        )
        if len(self.profiles) != len(config.tiers):
            raise ValueError("one TierProfile per tier is required")
        self.memory = memory if config.sticky else None

    @classmethod
    def from_config(
        cls,
        config: RouterConfig,
        profiles: Sequence[TierProfile] | None = None,
        memory: ConversationMemory | None = None,
    ) -> TierPolicy:
        scorers = [build_scorer(s, key=f"{config.alias}.scorers[{i}]") for i, s in enumerate(config.scorers)]
        return cls(config, scorers, profiles, memory)

    def difficulty(self, request: RequestView) -> tuple[float, dict[str, float]]:
        """Weighted mean difficulty and each scorer's own score (clamped to [0, 1])."""
        if len(self.scorers) == 1:  # the common case, without the loop's bookkeeping
            value = min(1.0, max(0.0, float(self.scorers[0].score(request))))
            return value, {self.scorers[0].name: value}
        scores: dict[str, float] = {}
        total = 0.0
        for scorer, weight in zip(self.scorers, self._weights, strict=True):
            value = min(1.0, max(0.0, float(scorer.score(request))))
            scores[scorer.name] = value
            total += weight * value
        return total / self._total_weight, scores

    def tier_for(self, difficulty: float) -> int:
        """Index of the tier the thresholds assign to this difficulty."""
        return bisect.bisect_right(self.config.thresholds, difficulty)

    def eligible_tiers(self, request: RequestView, start: int = 0) -> list[int]:
        """Every tier at or above ``start`` that can serve the request, cheapest first: with ``force_tier``, that
        tier alone (a forced request neither escalates nor falls back)."""
        if request.force_tier is not None:
            index = self._override_index(request.force_tier, "force_tier")
            return [index] if index >= start and self.profiles[index].refusal(request) is None else []
        return [i for i in range(start, len(self.profiles)) if self.profiles[i].refusal(request) is None]

    def eligible(self, request: RequestView, start: int) -> int | None:
        """The first tier at or above ``start`` that can serve the request."""
        for index in range(start, len(self.profiles)):
            if self.profiles[index].refusal(request) is None:
                return index
        return None

    def decide(self, request: RequestView) -> Decision:
        """The first tier to try, with scores and the cause; ``RequestError`` if no tier can serve it."""
        started = time.perf_counter_ns()
        difficulty, scores = self.difficulty(request)
        index = self.tier_for(difficulty)
        cause: Cause = "threshold"
        if request.min_tier is not None:
            floor = self._override_index(request.min_tier, "min_tier")
            if floor > index:
                index, cause = floor, "override"
        if self.memory is not None and request.history_key is not None:
            reached = self.memory.get(self._memory_key(request.history_key))
            if reached is not None and reached > index:
                index, cause = min(reached, len(self.profiles) - 1), "sticky"
        if request.force_tier is not None:
            index, cause = self._override_index(request.force_tier, "force_tier"), "override"
            why = self.profiles[index].refusal(request)
            if why is not None:
                raise RequestError(f"force_tier {request.force_tier!r} cannot serve this request ({why})")
        served = self.eligible(request, index)
        if served is None:
            reasons = "; ".join(f"{p.name}: {p.refusal(request)}" for p in self.profiles[index:])
            raise RequestError(f"router '{self.config.alias}': no tier can serve this request ({reasons})")
        if served != index:
            index, cause = served, "constraint"
        profile = self.profiles[index]
        return Decision(
            router=self.config.alias,
            tier=profile.name,
            tier_index=index,
            model=profile.model,
            cause=cause,
            difficulty=difficulty,
            scores=scores,
            decision_us=(time.perf_counter_ns() - started) / 1000,
            first_tier=profile.name,
        )

    def remember(self, conversation_key: str, tier_index: int) -> None:
        """Record that the conversation ending in ``conversation_key`` reached ``tier_index``."""
        if self.memory is not None:
            self.memory.put(self._memory_key(conversation_key), tier_index)

    def _memory_key(self, conversation_key: str) -> str:
        # Routers of one file share one memory; a tier index means something on its own ladder only.
        return f"{self.config.alias}:{conversation_key}"

    def _override_index(self, value: str | int, key: str) -> int:
        try:
            return self.config.tier_index(value)
        except ConfigError:
            names = ", ".join(t.name for t in self.config.tiers)
            raise RequestError(
                f"metadata.{key}={value!r} names no tier of router '{self.config.alias}'; use one of: {names}"
            ) from None
