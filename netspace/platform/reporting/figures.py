"""How the report's matplotlib figures leave the process: inline SVG for the HTML page (text kept as text, ids unique
per figure, so several figures live in one page) and a PDF next to it for papers; and readable log axes (a few ticks
at 1-2-5 steps labelled ``2M``, ``400M``, never scientific notation, no minor labels that overlap)."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netspace.platform.reporting import style

MAX_TICKS = 6


@dataclass(frozen=True)
class SavedFigure:
    title: str
    pdf: Path   # the figure for papers, next to index.html
    svg: str    # the same figure as an inline <svg> element


def pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig, pdf: Path, title: str) -> SavedFigure:
    """Write ``fig`` as ``pdf`` and return it with its inline SVG; the figure is closed."""
    import matplotlib

    plt = pyplot()
    try:
        fig.tight_layout()
        with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType fonts: editable text in papers
            fig.savefig(pdf, format="pdf")
        buf = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": pdf.stem}):
            fig.savefig(buf, format="svg", metadata={"Date": None})  # the provenance block dates the page
    finally:
        plt.close(fig)
    return SavedFigure(title, pdf, inline_svg(buf.getvalue(), prefix=re.sub(r"[^A-Za-z0-9_-]", "_", pdf.stem)))


def figure_html(f: SavedFigure) -> str:
    """A figure of the page: its inline SVG, its title and a link to its PDF."""
    import html

    return (f'<figure>\n{f.svg}\n<figcaption>{html.escape(f.title)} &middot; '
            f'<a href="{html.escape(f.pdf.name)}">PDF</a></figcaption>\n</figure>')


def inline_svg(text: str, prefix: str = "") -> str:
    """matplotlib's SVG document as an element for an HTML page: no XML prolog or DOCTYPE, scaled to the page, and
    every id (and every reference to one) prefixed with ``prefix``, so that several figures share one page."""
    start = text.find("<svg")
    svg = text[start:] if start >= 0 else text
    if prefix:
        ids = set(re.findall(r'\sid="([^"]+)"', svg))
        svg = re.sub(r'(\sid="|url\(#|href="#)([^")]+)',
                     lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(2)), svg)
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 style="max-width:100%;height:auto"', svg,
                  count=1)


def log_ticks(lo: float, hi: float, max_ticks: int = MAX_TICKS) -> list[float]:
    """Tick values for a log axis over [lo, hi]: 1-2-5, 1-3 or 1 per decade (every k-th decade when that is still too
    many), the densest of those with at most ``max_ticks``; evenly spaced round values when less than two of them
    fall inside (a range within one decade)."""
    if not (lo > 0 and hi > lo and math.isfinite(lo) and math.isfinite(hi)):
        return []
    d0, d1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for step in (1, 2, 3, 5, 10, 20):
        for subs in ((1, 2, 5), (1, 3), (1,)) if step == 1 else ((1,),):
            ticks = [m * 10.0 ** d for d in range(d0, d1 + 1, step) for m in subs]
            ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
            if 2 <= len(ticks) <= max_ticks:
                return ticks
            if len(ticks) < 2 and subs == (1, 2, 5) and step == 1:
                return _round_ticks(lo, hi)
    return [10.0 ** d0, 10.0 ** d1]


def _round_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    ticks = [float(t) for t in MaxNLocator(nbins=n, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi) if lo <= t <= hi]
    return [t for t in ticks if t > 0] or [lo, hi]


def log_axis(ax, which: str = "x", fmt: Callable[[float], str] = style.fmt_tick) -> None:
    """Make ``ax``'s ``which`` axis logarithmic with :func:`log_ticks` labelled by ``fmt`` (call after plotting, so
    the data limits are known); minor ticks unlabelled."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    axis = ax.xaxis if which == "x" else ax.yaxis
    data = _data_range(ax, which)
    if data is None:  # nothing positive to show: matplotlib's default log axis
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        return
    lo, hi = data
    pad = (hi / lo) ** 0.04 if hi > lo else 1.2
    lo, hi = lo / pad, hi * pad
    (ax.set_xlim if which == "x" else ax.set_ylim)(lo, hi)  # first: a constant column never gives equal limits
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_locator(FixedLocator(log_ticks(lo, hi)))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))
    axis.set_minor_formatter(NullFormatter())


def _data_range(ax, which: str) -> tuple[float, float] | None:
    """The positive data extent of ``ax`` along ``which`` (lines and scatter points)."""
    vals: list[np.ndarray] = []
    i = 0 if which == "x" else 1
    for line in ax.get_lines():
        vals.append(np.asarray(line.get_xdata() if i == 0 else line.get_ydata(), dtype=float))
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets(), dtype=float)
        if offsets.ndim == 2 and offsets.shape[1] == 2 and len(offsets):
            vals.append(offsets[:, i])
    if not vals:
        return None
    v = np.concatenate([x.ravel() for x in vals])
    v = v[np.isfinite(v) & (v > 0)]
    return (float(v.min()), float(v.max())) if v.size else None
