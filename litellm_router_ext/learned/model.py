"""The learned difficulty model: fit, predict, and a pickle-free artifact with its manifest.

Three forms, one scoring path. The *linear* form is
``raw = bias + coef · dense_features + mean(word_weight[w] for known words w)``, where each word's
weight is its static vector projected on a learned direction plus a small, heavily penalised per-word
correction: smooth trends that transfer to prompts and models it never saw. The *trees* form is boosted
oblivious trees (``trees.py``) over the dense features and the prompt's mean word vector: interactions a
linear model cannot express (this topic is hard *when* it is a word problem), which fit one model pair
on its own traffic better and transfer worse. The *ngrams* form (``ngrams.py``) is a ridge over hashed
word pairs: the wording of one traffic, which transfers worst. Where the training prompts are multiple-choice,
any form may add boosted trees over their answer options' structure (``options.py``) at a weight chosen by inner
cross-validation; a prompt without an option block gets nothing from them, so they reorder only
multiple-choice prompts.
``score`` maps ``raw`` through the training predictions' quantiles, so a score of 0.8 means "predicted harder
than 80% of the training prompts"; thresholds cut it directly.

An artifact may carry a *prior*: LiteLLM's complexity heuristic (``litellm_rules.py``, its rules stored in the
artifact). Then ``score`` averages the two quantiles with the prior's weight and maps that average through
its own quantiles over the training prompts, so the scale means the same. A fixed keyword prior knows what
the training data may lack (code, for a model trained on maths and trivia): it is what made the shipped
predictor beat LiteLLM's heuristic on benchmarks left out of training.

An artifact is one ``.npz`` of plain arrays (loaded with ``allow_pickle=False``: nothing runs on load)
plus the manifest as JSON bytes inside it; ``save`` also writes ``<stem>.manifest.json`` beside it (one per
artifact, so two artifacts in one folder keep their own).
"""

from __future__ import annotations

import itertools
import json
import math
import zipfile
import zlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArtifactError
from .features import DENSE_NAMES, dense_features, words
from .litellm_rules import LiteLLMRules, build_knots, quantile
from .ngrams import DEFAULT_NGRAMS, NgramModel, NgramParams, bucket_occurrences, fit_ngrams
from .options import OPTION_NAMES, option_features
from .solver import conjugate_gradient
from .trees import DEFAULT_TREES, ObliviousTrees, TreeParams, fit_trees
from .vectors import WordVectors

FORMAT_VERSION = 2
PRIOR_FORMAT_VERSION = 3  # with a prior: a reader that would ignore it refuses the file instead of misscoring
NGRAM_FORMAT_VERSION = 4  # the n-gram form, with or without a prior (older readers refuse it, as above)
OPTIONS_FORMAT_VERSION = 5  # any form with answer-option trees (a reader that would ignore them refuses)
READABLE_VERSIONS = (1, 2, 3, 4, 5)  # version 1: the linear part alone
_KNOTS = 101


@dataclass(frozen=True)
class Featurized:
    """Features of many prompts at once, for training and cross-validation."""

    dense: np.ndarray  # (n, n_dense)
    doc: np.ndarray  # doc index of each known-word occurrence
    word: np.ndarray  # vocabulary index of each occurrence
    n_known: np.ndarray  # known words per doc
    gram_doc: np.ndarray | None = None  # doc index of each distinct n-gram bucket (``featurize(gram_bits=...)``)
    gram_bucket: np.ndarray | None = None  # its bucket
    options: np.ndarray | None = None  # (n, len(OPTION_NAMES)) answer-option features

    @property
    def n(self) -> int:
        return int(self.dense.shape[0])

    def grams(self, bits: int) -> tuple[np.ndarray, np.ndarray]:
        """(doc, bucket) of the n-gram occurrences; ``ValueError`` when they were not computed."""
        if self.gram_doc is None or self.gram_bucket is None:
            raise ValueError(f"featurize with gram_bits={bits} for the n-gram form")
        return self.gram_doc, self.gram_bucket

    def option_inputs(self) -> np.ndarray:
        """(n, len(OPTION_NAMES)) answer-option features; ``ValueError`` when they were not computed."""
        if self.options is None:
            raise ValueError("these prompts were featurized without their answer-option features")
        return self.options

    def tree_inputs(self, vectors: np.ndarray) -> np.ndarray:
        """(n, n_dense + dim): dense features, then the mean vector of each prompt's known words."""
        emb = np.zeros((self.n, vectors.shape[1]))
        for d in range(vectors.shape[1]):
            emb[:, d] = np.bincount(self.doc, weights=vectors[self.word, d], minlength=self.n)
        emb /= np.maximum(self.n_known, 1)[:, None]
        return np.hstack([self.dense, emb])


def featurize(texts: Sequence[str], vocab: dict[str, int], gram_bits: int | None = None,
              options: bool = True) -> Featurized:
    """Dense features and known-word occurrences of every text (and its n-gram buckets, given ``gram_bits``, and its
    answer-option features unless ``options`` is false)."""
    dense = np.zeros((len(texts), len(DENSE_NAMES)))
    docs: list[int] = []
    ids: list[int] = []
    for i, text in enumerate(texts):
        toks = words(text)
        dense[i] = dense_features(text, toks)
        for t in toks:
            j = vocab.get(t)
            if j is not None:
                docs.append(i)
                ids.append(j)
    doc = np.asarray(docs, dtype=np.int64)
    grams = bucket_occurrences(texts, gram_bits) if gram_bits is not None else (None, None)
    found = (np.array([option_features(t) for t in texts], dtype=np.float64).reshape(len(texts), len(OPTION_NAMES))
             if options else None)
    return Featurized(dense, doc, np.asarray(ids, dtype=np.int64), np.bincount(doc, minlength=len(texts)),
                      gram_doc=grams[0], gram_bucket=grams[1], options=found)


@dataclass(frozen=True)
class Prior:
    """LiteLLM's heuristic blended into ``score``: ``weight`` on its quantile, then ``blend_knots`` map back."""

    rules: LiteLLMRules
    weight: float
    knots: list[float]  # the prior's raw score at the training prompts' quantiles (nearest rank: ties stay exact)
    blend_knots: list[float]  # the blended value at the same quantiles

    def __post_init__(self) -> None:
        if not 0.0 < self.weight <= 1.0:
            raise ValueError(f"the prior's weight must be in (0, 1]; got {self.weight}")
        _check_knots("prior_knots", self.knots)
        _check_knots("prior_blend_knots", self.blend_knots)

    def blend(self, learned_unit: float, text: str) -> float:
        return self.blend_raw(learned_unit, self.rules.raw(text))

    def blend_raw(self, learned_unit: float, prior_raw: float) -> float:
        return to_unit(self.blend_knots, self._mix(learned_unit, prior_raw))

    def _mix(self, learned_unit: float, prior_raw: float) -> float:
        return (1.0 - self.weight) * learned_unit + self.weight * quantile(self.knots, prior_raw)

    @classmethod
    def fit(cls, rules: LiteLLMRules, weight: float, learned_units: np.ndarray, prior_raw: np.ndarray) -> Prior:
        """The prior's tables over the training prompts (their learned quantiles and raw prior scores)."""
        unfit = cls(rules, weight, build_knots(prior_raw.tolist(), _KNOTS), [0.0, 1.0])
        mixed = np.array([unfit._mix(u, p) for u, p in zip(learned_units.tolist(), prior_raw.tolist(), strict=True)])
        return cls(rules, weight, unfit.knots, _knots(mixed))


@dataclass
class DifficultyModel:
    """A fitted predictor; ``score(text)`` is the run-time path (pure Python, no numpy per call)."""

    coef: list[float]
    bias: float
    vocab: list[str]
    word_weights: np.ndarray
    knots: list[float]
    manifest: dict[str, Any] = field(default_factory=dict)
    trees: ObliviousTrees | None = None
    vectors: np.ndarray | None = None  # (len(vocab), dim) word vectors the trees read; None without trees
    prior: Prior | None = None
    ngrams: NgramModel | None = None  # the n-gram form: then raw = bias + its prediction, nothing else but options
    options: ObliviousTrees | None = None  # trees over ``option_features`` added to any form's raw, leaves weighted
    seen: np.ndarray | None = None  # sorted CRC-32 of each training prompt (``prompt_digests``), for in-sample notes

    def __post_init__(self) -> None:
        if len(self.coef) != len(DENSE_NAMES):
            raise ArtifactError(f"artifact has {len(self.coef)} feature weights; this version computes "
                                f"{len(DENSE_NAMES)}. Retrain with `litellm-router train`")
        if len(self.vocab) != len(self.word_weights):
            raise ArtifactError("artifact arrays disagree in length; retrain with `litellm-router train`")
        _check_knots("knots", self.knots)
        if (self.trees is None) != (self.vectors is None) or (
                self.vectors is not None and len(self.vectors) != len(self.vocab)):
            raise ArtifactError("artifact trees and word vectors disagree; retrain with `litellm-router train`")
        if self.trees is not None and self.vectors is not None and not self.trees.reads_within(
                len(DENSE_NAMES) + self.vectors.shape[1]):
            raise ArtifactError("artifact trees read a feature this version does not compute, or hold a leaf that is "
                                "not a finite number; retrain with `litellm-router train`")
        if self.options is not None and not self.options.reads_within(len(OPTION_NAMES)):
            raise ArtifactError("artifact option trees read a feature this version's answer-option features do not "
                                "have, or hold a leaf that is not a finite number; retrain with `litellm-router train`")
        # the linear form looks up each word's weight; the trees read the mean word vector, so they look
        # words up by index (and take the weights from the array): each builds only the table it reads
        self._table: dict[str, float] = (dict(zip(self.vocab, self.word_weights.tolist(), strict=True))
                                         if self.trees is None else {})
        self._ids: dict[str, int] = {w: i for i, w in enumerate(self.vocab)} if self.trees is not None else {}
        self._word_part = bool(np.any(self.word_weights))  # a trees-form artifact has none

    def raw(self, text: str) -> float:
        """Unmapped prediction (the training target's units)."""
        raw = self._form_raw(text)
        if self.options is not None:  # added last, as raw_batch adds it (n-gram and trees forms agree to the bit)
            found = option_features(text)
            if found[0]:  # a multiple-choice block: see option_part
                raw += self.options.predict_one(np.asarray(found, dtype=np.float64))
        return raw

    def _form_raw(self, text: str) -> float:
        if self.ngrams is not None:
            return self.bias + self.ngrams.predict_one(text)
        toks = words(text)
        dense = dense_features(text, toks)
        z = self.bias
        for c, x in zip(self.coef, dense, strict=True):
            z += c * x
        if self.trees is None or self.vectors is None:
            table = self._table
            total = 0.0
            n = 0
            for t in toks:
                w = table.get(t)
                if w is not None:
                    total += w
                    n += 1
            return z + total / n if n else z
        index = self._ids
        ids = [i for i in map(index.get, toks) if i is not None]
        if ids:
            if self._word_part:
                z += float(self.word_weights.take(ids).mean())
            mean_vec = self.vectors.take(ids, axis=0).sum(axis=0, dtype=np.float64) / len(ids)
        else:
            mean_vec = np.zeros(self.vectors.shape[1])
        return z + self.trees.predict_one(np.concatenate([np.asarray(dense), mean_vec]))

    def score(self, text: str) -> float:
        """Difficulty in [0, 1]: the share of training prompts predicted easier than ``text``."""
        unit = to_unit(self.knots, self.raw(text))
        return unit if self.prior is None else self.prior.blend(unit, text)

    def raw_batch(self, feats: Featurized, vocab_weights_index: np.ndarray | None = None) -> np.ndarray:
        """Vectorised ``raw`` for featurized prompts whose word ids index ``self.vocab`` (for the n-gram form:
        featurized with its ``gram_bits``)."""
        if self.ngrams is not None:
            doc, bucket = feats.grams(self.ngrams.bits)
            return self.bias + self.ngrams.predict(doc, bucket, feats.n) + self.option_part(feats)
        ww = self.word_weights if vocab_weights_index is None else self.word_weights[vocab_weights_index]
        out = feats.dense @ np.asarray(self.coef) + self.bias
        sums = np.bincount(feats.doc, weights=ww[feats.word], minlength=feats.n)
        result: np.ndarray = out + np.where(feats.n_known > 0, sums / np.maximum(feats.n_known, 1), 0.0)
        if self.trees is not None and self.vectors is not None:
            vecs = self.vectors if vocab_weights_index is None else self.vectors[vocab_weights_index]
            result = result + self.trees.predict(feats.tree_inputs(vecs))
        return result + self.option_part(feats)

    def option_part(self, feats: Featurized) -> np.ndarray | float:
        """What the answer-option trees add to ``raw_batch``: 0.0 without them, and exactly 0 for a prompt without a
        multiple-choice block, so its raw value is the form's own (its score, a quantile among all training prompts,
        can still move). (A constant would do for one model, but
        cross-validation pools the held-out predictions of one model per fold, and a constant per fold would
        reorder a source without multiple-choice prompts.)"""
        if self.options is None:
            return 0.0
        x = feats.option_inputs()
        return np.where(x[:, 0] > 0, self.options.predict(x), 0.0)

    def scores_batch(self, feats: Featurized, prior_raw: np.ndarray | None = None) -> np.ndarray:
        """``score`` of featurized prompts; ``prior_raw``: the prior's raw score of each (needed with a prior)."""
        return self.scores_from_raw(self.raw_batch(feats), prior_raw)

    def scores_from_raw(self, raw: np.ndarray, prior_raw: np.ndarray | None = None) -> np.ndarray:
        """``score`` from ``raw_batch`` output (and the prior's raw scores, with a prior)."""
        units = [to_unit(self.knots, r) for r in raw.tolist()]
        if self.prior is None:
            return np.array(units)
        if prior_raw is None:
            raise ValueError("this model has a prior: pass prior_raw, the prior's raw score of each prompt")
        prior = self.prior
        return np.array([prior.blend_raw(u, p) for u, p in zip(units, prior_raw.tolist(), strict=True)])

    def count_seen(self, texts: Sequence[str]) -> int | None:
        """How many of ``texts`` were training prompts of this model (``None``: the artifact does not say)."""
        if self.seen is None:
            return None
        return int(np.isin(prompt_digests(texts, unique=False), self.seen).sum())

    def add_prior(self, rules: LiteLLMRules, weight: float, feats: Featurized, prior_raw: np.ndarray) -> None:
        """Blend ``rules`` in with ``weight``; ``feats``/``prior_raw``: the prompts this model was fitted on."""
        self.prior = None  # the blend table is built from the learned scores alone
        self.prior = Prior.fit(rules, weight, self.scores_batch(feats), prior_raw)

    # ------------------------------------------------------------------------------------------ artifact

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.npz) and ``manifest_path(path)`` beside it; returns the artifact path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        version = (OPTIONS_FORMAT_VERSION if self.options is not None
                   else NGRAM_FORMAT_VERSION if self.ngrams is not None
                   else FORMAT_VERSION if self.prior is None else PRIOR_FORMAT_VERSION)
        # the n-gram form reads no dense features; any form reads the option features when it has option trees
        features = [*(DENSE_NAMES if self.ngrams is None else ()), *(OPTION_NAMES if self.options else ())]
        manifest = {**self.manifest, "format_version": version, "features": features}
        arrays: dict[str, np.ndarray] = {
            "format_version": np.asarray([version], dtype=np.int64),
            "coef": np.asarray(self.coef, dtype=np.float64),
            "bias": np.asarray([self.bias], dtype=np.float64),
            "vocab": np.frombuffer("\n".join(self.vocab).encode("utf-8"), dtype=np.uint8),
            "word_weights": self.word_weights.astype(np.float32),
            "knots": np.asarray(self.knots, dtype=np.float64),
            "manifest": np.frombuffer(json.dumps(manifest, sort_keys=True).encode("utf-8"), dtype=np.uint8),
            **self._tree_arrays(),
            **self._prior_arrays(),
            **({"ngram_idf": self.ngrams.idf, "ngram_weighted": self.ngrams.weighted} if self.ngrams else {}),
            **({"option_tree_feature": self.options.feature.astype(np.int32),
                "option_tree_threshold": self.options.threshold, "option_tree_leaves": self.options.leaves}
               if self.options is not None else {}),
            **({"train_prompt_crc32": self.seen.astype(np.uint32)} if self.seen is not None else {}),
        }
        with p.open("wb") as fh:
            np.savez_compressed(fh, **arrays)  # type: ignore[arg-type]
        manifest_path(p).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return p

    def _tree_arrays(self) -> dict[str, np.ndarray]:
        if self.trees is None or self.vectors is None:
            return {}
        return {"tree_feature": self.trees.feature.astype(np.int32), "tree_threshold": self.trees.threshold,
                "tree_leaves": self.trees.leaves, "word_vectors": self.vectors.astype(np.float16)}

    def _prior_arrays(self) -> dict[str, np.ndarray]:
        if self.prior is None:
            return {}
        rules = json.dumps(self.prior.rules.spec, sort_keys=True).encode("utf-8")
        return {"prior_rules": np.frombuffer(rules, dtype=np.uint8),
                "prior_weight": np.asarray([self.prior.weight], dtype=np.float64),
                "prior_knots": np.asarray(self.prior.knots, dtype=np.float64),
                "prior_blend_knots": np.asarray(self.prior.blend_knots, dtype=np.float64)}

    @classmethod
    def load(cls, path: str | Path) -> DifficultyModel:
        """Read an artifact written by ``save``; ``ArtifactError`` names the file and the fix."""
        p = Path(path)
        try:
            with np.load(p, allow_pickle=False) as data:
                version = int(data["format_version"][0])
                if version not in READABLE_VERSIONS:
                    readable = ", ".join(map(str, READABLE_VERSIONS))
                    raise ArtifactError(f"{p}: artifact format {version}, this version reads {readable}; "
                                        "retrain with `litellm-router train`")
                has_prior = "prior_rules" in data.files
                if version < NGRAM_FORMAT_VERSION and (version == PRIOR_FORMAT_VERSION) != has_prior:
                    raise ArtifactError(f"{p}: artifact format {version} "
                                        f"{'without' if version == PRIOR_FORMAT_VERSION else 'with'} a prior; "
                                        "retrain with `litellm-router train`")
                has_ngrams = "ngram_idf" in data.files  # format 5: any form, with option trees
                if version < OPTIONS_FORMAT_VERSION and (version == NGRAM_FORMAT_VERSION) != has_ngrams:
                    raise ArtifactError(f"{p}: artifact format {version} "
                                        f"{'with' if has_ngrams else 'without'} n-gram weights; "
                                        "retrain with `litellm-router train`")
                has_options = version == OPTIONS_FORMAT_VERSION
                if has_options != ("option_tree_leaves" in data.files):
                    raise ArtifactError(f"{p}: artifact format {version} "
                                        f"{'without' if has_options else 'with'} answer-option trees; "
                                        "retrain with `litellm-router train`")
                vocab_text = data["vocab"].tobytes().decode("utf-8")
                has_trees = "tree_feature" in data.files
                return cls(
                    coef=data["coef"].tolist(),
                    bias=float(data["bias"][0]),
                    vocab=vocab_text.split("\n") if vocab_text else [],
                    word_weights=data["word_weights"].astype(np.float32),
                    knots=data["knots"].tolist(),
                    manifest=json.loads(data["manifest"].tobytes().decode("utf-8")),
                    trees=ObliviousTrees(data["tree_feature"].astype(np.int64), data["tree_threshold"],
                                         data["tree_leaves"]) if has_trees else None,
                    vectors=data["word_vectors"].astype(np.float32) if has_trees else None,
                    prior=Prior(LiteLLMRules.from_dict(json.loads(data["prior_rules"].tobytes().decode("utf-8"))),
                                float(data["prior_weight"][0]), data["prior_knots"].tolist(),
                                data["prior_blend_knots"].tolist()) if has_prior else None,
                    ngrams=NgramModel(data["ngram_idf"].astype(np.float32), data["ngram_weighted"].astype(np.float32))
                    if has_ngrams else None,
                    options=ObliviousTrees(data["option_tree_feature"].astype(np.int64), data["option_tree_threshold"],
                                           data["option_tree_leaves"]) if has_options else None,
                    seen=data["train_prompt_crc32"].astype(np.uint32) if "train_prompt_crc32" in data.files else None,
                )
        except FileNotFoundError:
            raise ArtifactError(f"{p}: artifact not found; pass the .npz written by `litellm-router train`") from None
        except ArtifactError as exc:
            raise exc if str(exc).startswith(str(p)) else ArtifactError(f"{p}: {exc}") from None
        except ValueError as exc:
            reason = "not an .npz archive" if "pickle" in str(exc) else str(exc)  # numpy's hint would mislead
            raise ArtifactError(f"{p}: not a learned-scorer artifact ({reason}); "
                                "pass the .npz written by `litellm-router train`") from None
        except (KeyError, IndexError, OSError, UnicodeDecodeError, EOFError, zipfile.BadZipFile) as exc:
            # EOFError: an empty file; BadZipFile: one cut short (a copy or a train run that did not finish)
            raise ArtifactError(f"{p}: not a learned-scorer artifact ({type(exc).__name__}: {exc}); "
                                "pass the .npz written by `litellm-router train`") from None


# ---------------------------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Penalties:
    """Ridge penalties (per unit of total sample weight) on each feature group."""

    dense: float = 10.0
    embedding: float = 10.0
    word: float = 30.0
    cg_iters: int = 200


DEFAULT_PENALTIES = Penalties()


def fit(
    feats: Featurized,
    rows: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    vectors: WordVectors,
    penalties: Penalties = DEFAULT_PENALTIES,
) -> DifficultyModel:
    """Weighted ridge on rows ``rows`` of ``feats`` (word ids index ``vectors``); no manifest set."""
    mask = np.zeros(feats.n, dtype=bool)
    mask[rows] = True
    rank = np.cumsum(mask) - 1
    occ = mask[feats.doc]
    dd = rank[feats.doc[occ]]
    ww = feats.word[occ]
    n = int(mask.sum())
    n_known = feats.n_known[mask]
    inv = 1.0 / np.maximum(n_known[dd], 1)
    y = target[mask]
    sw = weight[mask] / weight[mask].mean()

    dense = feats.dense[mask]
    mu = np.average(dense, axis=0, weights=sw)
    sd = np.sqrt(np.average((dense - mu) ** 2, axis=0, weights=sw)) + 1e-6
    zd = (dense - mu) / sd
    vec = vectors.matrix.astype(np.float64)
    emb = np.zeros((n, vec.shape[1]))
    for d in range(vec.shape[1]):  # per column: np.add.at over the whole matrix was 6x slower, with the same sums
        emb[:, d] = np.bincount(dd, weights=vec[ww, d] * inv, minlength=n)
    es = float(emb.std()) + 1e-9
    design = np.hstack([zd, emb / es, np.ones((n, 1))])
    p = design.shape[1]
    pen = np.concatenate([np.full(zd.shape[1], penalties.dense), np.full(emb.shape[1], penalties.embedding), [0.0]])
    pen = pen * n / 1000.0
    n_vocab = vec.shape[0]
    bow_scale = 20.0  # puts mean-bag columns on a scale comparable to the standardised ones
    lam_word = penalties.word * n / 1000.0

    def matvec(v: np.ndarray) -> np.ndarray:
        a, u = v[:p], v[p:]
        r = design @ a + np.bincount(dd, weights=u[ww] * inv * bow_scale, minlength=n)
        r *= sw
        grad_u = np.bincount(ww, weights=r[dd] * inv * bow_scale, minlength=n_vocab)
        return np.concatenate([design.T @ r + pen * a, grad_u + lam_word * u])

    rhs = np.concatenate([design.T @ (sw * y), np.bincount(ww, weights=(sw * y)[dd] * inv * bow_scale,
                                                            minlength=n_vocab)])
    x = conjugate_gradient(matvec, rhs, penalties.cg_iters)
    b_dense = x[: zd.shape[1]]
    b_emb = x[zd.shape[1]: p - 1] / es
    word_weights = vec @ b_emb + x[p:] * bow_scale
    coef = b_dense / sd
    bias = float(x[p - 1] - (b_dense * mu / sd).sum())
    model = DifficultyModel(coef.tolist(), bias, list(vectors.words), word_weights.astype(np.float32), [0.0, 1.0])
    model.knots = _knots(model.raw_batch(_subset(feats, rows)))
    return model


def fit_tree_model(
    feats: Featurized,
    rows: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    vectors: WordVectors,
    params: TreeParams = DEFAULT_TREES,
) -> DifficultyModel:
    """Boosted trees alone on rows ``rows`` of ``feats`` (the linear part is zero); no manifest set."""
    train_feats = _subset(feats, rows)
    vec16 = vectors.matrix.astype(np.float16).astype(np.float32)  # exactly what the artifact stores
    y = target[rows]
    sw = weight[rows] / weight[rows].mean()
    bias = float(np.average(y, weights=sw))
    x = train_feats.tree_inputs(vec16)
    trees = fit_trees(x, y - bias, sw, params)
    knots = _knots(bias + trees.predict(x))  # the linear part is zero: raw is bias + trees
    return DifficultyModel([0.0] * len(DENSE_NAMES), bias, list(vectors.words),
                           np.zeros(len(vectors.words), dtype=np.float32), knots, trees=trees, vectors=vec16)


def prompt_digests(texts: Sequence[str], *, unique: bool = True) -> np.ndarray:
    """CRC-32 of each text's UTF-8 (sorted and unique unless ``unique=False``): which prompts an artifact was
    trained on, in 4 bytes each (a chance match is about one in 4 billion per prompt)."""
    # surrogatepass: a prompt may hold half an emoji ("\ud83d" in its JSON); valid text encodes the same
    digests = np.fromiter((zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in texts), dtype=np.uint32,
                          count=len(texts))
    return np.unique(digests) if unique else digests


def fit_ngram_model(
    feats: Featurized,
    rows: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    params: NgramParams = DEFAULT_NGRAMS,
) -> DifficultyModel:
    """The n-gram form alone on rows ``rows`` of ``feats`` (featurized with ``params.bits``); no manifest set."""
    train_feats = _subset(feats, rows)
    ngrams, bias = fit_ngrams(*train_feats.grams(params.bits), len(rows), target[rows], weight[rows], params)
    model = DifficultyModel([0.0] * len(DENSE_NAMES), bias, [], np.zeros(0, dtype=np.float32), [0.0, 1.0],
                            ngrams=ngrams)
    model.knots = _knots(model.raw_batch(train_feats))
    return model


def add_option_trees(model: DifficultyModel, feats: Featurized, rows: np.ndarray, target: np.ndarray,
                     weight: np.ndarray, options_weight: float, params: TreeParams = DEFAULT_TREES) -> None:
    """Give ``model`` (fitted on rows ``rows`` of ``feats``, without a prior yet) boosted trees over the answer-option
    features, fitted on the same target and added to its raw prediction times ``options_weight`` (folded into their
    leaves); its quantile table is cut again.

    The trees are fitted on the multiple-choice rows alone, centred on their mean, and only those prompts get
    anything from them (``option_part``)."""
    x = feats.option_inputs()[rows]
    mc = x[:, 0] > 0
    sw = weight[rows][mc] / weight[rows][mc].mean()
    y = target[rows][mc]
    trees = fit_trees(x[mc], y - np.average(y, weights=sw), sw, params)
    model.options = ObliviousTrees(trees.feature, trees.threshold, trees.leaves * options_weight)
    model.knots = _knots(model.raw_batch(_subset(feats, rows)))


def _check_knots(name: str, knots: Sequence[float]) -> None:
    """A quantile table: at least two finite, non-decreasing values (anything else misscores silently)."""
    if len(knots) < 2 or not all(math.isfinite(k) for k in knots) or any(
            b < a for a, b in itertools.pairwise(knots)):
        raise ArtifactError(f"'{name}' must be at least two finite, non-decreasing numbers; "
                            "retrain with `litellm-router train`")


def manifest_path(artifact: str | Path) -> Path:
    """The readable manifest written beside an artifact: ``mine.npz`` -> ``mine.manifest.json``."""
    p = Path(artifact)
    return p.with_name(p.stem + ".manifest.json")


def to_unit(knots: Sequence[float], raw: float) -> float:
    """Where ``raw`` falls among ``knots`` (quantiles of the training predictions), interpolated, in [0, 1]."""
    if raw <= knots[0]:
        return 0.0
    if raw >= knots[-1]:
        return 1.0
    i = bisect_right(knots, raw) - 1
    lo, hi = knots[i], knots[i + 1]
    frac = (raw - lo) / (hi - lo) if hi > lo else 0.0
    return (i + frac) / (len(knots) - 1)


def _knots(raw: np.ndarray) -> list[float]:
    knots: list[float] = np.quantile(raw, np.linspace(0, 1, _KNOTS)).tolist()
    return knots


def _subset(feats: Featurized, rows: np.ndarray) -> Featurized:
    mask = np.zeros(feats.n, dtype=bool)
    mask[rows] = True
    rank = np.full(feats.n, -1)
    rank[rows] = np.arange(len(rows))
    occ = mask[feats.doc]
    grams: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if feats.gram_doc is not None and feats.gram_bucket is not None:
        keep = rank[feats.gram_doc] >= 0
        grams = rank[feats.gram_doc[keep]], feats.gram_bucket[keep]
    return Featurized(feats.dense[rows], rank[feats.doc[occ]], feats.word[occ], feats.n_known[rows],
                      gram_doc=grams[0], gram_bucket=grams[1],
                      options=None if feats.options is None else feats.options[rows])


def subset(feats: Featurized, rows: np.ndarray) -> Featurized:
    """The featurized prompts at ``rows``, in that order."""
    return _subset(feats, rows)


def apgr(difficulty: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> float:
    """RouteLLM's average performance gap recovered: send the hardest x to strong, PGR averaged over x."""
    order = np.argsort(-np.asarray(difficulty), kind="stable")
    gain = (np.asarray(strong) - np.asarray(weak))[order]
    qw, qs = float(np.mean(weak)), float(np.mean(strong))
    if math.isclose(qw, qs):
        return float("nan")
    q = qw + np.concatenate([[0.0], np.cumsum(gain)]) / len(gain)
    return float(np.mean((q - qw) / (qs - qw)))
