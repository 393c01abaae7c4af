"""How well SmolLM2-135M's token log-prob confidence separates its right from its wrong answers (AUROC).

The shared MMLU file carries no gold letters, so the multiple-choice items are built from GSM8K (which has
references): the gold number plus three distractors (the other models' wrong final numbers where they exist,
else nearby numbers), shuffled with a fixed seed into A-D. The model answers with one token at temperature 0;
its confidence is that token's log-prob, exactly what the ``logprob`` validator scores. Run::

    python -m tests.integration.smollm2_auroc --base-url http://127.0.0.1:8080/v1 --n 300

(start the server first: ``python -m llama_cpp.server --model <gguf> --port 8080 --logits_all true``).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from litellm_router_ext.evaluation.metrics import auroc

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "routellm-gsm8k.jsonl"
LETTERS = "ABCD"
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _final_number(text: str) -> str | None:
    tail = text.split("####")[-1]
    found = _NUMBER.findall(tail.replace(",", ""))
    return found[-1].rstrip(".") if found else None


def items(path: Path, n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` multiple-choice items: {'prompt', 'gold' (letter)} built from GSM8K records, deterministic."""
    rng = random.Random(seed)
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        gold = _final_number(str(record.get("reference", "")))
        if gold is None:
            continue
        distractors: list[str] = []
        for outcome in record["outcomes"].values():
            wrong = _final_number(outcome.get("response", ""))
            if wrong and wrong != gold and wrong not in distractors:
                distractors.append(wrong)
        value = float(gold)
        for candidate in (value + 1, value * 2, value - 2, value + 10, value / 2, value * 3):
            text = str(int(candidate)) if candidate == int(candidate) else f"{candidate:g}"
            if len(distractors) >= 3:
                break
            if text != gold and text not in distractors:
                distractors.append(text)
        options = [gold, *distractors[:3]]
        rng.shuffle(options)
        question = record["messages"][0]["content"].strip()
        choices = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))
        yield {
            "id": record["id"],
            "prompt": f"{question}\n{choices}\nAnswer with the letter of the correct option only.\nAnswer:",
            "gold": LETTERS[options.index(gold)],
        }
        count += 1
        if count >= n:
            return


def ask(client: httpx.Client, base_url: str, prompt: str) -> tuple[str, float]:
    """The model's one-token answer and its log-prob, through the server's OpenAI-compatible API."""
    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 1,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 1,
    }
    choice = client.post(f"{base_url}/chat/completions", json=body, timeout=120).json()["choices"][0]
    token = choice["logprobs"]["content"][0]
    return str(token["token"]).strip(), float(token["logprob"])


def measure(base_url: str, n: int, path: Path = DATA) -> dict[str, Any]:
    scores, right, letters = [], [], 0
    started = time.monotonic()
    with httpx.Client() as client:
        for item in items(path, n):
            answer, logprob = ask(client, base_url, item["prompt"])
            letters += answer[:1].upper() in LETTERS
            scores.append(logprob)
            right.append(answer[:1].upper() == item["gold"])
    s, y = np.array(scores), np.array(right)
    return {
        "items": len(s),
        "answered_with_a_letter": letters,
        "accuracy": float(y.mean()) if len(y) else None,
        "auroc": auroc(s, y),
        "mean_confidence_right": float(np.exp(s[y]).mean()) if y.any() else None,
        "mean_confidence_wrong": float(np.exp(s[~y]).mean()) if (~y).any() else None,
        "seconds": round(time.monotonic() - started, 1),
        "chance_accuracy": 0.25,
        "confidence": "exp(log-prob) of the single answer token",
        "accept_rate_at_min_mean_-0.7": float((s >= -0.7).mean()) if len(s) else None,
        "accuracy_of_accepted_at_-0.7": float(y[s >= -0.7].mean()) if (s >= -0.7).any() else None,
        "logprob_finite": bool(all(math.isfinite(v) for v in scores)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    print(json.dumps(measure(args.base_url, args.n, args.data), indent=2))


if __name__ == "__main__":
    main()
