"""Read model of a park alarm's evidence pack (证据包): the warning's station and its park's zone, the warning events
of the station and pollutant around the alarm, the readings of the stations concerned and the met stations' wind
over the data window, the park's sources by code, and the stations' original frames with their bytes
(:mod:`ecosentry.subsystems.park.reports.evidence` builds the pack's section; this module only reads).

The core's archive (``raw_frames``) keeps every park frame with transport ``park-<transport>``, no point and the
station's MN (:func:`ecosentry.subsystems.park.pipeline.sink.archive_form`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, func, select

from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.pipeline.sink import ARCHIVE_PREFIX

__all__ = ["station_of", "park_zone", "warning_events_around", "stations_reading", "readings_of", "wind_of",
           "source_names", "receptors_of", "station_frames"]

#: The met quantities the pack charts: wind speed [m/s] and the direction it blows from [°].
WIND = ("wind_speed", "wind_dir")


def station_of(conn: Connection, station_id: int) -> dict | None:
    """The station: code, name, tier, park, MN, position, its enterprise's name (a boundary station)."""
    st, e = ps.park_stations, s.enterprises
    row = conn.execute(select(st.c.id, st.c.code, st.c.name, st.c.tier, st.c.park_code, st.c.mn, st.c.x, st.c.y,
                              st.c.enterprise_id, e.c.name.label("enterprise_name"))
                       .outerjoin(e, e.c.id == st.c.enterprise_id).where(st.c.id == station_id)).mappings().first()
    return dict(row) if row else None


def park_zone(conn: Connection, park_code: str) -> tuple[str | None, str | None]:
    """The park's name and time zone (``None`` each when unknown)."""
    name = conn.scalar(select(s.parks.c.name).where(s.parks.c.code == park_code))
    tz = conn.scalar(select(ps.park_sites.c.tz).where(ps.park_sites.c.park_code == park_code))
    return name, tz


def warning_events_around(conn: Connection, station_id: int, factor: str, at: datetime) -> list[dict]:
    """The warning events of the station and pollutant from the raise that opened the warning in force at ``at``
    to the clearing that closed it (or the latest), in time order."""
    ev = ps.park_warning_events
    rows = [dict(r) for r in conn.execute(select(ev).where(ev.c.station_id == station_id, ev.c.factor == factor)
                                          .order_by(ev.c.at, ev.c.id)).mappings()]
    if not rows:
        return rows
    here = max((k for k, r in enumerate(rows) if _utc(r["at"]) <= _utc(at)), default=0)
    start = here
    while start > 0 and rows[start]["transition"] != "raised":
        start -= 1
    end = here
    while end < len(rows) - 1 and rows[end]["transition"] != "cleared":
        end += 1
    return rows[start:end + 1]


def _utc(t: datetime) -> datetime:
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def stations_reading(conn: Connection, park_code: str, factor: str, t0: datetime, t1: datetime) -> list[dict]:
    """The park's stations with readings of ``factor`` in ``[t0, t1)``: id, code, name, tier, MN, the highest
    value [mg/m³] and how many readings; the highest first."""
    r, st = ps.park_readings, ps.park_stations
    return [dict(x) for x in conn.execute(
        select(st.c.id, st.c.code, st.c.name, st.c.tier, st.c.mn, func.max(r.c.value).label("peak"),
               func.count().label("readings"))
        .join(st, st.c.id == r.c.station_id)
        .where(st.c.park_code == park_code, r.c.factor == factor, r.c.at >= t0, r.c.at < t1)
        .group_by(st.c.id, st.c.code, st.c.name, st.c.tier, st.c.mn)
        .order_by(func.max(r.c.value).desc(), st.c.code)).mappings()]


def readings_of(conn: Connection, station_ids: list[int], factor: str, t0: datetime, t1: datetime) -> list:
    """The readings of ``factor`` at the stations in ``[t0, t1)`` as received: (station id, at, value, flag)."""
    if not station_ids:
        return []
    r = ps.park_readings.c
    return conn.execute(select(r.station_id, r.at, r.value, r.flag)
                        .where(r.station_id.in_(station_ids), r.factor == factor, r.at >= t0, r.at < t1)
                        .order_by(r.at)).all()


def wind_of(conn: Connection, park_code: str, t0: datetime, t1: datetime) -> tuple[dict | None, list]:
    """The park's met station with the most wind readings in ``[t0, t1)`` (code, name, MN) and its wind speed and
    direction readings (quantity, at, value)."""
    m, st = ps.park_met_readings, ps.park_stations
    best = conn.execute(select(st.c.id, st.c.code, st.c.name, st.c.mn, func.count().label("n"))
                        .join(m, m.c.station_id == st.c.id)
                        .where(st.c.park_code == park_code, m.c.quantity.in_(WIND), m.c.at >= t0, m.c.at < t1)
                        .group_by(st.c.id, st.c.code, st.c.name, st.c.mn)
                        .order_by(func.count().desc(), st.c.code).limit(1)).mappings().first()
    if best is None:
        return None, []
    rows = conn.execute(select(m.c.quantity, m.c.at, m.c.value).where(
        m.c.station_id == best["id"], m.c.quantity.in_(WIND), m.c.at >= t0, m.c.at < t1).order_by(m.c.at)).all()
    return dict(best), rows


def source_names(conn: Connection, park_code: str) -> dict[str, dict]:
    """The park's sources by code: name, enterprise's name, position."""
    src, e = ps.park_sources, s.enterprises
    return {r["code"]: dict(r) for r in conn.execute(
        select(src.c.code, src.c.name, src.c.x, src.c.y, src.c.height, e.c.name.label("enterprise_name"))
        .join(e, e.c.id == src.c.enterprise_id).where(src.c.park_code == park_code)).mappings()}


def receptors_of(conn: Connection, park_code: str) -> list[dict]:
    """The park's sensitive receptors (schools, villages): code, name, kind, position, population."""
    rc = ps.park_receptors.c
    return [dict(r) for r in conn.execute(select(rc.code, rc.name, rc.kind, rc.x, rc.y, rc.population)
                                          .where(rc.park_code == park_code).order_by(rc.code)).mappings()]


def station_frames(conn: Connection, mns: list[str], t0: datetime, t1: datetime, limit: int) -> tuple[list, int]:
    """The stations' frames received in ``[t0, t1]``, oldest first, at most ``limit`` (id, received_at, cn, qn,
    status, raw), and how many there are."""
    if not mns:
        return [], 0
    f = s.raw_frames
    where = (f.c.mn.in_(mns), f.c.transport.like(f"{ARCHIVE_PREFIX}%"), f.c.received_at.between(t0, t1))
    total = conn.execute(select(func.count()).select_from(f).where(*where)).scalar_one()
    rows = conn.execute(select(f.c.id, f.c.received_at, f.c.cn, f.c.qn, f.c.status, f.c.raw).where(*where)
                        .order_by(f.c.received_at, f.c.id).limit(limit)).all() if limit else []
    return rows, int(total)
