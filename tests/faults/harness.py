"""Real `litellm --config` proxies with hand-written configs, for the fault, bad-input and secrecy tests.

Builds on ``tests/integration/conftest.py`` (its ``Process`` and ``Proxy``): a folder gets a config.yaml
(``model_list`` of stub upstreams, one ``tiered/<alias>`` entry per router, this package's provider and
header callback, and ``payload_logger`` capturing LiteLLM's whole standard logging payload) and a
router.yaml beside it, which is how the proxy finds the router config.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.integration.conftest import LITELLM_BIN, PROXY_START_TIMEOUT_S, REPO_ROOT, Process, Proxy, free_port
from tests.stubs.openai_stub import Script, StubServer

PAYLOAD_LOGGER = Path(__file__).with_name("payload_logger.py")


def stub_group(name: str, base_url: str, *, model: str | None = None, **litellm_params: Any) -> dict[str, Any]:
    """A model_list entry for an OpenAI-compatible upstream, priced 0 (stub models are not in the price map)."""
    return {
        "model_name": name,
        "litellm_params": {
            "model": f"openai/{model or name}",
            "api_base": base_url,
            "api_key": "sk-fake",
            **litellm_params,
        },
        "model_info": {"input_cost_per_token": 0, "output_cost_per_token": 0},
    }


def dead_base_url() -> str:
    """An address nothing listens on (connection refused), like a crashed upstream."""
    return f"http://127.0.0.1:{free_port()}/v1"


def proxy_config(
    model_list: Sequence[Mapping[str, Any]],
    aliases: Sequence[str],
    *,
    router_settings: Mapping[str, Any] | None = None,
    litellm_settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A proxy config.yaml as `recipes install` writes one, plus the payload-capturing callback."""
    return {
        "model_list": [*model_list, *({"model_name": a, "litellm_params": {"model": f"tiered/{a}"}} for a in aliases)],
        "router_settings": {"num_retries": 0, "timeout": 30, **(router_settings or {})},
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": "tiered", "custom_handler": "litellm_router_ext.proxy.tiered_provider"}
            ],
            "callbacks": ["litellm_router_ext.proxy.router_headers", "payload_logger.capture"],
            **(litellm_settings or {}),
        },
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }


def write_proxy_folder(folder: Path, config: Mapping[str, Any], router: Mapping[str, Any] | str) -> Path:
    """config.yaml + router.yaml (a mapping, or raw YAML text for hostile configs) + the capturing callback."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(dict(config), sort_keys=False))
    text = router if isinstance(router, str) else yaml.safe_dump(dict(router), sort_keys=False)
    (folder / "router.yaml").write_text(text)
    shutil.copy(PAYLOAD_LOGGER, folder / "payload_logger.py")
    return folder / "config.yaml"


def launch_proxy(folder: Path, name: str, env: Mapping[str, str] | None = None, master_key: str | None = None) -> Proxy:
    """Start `litellm --config folder/config.yaml` (not waiting); ``ready`` waits for it."""
    port = free_port()
    key = master_key or "sk-" + secrets.token_urlsafe(32)
    process = Process(
        name,
        [str(LITELLM_BIN), "--config", str(folder / "config.yaml"), "--host", "127.0.0.1", "--port", str(port)],
        folder / "proxy.log",
        env={
            "LITELLM_MASTER_KEY": key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LRE_CAPTURE_FILE": str(folder / "payloads.jsonl"),
            "PYTHONPATH": str(REPO_ROOT),
            **(env or {}),
        },
        cwd=folder,
    ).start()
    return Proxy(process, port, key, folder, folder / "payloads.jsonl", 0.0)


def ready(proxy: Proxy) -> Proxy:
    proxy.startup_s = proxy.process.wait_http(f"{proxy.url}/health/liveliness", PROXY_START_TIMEOUT_S)
    return proxy


def chat(proxy: Proxy, messages: Any, model: str, *, timeout: float = 45, **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": messages, **extra}
    return httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=timeout)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def error_text(response: httpx.Response) -> str:
    """The error message of a proxy error response (LiteLLM wraps it as {"error": {"message": ...}})."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return str(err.get("message"))
    return json.dumps(body)


def logged_decision(proxy: Proxy, response: httpx.Response, timeout_s: float = 10.0) -> dict[str, Any]:
    """The routing decision in the logging payload of this response's call (written after the response)."""
    call_id = response.headers["x-litellm-call-id"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for record in proxy.logged():
            if record.get("call_id") == call_id and isinstance(record.get("spend_logs_metadata"), dict):
                found = record["spend_logs_metadata"].get("tiered_routing")  # type: ignore[union-attr]
                if isinstance(found, dict):
                    return found
        time.sleep(0.1)
    raise AssertionError(f"no logged decision for call {call_id}")


@dataclass
class Stubs:
    """In-process stub upstreams (threads of the test process), stopped by the owning fixture."""

    servers: dict[str, StubServer]

    def url(self, name: str) -> str:
        return self.servers[name].base_url

    def script(self, name: str) -> Script:
        return self.servers[name].script


def start_stubs(started: list[StubServer], scripts: Mapping[str, Script]) -> Stubs:
    servers = {}
    for name, script in scripts.items():
        server = StubServer(script).__enter__()
        started.append(server)
        servers[name] = server
    return Stubs(servers)
