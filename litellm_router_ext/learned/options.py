"""Features of a multiple-choice prompt's answer options: how the options relate, not what they say.

A zero-shot multiple-choice prompt is a stem (maybe a passage, then the question line), options on lines of
their own ("A. ...", "(B) ...", "c) ..."), and often a closing "Answer:". What makes one hard for a small model
and not for a large one shows in how its options relate: near-identical options that differ in one word,
numeric options close together, long options with a clear longest one, roman-numeral statements to combine,
"all / none of the above", options that repeat the question's words. These are fixed hand-made signals of that
block, in ``OPTION_NAMES`` order; a prompt without such a block gets all zeros (and no contribution from the
trees that read them, ``model.DifficultyModel.option_part``).

On RouteLLM's MMLU (mixtral -> gpt-4) these features, in boosted trees added to the word-pair ridge
(``model.py``'s n-gram form), added 0.012 cross-validated APGR, mean of six fold seeds, better on each; see
docs/learned.md. Pure Python, deterministic; about 90 us on a multiple-choice prompt on a slow day here
(``bench/README.md``), a few microseconds on others. Every pattern here runs in linear time: a prompt is user
input, and a backtracking pattern on a long run of spaces took 33 s.
"""

from __future__ import annotations

import itertools
import math
import re

_OPTION_LINE_RE = re.compile(r"^\s*\(?([A-Ja-j])([.):])(.*)$")  # the option's text is stripped in Python
_SPEAKER_RE = re.compile(r"\s*[A-Ja-j]:")  # "A: hi": a line of a chat transcript, when the options read so too
_TRAILER_RE = re.compile(r"^\s*(answer|the answer is|correct answer|response)[\s:.]*$", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W_]+")
_NUMERIC_RE = re.compile(r"^[-+\u2212]?\$?\s*(\d+(?:[.,]\d+)*)\s*(?:%|[a-zA-Z/\u00b0^0-9 ]{0,12})$")
_ROMAN_STATEMENT_RE = re.compile(r"(?m)^\s*(?:I{1,3}|IV|V)[.)]\s")
_ROMAN_OPTION_RE = re.compile(r"\b(?:I{1,3}|IV)\b(?:,? (?:and|only)|$)")
_MATH_RE = re.compile(r"[=^\\+*/<>]|\d\s*[a-z]\b")
_DIGIT_RE = re.compile(r"\d")
_STEM_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}\b")
_MAX_OPTIONS = 10
_STEM_CHARS = 1500
_SCAN_LINES = 40  # only the prompt's last lines are searched for the block: bounded time on long prompts

_NEGATED = ("not ", "except", "least", "false", "incorrect", "never ", "cannot")
_SUPERLATIVE = ("best", "most ", "primarily", "main ", "greatest", "likely")
_ABOVE = ("of the above", "all of these", "none of these", "both ")
_TRUE_FALSE = frozenset({"true", "false", "wrong", "not", "right", "yes", "no"})
_WH = ("which", "what", "who", "whom", "when", "where", "why", "how")

OPTION_NAMES: tuple[str, ...] = (
    "mc_block",
    "mc_n_options",
    "mc_log_mean_len",
    "mc_log_max_len",
    "mc_log_min_len",
    "mc_len_cv",
    "mc_longest_margin",
    "mc_shortest_margin",
    "mc_log_mean_words",
    "mc_single_word_share",
    "mc_shared_first_word",
    "mc_shared_last_word",
    "mc_log_common_prefix",
    "mc_log_common_suffix",
    "mc_numeric_share",
    "mc_numeric_log_spread",
    "mc_numeric_rel_gap",
    "mc_digit_share",
    "mc_math_share",
    "mc_mean_pair_overlap",
    "mc_max_pair_overlap",
    "mc_mean_stem_overlap",
    "mc_max_stem_overlap",
    "mc_above_option",
    "mc_roman_statements",
    "mc_roman_options",
    "mc_true_false_options",
    "mc_statement_pair",
    "mc_capital_share",
    "mc_period_share",
    "mc_paren_share",
    "mc_comma_share",
    "mc_mean_word_len",
    "mc_acronym_share",
    "mc_question_negated",
    "mc_question_superlative",
    "mc_question_which_following",
    "mc_question_wh",
    "mc_question_ends_mark",
    "mc_question_if",
    "mc_log_question_words",
    "mc_log_stem_chars",
    "mc_log_stem_newlines",
    "mc_log_stem_numbers",
)


def _block(text: str) -> tuple[str, list[str]] | None:
    """(stem, options) of the multiple-choice block that closes ``text``, or ``None``.

    The options are the last lines, lettered A, B, C, ... in order (two or more), followed only by blank lines
    or an "Answer:"-like line, under a question: some text, whose last line is not lettered "A:" as well when the
    options are (that is a chat transcript).
    """
    lines = text.rstrip().rsplit("\n", _SCAN_LINES)
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _TRAILER_RE.match(lines[end - 1])):
        end -= 1
    letters: list[str] = []
    marks: set[str] = set()
    options: list[str] = []
    start = end
    floor = 1 if len(lines) > _SCAN_LINES else 0  # lines[0] holds the rest of a longer prompt
    while start > floor and letters[-1:] != ["a"]:
        m = _OPTION_LINE_RE.match(lines[start - 1])
        if m is None:
            return None
        letters.append(m.group(1).lower())
        marks.add(m.group(2))
        options.append(m.group(3).strip())
        start -= 1
    n = len(options)
    if not 2 <= n <= _MAX_OPTIONS or letters[::-1] != [chr(ord("a") + k) for k in range(n)]:
        return None
    stem = "\n".join(lines[:start])
    above = stem.rstrip().rpartition("\n")[2]
    if not above.strip() or (marks == {":"} and _SPEAKER_RE.match(above)):
        return None  # no question above the options, or a chat transcript ("A: hi\nB: yo\nA: ok\nB: bye")
    return stem, options[::-1]


def _log(x: float) -> float:
    return math.log1p(max(x, 0.0))


def _common_prefix(items: list[str]) -> int:
    first, last = min(items), max(items)
    n = 0
    while n < len(first) and first[n] == last[n]:
        n += 1
    return n


def _number(option: str) -> float | None:
    m = _NUMERIC_RE.match(option.strip())
    if m is None:
        return None
    try:
        value = float(m.group(1).replace(",", ""))
    except ValueError:
        return None
    if not math.isfinite(value):  # 400 nines: inf, and the spread features would be inf and NaN
        return None
    return -value if option.strip()[:1] in "-\u2212" else value


def option_features(text: str) -> list[float]:
    """The answer-option features of ``text`` in ``OPTION_NAMES`` order; all zeros without an option block.

    One pass over the options counts what each option has (written out, not as a generator per feature: this
    runs on every scored prompt)."""
    found = _block(text)
    if found is None:
        return [0.0] * len(OPTION_NAMES)
    stem, options = found
    n = len(options)
    near = stem[-_STEM_CHARS:].replace("\r", "").lower()  # the question and what precedes it: bounded time
    question = near.rstrip().rpartition("\n")[2].strip()
    stem_words = set(_WORD_RE.findall(near))
    lens: list[int] = []
    lower: list[str] = []
    sets: list[set[str]] = []
    firsts: list[str] = []
    lasts: list[str] = []
    numbers: list[float] = []
    n_words = letters = single = digits = maths = romans = true_false = capital = period = paren = comma = 0
    acronyms = 0
    share_sum = share_max = 0.0
    for option in options:
        low = option.lower()
        toks = _WORD_RE.findall(low)
        words = set(toks)
        lens.append(len(option))
        lower.append(low)
        sets.append(words)
        n_words += len(toks)
        letters += sum(map(len, toks))
        if toks:
            firsts.append(toks[0])
            lasts.append(toks[-1])
            single += len(toks) == 1
            true_false += words <= _TRUE_FALSE
            share = len(words & stem_words) / len(words)
            share_sum += share
            share_max = max(share_max, share)
        if _DIGIT_RE.search(option):
            digits += 1
            value = _number(option)
            if value is not None:
                numbers.append(value)
        maths += _MATH_RE.search(low) is not None
        romans += "I" in option and _ROMAN_OPTION_RE.search(option) is not None
        capital += option[:1].isupper()
        period += option.endswith(".")
        paren += "(" in option
        comma += "," in option
        acronyms += low != option and _ACRONYM_RE.search(option) is not None
    ordered = sorted(lens)
    mean_len = sum(lens) / n
    sd_len = math.sqrt(sum((x - mean_len) ** 2 for x in lens) / n)
    pair_sum = pair_max = 0.0
    for k, a in enumerate(sets):
        for b in sets[k + 1:]:
            union = len(a | b)
            overlap = len(a & b) / union if union else 0.0
            pair_sum += overlap
            pair_max = max(pair_max, overlap)
    numeric_spread = numeric_gap = 0.0
    if len(numbers) >= 2:
        numbers.sort()
        lo, hi = numbers[0], numbers[-1]
        numeric_spread = _log(hi - lo)
        numeric_gap = min(b - a for a, b in itertools.pairwise(numbers)) / (abs(hi) + abs(lo) + 1e-9)
    joined = " ".join(lower)
    return [
        1.0,
        float(n),
        _log(mean_len),
        _log(ordered[-1]),
        _log(ordered[0]),
        sd_len / mean_len if mean_len else 0.0,
        (ordered[-1] - ordered[-2]) / (mean_len + 1.0),
        (ordered[1] - ordered[0]) / (mean_len + 1.0),
        _log(n_words / n),
        single / n,
        max(map(firsts.count, firsts)) / n if firsts else 0.0,
        max(map(lasts.count, lasts)) / n if lasts else 0.0,
        _log(_common_prefix(lower)),
        _log(_common_prefix([o[::-1] for o in lower])),
        len(numbers) / n,
        numeric_spread,
        numeric_gap,
        digits / n,
        maths / n,
        pair_sum / (n * (n - 1) / 2),
        pair_max,
        share_sum / n,
        share_max,
        1.0 if any(a in joined for a in _ABOVE) else 0.0,
        float(len(_ROMAN_STATEMENT_RE.findall(near)) + near.count("statement ")),
        romans / n,
        true_false / n,
        1.0 if "statement 1" in near else 0.0,
        capital / n,
        period / n,
        paren / n,
        comma / n,
        letters / n_words if n_words else 0.0,
        acronyms / n,
        1.0 if any(w in question for w in _NEGATED) else 0.0,
        1.0 if any(w in question for w in _SUPERLATIVE) else 0.0,
        1.0 if "of the following" in question else 0.0,
        1.0 if question.startswith(_WH) else 0.0,
        1.0 if question.endswith(("?", ".", ":")) else 0.0,
        1.0 if question.startswith(("if ", "suppose", "assume", "when ")) else 0.0,
        _log(len(_WORD_RE.findall(question))),
        _log(len(stem) - stem.count("\r")),  # a prompt with \r\n line ends reads as one with \n
        _log(stem.count("\n")),
        _log(len(_STEM_NUMBER_RE.findall(near))),
    ]
