"""What `litellm-router check` says about a user's mistakes: all misspelt keys in one run, with a close match."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_router_ext.adapters.proxy import litellm_facts
from litellm_router_ext.check import check_config
from litellm_router_ext.config import config_problems
from litellm_router_ext.recipes import install_recipe, load_recipe


@pytest.fixture
def ladder(tmp_path: Path) -> Path:
    return install_recipe("openai-ladder", tmp_path).proxy_config


def _errors(config: Path) -> list[str]:
    env = {var: "x" for var in ("LITELLM_MASTER_KEY", *load_recipe("openai-ladder").env_vars())}
    return [p.message for p in check_config(config, env=env, facts=litellm_facts()).problems if p.severity == "error"]


def _edit(path: Path, *pairs: str) -> None:
    text = path.read_text()
    for old, new in zip(pairs[::2], pairs[1::2], strict=True):
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)


def test_check_reports_misspelt_keys_beside_the_other_mistakes(ladder: Path) -> None:
    # docs/proxy.md: check "prints one line per problem". Each misspelt key is reported and left out, and the rest
    # is checked again, so it hides no other mistake (a wrong thresholds count still stops that router's deeper
    # checks: a validator's params are read only once its router is valid)
    router = ladder.with_name("router.yaml")
    original = router.read_text()
    _edit(router, "max_escalations: 2", "max_escalation: 2", "thresholds: {large: 0.3, reasoning: 0.6}",
          "thresholds: [0.3]")
    problems = _errors(ladder)
    assert len(problems) == 2 and "'routers[0].cascade.max_escalation'" in problems[0], problems
    assert "key 'routers[0].thresholds': thresholds needs 2 value(s)" in problems[1]  # its own key, not the router
    router.write_text(original)
    _edit(router, "max_escalations: 2", "max_escalation: 2", "{name: refusal}",
          "{name: refusal, params: {reject_hedge: false}}")
    problems = _errors(ladder)
    assert len(problems) == 2 and "max_escalation" in problems[0], problems
    assert "unknown param 'reject_hedge'; did you mean 'reject_hedges'?" in problems[1]


def test_check_suggests_the_close_key_for_a_misspelt_key(ladder: Path) -> None:
    # as a misspelt tier model gets "did you mean 'openai-small'?"
    _edit(ladder.with_name("router.yaml"), "max_escalations: 2", "max_escalation: 2")
    (problem,) = _errors(ladder)
    assert "did you mean 'max_escalations'" in problem, problem


def test_check_warns_that_an_early_stream_skips_checks_that_cannot_judge_a_prefix(ladder: Path) -> None:
    _edit(ladder.with_name("router.yaml"), "combine: all", "combine: all\n      stream_mode: early")
    env = {var: "x" for var in ("LITELLM_MASTER_KEY", *load_recipe("openai-ladder").env_vars())}
    warnings = [p.message for p in check_config(ladder, env=env, facts=litellm_facts()).problems
                if p.severity == "warning" and "stream_mode" in p.message]
    assert len(warnings) == 1 and "'logprob'" in warnings[0] and "'refusal'" not in warnings[0], warnings

def test_config_problems_reports_each_misspelt_key_once_and_keeps_the_real_key() -> None:
    # A dotted key ('cascade.combine', as Helm's --set spells paths) is reported at key path
    # routers[0].cascade.combine; config_problems splits that path on dots and deletes the *real* cascade.combine,
    # leaves the dotted key in place, reports it a second time and gives up: the other misspelt key ('tierz') is never
    # reported and check's deeper checks do not run. Right: each unknown key reported once (every one of them).
    data = {"routers": [{
        "alias": "w", "thresholds": [0.5],
        "tiers": [{"name": "a", "model": "m1"}, {"name": "b", "model": "m2"}],
        "cascade": {"validators": [{"name": "refusal"}], "combine": "all"},
        "cascade.combine": "any",
        "tierz": 1,
    }]}
    _, problems = config_problems(data)
    reasons = [p.reason for p in problems]
    assert len(reasons) == len(set(reasons)), reasons
    assert any("'tierz'" in r for r in reasons), reasons
    assert data["routers"][0]["cascade"]["combine"] == "all"  # the caller's data is untouched (deep copy)


def test_quoted_thresholds_a_misspelt_routers_and_a_repeated_tier_model_are_pointed_out(tmp_path: Path) -> None:
    from litellm_router_ext.config import parse_config
    from litellm_router_ext.errors import ConfigError

    tiers = [{"name": "a", "model": "m1"}, {"name": "b", "model": "m2"}]
    with pytest.raises(ConfigError, match=r"key 'routers\[0\]\.thresholds\[0\]'.*valid number \(got '0\.3'\)"):
        parse_config({"alias": "w", "tiers": tiers, "thresholds": ["0.3"]})  # YAML '0.3' is a string
    assert parse_config({"alias": "w", "tiers": tiers, "thresholds": [1]}).routers[0].thresholds == (1.0,)
    with pytest.raises(ConfigError) as caught:  # the misspelt key's whole value is not dumped into the message
        parse_config({"router": [{"alias": "w", "tiers": tiers, "thresholds": [0.5]}]})
    assert "unknown key 'router'; did you mean 'routers'?" in str(caught.value) and "m1" not in str(caught.value)
    router = tmp_path / "router.yaml"
    router.write_text("routers:\n  - alias: w\n    tiers: [{name: a, model: gpt-4o}, {name: b, model: gpt-4o}]\n"
                      "    thresholds: [0.5]\n")
    warnings = [p.message for p in check_config(router, env={}, facts=litellm_facts()).problems
                if p.severity == "warning"]
    assert any("tiers 'a' and 'b' both name 'gpt-4o'" in w for w in warnings), warnings


def test_precall_without_the_header_callback_says_the_routing_will_not_happen(ladder: Path) -> None:
    import yaml

    router = ladder.with_name("router.yaml")
    data = yaml.safe_load(router.read_text())
    data["routers"][0]["dispatch"] = "precall"
    router.write_text(yaml.safe_dump(data, sort_keys=False))
    config = yaml.safe_load(ladder.read_text())
    config["litellm_settings"]["callbacks"] = []
    ladder.write_text(yaml.safe_dump(config, sort_keys=False))
    env = {var: "x" for var in ("LITELLM_MASTER_KEY", *load_recipe("openai-ladder").env_vars())}
    warnings = [p.message for p in check_config(ladder, env=env, facts=litellm_facts()).problems
                if p.severity == "warning"]
    assert any("set dispatch: precall" in w and "goes through the tiered provider" in w for w in warnings), warnings


def test_a_tier_naming_a_deployments_provider_model_is_pointed_to_its_group(ladder: Path) -> None:
    _edit(ladder.with_name("router.yaml"), "model: openai-small", "model: gpt-4.1-mini")
    (problem,) = _errors(ladder)
    assert "'gpt-4.1-mini' is the model of group 'openai-small': a tier names the group" in problem, problem


def test_the_router_file_is_named_as_the_config_path_was_given(ladder: Path) -> None:
    # check's lines name both files the way the user wrote the config's path (not one relative, one absolute)
    given = ladder.parent / "sub" / ".." / ladder.name
    (ladder.parent / "sub").mkdir()
    report = check_config(given, env={}, facts=litellm_facts())
    assert report.checked[-1] == str(given.parent / "router.yaml")


COMPLEXITY = """\
model_list:
  - model_name: smart
    litellm_params:
      model: auto_router/complexity_router
      complexity_router_config:
        classifier_type: custom
        classifier_plugin: {plugin}
        tiers: {{SIMPLE: small, MEDIUM: small, COMPLEX: {complex}, REASONING: large}}
  - model_name: small
    litellm_params: {{model: openai/gpt-4o-mini, api_key: sk-test}}
  - model_name: large
    litellm_params: {{model: openai/gpt-4o, api_key: sk-test}}
"""
SHIPPED_PLUGIN = "litellm_router_ext.adapters.complexity_plugin.default_plugin"


def _complexity_errors(folder: Path, plugin: str = SHIPPED_PLUGIN, complex_group: str = "large") -> list[str]:
    config = folder / "config.yaml"
    config.write_text(COMPLEXITY.format(plugin=plugin, complex=complex_group))
    return [p.message for p in check_config(config, env={}, facts=litellm_facts()).problems if p.severity == "error"]


def test_a_complexity_router_with_our_classifier_needs_no_tiered_provider(tmp_path: Path) -> None:
    # configs/proxy/complexity-router-learned.yaml uses LiteLLM's router alone: check demanded the tiered
    # provider and a router.yaml it has no use for, and never looked at the plugin.
    assert _complexity_errors(tmp_path) == []
    shipped = Path(__file__).parents[2] / "configs" / "proxy" / "complexity-router-learned.yaml"
    env = {"OPENAI_API_KEY": "x", "LITELLM_MASTER_KEY": "y"}
    assert check_config(shipped, env=env, facts=litellm_facts()).ok


def test_check_reads_the_complexity_routers_plugin_and_tiers(tmp_path: Path) -> None:
    (errors,) = _complexity_errors(tmp_path, complex_group="lage")
    assert "tiers.COMPLEX" in errors and "'lage'" in errors and "did you mean 'large'" in errors
    (errors,) = _complexity_errors(tmp_path, plugin="litellm_router_ext.adapters.complexity_plugin.defualt_plugin")
    assert "classifier_plugin" in errors and "defualt_plugin" in errors
    made = "from litellm_router_ext.adapters.complexity_plugin import LearnedClassifierPlugin\nplugin = "
    # modules of the user's, beside the config, as the config's comments suggest
    (tmp_path / "plugin_missing_artifact.py").write_text(made + "LearnedClassifierPlugin(artifact='missing.npz')\n")
    (tmp_path / "plugin_two_tiers.py").write_text(made + "LearnedClassifierPlugin(tiers=('SIMPLE', 'HARD'), "
                                                         "cuts=(0.5,))\n")
    (errors,) = _complexity_errors(tmp_path, plugin="plugin_missing_artifact.plugin")
    assert "missing.npz" in errors and "artifact not found" in errors
    (errors,) = _complexity_errors(tmp_path, plugin="plugin_two_tiers.plugin")
    assert "picks tier 'HARD'" in errors and "tiers does not map" in errors


def test_check_reads_complexity_tiers_as_litellm_does(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"

    def errors(text: str) -> list[str]:
        config.write_text(text)
        report = check_config(config, env={}, facts=litellm_facts())
        return [p.message for p in report.problems if p.severity == "error"]

    base = COMPLEXITY.format(plugin=SHIPPED_PLUGIN, complex="large")
    # a tier may be a pool of groups (names or {model_name: ...} entries), and LiteLLM knows the router by prefix
    pooled = base.replace("SIMPLE: small,", "SIMPLE: [small, {model_name: large}],")
    assert errors(pooled.replace("auto_router/complexity_router", "auto_router/complexity_router_prod")) == []
    (missing,) = errors(base.replace("SIMPLE: small,", "SIMPLE: [small, smal3],"))
    assert "tiers.SIMPLE" in missing and "'smal3'" in missing
    (broken,) = errors(base + "  - model_name: broken\n    litellm_params: oops\n")  # was an AttributeError
    assert "model_list[3].litellm_params" in broken
    # a tiered deployment beside the complexity router still needs the provider and a router.yaml
    tiered = errors(base + "  - model_name: mine\n    litellm_params: {model: tiered/mine}\n")
    assert any("'tiered' provider is not registered" in e for e in tiered)
    assert any("no router config" in e for e in tiered)


def test_check_wants_the_async_classify_litellm_awaits(tmp_path: Path) -> None:
    (tmp_path / "plugin_sync_classify.py").write_text(
        "class P:\n    tiers = ('SIMPLE', 'COMPLEX')\n    def classify(self, context):\n        return 'SIMPLE'\n"
        "plugin = P()\n")
    (errors,) = _complexity_errors(tmp_path, plugin="plugin_sync_classify.plugin")
    assert "no async classify(context)" in errors and "refuses to start" in errors


def test_check_imports_the_handler_and_callbacks_the_proxy_imports_at_start(ladder: Path) -> None:
    # A misspelt handler was "ok", a misspelt callback only a headers warning, and the proxy then refused to start.
    _edit(ladder, "litellm_router_ext.proxy.tiered_provider", "litellm_router_ext.proxy.tiered_providr",
          "- litellm_router_ext.proxy.router_headers", "- litellm_router_ext.proxy.router_header")
    errors = _errors(ladder)
    handler = next(e for e in errors if "custom_provider_map[0].custom_handler" in e)
    callback = next(e for e in errors if "callbacks[0]" in e)
    assert "tiered_providr" in handler and "router_header" in callback
    # resolved as LiteLLM resolves it: a plugin-style "module:object" path would stop the proxy too; a remote
    # module is the proxy's to fetch
    _edit(ladder, "litellm_router_ext.proxy.tiered_providr", "litellm_router_ext.proxy:tiered_provider",
          "- litellm_router_ext.proxy.router_header", "- s3://bucket/hooks.my_callback")
    errors = _errors(ladder)
    assert any("custom_handler" in e and "write it as package.module.object" in e for e in errors), errors
    assert not any("callbacks[0]" in e for e in errors)


def test_check_says_the_absolute_path_it_looked_at_for_the_router_config(
    ladder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "no router config at other-router.yaml" named no folder: a relative path is read from the working directory
    env = {var: "x" for var in ("LITELLM_MASTER_KEY", *load_recipe("openai-ladder").env_vars())}
    elsewhere = ladder.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    def errors(env: dict[str, str]) -> list[str]:
        report = check_config(Path("..") / ladder.name, env=env, facts=litellm_facts())
        return [p.message for p in report.problems if "no router config" in p.message]

    (relative,) = errors({**env, "LITELLM_ROUTER_EXT_CONFIG": "other-router.yaml"})
    assert f"no router config at {Path.cwd() / 'other-router.yaml'}; " in relative, relative
    assert "$LITELLM_ROUTER_EXT_CONFIG=other-router.yaml" in relative and f"working directory: {Path.cwd()}" in relative
    ladder.with_name("router.yaml").unlink()
    (default,) = errors(env)
    assert f"no router config at {ladder.parent.resolve() / 'router.yaml'}; put router.yaml next to" in default, default
