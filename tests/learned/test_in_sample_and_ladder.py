"""In-sample notes (training-prompt digests of any text) and check's warning for an artifact of another ladder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litellm_router_ext.errors import DatasetError
from litellm_router_ext.evaluation.dataset import load_eval_set
from litellm_router_ext.learned.model import DifficultyModel, prompt_digests
from litellm_router_ext.learned.training import count_examples, parse_tiers, train
from litellm_router_ext.scorers.learned import default_artifact_path
from litellm_router_ext.types import RequestView


def _rows(small: str = "small", big: str = "big", content=lambda text: text, extra: str = "") -> list[str]:
    rows = []
    for i in range(60):
        source = ("math", "chat")[i % 2]
        for j, (text, weak) in enumerate(((f"A train travels {i + 3} km per hour for {i % 7 + 2} hours. "
                                           "How many km in total? Explain step by step.", 0.0),
                                          (f"Say hello to my friend number {i}.{extra}", 1.0))):
            rows.append(json.dumps({"id": f"{source}-{i}-{j}", "source": source,
                                    "messages": [{"role": "system", "content": "Be brief."},
                                                 {"role": "user", "content": content(text)}],
                                    "outcomes": {small: {"score": weak}, big: {"score": 1.0}}}))
    return rows


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ digests: what train keeps, what eval counts


def test_count_seen_matches_training_for_content_part_prompts(tmp_path: Path) -> None:
    # The same record read by training (_last_user_text) and by eval (EvalItem.prompt_text) gives one string,
    # also when the user message is a list of parts with an image part between two text parts.
    parts = lambda text: [{"type": "text", "text": text},  # noqa: E731
                          {"type": "image_url", "image_url": {"url": "https://example.invalid/x.png"}},
                          {"type": "text", "text": "thanks"}]
    data = _write(tmp_path / "parts.jsonl", _rows(content=parts))
    model, _ = train([data], parse_tiers("small,big"), folds=0, model="linear")
    items = load_eval_set(data).items
    assert model.count_seen([item.prompt_text for item in items]) == len(items) == 120
    # and the live router reads the same text (it once had no blank line where the image part was)
    live = [RequestView.from_openai(list(item.messages)).text for item in items]
    assert model.count_seen(live) == 120 and live[0].endswith("\nthanks") and "\n\n" not in live[0]
    saved = DifficultyModel.load(model.save(tmp_path / "a.npz"))
    assert saved.seen is not None and saved.seen.dtype == np.uint32
    assert saved.count_seen([item.prompt_text for item in items]) == 120
    assert saved.count_seen(["never seen"]) == 0


def test_train_names_the_line_of_a_content_part_it_cannot_read(tmp_path: Path) -> None:
    rows = _rows()
    record = json.loads(_rows()[7])
    record["messages"][1]["content"] = ["a bare string where a part object belongs"]
    rows[7] = json.dumps(record)
    with pytest.raises(DatasetError) as caught:
        train([_write(tmp_path / "bad.jsonl", rows)], parse_tiers("small,big"), folds=0, model="linear")
    assert caught.value.line == 8 and "content[0] must be an object" in str(caught.value)


def test_the_shipped_digests_are_exactly_its_training_prompts(shared_data: Path) -> None:
    model = DifficultyModel.load(default_artifact_path())
    files = [shared_data / name for name in model.manifest["training_data"]]
    examples, skipped = count_examples(files, parse_tiers(model.manifest["tiers"]))
    assert len(examples) == model.manifest["metrics"]["n_examples"] and skipped == 0
    assert model.seen is not None and np.array_equal(prompt_digests([e.text for e in examples]), model.seen)


def test_a_prompt_with_a_lone_surrogate_trains_and_evaluates(tmp_path: Path) -> None:
    # JSON allows "\ud83d" (half an emoji, e.g. text cut in a UTF-16 system); json.loads keeps it as a lone
    # surrogate. The linear form trains on such prompts and every scorer scores them, but prompt_digests
    # encodes strictly: train now dies after all its CV work, and `eval --router learned` dies in its note.
    data = _write(tmp_path / "surrogate.jsonl", _rows(extra=" \ud83d"))
    model, _ = train([data], parse_tiers("small,big"), folds=0, model="linear")  # UnicodeEncodeError today
    items = load_eval_set(data).items
    assert model.count_seen([item.prompt_text for item in items]) == 120


def test_eval_with_the_shipped_model_survives_a_lone_surrogate(tmp_path: Path) -> None:
    from litellm_router_ext.cli.evaluate import eval_command

    data = _write(tmp_path / "surrogate.jsonl", _rows(extra=" \ud83d"))
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"small": {"input_usd_per_mtok": 0.1, "output_usd_per_mtok": 0.1},
                                  "big": {"input_usd_per_mtok": 5.0, "output_usd_per_mtok": 15.0}}))
    result = CliRunner().invoke(eval_command, ["--data", str(data), "--tiers", "small,big", "--prices", str(prices),
                                               "--router", "heuristic+learned", "--bootstrap", "0"])
    assert result.exit_code == 0, repr(result.exception)  # worked before the in-sample note


# ------------------------------------------------------------------------------ in-sample notes for combos


def test_notes_for_a_combo_and_for_a_config_with_a_relative_artifact(tmp_path: Path) -> None:
    from litellm_router_ext.evaluation.routers import build_router

    data = _write(tmp_path / "d.jsonl", _rows())
    model, _ = train([data], parse_tiers("small,big"), folds=0, model="linear")
    folder = tmp_path / "conf"
    folder.mkdir()
    model.save(folder / "mine.npz")
    items = load_eval_set(data).items
    combo = build_router("heuristic+learned", items, ["small", "big"])
    assert not any("trained on" in note for note in combo.notes)  # the shipped model never saw these prompts
    config = folder / "router.yaml"
    config.write_text("routers:\n  - alias: r\n    tiers: [{name: a, model: small}, {name: b, model: big}]\n"
                      "    scorers: [{name: heuristic}, {name: learned, params: {artifact: mine.npz}}]\n"
                      "    thresholds: [0.5]\n")
    router = build_router(str(config), items, ["small", "big"])  # cwd is not folder: the path is anchored
    assert any("mine.npz was trained on 120 of these 120 prompts" in note for note in router.notes)


# --------------------------------------------------------------------------- check: the artifact's ladder


def _check(tmp_path: Path, model_list: str, tiers: tuple[str, str], trained: tuple[str, str],
           ladder: str | None = None) -> list[str]:
    from litellm_router_ext.adapters.proxy import litellm_facts
    from litellm_router_ext.check import check_config

    data = _write(tmp_path / "d.jsonl", _rows(*trained))
    model, _ = train([data], parse_tiers(ladder or ",".join(trained)), folds=0, model="linear")
    model.save(tmp_path / "mine.npz")
    config = tmp_path / "router.yaml"
    config.write_text(model_list + "routers:\n  - alias: r\n    tiers: ["
                      + ", ".join(f"{{name: t{i}, model: {m}}}" for i, m in enumerate(tiers))
                      + "]\n    scorers: [{name: learned, params: {artifact: mine.npz}}]\n    thresholds: [0.5]\n")
    report = check_config(config, env={"OPENAI_API_KEY": "sk-x"}, facts=litellm_facts())
    assert report.ok, report.problems
    return [p.message for p in report.problems if p.severity == "warning" and "trained for the ladder" in p.message]


def test_check_accepts_a_pooled_tier_sharing_one_model(tmp_path: Path) -> None:
    pooled = "gpt-3.5-turbo+gpt-4o-mini,gpt-4o"  # the manifest keeps "gpt-3.5-turbo+gpt-4o-mini" as one tier
    assert _check(tmp_path, "", ("gpt-4o-mini", "gpt-4"), ("gpt-4o-mini", "gpt-4o"), pooled) == []
    (tmp_path / "d.jsonl").unlink()
    assert len(_check(tmp_path, "", ("gpt-4-turbo", "gpt-4"), ("gpt-4o-mini", "gpt-4o"), pooled)) == 1


@pytest.mark.parametrize(
    ("model_list", "tiers", "trained"),
    [
        # collect --models openai/gpt-4o-mini,openai/gpt-4o records the outcomes under the ids it was given;
        # the router's tiers name model groups served by exactly those models.
        ("model_list:\n  - {model_name: cheap, litellm_params: {model: openai/gpt-4o-mini}}\n"
         "  - {model_name: strong, litellm_params: {model: openai/gpt-4o}}\n",
         ("cheap", "strong"), ("openai/gpt-4o-mini", "openai/gpt-4o")),
        # the same models, with and without the provider prefix LiteLLM accepts either way
        ("", ("gpt-4o-mini", "gpt-4o"), ("openai/gpt-4o-mini", "openai/gpt-4o")),
    ],
    ids=["groups-serving-the-trained-models", "provider-prefix"],
)
def test_check_does_not_warn_when_the_tiers_are_the_trained_models(tmp_path: Path, model_list: str,
                                                                    tiers: tuple[str, str],
                                                                    trained: tuple[str, str]) -> None:
    assert _check(tmp_path, model_list, tiers, trained) == []
