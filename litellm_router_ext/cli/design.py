"""``litellm-router design``: choose ladder, scorer and thresholds from eval sets and prices, with a guarantee.

Exit status 0 with a recommendation written to --out; 1 when no cheaper router is certified at --target
(the best frontier point is reported: the cheapest meeting the target on the calibration split, else the
highest-quality one; nothing is written to --out); user mistakes exit 1 with one message.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.console import Console

from .errors import OutputFile, user_errors
from .evaluate import _console, _write_json, litellm_map_price

DEFAULT_FAMILIES = ("heuristic", "learned", "cascade")


def _load_sets(paths: Sequence[Path]) -> Any:
    from ..errors import DatasetError
    from ..evaluation.dataset import EvalSet, load_eval_set

    sets = [load_eval_set(p) for p in paths]
    if len(sets) == 1:
        return sets[0]
    seen: dict[str, str] = {}
    for s in sets:
        for item in s.items:
            if item.id in seen:
                raise DatasetError(f"id {item.id!r} also occurs in {seen[item.id]}; ids must be unique across "
                                   "--data files", file=s.path, line=item.line, field="id")
            seen[item.id] = s.path
    return EvalSet("+".join(s.path for s in sets), tuple(i for s in sets for i in s.items))


def _left_out(eval_set: Any, models: Sequence[str], table: Any, spec: str) -> list[str]:
    """What the design does not see, said rather than dropped silently: models ``--candidates all`` leaves out for
    missing outcomes, and items left out for a candidate's missing outcome."""
    counts = eval_set.model_counts()
    notes = [f"--candidates all leaves out {m} (outcomes on {c} of {len(eval_set)} items); name it in --candidates "
             "to design on the items it has" for m, c in counts.items()
             if spec.strip().lower() == "all" and m not in models]
    notes += [f"{n} item(s) left out: {reason}" for reason, n in table.skipped.items()]
    return notes


def _candidates(eval_set: Any, spec: str, prices: Any) -> list[str]:
    from ..errors import DatasetError

    present = eval_set.model_counts()
    if spec.strip().lower() == "all":
        models = [m for m, count in present.items() if count == len(eval_set)]
        if len(models) < 2:
            raise DatasetError("fewer than 2 models have an outcome on every item; name them with --candidates",
                               file=eval_set.path)
    else:
        models = list(dict.fromkeys(m.strip() for m in spec.split(",") if m.strip()))
        missing = [m for m in models if m not in present]
        if missing:
            raise DatasetError(f"model {missing[0]!r} has no outcomes; models present: {', '.join(present)}",
                               file=eval_set.path, field="--candidates")
        if len(models) < 2:
            raise click.UsageError("--candidates needs 2 or more model ids (or 'all')")
    from ..evaluation.outcomes import cheapest_first

    return cheapest_first(eval_set, models, prices)  # a missing price fails now, naming the file, not mid-run


def _trained_on_warning(prompts: Sequence[str]) -> list[str]:
    """A note when the shipped ``learned`` predictor was trained on some of these prompts (by the digests its
    artifact keeps, as calibrate and gate tell: a file's name says nothing of what is in it)."""
    from ..scorers.learned import LearnedScorer

    seen = LearnedScorer().model.count_seen(list(prompts))
    if not seen:
        return []
    return [f"learned family: the shipped predictor was trained on {seen} of these {len(prompts)} prompts, so its "
            "bound here is optimistic (learn-then-test assumes the scorer never saw the calibration items); design "
            "on data it was not trained on, e.g. your own traffic"]


def _family_specs(names: Sequence[str], cascade_spec: str | None, has_responses: bool,
                  notes: list[str], prompts: Sequence[str] = ()) -> list[Any]:
    from ..config import CascadeConfig, ScorerConfig, ValidatorConfig
    from ..evaluation.design import FamilySpec
    from ..evaluation.routers import load_router_spec

    specs: list[Any] = [FamilySpec("heuristic", ScorerConfig(name="heuristic"))] if "heuristic" in names else []
    if "learned" in names:
        if importlib.util.find_spec("litellm_router_ext.scorers.learned") is None:
            notes.append("learned family skipped: litellm_router_ext.scorers.learned is not installed")
        else:
            specs.append(FamilySpec("learned", ScorerConfig(name="learned")))
            notes.extend(_trained_on_warning(prompts))
    if "cascade" in names or cascade_spec:
        if not has_responses:
            notes.append("cascade families skipped: no candidate below the top has recorded responses")
        else:
            source = None
            if cascade_spec:
                config, source = load_router_spec(cascade_spec)
                if config.cascade is None:
                    raise click.UsageError(f"--cascade {cascade_spec}: that router has no cascade section")
                cascade = config.cascade
            else:
                cascade = CascadeConfig(validators=(ValidatorConfig(name="refusal"),))
                notes.append("cascade families use the default check (refusal); pass --cascade PATH.yaml for yours")
            specs += [FamilySpec(f"{s.name}+cascade", s.scorer, cascade, source) for s in list(specs)]
    if not specs:
        raise click.UsageError(f"--routers left no family to evaluate; choose from {', '.join(DEFAULT_FAMILIES)}")
    return specs


def _score(specs: Sequence[Any], items: Sequence[Any], notes: list[str]) -> tuple[list[Any], list[Any]]:
    """Score ``items`` with every family; a family whose scorer cannot load here is dropped with a note."""
    from ..errors import RouterExtError

    kept, families = [], []
    for spec in specs:
        try:
            families.append(spec.on(items))
            kept.append(spec)
        except (RouterExtError, ImportError) as exc:
            notes.append(f"{spec.name} family skipped: {exc}")
    if not families:
        raise click.UsageError("no router family could score the data; see the notes above")
    return kept, families


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}%}"


def render_design(result: Any, console: Console, *, data: str) -> None:
    """The recommendation, its certificate and test check, the monitor bands, and the frontier."""
    from rich.table import Table

    console.print(f"[bold]{data}[/]: best single model {result.best_model}; {result.candidates} candidates "
                  f"({', '.join(result.families)}); selection {result.n_selection} / certification "
                  f"{result.n_certification} items; {result.seconds:.1f}s")
    if result.reached:
        console.print(f"[green]recommended[/]: {result.router} over {' -> '.join(result.ladder)}, thresholds "
                      f"{[round(t, 4) for t in result.thresholds]} (lambda {result.lam:.2f})")
        console.print(f"guarantee: with probability >= {1 - result.delta:.0%}, quality >= {result.target:.1%} of "
                      f"{result.best_model}'s on traffic like the calibration set; certified bound on the relative "
                      f"loss: {result.calibration_bound:.4f} (<= {1 - result.target:.4f})")
        if result.holdout:
            console.print(f"the mean over {result.holdout} fresh items (a test split) also meets the target with "
                          f"probability >= {1 - result.delta:.0%}: a margin of {result.holdout_margin:.4f} is kept "
                          "for its sampling noise")
    else:
        console.print(f"[red]target not reachable[/]: no cheaper router certified at {result.target:.1%} "
                      f"(delta {result.delta})")
        best = result.best_frontier_point
        if best:
            where = f"{best['family']} over {' -> '.join(best['ladder'])} (lambda {best['lambda']:.2f})"
            figures = f"retained {best['retained']:.2%}, saved {best['saved']:.1%}"
            if best["meets_target"]:
                console.print(f"best frontier point (cheapest meeting the target of {result.target:.1%} on the "
                              f"calibration split, a point estimate, not certified): {where}: {figures}")
            else:
                console.print(f"best frontier point: no frontier point keeps {result.target:.1%} of "
                              f"{result.best_model}'s quality even on the calibration split; the highest-quality "
                              f"point saving cost: {where}: {figures}")
    table = Table(title="Recommended router", title_justify="left")
    for column in ("split", "n", "quality", "retained", "cost saved", "escalation", "bottom share", "tier shares"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for name, p in (("selection", result.selection), ("certification", result.certification),
                    ("test", result.test)):
        if p is not None:
            table.add_row(name, str(p.n), f"{p.quality:.4f}", _pct(p.retained, 2), _pct(p.saved),
                          _pct(p.escalation_rate), _pct(p.bottom_share), " / ".join(_pct(x) for x in p.shares))
    if result.reached:
        console.print(table)
        if result.test is not None:
            verdict = "meets" if result.test.retained >= result.target else "misses"
            console.print(f"test check: retained {result.test.retained:.2%} {verdict} the target {result.target:.1%}; "
                          f"cost saved {result.test.saved:.1%} vs always {result.best_model}")
        bands = [f"escalation rate {_pct(result.certification.escalation_rate)} band "
                 f"{[round(b, 3) for b in result.escalation_band]}" if result.escalation_band else
                 "escalation rate: none expected (no cascade)",
                 f"bottom-tier share {_pct(result.certification.bottom_share)} band "
                 f"{[round(b, 3) for b in result.bottom_share_band or []]}"]
        console.print("monitor: " + "; ".join(bands))
    frontier = Table(title="Cost-quality frontier (calibration split, point estimates)", title_justify="left")
    for column in ("router", "ladder", "lambda", "retained", "saved"):
        frontier.add_column(column, justify="left" if column in ("router", "ladder") else "right",
                            overflow="fold")
    overall = [p for p in result.frontier if p.get("overall")]
    step = max(1, len(overall) // 12)
    for p in overall[::step]:
        frontier.add_row(p["family"], " -> ".join(p["ladder"]), f"{p['lambda']:.2f}", _pct(p["retained"], 2),
                         _pct(p["saved"]))
    console.print(frontier)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")


def write_design_plot(result: Any, path: Path) -> None:
    """The frontier of each family, the single models and the recommended point, through the eval plot writer."""
    from ..evaluation import metrics as m
    from ..evaluation.plot import write_plot
    from ..evaluation.replay import EvalReport, RouterResult

    best = next(x for x in result.models if x["model"] == result.best_model)
    q_best, c_best = best["quality"], best["cost_usd"]
    results = [RouterResult(x["model"], "tier", x["quality"], x["cost_usd"], [], "single model")
               for x in result.models]
    for name in result.families:
        pts = [p for p in result.frontier if p["family"] == name]
        if not pts:
            continue
        q = np.array([p["retained"] * q_best for p in pts])
        c = np.array([(1 - p["saved"]) * c_best for p in pts])
        hc, hq = m.upper_hull(c, q)
        r = RouterResult(name, "router", float(q[-1]), float(c[-1]), [], "frontier")
        r.curve = {"quality": q.tolist(), "cost_usd": c.tolist()}
        r.hull = {"quality": hq.tolist(), "cost_usd": hc.tolist()}
        results.append(r)
    if result.calibration is not None:
        results.append(RouterResult("recommended", "cascade", result.calibration.quality,
                                    (1 - result.calibration.saved) * c_best, [], "recommended"))
    report = EvalReport(f"design frontier (target {result.target:.1%})", result.ladder, result.n_selection
                        + result.n_certification, {}, 0, 0, results)
    write_plot(report, path)


@click.command("design")
@click.option("--data", "data", type=click.Path(dir_okay=False, path_type=Path), multiple=True, required=True,
              help="JSONL eval set with recorded outcomes (repeatable; ids must be unique across files).")
@click.option("--candidates", default="all", show_default=True,
              help="Comma-separated model ids to build ladders from, or 'all' (models scored on every item).")
@click.option("--target", type=click.FloatRange(0, 1, min_open=True), default=0.98, show_default=True,
              help="Required quality as a fraction of the best single model's quality.")
@click.option("--delta", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05,
              show_default=True, help="Allowed probability that the certificate is wrong.")
@click.option("--max-tiers", type=click.IntRange(2, 6), default=4, show_default=True, help="Longest ladder tried.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for router.yaml and the proxy config.yaml.")
@click.option("--json", "json_out", type=OutputFile(), default=None,
              help="Write the design as JSON ('-' for stdout).")
@click.option("--plot", type=OutputFile(), default=None,
              help="Cost-quality frontier plot (.html or .svg; .png needs matplotlib).")
@click.option("--prices", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Price table (default: models.json beside the first --data, else the packaged table); "
                   "a model it lacks is priced from LiteLLM's price map.")
@click.option("--test-data", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Held-out JSONL set for the test check; then all of --data is used for calibration.")
@click.option("--calib-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.7,
              show_default=True, help="Share of --data used for calibration when no --test-data is given.")
@click.option("--select-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.35,
              show_default=True, help="Share of the calibration items that choose the ladder; the rest certify.")
@click.option("--split-seed", type=int, default=0, show_default=True, help="Seed of both splits.")
@click.option("--routers", "routers", default=",".join(DEFAULT_FAMILIES), show_default=True,
              help="Router families to try: heuristic, learned, cascade (cascade needs recorded responses).")
@click.option("--cascade", "cascade_spec", default=None,
              help="Router config PATH.yaml[#ALIAS] whose cascade section the cascade families use.")
@click.option("--holdout-size", type=click.IntRange(min=0), default=None,
              help="Also guarantee the mean over this many fresh items (default: the test split's size; "
                   "0: the expected loss only).")
@click.option("--alias", default="designed", show_default=True, help="Alias of the router written to --out.")
@click.option("--output-tokens", type=click.IntRange(min=0), default=None,
              help="Assumed output tokens when an outcome has no response and no cost_usd.")
@click.option("--force", is_flag=True, help="Overwrite router.yaml / config.yaml in --out.")
@click.option("--quiet", is_flag=True, help="No tables on stdout.")
def design_command(data: Sequence[Path], candidates: str, target: float, delta: float, max_tiers: int, out: Path,
                   json_out: Path | None, plot: Path | None, prices: Path | None, test_data: Path | None,
                   calib_fraction: float, select_fraction: float, split_seed: int, routers: str,
                   cascade_spec: str | None, holdout_size: int | None, alias: str, output_tokens: int | None,
                   force: bool, quiet: bool) -> None:
    """Pick the cheapest ladder and thresholds keeping --target of the best model's quality, with probability
    at least 1 - --delta (learn-then-test on a calibration split); write router.yaml and config.yaml to --out.

    Exits 1 when the target cannot be certified (the best frontier point is reported).
    """
    from ..evaluation.cascade import has_responses
    from ..evaluation.dataset import calibration_mask, load_eval_set
    from ..evaluation.design import check, design, refuse_existing, write_design
    from ..evaluation.outcomes import RecordedOutcomes
    from ..evaluation.prices import find_prices

    started = time.perf_counter()
    notes: list[str] = []
    with user_errors():
        if not force:
            refuse_existing(out)  # before the run, not after it
        eval_set = _load_sets(data)
        table_prices = find_prices(data[0], prices, litellm_map_price)
        models = _candidates(eval_set, candidates, table_prices)
        source = RecordedOutcomes(table_prices, output_tokens)
        table = source.table(eval_set, models)
        notes.extend(_left_out(eval_set, models, table, candidates))
        if test_data is not None:
            test_set = load_eval_set(test_data)
            calib, test = table, source.table(test_set, models)
            shared = {i.id for i in eval_set.items} & {i.id for i in test_set.items}
            if shared:
                notes.append(f"{len(shared)} of the {len(test_set.items)} --test-data items are also in --data: the "
                             "test check is partly in-sample, not on fresh items")
        else:
            mask = np.array(calibration_mask(table.items, calib_fraction, split_seed, eval_set.path), dtype=bool)
            calib, test = table.take(mask), table.take(~mask)
        names = [n.strip() for n in routers.split(",") if n.strip()]
        unknown = [n for n in names if n not in DEFAULT_FAMILIES]
        if unknown:
            raise click.UsageError(f"--routers: unknown family {unknown[0]!r}; allowed: {', '.join(DEFAULT_FAMILIES)}")
        specs = _family_specs(names, cascade_spec, has_responses(table), notes, [i.prompt_text for i in table.items])
        specs, families = _score(specs, calib.items, notes)
        try:
            result = design(calib, families, target=target, delta=delta, max_tiers=max_tiers,
                            select_fraction=select_fraction, seed=split_seed,
                            holdout=test.n if holdout_size is None else holdout_size)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        result.notes[:0] = notes
        if (priced := table_prices.borrowed_note()) is not None:
            result.notes.append(priced)
        if test.n:
            _, test_families = _score(specs, test.items, [])
            result.test = check(result, test, test_families)
        result.seconds = time.perf_counter() - started
        written = write_design(result, out, table_prices, alias=alias, force=force) if result.reached else []
        result.notes += [f"wrote {p}" for p in written]
        console: Console = _console(quiet or str(json_out) == "-")
        label = eval_set.path + (f" (test: {test_data})" if test_data else f" (calibration {calib_fraction:.0%})")
        render_design(result, console, data=label)
        _write_json(json_out, {"data": [str(d) for d in data], "test_data": str(test_data) if test_data else None,
                               "candidate_models": models, **result.to_dict()})
        if plot is not None:
            write_design_plot(result, plot)
    if not result.reached:
        raise SystemExit(1)
