from __future__ import annotations

import re
from pathlib import Path

import pytest

from litellm_router_ext import ConfigError, load_config
from litellm_router_ext.check import check_config
from litellm_router_ext.config import parse_config, parse_yaml, shared_model_problems

GOOD = """
routers:
  - alias: default
    tiers:
      - {name: small, model: gpt-4o-mini}
      - {name: medium, model: gpt-4o}
      - {name: large, model: o1}
    thresholds: {medium: 0.3, large: 0.7}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text)
    return path


def test_good_file_loads_with_named_thresholds(tmp_path: Path) -> None:
    file = load_config(write(tmp_path, GOOD))
    router = file.router("default")
    assert router.thresholds == (0.3, 0.7)
    assert [t.name for t in router.tiers] == ["small", "medium", "large"]
    assert router.scorers[0].name == "heuristic"
    assert router.sticky is True


def test_single_router_document_is_accepted() -> None:
    file = parse_config(
        {"alias": "a", "tiers": [{"name": "s", "model": "m1"}, {"name": "l", "model": "m2"}], "thresholds": [0.5]}
    )
    assert file.routers[0].alias == "a"


def test_thresholds_out_of_order_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("{medium: 0.3, large: 0.7}", "[0.8, 0.4]"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "routers[0]" in message
    assert "strictly increasing" in message
    assert "[0.8, 0.4]" in message


def test_fewer_than_two_tiers(tmp_path: Path) -> None:
    text = "routers:\n  - alias: a\n    tiers: [{name: s, model: m}]\n    thresholds: []\n"
    with pytest.raises(ConfigError, match=r"routers\[0\]\.tiers.*at least 2"):
        load_config(write(tmp_path, text))


def test_unknown_scorer_lists_allowed(tmp_path: Path) -> None:
    text = GOOD + "    scorers: [{name: magic}]\n"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert "routers[0].scorers[0]" in str(info.value)
    assert "magic" in str(info.value) and "heuristic" in str(info.value) and "learned" in str(info.value)


def test_a_misspelt_scorer_or_validator_name_gets_the_near_one(tmp_path: Path) -> None:
    # As a misspelt key or param does; the names only got the list of allowed ones.
    scorer = GOOD + "    scorers: [{name: heuristc}]\n"
    with pytest.raises(ConfigError, match=r"unknown scorer 'heuristc'; did you mean 'heuristic'\?; allowed: "):
        load_config(write(tmp_path, scorer))
    validator = GOOD + "    cascade: {validators: [{name: refusl}]}\n"
    with pytest.raises(ConfigError, match=r"unknown validator 'refusl'; did you mean 'refusal'\?; allowed: json, "):
        load_config(write(tmp_path, validator))
    report = check_config(write(tmp_path, validator))
    assert any("did you mean 'refusal'" in p.message for p in report.problems), report.problems


@pytest.mark.parametrize(
    ("cascade", "key", "allowed"),
    [
        ("{validators: [{name: refusal}], combine: al}", "cascade.combine", ("all", "any", "weighted")),
        ("{validators: [{name: logprob}], on_missing_logprobs: skp}", "cascade.on_missing_logprobs", ("skip", "fail")),
    ],
)
def test_a_bad_choice_says_the_allowed_values_once(
    tmp_path: Path, cascade: str, key: str, allowed: tuple[str, ...]
) -> None:
    # pydantic's "Input should be 'all', 'any' or 'weighted'" was followed by "; allowed: 'all', 'any' or 'weighted'"
    path = write(tmp_path, GOOD + f"    cascade: {cascade}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == f"routers[0].{key}"
    problems = [p.message for p in check_config(path).problems]
    assert len(problems) == 1
    for text in (str(info.value), problems[0]):
        assert all(text.count(f"'{value}'") == 1 for value in allowed), text
        assert "allowed:" not in text


def test_unknown_tier_name_in_thresholds(tmp_path: Path) -> None:
    text = GOOD.replace("{medium: 0.3, large: 0.7}", "{medium: 0.3, huge: 0.7}")
    with pytest.raises(ConfigError, match=r"routers\[0\]\.thresholds.*'huge'.*allowed: medium, large"):
        load_config(write(tmp_path, text))


def test_wrong_number_of_thresholds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs 2 value"):
        load_config(write(tmp_path, GOOD.replace("{medium: 0.3, large: 0.7}", "[0.5]")))


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"routers\[0\]\.tiers\[1\]\.modle.*unknown key"):
        load_config(write(tmp_path, GOOD.replace("{name: medium, model: gpt-4o}", "{name: medium, modle: gpt-4o}")))


def test_only_independent_problems_are_counted(tmp_path: Path) -> None:
    # A misspelt key also leaves its real key missing and its list short: one problem, not three.
    with pytest.raises(ConfigError) as typo:
        load_config(write(tmp_path, GOOD.replace("{name: medium, model: gpt-4o}", "{name: medium, modle: gpt-4o}")))
    assert "more problem" not in str(typo.value)
    both = GOOD.replace("{name: medium, model: gpt-4o}", "{name: medium, modle: gpt-4o}") + "    sticky: maybe\n"
    with pytest.raises(ConfigError, match=r"unknown key 'modle'.*\(and 1 more problem\(s\)\)"):
        load_config(write(tmp_path, both))


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"line \d+.*YAML syntax error"):
        load_config(write(tmp_path, GOOD + "  - alias: [unclosed\n"))


def test_yaml_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(ConfigError, match="aliases"):
        parse_yaml(bomb)


def test_exponent_without_a_dot_is_a_number(tmp_path: Path) -> None:
    # YAML 1.1 (PyYAML's default) reads 1e-3 as the string "1e-3"; the config then refused a budget that looks numeric.
    text = GOOD.replace("{medium: 0.3, large: 0.7}", "{medium: 3e-1, large: 7E-1}") + (
        "    cascade: {validators: [{name: json}], budget_usd: 1e-3}\n")
    router = load_config(write(tmp_path, text)).router("default")
    assert router.thresholds == (0.3, 0.7)
    assert router.cascade is not None and router.cascade.budget_usd == 0.001
    assert parse_yaml('a: [1e3, "1e3", e3, 1e, 5.0e-05, 7]') == {"a": [1000.0, "1e3", "e3", "1e", 5e-05, 7]}


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_duplicate_tier_names() -> None:
    with pytest.raises(ConfigError, match="used twice"):
        parse_config(
            {"alias": "a", "tiers": [{"name": "s", "model": "m"}, {"name": "s", "model": "n"}], "thresholds": [0.5]}
        )


def test_config_is_frozen() -> None:
    router = parse_config(
        {"alias": "a", "tiers": [{"name": "s", "model": "m"}, {"name": "l", "model": "n"}], "thresholds": [0.5]}
    ).routers[0]
    with pytest.raises(ValueError, match="frozen"):
        router.alias = "b"  # type: ignore[misc]


def test_monitor_window_longer_than_shared_counters_live_is_refused(tmp_path: Path) -> None:
    # Redis counters expire after 4 h: a longer window would silently under-count.
    ok = load_config(write(tmp_path, GOOD + "    monitor: {window_s: 14400}\n"))
    assert ok.router("default").monitor.window_s == 14400
    with pytest.raises(ConfigError, match=r"routers\[0\]\.monitor\.window_s.*14400") as info:
        load_config(write(tmp_path, GOOD + "    monitor: {window_s: 86400}\n"))
    assert "86400" in str(info.value)


def test_a_missing_thresholds_key_is_counted_beside_a_tier_typo() -> None:
    # Thresholds that are missing altogether are a problem of their own, not a side effect of the tier typo.
    with pytest.raises(ConfigError, match=r"more problem"):
        parse_config({"alias": "a", "tiers": [{"name": "s", "modle": "m1"}, {"name": "l", "model": "m2"}]})


ROUTER_ONE = """
routers:
  - alias: default
    tiers:
      - {name: small, model: gpt-4o-mini, max_context_tokens: %(tokens)s, price: %(price)s}
      - {name: large, model: gpt-4o}
    thresholds: [0.5]
    scorers: [{name: heuristic, weight: %(weight)s}]
    cascade: {validators: [{name: refusal, weight: %(weight)s}], threshold: %(threshold)s, budget_usd: %(budget)s,
              max_escalations: %(count)s, early_tokens: %(count)s, validator_timeout_s: %(seconds)s}
    monitor: {escalation_band: [%(threshold)s, 0.9], window_s: %(window)s, bucket_s: %(window)s,
              min_requests: %(count)s}
state: {retry_after_s: %(seconds)s, flush_s: %(seconds)s}
"""
NUMBERS = {"tokens": "1000", "price": "{input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6}", "weight": "1",
           "threshold": "0.2", "budget": "0.01", "count": "3", "seconds": "2.5", "window": "60"}


def test_numeric_settings_load_from_yaml_numbers(tmp_path: Path) -> None:
    file = load_config(write(tmp_path, ROUTER_ONE % NUMBERS))
    router = file.router("default")
    assert router.cascade is not None
    assert (router.cascade.budget_usd, router.cascade.threshold, router.cascade.max_escalations) == (0.01, 0.2, 3)
    assert router.tiers[0].max_context_tokens == 1000 and router.monitor.escalation_band == (0.2, 0.9)
    assert file.state.flush_s == 2.5


@pytest.mark.parametrize(
    ("slot", "key"),
    [("budget", "cascade.budget_usd"), ("threshold", "cascade.threshold"), ("seconds", "cascade.validator_timeout_s"),
     ("count", "cascade.max_escalations"), ("tokens", "tiers[0].max_context_tokens"), ("weight", "scorers[0].weight"),
     ("window", "monitor.window_s"), ("price", "tiers[0].price.input_usd_per_mtok")],
)
@pytest.mark.parametrize("bad", ['"%s"', "true"])
def test_a_number_written_as_a_string_or_bool_is_refused(tmp_path: Path, slot: str, key: str, bad: str) -> None:
    # YAML '"0.01"' is a string and pydantic's lax mode read it as 0.01 (and true as 1): a quoted setting loaded
    # silently, whatever the writer meant by quoting it.
    value = NUMBERS[slot]
    if slot == "price":
        value = "{input_usd_per_mtok: %s, output_usd_per_mtok: 0.6}" % (bad % "0.15" if "%" in bad else bad)
    else:
        value = bad % value if "%" in bad else bad
    with pytest.raises(ConfigError, match=rf"{re.escape(key)}.*valid (number|integer)"):
        load_config(write(tmp_path, ROUTER_ONE % {**NUMBERS, slot: value}))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cascade", {"validators": [{"name": "logprob", "threshold": 0.5}]}),
        ("scorers", [{"name": "heuristic", "threshold": 0.5}]),
    ],
)
def test_a_param_beside_name_lists_that_items_keys_and_points_to_params(key: str, value: object) -> None:
    # The allowed keys were guessed from the keys beside the bad one, and 'name' made them a tier's (model, price...).
    router = {"alias": "a", "tiers": [{"name": "s", "model": "m1"}, {"name": "l", "model": "m2"}], "thresholds": [0.5]}
    with pytest.raises(ConfigError, match=r"\[0\]\.threshold'.*unknown key 'threshold'.*under `params:`") as info:
        parse_config({**router, key: value})
    assert info.value.allowed is not None and list(info.value.allowed) == ["name", "params", "path", "weight"]


def test_a_count_may_be_a_whole_float_or_a_numpy_int_but_not_a_fraction(tmp_path: Path) -> None:
    # StrictInt refused `window_s: 900.0` (which loaded before) and numpy's int64 from a dict built in code.
    import numpy as np

    def window(value: object) -> int:
        router = {"alias": "a", "tiers": [{"name": "s", "model": "m1"}, {"name": "l", "model": "m2"}],
                  "thresholds": [0.5], "monitor": {"window_s": value}}
        return parse_config({"routers": [router]}).routers[0].monitor.window_s

    assert window(900.0) == 900 and window(np.int64(600)) == 600
    for bad in (900.5, "900", True):
        with pytest.raises(ConfigError, match=r"monitor\.window_s.*valid integer"):
            window(bad)


def two_routers(first_params: dict[str, str], second_params: dict[str, str]) -> dict[str, object]:
    def router(alias: str, params: dict[str, str]) -> dict[str, object]:
        return {"alias": alias, "thresholds": [0.5],
                "tiers": [{"name": "small", "model": "openai/gpt-4o-mini", "litellm_params": params},
                          {"name": "large", "model": "openai/gpt-4o"}]}
    return {"routers": [router("one", first_params), router("two", second_params)]}


def test_two_tiers_calling_one_model_with_different_params_are_refused() -> None:
    # LiteLLM keeps one deployment per model name: router two's requests went to router one's server with its key.
    (problem,) = shared_model_problems(parse_config(two_routers({"api_base": "http://a"}, {"api_base": "http://b"})),
                                       "r.yaml")
    assert problem.key == "routers[1].tiers[0].litellm_params" and problem.file == "r.yaml"
    assert "routers[0].tiers[0]" in problem.reason and "distinct model_name" in problem.reason
    same = parse_config(two_routers({"api_base": "http://a"}, {"api_base": "http://a"}))  # one deployment serves both
    assert not shared_model_problems(same)


def test_tier_params_on_a_model_list_group_are_refused() -> None:
    data = {"alias": "a", "thresholds": [0.5],
            "tiers": [{"name": "s", "model": "cheap", "litellm_params": {"api_base": "http://a"}},
                      {"name": "l", "model": "gpt-4o"}],
            "model_list": [{"model_name": "cheap", "litellm_params": {"model": "openai/gpt-4o-mini"}}]}
    with pytest.raises(ConfigError, match=r"key 'routers\[0\]\.tiers\[0\]\.litellm_params'.*would be ignored"):
        parse_config({"routers": [{k: v for k, v in data.items() if k != "model_list"}],
                      "model_list": data["model_list"]})


@pytest.mark.parametrize(("entry", "key"), [({"model_name": "cheap"}, "model_list[0].litellm_params.model"),
                                            ({"litellm_params": {"model": "x"}}, "model_list[0].model_name"),
                                            ({"model_name": "cheap", "litellm_params": {"api_base": "http://a"}},
                                             "model_list[0].litellm_params.model")])
def test_a_deployment_litellm_cannot_build_is_named(entry: dict[str, object], key: str) -> None:
    # LiteLLM's Router raised a bare KeyError or a pydantic error naming neither the file nor the entry
    data = {"routers": [{"alias": "a", "thresholds": [0.5],
                         "tiers": [{"name": "s", "model": "cheap"}, {"name": "l", "model": "gpt-4o"}]}],
            "model_list": [entry]}
    with pytest.raises(ConfigError) as info:
        parse_config(data, "r.yaml")
    assert info.value.key == key and info.value.file == "r.yaml"


def test_the_shared_model_error_names_the_tier_that_has_params() -> None:
    # The first tier had the params, the second none: the error named the second at a key it does not have
    (problem,) = shared_model_problems(parse_config(two_routers({"api_base": "http://a"}, {})))
    assert problem.key == "routers[0].tiers[0].litellm_params"
