"""Vietnamese station files → Envelopes: timeliness, duplicates, back-fill, parameter mapping, missing files.

A Circular 10/2021/TT-BTNMT data logger sends one ``.txt`` file per measurement, at the latest 5 minutes
after the result (Art. 39; reference notes china-vietnam-rules.md §7.2), usually by FTP. Whatever the
transport (:mod:`ecosentry.gateways.ftp`, :mod:`ecosentry.gateways.folder`), a file goes through
:class:`VnIntake`:

1. the name is parsed (station key = ``Province_Facility_Station`` = ``points.mn``) and the station looked up
   (an unknown or inactive station, or a file of another station than the FTP account, is *quarantined*);
2. timeliness: ``delay = received_at − file time`` (the file time is station local time); a file later than
   ``late_after_minutes`` (5) is *late*, later than ``backfill_after_minutes`` (60) *back-fill* (sent from the
   logger's ≥ 60-day buffer, subsystems.md §7 req. 33), older than ``max_age_days`` (60) refused ``too_old``,
   more than ``future_minutes`` (5) ahead refused ``future``;
3. duplicates: the same station and name again with the same SHA-256 → *duplicate* (no second data); with a
   different content → refused ``conflict`` (see :class:`VnIntake` for why);
4. the content is parsed (:func:`ecosentry.protocols.vn_txt.parser.parse_file`, any error refuses the whole
   file with its reason and line) and each line mapped to a canonical factor (:class:`ParameterMapper`);
   status 00/01/02 → flag N/C/D, the raw status kept as ``eflag``;
5. the raw bytes go to the spool in an :class:`Envelope` (transport ``ftp`` or ``vn-folder``) — accepted,
   rejected or quarantined, so nothing received is lost — and are durable before the caller acknowledges;
6. one row goes to the file log ``vn_files`` and counters are incremented.

Missing files are found per station and expected interval by :func:`missing_slots` and raised as
``ALM-DATA-MISSING`` by :func:`check_missing_files` (subsystems.md §7 req. 32).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.protocols.vn_txt.model import VnFile, VnFileError
from ecosentry.settings import get_settings
from ecosentry.subsystems.monitoring.store import vn as vn_store
from ecosentry.store.registry import PointInfo, load_point_directory

log = logging.getLogger(__name__)

__all__ = [
    "VnIntakeSettings", "FLAG_BY_STATUS", "CN_VN_TXT", "name_key", "unit_key", "unit_conversion",
    "DEFAULT_PARAMETERS", "Resolved", "Unresolved", "ParameterMapper", "to_readings", "Timeliness",
    "assess_timeliness", "missing_slots", "Outcome", "SpoolSink", "VnIntake", "place_file",
    "check_missing_files", "MISSING_SOURCE_SUFFIX", "make_intake",
]

#: Circular 10/2021 Art. 39 device status → HJ 212-2017 Table 8 flag: 00 measuring → N (normal),
#: 01 calibrating → C (校准), 02 device error → D (故障). The raw status is kept in ``eflag``.
FLAG_BY_STATUS = {"00": "N", "01": "C", "02": "D"}

#: ``Envelope.cn`` of a Vietnamese station file (the payload format, whatever the transport).
CN_VN_TXT = "vn-txt"


# --------------------------------------------------------------------------- parameter names and units

def _strip_accents(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """Normalised parameter name: case, spaces, underscores and Vietnamese diacritics ignored.

    ``"Nhiệt độ"``, ``"NHIET DO"`` and ``"nhiet_do"`` all give ``"nhietdo"``; ``"SO₂"`` gives ``"so2"``.
    Hyphens, commas, ``+`` and dots are kept (``m,p-Xylene``, ``NH4+``, ``PM2.5`` stay distinct).
    """
    return re.sub(r"[\s_]+", "", _strip_accents(name).casefold())


def unit_key(unit: str | None) -> str:
    """Normalised unit: ``"µg/m³"`` → ``"ug/m3"``, ``"°C"``/``"oC"`` → ``"oc"``, ``"độ C"`` → ``"doc"``."""
    if not unit:
        return ""
    text = _strip_accents(unit).casefold().replace("μ", "u").replace("°", "o").replace("º", "o")
    return re.sub(r"\s+", "", text)


#: Unit groups: key → (scale, offset) to the group's base unit (value_base = raw × scale + offset).
_UNIT_GROUPS: tuple[dict[str, tuple[float, float]], ...] = (
    # mass concentration in gas (base mg/m³; N = normal conditions, the catalogue's unit is at standard state)
    {"mg/m3": (1, 0), "mg/nm3": (1, 0), "ug/m3": (1e-3, 0), "ug/nm3": (1e-3, 0), "ng/m3": (1e-6, 0),
     "ng/nm3": (1e-6, 0), "g/m3": (1e3, 0), "g/nm3": (1e3, 0)},
    # mass concentration in water (base mg/L)
    {"mg/l": (1, 0), "ug/l": (1e-3, 0), "ng/l": (1e-6, 0), "g/l": (1e3, 0), "g/m3": (1, 0)},
    # volume flow (base m³/s)
    {"m3/s": (1, 0), "m3/min": (1 / 60, 0), "m3/h": (1 / 3600, 0), "m3/d": (1 / 86400, 0),
     "m3/ngay": (1 / 86400, 0), "m3/ngaydem": (1 / 86400, 0), "nm3/s": (1, 0), "nm3/h": (1 / 3600, 0),
     "l/s": (1e-3, 0), "l/min": (1e-3 / 60, 0), "l/h": (1e-3 / 3600, 0)},
    # temperature (base °C)
    {"oc": (1, 0), "c": (1, 0), "doc": (1, 0), "degc": (1, 0), "deg.c": (1, 0), "celsius": (1, 0),
     "k": (1, -273.15)},
    # pressure (base kPa)
    {"kpa": (1, 0), "hpa": (0.1, 0), "pa": (1e-3, 0), "mbar": (0.1, 0), "bar": (100, 0), "mpa": (1000, 0),
     "atm": (101.325, 0), "mmhg": (0.133322, 0), "mmh2o": (0.00980665, 0)},
    # volume fraction (base %)
    {"%": (1, 0), "%vol": (1, 0), "vol%": (1, 0), "%v": (1, 0), "%v/v": (1, 0)},
    # conductivity (base µS/cm)
    {"us/cm": (1, 0), "ms/cm": (1000, 0), "ms/m": (10, 0)},
    # velocity (base m/s)
    {"m/s": (1, 0), "km/h": (1 / 3.6, 0)},
)
#: Raw units accepted for a dimensionless factor (pH): empty, a dash, or the name itself.
_DIMENSIONLESS = frozenset({"", "-", "ph", "none"})


@lru_cache(maxsize=1024)
def unit_conversion(raw_unit: str | None, canonical_unit: str | None) -> tuple[float, float] | None:
    """``(scale, offset)`` with ``canonical = raw × scale + offset``, or ``None`` when not a simple conversion.

    Only conversions within one dimension by a fixed factor (and kelvin → °C) are made: ``ug/m3`` → ``mg/m³``
    is ``(0.001, 0)``, ``m3/h`` → ``L/s`` is ``(1/3.6, 0)``, ``hPa`` → ``kPa`` is ``(0.1, 0)``. A conversion that
    needs more (ppm → mg/m³ needs the molar mass and the reference temperature) or a missing unit for a
    dimensioned factor gives ``None``: the value is not invented (subsystems.md §7 req. 34).

    Parameters
    ----------
    raw_unit : str or None
        Unit as written in the station file.
    canonical_unit : str or None
        The factor's catalogue unit (``None`` = dimensionless).

    Returns
    -------
    tuple of float, or None
    """
    r, c = unit_key(raw_unit), unit_key(canonical_unit)
    if not c:
        return (1.0, 0.0) if r in _DIMENSIONLESS else None
    if r == c:
        return (1.0, 0.0)
    for group in _UNIT_GROUPS:
        if r in group and c in group:
            (sr, orr), (sc, oc) = group[r], group[c]
            return (sr / sc, (orr - oc) / sc)
    return None


#: Default mapping of common parameter names (Circular 10/2021 / Decree 08/2022 Art. 97–98 parameters and the
#: names seen in station files, reference notes §7.1–§7.2, subsystems.md §5.2) to HJ 212-2017 codes by the
#: medium of the point's outlet; ``"*"`` = any medium. Names are compared by :func:`name_key`.
DEFAULT_PARAMETERS: dict[str, dict[str, str]] = {}


def _names(names: Iterable[str], codes: dict[str, str]) -> None:
    for n in names:
        DEFAULT_PARAMETERS[name_key(n)] = codes


_names(["COD", "CODcr", "COD Cr", "COD-Cr", "Nhu cầu oxy hóa học"], {"*": "w01018"})
_names(["BOD", "BOD5", "Nhu cầu oxy sinh hóa"], {"*": "w01017"})
_names(["TSS", "SS", "Chất rắn lơ lửng", "Tổng chất rắn lơ lửng"], {"*": "w01012"})
_names(["pH"], {"*": "w01001"})
_names(["NH4+", "NH4", "NH4+-N", "NH4-N", "N-NH4", "N-NH4+", "NH3-N", "Amoni", "Amonia", "Ammonium", "Ammonia",
        "Amoni (NH4+)"], {"water": "w21003", "gas": "a21001", "ambient": "a21001"})
_names(["TN", "Tổng Nitơ", "Total Nitrogen", "T-N"], {"*": "w21001"})
_names(["TP", "Tổng Phốt pho", "Tổng P", "Total Phosphorus", "T-P"], {"*": "w21011"})
_names(["DO", "Oxy hòa tan", "Dissolved Oxygen"], {"*": "w01009"})
_names(["EC", "Conductivity", "Độ dẫn điện", "Độ dẫn"], {"*": "w01014"})
_names(["Temp", "Temperature", "Nhiệt độ", "T", "Nhiệt độ nước", "Nhiệt độ khí thải"],
      {"water": "w01010", "gas": "a01012", "ambient": "a01001"})
_names(["Flow", "Flow out", "Flow_out", "Flowout", "Lưu lượng", "Lưu lượng ra", "Lưu lượng xả", "Q", "Q out",
        "Lưu lượng khí thải"], {"water": "w00000", "gas": "a00000"})
_names(["Dust", "Bụi", "Bụi tổng", "Total Dust", "PM", "Particulate"], {"gas": "a34013", "ambient": "a34001"})
_names(["TSP"], {"gas": "a34013", "ambient": "a34001"})
_names(["PM10", "PM-10"], {"ambient": "a34002"})
_names(["PM2.5", "PM-2.5", "PM25"], {"ambient": "a34004"})
_names(["SO2", "Sulfur dioxide", "Lưu huỳnh đioxit"], {"gas": "a21026", "ambient": "a21026"})
_names(["NOx", "NOX (as NO2)", "Nitrogen oxides"], {"gas": "a21002", "ambient": "a21002"})
_names(["NO"], {"gas": "a21003", "ambient": "a21003"})
_names(["NO2"], {"gas": "a21004", "ambient": "a21004"})
_names(["CO", "Carbon monoxide"], {"gas": "a21005", "ambient": "a21005"})
_names(["O2", "Oxy", "Oxygen", "O2 dư", "Excess O2"], {"gas": "a19001"})
_names(["Pressure", "Áp suất", "P", "Áp suất khí thải"], {"gas": "a01013", "ambient": "a01006"})
_names(["Velocity", "Vận tốc", "Flow velocity", "Tốc độ dòng khí"], {"gas": "a01011"})
_names(["Humidity", "Độ ẩm", "RH", "Moisture"], {"gas": "a01014", "ambient": "a01002"})
_names(["HCl"], {"gas": "a21024"})
_names(["H2S"], {"gas": "a21028"})
_names(["HF"], {"gas": "a21018"})
_names(["NMHC"], {"gas": "a24088"})


@dataclass(frozen=True)
class Resolved:
    """A line's parameter resolved: canonical factor and ``canonical = raw × scale + offset``."""

    factor: str
    scale: float = 1.0
    offset: float = 0.0
    source: str = "default"  # default | station


@dataclass(frozen=True)
class Unresolved:
    """Why a line did not become a reading: ``unknown_parameter`` or ``unit`` (no simple conversion)."""

    reason: str


class ParameterMapper:
    """Free-text parameter names and units of each station → canonical factors (subsystems.md §7 req. 34).

    Order: the station's own rule for (name, unit), then its rule for the name with any unit
    (``vn_parameter_map``), then :data:`DEFAULT_PARAMETERS` for the outlet's medium with a simple unit
    conversion (:func:`unit_conversion`) to the factor's catalogue unit.

    Parameters
    ----------
    station_rules : dict
        Point id → rules (:func:`ecosentry.subsystems.monitoring.store.vn.load_mappings`).
    factor_units : dict
        Factor code → catalogue unit (:func:`ecosentry.subsystems.monitoring.store.vn.factor_units`).
    """

    def __init__(self, station_rules: dict[int, list[vn_store.MappingRow]], factor_units: dict[str, str | None]):
        self.rules = {pid: {(r.name_key, r.unit_key): r for r in rows} for pid, rows in station_rules.items()}
        self.factor_units = factor_units

    @classmethod
    def load(cls, engine: Engine) -> ParameterMapper:
        return cls(vn_store.load_mappings(engine), vn_store.factor_units(engine))

    def resolve(self, point: PointInfo, parameter: str, unit: str) -> Resolved | Unresolved:
        nk, uk = name_key(parameter), unit_key(unit)
        rules = self.rules.get(point.point_id, {})
        rule = rules.get((nk, uk)) or rules.get((nk, ""))
        if rule is not None:
            return Resolved(rule.factor_code, rule.scale, rule.offset, "station")
        codes = DEFAULT_PARAMETERS.get(nk)
        code = codes and (codes.get(point.medium) or codes.get("*"))
        if not code or code not in self.factor_units:
            return Unresolved("unknown_parameter")
        conv = unit_conversion(unit, self.factor_units[code])
        if conv is None:
            return Unresolved("unit")
        return Resolved(code, conv[0], conv[1], "default")


def to_readings(vn: VnFile, point: PointInfo, mapper: ParameterMapper) -> tuple[list[Reading], list[dict]]:
    """Lines of a parsed file → minute readings of the point, and the lines left out with the reason.

    A line becomes ``Reading(factor, kind="min", start=<line time in UTC>, value=raw × scale + offset,
    flag=N|C|D, eflag=<status>)``: status 00 measuring → N, 01 calibrating → C, 02 device error → D
    (Circular 10/2021 Art. 39 states; HJ 212-2017 Table 8 flags), so the hourly rules and detectors treat
    calibration and fault records as they treat HJ 212 ones. A second line mapping to a factor already
    filled by an earlier line of the same file is left out (``duplicate_factor``): the first is kept, as the
    platform keeps the first value of a period.

    Returns
    -------
    readings : list of Reading
    left_out : list of dict
        ``{"line", "parameter", "unit", "reason"}`` with reason ``unknown_parameter``, ``unit``,
        ``no_value`` or ``duplicate_factor``.
    """
    zone = _zone(point.tz)
    readings: list[Reading] = []
    left_out: list[dict] = []
    seen: set[str] = set()
    for ln in vn.lines:
        res = mapper.resolve(point, ln.parameter, ln.unit)
        why = None
        if isinstance(res, Unresolved):
            why = res.reason
        elif ln.value is None:
            why = "no_value"
        elif res.factor in seen:
            why = "duplicate_factor"
        if why is not None:
            left_out.append({"line": ln.line, "parameter": ln.parameter, "unit": ln.unit, "reason": why})
            continue
        seen.add(res.factor)
        start = ln.time.replace(tzinfo=zone).astimezone(timezone.utc)
        readings.append(Reading(factor=res.factor, kind="min", start=start,
                                value=ln.value * res.scale + res.offset,
                                flag=FLAG_BY_STATUS.get(ln.status), eflag=ln.status))
    return readings, left_out


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


# --------------------------------------------------------------------------- timeliness

@dataclass(frozen=True)
class Timeliness:
    """How a file's arrival relates to its time.

    Attributes
    ----------
    file_time : datetime
        Time in the file name, in UTC.
    delay : timedelta
        ``received_at − file_time`` (negative for a file from the future).
    late, backfill : bool
        Later than the 5-minute rule; later than the back-fill threshold.
    refusal : str or None
        ``too_old`` or ``future`` when the file is refused for its time.
    """

    file_time: datetime
    delay: timedelta
    late: bool
    backfill: bool
    refusal: str | None


def assess_timeliness(file_time_local: datetime, tz: str, received_at: datetime,
                      settings: VnIntakeSettings) -> Timeliness:
    """Timeliness of one file (Circular 10/2021 Art. 39: transmitted at the latest 5 minutes after the result).

    .. math:: \\text{delay} = t_\\text{received} - t_\\text{file}

    late if delay > ``late_after_minutes``; back-fill if delay > ``backfill_after_minutes``; refused
    ``too_old`` if delay > ``max_age_days`` (the logger's 60-day buffer, subsystems.md §7 req. 33) and
    ``future`` if delay < −``future_minutes``.

    Parameters
    ----------
    file_time_local : datetime
        Naive time from the file name, station local time.
    tz : str
        The station's IANA time zone (``Asia/Ho_Chi_Minh``).
    received_at : datetime
        When the file was received (aware).
    settings : VnIntakeSettings

    Returns
    -------
    Timeliness
    """
    ft = file_time_local.replace(tzinfo=_zone(tz)).astimezone(timezone.utc)
    delay = received_at - ft
    refusal = None
    if delay > timedelta(days=settings.max_age_days):
        refusal = "too_old"
    elif delay < -timedelta(minutes=settings.future_minutes):
        refusal = "future"
    return Timeliness(ft, delay, delay > timedelta(minutes=settings.late_after_minutes),
                      delay > timedelta(minutes=settings.backfill_after_minutes), refusal)


# --------------------------------------------------------------------------- missing files

def missing_slots(file_times: Iterable[datetime], start: datetime, end: datetime,
                  interval: timedelta) -> list[datetime]:
    """Expected file slots in ``[start, end)`` that no file covers.

    Slots lie on the grid of ``interval`` counted from the Unix epoch (00:00, 00:05 … for 5 minutes; the same
    grid in local time for any zone offset that is a whole multiple of the interval, such as Vietnam's
    UTC+07:00). A slot ``t`` is covered by a file whose time is in ``[t, t + interval)``, so a file stamped
    12:45:30 covers 12:45. One file per interval is expected (Circular 10/2021 Art. 39; default interval 5 min
    = ``points.min_interval``; subsystems.md §7 req. 32).

    Parameters
    ----------
    file_times : iterable of datetime
        Times of the files received (aware).
    start, end : datetime
        Window (aware); the first slot is the first grid time at or after ``start``.
    interval : timedelta
        Expected interval between files. [min]

    Returns
    -------
    list of datetime
        Start of every uncovered slot, in order (UTC).
    """
    step = interval.total_seconds()
    if step <= 0:
        raise ValueError("interval must be positive")
    t0, t1 = start.timestamp(), end.timestamp()
    first = -(-t0 // step) * step  # ceil to the grid
    covered = {int(t.timestamp() // step) for t in file_times}
    out = []
    k = int(first // step)
    while k * step < t1:
        if k not in covered:
            out.append(datetime.fromtimestamp(k * step, timezone.utc))
        k += 1
    return out


#: ``alarms.source_id`` of the missing-file alarm of point 12 is ``"12:vn-files"``: one originator per point
#: distinct from the detection job's own ``ALM-DATA-MISSING`` of the point (source_id ``"12"``), so that the
#: detection pass (which clears its alarm when its detectors find nothing) and this check never clear each
#: other's alarm.
MISSING_SOURCE_SUFFIX = ":vn-files"


async def check_missing_files(engine: Engine, now: datetime, *, settings: VnIntakeSettings | None = None,
                              dispatcher: Any = None, point_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Raise or clear ``ALM-DATA-MISSING`` for the stations that miss files (subsystems.md §7 req. 32).

    For every active point that has sent at least one accepted file (or those in ``point_ids``), the slots of
    ``points.min_interval`` minutes in the last ``missing_window_hours`` (not before the station's first file)
    that are due — older than ``late_after_minutes`` plus one interval — are checked with
    :func:`missing_slots`. Any missing slot raises (or updates) the alarm, none clears it; a back-filled file
    fills its slot. The lead schedules this, e.g. every minute next to the detection job.

    Parameters
    ----------
    engine : Engine
    now : datetime
        The check's clock (aware).
    settings : VnIntakeSettings, optional
    dispatcher : optional
        :class:`ecosentry.alarms.dispatch.Dispatcher`: notify on raise/clear; without it the alarm store is
        written directly.
    point_ids : iterable of int, optional
        Restrict the check to these points.

    Returns
    -------
    dict
        ``{"points": n, "raised": n, "cleared": n, "missing": total missing slots}``.
    """
    from ecosentry.alarms import store as alarm_store

    st = settings or get_settings().vn
    first_seen, directory = await asyncio.to_thread(
        lambda: (vn_store.stations_with_files(engine), load_point_directory(engine)))
    wanted = set(point_ids) if point_ids is not None else set(first_seen)
    points = [p for p in directory.values() if p.active and p.point_id in wanted]
    window = timedelta(hours=st.missing_window_hours)
    starts = {p.point_id: max(now - window, first_seen.get(p.point_id, now - window)) for p in points}
    earliest = min(starts.values(), default=now)
    times = await asyncio.to_thread(vn_store.accepted_file_times, engine, [p.point_id for p in points],
                                    earliest - timedelta(hours=1), now + timedelta(hours=1))
    stats = {"points": 0, "raised": 0, "cleared": 0, "missing": 0}
    for p in points:
        stats["points"] += 1
        interval = timedelta(minutes=max(1, p.min_interval))
        due_before = now - timedelta(minutes=st.late_after_minutes) - interval + timedelta(seconds=1)
        gaps = missing_slots(times.get(p.point_id, []), starts[p.point_id], due_before, interval)
        origin = {"type": "ALM-DATA-MISSING", "source_type": "point",
                  "source_id": f"{p.point_id}{MISSING_SOURCE_SUFFIX}"}
        if not gaps:
            cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(
                engine, **origin, at=now, explanation="every expected station file of the window was received"))
            if cleared is not None:
                stats["cleared"] += 1
                if dispatcher is not None and hasattr(dispatcher, "notify_cleared"):
                    await dispatcher.notify_cleared(cleared)
            continue
        stats["missing"] += len(gaps)
        zone = _zone(p.tz)
        local = [g.astimezone(zone).strftime("%Y-%m-%d %H:%M") for g in gaps]
        shown = ", ".join(local[:6]) + (f" … (+{len(local) - 6})" if len(local) > 6 else "")
        kwargs = dict(**origin, severity=None, point_id=p.point_id, at=now,
                      title=f"{p.mn}: {len(gaps)} station file(s) missing",
                      explanation=f"Station {p.mn} sent no file for {len(gaps)} of its {interval.seconds // 60}-min "
                                  f"slots in the last {st.missing_window_hours:g} h ({shown}, local time); "
                                  "Circular 10/2021 Art. 39 requires one file per measurement within 5 minutes.",
                      evidence={"missing_slots": [g.isoformat() for g in gaps[:100]], "n_missing": len(gaps),
                                "interval_minutes": interval.seconds // 60,
                                "window_hours": st.missing_window_hours})
        if dispatcher is not None:
            _alarm, change, _ = await dispatcher.raise_alarm(**kwargs)
        else:
            _alarm, change = await asyncio.to_thread(lambda: alarm_store.raise_alarm(engine, **kwargs))
        stats["raised"] += change.kind == "raised"
    counters.inc("vn.missing_checks")
    return stats


# --------------------------------------------------------------------------- one file

@dataclass
class Outcome:
    """What became of one received file; its receipt (``<name>.receipt.json``) and its file-log row."""

    file_name: str
    status: str  # accepted | duplicate | rejected | quarantined
    received_at: datetime
    transport: str
    sha256: str
    size: int
    station: str | None = None
    point_id: int | None = None
    reason: str | None = None
    message: str | None = None
    line: int | None = None
    file_time: datetime | None = None
    delay_s: float | None = None
    late: bool = False
    backfill: bool = False
    n_lines: int | None = None
    n_readings: int | None = None
    unmapped: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peer: str | None = None
    spool: str | None = None
    spool_seq: int | None = None

    @property
    def accepted(self) -> bool:
        """Whether the file's data entered the platform (a duplicate's data did, the first time)."""
        return self.status in ("accepted", "duplicate")

    def receipt(self) -> dict:
        """The receipt written next to the moved file (JSON)."""
        return {
            "file": self.file_name, "accepted": self.accepted, "status": self.status, "reason": self.reason,
            "message": self.message, "line": self.line, "station": self.station,
            "received_at": self.received_at.isoformat(),
            "file_time": self.file_time.isoformat() if self.file_time else None,
            "delay_s": self.delay_s, "late": self.late, "backfill": self.backfill, "n_lines": self.n_lines,
            "n_readings": self.n_readings, "unmapped": self.unmapped, "notes": self.notes, "sha256": self.sha256,
            "transport": self.transport,
        }

    def log_row(self) -> dict:
        """The ``vn_files`` row."""
        return {
            "station": self.station or "?", "point_id": self.point_id, "file_name": self.file_name[:200],
            "file_time": self.file_time, "received_at": self.received_at, "delay_s": self.delay_s,
            "late": self.late, "backfill": self.backfill, "status": self.status, "reason": self.reason,
            "detail": self.message, "line": self.line, "sha256": self.sha256, "size": self.size,
            "n_lines": self.n_lines, "n_readings": self.n_readings, "unmapped": self.unmapped or None,
            "transport": self.transport, "peer": self.peer, "spool": self.spool, "spool_seq": self.spool_seq,
        }


class SpoolSink:
    """Durable append to the spool from any thread but the event loop's (the FTP server's thread, a worker).

    With the service's event ``loop`` the append joins the spool's group commit (and wakes the ingest
    worker); without one it is a direct ``append_sync``. Returns only once the records are on disk (fsync).
    """

    def __init__(self, spool, loop: asyncio.AbstractEventLoop | None = None, timeout: float = 60.0) -> None:
        self.spool = spool
        self.loop = loop
        self.timeout = timeout

    @property
    def spool_id(self) -> str:
        return self.spool.id

    def append(self, payloads: list[bytes]) -> int:
        loop = self.loop
        if loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                return asyncio.run_coroutine_threadsafe(self.spool.append(payloads), loop).result(self.timeout)
        seq = self.spool.append_sync(payloads)
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.spool.new_data.set)
        return seq


class VnIntake:
    """Receive Vietnamese station files: classify, archive durably, log (shared by the FTP and folder gateways).

    Thread-safe: one lock serialises files, so the duplicate check of a file sees every file before it.

    Decisions (tag "ours")
    ----------------------
    * **Same name, different content → refused as ``conflict``.** The platform keeps the first value received
      for a period (``store/ingest.py``); accepting a "correction" silently would let a station rewrite data
      after seeing an exceedance. The conflicting bytes stay in ``raw_frames`` (status rejected, error
      ``conflict``) and in ``rejected/`` for a person to judge; corrections go through marks / manual values.
    * **Same name and content → ``duplicate``**: logged, archived (every upload is kept), no new data.
    * A previously *rejected* file sent again (fixed) is judged afresh.
    * If the database cannot be read, the duplicate check falls back to the files this process accepted; the
      observations stay single anyway (unique per point, factor, kind and time).
    * A file-log row that cannot be written is kept in ``pending_log`` (JSON lines) and written later.

    Parameters
    ----------
    engine : Engine
    directory : PointDirectory
        Station key (= ``points.mn``) → point.
    sink : SpoolSink
        Durable spool append.
    settings : VnIntakeSettings, optional
    pending_log : path, optional
        File for log rows not yet in the database.
    mapper_refresh_s : float
        The parameter mapping is reloaded at most this often. [s]
    """

    def __init__(self, engine: Engine, directory: PointDirectory, sink: SpoolSink, *,
                 settings: VnIntakeSettings | None = None, pending_log: Path | str | None = None,
                 mapper_refresh_s: float = 30.0) -> None:
        self.engine = engine
        self.directory = directory
        self.sink = sink
        self.settings = settings or get_settings().vn
        self.pending_log = Path(pending_log) if pending_log else None
        self.mapper_refresh_s = mapper_refresh_s
        self._mapper: ParameterMapper | None = None
        self._mapper_at = 0.0
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str, str], str] = OrderedDict()

    # -------------------------------------------------------------- mapping

    def mapper(self) -> ParameterMapper:
        import time

        if self._mapper is None or time.monotonic() - self._mapper_at > self.mapper_refresh_s:
            try:
                self._mapper = ParameterMapper.load(self.engine)
            except Exception:
                counters.inc("vn.mapping_reload_errors")
                log.exception("loading the VN parameter mapping failed; keeping the previous one")
                if self._mapper is None:
                    self._mapper = ParameterMapper({}, {})
            self._mapper_at = time.monotonic()
        return self._mapper

    def refresh_mapping(self) -> None:
        """Reload the mapping at the next file (call after editing ``vn_parameter_map``)."""
        self._mapper = None

    # -------------------------------------------------------------- receive

    def receive(self, name: str, data: bytes, *, received_at: datetime, transport: str, peer: str | None = None,
                account: str | None = None) -> Outcome:
        """Classify one file, append its Envelope to the spool (durable on return), log it.

        Parameters
        ----------
        name : str
            File name as received.
        data : bytes
            Content as received.
        received_at : datetime
            When the transfer completed (aware).
        transport : str
            ``ftp`` or ``vn-folder``.
        peer : str, optional
            Client address.
        account : str, optional
            Station key of the authenticated FTP account; a file of another station is quarantined.

        Returns
        -------
        Outcome

        Raises
        ------
        Exception
            Only when the spool append fails (disk full …): nothing is durable and the caller must not
            acknowledge the file.
        """
        with self._lock:
            outcome, env = self._classify(name, data, received_at, transport, peer, account)
            env.detail = json.dumps({"file": outcome.file_name, "message": outcome.message, "line": outcome.line,
                                     "delay_s": outcome.delay_s, "late": outcome.late,
                                     "backfill": outcome.backfill, "status": outcome.status},
                                    ensure_ascii=False)
            outcome.spool_seq = self.sink.append([env.encode()])  # durable before anything else is said
            outcome.spool = self.sink.spool_id
            if outcome.status == "accepted" and outcome.station:
                self._remember(outcome.station, outcome.file_name, outcome.sha256)
            self._count(outcome)
            self._log(outcome.log_row())
            return outcome

    def _classify(self, name: str, data: bytes, received_at: datetime, transport: str, peer: str | None,
                  account: str | None) -> tuple[Outcome, Envelope]:
        from ecosentry.protocols.vn_txt.parser import parse_file, parse_name

        base = re.split(r"[\\/]", name)[-1]
        out = Outcome(file_name=base, status="accepted", received_at=received_at, transport=transport,
                      sha256=hashlib.sha256(data).hexdigest(), size=len(data), peer=peer, station=account)
        env = Envelope(transport=transport, received_at=received_at, raw=data, status="accepted", peer=peer,
                       mn=account, cn=CN_VN_TXT)

        def refuse(status: str, reason: str, message: str, line: int | None = None) -> tuple[Outcome, Envelope]:
            out.status, out.reason, out.message, out.line = status, reason, message, line
            env.status = "quarantined" if status == "quarantined" else "rejected"
            env.error, env.readings = reason, []
            log.warning("VN file %s from %s %s: %s: %s", base, peer or transport, status, reason, message)
            return out, env

        try:
            fname = parse_name(base)
        except VnFileError as exc:
            return refuse("rejected", exc.reason, str(exc))
        station = fname.station_key
        out.station = env.mn = station
        env.qn = fname.time.strftime("%Y%m%d%H%M%S")
        info = self.directory.by_mn(station)
        tl = assess_timeliness(fname.time, info.tz if info else self.settings.default_tz, received_at,
                               self.settings)
        out.file_time, out.delay_s = tl.file_time, tl.delay.total_seconds()
        out.late, out.backfill = tl.late, tl.backfill
        if account is not None and account != station:
            return refuse("quarantined", "station_mismatch",
                          f"account {account} may send only its own files, not those of station {station}")
        if info is None:
            return refuse("quarantined", "unknown_mn", f"station {station} is not in the registry")
        out.point_id = env.point_id = info.point_id
        if not info.active:
            return refuse("quarantined", "inactive_point", f"station {station} is not active")
        if tl.refusal == "too_old":
            return refuse("rejected", "too_old",
                          f"file time is {tl.delay.total_seconds() / 86400:.1f} days old; back-fill is accepted up "
                          f"to {self.settings.max_age_days:g} days")
        if tl.refusal == "future":
            return refuse("rejected", "future",
                          f"file time is {-tl.delay.total_seconds() / 60:.1f} min in the future (logger clock?)")
        earlier = self._previous(station, base)
        if earlier is not None:
            if earlier == out.sha256:
                out.status, out.reason, out.message = "duplicate", "duplicate", "the same file was received before"
                env.status, env.error = "rejected", "duplicate"
                return out, env
            return refuse("rejected", "conflict", "a file of this name with other content was accepted before; "
                                                  "the first one stands")
        try:
            vn = parse_file(base, data, strict_time=True, decimal_comma=self.settings.decimal_comma)
        except VnFileError as exc:
            return refuse("rejected", exc.reason, str(exc), exc.line)
        out.n_lines, out.notes = len(vn.lines), list(vn.notes)
        env.readings, out.unmapped = to_readings(vn, info, self.mapper())
        out.n_readings = len(env.readings)
        if out.unmapped:
            out.message = f"{len(out.unmapped)} line(s) not mapped to a factor"
        return out, env

    def _previous(self, station: str, file_name: str) -> str | None:
        key = (station, file_name)
        if key in self._recent:
            return self._recent[key]
        try:
            with self.engine.connect() as conn:
                return vn_store.previous_accepted(conn, station, file_name)
        except Exception as exc:
            counters.inc("vn.duplicate_check_db_errors")
            log.warning("duplicate check of %s from the database failed (%s); judged on this process's files",
                        file_name, exc)
            return None

    def _remember(self, station: str, file_name: str, sha: str) -> None:
        self._recent[(station, file_name)] = sha
        while len(self._recent) > 20000:
            self._recent.popitem(last=False)

    def _count(self, out: Outcome) -> None:
        counters.inc("vn.files")
        counters.inc(f"vn.files.{out.status}")
        if out.reason and out.status != "duplicate":
            counters.inc(f"vn.files.{out.status}.{out.reason}")
        if out.status == "accepted":
            counters.inc("vn.files.late", int(out.late))
            counters.inc("vn.files.backfill", int(out.backfill))
            counters.inc("vn.readings", out.n_readings or 0)
            for u in out.unmapped:
                counters.inc("vn.lines.unmapped")
                counters.inc(f"vn.lines.unmapped.{u['reason']}")

    # -------------------------------------------------------------- file log

    def _log(self, row: dict) -> None:
        rows = self._read_pending() + [row]
        try:
            vn_store.record_files(self.engine, rows)
        except Exception as exc:
            counters.inc("vn.log_pending")
            log.warning("file log row of %s kept for later (%s)", row["file_name"], exc)
            self._write_pending(rows)
            return
        if len(rows) > 1:
            log.info("wrote %d file-log rows kept while the database was unavailable", len(rows) - 1)
            self._write_pending([])

    def flush_pending_log(self) -> int:
        """Write the rows kept while the database was down; returns how many are still pending."""
        with self._lock:
            rows = self._read_pending()
            if not rows:
                return 0
            try:
                vn_store.record_files(self.engine, rows)
            except Exception:
                return len(rows)
            self._write_pending([])
            return 0

    def _read_pending(self) -> list[dict]:
        if self.pending_log is None or not self.pending_log.exists():
            return getattr(self, "_pending_mem", [])
        rows = []
        for line in self.pending_log.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                for k in ("file_time", "received_at"):
                    if r.get(k):
                        r[k] = datetime.fromisoformat(r[k])
                rows.append(r)
        return rows

    def _write_pending(self, rows: list[dict]) -> None:
        if self.pending_log is None:
            self._pending_mem = rows
            return
        if not rows:
            self.pending_log.unlink(missing_ok=True)
            return
        self.pending_log.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.pending_log.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, default=_iso, ensure_ascii=False) + "\n" for r in rows),
                       encoding="utf-8")
        os.replace(tmp, self.pending_log)

    # -------------------------------------------------------------- a file on disk

    def receive_path(self, path: Path, *, dest: Path, transport: str, received_at: datetime | None = None,
                     peer: str | None = None, account: str | None = None) -> Outcome:
        """Receive the file at ``path`` and move it to ``dest/processed`` or ``dest/rejected`` with a receipt.

        If the spool append fails the file is left where it is (and the exception raised), to be received
        again later.
        """
        data = path.read_bytes()
        at = received_at or datetime.now(timezone.utc)
        outcome = self.receive(path.name, data, received_at=at, transport=transport, peer=peer, account=account)
        try:
            place_file(path, outcome, dest)
        except OSError:
            counters.inc("vn.place_errors")
            log.exception("moving %s after intake failed; the data are in the spool", path)
        return outcome


def _iso(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    raise TypeError(type(v).__name__)


def place_file(path: Path, outcome: Outcome, dest: Path) -> Path:
    """Move a received file to ``dest/processed/`` (accepted, duplicate) or ``dest/rejected/`` (rejected,
    quarantined) and write ``<name>.receipt.json`` next to it. An existing file of the same name is never
    overwritten: the newcomer becomes ``<stem>~N<suffix>``.

    Returns
    -------
    Path
        Where the file now is.
    """
    folder = dest / ("processed" if outcome.accepted else "rejected")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 0
    while target.exists() or target.with_name(target.name + ".receipt.json").exists():
        n += 1
        target = folder / f"{path.stem}~{n}{path.suffix}"
    os.replace(path, target)
    receipt = target.with_name(target.name + ".receipt.json")
    tmp = receipt.with_name(receipt.name + ".tmp")
    tmp.write_text(json.dumps(outcome.receipt(), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, receipt)
    return target


def make_intake(engine: Engine, directory: PointDirectory, spool, data_dir: Path | str,
                loop: asyncio.AbstractEventLoop | None = None, settings: VnIntakeSettings | None = None) -> VnIntake:
    """The intake the service shares between the FTP gateway and the folder watcher.

    Parameters
    ----------
    spool : ecosentry.pipeline.spool.Spool
        The service's spool (one writer per spool folder and process).
    data_dir : path
        ``ECOSENTRY_DATA_DIR``; the pending file-log rows are kept in ``vn_files.pending.jsonl`` there.
    loop : asyncio event loop, optional
        The service's loop (spool group commit, ingest worker wake-up).
    """
    return VnIntake(engine, directory, SpoolSink(spool, loop), settings=settings,
                    pending_log=Path(data_dir) / "vn_files.pending.jsonl")
