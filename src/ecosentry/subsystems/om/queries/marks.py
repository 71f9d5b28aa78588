"""Read model of the marks the O&M check judges: the core's marks (``marks``, filed through the core's API by
whatever subsystem or person) of a supported kind, not deleted or rejected, not judged yet (``om_mark_checks``),
whose grace period has passed (:mod:`..store.marks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import om_mark_checks as mc

__all__ = ["marks_due"]


def marks_due(conn: Connection, now: datetime, kinds: Sequence[str], *, grace: timedelta, filing_grace: timedelta,
              open_after: timedelta, since: datetime, limit: int = 500) -> list[dict]:
    """Marks to judge at ``now``: filed since ``since`` and at least ``filing_grace`` ago; ended at least ``grace``
    ago, or still open and started at least ``open_after`` ago; oldest filing first."""
    m = s.marks
    done = select(mc.c.mark_id).where(mc.c.mark_id == m.c.id).exists()
    rows = conn.execute(select(m.c.id, m.c.point_id, m.c.factor_codes, m.c.type, m.c.start, m.c.end, m.c.filed_at,
                               m.c.filed_by).where(
        m.c.deleted_at.is_(None), m.c.status != "rejected", m.c.type.in_(list(kinds)),
        m.c.filed_at >= since, m.c.filed_at <= now - filing_grace,
        or_(m.c.end <= now - grace, and_(m.c.end.is_(None), m.c.start <= now - open_after)), ~done)
        .order_by(m.c.filed_at, m.c.id).limit(limit)).mappings()
    return [dict(r) for r in rows]
