"""Substitute values for a day's invalid hours, stored as revisions beside the raw values.

Flue gas (HJ 75-2017 §12, via :func:`ecosentry.subsystems.monitoring.rules.cn.substitution.substitute_gas_emissions`): the hourly
emission amounts (``-Cou``, kg) of SO2, NOx and particulate in invalid or missing operating hours get a
substitute chosen by the quarter's capture rate α and the gap length; stopped (excluded) hours are not
operating hours and are left out. The cause of a gap is ``out_of_control`` when an invalid hour touches a
period another subsystem declares (``Subsystem.invalid_periods``: O&M's failed calibration until the next pass),
``maintenance`` when a mark made the hour invalid, otherwise ``missing``. Wastewater (HJ 356-2019 §8,
:func:`substitute_water_values`): the hourly volume of ``w00000`` and the hourly concentrations of the other factors get the mean (pH: median) of the preceding period.

Nothing is overwritten: ``hourly_values`` keeps the measured figures, the substitutes go to ``revisions``
and the day carries both totals (``cou`` raw, ``cou_substituted``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache
from itertools import accumulate
from operator import not_
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select, tuple_

from ecosentry.subsystems.monitoring.rules.cn.substitution import (
    ValidHistory, find_gaps, quarterly_capture_rate, substitute_gas_emissions, substitute_water_values)
from ecosentry.pipeline.invalid_periods import declared_by_series
from ecosentry.subsystems.monitoring.rules.cn.hourly import MIN_VALID_MINUTES, MINUTES_PER_HOUR
from ecosentry.subsystems.monitoring.rules.cn.out_of_control import out_of_control_minutes
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.store.upsert import upsert

#: Flue-gas pollutants whose emission amounts are substituted (reference notes §2.2).
GAS_SUBSTITUTED = frozenset({"a21026", "a21002", "a34013"})
WATER_SUBSTITUTED = frozenset({"w01018", "w21003", "w21011", "w21001", "w01001", "w00000"})
#: How far back the look-back windows may reach: 2,160 valid hours plus room for gaps. [h]
LOOKBACK_HOURS = 24 * 120


def out_of_control_periods(conn: Connection, point_id: int, factor: str, start: datetime,
                           end: datetime) -> list[tuple[datetime, datetime]]:
    """The out-of-control stretches the installed subsystems declare (``Subsystem.invalid_periods``)."""
    now = datetime.now(timezone.utc)
    return declared_by_series(conn, [point_id], start, end, now).get((point_id, factor), [])


def _out_of_control(times: Sequence[datetime],
                    ooc: Sequence[tuple[datetime, datetime]]) -> tuple[list[bool], list[bool]]:
    """For each hour starting at ``times``: whether it touches one of the out-of-control periods, and whether the
    periods leave it fewer than 45 minutes (:mod:`~ecosentry.subsystems.monitoring.rules.cn.out_of_control`: the
    stored hour is invalid then; a stored hour computed before the period was known is treated so too)."""
    if not ooc:
        return [False] * len(times), [False] * len(times)
    hour = timedelta(hours=1)
    touch = [any(a < t + hour and b > t for a, b in ooc) for t in times]
    breaks = [o and MINUTES_PER_HOUR - out_of_control_minutes(t, ooc) < MIN_VALID_MINUTES
              for t, o in zip(times, touch)]
    return touch, breaks


@dataclass
class DaySubstitution:
    cou_substituted: float | None
    n_substituted: int


def _quarter_start(day_local: datetime) -> datetime:
    return day_local.replace(month=3 * ((day_local.month - 1) // 3) + 1, day=1, hour=0, minute=0, second=0,
                             microsecond=0)


def substitutes(medium: str, factor: str) -> bool:
    """Whether the factor of a point of this medium gets substitute values at all."""
    return (medium == "gas" and factor in GAS_SUBSTITUTED) or (medium == "water" and factor in WATER_SUBSTITUTED)


def substitute_day(conn: Connection, point_id: int, factor: str, medium: str, tz: str, day_lo: datetime,
                   day_hi: datetime) -> DaySubstitution | None:
    """Compute and store the revisions of one day of one factor; None when the factor is not substituted."""
    return substitute_days(conn, [(point_id, factor, medium, tz, day_lo, day_hi)])[(point_id, factor, day_lo)]


def substitute_days(conn: Connection, wanted: Iterable[tuple[int, str, str, str, datetime, datetime]]
                    ) -> dict[tuple[int, str, datetime], DaySubstitution | None]:
    """:func:`substitute_day` of many finished days at once (the worker's flush): ``wanted`` holds (point, factor,
    medium, tz, day_lo, day_hi); returns (point, factor, day_lo) → the day's totals (None: not substituted).

    The look-back hours of the series are read with one statement per span of days (not one per series), the
    out-of-control periods once per span, each series' days go through :func:`days_substitution` together, and
    the revisions of each day are replaced as :func:`substitute_day` replaces them: equal results."""
    out: dict[tuple[int, str, datetime], DaySubstitution | None] = {}
    series: dict[tuple[int, str], tuple[str, str, set[tuple[datetime, datetime]]]] = {}
    for point_id, factor, medium, tz, lo, hi in wanted:
        if not substitutes(medium, factor):
            out[(point_id, factor, lo)] = None
            continue
        series.setdefault((point_id, factor), (medium, tz, set()))[2].add((lo, hi))
    by_span: dict[tuple[datetime, datetime], list[tuple[int, str]]] = defaultdict(list)
    for key, (_medium, _tz, days) in series.items():
        by_span[(min(days)[0], max(days)[1])].append(key)
    h, rv = s.hourly_values, ms.revisions
    now = datetime.now(timezone.utc)
    revisions: list[dict] = []
    replaced: dict[tuple[datetime, datetime], list[tuple[int, str]]] = defaultdict(list)
    for (lo, hi), keys in sorted(by_span.items()):
        look_lo = lo - timedelta(hours=LOOKBACK_HOURS)
        points = sorted({p for p, _f in keys})
        factors = sorted({f for _p, f in keys})
        rows: dict[tuple[int, str], dict[datetime, Mapping]] = defaultdict(dict)
        for i in range(0, len(points), 500):
            for r in conn.execute(select(h.c.point_id, h.c.factor_code, h.c.period_start, h.c.value, h.c.cou,
                                         h.c.valid, h.c.excluded, h.c.mark_ids)
                                  .where(h.c.point_id.in_(points[i:i + 500]), h.c.factor_code.in_(factors),
                                         h.c.period_start >= look_lo, h.c.period_start < hi)).mappings():
                rows[(r["point_id"], r["factor_code"])][r["period_start"]] = r
        gas = sorted({p for p, f in keys if series[(p, f)][0] == "gas"})
        declared = declared_by_series(conn, gas, look_lo, hi, datetime.now(timezone.utc)) if gas else {}
        for point_id, factor in sorted(keys):
            medium, tz, days = series[(point_id, factor)]
            ordered = sorted(days)
            ooc = declared.get((point_id, factor), []) if medium == "gas" else []
            results = days_substitution(rows.get((point_id, factor), {}), point_id, factor, medium, tz, ordered, now,
                                        ooc)
            for (d_lo, d_hi), (result, revs) in zip(ordered, results):
                out[(point_id, factor, d_lo)] = result
                if revs is None:  # no capture rate for the quarter: the stored revisions are left as they are
                    continue
                replaced[(d_lo, d_hi)].append((point_id, factor))
                revisions.extend(revs)
    for (d_lo, d_hi), pairs in sorted(replaced.items()):  # one statement per day replaces its series' revisions
        for i in range(0, len(pairs), 500):
            conn.execute(delete(rv).where(tuple_(rv.c.point_id, rv.c.factor_code).in_(pairs[i:i + 500]),
                                          rv.c.period_start >= d_lo, rv.c.period_start < d_hi))
    upsert(conn, rv, revisions, ["point_id", "factor_code", "period_start", "field"])
    return out


def day_substitution(rows: Mapping[datetime, Mapping], point_id: int, factor: str, medium: str, tz: str,
                     day_lo: datetime, day_hi: datetime, now: datetime,
                     ooc: Sequence[tuple[datetime, datetime]] = ()) -> tuple[DaySubstitution, list[dict] | None]:
    """The substitution of one finished day of one substituted factor, from the factor's hourly_values rows
    keyed by hour start (at least ``LOOKBACK_HOURS`` before ``day_lo`` up to ``day_hi``; rows outside are
    ignored): the day's totals and its revisions rows (None: no capture rate for the quarter, the stored
    revisions are left as they are). ``ooc``: the out-of-control periods of a gas factor (a failed calibration
    until the next pass, :func:`out_of_control_periods`): their hours are invalid with that cause (HJ 75 §11
    substitution by cause); the quarter's capture rate is the stored validity's. No I/O: shared by the
    per-period and the bulk path."""
    lo = day_lo - timedelta(hours=LOOKBACK_HOURS)
    hours, t = [], lo
    while t < day_hi:
        r = rows.get(t)
        if not (r and r["excluded"]):  # stopped hours are not operating hours
            hours.append((t, r))
        t += timedelta(hours=1)
    valid = [bool(r and r["valid"]) for _, r in hours]
    field = "cou" if medium == "gas" or factor == "w00000" else "value"
    series = [(r[field] if r else None) for _, r in hours]
    if medium == "gas":
        q_lo = _quarter_start(day_lo.astimezone(ZoneInfo(tz))).astimezone(timezone.utc)
        in_quarter = [(t, r) for t, r in hours if t >= q_lo]
        quarter_hours = int((day_hi - q_lo) / timedelta(hours=1))
        stopped = quarter_hours - len(in_quarter)
        invalid = sum(1 for _t, r in in_quarter if not (r and r["valid"]))
        alpha = quarterly_capture_rate(quarter_hours, stopped, invalid)
        if alpha is None:
            return DaySubstitution(None, 0), None
        out, breaks = _out_of_control([t for t, _r in hours], ooc)
        valid = [v and not b for v, b in zip(valid, breaks)]
        causes = [None if v else "out_of_control" if o else ("maintenance" if r and r["mark_ids"] else "missing")
                  for v, o, (_t, r) in zip(valid, out, hours)]
        revisions = substitute_gas_emissions(series, valid, causes, alpha)
    else:
        revisions = substitute_water_values(series, valid, factor)
    todays = [rv for rv in revisions if hours[rv.index][0] >= day_lo]
    rows_out = [{"point_id": point_id, "factor_code": factor, "period_start": hours[rv.index][0], "field": field,
                 "original": rv.original, "substitute": rv.substitute, "rule_code": rv.rule_code,
                 "explanation": rv.explanation, "computed_at": now} for rv in todays]
    if field != "cou":
        return DaySubstitution(None, sum(1 for rv in todays if rv.substitute is not None)), rows_out
    day_valid = [x for (t, _r), x, v in zip(hours, series, valid) if t >= day_lo and v and x is not None]
    subs = [rv.substitute for rv in todays if rv.substitute is not None]
    total = sum(day_valid) + sum(subs) if (day_valid or subs) else None
    return DaySubstitution(total, len(subs)), rows_out


@lru_cache(maxsize=64)
def _hour_grid(lo: datetime, hi: datetime) -> tuple[datetime, ...]:
    """The hour starts from ``lo`` (included) to ``hi`` (excluded), shared by the series of one flush."""
    n = -(-(hi - lo) // timedelta(hours=1))
    hour = timedelta(hours=1)
    return tuple(lo + i * hour for i in range(n))


def days_substitution(rows: Mapping[datetime, Mapping], point_id: int, factor: str, medium: str, tz: str,
                      days: Sequence[tuple[datetime, datetime]], now: datetime,
                      ooc: Sequence[tuple[datetime, datetime]] = ()) -> list[tuple[DaySubstitution, list[dict] | None]]:
    """:func:`day_substitution` of each of ``days`` ((lo, hi) UTC bounds of local days, ascending) from the
    same ``rows``, with the per-hour work done once for all of them: the series, its gaps and the quarter's
    counts are built over the whole span, then each day takes its slice of the look-back and the rules run
    on the gaps that reach into that day only (the others' revisions are not the day's). Equal to calling
    :func:`day_substitution` day by day; the bulk recompute uses it."""
    if not days:
        return []
    hour = timedelta(hours=1)
    field = "cou" if medium == "gas" or factor == "w00000" else "value"
    grid_lo = days[0][0] - timedelta(hours=LOOKBACK_HOURS)
    grid = _hour_grid(grid_lo, days[-1][1])
    n = len(grid)
    # the hours of the grid, most of them often without a row (a point without history): filled from the rows
    # that fall on the grid (the others are not the series' hours), the rest stay missing
    placed: dict[int, Mapping] = {}
    for t, r in rows.items():
        i, rest = divmod(t - grid_lo, hour)
        if 0 <= i < n and not rest:
            placed[i] = r
    if any(r["excluded"] for r in placed.values()):  # stopped hours are not operating hours
        seq_r = [placed.get(i) for i in range(n)]
        kept = [(t, r) for t, r in zip(grid, seq_r) if not (r is not None and r["excluded"])]
        seq_t, seq_r = [t for t, _ in kept], [r for _, r in kept]
        valid = [r is not None and bool(r["valid"]) for r in seq_r]
        series = [None if r is None else r[field] for r in seq_r]
    else:
        seq_t = grid
        seq_r, valid, series = [None] * n, [False] * n, [None] * n
        for i, r in placed.items():
            seq_r[i], valid[i], series[i] = r, bool(r["valid"]), r[field]
    # the quarter's capture rate counts the stored validity
    invalid_before = list(accumulate(map(not_, valid), initial=0))
    causes = None
    if medium == "gas":
        if ooc:
            out, breaks = _out_of_control(seq_t, ooc)
            valid = [v and not b for v, b in zip(valid, breaks)]
            causes = [None if v else "out_of_control" if o else ("maintenance" if r and r["mark_ids"] else "missing")
                      for v, o, r in zip(valid, out, seq_r)]
        else:
            causes = [None if v else ("maintenance" if r and r["mark_ids"] else "missing")
                      for v, r in zip(valid, seq_r)]
    gaps = find_gaps(series, valid, causes)
    gap_stops = [g[1] for g in gaps]
    # the look-back windows of every day as slices of one index of the valid hours (HJ 75: running maxima)
    history = ValidHistory.of(series, valid) if medium == "gas" and gaps else None
    out: list[tuple[DaySubstitution, list[dict] | None]] = []
    for day_lo, day_hi in days:
        a = bisect_left(seq_t, day_lo - timedelta(hours=LOOKBACK_HOURS))
        k, b = bisect_left(seq_t, day_lo), bisect_left(seq_t, day_hi)
        if medium == "gas":
            q_lo = _quarter_start(day_lo.astimezone(ZoneInfo(tz))).astimezone(timezone.utc)
            q = bisect_left(seq_t, q_lo)
            quarter_hours = int((day_hi - q_lo) / hour)
            alpha = quarterly_capture_rate(quarter_hours, quarter_hours - (b - q), invalid_before[b] - invalid_before[q])
            if alpha is None:
                out.append((DaySubstitution(None, 0), None))
                continue
        day_gaps = []
        for g0, g1, cause in gaps[bisect_right(gap_stops, k):]:
            if g0 >= b:
                break
            day_gaps.append((max(g0, a) - a, min(g1, b) - a, cause))
        # the rules judge each gap whole and return the revisions of the day's hours only
        if medium == "gas":
            todays = substitute_gas_emissions(series[a:b], valid[a:b], causes[a:b], alpha, gaps=day_gaps,
                                              history=history, offset=a, emit_from=k - a)
        else:
            todays = substitute_water_values(series[a:b], valid[a:b], factor, gaps=day_gaps, emit_from=k - a)
        rows_out = [{"point_id": point_id, "factor_code": factor, "period_start": seq_t[a + rv.index], "field": field,
                     "original": rv.original, "substitute": rv.substitute, "rule_code": rv.rule_code,
                     "explanation": rv.explanation, "computed_at": now} for rv in todays]
        if field != "cou":
            out.append((DaySubstitution(None, sum(1 for rv in todays if rv.substitute is not None)), rows_out))
            continue
        day_valid = [x for x, v in zip(series[k:b], valid[k:b]) if v and x is not None]
        subs = [rv.substitute for rv in todays if rv.substitute is not None]
        total = sum(day_valid) + sum(subs) if (day_valid or subs) else None
        out.append((DaySubstitution(total, len(subs)), rows_out))
    return out
