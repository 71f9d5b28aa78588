"""Free-text parameter names and units of Vietnamese station files → canonical HJ 212 factors.

A Circular 10/2021/TT-BTNMT station names its parameters in its own words (``Nhiệt độ``, ``COD Cr``,
``Lưu lượng``) and units (``m3/h``, ``oC``); this room turns each line of a parsed file into a minute
:class:`~ecosentry.contracts.envelope.Reading` of a catalogue factor in the catalogue's unit, or says why it
could not (subsystems.md §7 req. 34). Pure apart from :meth:`ParameterMapper.load`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from ecosentry.contracts.envelope import Reading
from ecosentry.protocols.vn_txt.model import VnFile
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.monitoring.store import vn as vn_store

__all__ = ["FLAG_BY_STATUS", "name_key", "unit_key", "unit_conversion", "DEFAULT_PARAMETERS", "Resolved",
           "Unresolved", "ParameterMapper", "to_readings", "zone"]

#: Circular 10/2021 Art. 39 device status → HJ 212-2017 Table 8 flag: 00 measuring → N (normal),
#: 01 calibrating → C (校准), 02 device error → D (故障). The raw status is kept in ``eflag``.
FLAG_BY_STATUS = {"00": "N", "01": "C", "02": "D"}


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
    zone_ = zone(point.tz)
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
        start = ln.time.replace(tzinfo=zone_).astimezone(timezone.utc)
        readings.append(Reading(factor=res.factor, kind="min", start=start,
                                value=ln.value * res.scale + res.offset,
                                flag=FLAG_BY_STATUS.get(ln.status), eflag=ln.status))
    return readings, left_out


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    """The station's IANA time zone (cached)."""
    return ZoneInfo(tz)
