"""Resolve what each tier can serve (window, tools, vision, log-probs) from config and LiteLLM's model map."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import litellm

from ..config import TierConfig
from ..policy import TierProfile

_PRICE_KEYS = ("input_cost_per_token", "output_cost_per_token")


def tier_deployments(tier: TierConfig, router: litellm.Router) -> list[Mapping[str, Any]]:
    """The model_list entries behind a tier: each deployment of its model group, or one for the tier model."""
    if tier.model in router.model_names:
        return list(router.get_model_list(model_name=tier.model) or [])
    return [{"litellm_params": {"model": tier.litellm_params.get("model", tier.model)}}]


def underlying_models(tier: TierConfig, router: litellm.Router) -> list[str]:
    """The LiteLLM model strings behind a tier (each deployment of its model group, or the tier model)."""
    return [str(d["litellm_params"]["model"]) for d in tier_deployments(tier, router)]


def router_timeout(router: litellm.Router) -> float | None:
    """The per-attempt timeout the Router applies when neither the call nor the deployment sets one."""
    return seconds(getattr(router, "request_timeout", None) or getattr(router, "timeout", None))


def attempt_timeout(tier: TierConfig, router: litellm.Router) -> float | None:
    """The longest a call to the tier may already wait by LiteLLM's own settings: each deployment's ``timeout`` (or
    ``request_timeout``), else the Router's. None when one of them is not a number of seconds."""
    longest = 0.0
    for deployment in tier_deployments(tier, router):
        params = deployment.get("litellm_params") or {}
        value = seconds(params.get("timeout") or params.get("request_timeout")) or router_timeout(router)
        if value is None:
            return None
        longest = max(longest, value)
    return longest or None


def seconds(value: object) -> float | None:
    """A timeout as LiteLLM reads one: a number, a numeric string (``os.environ/...`` resolves to one), or an
    ``httpx.Timeout``'s read timeout; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    read = getattr(value, "read", None)  # httpx.Timeout
    return float(read) if isinstance(read, int | float) and not isinstance(read, bool) else None


@contextlib.contextmanager
def quiet_litellm() -> Iterator[None]:
    """LiteLLM prints a provider-list banner for every unknown model it is asked about; a lookup is not an error."""
    before = litellm.suppress_debug_info
    litellm.suppress_debug_info = True
    try:
        yield
    finally:
        litellm.suppress_debug_info = before


def routable(model: str) -> bool:
    """Whether LiteLLM can tell which provider serves ``model`` (``provider/model``, or a model its map knows)."""
    try:
        with quiet_litellm():
            litellm.get_llm_provider(model)
    except Exception:
        return False
    return True


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
    when the map has no price for it. A LiteLLM Router enters every deployment's model in the map, without
    prices, and ``get_model_info`` reads those missing prices as 0: only an entry that has them counts."""
    info = _model_info(model)
    entry = litellm.model_cost.get(str(info.get("key") or ""), {})
    if any(info.get(k) is None or k not in entry for k in _PRICE_KEYS):
        return None
    return float(info["input_cost_per_token"]), float(info["output_cost_per_token"])


def deployment_price(deployment: Mapping[str, Any]) -> tuple[float, float] | None:
    """USD per (prompt token, completion token) of one model_list entry: its own price (``litellm_params`` or
    ``model_info``, zero included: a local model declared free), else its model's (or ``base_model``'s) in
    LiteLLM's map; ``None`` when neither has one."""
    params = deployment.get("litellm_params") or {}
    info = deployment.get("model_info") or {}
    for own in (params, info):
        if all(own.get(k) is not None for k in _PRICE_KEYS):
            return float(own["input_cost_per_token"]), float(own["output_cost_per_token"])
    # base_model: LiteLLM prices a named deployment (Azure's shape) by it, from either place
    return model_price(str(info.get("base_model") or params.get("base_model") or params.get("model", "")))


def tier_price(tier: TierConfig, router: litellm.Router) -> tuple[float, float] | None:
    """USD per (prompt token, completion token): the override, else the priciest deployment; ``None`` if unknown."""
    if tier.price is not None:
        return tier.price.input_usd_per_mtok / 1e6, tier.price.output_usd_per_mtok / 1e6
    prices = []
    for deployment in tier_deployments(tier, router):
        price = deployment_price(deployment)
        if price is None:
            return None
        prices.append(price)
    if not prices:
        return None
    return max(p[0] for p in prices), max(p[1] for p in prices)  # the dearest input and output, separately
