"""Helpers every list query uses: a case-insensitive search clause."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["search_clause"]


def search_clause(q: str, *columns) -> ColumnElement[bool] | None:
    """Rows where any of ``columns`` contains ``q`` (case-insensitive; ``%`` and ``_`` match themselves)."""
    if not q:
        return None
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(c.ilike(pattern, escape="\\") for c in columns))
