"""Helpers for the tests that break a saved artifact and expect it refused with its file named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from litellm_router_ext.errors import ArtifactError
from litellm_router_ext.learned.model import DifficultyModel


def arrays_of(path: Path) -> dict[str, np.ndarray]:
    """Every array of the artifact at ``path``."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def with_first(array: np.ndarray, value: float) -> np.ndarray:
    """A copy of ``array`` whose first cell is ``value``."""
    out = array.copy()
    out.flat[0] = value
    return out


def refused(path: Path, arrays: Mapping[str, np.ndarray], match: str) -> None:
    """Write ``arrays`` to ``path``: loading it must raise ``ArtifactError`` that reads "<path>: " then ``match``."""
    np.savez(path, **arrays)  # type: ignore[arg-type]
    with pytest.raises(ArtifactError, match=re.escape(path.name) + ": " + match):
        DifficultyModel.load(path)
