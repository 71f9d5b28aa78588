"""The daily report (:class:`~ecosentry.subsystems.monitoring.reports.model.DailyReport`) as a PDF (reportlab, A4 landscape).

Page 1: title, header information, the hourly table (same content as the XLSX: three-row header with
merged pollutant groups, 24 hourly rows with invalid cells shaded and marked ``*``, missing ``—``, the
summary rows). Then a chart of the day's hourly measured (solid) and 折算 (dashed) concentrations drawn
with matplotlib (Agg) and embedded as a PNG, the reasons of the invalid hours and the notes.

Chinese text: Noto Sans SC Regular (from the PyPI wheel ``justmytype-intl-cjk``), embedded as a subset
(see :mod:`ecosentry.reports.fonts`); the chart uses the same font through matplotlib's font manager.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ecosentry.reports.chart import concentration_chart_png
from ecosentry.reports.fonts import reportlab_font
from ecosentry.subsystems.monitoring.reports.layout import header_layout
from ecosentry.subsystems.monitoring.reports.model import MISSING, DailyReport

__all__ = ["daily_report_pdf", "daily_report_chart_png"]

INVALID_BG = colors.HexColor("#F8CBAD")
MISSING_BG = colors.HexColor("#EDEDED")
HEADER_BG = colors.HexColor("#DDEBF7")
SUMMARY_BG = colors.HexColor("#FFF2CC")


def daily_report_chart_png(report: DailyReport, *, dpi: int = 150) -> bytes:
    """PNG of the day's hourly measured and 折算 concentrations (invalid hours as hollow red markers)."""
    h = report.header
    return concentration_chart_png(
        report.columns, report.rows, list(range(len(report.rows))), [r.label[:2] for r in report.rows],
        medium=h.medium, xlabel=f"时（{h.tz}）",
        title=f"{h.point} {h.day.isoformat()} 小时浓度（实线：实测；虚线：折算；红圈：无效小时）",
        empty_text="当日无有效浓度数据", height_in=3.6, dpi=dpi)


def _table_data(report: DailyReport) -> tuple[list[list[str]], list[tuple]]:
    cols = report.columns
    n = len(cols) + 2
    (h0, h1, h2), spans = header_layout([(c.group_zh, c.sub_zh, c.unit) for c in cols], merge_empty_unit=False)
    r0, r1, r2 = ["时间", *h0, "状态"], ["", *h1, ""], ["", *h2, ""]
    # reportlab spans are (col, row); the time column comes first
    style: list[tuple] = [("SPAN", (c0 + 1, row0), (c1 + 1, row1)) for row0, c0, row1, c1 in spans]
    style += [("SPAN", (0, 0), (0, 2)), ("SPAN", (n - 1, 0), (n - 1, 2)),
              ("BACKGROUND", (0, 0), (-1, 2), HEADER_BG)]
    data = [r0, r1, r2]
    for row in report.rows:
        line = [row.label]
        for k, col in enumerate(cols, start=1):
            cell = row.cells.get(col.key)
            if cell is None:
                line.append(MISSING)
                continue
            line.append(cell.text(col.decimals))
            if cell.valid is False:
                style.append(("BACKGROUND", (k, len(data)), (k, len(data)), INVALID_BG))
            elif cell.missing:
                style.append(("BACKGROUND", (k, len(data)), (k, len(data)), MISSING_BG))
        line.append(row.status)
        if row.status == "无效":
            style.append(("BACKGROUND", (n - 1, len(data)), (n - 1, len(data)), INVALID_BG))
        data.append(line)
    first_summary = len(data)
    for srow in report.summary:
        line = [srow.label]
        for col in cols:
            v = srow.values.get(col.key)
            if srow.key == "total" and not col.total:
                line.append("")
            elif v is None:
                line.append(MISSING)
            elif srow.integer:
                line.append(str(int(v)))
            else:
                line.append(f"{v:.{col.decimals}f}")
        line.append("单位 " + "、".join(sorted({c.total_unit for c in cols if c.total})) if srow.key == "total"
                    else "")
        data.append(line)
    style.append(("BACKGROUND", (0, first_summary), (-1, -1), SUMMARY_BG))
    return data, style


def daily_report_pdf(report: DailyReport) -> bytes:
    """Render ``report`` as a PDF (A4 landscape); returns the file's bytes."""
    h = report.header
    info = [
        f"企业名称：{h.enterprise}　　统一社会信用代码：{h.credit_code}",
        f"排放口：{h.outlet}（{h.outlet_code}）　　监测点：{h.point}　　MN：{h.mn}",
        f"日期：{h.day.isoformat()}　　时区：{h.tz}"
        + (f"　　基准氧含量：{h.ref_o2:g} %" if h.medium == "gas" and h.ref_o2 is not None else ""),
    ]
    data, tstyle = _table_data(report)
    reasons = [f"{r.label}　{'；'.join(r.reasons)}" for r in report.rows if r.reasons]
    all_text = "".join([report.title, "第页共", *info, *("".join(row) for row in data), *reasons, *report.notes,
                        "无效小时说明", "说明", "第 页"])
    font = reportlab_font(all_text)

    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, alignment=1, spaceAfter=3)
    info_style = ParagraphStyle("info", fontName=font, fontSize=8.5, leading=11)
    note_style = ParagraphStyle("note", fontName=font, fontSize=7.5, leading=10, textColor=colors.HexColor("#333333"))
    h2_style = ParagraphStyle("h2", fontName=font, fontSize=9.5, leading=13, spaceBefore=4)

    page_w, page_h = landscape(A4)
    margin = 10 * mm
    avail = page_w - 2 * margin
    n = len(data[0])
    first_w, status_w = 38, 44
    other_w = (avail - first_w - status_w) / (n - 2)
    table = Table(data, colWidths=[first_w] + [other_w] * (n - 2) + [status_w], rowHeights=10.2, repeatRows=3)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), font),
        ("FONTSIZE", (0, 0), (-1, -1), 6.3),
        ("LEADING", (0, 0), (-1, -1), 7.5),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#808080")),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 1),
        ("RIGHTPADDING", (0, 0), (-1, -1), 1),
        *tstyle,
    ]))

    chart = io.BytesIO(daily_report_chart_png(report))
    chart_w = avail
    chart_h = chart_w * 3.6 / 10.5
    gap = "&nbsp;" * 6  # Paragraph collapses spaces; the texts themselves are escaped (names may hold & or <)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(gap.join(escape(part) for part in text.split("　　")), style)

    story = [para(report.title, title_style), *(para(t, info_style) for t in info), Spacer(1, 3), table,
             Spacer(1, 6), Image(chart, width=chart_w, height=chart_h)]
    if reasons:
        story.append(para("无效小时说明", h2_style))
        story += [para(t, note_style) for t in reasons]
    story.append(para("说明", h2_style))
    story += [para(t, note_style) for t in report.notes]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(margin, 6 * mm, f"{report.title}　{h.point}　MN {h.mn}　{h.day.isoformat()}")
        canvas.drawRightString(page_w - margin, 6 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(page_w, page_h), leftMargin=margin, rightMargin=margin,
                            topMargin=margin, bottomMargin=12 * mm, title=f"{report.title} {h.point} {h.day}",
                            author="ecosentry")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
