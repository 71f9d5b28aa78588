"""The bulk recompute leaves exactly the rows of the per-period path, on every case the rules know."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.recompute_db import clear_derived, derived_snapshot, generate_month
from ecosentry.subsystems.monitoring.pipeline.bulk_recompute import bulk_recompute_range, month_windows
from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range

MONTH = date(2026, 2, 1)  # finished: the days get their substitute values
SH = ZoneInfo("Asia/Shanghai")


#: Out-of-control periods filed through the O&M subsystem's store (issue 18 item 3): a span check failing at 03:00
#: and passing at 11:30, a ten-minute one, one on 5-minute data, one on wastewater (the logger's cycles), one open.
OOC_CHECKS = [
    ("BENCHGAS000000", "a21026", [("2026-02-05T03:00", "fail", 4.0), ("2026-02-05T11:30", "pass", 0.5),
                                  ("2026-02-10T20:50", "fail", 3.1), ("2026-02-10T21:00", "pass", 0.2)]),
    ("BENCH5MIN0001", "a21026", [("2026-02-12T04:25", "fail", 2.9), ("2026-02-12T04:41", "pass", 1.0)]),
    ("BENCHWATER001", "w01018", [("2026-02-14T06:50", "fail", 12.0), ("2026-02-14T08:00", "pass", 3.0)]),
    ("BENCHUTC00001", "a21002", [("2026-02-25T10:00", "fail", 5.0)]),
]
OOC_POINTS = {mn for mn, _f, _c in OOC_CHECKS}


def _out_of_control(engine, point_ids: dict[str, int]) -> None:
    from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
    from ecosentry.subsystems.om.store.calibrations import CheckIn, record_checks

    checks = [CheckIn(point_ids[mn], f, datetime.fromisoformat(at).replace(tzinfo=SH), "span", result, drift)
              for mn, f, series in OOC_CHECKS for at, result, drift in series]
    record_checks(engine, checks, source="api", actor=None, settings=CalibrationSettings(),
                  now=datetime(2026, 3, 1, tzinfo=SH))


def _february(engine) -> dict:
    """MONTH with every case: one gas point and the case points, seed 7."""
    return generate_month(engine, MONTH, gas_points=1, cases=True, seed=7)


@pytest.fixture
def february(built_database):
    """``february(kind)`` → the URL of a fresh database of ``kind`` holding :func:`_february`, and what
    :func:`generate_month` returned: generated once per module and kind, copied for each test (generating it
    cost ~5 s of CPU on SQLite, more on PostgreSQL, a test)."""
    return lambda kind: built_database(kind, _february)


def _both_paths(engine, directory, t0, t1, **kw):
    clear_derived(engine)
    per_period_totals = recompute_range(engine, directory, t0, t1, **kw)
    per_period = derived_snapshot(engine)
    clear_derived(engine)
    bulk_totals = bulk_recompute_range(engine, directory, t0, t1, points_per_chunk=3, **kw)
    bulk = derived_snapshot(engine)
    return per_period_totals, per_period, bulk_totals, bulk


def _assert_same(per_period: dict, bulk: dict) -> None:
    for table in per_period:
        assert len(bulk[table]) == len(per_period[table]), table
        for a, b in zip(per_period[table], bulk[table]):
            assert a == b, (table, a, b)


@pytest.mark.timeout(1800)  # the per-period path on a shared CI machine: minutes
def test_bulk_equals_per_period_on_every_case(db_kind, february):
    url, gen = february(db_kind)
    engine = prepare_database(url)
    _out_of_control(engine, gen["point_ids"])
    directory = PointDirectory(engine)
    t0, t1 = datetime(2026, 2, 1, tzinfo=SH), datetime(2026, 3, 1, tzinfo=SH)
    pp_totals, per_period, bulk_totals, bulk = _both_paths(engine, directory, t0, t1)
    assert bulk_totals == pp_totals
    # 6 points; the month has 672 hours, the Vietnamese and UTC points' local month is cut by the range
    assert pp_totals["points"] == len(gen["point_ids"]) == 6
    hours = per_period["hourly_values"]
    assert len(hours) == pp_totals["hours"] > 6 * 600
    _assert_same(per_period, bulk)
    # the cases are there: invalid hours of every kind, marks of each effect, exceedances, substitutions,
    # the platform's 折算, the logger's own wastewater hours
    cols = [c.name for c in s.hourly_values.columns if c.name != "computed_at"]
    rows = [dict(zip(cols, r)) for r in hours]
    reasons = " | ".join(r["reason"] or "" for r in rows)
    for fragment in ("no data", "stopped (all F)", "valid minutes", "missing", "manual S minutes", "CN-MARK-INVALID",
                     "CN-MARK-EXCLUDED", "CN-MARK-EXEMPT", "CN-MARK-PRECEDENCE", "logger hour flagged M",
                     "CN-HOUR-OOC: out of control 60 min", "CN-HOUR-OOC: out of control 10 min"):
        assert fragment in reasons, fragment
    ooc = [r for r in rows if "CN-HOUR-OOC" in (r["reason"] or "")]
    assert any(r["valid"] for r in ooc) and any(not r["valid"] for r in ooc)   # 10 minutes out: still 50 valid
    assert {r["point_id"] for r in ooc} == {gen["point_ids"][mn] for mn in OOC_POINTS}
    assert any(r["exceeded"] for r in rows) and any(r["exceeded"] is False for r in rows)
    assert {r["flag"] for r in rows} >= {"N", "D", "F"}
    assert any(r["n_records"] == 1 and r["received_minutes"] == 60 for r in rows)  # logger hour
    assert len(per_period["revisions"]) > 0
    period_cols = [c.name for c in s.derived_periods.columns if c.name != "computed_at"]
    periods = [dict(zip(period_cols, r)) for r in per_period["derived_periods"]]
    assert any(p["n_substituted"] for p in periods) and any(p["cou_substituted"] for p in periods)
    assert any(p["exceeded"] for p in periods if p["period"] == "day")


@pytest.mark.timeout(1800)
def test_bulk_equals_per_period_on_a_range_that_cuts_days(db_kind, february):
    url, _gen = february(db_kind)
    engine = prepare_database(url)
    directory = PointDirectory(engine)
    t0, t1 = datetime(2026, 2, 3, 5, 30, tzinfo=SH), datetime(2026, 2, 9, 17, 0, tzinfo=SH)
    pp_totals, per_period, bulk_totals, bulk = _both_paths(engine, directory, t0, t1)
    assert bulk_totals == pp_totals and pp_totals["hours"] > 0
    _assert_same(per_period, bulk)


def test_month_windows_cut_at_local_month_starts():
    t0, t1 = datetime(2026, 1, 20, 5, tzinfo=SH), datetime(2026, 3, 2, tzinfo=SH)
    windows = month_windows(t0, t1, "Asia/Shanghai")
    assert [(a.astimezone(SH), b.astimezone(SH)) for a, b in windows] == [
        (t0, datetime(2026, 2, 1, tzinfo=SH)), (datetime(2026, 2, 1, tzinfo=SH), datetime(2026, 3, 1, tzinfo=SH)),
        (datetime(2026, 3, 1, tzinfo=SH), t1)]




def test_a_point_that_cannot_be_recomputed_does_not_stop_the_others(db_url):
    from sqlalchemy import func, select, update

    engine = prepare_database(db_url)
    gen = generate_month(engine, MONTH, gas_points=2, cases=False, seed=5)
    bad, good = sorted(gen["point_ids"].values())
    with engine.begin() as conn:  # not an HJ 212 MinInterval: the hourly rule refuses it
        conn.execute(update(s.points).where(s.points.c.id == bad).values(min_interval=7))
    directory = PointDirectory(engine)
    t0, t1 = datetime(2026, 2, 10, tzinfo=SH), datetime(2026, 2, 12, tzinfo=SH)
    totals = bulk_recompute_range(engine, directory, t0, t1)
    assert totals["failed_points"] == [bad]
    with engine.connect() as conn:
        per_point = dict(conn.execute(select(s.hourly_values.c.point_id, func.count()).group_by(
            s.hourly_values.c.point_id)).all())
    assert per_point == {good: 4 * 48} and totals["hours"] == 4 * 48


def test_points_without_factors_give_nothing_on_both_paths(db_kind, february):
    from sqlalchemy import delete

    url, gen = february(db_kind)
    engine = prepare_database(url)
    with engine.begin() as conn:  # registered points that have neither factors nor data
        conn.execute(delete(s.observations))
        conn.execute(delete(s.limits))
        conn.execute(delete(s.point_factors))
    directory = PointDirectory(engine)
    t0, t1 = datetime(2026, 2, 10, tzinfo=SH), datetime(2026, 2, 11, tzinfo=SH)
    pp_totals, per_period, bulk_totals, bulk = _both_paths(engine, directory, t0, t1)
    assert bulk_totals == pp_totals == {"points": len(gen["point_ids"]), "hours": 0, "days": 0, "months": 0}
    assert per_period == bulk and not bulk["hourly_values"]


def test_days_substitution_equals_day_by_day_with_out_of_control_periods():
    """The bulk path's month-at-once substitution and the per-period path's day-by-day one agree when a
    subsystem declares out-of-control periods (a failed calibration until the next pass, issue 18 item 3):
    the hours they touch are invalid with cause ``out_of_control`` on both."""
    import random
    from datetime import datetime, timedelta, timezone

    from ecosentry.subsystems.monitoring.pipeline.substitution import (LOOKBACK_HOURS, day_substitution,
                                                                       days_substitution)

    rnd = random.Random(18)
    t0 = datetime(2026, 10, 5, 16, tzinfo=timezone.utc)  # 00:00 in Shanghai
    days = [(t0 + timedelta(days=i), t0 + timedelta(days=i + 1)) for i in range(6)]
    rows, t = {}, t0 - timedelta(hours=LOOKBACK_HOURS)
    while t < days[-1][1]:
        if rnd.random() > 0.05:  # a few hours missing altogether
            valid = rnd.random() > 0.1
            rows[t] = {"period_start": t, "value": 30.0, "cou": round(rnd.uniform(5, 9), 3), "valid": valid,
                       "excluded": False, "mark_ids": "7" if not valid and rnd.random() < 0.3 else None}
        t += timedelta(hours=1)
    ooc = [(t0 + timedelta(days=1, hours=9, minutes=20), t0 + timedelta(days=2, hours=3)),
           (t0 + timedelta(days=4, hours=22), t0 + timedelta(days=4, hours=23, minutes=10))]
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    together = days_substitution(rows, 1, "a21026", "gas", "Asia/Shanghai", days, now, ooc)
    one_by_one = [day_substitution(rows, 1, "a21026", "gas", "Asia/Shanghai", lo, hi, now, ooc) for lo, hi in days]
    assert together == one_by_one
    codes = {rv["rule_code"] for _res, revs in one_by_one for rv in revs or ()}
    assert any("-OOC-" in c for c in codes), codes
    without = [day_substitution(rows, 1, "a21026", "gas", "Asia/Shanghai", lo, hi, now) for lo, hi in days]
    assert without != one_by_one  # the periods change what is substituted


def test_one_day_of_the_bulk_substitution_equals_day_substitution_without_history():
    """The worker's flush substitutes a day through the bulk form with that one day (``substitute_day``, issue 19
    item 2): equal to :func:`day_substitution` for gas and water, with and without history in the look-back,
    whatever hours of the day are missing."""
    import random
    from datetime import datetime, timedelta, timezone

    from ecosentry.subsystems.monitoring.pipeline.substitution import (LOOKBACK_HOURS, day_substitution,
                                                                       days_substitution)

    rnd = random.Random(19)
    day_lo = datetime(2025, 12, 31, 16, tzinfo=timezone.utc)  # 2026-01-01 00:00 in Shanghai
    day_hi = day_lo + timedelta(days=1)
    now = datetime(2026, 1, 3, tzinfo=timezone.utc)
    for history in (0, 24 * 10, LOOKBACK_HOURS):
        rows, t = {}, day_lo - timedelta(hours=history)
        while t < day_hi:
            if rnd.random() > 0.3:
                valid = rnd.random() > 0.2
                rows[t] = {"period_start": t, "value": round(rnd.uniform(6, 9), 2), "cou": round(rnd.uniform(5, 9), 3),
                           "valid": valid, "excluded": rnd.random() < 0.02, "mark_ids": None if valid else "3"}
            t += timedelta(hours=1)
        for medium, factor in (("gas", "a21026"), ("water", "w01018"), ("water", "w01001"), ("water", "w00000")):
            one = day_substitution(rows, 5, factor, medium, "Asia/Shanghai", day_lo, day_hi, now)
            bulk = days_substitution(rows, 5, factor, medium, "Asia/Shanghai", [(day_lo, day_hi)], now)
            assert bulk == [one], (history, factor)
            if medium == "water":
                assert one[1], (history, factor)  # the day has gaps: revisions to compare


def test_minute_rows_sorted_by_point_factor_and_time_whatever_order_they_come_in():
    """The bulk read's sort (one int64 key, no copy when the rows come in order) equals the lexicographic one,
    and drops the factors a point neither registered nor sent."""
    import numpy as np

    from ecosentry.subsystems.monitoring.pipeline.minute_block import MinuteBlock, _sorted_block, us_of

    rng = np.random.default_rng(3)
    lo = datetime(2026, 1, 31, 16, tzinfo=ZoneInfo("UTC"))
    hi = datetime(2026, 2, 28, 16, tzinfo=ZoneInfo("UTC"))
    n = 5000
    point = rng.choice([3, 8, 21], n).astype(np.int64)
    fidx = rng.integers(0, 3, n).astype(np.int64)
    start = us_of(lo) + rng.integers(0, us_of(hi) - us_of(lo), n).astype(np.int64)
    f = rng.random(n)
    block = MinuteBlock(["a", "b", "c"], point, fidx, start, f, f, f, f, f, np.zeros(n, dtype=np.int64),
                        np.ones(n, dtype=bool), start)
    factors_of = {3: ["a", "b", "c"], 8: ["a", "c"], 21: ["b"]}
    out = _sorted_block(block, factors_of, lo, hi)
    order = np.lexsort((start, fidx, point))
    keep = np.array([block.factors[fi] in factors_of[p] for p, fi in zip(point[order], fidx[order])])
    assert np.array_equal(out.start_us, start[order][keep]) and np.array_equal(out.value, f[order][keep])
    again = _sorted_block(out, factors_of, lo, hi)
    assert again is out  # in order already: not copied


def test_bulk_reads_in_reader_processes_or_here_leave_the_same_rows(db_url):
    """``read_streams`` 0 (every window read here, in turn) and 3 (reader processes, read ahead) on PostgreSQL
    leave the rows of the default; on SQLite there is one way."""
    engine = prepare_database(db_url)
    generate_month(engine, MONTH, gas_points=4, cases=False, seed=11)
    directory = PointDirectory(engine)
    t0, t1 = datetime(2026, 1, 28, 7, tzinfo=SH), datetime(2026, 2, 3, tzinfo=SH)  # two local months
    snaps = []
    for streams in (2, 0, 3):
        clear_derived(engine)
        totals = bulk_recompute_range(engine, directory, t0, t1, points_per_chunk=2, read_streams=streams)
        assert totals["hours"] > 0 and "failed_points" not in totals
        snaps.append(derived_snapshot(engine))
    assert snaps[0] == snaps[1] == snaps[2] and snaps[0]["hourly_values"]


def test_local_hour_of_each_minute_equals_the_per_period_paths_in_every_kind_of_zone():
    """The bulk hour of each instant (a table of the window's quarter-hours, or the quarter-hours present when
    the instants are sparse) is the per-period path's ``local_hour_start``: DST changes, half- and
    quarter-hour offsets. (Not Australia/Lord_Howe, whose DST moves the clock by 30 minutes: there the two
    differ in the half-hour after the change, before this test as after.)"""
    import numpy as np

    from ecosentry.subsystems.monitoring.pipeline.bulk_hours import datetime_of, local_hour_starts
    from ecosentry.subsystems.monitoring.pipeline.hourly import local_hour_start
    from ecosentry.subsystems.monitoring.pipeline.minute_block import us_of

    rng = np.random.default_rng(5)
    lo = us_of(datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")))
    dense = lo + rng.integers(0, 62 * 86_400, 3000) * 1_000_000  # two months, DST changes in March
    sparse = lo + rng.integers(-40 * 365 * 86_400, 40 * 365 * 86_400, 300) * 1_000_000  # eighty years
    for tz in ("Asia/Shanghai", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu",
               "UTC"):
        for instants in (dense, sparse):
            got = local_hour_starts(instants, tz)
            want = [us_of(local_hour_start(datetime_of(t), tz)) for t in instants.tolist()]
            assert got.tolist() == want, tz


def test_postgresql_read_of_minutes_equals_the_plain_select(pg_server, february):
    """The minutes PostgreSQL packs per point and factor come back as the plain SELECT reads them: every
    number (NULL and not), every flag (none, empty, N, S, F, two letters, unknown), times to the µs."""
    import numpy as np

    from ecosentry.subsystems.monitoring.pipeline.minute_block import _COLUMNS, _read_generic, _read_pg

    url, gen = february("postgresql")
    engine = prepare_database(url)
    with engine.begin() as conn:  # the flags the generator leaves out, and a stored NaN
        conn.exec_driver_sql("UPDATE observations SET flag = 'Sx' WHERE period_start < '2026-01-31T17:00Z'")
        conn.exec_driver_sql("UPDATE observations SET flag = ' ', value = 'NaN' "
                             "WHERE period_start >= '2026-02-03T05:00Z' AND period_start < '2026-02-03T05:07Z'")
    lo, hi = datetime(2026, 1, 31, 16, tzinfo=ZoneInfo("UTC")), datetime(2026, 2, 28, 16, tzinfo=ZoneInfo("UTC"))
    points = sorted(gen["point_ids"].values())
    factors = sorted({f for how in gen["how"].values() for f in how["factors"]})
    for asked in (factors, [f for f in factors if f != "a21026"]):  # all, and all but one (dropped here)
        with engine.connect() as conn:
            packed, plain = _read_pg(conn, points, asked, lo, hi), _read_generic(conn, points, asked, lo, hi)
        assert len(packed) == len(plain) > 100_000
        a, b = (np.lexsort((x.start_us, x.fidx, x.point)) for x in (packed, plain))
        for name in _COLUMNS:
            assert np.array_equal(getattr(packed, name)[a], getattr(plain, name)[b], equal_nan=name not in (
                "point", "fidx", "start_us", "nulls", "plain", "received_us")), name
        assert packed.flags == plain.flags and {"Sx", " ", "F", "X"} <= set(plain.flags.values())
    engine.dispose()
