"""Profile the ``tiered/<alias>`` hot path in one process, the way the proxy runs it, against the fast stub.

A ``litellm.Router`` gets the proxy benchmark's model_list (``plain``, ``weak``, ``strong`` on the stub and
``bench`` -> ``tiered/bench``), the provider is installed on it as in the proxy (tiers name its model
groups), and ``Router.acompletion`` is driven with C concurrent tasks. Prints the per-request wall time of
plain vs tiered (and the cascade), and with ``--profile`` the top functions of a cProfile run of the tiered
path, plus the share of time spent in this package's own code.

    python bench/profile_tiered.py [--requests 2000] [--concurrency 32] [--profile tiered|cascade] [--top 40]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from proxy_overhead import MARKER, WEAK_MODEL, free_port, load_prompts, prompt_for  # noqa: E402


def build(stub_base: str) -> Any:
    import litellm
    import yaml
    from litellm.utils import custom_llm_setup
    from proxy_overhead import write_configs

    from litellm_router_ext.adapters.proxy import ProxyTieredProvider

    folder = Path(tempfile.mkdtemp(prefix="profile-tiered-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    config = yaml.safe_load(write_configs(folder, stub_base).read_text())
    provider = ProxyTieredProvider(folder / "router.yaml")  # what the proxy's config.yaml names
    litellm.custom_provider_map = [{"provider": "tiered", "custom_handler": provider}]
    custom_llm_setup()
    router = litellm.Router(model_list=config["model_list"], **config["router_settings"])
    provider.load(router)
    return router


async def drive(router: Any, model: str, n: int, concurrency: int, prompts: list[str]) -> list[float]:
    counter = iter(range(n))
    latencies: list[float] = []

    async def worker() -> None:
        for i in counter:
            started = time.perf_counter()
            await router.acompletion(model=model, messages=[{"role": "user", "content": prompt_for(prompts, i)}])
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


class _InstantRouter:
    """Answers every tier call at once with a fixed priced response: what is left is this package's own time."""

    def __init__(self, template: Any, n: int) -> None:
        self.responses = [template.model_copy(deep=True) for _ in range(n)]  # copied ahead: not timed
        for response in self.responses:
            response._hidden_params = {"response_cost": 3e-6}

    async def acompletion(self, **kwargs: Any) -> Any:
        return self.responses.pop()


async def wrapper_overhead(router: Any, prompts: list[str], n: int) -> dict[str, float]:
    """Median microseconds per ``TieredProvider.acompletion`` with the tier call itself taking no time."""
    import litellm

    from litellm_router_ext.proxy import tiered_provider  # noqa: F401  (same class the proxy uses)

    provider = next(p["custom_handler"] for p in litellm.custom_provider_map if p["provider"] == "tiered")
    template = await router.acompletion(model="plain", messages=[{"role": "user", "content": "hi"}])
    out: dict[str, float] = {}
    for alias in ("bench", "bench-cascade"):
        runtime = provider.runtime(alias)
        real, runtime.router = runtime.router, _InstantRouter(template, 2 * n)
        timings = []
        try:
            for i in range(n):
                messages = [{"role": "user", "content": prompt_for(prompts, i)}]
                kwargs = {"optional_params": {}, "litellm_params": {"metadata": {}}, "logging_obj": None}
                started = time.perf_counter_ns()
                await provider.acompletion(alias, messages, **kwargs)
                timings.append((time.perf_counter_ns() - started) / 1000)
        finally:
            runtime.router = real
        out[alias] = statistics.median(timings[n // 10 :])
    return out


async def main_async(args: argparse.Namespace, stub_base: str) -> None:
    router = build(stub_base)
    prompts = load_prompts()
    for alias, us in (await wrapper_overhead(router, prompts, args.requests)).items():
        print(f"package overhead per request, tier call excluded ({alias}): median {us:.1f} us")
    models = {"plain": "plain", "tiered": "bench", "cascade": "bench-cascade"}
    for model in models.values():
        await drive(router, model, 200, args.concurrency, prompts)
    for r in range(args.rounds):
        for name, model in models.items():
            started = time.perf_counter()
            lat = await drive(router, model, args.requests, args.concurrency, prompts)
            wall = time.perf_counter() - started
            print(
                f"round {r + 1} {name:8s} {args.requests / wall:7.1f} req/s"
                f"  {wall / args.requests * 1e6:7.0f} us/request  p50 {statistics.median(lat):6.1f} ms"
            )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await drive(router, models[args.profile], args.requests, args.concurrency, prompts)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats("litellm_router_ext", args.top)
        print(out.getvalue())
        total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
        ours = sum(v[2] for k, v in stats.stats.items() if "litellm_router_ext" in k[0])  # type: ignore[attr-defined]
        print(f"tottime in litellm_router_ext: {ours:.3f} s of {total:.3f} s ({ours / total:.1%}), "
              f"{ours / args.requests * 1e6:.0f} us/request (under cProfile)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", choices=("plain", "tiered", "cascade"), default=None)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", type=Path, default=None, help="write the cProfile stats here (pstats format)")
    args = parser.parse_args()
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "stub_upstream.py"), "--port", str(port),
         "--refuse-model", WEAK_MODEL, "--refuse-marker", MARKER]
    )
    try:
        time.sleep(1.0)
        import uvloop

        uvloop.run(main_async(args, f"http://127.0.0.1:{port}/v1"))
    finally:
        stub.terminate()
        stub.wait(timeout=10)


if __name__ == "__main__":
    main()
