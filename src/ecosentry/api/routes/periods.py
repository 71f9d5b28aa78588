"""Derived days and months, and the transmission / validity / effective transmission rates."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import Engine, select

from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.api.routes.points import get_point
from ecosentry.api.timefmt import iso, parse_time, zone
from ecosentry.rules.cn.rates import HourSlot, RateSettings, compute_rates, rates_from_counts, sum_counts
from ecosentry.store import schema as s

router = APIRouter(prefix="/api/v1", tags=["periods and rates"])


def _range(start: str | None, end: str | None, tz: str, default: timedelta) -> tuple[datetime, datetime]:
    t1 = parse_time(end, tz, "end") or datetime.now(timezone.utc)
    t0 = parse_time(start, tz, "start") or t1 - default
    if t0 >= t1:
        raise HTTPException(422, "start must be before end")
    return t0, t1


@router.get("/points/{point_id}/periods", summary="Derived daily or monthly values with validity and exceedance")
def periods(point_id: int, period: Literal["day", "month"] = "day", factor: str | None = None,
            start: str | None = None, end: str | None = None, tz: str | None = None,
            engine: Engine = Depends(get_engine), p: Page = Depends(paging)):
    pt = get_point(engine, point_id)
    tz = tz or pt["tz"]
    t0, t1 = _range(start, end, tz, timedelta(days=31 if period == "day" else 366))
    d = s.derived_periods
    where = [d.c.point_id == point_id, d.c.period == period, d.c.period_start >= t0, d.c.period_start < t1]
    if factor:
        where.append(d.c.factor_code == factor)
    with engine.connect() as conn:
        rows = conn.execute(select(d).where(*where).order_by(d.c.factor_code, d.c.period_start)).mappings().all()
    items = [{"factor": r["factor_code"], "period": r["period"], "start": iso(r["period_start"], tz),
              "value": r["value"], "zs_value": r["zs_value"], "cou": r["cou"], "valid": r["valid"],
              "n_valid": r["n_valid"], "n_received": r["n_received"], "n_expected": r["n_expected"],
              "reason": r["reason"], "exceeded": r["exceeded"], "multiple": r["multiple"],
              "limit": r["limit_value"]} for r in rows]
    return {**paged(items[p.offset:p.offset + p.page_size], len(items), p), "point_id": point_id, "tz": tz}


@router.get("/points/{point_id}/rates",
            summary="Transmission rate, validity rate and effective transmission rate, with their counts")
def rates(point_id: int, start: str | None = None, end: str | None = None, tz: str | None = None,
          mode: Literal["backfilled", "realtime"] = Query("backfilled", description="补全 or 即时"),
          engine: Engine = Depends(get_engine)):
    """Per assessed factor and for the point, by summing the counts (never averaging rates), over the clock
    hours of [start, end) (default: the last 24 h). An hour with no derived value counts as not received."""
    pt = get_point(engine, point_id)
    tz = tz or pt["tz"]
    t0, t1 = _range(start, end, tz, timedelta(hours=24))
    t0 = t0.replace(minute=0, second=0, microsecond=0)
    h, pf = s.hourly_values, s.point_factors
    with engine.connect() as conn:
        factors = list(conn.scalars(select(pf.c.factor_code).where(pf.c.point_id == point_id, pf.c.assessed)
                                    .order_by(pf.c.factor_code)))
        rows = conn.execute(select(h).where(h.c.point_id == point_id, h.c.period_start >= t0,
                                            h.c.period_start < t1)).mappings().all()
    by_key = {(r["factor_code"], r["period_start"]): r for r in rows}
    hours = []
    t = t0
    while t < t1:
        hours.append(t)
        t += timedelta(hours=1)
    settings = RateSettings()
    per_factor, all_counts = [], []
    for f in factors:
        slots = []
        for hr in hours:
            r = by_key.get((f, hr))
            slots.append(HourSlot(start=hr.astimezone(zone(tz)), received=bool(r and r["n_records"]),
                                  valid=bool(r and r["valid"]), stopped=bool(r and r["excluded"]),
                                  exempt_standard_sample=bool(r and r["exempt"]),
                                  reason=(r["reason"] if r else "no data")))
        res = compute_rates(slots, mode=mode, settings=settings, factor_code=f)
        all_counts.append(res.counts)
        per_factor.append({"factor": f, **_rates_json(res)})
    total = rates_from_counts(sum_counts(all_counts), settings=settings, mode=mode) if all_counts else None
    return {"point_id": point_id, "tz": tz, "start": iso(t0, tz), "end": iso(t1, tz), "mode": mode,
            "point": _rates_json(total) if total else None, "factors": per_factor}


def _rates_json(r) -> dict:
    return {"trans_rate": r.trans_rate, "effe_rate": r.effe_rate, "effe_trans_rate": r.effe_trans_rate,
            "counts": asdict(r.counts), "hour_reasons": list(r.hour_reasons), "notes": list(r.notes)}
