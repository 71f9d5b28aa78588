"""Read model of the marks as the pages list them: the mark list (filters, sort, paging), the marks of a point
shown beside an alarm, and the alarms linked to a mark.

The scope is a ``WHERE`` clause on ``marks`` the caller builds
(:func:`ecosentry.web.views.work_scope.mark_clause`); this module only reads. Filing, reviewing and the
evidence are :mod:`ecosentry.subsystems.monitoring.store.marks`.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s

__all__ = ["MARK_SORTS", "mark_ids_page", "marks_of_point", "mark_in_scope", "alarms_linked_to_mark"]

_m = s.marks
#: Columns the mark list may be sorted by (the id, newest first, breaks ties).
MARK_SORTS = {"id": _m.c.id, "type": _m.c.type, "point": _m.c.point_id, "start": _m.c.start,
              "status": _m.c.status, "filed": _m.c.filed_at}


def mark_ids_page(conn: Connection, conds: list, *, sort: str, desc: bool, offset: int,
                  limit: int) -> tuple[list[int], int]:
    """(the ids of one page of the marks matching ``conds``, sorted by ``sort`` then newest id; the count)."""
    total = conn.execute(select(func.count()).select_from(_m).where(*conds)).scalar_one()
    col = MARK_SORTS[sort]
    ids = conn.execute(select(_m.c.id).where(*conds).order_by(col.desc() if desc else col.asc(), _m.c.id.desc())
                       .offset(offset).limit(limit)).scalars().all()
    return list(ids), total


def marks_of_point(conn: Connection, point_id: int, scope: ColumnElement[bool], limit: int) -> list[dict]:
    """The point's marks (not deleted) in ``scope``: id, type, start, end, status; newest start first."""
    return [dict(x) for x in conn.execute(
        select(_m.c.id, _m.c.type, _m.c.start, _m.c.end, _m.c.status)
        .where(_m.c.point_id == point_id, _m.c.deleted_at.is_(None), scope)
        .order_by(_m.c.start.desc()).limit(limit)).mappings()]


def mark_in_scope(conn: Connection, mark_id: int, scope: ColumnElement[bool]) -> bool:
    """Whether mark ``mark_id`` exists and lies in ``scope``."""
    return conn.execute(select(_m.c.id).where(_m.c.id == mark_id, scope)).first() is not None


def alarms_linked_to_mark(conn: Connection, mark_id: int) -> list[dict]:
    """The alarms linked to the mark (id, type, title, state, severity), by id."""
    a, ln = s.alarms, s.alarm_links
    return [dict(r) for r in conn.execute(
        select(a.c.id, a.c.type, a.c.title, a.c.state, a.c.severity)
        .join(ln, ln.c.alarm_id == a.c.id)
        .where(ln.c.kind == "mark", ln.c.target_id == str(mark_id))
        .order_by(a.c.id)).mappings()]
