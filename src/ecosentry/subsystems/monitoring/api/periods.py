"""Derived days and months, and the transmission / validity / effective transmission rates.

Scope: a point outside the principal's scope answers 404; the region rates sum only the principal's points.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from ecosentry.api.deps import Page, get_engine, paged, paging, plain_json
from ecosentry.subsystems.monitoring.api.points import get_point
from ecosentry.auth.deps import current_principal
from ecosentry.auth.principal import Principal
from ecosentry.api.timefmt import TimeZoneQuery, iso, parse_time, time_range_refused
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings, rates_from_counts, sum_counts
from ecosentry.store import schema as s
from ecosentry.store.queries.points import period_rows, rate_points
from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts

router = APIRouter(prefix="/api/v1", tags=["periods and rates"])


def _range(start: str | None, end: str | None, tz: str, default: timedelta) -> tuple[datetime, datetime]:
    t1 = parse_time(end, tz, "end") or datetime.now(timezone.utc)
    t0 = parse_time(start, tz, "start") or t1 - default
    if t0 >= t1:
        raise time_range_refused()
    return t0, t1


@router.get("/points/{point_id}/periods", summary="Derived daily or monthly values with validity and exceedance")
def periods(point_id: int, period: Literal["day", "month"] = "day", factor: str | None = None,
            start: str | None = None, end: str | None = None, tz: TimeZoneQuery = None,
            engine: Engine = Depends(get_engine), p: Page = Depends(paging),
            principal: Principal = Depends(current_principal)):
    pt = get_point(engine, point_id, principal)
    tz = tz or pt["tz"]
    t0, t1 = _range(start, end, tz, timedelta(days=31 if period == "day" else 366))
    with engine.connect() as conn:
        rows = period_rows(conn, point_id, period, t0, t1, factor)
    items = [{"factor": r["factor_code"], "period": r["period"], "start": iso(r["period_start"], tz),
              "value": r["value"], "zs_value": r["zs_value"], "cou": r["cou"], "valid": r["valid"],
              "n_valid": r["n_valid"], "n_received": r["n_received"], "n_expected": r["n_expected"],
              "reason": r["reason"], "exceeded": r["exceeded"], "multiple": r["multiple"],
              "limit": r["limit_value"]} for r in rows]
    return plain_json({**paged(items[p.offset:p.offset + p.page_size], len(items), p), "point_id": point_id,
                       "tz": tz})


@router.get("/points/{point_id}/rates",
            summary="Transmission rate, validity rate and effective transmission rate, with their counts")
def rates(point_id: int, start: str | None = None, end: str | None = None, tz: TimeZoneQuery = None,
          mode: Literal["backfilled", "realtime"] = Query("backfilled", description="补全 or 即时"),
          engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    """Per assessed factor and for the point, by summing the counts (never averaging rates), over the clock
    hours of [start, end) (default: the last 24 h). Only hours that ended, from the point's connection time
    (联网) on and before its decommission, are expected (:mod:`ecosentry.subsystems.monitoring.queries.rates`); an expected
    hour with no derived value counts as not received."""
    pt = get_point(engine, point_id, principal)
    tz = tz or pt["tz"]
    t0, t1 = _range(start, end, tz, timedelta(hours=24))
    t0 = t0.replace(minute=0, second=0, microsecond=0)
    settings = RateSettings()
    per = point_rate_counts(engine, point_id, t0, t1, tz, mode, settings)
    total = rates_from_counts(sum_counts([r.counts for _, r in per]), settings=settings, mode=mode) if per else None
    return {"point_id": point_id, "tz": tz, "start": iso(t0, tz), "end": iso(t1, tz), "mode": mode,
            "point": _rates_json(total) if total else None,
            "factors": [{"factor": f, **_rates_json(r)} for f, r in per]}


@router.get("/rates", summary="Rates of a region: per point, per enterprise and for the region, by summing counts")
def region_rates(region: str | None = Query(None, description="GB/T 2260 code: this region and below; all if absent"),
                 start: str | None = None, end: str | None = None, tz: TimeZoneQuery = "Asia/Shanghai",
                 mode: Literal["backfilled", "realtime"] = Query("backfilled", description="补全 or 即时"),
                 engine: Engine = Depends(get_engine), principal: Principal = Depends(current_principal)):
    t0, t1 = _range(start, end, tz, timedelta(hours=24))
    t0 = t0.replace(minute=0, second=0, microsecond=0)
    settings = RateSettings()
    with engine.connect() as conn:
        pts = rate_points(conn, principal.point_clause(s.points.c.id), region)
    points_out, by_ent, all_counts = [], {}, []
    for pt in pts:
        counts = [r.counts for _, r in point_rate_counts(engine, pt["id"], t0, t1, tz, mode, settings)]
        if not counts:
            continue
        c = sum_counts(counts)
        all_counts.append(c)
        by_ent.setdefault((pt["enterprise_id"], pt["enterprise_name"]), []).append(c)
        points_out.append({"point_id": pt["id"], "mn": pt["mn"], "name": pt["name"],
                           "enterprise_id": pt["enterprise_id"],
                           **_rates_json(rates_from_counts(c, settings=settings, mode=mode), hours=False)})
    ents = [{"enterprise_id": eid, "name": name,
             **_rates_json(rates_from_counts(sum_counts(cs), settings=settings, mode=mode), hours=False)}
            for (eid, name), cs in sorted(by_ent.items())]
    total = rates_from_counts(sum_counts(all_counts), settings=settings, mode=mode) if all_counts else None
    return {"region": region, "tz": tz, "start": iso(t0, tz), "end": iso(t1, tz), "mode": mode,
            "region_rates": _rates_json(total, hours=False) if total else None,
            "enterprises": ents, "points": points_out}


def _rates_json(r, hours: bool = True) -> dict:
    out = {"trans_rate": r.trans_rate, "effe_rate": r.effe_rate, "effe_trans_rate": r.effe_trans_rate,
           "counts": asdict(r.counts), "notes": list(r.notes)}
    if hours:
        out["hour_reasons"] = list(r.hour_reasons)
    return out
