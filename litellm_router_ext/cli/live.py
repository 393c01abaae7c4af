"""``litellm-router eval --live``: run a real router over an eval set's prompts, with progress and resume."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import ConfigError
from .console import make_console
from .errors import failure_examples


def run_live(
    *,
    data: Path | None,
    routers: Sequence[str],
    out: Path | None,
    concurrency: int,
    score_mode: str,
    judge_model: str | None,
    split: str,
    calib_fraction: float,
    split_seed: int,
    json_out: Path | None,
    quiet: bool,
) -> None:
    from .. import install, load_config
    from ..adapters.live import LLMJudge, config_models, quiet_failures, router_ask
    from ..evaluation.dataset import calibration_mask, load_eval_set, sample_eval_path
    from ..evaluation.live import LiveRun, ScoreMode, check_references_fit, summarise

    if len(routers) != 1 or not routers[0].partition("#")[0].endswith((".yaml", ".yml")):
        raise ConfigError(
            "live mode runs one router config: pass --router PATH.yaml[#ALIAS]", key="--router", value=list(routers)
        )
    path, _, alias = routers[0].partition("#")
    file = load_config(path)
    alias = alias or file.routers[0].alias
    file.router(alias, path)
    if score_mode == "judge" and not judge_model:
        raise ConfigError("--score judge needs --judge MODEL (a LiteLLM model that rates answers)", key="--judge")
    source = data or sample_eval_path()
    eval_set = load_eval_set(source, require_outcomes=False)
    items = list(eval_set.items)
    if split != "all":
        mask = calibration_mask(items, calib_fraction, split_seed, str(source))
        items = [item for item, calib in zip(items, mask, strict=True) if calib == (split == "calib")]
    target = out or Path(f"{source}.live.jsonl")
    check_references_fit(items, cast(ScoreMode, score_mode), str(source))  # before anything is paid for
    runtime = install(path).runtime(alias)  # by path: modules beside it import, errors name it
    quiet_failures()
    # A judge may be a model group of the router file's model_list, as in collect; checked before any call.
    judge = LLMJudge(judge_model, config_models(Path(path))[0], source=path) if judge_model else None
    console = make_console(stderr=quiet or str(json_out) == "-", quiet=quiet)
    with Progress(
        TextColumn("[bold]tiered/" + alias),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("live", total=len(items))
        run = LiveRun(
            router_ask(alias, runtime=runtime),
            target,
            concurrency=concurrency,
            mode=cast(ScoreMode, score_mode),
            judge=judge,
            on_done=lambda record: progress.advance(task),
            tag=judge_model or "",
            answerer=router_id(file.router(alias)),
        )
        fresh, reused = asyncio.run(run.run(items))
        progress.update(task, completed=len(items))
    summary = summarise([*reused, *fresh])
    summary.update(router=alias, data=str(source), out=str(target), reused=len(reused), rescored=run.rescored,
                   text_scored=run.text_scored)
    if judge is not None:
        summary["judge"] = judge.spend()
    _render(summary, console)
    if run.text_scored:
        console.print(f"[yellow]{run.text_scored} reused answer(s) to JSON references were scored as text by an "
                      f"earlier version[/] (no answer kept to score again); to score them as JSON, rerun with "
                      "another --out, which asks them again", soft_wrap=True)
    if judge is not None:
        console.print(judge.describe())
    if json_out is not None:
        text = json.dumps(summary, indent=2)
        click.echo(text) if str(json_out) == "-" else json_out.write_text(text + "\n", encoding="utf-8")
    if summary["errors"]:
        raise click.ClickException(
            f"{summary['errors']} item(s) failed; rerun the same command to retry them (results so far are in {target})"
            + failure_examples({"": summary})
        )


def router_id(router: Any) -> str:
    """The router's alias and a digest of its whole config: any change to it makes earlier answers stale."""
    config = json.dumps(router.model_dump(mode="json"), sort_keys=True)
    return f"{router.alias}:{hashlib.sha256(config.encode('utf-8')).hexdigest()[:12]}"


def _cost_cell(summary: dict[str, Any]) -> str:
    """The priced answers' total, saying how many answers no price covered ('0.0000' read as free)."""
    unpriced, answered = summary["unpriced"], summary["answered"]
    if answered and unpriced == answered:
        return "unpriced"
    return f"{summary['cost_usd']:.4f}" + (f" (+{unpriced} unpriced)" if unpriced else "")


def _render(summary: dict[str, Any], console: Console) -> None:
    rescored = f", {summary['rescored']} rescored" if summary.get("rescored") else ""
    table = Table(title=f"Live run of tiered/{summary['router']} ({summary['reused']} reused{rescored} from "
                        f"{summary['out']})")
    for column in ("items", "answered", "errors", "quality", "cost (USD)", "escalation rate", "tier share"):
        table.add_column(column, justify="right")
    quality = summary["quality"]
    rate = summary["escalation_rate"]
    table.add_row(
        str(summary["n"]),
        str(summary["answered"]),
        str(summary["errors"]),
        "-" if quality is None else f"{quality:.3f}",
        _cost_cell(summary),
        "-" if rate is None else f"{rate:.1%}",
        ", ".join(f"{t}: {s:.0%}" for t, s in summary["tier_share"].items()),
    )
    console.print(table)
