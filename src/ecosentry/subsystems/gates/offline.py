"""The offline check's files (issue 16 item 11) → a :class:`.rules.checks.Dataset`, with every problem an
:class:`InputError` naming the file, the line and the field (nothing is guessed: a bad row stops the check).

``P.csv`` ``enterprise,gate,time,direction,plate,plate_colour,confidence`` (direction ``in``/``out``; time ISO
8601 with an offset; plate empty when unread; confidence 0–1, or a percentage above 1); ``L.csv``
``enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t`` (stage ``0``–``6`` or ``d``, blank
when the row lacks it); ``R.csv`` ``plate,plate_colour,vin,emission_stage,fuel,registration_date``; ``E.csv``
``enterprise,grade,small_volume_exempt``; ``A.csv`` ``enterprise,level,start,end``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np

from ecosentry.offline_csv import InputError, instant, required, rows
from ecosentry.said import N_
from ecosentry.subsystems.gates.rules.checks import Alert, Dataset, Enterprise
from ecosentry.subsystems.gates.rules.decision import Vehicle, parse_grade, parse_level
from ecosentry.subsystems.gates.rules.ledger import LedgerRows, Passages
from ecosentry.subsystems.gates.rules.plate import colour_of, normalise_plate
from ecosentry.subsystems.gates.rules.stages import parse_fuel, parse_stage
from ecosentry.subsystems.gates.rules.vin import normalise_vin

__all__ = ["InputError", "load_dataset", "load_enterprises", "load_register", "load_passages", "load_ledger",
           "load_alerts"]

#: Longest value of a text field (the 2020 guide's char(n) where it gives one, else ours).
MAX_LEN = {"enterprise": 64, "gate": 64, "plate": 16, "vin": 32, "cargo": 100, "registration_date": 10}
_DIRECTIONS = {"in": True, "进": True, "进厂": True, "entry": True, "out": False, "出": False, "出厂": False,
               "exit": False}
_BOOLS = {"": False, "0": False, "false": False, "no": False, "n": False, "否": False,
          "1": True, "true": True, "yes": True, "y": True, "是": True}


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    return rows(path, columns, MAX_LEN)


def _time(path: Path, line: int, field: str, text: str) -> int:
    return int(instant(path, line, field, text).timestamp())


def _direction(path, line, text) -> bool:
    d = _DIRECTIONS.get(text.lower())
    if d is None:
        raise InputError(path, line, "direction", N_("must be in or out, not %(text)r"), text=text)
    return d


def _stage(path, line, field, text) -> str:
    if not text:
        return ""
    s = parse_stage(text)
    if s is None:
        raise InputError(path, line, field, N_("%(text)r is no emission stage (0–6, d, 国四 …)"), text=text)
    return s


def _fuel(path, line, text) -> str:
    if not text:
        return ""
    f = parse_fuel(text)
    if f is None:
        raise InputError(path, line, "fuel", N_("%(text)r is no fuel (diesel, gasoline, natural_gas, electric, "
                                                  "hybrid, hydrogen, other)"), text=text)
    return f


def _colour(path, line, text, codes) -> str:
    if not text:
        return ""
    c = colour_of(text, codes)
    if c is None:
        raise InputError(path, line, "plate_colour", N_("%(text)r is no plate colour (blue, yellow, "
                                                          "green, yellow_green, white, black or a code)"), text=text)
    return c


def _need(path, line, row, field) -> str:
    return required(path, line, row, field)


def load_enterprises(path: str | Path) -> dict[str, Enterprise]:
    path, out = Path(path), {}
    for line, row in _rows(path, ("enterprise", "grade", "small_volume_exempt")):
        ent = _need(path, line, row, "enterprise")
        if ent in out:
            raise InputError(path, line, "enterprise", N_("%(text)r is listed twice"), text=ent)
        grade = parse_grade(row["grade"])
        if grade is None:
            raise InputError(path, line, "grade", N_("must be A, B, B-, C, D or leading, not %(text)r"),
                             text=row["grade"])
        exempt = _BOOLS.get(row["small_volume_exempt"].lower())
        if exempt is None:
            raise InputError(path, line, "small_volume_exempt", N_("must be true or false, not %(text)r"),
                             text=row["small_volume_exempt"])
        out[ent] = Enterprise(ent, grade, exempt)
    return out


def load_register(path: str | Path, colour_codes: dict[str, str] | None = None) -> dict[str, Vehicle]:
    path, out = Path(path), {}
    for line, row in _rows(path, ("plate", "plate_colour", "vin", "emission_stage", "fuel", "registration_date")):
        plate = normalise_plate(_need(path, line, row, "plate"))
        if plate in out:
            raise InputError(path, line, "plate", N_("%(text)r is registered twice"), text=plate)
        reg = row["registration_date"]
        if reg:
            try:
                reg = (date.fromisoformat(reg) if "-" in reg else datetime.strptime(reg, "%Y%m%d").date()).isoformat()
            except ValueError:
                raise InputError(path, line, "registration_date", N_("%(text)r is not a date (YYYY-MM-DD or "
                                                                       "YYYYMMDD)"), text=reg) from None
        out[plate] = Vehicle(plate, _colour(path, line, row["plate_colour"], colour_codes) or None,
                             normalise_vin(row["vin"]), _stage(path, line, "emission_stage", row["emission_stage"])
                             or None, _fuel(path, line, row["fuel"]) or None, reg)
    return out


def _known(path, line, ent, enterprises):
    if ent not in enterprises:
        raise InputError(path, line, "enterprise", N_("%(text)r is not in the enterprises file"), text=ent)
    return ent


def load_passages(path: str | Path, enterprises: dict[str, Enterprise],
                  colour_codes: dict[str, str] | None = None) -> Passages:
    path = Path(path)
    cols: list[list] = [[] for _ in range(8)]
    for line, row in _rows(path, ("enterprise", "gate", "time", "direction", "plate", "plate_colour", "confidence")):
        ent = _known(path, line, _need(path, line, row, "enterprise"), enterprises)
        gate = _need(path, line, row, "gate")
        t = _time(path, line, "time", _need(path, line, row, "time"))
        inbound = _direction(path, line, row["direction"])
        conf = float("nan")
        if row["confidence"]:
            try:
                conf = float(row["confidence"])
            except ValueError:
                raise InputError(path, line, "confidence", N_("%(text)r is not a number"),
                                 text=row["confidence"]) from None
            if not math.isfinite(conf) or not 0 <= conf <= 100:
                raise InputError(path, line, "confidence", N_("must be from 0 to 1 (or a percentage)"))
            conf = conf / 100 if conf > 1 else conf
        for c, v in zip(cols, (ent, gate, t, inbound, normalise_plate(row["plate"]),
                               _colour(path, line, row["plate_colour"], colour_codes), conf, line)):
            c.append(v)
    p = Passages.of(list(zip(*cols[:7])))
    p.line = np.asarray(cols[7], dtype=np.int64)
    return p


def load_ledger(path: str | Path, enterprises: dict[str, Enterprise]) -> LedgerRows:
    path = Path(path)
    rows, lines = [], []
    for line, row in _rows(path, ("enterprise", "time", "direction", "plate", "vin", "emission_stage", "fuel",
                                  "cargo", "weight_t")):
        ent = _known(path, line, _need(path, line, row, "enterprise"), enterprises)
        t = _time(path, line, "time", _need(path, line, row, "time"))
        w = float("nan")
        if row["weight_t"]:
            try:
                w = float(row["weight_t"])
            except ValueError:
                raise InputError(path, line, "weight_t", N_("%(text)r is not a number"),
                                 text=row["weight_t"]) from None
            if not math.isfinite(w) or not 0 <= w < 1000:  # number(4,1): at most 999.9 t
                raise InputError(path, line, "weight_t", N_("must be from 0 to 999.9 t"))
        rows.append((ent, t, _direction(path, line, row["direction"]), normalise_plate(row["plate"]),
                     normalise_vin(row["vin"]), _stage(path, line, "emission_stage", row["emission_stage"]),
                     _fuel(path, line, row["fuel"]), row["cargo"], w))
        lines.append(line)
    lg = LedgerRows.of(rows)
    lg.line = np.asarray(lines, dtype=np.int64)
    return lg


def load_alerts(path: str | Path, enterprises: dict[str, Enterprise]) -> list[Alert]:
    path, out = Path(path), []
    for line, row in _rows(path, ("enterprise", "level", "start", "end")):
        ent = _known(path, line, _need(path, line, row, "enterprise"), enterprises)
        level = parse_level(row["level"])
        if level is None:
            raise InputError(path, line, "level", N_("must be blue, yellow, orange or red, not %(text)r"),
                             text=row["level"])
        start = _time(path, line, "start", _need(path, line, row, "start"))
        end = _time(path, line, "end", _need(path, line, row, "end"))
        if end <= start:
            raise InputError(path, line, "end", N_("must be after start"))
        out.append(Alert(ent, level, start, end))
    return out


def load_dataset(passages: str | Path, ledger: str | Path, register: str | Path, enterprises: str | Path,
                 alerts: str | Path | None = None, colour_codes: dict[str, str] | None = None) -> Dataset:
    ents = load_enterprises(enterprises)
    return Dataset(load_passages(passages, ents, colour_codes), load_ledger(ledger, ents),
                   load_register(register, colour_codes), ents, load_alerts(alerts, ents) if alerts else [])
