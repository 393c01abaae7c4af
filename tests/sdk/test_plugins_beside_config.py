"""A custom scorer or validator named by dotted path may be a module beside router.yaml, as the LiteLLM proxy and
``check`` find it: ``install("folder/router.yaml")`` finds it too, and leaves ``sys.path`` as it was."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import litellm
import pytest
import yaml

import litellm_router_ext as lre

SCORER = '''
class Hard:
    name = "hard"

    def score(self, request):
        return 1.0
'''
CHECKS = '''
def check_answer(answer):
    return "wrong" not in answer.text
'''


def write_beside(folder: Path, stem: str) -> Path:
    """router.yaml with a custom scorer (every request is hard) and a custom check (rejects 'wrong') in
    ``<stem>_scorer.py`` and ``<stem>_checks.py`` beside it; the tiers answer by mock_response."""
    folder.mkdir()
    (folder / f"{stem}_scorer.py").write_text(SCORER, encoding="utf-8")
    (folder / f"{stem}_checks.py").write_text(CHECKS, encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [{
        "alias": "beside", "thresholds": [0.5], "sticky": False,
        "scorers": [{"name": "custom", "path": f"{stem}_scorer.Hard"}],
        "tiers": [{"name": "small", "model": "gpt-4o-mini", "litellm_params": {"mock_response": "small"}},
                  {"name": "large", "model": "gpt-4o", "litellm_params": {"mock_response": "wrong, large"}}],
        "cascade": {"validators": [{"name": "custom", "path": f"{stem}_checks.check_answer"}]}}]}))
    return config


@pytest.fixture
def forget_modules() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("beside_"):
            del sys.modules[name]


def test_install_finds_modules_beside_the_config(tmp_path: Path, forget_modules: None) -> None:
    config = write_beside(tmp_path / "conf", "beside_sdk")
    path_before = list(sys.path)
    try:
        lre.install(str(config))
        response = litellm.completion(model="tiered/beside", messages=[{"role": "user", "content": "hi"}])
    finally:
        lre.uninstall()
    decision = lre.decision_of(response)
    assert isinstance(decision, dict)
    assert decision["scores"] == {"hard": 1.0} and decision["tier"] == "large"  # the custom scorer ran
    assert decision["verified"] is False  # the custom check ran (and rejected the top tier's answer)
    assert decision["attempts"][0]["verdict"]["validator"] == "beside_sdk_checks.check_answer"
    assert sys.path == path_before
