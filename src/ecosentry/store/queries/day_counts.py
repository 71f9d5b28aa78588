"""Read model of the stored daily slot counts: how many hours of a point's assessed factors were expected,
received and valid over a period, from the derived days the monitoring subsystem stores (``derived_periods``,
``period = 'day'``: ``n_expected``, ``n_received``, ``n_valid`` hours of each local day and factor).

Any subsystem that reports a point's transmission and effective-transmission rates over a month reads them here
(the O&M assessment, issue 18 item 6), so it reads what the platform stored and does not reach into the
monitoring subsystem. The counts are summed over factors and days, never rates averaged (reference notes §1.4).

* expected (应收, M): every hour of each assessed factor (``point_factors.assessed``) inside the period and the
  point's service window: from its connection time (``points.connected_at``, 联网时间; when not recorded, its
  first derived hour) to its decommission time, the same window the rate page uses;
* received (实收, D) and valid (有效, S): the stored days' ``n_received`` and ``n_valid`` (a day without data has no
  row: its hours are expected and missing). The stored day counts an hour under a stop mark as received and not
  valid (the live rate page leaves it out of M instead); D and S never exceed M.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from ecosentry.store import schema as s

__all__ = ["SlotCounts", "day_slot_counts"]


class SlotCounts(NamedTuple):
    """Hours of a point's assessed factors: expected (M), received (D), valid (S)."""

    expected: int
    received: int
    valid: int


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t   # SQLite aggregates: naive UTC


def day_slot_counts(conn: Connection, point_ids: Iterable[int], t0: datetime, t1: datetime) -> dict[int, SlotCounts]:
    """{point id: (expected, received, valid) hours of its assessed factors} over the local days starting in
    [t0, t1) (aware datetimes; for a month, the bounds of its first and next month's first local day)."""
    ids = sorted(set(point_ids))
    if not ids:
        return {}
    p, pf, d, h = s.points, s.point_factors, s.derived_periods, s.hourly_values
    factors: dict[int, set[str]] = defaultdict(set)
    for pid, code in conn.execute(select(pf.c.point_id, pf.c.factor_code)
                                  .where(pf.c.point_id.in_(ids), pf.c.assessed)):
        factors[pid].add(code)
    windows = {r.id: (r.connected_at, r.decommissioned_at) for r in conn.execute(
        select(p.c.id, p.c.connected_at, p.c.decommissioned_at).where(p.c.id.in_(ids)))}
    first = dict(conn.execute(select(h.c.point_id, func.min(h.c.period_start)).where(h.c.point_id.in_(ids))
                              .group_by(h.c.point_id)).all())
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = conn.execute(select(d.c.point_id, d.c.factor_code, d.c.period_start, d.c.n_received, d.c.n_valid)
                        .where(d.c.point_id.in_(ids), d.c.period == "day", d.c.period_start >= t0,
                               d.c.period_start < t1))
    out = {}
    for pid in ids:
        connected, gone = windows.get(pid, (None, None))
        start = _aware(connected) or _aware(first.get(pid))
        lo = max(t0, start) if start else None
        hi = min(t1, _aware(gone)) if gone else t1
        hours = max(0, int((hi - lo).total_seconds() // 3600)) if lo is not None and hi > lo else 0
        out[pid] = [hours * len(factors[pid]), 0, 0]
    for r in rows:
        if r.factor_code not in factors[r.point_id]:
            continue
        acc = sums[(r.point_id, r.factor_code)]
        acc[0] += r.n_received or 0
        acc[1] += r.n_valid or 0
    per_factor_expected = {pid: (out[pid][0] // len(factors[pid]) if factors[pid] else 0) for pid in ids}
    for (pid, _code), (received, valid) in sums.items():
        m = per_factor_expected[pid]
        received = min(received, m)
        out[pid][1] += received
        out[pid][2] += min(valid, received)
    return {pid: SlotCounts(*v) for pid, v in out.items()}
