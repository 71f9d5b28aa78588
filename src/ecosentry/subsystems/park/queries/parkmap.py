"""Read model of a park's map and live levels: the site (boundary polygon, time zone), the sources, the stations
with each pollutant's latest reading and warning level, the receptors, and the latest wind of its met stations.
Positions are metres east/north of the park's origin; times UTC (the pages show them in the park's zone)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, and_, func, select

from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.queries.scope import ParkScope
from ecosentry.subsystems.park.tiered import LEVEL_NAMES

__all__ = ["park_map", "LEVEL_NAMES"]



def _utc(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def park_map(conn: Connection, scope: ParkScope) -> dict | None:
    """Everything the map and the live table show of ``scope.park_code`` (None: no such park)."""
    code = scope.park_code
    head = conn.execute(select(s.parks.c.code, s.parks.c.name, s.parks.c.region_code, s.regions.c.name.label(
        "region_name"), ps.park_sites.c.boundary, ps.park_sites.c.tz, ps.park_sites.c.origin_lon,
        ps.park_sites.c.origin_lat).join(s.regions, s.regions.c.code == s.parks.c.region_code)
        .outerjoin(ps.park_sites, ps.park_sites.c.park_code == s.parks.c.code)
        .where(s.parks.c.code == code)).first()
    if head is None:
        return None
    out = dict(head._mapping)
    out["tz"] = out["tz"] or "Asia/Shanghai"
    out["boundary"] = [[float(x), float(y)] for x, y in (out["boundary"] or [])]
    e = s.enterprises
    src = ps.park_sources
    out["sources"] = [dict(r._mapping) for r in conn.execute(
        select(src.c.id, src.c.code, src.c.name, src.c.x, src.c.y, src.c.height, src.c.substances,
               src.c.enterprise_id, e.c.name.label("enterprise_name"))
        .join(e, e.c.id == src.c.enterprise_id).where(src.c.park_code == code).order_by(src.c.code))
        if scope.sees_enterprise_item(r.enterprise_id)]
    st = ps.park_stations
    stations = [dict(r._mapping) for r in conn.execute(
        select(st.c.id, st.c.code, st.c.name, st.c.tier, st.c.x, st.c.y, st.c.factors, st.c.enterprise_id,
               st.c.active, st.c.last_seen_at, e.c.name.label("enterprise_name"))
        .outerjoin(e, e.c.id == st.c.enterprise_id).where(st.c.park_code == code).order_by(st.c.tier, st.c.code))
        if scope.sees_enterprise_item(r.enterprise_id)]
    ids = [x["id"] for x in stations]
    levels = _levels(conn, ids)
    latest = _latest(conn, ids)
    for x in stations:
        x["last_seen_at"] = _utc(x["last_seen_at"])
        x["pollutants"] = [{"factor": f, "level": levels.get((x["id"], f), (0, None))[0],
                            "since": levels.get((x["id"], f), (0, None))[1],
                            "value": latest.get((x["id"], f), (None, None))[0],
                            "at": latest.get((x["id"], f), (None, None))[1]}
                           for f in sorted({*(x["factors"] or []), *(f for (i, f) in latest if i == x["id"])})
                           if x["tier"] != "met"]
        x["level"] = max((p["level"] for p in x["pollutants"]), default=0)
    out["stations"] = stations
    rc = ps.park_receptors
    out["receptors"] = [dict(r._mapping) for r in conn.execute(
        select(rc.c.id, rc.c.code, rc.c.name, rc.c.kind, rc.c.x, rc.c.y, rc.c.population)
        .where(rc.c.park_code == code).order_by(rc.c.code))]
    out["wind"] = latest_wind(conn, [x["id"] for x in stations if x["tier"] == "met"])
    return out


def _levels(conn: Connection, station_ids: list[int]) -> dict[tuple[int, str], tuple[int, datetime | None]]:
    if not station_ids:
        return {}
    w = ps.park_warning_states.c
    return {(r.station_id, r.factor): (int(r.level), _utc(r.since)) for r in conn.execute(
        select(w.station_id, w.factor, w.level, w.since).where(w.station_id.in_(station_ids)))}


def _latest(conn: Connection, station_ids: list[int]) -> dict[tuple[int, str], tuple[float, datetime]]:
    """Each (station, pollutant)'s latest reading: value and time."""
    if not station_ids:
        return {}
    r = ps.park_readings
    last = (select(r.c.station_id, r.c.factor, func.max(r.c.at).label("at"))
            .where(r.c.station_id.in_(station_ids)).group_by(r.c.station_id, r.c.factor).subquery())
    rows = conn.execute(select(r.c.station_id, r.c.factor, r.c.value, r.c.at).join(
        last, and_(last.c.station_id == r.c.station_id, last.c.factor == r.c.factor, last.c.at == r.c.at)))
    return {(x.station_id, x.factor): (float(x.value), _utc(x.at)) for x in rows}


def latest_wind(conn: Connection, met_ids: list[int]) -> dict | None:
    """The latest wind of the met stations: speed [m/s], direction it comes from [°], time, and the Pasquill
    class (A–F) when sent; None without any."""
    if not met_ids:
        return None
    m = ps.park_met_readings.c
    out: dict = {}
    for quantity in ("wind_speed", "wind_dir", "stability"):
        row = conn.execute(select(m.value, m.at).where(m.station_id.in_(met_ids), m.quantity == quantity)
                           .order_by(m.at.desc()).limit(1)).first()
        if row is not None:
            out[quantity] = (float(row.value), _utc(row.at))
    if "wind_dir" not in out:
        return None
    cls = out.get("stability")
    return {"speed_m_s": out.get("wind_speed", (None,))[0], "from_deg": out["wind_dir"][0], "at": out["wind_dir"][1],
            "stability": "ABCDEF"[int(cls[0]) - 1] if cls and 1 <= int(cls[0]) <= 6 else None}
