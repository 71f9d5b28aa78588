"""Flue-gas conversions for CEMS data (HJ 212-2017 Appendix D.2).

Each function implements one equation of HJ 212-2017 Appendix D.2, which restates the formulas of
HJ 75-2017 / HJ 76-2017. Equation numbers are those printed in HJ 212-2017. All functions accept
scalars or numpy arrays (and anything ``numpy.asarray`` understands, e.g. pandas Series) and broadcast.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, Appendix D (informative), D.2 废气.
.. [2] HJ 76-2017 固定污染源烟气（SO2、NOX、颗粒物）排放连续监测系统技术要求及检测方法, Appendix B.
"""

from __future__ import annotations

import numpy as np

__all__ = ["corrected_concentration", "standard_dry_flow"]

#: Standard temperature used by HJ 212-2017 eq. (18) and (31) [K]. The standard prints 273, not 273.15.
STANDARD_TEMPERATURE_K = 273.0
#: Standard pressure used by HJ 212-2017 eq. (18) and (31) [Pa].
STANDARD_PRESSURE_PA = 101325.0
#: O2 content of air used by HJ 212-2017 eq. (27) and (28) [%].
AIR_O2_PERCENT = 21.0


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
