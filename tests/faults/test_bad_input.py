"""Bad input through a real proxy: each request gets a clear 4xx or a documented routing, never a 5xx or a hang.

Also hostile router.yaml files (an alias bomb, a Python tag, wrong types) behind a running proxy: a clear
error naming the file and key, no code executed, and the proxy picks up the fixed file without a restart.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_fuzz import content_parts, json_values
from tests.integration.conftest import Process, Proxy

from . import ladders
from .harness import (
    Stubs,
    chat,
    error_text,
    launch_proxy,
    proxy_config,
    ready,
    stub_group,
    user,
    write_proxy_folder,
)

pytestmark = pytest.mark.integration

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
HUGE = "word " * 20_000  # ~25k tokens; the window router's tiers take 1000 and 2000


# (id, model, messages, extra body, status, fragment of the error message or the answering tier)
REFUSED: list[tuple[str, str, Any, dict[str, Any], int, str]] = [
    ("empty messages", "plain", [], {}, 400, "messages must be a non-empty list"),
    ("messages not a list", "plain", "hello", {}, 400, "messages must be a non-empty list"),
    ("messages false", "plain", False, {}, 400, "messages must be a non-empty list"),
    ("content part not an object", "plain", [{"role": "user", "content": ["hi"]}], {}, 400, "got str"),
    ("content a number", "plain", [{"role": "user", "content": 42}], {}, 400, "content must be a string"),
    ("unknown part type", "plain", [{"role": "user", "content": [{"type": "x"}]}], {}, 400, "part types allowed"),
    ("message not an object", "plain", ["hi"], {}, 400, "messages[0] must be an object"),
    ("image, no vision tier", "novision", [{"role": "user", "content": [IMAGE]}], {}, 400, "has images"),
    ("prompt beyond every window", "window", user(HUGE), {}, 400, "> window 2000"),
    ("tools not a list", "plain", user("hi"), {"tools": "search"}, 400, "tools must be a list"),
    ("unknown alias", "nope", user("hi"), {}, 400, "Invalid model name passed in model=nope"),
    # The header callback's pre-call hook resolves tiered/<alias> before the proxy's model check: a 404 that
    # names the installed routers instead of the proxy's generic "Invalid model name".
    ("unknown tiered alias", "tiered/nope", user("hi"), {}, 404, "no tiered router named 'nope'"),
    ("alias without router", ladders.GHOST_ALIAS, user("hi"), {}, 404, "no tiered router named 'ghost'"),
    ("force_tier unknown", "plain", user("hi"), {"metadata": {"force_tier": "huge"}}, 400, "names no tier"),
]

ROUTED: list[tuple[str, str, Any, dict[str, Any], str]] = [
    ("message without content", "plain", [{"role": "user"}], {}, "small"),
    ("content null", "plain", [{"role": "user", "content": None}], {}, "small"),
    ("message without role (LiteLLM makes it the assistant's)", "plain", [{"content": "hi"}], {}, "small"),
    ("image goes to the vision tier", "vision", [{"role": "user", "content": [IMAGE]}], {}, "large"),
    ("audio part passed through", "plain", [{"role": "user", "content": [{"type": "input_audio"}]}], {}, "small"),
    ("force_tier", "plain", user("hi"), {"metadata": {"force_tier": "large"}}, "large"),
]


@pytest.mark.parametrize(
    ("model", "messages", "extra", "status", "fragment"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_bad_request_gets_a_clear_4xx(
    fault_proxy: Proxy, model: str, messages: Any, extra: dict[str, Any], status: int, fragment: str
) -> None:
    response = chat(fault_proxy, messages, model, timeout=20, **extra)
    assert response.status_code == status, (response.status_code, error_text(response))
    assert fragment in error_text(response)


@pytest.mark.parametrize(("model", "messages", "extra", "tier"), [c[1:] for c in ROUTED], ids=[c[0] for c in ROUTED])
def test_odd_request_gets_a_documented_routing(
    fault_proxy: Proxy, model: str, messages: Any, extra: dict[str, Any], tier: str
) -> None:
    response = chat(fault_proxy, messages, model, timeout=20, **extra)
    assert response.status_code == 200, error_text(response)
    assert response.headers["x-router-tier"] == tier


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"model": "plain", "messages": [{"role": "user", "content": "caf\xff\xfe"}]}', "Missing required parameter"),
        (b'{"model": "plain", "messages": [{"role": "user", "content": "a\\ud800b"}]}', "Invalid JSON payload"),
        (b'{"model": "plain", "messages": [', "Invalid JSON payload"),
        (
            b'{"model": "plain", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function",'
            b' "function": {"name": "f", "parameters": {"maximum": Infinity}}}]}',
            "'tools' holds NaN or Infinity",
        ),
        (b'{"model": "plain", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', "NaN"),
    ],
    ids=["invalid UTF-8", "lone surrogate escape", "truncated JSON", "Infinity in a tool schema", "NaN temperature"],
)
def test_undecodable_or_non_json_body_is_a_400(fault_proxy: Proxy, body: bytes, fragment: str) -> None:
    headers = {**fault_proxy.headers, "Content-Type": "application/json"}
    response = httpx.post(f"{fault_proxy.url}/v1/chat/completions", content=body, headers=headers, timeout=20)
    assert response.status_code == 400, response.text
    assert fragment in error_text(response)


@pytest.mark.parametrize(
    "tools",
    [
        [{"type": "function"}],
        [{"type": "function", "function": {"name": 7}}],
        [{"type": "function", "function": {"name": "lookup", "parameters": "an object, please"}}],
    ],
    ids=["no function", "name not a string", "parameters not a schema"],
)
def test_malformed_tool_schema_is_the_providers_400_without_climbing(
    fault_proxy: Proxy, fault_stubs: Stubs, tools: Any
) -> None:
    calls = fault_stubs.script("strict").requests
    before = len(calls)
    response = chat(fault_proxy, user("look it up"), "tools", tools=tools, timeout=20)
    assert response.status_code == 400, error_text(response)
    assert "Invalid" in error_text(response)
    assert len(calls) - before == 1  # a caller error is not a tier failure: the ladder is not climbed


messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "tool", "x"])},
        optional={"content": json_values | content_parts | st.text(max_size=200)},
    ),
    max_size=4,
)


# Lists only: a scalar `tools` crashes LiteLLM's auth step before any hook runs (the xfail below).
fuzz_tools = st.none() | st.lists(json_values, max_size=3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body_messages=messages | json_values, tools=fuzz_tools)
def test_fuzzed_requests_never_get_a_5xx(fault_proxy: Proxy, body_messages: Any, tools: Any) -> None:
    body: dict[str, Any] = {"model": "plain", "messages": body_messages}
    if tools is not None:
        body["tools"] = tools
    data = json.dumps(body).encode()
    headers = {**fault_proxy.headers, "Content-Type": "application/json"}
    response = httpx.post(f"{fault_proxy.url}/v1/chat/completions", content=data, headers=headers, timeout=20)
    assert response.status_code < 500, (body, response.status_code, error_text(response))


@pytest.mark.xfail(
    strict=True,
    reason="LiteLLM 1.106.12 bug: check_tools_allowlist iterates a scalar `tools` during auth, before any "
    "callback, and the proxy answers 500; nothing in this package runs before it (docs/operations.md)",
)
def test_scalar_tools_is_a_400(fault_proxy: Proxy) -> None:
    response = chat(fault_proxy, user("hi"), "plain", tools=1.5, timeout=20)
    assert response.status_code == 400


# ------------------------------------------------------------------ hostile router.yaml behind a running proxy

BOMB = "routers: &r0 [x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &r{i} [*r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}]\n"
    for i in range(1, 12)
)


def _python_tag(marker: Path) -> str:
    return f"routers: !!python/object/apply:os.system ['touch {marker}']\n"


WRONG_TYPES = "routers:\n  - alias: cfg\n    tiers: {name: small}\n    thresholds: high\n"


def _good_router() -> dict[str, Any]:
    return {
        "routers": [
            {
                "alias": "cfg",
                "thresholds": [0.99],
                "tiers": [{"name": "small", "model": "ok-small"}, {"name": "large", "model": "ok-large"}],
            }
        ]
    }


@pytest.fixture(scope="module")
def config_proxy(tmp_path_factory: pytest.TempPathFactory, fault_stubs: Stubs) -> Any:
    folder = tmp_path_factory.mktemp("config-proxy")
    groups = [
        stub_group("ok-small", fault_stubs.url("ok"), model="small"),
        stub_group("ok-large", fault_stubs.url("ok"), model="large"),
    ]
    write_proxy_folder(folder, proxy_config(groups, ["cfg"]), BOMB)
    proxy = launch_proxy(folder, "config proxy")
    try:
        yield ready(proxy)
    finally:
        proxy.process.stop()


def test_hostile_router_yaml_is_refused_then_the_fixed_file_is_used(config_proxy: Proxy) -> None:
    router_yaml = config_proxy.folder / "router.yaml"
    marker = config_proxy.folder / "pwned"
    for text, fragment in [
        (BOMB, "YAML aliases (*name) are not allowed"),
        (_python_tag(marker), "YAML syntax error"),
        (WRONG_TYPES, "key 'routers[0].tiers'"),
    ]:
        router_yaml.write_text(text)
        started = time.monotonic()
        response = chat(config_proxy, user("hi"), "cfg", timeout=20)
        assert time.monotonic() - started < 5.0
        # The operator's file is wrong, not the client's request: a 500 that names the file and key.
        assert response.status_code == 500, error_text(response)
        # LiteLLM masks file paths in error messages; the line or key and the problem remain.
        assert fragment in error_text(response) and "InternalServerError" in error_text(response)
    assert not marker.exists()
    import yaml

    router_yaml.write_text(yaml.safe_dump(_good_router()))
    response = chat(config_proxy, user("hi"), "cfg", timeout=20)
    assert response.status_code == 200 and response.headers["x-router-tier"] == "small"
    assert isinstance(config_proxy.process, Process) and config_proxy.process.popen is not None
    assert config_proxy.process.popen.poll() is None
