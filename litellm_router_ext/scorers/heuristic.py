"""Fast heuristic difficulty scorer: a handful of regex families and counts, squashed to [0, 1].

It reads only the ``RequestView`` (last user turn plus request-level facts), looks at a bounded slice
of long prompts so its cost stays flat, and adds weighted evidence in logit space:

- chit-chat and very short prompts pull down;
- length (log of approximate tokens), code, maths, reasoning/analysis and proof markers push up;
- answer-format demands (JSON output, tools, multiple-choice, long form) and conversation context push up;
- long context pushes up.

Weights are plain class data so a user can subclass or pass overrides through ``params: {weights: {...}}``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from typing import ClassVar

from ..errors import ConfigError
from ..types import RequestView

_SCAN_HEAD = 2500
_SCAN_TAIL = 1000

# Evidence is the set of distinct lower-cased words intersected with keyword sets (C-speed set
# operations), a few phrase and symbol substring tests, and one digit count: an order of magnitude
# faster than a big IGNORECASE alternation, and flat in cost as prompts grow (bounded scan window).
_WORDS = re.compile(r"[a-z0-9+#]+")
_NUMBERS = re.compile(r"\d+")
_ARITHMETIC = re.compile(r"\d ?[-+*/^=] ?\d")
_MULTIPLE_CHOICE = re.compile(r"(?:^|\n)[ \t]*\(?[A-D][.)][ \t]+\S")
_CODE_SYMBOLS = ("```", "=>", "->", "::")
_MATH_SYMBOLS = ("\\frac", "\\int", "\\sum")
_FAMILY_WORDS: dict[str, str] = {
    "code": "def class function return import const lambda select regex traceback compile compiler refactor "
    "debug implement implementation algorithm python javascript typescript rust golang java c++ sql bash "
    "api json yaml html css script program",
    "math": "solve calculate compute equation equations integral derivative probability matrix eigenvalue "
    "eigenvalues polynomial modulo prime primes factorial percent percentage ratio average remainder",
    "proof": "prove proof proofs theorem lemma rigorous rigorously derive derivation formally invariant contradiction",
    "reasoning": "reason reasoning analyze analyse analysis compare contrast tradeoff tradeoffs evaluate "
    "critique design architecture optimize optimise strategy plan implications justify comprehensive "
    "complexity",
    "constraints": "must exactly ensure constraint constraints requirement requirements format",
}
_FAMILY_PHRASES: dict[str, str] = {
    "math": "how many|how much|expected value|sum of",
    "proof": "show that|by induction",
    "reasoning": "step by step|step-by-step|explain why|pros and cons|multi-step|in detail|edge case|trade-off",
    "code": "unit test|stack trace",
    "constraints": "at least|at most|no more than|should not|without using",
}
_WORD_FAMILY = {w: fam for fam, words in _FAMILY_WORDS.items() for w in words.split()}
_KEYWORDS = frozenset(_WORD_FAMILY)
# (first word, phrase, family): the substring test runs only when the phrase's first word occurs at all.
_PHRASES = tuple((_WORDS.findall(p)[0], p, fam) for fam, phrases in _FAMILY_PHRASES.items() for p in phrases.split("|"))
_FAMILIES = tuple(_FAMILY_WORDS)
FEATURES = (
    "bias",
    "log_tokens",
    "chitchat",
    "simple_ask",
    "code",
    "math",
    "numbers",
    "proof",
    "reasoning",
    "constraints",
    "multiple_choice",
    "wants_json",
    "needs_tools",
    "multi_turn",
    "system",
    "long_context",
)
"""Names of the evidence values, in the order the scorer computes them."""
_CHITCHAT = re.compile(
    r"^\s*(hi|hello|hey|thanks|thank you|good (morning|evening|night)|how are you|what'?s up|ok(ay)?|"
    r"bye|cool|great|nice|lol|yes|no|sure)\b[\s\w,!?.']{0,40}$",
    re.IGNORECASE,
)
_SIMPLE_ASK = re.compile(
    r"^\s*(what is|what's|who is|who was|when (is|was|did)|where is|define|translate|spell|"
    r"what does .{1,30} mean|capital of)\b",
    re.IGNORECASE,
)


class HeuristicScorer:
    """Deterministic, dependency-free difficulty from prompt markers (median well under 100 us)."""

    name = "heuristic"
    default_weights: ClassVar[Mapping[str, float]] = {
        "bias": -2.2,
        "log_tokens": 0.55,
        "chitchat": -2.5,
        "simple_ask": -0.8,
        "code": 0.9,
        "math": 0.7,
        "numbers": 0.25,
        "proof": 1.6,
        "reasoning": 0.45,
        "constraints": 0.25,
        "multiple_choice": 0.3,
        "wants_json": 0.4,
        "needs_tools": 0.6,
        "multi_turn": 0.35,
        "system": 0.1,
        "long_context": 1.0,
    }

    def __init__(self, weights: Mapping[str, float] | None = None, long_context_tokens: int = 8000) -> None:
        unknown = set(weights or {}) - set(self.default_weights)
        if unknown:
            raise ConfigError(
                f"unknown heuristic weight {sorted(unknown)[0]!r}",
                key="scorers[].params.weights",
                allowed=sorted(self.default_weights),
            )
        bad = {k: v for k, v in (weights or {}).items()
               if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)}
        if bad:
            name = sorted(bad)[0]
            raise ConfigError(f"heuristic weight {name!r} must be a number", key=f"scorers[].params.weights.{name}",
                              value=bad[name])
        if isinstance(long_context_tokens, bool) or not isinstance(long_context_tokens, int) or long_context_tokens < 1:
            raise ConfigError("must be a whole number of tokens, 1 or more", key="scorers[].params.long_context_tokens",
                              value=long_context_tokens)
        self.weights = {**self.default_weights, **(weights or {})}
        self._weight_vector = tuple(self.weights[name] for name in FEATURES)
        self.long_context_tokens = long_context_tokens

    def features(self, request: RequestView) -> dict[str, float]:
        """The evidence the score is built from, each in a small bounded range, by name."""
        return dict(zip(FEATURES, self._evidence(request), strict=True))

    def _evidence(self, request: RequestView) -> tuple[float, ...]:
        """Evidence values in ``FEATURES`` order (a tuple: the hot path builds no dict)."""
        text = request.text
        scan = text if len(text) <= _SCAN_HEAD + _SCAN_TAIL else text[:_SCAN_HEAD] + "\n" + text[-_SCAN_TAIL:]
        lower = scan.lower()
        present = set(_WORDS.findall(lower))
        hits = dict.fromkeys(_FAMILIES, 0)
        for word in present & _KEYWORDS:
            hits[_WORD_FAMILY[word]] += 1
        for first, phrase, family in _PHRASES:
            if first in present and phrase in lower:
                hits[family] += 1
        hits["code"] += sum(symbol in scan for symbol in _CODE_SYMBOLS)
        hits["math"] += sum(symbol in scan for symbol in _MATH_SYMBOLS) + (1 if _ARITHMETIC.search(scan) else 0)
        numbers = len(_NUMBERS.findall(scan))
        short = len(text) < 120
        return (
            1.0,
            math.log10(1 + max(1, len(text) // 4)),
            1.0 if short and len(text) < 60 and _CHITCHAT.search(text) else 0.0,
            1.0 if short and _SIMPLE_ASK.search(text) else 0.0,
            min(hits["code"], 4) / 2,
            min(hits["math"], 4) / 2,
            min(numbers, 8) / 4,
            min(hits["proof"], 3) / 1.5,
            min(hits["reasoning"], 6) / 2,
            min(hits["constraints"], 4) / 2,
            1.0 if _MULTIPLE_CHOICE.search(scan) else 0.0,
            1.0 if request.wants_json else 0.0,
            1.0 if request.needs_tools else 0.0,
            min(request.n_user_turns - 1, 4) / 2 if request.n_user_turns > 1 else 0.0,
            1.0 if request.has_system else 0.0,
            1.0 if request.approx_tokens > self.long_context_tokens else 0.0,
        )

    def score(self, request: RequestView) -> float:
        logit = sum(map(operator.mul, self._weight_vector, self._evidence(request)))
        return 1.0 / (1.0 + math.exp(-logit))
