"""The virtual data logger against the real service over real TCP (SQLite and PostgreSQL).

Backfill: every frame is acknowledged (CN 9014) and the database holds exactly the minute (CN 2051) and
hourly (CN 2061) observations the logger sent, with the values its profile gives. Re-sending
(HJ 212-2017 §6.6 OverTime / ReCount): frames the platform never acknowledged, because nothing listened
or the server went away, reach the database exactly once after the server (re)starts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import distinct, func, select

from ecosentry.service import Service, prepare_database
from ecosentry.settings import Settings
from ecosentry.subsystems.monitoring.simulate.logger import VirtualLogger
from ecosentry.subsystems.monitoring.simulate.runner import fleet_loggers
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet

sys.path.insert(0, str(Path(__file__).parents[3] / "e2e"))
from helpers import FLEET, GAS_MN, WATER_MN, running_service  # noqa: E402
from netkit import SIDE_PORTS, SIDE_PORTS_ENV, free_port  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
GAS_FACTORS = ("a21026", "a21002", "a19001")       # FLEET's gas point
WATER_FACTORS = ("w01018", "w21003", "w00000")     # FLEET's water point


# --------------------------------------------------------------------------- helpers


@asynccontextmanager
async def service_on(tmp_path: Path, db_url: str, port: int, **overrides):
    """Like helpers.running_service, on a fixed HJ 212 port (that helper always asks for port 0)."""
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    engine.dispose()
    svc = Service(Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1",
                           hj212_port=port, http_host="127.0.0.1", http_port=0, **{**SIDE_PORTS, **overrides}))
    await svc.start(web=False)
    try:
        assert svc.hj212_port == port
        yield svc
    finally:
        await svc.stop()


async def start_server_process(db_url: str, state: Path, port: int) -> subprocess.Popen:
    """``ecosentry serve`` in its own process (so it can be frozen and killed), HJ 212 on ``port``."""
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_DATA_DIR": str(state),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port),
           "ECOSENTRY_HTTP_HOST": "127.0.0.1", "ECOSENTRY_HTTP_PORT": "0", **SIDE_PORTS_ENV}
    log = state.parent / f"serve-{port}.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return proc
        except OSError:
            await asyncio.sleep(0.1)
    proc.kill()
    pytest.fail("server did not start within 60 s")


def stop_server_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)  # in case it is still frozen
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            pytest.fail("the server did not stop within 30 s of SIGTERM")


async def wait_until(cond, deadline_s: float, what: str) -> None:
    """Liveness: poll ``cond`` until it holds; fail (not hang) after ``deadline_s``."""
    end = time.monotonic() + deadline_s
    while not cond():
        if time.monotonic() > end:
            pytest.fail(f"not reached within {deadline_s} s: {what}")
        await asyncio.sleep(0.05)


async def away_from_minute_edge() -> None:
    """The logger reads the clock itself when it starts; start it well inside a minute so the test's own
    clock reading gives the same backfill window (same floored minute, same complete hours)."""
    while datetime.now(ZONE).second >= 57:
        await asyncio.sleep(0.2)


async def started(lg: VirtualLogger) -> datetime:
    """The logger's own clock reading at the start of its schedule (its backfill window ends there)."""
    await wait_until(lambda: lg.started_at is not None, 10, "logger started")
    return lg.started_at


def floor_to(t: datetime, minutes: int) -> datetime:
    day = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + ((t - day) // timedelta(minutes=minutes)) * timedelta(minutes=minutes)


def backfill_plan(now: datetime, hours: float, interval_min: int) -> tuple[list[datetime], list[datetime], datetime]:
    """What a backfill of ``hours`` started at ``now`` must send: minute-interval starts (every interval from
    the one containing ``now - hours`` up to, not including, the current one), the starts of the complete
    clock hours inside the window, and the end of the window (start of the current interval). Local time."""
    since = now - timedelta(hours=hours)
    end = floor_to(now, interval_min)
    minutes, t = [], floor_to(since, interval_min)
    while t < end:
        minutes.append(t)
        t += timedelta(minutes=interval_min)
    hours_ = []
    h = since.replace(minute=0, second=0, microsecond=0)
    while h + timedelta(hours=1) <= end:
        if h >= since:
            hours_.append(h)
        h += timedelta(hours=1)
    return minutes, hours_, end


def utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)


def loggers_by_mn(port: int, **kw) -> dict[str, VirtualLogger]:
    out = {}
    for lg in fleet_loggers(FLEET, "127.0.0.1", port, rtd_interval=kw.pop("rtd_interval", 3600)):
        for k, v in kw.items():
            setattr(lg, k, v)
        out[lg.cfg.mn] = lg
    return out


def point_id(engine, mn: str) -> int:
    with engine.connect() as c:
        return c.execute(select(s.points.c.id).where(s.points.c.mn == mn)).scalar_one()


def observations(engine, pid: int, kind: str) -> list:
    o = s.observations
    with engine.connect() as c:
        return c.execute(select(o.c.factor_code, o.c.period_start, o.c.value, o.c.min, o.c.max, o.c.flag)
                         .where(o.c.point_id == pid, o.c.kind == kind)
                         .order_by(o.c.period_start, o.c.factor_code)).all()


def accepted_frames_by_cn(engine, mn: str) -> dict[str, int]:
    """Distinct QNs (= distinct frames of this logger) per CN among the accepted raw frames."""
    r = s.raw_frames
    with engine.connect() as c:
        rows = c.execute(select(r.c.cn, func.count(distinct(r.c.qn)))
                         .where(r.c.mn == mn, r.c.status == "accepted").group_by(r.c.cn)).all()
    return {cn: n for cn, n in rows}


def raw_copies(engine, mn: str) -> int:
    r = s.raw_frames
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(r).where(r.c.mn == mn)).scalar_one()


def assert_every_frame_stored_once(engine, lg: VirtualLogger, factors: tuple[str, ...]) -> dict[str, int]:
    """Every frame the logger made is archived, and its records are in the observations exactly once:
    per CN, observations = distinct frames × factors (the observation key would hide a double, the
    count would show a loss)."""
    by_cn = accepted_frames_by_cn(engine, lg.cfg.mn)
    assert sum(by_cn.values()) == lg.stats.sent
    pid = point_id(engine, lg.cfg.mn)
    for cn, kind in (("2011", "rtd"), ("2051", "min"), ("2061", "hour"), ("2031", "day")):
        obs = observations(engine, pid, kind)
        assert len(obs) == by_cn.get(cn, 0) * len(factors), (lg.cfg.mn, cn)
        assert {o.factor_code for o in obs} <= set(factors)
        assert len({(o.factor_code, o.period_start) for o in obs}) == len(obs)
    return by_cn


def assert_backfill_in_database(engine, lg: VirtualLogger, factors: tuple[str, ...],
                                minutes: list[datetime], hours: list[datetime], end: datetime) -> None:
    """The backfill window holds exactly the expected minute and hourly observations, with the values
    the logger's profile gives (3 decimals on the wire)."""
    pid = point_id(engine, lg.cfg.mn)
    interval = lg.cfg.min_interval
    mins = [o for o in observations(engine, pid, "min") if o.period_start < utc(end)]
    assert len(mins) == len(minutes) * len(factors)
    assert {(o.factor_code, o.period_start) for o in mins} == {(f, utc(t)) for t in minutes for f in factors}
    # anything later was sent live, after the backfill
    assert all(o.period_start >= utc(end) for o in observations(engine, pid, "min") if o not in mins)
    hrs = [o for o in observations(engine, pid, "hour") if o.period_start + timedelta(hours=1) <= utc(end)]
    assert {(o.factor_code, o.period_start) for o in hrs} == {(f, utc(h)) for h in hours for f in factors}

    by_key = {(o.factor_code, o.period_start): o for o in mins + hrs}
    for t in (minutes[0], minutes[len(minutes) // 2], minutes[-1]):
        stats = lg.profile.aggregate(t, interval * 60, 5)
        for f in factors:
            o = by_key[(f, utc(t))]
            assert o.value == pytest.approx(stats[f].avg, abs=5e-4), \
                f"{f} of {lg.cfg.mn} at {t} (window end {end}, logger started {lg.started_at}): {o}"
            assert o.min == pytest.approx(stats[f].min, abs=5e-4)
            assert o.max == pytest.approx(stats[f].max, abs=5e-4)
            assert o.flag == "N"
            assert o.min <= o.value <= o.max
    for h in hours:
        stats = lg.profile.aggregate(h, 3600, 60)
        for f in factors:
            assert by_key[(f, utc(h))].value == pytest.approx(stats[f].avg, abs=5e-4)


# --------------------------------------------------------------------------- tests


async def test_backfill_is_acknowledged_and_stored_exactly(tmp_path, db_url):
    hours_back = 1.5
    async with running_service(tmp_path, db_url) as svc:
        loggers = loggers_by_mn(svc.hj212_port)
        assert set(loggers) == {GAS_MN, WATER_MN}
        gas, water = loggers[GAS_MN], loggers[WATER_MN]
        assert (gas.cfg.min_interval, water.cfg.min_interval) == (1, 10)
        stop = asyncio.Event()
        await away_from_minute_edge()
        tasks = [asyncio.create_task(lg.run(stop, backfill_hours=hours_back)) for lg in loggers.values()]
        plans = {mn: backfill_plan(await started(lg), hours_back, lg.cfg.min_interval) for mn, lg in loggers.items()}
        assert len(plans[GAS_MN][0]) == 90 and len(plans[WATER_MN][0]) == 9
        # backfill frames, then the first real-time frame of the live phase
        n_backfill = {mn: len(m) + len(h) for mn, (m, h, _end) in plans.items()}
        await wait_until(lambda: all(lg.stats.sent > n_backfill[mn] and not lg.unacked
                                     for mn, lg in loggers.items()), 60, "all backfill frames acknowledged")
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)

        await svc.drain(timeout=60)
        await svc.worker.flush()
        eng = svc.engine
        for mn, factors in ((GAS_MN, GAS_FACTORS), (WATER_MN, WATER_FACTORS)):
            lg = loggers[mn]
            minutes, hours, end = plans[mn]
            assert lg.stats.acked == lg.stats.sent and lg.stats.resent == 0 and lg.stats.reconnects == 0
            assert len(lg.stats.latencies) == lg.stats.acked
            by_cn = assert_every_frame_stored_once(eng, lg, factors)
            assert by_cn["2011"] == 1  # RtdInterval 3600 s: one real-time frame when the live phase starts
            assert by_cn["2051"] >= len(minutes) and by_cn.get("2061", 0) >= len(hours)
            assert_backfill_in_database(eng, lg, factors, minutes, hours, end)

        # the platform's own hourly values (from the minutes) for the complete hours of the backfill
        gas_minutes, gas_hours, _ = plans[GAS_MN]
        hv = s.hourly_values
        with eng.connect() as c:
            rows = c.execute(select(hv).where(hv.c.point_id == point_id(eng, GAS_MN), hv.c.factor_code == "a21026",
                                              hv.c.period_start.in_([utc(h) for h in gas_hours]))).mappings().all()
            minute_values = dict(c.execute(
                select(s.observations.c.period_start, s.observations.c.value)
                .where(s.observations.c.point_id == point_id(eng, GAS_MN), s.observations.c.kind == "min",
                       s.observations.c.factor_code == "a21026")).all())
        assert len(rows) == len(gas_hours)
        for r in rows:
            in_hour = [v for t, v in minute_values.items() if r["period_start"] <= t < r["period_start"] + timedelta(hours=1)]
            assert len(in_hour) == 60
            assert r["n_records"] == 60 and r["valid_minutes"] == 60 and r["valid"] is True and r["flag"] == "N"
            assert r["value"] == pytest.approx(sum(in_hour) / 60)


async def test_frames_held_while_nothing_listens_arrive_once_the_server_starts(tmp_path, db_url):
    port = free_port()
    hours_back = 0.5
    gas = loggers_by_mn(port, overtime=30.0)[GAS_MN]
    stop = asyncio.Event()
    await away_from_minute_edge()
    task = asyncio.create_task(gas.run(stop, backfill_hours=hours_back))
    minutes, hours, end = backfill_plan(await started(gas), hours_back, 1)
    try:
        # nothing listens: the first frame is held, unacknowledged, and the backfill waits behind it
        await wait_until(lambda: len(gas.unacked) == 1, 10, "first frame held")
        await asyncio.sleep(1.5)  # several refused connection attempts
        assert gas.stats.sent == 1 and gas.stats.acked == 0 and len(gas.unacked) == 1
        assert not task.done()

        async with service_on(tmp_path, db_url, port) as svc:
            await wait_until(lambda: gas.stats.sent > len(minutes) + len(hours) and not gas.unacked, 60,
                             "backfill delivered after the server started")
            stop.set()
            await asyncio.wait_for(task, 30)
            await svc.drain(timeout=60)
            assert gas.stats.acked == gas.stats.sent
            by_cn = assert_every_frame_stored_once(svc.engine, gas, GAS_FACTORS)
            assert by_cn["2051"] >= len(minutes)
            # the held frame went out once, when the connection came up: nothing was sent twice
            assert gas.stats.resent == 0
            assert raw_copies(svc.engine, GAS_MN) == sum(by_cn.values()) == gas.stats.sent
            assert_backfill_in_database(svc.engine, gas, GAS_FACTORS, minutes, hours, end)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)


async def test_stop_ends_a_logger_that_never_connected():
    gas = loggers_by_mn(free_port())[GAS_MN]
    stop = asyncio.Event()
    task = asyncio.create_task(gas.run(stop, backfill_hours=1))
    await wait_until(lambda: len(gas.unacked) == 1, 10, "first frame held")
    stop.set()
    await asyncio.wait_for(task, 10)  # must not wait for a connection that never comes
    assert gas.stats.sent == 1 and gas.stats.acked == 0 and gas.stats.reconnects == 0


async def test_frames_unacknowledged_when_the_server_dies_arrive_once_after_it_restarts(tmp_path, db_url):
    """The server process is frozen (SIGSTOP) while the logger backfills, so frames are written but never
    acknowledged, then killed (SIGKILL); the logger re-sends to the restarted server on the same port and
    every frame ends up in the database once: the acknowledged ones from the server's spool, the others
    from the logger."""
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    port = free_port()
    state = tmp_path / "state"
    hours_back = 3.0
    gas = loggers_by_mn(port, rtd_interval=1, overtime=2.0)[GAS_MN]
    stop = asyncio.Event()
    await away_from_minute_edge()
    proc = await start_server_process(db_url, state, port)
    task = asyncio.create_task(gas.run(stop, backfill_hours=hours_back))
    # the window from the logger's own clock reading: starting the server process may take seconds under load
    minutes, hours, end = backfill_plan(await started(gas), hours_back, 1)
    try:
        await wait_until(lambda: gas.stats.acked >= 20, 60, "first frames acknowledged")
        proc.send_signal(signal.SIGSTOP)  # frozen: reads nothing, acknowledges nothing
        await asyncio.sleep(0.5)  # replies already on their way arrive; none after that
        acked_at_freeze = gas.stats.acked
        # the logger goes on writing (backfill, a real-time frame every second) until its window is full
        await wait_until(lambda: len(gas.unacked) > 0, 30, "frames written to the frozen server")
        await asyncio.sleep(0.5)
        assert gas.stats.acked == acked_at_freeze
        written_unacked = set(gas.unacked)
        proc.kill()
        proc.wait(10)
        await wait_until(lambda: gas.stats.reconnects >= 1, 30, "the logger notices the server is gone")
        await asyncio.sleep(1.0)  # and retries against a closed port
        assert gas.stats.acked == acked_at_freeze < gas.stats.sent
        assert written_unacked <= set(gas.unacked)

        proc = await start_server_process(db_url, state, port)
        await wait_until(lambda: not (written_unacked & set(gas.unacked)), 60, "re-sent frames acknowledged")
        await wait_until(lambda: gas.stats.sent > len(minutes) + len(hours) + 1 and not gas.unacked, 60,
                         "everything acknowledged")
        stop.set()
        await asyncio.wait_for(task, 30)
        assert gas.stats.resent > 0
        assert gas.stats.acked == gas.stats.sent > acked_at_freeze

        def stored() -> bool:
            try:
                assert_every_frame_stored_once(engine, gas, GAS_FACTORS)
                return True
            except AssertionError:
                return False

        await wait_until(stored, 60, "every frame in the database")
        by_cn = assert_every_frame_stored_once(engine, gas, GAS_FACTORS)
        assert by_cn["2011"] >= 1 and by_cn["2051"] >= len(minutes)
        assert_backfill_in_database(engine, gas, GAS_FACTORS, minutes, hours, end)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 30)
        stop_server_process(proc)
        engine.dispose()
