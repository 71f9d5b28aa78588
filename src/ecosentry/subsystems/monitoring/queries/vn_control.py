"""Read model of the control (kiểm soát) of Vietnamese stations: which points are Vietnamese, a station with its
facility, its registered limits, its hours (mean and count of valid values), its five-minute values with their
status, and the latest values.

Used by the control page (:mod:`ecosentry.subsystems.monitoring.web.vn_control`), the station reports
(:mod:`ecosentry.subsystems.monitoring.reports.vn_station`) and the public page. The caller checks the scope;
this module only reads. A station is Vietnamese when its region is (``regions.country = 'VN'``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.schema import vn_files
from ecosentry.subsystems.monitoring.queries.series import limits_in_force
from ecosentry.subsystems.monitoring.rules.vn.qcvn import HourPart, Measurement

__all__ = ["COUNTRY", "vn_point_ids", "vn_stations", "vn_station", "station_limits", "hour_parts",
           "station_measurements", "latest_values", "factor_names", "accepted_files"]

#: ``regions.country`` of Vietnamese regions.
COUNTRY = "VN"


def vn_point_ids(conn: Connection, point_ids: Iterable[int] | None = None) -> set[int]:
    """The Vietnamese points among ``point_ids`` (all of them when ``None``)."""
    p, r = s.points, s.regions
    q = select(p.c.id).join(r, p.c.region_code == r.c.code).where(r.c.country == COUNTRY)
    if point_ids is not None:
        ids = sorted(set(point_ids))
        if not ids:
            return set()
        q = q.where(p.c.id.in_(ids))
    return set(conn.scalars(q))


def _station_select():
    p, o, e, r = s.points, s.outlets, s.enterprises, s.regions
    return (select(p.c.id, p.c.mn, p.c.name, p.c.tz, p.c.min_interval, p.c.active, p.c.region_code,
                   r.c.name.label("region_name"), r.c.level.label("region_level"), o.c.id.label("outlet_id"), o.c.code.label("outlet_code"),
                   o.c.name.label("outlet_name"), o.c.medium, e.c.id.label("enterprise_id"),
                   e.c.name.label("enterprise_name"), e.c.credit_code.label("tax_code"), e.c.address,
                   e.c.industry)
            .join_from(p, o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
            .join(r, p.c.region_code == r.c.code).where(r.c.country == COUNTRY))


def vn_stations(conn: Connection, point_scope, enterprise_scope) -> list[dict]:
    """The Vietnamese stations inside the given scope clauses (``principal.point_clause(points.c.id)``,
    ``principal.enterprise_clause(enterprises.c.id)``), by facility then station."""
    q = _station_select().where(point_scope, enterprise_scope)
    return [dict(r) for r in conn.execute(q.order_by(s.enterprises.c.name, s.points.c.name)).mappings()]


def vn_station(conn: Connection, point_id: int) -> dict | None:
    """One Vietnamese station with its facility (name, tax code, address, industry), outlet and province, or
    ``None`` when the point does not exist or is not Vietnamese."""
    row = conn.execute(_station_select().where(s.points.c.id == point_id)).mappings().first()
    return dict(row) if row is not None else None


def station_limits(conn: Connection, point_id: int, day: date) -> dict[str, dict]:
    """factor → the registered limit row in force on ``day`` (the ``day`` limit, else the ``hour`` one)."""
    lims = limits_in_force(conn, [point_id], day).get(point_id, {})
    return {f: (by_kind.get("day") or by_kind.get("hour")) for f, by_kind in lims.items()}


def hour_parts(conn: Connection, point_ids: list[int], t0: datetime, t1: datetime,
               tz_of: dict[int, str]) -> dict[int, list[HourPart]]:
    """point → the hours in [t0, t1) as :class:`HourPart` (mean of valid values, valid and received counts;
    counts are values, from the hour's minutes ÷ the point's interval)."""
    if not point_ids:
        return {}
    h, p = s.hourly_values, s.points
    q = (select(h.c.point_id, h.c.factor_code, h.c.period_start, h.c.value, h.c.valid_minutes,
                h.c.received_minutes, p.c.min_interval)
         .join(p, p.c.id == h.c.point_id)
         .where(h.c.point_id.in_(point_ids), h.c.period_start >= t0, h.c.period_start < t1))
    out: dict[int, list[HourPart]] = {pid: [] for pid in point_ids}
    zones = {pid: ZoneInfo(tz) for pid, tz in tz_of.items()}
    for r in conn.execute(q):
        step = max(int(r.min_interval or 1), 1)
        start = r.period_start if r.period_start.tzinfo else r.period_start.replace(tzinfo=timezone.utc)
        out[r.point_id].append(HourPart(r.factor_code, start.astimezone(zones[r.point_id]).date(), r.value,
                                        int(r.valid_minutes or 0) // step, int(r.received_minutes or 0) // step))
    return out


def station_measurements(conn: Connection, point_id: int, t0: datetime, t1: datetime,
                         tz: str) -> list[Measurement]:
    """The station's five-minute values in [t0, t1) as :class:`Measurement` (naive station local time; the
    status is the file's ``00``/``01``/``02``, kept in ``observations.eflag``; the flag N/C/D when absent)."""
    o = s.observations
    zone = ZoneInfo(tz)
    back = {"N": "00", "C": "01", "D": "02"}
    out = []
    for r in conn.execute(select(o.c.factor_code, o.c.period_start, o.c.value, o.c.flag, o.c.eflag).where(
            o.c.point_id == point_id, o.c.kind == "min", o.c.period_start >= t0, o.c.period_start < t1)
            .order_by(o.c.period_start)):
        status = r.eflag if r.eflag in ("00", "01", "02") else back.get(r.flag or "N", "02")
        start = r.period_start if r.period_start.tzinfo else r.period_start.replace(tzinfo=timezone.utc)
        out.append(Measurement(r.factor_code, start.astimezone(zone).replace(tzinfo=None), r.value, status))
    return out


def latest_values(conn: Connection, point_ids: list[int]) -> dict[int, dict[str, dict]]:
    """point → factor → the latest five-minute value (time, value, flag)."""
    if not point_ids:
        return {}
    lv = s.latest_values
    out: dict[int, dict[str, dict]] = {}
    for r in conn.execute(select(lv.c.point_id, lv.c.factor_code, lv.c.period_start, lv.c.value, lv.c.flag)
                          .where(lv.c.point_id.in_(point_ids), lv.c.kind == "min")).mappings():
        out.setdefault(r["point_id"], {})[r["factor_code"]] = dict(r)
    return out


def factor_names(conn: Connection) -> dict[str, dict]:
    """factor code → ``name_zh``, ``name_en``, ``unit``."""
    f = s.factors
    return {r["code"]: dict(r) for r in conn.execute(select(f.c.code, f.c.name_zh, f.c.name_en, f.c.unit)).mappings()}


def accepted_files(conn: Connection, point_id: int, t0: datetime, t1: datetime) -> list[tuple[datetime, bool]]:
    """(file time UTC, late) of the station's accepted files whose time is in [t0, t1)."""
    v = vn_files
    rows = conn.execute(select(v.c.file_time, v.c.late).where(
        v.c.point_id == point_id, v.c.status == "accepted", v.c.file_time >= t0, v.c.file_time < t1))
    return [(t if t.tzinfo else t.replace(tzinfo=timezone.utc), bool(late)) for t, late in rows]
