"""The offline check's files (issue 18 item 10) → a :class:`.check.Dataset`, with every problem an
:class:`InputError` naming the file, the line and the field (nothing is guessed: a bad row stops the check).

``M.csv`` ``mark_id,point,factor,kind,start,end`` (kind of the national mark families: ``maintenance``,
``calibration``, ``fault``, ``stop`` ...; end empty while the mark is open); ``W.csv``
``order_id,point,kind,created,on_site,done,deadline`` (empty when not yet; kind as :mod:`.rules.workorders`);
``D.csv`` ``point,time,event`` (``open``/``close`` of the station-room door); ``C.csv``
``point,factor,time,kind,result,drift_pct`` (kind ``zero``/``span``, result ``pass``/``fail``, drift in % of full
scale, empty when not recorded). Times ISO 8601 with an offset.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ecosentry.offline_csv import InputError, instant, required, rows
from ecosentry.said import N_
from ecosentry.subsystems.om.check import Dataset
from ecosentry.subsystems.om.rules.calibration import CalibrationCheck
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark
from ecosentry.subsystems.om.rules.workorders import WorkOrder, parse_kind

__all__ = ["InputError", "load_dataset", "load_marks", "load_orders", "load_doors", "load_checks"]

MAX_LEN = {"mark_id": 64, "order_id": 64, "point": 64, "factor": 32}
#: Mark kinds a file may use (the national families' sub-types, as ``rules.cn.marks`` of the monitoring subsystem
#: names them) and Chinese words for them.
MARK_KINDS = {"maintenance": "maintenance", "维护": "maintenance", "日常维护": "maintenance",
              "calibration": "calibration", "校准": "calibration", "fault": "fault", "故障": "fault",
              "stop": "stopped", "stopped": "stopped", "停运": "stopped", "comm_interruption": "comm_interruption",
              "通讯中断": "comm_interruption", "startup_shutdown": "startup_shutdown",
              "standard_sample_check": "standard_sample_check", "标样核查": "standard_sample_check",
              "force_majeure": "force_majeure", "non_attributable": "non_attributable"}
_EVENTS = {"open": True, "opened": True, "开": True, "开门": True, "close": False, "closed": False, "关": False,
           "关门": False}
_CHECK_KINDS = {"zero": "zero", "零点": "zero", "span": "span", "量程": "span"}
_RESULTS = {"pass": "pass", "passed": "pass", "合格": "pass", "通过": "pass", "fail": "fail", "failed": "fail",
            "不合格": "fail"}


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    return rows(path, columns, MAX_LEN)


def _time(path: Path, line: int, field: str, text: str, required: bool = True) -> datetime | None:
    if not text:
        if required:
            raise InputError(path, line, field, N_("is empty"))
        return None
    return instant(path, line, field, text)


def _required(path: Path, line: int, row: dict[str, str], name: str) -> str:
    return required(path, line, row, name)


def load_marks(path: Path) -> list[Mark]:
    out, seen = [], {}
    for line, row in _rows(path, ("mark_id", "point", "factor", "kind", "start", "end")):
        mark_id = _required(path, line, row, "mark_id")
        if mark_id in seen:
            raise InputError(path, line, "mark_id", N_("%(text)r repeats line %(first)s"), text=mark_id,
                             first=seen[mark_id])
        seen[mark_id] = line
        kind = MARK_KINDS.get(row["kind"].lower()) or MARK_KINDS.get(row["kind"])
        if kind is None:
            known = ", ".join(sorted(set(MARK_KINDS.values())))
            raise InputError(path, line, "kind", N_("%(text)r is no mark kind (%(known)s)"), text=row["kind"],
                             known=known)
        start = _time(path, line, "start", row["start"])
        end = _time(path, line, "end", row["end"], required=False)
        if end is not None and end < start:
            raise InputError(path, line, "end", N_("is before start"))
        out.append(Mark(mark_id, _required(path, line, row, "point"), row["factor"], kind, start, end))
    return out


def load_orders(path: Path) -> list[WorkOrder]:
    out, seen = [], {}
    for line, row in _rows(path, ("order_id", "point", "kind", "created", "on_site", "done", "deadline")):
        order_id = _required(path, line, row, "order_id")
        if order_id in seen:
            raise InputError(path, line, "order_id", N_("%(text)r repeats line %(first)s"), text=order_id,
                             first=seen[order_id])
        seen[order_id] = line
        kind = parse_kind(row["kind"])
        if kind is None:
            raise InputError(path, line, "kind", N_("%(text)r is no work-order kind (device_fault, data_missing, "
                                                "offline, drift, daily_inspection, weekly_inspection, calibration, "
                                                "verification, comparison)"), text=row["kind"])
        created = _time(path, line, "created", row["created"])
        on_site = _time(path, line, "on_site", row["on_site"], required=False)
        done = _time(path, line, "done", row["done"], required=False)
        deadline = _time(path, line, "deadline", row["deadline"], required=False)
        if on_site is not None and on_site < created:
            raise InputError(path, line, "on_site", N_("is before created"))
        if done is not None and done < (on_site or created):
            raise InputError(path, line, "done", N_("is before on_site") if on_site else N_("is before created"))
        state = "done" if done else "on_site" if on_site else "created"
        out.append(WorkOrder(order_id, _required(path, line, row, "point"), kind, created, state=state,
                             deadline=deadline, on_site_at=on_site, done_at=done))
    return out


def load_doors(path: Path) -> list[DoorEvent]:
    out = []
    for line, row in _rows(path, ("point", "time", "event")):
        opened = _EVENTS.get(row["event"].lower())
        if opened is None:
            raise InputError(path, line, "event", N_("must be open or close, not %(text)r"),
                             text=row["event"])
        out.append(DoorEvent(_required(path, line, row, "point"), _time(path, line, "time", row["time"]), opened))
    return out


def load_checks(path: Path) -> list[CalibrationCheck]:
    out = []
    for line, row in _rows(path, ("point", "factor", "time", "kind", "result", "drift_pct")):
        kind = _CHECK_KINDS.get(row["kind"].lower())
        if kind is None:
            raise InputError(path, line, "kind", N_("must be zero or span, not %(text)r"), text=row["kind"])
        result = _RESULTS.get(row["result"].lower())
        if result is None:
            raise InputError(path, line, "result", N_("must be pass or fail, not %(text)r"),
                             text=row["result"])
        drift = None
        if row["drift_pct"]:
            try:
                drift = float(row["drift_pct"].rstrip("%"))
            except ValueError:
                raise InputError(path, line, "drift_pct", N_("%(text)r is not a number"),
                                 text=row["drift_pct"]) from None
            if not math.isfinite(drift):
                raise InputError(path, line, "drift_pct", N_("%(text)r is not a finite number"),
                                 text=row["drift_pct"])
        out.append(CalibrationCheck(_required(path, line, row, "point"), _required(path, line, row, "factor"),
                                    _time(path, line, "time", row["time"]), kind, result, drift))
    return out


def load_dataset(marks: Path, orders: Path, doors: Path, checks: Path | None = None) -> Dataset:
    return Dataset(load_marks(marks), load_orders(orders), load_doors(doors),
                   load_checks(checks) if checks is not None else [])
