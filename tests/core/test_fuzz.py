"""Property tests: hostile configs and messages give a clear error or a routing, never a crash or a hang."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litellm_router_ext import ConfigError, RequestError, RequestView
from litellm_router_ext.config import parse_config, parse_yaml
from litellm_router_ext.scorers.heuristic import HeuristicScorer

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)

TIER_KEYS = ["name", "model", "litellm_params", "price", "max_context_tokens", "supports_tools", "typo"]
tiers = st.lists(st.dictionaries(st.sampled_from(TIER_KEYS), json_values, max_size=4), max_size=4)
routers = st.fixed_dictionaries(
    {"alias": json_values, "tiers": tiers},
    optional={
        "thresholds": json_values | st.lists(st.floats(allow_nan=True), max_size=4),
        "scorers": st.lists(st.dictionaries(st.sampled_from(["name", "path", "weight", "params"]), json_values)),
        "cascade": json_values,
        "sticky": json_values,
    },
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.one_of(json_values, routers, st.fixed_dictionaries({"routers": st.lists(routers, max_size=3)})))
def test_any_config_data_is_valid_or_one_config_error(data: Any) -> None:
    try:
        parsed = parse_config(data, "fuzz.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml")
    else:
        for router in parsed.routers:
            assert len(router.tiers) >= 2 and list(router.thresholds) == sorted(set(router.thresholds))


@FAST
@given(st.text(max_size=400))
def test_any_yaml_text_parses_or_fails_with_a_config_error(text: str) -> None:
    try:
        parse_yaml(text, "fuzz.yaml")
    except ConfigError as exc:
        assert "fuzz.yaml" in str(exc)


def test_hostile_yaml_is_refused_quickly() -> None:
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
        for i in range(1, 10)
    )
    for text in (laughs, "!!python/object/apply:os.system ['echo pwned']", "routers: !!binary aGk="):
        try:
            parse_config(parse_yaml(text, "evil.yaml"), "evil.yaml")
        except ConfigError:
            continue
        raise AssertionError(f"accepted hostile YAML: {text[:40]!r}")


def test_wrong_types_name_the_key() -> None:
    data = yaml.safe_load("routers:\n  - alias: a\n    tiers: {name: x}\n    thresholds: high\n")
    try:
        parse_config(data, "types.yaml")
    except ConfigError as exc:
        assert "routers[0]" in str(exc)
    else:
        raise AssertionError("wrong types accepted")


content_parts = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["text", "image_url", "input_audio", "x"])},
        optional={"text": json_values, "image_url": json_values},
    ),
    max_size=3,
)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "tool", "x"])},
        optional={"content": json_values | content_parts | st.text()},
    ),
    max_size=5,
)


@FAST
@given(messages | json_values, json_values, json_values)
def test_any_request_parses_to_a_view_or_a_request_error(msgs: Any, tools: Any, response_format: Any) -> None:
    try:
        view = RequestView.from_openai(msgs, tools=tools, response_format=response_format)
    except RequestError:
        return
    score = HeuristicScorer().score(view)
    assert 0.0 <= score <= 1.0


@FAST
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=2000))
def test_any_unicode_including_lone_surrogates_scores(text: str) -> None:
    view = RequestView.from_openai(
        [{"role": "user", "content": text}, {"role": "assistant", "content": text}, {"role": "user", "content": "next"}]
    )
    assert view.history_key is not None and 0.0 <= HeuristicScorer().score(view) <= 1.0
