"""Recompute derived hourly values for the hours that received minute data (late data included)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.rules.cn.hourly import MinuteRecord, hourly_from_minutes
from ecosentry.store import schema as s
from ecosentry.store.ingest import upsert_hourly

HourKey = tuple[int, str, datetime]  # (point id, factor, hour start in UTC)


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def local_hour_start(t: datetime, tz: str) -> datetime:
    """Start (UTC) of the clock hour of the point's time zone that contains ``t``."""
    local = t.astimezone(_zone(tz))
    return local.replace(minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def hours_touched(minutes: Iterable[tuple[int, str, datetime]], directory: PointDirectory) -> set[HourKey]:
    out: set[HourKey] = set()
    for point_id, factor, start in minutes:
        info = directory.by_id(point_id)
        out.add((point_id, factor, local_hour_start(start, info.tz if info else "UTC")))
    return out


def recompute_hours(engine: Engine, keys: Iterable[HourKey], directory: PointDirectory) -> int:
    """Recompute and store the given hours from the stored minute observations; returns hours written."""
    by_point: dict[int, set[HourKey]] = defaultdict(set)
    for k in keys:
        by_point[k[0]].add(k)
    now = datetime.now(timezone.utc)
    written = 0
    o = s.observations
    with engine.begin() as conn:
        for point_id, pkeys in by_point.items():
            info = directory.by_id(point_id)
            medium = "water" if info and info.medium == "water" else "gas"
            interval = info.min_interval if info else 1
            factors = sorted({k[1] for k in pkeys})
            lo = min(k[2] for k in pkeys)
            hi = max(k[2] for k in pkeys) + timedelta(hours=1)
            rows = conn.execute(
                select(o.c.factor_code, o.c.period_start, o.c.value, o.c.flag, o.c.zs_value, o.c.min, o.c.max,
                       o.c.cou)
                .where(o.c.point_id == point_id, o.c.kind == "min", o.c.factor_code.in_(factors),
                       o.c.period_start >= lo, o.c.period_start < hi))
            grouped: dict[tuple[str, datetime], list[MinuteRecord]] = defaultdict(list)
            for r in rows:
                hour = local_hour_start(r.period_start, info.tz if info else "UTC")
                if (point_id, r.factor_code, hour) in pkeys:
                    grouped[(r.factor_code, hour)].append(MinuteRecord(
                        start=r.period_start, value=r.value, flag=r.flag, zs_value=r.zs_value, min=r.min,
                        max=r.max, cou=r.cou))
            out = []
            for (_p, factor, hour) in pkeys:
                hv = hourly_from_minutes(grouped.get((factor, hour), []), medium=medium, interval_minutes=interval)
                out.append({"point_id": point_id, "factor_code": factor, "period_start": hour, "value": hv.value,
                            "zs_value": hv.zs_value, "min": hv.min, "max": hv.max, "cou": hv.cou, "flag": hv.flag,
                            "valid": hv.valid, "valid_minutes": hv.valid_minutes,
                            "received_minutes": hv.received_minutes, "n_records": hv.n_records,
                            "reason": hv.reason, "computed_at": now})
            out.sort(key=lambda r: (r["factor_code"], r["period_start"]))
            upsert_hourly(conn, out)
            written += len(out)
    return written
