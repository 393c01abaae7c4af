"""Prompt features for the learned difficulty predictor: pure Python, deterministic, no I/O.

Two kinds, chosen because they transfer across benchmarks and model pairs rather than memorise wording:

* ``dense_features(text)``: a fixed list of hand-made signals (answer format, reasoning demand, amount of
  arithmetic, code, length), named in ``DENSE_NAMES``.
* ``words(text)``: lower-cased word tokens. The model gives each known word one scalar (the projection
  of its static embedding, plus a small learned correction) and averages them, so a linear model over
  mean-pooled embeddings costs one dict lookup per word at run time.
"""

from __future__ import annotations

import itertools
import math
import re

WORD_RE = re.compile(r"[a-z]+")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_OPTION_RE = re.compile(r"(?m)^\s*\(?[A-Ja-j][.):]\s")
_ARITH_OP_RE = re.compile(r"\d ?[-+*/=<>] ?\d")
_INLINE_OPTIONS = ("(a)", "(b)", "(c)", "(d)")
_CODE_MARKS = ("```", "def ", "return ", "{", "import ", "()", ";\n", "class ")
_MATH_MARKS = ("\\", "$", "^", "=", "sqrt", "frac")
_SCAN_EDGE = 1000  # keyword features look at the first and last 1,000 characters: bounded time per prompt

_REASONING = ("why", "explain", "prove", "derive", "reason", "justify", "step", "analy", "compare", "evaluate")
_ARITHMETIC = ("how many", "how much", "total", "calculate", "compute", "percent", "average", "each", "per ")
_CREATIVE = ("write", "essay", "story", "poem", "email", "draft", "compose", "imagine", "pretend", "blog")
_CODE_WORDS = ("function", "python", "code", "program", "implement", "algorithm", "array", "string", "list")
_NEGATION = (" not ", " except", " least ", " incorrect", " false", " never ")
_CONTEXT = ("passage", "following", "refers to", "according to", "article", "text", "paragraph")
_LENGTH_EDGES = (60, 150, 400, 1000, 2500)
# every keyword group's needles in one tuple, counted with one ``map`` (a generator per group cost about
# 20 us a prompt), and where each group's counts sit in it
_GROUPS = (_CODE_MARKS, _MATH_MARKS, _REASONING, _ARITHMETIC, _CREATIVE, _CODE_WORDS, _NEGATION, _CONTEXT)
_NEEDLES = tuple(n for group in _GROUPS for n in group)
_SPANS = tuple(itertools.accumulate((len(g) for g in _GROUPS), initial=0))
_ASCII_UPPER = bytes(range(ord("A"), ord("Z") + 1))

DENSE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    *(f"len_le_{edge}" for edge in _LENGTH_EDGES),
    "log_numbers",
    "digit_frac",
    "has_decimal",
    "n_options_ge2",
    "inline_options",
    "ends_answer_colon",
    "ends_question_mark",
    "log_question_marks",
    "log_lines",
    "log_code_marks",
    "log_math_marks",
    "reasoning_words",
    "arithmetic_words",
    "creative_words",
    "code_words",
    "negation_words",
    "context_words",
    "starts_wh",
    "mean_word_len",
    "upper_frac",
    "non_ascii_frac",
)


def words(text: str) -> list[str]:
    """Lower-cased alphabetic tokens, in order, repeats kept."""
    return WORD_RE.findall(text.lower())


def head_and_tail(text: str, edge: int) -> str:
    """``text`` itself up to ``2 * edge`` characters, else its first and last ``edge`` joined by a newline."""
    return text if len(text) <= 2 * edge else text[:edge] + "\n" + text[-edge:]


def dense_features(text: str, tokens: list[str] | None = None) -> list[float]:
    """The hand-made features of ``text``, in ``DENSE_NAMES`` order; pass ``tokens`` to reuse ``words(text)``."""
    lower = text.lower()
    scan = head_and_tail(lower, _SCAN_EDGE)
    toks = words(text) if tokens is None else tokens
    n_chars = len(text)
    n_words = len(toks)
    numbers = _NUMBER_RE.findall(text)
    n_digits = sum(map(len, numbers))
    stripped = lower.rstrip()
    head = lower.lstrip()[:12]
    letters = sum(map(len, toks))
    ascii_bytes = text.encode("ascii", "ignore")
    non_ascii = n_chars - len(ascii_bytes)
    upper = len(ascii_bytes) - len(ascii_bytes.translate(None, _ASCII_UPPER))  # [A-Z] is ASCII only
    counts = list(map(scan.count, _NEEDLES))
    code_marks, math_marks, reasoning, arithmetic, creative, code_words, negation, context = (
        math.log1p(sum(counts[a:b])) for a, b in itertools.pairwise(_SPANS))
    options = len(_OPTION_RE.findall(text))
    out = [
        math.log1p(n_chars),
        math.log1p(n_words),
        *(1.0 if n_chars <= edge else 0.0 for edge in _LENGTH_EDGES),
        math.log1p(len(numbers)),
        n_digits / n_chars if n_chars else 0.0,
        1.0 if any("." in n for n in numbers) else 0.0,
        1.0 if options >= 2 else 0.0,
        1.0 if sum(1 for o in _INLINE_OPTIONS if o in scan) >= 2 else 0.0,
        1.0 if stripped.endswith("answer:") else 0.0,
        1.0 if stripped.endswith("?") else 0.0,
        math.log1p(text.count("?")),
        math.log1p(text.count("\n")),
        code_marks,
        math.log1p(len(_ARITH_OP_RE.findall(scan))) + math_marks,
        reasoning,
        arithmetic,
        creative,
        code_words,
        negation,
        context,
        1.0 if head.startswith(("who", "what", "when", "where", "which", "how", "why")) else 0.0,
        letters / n_words if n_words else 0.0,
        upper / n_chars if n_chars else 0.0,
        non_ascii / n_chars if n_chars else 0.0,
    ]
    return out
