"""The report of one heavy-pollution alert (应急减排执行情况及管控效果): compliance per enterprise, and the control
effect (consumption change against the baseline) per industry and per county, as the Weifang study tabulates it
(``shared/reference/subsystems.md`` §1.2, §1.5, §7 item 10); as XLSX (openpyxl) and PDF (reportlab, the CJK font
of :mod:`ecosentry.reports.fonts`).

:func:`alert_tables` turns the read model (:class:`..queries.compliance.AlertCompliance`) into plain tables in
the reader's language; the page shows the same numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from xml.sax.saxutils import escape

from ecosentry.reports.table_xlsx import sheet_title
from ecosentry.subsystems.power.queries.compliance import AlertCompliance, EnterpriseCompliance, GroupEffect

__all__ = ["ReportTable", "alert_tables", "alert_report_xlsx", "alert_report_pdf", "VERDICT_MSGIDS", "LEVEL_MSGIDS"]

VERDICT_MSGIDS = {"complies": "Complies", "breach": "Breach", "no_data": "No data"}
LEVEL_MSGIDS = {"yellow": "Yellow", "orange": "Orange", "red": "Red"}


@dataclass
class ReportTable:
    title: str
    columns: list[str]
    #: Column kinds: text | num (1 decimal) | int | pct (a fraction, shown as a signed percentage).
    kinds: list[str]
    rows: list[list] = field(default_factory=list)
    #: Rows (indices) to shade as a breach / a summary line.
    breach_rows: set[int] = field(default_factory=set)
    summary_rows: set[int] = field(default_factory=set)
    #: Sentences under the table (the findings of the breaches, with their numbers).
    notes: list[str] = field(default_factory=list)


def measures_text(e: EnterpriseCompliance, _: Callable[[str], str]) -> str:
    parts = []
    for m in e.measures():
        units = "、".join(m["names"])
        if m["measure"] == "stop":
            parts.append(f"{_('Stop')} {units}")
        else:
            used = f" ({_('used')} {100 * m['share']:.0f} %)" if m["share"] is not None else ""
            parts.append(f"{_('Limit production')} {units} ≤ {m['allowed_pct']:g} %{used}")
    return "；".join(parts)


def _group_rows(groups: list[GroupEffect], total: GroupEffect, label_total: str) -> list[list]:
    return [[g.name or "—", g.enterprises, g.judged, g.kwh if g.judged else None, g.baseline_kwh if g.judged else None,
             g.change, g.mean_change, g.stopped, g.stopped_over, g.breaches, g.no_data]
            for g in [*groups, GroupEffect("", label_total, **{k: getattr(total, k) for k in (
                "enterprises", "judged", "kwh", "baseline_kwh", "changes", "stopped", "stopped_over", "breaches",
                "no_data")})]]


def alert_tables(rep: AlertCompliance, _: Callable[[str], str]) -> list[ReportTable]:
    """The three tables of the report: enterprises, industries, counties."""
    ent = ReportTable(_("Compliance per enterprise"),
                      [_("County"), _("Enterprise"), _("Industry"), _("Measures"), _("Verdict"),
                       _("Production energy (kWh)"), _("Baseline (kWh)"), _("Change against baseline"),
                       _("Minutes running under a stop order"), _("Findings")],
                      ["text", "text", "text", "text", "text", "num", "num", "pct", "int", "int"])
    for i, e in enumerate(rep.enterprises):
        ent.rows.append([e.enterprise["region_name"], e.enterprise["name"], e.enterprise["industry"] or "—",
                         measures_text(e, _), _(VERDICT_MSGIDS[e.verdict]), e.kwh, e.baseline_kwh, e.change,
                         e.stop_running_minutes, sum(len(o.findings) for o in e.orders)])
        if e.verdict == "breach":
            ent.breach_rows.add(i)
        ent.notes += [f"{e.enterprise['name']}: {e.say(f, _)}" for o in e.orders for f in o.findings]
    cols = [_("Enterprises"), _("Judged"), _("Energy (kWh)"), _("Baseline (kWh)"), _("Change against baseline"),
            _("Mean change of the enterprises"), _("Stopped"), _("Stopped, fell > 75 %"), _("Breaches"), _("No data")]
    kinds = ["int", "int", "num", "num", "pct", "pct", "int", "int", "int", "int"]
    out = [ent]
    for title, first, groups in ((_("Control effect per industry"), _("Industry"), rep.by_industry),
                                 (_("Control effect per county"), _("County"), rep.by_region)):
        t = ReportTable(title, [first, *cols], ["text", *kinds], _group_rows(groups, rep.total, _("Total")))
        t.summary_rows.add(len(t.rows) - 1)
        out.append(t)
    return out


def _cell_text(v, kind: str) -> str:
    if v is None:
        return "—"
    if kind == "pct":
        return f"{v * 100:+.1f} %"
    if kind == "num":
        return f"{v:,.1f}"
    return str(v)


def report_heading(rep: AlertCompliance, _: Callable[[str], str], when: Callable[[datetime], str]) -> tuple[str, list[str]]:
    a = rep.alert
    title = _("Heavy-pollution alert: compliance and control effect")
    info = [f"{_('Alert')}: {_(LEVEL_MSGIDS.get(a['level'], a['level']))} · {a['issued_by']} {a.get('document') or ''}",
            f"{_('Judged period')}: {when(rep.start)} – {when(rep.end)}"
            + (f" ({_('in force')})" if rep.in_force else "")]
    return title, info


def alert_report_xlsx(rep: AlertCompliance, _: Callable[[str], str], when: Callable[[datetime], str]) -> bytes:
    """One sheet per table; numbers stay numbers (percentages as fractions with a % format)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    title, info = report_heading(rep, _, when)
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    red = PatternFill("solid", fgColor="FFC7CE")
    grey = PatternFill("solid", fgColor="E7E6E6")
    for n, t in enumerate(alert_tables(rep, _), start=1):
        ws = wb.create_sheet(sheet_title(f"{n} {t.title}"))
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=14)
        for line in info:
            ws.append([line])
        ws.append([t.title])
        ws.append(t.columns)
        for c in ws[ws.max_row]:
            c.font = bold
        for i, row in enumerate(t.rows):
            ws.append(row)
            for c, kind in zip(ws[ws.max_row], t.kinds):
                if kind == "pct":
                    c.number_format = "+0.0%;-0.0%;0.0%"
                elif kind == "num":
                    c.number_format = "#,##0.0"
                if i in t.breach_rows:
                    c.fill = red
                if i in t.summary_rows:
                    c.fill, c.font = grey, bold
        for note in t.notes:
            ws.append([note])
        for k, _col in enumerate(t.columns, start=1):
            ws.column_dimensions[ws.cell(1, k).column_letter].width = 28 if t.kinds[k - 1] == "text" else 14
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def alert_report_pdf(rep: AlertCompliance, _: Callable[[str], str], when: Callable[[datetime], str]) -> bytes:
    """A4 landscape; Noto Sans SC Regular subset to the document's characters (Chinese, Vietnamese, English)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ecosentry.reports.fonts import reportlab_font

    title, info = report_heading(rep, _, when)
    tables = alert_tables(rep, _)
    texts = [title, *info] + [x for t in tables for x in (t.title, *t.columns, *t.notes)] + \
        [_cell_text(v, k) for t in tables for row in t.rows for v, k in zip(row, t.kinds)]
    font = reportlab_font("".join(texts))
    h1 = ParagraphStyle("h1", fontName=font, fontSize=15, leading=20, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    num = ParagraphStyle("num", parent=body, alignment=2)
    story = [Paragraph(escape(title), h1), *[Paragraph(escape(x), body) for x in info]]
    width = landscape(A4)[0] - 24 * mm
    for t in tables:
        story += [Spacer(1, 3 * mm), Paragraph(escape(t.title), h2)]
        data = [[Paragraph(escape(c), body) for c in t.columns]]
        data += [[Paragraph(escape(_cell_text(v, k)), body if k == "text" else num) for v, k in zip(row, t.kinds)]
                 for row in t.rows]
        weights = [2.4 if k == "text" else 1.0 for k in t.kinds]
        table = Table(data, colWidths=[width * w / sum(weights) for w in weights], repeatRows=1)
        style = [("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#FFC7CE")) for i in t.breach_rows]
        style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#E7E6E6")) for i in t.summary_rows]
        table.setStyle(TableStyle(style))
        story.append(table)
        story += [Paragraph(escape(n), body) for n in t.notes]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                      bottomMargin=12 * mm, title=title).build(story)
    return buf.getvalue()
