"""The monitoring subsystem's home list of enterprises and points (``/``) and the point page (``/points/{id}``).

Every page shows only what the request's principal sees (:mod:`ecosentry.web.views.site_state`); the anonymous
public is sent to ``/public``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts
from ecosentry.subsystems.monitoring.queries.vn_control import vn_point_ids
from ecosentry.auth.deps import current_principal
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings
from ecosentry.store.queries.points import point_row
from ecosentry.store.registry import region_subtree
from ecosentry.web.alarm_text import localise_for
from ecosentry.web.listing import ListQuery, page_of
from ecosentry.web.templating import render
from ecosentry.subsystems.monitoring.web.point_chart import DEFAULT_HOURS
from ecosentry.subsystems.monitoring.web.site_details import (KINDS, day_hours, limits_in_force, live_values, logger_fault,
                                              point_rates, recent_alarms, recent_marks, report_links)
from ecosentry.web.views.site_state import (STATES, factor_catalogue, login_redirect, point_states, require_point,
                                            visible_regions, visible_tree)



#: Sort keys of the enterprise list and what each sorts by.
HOME_SORTS = {"name": lambda x, st: x["name"], "region": lambda x, st: (x["region_name"] or "", x["name"]),
              "industry": lambda x, st: (x.get("industry") or "", x["name"]),
              "state": lambda x, st: (STATES.index(st[-x["id"]].state), x["name"])}
#: Enterprises per page of the enterprise list.
HOME_PER_PAGE = 20


def home_query(request: Request) -> ListQuery:
    """The enterprise list's search (name, credit code, point MN), filters and sort from the query string."""
    return ListQuery.from_request(request, sorts=tuple(HOME_SORTS), default_sort="name",
                                  filters=("region", "industry", "state"), per_page=HOME_PER_PAGE)


def _matches(x: dict, lq: ListQuery, states: dict, regions: set[str] | None) -> bool:
    f = lq.filters
    if regions is not None and x["region_code"] not in regions:
        return False
    if f.get("industry") and (x.get("industry") or "") != f["industry"]:
        return False
    if f.get("state") and states[-x["id"]].state != f["state"]:
        return False
    if lq.q:
        needle = lq.q.casefold()
        hay = [x["name"], x["credit_code"] or ""] + [pt["mn"] for pt in x["points"]]
        return any(needle in h.casefold() for h in hay)
    return True


def home_context(engine, principal, now: datetime, lq: ListQuery | None = None) -> dict:
    """Enterprises and points in the scope with their state and latest minute (or real-time) values: the
    totals over the whole scope, the cards of one page of the searched, filtered and sorted list."""
    lq = lq or ListQuery(path="/", sort="name", per_page=HOME_PER_PAGE)
    with engine.connect() as conn:
        every = visible_tree(conn, principal)
        states = point_states(conn, every, now)
        region = lq.filters.get("region") or ""
        regions = None
        if region:  # a region outside the scope simply finds nothing (as the API's filters do)
            regions = set(region_subtree(conn, region)) if principal.sees_region(region) else set()
        chosen = sorted((x for x in every if _matches(x, lq, states, regions)),
                        key=lambda x: HOME_SORTS[lq.sort](x, states), reverse=lq.desc)
        ents, total = page_of(chosen, lq)
        live = live_values(conn, [pt["id"] for x in ents for pt in x["points"]])
        factors = factor_catalogue(conn)
        region_choices = visible_regions(conn, principal)
    pids = [pt["id"] for x in every for pt in x["points"]]
    online = sum(1 for pid in pids if states[pid].online)
    return {"ents": ents, "states": states, "live": live, "factors": factors, "n_points": len(pids),
            "online": online, "now": now, "n_ents": len(every), "total": total, "lq": lq,
            "region_choices": region_choices, "industries": sorted({x["industry"] for x in every if x.get("industry")}),
            "state_choices": STATES}


#: Rows of the point page's hourly table per page (one row per hour and factor).
HOURS_PER_PAGE = 24


def _chosen_day(value: str | None, today: date) -> date | None:
    """The local day asked for (``?day=YYYY-MM-DD``, at most today), or ``None``: the last 24 hours."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return min(day, today) if day is not None else None


def point_context(engine, principal, point_id: int, now: datetime, request: Request | None = None) -> dict:
    """Everything the point page shows around its chart; the hourly table shows the last 24 hours or one local
    day (``?day=``), newest hour first, :data:`HOURS_PER_PAGE` rows a page (``?page=``)."""
    with engine.connect() as conn:
        require_point(conn, principal, point_id)
        pt = point_row(conn, point_id)
        ent = visible_tree(conn, principal, enterprise_id=pt["enterprise_id"])[0]
        states = point_states(conn, [ent], now)
        live = live_values(conn, [point_id])
        limits = limits_in_force(conn, [point_id], now.astimezone(ZoneInfo(pt["tz"])).date())
        alarms = recent_alarms(conn, [point_id], None, now)
        today = now.astimezone(ZoneInfo(pt["tz"])).date()
        day = _chosen_day(request.query_params.get("day") if request is not None else None, today)
        lq = (ListQuery.from_request(request, sorts=("time",), default_sort="time", default_desc=True,
                                     keep=("day",), per_page=HOURS_PER_PAGE) if request is not None
              else ListQuery(path=f"/points/{point_id}", sort="time", desc=True, per_page=HOURS_PER_PAGE))
        hours, n_hours = page_of(day_hours(conn, point_id, day, pt["tz"], now), lq)
        factors = factor_catalogue(conn)
        faulty_frames = logger_fault(conn, point_id, now)
        vn_station = bool(vn_point_ids(conn, [point_id]))
    end = now.replace(minute=0, second=0, microsecond=0)
    per_factor = point_rate_counts(engine, point_id, end - timedelta(hours=24), end, pt["tz"], "backfilled",
                                   RateSettings(), now=now)
    return {"pt": pt, "state": states[point_id], "live": live, "limits": limits, "alarms": alarms,
            "factors": factors, "kinds": KINDS, "rates": point_rates(engine, [pt], now)[point_id],
            "factor_rates": per_factor, "marks": recent_marks(engine, [point_id], now),
            "reports": report_links(point_id, pt["tz"], now, vn=vn_station), "point_of": {point_id: pt},
            "vn_station": vn_station,
            "chart_hours": DEFAULT_HOURS, "hours": hours, "n_hours": n_hours, "hours_lq": lq, "day": day,
            "today": today, "prev_day": (day or today) - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day is not None and day < today else None,
            "logger_fault": faulty_frames}


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request):
    if current_principal(request).is_public:
        return RedirectResponse("/public", status_code=303)
    ctx = home_context(request.app.state.engine, current_principal(request), datetime.now(timezone.utc),
                       home_query(request))
    return render(request, "home.html", ctx)

@router.get("/points/{point_id}", response_class=HTMLResponse, include_in_schema=False)
def point_page(request: Request, point_id: int):
    if (redirect := login_redirect(request)) is not None:
        return redirect
    ctx = point_context(request.app.state.engine, current_principal(request), point_id,
                        datetime.now(timezone.utc), request)
    ctx["alarms"] = localise_for(request, ctx["alarms"])
    return render(request, "point.html", ctx)
