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
from ecosentry.said import Said
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.monitoring.rules.vn import units
from ecosentry.subsystems.monitoring.rules.vn.qcvn import load_qcvn_seed
from ecosentry.subsystems.monitoring.store import vn as vn_store

__all__ = ["FLAG_BY_STATUS", "name_key", "unit_key", "unit_conversion", "DEFAULT_PARAMETERS", "Resolved",
           "Unresolved", "ParameterMapper", "to_readings", "zone", "CONVERSIONS", "volume_fraction_scale",
           "reference_of", "plan_rule", "MappingError", "AMBIENT_PRESSURE", "FLUE_PRESSURE", "FLUE_TEMPERATURE"]

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
_names(["Pressure", "Áp suất", "P", "Áp suất khí thải", "Áp suất tĩnh", "Static pressure", "Áp suất tuyệt đối",
        "Absolute pressure", "P abs", "Pabs", "P_abs"], {"gas": "a01013", "ambient": "a01006"})
# the ambient (barometric) pressure a flue-gas station may send beside the flue's: the B_a of the absolute →
# static conversion (rules/vn/units.py)
_names(["Áp suất khí quyển", "Atmospheric pressure", "Barometric pressure", "Ambient pressure", "Patm", "P atm",
        "Ba"], {"*": "a01006"})
_names(["Velocity", "Vận tốc", "Flow velocity", "Tốc độ dòng khí"], {"gas": "a01011"})
_names(["Humidity", "Độ ẩm", "RH", "Moisture"], {"gas": "a01014", "ambient": "a01002"})
_names(["HCl"], {"gas": "a21024"})
_names(["H2S"], {"gas": "a21028"})
_names(["HF"], {"gas": "a21018"})
_names(["NMHC"], {"gas": "a24088"})


#: Conversions a rule may name beyond ``raw × scale + offset`` (they need other lines of the same file):
#: ``gauge`` the value is an absolute pressure, stored as static = absolute − ambient; ``gauge_auto`` the same
#: when the name says "absolute" or the value is ≥ 50 kPa (a flue pressure of unknown kind, the default);
#: ``normal`` a concentration at the stack's actual T and P, stored at the reference state of the station's
#: QCVN; ``ignore`` the line is deliberately not a factor (``Flow_In``). See :mod:`...rules.vn.units`.
CONVERSIONS = ("gauge", "gauge_auto", "normal", "ignore")
#: Volume-fraction units converted to a mass concentration with the gas's molar mass: key → ppm per unit.
_VOLUME_FRACTION = {"ppm": 1.0, "ppmv": 1.0, "umol/mol": 1.0, "ppb": 1e-3, "ppbv": 1e-3, "%vol": 1e4,
                    "vol%": 1e4, "%v/v": 1e4}
#: Canonical factors with fixed roles in the file-level conversions.
AMBIENT_PRESSURE, FLUE_PRESSURE, FLUE_TEMPERATURE = "a01006", "a01013", "a01012"


@dataclass(frozen=True)
class Resolved:
    """A line's parameter resolved: canonical factor and ``canonical = raw × scale + offset``, then
    ``conversion`` (one of :data:`CONVERSIONS`, or ``None``)."""

    factor: str
    scale: float = 1.0
    offset: float = 0.0
    source: str = "default"  # default | station
    conversion: str | None = None


@dataclass(frozen=True)
class Unresolved:
    """Why a line did not become a reading: ``unknown_parameter``, ``unit`` (no simple conversion) or
    ``ignored`` (the station's rule says the line is not a factor)."""

    reason: str


def volume_fraction_scale(raw_unit: str | None, canonical_unit: str | None, factor: str,
                          reference: units.ReferenceState) -> float | None:
    """``scale`` from ppm / ppb / %vol of a gas to the factor's mg/m³ at ``reference`` (``M / Vm``), or ``None``.

    SO2 in ppm at QCVN 19:2009's 25 °C: 64.06 / 24.465 = 2.6184 (mg/m³)/ppm.
    """
    per = _VOLUME_FRACTION.get(unit_key(raw_unit))
    mass = units.MOLAR_MASS.get(factor)
    if per is None or mass is None:
        return None
    conv = unit_conversion("mg/m3", canonical_unit)
    if conv is None or conv[1] != 0.0:
        return None
    return per * units.ppm_to_mg_per_m3(1.0, mass, reference) * conv[0]


class ParameterMapper:
    """Free-text parameter names and units of each station → canonical factors (subsystems.md §7 req. 34).

    Order: the station's own rule for (name, unit), then its rule for the name with any unit
    (``vn_parameter_map``, set by the officer on the mapping page), then :data:`DEFAULT_PARAMETERS` for the
    outlet's medium with a simple unit conversion (:func:`unit_conversion`) to the factor's catalogue unit,
    or ppm/%vol → mg/m³ at the reference state of the station's QCVN; a flue pressure found by default is
    converted to static pressure when it is absolute (``gauge_auto``).

    Parameters
    ----------
    station_rules : dict
        Point id → rules (:func:`ecosentry.subsystems.monitoring.store.vn.load_mappings`).
    factor_units : dict
        Factor code → catalogue unit (:func:`ecosentry.subsystems.monitoring.store.vn.factor_units`).
    references : dict, optional
        Point id → the reference state of its QCVN (others: ``default_reference``).
    ambient_kpa : float
        Ambient pressure when a file carries none (setting ``vn.ambient_pressure_kpa``). [kPa]
    default_reference : ReferenceState
    version : object
        What :func:`~ecosentry.subsystems.monitoring.store.vn.mapping_version` said when loaded.
    """

    def __init__(self, station_rules: dict[int, list[vn_store.MappingRow]], factor_units: dict[str, str | None],
                 *, references: dict[int, units.ReferenceState] | None = None,
                 ambient_kpa: float = units.STANDARD_AMBIENT_KPA,
                 default_reference: units.ReferenceState = units.DEFAULT_REFERENCE, version: object = None):
        self.rules = {pid: {(r.name_key, r.unit_key): r for r in rows} for pid, rows in station_rules.items()}
        self.factor_units = factor_units
        self.references = references or {}
        self.ambient_kpa = ambient_kpa
        self.default_reference = default_reference
        self.version = version

    @classmethod
    def load(cls, engine: Engine, settings=None) -> ParameterMapper:
        """Rules, catalogue units and each station's reference state from the database; ambient pressure and
        the default reference state from ``settings`` (the ``vn`` section) when given."""
        default = units.DEFAULT_REFERENCE
        ambient = units.STANDARD_AMBIENT_KPA
        if settings is not None:
            ambient = settings.ambient_pressure_kpa
            default = units.ReferenceState(settings.reference_temperature_c, settings.reference_pressure_kpa,
                                           "default")
        version = vn_store.mapping_version(engine)
        refs = {pid: reference_of(std, default) for pid, std in vn_store.point_standards(engine).items()}
        return cls(vn_store.load_mappings(engine), vn_store.factor_units(engine), references=refs,
                   ambient_kpa=ambient, default_reference=default, version=version)

    def reference(self, point_id: int) -> units.ReferenceState:
        return self.references.get(point_id, self.default_reference)

    def rule(self, point_id: int, parameter: str, unit: str) -> vn_store.MappingRow | None:
        """The station's own rule for this name and unit (or the name with any unit), if any."""
        rules = self.rules.get(point_id, {})
        nk, uk = name_key(parameter), unit_key(unit)
        return rules.get((nk, uk)) or rules.get((nk, ""))

    def resolve(self, point: PointInfo, parameter: str, unit: str) -> Resolved | Unresolved:
        rule = self.rule(point.point_id, parameter, unit)
        if rule is not None:
            if rule.conversion == "ignore" or not rule.factor_code:
                return Unresolved("ignored")
            return Resolved(rule.factor_code, rule.scale, rule.offset, "station", rule.conversion)
        return self.resolve_default(point, parameter, unit)

    def resolve_default(self, point: PointInfo, parameter: str, unit: str) -> Resolved | Unresolved:
        """What the platform makes of a line without the station's rule."""
        codes = DEFAULT_PARAMETERS.get(name_key(parameter))
        code = codes and (codes.get(point.medium) or codes.get("*"))
        if not code or code not in self.factor_units:
            return Unresolved("unknown_parameter")
        conv = unit_conversion(unit, self.factor_units[code])
        if conv is None:
            scale = volume_fraction_scale(unit, self.factor_units[code], code, self.reference(point.point_id))
            if scale is None:
                return Unresolved("unit")
            return Resolved(code, scale, 0.0, "default")
        return Resolved(code, conv[0], conv[1], "default", "gauge_auto" if code == FLUE_PRESSURE else None)


class MappingError(Said):
    """A mapping the officer asked for that cannot be made (a unit that does not convert ...), said in the
    reader's language."""


def plan_rule(point_id: int, raw_name: str, raw_unit: str, factor_code: str | None, factor_unit: str | None,
              conversion: str | None, reference: units.ReferenceState, *, actor: str | None = None,
              now=None) -> vn_store.MappingRow:
    """The station rule that reads ``raw_name`` in ``raw_unit`` as ``factor_code`` (pure).

    ``conversion``: ``None``/``""`` the unit conversion found (a fixed factor, or ppm/%vol → mg/m³ at the
    station's reference state, :func:`volume_fraction_scale`; a flue pressure gets ``gauge_auto``);
    ``gauge`` the value is an absolute pressure; ``normal`` a concentration at actual conditions; ``ignore``
    the line is not a factor (no factor needed). ``note`` shows how scale and offset were obtained, in numbers
    and symbols only (the page shows it whatever the reader's language).

    Raises
    ------
    MappingError
        No factor chosen, an unknown conversion, or a unit that does not convert to the factor's.
    """
    raw_name, raw_unit = raw_name.strip(), (raw_unit or "").strip()
    common = dict(point_id=point_id, raw_name=raw_name, raw_unit=raw_unit, name_key=name_key(raw_name),
                  unit_key=unit_key(raw_unit), changed_at=now, changed_by=actor)
    if not raw_name:
        raise MappingError("the parameter name is empty")
    if conversion == "ignore":
        return vn_store.MappingRow(factor_code=None, conversion="ignore", **common)
    if conversion not in (None, "", "gauge", "normal"):
        raise MappingError("unknown conversion %(conversion)s", conversion=conversion)
    if not factor_code:
        raise MappingError("choose the factor the parameter is")
    shown_unit = factor_unit or "—"
    linear = unit_conversion(raw_unit, factor_unit)
    if conversion == "gauge":
        if linear is None or unit_key(factor_unit) != "kpa":
            raise MappingError("%(unit)s is not a pressure that converts to %(factor_unit)s", unit=raw_unit or "—",
                               factor_unit=shown_unit)
        note = None if linear == (1.0, 0.0) else f"{raw_unit} × {linear[0]:.6g} = kPa"
        return vn_store.MappingRow(factor_code=factor_code, scale=linear[0], offset=linear[1], conversion="gauge",
                                   note=note, **common)
    if conversion == "normal":
        if linear is None or unit_key(factor_unit) not in ("mg/m3", "ug/m3", "ng/m3"):
            raise MappingError("%(unit)s is not a gas concentration that converts to %(factor_unit)s",
                               unit=raw_unit or "—", factor_unit=shown_unit)
        return vn_store.MappingRow(
            factor_code=factor_code, scale=linear[0], offset=linear[1], conversion="normal",
            note=f"→ {reference.temperature_c:g} °C, {reference.pressure_kpa:g} kPa ({reference.source})", **common)
    if linear is not None:
        note = "" if linear == (1.0, 0.0) else f"{raw_unit} × {linear[0]:.6g}" + (
            f" {linear[1]:+g}" if linear[1] else "")
        return vn_store.MappingRow(factor_code=factor_code, scale=linear[0], offset=linear[1],
                                   conversion="gauge_auto" if factor_code == FLUE_PRESSURE else None,
                                   note=note or None, **common)
    scale = volume_fraction_scale(raw_unit, factor_unit, factor_code, reference)
    if scale is None:
        raise MappingError("%(unit)s does not convert to %(factor_unit)s of this factor: choose another factor "
                           "or ask the facility to send another unit", unit=raw_unit or "—",
                           factor_unit=shown_unit)
    note = (f"{raw_unit} × {units.MOLAR_MASS[factor_code]:g} g/mol ÷ {reference.molar_volume:.3f} L/mol "
            f"({reference.source}, {reference.temperature_c:g} °C) = × {scale:.5g}")  # numbers and symbols only
    return vn_store.MappingRow(factor_code=factor_code, scale=scale, offset=0.0, note=note, **common)


def reference_of(standard: str | None, default: units.ReferenceState = units.DEFAULT_REFERENCE) -> units.ReferenceState:
    """The reference state of the QCVN named in a limit's ``standard`` text (``"QCVN 19:2009/BTNMT cột B"``)."""
    if standard:
        for std in load_qcvn_seed().standards.values():
            if std.medium == "gas" and standard.startswith(std.id):
                return units.reference_state(std.reference_temperature_c, std.reference_pressure_kpa, std.id,
                                             default)
    return default


def to_readings(vn: VnFile, point: PointInfo, mapper: ParameterMapper) -> tuple[list[Reading], list[dict]]:
    """Lines of a parsed file → minute readings of the point, and the lines left out with the reason.

    A line becomes ``Reading(factor, kind="min", start=<line time in UTC>, value=raw × scale + offset,
    flag=N|C|D, eflag=<status>)``: status 00 measuring → N, 01 calibrating → C, 02 device error → D
    (Circular 10/2021 Art. 39 states; HJ 212-2017 Table 8 flags), so the hourly rules and detectors treat
    calibration and fault records as they treat HJ 212 ones. A second line mapping to a factor already
    filled by an earlier line of the same file is left out (``duplicate_factor``): the first is kept, as the
    platform keeps the first value of a period.

    Conversions that need the file (:data:`CONVERSIONS`): the ambient pressure is the file's own
    atmospheric-pressure line (``a01006``), else the mapper's setting; an absolute flue pressure becomes
    static pressure = absolute − ambient (:func:`~...rules.vn.units.gauge_pressure`); a concentration at
    actual conditions is moved to the reference state with the file's flue temperature and absolute
    pressure (:func:`~...rules.vn.units.normal_from_actual`; no flue temperature in the file: left out,
    ``no_conditions``; no flue pressure: the ambient pressure is taken as absolute).

    Returns
    -------
    readings : list of Reading
    left_out : list of dict
        ``{"line", "parameter", "unit", "reason"}`` with reason ``unknown_parameter``, ``unit``,
        ``no_value``, ``duplicate_factor``, ``no_conditions`` or ``ignored`` (a station rule says the line
        is not a factor: not an unmapped line).
    """
    zone_ = zone(point.tz)
    left_out: list[dict] = []
    kept: list[tuple] = []
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
            left_out.append({"line": ln.line, "parameter": ln.parameter, "unit": ln.unit, "reason": why,
                             "value": ln.value})
            continue
        seen.add(res.factor)
        kept.append((ln, res, ln.value * res.scale + res.offset))
    values = {res.factor: v for _, res, v in kept}
    ambient = values.get(AMBIENT_PRESSURE, mapper.ambient_kpa)
    flue_abs: float | None = None
    readings: list[Reading] = []
    # pressures first: the normal-conditions conversion needs the absolute flue pressure
    for i, (ln, res, v) in enumerate(kept):
        if res.conversion in ("gauge", "gauge_auto"):
            absolute = res.conversion == "gauge" or units.says_absolute(ln.parameter) or units.is_absolute_pressure(v)
            if absolute:  # rounded to 1 Pa·10⁻³: no binary noise (101.51 − 101.325 = 0.185, not 0.18500000000000227)
                flue_abs, v = v, round(units.gauge_pressure(v, ambient), 6)
            kept[i] = (ln, res, v)
        if res.factor == FLUE_PRESSURE:
            flue_abs = flue_abs if flue_abs is not None else units.absolute_pressure(kept[i][2], ambient)
    temperature = values.get(FLUE_TEMPERATURE)
    for ln, res, v in kept:
        if res.conversion == "normal":
            if temperature is None:
                left_out.append({"line": ln.line, "parameter": ln.parameter, "unit": ln.unit,
                                 "reason": "no_conditions", "value": ln.value})
                continue
            v = units.normal_from_actual(v, temperature, flue_abs if flue_abs is not None else ambient,
                                         mapper.reference(point.point_id))
        start = ln.time.replace(tzinfo=zone_).astimezone(timezone.utc)
        readings.append(Reading(factor=res.factor, kind="min", start=start, value=v,
                                flag=FLAG_BY_STATUS.get(ln.status), eflag=ln.status))
    left_out.sort(key=lambda d: d["line"] or 0)
    return readings, left_out


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    """The station's IANA time zone (cached)."""
    return ZoneInfo(tz)
