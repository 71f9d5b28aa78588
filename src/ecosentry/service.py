"""One running ecosentry: database, spool, ingest worker, HJ 212 gateway and the web/API server."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import subprocess
import sys
from contextlib import suppress
from datetime import datetime, timezone

import uvicorn
from sqlalchemy import Engine

from ecosentry.alarms.channels.config import build_channels
from ecosentry.alarms.channels.live import LiveHub
from ecosentry.alarms.dispatch import Dispatcher
from ecosentry.api.app import create_app
from ecosentry.forward.runner import ForwardRunner
from ecosentry.gateways.folder import FolderWatcher
from ecosentry.gateways.ftp import FtpGateway, FtpSettings
from ecosentry.gateways.hj212_tcp import HJ212Gateway
from ecosentry.pipeline.detection import DetectionJob, DetectionSettings
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.pipeline.spool import Spool, SpoolReader, read_cursor
from ecosentry.pipeline.spool_lock import SpoolBusy, SpoolLock
from ecosentry.pipeline.vn_ingest import check_missing_files, make_intake
from ecosentry.pipeline.worker import IngestWorker
from ecosentry.settings import Settings
from ecosentry.store.db import make_engine, migrate
from ecosentry.store.partitions import ensure_month_partitions
from ecosentry.store.registry import seed_factors

log = logging.getLogger(__name__)


def prepare_database(url: str) -> Engine:
    """Migrate to the newest schema, seed the factor catalogue, return an engine."""
    migrate(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        seed_factors(conn)
        ensure_month_partitions(conn)
    return engine


class PortInUse(RuntimeError):
    """A listening port of the service (``web``, ``hj212`` or ``ftp``) is held by another program."""

    def __init__(self, what: str, host: str, port: int) -> None:
        super().__init__(f"{what} port {port} on {host} is already in use")
        self.what, self.host, self.port = what, host, port


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


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self.gateway: HJ212Gateway | None = None
        self.worker: IngestWorker | None = None
        self.http: uvicorn.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._font_proc: subprocess.Popen | None = None
        self.worker_proc: subprocess.Popen | None = None
        self._worker_pipe: int | None = None

    async def start(self, *, web: bool = True, gateway: bool = True, alarms: bool = True,
                    forward: bool = True) -> None:
        """Start the parts; ``alarms=False`` leaves the detection passes and alarm ticks to the caller
        (tests drive :attr:`detection` and :attr:`dispatcher` with their own clock).

        Raises :class:`PortInUse` when a listening port is taken, :class:`SpoolBusy` when another process
        runs the ingest worker of the spool, after stopping what had started."""
        try:
            await self._start(web=web, gateway=gateway, alarms=alarms, forward=forward)
        except (PortInUse, SpoolBusy):
            await self.stop()
            raise

    async def _start(self, *, web: bool, gateway: bool, alarms: bool, forward: bool) -> None:
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
            self.worker = IngestWorker(self.engine, SpoolReader(st.data_dir / "spool"), self.directory,
                                       batch_max=st.ingest_batch_max, hourly_every=st.hourly_every,
                                       wake=self.spool.new_data, auto_gap_marks=st.auto_gap_marks)
            self._tasks.append(asyncio.create_task(self.worker.run(), name="ingest-worker"))
        self.ftp = self.folder_watcher = None
        folder_dirs = st.vn_folder.dirs
        if st.ftp_enabled or folder_dirs:
            self.vn_intake = make_intake(self.engine, self.directory, self.spool, st.data_dir,
                                         asyncio.get_running_loop(), st.vn)
            if st.ftp_enabled:
                ftp_st = FtpSettings()
                self.ftp = FtpGateway(self.vn_intake, self.directory, ftp_st.root or st.data_dir / "ftp", ftp_st)
                try:
                    await asyncio.to_thread(self.ftp.start, st.ftp_host, st.ftp_port)
                except OSError as exc:
                    self.ftp = None
                    if _is_addr_in_use(exc):
                        raise PortInUse("ftp", st.ftp_host, st.ftp_port) from exc
                    raise
            if folder_dirs:
                self.folder_watcher = FolderWatcher(self.vn_intake, folder_dirs, st.vn_folder)
                self._tasks.append(asyncio.create_task(self.folder_watcher.run(), name="vn-folder"))
            self._tasks.append(asyncio.create_task(self._vn_checks(), name="vn-checks"))
        self.live_hub = LiveHub()
        self.dispatcher = Dispatcher.from_settings(self.engine, build_channels(st.notify, hub=self.live_hub),
                                                   st, hub=self.live_hub)
        self.detection = DetectionJob(self.engine, DetectionSettings.from_settings(st), dispatcher=self.dispatcher,
                                      detector_settings=st.detect)
        self.forwarder = ForwardRunner(self.engine, st.forward) if forward else None
        if self.forwarder is not None:
            self._tasks.append(asyncio.create_task(self.forwarder.run(), name="forwarder"))
        if alarms:
            self._tasks.append(asyncio.create_task(self.detection.run(), name="detection"))
            self._tasks.append(asyncio.create_task(self._alarm_ticks(), name="alarm-ticks"))
        if gateway:
            gw = HJ212Gateway(self.directory, self.spool, max_frame=st.hj212_max_frame,
                              idle_timeout=st.hj212_idle_timeout, frame_deadline=st.hj212_frame_deadline,
                              max_per_peer=st.hj212_max_connections_per_peer,
                              max_garbage=st.hj212_garbage_chunk, log_every=st.hj212_log_every)
            try:
                await gw.start(st.hj212_host, st.hj212_port)
            except OSError as exc:
                if _is_addr_in_use(exc):
                    raise PortInUse("hj212", st.hj212_host, st.hj212_port) from exc
                raise
            self.gateway = gw
            self._tasks.append(asyncio.create_task(self._directory_refresh(), name="directory-refresh"))
        if web:
            sockets = listen_sockets(st.http_host, st.http_port, "web")
            self._font_proc = _warm_report_font()
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

    async def _vn_checks(self) -> None:
        """Missing station files (ALM-DATA-MISSING, subsystems.md §7 req. 32) and the file-log rows kept while
        the database was down, every detection period."""
        while True:
            await asyncio.sleep(self.settings.detect_every)
            try:
                await asyncio.to_thread(self.vn_intake.flush_pending_log)
                await check_missing_files(self.engine, datetime.now(timezone.utc), settings=self.settings.vn,
                                          dispatcher=self.dispatcher)
            except Exception:
                log.exception("missing-file check failed; retrying next period")

    async def _alarm_ticks(self) -> None:
        """Escalations and repeat notifications of the open alarms, on the wall clock."""
        while True:
            await asyncio.sleep(self.settings.alarm_tick_every)
            try:
                await self.dispatcher.tick(datetime.now(timezone.utc))
            except Exception:
                log.exception("alarm escalation tick failed; retrying next tick")

    @property
    def ftp_port(self) -> int:
        return self.ftp.port if self.ftp else 0

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
        upto = self.spool.durable_seq

        async def _wait() -> None:
            while read_cursor(self.spool.dir) < upto:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(_wait(), timeout)

    def status(self) -> dict:
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
        if getattr(self, "ftp", None):
            await asyncio.to_thread(self.ftp.stop)
        if getattr(self, "folder_watcher", None):
            self.folder_watcher.stop()
        with suppress(Exception):
            await self.drain(timeout=5)
        if self.worker:
            await self.worker.flush_hours()
            self.worker.stop()
        if self.worker_proc:
            self.worker_proc.terminate()
            with suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(self.worker_proc.wait, 10)
        if self._worker_pipe is not None:
            os.close(self._worker_pipe)
            self._worker_pipe = None
        if self.http:
            self.http.should_exit = True
        if getattr(self, "detection", None):
            self.detection.stop()
        if getattr(self, "forwarder", None):
            self.forwarder.stop()
        for t in self._tasks:
            if t.get_name() in ("alarm-ticks", "vn-checks"):
                t.cancel()
        for t in self._tasks:
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(t, 5)
        if self._font_proc is not None:
            self._font_proc.poll()  # reaped if done; otherwise it finishes on its own
        self.spool.close()
        if getattr(self, "spool_lock", None):
            self.spool_lock.release()
        if self.engine:
            self.engine.dispose()
