"""A user scorer loaded by dotted path in tests (the way a third party plugs one in)."""

from __future__ import annotations

from litellm_router_ext.types import RequestView


class LengthScorer:
    name = "length"

    def __init__(self, full_at: int = 100) -> None:
        self.full_at = full_at

    def score(self, request: RequestView) -> float:
        return min(1.0, len(request.text) / self.full_at)


def not_a_scorer() -> object:
    return object()
