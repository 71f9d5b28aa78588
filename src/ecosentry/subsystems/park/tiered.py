"""Tiered warnings per station and pollutant (``shared/reference/subsystems.md`` §2.4, §7 item 13), pure.

Levels (all thresholds [R], settings ``park.warnings``):

=========  ===============================================================  ===========================
level      reached when the reading is at or above                          code (severity)
=========  ===============================================================  ===========================
attention  ``attention_multiple`` × the station's own background (rolling   PARK-ATTENTION (info)
           median of its previous ``background_window`` readings)
I          the lowest of ``level_i`` (AEGL-1 60 min, GBZ 2.1 MAC/STEL)      PARK-LEVEL-I (warning)
II         the lowest of ``level_ii`` (AEGL-2 60 min)                       PARK-LEVEL-II (critical)
III        the lowest of ``level_iii`` (AEGL-3 60 min, IDLH)                PARK-LEVEL-III (critical)
=========  ===============================================================  ===========================

A warning is **raised** (from none) or **escalated** once the readings have stayed at or above a higher level for
its dwell (``raise_readings``; ``attention_readings`` for attention, whose background moves); it is
**de-escalated** or **cleared** once they have stayed below (1 − ``hysteresis``) × the current level's threshold
for ``clear_readings`` readings (hysteresis and dwell keep a reading wavering at a threshold from flapping). A
missing reading (NaN) changes nothing. Each transition is an event with its evidence and one sentence.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel

from ecosentry.contracts.catalogue import Rule, get, register
from ecosentry.said import N_
from ecosentry.subsystems.park.said import local_time, say
from ecosentry.subsystems.park.substances import Substance

__all__ = ["WarningSettings", "WarningEvent", "LEVEL_NAMES", "LEVEL_CODES", "level_thresholds", "rolling_background",
           "evaluate", "TRANSITIONS"]

SOURCE = "shared/reference/subsystems.md §2.4, §7 item 13; AEGL (US EPA), GBZ 2.1-2019, NIOSH IDLH"
#: level index → catalogue code.
LEVEL_CODES = {1: "PARK-ATTENTION", 2: "PARK-LEVEL-I", 3: "PARK-LEVEL-II", 4: "PARK-LEVEL-III"}
#: level index → name (msgid).
LEVEL_NAMES = {0: N_("no warning"), 1: N_("attention (blue)"), 2: N_("level I (yellow)"),
               3: N_("level II (orange)"), 4: N_("level III (red)")}
TRANSITIONS = ("raised", "escalated", "de-escalated", "cleared")

for _r in (
    Rule("PARK-ATTENTION", "info", N_("A pollutant at a park station reached a multiple of the station's own "
                                      "background (rolling median): an abnormal emission nearby."), SOURCE,
         __name__ + ".evaluate", "R"),
    Rule("PARK-LEVEL-I", "warning", N_("A pollutant at a park station reached its level I threshold (AEGL-1 or the "
                                       "occupational MAC/STEL): a leak is likely."), SOURCE, __name__ + ".evaluate",
         "R"),
    Rule("PARK-LEVEL-II", "critical", N_("A pollutant at a park station reached its level II threshold (AEGL-2): "
                                         "protective action for the public."), SOURCE, __name__ + ".evaluate", "R"),
    Rule("PARK-LEVEL-III", "critical", N_("A pollutant at a park station reached its level III threshold (AEGL-3 or "
                                          "IDLH): life-threatening, evacuate."), SOURCE, __name__ + ".evaluate", "R"),
):
    register(_r)

_SENTENCES = {
    "raised": N_("%(station)s: %(substance)s at %(value)s mg/m³ at %(time)s reached %(level)s (threshold "
                 "%(threshold)s mg/m³; station background %(background)s mg/m³)."),
    "escalated": N_("%(station)s: %(substance)s rose to %(value)s mg/m³ at %(time)s; the warning goes from "
                    "%(previous)s to %(level)s (threshold %(threshold)s mg/m³)."),
    "de-escalated": N_("%(station)s: %(substance)s fell to %(value)s mg/m³ by %(time)s; the warning goes down from "
                       "%(previous)s to %(level)s."),
    "cleared": N_("%(station)s: %(substance)s is back to %(value)s mg/m³ by %(time)s; the %(previous)s warning is "
                  "cleared."),
}


class WarningSettings(BaseModel):
    """Section ``park.warnings``: every number [R] (``docs/park.md``)."""

    attention_multiple: float = 2.0
    #: Readings of the rolling background (1 440 = one day of minute data) [R].
    background_window: int = 1440
    #: Fewest valid readings in the window before the attention level applies.
    background_min_readings: int = 30
    #: The background is never taken below this (a clean station reads ~0) [ours]. [mg/m³]
    background_floor_mg_m3: float = 0.005
    level_i: list[str] = ["AEGL1", "occupational"]
    level_ii: list[str] = ["AEGL2"]
    level_iii: list[str] = ["AEGL3", "IDLH"]
    #: Consecutive readings at or above a level I–III before it is raised (1: alarm on the first reading).
    raise_readings: int = 1
    attention_readings: int = 3
    clear_readings: int = 5
    hysteresis: float = 0.2


def level_thresholds(substance: Substance, settings: WarningSettings) -> np.ndarray:
    """Thresholds [mg/m³] of levels I, II, III (NaN when the substance has none of the listed values)."""
    def lowest(keys: list[str]) -> float:
        vals = [substance.occupational_mg_m3 if k.lower() == "occupational" else substance.threshold_mg_m3(k)
                for k in keys]
        vals = [v for v in vals if v is not None]
        return min(vals) if vals else np.nan
    return np.array([lowest(settings.level_i), lowest(settings.level_ii), lowest(settings.level_iii)])


def rolling_background(values: np.ndarray, window: int, min_readings: int, chunk: int = 2048) -> np.ndarray:
    """The median of each reading's previous ``window`` valid readings (NaN where fewer than ``min_readings``);
    in chunks of ``chunk`` readings, so a week of minute data needs no more than chunk × window floats at once."""
    v = np.asarray(values, dtype=float)
    if not len(v):
        return v
    padded = np.concatenate([np.full(window, np.nan), v[:-1]])
    windows = sliding_window_view(padded, window)
    out = np.empty(len(v))
    for lo in range(0, len(v), chunk):
        w = windows[lo:lo + chunk]
        counts = np.sum(np.isfinite(w), axis=1)
        with warnings.catch_warnings():  # an all-NaN window gives NaN, said below
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(w, axis=1)
        out[lo:lo + chunk] = np.where(counts >= min_readings, med, np.nan)
    return out


@dataclass(frozen=True)
class WarningEvent:
    """One transition of a station's warning for one pollutant."""

    transition: str
    station: str
    factor: str
    time: datetime
    level: int
    previous: int
    value: float
    threshold: float
    background: float
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return LEVEL_CODES[max(self.level, self.previous)]

    @property
    def severity(self) -> str:
        return "info" if self.transition in ("cleared", "de-escalated") else (get(self.code).severity or "info")

    @property
    def explanation(self) -> str:
        return say(self.msgid, self.params)

    def say(self, gettext: Callable[[str], str]) -> str:
        return say(self.msgid, self.params, gettext)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "transition": self.transition, "station": self.station,
                "factor": self.factor, "time": self.time.isoformat(), "level": self.level, "previous": self.previous,
                "value": self.value, "threshold": self.threshold, "background": self.background,
                "explanation": self.explanation}


def _fmt(v: float) -> str:
    return "-" if not np.isfinite(v) else f"{v:.3g}"


def evaluate(station: str, factor: str, times: Sequence[datetime], values: np.ndarray, substance: Substance,
             settings: WarningSettings = WarningSettings(), timezone: str = "Asia/Shanghai",
             station_name: str | None = None) -> list[WarningEvent]:
    """The warning events of one station's readings of one pollutant, in time order.

    Parameters
    ----------
    times : sequence of datetime
        Reading times (aware), ascending.
    values : array
        Readings [mg/m³]; NaN = missing.
    """
    v = np.asarray(values, dtype=float)
    if len(times) != len(v):
        raise ValueError("times and values differ in length")
    background = np.maximum(rolling_background(v, settings.background_window, settings.background_min_readings),
                            settings.background_floor_mg_m3)
    fixed = level_thresholds(substance, settings)
    # thresholds per reading and level 1..4 (column 0 = attention)
    thr = np.column_stack([settings.attention_multiple * background, np.broadcast_to(fixed, (len(v), 3))])
    with np.errstate(invalid="ignore"):
        reach = v[:, None] >= thr  # NaN thresholds never reached
        hold = v[:, None] >= (1.0 - settings.hysteresis) * thr
    candidate = np.where(reach.any(axis=1), 4 - np.argmax(reach[:, ::-1], axis=1), 0)
    holding = np.where(hold.any(axis=1), 4 - np.argmax(hold[:, ::-1], axis=1), 0)
    dwell = {1: settings.attention_readings, 2: settings.raise_readings, 3: settings.raise_readings,
             4: settings.raise_readings}
    name = station_name or station
    events: list[WarningEvent] = []
    level, up_run, down_run = 0, [], []
    for i in np.flatnonzero(np.isfinite(v)):
        cand, hold_level = int(candidate[i]), int(holding[i])
        new = level
        if cand > level:
            up_run.append(cand)
            for k in range(4, level, -1):
                need = dwell[k]
                if len(up_run) >= need and min(up_run[-need:]) >= k:
                    new = k
                    break
        else:
            up_run = []
        if hold_level < level:
            down_run.append(hold_level)
            if len(down_run) >= settings.clear_readings:
                new = max(down_run[-settings.clear_readings:])
        else:
            down_run = []
        if new == level:
            continue
        transition = ("raised" if level == 0 else "escalated") if new > level else (
            "cleared" if new == 0 else "de-escalated")
        threshold = float(thr[i, new - 1]) if new else float(thr[i, level - 1])
        params = {"station": name, "substance": substance.name, "value": _fmt(v[i]),
                  "time": local_time(times[i], timezone), "level": LEVEL_NAMES[new], "previous": LEVEL_NAMES[level],
                  "threshold": _fmt(threshold), "background": _fmt(background[i])}
        events.append(WarningEvent(transition, station, factor, times[i], new, level, float(v[i]), threshold,
                                   float(background[i]), _SENTENCES[transition], params))
        level, up_run, down_run = new, [], []
    return events
