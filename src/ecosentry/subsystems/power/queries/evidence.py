"""Read model of a power alarm's evidence pack (证据包): the original frames of the enterprise's power loggers that
prove the alarm span (:mod:`ecosentry.subsystems.power.reports.evidence` builds the pack's section; this module
only reads).

The core's archive (``raw_frames``) keeps every power frame with transport ``power-<transport>``, no point and the
device's MN (:func:`ecosentry.subsystems.power.pipeline.sink.archive_form`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, or_, select

from ecosentry.store import schema as s
from ecosentry.subsystems.power.pipeline.sink import ARCHIVE_PREFIX
from ecosentry.subsystems.power.schema import power_devices, power_meters, power_readings

__all__ = ["device_mns", "span_frames"]


def device_mns(conn: Connection, meter_ids: list[int]) -> list[str]:
    """The MNs of the loggers the meters are wired to, sorted."""
    if not meter_ids:
        return []
    d, m = power_devices, power_meters
    return sorted(conn.execute(select(d.c.mn).distinct().join(m, m.c.device_id == d.c.id)
                               .where(m.c.id.in_(meter_ids), d.c.mn.is_not(None))).scalars())


def span_frames(conn: Connection, meter_ids: list[int], mns: list[str], t0: datetime, t1: datetime,
                received_until: datetime, limit: int) -> tuple[list, int]:
    """The loggers' frames received in ``[t0, received_until]`` or carrying the meters' readings of ``[t0, t1)``
    (a logger back-fills an outage later), oldest first, at most ``limit`` (id, received_at, cn, qn, status, raw),
    and how many there are."""
    if not mns:
        return [], 0
    f, r = s.raw_frames, power_readings
    carried = (select(r.c.received_at).distinct()
               .where(r.c.meter_id.in_(meter_ids), r.c.at >= t0, r.c.at < t1, r.c.received_at > received_until))
    where = (f.c.mn.in_(mns), f.c.transport.like(f"{ARCHIVE_PREFIX}%"),
             or_(f.c.received_at.between(t0, received_until), f.c.received_at.in_(carried)))
    total = conn.execute(select(func.count()).select_from(f).where(*where)).scalar_one()
    rows = conn.execute(select(f.c.id, f.c.received_at, f.c.cn, f.c.qn, f.c.status, f.c.raw).where(*where)
                        .order_by(f.c.received_at, f.c.id).limit(limit)).all() if limit else []
    return rows, int(total)
