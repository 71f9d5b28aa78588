"""The public page (信息公开; Vietnam publishes 30 days): published enterprises and, per enterprise, the daily
values of the last :data:`PUBLIC_DAYS` days with their exceedances. No login, and no raw or minute data:
only derived daily values, whoever is logged in (the scope is always :func:`public_principal`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from ecosentry.auth.principal import public_principal
from ecosentry.subsystems.monitoring.queries.series import daily_exceedance_stats, daily_rows
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
    for x in ents:
        st = stats.get(x["id"])
        x["n_points"] = len(x["points"])
        x["exceeded_days"] = st.exceeded_days if st else 0
        tz = ZoneInfo(x["points"][0]["tz"] if x["points"] else "Asia/Shanghai")
        x["last_day"] = st.last_day.astimezone(tz).date() if st and st.last_day else None
    return ents


def published_enterprise(conn: Connection, enterprise_id: int, now: datetime) -> dict:
    """One published enterprise with, per point, its daily values (days × factors) and daily limits."""
    found = visible_tree(conn, public_principal(conn), enterprise_id=enterprise_id)
    if not found:
        raise HTTPException(404, f"there is no published enterprise with id {enterprise_id}")
    ent = found[0]
    points = ent["points"]
    rows = daily_rows(conn, [pt["id"] for pt in points], now - timedelta(days=PUBLIC_DAYS))
    limits = limits_in_force(conn, [pt["id"] for pt in points], now.date())
    outlet_of = {pt["id"]: o for o in ent["outlets"] for pt in o["points"]}
    tables = []
    for pt in points:
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
