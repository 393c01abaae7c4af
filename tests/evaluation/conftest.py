"""Small eval sets written to tmp_path, with a price table beside them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PRICES = {"cheap": {"input_usd_per_mtok": 1.0, "output_usd_per_mtok": 2.0},
          "strong": {"input_usd_per_mtok": 10.0, "output_usd_per_mtok": 20.0}}


def record(i: int, prompt: str, cheap: float, strong: float, *, category: str | None = "c",
           response: str | None = None, **extra: object) -> dict[str, object]:
    cheap_outcome: dict[str, object] = {"score": cheap}
    if response is not None:
        cheap_outcome["response"] = response
    return {"id": f"t-{i}", "source": "t", "category": category,
            "messages": [{"role": "user", "content": prompt}],
            "outcomes": {"cheap": cheap_outcome, "strong": {"score": strong}}, **extra}


def write_set(folder: Path, records: list[dict[str, object]], name: str = "set.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (folder / "models.json").write_text(json.dumps(PRICES), encoding="utf-8")
    return path


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    """40 items: easy chit-chat the cheap tier gets right, hard proofs only the strong tier gets right."""
    records = []
    for i in range(20):
        records.append(record(i, "hi, thanks!", 1.0, 1.0, category="chat"))
    for i in range(20, 40):
        records.append(record(i, "Prove rigorously by induction that the sum of the first n odd numbers is n^2. "
                                 "Derive each step and justify the lemma.", 0.0, 1.0, category="proof"))
    return write_set(tmp_path, records)
