"""Cost-quality plots: a dependency-free SVG-in-HTML writer, and PNG only when matplotlib is installed.

Each router is drawn as its swept curve (thin) and upper hull (thick) in (total cost USD, mean quality),
against the single tiers (dots), random and the oracle. Two-tier runs add a PGR panel over strong-call share.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Sequence
from pathlib import Path

from ..errors import RouterExtError
from .replay import EvalReport, RouterResult

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")
_W, _H, _PAD = 640, 420, 56


class _Axes:
    def __init__(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        self.x0, self.x1 = min(xs), max(xs)
        self.y0, self.y1 = min(ys), max(ys)
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1
        dy = (self.y1 - self.y0) * 0.05
        self.y0, self.y1 = self.y0 - dy, self.y1 + dy

    def px(self, x: float) -> float:
        return _PAD + (x - self.x0) / (self.x1 - self.x0) * (_W - 2 * _PAD)

    def py(self, y: float) -> float:
        return _H - _PAD - (y - self.y0) / (self.y1 - self.y0) * (_H - 2 * _PAD)

    def path(self, xs: Sequence[float], ys: Sequence[float]) -> str:
        return " ".join(f"{self.px(x):.1f},{self.py(y):.1f}" for x, y in zip(xs, ys, strict=True))

    def frame(self, xlabel: str, ylabel: str, xfmt: str) -> list[str]:
        out = [f'<rect x="{_PAD}" y="{_PAD}" width="{_W - 2 * _PAD}" height="{_H - 2 * _PAD}" fill="none" '
               'stroke="#999"/>']
        for i in range(5):
            x = self.x0 + (self.x1 - self.x0) * i / 4
            y = self.y0 + (self.y1 - self.y0) * i / 4
            out.append(f'<text x="{self.px(x):.1f}" y="{_H - _PAD + 16}" font-size="11" text-anchor="middle">'
                       f"{xfmt.format(x)}</text>")
            out.append(f'<text x="{_PAD - 6}" y="{self.py(y) + 4:.1f}" font-size="11" text-anchor="end">{y:.3f}</text>')
        out.append(f'<text x="{_W / 2}" y="{_H - 12}" font-size="12" text-anchor="middle">{html.escape(xlabel)}</text>')
        out.append(f'<text x="14" y="{_H / 2}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 14 {_H / 2})">{html.escape(ylabel)}</text>')
        return out


def _legend(entries: Sequence[tuple[str, str]]) -> list[str]:
    return [f'<text x="{_PAD + 8}" y="{_PAD + 16 + 14 * i}" font-size="11" fill="{colour}">{html.escape(name)}</text>'
            for i, (name, colour) in enumerate(entries)]


def _svg(body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" font-family="sans-serif">'
            f'<text x="{_W / 2}" y="20" font-size="14" text-anchor="middle">{html.escape(title)}</text>'
            + "".join(body) + "</svg>")


def _curved(report: EvalReport) -> list[RouterResult]:
    return [r for r in report.results if r.curve and r.kind not in ("tier",)]


def cost_quality_svg(report: EvalReport) -> str:
    """SVG of every router's cost-quality curve and hull against the baselines."""
    routers = _curved(report)
    tiers = [r for r in report.results if r.kind in ("tier", "cascade")]
    xs = [c for r in routers for c in r.curve["cost_usd"]] + [t.cost_usd for t in tiers]
    ys = [q for r in routers for q in r.curve["quality"]] + [t.quality for t in tiers]
    axes = _Axes(xs, ys)
    body = axes.frame("total cost (USD)", "mean quality", "${:.3g}")
    legend = []
    for i, r in enumerate(routers):
        colour = _COLOURS[i % len(_COLOURS)]
        dash = ' stroke-dasharray="5,4"' if r.kind in ("random", "oracle") else ""
        pts = sorted(zip(r.curve["cost_usd"], r.curve["quality"], strict=True))
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-opacity="0.35" stroke-width="1"{dash} '
                    f'points="{axes.path([p[0] for p in pts], [p[1] for p in pts])}"/>')
        if r.hull:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2"{dash} '
                        f'points="{axes.path(r.hull["cost_usd"], r.hull["quality"])}"/>')
        body.append(f'<circle cx="{axes.px(r.cost_usd):.1f}" cy="{axes.py(r.quality):.1f}" r="3.5" fill="{colour}"/>')
        aiq = f" AIQ {r.aiq:.3f}" if r.aiq is not None else ""
        legend.append((f"{r.router}{aiq}", colour))
    for t in tiers:
        body.append(f'<circle cx="{axes.px(t.cost_usd):.1f}" cy="{axes.py(t.quality):.1f}" r="5" fill="#333"/>'
                    f'<text x="{axes.px(t.cost_usd) + 7:.1f}" y="{axes.py(t.quality) - 7:.1f}" font-size="10">'
                    f"{html.escape(t.router)}</text>")
    return _svg(body + _legend(legend), f"Cost vs quality: {report.data} (n={report.n})")


def pgr_svg(report: EvalReport) -> str | None:
    """Two tiers only: quality against strong-call share, RouteLLM's view."""
    routers = [r for r in _curved(report) if "strong_share" in r.curve]
    if len(report.tiers) != 2 or not routers:
        return None
    xs = [x for r in routers for x in r.curve["strong_share"]]
    ys = [q for r in routers for q in r.curve["quality"]]
    axes = _Axes([0.0, 1.0, *xs], ys)
    body = axes.frame("share of calls to the strong tier", "mean quality", "{:.0%}")
    legend = []
    for i, r in enumerate(routers):
        colour = _COLOURS[i % len(_COLOURS)]
        pts = sorted(zip(r.curve["strong_share"], r.curve["quality"], strict=True))
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" '
                    f'points="{axes.path([p[0] for p in pts], [p[1] for p in pts])}"/>')
        legend.append((f"{r.router} APGR {r.apgr:.2f}" if r.apgr is not None else r.router, colour))
    return _svg(body + _legend(legend), "Quality vs strong-call share")


def write_html(report: EvalReport, path: str | Path) -> None:
    panels = [cost_quality_svg(report)]
    second = pgr_svg(report)
    if second:
        panels.append(second)
    Path(path).write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>litellm-router eval</title></head>"
        f"<body>{''.join(f'<div>{p}</div>' for p in panels)}</body></html>", encoding="utf-8")


def write_png(report: EvalReport, path: str | Path) -> None:
    try:
        # Optional: looked up at run time so matplotlib is never a dependency (nor a type-check one).
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        raise RouterExtError(f"{path}: PNG output needs matplotlib (pip install matplotlib); "
                             "or write an .html plot, which needs nothing") from None
    fig, ax = plt.subplots(figsize=(8, 5))
    for r in _curved(report):
        style = "--" if r.kind in ("random", "oracle") else "-"
        if r.hull:
            ax.plot(r.hull["cost_usd"], r.hull["quality"], style, label=r.router)
    for t in (r for r in report.results if r.kind == "tier"):
        ax.scatter([t.cost_usd], [t.quality], color="black")
        ax.annotate(t.router, (t.cost_usd, t.quality), fontsize=8)
    ax.set_xlabel("total cost (USD)")
    ax.set_ylabel("mean quality")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def write_plot(report: EvalReport, path: str | Path) -> None:
    """Write ``path`` as HTML (.html/.htm/.svg-in-html) or PNG (.png), by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix in (".html", ".htm"):
        write_html(report, path)
    elif suffix == ".svg":
        Path(path).write_text(cost_quality_svg(report), encoding="utf-8")
    elif suffix == ".png":
        write_png(report, path)
    else:
        raise RouterExtError(f"{path}: unknown plot type; use a .html, .svg or .png file name")
