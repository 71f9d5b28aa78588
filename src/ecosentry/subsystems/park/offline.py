"""The files of ``ecosentry park traceback`` (issue 17 item 9): read, checked, and turned into the traceback's
arrays. Coordinates in metres east (x) and north (y) of the park's origin; readings in mg/m³ with ISO 8601 times
carrying their offset; met with the direction the wind comes *from*, clockwise from north. Any bad row stops the
load with :class:`InputError` naming the file, the line and the field (the command exits 2)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from ecosentry.subsystems.park.model.sigmas import CLASSES
from ecosentry.subsystems.park.tracing import Candidate, MetSeries, Readings

__all__ = ["InputError", "load_stations", "load_sources", "load_readings", "load_met"]


class InputError(ValueError):
    def __init__(self, path: Path, line: int, field: str, problem: str) -> None:
        super().__init__(f"{path}, line {line}, field {field}: {problem}")


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(path, 0, "-", f"cannot be read ({exc.strerror})") from None
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, 1, ",".join(missing), f"missing column(s); the header must be {','.join(columns)}")
        try:
            for row in reader:
                if not any((v or "").strip() for v in row.values()):
                    continue
                yield reader.line_num, {k: (row.get(k) or "").strip() for k in columns}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(path, reader.line_num, "-", f"not a CSV file in UTF-8 ({exc})") from None


def _number(path: Path, line: int, field: str, text: str, minimum: float | None = None) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError(path, line, field, f"{text!r} is not a number") from None
    if not np.isfinite(v) or (minimum is not None and v < minimum):
        raise InputError(path, line, field, f"{text!r} must be a finite number" +
                         (f" ≥ {minimum:g}" if minimum is not None else ""))
    return v


def _time(path: Path, line: int, field: str, text: str) -> float:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(path, line, field, f"{text!r} is not an ISO 8601 time") from None
    if t.tzinfo is None:
        raise InputError(path, line, field, f"{text!r} has no UTC offset (write e.g. 2026-05-01T08:00:00+08:00)")
    return t.timestamp()


def _key(path: Path, line: int, field: str, text: str) -> str:
    if not text:
        raise InputError(path, line, field, "is empty")
    return text


def load_stations(path: Path) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for line, r in _rows(path, ("station", "x", "y")):
        name = _key(path, line, "station", r["station"])
        if name in out:
            raise InputError(path, line, "station", f"{name!r} appears twice")
        out[name] = (_number(path, line, "x", r["x"]), _number(path, line, "y", r["y"]))
    if not out:
        raise InputError(path, 1, "-", "no stations")
    return out


def load_sources(path: Path) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[str] = set()
    for line, r in _rows(path, ("source", "enterprise", "x", "y", "substances")):
        name = _key(path, line, "source", r["source"])
        if name in seen:
            raise InputError(path, line, "source", f"{name!r} appears twice")
        seen.add(name)
        subs = frozenset(s.strip() for s in r["substances"].split(";") if s.strip())
        out.append(Candidate(name, r["enterprise"], _number(path, line, "x", r["x"]),
                             _number(path, line, "y", r["y"]), subs))
    if not out:
        raise InputError(path, 1, "-", "no candidate sources")
    return out


def load_readings(path: Path, stations: dict[str, tuple[float, float]]) -> Readings:
    st, t, fac, val = [], [], [], []
    for line, r in _rows(path, ("station", "time", "factor", "value")):
        name = _key(path, line, "station", r["station"])
        if name not in stations:
            raise InputError(path, line, "station", f"{name!r} is not in the stations file")
        st.append(name)
        t.append(_time(path, line, "time", r["time"]))
        fac.append(_key(path, line, "factor", r["factor"]))
        val.append(_number(path, line, "value", r["value"], 0.0))
    if not st:
        raise InputError(path, 1, "-", "no readings")
    pos = np.array([stations[s] for s in st])
    return Readings(np.array(st), pos[:, 0], pos[:, 1], np.array(t), np.array(fac), np.array(val))


def load_met(path: Path) -> MetSeries:
    rows = []
    for line, r in _rows(path, ("time", "wind_speed", "wind_dir_deg", "stability")):
        cls = r["stability"].upper()
        if cls not in CLASSES:
            raise InputError(path, line, "stability", f"{r['stability']!r} is not a class A to F")
        d = _number(path, line, "wind_dir_deg", r["wind_dir_deg"], 0.0)
        if d > 360:
            raise InputError(path, line, "wind_dir_deg", f"{r['wind_dir_deg']!r} is not within 0–360 degrees")
        rows.append((_time(path, line, "time", r["time"]), _number(path, line, "wind_speed", r["wind_speed"], 0.0),
                     d % 360, cls))
    if not rows:
        raise InputError(path, 1, "-", "no met records")
    rows.sort(key=lambda x: x[0])
    t, u, d, c = zip(*rows)
    return MetSeries(np.array(t), np.array(u), np.array(d), np.array(c))
