"""Hourly values of a :class:`~ecosentry.subsystems.monitoring.pipeline.minute_block.MinuteBlock`, in bulk.

The hour a minute belongs to, the group boundaries, the counts, minima, maxima and last receive times are
numpy operations over the whole block. An hour whose records are all plain ``N`` with a value and that has
≥ 45 valid minutes (HJ 76-2017 App. B) — the usual hour — is rolled up here: value, 折算 value and ``-Cou``
with :func:`math.fsum` exactly as :func:`~ecosentry.subsystems.monitoring.rules.cn.hourly.hourly_from_minutes`
does (HJ 212-2017 App. D.2 eq. (24)), flag ``N``, no reason. Every other hour (a flag other than ``N``, a
missing value, too few minutes) goes to :func:`hourly_from_minutes` itself with its records, so the flags,
validity and reasons are the rule's own. The results equal the per-hour rule's, bit for bit.
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
    MIN_VALID_MINUTES, MINUTES_PER_HOUR, HourlyValue, MinuteRecord, hourly_from_minutes)

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
    offset is looked up once per UTC quarter-hour present (every offset in use is a multiple of 15 min)."""
    if start_us.size == 0:
        return start_us.copy()
    quarters = start_us // QUARTER_US
    uniq, inverse = np.unique(quarters, return_inverse=True)
    zone = _zone(tz)
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


def hourly_values(block: MinuteBlock, groups: HourGroups, medium_of_point: Mapping[int, str],
                  interval_of_point: Mapping[int, int]) -> list[HourlyValue]:
    """The :class:`HourlyValue` of every group, equal to ``hourly_from_minutes`` on the group's records."""
    n_groups = groups.starts.size
    if n_groups == 0:
        return []
    starts, ends = groups.starts, groups.ends
    count = ends - starts
    ok = block.plain & np.isfinite(block.value)
    n_ok = np.add.reduceat(ok.astype(np.int64), starts)
    interval = np.array([interval_of_point.get(int(p), 1) for p in groups.point], dtype=np.int64)
    minutes = np.minimum(count * interval, MINUTES_PER_HOUR)
    simple = (n_ok == count) & (minutes >= MIN_VALID_MINUTES)
    # over the simple groups every record is valid: lows/highs are -Min/-Max where sent, else the value
    lows = np.where(np.isfinite(block.min), block.min, block.value)
    highs = np.where(np.isfinite(block.max), block.max, block.value)
    group_min = np.minimum.reduceat(lows, starts).tolist()
    group_max = np.maximum.reduceat(highs, starts).tolist()
    zs_ok = np.isfinite(block.zs_value)
    cou_ok = np.isfinite(block.cou)
    n_zs = np.add.reduceat(zs_ok.astype(np.int64), starts).tolist()
    n_cou = np.add.reduceat(cou_ok.astype(np.int64), starts).tolist()
    fsum = math.fsum
    value_col, zs_col, cou_col = block.value, block.zs_value, block.cou
    out: list[HourlyValue] = []
    for g, (a, b, is_simple, m, k_zs, k_cou) in enumerate(zip(starts.tolist(), ends.tolist(), simple.tolist(),
                                                              minutes.tolist(), n_zs, n_cou)):
        if not is_simple:
            medium = "water" if medium_of_point.get(int(groups.point[g])) == "water" else "gas"
            out.append(hourly_from_minutes(records_of(block, a, b), medium=medium,
                                           interval_minutes=interval_of_point.get(int(groups.point[g]), 1)))
            continue
        n = b - a
        if k_zs == n:
            zs_value = fsum(zs_col[a:b].tolist()) / n
        elif k_zs:
            zs_value = fsum([x for x in zs_col[a:b].tolist() if math.isfinite(x)]) / k_zs
        else:
            zs_value = None
        if k_cou == n:
            cou_sum = fsum(cou_col[a:b].tolist())
        elif k_cou:
            cou_sum = fsum([x for x in cou_col[a:b].tolist() if math.isfinite(x)])
        else:
            cou_sum = None
        out.append(HourlyValue(value=fsum(value_col[a:b].tolist()) / n, zs_value=zs_value, min=group_min[g], max=group_max[g],
                               cou=cou_sum, flag="N", valid=True, valid_minutes=m, received_minutes=m,
                               n_records=n, reason=None, manual_minutes=0))
    return out


def hour_of_us(us: int) -> datetime:
    """The hour start as the per-period path keys it (UTC-aware)."""
    return datetime_of(us).replace(tzinfo=timezone.utc)


__all__ = ["HourGroups", "group_hours", "hourly_values", "local_hour_starts", "records_of", "datetime_of", "us_of"]
