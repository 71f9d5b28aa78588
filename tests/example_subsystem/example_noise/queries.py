"""The subsystem's read model: the queries its route, page, command and running part share (no SQL elsewhere)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from example_noise.rules import energy_mean
from example_noise.schema import noise_readings as t


def latest_readings(engine: Engine, meter: str | None = None, limit: int = 100) -> list[dict]:
    """The newest readings (of one meter or all), newest first."""
    q = select(t.c.meter, t.c.measured_at, t.c.laeq_db, t.c.period, t.c.limit_db, t.c.exceeds)
    if meter is not None:
        q = q.where(t.c.meter == meter)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q.order_by(t.c.measured_at.desc(), t.c.meter).limit(limit))]


def meter_summary(engine: Engine, since: datetime) -> dict[str, dict]:
    """Per meter, over the readings measured since ``since``: their count, how many were above the limit and
    their energy mean LAeq [dB(A)]."""
    q = select(t.c.meter, t.c.laeq_db, t.c.exceeds).where(t.c.measured_at >= since)
    by_meter: dict[str, list] = {}
    with engine.connect() as conn:
        for meter, level, above in conn.execute(q):
            by_meter.setdefault(meter, []).append((level, above))
    return {m: {"readings": len(v), "above_limit": sum(1 for _, a in v if a),
                "laeq_db": energy_mean(level for level, _ in v)} for m, v in by_meter.items()}
