"""Overview dashboard of a region (``/dashboard?region=``): online rate, today's effective transmission rate,
open alarms by type, today's exceedances and the worst enterprises, all within the principal's scope.

The rates are the national ones (:mod:`ecosentry.subsystems.monitoring.rules.cn.rates`), computed per point by
:func:`ecosentry.subsystems.monitoring.queries.rates.point_rate_counts` over today's complete clock hours (local day of each
point) and aggregated by summing counts, never by averaging rates.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts
from ecosentry.auth.deps import current_principal
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings, Rates, rates_from_counts, sum_counts
from ecosentry.store.queries.alarms import open_alarm_counts
from ecosentry.subsystems.monitoring.queries.series import exceeded_hours
from ecosentry.web.templating import render
from ecosentry.web.views.site_state import (factor_catalogue, login_redirect, open_alarm_clause, point_states, region_scope,
                                            visible_regions, visible_tree)

router = APIRouter(include_in_schema=False)

#: Rows in each "worst enterprises" table and in the exceedance list.
TOP_N = 10


def today_hours(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """Today's complete clock hours in ``tz``: [local midnight, start of the current hour), in UTC."""
    local = now.astimezone(ZoneInfo(tz))
    t0 = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    t1 = now.replace(minute=0, second=0, microsecond=0)
    return t0, t1


def today_rates(engine: Engine, ents: list[dict], now: datetime) -> tuple[Rates | None, dict[int, Rates]]:
    """Effective transmission rates of today (complete hours): for all ``ents`` together and per enterprise."""
    settings = RateSettings()
    per_ent, everything = {}, []
    for x in ents:
        counts = []
        for pt in x["points"]:
            t0, t1 = today_hours(now, pt["tz"])
            if t0 < t1:
                counts += [r.counts for _, r in point_rate_counts(engine, pt["id"], t0, t1, pt["tz"],
                                                                  "backfilled", settings, now=now)]
        if counts:
            c = sum_counts(counts)
            everything.append(c)
            per_ent[x["id"]] = rates_from_counts(c, settings=settings, mode="backfilled")
    total = rates_from_counts(sum_counts(everything), settings=settings, mode="backfilled") if everything else None
    return total, per_ent


def overview(engine: Engine, principal, region: str | None, now: datetime, tz: str) -> dict:
    """Every figure of the dashboard, as a template context."""
    with engine.connect() as conn:
        regions = region_scope(conn, principal, region)
        ents = visible_tree(conn, principal, regions)
        states = point_states(conn, ents, now)
        pids = [pt["id"] for x in ents for pt in x["points"]]
        eids = [x["id"] for x in ents]
        alarm_where = open_alarm_clause(principal, pids, eids)
        by_type, by_severity = open_alarm_counts(conn, alarm_where)
        day0, _ = today_hours(now, tz)
        # complete hours only: the hour still running is not judged (issue 11 item 3)
        n_exceeded, exceedances = exceeded_hours(conn, pids, day0, now - timedelta(hours=1), TOP_N)
        factors = factor_catalogue(conn)
        choices = visible_regions(conn, principal)
    active = [pt for x in ents for pt in x["points"] if pt["active"]]
    online = sum(1 for pt in active if states[pt["id"]].online)
    total_rates, ent_rates = today_rates(engine, ents, now)
    point_names = {pt["id"]: (x, o, pt) for x in ents for o in x["outlets"] for pt in o["points"]}
    ent_alarms = {x["id"]: states[-x["id"]].open_alarms for x in ents}
    by_rate = sorted((x for x in ents if x["id"] in ent_rates and ent_rates[x["id"]].effe_trans_rate is not None),
                     key=lambda x: (ent_rates[x["id"]].effe_trans_rate, -ent_alarms[x["id"]]))[:TOP_N]
    by_alarms = sorted((x for x in ents if ent_alarms[x["id"]]), key=lambda x: -ent_alarms[x["id"]])[:TOP_N]
    return {"region": region, "regions": choices, "ents": ents, "n_points": len(active), "n_online": online,
            "online_rate": online / len(active) if active else None, "rates": total_rates,
            "ent_rates": ent_rates, "ent_alarms": ent_alarms, "alarms_by_type": by_type,
            "alarms_by_severity": by_severity, "n_alarms": sum(n for _, n in by_type),
            "n_exceeded": n_exceeded, "exceedances": exceedances, "point_names": point_names,
            "worst_by_rate": by_rate, "worst_by_alarms": by_alarms, "factors": factors, "states": states,
            "now": now}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, region: str | None = None):
    if (redirect := login_redirect(request)) is not None:
        return redirect
    principal = current_principal(request)
    if region is None and principal.role == "regulator" and principal.region_code:
        region = principal.region_code
    settings = request.app.state.settings
    ctx = overview(request.app.state.engine, principal, region, datetime.now(timezone.utc),
                   getattr(settings, "default_tz", "Asia/Shanghai"))
    return render(request, "dashboard.html", ctx)
