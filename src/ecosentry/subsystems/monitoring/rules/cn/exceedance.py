"""Exceedance (超标) judgement against dated limits, pure.

Rules implemented
-----------------
* **Which average against which limit** (reference notes §4.1): flue gas → the hourly mean of the
  O2-corrected (折算) dry standard concentration against the hourly limit (HJ 76-2017 App. B, [S]);
  wastewater → the daily mean against the limit (GB 8978-1996 §5 "按日均值计算", GB 18918-2002 Table 1
  "日均值", [R]). Helpers :func:`judge_gas_hour` and :func:`judge_water_day`.
* **Invalid periods are never judged** (§4.2 [S]: "标记为无效的自动监测数据，不作为超标判定依据"): the
  result is ``exceeded=None`` with a reason, never ``False``.
* **Exceedance multiple** (§4.1, ``overMultiples``): :math:`(C - C_0) / C_0`.
* **Which limit applies**: a :class:`Limit` carries its validity dates and an optional season; special,
  ultra-low, new-source and seasonal limits are all expressed as dated rows (§4.1 master data:
  ``outlut_standard``, ``daily_avg_standard``, ``cdpf_outlut_standard``, ``winter_outout_standard`` with
  ``summer_begin_time`` / ``winter_bengin_time``).

Choices this module makes (documented, tested)
----------------------------------------------
* ``C > upper`` exceeds; ``C == upper`` complies ("不得超过"). ``C < lower`` exceeds (pH 6–9);
  ``C == lower`` complies.
* The multiple is computed for an **upper** exceedance only; for a value below a lower bound (pH) it is
  ``None`` (the §4.1 formula is for concentrations above a maximum). ``upper == 0`` → ``None``.
* ``valid_to`` is **inclusive**. Among the limits in force on the day, the **latest ``valid_from`` wins**;
  on a tie a seasonal limit beats a year-round one, then the **strictest** (lowest upper) wins.
* Seasons: ``winter`` runs from ``winter_begins`` (month, day) up to the day before ``summer_begins``,
  wrapping over the new year; ``summer`` is the rest. The defaults (winter 15 Nov, summer 16 Mar: the
  northern heating season) are [R] placeholders: pass the point's own dates.
* The day a limit is looked up for is the **local date of the period start** (the hour's or the day's).

References
----------
.. [1] HJ 76-2017 Appendix B (1 h 折算浓度均值 alarm), via reference notes §4.1.
.. [2] 《污染物排放自动监测设备标记规则》 (MEE, in force 2023-01-01), via reference notes §4.2.
.. [3] GB 8978-1996 §5; GB 18918-2002 Table 1, via reference notes §4.1 [R].
.. [4] shared/reference/china-vietnam-rules.md §4.1–§4.3.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from typing import Literal, Sequence

__all__ = [
    "Limit",
    "Exceedance",
    "SeasonDates",
    "season_of",
    "applicable_limit",
    "judge",
    "judge_gas_hour",
    "judge_water_day",
    "NOT_JUDGED_INVALID",
    "LimitSeedRow",
    "load_limit_seed",
]

Kind = Literal["hour", "day"]
Season = Literal["summer", "winter"]

#: Catalogue codes (ecosentry.contracts.catalogue).
RULE_GAS_HOUR = "CN-EXC-GAS-HOUR"
RULE_GAS_DAY = "CN-EXC-GAS-DAY"
RULE_WATER_DAY = "CN-EXC-WATER-DAY"
RULE_NOT_JUDGED = "CN-EXC-NOT-JUDGED-INVALID"

#: Reason given for an invalid period (reference notes §4.2).
NOT_JUDGED_INVALID = "invalid period: not judged (标记为无效的自动监测数据，不作为超标判定依据)"


@dataclass(frozen=True)
class Limit:
    """One emission limit of one factor at one point, with its validity.

    Attributes
    ----------
    kind : {"hour", "day"}
        Hourly-mean limit or daily-mean limit.
    upper : float or None
        Maximum allowed concentration. [mg/m³ at reference O2, or mg/L; pH dimensionless]
    lower : float or None
        Minimum allowed value (pH 6). [same unit]
    valid_from : date
        First day in force.
    valid_to : date or None
        Last day in force (inclusive); ``None`` = open.
    season : {"summer", "winter"} or None
        Applies only in that season; ``None`` = all year.
    standard : str
        Source, e.g. ``"GB 13223-2011 Table 1"`` or ``"排污许可证"``.
    """

    kind: Kind
    upper: float | None
    lower: float | None = None
    valid_from: date = date.min
    valid_to: date | None = None
    season: Season | None = None
    standard: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("hour", "day"):
            raise ValueError(f"kind must be 'hour' or 'day', not {self.kind!r}")
        if self.season not in (None, "summer", "winter"):
            raise ValueError(f"season must be None, 'summer' or 'winter', not {self.season!r}")
        if self.upper is None and self.lower is None:
            raise ValueError("a limit needs an upper or a lower bound")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")


@dataclass(frozen=True)
class SeasonDates:
    """Start days of the seasons, as (month, day). Defaults are [R] placeholders (northern heating
    season 15 Nov – 15 Mar); use the point's ``summer_begin_time`` / ``winter_bengin_time``."""

    summer_begins: tuple[int, int] = (3, 16)
    winter_begins: tuple[int, int] = (11, 15)


@dataclass(frozen=True)
class Exceedance:
    """Result of one judgement.

    Attributes
    ----------
    exceeded : bool or None
        ``None`` when not judged (invalid period, no value, no limit).
    multiple : float or None
        :math:`(C - C_0)/C_0` for an upper exceedance, else ``None``.
    reason : str
        Human-readable explanation (always set).
    limit : Limit or None
        The limit used.
    rule_code : str or None
        Catalogue code: ``CN-EXC-NOT-JUDGED-INVALID`` for invalid periods, ``CN-EXC-GAS-HOUR`` /
        ``CN-EXC-WATER-DAY`` from the helpers; ``None`` from :func:`judge` on valid periods.
    """

    exceeded: bool | None
    multiple: float | None
    reason: str
    limit: Limit | None = None
    rule_code: str | None = None


def season_of(day: date, seasons: SeasonDates = SeasonDates()) -> Season:
    """
    Season of a local date.

    Parameters
    ----------
    day : date
    seasons : SeasonDates

    Returns
    -------
    {"summer", "winter"}
        ``"winter"`` from ``winter_begins`` up to the day before ``summer_begins`` (wrapping the year),
        otherwise ``"summer"``.
    """
    md = (day.month, day.day)
    s, w = seasons.summer_begins, seasons.winter_begins
    if w > s:  # winter wraps over the new year (the usual case)
        return "winter" if md >= w or md < s else "summer"
    return "winter" if w <= md < s else "summer"


def applicable_limit(
    limits: Sequence[Limit],
    period_start_local: date,
    kind: Kind,
    *,
    seasons: SeasonDates = SeasonDates(),
) -> Limit | None:
    """
    The limit in force for a period.

    Parameters
    ----------
    limits : sequence of Limit
        All limits of this point and factor (any kinds, dates and seasons).
    period_start_local : date
        Local date of the period's start.
    kind : {"hour", "day"}
    seasons : SeasonDates
        Season start days for seasonal limits.

    Returns
    -------
    Limit or None
        Among limits of ``kind`` in force on the day (and in season), the one with the latest
        ``valid_from``; ties: seasonal before year-round, then lowest ``upper``. ``None`` if none.

    References
    ----------
    .. [1] Reference notes §4.1 (limit master data with dates and seasons).
    """
    day = period_start_local
    season = season_of(day, seasons)
    candidates = [
        lim for lim in limits
        if lim.kind == kind
        and lim.valid_from <= day
        and (lim.valid_to is None or day <= lim.valid_to)
        and (lim.season is None or lim.season == season)
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda lim: (
            -lim.valid_from.toordinal(),
            lim.season is None,
            math.inf if lim.upper is None else lim.upper,
        ),
    )


def judge(value: float | None, valid: bool, limit: Limit | None) -> Exceedance:
    """
    Judge one period's mean against one limit.

    Parameters
    ----------
    value : float or None
        The period's mean (gas: hourly 折算 mean; water: daily mean). [limit unit]
    valid : bool
        The period is valid and not covered by an invalidating mark.
    limit : Limit or None

    Returns
    -------
    Exceedance
        ``exceeded=None`` for invalid periods, missing values and missing limits.

    Notes
    -----
    Exceedance multiple (reference notes §4.1): :math:`m = (C - C_0) / C_0`.

    References
    ----------
    .. [1] Reference notes §4.1 (multiple), §4.2 (invalid data not judged).
    """
    if not valid:
        return Exceedance(None, None, NOT_JUDGED_INVALID, limit, RULE_NOT_JUDGED)
    if value is None or not math.isfinite(float(value)):
        return Exceedance(None, None, "no value: not judged", limit)
    if limit is None:
        return Exceedance(None, None, "no applicable limit: not judged", None)
    c = float(value)
    if limit.upper is not None and c > limit.upper:
        multiple = (c - limit.upper) / limit.upper if limit.upper > 0 else None
        return Exceedance(True, multiple, f"{c:g} > upper limit {limit.upper:g}{_source(limit)}", limit)
    if limit.lower is not None and c < limit.lower:
        return Exceedance(True, None, f"{c:g} < lower limit {limit.lower:g}{_source(limit)}", limit)
    return Exceedance(False, None, "within limit", limit)


def judge_gas_hour(
    hourly_zs_mean: float | None,
    valid: bool,
    limits: Sequence[Limit],
    day: date,
    *,
    seasons: SeasonDates = SeasonDates(),
) -> Exceedance:
    """
    Flue gas: hourly 折算 (reference-O2) mean against the hourly limit in force on ``day``.

    Parameters
    ----------
    hourly_zs_mean : float or None
        Hourly mean of the O2-corrected dry standard concentration. [mg/m³]
    valid : bool
        Hour valid (≥ 45 valid minutes, no invalidating mark).
    limits : sequence of Limit
    day : date
        Local date of the hour's start.
    seasons : SeasonDates

    Returns
    -------
    Exceedance

    References
    ----------
    .. [1] HJ 76-2017 Appendix B, via reference notes §4.1 [S].
    """
    limit = applicable_limit(limits, day, "hour", seasons=seasons)
    return _with_code(judge(hourly_zs_mean, valid, limit), RULE_GAS_HOUR)


def judge_water_day(
    daily_mean: float | None,
    valid: bool,
    limits: Sequence[Limit],
    day: date,
    *,
    seasons: SeasonDates = SeasonDates(),
) -> Exceedance:
    """
    Wastewater: daily mean against the daily limit in force on ``day``.

    Parameters
    ----------
    daily_mean : float or None
        Valid daily mean. [mg/L; pH dimensionless]
    valid : bool
        Day valid (completeness rule met, no invalidating mark).
    limits : sequence of Limit
    day : date
        Local date of the day.
    seasons : SeasonDates

    Returns
    -------
    Exceedance

    References
    ----------
    .. [1] GB 8978-1996 §5 and GB 18918-2002 Table 1 (daily means), via reference notes §4.1 [R].
    """
    limit = applicable_limit(limits, day, "day", seasons=seasons)
    return _with_code(judge(daily_mean, valid, limit), RULE_WATER_DAY)


# --------------------------------------------------------------------------- limit seed data


@dataclass(frozen=True)
class LimitSeedRow:
    """One row of ``limits_seed.yaml`` (reference notes §4.3, all [R]).

    Attributes
    ----------
    standard, table, source : str (table may be None)
        Standard, table number (None where the reference notes give none), source type / class.
    factor : str or None
        HJ 212-2017 factor code; ``None`` when no confirmed code exists (e.g. 磷酸盐).
    factor_name : str
    kind : {"hour", "day"}
    upper, lower : float or None
        Bounds. [mg/m³ at ``ref_o2``, or mg/L; pH dimensionless]
    ref_o2 : float or None
        Reference O2 for gas. [%]
    condition : str or None
        When the row applies (new/existing unit, region, water temperature ...).
    tag : str
        Confidence tag of the reference notes ("R").
    """

    standard: str
    table: str | None
    source: str
    factor: str | None
    factor_name: str
    kind: Kind
    upper: float | None
    lower: float | None
    ref_o2: float | None
    condition: str | None
    tag: str

    def to_limit(self, valid_from: date = date.min, valid_to: date | None = None,
                 season: Season | None = None) -> Limit:
        """This row as a :class:`Limit` in force over the given dates."""
        label = f"{self.standard} Table {self.table}" if self.table else self.standard
        return Limit(kind=self.kind, upper=self.upper, lower=self.lower, valid_from=valid_from,
                     valid_to=valid_to, season=season, standard=label)


_SEED_FIELDS = tuple(f for f in LimitSeedRow.__dataclass_fields__)


def load_limit_seed(path: str | None = None) -> list[LimitSeedRow]:
    """
    Load the seed limit table.

    Parameters
    ----------
    path : str or None
        A YAML file with a top-level ``rows`` list; default the packaged ``limits_seed.yaml``.

    Returns
    -------
    list of LimitSeedRow
        In file order.

    Raises
    ------
    ValueError
        If a row lacks a field, has an unknown field, a bad kind, or non-numeric bounds.

    References
    ----------
    .. [1] Reference notes §4.3 (limits) and §3.2 (reference O2).
    """
    from ecosentry.yamltext import safe_load
    from importlib import resources

    if path is None:
        text = resources.files("ecosentry.subsystems.monitoring.rules.cn").joinpath("limits_seed.yaml").read_text(encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    rows = safe_load(text)["rows"]
    out = []
    for i, raw in enumerate(rows):
        if set(raw) != set(_SEED_FIELDS):
            raise ValueError(f"row {i}: fields {sorted(raw)} differ from {sorted(_SEED_FIELDS)}")
        if raw["kind"] not in ("hour", "day"):
            raise ValueError(f"row {i}: kind {raw['kind']!r}")
        for key in ("upper", "lower", "ref_o2"):
            if raw[key] is not None and (isinstance(raw[key], bool) or not isinstance(raw[key], (int, float))):
                raise ValueError(f"row {i}: {key} {raw[key]!r} is not a number")
        if raw["upper"] is None and raw["lower"] is None:
            raise ValueError(f"row {i}: no bound")
        out.append(LimitSeedRow(
            standard=str(raw["standard"]),
            table=None if raw["table"] is None else str(raw["table"]),
            source=str(raw["source"]),
            factor=raw["factor"],
            factor_name=str(raw["factor_name"]),
            kind=raw["kind"],
            upper=None if raw["upper"] is None else float(raw["upper"]),
            lower=None if raw["lower"] is None else float(raw["lower"]),
            ref_o2=None if raw["ref_o2"] is None else float(raw["ref_o2"]),
            condition=raw["condition"],
            tag=str(raw["tag"]),
        ))
    return out


def _with_code(result: Exceedance, code: str) -> Exceedance:
    if result.rule_code is not None:
        return result
    return dataclasses.replace(result, rule_code=code)


def _source(limit: Limit) -> str:
    return f" ({limit.standard})" if limit.standard else ""
