"""LiteLLM's complexity heuristic, frozen as data: the same score as LiteLLM's own code, and the same rules."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from litellm_router_ext.adapters.litellm_rules_build import litellm_rules, live_score
from litellm_router_ext.errors import ArtifactError
from litellm_router_ext.learned.litellm_rules import (
    RULE_KEYS,
    LiteLLMRules,
    RuleSearch,
    build_knots,
    default_rules_path,
    load_rules,
    quantile,
    required_literal,
)

# each line trips a rule a fast path could get wrong: word boundaries around _ and -, case, phrases,
# CJK substrings, the apostrophe keyword, repeated keywords, lists and steps, question marks, lengths
EDGE_CASES = [
    "", "?", "hi", "what's up", "whats up", "What'S the capital?", "api", "capital", "my_api_key", "api-key",
    "API", "Debug this function: def f(x): return x", "function_name()", "first do this, then that",
    "FIRST x\nthen y", "step 1: open", "Step2", "1. a\n2. b", "a) one b) two", "a)x", "? ? ? ?", "????",
    "prove this theorem step by step", "analyze and compare the trade-offs", "kubernetes distributed database",
    "我需要开发票", "请解释一下这个算法", "İstanbul API", "ǅungla api", "x" * 59, "x" * 60, "x" * 1603, "x" * 1604,
    "def " * 3, "algorithm " * 2 + "optimize", "quick question: what is 2+2", "thanks! api api api",
    "Write a Python function that parses JSON. " + "word " * 3000 + " Explain step by step.",
    # non-ASCII text takes the patterns as written (IGNORECASE folds the long s and the Kelvin sign)
    "firſt do this, then that", "ſtep 1 now", "FIRST, then", "STEP 3", "WHAT'S up?", "x\u212a) y", "ǅ) yes",
]


def _prompts(shared: Path, name: str) -> list[str]:
    rows = [json.loads(line) for line in (shared / name).read_text(encoding="utf-8").split("\n") if line.strip()]
    return [u[-1] for r in rows if (u := [m["content"] for m in r["messages"] if m["role"] == "user"])
            and isinstance(u[-1], str)]


def test_frozen_rules_score_edge_cases_exactly_as_litellm() -> None:
    rules, _ = load_rules()
    assert [rules.raw(t) for t in EDGE_CASES] == [live_score(t) for t in EDGE_CASES]
    assert len({rules.raw(t) for t in EDGE_CASES}) >= 8  # the cases do move the score


def test_frozen_rules_score_every_shared_prompt_exactly_as_litellm(shared_data: Path) -> None:
    rules, _ = load_rules()
    for name in ("llmrouter-test.jsonl", "routellm-mtbench.jsonl", "routellm-gsm8k.jsonl"):
        prompts = _prompts(shared_data, name)
        wrong = [p[:80] for p in prompts if rules.raw(p) != live_score(p)]
        assert not wrong, f"{name}: {len(wrong)} of {len(prompts)} differ, e.g. {wrong[:3]}"
    mmlu = _prompts(shared_data, "routellm-mmlu.jsonl")[::7]  # 2,000 of 14,037 keep the test quick
    assert [rules.raw(p) for p in mmlu] == [live_score(p) for p in mmlu]


def test_shipped_rules_are_the_installed_litellms() -> None:
    shipped = json.loads(default_rules_path().read_text(encoding="utf-8"))
    # a LiteLLM upgrade that changes a keyword list or weight fails here: rebuild the file (module docstring)
    assert {k: shipped[k] for k in RULE_KEYS} == json.loads(json.dumps(litellm_rules()))
    assert shipped["prompts"] > 20_000 and len(shipped["knots"]) == 101 and shipped["knots"] == sorted(shipped["knots"])


# pieces of random regexes: each construct a fast path could misread (numeric escapes, escaped quantifier
# characters, ranges that span the capitals, characters that fold to ASCII letters, lazy and possessive repeats)
_REGEX_PIECES = ["a", "b", "s", "k", "i", "A", "K", "1", ".", " ", "'", "-", r"\.", r"\+", r"\*", r"\?", r"\)",
                 r"\x41", r"\x61", r"\101", r"\u0061", r"\d", r"\s", r"\w", r"\b", r"\B", "[a-z]", "[^a]",
                 "[!-`]", "[]a]", "[^]]", "[0-9]", "[a-c-]", "*", "+", "?", "*?", "+?", "*+", "(", ")", "(?:", "|",
                 "{2}", "^", "$", "\u017f", "\u212a", "\u0131", "(?i)"]
_TEXT_PIECES = ["a", "b", "s", "k", "i", "1", "2", ".", " ", "'", "-", "+", "*", "?", ")", "`", "@", "\n", "ab",
                "abs", "ki"]


def _random_patterns(rng: random.Random, n: int) -> list[re.Pattern[str]]:
    out: list[re.Pattern[str]] = []
    while len(out) < n:
        source = "".join(rng.choice(_REGEX_PIECES) for _ in range(rng.randint(1, 6)))
        try:
            out.append(re.compile(source, rng.choice((0, re.IGNORECASE)) | rng.choice((0, re.MULTILINE, re.DOTALL))))
        except re.error:
            continue
    return out


def test_required_literal_reads_what_it_can_and_gives_up_on_the_rest() -> None:
    assert [required_literal(p) for p in ("first.*?then", r"step\s*\d", r"\d+\.\s", r"[a-z]\)\s", r"\bwhat's\b")] \
        == ["first", "step", ".", ")", "what's"]
    assert [required_literal(p) for p in ("ab?c", "x*y+", "[]a]bc", r"\[x\]", r"ab\**", "a*+b", "a+?bc")] \
        == ["a", "y", "bc", "[x]", "ab", "b", "bc"]
    unsure = ("a|bcd", "(abc)", "q{2}", r"[\]]x", r"\x27s", r"\101", r"\u0061b", "[!-`]x", "(?i)ab", "\u017ftep")
    assert [required_literal(p) for p in unsure] == [""] * len(unsure)


def test_rule_search_agrees_with_its_pattern_on_random_regexes_and_texts() -> None:
    rng = random.Random(11)
    texts = ["".join(rng.choice(_TEXT_PIECES) for _ in range(rng.randint(0, 12))) for _ in range(400)]
    texts += ["first then", "step 2", "what's", "x) y", "k", "s", "i"]
    fast = checked = 0
    for pattern in _random_patterns(rng, 1500):
        search = RuleSearch.of(pattern)
        fast += search.ascii_pattern is not pattern or bool(search.needle)
        for text in texts:  # lower-cased ASCII, as the rules search
            checked += 1
            assert search.search(text, True) == (pattern.search(text) is not None), (pattern, text)
            if search.needle:
                assert all(search.needle in m.group(0) for m in pattern.finditer(text)), (pattern, text)
        for text in ("firſt then", "\u212a) x", "ſ", "\u0131"):  # other text: the pattern as written
            assert search.search(text, False) == (pattern.search(text) is not None), (pattern, text)
    assert fast > 300 and checked > 500_000  # the fast path was taken often, on many texts


def test_rule_search_keeps_the_pattern_where_case_matters() -> None:
    kept = [RuleSearch.of(re.compile(p, re.IGNORECASE)) for p in ("A+b", r"(\x41)pi", r"[^\x41]", "[!-`]", "ſtep")]
    assert all(s.ascii_pattern is s.pattern and s.needle == "" for s in kept)
    shipped = RuleSearch.of(re.compile("first.*?then", re.IGNORECASE))
    assert not shipped.ascii_pattern.flags & re.IGNORECASE and shipped.needle == "first"


def test_quantile_interpolates_and_puts_ties_mid_run() -> None:
    knots = [0.0, 1.0, 1.0, 1.0, 2.0]  # positions 0, .25, .5, .75, 1
    assert quantile(knots, -5) == 0.0 and quantile(knots, 9) == 1.0
    assert quantile(knots, 0.5) == pytest.approx(0.125)
    assert quantile(knots, 1.0) == pytest.approx(0.5)  # the middle of the three tied knots
    assert quantile(knots, 1.5) == pytest.approx(0.875)
    assert quantile(knots, 0.0) == 0.0 and quantile(knots, 2.0) == 1.0  # the end knots themselves
    assert quantile([0.0, 0.0, 1.0], 0.0) == pytest.approx(0.25)  # a run of ties at the start
    assert quantile([4.0, 4.0, 4.0], 4.0) == pytest.approx(0.5)  # one distinct value
    assert build_knots([3.0, 1.0, 2.0], 3) == [1.0, 2.0, 3.0]


def test_bad_rules_files_are_refused_with_their_path(tmp_path: Path) -> None:
    good = json.loads(default_rules_path().read_text(encoding="utf-8"))
    cases = {
        "knots.json": ({**good, "knots": [3, 2, 1]}, "'knots' must be"),
        "broken.json": ("{", "not a LiteLLM heuristic rules file"),
        "nokey.json": ({k: v for k, v in good.items() if k != "weights"}, "KeyError: 'weights'"),
        "badword.json": ({**good, "keyword_dimensions": [{**good["keyword_dimensions"][0], "words": ["c++"]}]},
                         "distinct runs of word characters"),
        "badregex.json": ({**good, "multi_step_patterns": [{"pattern": "("}]}, "error"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        with pytest.raises(ArtifactError, match=message) as caught:
            load_rules(str(path))
        assert name in str(caught.value)
    assert isinstance(load_rules()[0], LiteLLMRules)
