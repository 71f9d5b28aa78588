"""The concentration chart shared by the daily, monthly and yearly report PDFs (matplotlib, CJK font)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from ecosentry.reports.fonts import register_matplotlib_font

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def concentration_chart_png(columns: Sequence, rows: Sequence, x: list[int], tick_labels: list[str], *,
                            medium: str, xlabel: str, title: str, empty_text: str, height_in: float,
                            dpi: int = 150) -> bytes:
    """PNG of the rows' concentrations: measured solid, 折算 dashed, one colour per pollutant group, invalid
    rows as hollow red markers. ``columns`` carry ``chart`` ('measured'|'corrected'|None), ``group_zh``,
    ``label_zh``, ``unit`` and ``key``; ``rows`` carry ``cells`` (key → cell with ``value`` and ``valid``)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = register_matplotlib_font()
    fig = Figure(figsize=(10.5, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    groups: list[str] = []
    plotted = False
    for col in columns:
        if not col.chart:
            continue
        if col.group_zh not in groups:
            groups.append(col.group_zh)
        color = PALETTE[groups.index(col.group_zh) % len(PALETTE)]
        cells = [r.cells.get(col.key) for r in rows]
        y = [c.value if c is not None and c.valid and c.value is not None else math.nan for c in cells]
        if any(not math.isnan(v) for v in y):
            ax.plot(x, y, "-" if col.chart == "measured" else "--", marker="o", markersize=3, color=color,
                    label=f"{col.label_zh}（{col.unit}）")
            plotted = True
        bad = [(i, c.value) for i, c in zip(x, cells) if c is not None and c.valid is False and c.value is not None]
        if bad:
            ax.plot([i for i, _ in bad], [v for _, v in bad], linestyle="none", marker="o", markersize=6,
                    markerfacecolor="none", markeredgecolor="red")
    ax.set_xticks(x)
    ax.set_xticklabels(tick_labels, fontsize=7, fontfamily=family)
    ax.set_xlabel(xlabel, fontfamily=family, fontsize=8)
    ax.set_ylabel(f"浓度（{'mg/L' if medium == 'water' else 'mg/m³'}）", fontfamily=family, fontsize=8)
    ax.set_title(title, fontfamily=family, fontsize=9)
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.tick_params(labelsize=7)
    if plotted:
        ax.legend(prop={"family": family, "size": 7}, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    else:
        ax.text(0.5, 0.5, empty_text, transform=ax.transAxes, ha="center", va="center", fontfamily=family,
                fontsize=12, color="gray")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def minmax_envelope(x, y, start: float, end: float, buckets: int):
    """Downsample a series for drawing without losing its spikes: the minimum and the maximum of each of
    ``buckets`` equal slices of ``[start, end]``.

    A mean per slice would flatten the one-minute spike that raised an alarm; the min/max envelope keeps
    every extreme (the drawing is at most ``buckets`` pixels wide anyway). Series of at most ``2 × buckets``
    points are returned as they are.

    Parameters
    ----------
    x, y : array-like of float
        Positions (sorted) and values; NaN for a missing value.
    start, end : float
        The range the slices cover (the chart's x range).
    buckets : int
        Number of slices.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        Slice centres, minima and maxima (NaN for a slice without values); for a short series ``x, y, y``.
    """
    import numpy as np

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.size <= 2 * buckets or end <= start:
        return xs, ys, ys
    edges = np.linspace(start, end, buckets + 1)
    idx = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, buckets - 1)
    lo = np.full(buckets, np.nan)
    hi = np.full(buckets, np.nan)
    ok = ~np.isnan(ys)
    np.fmin.at(lo, idx[ok], ys[ok])   # fmin/fmax ignore the NaN the slices start with
    np.fmax.at(hi, idx[ok], ys[ok])
    return (edges[:-1] + edges[1:]) / 2, lo, hi
