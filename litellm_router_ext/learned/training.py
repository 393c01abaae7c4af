"""Train the learned predictor on eval sets and report cross-validated routing quality.

Input: JSONL records in the shared outcome format (``messages``, ``outcomes: {model: {score}}``, ``source``).
Tiers are given cheapest first; a tier may name several models joined by ``+`` (their mean score is used,
over those a record has). Three model forms (``model.py``), each with its own target:

* ``linear`` learns, in a model-agnostic way,

      target = 0.8 * rank(strongest tier's score - lower tiers' mean) + 0.2 * rank(1 - lower tiers' mean)

  i.e. mostly "what going up gains", partly "how likely the cheap side fails", each turned into its
  average-rank quantile *within its source* before mixing. APGR is a ranking metric, and ranks put a
  0/1-scored benchmark and a 1-10 judge-scored one on one scale, so no source's score units dominate
  (cross-validated: raw targets lost 0.03-0.11 APGR on sources left out of training). Differences
  *between* sources are deliberately not learned (adding each source's mean back cost 0.12 APGR on an
  unseen source): a source whose outcomes never vary teaches nothing, so label one traffic mix as one source.
* ``trees`` learns the gain itself, standardised within each source: on one model pair's own traffic
  it ranks better (llmrouter-train -> test, gemma-2-9b -> nemotron-51b: 0.90 APGR against the linear
  form's 0.80), but it transfers worse to sources it never saw.
* ``ngrams`` learns the same standardised gain from hashed word pairs (``ngrams.py``): on MMLU, where the
  wording of a question says more than its shape, it beats both (0.69 against 0.67), and it transfers
  worst.

The kept form adds boosted trees over the answer options' structure (``options.py``) when the training prompts
hold ``OPTIONS_MIN_PROMPTS`` multiple-choice prompts, at a weight chosen by an inner cross-validation of its
training rows alone. The forms are compared without them (three nested CVs would take minutes more on the
shared data); the kept one is then cross-validated again with them nested in each fold, so its figures stay
honest, and the report gives their paired effect. The n-gram form scores 0.703 on MMLU with them, mean of six
fold seeds, against 0.691 without. They give every other prompt nothing, so a source without multiple-choice
prompts keeps its order. Not beside a LiteLLM prior: the prior is blended on the quantile scale of all training
prompts, and the option trees reshaping that scale reordered the other sources (pooled CV of the shipped recipe:
MMLU +0.031, llmrouter-train -0.012, GSM8K -0.009; left out of training -0.007 to -0.011).

``auto`` (the default) cross-validates all three and keeps another form than the linear one only when it
wins (with 500 examples or more; on fewer it keeps the linear form). Each ``source`` gets
the same total weight (capped at 2,000 prompts' worth) so one big benchmark does not drown the others.
The report gives k-fold APGR per source and, with two or more sources, leave-one-source-out APGR:
the honest number for traffic unlike the training data.

``litellm_prior`` (0 = off) blends LiteLLM's complexity heuristic into the score (``model.Prior``). All CV and
leave-one-out figures are then of the blended score, and the report adds the prior's paired effect per
source, so a user sees whether it helps on their own traffic. On the shared sets it helped most on sources
left out of training (mean +0.03 APGR), which is why the shipped artifact uses 0.5.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DatasetError
from ..evaluation.dataset import load_eval_set
from ..evaluation.metrics import interval
from .features import DENSE_NAMES
from .litellm_rules import load_rules
from .model import (
    DEFAULT_PENALTIES,
    DifficultyModel,
    Featurized,
    Penalties,
    add_option_trees,
    apgr,
    featurize,
    fit,
    fit_ngram_model,
    fit_tree_model,
    prompt_digests,
    subset,
)
from .ngrams import DEFAULT_NGRAMS, MAX_CHARS, NgramParams
from .trees import DEFAULT_TREES, TreeParams
from .vectors import WordVectors, load_word_vectors

GAIN_SHARE = 0.8
MIN_GAP = 0.01  # the top tier's mean score over the lower tiers' below which a source's APGR is noise
MIN_EXAMPLES = 10  # the least `train` fits a model on (and never fewer than one per fold)
SOURCE_CAP = 2000


@dataclass(frozen=True)
class Example:
    source: str
    text: str
    tier_scores: tuple[float, ...]


def parse_tiers(spec: str | Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """``"a+b,c"`` or ``["a+b", "c"]`` -> ``(("a", "b"), ("c",))``; needs two tiers or more."""
    parts = spec.split(",") if isinstance(spec, str) else list(spec)
    tiers = tuple(tuple(m.strip() for m in p.split("+") if m.strip()) for p in parts if p.strip())
    if len(tiers) < 2:
        raise ValueError(f"--tiers needs at least two tiers, cheapest first, e.g. 'small-model,big-model'; "
                         f"got {spec!r}")
    return tiers


def read_examples(paths: Sequence[str | Path], tiers: tuple[tuple[str, ...], ...]) -> list[Example]:
    """Records with a score for at least one model of every tier; ``DatasetError`` on malformed lines."""
    return count_examples(paths, tiers)[0]


def count_examples(paths: Sequence[str | Path],
                   tiers: tuple[tuple[str, ...], ...]) -> tuple[list[Example], int]:
    """``read_examples``, and how many records it left out (no score for some tier).

    Each file is read as ``eval`` reads it (``load_eval_set``: a bad score or field names its file, line and
    key), and an id seen twice, in one file or across files, is refused: a repeated record would sit in a
    training fold and a test fold at once and inflate the cross-validated figures.
    """
    out: list[Example] = []
    skipped = 0
    first_seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        eval_set = load_eval_set(path)
        for item in eval_set.items:
            if item.id in first_seen:
                file, line = first_seen[item.id]
                raise DatasetError(f"duplicate id {item.id!r} (first in {file}, line {line}); each record is one "
                                   "training example: pass each file once and drop repeated records",
                                   file=eval_set.path, line=item.line, field="id")
            first_seen[item.id] = (eval_set.path, item.line)
            if not any(m.get("role") == "user" for m in item.messages):
                raise DatasetError("no user message: the learned scorer reads the last one",
                                   file=eval_set.path, line=item.line, field="messages")
            scores: list[float] = []
            for tier in tiers:
                vals = [item.outcomes[m].score for m in tier if m in item.outcomes]
                if not vals:
                    skipped += 1
                    break
                scores.append(sum(vals) / len(vals))
            else:
                out.append(Example(item.source or Path(eval_set.path).stem, item.prompt_text, tuple(scores)))
    return out, skipped


def _too_few(paths: Sequence[str | Path], tiers: tuple[tuple[str, ...], ...], usable: int,
             needed: int) -> DatasetError:
    """The error for too few usable records, naming any tier model that no record scores."""
    present = sorted({m for path in paths for item in load_eval_set(path).items for m in item.outcomes})
    missing = [m for tier in tiers for m in tier if m not in present]
    why = (f"no record scores {', '.join(map(repr, missing))}; the files score {', '.join(present)}"
           if missing else "add records" + (", or lower --folds" if needed > MIN_EXAMPLES else ""))
    return DatasetError(f"{usable} usable records, and training needs at least {needed} (each record needs a score "
                        f"for a model of every tier: {' | '.join('+'.join(t) for t in tiers)}); {why}",
                        file=", ".join(map(str, paths)))


def average_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value scaled to [0, 1], ties sharing their mean rank (a constant input gives 0.5)."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return np.full(len(v), 0.5)
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    start = np.cumsum(counts) - counts
    return np.asarray((start + (counts - 1) / 2.0)[inverse] / (len(v) - 1))


def targets(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(target, weak score, strong score): weak = mean of the lower tiers, strong = the top tier.

    The target mixes the gain and the cheap side's failure, each as an average-rank quantile within
    its example's source (see the module docstring).
    """
    weak = np.array([sum(e.tier_scores[:-1]) / (len(e.tier_scores) - 1) for e in examples])
    strong = np.array([e.tier_scores[-1] for e in examples])
    sources = np.array([e.source for e in examples])
    target = np.zeros(len(examples))
    for s in np.unique(sources):
        m = sources == s
        target[m] = GAIN_SHARE * average_rank(strong[m] - weak[m]) + (1 - GAIN_SHARE) * average_rank(1 - weak[m])
    return target, weak, strong


def standardized_gain(gain: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """What going up gains, scaled to unit spread within each source (the trees' target).

    Cross-validated on one model pair, the raw gain beats the rank mix by about 0.03 APGR for trees
    (which split on order, not on units); standardising only keeps judge-scored and 0/1 sources on one scale.
    """
    out = np.zeros(len(gain))
    for s in np.unique(sources):
        m = sources == s
        g = gain[m] - gain[m].mean()
        sd = float(g.std())
        out[m] = g / sd if sd > 0 else 0.0
    return out


def source_weights(sources: np.ndarray) -> np.ndarray:
    w = np.zeros(len(sources))
    for s in np.unique(sources):
        m = sources == s
        w[m] = min(int(m.sum()), SOURCE_CAP) / m.sum()
    return w


MODEL_KINDS = ("auto", "linear", "trees", "ngrams")
AUTO_MARGIN = 0.005  # "auto" keeps another form only when it beats the linear model's mean CV APGR by this much
AUTO_MIN_EXAMPLES = 500  # below this "auto" tries the linear form alone: too few to fit others, CV gaps are noise
CV_RESAMPLES = 200  # bootstrap resamples of the out-of-fold predictions behind each CV interval
OPTION_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)  # the option trees' weight beside the form's prediction, in order
OPTIONS_MIN_PROMPTS = 200  # multiple-choice prompts the training data needs for option trees to be tried at all
OPTIONS_INNER_FOLDS = 3


@dataclass
class TrainReport:
    n_examples: int
    sources: dict[str, int]
    model: str = "linear"
    cv_apgr: dict[str, float] = field(default_factory=dict)
    cv_apgr_by_model: dict[str, dict[str, float]] = field(default_factory=dict)
    cv_ci_by_model: dict[str, dict[str, tuple[float, float] | None]] = field(default_factory=dict)
    cv_minus_linear: dict[str, dict[str, tuple[float, tuple[float, float] | None]]] = field(default_factory=dict)
    """Per other form tried beside the linear one, per source: its CV APGR minus the linear form's, with the
    paired 95% bootstrap interval."""
    litellm_prior: float = 0.0
    cv_prior_effect: dict[str, tuple[float, tuple[float, float] | None]] = field(default_factory=dict)
    """Per source, for the kept form: CV APGR with the prior minus without, with its paired 95% interval."""
    lodo_apgr: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: int = 0
    """Records left out: no score for some tier."""
    tier_means: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Per source, the mean score of the lower tiers and of the top tier (what APGR divides by)."""
    options_weight: float | None = None
    """The answer-option trees' weight in the kept model (None: not tried, see ``options_note``; 0.0: tried, and
    inner CV found they do not help)."""
    options_note: str = ""
    """Why the option trees were not tried, when the training prompts were multiple-choice enough for them."""
    options_inner_apgr: dict[float, float] = field(default_factory=dict)
    """Mean inner-CV APGR of the kept model's rows at each weight tried."""
    cv_options_effect: dict[str, tuple[float, tuple[float, float] | None]] = field(default_factory=dict)
    """Per source, for the kept form: CV APGR with option trees (nested) minus without, with its paired 95% interval.
    The forms are compared without them; then the kept one is cross-validated again with them."""

    def flat_sources(self) -> list[str]:
        """Sources where the top tier is not ahead of the lower ones by ``MIN_GAP``: APGR there divides by about
        nothing, so its figures are noise (or the ladder is upside down)."""
        return [s for s, (low, top) in self.tier_means.items() if top - low < MIN_GAP]

    def to_dict(self) -> dict[str, Any]:
        return {"n_examples": self.n_examples, "sources": self.sources, "model": self.model,
                "cv_apgr": self.cv_apgr, "cv_apgr_by_model": self.cv_apgr_by_model,
                "cv_apgr_95ci_by_model": self.cv_ci_by_model,
                "cv_minus_linear_95ci": self.cv_minus_linear,
                "litellm_prior": self.litellm_prior or None,  # as the manifest's own key: null when off
                "cv_prior_effect_95ci": self.cv_prior_effect,
                "leave_one_source_out_apgr": self.lodo_apgr, "train_seconds": round(self.seconds, 1),
                "skipped_records": self.skipped,
                "options_weight": self.options_weight, "options_note": self.options_note or None,
                "cv_option_trees_effect_95ci": self.cv_options_effect,
                "options_inner_cv_apgr": {str(k): v for k, v in self.options_inner_apgr.items()},
                "tier_means": {s: {"lower": low, "top": top} for s, (low, top) in self.tier_means.items()}}


def train(
    paths: Sequence[str | Path],
    tiers: tuple[tuple[str, ...], ...],
    *,
    folds: int = 5,
    leave_one_out: bool = True,
    vectors: WordVectors | None = None,
    penalties: Penalties = DEFAULT_PENALTIES,
    model: str = "auto",
    tree_params: TreeParams = DEFAULT_TREES,
    ngram_params: NgramParams = DEFAULT_NGRAMS,
    min_examples: int = AUTO_MIN_EXAMPLES,
    litellm_prior: float = 0.0,
    options: bool = True,
    seed: int = 0,
) -> tuple[DifficultyModel, TrainReport]:
    """Fit on every example of ``paths``, with a k-fold and leave-one-source-out report.

    ``model``: ``linear`` (the smooth part alone), ``trees`` (boosted trees alone, on the prompt features
    and the mean word vector), ``ngrams`` (hashed word pairs), or ``auto``: cross-validate all three and
    keep the best other form only if it beats the linear one by ``AUTO_MARGIN`` mean APGR (without folds,
    or below ``min_examples``, there is no evidence worth the name, so ``auto`` keeps the linear
    model, the one that transfers best). ``litellm_prior``: the
    weight of LiteLLM's heuristic in the score (0 = none). ``options``: let the form add answer-option trees where
    the training rows hold ``OPTIONS_MIN_PROMPTS`` multiple-choice prompts (``choose_options_weight``; never
    beside a prior, see the module docstring).
    """
    if model not in MODEL_KINDS:
        raise ValueError(f"model must be one of {', '.join(MODEL_KINDS)}; got {model!r}")
    if not 0.0 <= litellm_prior <= 1.0:
        raise ValueError(f"litellm_prior must be in [0, 1]; got {litellm_prior}")
    start = time.perf_counter()
    examples, skipped = count_examples(paths, tiers)
    if len(examples) < max(MIN_EXAMPLES, folds):
        raise _too_few(paths, tiers, len(examples), max(MIN_EXAMPLES, folds))
    vecs = vectors or load_word_vectors()
    others = model == "auto" and folds >= 2 and len(examples) >= min_examples  # auto tries every form
    grams = model == "ngrams" or others
    feats = featurize([e.text for e in examples], vecs.index(), ngram_params.bits if grams else None, options=options)
    y, weak, strong = targets(examples)
    src = np.array([e.source for e in examples])
    w = source_weights(src)
    report = TrainReport(len(examples), {str(s): int((src == s).sum()) for s in np.unique(src)},
                         litellm_prior=litellm_prior, skipped=skipped)
    y_gain = standardized_gain(strong - weak, src)
    report.tier_means = {str(s): (round(float(weak[src == s].mean()), 4), round(float(strong[src == s].mean()), 4))
                         for s in np.unique(src)}
    rules = load_rules()[0] if litellm_prior else None
    prior_raw = np.array([rules.raw(e.text) for e in examples]) if rules is not None else np.zeros(0)

    chosen: list[tuple[float | None, dict[float, float]]] = []  # each fit's option-tree weight, in fit order
    enough_mc = options and feats.option_inputs()[:, 0].sum() >= OPTIONS_MIN_PROMPTS
    use_options = enough_mc and not litellm_prior

    def fit_kind(kind: str, rows: np.ndarray, with_options: bool = True) -> DifficultyModel:
        target = y if kind == "linear" else y_gain

        def fit_form(form_rows: np.ndarray) -> DifficultyModel:
            return (fit_tree_model(feats, form_rows, y_gain, w, vecs, tree_params) if kind == "trees"
                    else fit_ngram_model(feats, form_rows, y_gain, w, ngram_params) if kind == "ngrams"
                    else fit(feats, form_rows, y, w, vecs, penalties))

        found = (choose_options_weight(fit_form, feats, rows, target, w, weak, strong, src, tree_params, seed=seed)
                 if with_options and use_options else (None, {}))
        chosen.append(found)
        fitted = fit_form(rows)
        if found[0]:
            add_option_trees(fitted, feats, rows, target, w, found[0], tree_params)
        if rules is not None:
            fitted.add_prior(rules, litellm_prior, subset(feats, rows), prior_raw[rows])
        return fitted

    def predict(fitted: DifficultyModel, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The fitted scorer's difficulty at ``rows``, and its raw prediction (without a prior: the same ranks,
        so the raw prediction serves as both)."""
        raw = fitted.raw_batch(subset(feats, rows))
        return (raw if fitted.prior is None else fitted.scores_from_raw(raw, prior_raw[rows])), raw

    by_source = [(str(s), src == s) for s in report.sources]

    def cross_validate(kind: str, with_options: bool) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold difficulty and raw prediction of every prompt (``fold`` set below)."""
        oof, raw = np.zeros(len(examples)), np.zeros(len(examples))
        for k in range(folds):
            tr, te = np.where(fold != k)[0], np.where(fold == k)[0]
            oof[te], raw[te] = predict(fit_kind(kind, tr, with_options), te)
        return oof, raw

    def record(label: str, oof: np.ndarray) -> dict[str, float]:
        report.cv_ci_by_model[label] = {s: apgr_interval(oof[m], weak[m], strong[m], seed) for s, m in by_source}
        found = report.cv_apgr_by_model[label] = {s: round(apgr(oof[m], weak[m], strong[m]), 4) for s, m in by_source}
        return found

    def paired(pred: np.ndarray, versus: np.ndarray) -> dict[str, tuple[float, tuple[float, float] | None]]:
        """Per source: APGR of ``pred`` minus that of ``versus``, and the paired 95% interval."""
        return {s: (round(apgr(pred[m], weak[m], strong[m]) - apgr(versus[m], weak[m], strong[m]), 4),
                    apgr_interval(pred[m], weak[m], strong[m], seed, versus=versus[m])) for s, m in by_source}

    oofs: dict[str, np.ndarray] = {}
    plain: dict[str, np.ndarray] = {}  # without the prior, for its effect
    if folds >= 2:
        fold = np.random.default_rng(seed).integers(0, folds, len(examples))
        tried = ("linear", "trees", "ngrams") if others else ("linear",)
        for kind in (tried if model == "auto" else (model,)):
            oofs[kind], plain[kind] = cross_validate(kind, with_options=False)
            record(kind, oofs[kind])
        for kind in (k for k in oofs if k != "linear" and "linear" in oofs):
            report.cv_minus_linear[kind] = paired(oofs[kind], oofs["linear"])
    report.model = _choose(model, report.cv_apgr_by_model, ignore=report.flat_sources())
    report.cv_apgr = report.cv_apgr_by_model.get(report.model, {})
    if use_options and report.model in oofs:  # the kept form again, now with option trees nested in each fold
        with_trees, _ = cross_validate(report.model, with_options=True)
        report.cv_apgr = record(f"{report.model} + option trees", with_trees)
        report.cv_options_effect = paired(with_trees, oofs[report.model])
    if rules is not None and report.model in oofs:
        report.cv_prior_effect = paired(oofs[report.model], plain[report.model])
    if leave_one_out and len(report.sources) >= 2:
        for s in report.sources:
            tr, te = np.where(src != s)[0], np.where(src == s)[0]
            pred, _ = predict(fit_kind(report.model, tr), te)
            report.lodo_apgr[s] = round(apgr(pred, weak[te], strong[te]), 4)

    fitted = fit_kind(report.model, np.arange(len(examples)))
    report.options_weight, report.options_inner_apgr = chosen[-1]
    if litellm_prior and enough_mc:
        report.options_note = ("not tried beside --litellm-prior: they would reshape the quantile scale the prior is "
                               "blended on, and reorder the sources without multiple-choice prompts")
    fitted.seen = prompt_digests([e.text for e in examples])  # so eval can say when it scores these prompts again
    trees, ngrams = report.model == "trees", report.model == "ngrams"
    report.seconds = time.perf_counter() - start
    fitted.manifest = {
        "kind": "litellm-router-ext learned difficulty predictor",
        "trained_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_data": [str(Path(p).name) for p in paths],
        "tiers": ["+".join(t) for t in tiers],
        "target": ("top tier score - lower tiers mean, standardised within each source" if trees or ngrams else
                   f"{GAIN_SHARE} * rank(top tier score - lower tiers mean) + {1 - GAIN_SHARE:.1f} * "
                   "rank(1 - lower tiers mean); ranks = average-rank quantiles within each source"),
        "score": ("quantile of the raw prediction among training prompts (0 = easiest, 1 = hardest)"
                  if rules is None else
                  f"quantile among training prompts of {1 - litellm_prior:g} * (quantile of the raw prediction) + "
                  f"{litellm_prior:g} * (quantile of LiteLLM {rules.litellm_version}'s complexity heuristic)"),
        "litellm_prior": ({"weight": litellm_prior, "rules": f"LiteLLM {rules.litellm_version} ComplexityRouter "
                           "defaults, stored in the artifact"} if rules is not None else None),
        "dense_features": None if ngrams else list(DENSE_NAMES),
        "word_features": (f"TF-IDF presence of hashed words and word pairs (CRC-32, 2**{ngram_params.bits} buckets, "
                          f"idf from the training prompts, grams in under {ngram_params.min_df} of them ignored; "
                          f"prompts over {MAX_CHARS} characters read as their first and last {MAX_CHARS // 2})"
                          if ngrams else f"mean over known words of a per-word weight; vectors: {vecs.source}"),
        "model": report.model,
        "trees": ({"bags": tree_params.bags, "rounds": tree_params.rounds, "depth": tree_params.depth,
                   "learning_rate": tree_params.learning_rate, "inputs": "dense features + mean word vector"}
                  if trees else None),
        "option_trees": _option_manifest(report, tree_params),
        "ngrams": ({"bits": ngram_params.bits, "min_df": ngram_params.min_df, "l2": ngram_params.l2}
                   if ngrams else None),
        "penalties": (None if trees or ngrams else
                      {"dense": penalties.dense, "embedding": penalties.embedding, "word": penalties.word}),
        "metrics": report.to_dict(),
    }
    return fitted, report


def _option_manifest(report: TrainReport, tree_params: TreeParams) -> dict[str, Any] | None:
    """The manifest's account of the kept form's answer-option trees (None when they were not tried)."""
    if report.options_weight is None:
        return None
    return {"weight": report.options_weight,
            "chosen_by": f"{OPTIONS_INNER_FOLDS}-fold CV of the training prompts (metrics.options_inner_cv_apgr)",
            "inputs": "answer-option features (features)", "bags": tree_params.bags, "rounds": tree_params.rounds,
            "depth": tree_params.depth, "learning_rate": tree_params.learning_rate}


def choose_options_weight(fit_form: Callable[[np.ndarray], DifficultyModel], feats: Featurized, rows: np.ndarray,
                          target: np.ndarray, weight: np.ndarray, weak: np.ndarray, strong: np.ndarray,
                          sources: np.ndarray, tree_params: TreeParams = DEFAULT_TREES, *,
                          seed: int = 0) -> tuple[float | None, dict[float, float]]:
    """The weight of a form's answer-option trees, by inner cross-validation of ``rows`` alone.

    ``fit_form(rows)`` fits the form without them (and without a prior), on ``target``. Returns (weight, mean APGR
    over the sources at each weight tried); ``(None, {})`` when ``rows`` hold fewer than ``OPTIONS_MIN_PROMPTS``
    multiple-choice prompts. Each inner fit gives both parts' predictions, so every weight is scored on the same
    held-out prompts; a tie keeps the smaller weight. Sources whose top tier is not ``MIN_GAP`` ahead in ``rows`` do
    not vote (judged on ``rows`` alone: nothing here reads the outer fold's prompts).
    """
    if feats.option_inputs()[rows, 0].sum() < OPTIONS_MIN_PROMPTS:
        return None, {}
    inner = np.random.default_rng(seed + 1).integers(0, OPTIONS_INNER_FOLDS, len(rows))
    form_part = np.zeros(len(rows))
    option_part = np.zeros(len(rows))
    for j in range(OPTIONS_INNER_FOLDS):
        held = inner == j
        fitted = fit_form(rows[~held])
        add_option_trees(fitted, feats, rows[~held], target, weight, 1.0, tree_params)
        held_feats = subset(feats, rows[held])
        option_part[held] = fitted.option_part(held_feats)
        form_part[held] = fitted.raw_batch(held_feats) - option_part[held]
    src = sources[rows]
    voting = [s for s in np.unique(src) if strong[rows][src == s].mean() - weak[rows][src == s].mean() >= MIN_GAP
              ] or list(np.unique(src))
    scores: dict[float, float] = {}
    for candidate in OPTION_WEIGHTS:
        pred = form_part + candidate * option_part
        per_source = [v for s in voting if not np.isnan(v := apgr(pred[src == s], weak[rows][src == s],
                                                                  strong[rows][src == s]))]
        scores[candidate] = round(float(np.mean(per_source)), 4) if per_source else 0.0
    best = max(OPTION_WEIGHTS, key=lambda c: (scores[c], -c))
    return best, scores


def apgr_interval(pred: np.ndarray, weak: np.ndarray, strong: np.ndarray, seed: int = 0,
                  resamples: int = CV_RESAMPLES, versus: np.ndarray | None = None) -> tuple[float, float] | None:
    """95% bootstrap interval of APGR over the prompts; with ``versus``, of APGR(pred) - APGR(versus).

    It shows how far another sample of this traffic could move the figure for these fitted models, not
    how much refitting would (72 MT-Bench prompts span about 0.4). Compare two forms with ``versus``:
    scored on the same resampled prompts, their difference is far tighter than two separate intervals.
    """
    rng = np.random.default_rng(seed)
    n = len(pred)
    samples = []
    for _ in range(resamples):
        i = rng.integers(0, n, n)
        value = apgr(pred[i], weak[i], strong[i])
        samples.append(value - apgr(versus[i], weak[i], strong[i]) if versus is not None else value)
    found = interval(np.array(samples))
    return None if found is None else (round(found[0], 4), round(found[1], 4))


def _choose(model: str, cv: dict[str, dict[str, float]], ignore: Sequence[str] = ()) -> str:
    """The form to keep: as asked, or for ``auto`` the best other form by mean CV APGR only when it beats the
    linear one by the margin. Sources in ``ignore`` (no gap between the tiers) do not vote: their APGR is noise."""
    if model != "auto":
        return model
    voting = {kind: [v for s, v in by_source.items() if s not in ignore] for kind, by_source in cv.items()}
    if not any(voting.values()):
        return "linear"
    mean = {kind: float(np.nanmean(values)) for kind, values in voting.items()}
    if "linear" not in mean or len(mean) < 2:
        return "linear"
    best = max((k for k in mean if k != "linear"), key=mean.__getitem__)
    return best if mean[best] >= mean["linear"] + AUTO_MARGIN else "linear"
