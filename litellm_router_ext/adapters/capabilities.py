"""Resolve what each tier can serve (window, tools, vision, log-probs) from config and LiteLLM's model map."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import litellm

from ..config import TierConfig
from ..policy import TierProfile


def underlying_models(tier: TierConfig, router: litellm.Router) -> list[str]:
    """The LiteLLM model strings behind a tier (each deployment of its model group, or the tier model)."""
    if tier.model in router.model_names:
        return [d["litellm_params"]["model"] for d in router.get_model_list(model_name=tier.model) or []]
    return [tier.litellm_params.get("model", tier.model)]


@contextlib.contextmanager
def quiet_litellm() -> Iterator[None]:
    """LiteLLM prints a provider-list banner for every unknown model it is asked about; a lookup is not an error."""
    before = litellm.suppress_debug_info
    litellm.suppress_debug_info = True
    try:
        yield
    finally:
        litellm.suppress_debug_info = before


def _model_info(model: str) -> dict[str, Any]:
    try:
        with quiet_litellm():
            return dict(litellm.get_model_info(model))
    except Exception:  # unknown to LiteLLM's map: nothing is known, nothing is assumed missing
        return {}


def tier_profile(tier: TierConfig, router: litellm.Router) -> TierProfile:
    """Config values win; otherwise the *least* capable deployment of the group decides (it may be picked)."""
    infos = [_model_info(m) for m in underlying_models(tier, router)]
    windows = [i["max_input_tokens"] for i in infos if i.get("max_input_tokens")]
    tools = [i.get("supports_function_calling") for i in infos if "supports_function_calling" in i]
    vision = [i.get("supports_vision") for i in infos if "supports_vision" in i]
    return TierProfile(
        name=tier.name,
        model=tier.model,
        max_context_tokens=tier.max_context_tokens or (min(windows) if windows else None),
        supports_tools=tier.supports_tools if tier.supports_tools is not None else all(t is not False for t in tools),
        supports_vision=tier.supports_vision
        if tier.supports_vision is not None
        else all(v is True for v in vision)
        if vision
        else True,
    )


def supports_logprobs(tier: TierConfig, router: litellm.Router) -> bool:
    """Whether asking this tier for ``logprobs`` is expected to work (config first, then the provider)."""
    if tier.supports_logprobs is not None:
        return tier.supports_logprobs
    for model in underlying_models(tier, router):
        try:
            with quiet_litellm():
                _, provider, _, _ = litellm.get_llm_provider(model)
        except Exception:
            return False
        params = litellm.get_supported_openai_params(model=model, custom_llm_provider=provider) or []
        if "logprobs" not in params:
            return False
    return True


def model_price(model: str) -> tuple[float, float] | None:
    """USD per (prompt token, completion token) in LiteLLM's price map (the copy this process loaded); ``None``
    when it lacks either."""
    info = _model_info(model)
    if info.get("input_cost_per_token") is None or info.get("output_cost_per_token") is None:
        return None
    return float(info["input_cost_per_token"]), float(info["output_cost_per_token"])


def tier_price(tier: TierConfig, router: litellm.Router) -> tuple[float, float] | None:
    """USD per (prompt token, completion token): the override, else the priciest deployment; ``None`` if unknown."""
    if tier.price is not None:
        return tier.price.input_usd_per_mtok / 1e6, tier.price.output_usd_per_mtok / 1e6
    prices = []
    for model in underlying_models(tier, router):
        price = model_price(model)
        if price is None:
            return None
        prices.append(price)
    if not prices:
        return None
    return max(p[0] for p in prices), max(p[1] for p in prices)  # the dearest input and output, separately
