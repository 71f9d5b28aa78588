"""The files of ``ecosentry park traceback`` (issue 17 item 9): read, checked, and turned into the traceback's
arrays. Coordinates in metres east (x) and north (y) of the park's origin; readings in mg/m³ with ISO 8601 times
carrying their offset; met with the direction the wind comes *from*, clockwise from north. Any bad row stops the
load with :class:`ecosentry.offline_csv.InputError` naming the file, the line and the field (the command exits
2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ecosentry.offline_csv import InputError, instant, number, required, rows
from ecosentry.said import N_
from ecosentry.subsystems.park.model.sigmas import CLASSES
from ecosentry.subsystems.park.tracing import Candidate, MetSeries, Readings

__all__ = ["InputError", "load_stations", "load_sources", "load_readings", "load_met"]


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    return rows(path, columns)


def _number(path: Path, line: int, field: str, text: str, minimum: float | None = None) -> float:
    return number(path, line, field, text, minimum)


def _time(path: Path, line: int, field: str, text: str) -> float:
    return instant(path, line, field, text).timestamp()


def _key(path: Path, line: int, field: str, text: str) -> str:
    return required(path, line, {field: text}, field)


def load_stations(path: Path) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for line, r in _rows(path, ("station", "x", "y")):
        name = _key(path, line, "station", r["station"])
        if name in out:
            raise InputError(path, line, "station", N_("%(text)r appears twice"), text=name)
        out[name] = (_number(path, line, "x", r["x"]), _number(path, line, "y", r["y"]))
    if not out:
        raise InputError(path, None, None, N_("no stations"))
    return out


def load_sources(path: Path) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[str] = set()
    for line, r in _rows(path, ("source", "enterprise", "x", "y", "substances")):
        name = _key(path, line, "source", r["source"])
        if name in seen:
            raise InputError(path, line, "source", N_("%(text)r appears twice"), text=name)
        seen.add(name)
        subs = frozenset(s.strip() for s in r["substances"].split(";") if s.strip())
        out.append(Candidate(name, r["enterprise"], _number(path, line, "x", r["x"]),
                             _number(path, line, "y", r["y"]), subs))
    if not out:
        raise InputError(path, None, None, N_("no candidate sources"))
    return out


def load_readings(path: Path, stations: dict[str, tuple[float, float]]) -> Readings:
    st, t, fac, val = [], [], [], []
    for line, r in _rows(path, ("station", "time", "factor", "value")):
        name = _key(path, line, "station", r["station"])
        if name not in stations:
            raise InputError(path, line, "station", N_("%(text)r is not in the stations file"), text=name)
        st.append(name)
        t.append(_time(path, line, "time", r["time"]))
        fac.append(_key(path, line, "factor", r["factor"]))
        val.append(_number(path, line, "value", r["value"], 0.0))
    if not st:
        raise InputError(path, None, None, N_("no readings"))
    pos = np.array([stations[s] for s in st])
    return Readings(np.array(st), pos[:, 0], pos[:, 1], np.array(t), np.array(fac), np.array(val))


def load_met(path: Path) -> MetSeries:
    rows = []
    for line, r in _rows(path, ("time", "wind_speed", "wind_dir_deg", "stability")):
        cls = r["stability"].upper()
        if cls not in CLASSES:
            raise InputError(path, line, "stability", N_("%(text)r is not a class A to F"),
                             text=r["stability"])
        d = _number(path, line, "wind_dir_deg", r["wind_dir_deg"], 0.0)
        if d > 360:
            raise InputError(path, line, "wind_dir_deg", N_("%(text)r is not within 0–360 degrees"),
                             text=r["wind_dir_deg"])
        rows.append((_time(path, line, "time", r["time"]), _number(path, line, "wind_speed", r["wind_speed"], 0.0),
                     d % 360, cls))
    if not rows:
        raise InputError(path, None, None, N_("no met records"))
    rows.sort(key=lambda x: x[0])
    t, u, d, c = zip(*rows)
    return MetSeries(np.array(t), np.array(u), np.array(d), np.array(c))
