"""What a tier costs, as the runtime's budget reads it: a deployment's own price, else LiteLLM's map, else unknown."""

from __future__ import annotations

import litellm
import pytest

from litellm_router_ext.adapters.capabilities import model_price, tier_price
from litellm_router_ext.config import TierConfig


def _router() -> litellm.Router:
    def group(name: str, model: str, **extra: object) -> dict[str, object]:
        info = extra.pop("model_info", None)
        return {"model_name": name, "litellm_params": {"model": model, "api_key": "x", **extra},
                **({"model_info": info} if info else {})}

    return litellm.Router(model_list=[
        group("mapped", "openai/gpt-4o-mini"),
        group("unpriced", "openai/my-unpriced"),
        group("declared", "openai/my-declared", input_cost_per_token=1e-6, output_cost_per_token=2e-6),
        group("free", "openai/my-local", input_cost_per_token=0.0, output_cost_per_token=0.0),
        group("based", "openai/my-finetune", model_info={"base_model": "gpt-4o"}),
        group("named", "azure/my-deployment", base_model="gpt-4o", api_base="https://x.invalid"),
        group("pool", "openai/gpt-4o-mini"), group("pool", "openai/my-unpriced-2"),
    ])


def test_a_tier_costs_its_deployments_own_price_else_the_maps_else_unknown() -> None:
    router = _router()
    mini, big = model_price("gpt-4o-mini"), model_price("gpt-4o")
    assert mini is not None and big is not None and mini[0] > 0

    def price(group: str) -> tuple[float, float] | None:
        return tier_price(TierConfig(name=group, model=group), router)

    assert price("mapped") == mini and price("based") == big and price("named") == big
    assert price("declared") == (1e-6, 2e-6) and price("free") == (0.0, 0.0)
    # the Router enters these in LiteLLM's map without prices, which get_model_info reads as 0: not free
    assert price("unpriced") is None and model_price("openai/my-unpriced") is None
    assert price("pool") is None  # one unpriced deployment: the group's dearest price is unknown
    assert litellm.get_model_info("openai/my-unpriced")["input_cost_per_token"] == pytest.approx(0.0)
