"""What the enterprise's electricity view draws, computed from minute arrays, pure (no database, no clock).

* :func:`view_thresholds`: the thresholds a unit is judged with: the version in force (``power_thresholds``),
  else learned from the day's own load (:mod:`.rules.learned`), else a share of its rated power, as the
  offline check does (:func:`ecosentry.subsystems.power.check.thresholds_for`).
* :func:`state_bands`: running / stopped / no-data bands of one unit (:func:`.rules.state.state_codes`:
  hysteresis and dwell), as index ranges on the minute grid. A threshold changed during the window (a new
  version in force from minute ``i``) judges the minutes from ``i`` on (:func:`unit_codes`, segments).
* :func:`state_now`: the state at the end of a window, "no data" when the meter has been silent longer than
  ``stale`` minutes.
* :func:`mean_load_share`: the mean load of the running minutes as a share of the normal load
  (:func:`.rules.state.load_share`, §1.4 rule 3).
"""

from __future__ import annotations

import numpy as np

from ecosentry.subsystems.power.rules.learned import learn_threshold
from ecosentry.subsystems.power.rules.state import NO_DATA, ON, Thresholds, load_share, runs_of, state_codes
from ecosentry.subsystems.power.settings import ThresholdSettings

__all__ = ["Judged", "view_thresholds", "unit_codes", "state_bands", "state_now", "mean_load_share"]

#: How a unit is judged: no thresholds, one, or segments ``[(first_index, thresholds), ...]`` (first index 0).
Judged = "Thresholds | list[tuple[int, Thresholds]] | None"


def view_thresholds(in_force: dict | None, rated_kw: float | None, values: np.ndarray,
                    settings: ThresholdSettings) -> tuple[Thresholds | None, str]:
    """The unit's thresholds and where they come from (``set``/``learned``/``registry`` as stored,
    ``learned-today``, ``rated``, or ``none`` with no thresholds at all)."""
    if in_force is not None:
        return Thresholds(float(in_force["on_kw"]), float(in_force["off_kw"]), int(in_force["dwell"] or 1),
                          _dwell_off(in_force, settings)), \
            str(in_force["source"])
    v = np.asarray(values, dtype=float)
    if settings.learn and np.isfinite(v).sum() >= 10:
        got = learn_threshold(v, rated_kw=rated_kw, floor=settings.floor_kw, min_separation=settings.min_separation,
                              min_share=settings.min_share, min_ratio=settings.min_ratio,
                              fallback_share=settings.fallback_share, dwell=settings.dwell_on,
                              dwell_off=settings.dwell_off)
        if got.thresholds is not None:
            return got.thresholds, "rated" if got.method == "rated" else "learned-today"
    if rated_kw:
        on = settings.fallback_share * rated_kw
        return Thresholds(on, on / 2, settings.dwell_on, settings.dwell_off), "rated"
    return None, "none"


def _dwell_off(row: dict, settings: ThresholdSettings) -> int:
    """A version's stop dwell (every version has one since ``power_0002``; the setting for a row without)."""
    return int(row.get("dwell_off") or settings.dwell_off)


def unit_codes(values: np.ndarray, th) -> np.ndarray:
    """Per-sample state under ``th`` (:data:`Judged`): each segment's minutes take the states computed with its
    thresholds over the whole series (the hysteresis carries over the change); without thresholds ``-2`` for
    a reading, ``-1`` for none."""
    v = np.asarray(values, dtype=float)
    if th is None:
        return np.where(np.isfinite(v), -2, NO_DATA).astype(np.int8)
    if isinstance(th, Thresholds):
        return state_codes(v, th)[0]
    out = np.empty(v.size, dtype=np.int8)
    cache: dict[Thresholds, np.ndarray] = {}
    bounds = [max(0, min(int(i), v.size)) for i, _ in th] + [v.size]
    for (_, seg), a, b in zip(th, bounds, bounds[1:]):
        if seg not in cache:
            cache[seg] = state_codes(v, seg)[0]
        out[a:b] = cache[seg][a:b]
    return out


def state_bands(values: np.ndarray, th) -> list[tuple[int, int, int]]:
    """``(first, end, state)`` runs of equal state (``end`` exclusive) under ``th`` (:data:`Judged`);
    without thresholds, data or no data only (state ``-1`` for gaps, ``-2`` for "has readings, state
    unknown")."""
    codes = unit_codes(values, th)
    starts, lengths = runs_of(codes)
    return [(int(a), int(a + n), int(codes[a])) for a, n in zip(starts.tolist(), lengths.tolist())]


def state_now(values: np.ndarray, th, stale: int = 10) -> int:
    """The state at the end of ``values``: of the last reading when it is at most ``stale`` samples old,
    else ``NO_DATA``; ``-2`` for a unit with readings but no thresholds."""
    v = np.asarray(values, dtype=float)
    seen = np.flatnonzero(np.isfinite(v))
    if seen.size == 0 or v.size - 1 - seen[-1] > stale:
        return NO_DATA
    if th is None:
        return -2
    return int(unit_codes(v, th)[seen[-1]])


def mean_load_share(values: np.ndarray, th, normal_kw: float | None) -> float | None:
    """Mean power of the running minutes as a share of ``normal_kw`` (None: no normal load, no running
    minute)."""
    if not normal_kw or normal_kw <= 0 or th is None:
        return None
    v = np.asarray(values, dtype=float)
    running = (unit_codes(v, th) == ON) & np.isfinite(v)
    if not running.any():
        return None
    return float(np.mean(load_share(v[running], normal_kw)))
