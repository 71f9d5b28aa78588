"""Read model of the coverage of station-room door access and video (应装尽装、应联尽联, issue 18 item 5): the key
units in the reader's scope (enterprises with an active automatic-monitoring point of a medium in
``coverage.media``), the station rooms of their points with their door controller, its last event received and
their cameras' last answer, judged by :mod:`..rules.coverage` per unit and summed per region. The page
``/om/coverage`` and the API ``GET /api/v1/om/coverage`` show this one result.

Scope: the enterprises the reader sees (``principal.enterprise_clause``); ``region`` narrows to a region and its
subtree (a regulator's own region or one below it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from sqlalchemy import Connection, func, or_, select

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree
from ecosentry.subsystems.om.rules.coverage import (CoverageSettings, KeyUnit, RegionCoverage, Room,
                                                    region_coverage, unit_coverage)
from ecosentry.subsystems.om.schema import om_cameras, om_door_events, om_room_points, om_rooms

__all__ = ["key_units", "rooms_of", "coverage"]


def key_units(conn: Connection, principal: Principal, media: list[str], region: str | None,
              now: datetime) -> tuple[list[KeyUnit], dict[int, str]]:
    """The key units in scope (and ``region``), with the names of their points."""
    p, o, e = s.points, s.outlets, s.enterprises
    q = (select(e.c.id, e.c.name, e.c.region_code, p.c.id.label("point_id"), p.c.name.label("point_name"))
         .join(o, o.c.enterprise_id == e.c.id).join(p, p.c.outlet_id == o.c.id)
         .where(o.c.medium.in_(media), p.c.active, or_(p.c.decommissioned_at.is_(None), p.c.decommissioned_at > now),
                principal.enterprise_clause(e.c.id)).order_by(e.c.name, e.c.id, p.c.id))
    if region:
        q = q.where(e.c.region_code.in_(region_subtree(conn, region)))
    units: dict[int, dict] = {}
    names: dict[int, str] = {}
    for r in conn.execute(q):
        u = units.setdefault(r.id, {"name": r.name, "region": r.region_code, "points": []})
        u["points"].append(r.point_id)
        names[r.point_id] = r.point_name
    return [KeyUnit(eid, u["name"], u["region"], tuple(u["points"])) for eid, u in units.items()], names


def rooms_of(conn: Connection, point_ids: list[int]) -> list[Room]:
    """The station rooms serving ``point_ids``: door controller, its last event received, cameras' last answer."""
    if not point_ids:
        return []
    rp, r, c, d = om_room_points, om_rooms, om_cameras, om_door_events
    pts: dict[int, list[int]] = defaultdict(list)
    for room_id, point_id in conn.execute(select(rp.c.room_id, rp.c.point_id).where(rp.c.point_id.in_(point_ids))):
        pts[room_id].append(point_id)
    ids = sorted(pts)
    if not ids:
        return []
    seen = dict(conn.execute(select(d.c.room_id, func.max(d.c.received_at)).where(d.c.room_id.in_(ids))
                             .group_by(d.c.room_id)).all())
    cams: dict[int, list] = defaultdict(list)
    for room_id, last in conn.execute(select(c.c.room_id, c.c.last_seen_at).where(c.c.room_id.in_(ids))):
        cams[room_id].append(last)
    out = []
    for row in conn.execute(select(r.c.id, r.c.name, r.c.door_id).where(r.c.id.in_(ids)).order_by(r.c.name)):
        door_seen = seen.get(row.id)
        out.append(Room(row.id, row.name, tuple(sorted(pts[row.id])), bool(row.door_id), _aware(door_seen),
                        tuple(cams.get(row.id, []))))
    return out


def _aware(t):
    if isinstance(t, str):   # SQLite aggregate over a timestamp column: text
        t = datetime.fromisoformat(t)
    if t is not None and t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t


def coverage(conn: Connection, principal: Principal, settings: CoverageSettings, now: datetime,
             region: str | None = None) -> dict:
    """{"units": [UnitCoverage], "regions": [RegionCoverage], "total": RegionCoverage, "region_names": {...}}."""
    units, names = key_units(conn, principal, settings.media, region, now)
    rooms = rooms_of(conn, sorted({p for u in units for p in u.points}))
    judged = [unit_coverage(u, rooms, now, settings, names) for u in units]
    regions = region_coverage(judged)
    total = RegionCoverage("")
    for u in judged:
        total.add(u)
    codes = sorted({r.region_code for r in regions})
    region_names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)
                                     .where(s.regions.c.code.in_(codes))).all()) if codes else {}
    return {"units": judged, "regions": regions, "total": total, "region_names": region_names}
