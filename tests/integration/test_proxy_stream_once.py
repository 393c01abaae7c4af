"""Through a real `litellm --config` proxy: a stream carries the routing decision in one chunk, once, and every
response carries the four x-router-* headers and no `llm_provider-x-router-*` copies of them.

Two routers on the same stub upstreams: the local-slm recipe's (a cascade in buffer mode: the checked answer
is replayed as a stream) and `live` (no cascade: the tier's own stream is relayed chunk by chunk).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from litellm_router_ext.recipes import install_recipe

from .conftest import Process, Proxy, Stub, local_slm_env, start_proxy_config, start_stub
from .test_proxy import HARD, ROUTER_HEADERS

pytestmark = pytest.mark.integration

MODELS = {"buffer": "local-slm", "live": "live"}


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process]) -> Proxy:
    local: Stub = start_stub(module_tmp, "once-local", "--reply", "local answer", "--logprob", "-0.05")
    frontier: Stub = start_stub(module_tmp, "once-frontier", "--reply", "frontier answer in four words")
    processes.extend([local.process, frontier.process])
    env = local_slm_env(local, frontier)
    installed = install_recipe("local-slm", module_tmp / "once")
    # A second router, `live`, whose streams are relayed, not buffered (no cascade), served as model `live`.
    router_file = installed.proxy_config.with_name("router.yaml")
    routers = yaml.safe_load(router_file.read_text())
    live = {k: copy.deepcopy(v) for k, v in routers["routers"][0].items() if k != "cascade"}
    routers["routers"].append({**live, "alias": "live"})  # copies: the loader refuses YAML aliases
    router_file.write_text(yaml.safe_dump(routers, sort_keys=False))
    proxy_config = yaml.safe_load(installed.proxy_config.read_text())
    proxy_config["model_list"].append({"model_name": "live", "litellm_params": {"model": "tiered/live"}})
    installed.proxy_config.write_text(yaml.safe_dump(proxy_config, sort_keys=False))
    p = start_proxy_config(module_tmp / "once", installed.proxy_config, env)
    processes.append(p.process)
    return p


def stream(proxy: Proxy, model: str, **extra: Any) -> tuple[httpx.Headers, list[str]]:
    """The response headers and the raw `data:` payloads of a streamed chat request."""
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": HARD}], **extra}
    with httpx.stream(
        "POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60
    ) as response:
        assert response.status_code == 200, response.read()
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
        return response.headers, events


def router_header_names(headers: httpx.Headers) -> list[str]:
    return sorted(name for name in headers if "x-router-" in name)


@pytest.mark.parametrize("include_usage", [False, True], ids=["plain", "include_usage"])
@pytest.mark.parametrize("mode", list(MODELS))
def test_stream_carries_the_decision_in_one_chunk_once(proxy: Proxy, mode: str, include_usage: bool) -> None:
    extra = {"stream_options": {"include_usage": True}} if include_usage else {}
    headers, events = stream(proxy, MODELS[mode], **extra)
    assert events[-1] == "[DONE]"
    carrying = [e for e in events if '"tiered_routing"' in e]
    assert len(carrying) == 1, "\n".join(events)
    assert carrying[0].count('"tiered_routing"') == 1, carrying[0]  # in the delta only, not also at top level
    chunks = [json.loads(e) for e in events[:-1]]
    first = next(c for c in chunks if c.get("choices"))
    decision = first["choices"][0]["delta"]["provider_specific_fields"]["tiered_routing"]
    assert (decision["router"], decision["tier"]) == (MODELS[mode], "frontier")
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))
    assert text.split() == ["frontier", "answer", "in", "four", "words"]
    assert router_header_names(headers) == sorted(ROUTER_HEADERS)
    assert headers["x-router-tier"] == "frontier"


@pytest.mark.parametrize("mode", list(MODELS))
def test_non_streaming_response_has_the_four_headers_only(proxy: Proxy, mode: str) -> None:
    body = {"model": MODELS[mode], "messages": [{"role": "user", "content": HARD}]}
    response = httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60)
    assert response.status_code == 200, response.text
    assert router_header_names(response.headers) == sorted(ROUTER_HEADERS), dict(response.headers)
    assert response.headers["x-router-tier"] == "frontier"
    assert float(response.headers["x-router-cost-usd"]) > 0
    assert "tiered_routing" not in response.text  # the decision travels in headers, not in the body
