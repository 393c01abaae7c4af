"""Fixtures of the learned-scorer tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _record(i: int, text: str, weak: float, strong: float, source: str) -> str:
    return json.dumps({"id": f"{source}-{i}", "source": source, "category": None,
                       "messages": [{"role": "user", "content": text}],
                       "outcomes": {"small": {"score": weak}, "big": {"score": strong}}})


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """Arithmetic word problems the small model fails and greetings it passes, mixed within two sources.

    Targets are ranked within each source, so each source must hold both kinds for there to be a signal.
    """
    lines = []
    for i in range(60):
        source = ("math", "chat")[i % 2]
        lines.append(_record(i, f"A train travels {i + 3} km per hour for {i % 7 + 2} hours, then twice as far. "
                             "How many km in total? Explain step by step.", 0.0, 1.0, source))
        lines.append(_record(100 + i, f"Say hello to my friend number {i}.", 1.0, 1.0, source))
    path = tmp_path / "evalset.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path
