"""The three-row header of a report table (group / sub-column / unit) and its merged cells, shared by the
HJ 76 daily PDF (:mod:`ecosentry.subsystems.monitoring.reports.pdf`) and the generic sheets
(:mod:`ecosentry.subsystems.monitoring.reports.tabular`): one layout, below both, so neither imports the other
(the sheets use the PDF's colours)."""

from __future__ import annotations

__all__ = ["header_layout"]


def header_layout(cols, *, merge_empty_unit: bool = True) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """The three header rows' texts (group / sub-column / unit) and the merged ranges (row0, col0, row1, col1;
    0-based, inclusive). ``cols`` are :class:`~ecosentry.subsystems.monitoring.reports.tabular.SheetColumn` or ``(group, sub, unit)`` triples; consecutive
    columns of one group share a merged group cell, a column whose sub-title repeats its group spans the
    group and sub rows (and the unit row too when it has no unit and ``merge_empty_unit``)."""
    cols = [c if isinstance(c, tuple) else (c.group, c.sub, c.unit) for c in cols]
    r0, r1, r2 = [], [], []
    spans: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(cols):
        j = i
        while j + 1 < len(cols) and cols[j + 1][0] == cols[i][0]:
            j += 1
        single = i == j and cols[i][0] == cols[i][1]
        for k in range(i, j + 1):
            r0.append(cols[i][0] if k == i else "")
            r1.append("" if single else cols[k][1])
            r2.append(cols[k][2])
        if single:
            spans.append((0, i, 1 if cols[i][2] or not merge_empty_unit else 2, i))
        elif j > i:
            spans.append((0, i, 0, j))
        i = j + 1
    return [r0, r1, r2], spans
