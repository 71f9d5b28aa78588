"""The control (kiểm soát) pages of Vietnamese stations: QCVN exceedances with the arithmetic shown, the periods
in status 01/02 left out of the checks, and suspicious data with the detectors' findings.

``/vn/control`` lists the Vietnamese stations in the user's scope with the days of the last N days whose daily
mean exceeded Cmax; ``/vn/control/points/{id}`` is one station: its registered limits explained
(Cmax = C × Kq × Kf, QCVN 40:2011; Cmax = C × Kp × Kv, QCVN 19:2009; :func:`~ecosentry.subsystems.monitoring.rules.
vn.qcvn.limit_arithmetic`), the daily judgement (:func:`~ecosentry.subsystems.monitoring.rules.vn.qcvn.
daily_exceedance`: mean of the day's status-00 values against Cmax), the status periods
(:func:`~ecosentry.subsystems.monitoring.rules.vn.status.status_periods`) and the findings of the detectors for
constant, negative and over-range values plus calibration that lasts too long. Its daily and monthly reports in
the Vietnamese layout are downloaded from ``/vn/control/points/{id}/report``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from ecosentry.store import schema as s
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.monitoring.detect.registry import all_detectors, run_detectors, select_detectors
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.pipeline.detect_input import DetectWindow, load_point_data
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.queries import vn_control as q
from ecosentry.subsystems.monitoring.reports.model import NO_VN_STATION, VN_KIND_FORMAT, VN_PERIOD
from ecosentry.subsystems.monitoring.reports.vn_station import (REPORT_KINDS, build_vn_daily_report,
                                                                build_vn_monthly_report, vn_report_pdf,
                                                                vn_report_xlsx)
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (daily_exceedance, daily_from_hours, judge_value, k_rows,
                                                             limit_arithmetic)
from ecosentry.subsystems.monitoring.rules.vn.status import calibrating_too_long, status_periods
from ecosentry.web.forms import denied_page, gate, work_render
from ecosentry.said import Said
from ecosentry.web.i18n import negotiate, translations

router = APIRouter(include_in_schema=False)

#: Detector families the control page shows as suspicious data (detect/registry.py FAMILY_KEYWORDS).
SUSPICIOUS_FAMILIES = ("constant", "negative", "over_range")
MAX_DAYS = 31


def _settings(request: Request) -> tuple[VnIntakeSettings, DetectorSettings]:
    st = getattr(request.app.state, "settings", None)
    vn = getattr(st, "vn", None)
    det = getattr(st, "detect", None)
    return (vn if isinstance(vn, VnIntakeSettings) else VnIntakeSettings(),
            det if isinstance(det, DetectorSettings) else DetectorSettings())


def _local_range(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    z = ZoneInfo(tz)
    return (datetime.combine(first, time(0), z).astimezone(timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), z).astimezone(timezone.utc))


def limit_rows(limits: dict[str, dict]) -> dict[str, dict]:
    """factor → the registered limit explained: ``arith`` (:class:`LimitArithmetic`), ``rows`` (the K-table
    rows each registered coefficient stands for), ``kind``/``valid_from`` of the registry row."""
    out = {}
    for factor, row in sorted(limits.items()):
        a = limit_arithmetic(factor, row.get("standard"), row.get("upper"), row.get("lower"))
        out[factor] = {"arith": a, "kind": row.get("kind"), "valid_from": row.get("valid_from"),
                       "k_rows": {name: k_rows(name, value) for name, value in a.k}}
    return out


def _aware(t: datetime, tz: str) -> datetime:
    return t.replace(tzinfo=ZoneInfo(tz)) if t.tzinfo is None else t


def station_control(conn: Connection, station: dict, now: datetime, days: int, vn: VnIntakeSettings,
                    det: DetectorSettings) -> dict:
    """Everything the station's control page shows over its last ``days`` local days."""
    tz = station["tz"]
    today = now.astimezone(ZoneInfo(tz)).date()
    first = today - timedelta(days=days - 1)
    t0, t1 = _local_range(first, today, tz)
    limits = limit_rows(q.station_limits(conn, station["id"], today))
    bounds = {f: lim["arith"].bounds for f, lim in limits.items()}
    ms = q.station_measurements(conn, station["id"], t0, min(t1, now + timedelta(minutes=1)), tz)
    judged = daily_exceedance(ms, bounds)
    exceed = [d for d in judged if d.exceeded]
    per_param: dict[str, dict] = {}
    for d in judged:
        p = per_param.setdefault(d.parameter, {"days": 0, "judged": 0, "exceeded": 0, "values_exceeding": 0,
                                               "valid": 0, "calibrating": 0, "error": 0, "max_ratio": None})
        p["days"] += 1
        p["judged"] += d.exceeded is not None
        p["exceeded"] += bool(d.exceeded)
        p["values_exceeding"] += d.n_values_exceeding
        p["valid"] += d.n_valid
        p["calibrating"] += d.n_calibrating
        p["error"] += d.n_error
        if d.mean is not None and d.upper:
            ratio = d.mean / d.upper
            p["max_ratio"] = ratio if p["max_ratio"] is None else max(p["max_ratio"], ratio)
    periods = status_periods(ms, station["min_interval"] or 5)
    too_long = calibrating_too_long(periods, vn.calibrating_max_minutes)
    info = PointInfo(station["id"], station["mn"], "", tz, bool(station["active"]), station["medium"],
                     station["min_interval"] or 5)
    data = load_point_data(conn, info, min(t1, now), DetectWindow(minute_hours=min(days * 24.0, 72.0),
                                                                  hour_days=float(days)))
    specs = select_detectors(all_detectors(), families=SUSPICIOUS_FAMILIES)
    findings = [f for f in run_detectors(data, det, specs, on_error=lambda *a: None)
                if f.code in ("DET-CONST-4H", "DET-NEGATIVE", "DET-OVER-RANGE")]
    return {
        "station": station, "tz": tz, "days": days, "first": first, "today": today, "limits": limits,
        "judged": judged, "exceed": exceed, "per_param": per_param,
        "periods": [(p, _aware(p.start, tz), _aware(p.end, tz)) for p in periods],
        "too_long": [(p, _aware(p.start, tz), _aware(p.end, tz)) for p in too_long],
        "calibrating_max": vn.calibrating_max_minutes, "findings": findings,
        "n_values": len(ms),
    }


def overview(conn: Connection, stations: list[dict], now: datetime, days: int) -> list[dict]:
    """Per station: days judged and exceeded over the last ``days`` days (from the hours' valid means and
    counts, :func:`daily_from_hours`), the parameters exceeded, the values left out (status 01/02)."""
    if not stations:
        return []
    tz_of = {st["id"]: st["tz"] for st in stations}
    t0 = min(_local_range(now.astimezone(ZoneInfo(tz)).date() - timedelta(days=days - 1),
                          now.astimezone(ZoneInfo(tz)).date(), tz)[0] for tz in set(tz_of.values()))
    parts = q.hour_parts(conn, list(tz_of), t0, now, tz_of)
    out = []
    for st in stations:
        today = now.astimezone(ZoneInfo(st["tz"])).date()
        limits = q.station_limits(conn, st["id"], today)
        bounds = {f: limit_arithmetic(f, r.get("standard"), r.get("upper"), r.get("lower")).bounds
                  for f, r in limits.items()}
        first = today - timedelta(days=days - 1)
        dm = [d for d in daily_from_hours(parts.get(st["id"], []), bounds) if d.day >= first]
        exceeded = [d for d in dm if d.exceeded]
        # parameter-hours whose valid mean is above Cmax: what the exceedance alarm reports, before a day's mean
        hours = [h.parameter for h in parts.get(st["id"], [])
                 if h.day >= first and h.parameter in bounds and h.mean is not None and h.n_valid > 0
                 and judge_value(h.mean, "00", bounds[h.parameter]).exceeded]
        out.append({**st, "days_judged": len({d.day for d in dm if d.exceeded is not None}),
                    "days_exceeded": len({d.day for d in exceeded}), "hours_exceeded": len(hours),
                    "parameters_hours": sorted(set(hours)),
                    "parameters_exceeded": sorted({d.parameter for d in exceeded}),
                    "last_exceeded": max((d.day for d in exceeded), default=None),
                    "not_judged_values": sum(d.n_not_judged for d in dm),
                    "limits": len(bounds)})
    return sorted(out, key=lambda r: (-r["days_exceeded"], -r["hours_exceeded"], r["enterprise_name"], r["name"]))


def _days(request: Request, default: int) -> int:
    raw = request.query_params.get("days") or ""
    return min(max(int(raw), 1), MAX_DAYS) if raw.isdigit() else default


def _gate(request: Request):
    principal, denied = gate(request, "data.read")
    if denied is None and principal.role == "public":
        denied = denied_page(request, "The control pages are for logged-in accounts; the public page shows "
                                      "published data.")
    return principal, denied


def _station_or_404(conn: Connection, principal, point_id: int, gettext=lambda m: m) -> dict:
    """The station, else 404 (a page answers with the error page; the report download with ``detail`` said by
    ``gettext``, the reader's catalogue)."""
    st = q.vn_station(conn, point_id) if principal.sees_point(point_id) else None
    if st is None or not principal.sees_enterprise(st["enterprise_id"]):
        raise HTTPException(404, Said(NO_VN_STATION, point=point_id).say(gettext))
    return st


@router.get("/vn/control", response_class=HTMLResponse)
def control_index(request: Request):
    principal, denied = _gate(request)
    if denied:
        return denied
    vn, _det = _settings(request)
    days = _days(request, vn.control_days)
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        stations = q.vn_stations(conn, principal.point_clause(s.points.c.id),
                                 principal.enterprise_clause(s.enterprises.c.id))
        rows = overview(conn, stations, now, days)
        factors = q.factor_names(conn)
    return work_render(request, "vn_control_index.html", {"rows": rows, "days": days, "factors": factors,
                                                          "choices": (1, 7, 30)})


@router.get("/vn/control/points/{point_id}", response_class=HTMLResponse)
def control_station(request: Request, point_id: int):
    principal, denied = _gate(request)
    if denied:
        return denied
    vn, det = _settings(request)
    days = _days(request, vn.control_days)
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        station = _station_or_404(conn, principal, point_id)
        ctx = station_control(conn, station, now, days, vn, det)
        ctx["factors"] = q.factor_names(conn)
    ctx["choices"] = (1, 7, 30)
    ctx["report_kinds"] = REPORT_KINDS
    ctx["this_month"] = ctx["today"].strftime("%Y-%m")
    return work_render(request, "vn_control.html", ctx)


@router.get("/vn/control/points/{point_id}/report")
def control_report(request: Request, point_id: int):
    """The station's daily (``kind=daily&day=YYYY-MM-DD``) or monthly (``kind=monthly&month=YYYY-MM``) report
    in the Vietnamese layout, ``format=xlsx|pdf``, in the reader's language (``lang=vi`` by default for a
    Vietnamese station)."""
    principal, denied = _gate(request)
    if denied:
        return denied
    qp = request.query_params
    kind, fmt = qp.get("kind", "daily"), qp.get("format", "xlsx")
    lang = qp.get("lang") or negotiate(request, principal.locale, "vi")
    gettext = translations(lang).gettext  # the refusals' detail too is in the reader's language
    if kind not in REPORT_KINDS or fmt not in ("xlsx", "pdf"):
        raise HTTPException(422, gettext(VN_KIND_FORMAT))
    engine = request.app.state.engine
    with engine.connect() as conn:
        station = _station_or_404(conn, principal, point_id, gettext)
    try:
        if kind == "daily":
            day = date.fromisoformat(qp.get("day", ""))
            report = build_vn_daily_report(engine, point_id, day, lang)
            name = f"bao-cao-ngay-{station['mn']}-{day.isoformat()}"
        else:
            year, month = (int(x) for x in (qp.get("month") or "").split("-"))
            report = build_vn_monthly_report(engine, point_id, year, month, lang)
            name = f"bao-cao-thang-{station['mn']}-{year}-{month:02d}"
    except ValueError as exc:  # a malformed day or month, or a month beyond 1–12 (a Said of the report)
        raise HTTPException(422, exc.say(gettext) if isinstance(exc, Said) else gettext(VN_PERIOD)) from None
    data = vn_report_xlsx(report) if fmt == "xlsx" else vn_report_pdf(report)
    media = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
             else "application/pdf")
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
