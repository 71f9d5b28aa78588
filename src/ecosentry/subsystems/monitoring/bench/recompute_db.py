"""``ecosentry bench recompute --db URL``: the database path of ``ecosentry recompute``, per period and in bulk.

:func:`generate_month` writes a month of minute data into a database: flue-gas points in Asia/Shanghai
(1-minute data, 折算 values sent), and with ``cases`` every situation the rules know — a point without
sent 折算 values (the platform corrects with its O2), one in the Vietnamese zone, one with 5-minute data, a
wastewater point with 10-minute data, flow volumes and the logger's own hours where minutes are missing;
flags of every kind (D M F C T B S and an unknown one), minutes without a value, short and missing hours, a
stopped stretch (all F), excursions above the hourly limits, marks of each family (maintenance, calibration,
fault, stopped, start-up, standard-sample check, force majeure, automatic communication interruption, a
rejected one, manual over automatic). :func:`run_bench_recompute_db` then times both paths on it and
compares their rows.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, delete, select

from ecosentry.fleet import import_fleet
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.store.partitions import ensure_month_partitions
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.bench.recompute import _machine

#: Factor → (level, hourly limit) of the generated flue gas [mg/m³] (O2 in %, no limit).
GAS_FACTORS = {"a21026": (20.0, 35.0), "a21002": (30.0, 50.0), "a34013": (4.0, 10.0), "a19001": (9.0, None)}
#: Wastewater factor → (level, daily limit) [mg/L; pH; flow L/s].
WATER_FACTORS = {"w01018": (30.0, 50.0), "w21003": (3.0, 5.0), "w01001": (7.2, None), "w00000": (40.0, None)}
EXOTIC_FLAGS = ["D", "M", "C", "T", "B", "S", "X"]


def _point(mn: str, name: str, tz: str, interval: int, factors: dict, medium: str) -> dict:
    out = []
    for code, (_level, limit) in factors.items():
        f: dict = {"code": code}
        if limit is not None:
            f["limits"] = [{"kind": "hour" if medium == "gas" else "day", "upper": limit,
                            "valid_from": "2020-01-01", "standard": "bench"}]
        out.append(f)
    return {"mn": mn, "password": "123456", "st": "31" if medium == "gas" else "32", "name": name, "tz": tz,
            "min_interval": interval, "connected_at": "2020-01-01", "factors": out}


def fleet(gas_points: int, cases: bool) -> tuple[dict, dict[str, dict]]:
    """The registry (``import_fleet`` format) and, per MN, how its data are generated."""
    outlets, how = [], {}
    for i in range(gas_points):
        mn = f"BENCHGAS{i:06d}"
        outlets.append({"code": f"DA{i:04d}", "name": f"锅炉 {i}", "medium": "gas", "ref_o2": 6.0,
                        "points": [_point(mn, f"CEMS {i}", "Asia/Shanghai", 1, GAS_FACTORS, "gas")]})
        how[mn] = {"tz": "Asia/Shanghai", "interval": 1, "factors": GAS_FACTORS, "zs": True, "medium": "gas"}
    if cases:
        extra = [("BENCHNOZS0001", "Asia/Shanghai", 1, GAS_FACTORS, "gas", False),
                 ("BENCHVN000001", "Asia/Ho_Chi_Minh", 1, {k: GAS_FACTORS[k] for k in ("a21026", "a34013")}, "gas",
                  True),
                 ("BENCH5MIN0001", "Asia/Shanghai", 5, {"a21026": GAS_FACTORS["a21026"]}, "gas", True),
                 ("BENCHUTC00001", "UTC", 1, {"a21002": GAS_FACTORS["a21002"]}, "gas", False),
                 ("BENCHWATER001", "Asia/Shanghai", 10, WATER_FACTORS, "water", False)]
        for j, (mn, tz, interval, factors, medium, zs) in enumerate(extra):
            outlets.append({"code": f"DX{j:03d}", "name": mn, "medium": medium,
                            "ref_o2": 6.0 if medium == "gas" else None,
                            "points": [_point(mn, mn, tz, interval, factors, medium)]})
            how[mn] = {"tz": tz, "interval": interval, "factors": factors, "zs": zs, "medium": medium}
    registry = {
        "regions": [{"code": "320000", "name": "江苏省", "level": "province"},
                    {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"}],
        "enterprises": [{"credit_code": "91320500MABENCH001", "name": "基准测试企业", "region": "320500",
                         "outlets": outlets}],
    }
    return registry, how


def _minutes(rng: np.random.Generator, point_id: int, how: dict, month: date, cases: bool) -> list[tuple]:
    """Observation rows (OBS order of :func:`_insert`) of one point for the local month."""
    zone = ZoneInfo(how["tz"])
    lo = datetime(month.year, month.month, 1, tzinfo=zone).astimezone(timezone.utc)
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    hi = datetime(nxt.year, nxt.month, 1, tzinfo=zone).astimezone(timezone.utc)
    step = how["interval"]
    n = int((hi - lo).total_seconds() // 60) // step
    per_hour = 60 // step
    n_hours = n // per_hour
    starts = [lo + timedelta(minutes=step * k) for k in range(n)]
    o2 = None
    rows = []
    for code, (level, limit) in how["factors"].items():
        v = level * rng.lognormal(0.0, 0.15, n)
        if limit is not None and how["medium"] == "gas":  # ~1 % of hours above the limit
            hot = np.repeat(rng.random(n_hours) < 0.01, per_hour)
            v[hot] = limit * rng.uniform(1.2, 2.0, hot.sum())
        if limit is not None and how["medium"] == "water":  # the 7th day above the daily limit
            v[6 * 24 * per_hour:7 * 24 * per_hour] = limit * 1.5
        keep = np.ones(n, dtype=bool)
        flags: list[str | None] = [None] * n
        values: list[float | None] = v.tolist()
        if cases or rng.random() < 0.5:
            gone = np.repeat(rng.random(n_hours) < 0.02, per_hour)  # whole hours missing
            keep &= ~gone
            short = np.flatnonzero(rng.random(n_hours) < 0.03)  # hours with 15–20 minutes missing
            for h in short:
                a = h * per_hour + int(rng.integers(0, per_hour // 2))
                keep[a:a + max(1, int(rng.integers(15, 21)) // step)] = False
            for k in np.flatnonzero(rng.random(n) < 0.01):
                flags[k] = str(rng.choice(EXOTIC_FLAGS))
            for k in np.flatnonzero(rng.random(n) < 0.005):
                values[k] = None
            stop = int(rng.integers(0, n_hours - 8)) * per_hour  # 6 hours stopped: every record F
            for k in range(stop, stop + 6 * per_hour):
                flags[k] = "F"
            if cases:
                for k in np.flatnonzero(rng.random(n) < 0.002):
                    flags[k] = "N" if k % 2 else ""  # an explicit N, an empty flag
        if code == "a19001":
            o2 = v
        zs = None
        if how["zs"] and code != "a19001" and how["medium"] == "gas":
            zs = (v * (21 - 6.0) / (21 - (o2 if o2 is not None else np.full(n, 9.0)))).tolist()
        cou = None
        if code in ("a21026", "a21002", "a34013"):
            cou = (v * 0.06 * step).tolist()
        elif code == "w00000":
            cou = (v * 60 * step / 1000).tolist()
        with_minmax = bool(rng.random() < 0.5)
        for k in np.flatnonzero(keep):
            val = values[k]
            rows.append((point_id, code, "min", starts[k], val,
                         val * 0.9 if with_minmax and val is not None else None,
                         val * 1.1 if with_minmax and val is not None else None,
                         cou[k] if cou is not None else None, flags[k], None,
                         zs[k] if zs is not None and val is not None else None,
                         starts[k] + timedelta(seconds=30 + (86_400 * 3 if k % 997 == 0 else 0))))
        if how["medium"] == "water":  # the logger's own hours where the minutes are missing
            for h in range(n_hours):
                if not keep[h * per_hour:(h + 1) * per_hour].any() and h % 2 == 0:
                    t = starts[h * per_hour]
                    rows.append((point_id, code, "hour", t, float(level), None, None,
                                 level * 3.6 if code == "w00000" else None, "N" if h % 4 == 0 else "M", None, None,
                                 t + timedelta(hours=1)))
    return rows


OBS = ("point_id", "factor_code", "kind", "period_start", "value", "min", "max", "cou", "flag", "eflag", "zs_value",
       "received_at")
OBS_PG = ("int4", "text", "text", "timestamptz", "float8", "float8", "float8", "float8", "text", "text", "float8",
          "timestamptz")


def _insert(engine: Engine, rows: list[tuple]) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY observations ({', '.join(OBS)}) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(OBS_PG)
                for r in rows:
                    cp.write_row(r)
        else:  # the driver's executemany, each time bound once by its column's type (the factors of a point share
            # their times): through SQLAlchemy, a dict a row, the ~450,000 rows of a month with every case took
            # ~12 s of CPU more
            start_of = s.observations.c.period_start.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            bound: dict = {}

            def stored(t: datetime | None):
                if t is None:
                    return None
                if t not in bound:
                    bound[t] = start_of(t)
                return bound[t]

            conn.exec_driver_sql(f"INSERT INTO observations ({', '.join(OBS)}) VALUES ({', '.join('?' * len(OBS))})",
                                 [(*r[:3], stored(r[3]), *r[4:11], stored(r[11])) for r in rows])


def _marks(engine: Engine, point_ids: dict[str, int], how: dict[str, dict], month: date, all_points: bool) -> int:
    """A few marks on every point (with ``all_points``) or every seventh: one of each family and status the
    rules tell apart."""
    filed = datetime(month.year, month.month, 1, tzinfo=timezone.utc)
    specs = [  # (type, source, status, factor or None, day, hour, hours)
        ("maintenance", "manual", "approved", "a21026", 3, 9, 3),
        ("calibration", "manual", "filed", None, 5, 14, 1.5),
        ("fault", "manual", "rejected", "a21002", 6, 2, 4),
        ("stopped", "manual", "approved", None, 10, 0, 30),
        ("startup_shutdown", "manual", "approved", None, 12, 6, 2),
        ("force_majeure", "manual", "approved", "a34013", 14, 20, 5),
        ("comm_interruption", "auto", "approved", None, 16, 8, 0.4),
        ("comm_interruption", "auto", "approved", None, 16, 11, 0.2),
        ("maintenance", "manual", "approved", None, 16, 8, 1),
        ("standard_sample_check", "manual", "approved", "w01018", 18, 10, 1),
    ]
    rows = []
    for n, (mn, pid) in enumerate(sorted(point_ids.items())):
        if n % 7 and not all_points:
            continue
        zone = ZoneInfo(how[mn]["tz"])
        for typ, source, status, factor, day, hour, hours in specs:
            start = datetime(month.year, month.month, day, hour, 10, tzinfo=zone).astimezone(timezone.utc)
            rows.append({"point_id": pid, "factor_codes": factor, "family": "production_condition", "type": typ,
                         "start": start, "end": start + timedelta(hours=hours), "source": source, "status": status,
                         "filed_at": filed, "reason": "bench"})
    if rows:
        with engine.begin() as conn:
            conn.execute(s.marks.insert(), rows)
    return len(rows)


def generate_month(engine: Engine, month: date, *, gas_points: int, cases: bool, seed: int = 1) -> dict:
    """Register the points and write their month of data; returns MN → point id and the row count."""
    registry, how = fleet(gas_points, cases)
    import_fleet(engine, registry)
    with engine.begin() as conn:
        ensure_month_partitions(conn, around=month, before=1, ahead=1)
        point_ids = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(list(how)))).all())
    rng = np.random.default_rng(seed)
    n_rows = 0
    for mn in sorted(how):
        rows = _minutes(rng, point_ids[mn], how[mn], month, cases)
        _insert(engine, rows)
        n_rows += len(rows)
    n_marks = _marks(engine, point_ids, how, month, all_points=cases)
    return {"point_ids": point_ids, "observations": n_rows, "marks": n_marks, "how": how}


DERIVED = {"hourly_values": (s.hourly_values, ("point_id", "factor_code", "period_start")),
           "derived_periods": (s.derived_periods, ("point_id", "factor_code", "period", "period_start")),
           "revisions": (ms.revisions, ("point_id", "factor_code", "period_start", "field"))}


def derived_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every derived row, sorted by key, without ``computed_at`` (the time of the computation)."""
    out = {}
    with engine.connect() as conn:
        for name, (table, keys) in DERIVED.items():
            cols = [c for c in table.columns if c.name != "computed_at"]
            out[name] = [tuple(r) for r in conn.execute(select(*cols).order_by(*(table.c[k] for k in keys)))]
    return out


def clear_derived(engine: Engine) -> None:
    with engine.begin() as conn:
        for table, _keys in DERIVED.values():
            conn.execute(delete(table))


def server_cpu(engine: Engine) -> dict[int, float] | None:
    """CPU seconds so far of each server process of this database (from ``/proc``: the server runs on this
    machine), or None when they cannot be read (another machine, another OS). Processes that end between two
    readings are missed: the bench's pool keeps its connections open."""
    if engine.dialect.name != "postgresql" or not os.path.isdir("/proc"):
        return None
    with engine.connect() as conn:
        pids = [r[0] for r in conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return out


def _cpu_between(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    if before is None or after is None:
        return None
    return round(sum(v - before.get(pid, 0.0) for pid, v in after.items()), 2)


def run_bench_recompute_db(url: str, *, points: int = 100, month: date = date(2026, 10, 1), seed: int = 1,
                           paths: tuple[str, ...] = ("bulk", "per-period"), console: Console | None = None,
                           out: Path | None = None) -> dict:
    """Generate ``points`` flue-gas points × 4 factors for ``month`` in a fresh database at ``url`` (its
    tables are created; an existing database must be empty), recompute the month with each path, time it
    (wall, CPU of this process and, when the server runs on this machine, of its processes for the database)
    and check that both leave the same rows; the result is written to ``out`` as JSON when given."""
    from ecosentry.service import prepare_database
    from ecosentry.subsystems.monitoring.pipeline.bulk_recompute import bulk_recompute_range
    from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range

    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of()
    console = console or Console()
    engine = prepare_database(url)
    with engine.connect() as conn:
        if conn.execute(select(s.observations.c.point_id).limit(1)).first() is not None:
            raise Said(N_("%(url)s already holds observations: the bench needs an empty database"), url=url)
    t = time.perf_counter()
    gen = generate_month(engine, month, gas_points=points, cases=False, seed=seed)
    generate_s = time.perf_counter() - t
    console.print(_(N_("generated %(points)s points, %(rows)s minute rows in %(seconds)s s")) % {
        "points": len(gen["point_ids"]), "rows": f"{gen['observations']:,}", "seconds": f"{generate_s:.1f}"})
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE observations")
    directory = PointDirectory(engine)
    zone = ZoneInfo("Asia/Shanghai")
    t0 = datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    t1 = datetime(nxt.year, nxt.month, 1, tzinfo=zone)
    runs, snapshots = {}, {}
    for path in paths:
        clear_derived(engine)
        fn = bulk_recompute_range if path == "bulk" else recompute_range
        server_before = server_cpu(engine)
        t, cpu = time.perf_counter(), time.process_time()
        totals = fn(engine, directory, t0, t1)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        server = _cpu_between(server_before, server_cpu(engine))
        runs[path] = {"seconds": round(seconds, 2), "hours": totals["hours"], "days": totals["days"],
                      "months": totals["months"], "hours_per_s": round(totals["hours"] / seconds),
                      "cpu_s": round(cpu, 2), "server_cpu_s": server}
        snapshots[path] = derived_snapshot(engine)
        numbers = {"path": path, "hours": f"{totals['hours']:,}", "seconds": f"{seconds:.1f}",
                   "rate": f"{totals['hours'] / seconds:,.0f}", "cpu": f"{cpu:.1f}",
                   "server": f"{server:.1f}" if server is not None else ""}
        console.print((_(N_("%(path)s: %(hours)s hours in %(seconds)s s = %(rate)s hours/s; CPU %(cpu)s s here"))
                       if server is None else
                       _(N_("%(path)s: %(hours)s hours in %(seconds)s s = %(rate)s hours/s; CPU %(cpu)s s here + "
                            "%(server)s s in the server"))) % numbers)
    identical = None
    if len(snapshots) == 2:
        a, b = snapshots.values()
        identical = a == b
    table = Table(title=_(N_("ecosentry bench recompute --db (%(dialect)s): %(points)s points × %(factors)s "
                             "factors, %(month)s")) % {"dialect": engine.dialect.name, "points": points,
                                                       "factors": len(GAS_FACTORS), "month": f"{month:%Y-%m}"})
    for i, col in enumerate((N_("recompute path"), N_("hours"), N_("days"), N_("months"), N_("seconds"), N_("hours/s"),
                             N_("CPU s (+ server)"))):
        table.add_column(_(col), justify="right" if i else "left")
    for path, r in runs.items():
        cpu = f"{r['cpu_s']:.1f}" + (f" + {r['server_cpu_s']:.1f}" if r["server_cpu_s"] is not None else "")
        table.add_row(path, f"{r['hours']:,}", f"{r['days']:,}", f"{r['months']:,}", f"{r['seconds']:.1f}",
                      f"{r['hours_per_s']:,}", cpu)
    console.print(table)
    if identical is not None:
        console.print(_(N_("derived rows identical: yes")) if identical
                      else "[red]" + _(N_("derived rows identical: NO")) + "[/red]")
    engine.dispose()
    result = {"bench": "recompute-db", "dialect": engine.dialect.name, "points": points,
              "month": month.isoformat(), "observations": gen["observations"], "generate_s": round(generate_s, 1),
              "runs": runs, "identical": identical, "machine": _machine(), "date": date.today().isoformat()}
    if out is not None:
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result
