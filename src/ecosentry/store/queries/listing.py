"""Helpers every list query uses: a case-insensitive search clause and a sorted page of a query with its count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["search_clause", "sorted_page"]


def search_clause(q: str, *columns) -> ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``q`` (case-insensitive; ``%`` and ``_`` match themselves)."""
    if not q:
        return None
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))


def sorted_page(conn: Connection, query: Select, offset: int, limit: int, sort_column: Any, desc: bool,
                tiebreak: Any) -> tuple[list[dict], int]:
    """One page of ``query`` sorted by ``sort_column`` (then ``tiebreak``), and the total count."""
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    ordered = query.order_by(sort_column.desc() if desc else sort_column.asc(), tiebreak)
    rows = conn.execute(ordered.offset(offset).limit(limit)).mappings().all()
    return [dict(r) for r in rows], int(total)
