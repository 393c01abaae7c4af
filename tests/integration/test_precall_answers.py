"""dispatch: precall answers as every proxy answer does: a whole answer names the model the client called, even
when a fallback tier served it, and a stream's first chunk carries the decision; an unknown alias says where the
proxy's routers come from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import Process, Proxy, start_proxy_config, start_stub

pytestmark = pytest.mark.integration

ROUTER_YAML = """\
routers:
  - alias: default
    dispatch: precall
    tiers: [{name: small, model: small}, {name: large, model: large}]
    thresholds: [0.5]
"""


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process]) -> Proxy:
    small = start_stub(module_tmp, "pa-small", "--status", "500")  # the bottom tier's provider is failing
    large = start_stub(module_tmp, "pa-large", "--reply", "large answer")
    processes.extend([small.process, large.process])

    def group(name: str, model: str, base: str) -> dict[str, Any]:
        return {"model_name": name, "litellm_params": {"model": model, "api_key": "sk-fake", "api_base": base}}

    config = {
        "model_list": [
            group("small", "openai/gpt-4.1-mini", small.base_url),
            group("large", "openai/gpt-4.1", large.base_url),
            {"model_name": "default", "litellm_params": {"model": "tiered/default"}},
        ],
        "router_settings": {"num_retries": 0, "timeout": 30},
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": "tiered", "custom_handler": "litellm_router_ext.proxy.tiered_provider"}
            ],
            "callbacks": ["litellm_router_ext.proxy.router_headers"],
        },
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }
    (module_tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (module_tmp / "router.yaml").write_text(ROUTER_YAML)
    started = start_proxy_config(module_tmp, module_tmp / "config.yaml", {})
    processes.append(started.process)
    return started


def _post(proxy: Proxy, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60)


def test_a_fallback_answer_names_the_model_the_client_called(proxy: Proxy) -> None:
    # LiteLLM's fallback answer named its upstream model ("gpt-4.1"), a name the client never used
    response = _post(proxy, {"model": "default", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["x-router-tier"] == "large"
    assert response.json()["model"] == "default"


def test_an_unknown_alias_says_where_the_proxys_routers_come_from(proxy: Proxy) -> None:
    # not the SDK's install(...): a proxy operator edits router.yaml (or the file $LITELLM_ROUTER_EXT_CONFIG names)
    response = _post(proxy, {"model": "tiered/nosuch", "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert "router.yaml beside its config.yaml" in message and "installed: default" in message, message


def test_a_precall_streams_first_chunk_carries_the_decision(proxy: Proxy) -> None:
    # as a stream through the tiered provider does (docs/proxy.md)
    body = {"model": "default", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers,
                      timeout=60) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
    first = events[0]["choices"][0]["delta"]
    decision = (first.get("provider_specific_fields") or {}).get("tiered_routing")
    assert isinstance(decision, dict) and decision["tier"] == "large", first
    assert sum("tiered_routing" in json.dumps(e) for e in events) == 1  # once, on the first chunk
