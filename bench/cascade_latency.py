"""Cascade latency on the GSM8K replay: expected and p95 latency of the cascade vs always-strong.

The shared data records answers but no timings, so each tier's latency is modelled from its recorded
answer length: ``ttft + output_tokens / tokens_per_second`` (cl100k tokens), with per-tier figures given
on the command line (defaults are typical hosted figures: Mixtral-8x7B on a fast open-model host, and
GPT-4-1106-preview). The validators are run for real on the recorded answers and timed in-process; a
cascade pays the weak attempt, the checks, and the strong attempt when it escalates.

    python bench/cascade_latency.py [--limit N] [--json out.json]
        [--weak-ttft 0.35 --weak-tps 80 --strong-ttft 0.8 --strong-tps 28]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "routellm-gsm8k.jsonl"
CONFIG = ROOT / "configs" / "eval" / "gsm8k-cascade.yaml"


def main() -> None:
    from litellm_router_ext import RequestView, load_config
    from litellm_router_ext.adapters.tokens import count_tokens
    from litellm_router_ext.cascade import build_validators
    from litellm_router_ext.cascade.replay import replay_cascade

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--weak-ttft", type=float, default=0.35, help="seconds to first token, weak tier")
    parser.add_argument("--weak-tps", type=float, default=80.0, help="output tokens per second, weak tier")
    parser.add_argument("--strong-ttft", type=float, default=0.8, help="seconds to first token, strong tier")
    parser.add_argument("--strong-tps", type=float, default=28.0, help="output tokens per second, strong tier")
    args = parser.parse_args()

    router = load_config(CONFIG).routers[0]
    assert router.cascade is not None
    validators = build_validators(router.cascade)
    weak, strong = (t.model for t in router.tiers)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if weak in r["outcomes"] and strong in r["outcomes"]][: args.limit]
    weak_tokens = count_tokens([r["outcomes"][weak].get("response", "") for r in rows])
    strong_tokens = count_tokens([r["outcomes"][strong].get("response", "") for r in rows])
    weak_s = args.weak_ttft + np.array(weak_tokens) / args.weak_tps
    strong_s = args.strong_ttft + np.array(strong_tokens) / args.strong_tps

    cascade_s = np.empty(len(rows))
    check_us = np.empty(len(rows))
    escalated = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        request = RequestView.from_openai(row["messages"])
        responses = [row["outcomes"][weak].get("response"), row["outcomes"][strong].get("response")]
        started = time.perf_counter_ns()
        finished = replay_cascade(request, responses, tiers=router.tiers, validators=validators, cascade=router.cascade)
        check_us[i] = (time.perf_counter_ns() - started) / 1000
        escalated[i] = finished.index == 1
        cascade_s[i] = weak_s[i] + check_us[i] / 1e6 + (strong_s[i] if escalated[i] else 0.0)

    results = {
        "n": len(rows),
        "escalation_rate": round(float(escalated.mean()), 4),
        "cascade_mean_s": round(float(cascade_s.mean()), 3),
        "cascade_p95_s": round(float(np.percentile(cascade_s, 95)), 3),
        "strong_mean_s": round(float(strong_s.mean()), 3),
        "strong_p95_s": round(float(np.percentile(strong_s, 95)), 3),
        "weak_mean_s": round(float(weak_s.mean()), 3),
        "check_median_us": round(float(np.median(check_us)), 1),
        "check_p99_us": round(float(np.percentile(check_us, 99)), 1),
        "assumptions": {
            "weak_ttft_s": args.weak_ttft,
            "weak_tps": args.weak_tps,
            "strong_ttft_s": args.strong_ttft,
            "strong_tps": args.strong_tps,
        },
    }
    results["mean_ratio_vs_strong"] = round(results["cascade_mean_s"] / results["strong_mean_s"], 3)
    results["p95_ratio_vs_strong"] = round(results["cascade_p95_s"] / results["strong_p95_s"], 3)
    print(f"GSM8K replay, {len(rows)} items, escalation rate {results['escalation_rate']:.1%}")
    print(f"  cascade       mean {results['cascade_mean_s']:.2f} s   p95 {results['cascade_p95_s']:.2f} s")
    print(f"  always-strong mean {results['strong_mean_s']:.2f} s   p95 {results['strong_p95_s']:.2f} s")
    print(f"  checks        median {results['check_median_us']:.0f} us   p99 {results['check_p99_us']:.0f} us")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
