"""The proxy drop-in for real: `litellm --config` from installed recipes, tiers on local stub upstreams.

local-slm: the bottom tier's upstream is one stub process (LOCAL_SLM_API_BASE), the frontier tier's another
(OPENAI_API_BASE). json-extraction: one stub answering per model, the nano tier with text that is not JSON.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Process, Proxy, Stub, local_slm_env, start_proxy, start_stub

pytestmark = pytest.mark.integration

EASY = "hi, how are you?"
HARD = (
    "Prove rigorously, step by step, that every finite group of prime order is cyclic. Derive each lemma you use, "
    "then analyze why the argument fails for composite orders and compare it with groups of order p^2."
)
ROUTER_HEADERS = ("x-router-tier", "x-router-model", "x-router-escalations", "x-router-cost-usd")


def chat(proxy: Proxy, text: str, model: str = "local-slm", **extra: Any) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60)


def content(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return str(response.json()["choices"][0]["message"]["content"])


@pytest.fixture(scope="module")
def local(module_tmp: Path, processes: list[Process]) -> Stub:
    stub = start_stub(module_tmp, "local-upstream", "--reply", "local answer", "--logprob", "-0.05")
    processes.append(stub.process)
    return stub


@pytest.fixture(scope="module")
def frontier(module_tmp: Path, processes: list[Process]) -> Stub:
    stub = start_stub(module_tmp, "frontier-upstream", "--reply", "frontier answer")
    processes.append(stub.process)
    return stub


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process], local: Stub, frontier: Stub) -> Proxy:
    p = start_proxy(module_tmp / "local-slm", "local-slm", local_slm_env(local, frontier))
    processes.append(p.process)
    print(f"\nproxy (local-slm) ready in {p.startup_s:.1f} s")
    return p


def test_routes_by_difficulty_with_headers(proxy: Proxy) -> None:
    easy, hard = chat(proxy, EASY), chat(proxy, HARD)
    assert content(easy).strip() == "local answer"
    assert content(hard).strip() == "frontier answer"
    assert easy.headers["x-router-tier"] == "local" and easy.headers["x-router-model"] == "local-small"
    assert hard.headers["x-router-tier"] == "frontier" and hard.headers["x-router-model"] == "frontier"
    assert easy.headers["x-router-escalations"] == hard.headers["x-router-escalations"] == "0"
    # local tier is free (model_info price 0); gpt-4.1 is priced from LiteLLM's map (10 prompt + 5 completion)
    assert float(easy.headers["x-router-cost-usd"]) == 0.0
    assert float(hard.headers["x-router-cost-usd"]) == pytest.approx((10 * 2e-6 + 5 * 8e-6), rel=1e-6)
    assert float(hard.headers["x-litellm-response-cost"]) == pytest.approx(float(hard.headers["x-router-cost-usd"]))


def test_tiered_model_name_and_headers_hold_no_prompt(proxy: Proxy) -> None:
    response = chat(proxy, HARD, model="tiered/local-slm")
    assert content(response).strip() == "frontier answer"
    for name in ROUTER_HEADERS:
        assert name in response.headers
    assert "finite group" not in json.dumps(dict(response.headers))


def test_decision_reaches_the_logging_payload(proxy: Proxy) -> None:
    marker = "zebra-marker please answer briefly"
    assert chat(proxy, marker).status_code == 200
    deadline = time.monotonic() + 15
    records: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        records = [r for r in proxy.logged() if (r.get("spend_logs_metadata") or {}).get("tiered_routing")]
        if records:
            break
        time.sleep(0.25)
    assert records, "no logged call carried metadata.spend_logs_metadata.tiered_routing"
    decision = records[-1]["spend_logs_metadata"]["tiered_routing"]  # type: ignore[index]
    assert decision["router"] == "local-slm" and decision["tier"] in ("local", "frontier")
    assert "zebra" not in json.dumps(records)


def test_streaming_carries_headers_and_text(proxy: Proxy) -> None:
    body = {"model": "local-slm", "stream": True, "messages": [{"role": "user", "content": HARD}]}
    with httpx.stream(
        "POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60
    ) as response:
        assert response.status_code == 200
        headers = response.headers
        events = [line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join((c["choices"][0]["delta"].get("content") or "") for c in chunks if c.get("choices"))
    assert text.strip() == "frontier answer"
    assert headers["x-router-tier"] == "frontier" and headers["x-router-model"] == "frontier"
    assert headers["x-router-escalations"] == "0" and "x-router-cost-usd" in headers
    first = chunks[0]["choices"][0]["delta"]
    assert first["provider_specific_fields"]["tiered_routing"]["tier"] == "frontier"


def test_a_streamed_request_is_logged_at_its_ladders_cost(proxy: Proxy) -> None:
    # LiteLLM priced a finished stream by its model name, which no price map has for tiered/<alias>: the proxy's
    # logging payload (what spend tracking and budgets read) had a streamed request at no cost
    body = {"model": "local-slm", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": HARD}]}
    with httpx.stream(
        "POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60
    ) as response:
        assert response.status_code == 200
        call_id = response.headers["x-litellm-call-id"]
        assert [line for line in response.iter_lines() if line.startswith("data: ")][-1] == "data: [DONE]"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        records = [r for r in proxy.logged() if r.get("call_id") == call_id and r.get("spend_logs_metadata")]
        if records:
            break
        time.sleep(0.1)
    (record,) = records
    decision = record["spend_logs_metadata"]["tiered_routing"]  # type: ignore[index]
    assert decision["cost_usd"] > 0 and record["response_cost"] == pytest.approx(decision["cost_usd"])


def test_master_key_required(proxy: Proxy) -> None:
    body = {"model": "local-slm", "messages": [{"role": "user", "content": EASY}]}
    bad = httpx.post(
        f"{proxy.url}/v1/chat/completions", json=body, headers={"Authorization": "Bearer sk-wrong"}, timeout=30
    )
    assert bad.status_code in (400, 401)
    # Virtual keys need the proxy's database (Postgres via Prisma); without one the proxy refuses to mint them.
    minted = httpx.post(f"{proxy.url}/key/generate", json={}, headers=proxy.headers, timeout=30)
    assert minted.status_code >= 400


def test_100_concurrent_requests_none_lost(proxy: Proxy) -> None:
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=proxy.url, headers=proxy.headers, timeout=120, limits=limits) as client:
            texts = [EASY if i % 2 else HARD for i in range(100)]
            return await asyncio.gather(
                *(
                    client.post(
                        "/v1/chat/completions",
                        json={"model": "local-slm", "messages": [{"role": "user", "content": f"{t} #{i}"}]},
                    )
                    for i, t in enumerate(texts)
                )
            )

    started = time.monotonic()
    responses = asyncio.run(run())
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 100
    tiers = [r.headers["x-router-tier"] for r in responses]
    answers = [content(r).strip() for r in responses]
    assert tiers.count("local") == 50 and tiers.count("frontier") == 50
    assert all(a == f"{t} answer" for a, t in zip(answers, tiers, strict=True))
    print(f"\n100 concurrent requests: all 200 in {elapsed:.1f} s")


def test_bottom_tier_killed_mid_run_escalates(proxy: Proxy, local: Stub) -> None:
    before = [chat(proxy, f"{EASY} {i}") for i in range(3)]
    assert [r.headers["x-router-tier"] for r in before] == ["local"] * 3
    local.process.kill()
    after = [chat(proxy, f"{EASY} again {i}") for i in range(5)]
    assert [r.status_code for r in after] == [200] * 5
    assert [content(r).strip() for r in after] == ["frontier answer"] * 5
    assert all(r.headers["x-router-tier"] == "frontier" for r in after)


# ------------------------------------------------------------------ escalation on a failed check (json-extraction)

SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "person",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "year": {"type": "integer"}},
            "required": ["name", "year"],
        },
    },
}


@pytest.fixture(scope="module")
def extraction(module_tmp: Path, processes: list[Process]) -> Proxy:
    stub = start_stub(
        module_tmp,
        "openai-upstream",
        "--reply-for",
        "gpt-4.1-nano=Sure! Ada Lovelace was born in 1815.",
        "--reply-for",
        'gpt-4.1-mini={"name": "Ada Lovelace", "year": 1815}',
        "--reply",
        '{"name": "Ada Lovelace", "year": 1815}',
    )
    processes.append(stub.process)
    p = start_proxy(
        module_tmp / "json-extraction",
        "json-extraction",
        {"OPENAI_API_BASE": stub.base_url, "OPENAI_API_KEY": "sk-fake"},
    )
    processes.append(p.process)
    return p


def test_failed_schema_check_escalates_one_tier(extraction: Proxy) -> None:
    response = chat(
        extraction, "Extract name and birth year: Ada Lovelace, 1815.", "json-extraction", response_format=SCHEMA
    )
    assert json.loads(content(response)) == {"name": "Ada Lovelace", "year": 1815}
    assert response.headers["x-router-tier"] == "mini"
    assert response.headers["x-router-escalations"] == "1"
    nano = 10 * 1e-7 + 5 * 4e-7
    mini = 10 * 4e-7 + 5 * 1.6e-6
    assert float(response.headers["x-router-cost-usd"]) == pytest.approx(nano + mini, rel=1e-6)
