"""The offline check for auditors (issue 15 item 10): readings, equipment and orders as CSV files → findings.

``R.csv``: ``meter,time,quantity,value`` (quantity ``P`` kW, ``I`` A, ``E`` kWh; time ISO 8601 with an offset,
taken to its minute). ``E.csv``: the registry CSV (:func:`.registry.load_csv`). ``O.csv``:
``enterprise,equipment,measure,limit_pct,start,end`` (measure ``stop`` or ``limit``; ``limit_pct`` the share of
the baseline the order allows; rows with the same enterprise, measure, share and window are one order over their
equipment). Every problem is a :class:`.registry.RegistryError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from pathlib import Path

import numpy as np

from ecosentry.said import N_, Said
from ecosentry.subsystems.power.check import EnterpriseReadings, MeterReadings
from ecosentry.subsystems.power.registry import Registry, RegistryError
from ecosentry.subsystems.power.rules.orders import Order

__all__ = ["load_readings", "load_orders", "reading_rows"]

QUANTITIES = ("P", "I", "E")


def _rows(path: Path, columns: tuple[str, ...]):
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RegistryError(str(path), None, None, N_("cannot be read (%(reason)s)"), reason=exc.strerror) from None
    with f:
        reader = csv.DictReader(f)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise RegistryError(str(path), 1, missing[0], N_("missing column(s) %(columns)s"),
                                columns=", ".join(missing))
        for line, raw in enumerate(reader, start=2):
            row = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if k}
            if any(row.values()):
                yield line, row


def _time(path: Path, line: int, field: str, text: str | None) -> datetime:
    try:
        t = datetime.fromisoformat(text or "")
    except ValueError:
        raise RegistryError(str(path), line, field, N_("%(text)r is not an ISO 8601 time"), text=text) from None
    if t.tzinfo is None:
        raise RegistryError(str(path), line, field, N_("%(text)r has no offset (+08:00, Z ...)"), text=text)
    return t


def reading_rows(path: str | Path, meter_problem: Callable[[str], Said | None],
                 quantities: Collection[str] = QUANTITIES) -> Iterator[tuple[int, str, datetime, str, float]]:
    """The rows of an ``R.csv`` checked, as (line, meter, time, quantity, value); ``meter_problem(meter)`` says
    what is wrong with a meter id (None: nothing). Used by the offline check and by ``power import-readings``."""
    path = Path(path)
    by_upper = {q.upper(): q for q in quantities}
    for line, row in _rows(path, ("meter", "time", "quantity", "value")):
        meter = row.get("meter") or ""
        problem = meter_problem(meter)
        if problem:
            raise RegistryError(str(path), line, "meter", problem.msgid, **problem.params)
        q = by_upper.get((row.get("quantity") or "").upper())
        if q is None:
            names = list(quantities)
            raise RegistryError(str(path), line, "quantity", N_("must be %(names)s or %(last)s, not %(text)r"),
                                names=", ".join(names[:-1]), last=names[-1], text=row.get("quantity"))
        t = _time(path, line, "time", row.get("time"))
        try:
            v = float(row.get("value") or "")
        except ValueError:
            raise RegistryError(str(path), line, "value", N_("%(text)r is not a number"),
                                text=row.get("value")) from None
        if not math.isfinite(v):
            raise RegistryError(str(path), line, "value", N_("%(text)r is not a finite number"),
                                text=row.get("value"))
        yield line, meter, t, q, v


def load_readings(path: str | Path, registry: Registry) -> dict[str, EnterpriseReadings]:
    """The readings of every enterprise of the registry on its own minute grid (first to last reading)."""
    path = Path(path)
    owner = registry.meter_owner()
    values: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))

    def unknown(meter: str) -> Said | None:
        return None if meter in owner else Said(N_("%(meter)r is not a meter of the equipment file"), meter=meter)

    for line, meter, t, q, v in reading_rows(path, unknown):
        epoch_min = int(t.timestamp() // 60)
        values[meter][q][epoch_min] = v
    out: dict[str, EnterpriseReadings] = {}
    by_ent: dict[str, list[str]] = defaultdict(list)
    for meter in values:
        by_ent[owner[meter][0].id].append(meter)
    for ent_id, meters in by_ent.items():
        minutes = [m for meter in meters for q in values[meter].values() for m in q]
        first, last = min(minutes), max(minutes)
        n = last - first + 1
        zone = registry.by_id()[ent_id].zone
        start = datetime.fromtimestamp(first * 60, tz=zone)
        got = {}
        for meter in meters:
            arrays = {}
            for q, series in values[meter].items():
                a = np.full(n, np.nan)
                idx = np.fromiter(series.keys(), dtype=np.int64) - first
                a[idx] = np.fromiter(series.values(), dtype=float)
                arrays[q] = a
            power = arrays.get("P", np.full(n, np.nan))
            got[meter] = MeterReadings(power, arrays["I"][None, :] if "I" in arrays else None, arrays.get("E"))
        out[ent_id] = EnterpriseReadings(start, n, got)
    return out


def load_orders(path: str | Path, registry: Registry) -> list[Order]:
    path = Path(path)
    groups: dict[tuple, list[str]] = defaultdict(list)
    ents = registry.by_id()
    for line, row in _rows(path, ("enterprise", "equipment", "measure", "limit_pct", "start", "end")):
        ent = ents.get(row.get("enterprise") or "")
        if ent is None:
            raise RegistryError(str(path), line, "enterprise", N_("%(text)r is not in the equipment file"),
                                text=row.get("enterprise"))
        eq = row.get("equipment") or ""
        known = ent.equipment_by_id().get(eq)
        if known is None or known.role != "production":
            raise RegistryError(str(path), line, "equipment", N_("%(text)r is not production equipment of "
                                                                "%(enterprise)r"), text=eq, enterprise=ent.id)
        measure = (row.get("measure") or "").lower()
        if measure not in ("stop", "limit"):
            raise RegistryError(str(path), line, "measure", N_("must be stop or limit, not %(text)r"),
                                text=row.get("measure"))
        pct = None
        if measure == "limit":
            try:
                pct = float(row.get("limit_pct") or "")
            except ValueError:
                raise RegistryError(str(path), line, "limit_pct", N_("%(text)r is not a number"),
                                    text=row.get("limit_pct")) from None
            if not 0 <= pct < 100:
                raise RegistryError(str(path), line, "limit_pct", N_("must be from 0 to below 100, not %(pct)s"),
                                    pct=f"{pct:g}")
        start, end = _time(path, line, "start", row.get("start")), _time(path, line, "end", row.get("end"))
        if not end > start:
            raise RegistryError(str(path), line, "end", N_("must be after start"))
        key = (ent.id, measure, pct, start, end)
        groups[key].append(eq)
    return [Order(k[0], tuple(eqs), k[1], k[3], k[4], k[2]) for k, eqs in groups.items()]
