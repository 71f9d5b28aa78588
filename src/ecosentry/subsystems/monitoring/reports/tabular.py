"""A generic report table (:class:`Sheet`) rendered to XLSX and PDF, shared by the monthly, yearly and
transmission-rate reports.

A :class:`Sheet` is a title, header-information lines, columns with a two-level header (group / quantity)
plus a unit row, lines of cells (data, subtotal and summary lines), notes, and optionally a chart PNG for
the PDF. Styling (fills, fonts, number formats) follows the daily report (:mod:`ecosentry.subsystems.monitoring.reports.xlsx`
and :mod:`ecosentry.subsystems.monitoring.reports.pdf`); the CJK font comes from :mod:`ecosentry.reports.fonts`.

Cell kinds: ``text``; ``num`` (``decimals``); ``int``; ``pct`` (a fraction in [0, 1], shown as a
percentage with 2 decimals). ``None`` is shown as ``—``. A cell with ``state="invalid"`` keeps its number
and is shaded red with a ``*`` suffix; ``state="missing"`` is shaded grey; ``state="exceeded"`` (a value above
its limit) is shaded red, bold, with a ``▲`` suffix.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ecosentry.reports.fonts import reportlab_font
from ecosentry.subsystems.monitoring.reports.layout import header_layout
from ecosentry.subsystems.monitoring.reports.model import INVALID_MARK, MISSING
from ecosentry.subsystems.monitoring.reports.pdf import HEADER_BG, INVALID_BG, MISSING_BG, SUMMARY_BG
from ecosentry.subsystems.monitoring.reports.xlsx import (BORDER, CENTER, FONT, HEADER_FILL, INVALID_FILL, MISSING_FILL, SUMMARY_FILL,
                                    _fmt)

__all__ = ["SheetColumn", "SheetCell", "SheetLine", "Sheet", "sheet_xlsx", "sheet_pdf", "header_layout",
           "XLSX_HEADER_ROW", "XLSX_FIRST_DATA_ROW"]

XLSX_HEADER_ROW = 6
XLSX_FIRST_DATA_ROW = XLSX_HEADER_ROW + 3
SUBTOTAL_BG = colors.HexColor("#E2EFDA")
SUBTOTAL_FILL = PatternFill("solid", fgColor="E2EFDA")
EXCEEDED_BG = colors.HexColor("#FF9C9C")
EXCEEDED_FILL = PatternFill("solid", fgColor="FF9C9C")
EXCEEDED_MARK = " ▲"


@dataclass(frozen=True)
class SheetColumn:
    group: str           # upper header, merged over consecutive columns of the same group
    sub: str             # lower header (equal to ``group`` for a single column)
    unit: str = ""
    kind: str = "num"    # text | num | int | pct
    decimals: int = 2
    width: float = 1.0   # relative width in the PDF (1 = a number column)


@dataclass
class SheetCell:
    value: float | int | str | None = None
    state: str = ""      # "" | invalid | missing | exceeded
    kind: str | None = None  # overrides the column's kind (e.g. counts in a summary line)


@dataclass
class SheetLine:
    cells: list[SheetCell]
    kind: str = "data"   # data | subtotal | summary


@dataclass
class Sheet:
    title: str
    sheet_name: str
    info: list[str]
    columns: list[SheetColumn]
    lines: list[SheetLine]
    notes: list[str] = field(default_factory=list)
    footer: str = ""
    extra_title: str = ""          # heading of ``extra`` (PDF and XLSX, below the table)
    extra: list[str] = field(default_factory=list)
    #: Heading of the notes and the page footer ("第 {page} 页"), in the report's language.
    notes_title: str = "说明"
    page_format: str = "第 {page} 页"
    #: Decimal separator of the numbers in the PDF (``,`` in Vietnamese); the XLSX keeps numbers as numbers.
    decimal_sep: str = "."
    #: PDF: long texts (headers, text columns) wrap in their cells.
    wrap_text: bool = False


def _kind(col: SheetColumn, cell: SheetCell) -> SheetColumn:
    if cell.kind and cell.kind != col.kind:
        return SheetColumn(col.group, col.sub, col.unit, cell.kind, col.decimals, col.width)
    return col


def cell_text(col: SheetColumn, cell: SheetCell, decimal_sep: str = ".") -> str:
    col = _kind(col, cell)
    v = cell.value
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        body = MISSING
    elif col.kind == "text" or isinstance(v, str):
        body = str(v)
    elif col.kind == "int":
        body = str(int(v))
    elif col.kind == "pct":
        body = f"{v * 100:.2f}%".replace(".", decimal_sep)
    else:
        body = f"{v:.{col.decimals}f}".replace(".", decimal_sep)
    if cell.state == "exceeded" and col.kind != "text":
        return body + EXCEEDED_MARK
    return body + INVALID_MARK if cell.state == "invalid" and col.kind != "text" else body


def _xlsx_format(col: SheetColumn, invalid: bool, exceeded: bool = False) -> str:
    if col.kind == "pct":
        return "0.00%"
    if col.kind == "int":
        return "0"
    return _fmt(col.decimals, invalid) + ('" ▲"' if exceeded else "")


def sheet_xlsx(sheet: Sheet) -> bytes:
    """Render ``sheet`` as an XLSX workbook; returns the file's bytes."""
    cols = sheet.columns
    n = len(cols)
    last = get_column_letter(n)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet.sheet_name[:31]
    font = Font(name=FONT, size=10)
    bold = Font(name=FONT, size=10, bold=True)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = sheet.title
    ws["A1"].font = Font(name=FONT, size=16, bold=True)
    ws["A1"].alignment = CENTER
    ws.row_dimensions[1].height = 28
    for i, text in enumerate(sheet.info[:XLSX_HEADER_ROW - 2], start=2):
        ws.merge_cells(f"A{i}:{last}{i}")
        ws[f"A{i}"] = text.replace("　　", "    ")
        ws[f"A{i}"].font = font

    rows, spans = header_layout(cols)
    for k, texts in enumerate(rows):
        for c, t in enumerate(texts, start=1):
            if t:
                ws.cell(XLSX_HEADER_ROW + k, c, t)
    for a, b, c, d in spans:
        ws.merge_cells(start_row=XLSX_HEADER_ROW + a, start_column=b + 1, end_row=XLSX_HEADER_ROW + c,
                       end_column=d + 1)
    for r in range(XLSX_HEADER_ROW, XLSX_FIRST_DATA_ROW):
        for c in range(1, n + 1):
            x = ws.cell(r, c)
            x.font, x.alignment, x.fill, x.border = bold, CENTER, HEADER_FILL, BORDER

    r = XLSX_FIRST_DATA_ROW
    for line in sheet.lines:
        for c, (col, cell) in enumerate(zip(cols, line.cells), start=1):
            col = _kind(col, cell)
            x = ws.cell(r, c)
            v = cell.value
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                x.value = MISSING + (INVALID_MARK if cell.state == "invalid" else "")
                x.alignment = Alignment(horizontal="center")
            elif col.kind == "text" or isinstance(v, str):
                x.value = v
            else:
                x.value = v
                x.number_format = _xlsx_format(col, cell.state == "invalid", cell.state == "exceeded")
            if cell.state == "invalid":
                x.fill = INVALID_FILL
            elif cell.state == "exceeded":
                x.fill = EXCEEDED_FILL
            elif cell.state == "missing":
                x.fill = MISSING_FILL
            x.border = BORDER
            x.font = bold if (line.kind != "data" and c == 1) or cell.state == "exceeded" else font
        if line.kind == "summary":
            for c in range(1, n + 1):
                ws.cell(r, c).fill = SUMMARY_FILL
        elif line.kind == "subtotal":
            for c in range(1, n + 1):
                ws.cell(r, c).fill = SUBTOTAL_FILL
        r += 1
    r += 1
    for heading, texts in ((sheet.extra_title, sheet.extra), (sheet.notes_title, sheet.notes)):
        if not texts:
            continue
        ws.cell(r, 1, heading).font = bold
        r += 1
        for t in texts:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=n)
            ws.cell(r, 1, t).font = Font(name=FONT, size=9, italic=True)
            r += 1

    for c, col in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(c)].width = (
            max(8.0, 11 * col.width) if col.kind != "text" else max(10.0, 12 * col.width))
    ws.freeze_panes = ws.cell(XLSX_FIRST_DATA_ROW, 2)
    ws.print_options.horizontalCentered = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.properties.title = sheet.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_pdf(sheet: Sheet, chart_png: bytes | None = None, *, chart_aspect: float = 3.6 / 10.5) -> bytes:
    """Render ``sheet`` as a PDF (A4 landscape): title, information, table, chart, notes."""
    cols = sheet.columns
    head, spans = header_layout(cols)
    data = [list(r) for r in head]
    style: list[tuple] = [("SPAN", (b, a), (d, c)) for a, b, c, d in spans]
    style.append(("BACKGROUND", (0, 0), (-1, 2), HEADER_BG))
    for line in sheet.lines:
        y = len(data)
        data.append([cell_text(col, cell, sheet.decimal_sep) for col, cell in zip(cols, line.cells)])
        for x, cell in enumerate(line.cells):
            if cell.state == "invalid":
                style.append(("BACKGROUND", (x, y), (x, y), INVALID_BG))
            elif cell.state == "exceeded":
                style.append(("BACKGROUND", (x, y), (x, y), EXCEEDED_BG))
            elif cell.state == "missing":
                style.append(("BACKGROUND", (x, y), (x, y), MISSING_BG))
        if line.kind == "summary":
            style.append(("BACKGROUND", (0, y), (-1, y), SUMMARY_BG))
        elif line.kind == "subtotal":
            style.append(("BACKGROUND", (0, y), (-1, y), SUBTOTAL_BG))
    all_text = "".join([sheet.title, sheet.footer, sheet.extra_title, sheet.notes_title, sheet.page_format,
                        "0123456789", *sheet.info, *sheet.extra,
                        *sheet.notes, *("".join(row) for row in data)])
    font = reportlab_font(all_text)

    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, alignment=1, spaceAfter=3)
    info_style = ParagraphStyle("info", fontName=font, fontSize=8.5, leading=11)
    note_style = ParagraphStyle("note", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#333333"))
    h2_style = ParagraphStyle("h2", fontName=font, fontSize=9.5, leading=13, spaceBefore=4)
    page_w, page_h = landscape(A4)
    margin = 10 * mm
    avail = page_w - 2 * margin
    total_w = sum(c.width for c in cols)
    widths = [avail * c.width / total_w for c in cols]
    font_size = 6.3 if len(cols) > 12 else 7.2
    row_h = 10.2 if font_size < 7 or len(data) > 32 else 11.5
    heights: float | list[float | None] = row_h
    if sheet.wrap_text:  # long names wrap inside their column instead of running over the next one
        cell_style = ParagraphStyle("cell", fontName=font, fontSize=font_size, leading=font_size + 1.2)
        head_style = ParagraphStyle("head", parent=cell_style, alignment=1)
        for y, row in enumerate(data):
            for x, text in enumerate(row):
                if text and (y < 3 or cols[x].kind == "text"):
                    row[x] = Paragraph(escape(text), head_style if y < 3 else cell_style)
        heights = [None] * len(data)
    table = Table(data, colWidths=widths, rowHeights=heights, repeatRows=3)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("LEADING", (0, 0), (-1, -1), font_size + 1.2),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#808080")),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 1),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1),
        *style,
    ]))
    gap = "&nbsp;" * 6

    def para(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(gap.join(escape(part) for part in text.split("　　")), st)

    story = [para(sheet.title, title_style), *(para(t, info_style) for t in sheet.info), Spacer(1, 3), table]
    if chart_png:
        story += [Spacer(1, 6), Image(io.BytesIO(chart_png), width=avail, height=avail * chart_aspect)]
    for heading, texts in ((sheet.extra_title, sheet.extra), (sheet.notes_title, sheet.notes)):
        if texts:
            story.append(para(heading, h2_style))
            story += [para(t, note_style) for t in texts]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(margin, 6 * mm, sheet.footer or sheet.title)
        canvas.drawRightString(page_w - margin, 6 * mm, sheet.page_format.format(page=doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(page_w, page_h), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=12 * mm, title=sheet.title, author="ecosentry")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
