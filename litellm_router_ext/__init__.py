"""litellm-router-ext: difficulty-based tier routing and confidence-gated escalation for LiteLLM.

Quick start::

    import litellm, litellm_router_ext
    litellm_router_ext.install("router.yaml")          # registers model="tiered/<alias>"
    litellm.completion(model="tiered/default", messages=[{"role": "user", "content": "hi"}])

Only ``adapters`` imports LiteLLM; ``install`` loads it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import CascadeConfig, RouterConfig, RouterFile, ScorerConfig, TierConfig, load_config
from .errors import (
    AllTiersFailedError,
    ArtifactError,
    ConfigError,
    DatasetError,
    RequestError,
    RouterExtError,
    UnknownRouterError,
)
from .policy import TierPolicy, TierProfile
from .types import Attempt, Decision, RequestView, Verdict

if TYPE_CHECKING:
    from .adapters.provider import TieredProvider

__version__ = "0.1.0"


def install(*args: Any, **kwargs: Any) -> TieredProvider:
    """Register ``tiered/<alias>`` with LiteLLM for every router in a config. See ``adapters.provider.install``."""
    from .adapters.provider import install as _install

    return _install(*args, **kwargs)


def uninstall(provider: str = "tiered") -> None:
    """Remove the ``tiered`` provider from LiteLLM."""
    from .adapters.provider import uninstall as _uninstall

    _uninstall(provider)


def decision_of(response: Any) -> Decision | dict[str, Any] | None:
    """The routing record of a response (a dict), or of a stream chunk that carries it; ``None`` if absent."""
    hidden = getattr(response, "_hidden_params", None) or {}
    if "tiered_routing" in hidden:
        return dict(hidden["tiered_routing"])
    try:
        fields = response.choices[0].delta.provider_specific_fields or {}
    except (AttributeError, IndexError):
        return None
    return dict(fields["tiered_routing"]) if "tiered_routing" in fields else None


__all__ = [
    "AllTiersFailedError",
    "ArtifactError",
    "Attempt",
    "CascadeConfig",
    "ConfigError",
    "DatasetError",
    "Decision",
    "RequestError",
    "RequestView",
    "RouterConfig",
    "RouterExtError",
    "RouterFile",
    "ScorerConfig",
    "TierConfig",
    "TierPolicy",
    "TierProfile",
    "UnknownRouterError",
    "Verdict",
    "__version__",
    "decision_of",
    "install",
    "load_config",
    "uninstall",
]
