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
from litellm_router_ext.adapters.proxy import ProxyTieredProvider

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


def _proxy_router(config: Path) -> litellm.Router:
    """The proxy's llm_router as a config.yaml would give it: one group per tier model, answered by mock. The tiers'
    params move there (a proxy ignores a tier's litellm_params, so its router.yaml may not have them)."""
    data = yaml.safe_load(config.read_text())
    tiers = data["routers"][0]["tiers"]
    router = litellm.Router(model_list=[{"model_name": t["model"], "litellm_params": {"model": t["model"],
                                                                                      **t.pop("litellm_params")}}
                                        for t in tiers])
    config.write_text(yaml.safe_dump(data))
    return router


def test_the_proxy_provider_finds_them_when_the_proxy_starts_elsewhere(
    tmp_path: Path, forget_modules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy started outside the config's folder answered every request with a 500: "module not importable".
    config = write_beside(tmp_path / "conf", "beside_proxy")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    path_before = list(sys.path)
    provider = ProxyTieredProvider(config)
    provider.load(router=_proxy_router(config))
    validators = provider.runtime("beside").validators
    assert [getattr(v, "name", None) for v in validators] == ["beside_proxy_checks.check_answer"]
    assert sys.path == path_before


def test_the_proxy_provider_names_the_file_and_its_key_when_a_module_is_missing(
    tmp_path: Path, forget_modules: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It said "<config>, key 'beside.cascade.validators[0].path'": no file, and a key the file does not have.
    config = write_beside(tmp_path / "conf", "beside_gone")
    (tmp_path / "conf" / "beside_gone_checks.py").unlink()
    with pytest.raises(lre.ConfigError) as raised:
        ProxyTieredProvider(config).load(router=_proxy_router(config))
    assert raised.value.file == str(config) and raised.value.key == "routers[0].cascade.validators[0].path"


def test_a_param_error_names_the_router_whose_alias_another_one_prefixes(tmp_path: Path) -> None:
    # Aliases may hold dots: an error in router 'v1.mini' was named on router 'v1', as 'routers[0].mini.cascade...'
    def tiers() -> list[dict[str, str]]:
        return [{"name": "s", "model": "openai/gpt-4o-mini"}, {"name": "l", "model": "openai/gpt-4o"}]

    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"routers": [
        {"alias": "v1", "tiers": tiers(), "thresholds": [0.5]},
        {"alias": "v1.mini", "tiers": tiers(), "thresholds": [0.5],
         "cascade": {"validators": [{"name": "refusal", "params": {"patterns": 3}}]}}]}))
    with pytest.raises(lre.ConfigError) as info:
        lre.install(str(config), provider="alias-prefix")
    assert info.value.file == str(config)
    assert info.value.key is not None and info.value.key.startswith("routers[1].cascade"), info.value.key
