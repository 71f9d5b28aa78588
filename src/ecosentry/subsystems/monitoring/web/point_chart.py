"""Data of the point page's chart (``/points/{id}/chart.json``): the values of every factor of a point for one
data kind (real-time, minute, hour, day), the invalid hours (or days) as spans, the marks as spans and the
limits in force, in the point's local time (naive ``YYYY-MM-DD HH:MM:SS`` strings: plotly.js draws local
times as given, it has no time zones)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from ecosentry.alarms.voice import factor_names
from ecosentry.auth.deps import current_principal
from ecosentry.locale import Formatter
from ecosentry.said import Said
from ecosentry.subsystems.monitoring.store.marks import list_marks
from ecosentry.subsystems.monitoring.queries.series import (chart_rows, invalid_periods, limits_in_force, point_factor_names,
                                            point_zone)
from ecosentry.web.templating import page_context
from ecosentry.web.views.site_state import require_point

router = APIRouter(include_in_schema=False)

#: The chart's refusal of the public (a msgid of the core's catalogues, not marked: ``Said`` translates it).
LOG_IN_FOR_VALUES = "log in to see a monitoring point's values"

ChartKind = Literal["rtd", "min", "hour", "day"]
#: Default span of the chart per data kind. [h]
DEFAULT_HOURS = {"rtd": 6, "min": 24, "hour": 48, "day": 24 * 31}
#: Longest span one request may ask for (a quarter). [h]
MAX_HOURS = 24 * 92


def _local(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def chart_data(engine, point_id: int, kind: str, hours: int, now: datetime, lang: str = "zh") -> dict:
    """Everything the chart draws (see the module docstring); factor names (``name``) and the time zone's
    name (``tz_label``) in ``lang``."""
    t1 = now
    t0 = now - timedelta(hours=hours)
    with engine.connect() as conn:
        tz_name = point_zone(conn, point_id)
        tz = ZoneInfo(tz_name)
        factors = point_factor_names(conn, point_id)
        rows = chart_rows(conn, point_id, kind, t0, t1)
        invalid = invalid_periods(conn, point_id, kind, t0, t1, now)
        limits = limits_in_force(conn, [point_id], now.astimezone(tz).date()).get(point_id, {})
        names = factor_names(conn, lang)
    marks = [m for m in list_marks(engine, point_id=point_id, start=t0, end=t1) if m["status"] != "rejected"]
    by_factor: dict[str, dict] = {}
    for x in factors:
        lim = limits.get(x["factor_code"], {})
        chosen = lim.get("day") if kind == "day" and lim.get("day") else lim.get("hour")
        by_factor[x["factor_code"]] = {
            "code": x["factor_code"], "name": names.get(x["factor_code"], (x["factor_code"],))[0],
            "name_zh": x["name_zh"], "name_en": x["name_en"],
            "unit": names.get(x["factor_code"], (None, x["unit"]))[1],  # as the language writes it (vi: mg/Nm3)
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
        raise HTTPException(401, Said(LOG_IN_FOR_VALUES))  # point.js shows it: in the reader's language
    engine = request.app.state.engine
    with engine.connect() as conn:
        require_point(conn, principal, point_id)
    return chart_data(engine, point_id, kind, hours or DEFAULT_HOURS[kind], datetime.now(timezone.utc),
                      page_context(request)["lang"])
