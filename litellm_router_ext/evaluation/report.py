"""Terminal rendering of replay, calibration and gate results (rich tables); JSON is ``to_dict`` on each."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from .calibrate import Calibration, SplitStats
from .gate import GateResult
from .replay import EvalReport, RouterResult


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _with_ci(value: float | None, ci: Sequence[float] | None, fmt: str = "{:.3f}") -> str:
    if value is None:
        return "-"
    text = fmt.format(value)
    return text if not ci else f"{text} [{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def _interval(ci: Sequence[float] | None, fmt: str = "{:.3f}") -> str:
    return "-" if not ci else f"{fmt.format(ci[0])} - {fmt.format(ci[1])}"


def _money(value: float | None) -> str:
    return "-" if value is None else (f"${value:,.2f}" if value >= 1 else f"${value:.4f}")


def render_eval(report: EvalReport, console: Console, *, categories: int = 10) -> None:
    """Summary, results, cascade diagnostics, category slices and worst regressions."""
    skipped = ", ".join(f"{v} {k}" for k, v in report.skipped.items()) or "none"
    console.print(f"[bold]{report.data}[/]: {report.n} items, ladder {' -> '.join(report.tiers)}; "
                  f"skipped: {skipped}; bootstrap {report.bootstrap} (seed {report.seed}); {report.seconds:.1f}s"
                  + (f"; prices: {report.prices}" if report.prices else ""))
    for note in report.notes:
        console.print(f"[yellow]note:[/] {note}")
    two = len(report.tiers) == 2
    table = Table(title="Replay results", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    # Numbers keep their width; in a narrow terminal the router name is shortened instead (kinds are in --json).
    table.add_column("router", overflow="ellipsis", no_wrap=True, max_width=_NAME_WIDTH)
    for column, width in (("quality", 7), ("cost", 7), ("top", 6), *((("APGR", 5), ("CPT50", 6), ("CPT80", 6))
                          if two else ()), ("AIQ", 5), ("saved95", 7), ("saved99", 7)):
        table.add_column(column, justify="right", no_wrap=True, min_width=width)
    for r in report.results:
        row = [_label(r.router), _num(r.quality), _money(r.cost_usd), _pct(r.shares[-1])]
        if two:
            row += [_num(r.apgr, 2), _pct(r.cpt50), _pct(r.cpt80)]
        row += [_num(r.aiq), _pct(r.saved_at_95), _pct(r.saved_at_99)]
        table.add_row(*row)
    console.print(table)
    if report.bootstrap:
        intervals = Table(title=f"95% bootstrap intervals ({report.bootstrap} resamples)", title_justify="left",
                          box=box.SIMPLE_HEAD, pad_edge=False)
        for column in ("router", "quality", *(("APGR",) if two else ()), "AIQ", "saved@95", "saved@99"):
            intervals.add_column(column, justify="left" if column == "router" else "right", no_wrap=True,
                                 overflow="ellipsis", max_width=_NAME_WIDTH if column == "router" else None,
                                 min_width=None if column == "router" else 13)
        for r in report.results:
            intervals.add_row(_label(r.router), _interval(r.ci.get("quality")),
                              *((_interval(r.ci.get("apgr"), "{:.2f}"),) if two else ()),
                              _interval(r.ci.get("aiq")), _interval(r.ci.get("saved_at_95"), "{:.1%}"),
                              _interval(r.ci.get("saved_at_99"), "{:.1%}"))
        console.print(intervals)
    _render_cascades([r for r in report.results if r.kind == "cascade"], console)
    _render_categories(report, console, categories)
    for r in report.results:
        if r.kind in ("router", "baseline", "cascade") and r.regressions and r.regressions.get("worst"):
            _render_regressions(r, console)


_NAME_WIDTH = 22


def _label(name: str) -> str:
    """A router name that fits its column. A path (``learned:runs/mine.npz+cascade``, a config file) is cut at
    the front, keeping the file name and suffix that tell rows apart; a model id is cut at the end by the
    table (the full names are in --json)."""
    if len(name) <= _NAME_WIDTH or not any(mark in name for mark in ("/", ":", "\\")):
        return name
    return "…" + name[-(_NAME_WIDTH - 1):]


def _render_cascades(results: Sequence[RouterResult], console: Console) -> None:
    if not results:
        return
    table = Table(title="Cascade diagnostics (recorded responses)", title_justify="left")
    for column in ("router", "quality", "cost", "escalation", "AUROC", "false accept", "wrong|accepted",
                   "wasted", "checked"):
        table.add_column(column, justify="left" if column == "router" else "right")
    for r in results:
        d = r.cascade or {}
        table.add_row(r.router, _num(d.get("quality")), _money(d.get("cost_usd")), _pct(d.get("escalation_rate")),
                      _num(d.get("auroc")), _pct(d.get("false_accept_rate")), _pct(d.get("accepted_wrong_share")),
                      f"{_money(d.get('wasted_usd'))} ({_pct(d.get('wasted_share'))})", str(d.get("checked", "-")))
    console.print(table)


def _render_categories(report: EvalReport, console: Console, limit: int) -> None:
    if not report.categories or limit <= 0:
        return
    names = list(report.categories[0]["routers"])
    table = Table(title=f"Quality by category ({min(limit, len(report.categories))} largest)", title_justify="left")
    table.add_column("category")
    table.add_column("n", justify="right")
    table.add_column(report.tiers[-1], justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for entry in report.categories[:limit]:
        table.add_row(entry["category"], str(entry["n"]), _num(entry["top_quality"]),
                      *(_num(entry["routers"][name]["quality"]) for name in names))
    console.print(table)


def _render_regressions(r: RouterResult, console: Console) -> None:
    assert r.regressions is not None
    table = Table(title=f"{r.router}: worst regressions ({r.regressions['count']} items where the top tier is right "
                        "and the routed answer wrong)", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=18)
    table.add_column("tier", overflow="ellipsis", min_width=8, max_width=18)
    # A LiteLLM baseline's number is its own weighted score (unbounded, may be below 0), not a difficulty in [0, 1].
    table.add_column("LiteLLM score" if r.kind == "baseline" else "difficulty", justify="right", min_width=10)
    table.add_column("prompt", overflow="ellipsis", no_wrap=True, max_width=70)
    for w in r.regressions["worst"][:5]:
        table.add_row(w["id"], w["tier"], f"{w['difficulty']:.3f}", w["prompt"].replace("\n", " "))
    console.print(table)


def _split_row(table: Table, name: str, s: SplitStats | None) -> None:
    if s is None:
        table.add_row(name, *["-"] * 6)
        return
    table.add_row(name, str(s.n), _num(s.quality), _with_ci(s.ratio, s.ratio_ci, "{:.1%}"), _money(s.cost_usd),
                  _pct(s.saved), " / ".join(_pct(x) for x in s.shares))


def render_calibration(result: Calibration, console: Console) -> None:
    bound = "point estimate, --bootstrap 0" if result.point_estimate else f"lower {result.confidence:.0%} bound"
    verdict = (f"[green]reached[/] ({_pct(result.lower_bound)}); thresholds {result.thresholds}" if result.reached
               else "[red]not reachable[/]")
    console.print(f"target {result.target:.1%} of top-tier quality ({bound}): {verdict}")
    # the table's interval is two-sided, so its low end can sit below a one-sided bound that cleared the target
    table = Table(title=f"Calibrated router ('vs top': two-sided {result.confidence:.0%} interval)",
                  title_justify="left")
    for column in ("split", "n", "quality", "vs top", "cost", "saved", "tier shares"):
        table.add_column(column, justify="left" if column == "split" else "right")
    _split_row(table, "calibration", result.calibration)
    _split_row(table, "held-out", result.heldout)
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")


def render_gate(result: GateResult, console: Console) -> None:
    table = Table(title=f"Gate: {result.router} on {result.data}", title_justify="left")
    for column in ("scope", "n", "quality", "vs top", "lower bound", "target", "saved", "result"):
        table.add_column(column, justify="left" if column in ("scope", "result") else "right")
    for c in result.checks:
        table.add_row(c.scope, str(c.n), _num(c.quality), _pct(c.ratio), _pct(c.lower_bound), _pct(c.target),
                      _pct(c.saved), "[green]pass[/]" if c.passed else f"[red]FAIL[/] {c.reason}")
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
