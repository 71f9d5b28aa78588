"""Read model of the audit log (``audit_log``): one set of queries for the ``/api/v1/audit`` routes (JSON
pages, CSV export) and the audit page, so both show the same rows for the same filters.

The scope is a ``WHERE`` clause the caller builds (:func:`ecosentry.auth.guards.audit_clause`); this module
only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s

__all__ = ["AUDIT_SORTS", "audit_conditions", "audit_count", "audit_rows", "audit_rows_after", "audit_choices"]

_a = s.audit_log
#: Columns the audit rows may be sorted by (the id breaks ties in the same direction).
AUDIT_SORTS = {"id": _a.c.id, "at": _a.c.at, "actor": _a.c.actor, "action": _a.c.action, "entity": _a.c.entity}


def audit_conditions(scope: ColumnElement[bool], *, entity: str | None = None, entity_id: str | None = None,
                     actor: str | None = None, action: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> list[ColumnElement[bool]]:
    """The ``WHERE`` clauses of the rows in ``scope`` matching the filters (``since`` inclusive, ``until``
    exclusive); a filter left ``None`` does not filter."""
    conds = [scope]
    for col, v in ((_a.c.entity, entity), (_a.c.entity_id, entity_id), (_a.c.actor, actor),
                   (_a.c.action, action)):
        if v is not None:
            conds.append(col == v)
    if since is not None:
        conds.append(_a.c.at >= since)
    if until is not None:
        conds.append(_a.c.at < until)
    return conds


def audit_count(conn: Connection, conds: list) -> int:
    """How many audit rows match ``conds``."""
    return conn.execute(select(func.count()).select_from(_a).where(*conds)).scalar_one()


def audit_rows(conn: Connection, conds: list, *, sort: str = "id", desc: bool = True, offset: int = 0,
               limit: int) -> list[dict]:
    """One page of the rows matching ``conds``, sorted by ``sort`` (a key of :data:`AUDIT_SORTS`), then id."""
    col = AUDIT_SORTS[sort]
    order = [col.desc() if desc else col.asc()]
    if sort != "id":
        order.append(_a.c.id.desc() if desc else _a.c.id.asc())
    return [dict(r) for r in conn.execute(select(_a).where(*conds).order_by(*order).offset(offset)
                                          .limit(limit)).mappings()]


def audit_rows_after(conn: Connection, conds: list, last_id: int, limit: int) -> list[dict]:
    """The next ``limit`` rows matching ``conds`` with an id above ``last_id``, oldest first (keyset paging)."""
    return [dict(r) for r in conn.execute(select(_a).where(*conds, _a.c.id > last_id).order_by(_a.c.id)
                                          .limit(limit)).mappings()]


def audit_choices(conn: Connection, scope: ColumnElement[bool]) -> tuple[list[str], list[str]]:
    """(entities, actions) found in the rows in ``scope``, sorted: the choices of the page's filters."""
    entities = sorted(conn.execute(select(_a.c.entity).where(scope).distinct()).scalars())
    actions = sorted(conn.execute(select(_a.c.action).where(scope).distinct()).scalars())
    return entities, actions
