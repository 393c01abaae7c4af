"""Per-request routing decision latency, ours vs LiteLLM's complexity_router scorers, in one process.

Every prompt of the shared eval sets goes through each method in turn (round-robin, so machine noise
hits all of them alike); each call is timed with perf_counter_ns. Methods:

- ``ours``: the default policy's full decision: parse the request (RequestView) + score + thresholds +
  constraints, i.e. what runs before every ``tiered/<alias>`` call;
- ``ours_heuristic`` / ``ours_learned``: the scorers alone, on an already-parsed request (``learned`` includes
  its LiteLLM-heuristic prior);
- ``ours_litellm_heuristic``: LiteLLM's heuristic rules as our ``litellm-heuristic`` scorer evaluates them
  (frozen copy, same score), on the quantile scale;
- ``learned:NAME``: the learned scorer with an artifact of your own (``--learned-artifact NAME=PATH``,
  e.g. a trees-form artifact written by ``litellm-router train --model trees``);
- ``litellm_heuristic``: ``ComplexityRouter.classify(prompt)`` (LiteLLM's default complexity router);
- ``litellm_heuristic_v2``: heuristic_v2's ``TierSuccessPredictor.predict`` after LiteLLM's ``classify_prompt``.

    python bench/decision_latency.py [--limit N] [--json out.json] [--learned-artifact NAME=PATH ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
FILES = ("routellm-gsm8k", "routellm-mmlu", "routellm-mtbench", "llmrouter-train", "llmrouter-test")


def load_prompts(limit: int | None) -> list[str]:
    prompts: list[str] = []
    for name in FILES:
        with open(DATA / f"{name}.jsonl", encoding="utf-8") as f:
            prompts.extend(json.loads(line)["messages"][-1]["content"] for line in f if line.strip())
    if limit:
        step = max(1, len(prompts) // limit)
        prompts = prompts[::step][:limit]
    return prompts


def methods(artifacts: dict[str, str] | None = None) -> dict[str, Callable[[str], Any]]:
    from litellm_router_ext import RequestView, TierPolicy
    from litellm_router_ext.adapters.litellm_baselines import _complexity_router, _v2_predictor
    from litellm_router_ext.config import parse_config
    from litellm_router_ext.scorers.heuristic import HeuristicScorer

    config = parse_config(
        {
            "alias": "bench",
            "thresholds": [0.5],
            "tiers": [{"name": "small", "model": "small"}, {"name": "large", "model": "large"}],
        }
    ).routers[0]
    policy = TierPolicy.from_config(config)
    heuristic = HeuristicScorer()
    complexity = _complexity_router()
    predictor, classify_prompt = _v2_predictor()
    views: dict[str, RequestView] = {}

    def view(prompt: str) -> RequestView:
        if prompt not in views:
            views[prompt] = RequestView.from_openai([{"role": "user", "content": prompt}])
        return views[prompt]

    out: dict[str, Callable[[str], Any]] = {
        "ours": lambda p: policy.decide(RequestView.from_openai([{"role": "user", "content": p}])),
        "ours_heuristic": lambda p: heuristic.score(view(p)),
        "litellm_heuristic": lambda p: complexity.classify(p),
        "litellm_heuristic_v2": lambda p: predictor.predict(p, classify_prompt(p)),
    }
    try:
        from litellm_router_ext.scorers.learned import LearnedScorer

        learned = LearnedScorer()
        out["ours_learned"] = lambda p: learned.score(view(p))
        from litellm_router_ext.scorers.litellm_heuristic import LiteLLMHeuristicScorer

        frozen = LiteLLMHeuristicScorer()  # LiteLLM's rules, evaluated by us: compare with litellm_heuristic
        out["ours_litellm_heuristic"] = lambda p: frozen.score(view(p))
        for name, path in (artifacts or {}).items():
            scorer = LearnedScorer(path)
            out[f"learned:{name}"] = lambda p, s=scorer: s.score(view(p))
    except ImportError:
        pass
    return out


def measure(prompts: list[str], fns: dict[str, Callable[[str], Any]], warmup: int = 200) -> dict[str, list[float]]:
    for prompt in prompts[:warmup]:
        for fn in fns.values():
            fn(prompt)
    timings: dict[str, list[float]] = {name: [] for name in fns}
    clock = time.perf_counter_ns
    for prompt in prompts:
        for name, fn in fns.items():
            start = clock()
            fn(prompt)
            timings[name].append((clock() - start) / 1000)
    return timings


def summarise(timings: dict[str, list[float]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in timings.items():
        ordered = sorted(values)
        out[f"{name}_median_us"] = round(statistics.median(ordered), 2)
        out[f"{name}_p99_us"] = round(ordered[int(0.99 * (len(ordered) - 1))], 2)
    ours = out["ours_median_us"]
    out["speedup_vs_litellm_heuristic"] = round(out["litellm_heuristic_median_us"] / ours, 1)
    out["speedup_vs_litellm_heuristic_v2"] = round(out["litellm_heuristic_v2_median_us"] / ours, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="Use an evenly spaced subset of N prompts")
    parser.add_argument("--json", type=Path, default=None, help="Write the figures here")
    parser.add_argument("--learned-artifact", action="append", default=[], metavar="NAME=PATH",
                        help="Also time the learned scorer with this artifact (repeatable)")
    args = parser.parse_args()
    prompts = load_prompts(args.limit)
    fns = methods(dict(a.split("=", 1) for a in args.learned_artifact))
    results = summarise(measure(prompts, fns))
    results.update(
        n_prompts=len(prompts), python=platform.python_version(), machine=platform.machine(), cpus=os.cpu_count()
    )
    width = max(map(len, fns))
    for name in fns:
        median, p99 = results[f"{name}_median_us"], results[f"{name}_p99_us"]
        print(f"{name:{width}s} median {median:9.1f} us   p99 {p99:9.1f} us")
    print(
        f"ours is {results['speedup_vs_litellm_heuristic']}x faster than LiteLLM's heuristic and "
        f"{results['speedup_vs_litellm_heuristic_v2']}x faster than heuristic_v2 (medians, {len(prompts)} prompts)"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
