"""The monitor's Prometheus series land in prometheus_client's default registry (what LiteLLM serves)."""

from __future__ import annotations

import litellm
from prometheus_client import REGISTRY

import litellm_router_ext as lre


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_requests_escalations_and_rolling_rate_are_exported() -> None:
    before = sample("litellm_router_ext_requests_total", router="m", tier="large") or 0.0
    escalated_before = sample("litellm_router_ext_escalations_total", router="m") or 0.0
    lre.install(
        {
            "alias": "m",
            "thresholds": [0.99],
            "cascade": {"validators": [{"name": "refusal"}]},
            "tiers": [
                {
                    "name": "small",
                    "model": "gpt-4o-mini",
                    "litellm_params": {"mock_response": "I cannot help with that."},
                },
                {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": "Sure, here it is."}},
            ],
        }
    )
    try:
        for _ in range(3):
            litellm.completion(model="tiered/m", messages=[{"role": "user", "content": "hi"}])
    finally:
        lre.uninstall()
    assert sample("litellm_router_ext_requests_total", router="m", tier="large") == before + 3
    assert sample("litellm_router_ext_escalations_total", router="m") == escalated_before + 3
    assert sample("litellm_router_ext_escalation_rate", router="m") == 1.0
    assert sample("litellm_router_ext_bottom_tier_share", router="m") == 0.0
