"""Smoke runs of the benchmark scripts: they run and write the figures they promise (no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(script: str, tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "out.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--json", str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return json.loads(out.read_text())


def test_decision_latency(tmp_path: Path, shared_data: Path) -> None:
    figures = run("decision_latency.py", tmp_path, "--limit", "200")
    for key in ("ours_median_us", "ours_p99_us", "litellm_heuristic_median_us", "litellm_heuristic_v2_median_us"):
        assert isinstance(figures[key], float) and figures[key] > 0


def test_memory(tmp_path: Path) -> None:
    figures = run("memory.py", tmp_path)
    assert {"import_rss_mb", "predictor_rss_mb"} <= set(figures)


def test_cascade_latency(tmp_path: Path, shared_data: Path) -> None:
    figures = run("cascade_latency.py", tmp_path, "--limit", "100")
    assert figures["n"] == 100
    assert 0 <= figures["escalation_rate"] <= 1  # type: ignore[operator]
    assert figures["strong_mean_s"] > 0  # type: ignore[operator]


@pytest.mark.integration
def test_proxy_overhead(tmp_path: Path) -> None:
    small = ("--requests", "40", "--rounds", "1", "--concurrency", "8", "--warmup", "10", "--unloaded-requests", "5")
    figures = run("proxy_overhead.py", tmp_path, *small)
    for key in ("plain_rps", "tiered_rps", "cascade_rps", "pcascade_rps", "plain_p50_ms", "tiered_p50_ms"):
        assert isinstance(figures[key], float) and figures[key] > 0
    assert figures["errors"] == 0
    # every 5th prompt is refused by the bottom tier, with the cascade in the provider or in the proxy's hooks
    assert figures["cascade_escalation_rate"] == figures["pcascade_escalation_rate"] == 0.2
    assert set(figures["grid"]) == {"8"}  # type: ignore[arg-type]
