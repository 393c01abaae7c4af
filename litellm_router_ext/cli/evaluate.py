"""``litellm-router eval | calibrate | gate``: replay routers over recorded outcomes (no model calls).

Thin: parse options, call ``litellm_router_ext.evaluation``, render with rich, write JSON/plots.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import numpy as np
from rich.console import Console

from ..config import BUILTIN_SCORERS
from .console import make_console
from .errors import OutputFile, one_file, user_errors

if TYPE_CHECKING:
    from ..evaluation.calibrate import RouterToCalibrate
    from ..evaluation.prices import Price, PriceTable

DEFAULT_ROUTERS = ("heuristic", "learned")

F = TypeVar("F", bound=Callable[..., Any])


def _data_options(func: F) -> F:
    """Options shared by every command: which file, prices, ladder and split."""
    options = [
        click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
                     callback=one_file,
                     help="JSONL eval set (default: the small sample shipped with the package)."),
        click.option("--prices", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Price table in models.json format (default: models.json beside --data, else the "
                          "packaged table); a model it lacks is priced from LiteLLM's price map."),
        click.option("--tiers", default=None,
                     help="Comma-separated model ids, cheapest first (default: a --router config's tier models "
                          "when the file has them all, else a 2-model file's models by mean cost per answer)."),
        click.option("--output-tokens", type=click.IntRange(min=0), default=None,
                     help="Assumed output tokens when an outcome has no response and no cost_usd "
                          "(default: 1 for routellm-mmlu, else 0)."),
        click.option("--split", type=click.Choice(["all", "calib", "test"]), default="all", show_default=True,
                     help="Evaluate all items, or only the calibration / held-out split."),
        click.option("--calib-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.5,
                     show_default=True, help="Share of items in the calibration split (hash of item id)."),
        click.option("--split-seed", type=int, default=0, show_default=True, help="Seed of the split hash."),
        click.option("--bootstrap", type=click.IntRange(min=0), default=200, show_default=True,
                     help="Bootstrap resamples for 95% intervals (0 turns them off)."),
        click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass
class _Loaded:
    data: str
    table: Any  # OutcomeTable
    calib: np.ndarray
    """Calibration-split mask over the table's rows."""
    tiers_given: bool
    """The ladder came from the user (``--tiers``, or the router config's tier models), not from costs."""
    prices: PriceTable
    """Where costs came from: it says which models LiteLLM's price map priced."""


def litellm_map_price(model: str) -> Price | None:
    """A price table's fallback: ``model``'s price in LiteLLM's map. LiteLLM is imported on the first lookup only,
    so an eval of outcomes that record their costs runs without it."""
    from ..adapters.capabilities import model_price
    from ..evaluation.prices import Price

    found = model_price(model)
    return None if found is None else Price(found[0] * 1e6, found[1] * 1e6)


def _load(data: Path | None, prices: Path | None, tiers: str | None, output_tokens: int | None,
          calib_fraction: float, split_seed: int, specs: Sequence[str] = (),
          config: RouterToCalibrate | None = None) -> _Loaded:
    """The outcome table on the ladder ``--tiers`` names; without it, the router configs' tier models when the
    file has them all, else a 2-model file's models by cost. ``config``: a router config the caller loaded
    itself, in place of ``specs`` (its tiers and tier prices count as theirs)."""
    from ..evaluation.dataset import calibration_mask, load_eval_set, sample_eval_path
    from ..evaluation.outcomes import RecordedOutcomes, default_ladder
    from ..evaluation.prices import find_prices
    from ..evaluation.routers import config_ladder, config_tier_prices, ladder_of

    path = data or sample_eval_path()
    eval_set = load_eval_set(path)
    table_prices = find_prices(path, prices, litellm_map_price)
    models = eval_set.model_counts()
    if tiers:
        given: list[str] | None = tiers.split(",")
    elif config is not None:
        given = ladder_of([config.config], models)
    else:
        given = config_ladder(specs, models)
    ladder = default_ladder(eval_set, given, table_prices, output_tokens)
    # costs follow the router configs' tier prices where they declare one (tier i prices ladder model i)
    overrides = config.tier_prices(ladder) if config is not None else config_tier_prices(specs, ladder)
    table_prices = dataclasses.replace(table_prices, overrides=overrides)
    table = RecordedOutcomes(table_prices, output_tokens).table(eval_set, ladder)
    mask = np.array(calibration_mask(table.items, calib_fraction, split_seed, str(path)), dtype=bool)
    return _Loaded(str(path), table, mask, given is not None, table_prices)


def _priced(loaded: _Loaded) -> list[str]:
    """The notes naming the models a router config's tier price or LiteLLM's price map priced, if any did (costs,
    and so thresholds, rest on them)."""
    note = loaded.prices.borrowed_note()
    return [*loaded.prices.override_notes(), *([note] if note is not None else [])]


def _select(loaded: _Loaded, split: str) -> Any:
    if split == "all":
        return loaded.table
    return loaded.table.take(loaded.calib if split == "calib" else ~loaded.calib)


def _write_json(target: Path | None, payload: dict[str, Any]) -> None:
    if target is None:
        return
    text = json.dumps(payload, indent=2)
    if str(target) == "-":
        click.echo(text)
    else:
        target.write_text(text + "\n", encoding="utf-8")


def _write_trace(target: Path, results: Sequence[Any], console: Console) -> None:
    """One JSON line per item of every cascade row (``+cascade``), named by router; ``-``: stdout."""
    lines = [json.dumps({"router": r.router, **entry}) for r in results for entry in r.trace or ()]
    if not lines:
        console.print("[yellow]--trace: no router here has a cascade replayed on recorded answers[/], so there is "
                      "nothing to trace" + ("" if str(target) == "-" else f" ({target} is empty)"), soft_wrap=True)
    if str(target) == "-":
        for line in lines:
            click.echo(line)
        return
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _console(quiet: bool) -> Console:
    return make_console(stderr=quiet, quiet=quiet)


def _warn_when_quiet(warnings: Sequence[str], quiet: bool) -> None:
    """Setup warnings still reach stderr when the tables (which carry them) are silenced."""
    if quiet:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)


@click.command("eval")
@_data_options
@click.option("--router", "routers", multiple=True,
              help="Router to evaluate (repeatable): heuristic, learned, learned:ARTIFACT.npz, built-in scorers "
                   "averaged with + (heuristic+litellm-heuristic), LiteLLM's litellm-heuristic or "
                   "litellm-heuristic-v2 (baselines), or a config PATH.yaml[#ALIAS]. Default: heuristic and learned, "
                   "with the baselines.")
@click.option("--baselines", is_flag=True,
              help="Also run LiteLLM's complexity-router scorers (litellm-heuristic, litellm-heuristic-v2). "
                   "Single tiers, random and oracle are always included.")
@click.option("--json", "json_out", type=OutputFile(), default=None,
              help="Write the results as JSON to this file ('-' for stdout).")
@click.option("--trace", "trace_out", type=OutputFile(), default=None,
              help="Write each cascade's per-item trace as JSONL ('-' for stdout): the tier routed to, every "
                   "attempt's verdict and reason (and whether the recorded answer was right), the tier it ended on.")
@click.option("--plot", "plots", type=OutputFile(), multiple=True,
              help="Write a cost-quality plot (.html or .svg; .png needs matplotlib). Repeatable.")
@click.option("--categories", type=click.IntRange(min=0), default=10, show_default=True,
              help="Category slices to print (all of them go to --json).")
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="Worst regressions kept per router (all in --json; the first 5 are printed).")
@click.option("--quiet", is_flag=True, help="No tables on stdout.")
@click.option("--live", is_flag=True,
              help="Call the real router (--router PATH.yaml[#ALIAS]) through LiteLLM for every prompt and score "
                   "its answers against each item's reference, instead of replaying recorded outcomes.")
@click.option("--out", "live_out", type=OutputFile(), default=None,
              help="Live mode: results JSONL, written as items finish; rerun with the same file to resume "
                   "(default: <data>.live.jsonl).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Live mode: requests in flight at once.")
@click.option("--score", "score_mode", type=click.Choice(["auto", "exact", "numeric", "choice", "json", "judge"]),
              default="auto", show_default=True, help="Live mode: how answers are scored against the reference.")
@click.option("--judge", "judge_model", default=None,
              help="Live mode, --score judge: the model that rates answers 1-10, a LiteLLM model id or a model group "
                   "of the router file's model_list (checked before any call).")
def eval_command(data: Path | None, prices: Path | None, tiers: str | None, output_tokens: int | None,
                 split: str, calib_fraction: float, split_seed: int, bootstrap: int, seed: int,
                 routers: Sequence[str], baselines: bool, json_out: Path | None, trace_out: Path | None,
                 plots: Sequence[Path],
                 categories: int, worst: int, quiet: bool, live: bool, live_out: Path | None, concurrency: int,
                 score_mode: str, judge_model: str | None) -> None:
    """Replay routers and baselines over an eval set's recorded outcomes (no model calls), or run one live."""
    if str(trace_out) == "-" and str(json_out) == "-":
        raise click.UsageError("--json - and --trace - would share stdout; write one of them to a file")
    if live:
        from .live import run_live

        if trace_out is not None:
            raise click.UsageError("--trace replays cascades on recorded answers; a --live run's results file "
                                   "(--out) has each item's tier and escalations instead")
        with user_errors():
            run_live(data=data, routers=routers, out=live_out, concurrency=concurrency, score_mode=score_mode,
                     judge_model=judge_model, split=split, calib_fraction=calib_fraction, split_seed=split_seed,
                     json_out=json_out, quiet=quiet)
        return
    from ..evaluation.plot import write_plot
    from ..evaluation.replay import evaluate
    from ..evaluation.report import render_eval
    from ..evaluation.routers import LITELLM_NAMES, build_routers, setup_warnings

    started = time.perf_counter()
    with user_errors():
        loaded = _load(data, prices, tiers, output_tokens, calib_fraction, split_seed, routers)
        table = _select(loaded, split)
        # With no --router, show what the package offers next to what LiteLLM ships: our two scorers and its two.
        baselines = baselines or not routers
        specs = list(dict.fromkeys([*(routers or DEFAULT_ROUTERS), *(LITELLM_NAMES if baselines else ())]))
        replayed = build_routers(specs, table.items, table.tiers)
        report = evaluate(table, replayed, bootstrap=bootstrap, seed=seed, worst=worst,
                          data=loaded.data if split == "all" else f"{loaded.data} [{split} split]")
        report.seconds, report.prices = time.perf_counter() - started, loaded.prices.path
        warnings = setup_warnings(table, replayed, tiers_given=loaded.tiers_given)
        report.notes.extend([*warnings, *_priced(loaded)])
        if baselines:
            report.notes.append("LiteLLM baselines use the installed litellm's complexity-router code as "
                                "continuous scores (heuristic: weighted score; v2: 1 - P(cheapest tier succeeds))")
        render_eval(report, _console(quiet or str(json_out) == "-"), categories=categories)
        _warn_when_quiet(warnings, quiet or str(json_out) == "-")
        _write_json(json_out, report.to_dict())
        if trace_out is not None:
            _write_trace(trace_out, report.results, make_console(stderr=True))
        for plot in plots:
            write_plot(report, plot)


def _scores_for(spec: str, table: Any) -> tuple[Any, np.ndarray]:
    from ..evaluation.routers import build_router

    router = build_router(spec, table.items, table.tiers, configurable=True)
    if router.kind == "baseline":
        raise click.UsageError(f"{spec} is a comparison baseline, not a router this package can configure; "
                               f"calibrate {', '.join(BUILTIN_SCORERS)} or a router config file")
    return router, router.scores


@click.command("calibrate")
@_data_options
@click.option("--router", "spec", default="heuristic", show_default=True,
              help="A built-in scorer name, learned:ARTIFACT.npz, or a router config PATH.yaml[#ALIAS].")
@click.option("--target", type=click.FloatRange(0, min_open=True), default=0.98, show_default=True,
              help="Required quality as a fraction of always-top quality, on the lower confidence bound.")
@click.option("--confidence", type=click.FloatRange(0.5, 1, max_open=True), default=0.95, show_default=True,
              help="One-sided confidence of that lower bound.")
@click.option("--out", type=OutputFile(), default=None,
              help="Router config to write (default: update the --router file in place; required for a "
                   "built-in name).")
@click.option("--json", "json_out", type=OutputFile(), default=None,
              help="Write the calibration result as JSON ('-' for stdout).")
@click.option("--quiet", is_flag=True, help="No tables on stdout.")
def calibrate_command(data: Path | None, prices: Path | None, tiers: str | None, output_tokens: int | None,
                      split: str, calib_fraction: float, split_seed: int, bootstrap: int, seed: int, spec: str,
                      target: float, confidence: float, out: Path | None, json_out: Path | None,
                      quiet: bool) -> None:
    """Pick the cheapest thresholds reaching --target on the calibration split; report the held-out split.

    Exits 1 when no thresholds reach the target (nothing is written).
    """
    from ..evaluation.calibrate import (
        calibrate,
        load_router_to_calibrate,
        split_stats,
        write_scorer_config,
        write_thresholds,
    )
    from ..evaluation.cascade import replay_error
    from ..evaluation.report import render_calibration
    from ..evaluation.routers import config_router, is_file_spec, setup_warnings

    del split  # calibrate always uses both splits
    with user_errors():
        if out is None and not is_file_spec(spec):
            raise click.UsageError("--out FILE is required when --router is a built-in name")
        # a config whose thresholds are out of order loads here (they are what calibrate replaces), not in _load
        to_calibrate = load_router_to_calibrate(spec) if is_file_spec(spec) else None
        if to_calibrate is None or to_calibrate.misordered is None:
            loaded = _load(data, prices, tiers, output_tokens, calib_fraction, split_seed, [spec])
            router, scores = _scores_for(spec, loaded.table)
        else:
            loaded = _load(data, prices, tiers, output_tokens, calib_fraction, split_seed,
                           config=to_calibrate)
            router = config_router(to_calibrate.config, to_calibrate.path, loaded.table.items, loaded.table.tiers)
            scores = router.scores
        calib_table, test_table = loaded.table.take(loaded.calib), loaded.table.take(~loaded.calib)
        if calib_table.n == 0 or test_table.n == 0:
            raise click.UsageError(f"--calib-fraction {calib_fraction} leaves an empty split of "
                                   f"{loaded.table.n} items; use a value nearer 0.5")
        result = calibrate(calib_table, scores[loaded.calib], target, bootstrap=bootstrap, seed=seed,
                           confidence=confidence)
        warnings = setup_warnings(loaded.table, [router], tiers_given=loaded.tiers_given)
        result.notes.extend([*warnings, *_priced(loaded)])
        if router.config is not None and router.config.cascade is not None:
            replayed = replay_error(router.config) is None
            result.notes.append(f"router '{router.config.alias}' has a cascade: these thresholds are set on routing "
                                "alone, and its escalations add quality and cost on top; " +
                                ("`gate` and `eval` replay both" if replayed else
                                 "its LLM judge cannot be replayed, so measure the whole with `eval --live`"))
        thresholds = result.thresholds
        if result.reached and thresholds is not None:
            heldout = split_stats(test_table, scores[~loaded.calib], np.asarray(thresholds), bootstrap,
                                  seed + 2, confidence)
            result = dataclasses.replace(result, heldout=heldout)
            destination = out or Path(spec.partition("#")[0])
            if router.config is not None and router.source is not None:
                alias = spec.partition("#")[2] or None
                write_thresholds(router.source, alias, thresholds, destination)
            else:
                write_scorer_config(spec, list(loaded.table.tiers), thresholds, destination)
            result.notes.append(f"wrote thresholds to {destination}")
        else:
            result.notes.append("nothing was written")
        misordered = to_calibrate.note(replaced=result.reached) if to_calibrate is not None else None
        if misordered is not None:
            result.notes.insert(0, misordered)
        render_calibration(result, _console(quiet or str(json_out) == "-"))
        _warn_when_quiet(warnings, quiet or str(json_out) == "-")
        _write_json(json_out, {"router": spec, "data": loaded.data, "tiers": list(loaded.table.tiers),
                               "prices": loaded.prices.path, **result.to_dict()})
    if not result.reached:
        raise SystemExit(1)


@click.command("gate")
@_data_options
@click.option("--router", "spec", required=True, help="Router config PATH.yaml[#ALIAS] (or a built-in name).")
@click.option("--target", type=click.FloatRange(0, min_open=True), required=True,
              help="Required quality as a fraction of always-top quality.")
@click.option("--slice", "slices", multiple=True, help="Also gate this category (repeatable).")
@click.option("--lower-bound", is_flag=True,
              help="Compare the one-sided lower 95% bootstrap bound, not the point estimate.")
@click.option("--json", "json_out", type=OutputFile(), default=None,
              help="Write the gate result as JSON ('-' for stdout).")
@click.option("--quiet", is_flag=True, help="No tables on stdout.")
def gate_command(data: Path | None, prices: Path | None, tiers: str | None, output_tokens: int | None,
                 split: str, calib_fraction: float, split_seed: int, bootstrap: int, seed: int, spec: str,
                 target: float, slices: Sequence[str], lower_bound: bool, json_out: Path | None,
                 quiet: bool) -> None:
    """Exit 1 when the router misses --target on the set or on any --slice (for CI)."""
    from ..evaluation.cascade import has_responses, replay
    from ..evaluation.gate import gate
    from ..evaluation.replay import evaluate_scores, make_context
    from ..evaluation.report import render_gate
    from ..evaluation.routers import cascade_replay_error, setup_warnings

    with user_errors():
        loaded = _load(data, prices, tiers, output_tokens, calib_fraction, split_seed, [spec])
        table = _select(loaded, split)
        router, scores = _scores_for(spec, table)
        routed = evaluate_scores(make_context(table, 0, seed), router.name, "router", scores, router.thresholds)
        assert routed.assignment is not None
        rows = np.arange(table.n)
        quality, cost = table.quality[rows, routed.assignment], table.cost[rows, routed.assignment]
        name = router.name
        if router.config is not None and router.config.cascade is not None:
            unreplayed = cascade_replay_error(router.config, router.source)
            if unreplayed is not None:  # gating the routing alone would pass or fail a router it does not run
                raise unreplayed
            if has_responses(table):
                run = replay(table, router.config, routed.assignment, source=router.source)
                quality, cost, name = run.quality, run.cost, f"{name}+cascade"
        unchecked = router.config is not None and router.config.cascade is not None and not has_responses(table)
        label = loaded.data if split == "all" else f"{loaded.data} [{split} split]"
        result = gate(table, name, quality, cost, target, slices=slices, lower_bound=lower_bound,
                      bootstrap=bootstrap, seed=seed, data=label)
        notes = [*setup_warnings(table, [router], tiers_given=loaded.tiers_given), *_priced(loaded)]
        if unchecked:
            notes.append(f"router '{name}' has a cascade, not replayed: the outcomes hold no answers to check, so "
                         "this gates its routing alone; record responses (`litellm-router collect`) to gate both")
        result = dataclasses.replace(result, notes=tuple(notes))
        render_gate(result, _console(quiet or str(json_out) == "-"))
        _warn_when_quiet(notes, quiet or str(json_out) == "-")
        _write_json(json_out, {**result.to_dict(), "prices": loaded.prices.path})
    if not result.passed:
        raise SystemExit(1)
