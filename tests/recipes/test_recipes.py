"""Recipes, `recipes` CLI and `check`: every shipped ladder installs into a config that passes the checker."""

from __future__ import annotations

import filecmp
from pathlib import Path

import litellm
import pytest
import yaml
from click.testing import CliRunner

from litellm_router_ext.adapters.proxy import litellm_facts
from litellm_router_ext.check import check_config
from litellm_router_ext.cli import main
from litellm_router_ext.errors import ConfigError
from litellm_router_ext.recipes import install_recipe, load_recipe, proxy_config, recipe_names, recipe_text
from litellm_router_ext.scorers.learned import default_artifact_path

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"openai-ladder", "anthropic-ladder", "gemini-ladder", "local-slm", "json-extraction", "multi-provider"}


def full_env(name: str) -> dict[str, str]:
    return {var: "x" for var in ("LITELLM_MASTER_KEY", *load_recipe(name).env_vars())}


def test_the_six_recipes_ship_and_the_checkout_folder_is_the_package_data() -> None:
    assert set(recipe_names()) >= EXPECTED
    shipped = REPO_ROOT / "litellm_router_ext" / "data" / "recipes"
    assert (REPO_ROOT / "recipes").resolve() == shipped.resolve() or not filecmp.dircmp(
        REPO_ROOT / "recipes", shipped
    ).diff_files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_recipe_is_a_complete_priced_ladder(name: str) -> None:
    recipe = load_recipe(name)
    groups = {d["model_name"]: d for d in recipe.proxy.model_list}
    (router,) = recipe.router_file.routers
    assert len(router.tiers) >= 2 and router.cascade is not None and router.cascade.validators
    for tier in router.tiers:
        deployment = groups[tier.model]  # every tier is a proxy model group
        model = deployment["litellm_params"]["model"]
        info = deployment.get("model_info") or {}
        if "input_cost_per_token" not in info:  # priced by LiteLLM's map, not by us
            assert litellm.get_model_info(model)["input_cost_per_token"] > 0, model
    keys = [d["litellm_params"].get("api_key") for d in recipe.proxy.model_list]
    assert all(k is None or k == "none" or str(k).startswith("os.environ/") for k in keys)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_installed_recipe_passes_check(name: str, tmp_path: Path) -> None:
    installed = install_recipe(name, tmp_path)
    report = check_config(installed.proxy_config, env=full_env(name), facts=litellm_facts())
    assert report.ok, [p.message for p in report.problems]
    config = yaml.safe_load(installed.proxy_config.read_text())
    assert config["litellm_settings"]["custom_provider_map"][0]["provider"] == "tiered"
    assert {"model_name": name, "litellm_params": {"model": f"tiered/{name}"}} in config["model_list"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_installed_files_keep_every_comment_of_the_recipe(name: str, tmp_path: Path) -> None:
    installed = install_recipe(name, tmp_path)
    written = installed.proxy_config.read_text() + installed.router_config.read_text()
    comments = [line.split("#", 1)[1] for line in recipe_text(name).splitlines() if "#" in line]
    assert comments and [c for c in comments if c not in written] == []
    opening = recipe_text(name).splitlines()[0]  # the recipe's notes open config.yaml, and are not said twice
    assert written.count(opening) == 1 and opening in installed.proxy_config.read_text()
    recipe = load_recipe(name)
    assert yaml.safe_load(installed.proxy_config.read_text()) == proxy_config(recipe)
    assert yaml.safe_load(installed.router_config.read_text()) == recipe.router


def test_multi_provider_tiers_each_have_a_second_provider() -> None:
    recipe = load_recipe("multi-provider")
    fallbacks = {k: v for entry in recipe.proxy.router_settings["fallbacks"] for k, v in entry.items()}
    groups = {d["model_name"]: d["litellm_params"]["model"].split("/")[0] for d in recipe.proxy.model_list}
    for tier in recipe.router_file.routers[0].tiers:
        (backup,) = fallbacks[tier.model]
        assert groups[backup] != groups[tier.model]


def test_install_refuses_to_overwrite(tmp_path: Path) -> None:
    install_recipe("local-slm", tmp_path)
    with pytest.raises(ConfigError, match="--force") as refused:
        install_recipe("local-slm", tmp_path)
    assert str(refused.value).startswith(f"{tmp_path / 'config.yaml'}: already exists")
    install_recipe("local-slm", tmp_path, force=True)


def test_unknown_recipe_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="local-slm"):
        load_recipe("local-slim")


def test_cli_list_show_install(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["recipes", "list"])
    assert listed.exit_code == 0 and "local-slm" in listed.output
    shown = runner.invoke(main, ["recipes", "show", "json-extraction"])
    assert shown.exit_code == 0 and "name: schema" in shown.output
    out = tmp_path / "x"
    installed = runner.invoke(main, ["recipes", "install", "local-slm", "--out", str(out)])
    assert installed.exit_code == 0, installed.output
    assert (out / "config.yaml").exists() and (out / "router.yaml").exists()
    assert "export LOCAL_SLM_API_BASE" in installed.output
    missing = runner.invoke(main, ["recipes", "show", "nope"])
    assert missing.exit_code == 1 and "no recipe named 'nope'" in missing.output


# ------------------------------------------------------------------------------------------------ check


@pytest.fixture
def local_slm(tmp_path: Path) -> Path:
    return install_recipe("local-slm", tmp_path).proxy_config


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def messages(path: Path, env: dict[str, str]) -> list[str]:
    return [p.message for p in check_config(path, env=env, facts=litellm_facts()).problems if p.severity == "error"]


def test_check_names_a_typo_in_a_tier_model(local_slm: Path) -> None:
    edit(local_slm.with_name("router.yaml"), "model: frontier", "model: frontir")
    (problem,) = messages(local_slm, full_env("local-slm"))
    assert "'frontir'" in problem and "did you mean 'frontier'" in problem and "routers[0].tiers[1].model" in problem


def test_check_reports_each_problem_once(local_slm: Path) -> None:
    edit(local_slm.with_name("router.yaml"), "model: frontier", "model: frontir")
    problems = messages(local_slm, {"LITELLM_MASTER_KEY": "x"})
    assert len(problems) == 3
    assert any("LOCAL_SLM_API_BASE is not set" in p for p in problems)
    assert any("OPENAI_API_KEY is not set" in p and "model_list[1].litellm_params.api_key" in p for p in problems)


def test_check_leaves_unset_variables_to_a_key_management_system(local_slm: Path) -> None:
    # LiteLLM reads os.environ/NAME from a configured secret manager, which check cannot see: that was an error for
    # each key, so check failed a proxy that starts and works. Now a warning that names the secret manager.
    edit(local_slm, "general_settings:", "general_settings:\n  key_management_system: azure_key_vault")
    report = check_config(local_slm, env={}, facts=litellm_facts())
    assert not [p.message for p in report.problems if p.severity == "error"]
    warned = [p.message for p in report.problems if p.severity == "warning" and "is not set here" in p.message]
    assert any("OPENAI_API_KEY" in w and "azure_key_vault" in w for w in warned), warned


def test_check_thresholds_out_of_order(tmp_path: Path) -> None:
    installed = install_recipe("openai-ladder", tmp_path)
    edit(installed.router_config, "large: 0.3", "large: 0.8")
    (problem,) = messages(installed.proxy_config, full_env("openai-ladder"))
    assert "strictly increasing" in problem and "[0.8, 0.6]" in problem


def test_check_logprob_validator_on_a_tier_without_logprobs(tmp_path: Path) -> None:
    installed = install_recipe("anthropic-ladder", tmp_path)
    edit(installed.router_config, "{name: refusal}", "{name: logprob}")
    problems = messages(installed.proxy_config, full_env("anthropic-ladder"))
    assert len(problems) == 2  # haiku and sonnet; opus is the top, its answer is final anyway
    assert "tier 'haiku'" in problems[0] and "needs token log-probs" in problems[0]


def test_check_unknown_router_alias_and_missing_hook(local_slm: Path) -> None:
    edit(local_slm, "model: tiered/local-slm", "model: tiered/local-slim")
    edit(local_slm, "provider: tiered", "provider: tired")
    problems = messages(local_slm, full_env("local-slm"))
    assert any("router 'local-slim'" in p and "did you mean 'local-slm'" in p for p in problems)
    assert any("'tiered' provider is not registered" in p for p in problems)


def test_check_cli_exit_status(local_slm: Path) -> None:
    runner = CliRunner()
    env = full_env("local-slm")
    good = runner.invoke(main, ["check", str(local_slm)], env=env)
    assert good.exit_code == 0 and good.output.startswith("ok:")
    edit(local_slm.with_name("router.yaml"), "model: local-small", "model: local-smal")
    bad = runner.invoke(main, ["check", str(local_slm)], env=env)
    assert bad.exit_code == 1 and "'local-smal'" in bad.output and "Traceback" not in bad.output


def test_check_a_router_config_alone(tmp_path: Path) -> None:
    router = tmp_path / "router.yaml"
    router.write_text(
        "routers:\n  - alias: a\n    tiers:\n      - {name: s, model: gpt-4o-mini}\n"
        "      - {name: l, model: not-a-real-model-xyz}\n    thresholds: [0.5]\n"
    )
    (problem,) = messages(router, {})
    assert "not-a-real-model-xyz" in problem and "check the proxy's config.yaml" in problem  # no model_list here
    installed = install_recipe("local-slm", tmp_path / "slm")  # the router file a recipe installs beside config.yaml
    problems = messages(installed.router_config, full_env("local-slm"))
    assert problems and all("check the proxy's config.yaml" in p for p in problems)


def test_check_builds_each_scorer_as_the_proxy_would(tmp_path: Path) -> None:
    # A missing artifact used to pass `check` and fail on the first request.
    router = tmp_path / "router.yaml"
    router.write_text(
        "routers:\n  - alias: a\n    tiers: [{name: s, model: gpt-4o-mini}, {name: l, model: gpt-4o}]\n"
        "    thresholds: [0.5]\n"
        "    scorers: [{name: learned, params: {artifact: mine.npz}}, {name: heuristic, params: {speed: 2}}]\n"
    )
    missing, bad_params = messages(router, {})
    assert str(router) in missing and "routers[0].scorers[0]" in missing and "mine.npz: artifact not found" in missing
    assert str(router) in bad_params and "routers[0].scorers[1]" in bad_params and "speed" in bad_params
    (tmp_path / "mine.npz").write_bytes(default_artifact_path().read_bytes())  # beside the config, not the cwd
    (only,) = messages(router, {})
    assert "scorers[1]" in only


def test_check_names_the_file_of_a_bad_validator_param(tmp_path: Path) -> None:
    # It read "router.yaml: <config>, key ..." (the validator's own error had no file to name).
    router = tmp_path / "router.yaml"
    router.write_text(
        "routers:\n  - alias: a\n    tiers: [{name: s, model: gpt-4o-mini}, {name: l, model: gpt-4o}]\n"
        "    thresholds: [0.5]\n    cascade: {validators: [{name: tool_args, params: {require_calls: true}}]}\n"
    )
    (problem,) = messages(router, {})
    assert problem.startswith(f"{router}, key 'routers[0].cascade.validators[0].params.require_calls'")
    assert "<config>" not in problem and "allowed: require_call" in problem


def test_check_imports_custom_scorers_beside_the_config_and_reports_one_that_fails(tmp_path: Path) -> None:
    # A proxy started in the config's folder imports modules kept there; check must see them the same way.
    module = f"my_scorers_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "class Fine:\n    name = 'fine'\n    def score(self, request):\n        return 0.5\n\n"
        "class Broken:\n    name = 'broken'\n    def __init__(self):\n        raise RuntimeError('no table')\n"
        "    def score(self, request):\n        return 0.5\n")
    router = tmp_path / "router.yaml"
    router.write_text(
        "routers:\n  - alias: a\n    tiers: [{name: s, model: gpt-4o-mini}, {name: l, model: gpt-4o}]\n"
        f"    thresholds: [0.5]\n    scorers: [{{name: custom, path: '{module}:Fine'}}]\n")
    assert messages(router, {}) == []
    edit(router, ":Fine", ":Broken")
    (problem,) = messages(router, {})
    assert "routers[0].scorers[0].path" in problem and "failed to start: RuntimeError: no table" in problem


def test_check_names_a_deployment_litellm_cannot_route(local_slm: Path) -> None:
    # A model without a provider prefix LiteLLM knows fails every call; check must say so before the proxy runs.
    edit(local_slm, "model: openai/smollm2", "model: smollm2")
    (problem,) = messages(local_slm, full_env("local-slm"))
    assert "model_list[0].litellm_params.model" in problem and "'smollm2'" in problem
    assert "openai/smollm2" in problem  # the fix for an OpenAI-compatible server


def test_recipe_sections_that_do_not_parse_fall_back_to_plain_yaml() -> None:
    # A comment standing before the next section belongs to it, not to model_list: copied into model_list, its
    # smaller indent would stop dedent and misalign the added entries. And text that does not parse falls back
    # to plain YAML instead of raising.
    from litellm_router_ext.config import yaml_child
    from litellm_router_ext.recipes import _block_text, _section, _with_comments

    text = ("proxy:\n  model_list:\n    - model_name: a\n      litellm_params: {model: x}\n"
            "  # Retries: one per tier attempt\n  router_settings:\n    num_retries: 1\nrouter:\n  routers: []\n")
    node = yaml_child(yaml_child(yaml.compose(text, Loader=yaml.SafeLoader), "proxy"), "model_list")
    alias = {"model_name": "r", "litellm_params": {"model": "tiered/r"}}
    section = _section("model_list", _block_text(text, node), [alias])
    expected = {"model_list": [{"model_name": "a", "litellm_params": {"model": "x"}}, alias]}
    written = _with_comments(text, {"model_list": section}, expected)
    assert yaml.safe_load(written) == expected



def test_check_names_a_misspelt_judge_tier_and_router_setting(tmp_path: Path) -> None:
    # both passed check: the first failed every judge call at run time, the second crashed install with a TypeError
    path = tmp_path / "router.yaml"
    path.write_text("routers:\n  - alias: r\n    thresholds: [0.5]\n"
                    "    tiers: [{name: small, model: gpt-4o-mini}, {name: large, model: gpt-4o}]\n"
                    "    cascade: {judge_tier: larg, validators: [{name: judge}]}\n"
                    "router_settings: {num_retrys: 2}\n")
    problems = messages(path, {})
    assert len(problems) == 2, problems
    assert any("routers[0].cascade.judge_tier" in p and "did you mean 'large'" in p for p in problems)
    assert any("router_settings.num_retrys" in p and "did you mean 'num_retries'" in p for p in problems)


def test_check_warns_of_a_misspelt_proxy_router_setting_the_proxy_ignores(local_slm: Path) -> None:
    # LiteLLM's proxy logs and ignores a router_settings key its Router does not take: an error would fail a
    # proxy that starts
    edit(local_slm, "router_settings:", "router_settings:\n  num_retrys: 2")
    report = check_config(local_slm, env=full_env("local-slm"), facts=litellm_facts())
    assert report.ok, [p.message for p in report.problems]
    assert any("router_settings.num_retrys" in p.message and "proxy ignores it" in p.message
               for p in report.problems if p.severity == "warning")


def test_check_names_only_the_proxy_error_for_tier_params(local_slm: Path) -> None:
    # In a proxy the model_list decides the deployments: a tier's params are ignored, and that is the one error.
    # The SDK's "two tiers share a built deployment" came first, and the live 500 carried only it.
    router = local_slm.with_name("router.yaml")
    edit(router, "model: local-small", "model: local-small, litellm_params: {temperature: 0.1}")
    problems = messages(local_slm, full_env("local-slm"))
    assert problems and all("proxy ignores" in p for p in problems), problems


def test_check_warns_of_client_header_forwarding_where_litellm_does_not_read_it(local_slm: Path) -> None:
    # under litellm_settings the proxy starts and forwards nothing; a walk-through lost time to it
    edit(local_slm, "litellm_settings:", "litellm_settings:\n  forward_client_headers_to_llm_api: true")
    report = check_config(local_slm, env=full_env("local-slm"), facts=litellm_facts())
    assert report.ok and any("from general_settings" in p.message for p in report.problems if p.severity == "warning")
