"""Proxy overhead: one real LiteLLM proxy, one instant stub upstream, concurrent clients.

Starts ``bench/stub_upstream.py`` and ONE ``litellm --config`` proxy (no database) whose config has:

- ``plain``: a plain model group on the stub (the baseline);
- ``bench``: the model group of ``tiered/bench`` (the recipe way of exposing a router), two tiers on the
  stub, default heuristic scorer, no cascade: no escalation, one upstream call per request;
- ``bench-precall``: the same router with ``dispatch: precall``: the tier is picked in a pre-call hook and
  the proxy calls that tier's group directly (one LiteLLM trip);
- ``bench-cascade``: ``tiered/bench-cascade``, every request starts on the bottom tier (threshold 0.999)
  and a ``refusal`` validator checks its answer. The stub refuses when the bottom tier's model is asked a
  prompt carrying a marker, and every 5th prompt carries it, so exactly 20% of requests escalate (two
  upstream calls); the client counts ``x-router-escalations`` to confirm;
- ``bench-precall-cascade``: that cascade with ``dispatch: precall``: the proxy calls the bottom tier
  itself, the answer is checked in the post-call hook, and only the 20% that fail make a second call.

Every deployment is priced through ``model_info`` (as a real priced model is), so cost lookups take their
normal path. All scenarios send the same prompts (the shipped demo prompts, numbered).

The load is an asyncio aiohttp client (uvloop when installed) with C concurrent workers sending a fixed
number of requests. Scenarios alternate within each round (order rotated each round) so machine noise
hits them alike; figures pool the rounds (rps = requests / summed wall time, p50/p99 over all requests)
and the ratios are the median of per-round ratios. The stub's own rps through the same client is reported
to show that neither the client nor the stub is the bottleneck.

Under load the proxy is saturated, so p50 there is mostly queueing (about clients / rps); the added
latency of routing itself is measured first with one client at a time (``unloaded_*``).

    python bench/proxy_overhead.py [--requests 600] [--concurrency 32,128] [--rounds 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
LITELLM_BIN = Path(sys.executable).with_name("litellm")
PROMPTS = ROOT / "litellm_router_ext" / "data" / "demo_prompts.jsonl"
MARKER = "[[refuse]]"
WEAK_MODEL = "bench-weak"
SCENARIOS = {"plain": "plain", "tiered": "bench", "precall": "bench-precall", "cascade": "bench-cascade",
             "pcascade": "bench-precall-cascade"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_configs(folder: Path, stub_base: str) -> Path:
    price = {"input_cost_per_token": 1e-7, "output_cost_per_token": 4e-7}

    def group(name: str, upstream: str) -> dict[str, Any]:
        params = {"model": f"openai/{upstream}", "api_base": stub_base, "api_key": "sk-bench"}
        return {"model_name": name, "litellm_params": params, "model_info": price}

    proxy = {
        "model_list": [
            group("plain", "bench-plain"),
            group("weak", WEAK_MODEL),
            group("strong", "bench-strong"),
            {"model_name": "bench", "litellm_params": {"model": "tiered/bench"}},
            {"model_name": "bench-cascade", "litellm_params": {"model": "tiered/bench-cascade"}},
            {"model_name": "bench-precall", "litellm_params": {"model": "tiered/bench-precall"}},
            {"model_name": "bench-precall-cascade", "litellm_params": {"model": "tiered/bench-precall-cascade"}},
        ],
        "router_settings": {"num_retries": 0, "timeout": 60},
        "litellm_settings": {
            "custom_provider_map": [
                {"provider": "tiered", "custom_handler": "litellm_router_ext.proxy.tiered_provider"}
            ],
            "callbacks": ["litellm_router_ext.proxy.router_headers"],
        },
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }

    def tiers() -> list[dict[str, str]]:  # fresh lists: shared ones would be dumped as YAML aliases
        return [{"name": "weak", "model": "weak"}, {"name": "strong", "model": "strong"}]

    router = {
        "routers": [
            {"alias": "bench", "tiers": tiers(), "thresholds": [0.5]},
            {"alias": "bench-precall", "tiers": tiers(), "thresholds": [0.5], "dispatch": "precall"},
            {
                "alias": "bench-cascade",
                "tiers": tiers(),
                "thresholds": [0.999],
                "cascade": {"validators": [{"name": "refusal"}], "max_escalations": 1},
            },
            {
                "alias": "bench-precall-cascade",
                "tiers": tiers(),
                "thresholds": [0.999],
                "cascade": {"validators": [{"name": "refusal"}], "max_escalations": 1},
                "dispatch": "precall",
            },
        ]
    }
    (folder / "router.yaml").write_text(yaml.safe_dump(router, sort_keys=False))
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump(proxy, sort_keys=False))
    return config


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)


def spawn(name: str, argv: list[str], log: Path, env: dict[str, str], cwd: Path) -> Child:
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Child(name, popen, log)


async def wait_ready(child: Child, url: str, timeout_s: float, headers: dict[str, str] | None = None) -> float:
    started = time.monotonic()
    async with aiohttp.ClientSession(headers=headers) as session:
        while time.monotonic() - started < timeout_s:
            if child.popen.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.popen.returncode}:\n{child.tail()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{child.name} not ready at {url} after {timeout_s:.0f} s:\n{child.tail()}")


@contextlib.contextmanager
def running(children: list[Child]) -> Iterator[list[Child]]:
    try:
        yield children
    finally:
        for child in reversed(children):
            child.stop()


# ------------------------------------------------------------------------------------------ load


def load_prompts() -> list[str]:
    return [json.loads(line)["prompt"] for line in PROMPTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def prompt_for(prompts: list[str], i: int) -> str:
    text = f"{prompts[i % len(prompts)]} (#{i})"
    return f"{text} {MARKER}" if i % 5 == 0 else text  # every 5th: the bottom tier refuses it


@dataclass
class Run:
    """One scenario at one concurrency for one round."""

    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    errors: int = 0
    escalated: int = 0
    routed: int = 0


async def drive(url: str, headers: dict[str, str], model: str, n: int, concurrency: int, prompts: list[str]) -> Run:
    """``n`` requests from ``concurrency`` workers over keep-alive connections; latency of each."""
    run = Run()
    counter = iter(range(n))
    clock = time.perf_counter
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            body = {"model": model, "messages": [{"role": "user", "content": prompt_for(prompts, i)}]}
            started = clock()
            try:
                async with session.post(url, json=body) as response:
                    await response.read()
                    ok = response.status == 200
                    escalations = response.headers.get("x-router-escalations")
            except (TimeoutError, aiohttp.ClientError):
                ok, escalations = False, None
            run.latencies_ms.append((clock() - started) * 1000)
            if not ok:
                run.errors += 1
            if escalations is not None:
                run.routed += 1
                run.escalated += int(escalations) > 0

    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as session:
        started = clock()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        run.wall_s = clock() - started
    return run


def pooled(runs: list[Run]) -> dict[str, Any]:
    latencies = sorted(x for r in runs for x in r.latencies_ms)
    n = len(latencies)
    routed = sum(r.routed for r in runs)
    return {
        "requests": n,
        "rps": round(n / sum(r.wall_s for r in runs), 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(0.99 * (n - 1))], 2),
        "errors": sum(r.errors for r in runs),
        "escalation_rate": round(sum(r.escalated for r in runs) / routed, 4) if routed else None,
        "round_rps": [round(len(r.latencies_ms) / r.wall_s, 1) for r in runs],
    }


def median_ratio(a: list[Run], b: list[Run]) -> float:
    """Median over rounds of rps(a) / rps(b)."""
    return round(statistics.median(_rps(x) / _rps(y) for x, y in zip(a, b, strict=True)), 3)


def _rps(run: Run) -> float:
    return len(run.latencies_ms) / run.wall_s


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    prompts = load_prompts()
    levels = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as tmp_name, running([]) as children:
        tmp = Path(tmp_name)
        stub_port, proxy_port = free_port(), free_port()
        stub_argv = [sys.executable, str(ROOT / "bench" / "stub_upstream.py"), "--port", str(stub_port)]
        stub_argv += ["--refuse-model", WEAK_MODEL, "--refuse-marker", MARKER]
        children.append(spawn("stub", stub_argv, tmp / "stub.log", {}, tmp))
        stub_base = f"http://127.0.0.1:{stub_port}/v1"
        await wait_ready(children[0], f"{stub_base}/models", 20)
        config = write_configs(tmp, stub_base)
        key = "sk-" + secrets.token_urlsafe(24)
        env = {
            "LITELLM_MASTER_KEY": key,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_ROUTER_EXT_CONFIG": str(tmp / "router.yaml"),
            "PYTHONPATH": str(ROOT),
        }
        proxy_argv = [str(LITELLM_BIN), "--config", str(config), "--host", "127.0.0.1", "--port", str(proxy_port)]
        children.append(spawn("proxy", proxy_argv, tmp / "proxy.log", env, tmp))
        headers = {"Authorization": f"Bearer {key}"}
        proxy_url = f"http://127.0.0.1:{proxy_port}"
        startup_s = await wait_ready(children[1], f"{proxy_url}/health/liveliness", args.start_timeout)
        print(f"proxy up in {startup_s:.1f} s; stub on :{stub_port}, proxy on :{proxy_port}", flush=True)

        chat = f"{proxy_url}/v1/chat/completions"
        for model in SCENARIOS.values():  # first requests load the router config and warm LiteLLM's caches
            warm = await drive(chat, headers, model, args.warmup, min(levels), prompts)
            if warm.errors:
                raise RuntimeError(f"warm-up of {model!r}: {warm.errors} errors\n{children[1].tail()}")

        # One client at a time: latency without queueing, i.e. what routing adds to each request.
        unloaded: dict[str, list[Run]] = {name: [] for name in SCENARIOS}
        for r in range(args.rounds):
            for name in list(SCENARIOS)[r % len(SCENARIOS) :] + list(SCENARIOS)[: r % len(SCENARIOS)]:
                unloaded[name].append(await drive(chat, headers, SCENARIOS[name], args.unloaded_requests, 1, prompts))
        serial = {name: pooled(rs) for name, rs in unloaded.items()}

        grid: dict[str, Any] = {}
        for concurrency in levels:
            stub_url = f"{stub_base}/chat/completions"
            stub_run = await drive(stub_url, {}, "bench-plain", args.requests, concurrency, prompts)
            runs: dict[str, list[Run]] = {name: [] for name in SCENARIOS}
            names = list(SCENARIOS)
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    run = await drive(chat, headers, SCENARIOS[name], args.requests, concurrency, prompts)
                    runs[name].append(run)
                    print(
                        f"  c={concurrency:<4d} round {r + 1}  {name:8s} {len(run.latencies_ms) / run.wall_s:7.1f} rps"
                        f"  p50 {statistics.median(run.latencies_ms):6.1f} ms  errors {run.errors}",
                        flush=True,
                    )
            cell: dict[str, Any] = {name: pooled(rs) for name, rs in runs.items()}
            cell["stub_direct_rps"] = round(args.requests / stub_run.wall_s, 1)
            cell["tiered_over_plain_rps"] = median_ratio(runs["tiered"], runs["plain"])
            cell["precall_over_plain_rps"] = median_ratio(runs["precall"], runs["plain"])
            cell["cascade_over_plain_rps"] = median_ratio(runs["cascade"], runs["plain"])
            cell["pcascade_over_plain_rps"] = median_ratio(runs["pcascade"], runs["plain"])
            cell["tiered_added_p50_ms"] = round(cell["tiered"]["p50_ms"] - cell["plain"]["p50_ms"], 2)
            cell["precall_added_p50_ms"] = round(cell["precall"]["p50_ms"] - cell["plain"]["p50_ms"], 2)
            grid[str(concurrency)] = cell
        return {"grid": grid, "unloaded": serial, "proxy_startup_s": round(startup_s, 1), "levels": levels}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600, help="requests per scenario per round")
    parser.add_argument("--unloaded-requests", type=int, default=150, help="requests per scenario per round, 1 client")
    parser.add_argument("--concurrency", default="32,128", help="comma-separated client counts; the first is headline")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the scenarios")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per scenario")
    parser.add_argument("--start-timeout", type=float, default=180.0, help="seconds to wait for the proxy")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    try:
        import uvloop
    except ImportError:
        out = asyncio.run(bench(args))
    else:
        out = uvloop.run(bench(args))
    head = out["grid"][str(out["levels"][0])]
    unloaded = out["unloaded"]
    results: dict[str, Any] = {
        "concurrency": out["levels"][0],
        "requests_per_scenario_round": args.requests,
        "rounds": args.rounds,
        **{f"{name}_rps": head[name]["rps"] for name in SCENARIOS},
        **{f"{name}_p50_ms": head[name]["p50_ms"] for name in SCENARIOS},
        **{f"{name}_p99_ms": head[name]["p99_ms"] for name in SCENARIOS},
        "tiered_over_plain_rps": head["tiered_over_plain_rps"],
        "precall_over_plain_rps": head["precall_over_plain_rps"],
        "cascade_over_plain_rps": head["cascade_over_plain_rps"],
        "pcascade_over_plain_rps": head["pcascade_over_plain_rps"],
        "tiered_added_p50_ms": head["tiered_added_p50_ms"],
        "cascade_escalation_rate": head["cascade"]["escalation_rate"],
        "pcascade_escalation_rate": head["pcascade"]["escalation_rate"],
        "stub_direct_rps": head["stub_direct_rps"],
        **{f"unloaded_{name}_p50_ms": out["unloaded"][name]["p50_ms"] for name in SCENARIOS},
        "unloaded_tiered_added_p50_ms": round(unloaded["tiered"]["p50_ms"] - unloaded["plain"]["p50_ms"], 2),
        "unloaded_precall_added_p50_ms": round(unloaded["precall"]["p50_ms"] - unloaded["plain"]["p50_ms"], 2),
        "unloaded": out["unloaded"],
        "errors": sum(cell[name]["errors"] for cell in out["grid"].values() for name in SCENARIOS),
        "proxy_startup_s": out["proxy_startup_s"],
        "grid": out["grid"],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(f"\n1 client at a time ({args.rounds} x {args.unloaded_requests} requests per scenario)")
    for name in SCENARIOS:
        c = out["unloaded"][name]
        print(f"  {name:8s} p50 {c['p50_ms']:7.2f} ms  p99 {c['p99_ms']:7.2f} ms")
    print(f"  tiered adds {results['unloaded_tiered_added_p50_ms']:+.2f} ms at p50, "
          f"precall dispatch {results['unloaded_precall_added_p50_ms']:+.2f} ms")
    for level, cell in out["grid"].items():
        print(f"\n{level} concurrent clients ({args.rounds} x {args.requests} requests per scenario)")
        for name in SCENARIOS:
            c = cell[name]
            esc = f"  escalated {c['escalation_rate']:.0%}" if "cascade" in name and c["escalation_rate"] else ""
            print(f"  {name:8s} {c['rps']:7.1f} rps  p50 {c['p50_ms']:7.2f} ms  p99 {c['p99_ms']:7.2f} ms{esc}")
        print(
            f"  tiered/plain rps {cell['tiered_over_plain_rps']:.3f}, added p50 {cell['tiered_added_p50_ms']:+.2f} ms;"
            f" cascade/plain rps {cell['cascade_over_plain_rps']:.3f}, precall cascade/plain rps "
            f"{cell['pcascade_over_plain_rps']:.3f}; stub direct {cell['stub_direct_rps']:.0f} rps"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
