r"""QCVN limits: maximum allowed values, K coefficients, reference conditions and exceedance (pure).

Formulas (reference notes china-vietnam-rules.md §7.3, all [R] UNCONFIRMED there)
----------------------------------------------------------------------------------
Industrial wastewater, QCVN 40:2011/BTNMT:

.. math:: C_{max} = C \cdot K_q \cdot K_f

with :math:`C` the column A or B value, :math:`K_q` from the receiving water (river flow Q, lake volume V,
coastal use) and :math:`K_f` from the discharge flow F (m³/day). :math:`K_q` and :math:`K_f` are **not**
applied to pH, temperature and coliform (``k: false`` in the seed).

Industrial emissions, QCVN 19:2009/BTNMT:

.. math:: C_{max} = C \cdot K_p \cdot K_v

with :math:`K_p` from the gas flow P (m³/h) and :math:`K_v` from the region (zone 1–5).

The successors (QCVN 40:2025, QCVN 19:2024) use zone columns without K coefficients; their values are not
in the reference and not seeded (:func:`qcvn_limit` says so).

Reference conditions
--------------------
A gas concentration is "mg/Nm³" at the standard's own reference state: QCVN 19:2009 uses 25 °C and
101.325 kPa (not 0 °C as in China) [R]. :func:`convert_reference_temperature` moves a concentration
between states (ideal gas, same pressure); :func:`correct_o2` applies a reference O2 where a standard has
one (QCVN 22:2009: 6 % coal, 3 % oil and gas, 15 % gas turbines [R]), with the formula of HJ 212-2017
eq. (28).

Exceedance: averaging chosen (platform choice, [R])
---------------------------------------------------
* **Per value**: each valid (status ``00``) value against :math:`C_{max}` — for alerts.
* **Per station per day**: the arithmetic mean of the day's valid values (local calendar day, station
  time) against :math:`C_{max}`. QCVN 40:2011 and 19:2009 were written for grab samples and give no
  averaging period for continuous data; the daily mean is chosen here (it matches the Chinese rule for
  wastewater, reference §4.1, and is robust to single spikes), and is a parameter of the publication view
  (``min_valid``). Values with status ``01``/``02`` never enter (Circular 10/2021 Art. 39; subsystems.md §7
  req. 31): a day without a valid value is **not judged** (``exceeded=None``), never "compliant".
* ``value > upper`` exceeds, ``value == upper`` complies; ``value < lower`` exceeds (pH); the exceedance
  multiple is :math:`(\bar C - C_{max}) / C_{max}` for an upper bound.

References
----------
.. [1] QCVN 40:2011/BTNMT §2.2 (Cmax = C × Kq × Kf), Tables 1–3; QCVN 19:2009/BTNMT §2.2 (Cmax = C × Kp × Kv),
   Tables 1–3 — via shared/reference/china-vietnam-rules.md §7.3 [R].
.. [2] Circular 10/2021/TT-BTNMT Art. 39 (status); shared/reference/subsystems.md §7 requirement 31.
.. [3] HJ 212-2017 Appendix D.2 eq. (28) (O2 correction), :func:`ecosentry.subsystems.monitoring.rules.cn.flue_gas.corrected_concentration`.
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
from ecosentry.yamltext import safe_load

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.monitoring.rules.cn.aggregates import PeriodValue
from ecosentry.subsystems.monitoring.rules.cn.flue_gas import corrected_concentration
from ecosentry.subsystems.monitoring.rules.vn.status import status_validity

__all__ = [
    "QcvnError", "QcvnStandard", "QcvnLimit", "Bounds", "QcvnSeed", "load_qcvn_seed", "qcvn_standard",
    "qcvn_limit", "qcvn_limits", "kf_for_flow", "kq_for_receiving_water", "kp_for_flow", "kv_for_zone",
    "max_allowed_wastewater", "max_allowed_emission", "cmax", "convert_reference_temperature", "correct_o2",
    "Measurement", "ValueJudgement", "DayExceedance", "judge_value", "daily_exceedance",
    "RULE_VALUE", "RULE_DAY", "RULE_NOT_JUDGED", "LimitBasis", "parse_limit_basis", "KRow", "k_rows",
    "LimitArithmetic", "limit_arithmetic", "HourPart", "DayMean", "daily_from_hours", "StoredHour", "day_of_stored_hours",
]

SEED_PATH = Path(__file__).with_name("limits_seed.yaml")
RULE_VALUE = "VN-QCVN-EXC-VALUE"
RULE_DAY = "VN-QCVN-EXC-DAY"
RULE_NOT_JUDGED = "VN-QCVN-NOT-JUDGED"
_KELVIN = 273.15


class QcvnError(ValueError):
    """A limit or coefficient that the seed does not hold, or an argument outside a table."""


@dataclass(frozen=True)
class QcvnStandard:
    """One QCVN and its reference conditions.

    Attributes
    ----------
    id : str
        ``QCVN 40:2011/BTNMT`` ...
    medium : {"water", "gas"}
    columns : tuple of str
    k_factors : tuple of str
        ``("kq", "kf")``, ``("kp", "kv")`` or empty.
    valid_from : date or None
    reference_temperature_c : float or None
        Temperature of the reference state of gas concentrations. [°C]
    reference_pressure_kpa : float or None
        [kPa]
    reference_o2 : float, dict or None
        Reference O2, or per source type (``{"coal": 6, ...}``). [%]
    averaging : str
        Averaging used for exceedance (``day``).
    tag : str
    """

    id: str
    medium: str
    columns: tuple[str, ...]
    k_factors: tuple[str, ...]
    valid_from: date | None
    reference_temperature_c: float | None
    reference_pressure_kpa: float | None
    reference_o2: float | dict | None
    averaging: str
    tag: str
    title: str = ""


@dataclass(frozen=True)
class QcvnLimit:
    """The value C of one parameter in one column of one standard.

    Attributes
    ----------
    standard, column, factor, parameter, unit : str
        ``factor`` is the canonical (HJ 212-2017 Appendix B) code used inside ecosentry.
    upper, lower : float or None
        C. [unit]
    k : bool
        Whether the K coefficients apply (False for pH, temperature, coliform).
    tag : str
    """

    standard: str
    column: str
    factor: str
    parameter: str
    unit: str
    upper: float | None
    lower: float | None
    k: bool
    tag: str


@dataclass(frozen=True)
class Bounds:
    """Maximum (and minimum) allowed values after the K coefficients, with the arithmetic shown.

    Attributes
    ----------
    upper, lower : float or None
        Cmax (and the lower bound, never multiplied). [unit]
    explanation : str
        E.g. ``"COD: 150 × Kq 0.9 × Kf 1.1 = 148.5 mg/L (QCVN 40:2011/BTNMT column B)"``.
    """

    upper: float | None
    lower: float | None = None
    explanation: str = ""
    factor: str = ""
    unit: str = ""


@dataclass(frozen=True)
class QcvnSeed:
    standards: dict[str, QcvnStandard]
    limits: tuple[QcvnLimit, ...]
    k_tables: dict


@functools.lru_cache(maxsize=4)
def load_qcvn_seed(path: str | None = None) -> QcvnSeed:
    """Read ``limits_seed.yaml`` (or another file of the same shape).

    Raises
    ------
    QcvnError
        If a limit names a standard or a column the file does not declare.
    """
    raw = safe_load(Path(path or SEED_PATH).read_text(encoding="utf-8"))
    standards = {}
    for s in raw["standards"]:
        standards[s["id"]] = QcvnStandard(
            id=s["id"], medium=s["medium"], columns=tuple(s.get("columns") or ()),
            k_factors=tuple(s.get("k_factors") or ()), valid_from=s.get("valid_from"),
            reference_temperature_c=s.get("reference_temperature_c"),
            reference_pressure_kpa=s.get("reference_pressure_kpa"), reference_o2=s.get("reference_o2"),
            averaging=s.get("averaging", "day"), tag=s.get("tag", "R"), title=s.get("title", ""))
    limits = []
    for row in raw.get("limits") or ():
        std = standards.get(row["standard"])
        if std is None or str(row["column"]) not in std.columns:
            raise QcvnError(f"seed limit {row!r}: standard or column not declared")
        limits.append(QcvnLimit(row["standard"], str(row["column"]), row["factor"], row["parameter"],
                                row.get("unit") or "", _opt_float(row.get("upper")), _opt_float(row.get("lower")),
                                bool(row.get("k")), row.get("tag", "R")))
    return QcvnSeed(standards, tuple(limits), raw.get("k_tables") or {})


def qcvn_standard(standard: str) -> QcvnStandard:
    """The declared standard (``QcvnError`` if unknown)."""
    try:
        return load_qcvn_seed().standards[standard]
    except KeyError:
        raise QcvnError(f"standard {standard!r} is not in the QCVN seed; known: "
                        f"{', '.join(load_qcvn_seed().standards)}") from None


def qcvn_limits(standard: str, column: str) -> list[QcvnLimit]:
    """All seeded limits of a standard's column (may be empty for a declared standard without values)."""
    std = qcvn_standard(standard)
    if column not in std.columns:
        raise QcvnError(f"{standard} has no column {column!r} (columns: {', '.join(std.columns) or 'none'})")
    return [lim for lim in load_qcvn_seed().limits if lim.standard == standard and lim.column == column]


def qcvn_limit(standard: str, column: str, factor: str) -> QcvnLimit:
    """The seeded C of one factor (HJ 212 code or the parameter name of the seed, case-insensitive).

    Raises
    ------
    QcvnError
        If the standard, column or value is not seeded — notably every value of QCVN 40:2025 and
        QCVN 19:2024, which the reference does not give.
    """
    for lim in qcvn_limits(standard, column):
        if factor in (lim.factor,) or factor.casefold() == lim.parameter.casefold():
            return lim
    raise QcvnError(f"{standard} column {column}: no seeded value for {factor!r} (enter it in "
                    "rules/vn/limits_seed.yaml from the text of the standard)")


# --------------------------------------------------------------------------- K coefficients


def _table_lookup(x, rows: list[dict], what: str):
    arr = np.asarray(x, dtype=float)
    if np.any(np.isnan(arr)) or np.any(arr < 0):
        raise QcvnError(f"{what} must be a number ≥ 0, got {x!r}")
    out = np.full(arr.shape, np.nan)
    done = np.zeros(arr.shape, dtype=bool)
    for row in rows:
        hit = ~done if row["upto"] is None else (~done & (arr <= float(row["upto"])))
        out[hit] = float(row["k"])
        done |= hit
    return float(out) if out.ndim == 0 else out


def kf_for_flow(m3_per_day):
    r"""Discharge-flow coefficient :math:`K_f` of QCVN 40:2011/BTNMT (Table 3).

    ==================  =====
    F [m³/day]          Kf
    ==================  =====
    F ≤ 50              1.2
    50 < F ≤ 500        1.1
    500 < F ≤ 5 000     1.0
    F > 5 000           0.9
    ==================  =====

    Parameters
    ----------
    m3_per_day : numeric
        Discharge flow F of the facility (licensed or design). [m³/day]

    Returns
    -------
    numeric
        :math:`K_f` [-]

    Raises
    ------
    QcvnError
        For a negative or NaN flow.

    References
    ----------
    .. [1] QCVN 40:2011/BTNMT Table 3, via china-vietnam-rules.md §7.3 [R].
    """
    return _table_lookup(m3_per_day, load_qcvn_seed().k_tables["kf"]["rows"], "discharge flow F [m³/day]")


def kq_for_receiving_water(kind: str, q_or_volume=None):
    r"""Receiving-water coefficient :math:`K_q` of QCVN 40:2011/BTNMT (Table 2).

    Parameters
    ----------
    kind : {"river", "lake", "coastal_protected", "coastal_other"}
        ``river``: river, stream, canal (by flow Q); ``lake``: lake, pond, reservoir (by volume V);
        ``coastal_protected``: coastal water used for aquatic life, swimming, recreation (1.0);
        ``coastal_other``: other coastal water (1.3).
    q_or_volume : numeric or None
        River: mean flow Q of the driest three months [m³/s] — ≤ 50 → 0.9, ≤ 200 → 1.0, ≤ 500 → 1.1,
        > 500 → 1.2. Lake: volume V [m³] — ≤ 10·10⁶ → 0.6, ≤ 100·10⁶ → 0.8, > 100·10⁶ → 1.0. ``None``
        (no data): river 0.9, lake 0.6. Ignored for coastal water.

    Returns
    -------
    numeric
        :math:`K_q` [-]

    References
    ----------
    .. [1] QCVN 40:2011/BTNMT Table 2 and §2.4, via china-vietnam-rules.md §7.3 [R] (lake bounds and the
       no-data values are recalled by this module's author: R-ours, see the seed).
    """
    tables = load_qcvn_seed().k_tables
    if kind in ("river", "lake"):
        table = tables[f"kq_{kind}"]
        if q_or_volume is None:
            return float(table["unknown"])
        what = "river flow Q [m³/s]" if kind == "river" else "lake volume V [m³]"
        return _table_lookup(q_or_volume, table["rows"], what)
    if kind in ("coastal_protected", "coastal_other"):
        return float(tables["kq_coastal"]["values"][kind.removeprefix("coastal_")])
    raise QcvnError(f"receiving water kind {kind!r} is not river, lake, coastal_protected or coastal_other")


def kp_for_flow(m3_per_hour):
    r"""Gas-flow coefficient :math:`K_p` of QCVN 19:2009/BTNMT (Table 2).

    ==========================  =====
    P [m³/h]                    Kp
    ==========================  =====
    P ≤ 20 000                  1.0
    20 000 < P ≤ 100 000        0.9
    P > 100 000                 0.8
    ==========================  =====

    Parameters
    ----------
    m3_per_hour : numeric
        Exhaust gas flow P of the source. [m³/h]

    Returns
    -------
    numeric
        :math:`K_p` [-]

    References
    ----------
    .. [1] QCVN 19:2009/BTNMT Table 2, via china-vietnam-rules.md §7.3 [R].
    """
    return _table_lookup(m3_per_hour, load_qcvn_seed().k_tables["kp"]["rows"], "gas flow P [m³/h]")


def kv_for_zone(zone: int) -> float:
    r"""Region coefficient :math:`K_v` of QCVN 19:2009/BTNMT (Table 3): zones 1–5 → 0.6, 0.8, 1.0, 1.2, 1.4.

    Parameters
    ----------
    zone : int
        1 special/class-I inner city and protected areas ... 5 mountainous rural areas (seed wording).

    References
    ----------
    .. [1] QCVN 19:2009/BTNMT Table 3, via china-vietnam-rules.md §7.3 ("Kv by region: 0.6 to 1.4") [R].
    """
    values = load_qcvn_seed().k_tables["kv"]["values"]
    try:
        return float(values[int(zone)]["k"])
    except (KeyError, ValueError, TypeError):
        raise QcvnError(f"Kv zone {zone!r} is not one of {sorted(values)}") from None


def max_allowed_wastewater(c, kq, kf):
    r"""Maximum allowed concentration in industrial wastewater, QCVN 40:2011/BTNMT §2.2.

    .. math:: C_{max} = C \cdot K_q \cdot K_f

    Parameters
    ----------
    c : numeric
        Column A or B value. [mg/L]
    kq : numeric
        Receiving-water coefficient (:func:`kq_for_receiving_water`). [-]
    kf : numeric
        Discharge-flow coefficient (:func:`kf_for_flow`). [-]

    Returns
    -------
    numeric
        :math:`C_{max}` [mg/L]. Not for pH, temperature or coliform (:math:`C_{max} = C`; see :func:`cmax`).

    Examples
    --------
    >>> round(max_allowed_wastewater(150, 0.9, 1.1), 6)   # COD column B, river Q ≤ 50 m³/s, 50 < F ≤ 500
    148.5
    """
    return np.multiply(np.multiply(c, kq), kf) if isinstance(c, np.ndarray) else c * kq * kf


def max_allowed_emission(c, kp, kv):
    r"""Maximum allowed concentration in industrial emissions, QCVN 19:2009/BTNMT §2.2.

    .. math:: C_{max} = C \cdot K_p \cdot K_v

    Parameters
    ----------
    c : numeric
        Column B value at the standard's reference state (25 °C, 101.325 kPa [R]). [mg/Nm³]
    kp : numeric
        Gas-flow coefficient (:func:`kp_for_flow`). [-]
    kv : numeric
        Region coefficient (:func:`kv_for_zone`). [-]

    Returns
    -------
    numeric
        :math:`C_{max}` [mg/Nm³]

    Examples
    --------
    >>> round(max_allowed_emission(500, 0.9, 1.0), 6)     # SO2, 20 000 < P ≤ 100 000 m³/h, zone 3
    450.0
    """
    return np.multiply(np.multiply(c, kp), kv) if isinstance(c, np.ndarray) else c * kp * kv


def cmax(limit: QcvnLimit, *, kq: float | None = None, kf: float | None = None, kp: float | None = None,
         kv: float | None = None) -> Bounds:
    """Apply the standard's K coefficients to one seeded limit (only where ``limit.k``), with the arithmetic.

    Parameters
    ----------
    limit : QcvnLimit
    kq, kf : float, optional
        Required for a QCVN 40:2011 limit with ``k`` true.
    kp, kv : float, optional
        Required for a QCVN 19:2009 limit with ``k`` true.

    Returns
    -------
    Bounds

    Raises
    ------
    QcvnError
        If a needed coefficient is missing.
    """
    std = qcvn_standard(limit.standard)
    given = {"kq": kq, "kf": kf, "kp": kp, "kv": kv}
    head = f"{limit.parameter}: "
    tail = f" {limit.unit} ({limit.standard} column {limit.column})".replace("  ", " ")
    if not limit.k or not std.k_factors or limit.upper is None:
        text = (f"{limit.lower:g}–{limit.upper:g}" if limit.lower is not None and limit.upper is not None
                else f"{limit.upper if limit.upper is not None else limit.lower:g}")
        why = " (no K coefficients)" if std.k_factors else ""
        return Bounds(limit.upper, limit.lower, head + text + tail + why, limit.factor, limit.unit)
    missing = [k for k in std.k_factors if given[k] is None]
    if missing:
        raise QcvnError(f"{limit.standard} {limit.parameter}: Cmax needs {', '.join(missing)}")
    k1, k2 = (float(given[k]) for k in std.k_factors)
    upper = limit.upper * k1 * k2
    text = (f"{limit.upper:g} × {std.k_factors[0].capitalize()} {k1:g} × {std.k_factors[1].capitalize()} {k2:g}"
            f" = {round(upper, 6):g}")
    return Bounds(upper, limit.lower, head + text + tail, limit.factor, limit.unit)


# --------------------------------------------------------------------------- reference conditions


def convert_reference_temperature(c, from_c, to_c):
    r"""Move a gas concentration between reference temperatures at the same pressure (ideal gas).

    .. math:: C_{T_2} = C_{T_1} \cdot \frac{T_1 + 273.15}{T_2 + 273.15}

    A mass per volume is smaller at the warmer state: 100 mg/m³ at 0 °C is 91.6 mg/m³ at 25 °C.

    Parameters
    ----------
    c : numeric
        Concentration at ``from_c``. [mg/m³]
    from_c, to_c : float
        Reference temperatures, e.g. 0 (China, HJ 212) and 25 (QCVN 19:2009 [R]). [°C]

    Returns
    -------
    numeric
        [mg/m³]
    """
    return np.multiply(c, (from_c + _KELVIN) / (to_c + _KELVIN))


def correct_o2(c, o2_measured, o2_reference):
    r"""Concentration at a standard's reference O2: :math:`C \cdot (21 - O_{2,ref}) / (21 - O_2)`.

    Same formula as HJ 212-2017 Appendix D.2 eq. (28) (delegates to
    :func:`ecosentry.subsystems.monitoring.rules.cn.flue_gas.corrected_concentration`, which returns NaN at O2 ≥ 20 %).
    ``o2_reference=None`` (QCVN 19:2009: no reference O2 [R]) returns ``c`` unchanged.

    Parameters
    ----------
    c : numeric
        [mg/Nm³]
    o2_measured : numeric
        [%]
    o2_reference : float or None
        [%]
    """
    return corrected_concentration(c, o2_measured, o2_reference)


# --------------------------------------------------------------------------- exceedance


@dataclass(frozen=True)
class Measurement:
    """One value of one parameter of a station file (what the rules need of a :class:`VnLine`).

    Attributes
    ----------
    parameter : str
        Canonical factor code (or the station's parameter name; it only has to match the limits' keys).
    time : datetime
        Measurement time, naive station local time.
    value : float or None
    status : str
        ``00``, ``01`` or ``02``.
    """

    parameter: str
    time: datetime
    value: float | None
    status: str


@dataclass(frozen=True)
class ValueJudgement:
    """Result for one value: ``exceeded`` True/False, or None when not judged (``reason`` says why)."""

    exceeded: bool | None
    multiple: float | None = None
    reason: str = ""
    rule: str = RULE_VALUE


def judge_value(value: float | None, status: str, bounds: Bounds) -> ValueJudgement:
    """Judge one value against Cmax (status ``01``/``02`` and missing values are not judged).

    Parameters
    ----------
    value : float or None
    status : str
    bounds : Bounds
        From :func:`cmax`.

    Returns
    -------
    ValueJudgement
    """
    if not status_validity(status).qcvn_checked:
        return ValueJudgement(None, None, f"status {status} ({status_validity(status).meaning}): not judged",
                              RULE_NOT_JUDGED)
    if value is None or not math.isfinite(value):
        return ValueJudgement(None, None, "no value: not judged", RULE_NOT_JUDGED)
    return _compare(value, bounds)


def _compare(value: float, bounds: Bounds) -> ValueJudgement:
    if bounds.upper is not None and value > bounds.upper:
        multiple = (value - bounds.upper) / bounds.upper if bounds.upper > 0 else None
        return ValueJudgement(True, multiple, f"{value:g} > {bounds.upper:g}")
    if bounds.lower is not None and value < bounds.lower:
        return ValueJudgement(True, None, f"{value:g} < {bounds.lower:g}")
    return ValueJudgement(False, None, "within the limit")


@dataclass(frozen=True)
class DayExceedance:
    """Daily judgement of one parameter of one station.

    Attributes
    ----------
    day : date
        Local calendar day of the station.
    parameter : str
    n_values, n_valid, n_calibrating, n_error : int
        Values of the day; valid = status 00 with a value.
    mean, minimum, maximum : float or None
        Of the valid values.
    upper, lower : float or None
        Cmax (and the lower bound) used.
    exceeded : bool or None
        None = not judged (``reason``).
    multiple : float or None
        :math:`(\\bar C - C_{max}) / C_{max}`.
    n_values_exceeding : int
        Valid values above Cmax / below the lower bound (per-value count).
    """

    day: date
    parameter: str
    n_values: int
    n_valid: int
    n_calibrating: int
    n_error: int
    mean: float | None
    minimum: float | None
    maximum: float | None
    upper: float | None
    lower: float | None
    exceeded: bool | None
    multiple: float | None
    n_values_exceeding: int
    reason: str = ""
    rule: str = RULE_DAY


@dataclass
class _DayAcc:
    values: list[float] = field(default_factory=list)
    n: int = 0
    cal: int = 0
    err: int = 0


def daily_exceedance(measurements: Iterable[Measurement], bounds: Mapping[str, Bounds], *,
                     min_valid: int = 1) -> list[DayExceedance]:
    """Per parameter and local day: the mean of the valid values against Cmax.

    Parameters
    ----------
    measurements : iterable of Measurement
        One station's values (any order, any span).
    bounds : mapping of parameter → Bounds
        Parameters without bounds are reported with ``exceeded=None`` ("no limit").
    min_valid : int, default 1
        Fewer valid values than this → not judged. [count]

    Returns
    -------
    list of DayExceedance
        Sorted by day, then parameter.
    """
    acc: dict[tuple[date, str], _DayAcc] = defaultdict(_DayAcc)
    for m in measurements:
        a = acc[(m.time.date(), m.parameter)]
        a.n += 1
        sv = status_validity(m.status)
        if m.status == "01":
            a.cal += 1
        elif m.status == "02":
            a.err += 1
        if sv.qcvn_checked and m.value is not None and math.isfinite(m.value):
            a.values.append(float(m.value))
    out = []
    for (day, parameter), a in sorted(acc.items()):
        b = bounds.get(parameter)
        vals = a.values
        mean = math.fsum(vals) / len(vals) if vals else None
        n_exc = 0
        if b is not None:
            n_exc = sum(1 for v in vals if _compare(v, b).exceeded)
        if b is None:
            exceeded, multiple, reason, rule = None, None, "no limit for this parameter", RULE_NOT_JUDGED
        elif len(vals) < max(min_valid, 1):
            exceeded, multiple, rule = None, None, RULE_NOT_JUDGED
            reason = f"{len(vals)} valid values (< {max(min_valid, 1)}): not judged"
        else:
            j = _compare(mean, b)
            exceeded, multiple, reason, rule = j.exceeded, j.multiple, f"daily mean {j.reason}", RULE_DAY
        out.append(DayExceedance(day, parameter, a.n, len(vals), a.cal, a.err, mean,
                                 min(vals) if vals else None, max(vals) if vals else None,
                                 b.upper if b else None, b.lower if b else None, exceeded, multiple, n_exc,
                                 reason, rule))
    return out


# --------------------------------------------------------------------------- a registered limit, explained


@dataclass(frozen=True)
class LimitBasis:
    """What a registered limit says it rests on: the text of ``limits.standard`` read back.

    The registry keeps, per station and parameter, the maximum allowed value the licence or the DONRE fixed
    (``limits.upper``) and, as text, where it comes from, e.g. ``"QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1"``
    (the fleet import writes it so: :mod:`ecosentry.subsystems.monitoring.simulate.vn_stations`).

    Attributes
    ----------
    standard : str or None
        ``QCVN 40:2011/BTNMT`` …, None when the text names none.
    column : str or None
        ``A``, ``B`` or ``C`` (``cột B``, ``column B``, ``col. B``).
    k : dict of str → float
        ``{"kq": 0.9, "kf": 1.1}`` or ``{"kp": 0.9, "kv": 1.0}`` as written (decimal comma accepted).
    text : str
        The text as registered.
    """

    standard: str | None
    column: str | None
    k: dict
    text: str


_STANDARD_RE = re.compile(r"QCVN\s*(\d+)\s*:\s*(\d{4})\s*/\s*BTNMT", re.IGNORECASE)
_COLUMN_RE = re.compile(r"(?:cột|cot|column|col\.?)\s*([ABC])\b", re.IGNORECASE)
_K_RE = re.compile(r"\bK\s*([pvqf])\b\s*(?:=|:)?\s*([0-9]+(?:[.,][0-9]+)?)", re.IGNORECASE)


def parse_limit_basis(text: str | None) -> LimitBasis:
    """Read the standard, column and K coefficients out of a registered limit's ``standard`` text.

    Examples
    --------
    >>> b = parse_limit_basis("QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1")
    >>> (b.standard, b.column, b.k)
    ('QCVN 40:2011/BTNMT', 'B', {'kq': 0.9, 'kf': 1.1})
    >>> parse_limit_basis("GB 13223-2011 表1").standard is None
    True
    """
    text = text or ""
    m = _STANDARD_RE.search(text)
    standard = f"QCVN {int(m.group(1)):02d}:{m.group(2)}/BTNMT" if m else None
    c = _COLUMN_RE.search(text)
    k = {f"k{g.lower()}": float(v.replace(",", ".")) for g, v in _K_RE.findall(text)}
    return LimitBasis(standard, c.group(1).upper() if c else None, k, text)


@dataclass(frozen=True)
class KRow:
    """The row of a K table that gives a coefficient: ``lo < symbol ≤ hi unit`` (``lo``/``hi`` None = open),
    or a region ``zone`` (Kv), or a receiving-water ``kind`` (Kq)."""

    name: str
    value: float
    symbol: str = ""
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    zone: int | None = None
    kind: str = ""


def k_rows(name: str, value: float) -> list[KRow]:
    """Every row of the seeded K tables of ``name`` (``kq``, ``kf``, ``kp``, ``kv``) that yields ``value``:
    what the facility's flow, receiving water or region must be for the registered coefficient to hold.

    Examples
    --------
    >>> [(r.symbol, r.lo, r.hi, r.unit) for r in k_rows("kf", 1.1)]
    [('F', 50.0, 500.0, 'm3/day')]
    >>> [r.zone for r in k_rows("kv", 1.0)]
    [3]
    """
    tables = load_qcvn_seed().k_tables
    out: list[KRow] = []

    def ranged(table: dict, symbol: str, kind: str = "") -> None:
        lo = None
        for row in table["rows"]:
            hi = None if row["upto"] is None else float(row["upto"])
            if math.isclose(float(row["k"]), value):
                out.append(KRow(name, value, symbol, lo, hi, table.get("unit", ""), kind=kind))
            lo = hi

    if name == "kf":
        ranged(tables["kf"], "F")
    elif name == "kp":
        ranged(tables["kp"], "P")
    elif name == "kq":
        ranged(tables["kq_river"], "Q", "river")
        ranged(tables["kq_lake"], "V", "lake")
        for kind, k in tables["kq_coastal"]["values"].items():
            if math.isclose(float(k), value):
                out.append(KRow(name, value, kind=f"coastal_{kind}"))
    elif name == "kv":
        for zone, row in tables["kv"]["values"].items():
            if math.isclose(float(row["k"]), value):
                out.append(KRow(name, value, zone=int(zone)))
    return out


@dataclass(frozen=True)
class LimitArithmetic:
    """A registered limit with its arithmetic: C of the standard's column, the K coefficients, and the check
    that C × K₁ × K₂ is the value registered.

    Attributes
    ----------
    factor : str
    basis : LimitBasis
    limit : QcvnLimit or None
        The seeded C (None when the standard, column or parameter is not seeded).
    k : tuple of (str, float)
        The coefficients applied, in the standard's order (``kq``, ``kf`` / ``kp``, ``kv``); empty when the
        standard applies none to this parameter (pH, temperature, coliform).
    computed : float or None
        C × K₁ × K₂ (or C when no K applies). [unit]
    upper, lower : float or None
        The registered values: the ones judged against (the registry is the legal source).
    consistent : bool or None
        ``computed`` equals ``upper`` within 0.05 % (None when nothing to compare).
    problem : str
        ``""``, ``no_standard`` (the text names no QCVN), ``not_seeded`` (no C in the seed),
        ``missing_k`` (a coefficient the standard needs is not in the text), ``mismatch``.
    """

    factor: str
    basis: LimitBasis
    limit: QcvnLimit | None
    k: tuple
    computed: float | None
    upper: float | None
    lower: float | None
    consistent: bool | None
    problem: str = ""

    @property
    def unit(self) -> str:
        return self.limit.unit if self.limit is not None else ""

    @property
    def bounds(self) -> Bounds:
        """The registered bounds (what values are judged against), with the arithmetic as explanation."""
        return Bounds(self.upper, self.lower, self.text, self.factor, self.unit)

    @property
    def text(self) -> str:
        """``"150 × Kq 0.9 × Kf 1.1 = 148.5 mg/L (QCVN 40:2011/BTNMT column B)"`` — or the registered value
        alone when it cannot be explained."""
        if self.limit is None or self.computed is None:
            return f"{self.upper:g}" if self.upper is not None else ""
        c = self.limit.upper if self.limit.upper is not None else self.limit.lower
        ks = "".join(f" × {name.capitalize()} {value:g}" for name, value in self.k)
        body = f"{c:g}{ks} = {round(self.computed, 6):g}" if self.k else f"{c:g}"
        return f"{body} {self.limit.unit} ({self.limit.standard} column {self.limit.column})".replace("  ", " ")


def limit_arithmetic(factor: str, standard_text: str | None, upper: float | None,
                     lower: float | None = None, *, rel_tol: float = 5e-4) -> LimitArithmetic:
    """Explain a registered limit: Cmax = C × Kq × Kf (QCVN 40:2011) or C × Kp × Kv (QCVN 19:2009).

    The registered ``upper`` is what values are judged against (the licence fixes it); this function shows
    where it comes from and says when it does not follow from the standard (``problem``), so a DONRE
    officer sees a wrong coefficient at once.

    Parameters
    ----------
    factor : str
        Canonical factor code (HJ 212-2017 Appendix B, the seed's ``factor``).
    standard_text : str or None
        ``limits.standard`` of the registry.
    upper, lower : float or None
        ``limits.upper`` / ``limits.lower``. [unit of the factor]
    rel_tol : float, default 5e-4
        Relative tolerance of the check (the registry rounds Cmax to 4 decimals). [-]

    Returns
    -------
    LimitArithmetic

    Examples
    --------
    >>> a = limit_arithmetic("w01018", "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1", 148.5)
    >>> a.text, a.consistent
    ('150 × Kq 0.9 × Kf 1.1 = 148.5 mg/L (QCVN 40:2011/BTNMT column B)', True)

    References
    ----------
    .. [1] QCVN 40:2011/BTNMT §2.2, QCVN 19:2009/BTNMT §2.2 via china-vietnam-rules.md §7.3 [R].
    """
    basis = parse_limit_basis(standard_text)
    if basis.standard is None:
        return LimitArithmetic(factor, basis, None, (), None, upper, lower, None, "no_standard")
    try:
        std = qcvn_standard(basis.standard)
        column = basis.column or (std.columns[0] if len(std.columns) == 1 else None)
        lim = qcvn_limit(basis.standard, column, factor) if column else None
    except QcvnError:
        lim = None
    if lim is None:
        return LimitArithmetic(factor, basis, None, (), None, upper, lower, None, "not_seeded")
    c = lim.upper if lim.upper is not None else lim.lower
    if not lim.k or not std.k_factors:
        computed, ks = c, ()
    else:
        missing = [k for k in std.k_factors if k not in basis.k]
        if missing:
            return LimitArithmetic(factor, basis, lim, (), None, upper, lower, None, "missing_k")
        ks = tuple((k, basis.k[k]) for k in std.k_factors)
        computed = lim.upper * ks[0][1] * ks[1][1]
    reg = upper if lim.upper is not None else lower
    consistent = None if reg is None or computed is None else math.isclose(computed, reg, rel_tol=rel_tol)
    return LimitArithmetic(factor, basis, lim, ks, computed, upper, lower, consistent,
                           "mismatch" if consistent is False else "")


# --------------------------------------------------------------------------- daily mean from hourly parts


@dataclass(frozen=True)
class HourPart:
    """One hour of one parameter as the platform keeps it: the mean of its valid values and their count.

    Attributes
    ----------
    parameter : str
    day : date
        Local calendar day of the station the hour belongs to.
    mean : float or None
        Mean of the hour's valid (status 00) values. [unit]
    n_valid : int
        Valid values in the hour. [count]
    n_received : int
        Values received in the hour, any status. [count]
    """

    parameter: str
    day: date
    mean: float | None
    n_valid: int
    n_received: int


@dataclass(frozen=True)
class DayMean:
    """Daily judgement of one parameter from its hours (:func:`daily_from_hours`)."""

    day: date
    parameter: str
    n_valid: int
    n_not_judged: int
    mean: float | None
    upper: float | None
    lower: float | None
    exceeded: bool | None
    multiple: float | None
    reason: str = ""
    rule: str = RULE_DAY


def daily_from_hours(parts: Iterable[HourPart], bounds: Mapping[str, Bounds], *,
                     min_valid: int = 1) -> list[DayMean]:
    r"""The daily judgement of :func:`daily_exceedance` computed from hourly means and counts.

    The mean of a day's valid values equals the count-weighted mean of its hours' means,

    .. math:: \bar C_{day} = \frac{\sum_h n_h \bar C_h}{\sum_h n_h}

    with :math:`n_h` the valid values of hour :math:`h` — so a page over many stations and 30 days reads
    720 hourly rows per parameter instead of 8 640 five-minute values, and judges the same. Status ``01``/
    ``02`` values are in ``n_received`` only (``n_not_judged`` = received − valid).

    Parameters
    ----------
    parts : iterable of HourPart
    bounds : mapping of parameter → Bounds
    min_valid : int, default 1
        As in :func:`daily_exceedance`. [count]

    Returns
    -------
    list of DayMean
        Sorted by day, then parameter.
    """
    acc: dict[tuple[date, str], list[float]] = defaultdict(lambda: [0.0, 0, 0])
    for p in parts:
        a = acc[(p.day, p.parameter)]
        if p.mean is not None and math.isfinite(p.mean) and p.n_valid > 0:
            a[0] += p.mean * p.n_valid
            a[1] += p.n_valid
        a[2] += p.n_received
    out = []
    for (day, parameter), (total, n, received) in sorted(acc.items()):
        b = bounds.get(parameter)
        mean = total / n if n else None
        if b is None:
            exceeded, multiple, reason, rule = None, None, "no limit for this parameter", RULE_NOT_JUDGED
        elif n < max(min_valid, 1):
            exceeded, multiple, rule = None, None, RULE_NOT_JUDGED
            reason = f"{n} valid values (< {max(min_valid, 1)}): not judged"
        else:
            j = _compare(mean, b)
            exceeded, multiple, reason, rule = j.exceeded, j.multiple, f"daily mean {j.reason}", RULE_DAY
        out.append(DayMean(day, parameter, int(n), int(max(received - n, 0)), mean,
                           b.upper if b else None, b.lower if b else None, exceeded, multiple, reason, rule))
    return out



@dataclass(frozen=True)
class StoredHour:
    """One stored hour of one parameter, as the daily row of a Vietnamese station is made from it
    (:func:`day_of_stored_hours`): the mean of its valid values (and of their O2-corrected values where the
    limit sets a reference O2), their count, the values received and the hour's amount."""

    mean: float | None
    zs_mean: float | None
    n_valid: int
    n_received: int
    cou: float | None = None


def day_of_stored_hours(hours: Iterable[StoredHour], n_expected: int, *, min_valid: int = 1) -> PeriodValue:
    r"""The daily value of a Vietnamese station's parameter: the mean of the day's valid (status ``00``) values,
    the same number the DONRE's desk shows (:func:`daily_from_hours`), kept as the platform's daily row.

    .. math:: \bar C_{day} = \frac{\sum_h n_h \bar C_h}{\sum_h n_h}

    The day is valid (judged) when it holds at least ``min_valid`` valid values; hours count as sub-periods
    (``n_valid``: hours with a valid value; ``n_received``: hours with any value). No 20-hour rule: that is
    HJ 212's for Chinese points; Circular 10/2021 and the QCVNs set no daily completeness rule for continuous data
    (reference china-vietnam-rules.md §7.3, the averaging being the platform's choice, [R]).

    Parameters
    ----------
    hours : iterable of StoredHour
    n_expected : int
        Hours in the local day. [count]
    min_valid : int, default 1
        Valid values a judged day needs. [count]

    Returns
    -------
    PeriodValue
        ``kind="day"``; ``cou`` the sum of the hours' amounts (``None`` when none has one).
    """
    total = zs_total = 0.0
    n = 0
    zs_complete = True
    n_hours_valid = n_hours_received = 0
    cous = []
    for h in hours:
        if h.cou is not None:
            cous.append(h.cou)
        if h.n_received > 0 or h.mean is not None:
            n_hours_received += 1
        if h.mean is None or not math.isfinite(h.mean) or h.n_valid <= 0:
            continue
        n_hours_valid += 1
        total += h.mean * h.n_valid
        n += h.n_valid
        if h.zs_mean is None or not math.isfinite(h.zs_mean):
            zs_complete = False
        else:
            zs_total += h.zs_mean * h.n_valid
    need = max(min_valid, 1)
    mean = total / n if n else None
    reason = None if n >= need else ("no data" if not n_hours_received else f"valid values {n} < {need}")
    return PeriodValue(value=mean, zs_value=zs_total / n if n and zs_complete else None,
                       cou=sum(cous) if cous else None, valid=n >= need, n_valid=n_hours_valid,
                       n_received=n_hours_received, n_expected=n_expected, reason=reason, kind="day")


def _opt_float(v) -> float | None:
    return None if v is None else float(v)


for _r in (
    Rule(RULE_VALUE, "warning", "A valid (status 00) value above Cmax = C × K × K (or below the pH floor).",
         "QCVN 40:2011/BTNMT §2.2, QCVN 19:2009/BTNMT §2.2; china-vietnam-rules.md §7.3",
         "ecosentry.subsystems.monitoring.rules.vn.qcvn", "R"),
    Rule(RULE_DAY, "critical", "Daily mean of a station's valid values above Cmax (averaging: platform choice).",
         "QCVN 40:2011/BTNMT, QCVN 19:2009/BTNMT; china-vietnam-rules.md §7.3", "ecosentry.subsystems.monitoring.rules.vn.qcvn",
         "R/ours"),
    Rule(RULE_NOT_JUDGED, "info", "Values with status 01 (calibrating) or 02 (device error), and days "
         "without valid values, are not judged against QCVN.",
         "Circular 10/2021/TT-BTNMT Art. 39; subsystems.md §7 req. 31", "ecosentry.subsystems.monitoring.rules.vn.qcvn", "S"),
):
    register(_r)
del _r
