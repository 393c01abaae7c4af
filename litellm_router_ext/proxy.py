"""Objects the LiteLLM proxy's config.yaml refers to by dotted path (see docs/proxy.md)::

litellm_settings:
  custom_provider_map: [{provider: tiered, custom_handler: litellm_router_ext.proxy.tiered_provider}]
  callbacks: litellm_router_ext.proxy.router_headers
"""

from __future__ import annotations

from .adapters.proxy import ProxyTieredProvider, RouterHeaders

tiered_provider = ProxyTieredProvider()
"""Serves ``tiered/<alias>``; reads ``$LITELLM_ROUTER_EXT_CONFIG`` or router.yaml beside config.yaml."""

router_headers = RouterHeaders()
"""Adds x-router-tier / -model / -escalations / -cost-usd to every response."""

__all__ = ["router_headers", "tiered_provider"]
