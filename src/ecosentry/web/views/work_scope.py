"""What a principal may see on the working pages (alarms, marks, reports, audit): SQL clauses and choices.

The rules are those of :class:`ecosentry.auth.principal.Principal`; alarms use
:func:`ecosentry.auth.guards.alarm_clause` and the audit log
:func:`ecosentry.auth.guards.audit_clause`, the same clauses as the API.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s
from ecosentry.store.queries.sites import regions_in, scoped_points

__all__ = ["mark_clause", "visible_points", "visible_regions"]


def mark_clause(principal: Principal) -> ColumnElement[bool]:
    """``WHERE`` clause on ``marks``: marks of visible points."""
    return principal.point_clause(s.marks.c.point_id)


def visible_points(conn: Connection, principal: Principal) -> list[dict]:
    """The points in scope with their outlet, enterprise and time zone, by enterprise then name."""
    return scoped_points(conn, principal.point_clause(s.points.c.id))


def visible_regions(conn: Connection, principal: Principal) -> list[dict]:
    """The regions in scope (code, name, level), by code."""
    return regions_in(conn, principal.region_clause(s.regions.c.code))
