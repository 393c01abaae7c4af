"""``litellm-router collect``: answer your prompts with each candidate model and record scored outcomes."""

from __future__ import annotations

import asyncio
import shlex
from functools import partial
from pathlib import Path
from typing import cast

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import RouterExtError
from ..evaluation.collect import Collected, parts_dir
from ..evaluation.collect import collect as run_collect
from ..evaluation.dataset import load_eval_set
from ..evaluation.live import ScoreMode
from .console import make_console
from .errors import OutputFile, failure_examples


@click.command("collect")
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL of prompts in the eval-set format: one object a line with a unique 'id' and 'messages' "
                   "(OpenAI chat format), plus a 'reference' answer to score against unless --score judge; "
                   "'tools', 'tool_choice' and 'response_format' are sent with the messages.")
@click.option("--models", default=None,
              help="Comma-separated models to ask: LiteLLM model ids (credentials and api_base from the usual env "
                   "vars), or model groups of --config. Default with a router --config: its first router's tiers.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A LiteLLM proxy config.yaml or a router config whose model_list serves the models "
                   "(os.environ/ keys resolved), so outcomes are recorded under your tier group names.")
@click.option("--out", type=OutputFile(), default=None,
              help="Eval-set JSONL to write, with each model's outcomes (default: <data>.outcomes.jsonl). "
                   "Progress is kept beside it in <out>.parts/; rerun the same command to resume.")
@click.option("--score", "score_mode", type=click.Choice(["auto", "exact", "numeric", "choice", "json", "judge"]),
              default="auto", show_default=True,
              help="How answers are scored against the reference; auto: a letter, a number, JSON (tool calls "
                   "too, as [{\"name\": ..., \"arguments\": {...}}]) or else normalised text.")
@click.option("--judge", "judge_model", default=None,
              help="With --score judge: the model that rates answers 1-10, a LiteLLM model id or a model group of "
                   "--config (checked before any call).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Calls in flight per model, and for the judge (shared by every model's answers).")
def collect(data: Path, models: str | None, config: Path | None, out: Path | None, score_mode: str,
            judge_model: str | None, concurrency: int) -> None:
    """Ask every model every prompt of DATA, score the answers, and write the outcomes `train` and `eval` read."""
    from ..adapters.live import (  # litellm
        LLMJudge,
        check_groups,
        check_routable,
        config_models,
        model_ask,
        quiet_failures,
    )

    quiet_failures()

    names = [m.strip() for m in (models or "").split(",") if m.strip()]
    target = out or data.with_name(data.name + ".outcomes.jsonl")
    if score_mode == "judge" and not judge_model:
        raise click.ClickException("--score judge needs --judge MODEL (a LiteLLM model that rates answers)")
    if judge_model and score_mode != "judge":
        raise click.ClickException("--judge is used only with --score judge; add it, or drop --judge")
    console = make_console()
    try:
        ask_for, router = model_ask, None
        if config is not None:
            router, default = config_models(config)
            names = names or default
            check_groups(router, names, str(config))
            ask_for = partial(model_ask, router=router)
        if not names:
            raise click.ClickException("pass --models (or a router config as --config, whose tiers are asked)")
        if router is None:
            check_routable(names)
        eval_set = load_eval_set(data, require_outcomes=False)
        judge = (LLMJudge(judge_model, router, source=str(config) if config else None, concurrency=concurrency)
                 if judge_model else None)  # --concurrency calls a model, and as many for the judge in all
        progress = Progress(TextColumn("[bold]collect"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=console)
        task = progress.add_task("collect", total=None)

        def plan(calls: int) -> None:  # the bar shows once the run is planned, never beside a data error
            progress.update(task, total=calls)
            progress.start()

        try:
            result = asyncio.run(run_collect(
                eval_set, names, ask_for, target, concurrency=concurrency, mode=cast(ScoreMode, score_mode),
                judge=judge, judge_model=judge_model, on_plan=plan, on_done=lambda record: progress.advance(task)))
        finally:
            progress.stop()
    except RouterExtError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, names, console)
    if judge is not None:
        console.print(judge.describe())
    if result.errors:
        kinds = sorted({k for s in result.by_model.values() for k in s["error_kinds"]})
        raise click.ClickException(
            f"{result.errors} call(s) failed ({', '.join(kinds)}); rerun the same command to retry only those "
            f"(answers so far are kept in {parts_dir(result.out)}/, and an answer only the judge failed on is not "
            "bought again; first fix keys, model ids or an api_base that does not answer, if the errors say so)"
            + failure_examples(result.by_model))


def _report(result: Collected, names: list[str], console: Console) -> None:
    table = Table(title=f"Outcomes of {len(names)} models on {result.items} prompts")
    for column in ("model", "scored", "errors", "mean score", "mean cost / answer (USD)"):
        table.add_column(column, justify="left" if column == "model" else "right")
    per_answer: dict[str, float] = {}
    for model, summary in result.by_model.items():
        priced = summary["answered"] - summary["unpriced"]
        if priced:
            per_answer[model] = summary["cost_usd"] / priced
        quality = summary["quality"]
        errors = ", ".join(f"{n} {kind}" for kind, n in summary["error_kinds"].items()) or "0"
        cost = f"{per_answer[model]:.6f}" if model in per_answer else "not priced" if summary["answered"] else "-"
        table.add_row(model, str(summary["answered"]), errors, "-" if quality is None else f"{quality:.3f}", cost)
    console.print(table)
    console.print(f"wrote {result.out}: {result.written} prompts, {result.complete} of {result.items} with an "
                  "outcome from every model", soft_wrap=True)
    if result.carried:
        console.print(f"[yellow]{result.carried} outcome(s) this run did not score were kept as {result.out} had "
                      "them[/] (scored by the earlier run); rerun once the errors are fixed to score them again",
                      soft_wrap=True)
    unpriced = [m for m in names if m not in per_answer and result.by_model[m]["answered"]]
    if unpriced:
        console.print(f"[yellow]LiteLLM has no price for {', '.join(unpriced)}:[/] its outcomes carry no cost_usd, "
                      "so give `eval` a --prices table with it, and place it in --tiers yourself", soft_wrap=True)
    if result.complete:
        ladder = ",".join([*sorted(per_answer, key=per_answer.__getitem__), *unpriced])
        # soft_wrap: a command to copy must not be broken across lines
        tied = len(set(per_answer.values())) < len(per_answer)  # e.g. all 0 (free or zero-priced): no order
        order = "cheapest first? costs tie here, so check the order" if tied else "cheapest first, by mean cost here"
        console.print(f"next (tiers {order}):  litellm-router train --data "
                      f"{shlex.quote(str(result.out))} --tiers {shlex.quote(ladder)}", soft_wrap=True)
