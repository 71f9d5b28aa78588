"""Offline audit computation: hourly, daily and monthly values and transmission rates from CSV files.

This module only **wires** the pure rule modules together; it contains no rule of its own beyond the
mark mapping and the choices listed below. Rules used:

* gas hour — :func:`ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes` (≥ 45 valid minutes);
* gas day / month — :func:`ecosentry.subsystems.monitoring.rules.cn.aggregates.daily_from_hours` (≥ 20 valid hours) and
  :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.monthly_from_days` (≥ 25 valid days, February ≥ 23);
* water hour / day — :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.water_hourly_from_cycles` (≥ 1 valid cycle)
  and :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.water_daily_from_hours` (≥ 75 % of the expected hours);
* rates — :func:`ecosentry.subsystems.monitoring.rules.cn.rates.count_slots`, :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.sum_counts`,
  :func:`~ecosentry.subsystems.monitoring.rules.cn.rates.rates_from_counts`: the per-point rates are computed from the
  **summed counts** of its factors, never by averaging rates (reference notes §1.4).

Marks (``marks.csv``: ``point,factor,type,start,end``)
-----------------------------------------------------
An empty ``factor`` applies the mark to every factor of the point. A mark affects a clock hour when it
overlaps that hour by **at least one minute**; it then affects the **whole** hour (the hour is the unit
of validity, reference notes §1.1). A mark overlapping an hour by less than one minute is ignored for
that hour. Mapping, after /work/shared/reference/china-vietnam-rules.md:

====================== ===========================================================================
type                   effect on the hour
====================== ===========================================================================
maintenance            invalid, reason ``"marked maintenance"`` (§1.2 "自动监测设备维护 … become
                       invalid groups"; §1.4 S excludes hours under 维护/校准/故障/通讯中断; §2.4 item 2)
calibration            invalid, reason ``"marked calibration"`` (same sources)
fault                  invalid, reason ``"marked fault"`` (same sources)
comm_interruption      invalid, reason ``"marked comm_interruption"`` (§1.4, §2.4)
stopped                :attr:`HourSlot.stopped <ecosentry.subsystems.monitoring.rules.cn.rates.HourSlot>`: the hour leaves
                       the rate period (§1.2 "停运 … 不计入有效传输率统计时段", §1.4 ``H_stop``); it is
                       **not judged** (``valid`` empty, reason ``"marked stopped"``) and leaves the
                       day's expected hours.
standard_sample_check  invalid, reason ``"marked standard_sample_check"`` (§2.4 item 2) **and**
                       :attr:`HourSlot.exempt_standard_sample`: at most one such hour per day leaves the
                       validity denominator (``NOS``, §1.2, §1.4). The rates module applies the exemption
                       only to COD/NH3-N/TP/TN when the factor is an HJ 212 code (letter + 5 digits);
                       other factor names are passed without a code and the mark is trusted.
====================== ===========================================================================

A stopped mark wins over the others on the same hour. Invalidating reasons of several marks are joined
with ``"; "`` and followed by the data's own reason (if any).

Other choices
-------------
* **Hours computed** (periods.csv): every clock hour from local midnight of the first local day in the
  input to the end of the last local day, for every point × factor seen (the same span for all of them).
* **Expected hours** (rates): :func:`ecosentry.subsystems.monitoring.rules.cn.rates.expected_hours`, the same rule as the
  platform's: the whole clock hours of the period (``--from`` … ``--to``, default the span above) from
  the point's connection time (``--connected POINT=TIME``; not given: the clock hour of the point's first
  record, as the platform falls back to its first data) to ``now`` (hours not ended yet are not expected).
* **Received**: an hour with at least one record (whatever its flag or value). There is no back-fill
  information in a CSV, so the rates are the 补全 (``mode="backfilled"``) rates.
* **Water hours**: values are grouped by clock hour; ``--interval`` fixes the cycles expected per hour
  (10 → 6, 60 → 1). A cycle is valid when its flag is N or S (or empty) and it has a value. The hourly
  and daily concentration is **flow-weighted** (HJ 212-2017 App. D.1) when the point has a flow factor
  ``w00000`` (L/s; slice volume = Q · interval · 60 s · 10⁻³ m³; a cycle with no flow value at the
  same time has no volume and is invalid); the day weights each hour by the volume of its valid
  cycles, so day load = Σ hour loads. Otherwise, and always for pH
  (``w01001``) and the flow itself, the arithmetic mean (App. D.1 alternative 算术平均法) is used.
* **Water month**: :func:`~ecosentry.subsystems.monitoring.rules.cn.aggregates.monthly_from_days` with the 75 % completeness
  of reference notes §2.3 ([R] UNCONFIRMED): valid days ≥ ⌈0.75 × days in month⌉, arithmetic mean of the
  valid daily values.
* **Gas day with stopped hours**: the stopped hours are left out of ``n_expected``; the 20-valid-hour
  rule is kept. A day (or month) with nothing left to judge has ``valid`` empty.
* A 标样核查 (standard-sample) hour stays in the water day's expected hours as an invalid hour (the
  exemption is a rate rule, §1.2; with 24 or 23 expected hours the 75 % rule needs 18 either way).
* Duplicate records (same point, factor, time) keep the first in file order (as the rule modules do).
* Months are reported for every month touched by the input; a partial month is judged against its
  calendar days (so it is usually invalid: the auditor sees why in ``reason``).

References
----------
.. [1] /work/shared/reference/china-vietnam-rules.md §1.1, §1.2, §1.4, §2.1, §2.3, §2.4.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Iterable, Literal, Sequence

from ecosentry.subsystems.monitoring.offline.csvio import DataRow, Mark
from ecosentry.subsystems.monitoring.rules.cn.aggregates import (
    HourValue,
    daily_from_hours,
    monthly_from_days,
    water_daily_from_hours,
    water_hourly_from_cycles,
)
from ecosentry.subsystems.monitoring.rules.cn.hourly import MinuteRecord, VALID_FLAGS, hourly_from_minutes
from ecosentry.subsystems.monitoring.rules.cn.rates import (
    expected_hours,
    HourSlot,
    RateCounts,
    RateSettings,
    Rates,
    count_slots,
    rates_from_counts,
    sum_counts,
)

__all__ = [
    "PeriodRow",
    "AuditResult",
    "INVALIDATING_MARKS",
    "PERIOD_COLUMNS",
    "collect",
    "compute",
    "rates_to_json",
]

Kind = Literal["gas", "water"]

#: Mark types that make an hour invalid (reference notes §1.4, §2.4).
INVALIDATING_MARKS = frozenset(
    {"maintenance", "calibration", "fault", "comm_interruption", "standard_sample_check"}
)
#: Columns of periods.csv.
PERIOD_COLUMNS = (
    "point", "factor", "period", "start", "value", "valid", "reason",
    "n_valid", "n_received", "n_expected", "unit", "zs_value", "cou", "flag",
)
FLOW_FACTOR = "w00000"
PH_FACTOR = "w01001"
MIN_OVERLAP = timedelta(minutes=1)
_CODE = re.compile(r"[a-z]\d{5}")


@dataclass
class PeriodRow:
    """One line of periods.csv; ``valid`` ``None`` = not judged (stopped)."""

    point: str
    factor: str
    period: Literal["hour", "day", "month"]
    start: datetime
    value: float | None
    valid: bool | None
    reason: str | None
    n_valid: int
    n_received: int
    n_expected: int
    unit: str
    zs_value: float | None = None
    cou: float | None = None
    flag: str | None = None

    def as_csv(self) -> list[str]:
        return [
            self.point, self.factor, self.period, self.start.isoformat(), _num(self.value),
            "" if self.valid is None else ("true" if self.valid else "false"), self.reason or "",
            str(self.n_valid), str(self.n_received), str(self.n_expected), self.unit,
            _num(self.zs_value), _num(self.cou), self.flag or "",
        ]


@dataclass
class AuditResult:
    """Rows of periods.csv and the rates per point and factor."""

    rows: list[PeriodRow] = field(default_factory=list)
    factor_counts: dict[tuple[str, str], RateCounts] = field(default_factory=dict)
    settings: RateSettings = RateSettings()


def _num(x: float | None) -> str:
    return "" if x is None else repr(float(x))


# --------------------------------------------------------------------------- collecting


def collect(rows: Iterable[DataRow]) -> dict[tuple[str, str], dict[datetime, list[DataRow]]]:
    """Group rows per (point, factor) and local clock hour, keeping file order inside an hour."""
    groups: dict[tuple[str, str], dict[datetime, list[DataRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        groups[(r.point, r.factor)][r.time.replace(minute=0, second=0, microsecond=0)].append(r)
    return groups


def _hours_span(first: date, last: date, zone: tzinfo) -> list[datetime]:
    """Every local clock hour from ``first`` 00:00 to the end of ``last`` (DST-safe, via UTC)."""
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(timezone.utc)
    nxt = last + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(timezone.utc)
    hours = []
    t = start
    while t < end:
        hours.append(t.astimezone(zone))
        t += timedelta(hours=1)
    return hours


def _marks_for_hour(marks: Sequence[Mark], hour: datetime) -> list[Mark]:
    end = hour + timedelta(hours=1)
    return [m for m in marks if min(m.end, end) - max(m.start, hour) >= MIN_OVERLAP]


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


# --------------------------------------------------------------------------- main entry


def compute(
    groups: dict[tuple[str, str], dict[datetime, list[DataRow]]],
    *,
    kind: Kind,
    zone: tzinfo,
    interval: int = 1,
    marks: Sequence[Mark] = (),
    settings: RateSettings = RateSettings(),
    on_series: Callable[[], None] | None = None,
    period: tuple[datetime, datetime] | None = None,
    connected: dict[str, datetime] | None = None,
    now: datetime | None = None,
) -> AuditResult:
    """Compute every period row and the rate counts.

    Parameters
    ----------
    groups : from :func:`collect`
    kind : {"gas", "water"}
    zone : tzinfo
        Audit zone (the grouping zone of the ``groups`` keys).
    interval : int
        Minutes per record (gas MinInterval, or water cycle length).
    marks : sequence of Mark
    settings : RateSettings
    on_series : callable or None
        Called after each point × factor (progress).
    period : (datetime, datetime) or None
        Statistics period of the rates ``[start, end)``, aware; default: the span of the input's local days.
    connected : dict or None
        Point → connection time (联网, aware); a point not in it is connected at the clock hour of its
        first record.
    now : datetime or None
        Hours not ended by ``now`` are not expected (default: no cap).

    Raises
    ------
    ValueError
        From the rule modules (e.g. more cycles in an hour than ``60 // interval``).
    """
    if kind not in ("gas", "water"):
        raise ValueError(f"kind must be 'gas' or 'water', not {kind!r}")
    result = AuditResult(settings=settings)
    if not groups:
        return result
    all_hours = [h for series in groups.values() for h in series]
    first_day, last_day = min(all_hours).date(), max(all_hours).date()
    if period is not None:  # the period's hours are computed too (an hour without data is not received)
        first_day = min(first_day, period[0].astimezone(zone).date())
        last_day = max(last_day, (period[1] - timedelta(microseconds=1)).astimezone(zone).date())
    hours = _hours_span(first_day, last_day, zone)
    span = period or (hours[0], hours[-1] + timedelta(hours=1))
    first_hour: dict[str, datetime] = {}
    for (point, _f), series in groups.items():
        first_hour[point] = min([*series, first_hour.get(point, max(series))])
    far = datetime.max.replace(tzinfo=timezone.utc)
    expected = {point: set(expected_hours(span[0], span[1], now=now or far,
                                          connected_at=(connected or {}).get(point, first)))
                for point, first in first_hour.items()}

    flows: dict[str, dict[datetime, float | None]] = {}
    if kind == "water":
        for (point, factor), series in groups.items():
            if factor == FLOW_FACTOR:
                flows[point] = {}
                for rows in series.values():
                    for r in rows:
                        flows[point].setdefault(r.time, r.value)

    for (point, factor) in sorted(groups):
        series = groups[(point, factor)]
        series_marks = [m for m in marks if m.point == point and (m.factor is None or m.factor == factor)]
        if kind == "gas":
            hour_rows = [_gas_hour(point, factor, h, series.get(h, []), series_marks, interval) for h in hours]
        else:
            hour_rows = [
                _water_hour(point, factor, h, series.get(h, []), series_marks, interval, flows.get(point))
                for h in hours
            ]
        slots = [slot for row, slot, _ in hour_rows if row.start in expected[point]]
        code = factor if _CODE.fullmatch(factor) else None
        counts, _ = count_slots(slots, mode="backfilled", settings=settings, factor_code=code)
        result.factor_counts[(point, factor)] = counts

        result.rows.extend(row for row, _, _ in hour_rows)
        day_rows = _days(point, factor, hour_rows, kind, zone, flow_weighted=_flow_weighted(kind, factor, point, flows))
        result.rows.extend(day_rows)
        result.rows.extend(_months(point, factor, day_rows, kind, zone))
        if on_series is not None:
            on_series()
    order = {"hour": 0, "day": 1, "month": 2}
    result.rows.sort(key=lambda r: (r.point, r.factor, order[r.period], r.start))
    return result


def _flow_weighted(kind: Kind, factor: str, point: str, flows: dict) -> bool:
    return kind == "water" and point in flows and factor not in (FLOW_FACTOR, PH_FACTOR)


# --------------------------------------------------------------------------- hours


def _apply_marks(
    valid: bool, reason: str | None, hour_marks: list[Mark]
) -> tuple[bool | None, str | None, bool, bool]:
    """→ (valid or None when stopped, reason, stopped, exempt)."""
    types = list(dict.fromkeys(m.type for m in hour_marks))
    if "stopped" in types:
        return None, _join("marked stopped", reason), True, False
    bad = [t for t in types if t in INVALIDATING_MARKS]
    if bad:
        return False, _join(*(f"marked {t}" for t in bad), reason), False, "standard_sample_check" in bad
    return valid, reason, False, False


def _gas_hour(
    point: str, factor: str, hour: datetime, rows: list[DataRow], marks: Sequence[Mark], interval: int
) -> tuple[PeriodRow, HourSlot, Any]:
    records = [MinuteRecord(start=r.time, value=r.value, flag=r.flag, zs_value=r.zs_value) for r in rows]
    hv = hourly_from_minutes(records, medium="gas", interval_minutes=interval)
    received = hv.n_records > 0
    valid, reason, stopped, exempt = _apply_marks(hv.valid, hv.reason, _marks_for_hour(marks, hour))
    if not received and not stopped:
        valid = False
    row = PeriodRow(
        point, factor, "hour", hour, hv.value, valid, reason, hv.valid_minutes, hv.received_minutes,
        60, "min", hv.zs_value, hv.cou, hv.flag,
    )
    slot = HourSlot(
        start=hour, received=received, valid=bool(valid) and received, stopped=stopped,
        exempt_standard_sample=exempt, reason=reason,
    )
    hour_value = HourValue(start=hour, value=hv.value, valid=bool(valid), zs_value=hv.zs_value, cou=hv.cou, flag=hv.flag)
    return row, slot, hour_value


def _water_hour(
    point: str,
    factor: str,
    hour: datetime,
    rows: list[DataRow],
    marks: Sequence[Mark],
    interval: int,
    flow: dict[datetime, float | None] | None,
) -> tuple[PeriodRow, HourSlot, Any]:
    unique: dict[datetime, DataRow] = {}
    for r in rows:
        unique.setdefault(r.time, r)
    cycles = [unique[t] for t in sorted(unique)]
    n_expected = 60 // interval
    if len(cycles) > n_expected:
        raise ValueError(
            f"{point} {factor}: hour {hour.isoformat()} has {len(cycles)} values, more than the "
            f"{n_expected} expected at --interval {interval} (first at line {cycles[0].line})"
        )
    values = [r.value for r in cycles]
    ok = [(r.flag or "N") in VALID_FLAGS for r in cycles]
    weighted = flow is not None and factor not in (FLOW_FACTOR, PH_FACTOR)
    if weighted:
        volumes = [_volume(flow.get(r.time), interval) for r in cycles]
    else:
        volumes = [_volume(r.value, interval) if factor == FLOW_FACTOR else None for r in cycles]
    pv = water_hourly_from_cycles(values, volumes, ok, n_expected=n_expected, ph=not weighted)
    received = pv.n_received > 0
    valid, reason, stopped, exempt = _apply_marks(pv.valid, pv.reason, _marks_for_hour(marks, hour))
    if not received and not stopped:
        valid = False
    cou = pv.cou if weighted else None
    row = PeriodRow(
        point, factor, "hour", hour, pv.value, valid, reason, pv.n_valid, pv.n_received, n_expected,
        "cycle", None, cou, None,
    )
    slot = HourSlot(
        start=hour, received=received, valid=bool(valid) and received, stopped=stopped,
        exempt_standard_sample=exempt, reason=reason,
    )
    volume = pv.volume if factor == FLOW_FACTOR else (_sum_volumes(volumes, values, ok) if weighted else None)
    return row, slot, (pv.value, volume, bool(valid))


def _volume(q: float | None, interval: int) -> float | None:
    """Slice volume D = Q · T · 10⁻³ [m³] for a flow Q [L/s] over ``interval`` minutes."""
    return None if q is None else q * interval * 60 * 1e-3


def _sum_volumes(volumes, values, ok) -> float | None:
    """Volume of the valid slices (the weight of the hour in the flow-weighted day)."""
    vs = [d for d, c, k in zip(volumes, values, ok) if k and d is not None and c is not None]
    return math.fsum(vs) if vs else None


# --------------------------------------------------------------------------- days and months


def _days(
    point: str, factor: str, hour_rows: list, kind: Kind, zone: tzinfo, *, flow_weighted: bool
) -> list[PeriodRow]:
    by_day: dict[date, list] = defaultdict(list)
    for row, slot, payload in hour_rows:
        by_day[row.start.date()].append((row, slot, payload))
    out = []
    for day, items in sorted(by_day.items()):
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        judged = [(row, payload) for row, slot, payload in items if not slot.stopped]
        received = [(row, payload) for row, payload in judged if row.n_received > 0]
        n_expected = len(judged)
        if n_expected == 0:
            out.append(PeriodRow(point, factor, "day", start, None, None, "marked stopped (whole day)", 0, 0, 0, "h"))
            continue
        if kind == "gas":
            pv = daily_from_hours([p for _, p in received], n_expected=n_expected)
            zs = pv.zs_value
        else:
            values = [p[0] for _, p in received]
            volumes = [p[1] for _, p in received]
            valid = [p[2] for _, p in received]
            pv = water_daily_from_hours(values, volumes, valid, n_expected=n_expected, ph=not flow_weighted)
            zs = None
        out.append(PeriodRow(
            point, factor, "day", start, pv.value, pv.valid, pv.reason, pv.n_valid, pv.n_received,
            pv.n_expected, "h", zs, pv.cou,
        ))
    return out


def _months(point: str, factor: str, day_rows: list[PeriodRow], kind: Kind, zone: tzinfo) -> list[PeriodRow]:
    by_month: dict[tuple[int, int], list[PeriodRow]] = defaultdict(list)
    for row in day_rows:
        by_month[(row.start.year, row.start.month)].append(row)
    out = []
    for (year, month), rows in sorted(by_month.items()):
        start = datetime(year, month, 1, tzinfo=zone)
        judged = [r for r in rows if r.valid is not None]
        if not judged:
            out.append(PeriodRow(point, factor, "month", start, None, None, "marked stopped (whole month)", 0, 0, 0, "d"))
            continue
        days = [HourValue(start=r.start, value=r.value, valid=bool(r.valid), zs_value=r.zs_value, cou=r.cou) for r in judged]
        if kind == "gas":
            pv = monthly_from_days(days, year=year, month=month)
        else:
            n = calendar.monthrange(year, month)[1]
            pv = monthly_from_days(
                days, year=year, month=month, min_valid_days=math.ceil(0.75 * n - 1e-9),
                min_valid_days_february=math.ceil(0.75 * n - 1e-9),
            )
        out.append(PeriodRow(
            point, factor, "month", start, pv.value, pv.valid, pv.reason, pv.n_valid, pv.n_received,
            pv.n_expected, "d", pv.zs_value if kind == "gas" else None, pv.cou,
        ))
    return out


# --------------------------------------------------------------------------- rates.json


def _rates_dict(rates: Rates) -> dict:
    c = rates.counts
    return {
        "transmission_rate": rates.trans_rate,
        "validity_rate": rates.effe_rate,
        "effective_transmission_rate": rates.effe_trans_rate,
        "counts": {
            "hours": c.hours,
            "stopped": c.stopped,
            "expected": c.expected,
            "received": c.received,
            "expected_groups": c.expected_groups,
            "valid_groups": c.valid_groups,
            "excluded_groups": c.excluded_groups,
        },
        "arithmetic": {
            "transmission_rate": f"{c.received}/{c.expected}",
            "validity_rate": f"{c.valid_groups}/({c.expected_groups}-{c.excluded_groups})",
            "effective_transmission_rate": "transmission_rate * validity_rate",
        },
        "notes": list(rates.notes),
    }


def rates_to_json(result: AuditResult, *, kind: str, tz: str, interval: int, first: str | None, last: str | None) -> dict:
    """The rates.json document: per point, per factor and the point total from summed counts."""
    points: dict[str, dict] = {}
    by_point: dict[str, list[str]] = defaultdict(list)
    for point, factor in sorted(result.factor_counts):
        by_point[point].append(factor)
    for point, factors in by_point.items():
        per_factor = {
            f: _rates_dict(rates_from_counts(result.factor_counts[(point, f)], settings=result.settings, mode="backfilled"))
            for f in factors
        }
        total = sum_counts([result.factor_counts[(point, f)] for f in factors])
        points[point] = {
            "factors": per_factor,
            "total": _rates_dict(rates_from_counts(total, settings=result.settings)),
        }
    return {
        "kind": kind,
        "tz": tz,
        "interval_minutes": interval,
        "mode": "backfilled",
        "validity_denominator": result.settings.validity_denominator,
        "period": {"first_day": first, "last_day": last},
        "aggregation": "point total = rates of the summed counts of its factors (never averaged rates)",
        "points": points,
    }
