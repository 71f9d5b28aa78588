"""Read model of the forwarding to MONRE (and any other upper platform): per target its backlog, last delivery,
failures with their reasons, and the items an officer may send again.

The machinery is :mod:`ecosentry.subsystems.monitoring.forward` (queue, runner, ``vn_ftp``) with the tables
``forward_targets`` / ``forward_queue`` / ``forward_deliveries``; this module only reads them, limited to the
stations the user sees (an item belongs to a station through ``forward_queue.point_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from ecosentry.subsystems.monitoring import schema as ms

__all__ = ["TargetView", "targets", "failures", "items"]

t_, q_, d_ = ms.forward_targets, ms.forward_queue, ms.forward_deliveries


@dataclass(frozen=True)
class TargetView:
    """One upper platform as the desk shows it."""

    id: int
    name: str
    kind: str
    address: str
    remote_path: str | None
    active: bool
    pending: int
    failed: int
    delivered: int
    oldest_pending: datetime | None
    last_delivered_at: datetime | None
    last_delivered_name: str | None
    last_attempt_at: datetime | None
    last_error: str | None


def targets(conn: Connection, point_scope) -> list[TargetView]:
    """Every target with its counts over the items of the stations in ``point_scope`` (a clause on
    ``forward_queue.point_id``)."""
    counts = {(r.target_id, r.status): (r.n, r.oldest) for r in conn.execute(
        select(q_.c.target_id, q_.c.status, func.count().label("n"), func.min(q_.c.enqueued_at).label("oldest"))
        .where(point_scope).group_by(q_.c.target_id, q_.c.status))}
    out = []
    for r in conn.execute(select(t_).order_by(t_.c.id)).mappings():
        last = conn.execute(select(q_.c.delivered_at, q_.c.name, q_.c.mn).where(
            q_.c.target_id == r["id"], q_.c.status == "delivered", point_scope)
            .order_by(q_.c.delivered_at.desc(), q_.c.id.desc()).limit(1)).first()
        attempt = conn.execute(select(d_.c.at, d_.c.ok, d_.c.detail).join(q_, q_.c.id == d_.c.item_id).where(
            d_.c.target_id == r["id"], point_scope).order_by(d_.c.id.desc()).limit(1)).first()
        error = conn.scalar(select(q_.c.last_error).where(
            q_.c.target_id == r["id"], q_.c.status != "delivered", q_.c.last_error.is_not(None), point_scope)
            .order_by(q_.c.id.desc()).limit(1))
        out.append(TargetView(
            r["id"], r["name"], r["kind"], f"{r['host']}:{r['port']}", r["remote_path"], bool(r["active"]),
            counts.get((r["id"], "pending"), (0,))[0], counts.get((r["id"], "failed"), (0,))[0],
            counts.get((r["id"], "delivered"), (0,))[0], counts.get((r["id"], "pending"), (0, None))[1],
            last.delivered_at if last else None, (last.name or last.mn) if last else None,
            attempt.at if attempt else None, error))
    return out


def failures(conn: Connection, target_id: int, point_scope, *, limit: int = 50) -> list[dict]:
    """The latest failed attempts of a target (newest first): when, which item, which attempt, the reason."""
    rows = conn.execute(
        select(d_.c.id, d_.c.at, d_.c.attempt, d_.c.detail, q_.c.id.label("item_id"), q_.c.name, q_.c.mn,
               q_.c.status, q_.c.point_id)
        .join(q_, q_.c.id == d_.c.item_id)
        .where(d_.c.target_id == target_id, d_.c.ok.is_(False), point_scope)
        .order_by(d_.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def items(conn: Connection, target_id: int, point_scope, *, status: str | None = None, limit: int = 30) -> list[dict]:
    """A target's items (newest first), optionally of one status (``pending`` | ``failed`` | ``delivered``)."""
    cond = [q_.c.target_id == target_id, point_scope]
    if status:
        cond.append(q_.c.status == status)
    rows = conn.execute(
        select(q_.c.id, q_.c.name, q_.c.mn, q_.c.point_id, q_.c.status, q_.c.attempts, q_.c.enqueued_at,
               q_.c.delivered_at, q_.c.next_attempt_at, q_.c.last_error)
        .where(*cond).order_by(q_.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]
