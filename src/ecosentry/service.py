"""One running ecosentry: database, spool, ingest worker, HJ 212 gateway, the installed subsystems' parts
(:attr:`ecosentry.contracts.subsystem.Subsystem.services`) and the web/API server."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import os
import socket
import subprocess
import sys
from contextlib import suppress
from datetime import datetime, timezone

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ecosentry.alarms.channels.config import build_channels
from ecosentry.alarms.channels.live import LiveHub
from ecosentry.alarms.dispatch import Dispatcher
from ecosentry.contracts.subsystem import PortInUse, ServiceContext
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.installed import each
from ecosentry.pipeline.bus_nats import BusConnection, PublishingSpool, SpoolForwarder
from ecosentry.pipeline.bus_worker import BusWorker
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.sinks import build_sinks, instrument_routes
from ecosentry.pipeline.spool import Spool, SpoolReader, read_cursor
from ecosentry.pipeline.spool_lock import SpoolBusy, SpoolLock
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.settings import Settings
from ecosentry.store.db import make_engine, migrate
from ecosentry.retention.apply import run_retention
from ecosentry.store.partitions import ensure_month_partitions
from ecosentry.store.registry import seed_factors

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)

#: The parts one ``ecosentry serve`` runs (``--role``).
ROLES = ("all", "gateway", "worker", "api")


def prepare_database(url: str) -> Engine:
    """Migrate to the newest schema, seed the factor catalogue, return an engine."""
    migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        seed_factors(conn)
        ensure_month_partitions(conn)
    return engine


def _is_addr_in_use(exc: OSError) -> bool:
    # asyncio.start_server re-raises bind failures as a new OSError with the same errno
    return exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE))


def listen_sockets(host: str, port: int, what: str) -> list[socket.socket]:
    """Bind the web port ourselves (every address ``host`` resolves to, as asyncio would) so that a taken
    port is a :class:`PortInUse` here instead of uvicorn's ``sys.exit`` inside its serving task."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, type_, proto, _, addr in dict.fromkeys(infos):
            sock = socket.socket(family, type_, proto)
            socks.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
    except OSError as exc:
        for sock in socks:
            sock.close()
        if _is_addr_in_use(exc):
            raise PortInUse(what, host, port) from exc
        raise
    return socks


def _warm_report_font() -> subprocess.Popen | None:
    """Make the Regular instance of the report font now, in a separate process (once per machine, ~15 s of
    pure-Python work that would otherwise hold this process's GIL), so the first chart a user asks for does
    not wait for it. None when it is already cached."""
    from ecosentry.reports.fonts import CJKFontMissing, regular_font_target

    try:
        if regular_font_target().is_file():
            return None
    except CJKFontMissing as exc:
        log.warning("%s", exc)
        return None
    return subprocess.Popen([sys.executable, "-m", "ecosentry.reports.fonts"], stdout=subprocess.DEVNULL)


def tune_gc(settings: Settings) -> None:
    """Collect the young generation of Python's cyclic collector every ``gc_young_threshold`` allocations in this
    service process: fewer pauses of every reply, none longer (settings.py)."""
    if settings.gc_young_threshold > 0:
        gc.set_threshold(settings.gc_young_threshold, 20, 10)


class Service:
    def __init__(self, settings: Settings, role: str = "all") -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self.settings = settings
        #: ``all``: everything in one process over the embedded spool; ``gateway``/``worker``/``api``: one part
        #: of a scale-out deployment over NATS JetStream.
        self.role = role
        self.spool: Spool | None = None
        self.bus: BusConnection | None = None
        self.forwarder: SpoolForwarder | None = None
        self.bus_worker: BusWorker | None = None
        self.engine: Engine | None = None
        self.gateway: HJ212Gateway | None = None
        self.worker: IngestWorker | None = None
        self.http: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task] = []
        #: Loops that only sleep and act on a clock (no work in hand to finish): cancelled at once on stop.
        self._timers: list[asyncio.Task] = []
        self._stopping = False
        self._font_proc: subprocess.Popen | None = None
        self.worker_proc: subprocess.Popen | None = None
        self._worker_pipe: int | None = None
        #: The subsystems' parts, by name (:meth:`part`).
        self.parts: dict = {}

    def part(self, name: str):
        """The running part ``name`` of a subsystem (its ``target`` when it wraps one), or None."""
        p = self.parts.get(name)
        return getattr(p, "target", p)

    def __getattr__(self, name: str):
        # ``service.detection``, ``service.forwarder``, ``service.vn_intake``: the subsystems' parts by name
        parts = self.__dict__.get("parts") or {}
        if name in parts:
            return self.part(name)
        raise AttributeError(name)

    async def start(self, *, web: bool = True, gateway: bool = True, alarms: bool = True,
                    forward: bool = True) -> None:
        """Start the parts; ``alarms=False`` leaves the detection passes and alarm ticks to the caller
        (tests drive :attr:`detection` and :attr:`dispatcher` with their own clock).

        Raises :class:`PortInUse` when a listening port is taken, :class:`SpoolBusy` when another process
        runs the ingest worker of the spool, after stopping what had started."""
        tune_gc(self.settings)
        try:
            await self._start(web=web, gateway=gateway, alarms=alarms, forward=forward)
        except (PortInUse, SpoolBusy):
            await self.stop()
            raise

    async def _start(self, *, web: bool, gateway: bool, alarms: bool, forward: bool) -> None:
        if self.role != "all":
            await self._start_on_bus(web=web, gateway=gateway, alarms=alarms, forward=forward)
            return
        st = self.settings
        self.engine = await asyncio.to_thread(prepare_database, st.database_url)
        self.directory = await asyncio.to_thread(PointDirectory, self.engine)
        self.spool = Spool(st.data_dir / "spool")
        if self.spool.backlog:
            log.info("spool holds %d records not yet in the database; writing them first", self.spool.backlog)
        # one ingest worker per spool (issue 11, 1f): this process holds the lock for its in-process worker;
        # a worker child takes it itself, so here it is only checked (and waited for) before the child starts
        self.spool_lock = SpoolLock(st.data_dir / "spool")
        await asyncio.to_thread(self.spool_lock.acquire, st.worker_lock_wait)
        if st.ingest_process:
            self.spool_lock.release()
            self._start_worker_process()
        else:
            self.worker = IngestWorker(self.engine, SpoolReader(st.data_dir / "spool"),
                                       build_sinks(self.engine, st, self.directory), batch_max=st.ingest_batch_max,
                                       flush_every=st.hourly_every, wake=self.spool.new_data)
            self._tasks.append(asyncio.create_task(self.worker.run(), name="ingest-worker"))
        await self._start_edges(web=web, gateway=gateway, alarms=alarms, forward=forward)

    async def _start_on_bus(self, *, web: bool, gateway: bool, alarms: bool, forward: bool) -> None:
        """A process of a scale-out deployment (``--role``, :mod:`ecosentry.pipeline.bus_nats`): a worker
        consumes the stream into the database; a gateway or API process keeps its own spool, publishes what it
        receives to the stream before replying, and a forwarder publishes what NATS did not take in time."""
        st = self.settings
        if self.role == "api":
            self.engine = await asyncio.to_thread(prepare_database, st.database_url)
        else:  # the schema is the API process's (or ``ecosentry migrate``'s) to change
            self.engine = make_engine(st.database_url)
        self.directory = await asyncio.to_thread(PointDirectory, self.engine)
        if self.role == "worker":
            await asyncio.to_thread(self._ensure_partitions)
            self.bus_worker = BusWorker(self.engine, build_sinks(self.engine, st, self.directory), st.nats,
                                        worker_id=st.nats.worker_id or None, flush_every=st.hourly_every)
            self._tasks.append(asyncio.create_task(self.bus_worker.run(), name="bus-worker"))
            return
        self.spool = PublishingSpool(st.data_dir / "spool")
        # the forwarder is this spool's one reader, as the ingest worker is in the embedded mode
        self.spool_lock = SpoolLock(st.data_dir / "spool")
        await asyncio.to_thread(self.spool_lock.acquire, st.worker_lock_wait)
        self.bus = BusConnection(st.nats, f"ecosentry-{self.role}-{os.getpid()}")
        self.bus.start()
        self.forwarder = SpoolForwarder(self.spool, self.bus)
        self.spool.forwarder = self.forwarder
        self._tasks.append(asyncio.create_task(self.forwarder.run(), name="spool-forwarder"))
        on_api = self.role == "api"
        await self._start_edges(web=web and on_api, gateway=gateway and not on_api, alarms=alarms and on_api,
                                forward=forward and on_api)

    def _ensure_partitions(self) -> None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            ensure_month_partitions(conn)

    async def _start_edges(self, *, web: bool, gateway: bool, alarms: bool, forward: bool) -> None:
        """The subsystems' parts, the HJ 212 gateway and the web server, over the spool made before."""
        st = self.settings
        self.live_hub = LiveHub()
        self.dispatcher = Dispatcher.from_settings(self.engine, build_channels(st.notify, hub=self.live_hub),
                                                   st, hub=self.live_hub)
        enabled = frozenset(k for k, v in (("gateway", gateway), ("alarms", alarms), ("forward", forward)) if v)
        ctx = ServiceContext(settings=st, engine=self.engine, spool=self.spool, directory=self.directory,
                             dispatcher=self.dispatcher, enabled=enabled, parts=self.parts)
        for _, make_parts in each("services"):
            for part in make_parts(ctx):
                self.parts[part.name] = part
                await part.start()
        if alarms:
            self._timers.append(asyncio.create_task(self._alarm_ticks(), name="alarm-ticks"))
            if st.retention.enabled:  # the process that runs the jobs keeps the data no longer than they must
                self._timers.append(asyncio.create_task(self._retention_passes(), name="retention"))
        if gateway:
            gw = HJ212Gateway(self.directory, self.spool, max_frame=st.hj212_max_frame,
                              idle_timeout=st.hj212_idle_timeout, frame_deadline=st.hj212_frame_deadline,
                              max_per_peer=st.hj212_max_connections_per_peer,
                              max_connections=st.hj212_max_connections,
                              max_garbage=st.hj212_garbage_chunk, log_every=st.hj212_log_every,
                              routes=instrument_routes(st.hj212_instrument_cns))
            try:
                await gw.start(st.hj212_host, st.hj212_port, reuse_port=st.hj212_reuse_port)
            except OSError as exc:
                if _is_addr_in_use(exc):
                    raise PortInUse("hj212", st.hj212_host, st.hj212_port) from exc
                raise
            self.gateway = gw
            self._timers.append(asyncio.create_task(self._directory_refresh(), name="directory-refresh"))
        if web:
            sockets = listen_sockets(st.http_host, st.http_port, "web")
            self._font_proc = _warm_report_font()
            import uvicorn  # the web's imports (FastAPI, the pages) only where the web is served

            from ecosentry.api.app import create_app

            app = create_app(self.engine, service=self)
            config = uvicorn.Config(app, host=st.http_host, port=st.http_port, log_level="warning",
                                    lifespan="off")
            self.http = uvicorn.Server(config)
            self.http.install_signal_handlers = lambda: None  # the CLI owns signals
            http_task = asyncio.create_task(self.http.serve(sockets=sockets), name="http")
            self._tasks.append(http_task)
            while not self.http.started and not http_task.done():
                await asyncio.sleep(0.02)
            if not self.http.started:
                await http_task  # raises what stopped it

    def _start_worker_process(self) -> None:
        """``ecosentry worker`` as a child that ends when this process ends, however it ends: it holds the
        read end of a pipe whose write end only this process has (end-of-file when it dies) and asks Linux
        for SIGTERM on its parent's death (see :mod:`ecosentry.pipeline.parent_watch`)."""
        st = self.settings
        env = {**os.environ, "ECOSENTRY_DATABASE_URL": st.database_url, "ECOSENTRY_DATA_DIR": str(st.data_dir),
               "ECOSENTRY_INGEST_BATCH_MAX": str(st.ingest_batch_max), "ECOSENTRY_HOURLY_EVERY": str(st.hourly_every)}
        read_end, write_end = os.pipe()  # both non-inheritable; only read_end is passed on
        try:
            self.worker_proc = subprocess.Popen(
                [sys.executable, "-m", "ecosentry.cli", "worker", "--parent-pid", str(os.getpid()),
                 "--parent-fd", str(read_end), "--lock-wait", "5"], env=env, pass_fds=(read_end,))
        except BaseException:
            os.close(write_end)
            raise
        finally:
            os.close(read_end)
        self._worker_pipe = write_end
        self._tasks.append(asyncio.create_task(self._watch_worker_process(self.worker_proc), name="worker-proc"))

    async def _watch_worker_process(self, proc: subprocess.Popen) -> None:
        code = await asyncio.to_thread(proc.wait)
        if not self._stopping:
            log.error("the ingest worker process %d ended with code %s; the spool is not being written to the "
                      "database until the server restarts", proc.pid, code)

    async def _directory_refresh(self) -> None:
        """Refresh the gateway's copy of the registry on a schedule, in a thread: the event loop never
        waits on the database (a hung connection holds that thread only)."""
        while True:
            await asyncio.sleep(self.settings.directory_refresh_every)
            self.directory.refresh_in_background()

    async def _alarm_ticks(self) -> None:
        """Escalations and repeat notifications of the open alarms, on the wall clock."""
        while True:
            await asyncio.sleep(self.settings.alarms.tick_every)
            try:
                await self.dispatcher.tick(datetime.now(timezone.utc))
            except Exception:
                log.exception("alarm escalation tick failed; retrying next tick")

    async def _retention_passes(self) -> None:
        """The retention pass (``ecosentry.retention``) ten minutes after the start (not in the way of a start's
        catch-up), then every ``every_hours``; in a worker thread, each batch its own transaction."""
        await asyncio.sleep(600)
        while True:
            try:
                await asyncio.to_thread(run_retention, self.engine, datetime.now(timezone.utc),
                                        self.settings.retention)
            except Exception:
                log.exception("retention pass failed; retrying at the next pass")
            await asyncio.sleep(self.settings.retention.every_hours * 3600)

    @property
    def ftp_port(self) -> int:
        """The FTP port of the Vietnamese intake, 0 when it does not run."""
        return getattr(self.parts.get("vn_intake"), "port", 0)

    @property
    def hj212_port(self) -> int:
        return self.gateway.port if self.gateway else 0

    @property
    def http_port(self) -> int:
        assert self.http is not None
        return self.http.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        host = self.settings.http_host
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{self.http_port}/"

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until the database holds everything the gateway has made durable so far."""
        if self.spool is None:
            return
        upto = self.spool.durable_seq

        async def _wait() -> None:
            while read_cursor(self.spool.dir) < upto:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(_wait(), timeout)

    def status(self) -> dict:
        if self.spool is None:  # a worker on the bus
            return {"role": self.role, "database_ok": self.bus_worker.db_ok if self.bus_worker else None,
                    "partitions": sorted(self.bus_worker.claims) if self.bus_worker else [],
                    "points_known": len(self.directory)}
        return {
            "spool_backlog": self.spool.backlog,
            "database_ok": self.worker.db_ok if self.worker else None,
            "ingest_process": self.worker_proc.pid if self.worker_proc else None,
            "logger_connections": self.gateway.connections if self.gateway else 0,
            "points_known": len(self.directory),
        }

    async def stop(self) -> None:
        self._stopping = True
        if self.gateway:
            await self.gateway.close()
        for part in reversed(list(self.parts.values())):
            with suppress(Exception):
                await part.close()
        with suppress(Exception):
            await self.drain(timeout=5)
        if self.worker:
            await self.worker.flush()
            self.worker.stop()
        if self.forwarder:
            self.forwarder.stop()
        if self.bus_worker:
            self.bus_worker.stop()
        if self.worker_proc:
            self.worker_proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.worker_proc.wait, 10)
        if self._worker_pipe is not None:
            os.close(self._worker_pipe)
            self._worker_pipe = None
        if self.http:
            self.http.should_exit = True
        for t in self._timers:  # each waited 5 s for nothing before (a retention pass in hand ends its batch)
            t.cancel()
        for t in self._tasks + self._timers:
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(t, 5)
        if self._font_proc is not None:
            self._font_proc.poll()  # reaped if done; otherwise it finishes on its own
        if self.bus_worker:
            await self.bus_worker.flush()
            await self.bus_worker.close()
        if self.bus:
            await self.bus.close()
        if self.spool is not None:
            self.spool.close()
        if getattr(self, "spool_lock", None):
            self.spool_lock.release()
        if self.engine:
            self.engine.dispose()
