"""Nothing acknowledged is lost: a killed server process, and a database outage."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ecosentry.protocols.hj212 import parse_frame
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet
from helpers import FLEET, GAS_MN, Logger, minute_frame, running_service

T0 = datetime(2026, 11, 21, 10, 0, 0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(url: str, state, port: int) -> subprocess.Popen:
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": url, "ECOSENTRY_DATA_DIR": str(state),
           "ECOSENTRY_HJ212_HOST": "127.0.0.1", "ECOSENTRY_HJ212_PORT": str(port),
           "ECOSENTRY_HTTP_PORT": str(_free_port())}
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
def test_acknowledged_data_survives_kill_of_the_server_while_the_database_is_locked(tmp_path):
    """The database is locked (so data can only be in the spool), the logger gets its replies, the
    process is killed with SIGKILL; after a restart every acknowledged value is in the database."""
    db = tmp_path / "kill.sqlite"
    url = f"sqlite:///{db}"
    engine = prepare_database(url)
    import_fleet(engine, FLEET)
    engine.dispose()
    port = _free_port()
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
        proc.wait(10)


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL that the test can cut and restore (a database outage).

    It runs its own event loop in a thread, so the service's blocking database calls cannot starve it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = _free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.flowing = asyncio.run_coroutine_threadsafe(self._event(), self.loop).result(10)

    @staticmethod
    async def _event() -> asyncio.Event:
        ev = asyncio.Event()
        ev.set()
        return ev

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                await self.flowing.wait()  # hung: bytes are taken and held, nothing answers, nothing is closed
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        ur, uw = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.links |= {w, uw}
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    async def _up(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _down(self) -> None:
        if self.server is None:
            return
        self.server.close()
        for w in self.links:
            w.close()
        self.links.clear()
        await self.server.wait_closed()
        self.server = None

    def up(self) -> None:
        asyncio.run_coroutine_threadsafe(self._up(), self.loop).result(10)

    def hang(self) -> None:
        """The database hangs: connections stay open and new ones are accepted, but nothing is answered."""
        self.loop.call_soon_threadsafe(self.flowing.clear)

    def resume(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.set)

    def down(self) -> None:
        asyncio.run_coroutine_threadsafe(self._down(), self.loop).result(10)

    def close(self) -> None:
        self.down()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.mark.postgres
async def test_database_outage_loses_nothing(tmp_path, pg_server):
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server)
    proxy = CuttableProxy(5432)
    proxy.up()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        async with running_service(tmp_path, via_proxy) as svc:
            lg = await Logger.connect(svc.hj212_port)
            for i in range(10):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                await lg.reply()
            await svc.drain()
            assert _count(url) == 10
            proxy.down()  # the database becomes unreachable
            for i in range(10, 30):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                assert parse_frame(await lg.reply()).cn == "9014"  # still acknowledged: the spool has it
            await asyncio.sleep(1.0)
            assert svc.worker.db_ok is False and svc.spool.backlog > 0
            assert _count(url) == 10
            proxy.up()
            await svc.drain(timeout=40)
            assert _count(url) == 30 and svc.worker.db_ok
            await lg.close()
    finally:
        proxy.close()
        drop()


@pytest.mark.postgres
async def test_a_hanging_database_loses_nothing_and_the_replies_go_on(tmp_path, pg_server):
    """PostgreSQL hangs (connections open, nothing answered, nothing refused): the worker's database calls wait
    in their thread, the gateway goes on acknowledging from the spool, and when the database answers again the
    backlog is stored, every frame once."""
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server)
    proxy = CuttableProxy(5432)
    proxy.up()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    try:
        async with running_service(tmp_path, via_proxy) as svc:
            lg = await Logger.connect(svc.hj212_port)
            for i in range(10):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                await lg.reply()
            await svc.drain()
            assert _count(url) == 10
            proxy.hang()
            for i in range(10, 30):
                await lg.send(minute_frame(GAS_MN, T0 + timedelta(minutes=i), {"a21026": float(i)}))
                # the reply does not wait for the database (a functional bound, not a speed measurement)
                assert parse_frame(await asyncio.wait_for(lg.reply(), 20)).cn == "9014"
            await asyncio.sleep(1.0)
            assert svc.spool.backlog > 0 and _count(url) == 10  # held, not lost, not stored
            proxy.resume()
            await svc.drain(timeout=60)
            assert _count(url) == 30
            await lg.close()
    finally:
        proxy.resume()
        proxy.close()
        drop()
