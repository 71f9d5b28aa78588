"""The public page (信息公开; Vietnam publishes 30 days): published enterprises and, per enterprise, the daily
values of the last :data:`PUBLIC_DAYS` days with their exceedances. No login, and no raw or minute data:
only derived daily values, whoever is logged in (the scope is always :func:`public_principal`).

A Vietnamese station (region of country VN) is shown as a citizen there expects it: its latest values against
the maximum allowed value Cmax of the QCVN registered for it, and per day the mean of the valid (status 00)
values judged against Cmax (:func:`~ecosentry.subsystems.monitoring.rules.vn.qcvn.daily_from_hours`, the rule of
the control page); its days with an exceedance are counted the same way in the list."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from ecosentry.auth.principal import public_principal
from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.queries import vn_control as vq
from ecosentry.subsystems.monitoring.queries.series import daily_exceedance_stats, daily_rows
from ecosentry.subsystems.monitoring.rules.vn.qcvn import daily_from_hours, judge_value, limit_arithmetic
from ecosentry.web.templating import render
from ecosentry.subsystems.monitoring.web.site_details import limits_in_force
from ecosentry.web.views.site_state import factor_catalogue, visible_tree

router = APIRouter(include_in_schema=False)

#: Days of daily values on the public page. [d]
PUBLIC_DAYS = 30


def published_list(conn: Connection, now: datetime) -> list[dict]:
    """Published enterprises, each with ``n_points``, ``exceeded_days`` (days with at least one daily value
    above its limit) and ``last_day`` over the last :data:`PUBLIC_DAYS` days."""
    ents = visible_tree(conn, public_principal(conn))
    since = now - timedelta(days=PUBLIC_DAYS)
    stats = daily_exceedance_stats(conn, [x["id"] for x in ents], since)
    vn = vq.vn_point_ids(conn, [pt["id"] for x in ents for pt in x["points"]])
    for x in ents:
        st = stats.get(x["id"])
        x["n_points"] = len(x["points"])
        x["exceeded_days"] = st.exceeded_days if st else 0
        tz = ZoneInfo(x["points"][0]["tz"] if x["points"] else "Asia/Shanghai")
        x["last_day"] = st.last_day.astimezone(tz).date() if st and st.last_day else None
        mine = [pt for pt in x["points"] if pt["id"] in vn]
        if mine:  # Vietnamese stations: days whose mean of valid values is above Cmax (QCVN)
            judged = [d for pt in mine for d in vn_days(conn, pt, now)]
            x["vn"] = True
            x["exceeded_days"] = len({d.day for d in judged if d.exceeded})
            x["last_day"] = max((d.day for d in judged if d.n_valid), default=None)
    return ents


def vn_bounds(conn: Connection, pt: dict, today) -> dict:
    """factor → the registered limit explained (:func:`limit_arithmetic`) of a Vietnamese station."""
    return {f: limit_arithmetic(f, r.get("standard"), r.get("upper"), r.get("lower"))
            for f, r in vq.station_limits(conn, pt["id"], today).items()}


def vn_days(conn: Connection, pt: dict, now: datetime, limits: dict | None = None) -> list:
    """The last :data:`PUBLIC_DAYS` local days of a Vietnamese station judged against QCVN (one per day and
    parameter, :class:`~ecosentry.subsystems.monitoring.rules.vn.qcvn.DayMean`)."""
    tz = ZoneInfo(pt["tz"])
    today = now.astimezone(tz).date()
    first = today - timedelta(days=PUBLIC_DAYS - 1)
    limits = vn_bounds(conn, pt, today) if limits is None else limits
    t0 = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(timezone.utc)
    parts = vq.hour_parts(conn, [pt["id"]], t0, now, {pt["id"]: pt["tz"]})[pt["id"]]
    return [d for d in daily_from_hours(parts, {f: a.bounds for f, a in limits.items()}) if d.day >= first]


def vn_public_table(conn: Connection, pt: dict, outlet: dict, now: datetime) -> dict:
    """A Vietnamese station on the public page: latest values against Cmax, the days judged against QCVN."""
    today = now.astimezone(ZoneInfo(pt["tz"])).date()
    limits = vn_bounds(conn, pt, today)
    judged = vn_days(conn, pt, now, limits)
    latest = []
    for code, r in sorted(vq.latest_values(conn, [pt["id"]]).get(pt["id"], {}).items()):
        a = limits.get(code)
        status = {"N": "00", "C": "01", "D": "02"}.get(r["flag"] or "N", "02")
        j = judge_value(r["value"], status, a.bounds) if a is not None else None
        latest.append({"code": code, "at": r["period_start"], "value": r["value"], "status": status,
                       "arith": a, "exceeded": j.exceeded if j else None})
    days: dict = {}
    for d in judged:
        days.setdefault(d.day, {})[d.parameter] = d
    codes = sorted({d.parameter for d in judged} | set(limits))
    return {"point": pt, "outlet": outlet, "vn": True, "codes": codes, "latest": latest, "limits": limits,
            "days": sorted(days.items(), reverse=True),
            "exceeded_days": sum(1 for v in days.values() if any(d.exceeded for d in v.values()))}


def published_enterprise(conn: Connection, enterprise_id: int, now: datetime) -> dict:
    """One published enterprise with, per point, its daily values (days × factors) and daily limits."""
    found = visible_tree(conn, public_principal(conn), enterprise_id=enterprise_id)
    if not found:
        raise HTTPException(404, Said(N_("there is no published enterprise with id %(id)s"), id=enterprise_id))
    ent = found[0]
    points = ent["points"]
    rows = daily_rows(conn, [pt["id"] for pt in points], now - timedelta(days=PUBLIC_DAYS))
    limits = limits_in_force(conn, [pt["id"] for pt in points], now.date())
    outlet_of = {pt["id"]: o for o in ent["outlets"] for pt in o["points"]}
    tables = []
    vn = vq.vn_point_ids(conn, [pt["id"] for pt in points])
    for pt in points:
        if pt["id"] in vn:
            tables.append(vn_public_table(conn, pt, outlet_of[pt["id"]], now))
            continue
        mine = [r for r in rows if r["point_id"] == pt["id"]]
        codes = sorted({r["factor_code"] for r in mine})
        tz = ZoneInfo(pt["tz"])
        days: dict = {}
        for r in mine:  # a derived day starts at local midnight: its local date names it
            days.setdefault(r["period_start"].astimezone(tz).date(), {})[r["factor_code"]] = dict(r)
        tables.append({"point": pt, "outlet": outlet_of[pt["id"]], "codes": codes,
                       "days": sorted(days.items(), reverse=True),
                       "exceeded_days": sum(1 for v in days.values() if any(c.get("exceeded") for c in v.values())),
                       "limits": {c: lim.get("day") or lim.get("hour")
                                  for c, lim in limits.get(pt["id"], {}).items()}})
    return {"ent": ent, "tables": tables, "factors": factor_catalogue(conn), "days": PUBLIC_DAYS}


@router.get("/public", response_class=HTMLResponse)
def public_index(request: Request):
    now = datetime.now(timezone.utc)
    with request.app.state.engine.connect() as conn:
        ents = published_list(conn, now)
    return render(request, "public.html", {"ents": ents, "days": PUBLIC_DAYS})


@router.get("/public/enterprises/{enterprise_id}", response_class=HTMLResponse)
def public_enterprise(request: Request, enterprise_id: int):
    with request.app.state.engine.connect() as conn:
        ctx = published_enterprise(conn, enterprise_id, datetime.now(timezone.utc))
    return render(request, "public_enterprise.html", ctx)
