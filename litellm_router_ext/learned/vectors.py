"""Static word vectors the learned predictor is trained on (shipped; only training reads them).

``data/learned/word_vectors.npz`` holds 64-dimensional vectors for about 28k lower-cased words: the
mean of each word's sub-token embeddings in wordllama's ``l2_supercat_256`` table (MIT), reduced by
PCA. Scoring never loads them: a trained artifact folds them into one number per word.
``build_word_vectors`` regenerates the file and is the only code that needs ``wordllama`` installed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ArtifactError

VECTORS_FILE = "word_vectors.npz"


@dataclass(frozen=True)
class WordVectors:
    """Word list and a (n_words, dim) float32 matrix whose rows are centred (mean zero)."""

    words: tuple[str, ...]
    matrix: np.ndarray
    source: str

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def _blob(words: Iterable[str]) -> np.ndarray:
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _unblob(blob: np.ndarray) -> tuple[str, ...]:
    text = blob.tobytes().decode("utf-8")
    return tuple(text.split("\n")) if text else ()


def default_vectors_path() -> Path:
    return Path(str(resources.files("litellm_router_ext") / "data" / "learned" / VECTORS_FILE))


def load_word_vectors(path: str | Path | None = None) -> WordVectors:
    """Load word vectors (default: the shipped file); ``ArtifactError`` when missing or malformed."""
    p = Path(path) if path is not None else default_vectors_path()
    try:
        with np.load(p, allow_pickle=False) as data:
            words = _unblob(data["words"])
            matrix = data["vectors"].astype(np.float32)
            source = bytes(data["source"].tobytes()).decode("utf-8")
    except FileNotFoundError:
        raise ArtifactError(f"{p}: word-vector file not found; reinstall litellm-router-ext") from None
    except (KeyError, ValueError, OSError) as exc:
        raise ArtifactError(f"{p}: not a word-vector file ({exc})") from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise ArtifactError(f"{p}: {len(words)} words but vectors of shape {matrix.shape}")
    return WordVectors(words, matrix - matrix.mean(axis=0), source)


def save_word_vectors(path: str | Path, words: list[str], matrix: np.ndarray, source: str) -> None:
    np.savez_compressed(
        path,
        words=_blob(words),
        vectors=matrix.astype(np.float16),
        source=np.frombuffer(source.encode("utf-8"), dtype=np.uint8),
    )


def build_word_vectors(corpus_words: Iterable[str], out: str | Path, *, dim: int = 64, min_count: int = 2) -> int:
    """Regenerate the shipped vectors from wordllama (``pip install wordllama``); returns the word count.

    The vocabulary is every alphabetic whole-word token of wordllama's tokenizer plus every word seen at
    least ``min_count`` times in ``corpus_words`` (one entry per prompt and word).
    """
    from collections import Counter

    import wordllama  # type: ignore[import-not-found,import-untyped,unused-ignore]
    from safetensors.numpy import load_file  # type: ignore[import-not-found,unused-ignore]
    from tokenizers import Tokenizer

    root = Path(wordllama.__file__).parent
    tok = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    table = load_file(str(root / "weights" / "l2_supercat_256.safetensors"))["embedding.weight"].astype(np.float32)
    vocab = {p[1:].lower() for p in tok.get_vocab() if p.startswith("\u2581") and p[1:].isascii()
             and p[1:].isalpha() and len(p) > 2}
    counts = Counter(corpus_words)
    vocab |= {w for w, c in counts.items() if c >= min_count}
    words = sorted(vocab)
    full = np.zeros((len(words), table.shape[1]), np.float32)
    for i, enc in enumerate(tok.encode_batch(words, add_special_tokens=False)):
        ids = [j for j, piece in zip(enc.ids, enc.tokens, strict=True) if piece != "\u2581"] or enc.ids
        full[i] = table[ids].mean(axis=0)
    centred = full - full.mean(axis=0)
    _, _, vt = np.linalg.svd(centred[:: max(1, len(words) // 8000)], full_matrices=False)
    source = json.dumps({"embeddings": f"wordllama {getattr(wordllama, '__version__', '?')} l2_supercat_256 (MIT)",
                         "reduction": f"PCA to {dim} dims", "words": len(words)})
    save_word_vectors(out, words, centred @ vt[:dim].T, source)
    return len(words)
