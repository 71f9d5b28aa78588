"""A Vietnamese station's daily and monthly report (báo cáo kết quả quan trắc tự động, liên tục): one row per
local hour (daily) or per local day (monthly), in the report's language (Vietnamese by default).

Not the Chinese HJ 76 layout: the header names the facility (cơ sở) with its tax code (mã số thuế), address,
station and its key, province, and the QCVN the limits rest on with the coefficients (Kq, Kf or Kp, Kv); the
columns are the station's parameters with their names and units; each row gives the mean of the valid (status
00) values, the values in status 01 (calibrating) and 02 (device error) — never judged (Circular 10/2021/TT-BTNMT
Art. 39; subsystems.md §7 req. 31) — and the completeness of the row (valid values ÷ expected values,
expected = 60 / interval per hour and parameter). Summary lines: minimum, maximum and mean of the valid values,
the maximum allowed value Cmax with its arithmetic, the number of values above Cmax, the daily judgement
(:func:`~ecosentry.subsystems.monitoring.rules.vn.qcvn.daily_exceedance`: the mean of the day's valid values
against Cmax) and the completeness.

Rendered by the shared sheet machinery (:mod:`.tabular`: XLSX with openpyxl, PDF with reportlab and the report
font that draws Vietnamese).
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from ecosentry.locale import BABEL_LOCALE, Formatter, translations
from ecosentry.subsystems.monitoring.queries import vn_control as q
from ecosentry.subsystems.monitoring.queries.reports import configured_factors
from ecosentry.said import Said
from ecosentry.subsystems.monitoring.reports.model import MONTH_NOT_1_12, NO_VN_STATION, ReportError
from ecosentry.subsystems.monitoring.reports.tabular import Sheet, SheetCell, SheetColumn, SheetLine, sheet_pdf, sheet_xlsx
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (Bounds, LimitArithmetic, daily_exceedance, judge_value,
                                                           limit_arithmetic)

__all__ = ["REPORT_KINDS", "VnReport", "build_vn_daily_report", "build_vn_monthly_report", "vn_report_sheet",
           "vn_report_xlsx", "vn_report_pdf"]

REPORT_KINDS = ("daily", "monthly")


@dataclass
class VnParameter:
    factor: str
    name: str
    unit: str
    arith: LimitArithmetic | None

    @property
    def bounds(self) -> Bounds | None:
        return self.arith.bounds if self.arith is not None and (self.arith.upper is not None
                                                                 or self.arith.lower is not None) else None


@dataclass
class VnRow:
    label: str
    values: dict[str, float | None]
    exceeded: dict[str, bool]
    n_valid: int
    n_calibrating: int
    n_error: int
    expected: int


@dataclass
class VnReport:
    """A station report, ready to render (:func:`vn_report_sheet`)."""

    kind: str
    lang: str
    title: str
    info: list[str]
    parameters: list[VnParameter]
    rows: list[VnRow]
    summary: list[tuple[str, dict[str, SheetCell]]]
    notes: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)

    @property
    def n_exceeded_days(self) -> int:
        return sum(1 for r in self.rows if any(r.exceeded.values())) if self.kind == "monthly" else 0


def _words(lang: str) -> dict[str, str]:
    tr = translations(lang)
    _ = tr.gettext
    return {
        "daily_title": _("DAILY REPORT OF AUTOMATIC CONTINUOUS MONITORING RESULTS"),
        "monthly_title": _("MONTHLY REPORT OF AUTOMATIC CONTINUOUS MONITORING RESULTS"),
        "facility": _("Facility"), "tax_code": _("Tax code"), "address": _("Address"),
        "station": _("Station"), "station_key": _("Station code"), "outlet": _("Outlet"),
        "province": _("Province"), "district": _("District"), "day": _("Day"), "month": _("Month"), "hour": _("Hour"),
        "zone": _("Times are local time of the station (%(tz)s)."),
        "qcvn": _("Limits"), "column": _("column"), "no_limit": _("no limit registered"),
        "status": _("Status 01 / 02"), "completeness": _("Data completeness"),
        "min": _("Minimum"), "max": _("Maximum"), "mean": _("Mean of valid values"),
        "cmax": _("Maximum allowed value Cmax"), "n_over": _("Values above Cmax"),
        "verdict": _("Daily judgement"), "days_over": _("Days above Cmax"),
        "exceeded": _("Exceeded"), "complies": _("Within the limit"), "not_judged": _("Not judged"),
        "notes": _("Notes"), "page": _("Page {page}"),
        "note_mean": _("Values are the mean of the valid values (status 00) of the hour or day; values in status "
                       "01 (calibrating) and 02 (device error) are counted in the status column and never "
                       "judged against QCVN (Circular 10/2021/TT-BTNMT Art. 39)."),
        "note_exceeded": _("▲ and red: above the maximum allowed value Cmax. The exceedance is judged on the "
                           "daily mean of the valid values (platform choice: QCVN 40:2011 and 19:2009 give no "
                           "averaging period for continuous data)."),
        "note_completeness": _("Completeness: valid values received ÷ values expected (one every %(interval)s "
                               "min per parameter)."),
        "note_cmax": _("Cmax = C × Kq × Kf (QCVN 40:2011/BTNMT) or C × Kp × Kv (QCVN 19:2009/BTNMT), from the "
                       "limits registered for the station."),
        "mismatch": _("The registered value %(registered)s differs from the arithmetic %(computed)s: check the "
                      "registry."),
        "none": _("no data"),
    }


def _param_name(tr, factors: dict, code: str, lang: str) -> tuple[str, str]:
    f = factors.get(code)
    if f is None:
        return code, ""
    name = f["name_zh"] if lang == "zh" else tr.gettext(f["name_en"])
    return name, f["unit"] or ""


def _station(engine: Engine, point_id: int) -> dict:
    with engine.connect() as conn:
        st = q.vn_station(conn, point_id)
    if st is None:
        raise ReportError(NO_VN_STATION, point=point_id)
    return st


def _standards(params: list[VnParameter], w: dict, lang: str) -> str:
    """``QCVN 40:2011/BTNMT cột B (Kq = 0.9, Kf = 1.1)``: each standard and column once, with the coefficients
    registered with it (several values of one coefficient are all listed: the registry is then inconsistent)."""
    found: dict[tuple, dict[str, set]] = {}
    for p in params:
        a = p.arith
        if a is None or a.basis.standard is None:
            continue
        ks = found.setdefault((a.basis.standard, a.basis.column), {})
        for name, value in a.basis.k.items():
            ks.setdefault(name, set()).add(value)
    parts = []
    for (std, col), ks in sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        text = std + (f" {w['column']} {col}" if col else "")
        if ks:
            text += " (" + ", ".join(f"{n.capitalize()} = {' / '.join(_g(v, lang) for v in sorted(vs))}"
                                     for n, vs in sorted(ks.items())) + ")"
        parts.append(text)
    return "; ".join(parts) or w["no_limit"]


def _header(st: dict, params: list[VnParameter], w: dict, period: str, lang: str) -> list[str]:
    standards = [_standards(params, w, lang)]
    return [
        f"{w['facility']}: {st['enterprise_name']}　　{w['tax_code']}: {st['tax_code']}",
        f"{w['address']}: {st['address'] or '—'}　　{w['province' if st.get('region_level') == 'province' else 'district']}: {st['region_name']}",
        f"{w['station']}: {st['name']}　　{w['station_key']}: {st['mn']}　　{w['outlet']}: {st['outlet_name']} "
        f"({st['outlet_code']})",
        f"{period}　　{w['qcvn']}: {standards[0]}",
    ]


def _parameters(engine: Engine, st: dict, day: date, lang: str, present: set[str]) -> list[VnParameter]:
    tr = translations(lang)
    with engine.connect() as conn:
        limits = q.station_limits(conn, st["id"], day)
        codes = configured_factors(conn, st["id"])
        factors = q.factor_names(conn)
    out = []
    for code in sorted(set(codes) | present | set(limits)):
        name, unit = _param_name(tr, factors, code, lang)
        row = limits.get(code)
        arith = limit_arithmetic(code, row.get("standard"), row.get("upper"), row.get("lower")) if row else None
        out.append(VnParameter(code, name, unit, arith))
    return out


def _summary(params: list[VnParameter], rows: list[VnRow], judged: dict, w: dict, kind: str,
             expected_total: int, decimal_sep: str = ".") -> list[tuple[str, dict[str, SheetCell]]]:
    """Summary lines keyed by parameter code (plus ``_status`` / ``_completeness`` columns)."""
    out: list[tuple[str, dict[str, SheetCell]]] = []
    vals = {p.factor: [r.values[p.factor] for r in rows if r.values.get(p.factor) is not None] for p in params}
    out.append((w["min"], {p.factor: SheetCell(min(vals[p.factor]) if vals[p.factor] else None) for p in params}))
    out.append((w["max"], {p.factor: SheetCell(max(vals[p.factor]) if vals[p.factor] else None) for p in params}))
    means = {}
    for p in params:
        d = judged.get(p.factor)
        means[p.factor] = SheetCell(d["mean"] if d else None, "exceeded" if d and d["exceeded"] else "")
    out.append((w["mean"], means))
    out.append((w["cmax"], {p.factor: _cmax_cell(p, decimal_sep) for p in params}))
    out.append((w["n_over"], {p.factor: SheetCell(judged[p.factor]["n_over"] if p.factor in judged else None,
                                                  kind="int") for p in params}))
    if kind == "daily":
        verdicts = {}
        for p in params:
            d = judged.get(p.factor)
            text = (w["none"] if d is None else w["exceeded"] if d["exceeded"] else
                    w["complies"] if d["exceeded"] is False else w["not_judged"])
            verdicts[p.factor] = SheetCell(text, "exceeded" if d and d["exceeded"] else "", kind="text")
        out.append((w["verdict"], verdicts))
    else:
        out.append((w["days_over"], {p.factor: SheetCell(sum(1 for r in rows if r.exceeded.get(p.factor)),
                                                         kind="int") for p in params}))
    n_valid = sum(r.n_valid for r in rows)
    comp = {p.factor: SheetCell((judged[p.factor]["n_valid"] / expected_total) if p.factor in judged
                                and expected_total else None, kind="pct") for p in params}
    comp["_completeness"] = SheetCell(n_valid / (expected_total * len(params)) if expected_total and params
                                      else None, kind="pct")
    out.append((w["completeness"], comp))
    return out


#: Decimal separator of the report's language (numbers written into texts: Cmax arithmetic, coefficients).
DECIMAL_SEP = {"vi": ",", "zh": ".", "en": "."}


def _g(x: float, lang: str) -> str:
    """``x`` as ``%g`` with the language's decimal separator (``0,9`` in Vietnamese)."""
    return f"{x:g}".replace(".", DECIMAL_SEP.get(lang, "."))


def _cmax_cell(p: VnParameter, decimal_sep: str = ".") -> SheetCell:
    """The registered Cmax (what is judged against; a range for pH); shaded when it differs from the
    arithmetic (the notes give the arithmetic of every parameter)."""
    a = p.arith
    if a is None or (a.upper is None and a.lower is None):
        return SheetCell(None)
    if a.lower is not None and a.upper is not None:
        return SheetCell(f"{a.lower:g}–{a.upper:g}".replace(".", decimal_sep), kind="text")
    return SheetCell(a.upper if a.upper is not None else a.lower, "invalid" if a.consistent is False else "")


def _cmax_text(p: VnParameter, lang: str = "en") -> str | None:
    """The value judged against, with its arithmetic when the registry's text gives it (``150 × 0.9 × 1.1 =
    148.5``); a registered value that differs from the arithmetic is shown beside it (``… = 180 ≠ 200``)."""
    a = p.arith
    if a is None or (a.upper is None and a.lower is None):
        return None
    if a.lower is not None and a.upper is not None:
        return f"{_g(a.lower, lang)}–{_g(a.upper, lang)}"
    if a.limit is not None and a.k and a.computed is not None:
        text = (f"{_g(a.limit.upper, lang)} × {_g(a.k[0][1], lang)} × {_g(a.k[1][1], lang)} = "
                f"{_g(round(a.computed, 4), lang)}")
        return text if a.consistent else f"{text} ≠ {_g(a.upper, lang)}"
    return _g(a.upper, lang) if a.upper is not None else f"≥ {_g(a.lower, lang)}"


def _judged(ms, params: list[VnParameter]) -> dict[str, dict]:
    bounds = {p.factor: p.bounds for p in params if p.bounds is not None}
    out = {}
    for d in daily_exceedance(ms, bounds):
        prev = out.get(d.parameter)
        if prev is None:
            out[d.parameter] = {"mean": d.mean, "exceeded": d.exceeded, "n_over": d.n_values_exceeding,
                                "n_valid": d.n_valid, "sum": (d.mean or 0.0) * d.n_valid}
        else:  # a month: pooled over its days
            prev["sum"] += (d.mean or 0.0) * d.n_valid
            prev["n_valid"] += d.n_valid
            prev["n_over"] += d.n_values_exceeding
            prev["mean"] = prev["sum"] / prev["n_valid"] if prev["n_valid"] else None
            prev["exceeded"] = bool(prev["exceeded"]) or bool(d.exceeded)
    return out


def _aggregate(ms, params: list[VnParameter], key, labels: list[tuple[object, str]], expected: int) -> list[VnRow]:
    bounds = {p.factor: p.bounds for p in params}
    groups: dict[object, list] = defaultdict(list)
    for m in ms:
        groups[key(m)].append(m)
    rows = []
    for k, label in labels:
        mine = groups.get(k, [])
        by: dict[str, list[float]] = defaultdict(list)
        n_cal = n_err = 0
        for m in mine:
            if m.status == "01":
                n_cal += 1
            elif m.status == "02":
                n_err += 1
            elif m.value is not None and math.isfinite(m.value):
                by[m.parameter].append(m.value)
        values, exceeded = {}, {}
        for p in params:
            v = by.get(p.factor)
            mean = math.fsum(v) / len(v) if v else None
            values[p.factor] = mean
            b = bounds.get(p.factor)
            exceeded[p.factor] = bool(mean is not None and b is not None and judge_value(mean, "00", b).exceeded)
        rows.append(VnRow(label, values, exceeded, sum(len(v) for f, v in by.items()
                                                         if f in values), n_cal, n_err, expected))
    return rows


def _range(day0: date, day1: date, tz: str) -> tuple[datetime, datetime]:
    z = ZoneInfo(tz)
    return (datetime.combine(day0, time(0), z).astimezone(timezone.utc),
            datetime.combine(day1, time(0), z).astimezone(timezone.utc))


def build_vn_daily_report(engine: Engine, point_id: int, day: date, lang: str = "vi") -> VnReport:
    """The station's report of local ``day``: one row per hour (00:00 … 23:00)."""
    st = _station(engine, point_id)
    w = _words(lang)
    t0, t1 = _range(day, day + timedelta(days=1), st["tz"])
    with engine.connect() as conn:
        ms = q.station_measurements(conn, point_id, t0, t1, st["tz"])
    params = _parameters(engine, st, day, lang, {m.parameter for m in ms})
    interval = st["min_interval"] or 5
    per_hour = max(60 // interval, 1)
    rows = _aggregate(ms, params, lambda m: m.time.hour, [(h, f"{h:02d}:00") for h in range(24)], per_hour)
    now = datetime.now(ZoneInfo(st["tz"]))
    begun = [datetime.combine(day, time(h), ZoneInfo(st["tz"])) <= now for h in range(24)]
    for started, row in zip(begun, rows):
        if not started:  # an hour still to come: nothing was expected (not 0 % complete)
            row.expected = 0
    judged = _judged(ms, params)
    period = f"{w['day']}: {day.strftime('%d/%m/%Y')}"
    return VnReport("daily", lang, f"{w['daily_title']} {day.strftime('%d/%m/%Y')}",
                    _header(st, params, w, period, lang),
                    params, rows, _summary(params, rows, judged, w, "daily", per_hour * sum(begun),
                                           DECIMAL_SEP.get(lang, ".")),
                    _notes(w, params, interval, st["tz"], lang), w)


def build_vn_monthly_report(engine: Engine, point_id: int, year: int, month: int, lang: str = "vi") -> VnReport:
    """The station's report of a local month: one row per day, each judged on its daily mean."""
    if not 1 <= month <= 12:
        raise Said(MONTH_NOT_1_12, month=month)
    st = _station(engine, point_id)
    w = _words(lang)
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    t0, t1 = _range(first, nxt, st["tz"])
    with engine.connect() as conn:
        ms = q.station_measurements(conn, point_id, t0, t1, st["tz"])
    params = _parameters(engine, st, min(nxt - timedelta(days=1), datetime.now(timezone.utc).date()), lang,
                         {m.parameter for m in ms})
    interval = st["min_interval"] or 5
    per_day = 1440 // interval
    days = [first + timedelta(days=i) for i in range((nxt - first).days)]
    rows = _aggregate(ms, params, lambda m: m.time.date(), [(d, d.strftime("%d/%m")) for d in days], per_day)
    today = datetime.now(ZoneInfo(st["tz"])).date()
    for d, row in zip(days, rows):
        if d > today:  # not yet: nothing was expected
            row.expected = 0
    judged = _judged(ms, params)
    period = f"{w['month']}: {first.strftime('%m/%Y')}"
    elapsed = sum(1 for d in days if d <= today)
    return VnReport("monthly", lang, f"{w['monthly_title']} {first.strftime('%m/%Y')}",
                    _header(st, params, w, period, lang), params, rows,
                    _summary(params, rows, judged, w, "monthly", per_day * elapsed, DECIMAL_SEP.get(lang, ".")),
                    _notes(w, params, interval, st["tz"], lang), w)


def _notes(w: dict, params: list[VnParameter], interval: int, tz: str, lang: str) -> list[str]:
    notes = [w["zone"] % {"tz": Formatter(lang, tz).zone() if lang in BABEL_LOCALE else tz}, w["note_mean"], w["note_exceeded"], w["note_cmax"],
             w["note_completeness"] % {"interval": interval}]
    for p in params:
        a = p.arith
        if a is not None and _cmax_text(p, lang):
            notes.append(f"{p.name}: Cmax = {_cmax_text(p, lang)} {a.unit}".rstrip()
                         + (f" ({a.limit.standard} {w['column']} {a.limit.column})" if a.limit else ""))
        if a is not None and a.problem == "mismatch":
            notes.append(f"{p.name}: " + w["mismatch"] % {"registered": _g(a.upper, lang),
                                                           "computed": _g(a.computed, lang)})
    return notes


def vn_report_sheet(r: VnReport) -> Sheet:
    """The report as a :class:`~.tabular.Sheet` (time, one column per parameter, status, completeness)."""
    w = r.words
    first = w["hour"] if r.kind == "daily" else w["day"]
    cols = [SheetColumn(first, first, "", "text", 0, 1.5)]
    for p in r.parameters:
        name = "\n".join(textwrap.wrap(p.name, 18)) or p.factor
        cols.append(SheetColumn(name, name, p.unit, "num", 2, 1.0))
    status = "\n".join(textwrap.wrap(w["status"], 18))
    complete = "\n".join(textwrap.wrap(w["completeness"], 18))
    cols += [SheetColumn(status, status, "", "text", 0, 1.0), SheetColumn(complete, complete, "%", "pct", 2, 1.0)]
    lines = []
    for row in r.rows:
        cells = [SheetCell(row.label)]
        for p in r.parameters:
            v = row.values.get(p.factor)
            cells.append(SheetCell(v, "exceeded" if row.exceeded.get(p.factor) else ("missing" if v is None else "")))
        status = f"{row.n_calibrating} / {row.n_error}" if row.n_calibrating or row.n_error else ""
        cells.append(SheetCell(status, "invalid" if status else ""))
        expected = row.expected * len(r.parameters)
        cells.append(SheetCell(row.n_valid / expected if expected else None, "" if expected else "missing"))
        lines.append(SheetLine(cells))
    for label, by in r.summary:
        cells = [SheetCell(label)]
        for p in r.parameters:
            cells.append(by.get(p.factor, SheetCell(None)))
        cells += [SheetCell(None, kind="text"), by.get("_completeness", SheetCell(None, kind="text"))]
        lines.append(SheetLine(cells, "summary"))
    name = (w["day"] if r.kind == "daily" else w["month"])[:31]
    return Sheet(r.title, name, r.info, cols, lines, notes=r.notes, footer=r.title, notes_title=w["notes"],
                 page_format=w["page"], decimal_sep=DECIMAL_SEP.get(r.lang, "."))


def vn_report_xlsx(r: VnReport) -> bytes:
    """The report as an XLSX workbook (bytes)."""
    return sheet_xlsx(vn_report_sheet(r))


def vn_report_pdf(r: VnReport) -> bytes:
    """The report as a PDF, A4 landscape (bytes); Vietnamese text in the report font."""
    return sheet_pdf(vn_report_sheet(r))
