"""Two `litellm --config` proxies sharing routing state through a real redis-server.

Both run the same router.yaml (``state.backend: redis``, named by ``LITELLM_ROUTER_EXT_CONFIG``). 200
concurrent requests are split across them; the escalation monitor's counters, read from Redis by this test
process, must count every request exactly once and agree with the headers the clients got. Then Redis is
killed mid-run and restarted: no request fails, and the counts made during the outage reach Redis.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import yaml

from litellm_router_ext.adapters.redis_state import RedisState
from litellm_router_ext.config import StateConfig
from litellm_router_ext.state import EscalationMonitor, MonitorSnapshot
from tests.integration.conftest import Proxy
from tests.state.conftest import RedisProcess
from tests.stubs.openai_stub import Script, StubServer

from .harness import launch_proxy, proxy_config, ready, stub_group, user, write_proxy_folder

pytestmark = pytest.mark.integration

ALIAS = "shared"
PREFIX = "lre-faults"
RETRY_AFTER_S = 1.0
REFUSE = "refuse-me"
EASY = "hi, how are you?"
HARD = (
    "Prove rigorously, step by step, that every finite group of prime order is cyclic. Derive each lemma you use, "
    "then analyze why the argument fails for composite orders and compare it with groups of order p^2."
)


def prompt(i: int) -> str:
    """Request i of a burst: 40% easy (bottom tier), 30% hard (top tier), 30% easy but refused (escalates)."""
    kind = i % 10
    if kind < 4:
        return f"{EASY} #{i}"
    if kind < 7:
        return f"{HARD} #{i}"
    return f"{EASY} {REFUSE} #{i}"


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def upstream() -> Iterator[StubServer]:
    # Both tiers refuse a prompt holding REFUSE: the bottom tier's refusal escalates, the top tier's is returned.
    script = Script(replies={"small": "small answer", "large": "large answer"}, replies_if={REFUSE: "I cannot help."})
    with StubServer(script) as stub:
        yield stub


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, redis: RedisProcess, upstream: StubServer
) -> Iterator[tuple[Proxy, Proxy]]:
    root = tmp_path_factory.mktemp("two-proxies")
    router = {
        "routers": [
            {
                "alias": ALIAS,
                "tiers": [{"name": "small", "model": "small"}, {"name": "large", "model": "large"}],
                "thresholds": {"large": 0.35},
                "cascade": {"validators": [{"name": "refusal"}], "max_escalations": 1},
                "monitor": {"escalation_band": [0.0, 0.2], "min_requests": 50},
            }
        ],
        "state": {
            "backend": "redis",
            "redis": {"url": redis.url},
            "key_prefix": PREFIX,
            "retry_after_s": RETRY_AFTER_S,
        },
    }
    shared_router = root / "router.yaml"
    shared_router.write_text(yaml.safe_dump(router, sort_keys=False))
    config = proxy_config(
        [stub_group("small", upstream.base_url), stub_group("large", upstream.base_url)],
        [ALIAS],
        litellm_settings={
            "callbacks": ["litellm_router_ext.proxy.router_headers", "payload_logger.capture", "prometheus"]
        },
    )
    proxies = []
    try:
        for name in ("a", "b"):
            write_proxy_folder(root / name, config, "routers: []  # unused: LITELLM_ROUTER_EXT_CONFIG wins\n")
            proxies.append(
                launch_proxy(root / name, f"proxy {name}", {"LITELLM_ROUTER_EXT_CONFIG": str(shared_router)})
            )
        for proxy in proxies:  # started together, so the two imports overlap
            ready(proxy)
        print(f"\ntwo proxies ready in {max(p.startup_s for p in proxies):.1f} s")
        yield proxies[0], proxies[1]
    finally:
        for proxy in proxies:
            proxy.process.stop()


def redis_view(redis: RedisProcess, at_least: int = 0, timeout_s: float = 10.0) -> MonitorSnapshot:
    """The monitor's rolling view as any instance reads it: from Redis, under the routers' key prefix.

    Instances write their counts in the background (``flush_s``): wait until ``at_least`` requests are in.
    """
    state = RedisState(StateConfig(backend="redis", redis={"url": redis.url}, key_prefix=PREFIX))
    deadline = time.monotonic() + timeout_s
    while True:
        snap = EscalationMonitor(ALIAS, ["small", "large"], state).snapshot()
        if snap.requests >= at_least or time.monotonic() > deadline:
            return snap
        time.sleep(0.05)


def settled(redis: RedisProcess, quiet_s: float = 1.0, timeout_s: float = 15.0) -> MonitorSnapshot:
    """The view once no count has arrived for ``quiet_s`` (4x ``flush_s``): the previous burst is all in, so
    what comes next is this test's alone. Writers on a loaded machine can lag well past ``flush_s``."""
    deadline = time.monotonic() + timeout_s
    last = redis_view(redis)
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        snap = redis_view(redis)
        if snap.requests != last.requests:
            last, stable_since = snap, time.monotonic()
        elif time.monotonic() - stable_since >= quiet_s:
            return snap
    return last


async def _burst(proxies: tuple[Proxy, Proxy], prompts: list[str]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(prompts))
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"{proxies[i % 2].url}/v1/chat/completions",
                    json={"model": ALIAS, "messages": user(text)},
                    headers=proxies[i % 2].headers,
                )
                for i, text in enumerate(prompts)
            )
        )


def burst(proxies: tuple[Proxy, Proxy], prompts: list[str]) -> list[httpx.Response]:
    return asyncio.run(_burst(proxies, prompts))


def metric(proxy: Proxy, name: str, **labels: str) -> float | None:
    # LiteLLM mounts the Prometheus app at /metrics/ (/metrics redirects) behind the proxy's key by default.
    got = httpx.get(f"{proxy.url}/metrics/", headers=proxy.headers, timeout=10)
    assert got.status_code == 200, got.text[:300]
    text = got.text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if m and ",".join(sorted(m.group(1).split(","))) == wanted:
            return float(m.group(2))
    return None


def test_200_concurrent_requests_across_two_instances_none_lost(pair: tuple[Proxy, Proxy], redis: RedisProcess) -> None:
    started = time.monotonic()
    responses = burst(pair, [prompt(i) for i in range(200)])
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 200
    tiers = Counter(r.headers["x-router-tier"] for r in responses)
    escalations = sum(int(r.headers["x-router-escalations"]) for r in responses)
    assert tiers == {"small": 80, "large": 120} and escalations == 60

    snap = redis_view(redis, at_least=200)
    print(f"\n200 requests over 2 proxies: all 200 in {elapsed:.1f} s; Redis counts {snap.requests} requests")
    assert snap.requests == 200
    assert snap.escalation_rate == pytest.approx(60 / 200) and snap.bottom_share == pytest.approx(80 / 200)
    assert snap.tier_share == pytest.approx({"small": 0.4, "large": 0.6})

    # Each instance's Prometheus counters hold what it served; together, what the clients saw.
    for tier, total in tiers.items():
        per_instance = [metric(p, "litellm_router_ext_requests_total", router=ALIAS, tier=tier) for p in pair]
        served = [
            sum(1 for i, r in enumerate(responses) if i % 2 == k and r.headers["x-router-tier"] == tier) for k in (0, 1)
        ]
        assert per_instance == served and sum(served) == total
    assert sum(metric(p, "litellm_router_ext_escalations_total", router=ALIAS) or 0 for p in pair) == 60

    # Once its monitor refreshes, each instance's view (logging payload, gauges, band warning) is the shared one.
    time.sleep(5.5)
    after = burst(pair, [prompt(0), prompt(1)])
    assert [r.status_code for r in after] == [200, 200]
    for proxy, response in zip(pair, after, strict=True):
        monitor = _logged_monitor(proxy, response.headers["x-litellm-call-id"])
        assert monitor["requests"] >= 201 and monitor["in_band"] is False
        assert metric(proxy, "litellm_router_ext_escalation_in_band", router=ALIAS) == 0.0
        rate = metric(proxy, "litellm_router_ext_escalation_rate", router=ALIAS)
        assert rate is not None and 0.29 < rate < 0.31
        assert "router shared: escalation rate 0.29" in proxy.process.log.read_text(errors="replace")


def test_redis_killed_and_restarted_mid_run_loses_no_request_or_count(
    pair: tuple[Proxy, Proxy], redis: RedisProcess
) -> None:
    settled(redis)  # the previous test's last counts are in the old Redis, not in the restarted one
    redis.stop()
    started = time.monotonic()
    during = burst(pair, [prompt(i) for i in range(20)])
    assert [r.status_code for r in during] == [200] * 20
    assert time.monotonic() - started < 15
    for proxy in pair:  # the background writer meets the outage within flush_s
        assert _wait_log(proxy, "Redis unavailable (ConnectionError); routing state is local")

    redis.start()  # same port, empty (no persistence): what reaches it now is the outage's counts plus new ones
    time.sleep(RETRY_AFTER_S + 0.3)
    after = burst(pair, [prompt(i) for i in range(10)])
    assert [r.status_code for r in after] == [200] * 10
    for proxy in pair:
        assert _wait_log(proxy, "Redis is back;")
    redis_view(redis, at_least=30)
    snap = settled(redis)  # and nothing more lands later (a count twice)
    assert snap.requests == 30
    assert snap.escalation_rate == pytest.approx((6 + 3) / 30)


def _log(proxy: Proxy) -> str:
    return proxy.process.log.read_text(errors="replace")


def _wait_log(proxy: Proxy, text: str, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while text not in _log(proxy):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _logged_monitor(proxy: Proxy, call_id: str, timeout_s: float = 10.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for record in proxy.logged():
            metadata = record.get("spend_logs_metadata")
            if record.get("call_id") == call_id and isinstance(metadata, dict) and "tiered_routing_monitor" in metadata:
                return metadata["tiered_routing_monitor"]  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no monitor snapshot logged for call {call_id}")


def test_redis_stalled_mid_run_costs_bounded_latency_and_loses_no_count(
    pair: tuple[Proxy, Proxy], redis: RedisProcess
) -> None:
    before = settled(redis).requests
    assert redis.proc is not None
    os.kill(redis.proc.pid, signal.SIGSTOP)  # a stalled Redis: the kernel still accepts connections, no replies
    try:
        started = time.monotonic()
        during = burst(pair, [prompt(i) for i in range(20)])
        elapsed = time.monotonic() - started
        time.sleep(RETRY_AFTER_S + 0.2)
        started = time.monotonic()
        again = burst(pair, [prompt(i) for i in range(20)])  # each instance tries Redis again, once
        elapsed_again = time.monotonic() - started
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
    print(f"\nRedis stalled: 20 requests in {elapsed:.2f} s, 20 more after the retry period in {elapsed_again:.2f} s")
    assert [r.status_code for r in during + again] == [200] * 40
    assert elapsed < 5 and elapsed_again < 5
    for proxy in pair:
        assert _wait_log(proxy, "Redis unavailable (TimeoutError)")
    time.sleep(RETRY_AFTER_S + 0.2)
    assert [r.status_code for r in burst(pair, [prompt(i) for i in range(10)])] == [200] * 10
    # Nothing lost, nothing twice. A batch whose reply timed out is kept and re-sent with its id; if the
    # stalled Redis ran it on resuming, the guard makes the re-send a no-op (it was 52 for 50 before batches).
    counted = redis_view(redis, at_least=before + 50).requests - before
    time.sleep(1.0)  # a duplicate would land now, once the writers' retries are through
    counted = redis_view(redis).requests - before
    print(f"Redis counted {counted} for 50 requests after the stall")
    assert counted == 50
