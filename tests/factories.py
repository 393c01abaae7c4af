"""Small builders and fakes shared by tests of different layers."""

from __future__ import annotations

from typing import Any

from litellm_router_ext.types import Decision


def decision(tier: str = "small", index: int = 0, escalations: int = 0) -> Decision:
    """A routing decision as the monitor records it (no scores, no attempts)."""
    return Decision(router="r", tier=tier, tier_index=index, model="m", cause="threshold", difficulty=0.1,
                    scores={}, decision_us=1.0, escalations=escalations)


class FakeStream:
    """What the proxy hands its hooks for a stream: hidden params, a logging object, and chunks that arrive later."""

    def __init__(self, chunks: list[Any]) -> None:
        self._hidden_params: dict[str, Any] = {"additional_headers": {}}
        self.logging_obj = object()
        self.chunks = chunks

    def __aiter__(self) -> Any:
        return self._gen()

    async def _gen(self) -> Any:
        for c in self.chunks:
            yield c
