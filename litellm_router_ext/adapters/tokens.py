"""Token counting for replay costs: tiktoken's ``cl100k_base``, loaded offline from the copy LiteLLM ships.

The shared data's price rule counts every model's tokens with this one encoding, so costs stay comparable
across providers whose own tokenizers differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _encoding() -> Any:
    # Importing this LiteLLM module points TIKTOKEN_CACHE_DIR at the bundled BPE file: no network needed.
    from litellm.litellm_core_utils.default_encoding import encoding

    return encoding


def count_tokens(texts: Sequence[str]) -> list[int]:
    """cl100k_base token counts of each text; special-token strings count as ordinary text."""
    if not texts:
        return []
    return [len(ids) for ids in _encoding().encode_ordinary_batch(list(texts), num_threads=2)]
