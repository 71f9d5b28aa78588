"""The provincial transmission report a DONRE sends (báo cáo truyền nhận dữ liệu quan trắc tự động), XLSX and PDF.

One line per station (facility, district, industrial zone, Decree 08 category, register step, files expected,
on time, late, back-filled, missing, rejected, duplicates and conflicts, completeness, QCVN exceedance hours and
days), a subtotal per facility and the province's total; the least complete stations first. Below the table:
the facilities late against the Decree 08 deadline, by district and industrial zone. Counting rules:
:mod:`~ecosentry.subsystems.monitoring.rules.vn.reception` and :mod:`~ecosentry.subsystems.monitoring.rules.vn.register`;
the rendering is the shared :mod:`~ecosentry.subsystems.monitoring.reports.tabular` (Noto Sans SC also draws
Vietnamese). Totals add the counts and compute the completeness from the sums (never an average of
percentages). The texts are in the reader's language (``gettext``), Vietnamese for a DONRE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ecosentry.subsystems.monitoring.queries.vn_reception import (StationRow, exceedance_counts,
                                                                   provincial_summary)
from ecosentry.subsystems.monitoring.queries.vn_register import late_groups, register
from ecosentry.subsystems.monitoring.reports.tabular import (Sheet, SheetCell, SheetColumn, SheetLine, sheet_pdf,
                                                             sheet_xlsx)
from ecosentry.subsystems.monitoring.rules.vn.reception import DayReception, day_bounds, sum_receptions
from ecosentry.subsystems.monitoring.rules.vn.register import CATEGORIES, STEP_LABELS

__all__ = ["TransmissionReport", "build_transmission_report", "transmission_sheet", "transmission_xlsx",
           "transmission_pdf"]

COUNTS = ("expected", "on_time", "late", "backfilled", "missing", "rejected", "duplicates", "conflicts",
          "unmapped_lines")


@dataclass
class TransmissionReport:
    """What the report says: the stations' reception over the days, their register steps and exceedances."""

    province: str
    start_day: date
    end_day: date
    tz: str
    made_at: datetime
    rows: list[StationRow]
    total: DayReception | None
    steps: dict[int, str | None]
    exceed: dict[int, dict[str, int]]
    late: list[dict]
    district: str | None = None
    industrial_zone: str | None = None
    notes: list[str] = field(default_factory=list)


def build_transmission_report(engine: Engine, point_scope, enterprise_scope, *, province: str, start_day: date,
                              end_day: date, now: datetime, tz: str = "Asia/Ho_Chi_Minh",
                              district: str | None = None, industrial_zone: str | None = None,
                              late_after_minutes: float = 5.0) -> TransmissionReport:
    """Gather the report over the local days ``[start_day, end_day]`` for the stations in scope."""
    days = [start_day + timedelta(days=k) for k in range((end_day - start_day).days + 1)]
    with engine.connect() as conn:
        rows, total = provincial_summary(conn, point_scope, days, now, district=district,
                                         industrial_zone=industrial_zone, late_after_minutes=late_after_minutes)
        t0, t1 = day_bounds(start_day, tz)[0], day_bounds(end_day, tz)[1]
        exceed = exceedance_counts(conn, [r.station.point_id for r in rows], t0, t1)
        entries = register(conn, point_scope, enterprise_scope, now, late_after_minutes=late_after_minutes)
    steps = {x.point_id: st.step for e in entries for x, st in e.stations}
    if district or industrial_zone:
        entries = [e for e in entries if (not district or e.district == district)
                   and (not industrial_zone or e.industrial_zone == industrial_zone)]
    today = now.astimezone(ZoneInfo(tz)).date()
    return TransmissionReport(province, start_day, end_day, tz, now, rows, total, steps, exceed,
                              late_groups(entries, today), district, industrial_zone)


def _identity(text: str) -> str:
    return text


def transmission_sheet(report: TransmissionReport, _: Callable[[str], str] = _identity,
                       fmt_date: Callable[[date], str] = date.isoformat, decimal_sep: str = ".") -> Sheet:
    """The report as a :class:`Sheet` (texts through ``_``, dates through ``fmt_date``, the PDF's numbers with
    ``decimal_sep``: ``","`` in Vietnamese)."""
    files = _("Files")
    cols = [SheetColumn(_("Facility"), _("Facility"), "", "text", width=2.6),
            SheetColumn(_("Station"), _("Station"), "", "text", width=2.0),
            SheetColumn(_("District"), _("District"), "", "text", width=1.3),
            SheetColumn(_("Industrial zone"), _("Industrial zone"), "", "text", width=1.3),
            SheetColumn(_("Register step"), _("Register step"), "", "text", width=1.3)]
    labels = {"expected": _("Expected"), "on_time": _("On time"), "late": _("Late (> 5 min)"),
              "backfilled": _("Back-filled"), "missing": _("Missing"), "rejected": _("Rejected"),
              "duplicates": _("Duplicates"), "conflicts": _("Conflicts"), "unmapped_lines": _("Unmapped lines")}
    cols += [SheetColumn(files, labels[c], "", "int", width=0.8) for c in COUNTS]
    cols.append(SheetColumn(_("Completeness"), _("Completeness"), "%", "pct", width=1.0))
    cols += [SheetColumn(_("QCVN exceedances"), _("hours"), "", "int", width=0.7),
             SheetColumn(_("QCVN exceedances"), _("days"), "", "int", width=0.7)]

    def counts(rec: DayReception | None) -> list[SheetCell]:
        return [SheetCell(getattr(rec, c) if rec else None) for c in COUNTS] + [
            SheetCell(rec.completeness if rec else None)]

    lines: list[SheetLine] = []
    by_facility: dict[int, list[StationRow]] = defaultdict(list)
    for r in report.rows:
        by_facility[r.station.enterprise_id].append(r)
    for r in report.rows:
        st = r.station
        step = report.steps.get(st.point_id)
        ex = report.exceed.get(st.point_id, {"hours": 0, "days": 0})
        lines.append(SheetLine([SheetCell(st.facility), SheetCell(st.name), SheetCell(st.district or "—"),
                                SheetCell(st.industrial_zone or "—"),
                                SheetCell(_(STEP_LABELS[step]) if step else "—"), *counts(r.reception),
                                SheetCell(ex["hours"]), SheetCell(ex["days"])]))
    for eid, rows in by_facility.items():
        if len(rows) < 2:
            continue
        rec = sum_receptions([r.reception for r in rows if r.reception])
        ex_h = sum(report.exceed.get(r.station.point_id, {}).get("hours", 0) for r in rows)
        ex_d = sum(report.exceed.get(r.station.point_id, {}).get("days", 0) for r in rows)
        lines.append(SheetLine([SheetCell(rows[0].station.facility), SheetCell(_("Facility total")), SheetCell(""),
                                SheetCell(""), SheetCell(""), *counts(rec), SheetCell(ex_h), SheetCell(ex_d)],
                               "subtotal"))
    ex_h = sum(v["hours"] for v in report.exceed.values())
    ex_d = sum(v["days"] for v in report.exceed.values())
    lines.append(SheetLine([SheetCell(_("Province total")), SheetCell(""), SheetCell(""), SheetCell(""),
                            SheetCell(""), *counts(report.total), SheetCell(ex_h), SheetCell(ex_d)], "summary"))
    period = f"{fmt_date(report.start_day)} – {fmt_date(report.end_day)}"
    n_fac = len({r.station.enterprise_id for r in report.rows})
    gap = "　　"  # the tabular PDF's separator of the parts of an information line
    info = [f"{_('Province')}: {report.province}{gap}{_('Period')}: {period}",
            f"{_('Facilities')}: {n_fac}{gap}{_('Stations')}: {len(report.rows)}"
            + (f"{gap}{_('District')}: {report.district}" if report.district else "")
            + (f"{gap}{_('Industrial zone')}: {report.industrial_zone}" if report.industrial_zone else ""),
            _("Circular 10/2021/TT-BTNMT Art. 39: one file per measurement, within 5 minutes; completeness = "
              "slots with an accepted file / expected slots.")]
    extra = []
    for g in report.late:
        head = f"{g['district'] or _('No district')} · {g['industrial_zone'] or _('Outside industrial zones')}"
        for f, days in g["facilities"]:
            cat = CATEGORIES[f.category]
            extra.append(f"{head}: {f.name} ({_(cat.article)}) — {_('deadline')} {fmt_date(f.steps.deadline)}, "
                         f"{days} {_('days late')}")
    title = _("Provincial report on the reception of automatic monitoring data")
    return Sheet(title, _("Transmission"), info, cols, lines, report.notes,
                 footer=f"{title} · {report.province} · {period}",
                 extra_title=_("Facilities late against the Decree 08/2022 deadline") if extra else "",
                 extra=extra, notes_title=_("Notes"), page_format=_("Page {page}"), wrap_text=True,
                 decimal_sep=decimal_sep)


def transmission_xlsx(report: TransmissionReport, _: Callable[[str], str] = _identity,
                      fmt_date: Callable[[date], str] = date.isoformat) -> bytes:
    """The report as an XLSX workbook (completeness as fractions with a ``0.00%`` format)."""
    return sheet_xlsx(transmission_sheet(report, _, fmt_date))


def transmission_pdf(report: TransmissionReport, _: Callable[[str], str] = _identity,
                     fmt_date: Callable[[date], str] = date.isoformat, decimal_sep: str = ".") -> bytes:
    """The report as a PDF (A4 landscape), Vietnamese text drawn with the reports' font; numbers with
    ``decimal_sep`` (``","`` for a Vietnamese reader: 96,90%)."""
    return sheet_pdf(transmission_sheet(report, _, fmt_date, decimal_sep))
