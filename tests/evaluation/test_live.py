"""Live evaluation: scoring rules, incremental results with resume, and the CLI against a mock-backed router."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litellm_router_ext.cli import main
from litellm_router_ext.evaluation.dataset import load_eval_set
from litellm_router_ext.evaluation.live import (
    LiveAnswer,
    LiveRun,
    final_choice,
    final_number,
    judge_rating,
    read_done,
    score_answer,
    summarise,
)


@pytest.mark.parametrize(
    ("answer", "reference", "score"),
    [
        ("so 3 x 6 = 18\n#### 18", "18", 1.0),
        ("The answer is 1,200 dollars", "1200", 1.0),
        ("#### 17", "18", 0.0),
        ("The answer is (B).", "B", 1.0),
        ("C. Because it is", "B", 0.0),
        ("Paris.", "paris", 1.0),
        ("Lyon", "Paris", 0.0),
        # JSON references (a walk-through found them scored as normalised text: right answers 0, wrong ones 1)
        ('{"unit": "f", "city": "Tokyo"}', '{"city": "Tokyo", "unit": "f"}', 1.0),  # key order is free
        ('```json\n{"city": "Tokyo"}\n```', '{"city": "Tokyo"}', 1.0),  # a fence, as the schema check allows
        ('{"age": "42"}', '{"age": 42}', 0.0),  # a string is not a number
        ('{"ok": 1}', '{"ok": true}', 0.0),  # nor is 1 true
        ('{"n": 2.0}', '{"n": 2}', 1.0),
        ('{"city": "Tokyo", "extra": null}', '{"city": "Tokyo"}', 0.0),
        ('[{"name": "pay", "arguments": "{amount: 5"}]', '[{"name": "pay", "arguments": {"amount": 5}}]', 0.0),
        ('[{"name": "pay", "arguments": {"amount": 5}}]', '[{"name": "pay", "arguments": {"amount": 5}}]', 1.0),
        ("Sure! city: Tokyo", '{"city": "Tokyo"}', 0.0),  # no JSON at all
    ],
)
def test_score_answer(answer: str, reference: str, score: float) -> None:
    assert score_answer(answer, reference) == score


def test_extractors() -> None:
    assert final_number("first 3, then 4 + 5 = 9") == 9.0
    assert final_number("no digits") is None
    assert final_choice("I think the answer is (d)") == "D"
    assert final_choice("A or B, hard to say") is None
    # the pronoun and the article are words, not options (each answer scored 0 against "C")
    for answer in ("I think it's C", "I'd say C.", "C. A trout is a fish."):
        assert final_choice(answer) == "C", answer
    assert final_choice("A is correct") == "A" and final_choice("I think A is right") == "A"
    assert final_choice("A because B is wrong") is None  # two options named: not B
    # a labelled final answer wins over the check that follows it (the last number, 2, scored 0)
    assert final_number("Final answer: 7\n\nCheck: 3 + 4 = 7, and 2 x 1 = 2") == 7.0
    assert final_number("The answer is: $1,200") == 1200.0
    assert final_number("I will answer 12 things; the total is 13") == 13.0  # "answer 12" is not a label
    assert final_number("Answer: 3 x 4 = 12") == 12.0 and final_number("Answer: $12.50 - $2.50 = $10") == 10.0
    assert final_number("The answer is 42. Next, 5") == 42.0


def test_a_judges_rating_is_not_the_scale_it_restates() -> None:
    # "On a scale of 1 to 10, I rate this 9." was read as 1 (the first number): a score of 0, silently
    assert judge_rating("On a scale of 1 to 10, I rate this 9.") == 9.0
    assert judge_rating("8") == 8.0 and judge_rating("Rating: 7/10 (1 point off for length)") == 7.0
    assert judge_rating("I would give it 6 out of 10") == 6.0
    assert judge_rating("no idea") is None and judge_rating("0") is None and judge_rating("11") is None
    # a judge that explains its rating puts the rating first; a labelled one wins over an example's "10/10"
    assert judge_rating("8\n\nThe answer gets 3 of the 4 steps right.") == 8.0
    assert judge_rating("9 (minus 1 for verbosity)") == 9.0 and judge_rating("Rating: 7. It gives 2 examples.") == 7.0
    assert judge_rating("Score: 7\nA 10/10 answer would cite its source.") == 7.0


def write_items(path: Path, n: int) -> Path:
    with path.open("w") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "id": f"q{i}",
                        "messages": [{"role": "user", "content": f"what is {i}+{i}?"}],
                        "reference": str(2 * i),
                    }
                )
                + "\n"
            )
    return path


def test_results_are_incremental_and_a_rerun_resumes(tmp_path: Path) -> None:
    items = list(load_eval_set(write_items(tmp_path / "set.jsonl", 6), require_outcomes=False).items)
    out = tmp_path / "out.jsonl"
    calls: list[str] = []
    fail_once = {"q3"}

    async def ask(item: object) -> LiveAnswer:
        item_id = item.id  # type: ignore[attr-defined]
        calls.append(item_id)
        if item_id in fail_once:
            fail_once.discard(item_id)
            raise TimeoutError("upstream slow")
        n = int(item_id[1:])
        return LiveAnswer(text=f"#### {2 * n if n != 5 else 0}", tier="small", cost_usd=0.001)

    fresh, reused = asyncio.run(LiveRun(ask, out, concurrency=2).run(items))
    assert len(fresh) == 6 and not reused
    assert [r.error for r in fresh if r.id == "q3"] == ["TimeoutError"]
    assert len(out.read_text().splitlines()) == 6
    assert set(read_done(out)) == {"q0", "q1", "q2", "q4", "q5"}

    calls.clear()
    fresh, reused = asyncio.run(LiveRun(ask, out, concurrency=2).run(items))
    assert calls == ["q3"] and len(reused) == 5 and fresh[0].score == 1.0
    summary = summarise([*reused, *fresh])
    assert summary["answered"] == 6 and summary["errors"] == 0
    assert summary["quality"] == pytest.approx(5 / 6)


def test_a_torn_last_line_is_redone_not_fatal(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    good = {
        "id": "q0",
        "category": None,
        "score": 1.0,
        "tier": "s",
        "model": "m",
        "cost_usd": 0.0,
        "escalations": 0,
        "verified": None,
        "latency_ms": 1.0,
        "error": None,
    }
    out.write_text(json.dumps(good) + "\n" + json.dumps(good)[:30])
    assert set(read_done(out)) == {"q0"}


ROUTER = """
routers:
  - alias: live
    thresholds: [0.99]
    sticky: false
    tiers:
      - {name: small, model: gpt-4o-mini, litellm_params: {mock_response: "I think #### 4"}}
      - {name: large, model: gpt-4o, litellm_params: {mock_response: "#### 4"}}
"""


def test_cli_live_run_against_a_mock_backed_router(tmp_path: Path) -> None:
    data = write_items(tmp_path / "set.jsonl", 4)
    router = tmp_path / "router.yaml"
    router.write_text(ROUTER)
    out = tmp_path / "results.jsonl"
    args = [
        "eval",
        "--live",
        "--router",
        str(router),
        "--data",
        str(data),
        "--out",
        str(out),
        "--json",
        "-",
        "--concurrency",
        "2",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["n"] == 4 and summary["answered"] == 4
    assert summary["quality"] == pytest.approx(0.25)  # only "what is 2+2?" has reference 4
    assert summary["tier_share"] == {"small": 1.0} and summary["cost_usd"] > 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and json.loads(again.output[again.output.index("{") :])["reused"] == 4


def test_cli_live_needs_a_router_config(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["eval", "--live", "--router", "heuristic", "--data", str(write_items(tmp_path / "s.jsonl", 1))]
    )
    assert result.exit_code == 1 and "--router PATH.yaml" in result.output


def _mock_router(alias: str, tier: str, answer: str) -> str:
    return f"""
routers:
  - alias: {alias}
    thresholds: [0.99]
    sticky: false
    tiers:
      - {{name: {tier}, model: gpt-4o-mini, litellm_params: {{mock_response: "{answer}"}}}}
      - {{name: top, model: gpt-4o, litellm_params: {{mock_response: "{answer}"}}}}
"""


def test_eval_live_with_another_router_does_not_reuse_the_first_routers_answers(tmp_path: Path) -> None:
    # Both runs write to the default <data>.live.jsonl: router B must not be credited with router A's answers.
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "messages": [{"role": "user", "content": f"what is {i}+{i}?"}],
                                        "reference": str(2 * i)}) + "\n" for i in range(4)), encoding="utf-8")
    summaries = []
    for name, (alias, tier, answer) in {"a.yaml": ("a", "small", "#### 4"), "b.yaml": ("b", "mini", "#### 6")}.items():
        (tmp_path / name).write_text(_mock_router(alias, tier, answer), encoding="utf-8")
        result = CliRunner().invoke(main, ["eval", "--live", "--router", str(tmp_path / name), "--data", str(data),
                                           "--json", "-", "--concurrency", "2"])
        assert result.exit_code == 0, result.output
        summaries.append(json.loads(result.output[result.output.index("{"):]))
    assert summaries[1]["reused"] == 0 and summaries[1]["tier_share"] == {"mini": 1.0}, summaries[1]


def test_eval_live_judges_with_a_group_of_the_router_file_and_refuses_an_unknown_judge(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "messages": [{"role": "user", "content": f"tell me {i}"}]})
                            + "\n" for i in range(3)), encoding="utf-8")
    router = tmp_path / "r.yaml"
    router.write_text("model_list:\n  - {model_name: grader, litellm_params: {model: gpt-4o-mini, mock_response: "
                      "\"10\"}}\n" + _mock_router("a", "small", "an answer"), encoding="utf-8")
    args = ["eval", "--live", "--router", str(router), "--data", str(data), "--score", "judge", "--json", "-"]
    judged = CliRunner().invoke(main, [*args, "--judge", "grader"])
    assert judged.exit_code == 0, judged.output
    summary = json.loads(judged.output[judged.output.index("{"):])
    assert summary["quality"] == 1.0 and summary["judge"]["calls"] == 3 and summary["judge"]["failed"] == 0
    typo = CliRunner().invoke(main, [*args, "--judge", "grадer"])
    assert typo.exit_code == 1 and "judge 'grадer' is not a model group of" in typo.output
    assert "allowed:" in typo.output and "grader" in typo.output
    assert len((tmp_path / "set.jsonl.live.jsonl").read_text().splitlines()) == 3  # the typo asked nothing


def test_eval_live_through_a_router_reports_an_unpriced_tier_as_unpriced_not_free(tmp_path: Path) -> None:
    # A LiteLLM Router prices a model nothing prices at 0.0: recorded as a cost, a live run of a router on it
    # looked free. A tier declared free (its deployment's own price of 0) or priced in the config stays priced.
    data = write_items(tmp_path / "set.jsonl", 2)
    deployment = ("{{model_name: {name}, litellm_params: {{model: openai/{model}, api_key: sk, "
                  "mock_response: '#### 0'{price}}}}}")
    groups = {"unpriced": ("my-unpriced", ""), "free": ("my-local", ", input_cost_per_token: 0.0, "
                                                                    "output_cost_per_token: 0.0")}
    model_list = "model_list:\n" + "".join(f"  - {deployment.format(name=n, model=m, price=p)}\n"
                                           for n, (m, p) in groups.items())

    def summary(name: str, small: str) -> dict[str, object]:
        router = tmp_path / f"{name}.yaml"
        router.write_text(model_list + f"routers:\n  - {{alias: r, thresholds: [0.99], sticky: false, tiers: ["
                          f"{{name: small, {small}}}, {{name: top, model: unpriced}}]}}\n", encoding="utf-8")
        out = tmp_path / f"{name}.jsonl"
        result = CliRunner().invoke(main, ["eval", "--live", "--router", str(router), "--data", str(data),
                                           "--out", str(out), "--json", "-"])
        assert result.exit_code == 0, result.output
        records = [json.loads(line) for line in out.read_text().splitlines()]
        assert all(r["tier"] == "small" for r in records)
        return {**json.loads(result.output[result.output.index("{"):]), "costs": [r["cost_usd"] for r in records]}

    unpriced = summary("unpriced", "model: unpriced")
    assert unpriced["costs"] == [None, None] and unpriced["unpriced"] == 2
    free = summary("free", "model: free")
    assert free["costs"] == [0.0, 0.0] and free["unpriced"] == 0
    declared = summary("declared", "model: unpriced, price: {input_usd_per_mtok: 1.0, output_usd_per_mtok: 1.0}")
    assert declared["unpriced"] == 0 and all(c > 0 for c in declared["costs"])  # type: ignore[attr-defined]


def test_the_live_table_does_not_show_unpriced_answers_as_free() -> None:
    # every answer unpriced printed "0.0000" under cost, with nothing to say the figure was not a cost
    from litellm_router_ext.cli.live import _cost_cell

    assert _cost_cell({"unpriced": 2, "answered": 2, "cost_usd": 0.0}) == "unpriced"
    assert _cost_cell({"unpriced": 1, "answered": 3, "cost_usd": 0.5}) == "0.5000 (+1 unpriced)"
    assert _cost_cell({"unpriced": 0, "answered": 3, "cost_usd": 0.5}) == "0.5000"
