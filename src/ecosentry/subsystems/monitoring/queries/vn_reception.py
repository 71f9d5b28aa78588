"""Read model of the reception desk: what each Vietnamese station sent, per local day, from the file log.

Counting rules: :mod:`ecosentry.subsystems.monitoring.rules.vn.reception`. Used by the desk pages
(``web/vn_desk.py``) and the provincial transmission report (``reports/vn_transmission.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from ecosentry.protocols.vn_txt.model import VnFileError
from ecosentry.protocols.vn_txt.parser import parse_file
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.rules.vn.reception import (DayReception, ReceivedFile, day_bounds,
                                                                 rank_by_completeness, station_day, sum_receptions)

__all__ = ["Station", "stations", "station_receptions", "StationRow", "provincial_summary", "day_files",
           "file_detail", "due_before", "first_files", "exceedance_counts", "local_today", "missing_alarms", "MISSING_ALARM"]

f_ = ms.vn_files


@dataclass(frozen=True)
class Station:
    """A Vietnamese station (a point on the file path) with its facility and register entry."""

    point_id: int
    mn: str
    name: str
    tz: str
    interval_min: int
    connected_at: datetime | None
    enterprise_id: int
    facility: str
    region_code: str | None
    district: str | None
    industrial_zone: str | None
    category: str | None
    active: bool


def stations(conn: Connection, point_scope, *, vn_only: bool = True) -> list[Station]:
    """The stations in ``point_scope`` (a clause on ``points.id``), by facility then name. ``vn_only``: those
    that sent a station file or whose facility is in the register (Circular 10/2021 stations)."""
    p, o, e, r = s.points, s.outlets, s.enterprises, ms.vn_register_facilities
    q = (select(p.c.id, p.c.mn, p.c.name, p.c.tz, p.c.min_interval, p.c.connected_at, p.c.active,
                e.c.id.label("eid"), e.c.name.label("facility"), e.c.region_code, r.c.district, r.c.industrial_zone,
                r.c.category)
         .join(o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
         .outerjoin(r, r.c.enterprise_id == e.c.id).where(point_scope).order_by(e.c.name, p.c.name, p.c.id))
    if vn_only:
        q = q.where(or_(r.c.enterprise_id.is_not(None),
                        p.c.id.in_(select(f_.c.point_id).where(f_.c.point_id.is_not(None)).distinct())))
    return [Station(x.id, x.mn, x.name, x.tz, max(1, x.min_interval or 5), x.connected_at, x.eid, x.facility,
                    x.region_code, x.district, x.industrial_zone, x.category, bool(x.active))
            for x in conn.execute(q)]


def first_files(conn: Connection, point_ids: Iterable[int]) -> dict[int, tuple[datetime | None, datetime | None,
                                                                             datetime | None]]:
    """Point → (first file received, whatever became of it; first accepted file received; earliest measurement
    time of an accepted file), all UTC. The last is when the station's data begin (a logger that back-fills its
    buffer on connection sends measurements from before the first receipt)."""
    ids = list(point_ids)
    if not ids:
        return {}
    out: dict[int, list] = {pid: [None, None, None] for pid in ids}
    for pid, t in conn.execute(select(f_.c.point_id, func.min(f_.c.received_at)).where(f_.c.point_id.in_(ids))
                               .group_by(f_.c.point_id)):
        out[pid][0] = t
    for pid, t, m in conn.execute(select(f_.c.point_id, func.min(f_.c.received_at), func.min(f_.c.file_time))
                                  .where(f_.c.point_id.in_(ids), f_.c.status == "accepted").group_by(f_.c.point_id)):
        out[pid][1], out[pid][2] = t, m
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def due_before(now: datetime, interval_min: int, late_after_minutes: float = 5.0) -> datetime:
    """Slots starting before this are due: their file could have arrived within the 5 minutes (Art. 39)."""
    return now - timedelta(minutes=late_after_minutes + interval_min) + timedelta(seconds=1)


def _files(conn: Connection, point_ids: list[int], t0: datetime, t1: datetime) -> dict[int, list[ReceivedFile]]:
    """The log rows of the points whose measurement (or, without one, receipt) falls in ``[t0, t1)``."""
    out: dict[int, list[ReceivedFile]] = {pid: [] for pid in point_ids}
    if not point_ids:
        return out
    q = select(f_.c.point_id, f_.c.file_time, f_.c.received_at, f_.c.status, f_.c.reason, f_.c.late,
               f_.c.backfill, f_.c.unmapped).where(
        f_.c.point_id.in_(point_ids),
        or_(and_(f_.c.file_time >= t0, f_.c.file_time < t1),
            and_(f_.c.file_time.is_(None), f_.c.received_at >= t0, f_.c.received_at < t1)))
    for r in conn.execute(q):
        unmapped = r.unmapped
        if isinstance(unmapped, str):  # JSON text on some drivers
            unmapped = json.loads(unmapped)
        # lines a station's rule marks "not a factor" (reason ``ignored``) are read as meant: not unmapped
        not_mapped = sum(1 for u in unmapped or [] if not isinstance(u, dict) or u.get("reason") != "ignored")
        out[r.point_id].append(ReceivedFile(r.file_time, r.received_at, r.status, r.reason, bool(r.late),
                                            bool(r.backfill), not_mapped))
    return out


def station_receptions(conn: Connection, sts: list[Station], days: list[date], now: datetime, *,
                       late_after_minutes: float = 5.0) -> dict[int, list[DayReception]]:
    """Point → its reception of each day in ``days`` (local days of the station's zone), expected slots clipped
    to the station's connection (``connected_at``; else the earliest measurement it sent, else its first file
    received) and to what is due at ``now``."""
    if not sts or not days:
        return {st.point_id: [] for st in sts}
    t0 = min(day_bounds(min(days), st.tz)[0] for st in sts)
    t1 = max(day_bounds(max(days), st.tz)[1] for st in sts)
    files = _files(conn, [st.point_id for st in sts], t0, t1)
    first = first_files(conn, [st.point_id for st in sts])
    out = {}
    for st in sts:
        got = first.get(st.point_id, (None, None, None))
        since = st.connected_at or got[2] or got[0]
        if since is None:  # never connected, never sent: nothing is owed yet, nothing counted
            since = now
        out[st.point_id] = [station_day(files[st.point_id], d, tz=st.tz, interval_min=st.interval_min, since=since,
                                        due_before=due_before(now, st.interval_min, late_after_minutes))
                            for d in days]
    return out


@dataclass(frozen=True)
class StationRow:
    """A line of the provincial summary: a station and its reception over the chosen days."""

    station: Station
    reception: DayReception | None


def provincial_summary(conn: Connection, point_scope, days: list[date], now: datetime, *,
                       district: str | None = None, industrial_zone: str | None = None,
                       late_after_minutes: float = 5.0) -> tuple[list[StationRow], DayReception | None]:
    """Every station in scope with its reception over ``days``, the least complete first, and the total.
    ``district`` / ``industrial_zone`` narrow it to the facilities registered there."""
    sts = [st for st in stations(conn, point_scope)
           if (not district or st.district == district) and (not industrial_zone or st.industrial_zone == industrial_zone)]
    per = station_receptions(conn, sts, days, now, late_after_minutes=late_after_minutes)
    rows = [(st, sum_receptions(per[st.point_id])) for st in sts]
    ranked = [StationRow(st, rec) for st, rec in rank_by_completeness(rows)]
    return ranked, sum_receptions([r.reception for r in ranked if r.reception is not None])


def day_files(conn: Connection, point_id: int, day: date, tz: str) -> list[dict[str, Any]]:
    """The log rows of a station-day (measurement time in the day, else receipt), in the order received."""
    t0, t1 = day_bounds(day, tz)
    q = select(f_.c.id, f_.c.file_name, f_.c.file_time, f_.c.received_at, f_.c.delay_s, f_.c.late, f_.c.backfill,
               f_.c.status, f_.c.reason, f_.c.detail, f_.c.line, f_.c.n_lines, f_.c.n_readings, f_.c.unmapped,
               f_.c.transport, f_.c.size).where(
        f_.c.point_id == point_id,
        or_(and_(f_.c.file_time >= t0, f_.c.file_time < t1),
            and_(f_.c.file_time.is_(None), f_.c.received_at >= t0, f_.c.received_at < t1))
    ).order_by(f_.c.received_at, f_.c.id)
    out = []
    for r in conn.execute(q).mappings():
        row = dict(r)
        if isinstance(row["unmapped"], str):
            row["unmapped"] = json.loads(row["unmapped"])
        out.append(row)
    return out


#: The alarm type raised by missing files (alarms/catalogue; ``vn/missing.py``).
MISSING_ALARM = "ALM-DATA-MISSING"


def missing_alarms(conn: Connection, point_id: int, day: date, tz: str) -> list[dict[str, Any]]:
    """The station's missing-file alarms (:data:`MISSING_ALARM`) open at some time of the local day: raised
    before its end and not cleared before its start; the newest first."""
    t0, t1 = day_bounds(day, tz)
    a = s.alarms
    q = select(a.c.id, a.c.state, a.c.first_at, a.c.last_at, a.c.cleared_at, a.c.occurrences).where(
        a.c.point_id == point_id, a.c.type == MISSING_ALARM, a.c.first_at < t1,
        or_(a.c.cleared_at.is_(None), a.c.cleared_at >= t0)).order_by(a.c.first_at.desc(), a.c.id.desc())
    return [dict(r) for r in conn.execute(q).mappings()]


def file_detail(conn: Connection, file_id: int) -> dict[str, Any] | None:
    """One file of the log with its raw bytes (the raw archive row of its spool record), its parse result
    (parsed again from those bytes, as the sink did) and its receipt; ``None`` when there is no such file."""
    r = conn.execute(select(f_).where(f_.c.id == file_id)).mappings().first()
    if r is None:
        return None
    row = dict(r)
    if isinstance(row["unmapped"], str):
        row["unmapped"] = json.loads(row["unmapped"])
    raw = None
    if row["spool"] is not None and row["spool_seq"] is not None:
        raw = conn.scalar(select(s.raw_frames.c.raw).where(s.raw_frames.c.spool == row["spool"],
                                                           s.raw_frames.c.spool_seq == row["spool_seq"]))
    row["raw"] = bytes(raw) if raw is not None else None
    parse: dict[str, Any] = {"lines": [], "notes": [], "error": None}
    if row["raw"] is not None:
        try:
            vn = parse_file(row["file_name"], row["raw"], strict_time=False)
            parse["lines"] = [{"line": ln.line, "parameter": ln.parameter, "value": ln.value, "unit": ln.unit,
                               "time": ln.time, "status": ln.status} for ln in vn.lines]
            parse["notes"] = list(vn.notes)
        except VnFileError as exc:
            parse["error"] = {"reason": exc.reason, "line": exc.line, "message": str(exc)}
    row["parse"] = parse
    row["receipt"] = {
        "file": row["file_name"], "accepted": row["status"] in ("accepted", "duplicate"), "status": row["status"],
        "reason": row["reason"], "message": row["detail"], "line": row["line"], "station": row["station"],
        "received_at": row["received_at"].isoformat() if row["received_at"] else None,
        "file_time": row["file_time"].isoformat() if row["file_time"] else None, "delay_s": row["delay_s"],
        "late": bool(row["late"]), "backfill": bool(row["backfill"]), "n_lines": row["n_lines"],
        "n_readings": row["n_readings"], "unmapped": row["unmapped"] or [], "sha256": row["sha256"],
        "transport": row["transport"]}
    return row


def local_today(now: datetime, tz: str) -> date:
    """The local calendar day of ``now`` in ``tz``."""
    from zoneinfo import ZoneInfo
    return now.astimezone(ZoneInfo(tz)).date()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def exceedance_counts(conn: Connection, point_ids: Iterable[int], t0: datetime, t1: datetime) -> dict[int, dict[str, int]]:
    """Point → ``{"hours": n, "days": n}``: hours and days in ``[t0, t1)`` whose valid mean exceeded the point's
    stored limit (for a Vietnamese station: the QCVN Cmax = C × K computed by ``rules/vn/qcvn.py`` when the
    station was registered), counted over its factors. A small count for the provincial transmission report;
    the control page (issue 14 item 4) shows the exceedances themselves with the arithmetic."""
    ids = list(point_ids)
    out = {pid: {"hours": 0, "days": 0} for pid in ids}
    if not ids:
        return out
    h, d = s.hourly_values, s.derived_periods
    for pid, n in conn.execute(select(h.c.point_id, func.count()).where(
            h.c.point_id.in_(ids), h.c.exceeded.is_(True), h.c.period_start >= t0, h.c.period_start < t1)
            .group_by(h.c.point_id)):
        out[pid]["hours"] = n
    for pid, n in conn.execute(select(d.c.point_id, func.count()).where(
            d.c.point_id.in_(ids), d.c.period == "day", d.c.exceeded.is_(True), d.c.period_start >= t0,
            d.c.period_start < t1).group_by(d.c.point_id)):
        out[pid]["days"] = n
    return out
