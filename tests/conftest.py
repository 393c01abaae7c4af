"""Shared test setup: offline LiteLLM, and the location of the shared eval data beside the checkout."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


_CALLBACK_LISTS = ("callbacks", "success_callback", "failure_callback", "_async_success_callback",
                   "_async_failure_callback", "input_callback", "service_callback")


@pytest.fixture(autouse=True, scope="module")
def _litellm_callbacks_per_module() -> Iterator[None]:
    """Every ``litellm.Router`` adds callbacks to LiteLLM's global lists, which refuse more than ``MAX_CALLBACKS``
    (100) with only a log line: hundreds of Routers across the suite made a later test's own callback vanish. Each
    test module gets the lists back as it found them (a Router a module keeps for its tests keeps its callbacks)."""
    import litellm

    lists = {name: getattr(litellm, name) for name in _CALLBACK_LISTS if isinstance(getattr(litellm, name, None), list)}
    saved = {name: list(value) for name, value in lists.items()}
    yield
    for name, value in lists.items():
        value[:] = saved[name]  # in place (LiteLLM's modules may hold the list), and put back if a test replaced it
        setattr(litellm, name, value)
