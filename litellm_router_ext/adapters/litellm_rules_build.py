"""Freeze LiteLLM's complexity heuristic into ``data/learned/litellm_heuristic.json``; score with LiteLLM itself.

``python -m litellm_router_ext.adapters.litellm_rules_build --data FILE.jsonl ...`` reads the installed LiteLLM's
``ComplexityRouter`` (default config: keyword lists, weights, token thresholds) plus the constants its
``classify`` hard-codes (each list's match thresholds and scores, the multi-step patterns, the question
count), and writes them with the quantile table of the score over the prompts of ``--data``. The package
then scores with ``learned.litellm_rules``, which reads that file and never imports LiteLLM. The build refuses
to write the file unless every prompt it read scores as ``live_score`` below (LiteLLM's own code) scores it;
tests hold the shared sets and edge cases to the same. Rebuild after a LiteLLM upgrade changes its heuristic:
the file records the version it was made from.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..evaluation.dataset import load_eval_set
from ..learned.features import head_and_tail
from ..learned.litellm_rules import SCAN_EDGE, LiteLLMRules, build_knots, default_rules_path
from .litellm_baselines import _complexity_router, litellm_heuristic_score

# classify()'s literals, in its order: (dimension, router attribute, (low, high), (none, low, high) scores)
_KEYWORD_DIMENSIONS = (
    ("codePresence", "code_keywords", (1, 2), (0.0, 0.5, 1.0)),
    ("reasoningMarkers", "reasoning_keywords", (1, 2), (0.0, 0.7, 1.0)),
    ("technicalTerms", "technical_keywords", (2, 4), (0.0, 0.5, 1.0)),
    ("simpleIndicators", "simple_keywords", (1, 2), (0.0, -1.0, -1.0)),
)
_MULTI_STEP_SCORE = 0.5  # _score_multi_step
_QUESTION_MARKS_OVER, _QUESTION_SCORE = 3, 0.5  # _score_question_complexity


def live_score(text: str) -> float:
    """LiteLLM's own ``classify`` score of ``text``, cut and rounded exactly as ``LiteLLMRules.raw`` does."""
    return round(litellm_heuristic_score(head_and_tail(text, SCAN_EDGE)), 9) + 0.0


def litellm_rules() -> dict[str, Any]:
    """The installed LiteLLM's heuristic as the JSON ``LiteLLMRules.from_dict`` reads (no knots)."""
    from importlib.metadata import version

    from litellm.router_strategy.complexity_router.complexity_router import _CJK_CHARACTER

    router = _complexity_router()
    if router.config.custom_dimensions:
        raise RuntimeError("LiteLLM's default config now has custom dimensions; teach litellm_rules about them")
    dimensions = []
    for name, attribute, (low, high), scores in _KEYWORD_DIMENSIONS:
        keywords = [k.lower() for k in getattr(router, attribute)]
        if len(set(keywords)) != len(keywords):  # LiteLLM would count a repeat twice; a set would not
            raise RuntimeError(f"LiteLLM's {attribute} repeats a keyword; LiteLLMRules counts each once")
        # LiteLLM's _keyword_matches: phrases and CJK as substrings, other keywords as \bkw\b
        substrings = [k for k in keywords if " " in k or _CJK_CHARACTER.search(k)]
        words = [k for k in keywords if k not in substrings and re.fullmatch(r"\w+", k)]
        patterns = [r"\b" + re.escape(k) + r"\b" for k in keywords if k not in substrings and k not in words]
        dimensions.append({"name": name, "words": words, "substrings": substrings, "patterns": patterns,
                           "low": low, "high": high, "scores": list(scores)})
    multi_step = [{"pattern": p.pattern, "flags": ["IGNORECASE"] if p.flags & re.IGNORECASE else []}
                  for p in router._multi_step_patterns]
    thresholds = router.config.token_thresholds
    return {
        "license": "rules from LiteLLM (MIT License, Copyright (c) 2023 Berri AI)",
        "litellm": version("litellm"),
        "weights": dict(router.config.dimension_weights),
        "token_thresholds": {"simple": thresholds.get("simple", 15), "complex": thresholds.get("complex", 400)},
        "keyword_dimensions": dimensions,
        "multi_step_patterns": multi_step,
        "multi_step_score": _MULTI_STEP_SCORE,
        "question_marks_over": _QUESTION_MARKS_OVER,
        "question_score": _QUESTION_SCORE,
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Write the rules file, with the score's quantiles over eval-set JSONL files (last user message)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", action="append", required=True, help="eval-set JSONL (repeatable)")
    parser.add_argument("--out", type=Path, default=default_rules_path())
    args = parser.parse_args(argv)
    # the last user message of each record, as the scorer reads a request
    prompts = [item.prompt_text for path in args.data for item in load_eval_set(path, require_outcomes=False).items]
    table = {"kind": "LiteLLM complexity heuristic rules (ComplexityRouter default config) and score quantiles",
             **litellm_rules()}
    rules = LiteLLMRules.from_dict(table)
    scores = [rules.raw(p) for p in prompts]
    differ = sum(1 for p, s in zip(prompts, scores, strict=True) if s != live_score(p))
    if differ:
        raise SystemExit(f"the frozen rules disagree with LiteLLM on {differ} of {len(prompts)} prompts; "
                         "update learned/litellm_rules.py before writing the file")
    table.update({"prompts": len(prompts), "data": [Path(p).name for p in args.data],
                  "made_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "knots": build_knots(scores)})
    args.out.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(prompts)} prompts, all scored as LiteLLM scores them")


if __name__ == "__main__":
    main()
