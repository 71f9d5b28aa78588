"""What a principal sees of the registry, and the state of each point and enterprise (the map's colours).

Shared by the home list, the map, the overview dashboard and the enterprise/outlet/point pages. The queries
are :mod:`ecosentry.store.queries.sites`; every one is filtered by the :class:`~ecosentry.auth.principal.Principal` (``enterprise_clause`` /
``point_clause``), so a page built on it never shows anything outside the scope.

State of a point, worst first (:data:`STATES`):

``alarm``
    a non-cleared alarm of the point (or of its enterprise, for enterprise-level alarms);
``exceedance``
    an hourly value judged above its limit (``hourly_values.exceeded``) in the last :data:`EXCEEDANCE_HOURS`;
``offline``
    nothing received for longer than :func:`offline_after` (never received counts as offline);
``normal``
    otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import Connection

from ecosentry.auth.deps import current_principal
from ecosentry.auth.guards import NO_ENTERPRISE, NO_POINT
from ecosentry.auth.principal import Principal
from ecosentry.said import Said
from ecosentry.store import schema as s
from ecosentry.store.queries.sites import (
    enterprise_exists,
    enterprise_tree,
    factor_catalogue,
    point_exists,
    point_state_counts,
    region_exists,
    regions_in,
)
from ecosentry.store.registry import region_subtree

__all__ = ["STATES", "EXCEEDANCE_HOURS", "offline_after", "PointState", "visible_tree", "point_states",
           "worst_state", "region_scope", "factor_catalogue", "open_alarm_clause", "visible_regions",
           "login_redirect", "require_enterprise", "require_point"]

#: Point states, worst first; an enterprise takes the worst state of its points.
STATES = ("alarm", "exceedance", "offline", "normal")
#: An exceedance in the hourly values of this many latest hours colours the point. [h]
EXCEEDANCE_HOURS = 3


def offline_after(min_interval: int | None) -> timedelta:
    """Silence after which a point counts as offline: three minute-data intervals, at least 10 minutes.

    Parameters
    ----------
    min_interval : int
        The point's MinInterval (HJ 212 minute-data interval). [min]
    """
    return timedelta(minutes=max(10, 3 * (min_interval or 1)))


@dataclass(frozen=True)
class PointState:
    """The colour of one point on the map, and why."""

    state: str
    last_seen: datetime | None
    online: bool
    open_alarms: int
    exceeded_hours: int


def worst_state(states: Iterable[str]) -> str:
    """The worst of ``states`` (``normal`` for none)."""
    ranked = [STATES.index(x) for x in states]
    return STATES[min(ranked)] if ranked else "normal"


def login_redirect(request: Request) -> RedirectResponse | None:
    """For the anonymous public: a redirect to the login page (coming back here); for a logged-in public
    account: to the public page (published data only); else ``None``."""
    principal = current_principal(request)
    if principal.is_public and principal.auth == "anonymous":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if principal.is_public:
        return RedirectResponse("/public", status_code=303)
    return None


def require_enterprise(conn: Connection, principal: Principal, enterprise_id: int) -> None:
    """404 for an enterprise that does not exist or lies outside the scope: the same answer for both, as the
    API gives (:func:`ecosentry.auth.guards.enterprise_or_404`), so ids cannot be probed."""
    if not principal.sees_enterprise(enterprise_id) or not enterprise_exists(conn, enterprise_id):
        raise HTTPException(404, Said(NO_ENTERPRISE, id=enterprise_id))


def require_point(conn: Connection, principal: Principal, point_id: int) -> None:
    """404 for a point that does not exist or lies outside the scope (same answer, as in the API; a JSON path such
    as the chart's says it in the reader's language)."""
    if not principal.sees_point(point_id) or not point_exists(conn, point_id):
        raise HTTPException(404, Said(NO_POINT, id=point_id))


def region_scope(conn: Connection, principal: Principal, region: str | None) -> list[str] | None:
    """The region codes a page shows: the subtree of ``region`` (checked against the scope), else ``None``.

    Raises a 404 for a region that does not exist or lies outside the principal's regions (the same answer
    for both, as in the API's ``report_region``).
    """
    if not region:
        return None
    if not principal.sees_region(region) or not region_exists(conn, region):
        raise HTTPException(404, Said("no region with code %(code)r", code=region))
    return region_subtree(conn, region)


def visible_regions(conn: Connection, principal: Principal) -> list[dict]:
    """Regions the principal may choose on the dashboard (its subtree; every region for an admin)."""
    return regions_in(conn, principal.region_clause(s.regions.c.code), with_parent=True)


def visible_tree(conn: Connection, principal: Principal, regions: list[str] | None = None,
                 enterprise_id: int | None = None, outlet_id: int | None = None) -> list[dict]:
    """Enterprises the principal sees (optionally within ``regions`` or only one), each with its region
    name, ``outlets`` and the visible ``points`` of each outlet."""
    # an O&M contractor's scope is points, not outlets: its outlets without a visible point are left out
    return enterprise_tree(conn, principal.enterprise_clause(s.enterprises.c.id),
                           principal.point_clause(s.points.c.id), outlets_need_points=principal.point_ids is not None,
                           regions=regions, enterprise_id=enterprise_id, outlet_id=outlet_id)


def open_alarm_clause(principal: Principal, point_ids: Iterable[int], enterprise_ids: Iterable[int]):
    """Non-cleared alarms of these points, or enterprise-level alarms (no point) of these enterprises."""
    a = s.alarms
    pids, eids = sorted(set(point_ids)), sorted(set(enterprise_ids))
    of_points = a.c.point_id.in_(pids) & principal.point_clause(a.c.point_id)
    of_ents = a.c.point_id.is_(None) & a.c.enterprise_id.in_(eids) & principal.enterprise_clause(a.c.enterprise_id)
    return (a.c.state != "cleared") & (of_points | of_ents)


def point_states(conn: Connection, ents: list[dict], now: datetime) -> dict[int, PointState]:
    """The :class:`PointState` of every point of ``ents`` (as given by :func:`visible_tree`); an enterprise's
    own state is ``worst_state`` of its points' states plus its enterprise-level alarms (key ``-id``)."""
    pts = {pt["id"]: pt for x in ents for pt in x["points"]}
    ids = sorted(pts)
    last, exceeded, alarms, ent_alarms = point_state_counts(conn, ids, [x["id"] for x in ents],
                                                            now - timedelta(hours=EXCEEDANCE_HOURS))
    out: dict[int, PointState] = {}
    for pid, pt in pts.items():
        seen = last.get(pid)
        online = seen is not None and now - seen <= offline_after(pt["min_interval"])
        if alarms.get(pid):
            state = "alarm"
        elif exceeded.get(pid):
            state = "exceedance"
        elif not online:
            state = "offline"
        else:
            state = "normal"
        out[pid] = PointState(state, seen, online, int(alarms.get(pid, 0)), int(exceeded.get(pid, 0)))
    for x in ents:
        n = int(ent_alarms.get(x["id"], 0))
        states = [out[pt["id"]].state for pt in x["points"]] + (["alarm"] if n else [])
        seen = [out[pt["id"]].last_seen for pt in x["points"] if out[pt["id"]].last_seen]
        out[-x["id"]] = PointState(worst_state(states) if states else "offline", max(seen, default=None),
                                   any(out[pt["id"]].online for pt in x["points"]),
                                   n + sum(out[pt["id"]].open_alarms for pt in x["points"]),
                                   sum(out[pt["id"]].exceeded_hours for pt in x["points"]))
    return out
