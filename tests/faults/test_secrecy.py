"""No prompt or answer text in the proxy's logs, headers or logging payloads, on every path a request can take.

Requests carrying a secret go through the fault proxy's success, escalation, provider-failure, every-tier-down,
judge-down, validator-raised, refused-input and streaming paths; afterwards the proxy's captured stdout and
stderr, every response header, and every logging payload LiteLLM handed to callbacks (success and failure,
with LiteLLM's own ``turn_off_message_logging: true``) are searched for the secrets. (That switch redacts
messages and responses but not ``model_parameters``: tool descriptions stay in LiteLLM's payload, so the
secret is not put there; docs/operations.md says so.)
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from litellm_router_ext.cascade import build_validators, validate
from litellm_router_ext.cascade.base import Answer
from litellm_router_ext.config import CascadeConfig
from litellm_router_ext.types import RequestView
from tests.integration.conftest import Proxy

from .harness import chat, user
from .ladders import SECRET_MARKER, SECRET_REPLY

PROMPT_SECRET = "zq-prompt-secret-5be2"
ANSWER_SECRET = SECRET_REPLY.rsplit(" ", 1)[-1]
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def _secret_requests() -> list[tuple[str, str, Any, dict[str, Any], int]]:
    """(path, model, messages, extra body, expected status)."""
    asked = f"{SECRET_MARKER} {PROMPT_SECRET}"
    return [
        ("answered", "plain", user(asked), {}, 200),
        ("system prompt", "plain", [{"role": "system", "content": PROMPT_SECRET}, *user(asked)], {}, 200),
        ("bottom tier 500, moved up", "t500", user(asked), {}, 200),
        ("every tier down", "all500", user(asked), {}, 500),
        ("every tier rate-limited", "all429", user(asked), {}, 429),
        ("judge down", "judged", user(asked), {}, 200),
        ("validator raised", "vraise", user(asked), {}, 200),
        ("beyond every window", "window", user(f"{PROMPT_SECRET} " * 6000), {}, 400),
        ("content part not an object", "plain", [{"role": "user", "content": [PROMPT_SECRET]}], {}, 400),
        ("unknown part type", "plain", [{"role": "user", "content": [{"type": PROMPT_SECRET}]}], {}, 400),
        ("image, no vision tier", "novision", [{"role": "user", "content": [IMAGE, _text(asked)]}], {}, 400),
        (
            "malformed tool",
            "tools",
            user(asked),
            {"tools": [{"type": "function", "function": {"name": 1, "description": "look it up"}}]},
            400,
        ),
    ]


def _text(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


@pytest.mark.integration
def test_secrets_stay_out_of_logs_headers_and_payloads(fault_proxy: Proxy) -> None:
    headers: list[str] = []
    for path, model, messages, extra, status in _secret_requests():
        response = chat(fault_proxy, messages, model, timeout=30, **extra)
        assert response.status_code == status, (path, response.text[:300])
        headers.append(f"{path}: {dict(response.headers)}")
        if path == "answered":  # the secrets really went through the proxy
            assert response.json()["choices"][0]["message"]["content"] == SECRET_REPLY
    body = {"model": "plain", "stream": True, "messages": user(f"{SECRET_MARKER} {PROMPT_SECRET}")}
    with httpx.stream(
        "POST", f"{fault_proxy.url}/v1/chat/completions", json=body, headers=fault_proxy.headers, timeout=30
    ) as streamed:
        assert streamed.status_code == 200
        assert ANSWER_SECRET in "".join(streamed.iter_lines())
        headers.append(f"stream: {dict(streamed.headers)}")

    payloads = _settled(fault_proxy)
    log = fault_proxy.process.log.read_text(errors="replace")
    assert "every tier failed" in log and "tier small failed at the provider" in log  # the paths were logged
    assert any(r["event"] == "failure" for r in payloads) and any(r["event"] == "success" for r in payloads)
    for where, text in [
        ("proxy stdout/stderr", log),
        ("response headers", "\n".join(headers)),
        ("logging payloads", fault_proxy.capture.read_text()),
    ]:
        for secret in (PROMPT_SECRET, ANSWER_SECRET):
            assert secret not in text, f"{secret} found in {where}: ...{_around(text, secret)}..."


def _settled(proxy: Proxy, quiet_s: float = 1.0, limit_s: float = 15.0) -> list[dict[str, Any]]:
    """The logged payloads once no new one has arrived for ``quiet_s`` (callbacks run after the response)."""
    deadline = time.monotonic() + limit_s
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        records = proxy.logged()
        if len(records) != seen:
            seen, since = len(records), time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return records
        time.sleep(0.2)
    return proxy.logged()


def _around(text: str, secret: str) -> str:
    at = text.find(secret)
    return text[max(0, at - 200) : at + 60]


# ------------------------------------------------------------------ verdict reasons (they go into decision records)

SCHEMA = {
    "type": "json_schema",
    "json_schema": {"name": "r", "schema": {"type": "object", "properties": {"year": {"type": "integer"}}}},
}


@pytest.mark.parametrize(
    ("validators", "text", "samples", "response_format"),
    [
        ([{"name": "schema"}], f'{{"year": "{ANSWER_SECRET}"}}', (), SCHEMA),
        ([{"name": "agreement", "params": {"n": 3, "extract": "last_line"}}], ANSWER_SECRET, ("a", "b"), None),
    ],
    ids=["schema", "agreement"],
)
def test_verdict_reasons_hold_no_answer_text(
    validators: list[dict[str, Any]], text: str, samples: tuple[str, ...], response_format: Any
) -> None:
    cascade = CascadeConfig.model_validate({"validators": validators})
    request = RequestView.from_openai(user("question"), response_format=response_format)
    verdict = validate(Answer(text=text, request=request, samples=samples), build_validators(cascade), cascade)
    assert not verdict.accepted  # the check ran and rejected, so its reason is what would be recorded
    assert ANSWER_SECRET not in verdict.reason, verdict.reason
