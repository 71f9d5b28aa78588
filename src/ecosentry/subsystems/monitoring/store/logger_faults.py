"""Read model: the frames of a point's data logger that the gateway had to reject (logger faults).

A frame rejected by the HJ 212 gateway (wrong length, CRC, malformed or over-long fields ...) whose header
could still be read is archived in ``raw_frames`` with ``status = 'rejected'`` and its point's id. A point
whose logger keeps sending such frames has a faulty logger: its data are lost although it is online. The
point's page shows the count of the last 24 h and the latest error; the detection pass raises
ALM-LOGGER-FRAMES above a threshold. Both read it here, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from ecosentry.store import schema as s

__all__ = ["LoggerFrames", "rejected_frames"]


@dataclass(frozen=True, slots=True)
class LoggerFrames:
    """Rejected frames of one point in a window."""

    point_id: int
    count: int
    latest_at: datetime
    latest_error: str | None
    latest_detail: str | None


def rejected_frames(conn: Connection, since: datetime, point_ids: Iterable[int] | None = None,
                    until: datetime | None = None) -> dict[int, LoggerFrames]:
    """Rejected frames per point received in ``[since, until)``; points without any are absent.

    Parameters
    ----------
    conn : Connection
    since, until : datetime
        Window of reception times (UTC-aware); ``until`` None = now and later.
    point_ids : iterable of int, optional
        Only these points (default: every point).
    """
    r = s.raw_frames
    where = [r.c.status == "rejected", r.c.point_id.isnot(None), r.c.received_at >= since]
    if until is not None:
        where.append(r.c.received_at < until)
    if point_ids is not None:
        ids = list(point_ids)
        if not ids:
            return {}
        where.append(r.c.point_id.in_(ids))
    per_point = conn.execute(select(r.c.point_id, func.count(), func.max(r.c.id)).where(*where)
                             .group_by(r.c.point_id)).all()
    if not per_point:
        return {}
    latest = {row.id: row for row in conn.execute(
        select(r.c.id, r.c.received_at, r.c.error, r.c.detail).where(r.c.id.in_([m for _, _, m in per_point])))}
    out = {}
    for pid, n, last_id in per_point:
        row = latest[last_id]
        out[int(pid)] = LoggerFrames(int(pid), int(n), row.received_at, row.error, row.detail)
    return out
