"""Derived days and months, and exceedance judgement, recomputed for the periods new data touched.

Hours come from :mod:`ecosentry.subsystems.monitoring.pipeline.hourly`; this module rolls them up with the pure rules of
:mod:`ecosentry.subsystems.monitoring.rules.cn.aggregates` and judges them with :mod:`ecosentry.subsystems.monitoring.rules.cn.exceedance`:

* flue gas: day = mean of ≥ 20 valid hours, month = mean of ≥ 25 valid days (February 23);
  the hourly 折算 mean is judged against the hourly limit, the daily mean against a daily limit where the
  standard has one (GB 18485 24 h);
* wastewater: day = flow-weighted mean of the valid hours with the hourly volumes of ``w00000`` (its
  ``-Cou``), pH arithmetic, ≥ 75 % complete ([R], a setting of the rule); judged on the daily mean.

Periods are local (the point's time zone) and stored with their UTC start.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, or_, select, tuple_

from ecosentry.subsystems.monitoring.pipeline.columns import fit_text
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.subsystems.monitoring.pipeline.substitution import LOOKBACK_HOURS, substitute_days, substitutes
from ecosentry.subsystems.monitoring.rules.cn.aggregates import daily_from_hours, monthly_from_days, water_daily_from_hours
from ecosentry.subsystems.monitoring.rules.cn.exceedance import (RULE_NOT_JUDGED, Exceedance, Limit, applicable_limit,
                                                                  judge, judge_gas_hour, judge_water_day)
from ecosentry.subsystems.monitoring.rules.regime import exceedance_rule, regime_of
from ecosentry.subsystems.monitoring.rules.vn.exceedance import RULE_NOT_JUDGED as VN_NOT_JUDGED
from ecosentry.subsystems.monitoring.rules.vn.qcvn import StoredHour, day_of_stored_hours
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.bulk_write import copy_upsert

DayKey = tuple[int, str, date]  # (point, factor, local day)
MonthKey = tuple[int, str, date]  # (point, factor, first day of the local month)

WATER_FLOW = "w00000"
PH = "w01001"
#: Wastewater factors whose daily value is flow-weighted (HJ 212-2017 App. D.1); others are plain means.
WATER_WEIGHTED = frozenset({"w01018", "w21003", "w21011", "w21001"})


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    z = ZoneInfo(tz)
    lo = datetime.combine(day, time(), z).astimezone(timezone.utc)
    hi = datetime.combine(day + timedelta(days=1), time(), z).astimezone(timezone.utc)
    return lo, hi


def load_limits(conn: Connection, point_ids: Iterable[int]) -> dict[tuple[int, str], list[Limit]]:
    lim = s.limits
    out: dict[tuple[int, str], list[Limit]] = defaultdict(list)
    for r in conn.execute(select(lim).where(lim.c.point_id.in_(sorted(set(point_ids))))).mappings():
        out[(r["point_id"], r["factor_code"])].append(Limit(
            kind=r["kind"], upper=r["upper"], lower=r["lower"], valid_from=r["valid_from"],
            valid_to=r["valid_to"], standard=r["standard"] or "", season=r["season"]))
    return out


def judge_hour(medium: str, zs_value: float | None, value: float | None, valid: bool, limits: list[Limit],
               day: date):
    """Flue gas: the hourly 折算 mean (the measured mean where the point has no reference O2, HJ 212
    App. D eq. (4)) against the hourly limit. Wastewater hours are not judged (daily means are).

    A QCVN limit is judged the same way and cites its own code (:func:`with_regime_code`): a Vietnamese point
    under QCVN 19:2009 has no reference O2, so its hour is judged as measured at the QCVN reference state
    (:mod:`~ecosentry.subsystems.monitoring.rules.vn.exceedance`)."""
    if medium != "gas" or not limits:
        return None
    return with_regime_code(judge_gas_hour(zs_value if zs_value is not None else value, valid, limits, day),
                            medium, "hour")


def with_regime_code(exc: Exceedance, medium: str, period: str) -> Exceedance:
    """The judgement citing the code of its regime: a judgement against a QCVN limit cites ``VN-EXC-*``
    (:func:`~ecosentry.subsystems.monitoring.rules.regime.exceedance_rule`); a Chinese one, and an invalid period
    (``…-NOT-JUDGED…``), keep theirs."""
    if exc.limit is None or regime_of(exc.limit.standard) != "vn":
        return exc
    if exc.rule_code == RULE_NOT_JUDGED:
        return dataclasses.replace(exc, rule_code=VN_NOT_JUDGED)
    return dataclasses.replace(exc, rule_code=exceedance_rule("vn", medium, period))


def hour_limit(limits: list[Limit], day: date) -> Limit | None:
    """The hourly limit :func:`judge_hour` judges a flue-gas hour of the local ``day`` against."""
    return applicable_limit(limits, day, "hour")


def days_of_hours(hour_keys: Iterable[tuple[int, str, datetime]], directory: PointDirectory) -> set[DayKey]:
    """The local days of the given hours; a wastewater flow hour also touches the day of every
    flow-weighted factor (its volume is their weight)."""
    out: set[DayKey] = set()
    for point_id, factor, hour in hour_keys:
        info = directory.by_id(point_id)
        day = hour.astimezone(ZoneInfo(info.tz if info else "UTC")).date()
        out.add((point_id, factor, day))
        if info and info.medium == "water" and factor == WATER_FLOW:
            out |= {(point_id, f, day) for f in WATER_WEIGHTED}
    return out


def days_depending_on(engine: Engine, keys: Iterable[DayKey], directory: PointDirectory,
                      now: datetime) -> set[DayKey]:
    """The later finished days whose substitute values may change when the given days' hours change: a day's
    substitution reads the hours of the look-back before its gaps (up to ``LOOKBACK_HOURS``) and, for flue gas,
    the quarter's capture rate α up to its end. A day whose stored row has every expected hour valid has no gap
    and depends on nothing before it; the others of the same substituted series within the look-back after a
    changed day are returned (read from their stored day rows, one statement per batch of series)."""
    first: dict[tuple[int, str], datetime] = {}
    for point_id, factor, day in keys:
        info = directory.by_id(point_id)
        tz, medium = (info.tz, info.medium) if info else ("UTC", "gas")
        if not substitutes(medium, factor):
            continue
        _lo, hi = local_day_bounds(day, tz)
        if hi <= now and ((point_id, factor) not in first or hi < first[(point_id, factor)]):
            first[(point_id, factor)] = hi
    if not first:
        return set()
    d = s.derived_periods
    out: set[DayKey] = set()
    series = sorted(first)
    lo, hi = min(first.values()), min(max(first.values()) + timedelta(hours=LOOKBACK_HOURS), now)
    with engine.connect() as conn:
        for i in range(0, len(series), 500):
            part = series[i:i + 500]
            for r in conn.execute(select(d.c.point_id, d.c.factor_code, d.c.period_start).where(
                    tuple_(d.c.point_id, d.c.factor_code).in_(part), d.c.period == "day", d.c.period_start >= lo,
                    d.c.period_start < hi,
                    or_(d.c.n_valid.is_(None), d.c.n_expected.is_(None), d.c.n_valid < d.c.n_expected))):
                start = first[(r.point_id, r.factor_code)]
                if start <= r.period_start < start + timedelta(hours=LOOKBACK_HOURS):
                    info = directory.by_id(r.point_id)
                    out.add((r.point_id, r.factor_code,
                             r.period_start.astimezone(ZoneInfo(info.tz if info else "UTC")).date()))
    return out


def recompute_days(engine: Engine, keys: Iterable[DayKey], directory: PointDirectory) -> set[MonthKey]:
    """Recompute and store the given local days; return the months they belong to.

    The hours are read with one statement per local day (all its points at once), the substitute values of the
    finished days computed together (:func:`~.substitution.substitute_days`)."""
    by_point_day: dict[tuple[int, date], set[str]] = defaultdict(set)
    for p, f, d in keys:
        by_point_day[(p, d)].add(f)
    now = datetime.now(timezone.utc)
    months: set[MonthKey] = set()
    h = s.hourly_values
    with engine.begin() as conn:
        limits = load_limits(conn, {p for p, _ in by_point_day})
        # the points' days grouped by their UTC bounds (a day of one time zone): one read of hours per group
        bounds: dict[tuple[int, date], tuple[str, str, datetime, datetime]] = {}
        groups: dict[tuple[datetime, datetime], tuple[set[int], set[str]]] = {}
        for (point_id, day), factors in by_point_day.items():
            info = directory.by_id(point_id)
            tz, medium = (info.tz, info.medium) if info else ("UTC", "gas")
            lo, hi = local_day_bounds(day, tz)
            bounds[(point_id, day)] = (tz, medium, lo, hi)
            pids, wanted = groups.setdefault((lo, hi), (set(), set()))
            pids.add(point_id)
            wanted |= factors | ({WATER_FLOW} if medium == "water" else set())
        hours: dict[tuple[int, str, datetime], list] = defaultdict(list)
        for (lo, hi), (pids, wanted) in sorted(groups.items()):
            ordered = sorted(pids)
            for i in range(0, len(ordered), 500):
                for r in conn.execute(select(h).where(h.c.point_id.in_(ordered[i:i + 500]),
                                                      h.c.factor_code.in_(sorted(wanted)),
                                                      h.c.period_start >= lo, h.c.period_start < hi)).mappings():
                    hours[(r["point_id"], r["factor_code"], lo)].append(r)
        # substitute values only for a finished day (the day in progress is recomputed every flush)
        subs = substitute_days(conn, [(p, f, medium, tz, lo, hi) for (p, d), (tz, medium, lo, hi) in bounds.items()
                                      if hi <= now for f in by_point_day[(p, d)]])
        rows_out = []
        for (point_id, day), factors in sorted(by_point_day.items()):
            tz, medium, lo, hi = bounds[(point_id, day)]
            volumes = {r["period_start"]: r["cou"] for r in hours.get((point_id, WATER_FLOW, lo), [])}
            for factor in sorted(factors):
                rows_out.append(day_row(point_id, factor, day, lo, hours.get((point_id, factor, lo), []), volumes,
                                        limits.get((point_id, factor), []), medium, tz, subs.get((point_id, factor, lo)),
                                        now))
                months.add((point_id, factor, day.replace(day=1)))
        _upsert_periods(conn, rows_out)
    return months


def day_row(point_id: int, factor: str, day: date, lo: datetime, hour_rows: list, volumes: dict,
            limits: list[Limit], medium: str, tz: str, sub, now: datetime) -> dict:
    """One derived_periods day row from the day's hourly_values rows of the factor (any order) and the
    wastewater hourly volumes; shared by the per-period and the bulk path."""
    hs = sorted(hour_rows, key=lambda r: r["period_start"])
    if any(regime_of(lim.standard) == "vn" for lim in limits):
        # a Vietnamese station: the mean of the day's valid values, as the DONRE's desk shows it (the hours'
        # valid minutes weigh their means: the same weights as their values, the station's interval being fixed)
        lo_day, hi_day = local_day_bounds(day, tz)
        pv = day_of_stored_hours([StoredHour(r["value"], r["zs_value"], int(r["valid_minutes"] or 0),
                                             int(r["received_minutes"] or 0), r["cou"]) for r in hs],
                                 n_expected=round((hi_day - lo_day) / timedelta(hours=1)))
        lim = applicable_limit(limits, day, "day")
        exc = with_regime_code(judge(pv.zs_value if pv.zs_value is not None else pv.value, pv.valid, lim),
                               medium, "day") if lim else None
    elif medium == "water" and factor in WATER_WEIGHTED | {PH}:
        pv = water_daily_from_hours([r["value"] for r in hs], [volumes.get(r["period_start"]) for r in hs],
                                    [bool(r["valid"]) and not r["excluded"] for r in hs], ph=factor == PH)
        exc = with_regime_code(judge_water_day(pv.value, pv.valid, limits, day), "water", "day")
    else:
        zone = ZoneInfo(tz)
        pv = daily_from_hours([SimpleNamespace(value=r["value"], valid=bool(r["valid"]) and not r["excluded"],
                                               zs_value=r["zs_value"], cou=r["cou"],
                                               start=r["period_start"].astimezone(zone))
                               for r in hs])
        lim = applicable_limit(limits, day, "day")
        exc = with_regime_code(judge(pv.zs_value if pv.zs_value is not None else pv.value, pv.valid, lim),
                               medium, "day") if lim else None
    return {
        "cou_substituted": sub.cou_substituted if sub else None,
        "n_substituted": sub.n_substituted if sub else None,
        "point_id": point_id, "factor_code": factor, "period": "day", "period_start": lo,
        "value": pv.value, "zs_value": pv.zs_value, "cou": pv.cou, "valid": pv.valid,
        "n_valid": pv.n_valid, "n_received": pv.n_received, "n_expected": pv.n_expected,
        "reason": fit_text(pv.reason, 200), "exceeded": exc.exceeded if exc else None,
        "multiple": exc.multiple if exc else None,
        "limit_value": exc.limit.upper if exc and exc.limit else None, "computed_at": now}


def month_bounds(first: date, tz: str) -> tuple[datetime, datetime]:
    """UTC bounds of the local month that starts on ``first``."""
    lo, _ = local_day_bounds(first, tz)
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    hi, _ = local_day_bounds(nxt, tz)
    return lo, hi


def month_row(point_id: int, factor: str, first: date, lo: datetime, day_rows: list, tz: str,
              now: datetime) -> dict:
    """One derived_periods month row from the month's day rows of the factor; shared by both paths."""
    zone = ZoneInfo(tz)
    pv = monthly_from_days([SimpleNamespace(value=r["value"], valid=r["valid"], zs_value=r["zs_value"],
                                            cou=r["cou"], start=r["period_start"].astimezone(zone).date())
                            for r in day_rows], year=first.year, month=first.month)
    return {
        "point_id": point_id, "factor_code": factor, "period": "month", "period_start": lo,
        "value": pv.value, "zs_value": pv.zs_value, "cou": pv.cou, "valid": pv.valid, "n_valid": pv.n_valid,
        "n_received": pv.n_received, "n_expected": pv.n_expected, "reason": fit_text(pv.reason, 200),
        "exceeded": None, "multiple": None, "limit_value": None, "computed_at": now,
        "cou_substituted": _sum_or_none(r["cou_substituted"] for r in day_rows),
        "n_substituted": _sum_or_none(r["n_substituted"] for r in day_rows)}


def recompute_months(engine: Engine, keys: Iterable[MonthKey], directory: PointDirectory) -> int:
    """Recompute and store the given local months from their stored days; the days are read with one statement
    per local month (all its points at once)."""
    d = s.derived_periods
    now = datetime.now(timezone.utc)
    rows_out = []
    spans: dict[tuple[int, str, date], tuple[str, datetime]] = {}
    groups: dict[tuple[datetime, datetime], tuple[set[int], set[str]]] = {}
    for point_id, factor, first in set(keys):
        info = directory.by_id(point_id)
        tz = info.tz if info else "UTC"
        lo, hi = month_bounds(first, tz)
        spans[(point_id, factor, first)] = (tz, lo)
        pids, factors = groups.setdefault((lo, hi), (set(), set()))
        pids.add(point_id)
        factors.add(factor)
    with engine.begin() as conn:
        days: dict[tuple[int, str, datetime], list] = defaultdict(list)
        for (lo, hi), (pids, factors) in sorted(groups.items()):
            ordered = sorted(pids)
            for i in range(0, len(ordered), 500):
                for r in conn.execute(select(d).where(d.c.point_id.in_(ordered[i:i + 500]),
                                                      d.c.factor_code.in_(sorted(factors)), d.c.period == "day",
                                                      d.c.period_start >= lo, d.c.period_start < hi)).mappings():
                    days[(r["point_id"], r["factor_code"], lo)].append(r)
        for point_id, factor, first in sorted(spans):
            tz, lo = spans[(point_id, factor, first)]
            rows_out.append(month_row(point_id, factor, first, lo, days.get((point_id, factor, lo), []), tz, now))
        _upsert_periods(conn, rows_out)
    return len(rows_out)


def _sum_or_none(values) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


def _upsert_periods(conn: Connection, rows: list[dict]) -> None:
    copy_upsert(conn, s.derived_periods, rows, ["point_id", "factor_code", "period", "period_start"])
