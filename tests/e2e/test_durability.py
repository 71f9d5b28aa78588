"""Nothing acknowledged is lost: a killed server process, and a database outage."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ecosentry.protocols.hj212 import parse_frame
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.outage import DatabaseProxy
from ecosentry.fleet import import_fleet
from helpers import FLEET, GAS_MN, Logger, minute_frame, running_service
from netkit import SIDE_PORTS_ENV, free_port

T0 = datetime(2026, 11, 21, 10, 0, 0)


def _start_server(url: str, state, port: int) -> subprocess.Popen:
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(state),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port), "ECOSENTRY_HTTP_PORT": "0",
           **SIDE_PORTS_ENV}  # the restart takes the same HJ 212 port; the others are any free ones
    proc = subprocess.Popen([sys.executable, "-m", "ecosentry.cli", "serve"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("server did not start")


def _count(url: str) -> int:
    from sqlalchemy import create_engine

    eng = create_engine(url)
    with eng.connect() as c:
        n = c.execute(select(func.count()).select_from(s.observations)).scalar_one()
    eng.dispose()
    return n


@pytest.mark.slow
def test_acknowledged_data_survives_kill_of_the_server_while_the_database_is_locked(tmp_path,
                                                                                   sqlite_migrated_template):
    """The database is locked (so data can only be in the spool), the logger gets its replies, the
    process is killed with SIGKILL; after a restart every acknowledged value is in the database."""
    db = tmp_path / "kill.sqlite"
    shutil.copyfile(sqlite_migrated_template, db)  # migrated once per session
    url = f"sqlite:///{db}"
    engine = prepare_database(url)
    import_fleet(engine, FLEET)
    engine.dispose()
    port = free_port()
    proc = _start_server(url, tmp_path / "state", port)
    lock = sqlite3.connect(db, timeout=30)
    lock.execute("BEGIN EXCLUSIVE")  # the ingest worker cannot write from now on
    try:
        async def send() -> int:
            lg = await Logger.connect(port)
            acked = 0
            for i in range(40):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i), "a19001": 7.0}))
                assert parse_frame(await lg.reply()).cn == "9014"
                acked += 1
            await lg.close()
            return acked

        acked = asyncio.run(send())
        assert acked == 40
        proc.kill()  # SIGKILL: no shutdown code runs
        proc.wait(10)
    finally:
        lock.rollback()
        lock.close()
    assert _count(url) == 0  # nothing reached the database before the kill
    proc = _start_server(url, tmp_path / "state", port)
    try:
        deadline = time.time() + 30
        while _count(url) < 80 and time.time() < deadline:
            time.sleep(0.1)
        assert _count(url) == 80  # 40 frames × 2 factors, none lost, none doubled
    finally:
        proc.terminate()
        try:  # a loaded machine stops the service's many parts slowly: the data, not the stop, is the point here
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["refuse", "hang"])
async def test_a_database_outage_loses_nothing_and_the_replies_go_on(tmp_path, pg_server, pg_migrated_template, mode):
    """PostgreSQL unreachable behind a proxy, refusing (connections reset, the worker sees errors at once) or
    hanging (connections open, nothing answered: the worker's calls wait in their thread); the gateway goes on
    acknowledging from the spool, and when the database is back the backlog is stored, every frame once."""
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server, template=pg_migrated_template)  # not migrated again per test
    proxy = DatabaseProxy("127.0.0.1", 5432)
    proxy.start()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        async with running_service(tmp_path, via_proxy) as svc:
            lg = await Logger.connect(svc.hj212_port)
            for i in range(10):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                await lg.reply()
            await svc.drain()
            assert _count(url) == 10
            proxy.refuse() if mode == "refuse" else proxy.hang()
            for i in range(10, 30):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                # still acknowledged: the spool has it (a functional bound, not a speed measurement)
                assert parse_frame(await asyncio.wait_for(lg.reply(), 20)).cn == "9014"
            await asyncio.sleep(1.0)
            assert svc.spool.backlog > 0 and _count(url) == 10  # held, not lost, not stored
            if mode == "refuse":
                assert svc.worker.db_ok is False
            proxy.restore()
            await svc.drain(timeout=60)
            assert _count(url) == 30 and svc.worker.db_ok
            await lg.close()
    finally:
        proxy.close()
        drop()
