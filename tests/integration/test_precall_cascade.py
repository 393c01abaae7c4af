"""dispatch: precall with a cascade, in a real proxy: the proxy makes its one call to the chosen tier, the answer
is checked in the success hook, and only a failed check (or outage) costs another call, to the tier above."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from .conftest import Process, Proxy, Stub, dispatch_precall, local_slm_env, start_proxy, start_stub
from .test_proxy import EASY, chat, content

pytestmark = pytest.mark.integration

REFUSE = "[refuse-me]"


@pytest.fixture(scope="module")
def stubs(module_tmp: Path, processes: list[Process]) -> tuple[Stub, Stub]:
    # The local tier answers confidently (log-prob -0.1, when asked for log-probs) unless the prompt carries the
    # marker, which it refuses; the frontier tier always answers.
    local = start_stub(module_tmp, "pcc-local", "--reply", "local answer", "--logprob", "-0.1",
                       "--reply-if", f"{REFUSE}=I'm sorry, but I can't help with that.")
    frontier = start_stub(module_tmp, "pcc-frontier", "--reply", "frontier answer", "--logprob", "-0.1")
    processes.extend([local.process, frontier.process])
    return local, frontier


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process], stubs: tuple[Stub, Stub]) -> Proxy:
    started = start_proxy(module_tmp / "pcc", "local-slm", local_slm_env(*stubs))
    processes.append(started.process)
    dispatch_precall(started, cascade=True)  # the recipe's refusal + log-prob gate, checked after the call
    return started


def test_an_accepted_answer_costs_one_call(proxy: Proxy) -> None:
    # The log-prob gate passes only if the pre-call hook asked the local tier for log-probs
    # (on_missing_logprobs: fail), and the stub gives them only when asked.
    response = chat(proxy, EASY)
    assert content(response) == "local answer"
    assert (response.headers["x-router-tier"], response.headers["x-router-escalations"]) == ("local", "0")


def test_a_failed_check_climbs_and_both_calls_are_charged_to_the_key(proxy: Proxy) -> None:
    before = _settled(proxy)
    response = chat(proxy, f"{EASY} {REFUSE}")
    assert content(response) == "frontier answer"
    assert (response.headers["x-router-tier"], response.headers["x-router-escalations"]) == ("frontier", "1")
    total = float(response.headers["x-router-cost-usd"])
    assert total > 0  # the frontier attempt is priced, the local one free
    # LiteLLM's own cost header was read off the first (free) call: the total replaces it
    assert float(response.headers.get("x-litellm-response-cost") or "nan") == pytest.approx(total, rel=1e-3)
    calls: list[dict[str, object]] = []
    for _ in range(50):  # success logging runs after the response has gone
        calls = [r for r in proxy.logged()[before:] if r["model_group"] in ("local-small", "frontier")]
        if len(calls) >= 2:
            break
        time.sleep(0.1)
    # the proxy's own call to the local tier, and the cascade's call to the frontier with the client's key on it
    assert sorted(r["model_group"] for r in calls) == ["frontier", "local-small"]
    assert len({r["user_api_key_hash"] for r in calls}) == 1 and calls[0]["user_api_key_hash"]
    # LiteLLM's logging payload carries the request's final decision on one row, as on the provider path: the
    # call that answered; the first call's row keeps an empty record
    decided = {r["model_group"]: r["spend_logs_metadata"]["tiered_routing"] for r in calls}  # type: ignore[index]
    assert (decided["frontier"]["tier"], decided["frontier"]["escalations"]) == ("frontier", 1)
    assert decided["frontier"]["first_tier"] == "local" and decided["local-small"] == {}


def _settled(proxy: Proxy) -> int:
    """How many calls the proxy has logged, once earlier tests' late success logs are in."""
    count = -1
    while count != (count := len(proxy.logged())):
        time.sleep(0.3)
    return count


def test_a_stream_runs_its_cascade_in_the_provider(proxy: Proxy) -> None:
    body = {"model": "local-slm", "messages": [{"role": "user", "content": f"{EASY} {REFUSE} (stream)"}],
            "stream": True}
    with httpx.stream("POST", f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers,
                      timeout=60) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ") and line != "data: [DONE]"]
        assert response.headers.get("x-router-tier") == "frontier"
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in events if c["choices"]) == "frontier answer"


def test_a_dead_bottom_tier_falls_back_and_the_answer_is_still_checked(proxy: Proxy, stubs: tuple[Stub, Stub]) -> None:
    local, _ = stubs
    local.process.kill()
    response = chat(proxy, EASY)
    assert content(response) == "frontier answer"
    assert response.headers["x-router-tier"] == "frontier"
