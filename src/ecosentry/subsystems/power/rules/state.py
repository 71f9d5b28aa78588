"""Running state of one piece of equipment from its meter's minute series, pure and vectorised (numpy).

Rules (reference notes ``shared/reference/subsystems.md`` §1.4 "State detection", §7 item 2)
------------------------------------------------------------------------------------------
* A device is **running** when power (or current) is at or above an *on* threshold, **stopped** when at or
  below an *off* threshold; between the two it keeps its last state (hysteresis) [R]. Thresholds are set per
  meter, typically 10–20 % of the typical running level [R].
* A change of state counts only after enough consecutive samples in the new state, shorter excursions
  (chatter around a threshold) being absorbed by the state before them. The dwell is **asymmetric** [R/ours]:
  a start needs ``dwell`` samples (§7 item 2: "on ≥ 3 consecutive minutes above threshold" [R]), a stop
  ``dwell_off`` samples (default 2). §7 item 3 asks for the "production on, treatment off" alarm within ≤ 2 min
  of the condition starting [R]: with a 3-sample stop dwell the third off minute alone ends 2 minutes after the
  first one ends, before any engine work. Two samples still ignore a one-minute dip; a start keeps the
  reference's 3 minutes, so a single-minute test run still does not count as a start.
* A missing sample (``NaN``) is *no data* (state ``-1``); it is its own state, never absorbed.
* Before the first sample above the on threshold the device is stopped (it is counted running only once it
  passed the on threshold) [ours].

Output: :class:`StateInterval` items with start, end (exclusive), duration and ``confirmed_at``, the label of
the sample that completed the dwell (the minute a live system knows the state: ``start + (dwell − 1)·step``,
``dwell_off`` for a stop).
A state still running at the end of the series has ``open=True``.

The load level (§1.4 rule 3, §7 item 5) is the power as a share of the meter's normal running load (its
``normal_kw``, else its rated power).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

__all__ = ["ON", "OFF", "NO_DATA", "Thresholds", "StateInterval", "MinuteSeries", "state_codes", "runs_of",
           "running_state", "intervals_of", "load_share"]

ON, OFF, NO_DATA = 1, 0, -1
STATE_NAMES = {ON: "on", OFF: "off", NO_DATA: "no data"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """On/off thresholds of one meter, in the unit of the series (kW for power, A for current).

    ``off`` must not exceed ``on``; equal values mean no hysteresis. ``dwell`` is the number of consecutive
    samples a start (a new *on* state) needs, ``dwell_off`` those a stop needs (each ≥ 1; ``None``: as
    ``dwell``)."""

    on: float
    off: float
    dwell: int = 3
    dwell_off: int | None = 2

    def __post_init__(self) -> None:
        if not (np.isfinite(self.on) and np.isfinite(self.off)) or self.off > self.on or self.on <= 0:
            raise ValueError(f"thresholds need 0 < on and off ≤ on, not on={self.on!r} off={self.off!r}")
        if self.dwell < 1 or (self.dwell_off is not None and self.dwell_off < 1):
            raise ValueError(f"dwell must be at least 1 sample, not {self.dwell!r}/{self.dwell_off!r}")

    @property
    def dwell_on(self) -> int:
        """Samples a start needs (the reference's 3 minutes by default)."""
        return self.dwell

    @property
    def stop_dwell(self) -> int:
        """Samples a stop needs (``dwell_off``, else ``dwell``)."""
        return self.dwell if self.dwell_off is None else self.dwell_off

    def dwell_of(self, state: np.ndarray) -> np.ndarray:
        """Per run state the samples it needs to count (on: ``dwell``, off: ``stop_dwell``)."""
        return np.where(state == ON, self.dwell, self.stop_dwell)


@dataclass(frozen=True, slots=True)
class MinuteSeries:
    """A regular series: ``values[i]`` is the sample labelled ``start + i·step`` (NaN = no reading)."""

    start: datetime
    values: np.ndarray
    step: timedelta = timedelta(minutes=1)

    def time(self, index: int) -> datetime:
        """The label of sample ``index`` in the zone of ``start`` (computed in UTC: right across a DST change)."""
        if self.start.tzinfo is None:
            return self.start + int(index) * self.step
        return (self.start.astimezone(timezone.utc) + int(index) * self.step).astimezone(self.start.tzinfo)

    @property
    def end(self) -> datetime:
        return self.time(len(self.values))


@dataclass(frozen=True, slots=True)
class StateInterval:
    """One interval of a state: samples ``first`` to ``last`` inclusive."""

    state: int
    start: datetime
    end: datetime
    first: int
    last: int
    confirmed_at: datetime
    open: bool = False

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def name(self) -> str:
        return STATE_NAMES[self.state]

    def as_dict(self) -> dict:
        return {"state": self.name, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "minutes": round(self.duration.total_seconds() / 60, 3), "open": self.open}


def runs_of(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of runs of equal values."""
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    lengths = np.diff(np.r_[starts, codes.size])
    return starts, lengths


def _hysteresis(values: np.ndarray, th: Thresholds) -> np.ndarray:
    """Per-sample state before the dwell: ON at/above ``on``, OFF at/below ``off``, the last decided state in
    between (OFF before any decision), NO_DATA where the value is missing."""
    v = np.asarray(values, dtype=float)
    missing = ~np.isfinite(v)
    decided = np.full(v.shape, -2, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        decided[v >= th.on] = ON
        decided[v <= th.off] = OFF
    decided[missing] = -2  # a gap does not decide, and the state across it is the last decided one
    idx = np.where(decided != -2, np.arange(v.size), -1)
    np.maximum.accumulate(idx, out=idx)
    state = np.where(idx >= 0, decided[np.maximum(idx, 0)], OFF).astype(np.int8)
    state[missing] = NO_DATA
    return state


def state_codes(values: np.ndarray, th: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample state after hysteresis and dwell, and per sample the index of the sample that confirmed the
    state's run (``-1`` none). Runs of ON shorter than ``dwell`` and runs of OFF shorter than ``dwell_off`` take
    the confirmed state before them (the first run is confirmed whatever its length: there is nothing before
    it)."""
    raw = _hysteresis(values, th)
    starts, lengths = runs_of(raw)
    if starts.size == 0:
        return raw, np.zeros(0, dtype=np.int64)
    run_state = raw[starts]
    gap = run_state == NO_DATA
    need = th.dwell_of(run_state)
    confirmed = (lengths >= need) & ~gap
    confirmed[0] |= not gap[0]  # the first run stands: there is nothing before it
    # an unconfirmed run takes the state of the last confirmed on/off run (a gap does not reset it; with no run
    # before, its own); a gap stays no data
    last = np.where(confirmed, np.arange(starts.size), -1)
    np.maximum.accumulate(last, out=last)
    kept = np.where(gap, NO_DATA, np.where(last >= 0, run_state[np.maximum(last, 0)], run_state))
    conf_own = np.where(gap, starts, starts + np.minimum(lengths, need) - 1)
    conf = np.where(gap | (last < 0), conf_own, conf_own[np.maximum(last, 0)])
    return np.repeat(kept.astype(np.int8), lengths), np.repeat(conf, lengths)


def intervals_of(series: MinuteSeries, codes: np.ndarray, confirm: np.ndarray) -> list[StateInterval]:
    """The intervals of equal state of ``codes`` (from :func:`state_codes`)."""
    starts, lengths = runs_of(codes)
    out = []
    n = codes.size
    for s, length in zip(starts.tolist(), lengths.tolist()):
        last = s + length - 1
        c = max(int(confirm[s]), s)  # a state carried over a gap is known again at its first sample
        out.append(StateInterval(int(codes[s]), series.time(s), series.time(last + 1), s, last,
                                 series.time(c), open=last == n - 1))
    return out


def running_state(series: MinuteSeries, th: Thresholds) -> list[StateInterval]:
    """The state intervals (on, off, no data) of one meter's series under its thresholds."""
    codes, confirm = state_codes(series.values, th)
    return intervals_of(series, codes, confirm)


def load_share(values: np.ndarray, normal_kw: float) -> np.ndarray:
    """Power as a share of the normal running load (1.0 = normal; NaN where no reading)."""
    if not normal_kw > 0:
        raise ValueError(f"the normal load must be positive, not {normal_kw!r}")
    return np.asarray(values, dtype=float) / float(normal_kw)
