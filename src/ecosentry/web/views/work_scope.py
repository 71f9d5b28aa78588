"""What a principal may see on the working pages (alarms, marks, reports, audit): SQL clauses and choices.

The rules are those of :class:`ecosentry.auth.principal.Principal`; alarms use
:func:`ecosentry.auth.guards.alarm_clause` and the audit log
:func:`ecosentry.auth.guards.audit_clause`, the same clauses as the API.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s

__all__ = ["mark_clause", "visible_points", "visible_regions"]


def mark_clause(principal: Principal) -> ColumnElement[bool]:
    """``WHERE`` clause on ``marks``: marks of visible points."""
    return principal.point_clause(s.marks.c.point_id)


def visible_points(conn: Connection, principal: Principal) -> list[dict]:
    """The points in scope with their outlet, enterprise and time zone, by enterprise then name."""
    p, o, e = s.points, s.outlets, s.enterprises
    rows = conn.execute(
        select(p.c.id, p.c.name, p.c.mn, p.c.tz, p.c.region_code, o.c.name.label("outlet_name"),
               e.c.id.label("enterprise_id"), e.c.name.label("enterprise_name"))
        .join(o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
        .where(principal.point_clause(p.c.id)).order_by(e.c.name, p.c.name, p.c.id)).mappings()
    return [dict(r) for r in rows]


def visible_regions(conn: Connection, principal: Principal) -> list[dict]:
    """The regions in scope (code, name, level), by code."""
    r = s.regions
    return [dict(x) for x in conn.execute(select(r.c.code, r.c.name, r.c.level)
                                          .where(principal.region_clause(r.c.code)).order_by(r.c.code)).mappings()]
