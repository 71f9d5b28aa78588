"""The month's O&M assessment as an Excel workbook and a PDF (issue 18 item 6): the formula with its weights, the
ranking (score, grade, the rates and every component, response and repair times, overdue work, unsupported marks,
unexplained door openings, failed checks) and the stations with their health codes; in the reader's language,
with the core's report font (:func:`ecosentry.reports.fonts.reportlab_font`, Chinese, Vietnamese and English)
and the workbook style of :mod:`ecosentry.reports.table_xlsx`. Its input is the ranking page's view
(``web.ranking.ranking_view``), so page and reports agree."""

from __future__ import annotations

import io
from collections.abc import Callable
from xml.sax.saxutils import escape

from ecosentry.subsystems.om.words import COMPONENTS, GRADES, HEALTH

__all__ = ["assessment_tables", "assessment_xlsx", "assessment_pdf"]


def _pct(fmt, x) -> str:
    return "—" if x is None else fmt.percent(x, 2)


def _num(fmt, x, decimals: int = 1) -> str:
    return "—" if x is None else fmt.number(x, decimals)


def assessment_tables(view: dict, _: Callable[[str], str], fmt) -> tuple[str, list[str], list[tuple[str, list[str],
                                                                                                   list[list]]]]:
    """Title, heading lines and tables (title, columns, rows of text) of the report."""
    title = _("O&M assessment %(month)s") % {"month": view["month"]}
    lines = [view["formula"]] + [f"{letter} = {_(name)} ({_('weight')} {view['weights'].get(k, 0):g})"
                                 for k, (letter, name) in COMPONENTS.items()]
    lines.append(f"N = {_('Overdue work orders and planned work not done in time')}")
    if view.get("provisional"):
        title = f"{title} ({_('provisional')})"
        until = view.get("until")
        lines.insert(0, _("This month has not ended: the ranking is provisional, computed by the same rules over the "
                          "days so far (to %(until)s).") % {"until": until.strftime("%Y-%m-%d %H:%M") if until else "—"})
    ranking = [[str(r["rank"]), r["name"], _num(fmt, r["score"]), _(GRADES.get(r["grade"], r["grade"])),
                str(r["points"]), _pct(fmt, r["transmission_rate"]), _pct(fmt, r["effective_transmission_rate"]),
                *[_num(fmt, r["components"].get(k), 3) for k in COMPONENTS],
                _num(fmt, r["detail"].get("mean_response_hours")), _num(fmt, r["detail"].get("mean_repair_hours")),
                str(r["detail"].get("overdue", 0)),
                f"{r['detail'].get('unsupported_marks', 0)} / {r['detail'].get('marks', 0)}",
                str(r["unexplained_doors"]), f"{r['detail'].get('failed_checks', 0)} / {r['detail'].get('checks', 0)}"]
               for r in view["rows"]]
    rank_cols = [_("Rank"), _("O&M organisation"), _("Score"), _("Grade"), _("Points"), _("Transmission rate"),
                 _("Effective transmission rate"), *[letter for letter, _n in COMPONENTS.values()],
                 _("Mean response (h)"), _("Mean repair (h)"), _("Overdue"), _("Unsupported marks"),
                 _("Unexplained door openings"), _("Failed checks")]
    stations = [[s["organisation"], _(HEALTH.get(s["health"], s["health"])), s["enterprise_name"], s["point_name"],
                 s["region_name"], _num(fmt, s["score"]), _pct(fmt, s["detail"].get("effective_transmission_rate")),
                 str(s["critical"]), f"{s['detail'].get('unsupported_marks', 0)} / {s['detail'].get('marks', 0)}",
                 f"{s['detail'].get('failed_checks', 0)} / {s['detail'].get('checks', 0)}"]
                for s in view["stations"]]
    station_cols = [_("O&M organisation"), _("Health code"), _("Enterprise"), _("Monitoring point"), _("Region"),
                    _("Score"), _("Effective transmission rate"), _("Critical findings"), _("Unsupported marks"),
                    _("Failed checks")]
    return title, lines, [(_("Ranking"), rank_cols, ranking), (_("Stations"), station_cols, stations)]


def assessment_xlsx(view: dict, _: Callable[[str], str], fmt) -> bytes:
    """Two sheets, ranking and stations, each with the title and the formula above a frozen, filterable header;
    the red stations shaded."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from ecosentry.reports.table_xlsx import FONT, HEADER_FILL, MARK_FILL, sheet_title

    title, lines, tables = assessment_tables(view, _, fmt)
    wb = Workbook()
    wb.remove(wb.active)
    font, bold = Font(name=FONT, size=10), Font(name=FONT, size=10, bold=True)
    red = [s["health"] == "red" for s in view["stations"]]
    for (name, cols, rows), marked in zip(tables, ([False] * len(view["rows"]), red)):
        ws = wb.create_sheet(sheet_title(name))
        ws.cell(1, 1, title).font = Font(name=FONT, size=14, bold=True)
        for i, line in enumerate(lines, start=2):
            ws.cell(i, 1, line).font = font
        head = len(lines) + 2
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(head, j, c)
            cell.font, cell.fill = bold, HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[get_column_letter(j)].width = max(8, min(40, 2 * len(c) + 2))
        for i, row in enumerate(rows, start=head + 1):
            for j, value in enumerate(row, start=1):
                cell = ws.cell(i, j, value)
                cell.font = font
                if marked[i - head - 1]:
                    cell.fill = MARK_FILL
        ws.freeze_panes = ws.cell(head + 1, 1)
        ws.auto_filter.ref = f"A{head}:{get_column_letter(len(cols))}{max(head, head + len(rows))}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def assessment_pdf(view: dict, _: Callable[[str], str], fmt) -> bytes:
    """A4 landscape; Noto Sans SC Regular subset to the document's characters."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ecosentry.reports.fonts import reportlab_font

    title, lines, tables = assessment_tables(view, _, fmt)
    texts = [title, *lines] + [x for t, cols, rows in tables for x in (t, *cols, *(c for r in rows for c in r))]
    font = reportlab_font("".join(texts))
    h1 = ParagraphStyle("h1", fontName=font, fontSize=14, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=7.5, leading=9.5)
    page = landscape(A4)
    width = page[0] - 20 * mm
    story = [Paragraph(escape(title), h1), *[Paragraph(escape(x), body) for x in lines], Spacer(1, 3 * mm)]
    health_colours = {"green": "#C8E6C9", "yellow": "#FFF59D", "red": "#FFCDD2"}
    for (t, cols, rows), key in zip(tables, ("ranking", "stations")):
        story.append(Paragraph(escape(t), h2))
        if not rows:
            story.append(Paragraph("—", body))
            continue
        data = [[Paragraph(escape(c), body) for c in cols]] + [[Paragraph(escape(c), body) for c in r] for r in rows]
        weights = [2.6 if c in (_("O&M organisation"), _("Enterprise"), _("Monitoring point")) else 1.0 for c in cols]
        table = Table(data, colWidths=[width * x / sum(weights) for x in weights], repeatRows=1)
        style = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if key == "stations":
            style += [("BACKGROUND", (1, i), (1, i), colors.HexColor(health_colours.get(s["health"], "#FFFFFF")))
                      for i, s in enumerate(view["stations"], start=1)]
        table.setStyle(TableStyle(style))
        story.append(table)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=page, leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm,
                      bottomMargin=10 * mm, title=title).build(story)
    return buf.getvalue()
