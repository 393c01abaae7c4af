"""Collecting outcomes: every model on every prompt, scored, resumable, joined into a file train/eval read."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from litellm_router_ext.cli import main
from litellm_router_ext.errors import ConfigError, DatasetError
from litellm_router_ext.evaluation.collect import Ask, collect, part_path
from litellm_router_ext.evaluation.dataset import EvalItem, EvalSet, load_eval_set
from litellm_router_ext.evaluation.live import LiveAnswer
from tests.stubs.openai_stub import Script, StubServer


def write_prompts(path: Path, n: int = 12, *, with_reference: bool = True, extra: dict | None = None) -> Path:
    """Sums whose answer is 7 on even items and 8 on odd ones: 'small' always says 7, 'big' always 8."""
    lines = []
    for i in range(n):
        record: dict = {"id": f"q{i}", "source": "mine", "category": None,
                        "messages": [{"role": "user", "content": f"Item {i}: what is {3 + i % 2} + 4?"}]}
        if with_reference:
            record["reference"] = "7" if i % 2 == 0 else "8"
        if extra and i == 0:
            record.update(extra)
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class FakeModels:
    """Answers by model ('small' says 7, 'big' says 8); ``fail`` pairs raise once, as a flaky provider."""

    def __init__(self, fail: set[tuple[str, str]] | None = None) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.fail = set(fail or ())

    def ask_for(self, model: str) -> Ask:
        async def ask(item: EvalItem) -> LiveAnswer:
            self.calls[(model, item.id)] += 1
            if (model, item.id) in self.fail:
                self.fail.discard((model, item.id))
                raise ConnectionError("provider down")
            return LiveAnswer(text=f"The answer is {7 if model == 'small' else 8}", model=model,
                              cost_usd=0.001 if model == "small" else 0.01)

        return ask


def test_collect_scores_each_model_and_resumes_only_what_failed(tmp_path: Path) -> None:
    data = load_eval_set(write_prompts(tmp_path / "prompts.jsonl"), require_outcomes=False)
    out = tmp_path / "outcomes.jsonl"
    models = FakeModels(fail={("big", "q3")})
    first = asyncio.run(collect(data, ["small", "big"], models.ask_for, out, concurrency=3))
    assert first.items == 12 and first.complete == 11 and first.errors == 1
    written = load_eval_set(out)
    q2, q3 = written.items[2], written.items[3]
    assert q2.outcomes["small"].score == 1.0 and q2.outcomes["big"].score == 0.0
    assert q2.outcomes["big"].cost_usd == 0.01
    assert set(q3.outcomes) == {"small"}  # the failed call is missing, not scored 0
    assert part_path(out, "big").exists()

    second = asyncio.run(collect(data, ["small", "big"], models.ask_for, out))
    assert second.complete == 12 and second.errors == 0
    assert sum(models.calls.values()) == 24 + 1  # the rerun asked only the one failed pair again
    assert models.calls[("big", "q3")] == 2
    assert load_eval_set(out).items[3].outcomes["big"].score == 1.0


def test_outcomes_already_in_the_file_are_kept(tmp_path: Path) -> None:
    path = write_prompts(tmp_path / "prompts.jsonl", 4, extra={"outcomes": {"old": {"score": 0.5, "cost_usd": 0.2}}})
    out = tmp_path / "outcomes.jsonl"
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["small"], FakeModels().ask_for, out))
    first = load_eval_set(out).items[0]
    assert first.outcomes["old"].score == 0.5 and first.outcomes["old"].cost_usd == 0.2
    assert first.outcomes["small"].score == 1.0


def test_a_failed_rerun_never_empties_a_complete_outcome_file(tmp_path: Path) -> None:
    data = load_eval_set(write_prompts(tmp_path / "p.jsonl", 3, with_reference=False), require_outcomes=False)
    out = tmp_path / "o.jsonl"

    async def judge(item: EvalItem, answer: str) -> float:
        return 0.5

    async def dead(item: EvalItem, answer: str) -> float:
        raise ConnectionError("judge down")

    asyncio.run(collect(data, ["small"], FakeModels().ask_for, out, mode="judge", judge=judge, judge_model="a"))
    failed = asyncio.run(collect(data, ["small"], FakeModels().ask_for, out, mode="judge", judge=dead,
                                 judge_model="b"))
    assert failed.errors == 3 and failed.carried == 3
    assert [i.outcomes["small"].score for i in load_eval_set(out).items] == [0.5, 0.5, 0.5]


def test_the_records_own_keys_travel_to_the_outcome_file(tmp_path: Path) -> None:
    path = write_prompts(tmp_path / "prompts.jsonl", 2, extra={"tags": ["billing"], "notes": {"owner": "ana"}})
    out = tmp_path / "outcomes.jsonl"
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["small"], FakeModels().ask_for, out))
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert first["tags"] == ["billing"] and first["notes"] == {"owner": "ana"} and "tags" not in second
    assert first["outcomes"]["small"]["score"] == 1.0


def test_prompts_without_references_need_a_judge(tmp_path: Path) -> None:
    data = load_eval_set(write_prompts(tmp_path / "p.jsonl", 3, with_reference=False), require_outcomes=False)
    with pytest.raises(DatasetError, match=r"p\.jsonl:1 field 'reference'.*--score judge"):
        asyncio.run(collect(data, ["small"], FakeModels().ask_for, tmp_path / "o.jsonl"))
    with pytest.raises(ConfigError, match="--models"):
        asyncio.run(collect(data, ["small", "small"], FakeModels().ask_for, tmp_path / "o.jsonl", mode="judge"))

    async def judge(item: EvalItem, answer: str) -> float:
        return 0.25

    done = asyncio.run(collect(data, ["small"], FakeModels().ask_for, tmp_path / "o.jsonl", mode="judge",
                               judge=judge))
    assert done.complete == 3 and load_eval_set(tmp_path / "o.jsonl").items[0].outcomes["small"].score == 0.25


def test_cli_a_data_error_shows_no_progress_bar(tmp_path: Path) -> None:
    data = write_prompts(tmp_path / "p.jsonl", 2, with_reference=False)
    result = CliRunner().invoke(main, ["collect", "--data", str(data), "--models", "gpt-4o-mini",
                                       "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1 and "have no 'reference'" in result.output
    assert "0/?" not in result.output and "collect" not in result.stdout  # no empty bar beside the error


def test_a_failed_judge_keeps_the_paid_answer_and_a_rerun_asks_the_judge_only(tmp_path: Path) -> None:
    data = load_eval_set(write_prompts(tmp_path / "p.jsonl", 4, with_reference=False), require_outcomes=False)
    out = tmp_path / "o.jsonl"
    models, judged = FakeModels(), Counter[str]()

    async def flaky_judge(item: EvalItem, answer: str) -> float:
        judged[item.id] += 1
        if item.id == "q1" and "7" in answer and not judged["failed"]:  # small's answer to q1, once
            judged["failed"] += 1
            raise TimeoutError("judge timed out")
        return 0.5 if "8" in answer else 0.25

    first = asyncio.run(collect(data, ["small", "big"], models.ask_for, out, mode="judge", judge=flaky_judge))
    assert first.complete == 3 and first.by_model["small"]["error_kinds"] == {"judge: TimeoutError": 1}
    second = asyncio.run(collect(data, ["small", "big"], models.ask_for, out, mode="judge", judge=flaky_judge))
    assert second.complete == 4 and second.errors == 0
    assert sum(models.calls.values()) == 8  # no model was asked twice: the kept answer was judged again
    assert judged["q1"] == 3  # big's q1 once, small's q1 twice
    q1 = load_eval_set(out).items[1].outcomes["small"]
    assert q1.score == 0.25 and q1.cost_usd == 0.001


def test_cli_collects_from_real_http_models_then_trains_and_evaluates(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Two "models" behind a local OpenAI-compatible stub, reached through LiteLLM exactly as a user's would be.
    data = write_prompts(tmp_path / "prompts.jsonl", 24)
    out = tmp_path / "outcomes.jsonl"
    script = Script(replies={"gpt-4o-mini": "so it is\n#### 7", "gpt-4o": "#### 8"})
    with StubServer(script) as stub:
        monkeypatch.setenv("OPENAI_API_BASE", stub.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        result = CliRunner().invoke(main, ["collect", "--data", str(data), "--models",
                                           "openai/gpt-4o,openai/gpt-4o-mini", "--out", str(out),
                                           "--concurrency", "4"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(script.requests) == 48
    assert "24 prompts, 24 of 24 with an outcome from every model" in result.output
    assert "--tiers openai/gpt-4o-mini,openai/gpt-4o" in result.output  # cheapest first, by recorded cost
    items = load_eval_set(out).items
    assert [i.outcomes["openai/gpt-4o-mini"].score for i in items[:2]] == [1.0, 0.0]
    assert all(0 < i.outcomes["openai/gpt-4o-mini"].cost_usd < i.outcomes["openai/gpt-4o"].cost_usd for i in items)
    assert items[0].outcomes["openai/gpt-4o"].response == "#### 8"  # kept, so eval can simulate cascades

    tiers = "openai/gpt-4o-mini,openai/gpt-4o"
    trained = CliRunner().invoke(main, ["train", "--data", str(out), "--tiers", tiers, "--folds", "0",
                                        "--out", str(tmp_path / "mine.npz")], catch_exceptions=False)
    assert trained.exit_code == 0, trained.output
    evaluated = CliRunner().invoke(main, ["eval", "--data", str(out), "--tiers", tiers, "--bootstrap", "0",
                                          "--router", f"learned:{tmp_path / 'mine.npz'}", "--json", "-", "--quiet"],
                                   catch_exceptions=False)
    assert evaluated.exit_code == 0, evaluated.output
    routers = {r["router"]: r for r in json.loads(evaluated.stdout)["results"]}
    assert "mine.npz was trained on 24 of these 24 prompts" in " ".join(evaluated.stderr.split())  # in-sample
    assert routers["oracle"]["quality"] == 1.0  # every prompt has one model that is right


def test_cli_collect_asks_with_each_prompts_tools_and_response_format(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tool = {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    call = [{"name": "weather", "arguments": {"city": "Oslo"}}]
    rows = [{"id": "t", "source": "mine", "messages": [{"role": "user", "content": "Weather in Oslo?"}],
             "tools": [tool], "tool_choice": "required", "reference": json.dumps(call)},
            {"id": "j", "source": "mine", "messages": [{"role": "user", "content": "Oslo as JSON"}],
             "response_format": {"type": "json_object"}, "reference": '{"city": "Oslo"}'}]
    data, out = tmp_path / "prompts.jsonl", tmp_path / "o.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    script = Script(reply="", replies_if={"as JSON": '{"city": "Oslo"}'}, tool_calls=[
        {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}])
    args = ["collect", "--data", str(data), "--models", "openai/gpt-4o-mini", "--out", str(out)]
    with StubServer(script) as stub:
        monkeypatch.setenv("OPENAI_API_BASE", stub.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        sent = {body["messages"][0]["content"]: body for body in script.requests}
        assert sent["Weather in Oslo?"]["tools"] == [tool] and sent["Weather in Oslo?"]["tool_choice"] == "required"
        assert sent["Oslo as JSON"]["response_format"] == {"type": "json_object"}
        written = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
        assert written["t"]["tools"] == [tool] and written["j"]["response_format"] == {"type": "json_object"}
        answer = written["t"]["outcomes"]["openai/gpt-4o-mini"]
        assert json.loads(answer["response"]) == call and answer["score"] == 1.0  # a tool call, scored as one
        assert written["j"]["outcomes"]["openai/gpt-4o-mini"]["score"] == 1.0

        assert CliRunner().invoke(main, args).exit_code == 0 and len(script.requests) == 2  # nothing asked twice
        rows[1]["response_format"] = {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "object"}}}
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        assert CliRunner().invoke(main, args).exit_code == 0
    assert [body["messages"][0]["content"] for body in script.requests[2:]] == ["Oslo as JSON"]  # a new request
    assert json.loads(out.read_text().splitlines()[1])["response_format"]["type"] == "json_schema"


def test_cli_collect_keeps_the_judge_within_concurrency_however_many_models_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, out = write_prompts(tmp_path / "prompts.jsonl", 12, with_reference=False), tmp_path / "o.jsonl"
    script = Script(reply="8", delay_s=0.15)  # slow enough for calls to overlap
    with StubServer(script) as stub:
        monkeypatch.setenv("OPENAI_API_BASE", stub.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        result = CliRunner().invoke(main, ["collect", "--data", str(data), "--models",
                                           "openai/m-a,openai/m-b,openai/m-c", "--score", "judge", "--judge",
                                           "openai/grader", "--concurrency", "2", "--out", str(out)],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answering = sum(script.peak_in_flight[f"m-{m}"] for m in "abc")
    assert answering > 2 and script.peak_in_flight["grader"] <= 2  # three models at once, one judge at two
    assert {i.outcomes["openai/m-a"].score for i in load_eval_set(out).items} == {7 / 9}


def test_json_answers_scored_as_text_by_an_earlier_version_are_rescored_not_bought_again(tmp_path: Path) -> None:
    data, out = tmp_path / "p.jsonl", tmp_path / "o.jsonl"
    data.write_text(json.dumps({"id": "j", "source": "mine", "messages": [{"role": "user", "content": "Tokyo?"}],
                                "reference": '{"city": "Tokyo", "unit": "c"}'}) + "\n")
    calls = Counter()

    def ask_for(model: str) -> Ask:
        async def ask(item: EvalItem) -> LiveAnswer:
            calls[model] += 1
            return LiveAnswer(text='{"unit": "c", "city": "Tokyo"}', model=model, cost_usd=0.01)
        return ask

    items = load_eval_set(data, require_outcomes=False)
    asyncio.run(collect(items, ["m"], ask_for, out))
    part = part_path(out, "m")
    record = json.loads(part.read_text())
    messages = [{"role": "user", "content": "Tokyo?"}]
    reference = '{"city": "Tokyo", "unit": "c"}'
    old = hashlib.sha256(json.dumps([messages, reference, "auto", ""], sort_keys=True).encode()).hexdigest()[:16]
    record.update(score=0.0, fingerprint=old)  # as the text comparison of an earlier version left it
    part.write_text(json.dumps(record) + "\n")
    again = asyncio.run(collect(items, ["m"], ask_for, out))
    assert calls["m"] == 1 and again.by_model["m"]["quality"] == 1.0  # scored again from the kept answer
    assert load_eval_set(out).items[0].outcomes["m"].score == 1.0


# ------------------------------------------------------------- resume and merge rules (from a review)


def _prompts(tmp: Path, n: int = 4) -> EvalSet:
    return load_eval_set(write_prompts(tmp / "p.jsonl", n), require_outcomes=False)


def test_a_prompt_no_model_answered_is_left_out_until_a_rerun(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    first = asyncio.run(collect(_prompts(tmp_path), ["small"], FakeModels(fail={("small", "q1")}).ask_for, out))
    assert first.written == 3 and [i.id for i in load_eval_set(out).items] == ["q0", "q2", "q3"]
    again = asyncio.run(collect(_prompts(tmp_path), ["small"], FakeModels().ask_for, out))
    assert again.written == 4 and len(load_eval_set(out)) == 4


def test_a_run_killed_mid_write_resumes_cleanly(tmp_path: Path) -> None:
    data, out = _prompts(tmp_path), tmp_path / "o.jsonl"
    asyncio.run(collect(data, ["small"], FakeModels().ask_for, out, concurrency=1))
    part = part_path(out, "small")
    part.write_bytes(part.read_bytes()[:-40])  # the last record torn
    redo = FakeModels()
    asyncio.run(collect(data, ["small"], redo.ask_for, out))
    assert sum(redo.calls.values()) == 1 and part.read_text().endswith("\n")
    settled = FakeModels()
    asyncio.run(collect(data, ["small"], settled.ask_for, out))
    assert sum(settled.calls.values()) == 0


def test_model_ids_that_look_alike_keep_separate_progress(tmp_path: Path) -> None:
    assert part_path(tmp_path / "o.jsonl", "acme/m1") != part_path(tmp_path / "o.jsonl", "acme:m1")


def test_a_changed_prompt_or_reference_is_asked_again(tmp_path: Path) -> None:
    path, out = write_prompts(tmp_path / "p.jsonl", 2), tmp_path / "o.jsonl"
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["small"], FakeModels().ask_for, out))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["messages"][0]["content"], rows[1]["reference"] = "Item 1: what is 3 + 4?", "7"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    models = FakeModels()
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["small"], models.ask_for, out))
    assert dict(models.calls) == {("small", "q1"): 1}
    assert load_eval_set(out).items[1].outcomes["small"].score == 1.0


def test_adding_a_model_later_keeps_the_earlier_ones(tmp_path: Path) -> None:
    path, out = write_prompts(tmp_path / "p.jsonl", 3), tmp_path / "o.jsonl"
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["small", "big"], FakeModels().ask_for, out))
    asyncio.run(collect(load_eval_set(path, require_outcomes=False), ["mid"], FakeModels().ask_for, out))
    assert set(load_eval_set(out).model_counts()) == {"small", "big", "mid"}


def test_unpriced_answers_carry_no_cost_and_the_input_is_never_overwritten(tmp_path: Path) -> None:
    data = _prompts(tmp_path, 2)

    def unpriced(model: str) -> Ask:
        async def ask(item: EvalItem) -> LiveAnswer:
            return LiveAnswer(text="7", model=model, cost_usd=None)

        return ask

    done = asyncio.run(collect(data, ["mine"], unpriced, tmp_path / "o.jsonl"))
    assert done.by_model["mine"]["unpriced"] == 2
    assert load_eval_set(tmp_path / "o.jsonl").items[0].outcomes["mine"].cost_usd is None
    with pytest.raises(ConfigError, match="--out.*overwrite the input"):
        asyncio.run(collect(data, ["mine"], unpriced, tmp_path / "p.jsonl"))


ROUTER = """
model_list:
  - {model_name: small, litellm_params: {model: gpt-4o-mini, mock_response: "#### 7"}}
  - {model_name: large, litellm_params: {model: gpt-4o, mock_response: "#### 8"}}
routers:
  - alias: t
    tiers: [{name: cheap, model: small}, {name: strong, model: large}]
    thresholds: [0.5]
"""


def test_cli_collects_a_router_configs_tiers_under_their_group_names(tmp_path: Path) -> None:
    data, out, router = write_prompts(tmp_path / "prompts.jsonl", 6), tmp_path / "o.jsonl", tmp_path / "router.yaml"
    router.write_text(ROUTER, encoding="utf-8")
    result = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(router), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    items = load_eval_set(out).items
    assert set(items[0].outcomes) == {"small", "large"}  # the names train --tiers and the router use
    assert [i.outcomes["small"].score for i in items[:2]] == [1.0, 0.0]
    assert "--tiers small,large" in " ".join(result.output.split())
    typo = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(router), "--models", "smal",
                                     "--out", str(out)])
    assert typo.exit_code == 1 and "'smal' is not a model group" in typo.output and "large, small" in typo.output
    neither = CliRunner().invoke(main, ["collect", "--data", str(data)])
    assert neither.exit_code == 1 and "pass --models" in neither.output


def test_cli_judge_scores_through_the_config_and_its_spend_is_reported(tmp_path: Path) -> None:
    data, out, router = write_prompts(tmp_path / "prompts.jsonl", 4), tmp_path / "o.jsonl", tmp_path / "router.yaml"
    text = ROUTER.replace("model_list:\n", "model_list:\n  - {model_name: grader, litellm_params: "
                                         "{model: gpt-4o-mini, mock_response: \"8\"}}\n")
    router.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(router), "--models", "small",
                                       "--score", "judge", "--judge", "grader", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert {i.outcomes["small"].score for i in load_eval_set(out).items} == {7 / 9}
    spend = next(line for line in result.output.splitlines() if line.startswith("judge grader:"))
    calls, cost = spend.split(": ", 1)[1].split(", $")
    assert calls == "4 call(s)" and float(cost) > 0  # priced by LiteLLM from the mock's usage
    typo = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(router), "--models", "small",
                                     "--score", "judge", "--judge", "grade", "--out", str(tmp_path / "t.jsonl")])
    assert typo.exit_code == 1 and "judge 'grade' is not a model group of" in typo.output
    assert not (tmp_path / "t.jsonl").exists() and not (tmp_path / "t.jsonl.parts").exists()  # nothing asked


def test_the_next_command_does_not_claim_an_order_when_costs_tie(tmp_path: Path) -> None:
    router = tmp_path / "router.yaml"
    router.write_text(ROUTER.replace("model: gpt-4o,", "model: gpt-4o-mini,"), encoding="utf-8")  # same price
    result = CliRunner().invoke(main, ["collect", "--data", str(write_prompts(tmp_path / "p.jsonl", 2)),
                                       "--config", str(router), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.output
    assert "costs tie here, so check the order" in " ".join(result.output.split())


def test_collect_never_records_a_fallbacks_answer_under_the_failing_group(tmp_path: Path) -> None:
    router = tmp_path / "router.yaml"
    router.write_text(ROUTER.replace('"#### 7"', "litellm.InternalServerError")
                      + "router_settings: {fallbacks: [{small: [large]}], num_retries: 0}\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["collect", "--data", str(write_prompts(tmp_path / "p.jsonl", 3)),
                                       "--config", str(router), "--out", str(out)])
    assert result.exit_code == 1 and "3 call(s) failed (InternalServerError" in " ".join(result.output.split())
    assert "InternalServerError(500): litellm.InternalServerError: this is a mock internal" in result.output  # why
    assert all(set(item.outcomes) == {"large"} for item in load_eval_set(out).items)  # small failed: no outcome


def test_collect_reads_a_proxy_config_with_our_own_tiered_deployment(tmp_path: Path) -> None:
    proxy = tmp_path / "config.yaml"
    proxy.write_text(
        "model_list:\n"
        "  - {model_name: small, litellm_params: {model: gpt-4o-mini, mock_response: '#### 7'}}\n"
        "  - {model_name: smart, litellm_params: {model: tiered/ladder}}\n", encoding="utf-8")
    data, out = write_prompts(tmp_path / "p.jsonl", 2), tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(proxy), "--models", "small",
                                       "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert [i.outcomes["small"].score for i in load_eval_set(out).items] == [1.0, 0.0]
    broken = tmp_path / "broken.yaml"
    broken.write_text("model_list:\n  - {model_name: x, litellm_params: {}}\n", encoding="utf-8")
    refused = CliRunner().invoke(main, ["collect", "--data", str(data), "--config", str(broken), "--models", "x"])
    assert refused.exit_code == 1 and "broken.yaml" in refused.output and "Traceback" not in refused.output


def test_a_collected_file_evaluates_and_calibrates_without_a_price_table(tmp_path: Path) -> None:
    # Every outcome records cost_usd, so the ladder order and costs come from the file itself.
    out = tmp_path / "o.jsonl"
    data = load_eval_set(write_prompts(tmp_path / "p.jsonl", 40), require_outcomes=False)
    asyncio.run(collect(data, ["big", "small"], FakeModels().ask_for, out))
    result = CliRunner().invoke(main, ["eval", "--data", str(out), "--bootstrap", "0", "--json", "-", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    tiers = [r["router"] for r in report["results"][:2]]
    assert tiers == ["small", "big"]  # cheapest first, by recorded cost
    calibrated = CliRunner().invoke(main, ["calibrate", "--data", str(out), "--target", "0.9", "--bootstrap", "50",
                                           "--out", str(tmp_path / "r.yaml")], catch_exceptions=False)
    assert calibrated.exit_code in (0, 1) and "no price" not in calibrated.output


def test_collect_through_a_config_records_only_the_costs_something_priced(tmp_path: Path) -> None:
    # A LiteLLM Router reports 0.0 for a model nothing prices (litellm.acompletion reports None): recorded as a
    # cost, that 0.0 outranked any --prices table and made the model look free to design and calibrate.
    with StubServer(Script(reply="#### 7")) as stub:
        router = tmp_path / "router.yaml"
        deployment = ("{{model_name: {name}, litellm_params: {{model: openai/{model}, api_base: '{base}', "
                      "api_key: sk{price}}}}}")
        router.write_text(
            "routers:\n  - alias: r\n    tiers: [{name: a, model: unpriced}, {name: b, model: declared}]\n"
            "    thresholds: [0.5]\nmodel_list:\n"
            + "".join(f"  - {deployment.format(name=name, model=model, base=stub.base_url, price=price)}\n"
                      for name, model, price in (
                          ("unpriced", "my-unpriced", ""),
                          ("declared", "my-declared", ", input_cost_per_token: 0.000001, output_cost_per_token: 0.0"),
                          ("free", "my-local", ", input_cost_per_token: 0.0, output_cost_per_token: 0.0"))),
            encoding="utf-8")
        out = tmp_path / "o.jsonl"
        result = CliRunner().invoke(main, ["collect", "--data", str(write_prompts(tmp_path / "p.jsonl", 2)),
                                           "--config", str(router), "--models", "unpriced,declared,free",
                                           "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    costs = {m: o.cost_usd for item in load_eval_set(out).items for m, o in item.outcomes.items()}
    assert costs["unpriced"] is None and costs["free"] == 0.0  # a model declared free is free
    assert costs["declared"] is not None and costs["declared"] > 0
    assert "LiteLLM has no price for unpriced" in " ".join(result.output.split())


def test_a_model_id_litellm_cannot_route_is_refused_before_any_call(tmp_path: Path) -> None:
    # It was asked every prompt, failed each with LiteLLM's "LLM Provider NOT provided", and left an empty file.
    data = write_prompts(tmp_path / "p.jsonl", 2)
    with StubServer(Script(reply="#### 7")) as stub:
        result = CliRunner().invoke(main, ["collect", "--data", str(data), "--models", "openai/ok,my-fancy-model",
                                           "--out", str(tmp_path / "o.jsonl")], env={"OPENAI_API_BASE": stub.base_url,
                                                                                    "OPENAI_API_KEY": "sk-test"})
        asked = len(stub.script.requests)
    assert result.exit_code != 0 and "'my-fancy-model'" in result.output and "provider/model" in result.output
    assert asked == 0 and not (tmp_path / "o.jsonl").exists()


def test_the_failure_summary_says_why_each_model_failed(tmp_path: Path) -> None:
    # LiteLLM reports a refused connection as a 500, as it does a real one: one example per error class hid
    # the dead server's "Connection error" behind the other model's 500.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    with StubServer(Script(status=500)) as broken:
        config = tmp_path / "proxy.yaml"
        config.write_text(
            "model_list:\n"
            f"  - {{model_name: broken, litellm_params: {{model: openai/b, api_base: '{broken.base_url}', "
            "api_key: sk-stub}}\n"
            f"  - {{model_name: dead, litellm_params: {{model: openai/d, api_base: 'http://127.0.0.1:{dead}/v1', "
            "api_key: sk-stub}}\nrouter_settings: {num_retries: 0}\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["collect", "--data", str(write_prompts(tmp_path / "p.jsonl", 1)),
                                           "--config", str(config), "--models", "broken,dead",
                                           "--out", str(tmp_path / "o.jsonl")])
    said = " ".join(result.output.split())
    assert result.exit_code == 1 and "broken: InternalServerError" in said and "dead: " in said, said
    assert "Connection error" in said


def test_a_forced_score_mode_that_cannot_read_the_references_is_refused_before_any_call(tmp_path: Path) -> None:
    # --score choice on numeric references scored every answer of every model 0, after paying for them all.
    data = write_prompts(tmp_path / "p.jsonl", 4)
    with StubServer(Script(reply="#### 7")) as stub:
        env = {"OPENAI_API_BASE": stub.base_url, "OPENAI_API_KEY": "sk-test"}
        refused = CliRunner().invoke(main, ["collect", "--data", str(data), "--models", "openai/a", "--score",
                                            "choice", "--out", str(tmp_path / "o.jsonl")], env=env)
        asked = len(stub.script.requests)
        fitting = CliRunner().invoke(main, ["collect", "--data", str(data), "--models", "openai/a", "--score",
                                            "numeric", "--out", str(tmp_path / "n.jsonl")], env=env)
    said = " ".join(refused.output.split())
    assert refused.exit_code != 0 and asked == 0 and "p.jsonl:1 field 'reference'" in said, said
    assert "4 reference(s) cannot be read as --score choice" in said and "--score auto" in said
    assert fitting.exit_code == 0, fitting.output  # numbers under --score numeric: asked and scored
