r"""Exceedance of a Vietnamese station's periods against its QCVN limit: which value, which period, which code (pure).

The arithmetic of the judgement is the platform's one (:func:`ecosentry.subsystems.monitoring.rules.cn.exceedance.
judge`: ``value > Cmax`` exceeds, the multiple :math:`(C - C_{max}) / C_{max}`); what is Vietnamese is the limit,
the value judged against it and the rule cited.

Which value is judged (reference notes china-vietnam-rules.md §7.3, [R] UNCONFIRMED)
-------------------------------------------------------------------------------------
* **Flue gas, hour**: the hourly mean of the station's valid values **at the reference state of the QCVN**
  (QCVN 19:2009/BTNMT: 25 °C, 101.325 kPa [R]; the values are brought there on reception,
  :mod:`ecosentry.subsystems.monitoring.rules.vn.units`) against

  .. math:: C_{max} = C \cdot K_p \cdot K_v

  QCVN 19:2009 sets **no reference O2**: the hourly mean is judged as measured, not "corrected". Where the
  limit does set one (QCVN 22:2009/BTNMT thermal power: 6 % coal, 3 % oil and gas, 15 % gas turbines [R]),
  the point's outlet carries it (``outlets.ref_o2``, a setting of the point) and the hour is corrected with
  HJ 212-2017 eq. (28) before it is judged (:func:`judged_value` says which was judged).
* **Flue gas, day** (where a ``day`` limit is registered): the daily mean of the valid hours, the same way.
* **Wastewater, day**: the daily mean against

  .. math:: C_{max} = C \cdot K_q \cdot K_f

  QCVN 40:2011/BTNMT was written for samples and gives no averaging period for continuous data; the daily
  mean is the platform's choice (the seed's ``averaging: day``, :mod:`.qcvn`), and the setting is the kind
  of limit registered for the point: a ``day`` limit is judged on the daily mean; wastewater hours are not
  judged.

Which regime a judgement is in
------------------------------
A judgement is Vietnamese when the limit judged against is a QCVN limit: its ``standard`` text names a QCVN
(``"QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1"``, :func:`is_qcvn`), whatever the deployment; a limit that names
none is judged in the regime of the point's country (``regions.country``), Chinese by default
(:func:`ecosentry.subsystems.monitoring.rules.regime.regime_of`).

References
----------
.. [1] QCVN 19:2009/BTNMT §2.2 (Cmax = C × Kp × Kv), QCVN 40:2011/BTNMT §2.2 (Cmax = C × Kq × Kf),
   QCVN 22:2009/BTNMT (reference O2), via shared/reference/china-vietnam-rules.md §7.3 [R].
.. [2] Circular 10/2021/TT-BTNMT Art. 39 (status 00 values only), via china-vietnam-rules.md §7.2 [S].
.. [3] HJ 212-2017 Appendix D.2 eq. (28) (O2 correction, the formula the platform applies where a reference O2
   is set).
"""

from __future__ import annotations

import re

from ecosentry.contracts.catalogue import Rule, register

__all__ = ["RULE_GAS_HOUR", "RULE_GAS_DAY", "RULE_WATER_DAY", "RULE_NOT_JUDGED", "SOURCES", "is_qcvn",
           "judged_value", "rule_code"]

RULE_GAS_HOUR = "VN-EXC-GAS-HOUR"
RULE_GAS_DAY = "VN-EXC-GAS-DAY"
RULE_WATER_DAY = "VN-EXC-WATER-DAY"
RULE_NOT_JUDGED = "VN-QCVN-NOT-JUDGED"

_GAS = "QCVN 19:2009/BTNMT §2.2 (Cmax = C × Kp × Kv)"
_WATER = "QCVN 40:2011/BTNMT §2.2 (Cmax = C × Kq × Kf)"
_CIRCULAR = "Circular 10/2021/TT-BTNMT Art. 39"
_REF = "china-vietnam-rules.md §7.3"
#: The published sources of a Vietnamese exceedance: what the alarm type cites in a Vietnamese pack.
SOURCES = f"{_GAS}; {_WATER}; QCVN 22:2009/BTNMT; {_CIRCULAR}"

_QCVN = re.compile(r"\bQCVN\b", re.IGNORECASE)


def is_qcvn(standard: str | None) -> bool:
    """Whether a limit's ``standard`` text names a Vietnamese technical regulation (``QCVN …``)."""
    return bool(standard) and _QCVN.search(standard) is not None


def judged_value(value: float | None, zs_value: float | None) -> tuple[float | None, bool]:
    """
    The value of a period judged against its limit, and whether it was O2-corrected.

    Parameters
    ----------
    value : float or None
        The period's mean at the standard's reference state (QCVN 19:2009: 25 °C, 1 atm). [mg/Nm³]
    zs_value : float or None
        The same mean corrected to the reference O2, where the point has one (QCVN 22:2009); else ``None``.
        [mg/Nm³]

    Returns
    -------
    (float or None, bool)
        ``(zs_value, True)`` where a correction was applied, else ``(value, False)``.
    """
    if zs_value is not None:
        return zs_value, True
    return value, False


def rule_code(medium: str, period: str) -> str:
    """The catalogue code of a Vietnamese judgement of a ``period`` (hour | day) of a ``medium`` (gas | water)."""
    if medium == "water":
        return RULE_WATER_DAY
    return RULE_GAS_HOUR if period == "hour" else RULE_GAS_DAY


_MODULE = __name__
for _r in (
    Rule(RULE_GAS_HOUR, "critical",
         "Hourly mean of a flue-gas pollutant at the QCVN reference state above Cmax = C × Kp × Kv; at a reference "
         "O2 only where the limit sets one.",
         f"{_GAS}; QCVN 22:2009/BTNMT; {_CIRCULAR}; {_REF}", _MODULE, "R"),
    Rule(RULE_GAS_DAY, "critical",
         "Daily mean of a flue-gas pollutant at the QCVN reference state above its daily Cmax = C × Kp × Kv.",
         f"{_GAS}; {_CIRCULAR}; {_REF}", _MODULE, "R/ours"),
    Rule(RULE_WATER_DAY, "critical",
         "Daily mean of a wastewater pollutant above Cmax = C × Kq × Kf (or pH outside its range).",
         f"{_WATER}; {_CIRCULAR}; {_REF}", _MODULE, "R/ours"),
):
    register(_r)
del _r
