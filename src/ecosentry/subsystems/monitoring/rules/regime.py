"""The legal regime of a judgement — Chinese (HJ/GB) or Vietnamese (QCVN, Circular 10/2021) — and what it cites (pure).

A point is judged against its registered limits; the limit's ``standard`` text says which regulation it comes
from. The regime of an exceedance is therefore the regime of the limit judged against: a limit that names a
QCVN is Vietnamese (:func:`ecosentry.subsystems.monitoring.rules.vn.exceedance.is_qcvn`); a limit that names
none (``"排污许可证"``, a bare number) is in the regime of the point's country (``regions.country``: ``VN`` →
Vietnamese), else Chinese. The regime chooses the rule code the judgement cites
(:func:`exceedance_rule`: ``CN-EXC-GAS-HOUR`` / ``VN-EXC-GAS-HOUR`` …) and the published sources the
exceedance alarm type cites in an evidence pack (:func:`alarm_type_sources`): a Vietnamese pack never cites
HJ or GB standards, a Chinese one never QCVN.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from ecosentry.subsystems.monitoring.rules.cn import exceedance as cn
from ecosentry.subsystems.monitoring.rules.vn import exceedance as vn

__all__ = ["Regime", "REGIMES", "regime_of", "exceedance_rule", "regime_of_rule", "alarm_type_sources"]

Regime = Literal["cn", "vn"]
REGIMES: tuple[str, ...] = ("cn", "vn")

#: Alarm types whose citation depends on the regime, and what they cite in each (the Chinese text is the alarm
#: catalogue's own, :mod:`ecosentry.alarms.catalogue`; ``None`` keeps it).
_TYPE_SOURCES: dict[str, dict[str, str | None]] = {
    "ALM-EXCEEDANCE": {"cn": None, "vn": vn.SOURCES},
    "ALM-EXCEEDANCE-RISK": {"cn": None, "vn": f"{vn.SOURCES}; early warning of the running period: platform choice"},
}


@lru_cache(maxsize=1024)   # a deployment has a few dozen limit texts; judged per hour on the recompute path
def regime_of(standard: str | None, country: str | None = None) -> Regime:
    """
    The regime of a judgement against a limit.

    Parameters
    ----------
    standard : str or None
        The limit's ``standard`` text (``"QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1"``, ``"GB 13223-2011 Table 1"``).
    country : str or None
        ISO code of the point's country (``regions.country``), used when the text names no QCVN.

    Returns
    -------
    {"cn", "vn"}
    """
    if vn.is_qcvn(standard):
        return "vn"
    return "vn" if (country or "").upper() == "VN" else "cn"


def exceedance_rule(regime: str, medium: str, period: str) -> str:
    """
    The catalogue code of an exceedance judgement.

    Parameters
    ----------
    regime : {"cn", "vn"}
    medium : {"gas", "water"}
    period : {"hour", "day"}

    Returns
    -------
    str
        Vietnamese: ``VN-EXC-GAS-HOUR``, ``VN-EXC-GAS-DAY``, ``VN-EXC-WATER-DAY``; Chinese: ``CN-EXC-GAS-HOUR`` for an
        hour (only flue-gas hours are judged), ``CN-EXC-GAS-DAY`` for a flue-gas day, ``CN-EXC-WATER-DAY`` for a
        wastewater day.
    """
    if regime == "vn":
        return vn.rule_code(medium, period)
    if period == "hour":
        return cn.RULE_GAS_HOUR
    return cn.RULE_WATER_DAY if medium == "water" else cn.RULE_GAS_DAY


def regime_of_rule(code: str) -> Regime | None:
    """The regime a rule code belongs to (``VN-…`` / ``CN-…``), ``None`` for another code."""
    if code.startswith("VN-"):
        return "vn"
    if code.startswith("CN-"):
        return "cn"
    return None


def alarm_type_sources(alarm_type: str, regime: str | None) -> str | None:
    """What ``alarm_type`` cites in ``regime`` when that differs from the alarm catalogue's source; ``None``: the
    catalogue's own."""
    return _TYPE_SOURCES.get(alarm_type, {}).get(regime or "cn")
