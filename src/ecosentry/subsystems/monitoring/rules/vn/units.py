r"""Unit conversions of Vietnamese station values to the canonical factors' units (pure, cited).

A Circular 10/2021/TT-BTNMT station writes each value in the unit its analyser gives: a flue pressure as an
absolute pressure, a gas as ppm, a concentration at the stack's actual temperature and pressure. The
platform's factors (HJ 212-2017 Appendix B) have one unit each: static (gauge) flue pressure in kPa, mass
concentrations in mg/m³ at the reference state of the QCVN the station is judged against ("mg/Nm³"). The
functions here do each conversion once, with the formula shown; :mod:`ecosentry.subsystems.monitoring.vn.
mapping` applies them to the lines of a file.

Formulas
--------
Pressure, absolute → gauge (static) [1]_:

.. math:: P_s = P_{abs} - B_a

with :math:`B_a` the ambient (barometric) pressure: the station's own measured atmospheric pressure when
its file carries one (a line mapped to ``a01006``), else the documented setting default
:data:`STANDARD_AMBIENT_KPA` = 101.325 kPa (1 atm; ``ECOSENTRY_VN__AMBIENT_PRESSURE_KPA``).

ppm ↔ mass concentration at a reference state [2]_ (HJ 212-2017 eq. (20) with 22.4 L/mol at 0 °C):

.. math:: C_m = C_V \cdot \frac{M}{V_m}, \qquad V_m = \frac{R\,T_{ref}}{P_{ref}}

with :math:`C_V` in µmol/mol (ppm), :math:`M` in g/mol, :math:`V_m` in L/mol, :math:`C_m` in mg/m³.
:math:`V_m` = 22.414 L/mol at 0 °C and 101.325 kPa, 24.465 L/mol at 25 °C and 101.325 kPa. The reference
state is the one of the QCVN the station is judged against (``limits_seed.yaml``: QCVN 19:2009/BTNMT
25 °C and 101.325 kPa [R]); where the standard declares none (QCVN 19:2024/BTNMT in the seed), the
documented default 0 °C / 101.325 kPa of :data:`DEFAULT_REFERENCE` is used and said so.

Volume fraction: 1 %vol = 10 000 ppm.

Actual → normal conditions [1]_ (HJ 212-2017 eq. (18), same wet/dry basis):

.. math:: C_N = C_a \cdot \frac{T_a + 273.15}{T_{ref} + 273.15} \cdot \frac{P_{ref}}{P_{abs}}

with the flue temperature :math:`T_a` [°C] and absolute flue pressure :math:`P_{abs} = B_a + P_s` [kPa] of
the same file.

Which pressure reading is absolute
----------------------------------
A flue's static pressure lies within a few kPa of the ambient (the catalogue's range for ``a01013`` is
−5…5 kPa); barometric pressure is above 50 kPa at any inhabited altitude (≈ 54 kPa at 5 000 m). A reading
of a flue pressure at or above :data:`ABSOLUTE_PRESSURE_THRESHOLD_KPA` = 50 kPa can therefore only be an
absolute pressure, and is converted (the threshold the HJ 76 report uses for the same question,
``reports/model.py``); a name that says so ("tuyệt đối", "absolute", "abs") decides without the value.

References
----------
.. [1] HJ 212-2017 Appendix D.2 eq. (18), restating HJ/T 75-2007; shared/reference/china-vietnam-rules.md §3.1.
.. [2] HJ 212-2017 Appendix D.2 eq. (20); QCVN 19:2009/BTNMT §1.3 ("Nm³" at 25 °C and 760 mmHg [R]);
   china-vietnam-rules.md §3.1 and §7.3 ("Vietnamese standard conditions are 25 °C and 1 atm for some QCVN
   versions ... make the reference temperature a per-standard parameter").
.. [3] CODATA 2018: R = 8.314 462 618 J/(mol·K) (exact since the 2019 SI).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ecosentry.contracts.catalogue import Rule, register

__all__ = [
    "GAS_CONSTANT", "KELVIN", "STANDARD_AMBIENT_KPA", "ABSOLUTE_PRESSURE_THRESHOLD_KPA", "MOLAR_MASS",
    "ReferenceState", "DEFAULT_REFERENCE", "reference_state", "molar_volume", "ppm_to_mg_per_m3",
    "mg_per_m3_to_ppm", "percent_vol_to_ppm", "ppm_to_percent_vol", "gauge_pressure", "absolute_pressure",
    "is_absolute_pressure", "says_absolute", "normal_from_actual", "PRESSURE_KPA", "pressure_to_kpa",
    "kelvin_to_celsius", "celsius_to_kelvin",
    "RULE_GAUGE", "RULE_PPM", "RULE_NORMAL",
]

RULE_GAUGE = "VN-UNIT-GAUGE-PRESSURE"
RULE_PPM = "VN-UNIT-PPM-MG"
RULE_NORMAL = "VN-UNIT-NORMAL-CONDITIONS"

#: Molar gas constant [J/(mol·K)] (CODATA 2018, exact).
GAS_CONSTANT = 8.314462618
KELVIN = 273.15
#: 1 standard atmosphere [kPa]: the ambient pressure used when a station sends none (a setting).
STANDARD_AMBIENT_KPA = 101.325
#: At or above this a flue-pressure reading is an absolute pressure (see the module text). [kPa]
ABSOLUTE_PRESSURE_THRESHOLD_KPA = 50.0

#: Molar masses [g/mol] of the gases a CEMS reports in ppm, by canonical factor (HJ 212-2017 codes):
#: SO2, NO2, NO, CO as china-vietnam-rules.md §3.1 gives them; the others from standard atomic weights.
#: NOx is expressed as NO2 (HJ 212-2017 eq. (21)/(22); QCVN 19:2009 "NOx tính theo NO2").
MOLAR_MASS: dict[str, float] = {
    "a21026": 64.06,   # SO2
    "a21002": 46.01,   # NOx as NO2
    "a21004": 46.01,   # NO2
    "a21003": 30.01,   # NO
    "a21005": 28.01,   # CO
    "a21024": 36.46,   # HCl
    "a21028": 34.08,   # H2S
    "a21018": 20.01,   # HF
    "a21001": 17.03,   # NH3
}

#: Pressure units → kPa.
PRESSURE_KPA: dict[str, float] = {
    "kpa": 1.0, "pa": 1e-3, "hpa": 0.1, "mbar": 0.1, "bar": 100.0, "mpa": 1000.0, "atm": 101.325,
    "mmhg": 0.133322387, "mmh2o": 0.00980665, "inh2o": 0.24908891,
}


@dataclass(frozen=True)
class ReferenceState:
    """The state at which a standard's "mg/Nm³" is expressed.

    Attributes
    ----------
    temperature_c : float
        [°C]
    pressure_kpa : float
        [kPa]
    source : str
        Where it comes from (``QCVN 19:2009/BTNMT`` or ``default``).
    """

    temperature_c: float
    pressure_kpa: float
    source: str

    @property
    def molar_volume(self) -> float:
        """[L/mol]"""
        return molar_volume(self.temperature_c, self.pressure_kpa)


#: Used when the station's standard declares no reference state (QCVN 19:2024/BTNMT in the seed): 0 °C and
#: 101.325 kPa, the state of HJ 212-2017 eq. (20) (22.4 L/mol). A setting (``ECOSENTRY_VN__REFERENCE_…``).
DEFAULT_REFERENCE = ReferenceState(0.0, 101.325, "default")


def reference_state(temperature_c: float | None, pressure_kpa: float | None, source: str,
                    default: ReferenceState = DEFAULT_REFERENCE) -> ReferenceState:
    """The standard's reference state, or ``default`` when it declares none (said in ``source``)."""
    if temperature_c is None:
        return ReferenceState(default.temperature_c, default.pressure_kpa, f"{source}: default")
    return ReferenceState(float(temperature_c), float(pressure_kpa or STANDARD_AMBIENT_KPA), source)


def molar_volume(temperature_c: float, pressure_kpa: float) -> float:
    r"""Molar volume of an ideal gas, :math:`V_m = R T / P`.

    Parameters
    ----------
    temperature_c : float
        [°C]
    pressure_kpa : float
        [kPa]

    Returns
    -------
    float
        [L/mol]: 22.414 at 0 °C, 24.465 at 25 °C (both at 101.325 kPa).
    """
    return GAS_CONSTANT * (temperature_c + KELVIN) / pressure_kpa


def ppm_to_mg_per_m3(ppm: float, molar_mass: float, reference: ReferenceState = DEFAULT_REFERENCE) -> float:
    r""":math:`C_m = C_V \cdot M / V_m` (HJ 212-2017 eq. (20) at the standard's reference state).

    Parameters
    ----------
    ppm : float
        Volume fraction [µmol/mol].
    molar_mass : float
        [g/mol]
    reference : ReferenceState

    Returns
    -------
    float
        [mg/m³ at the reference state]
    """
    return ppm * molar_mass / reference.molar_volume


def mg_per_m3_to_ppm(mg: float, molar_mass: float, reference: ReferenceState = DEFAULT_REFERENCE) -> float:
    """The inverse of :func:`ppm_to_mg_per_m3`. [µmol/mol]"""
    return mg * reference.molar_volume / molar_mass


def percent_vol_to_ppm(percent: float) -> float:
    """1 %vol = 10 000 µmol/mol."""
    return percent * 1e4


def ppm_to_percent_vol(ppm: float) -> float:
    """10 000 µmol/mol = 1 %vol."""
    return ppm / 1e4


def gauge_pressure(absolute_kpa: float, ambient_kpa: float = STANDARD_AMBIENT_KPA) -> float:
    r"""Static (gauge) pressure :math:`P_s = P_{abs} - B_a`. [kPa]

    Parameters
    ----------
    absolute_kpa : float
        Absolute flue pressure. [kPa]
    ambient_kpa : float
        Ambient pressure: measured by the station, else :data:`STANDARD_AMBIENT_KPA`. [kPa]
    """
    return absolute_kpa - ambient_kpa


def absolute_pressure(gauge_kpa: float, ambient_kpa: float = STANDARD_AMBIENT_KPA) -> float:
    r""":math:`P_{abs} = B_a + P_s`. [kPa]"""
    return ambient_kpa + gauge_kpa


def is_absolute_pressure(kpa: float) -> bool:
    """Whether a flue-pressure reading can only be absolute (≥ 50 kPa; see the module text)."""
    return kpa >= ABSOLUTE_PRESSURE_THRESHOLD_KPA


def says_absolute(name: str) -> bool:
    """Whether a parameter name says its pressure is absolute (``Áp suất tuyệt đối``, ``P abs``, ``Pabs``)."""
    text = name.replace("đ", "d").replace("Đ", "D")
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    folded = re.sub(r"[\s_\-.]+", "", folded.casefold())
    return any(w in folded for w in ("tuyetdoi", "absolute", "abs"))


def normal_from_actual(c_actual: float, temperature_c: float, absolute_kpa: float,
                       reference: ReferenceState = DEFAULT_REFERENCE) -> float:
    r"""A concentration at the stack's actual state → at the reference state (HJ 212-2017 eq. (18)).

    .. math:: C_N = C_a \cdot \frac{T_a + 273.15}{T_{ref} + 273.15} \cdot \frac{P_{ref}}{P_{abs}}

    Parameters
    ----------
    c_actual : float
        [mg/m³ at actual T and P]
    temperature_c : float
        Flue temperature. [°C]
    absolute_kpa : float
        Absolute flue pressure. [kPa]
    reference : ReferenceState

    Returns
    -------
    float
        [mg/m³ at the reference state]
    """
    return (c_actual * (temperature_c + KELVIN) / (reference.temperature_c + KELVIN)
            * reference.pressure_kpa / absolute_kpa)


def pressure_to_kpa(value: float, unit_key: str) -> float | None:
    """A pressure in ``unit_key`` (``kpa``, ``pa``, ``hpa``, ``mbar``, ``mmh2o`` ...) in kPa, or ``None``."""
    f = PRESSURE_KPA.get(unit_key)
    return None if f is None else value * f


def kelvin_to_celsius(k: float) -> float:
    """[K] → [°C]"""
    return k - KELVIN


def celsius_to_kelvin(c: float) -> float:
    """[°C] → [K]"""
    return c + KELVIN


_M = "ecosentry.subsystems.monitoring.rules.vn.units"
register(Rule(RULE_GAUGE, None,
              "A flue pressure sent as absolute (name says so, or ≥ 50 kPa) is stored as static pressure: "
              "absolute − ambient (the station's measured ambient, else 101.325 kPa).",
              "HJ 212-2017 App. D.2 eq. (18); china-vietnam-rules.md §3.1", _M, "C/ours"))
register(Rule(RULE_PPM, None,
              "ppm → mg/Nm³ = ppm × M / Vm, Vm at the reference state of the station's QCVN (QCVN 19:2009: "
              "25 °C, 101.325 kPa → 24.465 L/mol; none declared: 0 °C → 22.414 L/mol).",
              "HJ 212-2017 App. D.2 eq. (20); QCVN 19:2009/BTNMT §1.3; china-vietnam-rules.md §3.1, §7.3", _M,
              "C/R"))
register(Rule(RULE_NORMAL, None,
              "mg/m³ at the stack's actual T and P → mg/Nm³ with the temperature and absolute pressure of the "
              "same file.", "HJ 212-2017 App. D.2 eq. (18); china-vietnam-rules.md §3.1", _M, "C"))
