"""Shared test setup: offline LiteLLM, and the location of the shared eval data beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` next to the checkout; tests that need it skip cleanly without it."""
    if not (SHARED_DATA / "models.json").exists():
        pytest.skip(f"shared eval data not found at {SHARED_DATA}")
    return SHARED_DATA
