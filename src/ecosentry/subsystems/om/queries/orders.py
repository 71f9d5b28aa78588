"""Work orders as the pages read them (issue 18 item 7): the board of the orders in a reader's scope with their
names (point, outlet, enterprise, O&M organisation, engineer, the source alarm's type), one order with its audit
trail and photos, an engineer's own open orders, the engineers who may take an order, the names of people.

Every function takes the reader's scope as a ``WHERE`` clause on a point-id column
(:meth:`ecosentry.auth.principal.Principal.point_clause`); times are UTC, the point's zone comes with each row.

**Overdue** is the rule ``OM-WO-OVERDUE`` (:mod:`..rules.deadlines`) on the stored deadline: an order not done by
its deadline at the clock, or done after it; cancelled orders are never overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, false, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import (om_contract_points, om_contracts, om_organisations, om_staff,
                                            om_work_order_events, om_work_order_photos, om_work_orders)

__all__ = ["points_for_orders", "OPEN_STATES", "MINE_STATES", "COLUMNS", "REVIEWED_DAYS", "BoardFilter", "board_orders",
           "board_choices", "order_detail", "order_events", "order_photos", "photo_of", "engineers_for",
           "people_names", "my_orders", "point_factor_codes", "is_overdue"]

wo = om_work_orders
#: States in which an order still waits for work (the overdue alarm's, :mod:`..jobs`).
OPEN_STATES = ("created", "assigned", "accepted", "on_site", "rejected")
#: An engineer's own open orders: assigned to them and not yet done (a rejected one is to be done again).
MINE_STATES = ("assigned", "accepted", "on_site", "rejected")
#: The board's columns, in the order of the work: each a tuple of states.
COLUMNS = (("created",), ("assigned",), ("accepted",), ("on_site",), ("done",), ("reviewed", "rejected"))
#: Reviewed orders stay on the board this many days after their review (then the search of the API finds
#: them) [ours].
REVIEWED_DAYS = 30
#: Most orders one board shows.
BOARD_MAX = 1000


@dataclass(frozen=True)
class BoardFilter:
    organisation_id: int | None = None
    enterprise_id: int | None = None
    kind: str | None = None
    overdue: bool = False


def _overdue_clause(now: datetime):
    return and_(wo.c.deadline.is_not(None), wo.c.state != "cancelled",
                or_(and_(wo.c.done_at.is_(None), wo.c.deadline < now), wo.c.done_at > wo.c.deadline))


def is_overdue(order: dict, now: datetime) -> bool:
    """``OM-WO-OVERDUE`` on the stored deadline (see the module's doc)."""
    due = order.get("deadline")
    if due is None or order["state"] == "cancelled":
        return False
    done = order.get("done_at")
    return done > due if done is not None else now > due


def _named():
    """The orders with the names of their point, outlet, enterprise and source alarm."""
    p, o, e, a = s.points, s.outlets, s.enterprises, s.alarms
    return (select(wo, p.c.name.label("point_name"), p.c.tz, p.c.mn, o.c.name.label("outlet_name"),
                   e.c.id.label("enterprise_id"), e.c.name.label("enterprise_name"), a.c.type.label("alarm_type"),
                   a.c.first_at.label("alarm_first_at"), a.c.title.label("alarm_title"))
            .join(p, p.c.id == wo.c.point_id).join(o, o.c.id == p.c.outlet_id).join(e, e.c.id == o.c.enterprise_id)
            .outerjoin(a, a.c.id == wo.c.alarm_id))


def _contracts(conn: Connection, point_ids: Iterable[int]) -> dict[int, list[tuple[date, date | None, int, str]]]:
    """Point → its contracts (valid from, to, organisation id, organisation name), newest first."""
    ids = sorted(set(point_ids))
    if not ids:
        return {}
    c, cp, org = om_contracts, om_contract_points, om_organisations
    out: dict[int, list] = {}
    for r in conn.execute(select(cp.c.point_id, c.c.valid_from, c.c.valid_to, org.c.id, org.c.name)
                          .join(c, c.c.id == cp.c.contract_id).join(org, org.c.id == c.c.organisation_id)
                          .where(cp.c.point_id.in_(ids)).order_by(c.c.valid_from.desc())):
        out.setdefault(r.point_id, []).append((r.valid_from, r.valid_to, r.id, r.name))
    return out


def _organisation(contracts: list, day: date) -> tuple[int | None, str | None]:
    """The organisation whose contract covers ``day``, else the newest one (a contract filed late)."""
    for start, end, oid, name in contracts:
        if start <= day and (end is None or day <= end):
            return oid, name
    return (contracts[0][2], contracts[0][3]) if contracts else (None, None)


def _with_names(conn: Connection, rows: list[dict]) -> list[dict]:
    contracts = _contracts(conn, (r["point_id"] for r in rows))
    people = people_names(conn, {r["assignee"] for r in rows if r["assignee"]})
    for r in rows:
        day = r["created_at"].astimezone(ZoneInfo(r["tz"])).date()
        r["organisation_id"], r["organisation_name"] = _organisation(contracts.get(r["point_id"], []), day)
        r["assignee_name"] = people.get(r["assignee"], r["assignee"]) if r["assignee"] else None
    return rows


def board_orders(conn: Connection, point_clause, flt: BoardFilter, now: datetime) -> list[dict]:
    """The orders of the board, soonest deadline first (no deadline last): every state but cancelled, reviewed
    ones for :data:`REVIEWED_DAYS` days; each with its names, ``overdue`` and ``organisation_*``."""
    q = _named().where(point_clause, wo.c.state != "cancelled",
                       or_(wo.c.state != "reviewed", wo.c.reviewed_at >= now - timedelta(days=REVIEWED_DAYS)))
    if flt.kind:
        q = q.where(wo.c.kind == flt.kind)
    if flt.enterprise_id is not None:
        q = q.where(s.enterprises.c.id == flt.enterprise_id)
    if flt.organisation_id is not None:
        c, cp = om_contracts, om_contract_points
        q = q.where(wo.c.point_id.in_(select(cp.c.point_id).join(c, c.c.id == cp.c.contract_id)
                                      .where(c.c.organisation_id == flt.organisation_id)))
    if flt.overdue:
        q = q.where(_overdue_clause(now))
    q = q.order_by(wo.c.deadline.is_(None), wo.c.deadline, wo.c.created_at, wo.c.id).limit(BOARD_MAX)
    rows = _with_names(conn, [dict(r) for r in conn.execute(q).mappings()])
    if flt.organisation_id is not None:   # the organisation of the order's time, not any that ever had the point
        rows = [r for r in rows if r["organisation_id"] == flt.organisation_id]
    for r in rows:
        r["overdue"] = is_overdue(r, now)
    return rows


def board_choices(conn: Connection, point_scope, enterprise_clause) -> dict[str, list[dict]]:
    """The board's filter choices: the O&M organisations with a contract on a point in scope, the enterprises in
    scope that have work orders. ``point_scope``: column → clause (``principal.point_clause``)."""
    c, cp, org = om_contracts, om_contract_points, om_organisations
    p, o, e = s.points, s.outlets, s.enterprises
    orgs = conn.execute(select(org.c.id, org.c.name).distinct().join(c, c.c.organisation_id == org.c.id)
                        .join(cp, cp.c.contract_id == c.c.id).where(point_scope(cp.c.point_id))
                        .order_by(org.c.name)).mappings()
    orgs = [dict(r) for r in orgs]
    ents = conn.execute(select(e.c.id, e.c.name).distinct().join(o, o.c.enterprise_id == e.c.id)
                        .join(p, p.c.outlet_id == o.c.id).join(wo, wo.c.point_id == p.c.id)
                        .where(enterprise_clause).order_by(e.c.name)).mappings()
    return {"organisations": orgs, "enterprises": [dict(r) for r in ents]}


def point_timezone(conn: Connection, point_id: int) -> str | None:
    """The point's time zone (``None`` when the point has none of its own)."""
    return conn.execute(select(s.points.c.tz).where(s.points.c.id == point_id)).scalar()


def order_detail(conn: Connection, order_id: int) -> dict | None:
    """One order with its names (``None``: no such order; the caller checks the scope on ``point_id``)."""
    row = conn.execute(_named().where(wo.c.id == order_id)).mappings().first()
    return _with_names(conn, [dict(row)])[0] if row is not None else None


def order_events(conn: Connection, order_id: int) -> list[dict]:
    """The audit trail of the order's transitions, oldest first, each with the actor's name."""
    ev = om_work_order_events
    rows = [dict(r) for r in conn.execute(select(ev).where(ev.c.order_id == order_id).order_by(ev.c.at, ev.c.id))
            .mappings()]
    names = people_names(conn, {r["actor"] for r in rows if r["actor"]})
    for r in rows:
        r["actor_name"] = names.get(r["actor"], r["actor"]) if r["actor"] else None
    return rows


def order_photos(conn: Connection, order_id: int) -> list[dict]:
    """The photos linked to the order, oldest first, each with the uploader's name."""
    ph = om_work_order_photos
    rows = [dict(r) for r in conn.execute(select(ph).where(ph.c.order_id == order_id)
                                          .order_by(ph.c.uploaded_at, ph.c.id)).mappings()]
    names = people_names(conn, {r["uploaded_by"] for r in rows if r["uploaded_by"]})
    for r in rows:
        r["uploader_name"] = names.get(r["uploaded_by"], r["uploaded_by"]) if r["uploaded_by"] else None
    return rows


def photo_of(conn: Connection, order_id: int, sha256: str) -> dict | None:
    """The photo row when this picture is linked to this order."""
    ph = om_work_order_photos
    row = conn.execute(select(ph).where(ph.c.order_id == order_id, ph.c.sha256 == sha256)).mappings().first()
    return dict(row) if row is not None else None


def people_names(conn: Connection, usernames: Iterable[str]) -> dict[str, str]:
    """Username → the name a reader knows: the O&M staff register's name, else the account's display name."""
    names = sorted({u for u in usernames if u})
    if not names:
        return {}
    u, st = s.users, om_staff
    out = {r.username: r.display_name for r in conn.execute(select(u.c.username, u.c.display_name)
                                                             .where(u.c.username.in_(names))) if r.display_name}
    out.update({r.username: r.name for r in conn.execute(select(st.c.username, st.c.name)
                                                         .where(st.c.username.in_(names)))})
    return out


def engineers_for(conn: Connection, point_id: int) -> list[dict]:
    """The people an order at the point may be assigned to: the O&M accounts maintaining it, and the active staff
    (with an account) of the organisations contracted for it; ``[{username, name}]`` by name."""
    pm, u = s.point_maintainers, s.users
    c, cp, st = om_contracts, om_contract_points, om_staff
    users = set(conn.execute(select(u.c.username).join(pm, pm.c.user_id == u.c.id)
                             .where(pm.c.point_id == point_id, u.c.active.is_(True), u.c.role == "om")).scalars())
    users |= set(conn.execute(select(st.c.username).join(c, c.c.organisation_id == st.c.organisation_id)
                              .join(cp, cp.c.contract_id == c.c.id)
                              .where(cp.c.point_id == point_id, st.c.active.is_(True), st.c.username.is_not(None)))
                 .scalars())
    names = people_names(conn, users)
    return sorted(({"username": x, "name": names.get(x, x)} for x in users), key=lambda r: (r["name"], r["username"]))


def my_orders(conn: Connection, username: str, point_clause, now: datetime) -> dict[str, list[dict]]:
    """An engineer's phone list: ``mine`` (assigned to them, not yet done: soonest deadline first) and ``free``
    (created, not yet assigned, at the points they see)."""
    base = _named().order_by(wo.c.deadline.is_(None), wo.c.deadline, wo.c.created_at, wo.c.id).limit(200)
    mine = _with_names(conn, [dict(r) for r in conn.execute(
        base.where(point_clause, wo.c.assignee == username, wo.c.state.in_(MINE_STATES))).mappings()])
    free = _with_names(conn, [dict(r) for r in conn.execute(
        base.where(point_clause, wo.c.state == "created") if username else base.where(false())).mappings()])
    for r in (*mine, *free):
        r["overdue"] = is_overdue(r, now)
    return {"mine": mine, "free": free}


def point_factor_codes(conn: Connection, point_id: int) -> list[str]:
    """The factors monitored at the point (what an engineer reads on site), in code order."""
    pf = s.point_factors
    return list(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == point_id)
                             .order_by(pf.c.factor_code)).scalars())


def points_for_orders(conn: Connection, point_scope) -> list[dict]:
    """The active points in scope a planned order may be created for: id, name, MN, time zone and the enterprise's
    name, by enterprise and point. ``point_scope``: column → clause (``principal.point_clause``)."""
    p, o, e = s.points, s.outlets, s.enterprises
    return [dict(r) for r in conn.execute(
        select(p.c.id, p.c.name, p.c.mn, p.c.tz, e.c.name.label("enterprise_name"))
        .join(o, o.c.id == p.c.outlet_id).join(e, e.c.id == o.c.enterprise_id)
        .where(point_scope(p.c.id), p.c.active, p.c.decommissioned_at.is_(None))
        .order_by(e.c.name, p.c.name, p.c.id)).mappings()]
