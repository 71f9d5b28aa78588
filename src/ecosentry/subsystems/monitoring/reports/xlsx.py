"""The daily report (:class:`~ecosentry.subsystems.monitoring.reports.model.DailyReport`) as an Excel workbook (openpyxl).

Layout: title row, three header-information rows, a three-row column header (pollutant group merged
across its columns / quantity / unit, 时间 and 状态 merged vertically), one row per local hour, the
summary rows, then the notes. Values are numbers with a number format of the column's decimals; an
invalid hour keeps its number, shaded red with a ``*`` suffix in the number format, and its row's
状态/说明 cells say why. Missing values are the text ``—``. Panes are frozen below the header and
right of the time column.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ecosentry.subsystems.monitoring.reports.model import MISSING, DailyReport

__all__ = ["daily_report_xlsx", "HEADER_ROW", "FIRST_DATA_ROW"]

FONT = "Noto Sans CJK SC"
HEADER_ROW = 6          # first of the three header rows
FIRST_DATA_ROW = HEADER_ROW + 3
INVALID_FILL = PatternFill("solid", fgColor="F8CBAD")
MISSING_FILL = PatternFill("solid", fgColor="EDEDED")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SUMMARY_FILL = PatternFill("solid", fgColor="FFF2CC")
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _fmt(decimals: int, invalid: bool = False) -> str:
    base = "0" if decimals <= 0 else "0." + "0" * decimals
    return base + '"*"' if invalid else base


def daily_report_xlsx(report: DailyReport) -> bytes:
    """Render ``report`` as an XLSX workbook; returns the file's bytes."""
    h = report.header
    cols = report.columns
    wb = Workbook()
    ws = wb.active
    ws.title = f"日报表 {h.day.isoformat()}"
    n = len(cols) + 3  # 时间 + columns + 状态 + 说明
    last = get_column_letter(n)
    font = Font(name=FONT, size=10)
    bold = Font(name=FONT, size=10, bold=True)

    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = report.title
    ws["A1"].font = Font(name=FONT, size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 28
    info = [
        f"企业名称：{h.enterprise}    统一社会信用代码：{h.credit_code}",
        f"排放口：{h.outlet}（{h.outlet_code}）    监测点：{h.point}    MN：{h.mn}",
        f"日期：{h.day.isoformat()}    时区：{h.tz}"
        + (f"    基准氧含量：{h.ref_o2:g} %" if h.medium == "gas" and h.ref_o2 is not None else ""),
    ]
    for i, text in enumerate(info, start=2):
        ws.merge_cells(f"A{i}:{last}{i}")
        ws[f"A{i}"] = text
        ws[f"A{i}"].font = font

    # three-row header
    r0 = HEADER_ROW
    for col, title in ((1, "时间"), (n - 1, "状态"), (n, "说明")):
        ws.merge_cells(start_row=r0, start_column=col, end_row=r0 + 2, end_column=col)
        ws.cell(r0, col, title)
    i = 0
    while i < len(cols):
        j = i
        while j + 1 < len(cols) and cols[j + 1].group_zh == cols[i].group_zh:
            j += 1
        if cols[i].group_zh == cols[i].sub_zh and i == j:
            ws.merge_cells(start_row=r0, start_column=i + 2, end_row=r0 + 1, end_column=i + 2)
        elif j > i:
            ws.merge_cells(start_row=r0, start_column=i + 2, end_row=r0, end_column=j + 2)
        ws.cell(r0, i + 2, cols[i].group_zh)
        for k in range(i, j + 1):
            if not (cols[k].group_zh == cols[k].sub_zh and i == j):
                ws.cell(r0 + 1, k + 2, cols[k].sub_zh)
            ws.cell(r0 + 2, k + 2, cols[k].unit)
        i = j + 1
    for r in range(r0, r0 + 3):
        for c in range(1, n + 1):
            cell = ws.cell(r, c)
            cell.font, cell.alignment, cell.fill, cell.border = bold, CENTER, HEADER_FILL, BORDER

    # hourly rows
    r = FIRST_DATA_ROW
    for row in report.rows:
        ws.cell(r, 1, row.label)
        for k, col in enumerate(cols, start=2):
            cell = row.cells.get(col.key)
            x = ws.cell(r, k)
            if cell is None or cell.value is None:
                x.value = MISSING
                x.alignment = Alignment(horizontal="center")
                if cell is not None and cell.valid is False:
                    x.value = MISSING + "*"
                    x.fill = INVALID_FILL
                else:
                    x.fill = MISSING_FILL
            else:
                x.value = cell.value
                x.number_format = _fmt(col.decimals, cell.valid is False)
                if cell.valid is False:
                    x.fill = INVALID_FILL
        ws.cell(r, n - 1, row.status)
        if row.status == "无效":
            ws.cell(r, n - 1).fill = INVALID_FILL
        ws.cell(r, n, "；".join(row.reasons) if row.reasons else None)
        r += 1

    # summary rows
    for srow in report.summary:
        ws.cell(r, 1, srow.label)
        for k, col in enumerate(cols, start=2):
            v = srow.values.get(col.key)
            x = ws.cell(r, k)
            if srow.key == "total" and not col.total:
                x.value = None
            elif v is None:
                x.value = MISSING
                x.alignment = Alignment(horizontal="center")
            else:
                x.value = v
                x.number_format = "0" if srow.integer else _fmt(col.decimals)
        if srow.key == "total":
            units = sorted({c.total_unit for c in cols if c.total})
            ws.cell(r, n - 1, "单位：" + "、".join(units))
        for c in range(1, n + 1):
            ws.cell(r, c).fill = SUMMARY_FILL
        r += 1
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW, max_row=r - 1, max_col=n):
        for x in row:
            x.border = BORDER
            x.font = font
    for rr in range(r - len(report.summary), r):
        ws.cell(rr, 1).font = bold
    r += 1
    for note in report.notes:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
        ws.cell(r, 1, note).font = Font(name=FONT, size=9, italic=True)
        r += 1

    ws.column_dimensions["A"].width = 9
    for k, col in enumerate(cols, start=2):
        ws.column_dimensions[get_column_letter(k)].width = max(10, len(col.unit) + 4)
    ws.column_dimensions[get_column_letter(n - 1)].width = 8
    ws.column_dimensions[get_column_letter(n)].width = 40
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 2)
    ws.print_options.horizontalCentered = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = f"{report.title} {h.point} {h.day.isoformat()}"

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
