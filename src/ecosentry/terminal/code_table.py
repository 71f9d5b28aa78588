"""The per-code table the subsystems' benchmarks print (``bench gate``, ``bench ops``, ``bench power``): injected
violations, found, recall, findings, precision and findings per honest day of each code, its heads in the
terminal's language and its columns kept for heads wider than their numbers (a Chinese character takes two)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecosentry.said import N_
from ecosentry.terminal.messages import columns, gettext_of

__all__ = ["CODE_HEADS", "code_table"]

#: The heads and their least widths (the code's width is the caller's).
CODE_HEADS = ((N_("code"), 0), (N_("injected"), 4), (N_("found"), 5), (N_("recall"), 6), (N_("findings"), 5),
              (N_("precision"), 6), (N_("honest/day"), 8))


def _number(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


def code_table(rows: Sequence[Mapping[str, Any]], code_width: int, *, more: Sequence[tuple[str, int]] = (),
               more_cells: Callable[[Mapping[str, Any]], Sequence[str]] = lambda r: (),
               lang: str | None = None) -> list[str]:
    """The table's lines: a head, then a line per row (``code``, ``injected``, ``found``, ``recall``, ``findings``,
    ``precision``, ``honest_per_day``), with ``more`` heads (msgid, least width) filled by ``more_cells(row)``."""
    from rich.cells import cell_len

    _ = gettext_of(lang)
    spec = (*CODE_HEADS, *more)
    heads = [_(h) for h, _w in spec]
    widths = [code_width] + [max(w, cell_len(h)) for (_h, w), h in zip(spec[1:], heads[1:])]
    lines = [columns(heads, widths)]
    for r in rows:
        lines.append(columns([r["code"], str(r["injected"]), str(r["found"]), _number(r["recall"]),
                              str(r["findings"]), _number(r["precision"]), f"{r['honest_per_day']:g}",
                              *more_cells(r)], widths))
    return lines
