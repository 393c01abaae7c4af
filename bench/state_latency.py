"""Request-path cost of shared routing state on a real Redis: write-behind (default) against writing inline.

Per simulated request, the work the router does on its state: one conversation lookup (``get``), one
conversation write (``put``) and one monitor count (``EscalationMonitor.record``). Three backends in one run,
interleaved in rounds so machine noise hits them alike:

- ``memory``: this process only (``state.backend: memory``), the floor;
- ``redis-inline``: ``flush_s: 0``, every write is a Redis round trip on the request path (before 2026-11-28);
- ``redis-write-behind``: ``flush_s: 0.25`` (default), writes queued for a background thread.

Needs Debian's ``redis-server`` on PATH; it is started on a free loopback port and stopped at the end.

    python bench/state_latency.py [--requests 3000] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litellm_router_ext.adapters.redis_state import RedisState
from litellm_router_ext.config import StateConfig
from litellm_router_ext.state import (
    ConversationMemory,
    CounterStore,
    EscalationMonitor,
    InMemoryConversationMemory,
    InMemoryCounterStore,
)
from litellm_router_ext.types import Decision

DECISION = Decision(router="r", tier="small", tier_index=0, model="m", cause="threshold", difficulty=0.1,
                    scores={}, decision_us=1.0)


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found (apt-get install redis-server)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("redis-server did not start")


def per_request_us(memory: ConversationMemory, monitor: EscalationMonitor, n: int, offset: int) -> list[float]:
    out = []
    for i in range(n):
        key = f"conv-{offset + i}"
        t = time.perf_counter()
        memory.get(key)
        memory.put(key, 1)
        monitor.record(DECISION)
        out.append((time.perf_counter() - t) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="simulated requests per backend and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_redis(tmp)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            memory_store = InMemoryCounterStore()
            backends: dict[str, tuple[ConversationMemory, CounterStore]] = {
                "memory": (InMemoryConversationMemory(), memory_store),
                "redis-inline": (s := RedisState(StateConfig(backend="redis", redis={"url": url}, flush_s=0)), s),
                "redis-write-behind": (w := RedisState(StateConfig(backend="redis", redis={"url": url})), w),
            }
            samples: dict[str, list[float]] = {name: [] for name in backends}
            for r in range(args.rounds):
                for name, (memory, store) in backends.items():
                    monitor = EscalationMonitor(name, ["small", "large"], store)
                    samples[name] += per_request_us(memory, monitor, args.requests, r * args.requests)
            w.close()
            written = EscalationMonitor("redis-write-behind", ["small", "large"], s).snapshot().requests
        finally:
            proc.kill()
    base = statistics.median(samples["redis-inline"])
    rows = {name: {"median_us": round(statistics.median(v), 1),
                   "p99_us": round(sorted(v)[int(0.99 * len(v))], 1),
                   "vs_redis_inline": round(statistics.median(v) / base, 3)} for name, v in samples.items()}
    result = {"requests": args.requests * args.rounds, "rows": rows, "write_behind_counts_in_redis": written}
    print(f"{'backend':20s} {'median us':>10s} {'p99 us':>10s} {'x inline':>9s}")
    for name, row in rows.items():
        print(f"{name:20s} {row['median_us']:10.1f} {row['p99_us']:10.1f} {row['vs_redis_inline']:9.3f}")
    print(f"write-behind counts found in Redis after close(): {written} of {result['requests']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
