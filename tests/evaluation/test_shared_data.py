"""Reproduce the landscape baselines on the shared sets (skipped when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_router_ext.evaluation.dataset import load_eval_set
from litellm_router_ext.evaluation.outcomes import RecordedOutcomes, default_ladder
from litellm_router_ext.evaluation.prices import find_prices
from litellm_router_ext.evaluation.replay import evaluate
from litellm_router_ext.evaluation.routers import build_router

# landscape.md, measured with litellm 1.110.2's scorers: (oracle, litellm-heuristic, litellm-heuristic-v2)
EXPECTED = {"routellm-gsm8k": (1.13, 0.54, 0.49), "routellm-mtbench": (0.97, 0.71, 0.67),
            "llmrouter-test": (1.48, 0.79, 0.61)}
LADDERS = {"llmrouter-test": ["gemma-2-9b-it", "llama-3.1-nemotron-51b-instruct"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_baseline_apgr_matches_landscape(shared_data: Path, name: str):
    path = shared_data / f"{name}.jsonl"
    eval_set = load_eval_set(path)
    prices = find_prices(path, None)
    table = RecordedOutcomes(prices).table(eval_set, default_ladder(eval_set, LADDERS.get(name), prices))
    routers = [build_router(s, table.items, table.tiers) for s in ("litellm-heuristic", "litellm-heuristic-v2")]
    report = evaluate(table, routers, bootstrap=0)
    oracle, heuristic, v2 = EXPECTED[name]
    assert report.result("oracle").apgr == pytest.approx(oracle, abs=0.02)
    assert report.result("litellm-heuristic").apgr == pytest.approx(heuristic, abs=0.02)
    assert report.result("litellm-heuristic-v2").apgr == pytest.approx(v2, abs=0.02)
    assert report.result("random").apgr == pytest.approx(0.5)
