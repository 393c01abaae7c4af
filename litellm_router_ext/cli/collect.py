"""``litellm-router collect``: answer your prompts with each candidate model and record scored outcomes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import RouterExtError
from .console import make_console


@click.command("collect")
@click.option("--data", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL of prompts in the eval-set format (messages; a 'reference' answer to score against).")
@click.option("--models", required=True,
              help="Comma-separated LiteLLM model ids to ask (credentials and api_base from the usual env vars).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Eval-set JSONL to write, with each model's outcomes (default: <data>.outcomes.jsonl). "
                   "Progress is kept beside it in <out>.parts/; rerun the same command to resume.")
@click.option("--score", "score_mode", type=click.Choice(["auto", "exact", "numeric", "choice", "judge"]),
              default="auto", show_default=True, help="How answers are scored against the reference.")
@click.option("--judge", "judge_model", default=None, help="With --score judge: the LiteLLM model that rates (1-10).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Calls in flight per model.")
def collect(data: Path, models: str, out: Path | None, score_mode: str, judge_model: str | None,
            concurrency: int) -> None:
    """Ask every model every prompt of DATA, score the answers, and write the outcomes `train` and `eval` read."""
    from ..adapters.live import llm_judge, model_ask
    from ..evaluation.collect import collect as run_collect
    from ..evaluation.dataset import load_eval_set
    from ..evaluation.live import ScoreMode

    names = [m.strip() for m in models.split(",") if m.strip()]
    target = out or data.with_name(data.name + ".outcomes.jsonl")
    if score_mode == "judge" and not judge_model:
        raise click.ClickException("--score judge needs --judge MODEL (a LiteLLM model that rates answers)")
    console = make_console()
    try:
        eval_set = load_eval_set(data, require_outcomes=False)
        with Progress(TextColumn("[bold]collect"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console) as progress:
            task = progress.add_task("collect", total=len(eval_set) * len(names))
            result = asyncio.run(run_collect(
                eval_set, names, model_ask, target, concurrency=concurrency, mode=cast(ScoreMode, score_mode),
                judge=llm_judge(judge_model) if judge_model else None,
                on_done=lambda record: progress.advance(task)))
    except RouterExtError as exc:
        raise click.ClickException(str(exc)) from None
    table = Table(title=f"Outcomes of {len(names)} models on {result.items} prompts")
    for column in ("model", "answered", "errors", "mean score", "cost (USD)"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for model, summary in result.by_model.items():
        quality = summary["quality"]
        table.add_row(model, str(summary["answered"]), str(summary["errors"]),
                      "-" if quality is None else f"{quality:.3f}", f"{summary['cost_usd']:.6f}")
    console.print(table)
    console.print(f"wrote {result.out}: {result.complete} of {result.items} prompts have an outcome from every model",
                  soft_wrap=True)
    ladder = ",".join(sorted(names, key=lambda m: result.by_model[m]["cost_usd"]))
    # soft_wrap: a command to copy must not be broken across lines
    console.print(f"next (tiers cheapest first, by cost here):  litellm-router train --data {result.out} "
                  f"--tiers {ladder}", soft_wrap=True)
    if result.errors:
        raise click.ClickException(f"{result.errors} call(s) failed; rerun the same command to retry them "
                                   f"(answers so far are in {result.out}.parts/)")
