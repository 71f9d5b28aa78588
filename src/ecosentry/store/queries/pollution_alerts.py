"""Read model of the heavy-pollution weather alerts (重污染天气预警; ``pollution_alerts``): which alert is in force
where and when. An alert issued for a region covers every region below it; where several overlap, the highest
level counts (red > orange > yellow). Used by the alert pages and by the subsystems whose measures follow the
alert (electricity: stop/limit orders; vehicle gates: which emission stages may enter).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, func, or_, select

from ecosentry.store import schema as s

__all__ = ["LEVELS", "level_rank", "region_ancestry", "alerts_in_force", "alerts_overlapping", "alert"]

#: Alert levels, lowest first (GB/T 27967-style colour scale as the provinces' plans use it).
LEVELS: tuple[str, ...] = ("yellow", "orange", "red")


def level_rank(level: str) -> int:
    """yellow 1, orange 2, red 3 (``ValueError`` for another word)."""
    return LEVELS.index(level) + 1


def region_ancestry(conn: Connection, code: str) -> list[str]:
    """The region and every region above it, nearest first."""
    parents = dict(conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all())
    out: list[str] = []
    while code is not None and code not in out:
        out.append(code)
        code = parents.get(code)
    return out


def _ended(at: datetime):
    a = s.pollution_alerts
    end = func.coalesce(a.c.lifted_at, a.c.ends_at)
    return or_(and_(a.c.lifted_at.is_(None), a.c.ends_at.is_(None)), end > at)


def alerts_in_force(conn: Connection, region_code: str, at: datetime) -> list[dict]:
    """The alerts in force at ``at`` for a place in ``region_code`` (issued for it or a region above it),
    highest level first, then the latest start."""
    a = s.pollution_alerts
    rows = conn.execute(select(a).where(a.c.region_code.in_(region_ancestry(conn, region_code)),
                                        a.c.starts_at <= at, _ended(at))).mappings().all()
    return sorted((dict(r) for r in rows), key=lambda r: (-level_rank(r["level"]), -r["starts_at"].timestamp()))


def alerts_overlapping(conn: Connection, start: datetime, end: datetime,
                       region_codes: list[str] | None = None) -> list[dict]:
    """Alerts whose period meets [start, end), optionally only those issued for ``region_codes``; by start."""
    a = s.pollution_alerts
    q = select(a).where(a.c.starts_at < end, _ended(start))
    if region_codes is not None:
        q = q.where(a.c.region_code.in_(region_codes))
    return [dict(r) for r in conn.execute(q.order_by(a.c.starts_at, a.c.id)).mappings()]


def alert(conn: Connection, alert_id: int) -> dict | None:
    """One alert by id, or None."""
    row = conn.execute(select(s.pollution_alerts).where(s.pollution_alerts.c.id == alert_id)).mappings().first()
    return dict(row) if row else None
