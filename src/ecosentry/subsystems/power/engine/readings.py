"""The engine's input: an enterprise's recent readings (``power_readings``) pivoted to per-meter minute arrays
on one grid (NaN where no reading came), vectorised: one query, one scatter into a (meter × quantity × minute)
array."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Connection, func, select

from ecosentry.subsystems.power.check import EnterpriseReadings, MeterReadings
from ecosentry.subsystems.power.schema import power_readings

__all__ = ["QUANTITIES", "floor_minute", "heard_spans", "load_window", "load_power"]

r = power_readings
#: The quantities the rules use: active power, the energy register, phase currents (or one current).
QUANTITIES = ("P", "E", "Ia", "Ib", "Ic", "I")
_Q = {q: i for i, q in enumerate(QUANTITIES)}
_MIN = timedelta(minutes=1)


def floor_minute(t: datetime) -> datetime:
    return t.astimezone(timezone.utc).replace(second=0, microsecond=0)


def _epoch_minutes(times) -> np.ndarray:
    return np.fromiter((int(t.replace(tzinfo=timezone.utc).timestamp() // 60) if t.tzinfo is None
                        else int(t.timestamp() // 60) for t in times), dtype=np.int64)


def heard_spans(conn: Connection, meter_ids: list[int], since: datetime) -> dict[int, tuple[datetime, datetime]]:
    """Per meter, the oldest and the newest minute with a power reading since ``since`` (meters without one are
    absent); one query on the readings' key."""
    if not meter_ids:
        return {}
    rows = conn.execute(select(r.c.meter_id, func.min(r.c.at), func.max(r.c.at)).where(
        r.c.meter_id.in_(meter_ids), r.c.quantity == "P", r.c.at >= since).group_by(r.c.meter_id)).all()
    return {m: (_aware(a), _aware(b)) for m, a, b in rows if a is not None}


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def load_window(conn: Connection, meters: Mapping[int, str], start: datetime, end: datetime) -> EnterpriseReadings:
    """The readings of ``meters`` (id → code) from ``start`` to ``end`` (exclusive, whole UTC minutes) as
    :class:`EnterpriseReadings` keyed by meter code."""
    n = int((end - start) / _MIN)
    ids = list(meters)
    cube = np.full((len(ids), len(QUANTITIES), max(n, 0)), np.nan)
    if ids and n > 0:
        rows = conn.execute(select(r.c.meter_id, r.c.quantity, r.c.at, r.c.value).where(
            r.c.meter_id.in_(ids), r.c.quantity.in_(QUANTITIES), r.c.at >= start, r.c.at < end)).all()
        if rows:
            pos = {m: i for i, m in enumerate(ids)}
            mid, qty, at, val = zip(*rows)
            mi = np.fromiter((pos[m] for m in mid), dtype=np.int64, count=len(rows))
            qi = np.fromiter((_Q[q] for q in qty), dtype=np.int64, count=len(rows))
            ti = _epoch_minutes(at) - int(start.timestamp() // 60)
            v = np.array([np.nan if x is None else x for x in val], dtype=float)
            ok = (ti >= 0) & (ti < n)
            cube[mi[ok], qi[ok], ti[ok]] = v[ok]
    out: dict[str, MeterReadings] = {}
    for i, mid in enumerate(ids):
        q = cube[i]
        phases = q[[_Q["Ia"], _Q["Ib"], _Q["Ic"]]]
        has_phase = np.isfinite(phases).any(axis=1)
        if has_phase.any():
            phase_a = phases[has_phase]
        elif np.isfinite(q[_Q["I"]]).any():
            phase_a = q[_Q["I"]][None, :]
        else:
            phase_a = None
        energy = q[_Q["E"]] if np.isfinite(q[_Q["E"]]).any() else None
        out[meters[mid]] = MeterReadings(q[_Q["P"]], phase_a, energy)
    return EnterpriseReadings(start, n, out)


def load_power(conn: Connection, meter_id: int, start: datetime, end: datetime) -> np.ndarray:
    """One meter's power readings from ``start`` to ``end`` (the learning's sample; gaps are left out)."""
    rows = conn.execute(select(r.c.value).where(r.c.meter_id == meter_id, r.c.quantity == "P", r.c.at >= start,
                                                r.c.at < end)).scalars().all()
    return np.array([np.nan if x is None else x for x in rows], dtype=float)
