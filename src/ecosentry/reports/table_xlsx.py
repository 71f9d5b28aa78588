"""A list as an Excel workbook (openpyxl): a title row, one header row, one row per item; the header is
frozen and filterable, columns sized to their text. The caller gives every text already in the reader's
language and every time already in local time (naive ``datetime`` cells with a date-time number format), so
the sheet is what the page shows. Used by the alarm centre's export.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["table_xlsx", "sheet_title", "DATETIME_FORMAT"]

FONT = "Noto Sans CJK SC"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
MARK_FILL = PatternFill("solid", fgColor="F8CBAD")


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return 16
    text = str(value or "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text.split("\n")[0])  # CJK characters are two wide


def sheet_title(name: str) -> str:
    """``name`` as a worksheet title: Excel refuses ``[ ] : * ? /``, the backslash and more than 31 characters
    (a translated name such as "Cảnh báo / Báo động" may carry them)."""
    cleaned = "".join("-" if ch in '[]:*?/\\' else ch for ch in name).strip("' ") or "Sheet"
    return cleaned[:31]


def table_xlsx(sheet: str, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]],
               marked: Sequence[bool] | None = None) -> bytes:
    """The workbook's bytes. ``marked[i]`` shades row ``i`` (an overdue item); cells are text, numbers or
    naive local ``datetime`` values (no time zone: Excel has none)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(sheet)
    font, bold = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)
    ws.cell(1, 1, title).font = Font(name=FONT, size=14, bold=True)
    for j, h in enumerate(headers, start=1):
        c = ws.cell(2, j, h)
        c.font, c.fill = bold, HEADER_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    widths = [_width(h) + 2 for h in headers]
    for i, row in enumerate(rows, start=3):
        shade = marked is not None and marked[i - 3]
        for j, value in enumerate(row, start=1):
            if isinstance(value, datetime) and value.tzinfo is not None:
                raise ValueError("give local times without a time zone to the workbook")
            c = ws.cell(i, j, value)
            c.font = font
            if isinstance(value, datetime):
                c.number_format = DATETIME_FORMAT
            if shade:
                c.fill = MARK_FILL
            widths[j - 1] = max(widths[j - 1], min(60, _width(value) + 2))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{max(2, len(rows) + 2)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
