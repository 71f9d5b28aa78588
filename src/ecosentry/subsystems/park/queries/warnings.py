"""Read model of a park's warnings: the warning events (raised, escalated, de-escalated, cleared), newest first,
and one incident (a raise or escalation with its stored zones and ranking) with its timeline: the events of the
same station and pollutant from the raise up to the clearing that ended it. Scoped by :class:`ParkScope`: an
enterprise sees the events at its own stations and the incidents whose ranking names one of its sources."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.queries.scope import ParkScope

__all__ = ["warning_events", "incident_view", "event_park"]


def _utc(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _columns():
    ev, st, e = ps.park_warning_events, ps.park_stations, s.enterprises
    return (select(ev.c.id, ev.c.station_id, ev.c.factor, ev.c.at, ev.c.transition, ev.c.level, ev.c.previous,
                   ev.c.value, ev.c.threshold, ev.c.background, ev.c.code, ev.c.sentence, ev.c.alarm_id,
                   ev.c.incident, ev.c.detected_at, st.c.code.label("station_code"),
                   st.c.name.label("station_name"), st.c.tier, st.c.x, st.c.y, st.c.park_code, st.c.enterprise_id,
                   e.c.name.label("enterprise_name"))
            .join(st, st.c.id == ev.c.station_id).outerjoin(e, e.c.id == st.c.enterprise_id))


def _source_owners(conn: Connection, park_code: str) -> dict[str, int]:
    src = ps.park_sources.c
    return {r.code: int(r.enterprise_id) for r in conn.execute(
        select(src.code, src.enterprise_id).where(src.park_code == park_code))}


def _concerns(scope: ParkScope, row: dict, owners: dict[str, int]) -> bool:
    if scope.whole or (row["enterprise_id"] is not None and row["enterprise_id"] in scope.own):
        return True
    ranking = (row.get("incident") or {}).get("ranking") or []
    return any(owners.get(c.get("source")) in scope.own for c in ranking)


def _row(r) -> dict:
    d = dict(r._mapping)
    d["at"], d["detected_at"] = _utc(d["at"]), _utc(d["detected_at"])
    return d


def warning_events(conn: Connection, scope: ParkScope, limit: int = 100) -> list[dict]:
    """The park's warning events in scope, newest first (at most ``limit``)."""
    ev, st = ps.park_warning_events, ps.park_stations
    owners = _source_owners(conn, scope.park_code)
    out = []
    q = _columns().where(st.c.park_code == scope.park_code).order_by(ev.c.at.desc(), ev.c.id.desc())
    for r in conn.execute(q.limit(limit * (1 if scope.whole else 5))):
        d = _row(r)
        if _concerns(scope, d, owners):
            out.append(d)
    return out[:limit]


def event_park(conn: Connection, event_id: int) -> str | None:
    """The park of a warning event (None: no such event)."""
    ev, st = ps.park_warning_events, ps.park_stations
    return conn.execute(select(st.c.park_code).join(ev, ev.c.station_id == st.c.id)
                        .where(ev.c.id == event_id)).scalar()


def incident_view(conn: Connection, scope: ParkScope, event_id: int) -> dict | None:
    """The event ``event_id`` with its ``timeline`` (the events of its station and pollutant from the raise that
    opened the warning to the clearing that closed it, in time order), the ranked sources' names, and the
    readings of that pollutant at the park's stations in scope during it; None outside the scope."""
    ev, st = ps.park_warning_events, ps.park_stations
    row = conn.execute(_columns().where(ev.c.id == event_id, st.c.park_code == scope.park_code)).first()
    if row is None:
        return None
    d = _row(row)
    owners = _source_owners(conn, scope.park_code)
    if not _concerns(scope, d, owners):
        return None
    same = [_row(r) for r in conn.execute(_columns().where(ev.c.station_id == d["station_id"],
                                                           ev.c.factor == d["factor"]).order_by(ev.c.at, ev.c.id))]
    i = next(k for k, x in enumerate(same) if x["id"] == event_id)
    start = i
    while start > 0 and same[start]["transition"] != "raised":
        start -= 1
    end = i
    while end < len(same) - 1 and same[end]["transition"] != "cleared":
        end += 1
    d["timeline"] = same[start:end + 1]
    src, e = ps.park_sources, s.enterprises
    names = {r.code: dict(r._mapping) for r in conn.execute(
        select(src.c.code, src.c.name, src.c.x, src.c.y, src.c.enterprise_id, e.c.name.label("enterprise_name"))
        .join(e, e.c.id == src.c.enterprise_id).where(src.c.park_code == scope.park_code))}
    d["sources"] = names
    return d
