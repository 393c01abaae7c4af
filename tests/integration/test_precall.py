"""dispatch: precall in a real proxy: the tier is chosen before the call, the proxy makes one call, and a
provider outage escalates through LiteLLM's own per-request fallbacks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from .conftest import Process, Proxy, Stub, dispatch_precall, local_slm_env, start_proxy, start_stub
from .test_proxy import EASY, HARD, chat, content

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stubs(module_tmp: Path, processes: list[Process]) -> tuple[Stub, Stub]:
    local = start_stub(module_tmp, "precall-local", "--reply", "local answer")
    frontier = start_stub(module_tmp, "precall-frontier", "--reply", "frontier answer",
                          "--other-choice", "frontier second take")
    processes.extend([local.process, frontier.process])
    return local, frontier


@pytest.fixture(scope="module")
def precall(module_tmp: Path, processes: list[Process], stubs: tuple[Stub, Stub]) -> Proxy:
    proxy = start_proxy(module_tmp / "precall", "local-slm", local_slm_env(*stubs))
    processes.append(proxy.process)
    dispatch_precall(proxy, cascade=False)
    return proxy


def test_tier_is_chosen_before_the_call(precall: Proxy, stubs: tuple[Stub, Stub]) -> None:
    easy, hard = chat(precall, EASY), chat(precall, HARD)
    assert content(easy) == "local answer" and easy.headers["x-router-tier"] == "local"
    assert content(hard) == "frontier answer" and hard.headers["x-router-tier"] == "frontier"
    assert float(hard.headers["x-router-cost-usd"]) >= 0 and hard.headers["x-router-escalations"] == "0"


def test_the_logging_payload_carries_the_decision(precall: Proxy) -> None:
    response = chat(precall, f"{HARD} (logged)")
    assert response.headers["x-router-tier"] == "frontier"
    records: list[dict[str, object]] = []
    for _ in range(50):  # success logging runs after the response has gone
        records = [r for r in precall.logged() if r["call_id"] == response.headers.get("x-litellm-call-id")]
        if records:
            break
        time.sleep(0.1)
    decision = records[0]["spend_logs_metadata"]["tiered_routing"]  # type: ignore[index]
    assert (decision["tier"], decision["model"], decision["router"]) == ("frontier", "frontier", "local-slm")
    assert decision["cost_usd"] > 0 and "finite group" not in json.dumps(decision)


def test_streaming_gets_the_headers(precall: Proxy) -> None:
    body = {"model": "local-slm", "messages": [{"role": "user", "content": EASY}], "stream": True}
    with httpx.stream("POST", f"{precall.url}/v1/chat/completions", json=body, headers=precall.headers,
                      timeout=60) as response:
        text = "".join(response.iter_text())
        assert response.status_code == 200 and "local" in text
        assert response.headers.get("x-router-tier") == "local"


def _ask(proxy: Proxy, messages: list[dict[str, str]], stream: bool, *, n: int = 1, choice: int = 0) -> tuple[str, str]:
    """(text of answer ``choice`` as the client got it, x-router-tier)."""
    body = {"model": "local-slm", "messages": messages, "stream": stream, "n": n}
    if not stream:
        response = httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=60)
        assert response.status_code == 200, response.text[:300]
        return response.json()["choices"][choice]["message"]["content"], response.headers["x-router-tier"]
    with httpx.stream("POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers,
                      timeout=60) as response:
        assert response.status_code == 200
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ") and line != "data: [DONE]"]
        deltas = [c["delta"] for e in events for c in json.loads(e)["choices"] if c.get("index", 0) == choice]
        return "".join(d.get("content") or "" for d in deltas), response.headers["x-router-tier"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_follow_up_stays_on_the_tier_its_conversation_reached(precall: Proxy, stream: bool) -> None:
    opening = [{"role": "user", "content": f"{HARD} (stream={stream})"}]
    answer, tier = _ask(precall, opening, stream)
    assert tier == "frontier" and answer.strip() == "frontier answer"
    follow_up = [*opening, {"role": "assistant", "content": answer}, {"role": "user", "content": EASY}]
    assert _ask(precall, follow_up, stream)[1] == "frontier"  # sticky: the easy follow-up is not downgraded
    assert _ask(precall, [{"role": "user", "content": EASY}], stream)[1] == "local"  # alone, it is easy


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_a_conversation_continued_from_choice_one_keeps_its_tier(precall: Proxy, stream: bool) -> None:
    opening = [{"role": "user", "content": f"{HARD} (n=2, stream={stream})"}]
    answer, tier = _ask(precall, opening, stream, n=2, choice=1)
    assert tier == "frontier" and answer.strip() == "frontier second take"
    follow_up = [*opening, {"role": "assistant", "content": answer}, {"role": "user", "content": EASY}]
    assert _ask(precall, follow_up, stream)[1] == "frontier"


def test_bottom_upstream_down_falls_back_to_the_tier_above(precall: Proxy, stubs: tuple[Stub, Stub]) -> None:
    local, _ = stubs
    local.process.kill()
    answers = [chat(precall, EASY) for _ in range(3)]
    assert all(r.status_code == 200 for r in answers), [r.text[:200] for r in answers]
    assert {content(r) for r in answers} == {"frontier answer"}
    assert {r.headers["x-router-tier"] for r in answers} == {"frontier"}
