"""Recompute a range of many points and hours in bulk (``ecosentry recompute --path bulk``).

Same result as :func:`ecosentry.subsystems.monitoring.pipeline.recompute.recompute_range` (the per-period
path: one query per hour, day and month), reached with a few statements per chunk of points and local month:

1. the factors of each point: registered, plus those that sent minute data in the range (a skip scan of the
   observations' key on PostgreSQL);
2. the minutes of the chunk and month, on PostgreSQL packed by the server into a few columns per point and
   factor (:mod:`.minute_block`) and read ahead in a thread while the previous window is computed (or, opt-in,
   in parallel streams in reader processes), the logger's hourly
   records of wastewater points, the marks, the limits and the out-of-control periods other subsystems declare
   (``Subsystem.invalid_periods``);
3. hours rolled up in bulk (:mod:`.bulk_hours`), finished with the per-period path's own
   :func:`~.hourly.hour_row` (platform 折算, marks, hourly exceedance) where a mark or an out-of-control
   period touches the hour or the platform computes its 折算, else with :func:`~.hourly.plain_hour_row` (the
   same row), and written by COPY + upsert;
4. days from those hours (plus the stored hours of a day the range cuts) with :func:`~.periods.day_row`,
   the substitute values of finished days with :func:`~.substitution.day_substitution` (look-back hours read
   once per chunk), written the same way; revisions replaced day by day as the per-period path does;
5. months from the stored days with :func:`~.periods.month_row`.

Raw observations are only read. Each chunk and month is one transaction, so memory stays bounded by
``points_per_chunk`` × one month of minutes and a failure leaves earlier chunks done and later ones as they
were. It is a CLI / job path: it blocks, and never runs on the event loop.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, delete, or_, select, text

from ecosentry.metrics import counters
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.invalid_periods import declared_by_series
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.store.upsert import upsert
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.pipeline.bulk_hours import (
    HOUR_US, datetime_of, group_hours, hourly_values, records_of)
from ecosentry.subsystems.monitoring.pipeline.hourly import (
    O2, hour_row, local_hour_start, logger_hour, needs_minutes, plain_hour_row)
from ecosentry.subsystems.monitoring.pipeline.minute_block import (
    MinuteBlock, read_minutes_parallel, reader_pool, us_of)
from ecosentry.subsystems.monitoring.pipeline.periods import (
    WATER_FLOW, WATER_WEIGHTED, day_row, hour_limit, load_limits, local_day_bounds, month_bounds, month_row)
from ecosentry.subsystems.monitoring.pipeline.recompute import points_in_scope
from ecosentry.subsystems.monitoring.pipeline.substitution import LOOKBACK_HOURS, days_substitution, substitutes
from ecosentry.subsystems.monitoring.rules.cn.hourly import hourly_from_minutes
from ecosentry.subsystems.monitoring.store.bulk_write import copy_upsert
from ecosentry.subsystems.monitoring.store.marks import marks_for_points

log = logging.getLogger(__name__)

#: Points recomputed together: one month of their minutes is held in memory (≈ 200 bytes a minute while read).
POINTS_PER_CHUNK = 10
#: Reader processes that read the next window's minutes on PostgreSQL while the current one is computed (one
#: statement stream and server process each); 0: the next window is read by one thread of this process. 0 by
#: default: on the shared 2-core machine the processes cost as much CPU as they save wall time
#: (docs/benchmarks.md, 2026-12-06), while the thread costs none (the server packs the minutes, the thread
#: waits for them without the GIL).
READ_STREAMS = 0
#: ``--path auto`` recomputes in bulk from this many point-hours on (a day of one point); below, and for
#: a mark's hours, the per-period path answers as fast.
BULK_MIN_POINT_HOURS = 24
HOUR_KEYS = ["point_id", "factor_code", "period_start"]
PERIOD_KEYS = ["point_id", "factor_code", "period", "period_start"]


def bulk_recompute_range(engine: Engine, directory: PointDirectory, t0: datetime, t1: datetime, *,
                         region: str | None = None, point_ids: list[int] | None = None,
                         progress: Callable[[int, int], None] | None = None,
                         points_per_chunk: int = POINTS_PER_CHUNK, read_streams: int = READ_STREAMS) -> dict:
    """Recompute everything derived in [t0, t1) for ``point_ids``, or the points of ``region`` (all when
    both are None); returns the same totals as ``recompute_range`` (plus ``failed_points`` when a point's
    data could not be recomputed: logged and counted, the other points are done).

    On PostgreSQL the minutes of the next chunk and month are read (in a thread; with ``read_streams`` ≥ 1 in
    that many parallel statement streams, in reader processes) while the current one is computed and written,
    so the server's work of the read overlaps the rules' work in Python; at most two windows of minutes are
    held at once."""
    ids = point_ids if point_ids is not None else points_in_scope(engine, region)
    totals = {"points": len(ids), "hours": 0, "days": 0, "months": 0}
    by_tz: dict[str, list[int]] = defaultdict(list)
    for p in ids:
        info = directory.by_id(p)
        by_tz[info.tz if info else "UTC"].append(p)
    zs_method = get_settings().monitoring.zs_method
    chunks = [(tz, pids[i:i + points_per_chunk]) for tz, pids in sorted(by_tz.items())
              for i in range(0, len(pids), points_per_chunk)]
    jobs = [(tz, chunk, lo, hi, k == len(windows) - 1) for tz, chunk in chunks
            for windows in [month_windows(local_hour_start(t0, tz), t1, tz)] for k, (lo, hi) in enumerate(windows)]
    factors_cache: dict[tuple[int, ...], dict[int, list[str]]] = {}

    def factors_of(chunk: list[int]) -> dict[int, list[str]]:  # once per chunk, in the reading thread
        key = tuple(chunk)
        if key not in factors_cache:
            with engine.connect() as conn:
                factors_cache[key] = point_factors(conn, chunk, t0, t1)
        return factors_cache[key]

    def read(job: tuple) -> tuple[dict[int, list[str]], MinuteBlock]:
        _tz, chunk, lo, hi, _last = job
        fs = factors_of(chunk)
        return fs, read_minutes_parallel(engine, fs, lo, read_end(lo, hi), readers, read_streams)

    done = 0
    # on PostgreSQL the next window is read in a thread while this one is computed: the server packs the minutes
    # (its CPU, on the other core) while the thread waits without the GIL; one window: nothing to overlap
    ahead = engine.dialect.name == "postgresql" and len(jobs) > 1
    readers = reader_pool(read_streams) if ahead and read_streams > 0 else None
    with ThreadPoolExecutor(1, thread_name_prefix="bulk-read") as reader, readers or nullcontext():
        pending = reader.submit(read, jobs[0]) if ahead and jobs else None
        for j, job in enumerate(jobs):
            tz, chunk, lo, hi, last = job
            current, pending = pending, (reader.submit(read, jobs[j + 1]) if ahead and j + 1 < len(jobs) else None)
            try:
                fs, block = current.result() if current is not None else read(job)
                _recompute_chunk_window(engine, directory, chunk, fs, tz, lo, hi, zs_method, totals, block)
            except Exception:
                # one point's bad data must not stop the others: the chunk's window again point by point
                log.warning("bulk recompute of points %s failed; retrying them one by one", chunk, exc_info=True)
                for p in chunk:
                    try:
                        fs, block = read((tz, [p], lo, hi, last))
                        _recompute_chunk_window(engine, directory, [p], fs, tz, lo, hi, zs_method, totals, block)
                    except Exception:
                        log.exception("bulk recompute of point %s from %s to %s failed; its derived rows are "
                                      "left as they were", p, lo, hi)
                        counters.inc("recompute.bulk_point_failures")
                        failed = totals.setdefault("failed_points", [])
                        if p not in failed:
                            failed.append(p)
            if last:
                done += len(chunk)
                if progress:
                    progress(done, len(ids))
    return totals


def read_end(lo: datetime, hi: datetime) -> datetime:
    """End of the minutes read for the window [lo, hi): the end of the clock hour that holds ``hi``'s last hour
    (a range that does not end on an hour reads that hour whole)."""
    lo_us, hi_us = us_of(lo), us_of(hi)
    return datetime_of(lo_us + ((hi_us - lo_us - 1) // HOUR_US + 1) * HOUR_US)


def _recompute_chunk_window(engine: Engine, directory: PointDirectory, chunk: list[int],
                            factors_of: dict[int, list[str]], tz: str, lo: datetime, hi: datetime, zs_method: str,
                            totals: dict, block: MinuteBlock) -> None:
    with engine.begin() as conn:  # one transaction per chunk and month
        counts = _recompute_window(conn, directory, chunk, factors_of, tz, lo, hi, zs_method, block)
    for k, v in counts.items():
        totals[k] += v


def choose_path(n_points: int, t0: datetime, t1: datetime) -> str:
    """``"bulk"`` for ranges of at least :data:`BULK_MIN_POINT_HOURS` point-hours, else ``"per-period"``."""
    return "bulk" if n_points * (t1 - t0) / timedelta(hours=1) >= BULK_MIN_POINT_HOURS else "per-period"


def month_windows(start: datetime, end: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at the starts of the local months of ``tz`` (UTC bounds)."""
    out, lo = [], start
    while lo < end:
        first = lo.astimezone(ZoneInfo(tz)).date().replace(day=1)
        _, month_hi = month_bounds(first, tz)
        hi = min(month_hi, end)
        out.append((lo, hi))
        lo = hi
    return out


_SENT_FACTORS_PG = text("""
WITH RECURSIVE f(point_id, code) AS (
    SELECT p, (SELECT o.factor_code FROM observations o WHERE o.point_id = p AND o.kind = 'min'
               AND o.period_start >= :t0 AND o.period_start < :t1 ORDER BY o.factor_code LIMIT 1)
    FROM unnest(CAST(:points AS int4[])) AS p
  UNION ALL
    SELECT f.point_id, (SELECT o.factor_code FROM observations o WHERE o.point_id = f.point_id
                        AND o.factor_code > f.code AND o.kind = 'min' AND o.period_start >= :t0
                        AND o.period_start < :t1 ORDER BY o.factor_code LIMIT 1)
    FROM f WHERE f.code IS NOT NULL)
SELECT point_id, code FROM f WHERE code IS NOT NULL""")


def point_factors(conn: Connection, point_ids: list[int], t0: datetime, t1: datetime) -> dict[int, list[str]]:
    """Registered factors of each point plus any factor that sent minute data in [t0, t1) (as
    :func:`~.recompute.point_factors`, for many points in one or two statements)."""
    pf, o = s.point_factors, s.observations
    out: dict[int, set[str]] = {p: set() for p in point_ids}
    for p, f in conn.execute(select(pf.c.point_id, pf.c.factor_code).where(pf.c.point_id.in_(point_ids))):
        out[p].add(f)
    if conn.dialect.name == "postgresql":
        sent = conn.execute(_SENT_FACTORS_PG, {"points": point_ids, "t0": t0, "t1": t1})
    else:
        sent = conn.execute(select(o.c.point_id, o.c.factor_code).distinct().where(
            o.c.point_id.in_(point_ids), o.c.kind == "min", o.c.period_start >= t0, o.c.period_start < t1))
    for p, f in sent:
        out[p].add(f)
    return {p: sorted(fs) for p, fs in out.items()}


def _recompute_window(conn: Connection, directory: PointDirectory, chunk: list[int],
                      factors_of: dict[int, list[str]], tz: str, lo: datetime, hi: datetime,
                      zs_method: str, block: MinuteBlock) -> dict:
    now = datetime.now(timezone.utc)
    zone = ZoneInfo(tz)
    lo_us, hi_us = us_of(lo), us_of(hi)
    hours_us = list(range(lo_us, hi_us, HOUR_US))
    hours_dt = [datetime_of(h) for h in hours_us]
    local_day = {h: dt.astimezone(zone).date() for h, dt in zip(hours_us, hours_dt)}
    read_hi = read_end(lo, hi)

    # --- inputs, in bulk (the minutes were read before: ``block``)
    groups = group_hours(block, tz)
    infos = {p: directory.by_id(p) for p in chunk}
    medium_of = {p: (i.medium if i else "gas") for p, i in infos.items()}
    interval_of = {p: (i.min_interval if i else 1) for p, i in infos.items()}
    hvs = hourly_values(block, groups, medium_of, interval_of)
    group_of = {k: g for g, k in enumerate(zip(groups.point.tolist(), groups.fidx.tolist(), groups.hour_us.tolist()))}
    last_received = groups.last_received_us.tolist()
    fidx = {f: i for i, f in enumerate(block.factors)}
    limits = load_limits(conn, chunk)
    marks = marks_for_points(conn, chunk, lo, read_hi)
    invalid = declared_by_series(conn, chunk, lo, read_hi, now)  # out-of-control periods (Subsystem.invalid_periods)
    water = [p for p in chunk if medium_of[p] == "water"]
    logger_hours = {}
    if water:
        o = s.observations
        for r in conn.execute(select(o.c.point_id, o.c.factor_code, o.c.period_start, o.c.value, o.c.flag,
                                     o.c.zs_value, o.c.min, o.c.max, o.c.cou, o.c.received_at).where(
                o.c.kind == "hour", o.c.point_id.in_(water), o.c.period_start >= lo, o.c.period_start < hi)):
            logger_hours[(r.point_id, r.factor_code, us_of(r.period_start))] = r

    # --- hours: the rolled-up hour as it is (plain_hour_row) where no mark or out-of-control period touches it
    # and its 折算 was sent; the per-period path's hour_row for the others
    hour_rows: list[dict] = []
    by_day: dict[tuple[int, str, date], list[dict]] = defaultdict(list)
    limit_of_day: dict[tuple[int, str, date], object] = {}
    for p in chunk:
        info, medium = infos[p], medium_of[p]
        no_data = hourly_from_minutes([], medium="water" if medium == "water" else "gas",
                                      interval_minutes=interval_of[p])
        marks_p = marks[p]
        marked = _hours_touched(((m.start, m.end) for m in marks_p), lo_us, hi_us)
        o2_index = fidx.get(O2) if O2 in factors_of[p] else None
        for f in factors_of[p]:
            fi = fidx[f]
            lim = limits.get((p, f), [])
            invalid_pf = invalid.get((p, f), ())
            touched = marked | _hours_touched(invalid_pf, lo_us, hi_us) if invalid_pf else marked
            for h_us, h_dt in zip(hours_us, hours_dt):
                g = group_of.get((p, fi, h_us))
                if g is not None:
                    hv, received = hvs[g], datetime_of(last_received[g])
                else:
                    lh = logger_hours.get((p, f, h_us)) if medium == "water" else None
                    hv, received = (logger_hour(lh), lh.received_at) if lh is not None else (no_data, None)
                d = local_day[h_us]
                if h_us not in touched and not needs_minutes(hv, f, info):
                    limit = None
                    if lim and medium == "gas":
                        if (p, f, d) not in limit_of_day:
                            limit_of_day[(p, f, d)] = hour_limit(lim, d)
                        limit = limit_of_day[(p, f, d)]
                    row = plain_hour_row((p, f, h_dt), hv, medium, limit, bool(lim), now, received)
                else:
                    def minutes_of_hour(g=g, h_us=h_us, p=p, o2_index=o2_index):
                        own = records_of(block, int(groups.starts[g]), int(groups.ends[g])) if g is not None else []
                        g2 = group_of.get((p, o2_index, h_us)) if o2_index is not None else None
                        o2 = records_of(block, int(groups.starts[g2]), int(groups.ends[g2])) if g2 is not None else []
                        return own, o2

                    row = hour_row((p, f, h_dt), hv, info, marks_p, lim, zs_method, now, received, minutes_of_hour,
                                   day=d, invalid=invalid_pf)
                hour_rows.append(row)
                by_day[(p, f, d)].append(row)
    copy_upsert(conn, s.hourly_values, hour_rows, HOUR_KEYS)

    # --- days
    day_keys: dict[tuple[int, date], set[str]] = defaultdict(set)
    days = sorted(set(local_day.values()))
    for p in chunk:
        for f in factors_of[p]:
            for d in days:
                day_keys[(p, d)].add(f)
        if medium_of[p] == "water" and WATER_FLOW in factors_of[p]:
            for d in days:
                day_keys[(p, d)] |= WATER_WEIGHTED
    bounds = {d: local_day_bounds(d, tz) for d in days}
    day_lo, day_hi = bounds[days[0]][0], bounds[days[-1]][1]
    _add_stored_hours(conn, by_day, chunk, factors_of, medium_of, zone, day_lo, day_hi, lo, read_hi)
    subs = _substitutions(conn, chunk, factors_of, medium_of, tz, days, bounds, hour_rows, lo, read_hi, now)
    day_rows = []
    for (p, d), factors in sorted(day_keys.items()):
        d_lo, _ = bounds[d]
        flow = by_day.get((p, WATER_FLOW, d), []) if medium_of[p] == "water" else []
        volumes = {r["period_start"]: r["cou"] for r in flow}
        for f in sorted(factors):
            day_rows.append(day_row(p, f, d, d_lo, by_day.get((p, f, d), []), volumes, limits.get((p, f), []),
                                    medium_of[p], tz, subs.get((p, f, d)), now))
    copy_upsert(conn, s.derived_periods, day_rows, PERIOD_KEYS)

    # --- months, from the stored days (a month the range cuts keeps its other days)
    month_keys = sorted({(r["point_id"], r["factor_code"], r["period_start"].astimezone(zone).date().replace(day=1))
                         for r in day_rows})
    if not month_keys:  # points without any factor: nothing derived, as on the per-period path
        return {"hours": len(hour_rows), "days": 0, "months": 0}
    firsts = sorted({k[2] for k in month_keys})
    m_lo, m_hi = month_bounds(firsts[0], tz)[0], month_bounds(firsts[-1], tz)[1]
    d = s.derived_periods
    stored_days: dict[tuple[int, str, date], list] = defaultdict(list)
    for r in conn.execute(select(d).where(d.c.point_id.in_(chunk), d.c.period == "day", d.c.period_start >= m_lo,
                                          d.c.period_start < m_hi)).mappings():
        stored_days[(r["point_id"], r["factor_code"], r["period_start"].astimezone(zone).date().replace(day=1))].append(r)
    month_rows = [month_row(p, f, first, month_bounds(first, tz)[0], stored_days.get((p, f, first), []), tz, now)
                  for p, f, first in month_keys]
    copy_upsert(conn, s.derived_periods, month_rows, PERIOD_KEYS)
    return {"hours": len(hour_rows), "days": sum(len(fs) for fs in day_keys.values()), "months": len(month_rows)}


def _hours_touched(spans, lo_us: int, hi_us: int) -> set[int]:
    """Starts (µs) of the hours of [lo_us, hi_us) that the spans (start, end or None for open) touch or border:
    the hours :func:`~.hourly.hour_row` has to look at (a superset of those a mark or period changes)."""
    out: set[int] = set()
    for a, b in spans:
        first = lo_us + max(0, (us_of(a) - HOUR_US - lo_us) // HOUR_US) * HOUR_US
        last = hi_us if b is None else min(hi_us, us_of(b) + 1)
        out.update(range(first, last, HOUR_US))
    return out


def _add_stored_hours(conn: Connection, by_day: dict, chunk: list[int], factors_of: dict[int, list[str]],
                      medium_of: dict[int, str], zone: ZoneInfo, day_lo: datetime, day_hi: datetime,
                      lo: datetime, hi: datetime) -> None:
    """The stored hours the days need besides the ones just computed: the hours of a day the range cuts,
    and (wastewater) the flow and flow-weighted factors the point has no minutes of."""
    h = s.hourly_values
    cuts = []
    if day_lo < lo:
        cuts.append(and_(h.c.period_start >= day_lo, h.c.period_start < lo))
    if hi < day_hi:
        cuts.append(and_(h.c.period_start >= hi, h.c.period_start < day_hi))
    conds = []
    if cuts:
        conds.append(and_(h.c.point_id.in_(chunk), or_(*cuts)))
    for p in chunk:
        if medium_of[p] == "water":
            extra = sorted((WATER_WEIGHTED | {WATER_FLOW}) - set(factors_of[p]))
            conds.append(and_(h.c.point_id == p, h.c.factor_code.in_(extra), h.c.period_start >= lo,
                              h.c.period_start < hi))
    if not conds:
        return
    for r in conn.execute(select(h).where(or_(*conds))).mappings():
        by_day[(r["point_id"], r["factor_code"], r["period_start"].astimezone(zone).date())].append(r)


def _substitutions(conn: Connection, chunk: list[int], factors_of: dict[int, list[str]], medium_of: dict[int, str],
                   tz: str, days: list[date], bounds: dict, hour_rows: list[dict], window_lo: datetime,
                   window_hi: datetime, now: datetime) -> dict:
    """Substitute values of the finished days (as the per-period path: revisions of each day replaced)."""
    finished = [d for d in days if bounds[d][1] <= now]
    wanted = {p: [f for f in factors_of[p] if substitutes(medium_of[p], f)] for p in chunk}
    wanted = {p: fs for p, fs in wanted.items() if fs}
    # weighted factors a wastewater point has no data of still get a day row; their substitution too
    for p in chunk:
        if medium_of[p] == "water" and WATER_FLOW in factors_of[p]:
            wanted.setdefault(p, [])
            wanted[p] = sorted(set(wanted[p]) | {f for f in WATER_WEIGHTED if substitutes("water", f)})
    if not finished or not wanted:
        return {}
    lo = bounds[finished[0]][0] - timedelta(hours=LOOKBACK_HOURS)
    hi = bounds[finished[-1]][1]
    series: dict[tuple[int, str], dict[datetime, dict]] = defaultdict(dict)
    h = s.hourly_values
    # the window's hours are in memory (and equal to the stored ones); the look-back and a cut day's other
    # hours are read
    outside = [and_(h.c.period_start >= lo, h.c.period_start < window_lo)]
    if window_hi < hi:
        outside.append(and_(h.c.period_start >= window_hi, h.c.period_start < hi))
    conds = [and_(h.c.point_id == p, h.c.factor_code.in_(fs)) for p, fs in wanted.items()]
    for r in conn.execute(select(h.c.point_id, h.c.factor_code, h.c.period_start, h.c.value, h.c.cou, h.c.valid,
                                 h.c.excluded, h.c.mark_ids).where(or_(*conds), or_(*outside))).mappings():
        series[(r["point_id"], r["factor_code"])][r["period_start"]] = r
    for r in hour_rows:
        if r["factor_code"] in wanted.get(r["point_id"], ()):
            series[(r["point_id"], r["factor_code"])][r["period_start"]] = r
    out, revisions, replaced = {}, [], []
    gas = [p for p in wanted if medium_of[p] == "gas"]
    declared = declared_by_series(conn, gas, lo, hi, datetime.now(timezone.utc)) if gas else {}
    for p, fs in wanted.items():
        for f in fs:
            ooc = declared.get((p, f), []) if medium_of[p] == "gas" else []
            results = days_substitution(series.get((p, f), {}), p, f, medium_of[p], tz,
                                        [bounds[d] for d in finished], now, ooc)
            for d, (result, revs) in zip(finished, results):
                d_lo, d_hi = bounds[d]
                out[(p, f, d)] = result
                if revs is not None:
                    replaced.append((p, f, d_lo, d_hi))
                    revisions.extend(revs)
    r = ms.revisions
    for p, f, d_lo, d_hi in _merge_ranges(replaced):
        conn.execute(delete(r).where(r.c.point_id == p, r.c.factor_code == f, r.c.period_start >= d_lo,
                                     r.c.period_start < d_hi))
    upsert(conn, ms.revisions, revisions, ["point_id", "factor_code", "period_start", "field"])
    return out


def _merge_ranges(ranges: list[tuple[int, str, datetime, datetime]]) -> list[tuple[int, str, datetime, datetime]]:
    """Adjacent day ranges of one point and factor as one range (one DELETE instead of one a day)."""
    out: list[list] = []
    for p, f, lo, hi in sorted(ranges):
        if out and out[-1][0] == p and out[-1][1] == f and out[-1][3] == lo:
            out[-1][3] = hi
        else:
            out.append([p, f, lo, hi])
    return [tuple(x) for x in out]
