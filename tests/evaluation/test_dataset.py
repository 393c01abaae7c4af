"""Eval-set parsing: errors name file, line and field; costs follow the documented rule."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from litellm_router_ext.errors import DatasetError
from litellm_router_ext.evaluation.dataset import load_eval_set, sample_eval_path
from litellm_router_ext.evaluation.outcomes import RecordedOutcomes, default_ladder
from litellm_router_ext.evaluation.prices import find_prices, load_prices
from litellm_router_ext.evaluation.routers import setup_warnings

from .conftest import record, write_set


def test_truncated_line_names_its_line_number(tmp_path: Path):
    path = write_set(tmp_path, [record(0, "a", 1, 1), record(1, "b", 0, 1)])
    text = path.read_text().splitlines()
    path.write_text(text[0] + "\n" + text[1][: len(text[1]) // 2] + "\n")
    with pytest.raises(DatasetError, match=r"set\.jsonl:2: not valid JSON"):
        load_eval_set(path)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda r: r.update(outcomes={"cheap": {"score": 1.5}}), "outcomes.cheap.score"),
    (lambda r: r.update(outcomes={"cheap": {"score": 1, "cost_usd": -1}}), "outcomes.cheap.cost_usd"),
    (lambda r: r.update(messages=[]), "messages"),
    (lambda r: r.update(messages=[{"content": "x"}]), "messages[0]"),
    (lambda r: r.pop("id"), "id"),
    (lambda r: r.update(category=3), "category"),
    (lambda r: r.update(outcomes={}), "outcomes"),
    (lambda r: r.update(tools={"name": "f"}), "tools"),
    (lambda r: r.update(response_format="json"), "response_format"),
    (lambda r: r.update(response_format={"type": "json_schema", "json_schema": 3}), "response_format"),
    (lambda r: r.update(tool_choice=3), "tool_choice"),
])
def test_bad_field_names_file_line_and_field(tmp_path: Path, mutate, field: str):
    bad = record(1, "b", 0, 1)
    mutate(bad)
    path = write_set(tmp_path, [record(0, "a", 1, 1), bad])
    with pytest.raises(DatasetError) as caught:
        load_eval_set(path)
    assert caught.value.line == 2 and caught.value.field == field
    assert f"set.jsonl:2 field '{field}'" in str(caught.value)


def test_duplicate_ids_are_rejected(tmp_path: Path):
    path = write_set(tmp_path, [record(0, "a", 1, 1), record(0, "b", 1, 1)])
    with pytest.raises(DatasetError, match="duplicate id 't-0' \\(first on line 1\\)"):
        load_eval_set(path)


def test_items_missing_a_tier_are_counted_not_silently_dropped(tmp_path: Path):
    partial = record(2, "c", 1, 1)
    partial["outcomes"] = {"cheap": {"score": 1.0}}
    path = write_set(tmp_path, [record(0, "a", 1, 1), record(1, "b", 0, 1), partial])
    eval_set = load_eval_set(path)
    table = RecordedOutcomes(load_prices(tmp_path / "models.json")).table(eval_set, ("cheap", "strong"))
    assert table.n == 2
    assert table.skipped == {"no outcome for strong": 1}


def test_cost_uses_recorded_cost_else_tokens_times_price(tmp_path: Path):
    with_cost = record(0, "hello world", 1, 1)
    with_cost["outcomes"]["strong"]["cost_usd"] = 0.5
    path = write_set(tmp_path, [with_cost, record(1, "hello world", 1, 1, response="hello world")])
    eval_set = load_eval_set(path)
    table = RecordedOutcomes(find_prices(path, None)).table(eval_set, ("cheap", "strong"))
    # "hello world" is 2 cl100k_base tokens: cheap = 2 * 1/1e6 input (+ 2 * 2/1e6 output when answered).
    assert table.cost[0].tolist() == pytest.approx([2e-6, 0.5])
    assert table.cost[1].tolist() == pytest.approx([2e-6 + 4e-6, 20e-6])


def test_missing_price_names_the_model_and_the_fix(tmp_path: Path):
    path = write_set(tmp_path, [record(0, "a", 1, 1)])
    (tmp_path / "models.json").write_text(json.dumps({"cheap": {"input_usd_per_mtok": 1,
                                                               "output_usd_per_mtok": 1}}))
    eval_set = load_eval_set(path)
    with pytest.raises(DatasetError, match="no price for model 'strong'.*--prices"):
        RecordedOutcomes(find_prices(path, None)).table(eval_set, ("cheap", "strong"))


def test_two_model_file_defaults_to_price_order(tmp_path: Path):
    path = write_set(tmp_path, [record(0, "a", 1, 1)])
    assert default_ladder(load_eval_set(path), None, find_prices(path, None)) == ("cheap", "strong")
    with pytest.raises(DatasetError, match="has no outcomes"):
        default_ladder(load_eval_set(path), ["cheap", "nope"], find_prices(path, None))
    with pytest.raises(DatasetError, match="'cheap\\+strong'.*for `train` only"):  # train's pooled tier, in eval
        default_ladder(load_eval_set(path), ["cheap", "cheap+strong"], find_prices(path, None))


def test_split_is_deterministic_and_disjoint(small_set: Path):
    eval_set = load_eval_set(small_set)
    calib, test = eval_set.split(0.5, seed=0)
    again, _ = eval_set.split(0.5, seed=0)
    assert [i.id for i in calib.items] == [i.id for i in again.items]
    assert not {i.id for i in calib.items} & {i.id for i in test.items}
    assert len(calib) + len(test) == len(eval_set)


def test_packaged_sample_loads_with_packaged_prices():
    eval_set = load_eval_set(sample_eval_path())
    assert 200 <= len(eval_set) <= 500
    table = RecordedOutcomes(find_prices(sample_eval_path(), None)).table(
        eval_set, ("mixtral-8x7b-instruct-v0.1", "gpt-4-1106-preview"))
    assert table.n == len(eval_set) and np.isfinite(table.cost).all()


def _line(i: int, outcomes: dict[str, float]) -> str:
    return json.dumps({"id": f"p{i}", "source": "mine", "category": None,
                       "messages": [{"role": "user", "content": f"prompt {i}"}],
                       "outcomes": {m: {"score": 1.0, "cost_usd": c} for m, c in outcomes.items()}})


def test_the_default_ladder_is_ordered_on_the_items_it_evaluates(tmp_path: Path) -> None:
    # A collect file where the expensive model failed on the long prompts (context too long, timeouts): costs
    # are compared on the items both answered, the ones replay keeps, not on each model's own items.
    lines = [_line(i, {"cheap": 0.001, "dear": 0.002}) for i in range(10)]
    lines += [_line(i, {"cheap": 0.02}) for i in range(10, 20)]  # long prompts "dear" did not answer
    path = tmp_path / "collected.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "models.json").write_text("{}", encoding="utf-8")
    eval_set = load_eval_set(path)
    prices = load_prices(tmp_path / "models.json")
    ladder = default_ladder(eval_set, None, prices)
    table = RecordedOutcomes(prices).table(eval_set, ladder)
    per_item = dict(zip(table.tiers, table.cost.mean(axis=0), strict=True))
    assert ladder == ("cheap", "dear"), (ladder, per_item)
    assert not setup_warnings(table, [], tiers_given=False)


def test_an_eval_item_without_extra_keys_can_still_be_copied_and_pickled(tmp_path: Path) -> None:
    # Items are plain data: they copy and pickle (multiprocessing), with or without extra keys.
    path = tmp_path / "p.jsonl"
    path.write_text(_line(0, {"m": 0.001}) + "\n", encoding="utf-8")
    item = load_eval_set(path).items[0]
    assert copy.deepcopy(item) == item
    assert pickle.loads(pickle.dumps(item)) == item


def test_a_records_request_parameters_are_what_replay_sees(tmp_path: Path) -> None:
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    asked = record(0, "a", 1, 1, tools=[tool], tool_choice="auto", response_format={"type": "json_object"})
    path = write_set(tmp_path, [asked, record(1, "b", 1, 1, tags=["x"])])
    with_params, plain = load_eval_set(path).items
    assert with_params.params == {"tools": [tool], "tool_choice": "auto", "response_format": {"type": "json_object"}}
    view = with_params.request()
    assert view.needs_tools and view.tools == (tool,) and view.wants_json
    assert plain.params == {} and not plain.request().wants_json and plain.extra == {"tags": ["x"]}
    assert "tools" not in with_params.extra  # request parameters are not the user's free-form keys


def test_a_json_reference_may_be_written_as_json_itself(tmp_path: Path):
    # README: a reference "that is a JSON object or a list of objects (such as calls) is compared as JSON"; one
    # written as an object, not as a string of JSON, was refused.
    from litellm_router_ext.evaluation.live import score_answer

    calls = [{"name": "weather", "arguments": {"city": "Paris"}}]
    path = write_set(tmp_path, [record(0, "a", 1, 1, reference={"city": "Paris", "days": 2}),
                                record(1, "b", 1, 1, reference=calls)])
    first, second = load_eval_set(path).items
    assert first.reference is not None and score_answer('{"days": 2, "city": "Paris"}', first.reference) == 1.0
    assert second.reference is not None and score_answer(json.dumps(calls), second.reference) == 1.0
    for not_one_answer in (42, ["Paris", "paris"]):  # a list of accepted answers would be compared as its text
        write_set(tmp_path, [record(0, "a", 1, 1, reference=not_one_answer)])
        with pytest.raises(DatasetError, match="field 'reference'.*one reference per record"):
            load_eval_set(path)
