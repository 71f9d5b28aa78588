"""The audit log: who changed what, when, with the record before and after (table ``audit_log``).

Write with :func:`record` inside the transaction that makes the change, so the change and its audit row
commit (or roll back) together. ``before``/``after`` are stored as JSON: datetimes become ISO 8601 UTC
strings, sets become sorted lists, bytes are left out (only their size is kept).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from ecosentry.store import schema as s

__all__ = ["record", "list_audit", "jsonable"]


def jsonable(value: Any) -> Any:
    """A JSON-serialisable copy of ``value`` (dicts, lists, datetimes, sets, bytes)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if not isinstance(v, (bytes, bytearray, memoryview))}
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": len(value)}
    return str(value)


def record(conn: Connection, actor: str | None, action: str, entity: str, entity_id: Any,
           before: Any, after: Any) -> int:
    """Write one audit row (time = now, UTC) and return its id."""
    res = conn.execute(insert(s.audit_log).values(
        at=datetime.now(timezone.utc), actor=actor, action=action, entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=jsonable(before), after=jsonable(after)))
    return int(res.inserted_primary_key[0])


def list_audit(engine: Engine, entity: str | None = None, entity_id: Any = None, limit: int = 100) -> list[dict]:
    """Audit rows, **newest first**, optionally of one entity kind and id."""
    a = s.audit_log
    q = select(a).order_by(a.c.id.desc()).limit(limit)
    if entity is not None:
        q = q.where(a.c.entity == entity)
    if entity_id is not None:
        q = q.where(a.c.entity_id == str(entity_id))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
