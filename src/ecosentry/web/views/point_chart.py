"""Data of the point page's chart (``/points/{id}/chart.json``): the values of every factor of a point for one
data kind (real-time, minute, hour, day), the invalid hours (or days) as spans, the marks as spans and the
limits in force, in the point's local time (naive ``YYYY-MM-DD HH:MM:SS`` strings: plotly.js draws local
times as given, it has no time zones)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import Connection, select

from ecosentry.alarms.voice import factor_names
from ecosentry.auth.deps import current_principal
from ecosentry.locale import Formatter
from ecosentry.store import schema as s
from ecosentry.store.marks import list_marks
from ecosentry.web.templating import page_context
from ecosentry.web.views.site_details import limits_in_force
from ecosentry.web.views.site_state import require_point

router = APIRouter(include_in_schema=False)

ChartKind = Literal["rtd", "min", "hour", "day"]
#: Default span of the chart per data kind. [h]
DEFAULT_HOURS = {"rtd": 6, "min": 24, "hour": 48, "day": 24 * 31}
#: Longest span one request may ask for (a quarter). [h]
MAX_HOURS = 24 * 92
#: Length of one period of each derived kind, for the invalid spans.
PERIOD = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _series(conn: Connection, point_id: int, kind: str, t0: datetime, t1: datetime) -> list[dict]:
    """Rows of (factor, time, value, flag, valid, exceeded) of one kind over [t0, t1), oldest first."""
    if kind in ("rtd", "min"):
        o = s.observations
        q = select(o.c.factor_code, o.c.period_start, o.c.value, o.c.flag).where(
            o.c.point_id == point_id, o.c.kind == kind, o.c.period_start >= t0, o.c.period_start < t1)
        return [{"factor": r.factor_code, "t": r.period_start, "v": r.value, "flag": r.flag, "valid": None,
                 "exceeded": None} for r in conn.execute(q.order_by(o.c.period_start))]
    if kind == "hour":
        h = s.hourly_values
        q = select(h.c.factor_code, h.c.period_start, h.c.value, h.c.flag, h.c.valid, h.c.exceeded).where(
            h.c.point_id == point_id, h.c.period_start >= t0, h.c.period_start < t1).order_by(h.c.period_start)
    else:
        h = s.derived_periods
        q = select(h.c.factor_code, h.c.period_start, h.c.value, h.c.valid, h.c.exceeded).where(
            h.c.point_id == point_id, h.c.period == "day", h.c.period_start >= t0, h.c.period_start < t1
        ).order_by(h.c.period_start)
    return [{"factor": r.factor_code, "t": r.period_start, "v": r.value, "flag": getattr(r, "flag", None),
             "valid": r.valid, "exceeded": r.exceeded} for r in conn.execute(q)]


def _invalid_periods(conn: Connection, point_id: int, kind: str, t0: datetime, t1: datetime,
                     now: datetime) -> list[tuple[str, datetime, datetime]]:
    """(factor, start, end) of the invalid complete hours (days for the day chart) in [t0, t1)."""
    if kind == "day":
        d = s.derived_periods
        rows = conn.execute(select(d.c.factor_code, d.c.period_start).where(
            d.c.point_id == point_id, d.c.period == "day", d.c.valid.is_(False), d.c.period_start >= t0,
            d.c.period_start < t1))
        return [(f, t, t + PERIOD["day"]) for f, t in rows]
    h = s.hourly_values
    rows = conn.execute(select(h.c.factor_code, h.c.period_start).where(
        h.c.point_id == point_id, h.c.valid.is_(False), h.c.period_start >= t0 - PERIOD["hour"],
        h.c.period_start < t1, h.c.period_start <= now - PERIOD["hour"]))
    return [(f, t, t + PERIOD["hour"]) for f, t in rows]


def chart_data(engine, point_id: int, kind: str, hours: int, now: datetime, lang: str = "zh") -> dict:
    """Everything the chart draws (see the module docstring); factor names (``name``) and the time zone's
    name (``tz_label``) in ``lang``."""
    p, pf, f = s.points, s.point_factors, s.factors
    t1 = now
    t0 = now - timedelta(hours=hours)
    with engine.connect() as conn:
        tz_name = conn.execute(select(p.c.tz).where(p.c.id == point_id)).scalar_one()
        tz = ZoneInfo(tz_name)
        factors = conn.execute(select(pf.c.factor_code, f.c.name_zh, f.c.name_en, f.c.unit)
                               .join(f, pf.c.factor_code == f.c.code).where(pf.c.point_id == point_id)
                               .order_by(pf.c.factor_code)).mappings().all()
        rows = _series(conn, point_id, kind, t0, t1)
        invalid = _invalid_periods(conn, point_id, kind, t0, t1, now)
        limits = limits_in_force(conn, [point_id], now.astimezone(tz).date()).get(point_id, {})
        names = factor_names(conn, lang)
    marks = [m for m in list_marks(engine, point_id=point_id, start=t0, end=t1) if m["status"] != "rejected"]
    by_factor: dict[str, dict] = {}
    for x in factors:
        lim = limits.get(x["factor_code"], {})
        chosen = lim.get("day") if kind == "day" and lim.get("day") else lim.get("hour")
        by_factor[x["factor_code"]] = {
            "code": x["factor_code"], "name": names.get(x["factor_code"], (x["factor_code"],))[0],
            "name_zh": x["name_zh"], "name_en": x["name_en"], "unit": x["unit"],
            "limit": {"upper": chosen["upper"], "lower": chosen["lower"], "standard": chosen["standard"]}
            if chosen else None, "t": [], "v": [], "flag": [], "valid": [], "exceeded": [], "invalid": []}
    for r in rows:
        series = by_factor.get(r["factor"])
        if series is None:  # a factor sent but not registered at the point: still shown
            series = by_factor.setdefault(r["factor"], {"code": r["factor"], "name": r["factor"], "name_zh": r["factor"],
                                                        "name_en": r["factor"], "unit": None, "limit": None,
                                                        "t": [], "v": [], "flag": [], "valid": [],
                                                        "exceeded": [], "invalid": []})
        series["t"].append(_local(r["t"], tz))
        series["v"].append(r["v"])
        series["flag"].append(r["flag"])
        series["valid"].append(r["valid"])
        series["exceeded"].append(r["exceeded"])
    for code, a, b in invalid:
        if code in by_factor:
            by_factor[code]["invalid"].append([_local(max(a, t0), tz), _local(min(b, t1), tz)])
    return {"point_id": point_id, "tz": tz_name, "tz_label": Formatter(lang, tz_name).zone(), "kind": kind, "start": _local(t0, tz), "end": _local(t1, tz),
            "factors": list(by_factor.values()),
            "marks": [{"id": m["id"], "type": m["type"], "status": m["status"], "factors": m["factor_codes"],
                       "start": _local(max(m["start"], t0), tz), "end": _local(min(m["end"] or t1, t1), tz)}
                      for m in marks]}


@router.get("/points/{point_id}/chart.json")
def point_chart(request: Request, point_id: int, kind: ChartKind = "min",
                hours: int | None = Query(None, ge=1, le=MAX_HOURS, description="span back from now [h]")):
    principal = current_principal(request)
    if principal.is_public:
        raise HTTPException(401, "log in to see a monitoring point's values")
    engine = request.app.state.engine
    with engine.connect() as conn:
        require_point(conn, principal, point_id)
    return chart_data(engine, point_id, kind, hours or DEFAULT_HOURS[kind], datetime.now(timezone.utc),
                      page_context(request)["lang"])
