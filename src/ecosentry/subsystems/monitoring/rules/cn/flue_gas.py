"""Flue-gas conversions for CEMS data (HJ 212-2017 Appendix D.2).

Each function implements one equation of HJ 212-2017 Appendix D.2, which restates the formulas of
HJ 75-2017 / HJ 76-2017. Equation numbers are those printed in HJ 212-2017. All functions accept
scalars or numpy arrays (and anything ``numpy.asarray`` understands, e.g. pandas Series) and broadcast.

The exception is :func:`hourly_corrected_mean`, which reduces one hour of minute data to an
:class:`HourlyCorrectedValue` by either reading of ``-ZsAvg`` (reference notes §3.1, open question),
excluding, counting and flagging the minutes whose O2 is at or above the cutoff.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, Appendix D (informative), D.2 废气.
.. [2] HJ 76-2017 固定污染源烟气（SO2、NOX、颗粒物）排放连续监测系统技术要求及检测方法, Appendix B.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np

__all__ = [
    "corrected_concentration",
    "standard_dry_flow",
    "working_to_standard",
    "wet_to_dry",
    "ppm_to_mg_m3",
    "nox_as_no2",
    "excess_air_coefficient",
    "corrected_by_excess_air",
    "flue_velocity",
    "hourly_wet_flow",
    "emission_rate_kg_h",
    "hourly_corrected_mean",
    "HourlyCorrectedValue",
    "MOLAR_MASS",
    "MOLAR_VOLUME_L_MOL",
]

#: Standard temperature used by HJ 212-2017 eq. (18) and (31) [K]. The standard prints 273, not 273.15.
STANDARD_TEMPERATURE_K = 273.0
#: Standard pressure used by HJ 212-2017 eq. (18) and (31) [Pa].
STANDARD_PRESSURE_PA = 101325.0
#: O2 content of air used by HJ 212-2017 eq. (27) and (28) [%].
AIR_O2_PERCENT = 21.0
#: Molar volume of an ideal gas at 273 K and 101 325 Pa used by HJ 212-2017 eq. (20) and (22). The
#: standard prints 22.4, not 22.414. [L/mol]
MOLAR_VOLUME_L_MOL = 22.4
#: Molar masses for eq. (20)–(22) (general chemistry; HJ 212-2017 prints the symbols only). [g/mol]
MOLAR_MASS = {"SO2": 64.06, "NO2": 46.01, "NO": 30.01, "CO": 28.01}


def corrected_concentration(c_dry, o2_measured, o2_reference, o2_cutoff=20.0):
    r"""
    Concentration corrected to a reference O2 content (折算浓度), HJ 212-2017 eq. (28).

    .. math::

        C_{折} = C_{sn,dry} \cdot \frac{21 - O_{2,ref}}{21 - O_{2,dry}}

    Parameters
    ----------
    c_dry : numeric
        Measured pollutant concentration, dry gas at standard conditions (273 K, 101 325 Pa). [mg/m³]
    o2_measured : numeric
        Measured O2 content of the flue gas, dry basis. [%]
    o2_reference : numeric or None
        Reference (基准) O2 content of the applicable emission standard, e.g. 6 for coal-fired power
        boilers (GB 13223-2011). ``None`` means the standard sets no reference O2; then, per HJ 212-2017
        Appendix D.2 (note to eq. (26)–(28)), the 折算 value equals the measured concentration and
        ``c_dry`` is returned unchanged (as float). [%]
    o2_cutoff : float, default 20.0
        Measured O2 at or above which the correction is not computed and ``nan`` is returned. [%]

    Returns
    -------
    numeric
        Corrected concentration; ``nan`` where ``o2_measured >= o2_cutoff``, where
        ``o2_measured >= 21`` (always, whatever the cutoff), where ``o2_measured < 0`` or where any
        input is ``nan``. [mg/m³]

    Notes
    -----
    The factor :math:`(21 - O_{2,ref})/(21 - O_2)` is undefined at 21 % and explodes near it: with a
    reference of 6 % it is 15 at 20 % O2. Readings that high mean the source is stopped or air leaks
    into the duct, so they must not be used for 折算 (reference notes §3.1, "edge cases"). The default
    cutoff of 20 % is this platform's choice, not a figure of the standard; it is a parameter so that a
    province's rule (often 19 % or 19.5 %) can be applied. Detecting "O2 says stopped" is a separate
    detector, not the job of this function.

    ==========================================  =====================
    assumption                                  value
    ==========================================  =====================
    O2 content of air                           21 %
    basis of ``c_dry`` and ``o2_measured``      dry, standard state
    ==========================================  =====================

    Oxygen-enriched combustion (the national outlet record's 是否富氧燃烧 / 助燃空气初始氧含量) would
    replace 21 by the combustion-air O2; that variant is not implemented (formula unconfirmed).

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (28).

    Examples
    --------
    >>> float(corrected_concentration(30.0, 9.0, 6.0))
    37.5
    """
    c = np.asarray(c_dry, dtype=float)
    if o2_reference is None:
        return c[()]
    o2 = np.asarray(o2_measured, dtype=float)
    o2_ref = np.asarray(o2_reference, dtype=float)
    cutoff = min(float(o2_cutoff), AIR_O2_PERCENT)
    usable = (o2 < cutoff) & (o2 >= 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        corrected = c * (AIR_O2_PERCENT - o2_ref) / (AIR_O2_PERCENT - o2)
    return np.where(usable, corrected, np.nan)[()]


def standard_dry_flow(q_actual, t_flue, p_static, moisture_fraction, p_atm=STANDARD_PRESSURE_PA):
    r"""
    Dry flue-gas flow at standard conditions (标干流量), HJ 212-2017 eq. (31).

    .. math::

        Q_{sn} = Q_s \cdot \frac{273}{273 + t_s} \cdot \frac{B_a + P_s}{101325} \cdot (1 - X_{sw})

    Eq. (31) is printed for the hourly flow :math:`Q_{snh} = Q_{sh}\cdot\ldots` with
    :math:`Q_{sh} = 3600 \cdot F \cdot \bar V_s` (eq. (30)); the conversion is linear, so it applies to a
    flow in any time unit and the result has the unit of ``q_actual``.

    Parameters
    ----------
    q_actual : numeric
        Flue-gas flow at working conditions, wet (工况湿烟气流量), e.g. duct area × velocity. [m³/s]
    t_flue : numeric
        Flue-gas temperature :math:`t_s`. [°C]
    p_static : numeric
        Flue static pressure :math:`P_s` (gauge, may be negative). [Pa]
    moisture_fraction : numeric
        Flue-gas moisture :math:`X_{sw}` as a volume fraction (a01014 is sent in %: divide by 100). [-]
    p_atm : numeric, default 101325
        Atmospheric pressure :math:`B_a`. [Pa]

    Returns
    -------
    numeric
        Dry flow at 273 K and 101 325 Pa, in the unit of ``q_actual``. [m³/s]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (30) and (31).

    Examples
    --------
    >>> round(float(standard_dry_flow(100.0, 0.0, 0.0, 0.1)), 6)
    90.0
    """
    q = np.asarray(q_actual, dtype=float)
    t = np.asarray(t_flue, dtype=float)
    ps = np.asarray(p_static, dtype=float)
    xsw = np.asarray(moisture_fraction, dtype=float)
    ba = np.asarray(p_atm, dtype=float)
    result = (
        q
        * (STANDARD_TEMPERATURE_K / (STANDARD_TEMPERATURE_K + t))
        * ((ba + ps) / STANDARD_PRESSURE_PA)
        * (1.0 - xsw)
    )
    return result[()]


def working_to_standard(c, t_flue_c, p_static_pa, p_atm_pa):
    r"""
    Concentration at working (工况) conditions converted to standard conditions, HJ 212-2017 eq. (18).

    .. math::

        C_{sn} = C_s \cdot \frac{101325}{B_a + P_s} \cdot \frac{273 + t_s}{273}

    The wet/dry basis is unchanged (apply :func:`wet_to_dry` separately).

    Parameters
    ----------
    c : numeric
        Concentration at working conditions :math:`C_s`. [mg/m³]
    t_flue_c : numeric
        Flue-gas temperature :math:`t_s`. [°C]
    p_static_pa : numeric
        Flue static pressure :math:`P_s` (gauge, may be negative). [Pa]
    p_atm_pa : numeric
        Atmospheric pressure :math:`B_a`. No default: at altitude it differs markedly from 101 325. [Pa]

    Returns
    -------
    numeric
        Concentration at 273 K and 101 325 Pa, same wet/dry basis as ``c``. [mg/m³]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (18).

    Examples
    --------
    >>> round(float(working_to_standard(100.0, 0.0, 0.0, 101325.0)), 9)
    100.0
    """
    c = np.asarray(c, dtype=float)
    t = np.asarray(t_flue_c, dtype=float)
    ps = np.asarray(p_static_pa, dtype=float)
    ba = np.asarray(p_atm_pa, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pressure_factor = STANDARD_PRESSURE_PA / (ba + ps)
        result = c * pressure_factor * ((STANDARD_TEMPERATURE_K + t) / STANDARD_TEMPERATURE_K)
    return result[()]


def wet_to_dry(c_wet, moisture_fraction):
    r"""
    Wet-basis concentration converted to dry basis, HJ 212-2017 eq. (19).

    .. math::

        C_{dry} = \frac{C_{wet}}{1 - X_{sw}}

    The same formula converts a wet O2 reading to dry O2.

    Parameters
    ----------
    c_wet : numeric
        Concentration (or O2 content) on a wet basis. [mg/m³] (or [%] for O2)
    moisture_fraction : numeric
        Flue-gas moisture :math:`X_{sw}` as a volume **fraction** (a01014 is sent in %: divide by 100). [-]

    Returns
    -------
    numeric
        Dry-basis value in the unit of ``c_wet``; ``nan`` where the moisture is outside [0, 1). [mg/m³]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (19).

    Examples
    --------
    >>> round(float(wet_to_dry(90.0, 0.10)), 9)
    100.0
    """
    c = np.asarray(c_wet, dtype=float)
    x = np.asarray(moisture_fraction, dtype=float)
    usable = (x >= 0.0) & (x < 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = c / (1.0 - x)
    return np.where(usable, result, np.nan)[()]


def ppm_to_mg_m3(c_ppm, molar_mass_g_mol):
    r"""
    Volume fraction converted to mass concentration at standard conditions, HJ 212-2017 eq. (20).

    .. math::

        C_Q = \frac{M}{22.4} \cdot C_V

    Parameters
    ----------
    c_ppm : numeric
        Volume fraction :math:`C_V`. [µmol/mol] (ppm)
    molar_mass_g_mol : numeric
        Molar mass :math:`M` of the gas, e.g. ``MOLAR_MASS["SO2"]`` = 64.06. [g/mol]

    Returns
    -------
    numeric
        Mass concentration at 273 K, 101 325 Pa. [mg/m³]

    Notes
    -----
    22.4 L/mol is the molar volume printed in the standard (273 K, 101 325 Pa).

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (20).

    Examples
    --------
    >>> round(float(ppm_to_mg_m3(100.0, MOLAR_MASS["SO2"])), 4)
    285.9821
    """
    cv = np.asarray(c_ppm, dtype=float)
    m = np.asarray(molar_mass_g_mol, dtype=float)
    return (m / MOLAR_VOLUME_L_MOL * cv)[()]


def nox_as_no2(c_no_mg, c_no2_mg):
    r"""
    NOx expressed as NO2 from separately measured NO and NO2, HJ 212-2017 eq. (21).

    .. math::

        C_{NO_x} = C_{NO} \cdot \frac{M_{NO_2}}{M_{NO}} + C_{NO_2}

    Parameters
    ----------
    c_no_mg : numeric
        NO mass concentration. [mg/m³]
    c_no2_mg : numeric
        NO2 mass concentration. [mg/m³]

    Returns
    -------
    numeric
        NOx as NO2. [mg/m³]

    Notes
    -----
    With :math:`M_{NO_2} = 46.01` and :math:`M_{NO} = 30.01` g/mol (``MOLAR_MASS``) the factor is
    1.5332. Eq. (22), from volume fractions, is ``ppm_to_mg_m3(c_no_ppm + c_no2_ppm, MOLAR_MASS["NO2"])``.

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (21) and (22).

    Examples
    --------
    >>> round(float(nox_as_no2(30.01, 10.0)), 9)
    56.01
    """
    no = np.asarray(c_no_mg, dtype=float)
    no2 = np.asarray(c_no2_mg, dtype=float)
    return (no * (MOLAR_MASS["NO2"] / MOLAR_MASS["NO"]) + no2)[()]


def excess_air_coefficient(o2_dry, o2_cutoff=20.0):
    r"""
    Excess-air coefficient from the measured dry O2 content, HJ 212-2017 eq. (27).

    .. math::

        \alpha = \frac{21}{21 - O_{2,dry}}

    Parameters
    ----------
    o2_dry : numeric
        Measured O2 content, dry basis. [%]
    o2_cutoff : float, default 20.0
        O2 at or above which ``nan`` is returned, as in :func:`corrected_concentration` (platform
        choice, not a figure of the standard; 21 % always gives ``nan``). [%]

    Returns
    -------
    numeric
        :math:`\alpha`; ``nan`` where ``o2_dry >= o2_cutoff``, ``o2_dry >= 21`` or ``o2_dry < 0``. [-]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (27).

    Examples
    --------
    >>> float(excess_air_coefficient(14.0))
    3.0
    """
    o2 = np.asarray(o2_dry, dtype=float)
    cutoff = min(float(o2_cutoff), AIR_O2_PERCENT)
    usable = (o2 < cutoff) & (o2 >= 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = AIR_O2_PERCENT / (AIR_O2_PERCENT - o2)
    return np.where(usable, alpha, np.nan)[()]


def corrected_by_excess_air(c, alpha, alpha_s):
    r"""
    Concentration corrected to a standard excess-air coefficient (折算浓度), HJ 212-2017 eq. (26).

    .. math::

        C_{折} = C_{sn,dry} \cdot \frac{\alpha}{\alpha_s}

    Parameters
    ----------
    c : numeric
        Measured concentration, dry gas at standard conditions. [mg/m³]
    alpha : numeric
        Measured excess-air coefficient (:func:`excess_air_coefficient`). [-]
    alpha_s : numeric or None
        Standard (基准) excess-air coefficient of the emission standard. ``None`` means the standard
        sets none; the 折算 value is then ``c`` itself (HJ 212-2017 Appendix D.2 note). [-]

    Returns
    -------
    numeric
        Corrected concentration. [mg/m³]

    Notes
    -----
    With :math:`\alpha_s = 21/(21 - O_{2,ref})` this equals eq. (28) (:func:`corrected_concentration`).

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (26).

    Examples
    --------
    >>> float(corrected_by_excess_air(30.0, 1.75, 1.4))
    37.5
    """
    c = np.asarray(c, dtype=float)
    if alpha_s is None:
        return c[()]
    a = np.asarray(alpha, dtype=float)
    a_s = np.asarray(alpha_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (c * a / a_s)[()]


def flue_velocity(kv, vp):
    r"""
    Flue-gas velocity from the measured velocity and the velocity-field coefficient, HJ 212-2017 eq. (29).

    .. math::

        V_s = K_v \cdot V_p

    Parameters
    ----------
    kv : numeric
        Velocity-field coefficient :math:`K_v` (速度场系数, from the comparison test). [-]
    vp : numeric
        Velocity measured at the measuring point :math:`V_p`. [m/s]

    Returns
    -------
    numeric
        Mean duct velocity :math:`V_s`. [m/s]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (29).

    Examples
    --------
    >>> round(float(flue_velocity(1.1, 10.0)), 9)
    11.0
    """
    return (np.asarray(kv, dtype=float) * np.asarray(vp, dtype=float))[()]


def hourly_wet_flow(area_m2, mean_velocity):
    r"""
    Hourly flue-gas flow at working conditions, wet, HJ 212-2017 eq. (30).

    .. math::

        Q_{sh} = 3600 \cdot F \cdot \bar V_{sh}

    Parameters
    ----------
    area_m2 : numeric
        Duct cross-section :math:`F` at the measuring point. [m²]
    mean_velocity : numeric
        Hourly mean flue velocity :math:`\bar V_{sh}`. [m/s]

    Returns
    -------
    numeric
        Wet working flow :math:`Q_{sh}`; :func:`standard_dry_flow` turns it into eq. (31). [m³/h]

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (30).

    Examples
    --------
    >>> float(hourly_wet_flow(2.0, 10.0))
    72000.0
    """
    return (3600.0 * np.asarray(area_m2, dtype=float) * np.asarray(mean_velocity, dtype=float))[()]


def emission_rate_kg_h(c_mg_m3, q_dry_std_m3_h):
    r"""
    Hourly emission rate, HJ 212-2017 eq. (33).

    .. math::

        G_h = C_{Qh} \cdot Q_{snh} \cdot 10^{-6}

    Parameters
    ----------
    c_mg_m3 : numeric
        Hourly mean **measured** concentration, dry gas at standard conditions :math:`C_{Qh}` — not the
        O2-corrected (折算) value. [mg/m³]
    q_dry_std_m3_h : numeric
        Hourly dry flow at standard conditions :math:`Q_{snh}` (eq. (31)). [m³/h]

    Returns
    -------
    numeric
        Emission rate :math:`G_h`, numerically the hour's emission amount. [kg/h]

    Notes
    -----
    The daily amount is :math:`G_d = \sum G_h` over the valid hours (eq. (34); HJ 212-2017 prints an
    extra :math:`10^{-6}` there, a typo since :math:`G_h` is already in kg), see
    :func:`ecosentry.subsystems.monitoring.rules.cn.aggregates.daily_from_hours`.

    References
    ----------
    .. [1] HJ 212-2017, Appendix D.2, eq. (33) and (34).

    Examples
    --------
    >>> float(emission_rate_kg_h(50.0, 200000.0))
    10.0
    """
    return (np.asarray(c_mg_m3, dtype=float) * np.asarray(q_dry_std_m3_h, dtype=float) * 1e-6)[()]


@dataclass(frozen=True)
class HourlyCorrectedValue:
    """Hourly 折算 (O2-corrected) value with the counts that explain it.

    Attributes
    ----------
    value : float or None
        Hourly corrected concentration; ``None`` when no minute is usable. [mg/m³]
    method : str
        ``"mean_of_minute"`` or ``"corrected_hourly_mean"``.
    n_minutes : int
        Minutes passed in.
    n_used : int
        Minutes with a concentration and a usable O2 (``0 <= O2 < o2_cutoff``).
    n_o2_excluded : int
        Minutes excluded because O2 ≥ ``o2_cutoff`` (or ≥ 21, or < 0).
    n_missing : int
        Minutes excluded because the concentration or the O2 is missing/``nan``.
    o2_excluded : bool
        ``True`` when any minute was excluded for its O2: the hour should be reviewed.
    reason : str or None
        ``None`` when every minute was used; else ``"; "``-joined fragments such as
        ``"O2 >= 20 % in 3 min"``, ``"missing 2 min"``, ``"no usable minute"``.
    """

    value: float | None
    method: str
    n_minutes: int
    n_used: int
    n_o2_excluded: int
    n_missing: int
    o2_excluded: bool
    reason: str | None


def hourly_corrected_mean(
    minute_c: Sequence[float],
    minute_o2: Sequence[float] | None,
    o2_ref: float | None,
    method: Literal["mean_of_minute", "corrected_hourly_mean"] = "mean_of_minute",
    *,
    o2_cutoff: float = 20.0,
) -> HourlyCorrectedValue:
    r"""
    Hourly 折算 concentration from one hour of valid minute data, by either reading of ``-ZsAvg``.

    ``"mean_of_minute"`` (default):

    .. math::

        C_{折,h} = \frac{1}{k}\sum_{j=1}^{k} C_j \cdot \frac{21 - O_{2,ref}}{21 - O_{2,j}}

    ``"corrected_hourly_mean"``:

    .. math::

        C_{折,h} = \bar C \cdot \frac{21 - O_{2,ref}}{21 - \bar O_2},\quad
        \bar C = \frac{1}{k}\sum C_j,\ \bar O_2 = \frac{1}{k}\sum O_{2,j}

    Both sums run over the same k usable minutes.

    Parameters
    ----------
    minute_c : sequence of float
        Minute mean concentrations, dry standard, of the hour's **valid** minutes (flag validity is
        decided by :func:`ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes`, not here). [mg/m³]
    minute_o2 : sequence of float or None
        Minute mean O2, dry, aligned with ``minute_c``. May be ``None`` when ``o2_ref`` is ``None``. [%]
    o2_ref : float or None
        Reference O2 of the emission standard; ``None`` → no correction: the arithmetic mean of the
        concentrations is returned and O2 is not inspected (HJ 212-2017 Appendix D.2 note). [%]
    method : {"mean_of_minute", "corrected_hourly_mean"}, default "mean_of_minute"
        Which reading of "指定时间内平均折算值" to apply (reference notes §3.1, open question).
    o2_cutoff : float, default 20.0
        Minutes with O2 at or above it (and always ≥ 21 or < 0) are excluded, counted and flagged. [%]

    Returns
    -------
    HourlyCorrectedValue

    Notes
    -----
    The two methods agree when O2 is constant within the hour and differ otherwise (the mean of
    ratios is not the ratio of means). Which one the national platform uses is UNCONFIRMED; the default
    follows the field definition of ``-ZsAvg``. No minimum count (45 min) is applied here.

    References
    ----------
    .. [1] HJ 212-2017, Table 9 (``-ZsAvg``), Appendix D.2 eq. (24) and (28).
    .. [2] shared/reference/china-vietnam-rules.md §3.1.
    """
    if method not in ("mean_of_minute", "corrected_hourly_mean"):
        raise ValueError(f"method must be 'mean_of_minute' or 'corrected_hourly_mean', not {method!r}")
    c = np.asarray(minute_c, dtype=float).reshape(-1)
    n = int(c.size)
    if o2_ref is None:
        present = np.isfinite(c)
        n_used = int(present.sum())
        n_o2_excluded = 0
        value = math.fsum(c[present]) / n_used if n_used else None
    else:
        if minute_o2 is None:
            raise ValueError("minute_o2 is required when o2_ref is given")
        o2 = np.asarray(minute_o2, dtype=float).reshape(-1)
        if o2.size != n:
            raise ValueError(f"minute_c has {n} values but minute_o2 has {o2.size}")
        present = np.isfinite(c) & np.isfinite(o2)
        cutoff = min(float(o2_cutoff), AIR_O2_PERCENT)
        o2_ok = (o2 < cutoff) & (o2 >= 0.0)
        usable = present & o2_ok
        n_used = int(usable.sum())
        n_o2_excluded = int((present & ~o2_ok).sum())
        if not n_used:
            value = None
        elif method == "mean_of_minute":
            minute_zs = corrected_concentration(c[usable], o2[usable], o2_ref, o2_cutoff=o2_cutoff)
            value = math.fsum(minute_zs) / n_used
        else:
            c_mean = math.fsum(c[usable]) / n_used
            o2_mean = math.fsum(o2[usable]) / n_used
            value = float(corrected_concentration(c_mean, o2_mean, o2_ref, o2_cutoff=o2_cutoff))
    n_missing = n - n_used - n_o2_excluded
    fragments = []
    if not n_used:
        fragments.append("no usable minute")
    if n_o2_excluded:
        fragments.append(f"O2 >= {min(float(o2_cutoff), AIR_O2_PERCENT):g} % in {n_o2_excluded} min")
    if n_missing:
        fragments.append(f"missing {n_missing} min")
    return HourlyCorrectedValue(
        value=None if value is None else float(value),
        method=method,
        n_minutes=n,
        n_used=n_used,
        n_o2_excluded=n_o2_excluded,
        n_missing=n_missing,
        o2_excluded=n_o2_excluded > 0,
        reason="; ".join(fragments) if fragments else None,
    )
