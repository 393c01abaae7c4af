"""Small builders shared by tests of different layers."""

from __future__ import annotations

from litellm_router_ext.types import Decision


def decision(tier: str = "small", index: int = 0, escalations: int = 0) -> Decision:
    """A routing decision as the monitor records it (no scores, no attempts)."""
    return Decision(router="r", tier=tier, tier_index=index, model="m", cause="threshold", difficulty=0.1,
                    scores={}, decision_us=1.0, escalations=escalations)
