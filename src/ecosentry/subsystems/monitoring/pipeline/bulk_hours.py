"""Hourly values of a :class:`~ecosentry.subsystems.monitoring.pipeline.minute_block.MinuteBlock`, in bulk.

The hour a minute belongs to, the group boundaries, the flag counts, valid minutes, roll-up flags, minima,
maxima and last receive times are numpy operations over the whole block; the means and sums use
:func:`math.fsum` per hour as :func:`~ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes`
does (HJ 212-2017 App. D.2 eq. (24)), and the reasons use its words. The results equal the per-hour rule's,
bit for bit (the equivalence test compares them row by row).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.monitoring.pipeline.minute_block import (
    NULL_COU, NULL_MAX, NULL_MIN, NULL_VALUE, NULL_ZS, UNIX_EPOCH, MinuteBlock, us_of)
from ecosentry.subsystems.monitoring.rules.cn.hourly import (
    MIN_VALID_MINUTES, MINUTES_PER_HOUR, VALID_FLAGS, HourlyValue, MinuteRecord, _check_interval)

HOUR_US = 3_600_000_000
QUARTER_US = HOUR_US // 4


def datetime_of(us: int) -> datetime:
    return UNIX_EPOCH + timedelta(microseconds=int(us))


@lru_cache(maxsize=256)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_hour_starts(start_us: np.ndarray, tz: str) -> np.ndarray:
    """Start (UTC, µs) of the clock hour of ``tz`` containing each instant, as
    :func:`~ecosentry.subsystems.monitoring.pipeline.hourly.local_hour_start` computes it: the zone's UTC
    offset is looked up once per UTC quarter-hour (every offset in use is a multiple of 15 min): for every
    quarter-hour between the first and the last instant when there are no more of them than instants, else
    for those present."""
    if start_us.size == 0:
        return start_us.copy()
    quarters = start_us // QUARTER_US
    zone = _zone(tz)
    first, last = int(quarters.min()), int(quarters.max())
    if last - first < max(start_us.size, 4096):  # no more look-ups than rows: a table of every quarter-hour
        # between them (a month is 2,976), indexed without sorting the rows
        table = np.array([int(datetime_of(q * QUARTER_US).astimezone(zone).utcoffset().total_seconds())
                          * 1_000_000 for q in range(first, last + 1)], dtype=np.int64)
        off = table[quarters - first]
    else:
        uniq, inverse = np.unique(quarters, return_inverse=True)
        offsets = np.array([int(datetime_of(int(q) * QUARTER_US).astimezone(zone).utcoffset().total_seconds())
                            * 1_000_000 for q in uniq], dtype=np.int64)
        off = offsets[inverse]
    return (start_us + off) // HOUR_US * HOUR_US - off


@dataclass
class HourGroups:
    """The block's rows grouped by (point, factor, hour): group ``g`` is rows ``starts[g]:ends[g]``."""

    point: np.ndarray
    fidx: np.ndarray
    hour_us: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    last_received_us: np.ndarray


def group_hours(block: MinuteBlock, tz: str) -> HourGroups:
    hour = local_hour_starts(block.start_us, tz)
    n = len(block)
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return HourGroups(e, e, e, e, e, e)
    change = np.ones(n, dtype=bool)
    change[1:] = (block.point[1:] != block.point[:-1]) | (block.fidx[1:] != block.fidx[:-1]) | (hour[1:] != hour[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    return HourGroups(block.point[starts], block.fidx[starts], hour[starts], starts, ends,
                      np.maximum.reduceat(block.received_us, starts))


def records_of(block: MinuteBlock, a: int, b: int) -> list[MinuteRecord]:
    """The rows ``a:b`` as the rule's records (NULLs back to None, the stored flag where not plain)."""
    point, fidx, start, nulls, plain = (getattr(block, n)[a:b].tolist() for n in (
        "point", "fidx", "start_us", "nulls", "plain"))
    value, zs, low, high, cou = (getattr(block, n)[a:b].tolist() for n in ("value", "zs_value", "min", "max", "cou"))
    factor_codes, flags = block.factors, block.flags
    out = []
    for i in range(b - a):
        k = nulls[i]
        flag = None if plain[i] else flags.get((point[i], factor_codes[fidx[i]], start[i]))
        out.append(MinuteRecord(
            start=datetime_of(start[i]), value=None if k & NULL_VALUE else value[i], flag=flag,
            zs_value=None if k & NULL_ZS else zs[i], min=None if k & NULL_MIN else low[i],
            max=None if k & NULL_MAX else high[i], cou=None if k & NULL_COU else cou[i]))
    return out


def normalised_flags(block: MinuteBlock) -> dict[int, str]:
    """Row → flag as the rule reads it (blanks stripped, empty = ``N``), for the rows that are not plain."""
    out = {}
    factor_codes = block.factors
    for i in np.flatnonzero(~block.plain).tolist():
        raw = block.flags.get((int(block.point[i]), factor_codes[int(block.fidx[i])], int(block.start_us[i])))
        out[i] = "N" if raw is None else (str(raw).strip() or "N")
    return out


def hourly_values(block: MinuteBlock, groups: HourGroups, medium_of_point: Mapping[int, str],
                  interval_of_point: Mapping[int, int]) -> list[HourlyValue]:
    """The :class:`HourlyValue` of every group, equal to ``hourly_from_minutes`` on the group's records.

    The counts of HJ 212-2017 Table 8 flags, valid minutes (HJ 76-2017 App. B), the flag roll-up of
    App. C and minima/maxima are array operations; means and sums use :func:`math.fsum` per group as the
    rule does; the reason of an invalid hour is assembled from its invalid records in time order, with the
    rule's words (``rules.cn.hourly._reason``)."""
    n_groups = groups.starts.size
    if n_groups == 0:
        return []
    for p in set(groups.point.tolist()):
        _check_interval(interval_of_point.get(p, 1))
    starts, ends = groups.starts, groups.ends
    norm = normalised_flags(block)
    n_rows = len(block)
    cat = np.zeros(n_rows, dtype=np.int8)  # 0 N, 1 S, 2 invalidating (F M D C T B or unknown)
    is_f = np.zeros(n_rows, dtype=bool)
    for i, f in norm.items():
        cat[i] = 0 if f == "N" else 1 if f == "S" else 2
        is_f[i] = f == "F"
    finite = np.isfinite(block.value)
    valid_row = (cat <= 1) & finite

    def per_group(mask: np.ndarray) -> np.ndarray:
        return np.add.reduceat(mask.astype(np.int64), starts)

    count = ends - starts
    n_valid, n_manual = per_group(valid_row), per_group(valid_row & (cat == 1))
    n_normal, n_set, n_stopped = per_group(cat == 0), per_group(cat == 1), per_group(is_f)
    interval = np.array([interval_of_point.get(int(p), 1) for p in groups.point], dtype=np.int64)
    valid_minutes = np.minimum(n_valid * interval, MINUTES_PER_HOUR)
    received_minutes = np.minimum(count * interval, MINUTES_PER_HOUR)
    manual_minutes = np.minimum(n_manual * interval, MINUTES_PER_HOUR)
    all_stopped = n_stopped == count
    is_valid = ~all_stopped & (valid_minutes >= MIN_VALID_MINUTES)
    # first invalidating record of each group in time order (wastewater flag roll-up)
    big = np.iinfo(np.int64).max
    first_bad = np.minimum.reduceat(np.where(cat == 2, np.arange(n_rows), big), starts)
    lows = np.where(valid_row, np.where(np.isfinite(block.min), block.min, block.value), np.inf)
    highs = np.where(valid_row, np.where(np.isfinite(block.max), block.max, block.value), -np.inf)
    group_min = np.minimum.reduceat(lows, starts).tolist()
    group_max = np.maximum.reduceat(highs, starts).tolist()
    zs_ok = valid_row & np.isfinite(block.zs_value)
    cou_ok = np.isfinite(block.cou)
    n_zs, n_cou = per_group(zs_ok).tolist(), per_group(cou_ok).tolist()
    fsum = math.fsum
    value_col, zs_col, cou_col = block.value, block.zs_value, block.cou
    water = [medium_of_point.get(p) == "water" for p in groups.point.tolist()]
    out: list[HourlyValue] = []
    for g, (a, b, n, k_valid, k_n, k_s, stopped, ok, vm, rm, mm, k_zs, k_cou, bad) in enumerate(zip(
            starts.tolist(), ends.tolist(), count.tolist(), n_valid.tolist(), n_normal.tolist(), n_set.tolist(),
            all_stopped.tolist(), is_valid.tolist(), valid_minutes.tolist(), received_minutes.tolist(),
            manual_minutes.tolist(), n_zs, n_cou, first_bad.tolist())):
        if stopped:
            flag = "F"
        elif water[g]:
            flag = norm[bad] if bad != big else ("S" if k_s else "N")
        elif 4 * k_n > 3 * n:
            flag = "N"
        elif k_s and 4 * (k_n + k_s) > 3 * n:
            flag = "S"
        else:
            flag = "D"
        if stopped:
            reason = "stopped (all F)" + (f"; manual S minutes {mm}" if mm else "")
        elif ok:
            reason = f"manual S minutes {mm}" if mm else None
        else:
            reason = _invalid_reason(norm, valid_row, a, b, vm, rm, mm, int(interval[g]))
        if k_valid == n:
            value = fsum(value_col[a:b].tolist()) / n
        elif k_valid:
            value = fsum(value_col[a:b][valid_row[a:b]].tolist()) / k_valid
        else:
            value = None
        if k_zs == n:
            zs_value = fsum(zs_col[a:b].tolist()) / n
        elif k_zs:
            zs_value = fsum(zs_col[a:b][zs_ok[a:b]].tolist()) / k_zs
        else:
            zs_value = None
        if k_cou == n:
            cou_sum = fsum(cou_col[a:b].tolist())
        elif k_cou:
            cou_sum = fsum(cou_col[a:b][cou_ok[a:b]].tolist())
        else:
            cou_sum = None
        out.append(HourlyValue(value=value, zs_value=zs_value, min=group_min[g] if k_valid else None,
                               max=group_max[g] if k_valid else None, cou=cou_sum, flag=flag, valid=ok,
                               valid_minutes=vm, received_minutes=rm, n_records=n, reason=reason,
                               manual_minutes=mm))
    return out


def _invalid_reason(norm: dict[int, str], valid_row: np.ndarray, a: int, b: int, valid_minutes: int,
                    received_minutes: int, manual_minutes: int, interval: int) -> str:
    """The reason ``hourly_from_minutes`` gives an invalid hour that is not all F, from the same counts."""
    fragments = [f"valid minutes {valid_minutes} < {MIN_VALID_MINUTES}"]
    by_flag: dict[str, int] = {}
    no_value = 0
    for i in (a + np.flatnonzero(~valid_row[a:b])).tolist():
        f = norm.get(i, "N")
        if f in VALID_FLAGS:
            no_value += interval
        else:
            by_flag[f] = by_flag.get(f, 0) + interval
    fragments.extend(f"{f} {m} min" for f, m in by_flag.items())
    if no_value:
        fragments.append(f"no value {no_value} min")
    missing = MINUTES_PER_HOUR - received_minutes
    if missing > 0:
        fragments.append(f"missing {missing} min")
    if manual_minutes:
        fragments.append(f"manual S minutes {manual_minutes}")
    return "; ".join(fragments)


def hour_of_us(us: int) -> datetime:
    """The hour start as the per-period path keys it (UTC-aware)."""
    return datetime_of(us).replace(tzinfo=timezone.utc)


__all__ = ["HourGroups", "group_hours", "hourly_values", "local_hour_starts", "records_of", "datetime_of", "us_of"]
