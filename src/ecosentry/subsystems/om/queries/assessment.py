"""Read model of the monthly O&M assessment: what the assessment of a month reads (contracts, work orders, marks,
door events, calibration checks, the stored daily slot counts) and what the pages, the API, the report and the
CLI show of the stored result (the ranking, an organisation's stations with their health codes), each within the
reader's scope.

**Scope** (``docs/om.md`` "Ranking"): an administrator sees every organisation; an O&M account sees only its own
organisation (the one whose staff list its login, ``om_staff.username``) and all of that organisation's
stations; any other reader (a regulator of its region, an enterprise, a park committee) sees the organisations
that maintain at least one point in its scope, with their organisation-wide score, and of their stations only
those in its scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, or_, select

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s
from ecosentry.store.queries.day_counts import SlotCounts, day_slot_counts
from ecosentry.subsystems.om.schema import (om_assessments, om_calibrations, om_contract_points, om_contracts,
                                            om_door_events, om_organisations, om_room_points, om_staff,
                                            om_station_health, om_work_orders)

__all__ = ["parse_month", "month_bounds", "contracted_points", "month_orders", "month_marks", "month_doors",
           "month_checks", "slot_counts", "stored_months", "provisional_months", "visible_organisations", "ranking", "organisation",
           "stations", "own_organisation"]


def parse_month(text: str | None) -> tuple[int, int] | None:
    """(year, month) of ``YYYY-MM``; None when it is not one."""
    if not text or len(text) != 7 or text[4] != "-":
        return None
    try:
        y, m = int(text[:4]), int(text[5:])
    except ValueError:
        return None
    return (y, m) if 2000 <= y <= 2100 and 1 <= m <= 12 else None


def _first(month: str) -> date:
    y, m = parse_month(month) or (0, 0)
    if not y:
        raise ValueError(f"not a month YYYY-MM: {month!r}")
    return date(y, m, 1)


def _next_first(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local month ``YYYY-MM`` as aware [start, end) (local midnights)."""
    first = _first(month)
    return (datetime.combine(first, time(0), zone), datetime.combine(_next_first(first), time(0), zone))


def contracted_points(conn: Connection, month: str) -> dict[int, set[int]]:
    """{organisation id: the points of its contracts valid on any day of the month}."""
    first = _first(month)
    last = _next_first(first) - timedelta(days=1)
    c, cp = om_contracts, om_contract_points
    out: dict[int, set[int]] = defaultdict(set)
    for org, point in conn.execute(select(c.c.organisation_id, cp.c.point_id).join(cp, cp.c.contract_id == c.c.id)
                                   .where(c.c.valid_from <= last, or_(c.c.valid_to.is_(None), c.c.valid_to >= first))):
        out[org].add(point)
    return dict(out)


def month_orders(conn: Connection, point_ids: Iterable[int], since: datetime, until: datetime) -> list[dict]:
    """Work orders of the points created before ``until`` and not done before ``since``."""
    wo = om_work_orders
    ids = sorted(set(point_ids))
    if not ids:
        return []
    return [dict(r) for r in conn.execute(select(wo).where(
        wo.c.point_id.in_(ids), wo.c.created_at < until, or_(wo.c.done_at.is_(None), wo.c.done_at >= since))
        .order_by(wo.c.id)).mappings()]


def month_marks(conn: Connection, point_ids: Iterable[int], since: datetime, until: datetime) -> list[dict]:
    """The points' marks (not deleted) starting before ``until`` and not ended before ``since``."""
    m = s.marks
    ids = sorted(set(point_ids))
    if not ids:
        return []
    return [dict(r) for r in conn.execute(select(m.c.id, m.c.point_id, m.c.factor_codes, m.c.type, m.c.start,
                                                 m.c.end).where(
        m.c.point_id.in_(ids), m.c.deleted_at.is_(None), m.c.start < until,
        or_(m.c.end.is_(None), m.c.end >= since)).order_by(m.c.id)).mappings()]


def month_doors(conn: Connection, point_ids: Iterable[int], since: datetime, until: datetime) -> list[dict]:
    """Door events of the points' station rooms in [since, until): one row per event and point of the room."""
    d, rp = om_door_events, om_room_points
    ids = sorted(set(point_ids))
    if not ids:
        return []
    return [dict(r) for r in conn.execute(select(rp.c.point_id, d.c.at, d.c.event).join(rp, rp.c.room_id == d.c.room_id)
                                          .where(rp.c.point_id.in_(ids), d.c.at >= since, d.c.at < until)
                                          .order_by(d.c.at)).mappings()]


def month_checks(conn: Connection, point_ids: Iterable[int], since: datetime, until: datetime) -> list[dict]:
    """Zero/span checks of the points in [since, until)."""
    c = om_calibrations
    ids = sorted(set(point_ids))
    if not ids:
        return []
    return [dict(r) for r in conn.execute(select(c.c.point_id, c.c.factor_code, c.c.at, c.c.kind, c.c.result,
                                                 c.c.drift_pct).where(c.c.point_id.in_(ids), c.c.at >= since,
                                                                      c.c.at < until).order_by(c.c.at)).mappings()]


def slot_counts(conn: Connection, point_ids: Iterable[int], t0: datetime, t1: datetime) -> dict[int, SlotCounts]:
    """The stored daily slot counts of the month (the core's read model)."""
    return day_slot_counts(conn, point_ids, t0, t1)


# --------------------------------------------------------------------------- the stored result


def stored_months(conn: Connection) -> list[str]:
    """Months with a stored assessment, newest first (the current month's provisional one included)."""
    a = om_assessments
    return list(conn.execute(select(a.c.month).distinct().order_by(a.c.month.desc())).scalars())


def provisional_months(conn: Connection) -> set[str]:
    """Stored months whose assessment is provisional (the month to date, ``detail.provisional``)."""
    a = om_assessments
    return {m for m, d in conn.execute(select(a.c.month, a.c.detail)) if (d or {}).get("provisional")}


def own_organisation(conn: Connection, principal: Principal) -> int | None:
    """The organisation an O&M account belongs to (its staff entry), None when it has none."""
    st = om_staff
    return conn.execute(select(st.c.organisation_id).where(st.c.username == principal.username)
                        .order_by(st.c.active.desc(), st.c.id).limit(1)).scalar()


def visible_organisations(conn: Connection, principal: Principal, month: str) -> set[int] | None:
    """Organisation ids the reader sees in the month's assessment (None: all)."""
    if principal.role == "admin":
        return None
    if principal.role == "om":
        own = own_organisation(conn, principal)
        return {own} if own is not None else set()
    h = om_station_health
    return set(conn.execute(select(h.c.organisation_id).distinct().where(
        h.c.month == month, principal.point_clause(h.c.point_id))).scalars())


def ranking(conn: Connection, principal: Principal, month: str) -> list[dict]:
    """The month's stored assessments the reader sees, best first: organisation code and name, rank among all
    organisations of the month, score, grade and the stored detail (counts, components, weights, formula)."""
    a, o = om_assessments, om_organisations
    visible = visible_organisations(conn, principal, month)
    q = (select(a.c.organisation_id, a.c.rank, a.c.score, a.c.grade, a.c.points, a.c.expected, a.c.received,
                a.c.valid, a.c.detail, a.c.computed_at, o.c.code, o.c.name)
         .join(o, o.c.id == a.c.organisation_id).where(a.c.month == month).order_by(a.c.rank, o.c.name))
    if visible is not None:
        q = q.where(a.c.organisation_id.in_(sorted(visible)) if visible else a.c.id.is_(None))
    return [dict(r) for r in conn.execute(q).mappings()]


def organisation(conn: Connection, principal: Principal, month: str, code: str) -> dict | None:
    """One organisation's stored assessment of the month (by its code), None when unknown or not visible."""
    return next((r for r in ranking(conn, principal, month) if r["code"] == code), None)


def stations(conn: Connection, principal: Principal, month: str, organisation_id: int) -> list[dict]:
    """The organisation's stations of the month the reader sees: point, enterprise, region, score, health code,
    critical findings and the stored detail; red first, then by score."""
    h, p, o, e, r = om_station_health, s.points, s.outlets, s.enterprises, s.regions
    q = (select(h.c.point_id, h.c.score, h.c.health, h.c.critical, h.c.detail, p.c.mn, p.c.name.label("point_name"),
                e.c.name.label("enterprise_name"), r.c.name.label("region_name"))
         .join(p, p.c.id == h.c.point_id).join(o, o.c.id == p.c.outlet_id).join(e, e.c.id == o.c.enterprise_id)
         .join(r, r.c.code == p.c.region_code)
         .where(h.c.month == month, h.c.organisation_id == organisation_id))
    own = principal.role == "om" and own_organisation(conn, principal) == organisation_id
    if principal.role != "admin" and not own:
        q = q.where(principal.point_clause(h.c.point_id))
    order = {"red": 0, "yellow": 1, "green": 2}
    rows = [dict(x) for x in conn.execute(q).mappings()]
    return sorted(rows, key=lambda x: (order.get(x["health"], 3), x["score"], x["enterprise_name"], x["point_name"]))

