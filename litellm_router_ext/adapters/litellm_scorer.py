"""LiteLLM's complexity heuristic as a scorer of ours (``name: litellm-heuristic``), on the quantile scale.

LiteLLM's ``ComplexityRouter.classify`` gives an unbounded weighted score. Mapped through the quantiles of
that score over the prompts the shipped ``learned`` artifact was trained on (a table in package data), it
becomes a [0, 1] difficulty on the same scale as ``learned``. So a config can average the two like ranks::

    scorers: [{name: learned, weight: 0.5}, {name: litellm-heuristic, weight: 0.5}]

Why blend a fixed keyword prior with a trained model: with each shared source left out of training in turn,
the blend beat LiteLLM's heuristic and ``learned`` alone on mean APGR (``docs/learned.md`` has the table).
Cost: LiteLLM's heuristic itself, about 0.42 ms median a prompt here; long prompts are cut to a head and a
tail of 4,000 characters each, so the cost stays bounded.

Rebuild the table (``python -m litellm_router_ext.adapters.litellm_scorer --data FILE.jsonl ...``) after a
LiteLLM upgrade changes its heuristic; the table records the version it was made with.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as _dt
import itertools
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import ArtifactError
from ..types import RequestView
from .litellm_baselines import litellm_heuristic_score

KNOTS_FILE = "litellm_heuristic_knots.json"
_N_KNOTS = 101
# LiteLLM runs one regex per keyword over the whole prompt (100k characters: about 100 ms). Its length signal
# saturates near 400 tokens, so a head and a tail this long keep every signal with a bounded cost.
_SCAN_EDGE = 4000
_DIGITS = 9  # its weighted sums carry float noise (-1.4e-17 for a logical 0): equal scores must tie


def litellm_score(text: str) -> float:
    """LiteLLM's heuristic score of ``text``, over a bounded head and tail, rounded so equal sums tie."""
    if len(text) > 2 * _SCAN_EDGE:
        text = text[:_SCAN_EDGE] + "\n" + text[-_SCAN_EDGE:]
    return round(litellm_heuristic_score(text), _DIGITS) + 0.0  # + 0.0: no -0.0


def default_knots_path() -> Path:
    return Path(str(resources.files("litellm_router_ext") / "data" / "learned" / KNOTS_FILE))


@lru_cache(maxsize=4)
def _load_knots(path: str) -> tuple[float, ...]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        knots = tuple(float(k) for k in data["knots"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{path}: not a LiteLLM heuristic quantile table ({exc})") from None
    if len(knots) < 2 or any(b < a for a, b in itertools.pairwise(knots)):
        raise ArtifactError(f"{path}: 'knots' must be at least two non-decreasing numbers")
    return knots


def quantile(knots: Sequence[float], value: float) -> float:
    """Where ``value`` falls among the knots in [0, 1]: interpolated between knots, the middle of a run of ties.

    LiteLLM's score takes few distinct values, so ties are common; the middle of their run is their average
    rank, which is what averaging with ``learned`` expects.
    """
    if value < knots[0]:
        return 0.0
    if value > knots[-1]:
        return 1.0
    first, last = bisect.bisect_left(knots, value), bisect.bisect_right(knots, value)
    if first < last:
        position = (first + last - 1) / 2
    else:
        lo, hi = knots[first - 1], knots[first]
        position = first - 1 + (value - lo) / (hi - lo)
    return position / (len(knots) - 1)


class LiteLLMHeuristicScorer:
    """Difficulty = quantile of LiteLLM's complexity-heuristic score among the learned model's training prompts."""

    name = "litellm-heuristic"

    def __init__(self, knots: str | Path | None = None) -> None:
        self.knots_path = Path(knots).expanduser() if knots is not None else default_knots_path()
        self.knots = _load_knots(str(self.knots_path.resolve()))

    def score(self, request: RequestView) -> float:
        return quantile(self.knots, litellm_score(request.text))


def build_knots(prompts: Sequence[str]) -> list[float]:
    """The ``_N_KNOTS`` quantiles of LiteLLM's heuristic score over ``prompts``."""
    scores = sorted(litellm_score(p) for p in prompts)
    n = len(scores)
    return [scores[min(n - 1, round(q * (n - 1) / (_N_KNOTS - 1)))] for q in range(_N_KNOTS)]


def main(argv: Sequence[str] | None = None) -> None:
    """Write the quantile table from eval-set JSONL files (the last user message of each record)."""
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", action="append", required=True, help="eval-set JSONL (repeatable)")
    parser.add_argument("--out", type=Path, default=default_knots_path())
    args = parser.parse_args(argv)
    prompts = []
    for path in args.data:
        for line in Path(path).read_text(encoding="utf-8").split("\n"):  # not splitlines: U+2028 sits in prompts
            if line.strip():
                users = [m["content"] for m in json.loads(line)["messages"] if m.get("role") == "user"]
                if users and isinstance(users[-1], str):
                    prompts.append(users[-1])
    table = {"kind": "LiteLLM complexity heuristic score quantiles", "litellm": version("litellm"),
             "prompts": len(prompts), "data": [Path(p).name for p in args.data],
             "made_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "knots": build_knots(prompts)}
    args.out.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(prompts)} prompts")


if __name__ == "__main__":
    main()
