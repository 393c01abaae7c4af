"""The proxy adapter without a proxy: lazy loading from a router file, and the header hook."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import litellm
import pytest

from litellm_router_ext.adapters.proxy import (
    CONFIG_ENV,
    ProxyTieredProvider,
    RouterHeaders,
    decision_headers,
    router_config_path,
)
from litellm_router_ext.errors import ConfigError
from tests.factories import FakeStream

ROUTER = """
routers:
  - alias: t
    tiers:
      - {name: small, model: small}
      - {name: large, model: large}
    thresholds: [0.5]
"""


def proxy_router() -> litellm.Router:
    return litellm.Router(
        model_list=[
            {"model_name": "small", "litellm_params": {"model": "gpt-4o-mini", "mock_response": "small answer"}},
            {"model_name": "large", "litellm_params": {"model": "gpt-4o", "mock_response": "large answer"}},
        ]
    )


def test_loads_lazily_and_dispatches_through_the_given_router(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(ROUTER)
    provider = ProxyTieredProvider(path)
    assert provider.routers == {}
    provider.load(router=proxy_router())
    response, decision = provider.runtime("t").complete([{"role": "user", "content": "hi"}], {}, None)
    assert response.choices[0].message.content == "small answer" and decision.tier == "small"


def test_a_tier_naming_no_proxy_group_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(ROUTER.replace("model: large", "model: lage"))
    with pytest.raises(ConfigError, match="'lage'.*model_list lacks"):
        ProxyTieredProvider(path).load(router=proxy_router())


def test_stream_headers_are_filled_when_the_first_chunk_passes() -> None:
    record = {"tier": "large", "model": "large", "escalations": 1, "cost_usd": 0.25, "router": "t"}
    chunk = litellm.ModelResponseStream(
        choices=[{"index": 0, "delta": {"content": "x", "provider_specific_fields": {"tiered_routing": record}}}]
    )
    stream, hook, data = FakeStream([chunk]), RouterHeaders(), {"litellm_call_id": "c1"}

    async def run() -> list[Any]:
        assert await hook.async_post_call_response_headers_hook(data, None, stream) is None
        return [c async for c in hook.async_post_call_streaming_iterator_hook(None, stream, data)]

    assert len(asyncio.run(run())) == 1
    assert stream._hidden_params["additional_headers"] == decision_headers(record)
    assert decision_headers(record)["x-router-cost-usd"] == "0.25000000"


def test_request_check_leaves_the_callers_messages_as_they_were() -> None:
    from litellm_router_ext.adapters.proxy import check_chat_request
    from litellm_router_ext.errors import RequestError

    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    no_role: dict[str, Any] = {"content": "earlier answer", "tool_calls": [call]}
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, no_role]
    view = check_chat_request({"messages": messages})
    assert view.text == "hi" and view.n_messages == 2
    assert "role" not in no_role and no_role["tool_calls"][0] is call  # the caller's request is untouched
    with pytest.raises(RequestError, match="content part types allowed"):
        check_chat_request({"messages": [{"role": "user", "content": [{"type": "bogus"}]}]})


def test_a_missing_config_from_the_env_var_names_it_and_the_path_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # was "other-router.yaml: file not found; pass the path of a router config YAML", with no word of the variable
    # or of the working directory a relative path is read from
    (tmp_path / "proxy").mkdir()
    (tmp_path / "proxy" / "other-router.yaml").write_text(ROUTER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CONFIG_ENV, "other-router.yaml")
    with pytest.raises(ConfigError) as info:
        ProxyTieredProvider().load(router=proxy_router())
    cwd = Path.cwd()
    assert str(info.value) == (
        f"$LITELLM_ROUTER_EXT_CONFIG=other-router.yaml: no file at {cwd / 'other-router.yaml'} (a relative path is "
        f"read from the proxy's working directory, {cwd}); set it to the path of a router config YAML"
    )
    monkeypatch.setenv(CONFIG_ENV, str(cwd / "gone.yaml"))
    with pytest.raises(ConfigError, match=r"CONFIG=/.*gone\.yaml: no file at /.*gone\.yaml; set it"):
        router_config_path()
    monkeypatch.chdir(tmp_path / "proxy")  # the same relative path, from the folder that holds it
    monkeypatch.setenv(CONFIG_ENV, "other-router.yaml")
    provider = ProxyTieredProvider()
    provider.load(router=proxy_router())
    assert list(provider.routers) == ["t"]


def test_loading_logs_each_unset_environment_variable_of_the_proxy_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The proxy started silently with LOCAL_SLM_API_BASE unset, and LiteLLM sent the local tier's calls to
    # OPENAI_API_BASE: another model answered, reported as the local tier at cost 0.
    from litellm.proxy import proxy_server

    config = tmp_path / "config.yaml"
    config.write_text("model_list:\n  - model_name: small\n    litellm_params:\n      model: openai/local\n"
                      "      api_base: os.environ/LRE_TEST_UNSET_BASE\n      api_key: os.environ/LRE_TEST_SET_KEY\n")
    monkeypatch.setattr(proxy_server, "user_config_file_path", str(config))
    monkeypatch.delenv("LRE_TEST_UNSET_BASE", raising=False)
    monkeypatch.setenv("LRE_TEST_SET_KEY", "k")
    (tmp_path / "router.yaml").write_text(ROUTER)
    with caplog.at_level("WARNING", logger="litellm_router_ext"):
        ProxyTieredProvider(tmp_path / "router.yaml").load(router=proxy_router())
    warned = [r.getMessage() for r in caplog.records if "environment variable" in r.getMessage()]
    assert len(warned) == 1 and "LRE_TEST_UNSET_BASE" in warned[0], warned
    assert f"{config}, key 'model_list[0].litellm_params.api_base'" in warned[0]
    caplog.clear()  # with a secret manager the names are the vault's, not the environment's: no warning
    config.write_text(config.read_text() + "general_settings: {key_management_system: azure_key_vault}\n")
    with caplog.at_level("WARNING", logger="litellm_router_ext"):
        ProxyTieredProvider(tmp_path / "router.yaml").load(router=proxy_router())
    assert not [r for r in caplog.records if "environment variable" in r.getMessage()]
