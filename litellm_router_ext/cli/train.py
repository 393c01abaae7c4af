"""``litellm-router train``: fit the learned difficulty scorer on your own eval set."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from ..errors import RouterExtError
from .console import make_console


@click.command("train")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(dir_okay=False),
              help="Eval-set JSONL (outcome format); repeat for several files.")
@click.option("--tiers", required=True,
              help="Model ids cheapest first, comma-separated; 'a+b' averages several models in one tier.")
@click.option("--out", default="learned/difficulty.npz", show_default=True, type=click.Path(dir_okay=False),
              help="Artifact to write (<name>.manifest.json goes beside it).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(0, 20),
              callback=lambda _ctx, _param, value: _folds(value),
              help="k-fold cross-validation for the report (0 = none, else 2 or more).")
@click.option("--leave-one-out/--no-leave-one-out", default=True, show_default=True,
              help="Also report leave-one-source-out APGR (needs 2+ sources).")
@click.option("--model", "model_kind", default="auto", show_default=True,
              type=click.Choice(["auto", "linear", "trees", "ngrams"]),
              help="linear: word and prompt-shape weights (transfers best); trees: boosted trees on the same features "
                   "and the mean word vector (best on one model pair's traffic); ngrams: hashed word pairs (best "
                   "where wording tells the hard prompts, as on MMLU; transfers worst); auto: cross-validate all "
                   "three, keep another form than linear only if it wins.")
@click.option("--litellm-prior", "litellm_prior", default=0.0, show_default=True, type=click.FloatRange(0, 1),
              help="Weight of LiteLLM's complexity heuristic blended into the score (0 = off; the shipped model "
                   "uses 0.5). It helps most on traffic unlike the training data; the report shows its effect "
                   "on yours.")
@click.option("--option-trees/--no-option-trees", "option_trees", default=True, show_default=True,
              help="Let the form add trees over the answer options of multiple-choice prompts (200 or more in the "
                   "data), weighted by a cross-validation inside the training data; never beside --litellm-prior.")
def train(data: tuple[str, ...], tiers: str, out: str, folds: int, leave_one_out: bool, model_kind: str,
          litellm_prior: float, option_trees: bool) -> None:
    """Train the `learned` scorer on DATA and write an artifact a router config can point to."""
    from ..learned.model import manifest_path
    from ..learned.training import AUTO_MIN_EXAMPLES, parse_tiers
    from ..learned.training import train as run_training

    # refused before minutes of training, and without making folders a refused run would leave behind
    blocker = next((p for p in Path(out).parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise click.BadParameter(f"cannot create the folder of {out}: {blocker} is a file, not a folder",
                                 param_hint="--out")
    try:
        tier_spec = parse_tiers(tiers)
        model, report = run_training(list(data), tier_spec, folds=folds, leave_one_out=leave_one_out,
                                     model=model_kind, litellm_prior=litellm_prior,
                                     options=option_trees)
    except (RouterExtError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        path = model.save(out)
    except OSError as exc:  # a read-only folder, a full disk
        raise click.ClickException(f"cannot write {exc.filename or out}: {exc.strerror}") from None
    console = make_console()
    # the cheap side is every tier below the top, averaged: "small -> top" hid the middle tier of a 3-tier ladder
    lower = " | ".join("+".join(t) for t in tier_spec[:-1])
    cheap = f"mean of {lower}" if len(tier_spec) > 2 else lower
    table = Table(title=f"APGR ({cheap} -> {'+'.join(tier_spec[-1])}; random = 0.50)")
    kinds = list(report.cv_apgr_by_model)  # none without folds
    for col in ("source", "prompts", *(f"{folds}-fold CV, {k}" for k in kinds), "left out of training"):
        table.add_column(col, justify="right" if col != "source" else "left")
    for source, n in report.sources.items():
        cv = [_with_interval(report.cv_apgr_by_model.get(k, {}).get(source),
                             report.cv_ci_by_model.get(k, {}).get(source)) for k in kinds]
        lodo = report.lodo_apgr.get(source)
        table.add_row(source, str(n), *cv, f"{lodo:.3f}" if lodo is not None else "-")
    console.print(table)
    if report.cv_ci_by_model:
        console.print("[dim]CV cells: APGR [95% bootstrap interval over this data's prompts][/]")
    for kind, by_source in report.cv_minus_linear.items():
        for source, (diff, ci) in by_source.items():
            console.print(f"{kind} - linear on {source}: {_with_interval(diff, ci, signed=True)} (paired)")
    for source, (diff, ci) in report.cv_options_effect.items():
        if diff or (ci and ci != (0.0, 0.0)):  # a source without multiple-choice prompts keeps its order: 0
            console.print(f"option trees on {source}: {_with_interval(diff, ci, signed=True)} (paired, {report.model})")
    for source, (diff, ci) in report.cv_prior_effect.items():
        console.print(f"LiteLLM prior ({report.litellm_prior:g}) on {source}: "
                      f"{_with_interval(diff, ci, signed=True)} (paired, {report.model})")
    for source in report.flat_sources():
        low, top = report.tier_means[source]
        how = "below" if top < low else "level with"
        console.print(f"[yellow]no gain to route for on {source}:[/] the top tier scores {top:.3f} there, {how} the "
                      f"lower tiers ({low:.3f}), so APGR there is meaningless"
                      + (" and did not choose the form" if len(report.cv_apgr_by_model) > 1 else "")
                      + "; check that --tiers is cheapest first and that the top tier is the stronger model",
                      soft_wrap=True)
    console.print(f"model kept: {report.model}")
    if report.options_weight is not None:
        by_weight = ", ".join(f"{k:g}: {v:.3f}" for k, v in report.options_inner_apgr.items())
        console.print(f"answer-option trees: weight {report.options_weight:g}"
                      + (" (they did not help: left out)" if not report.options_weight else "")
                      + f"; inner-CV APGR by weight {by_weight}", soft_wrap=True)
    elif report.options_note:
        console.print(f"answer-option trees: {report.options_note}", soft_wrap=True)
    high = [(probe, score) for probe in EVERYDAY_PROBES if (score := model.score(probe)) >= 0.75]
    if high:
        listed = ", ".join(f"{probe!r} {score:.2f}" for probe, score in high)
        console.print(f"[yellow]everyday prompts score as hard:[/] {listed} (harder than three quarters of the "
                      "training prompts). The data likely has nothing like them, and the model extrapolates: mix "
                      "some of your easy traffic into the training data, or score with the heuristic beside it "
                      "(scorers: [{name: heuristic}, {name: learned, ...}])", soft_wrap=True)
    below = [s for s, ci in report.cv_ci_by_model.get(report.model, {}).items() if ci is not None and ci[1] < 0.5]
    if below:
        console.print(f"[yellow]worse than random on {', '.join(below)}:[/] the whole CV interval is below 0.50, "
                      "so on prompts it did not see this model ranks that traffic backwards; check that --tiers "
                      "is cheapest first and that the same prompts do not carry conflicting outcomes, and do not "
                      "route that traffic on it as it is", soft_wrap=True)
    if report.n_examples < AUTO_MIN_EXAMPLES:
        console.print(f"[yellow]{report.n_examples} prompts, fewer than {AUTO_MIN_EXAMPLES}:[/] "
                      + ("auto tried the linear form alone; " if model_kind == "auto" else "")
                      + "figures on so few prompts swing widely" + (" (see the intervals)" if folds >= 2 else ""),
                      soft_wrap=True)
    if report.skipped:
        console.print(f"[yellow]{report.skipped} record(s) left out:[/] no score for some tier of --tiers {tiers}",
                      soft_wrap=True)
    console.print(f"trained on {report.n_examples} prompts in {report.seconds:.1f} s; wrote {path} "
                  f"({Path(path).stat().st_size // 1024} KiB) and {manifest_path(path)}")
    absolute = Path(path).resolve()
    console.print(f"use it in a router config:  scorers: [{{name: learned, params: {{artifact: {absolute}}}}}]")
    console.print("(a relative artifact path in a config is read from the config file's folder)")


EVERYDAY_PROBES = ("hi, how are you?", "Thanks!", "What is the capital of France?")
"""Prompts any ladder's cheapest tier answers: a model that scores them above 3 in 4 of its training prompts
has learned something that will not hold on everyday traffic."""


def _folds(value: int) -> int:
    if value == 1:
        raise click.BadParameter("1 fold is no cross-validation: use 0 to skip it, or 2 or more", param_hint="--folds")
    return value


def _with_interval(value: float | None, ci: tuple[float, float] | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    sign = "+" if signed else ""
    return f"{value:{sign}.3f} [{ci[0]:{sign}.2f}, {ci[1]:{sign}.2f}]" if ci else f"{value:{sign}.3f}"
