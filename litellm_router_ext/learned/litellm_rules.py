"""LiteLLM's complexity heuristic, frozen as data and evaluated in one pass over the prompt.

LiteLLM's ``ComplexityRouter.classify`` scores a prompt with keyword lists, a length band, multi-step
patterns and a question count, weighted per dimension. Its rules ship here as JSON
(``data/learned/litellm_heuristic.json``, made from LiteLLM's own config by
``python -m litellm_router_ext.adapters.litellm_rules_build``; LiteLLM is MIT-licensed), so:

- a trained artifact that blends with it keeps scoring the same after a LiteLLM upgrade changes its rules;
- scoring costs one word split and set lookups instead of one regex scan per keyword (LiteLLM: about 0.4 ms
  a prompt here).

``raw`` equals ``ComplexityRouter.classify(text)[1]`` (rounded to 9 digits) on the LiteLLM version named in
the file, for prompts up to ``2 * SCAN_EDGE`` characters: the build checks every training prompt, tests the
other shared prompts and fuzzed edge cases. Longer prompts are scored on their head and tail, so keywords,
patterns and question marks in the middle are not seen. A keyword made of word characters only matches
``\\bkw\\b`` exactly when it is one of the text's maximal runs of word characters, so all of those are one
set intersection.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ArtifactError
from .features import head_and_tail
from .filecache import cached_by_file

RULES_FILE = "litellm_heuristic.json"
# LiteLLM scans the whole prompt (a 1M-character prompt took about 1 s). Cutting longer prompts to a head
# and a tail bounds the cost; the length signal, saturated from 400 tokens, survives, but keywords and
# question marks in the middle are dropped.
SCAN_EDGE = 4000
_DIGITS = 9  # LiteLLM's weighted sums carry float noise (-1.4e-17 for a logical 0): equal scores must tie
_WORD = re.compile(r"\w+")
_ASCII_WORD = re.compile(r"\w+", re.ASCII)  # the same runs on ASCII text, found faster
# what defines the score; a rules file also holds its quantile table and provenance
RULE_KEYS = ("litellm", "license", "weights", "token_thresholds", "keyword_dimensions", "multi_step_patterns",
             "multi_step_score", "question_marks_over", "question_score")


_CASE_FREE_ESCAPES = frozenset("dsw")  # \\d \\s \\w match the same with or without IGNORECASE
_SIMPLE_FLAGS = re.IGNORECASE | re.UNICODE | re.MULTILINE | re.DOTALL


def _tokens(source: str) -> list[tuple[str, str]] | None:
    """``source`` as literal characters ("lit"), matchers of one character or none ("any", anchors included)
    and quantifiers ("quant"); ``None`` when it uses anything else.

    Deliberately narrow, so that what it reads it reads right: ASCII only; no group, alternation or ``{}``
    repeat; escapes only of punctuation (a literal) or ``\\d \\s \\w \\b``; a class ``[...]`` only without
    escapes or nested ``[``, its ranges only between two lower-case letters or two digits.
    """
    if not source.isascii():
        return None
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\":
            nxt = source[i + 1:i + 2]
            if nxt in _CASE_FREE_ESCAPES or nxt == "b":
                out.append(("any", nxt))
            elif nxt and not nxt.isalnum() and not nxt.isspace():
                out.append(("lit", nxt))
            else:
                return None  # \\x41, \\101, \\1, \\A, \\N{...}: not read here
            i += 2
        elif c == "[":
            end = source.find("]", i + (3 if source[i + 1:i + 2] == "^" else 2)) + 1  # "[]" / "[^]" hold "]"
            if end == 0 or not _plain_class(source[i + 1:end - 1].removeprefix("^")):
                return None
            out.append(("any", source[i:end]))
            i = end
        elif c in "(){}|":
            return None
        else:
            out.append(("quant" if c in "*+?" else "any" if c in ".^$" else "lit", c))
            i += 1
    return out


def _plain_class(body: str) -> bool:
    if "\\" in body or "[" in body:
        return False
    for k in range(1, len(body) - 1):
        if body[k] == "-":
            lo, hi = body[k - 1], body[k + 1]
            if not ((lo.islower() and hi.islower()) or (lo.isdigit() and hi.isdigit())):
                return False  # a range like [!-`] holds the capitals between its ends
    return True


def required_literal(source: str) -> str:
    """The longest run of literal characters every match of the regex ``source`` contains ("" if unsure).

    Read with ``_tokens`` (anything it does not read gives ""). A matcher or an anchor ends a run; a literal
    made optional by ``*`` or ``?`` leaves it, and ``+`` keeps it but ends the run (``a+`` may be ``aa``).
    """
    tokens = _tokens(source)
    return "" if tokens is None else _longest_literal(tokens)


def _longest_literal(tokens: list[tuple[str, str]]) -> str:
    runs: list[str] = []
    run = ""
    previous = ""
    for kind, text in tokens:
        if kind == "lit":
            run += text
        else:
            if kind == "quant" and text != "+" and previous == "lit":
                run = run[:-1]  # the literal it repeats may be absent
            runs.append(run)
            run = ""
        previous = kind
    runs.append(run)
    return max(runs, key=len)


@dataclass(frozen=True)
class RuleSearch:
    """One rule regex, with a cheaper equivalent for ASCII text (``search`` is called on lower-cased text).

    ``re`` scans for a literal prefix far faster without IGNORECASE. On lower-cased ASCII text dropping it changes
    nothing for a pattern ``_tokens`` reads that has no upper-case character (LiteLLM's all are such), so there
    it runs without it. Any pattern ``_tokens`` reads, except one with capitals and IGNORECASE, is first tested
    with one ``in`` for a literal every match contains (``required_literal``). Other text, and any other pattern,
    get the pattern as written.
    """

    pattern: re.Pattern[str]
    ascii_pattern: re.Pattern[str]
    needle: str

    @classmethod
    def of(cls, pattern: re.Pattern[str]) -> RuleSearch:
        source = pattern.pattern
        tokens = None if pattern.flags & ~_SIMPLE_FLAGS else _tokens(source)
        if tokens is None:
            return cls(pattern, pattern, "")
        caseless = source == source.lower()
        if not caseless and pattern.flags & re.IGNORECASE:
            return cls(pattern, pattern, "")  # "ABC" matches "abc": its literal is not in the text
        fast = re.compile(source, pattern.flags & ~re.IGNORECASE) if caseless else pattern
        return cls(pattern, fast, _longest_literal(tokens))

    def search(self, lower: str, is_ascii: bool) -> bool:
        if not is_ascii:
            return self.pattern.search(lower) is not None
        return self.needle in lower and self.ascii_pattern.search(lower) is not None


@dataclass(frozen=True)
class KeywordDimension:
    """One keyword list: ``scores[0]`` below ``low`` matches, ``scores[2]`` from ``high``, else ``scores[1]``.

    The builder sorts LiteLLM's keywords the way LiteLLM matches them: ``words`` (word characters only,
    ``\\bkw\\b``), ``substrings`` (phrases and CJK) and ``patterns`` (any other keyword, its own regex).
    """

    name: str
    words: frozenset[str]
    substrings: tuple[str, ...]
    patterns: tuple[RuleSearch, ...]
    low: int
    high: int
    scores: tuple[float, float, float]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeywordDimension:
        words = [str(w) for w in data["words"]]
        bad = [w for w in words if not _WORD.fullmatch(w)]
        if bad or len(set(words)) != len(words):
            raise ValueError(f"dimension {data['name']!r}: 'words' must be distinct runs of word characters; "
                             f"got {bad or 'duplicates'}")
        s0, s1, s2 = (float(s) for s in data["scores"])
        return cls(str(data["name"]), frozenset(words), tuple(str(s) for s in data["substrings"]),
                   tuple(RuleSearch.of(re.compile(p)) for p in data["patterns"]), int(data["low"]), int(data["high"]),
                   (s0, s1, s2))

    def score(self, lower_text: str, text_words: set[str], is_ascii: bool) -> float:
        count = len(self.words & text_words) + sum(map(lower_text.__contains__, self.substrings))
        if self.patterns:
            count += sum(1 for p in self.patterns if p.search(lower_text, is_ascii))
        if count < self.low:
            return self.scores[0]
        return self.scores[2] if count >= self.high else self.scores[1]


@dataclass(frozen=True)
class LiteLLMRules:
    """The heuristic's rules and weights; ``raw(text)`` is its weighted score (unbounded; higher is harder)."""

    litellm_version: str
    dimensions: tuple[KeywordDimension, ...]
    weights: dict[str, float]
    token_simple: int
    token_complex: int
    multi_step: tuple[RuleSearch, ...]
    multi_step_score: float
    question_marks_over: int
    question_score: float
    spec: dict[str, Any] = field(compare=False, repr=False)  # the JSON these were read from, to store elsewhere

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiteLLMRules:
        """Read the rules; a missing key, a wrong type or a bad pattern raises ``ValueError`` naming it."""
        try:
            return cls._from_dict(data)
        except (KeyError, TypeError, AttributeError, ValueError, re.error) as exc:
            raise ValueError(f"bad LiteLLM heuristic rules ({type(exc).__name__}: {exc})") from None

    @classmethod
    def _from_dict(cls, data: dict[str, Any]) -> LiteLLMRules:
        flags = {"IGNORECASE": re.IGNORECASE}
        return cls(
            litellm_version=str(data["litellm"]),
            dimensions=tuple(KeywordDimension.from_dict(d) for d in data["keyword_dimensions"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            token_simple=int(data["token_thresholds"]["simple"]),
            token_complex=int(data["token_thresholds"]["complex"]),
            multi_step=tuple(RuleSearch.of(re.compile(p["pattern"], sum(flags[f] for f in p.get("flags", ()))))
                             for p in data["multi_step_patterns"]),
            multi_step_score=float(data["multi_step_score"]),
            question_marks_over=int(data["question_marks_over"]),
            question_score=float(data["question_score"]),
            spec={k: data[k] for k in RULE_KEYS if k in data},
        )

    def raw(self, text: str) -> float:
        """LiteLLM's weighted score of ``text`` (over a bounded head and tail), rounded so equal sums tie."""
        text = head_and_tail(text, SCAN_EDGE)
        lower = text.lower()
        tokens = len(text) // 4
        weights = self.weights
        # the same terms, in the same order, as LiteLLM's sum: the float result is bit-identical
        total = (-1.0 if tokens < self.token_simple else 1.0 if tokens > self.token_complex else 0.0) * \
            weights.get("tokenCount", 0.0)
        is_ascii = lower.isascii()
        text_words = set((_ASCII_WORD if is_ascii else _WORD).findall(lower))
        for dimension in self.dimensions:
            total += dimension.score(lower, text_words, is_ascii) * weights.get(dimension.name, 0.0)
        multi = self.multi_step_score if any(p.search(lower, is_ascii) for p in self.multi_step) else 0.0
        total += multi * weights.get("multiStepPatterns", 0.0)
        questions = self.question_score if text.count("?") > self.question_marks_over else 0.0
        total += questions * weights.get("questionComplexity", 0.0)
        return round(total, _DIGITS) + 0.0  # + 0.0: no -0.0


def default_rules_path() -> Path:
    return Path(str(resources.files("litellm_router_ext") / "data" / "learned" / RULES_FILE))


def load_rules(path: str | None = None) -> tuple[LiteLLMRules, tuple[float, ...]]:
    """The rules and the quantile table (``knots``) in ``path`` (default: the shipped file)."""
    return _load_rules_file(path if path is not None else str(default_rules_path()))


@cached_by_file(maxsize=4)
def _load_rules_file(path: str) -> tuple[LiteLLMRules, tuple[float, ...]]:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        knots = tuple(float(k) for k in data["knots"])
        rules = LiteLLMRules.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"{file}: not a LiteLLM heuristic rules file ({exc})") from None
    if len(knots) < 2 or any(b < a for a, b in itertools.pairwise(knots)):
        raise ArtifactError(f"{file}: 'knots' must be at least two non-decreasing numbers")
    return rules, knots


def quantile(knots: Sequence[float], value: float) -> float:
    """Where ``value`` falls among the knots in [0, 1]: interpolated between knots, the middle of a run of ties.

    The heuristic's score takes few distinct values, so ties are common; the middle of their run is their
    average rank, which is what averaging with another rank expects.
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


def build_knots(raw_scores: Sequence[float], n_knots: int = 101) -> list[float]:
    """``n_knots`` nearest-rank quantiles of ``raw_scores`` (ties stay exact values, as ``quantile`` needs)."""
    scores = sorted(raw_scores)
    n = len(scores)
    return [scores[min(n - 1, round(q * (n - 1) / (n_knots - 1)))] for q in range(n_knots)]
