"""Read model of the transmission rates: the hourly slots of a point's assessed factors over a period.

One query for every place that shows a rate (the ``/rates`` API, the dashboard, the point page, the rate
report), so they agree for the same point and period. The rules are pure
(:mod:`ecosentry.subsystems.monitoring.rules.cn.rates`); this module only reads the database and builds the slots:

* the expected hours (应收时段): :func:`ecosentry.subsystems.monitoring.rules.cn.rates.expected_hours` between the point's
  connection time (``points.connected_at``, 联网时间) and its decommission time (``decommissioned_at``),
  capped at ``now``. A point whose connection time is not recorded is taken as connected at the first
  hour for which it sent data (its first ``hourly_values`` row); a point that never sent data and has no
  connection time owes nothing yet;
* each expected hour's record (``hourly_values``): received, back-filled, valid, and the effect of the marks
  on it (``excluded``: 停运 and the other excluding marks leave the period; ``exempt``: 标样核查);
* an expected hour without any record that lies under an excluding mark (a point stopped sends nothing) is
  stopped too: the marks are read directly (:func:`ecosentry.subsystems.monitoring.rules.cn.marks.hour_mark_effect`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from ecosentry.subsystems.monitoring.rules.cn.marks import hour_mark_effect
from ecosentry.subsystems.monitoring.rules.cn.rates import HourSlot, RateSettings, Rates, compute_rates, expected_hours
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import marks_for_hours

__all__ = ["point_rate_counts", "point_service_window"]

def point_service_window(conn, point_id: int) -> tuple[datetime | None, datetime | None]:
    """(connected_at, decommissioned_at) of a point; connected_at falls back to its first hour with data."""
    p, h = s.points, s.hourly_values
    row = conn.execute(select(p.c.connected_at, p.c.decommissioned_at).where(p.c.id == point_id)).first()
    if row is None:
        return None, None
    connected = row.connected_at
    if connected is None:
        connected = conn.execute(select(func.min(h.c.period_start)).where(h.c.point_id == point_id)).scalar()
        if connected is not None and connected.tzinfo is None:  # SQLite aggregate: a naive UTC string
            connected = connected.replace(tzinfo=timezone.utc)
    return connected, row.decommissioned_at


def point_rate_counts(engine: Engine, point_id: int, t0: datetime, t1: datetime, tz: str, mode: str,
                      settings: RateSettings, *, now: datetime | None = None,
                      realtime_grace_minutes: int | None = None) -> list[tuple[str, Rates]]:
    """[(factor, Rates)] of the point's assessed factors over the expected hours of [t0, t1).

    Parameters
    ----------
    engine : Engine
    point_id : int
    t0, t1 : datetime
        The period, timezone-aware.
    tz : str
        Zone of the hour labels (the point's local time).
    mode : {"backfilled", "realtime"}
    settings : RateSettings
    now : datetime or None
        The time of the computation (default: the clock); hours not ended by then are not expected.
    realtime_grace_minutes : int or None
        In 即时 mode, a record received later than this after its hour's end counts as back-filled
        (default: the setting ``monitoring.realtime_grace_minutes``,
        ``ECOSENTRY_MONITORING__REALTIME_GRACE_MINUTES``).
    """
    now = now or datetime.now(timezone.utc)
    if realtime_grace_minutes is None:
        realtime_grace_minutes = get_settings().monitoring.realtime_grace_minutes
    h, pf = s.hourly_values, s.point_factors
    with engine.connect() as conn:
        factors = list(conn.scalars(select(pf.c.factor_code).where(pf.c.point_id == point_id, pf.c.assessed)
                                    .order_by(pf.c.factor_code)))
        connected, decommissioned = point_service_window(conn, point_id)
        hours = expected_hours(t0, t1, now=now, connected_at=connected, decommissioned_at=decommissioned)
        rows = conn.execute(select(h).where(h.c.point_id == point_id, h.c.period_start >= t0,
                                            h.c.period_start < t1)).mappings().all() if hours else []
        marks = marks_for_hours(conn, point_id, hours[0], hours[-1] + timedelta(hours=1)) if hours else []
    by_key = {(r["factor_code"], r["period_start"]): r for r in rows}
    grace = timedelta(hours=1, minutes=realtime_grace_minutes)  # hour end + grace
    zone = ZoneInfo(tz)

    def late(r) -> bool:
        return bool(r and r["last_received_at"] and r["last_received_at"] > r["period_start"] + grace)

    out = []
    for f in factors:
        slots = []
        for hr in hours:
            r = by_key.get((f, hr))
            if r is None:
                effect = hour_mark_effect(marks, f, hr, hr + timedelta(hours=1))[0] if marks else None
                slots.append(HourSlot(start=hr.astimezone(zone), received=False, stopped=effect == "excluded",
                                      exempt_standard_sample=effect == "exempt", reason="no data"))
                continue
            slots.append(HourSlot(start=hr.astimezone(zone), received=bool(r["n_records"]), received_late=late(r),
                                  valid=bool(r["n_records"]) and bool(r["valid"]), stopped=bool(r["excluded"]),
                                  exempt_standard_sample=bool(r["exempt"]), reason=r["reason"]))
        out.append((f, compute_rates(slots, mode=mode, settings=settings, factor_code=f)))
    return out
