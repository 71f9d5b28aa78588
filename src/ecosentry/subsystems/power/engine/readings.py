"""The engine's input: an enterprise's recent readings (``power_readings``) pivoted to per-meter minute arrays
on one grid (NaN where no reading came), vectorised: one query, one scatter into a (meter × quantity × minute)
array."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Connection, func, select

from ecosentry.subsystems.power.check import EnterpriseReadings, MeterReadings
from ecosentry.subsystems.power.schema import power_readings

__all__ = ["QUANTITIES", "WindowCache", "floor_minute", "heard_spans", "load_window", "load_power"]

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


def _scatter(cube: np.ndarray, pos: Mapping[int, int], start: datetime, rows) -> None:
    """Put rows (meter id, quantity, minute, value) into ``cube`` (meter × quantity × minute from ``start``)."""
    if not rows:
        return
    mid, qty, at, val = zip(*rows)
    mi = np.fromiter((pos[m] for m in mid), dtype=np.int64, count=len(rows))
    qi = np.fromiter((_Q[q] for q in qty), dtype=np.int64, count=len(rows))
    ti = _epoch_minutes(at) - int(start.timestamp() // 60)
    v = np.array([np.nan if x is None else x for x in val], dtype=float)
    ok = (ti >= 0) & (ti < cube.shape[2])
    cube[mi[ok], qi[ok], ti[ok]] = v[ok]


def _select(ids: list[int], start: datetime, end: datetime):
    return select(r.c.meter_id, r.c.quantity, r.c.at, r.c.value).where(
        r.c.meter_id.in_(ids), r.c.quantity.in_(QUANTITIES), r.c.at >= start, r.c.at < end)


def _readings(cube: np.ndarray, ids: list[int], meters: Mapping[int, str], start: datetime) -> EnterpriseReadings:
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
    return EnterpriseReadings(start, cube.shape[2], out)


def load_window(conn: Connection, meters: Mapping[int, str], start: datetime, end: datetime) -> EnterpriseReadings:
    """The readings of ``meters`` (id → code) from ``start`` to ``end`` (exclusive, whole UTC minutes) as
    :class:`EnterpriseReadings` keyed by meter code."""
    n = max(int((end - start) / _MIN), 0)
    ids = list(meters)
    cube = np.full((len(ids), len(QUANTITIES), n), np.nan)
    if ids and n > 0:
        _scatter(cube, {m: i for i, m in enumerate(ids)}, start, conn.execute(_select(ids, start, end)).all())
    return _readings(cube, ids, meters, start)


@dataclass
class _Window:
    ids: tuple[int, ...]
    start: datetime
    cube: np.ndarray
    #: the newest ``received_at`` loaded, and when the window was last read whole
    received: datetime | None
    loaded_at: datetime


class WindowCache:
    """Each enterprise's window kept between passes: a pass reads only the readings received since the last one
    (``received_at`` after the newest loaded, less ``overlap``: a row committed a little late is not missed), not
    the whole window again. The window is read whole when the meters change, when it must reach further back
    than it holds, and every ``reload`` (what a late commit might have hidden is found then)."""

    def __init__(self, reload: timedelta = timedelta(minutes=30), overlap: timedelta = timedelta(seconds=5)) -> None:
        self.reload, self.overlap = reload, overlap
        self._w: dict[int, _Window] = {}

    def forget(self, enterprise_id: int) -> None:
        self._w.pop(enterprise_id, None)

    def load(self, conn: Connection, enterprise_id: int, meters: Mapping[int, str], start: datetime,
             end: datetime, now: datetime) -> EnterpriseReadings:
        """The readings from ``start`` to ``end`` (as :func:`load_window`); the cache holds every reading up to
        the current minute, so minutes after ``end`` a faster meter already sent are there when ``end`` moves."""
        ids = tuple(meters)
        n = max(int((end - start) / _MIN), 0)
        top = floor_minute(now) + 2 * _MIN
        w = self._w.get(enterprise_id)
        if (w is None or w.ids != ids or start < w.start or now - w.loaded_at >= self.reload
                or now < w.loaded_at or not ids):
            span = max(int((top - start) / _MIN), n)
            cube = self._whole(conn, list(ids), start, start + span * _MIN, span)
            received = conn.execute(select(func.max(r.c.received_at)).where(
                r.c.meter_id.in_(list(ids)), r.c.at >= start)).scalar() if ids else None
            self._w[enterprise_id] = _Window(ids, start, cube, _aware(received) if received else None, now)
            return _readings(cube[:, :, :n].copy(), list(ids), meters, start)
        shift = int((start - w.start) / _MIN)
        if shift > 0:  # the window moved on: drop its oldest minutes
            w.cube = w.cube[:, :, shift:]
            w.start = start
        span = max(int((top - w.start) / _MIN), n)
        if span > w.cube.shape[2]:
            w.cube = np.concatenate([w.cube, np.full(w.cube.shape[:2] + (span - w.cube.shape[2],), np.nan)], axis=2)
        conds = [r.c.meter_id.in_(list(ids)), r.c.quantity.in_(QUANTITIES), r.c.at >= w.start,
                 r.c.at < w.start + w.cube.shape[2] * _MIN]
        if w.received is not None:
            conds.append(r.c.received_at > w.received - self.overlap)
        rows = conn.execute(select(r.c.meter_id, r.c.quantity, r.c.at, r.c.value, r.c.received_at)
                            .where(*conds)).all()
        if rows:
            _scatter(w.cube, {m: i for i, m in enumerate(ids)}, w.start, [x[:4] for x in rows])
            newest = max(_aware(x[4]) for x in rows)
            w.received = newest if w.received is None else max(w.received, newest)
        return _readings(w.cube[:, :, :n].copy(), list(ids), meters, start)

    @staticmethod
    def _whole(conn: Connection, ids: list[int], start: datetime, end: datetime, n: int) -> np.ndarray:
        cube = np.full((len(ids), len(QUANTITIES), n), np.nan)
        if ids and n > 0:
            _scatter(cube, {m: i for i, m in enumerate(ids)}, start, conn.execute(_select(ids, start, end)).all())
        return cube


def load_power(conn: Connection, meter_id: int, start: datetime, end: datetime) -> np.ndarray:
    """One meter's power readings from ``start`` to ``end`` (the learning's sample; gaps are left out)."""
    rows = conn.execute(select(r.c.value).where(r.c.meter_id == meter_id, r.c.quantity == "P", r.c.at >= start,
                                                r.c.at < end)).scalars().all()
    return np.array([np.nan if x is None else x for x in rows], dtype=float)
