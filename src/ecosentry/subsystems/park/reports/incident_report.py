"""The report of one incident (突发事件报告) as PDF: the warning, the wind, the release the zones assume, a map
(boundary, AEGL-3/2/1 threat zones, stations, sources, receptors, drawn with reportlab's vector graphics in park
metres), the zones, the receptors affected, the ranked sources with their reasons and the timeline; in the reader's
language and the park's local time, with the core's CJK font (:func:`ecosentry.reports.fonts.reportlab_font`).
Its input is the incident page's context (:func:`..web.pages.incident_context`), so page and report agree."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from xml.sax.saxutils import escape

__all__ = ["incident_report_pdf", "incident_lines"]


def incident_lines(ctx: dict, _: Callable[[str], str], when: Callable[[datetime], str], number: Callable
                   ) -> tuple[str, list[str], list[tuple[str, list[str], list[list[str]]]]]:
    """Title, heading lines and tables (title, columns, rows) of the report, as text in the reader's language."""
    inc, w = ctx["inc"], ctx["w"]
    substance = _(w["substances"].get(inc["factor"], inc["factor"]))
    title = f"{_('Incident')} · {ctx['park']['name']} · {substance} · {inc['station_name'] or inc['station_code']}"
    lines = [f"{_('Time')}: {when(inc['at'])}",
             f"{_('Level')}: {_(w['levels'].get(inc['level'], str(inc['level'])))} · "
             f"{_(w['transitions'].get(inc['transition'], inc['transition']))}"]
    current = next((e["said"] for e in inc["timeline"] if e["id"] == inc["id"]), "")
    if current:
        lines.append(current)
    wind = ctx.get("wind")
    if wind:
        lines.append(f"{_('Wind at the warning')}: {_('from %(deg)s°') % {'deg': round(wind['from_deg'])}}, "
                     f"{number(wind['speed_m_s'], 1)} m/s, {_('stability class %(cls)s') % {'cls': wind['stability']}}")
    rel = ctx.get("release")
    if rel:
        name = next((c["name"] for c in ctx["ranking"] if c["source"] == rel["source"]), rel["source"])
        lines.append(_("The zones assume a release from %(source)s at %(rate)s g/s")
                     % {"source": name, "rate": "%.3g" % rel["rate_g_s"]}
                     + (f" ({_('assumed rate: the traceback fitted none')})" if rel.get("assumed") else ""))
    tables = [
        (_("Threat zones"), [_("Zone"), _("Threshold (mg/m³)"), _("Downwind extent (m)"), _("Half width (m)")],
         [[_(w["zones"].get(z["name"], z["name"])), number(z["threshold_mg_m3"], 3), number(z["extent_m"], 0),
           number(z["half_width_m"], 0)] for z in ctx["zones"]]),
        (_("Receptors affected"), [_("Receptor"), _("Kind"), _("Population"), _("Zone")],
         [[r["name"], _(w["kinds"].get(r["kind"], r["kind"])), "—" if r.get("population") is None
           else str(r["population"]), _(w["zones"].get(r["zone"], r["zone"]))] for r in ctx["affected"]]),
        (_("Ranked sources"), ["#", _("Emission source"), _("Enterprise"), _("Score"), _("Reason")],
         [[str(i + 1), c["name"], c["enterprise_name"], number(c["score"], 2), c["said"]]
          for i, c in enumerate(ctx["ranking"])]),
        (_("Timeline"), [_("Time"), _("Event"), _("Level"), _("Value (mg/m³)"), _("What happened")],
         [[when(e["at"]), _(w["transitions"].get(e["transition"], e["transition"])),
           _(w["levels"].get(e["level"], str(e["level"]))), number(e["value"], 3), e["said"]]
          for e in inc["timeline"]]),
    ]
    return title, lines, tables


def _map(ctx: dict, width: float, font: str):
    """The park map as reportlab vector graphics (north up, metres scaled to ``width`` points)."""
    from reportlab.graphics.shapes import Circle, Drawing, Polygon, Rect, String
    from reportlab.lib import colors

    from ecosentry.subsystems.park.maplayout import LEVEL_COLOURS, ZONE_COLOURS, extent

    park = ctx["park"]
    x0, y0, x1, y1 = extent(park, ctx["zones"])
    k = width / (x1 - x0)
    height = min((y1 - y0) * k, 320.0)
    k = min(k, height / (y1 - y0))
    d = Drawing(width, height)
    d.add(Rect(0, 0, width, height, fillColor=colors.HexColor("#F7F9F7"), strokeColor=colors.grey))

    def pt(x, y):
        return (x - x0) * k, (y - y0) * k

    for z in sorted(ctx["zones"], key=lambda z: z["name"]):
        if len(z["polygon"]) >= 3:
            d.add(Polygon([c for p in z["polygon"] for c in pt(*p)], fillColor=colors.HexColor(
                ZONE_COLOURS.get(z["name"], "#999999")), fillOpacity=0.5, strokeColor=colors.grey, strokeWidth=0.3))
    if park.get("boundary"):
        d.add(Polygon([c for p in park["boundary"] for c in pt(*p)], fillColor=None,
                      strokeColor=colors.HexColor("#37474F"), strokeWidth=1.2, strokeDashArray=[4, 2]))
    for s in park["sources"]:
        x, y = pt(s["x"], s["y"])
        d.add(Polygon([x, y + 4, x - 4, y - 3, x + 4, y - 3], fillColor=colors.HexColor("#263238"), strokeColor=None))
        d.add(String(x + 5, y - 2, s.get("enterprise_name") or s["code"], fontName=font, fontSize=6))
    for r in park["receptors"]:
        x, y = pt(r["x"], r["y"])
        d.add(Rect(x - 3, y - 3, 6, 6, fillColor=colors.HexColor("#7B1FA2"), strokeColor=None))
        d.add(String(x + 5, y - 2, r["name"], fontName=font, fontSize=7, fillColor=colors.HexColor("#4A148C")))
    for st in park["stations"]:
        x, y = pt(st["x"], st["y"])
        colour = "#90A4AE" if st["tier"] == "met" else LEVEL_COLOURS.get(int(st.get("level") or 0), "#2e7d32")
        d.add(Circle(x, y, 3.5, fillColor=colors.HexColor(colour), strokeColor=colors.white))
        d.add(String(x + 5, y + 3, st.get("name") or st["code"], fontName=font, fontSize=6))
    return d


def incident_report_pdf(ctx: dict, _: Callable[[str], str], when: Callable[[datetime], str],
                        number: Callable) -> bytes:
    """A4 portrait; Noto Sans SC Regular subset to the document's characters (Chinese, Vietnamese, English)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from ecosentry.reports.fonts import reportlab_font

    title, lines, tables = incident_lines(ctx, _, when, number)
    park = ctx["park"]
    names = [x.get("name") or "" for x in park["stations"] + park["receptors"]] + \
        [x.get("enterprise_name") or x["code"] for x in park["sources"]]
    texts = [title, *lines, *names] + [x for t, cols, rows in tables for x in (t, *cols, *(c for r in rows for c in r))]
    font = reportlab_font("".join(texts))
    h1 = ParagraphStyle("h1", fontName=font, fontSize=14, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10)
    width = A4[0] - 24 * mm
    story = [Paragraph(escape(title), h1), *[Paragraph(escape(x), body) for x in lines], Spacer(1, 3 * mm),
             _map(ctx, width, font)]
    for t, cols, rows in tables:
        story += [Paragraph(escape(t), h2)]
        if not rows:
            story.append(Paragraph("—", body))
            continue
        data = [[Paragraph(escape(c), body) for c in cols]] + [[Paragraph(escape(c), body) for c in r] for r in rows]
        weights = [4.0 if c in (_("Reason"), _("What happened")) else 1.2 for c in cols]
        table = Table(data, colWidths=[width * x / sum(weights) for x in weights], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(table)
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                      bottomMargin=12 * mm, title=title).build(story)
    return buf.getvalue()
