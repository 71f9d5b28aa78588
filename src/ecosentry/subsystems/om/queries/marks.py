"""Read model of the marks the O&M check judges: the core's marks (``marks``, filed through the core's API by
whatever subsystem or person) of a supported kind, not deleted or rejected, not judged yet (``om_mark_checks``) or
judged while open and closed since, whose grace period has passed (:mod:`..store.marks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import om_mark_checks as mc

__all__ = ["marks_due"]


def marks_due(conn: Connection, now: datetime, kinds: Sequence[str], *, grace: timedelta, filing_grace: timedelta,
              open_after: timedelta, since: datetime, limit: int = 500) -> list[dict]:
    """Marks to judge at ``now``, oldest filing first:

    * not judged yet: filed since ``since`` and at least ``filing_grace`` ago; ended at least ``grace`` ago, or
      still open and started at least ``open_after`` ago;
    * judged while open and closed since, at least ``grace`` ago: judged again over their whole time
      (``was_supported``, ``was_codes``: the verdict given while open; None for a first judgment).
    """
    m = s.marks
    first = and_(mc.c.mark_id.is_(None), m.c.filed_at >= since, m.c.filed_at <= now - filing_grace,
                 or_(m.c.end <= now - grace, and_(m.c.end.is_(None), m.c.start <= now - open_after)))
    closed_since = and_(mc.c.mark_id.is_not(None), mc.c.judged_end.is_(None), m.c.end.is_not(None),
                        m.c.end <= now - grace)
    rows = conn.execute(select(m.c.id, m.c.point_id, m.c.factor_codes, m.c.type, m.c.start, m.c.end, m.c.filed_at,
                               m.c.filed_by, mc.c.supported.label("was_supported"), mc.c.codes.label("was_codes"))
                        .select_from(m.outerjoin(mc, mc.c.mark_id == m.c.id))
                        .where(m.c.deleted_at.is_(None), m.c.status != "rejected", m.c.type.in_(list(kinds)),
                               or_(first, closed_since))
                        .order_by(m.c.filed_at, m.c.id).limit(limit)).mappings()
    return [dict(r) for r in rows]
