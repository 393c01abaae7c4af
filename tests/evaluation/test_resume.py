"""Resuming collect / eval --live: what was paid for is reused or scored again, never bought twice."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

from litellm_router_ext.evaluation.collect import Ask, collect
from litellm_router_ext.evaluation.dataset import EvalItem, load_eval_set
from litellm_router_ext.evaluation.live import LiveAnswer, LiveRun, read_records


def _prompts(path: Path, n: int, reference: str | None = "7") -> list[EvalItem]:
    lines = []
    for i in range(n):
        record: dict = {"id": f"q{i}", "source": "mine", "category": None,
                        "messages": [{"role": "user", "content": f"Item {i}: what is 3 + 4?"}]}
        if reference is not None:
            record["reference"] = reference
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list(load_eval_set(path, require_outcomes=False).items)


class CountingModel:
    """Always answers 7 and counts the (paid) calls per item."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def ask_for(self, model: str) -> Ask:
        async def ask(item: EvalItem) -> LiveAnswer:
            self.calls[item.id] += 1
            return LiveAnswer(text="The answer is 7", model=model, cost_usd=0.01)

        return ask


def _write(path: Path, n: int) -> Path:
    _prompts(path, n, reference=None)
    return path


def test_an_item_asked_again_after_its_reference_changed_is_reused_on_the_next_run(tmp_path: Path) -> None:
    # After an edit the item is asked again (no answer kept here: eval --live), and from then on the newest
    # matching record is reused: an older answer must not shadow it and make every later run pay again.
    out, model = tmp_path / "out.jsonl", CountingModel()
    ask = model.ask_for("m")
    asyncio.run(LiveRun(ask, out).run(_prompts(tmp_path / "a.jsonl", 1, reference="7")))
    edited = _prompts(tmp_path / "b.jsonl", 1, reference="7.0")  # the reference was fixed: ask again (expected)
    asyncio.run(LiveRun(ask, out).run(edited))
    assert model.calls["q0"] == 2
    fresh, reused = asyncio.run(LiveRun(ask, out).run(edited))  # nothing changed since: nothing to ask
    assert model.calls["q0"] == 2 and not fresh and len(reused) == 1


def test_fixing_a_broken_judge_asks_only_the_judge_again(tmp_path: Path) -> None:
    # The usual reason every judge call fails is the judge itself (wrong model id, no key for it); the fix is
    # another --judge, which changes the fingerprint's tag: the kept (paid) answers are judged, not re-asked.
    data = load_eval_set(_write(tmp_path / "p.jsonl", 3), require_outcomes=False)
    out, models = tmp_path / "o.jsonl", CountingModel()

    async def broken(item: EvalItem, answer: str) -> float:
        raise ValueError("judge model 'gpt-4o-mnii' not found")

    async def fixed(item: EvalItem, answer: str) -> float:
        return 0.75

    first = asyncio.run(collect(data, ["m"], models.ask_for, out, mode="judge", judge=broken,
                                judge_model="gpt-4o-mnii"))
    assert first.errors == 3
    second = asyncio.run(collect(data, ["m"], models.ask_for, out, mode="judge", judge=fixed,
                                 judge_model="gpt-4o-mini"))
    assert second.complete == 3
    assert sum(models.calls.values()) == 3  # the answers were paid for once; only the judge is new


def test_collect_progress_never_runs_past_its_planned_total(tmp_path: Path) -> None:
    # on_done fires for each rescored answer too, so the planned total must count them (never "1/0").
    data = load_eval_set(_write(tmp_path / "p.jsonl", 2), require_outcomes=False)
    out, models, failed = tmp_path / "o.jsonl", CountingModel(), set()

    async def flaky(item: EvalItem, answer: str) -> float:
        if item.id not in failed:
            failed.add(item.id)
            raise TimeoutError("judge timed out")
        return 0.5

    asyncio.run(collect(data, ["m"], models.ask_for, out, mode="judge", judge=flaky))
    planned: list[int] = []
    done: list[str] = []
    asyncio.run(collect(data, ["m"], models.ask_for, out, mode="judge", judge=flaky,
                        on_plan=planned.append, on_done=lambda r: done.append(r.id)))
    assert len(done) <= planned[0], f"progress {len(done)}/{planned[0]}"


def test_a_record_with_a_field_this_version_does_not_know_does_not_break_resume(tmp_path: Path) -> None:
    # A file written by a newer version may hold fields this one does not know: they are ignored, not fatal.
    out = tmp_path / "out.jsonl"
    base = {"id": "q0", "category": None, "score": 1.0, "tier": "s", "model": "m", "cost_usd": 0.001,
            "escalations": 0, "verified": None, "latency_ms": 1.0, "error": None}
    out.write_text(json.dumps({**base, "added_later": "x"}) + "\n" + json.dumps({**base, "id": "q1"}) + "\n")
    assert set(read_records(out)) == {"q0", "q1"}



def test_a_kept_answer_is_rescored_only_for_the_same_answerer(tmp_path: Path) -> None:
    # eval --live keeps an answer the judge failed on; another router (answerer) sharing the file must be asked
    # itself, not credited with that answer. The same router rescoring it asks nobody again.
    items, out, model = _prompts(tmp_path / "p.jsonl", 1, reference=None), tmp_path / "live.jsonl", CountingModel()

    async def broken(item: EvalItem, answer: str) -> float:
        raise TimeoutError("judge timed out")

    async def judge(item: EvalItem, answer: str) -> float:
        return 1.0

    def run(answerer: str, scorer: Any) -> LiveRun:
        live = LiveRun(model.ask_for("m"), out, mode="judge", judge=scorer, answerer=answerer)
        asyncio.run(live.run(items))
        return live

    run("router-a", broken)
    run("router-b", judge)
    assert model.calls["q0"] == 2  # b was asked itself
    assert run("router-a", judge).rescored == 1
    assert model.calls["q0"] == 2  # a's kept answer was judged again, not bought again
    assert [(r.error, r.score) for r in read_records(out)["q0"]] == [
        ("judge: TimeoutError", None), (None, 1.0), (None, 1.0)]
