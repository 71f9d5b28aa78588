"""The monitoring subsystem's running parts (:attr:`ecosentry.contracts.subsystem.Subsystem.services`): the
continuous detection job, the forwarder to upper platforms, and the Vietnamese intake (FTP, folder watcher and
the missing-file checks)."""

from __future__ import annotations

import asyncio
import errno
import logging
from contextlib import suppress
from datetime import datetime, timezone

from ecosentry.contracts.subsystem import PortInUse, ServiceContext
from ecosentry.contracts.task_part import TaskPart
from ecosentry.gateways.folder import FolderWatcher
from ecosentry.gateways.ftp import FtpGateway
from ecosentry.gateways.station_files import SpoolAppender
from ecosentry.subsystems.monitoring.forward.runner import ForwardRunner
from ecosentry.subsystems.monitoring.pipeline.detection import DetectionJob, DetectionSettings
from ecosentry.subsystems.monitoring.vn.missing import check_missing_files

log = logging.getLogger(__name__)


class VnIntakePart:
    """Vietnamese station files: the FTP gateway and/or the folder watcher appending them to the service's
    spool (the ``vn-file`` sink judges them after it), and every detection period the missing-file check
    (ALM-DATA-MISSING, subsystems.md §7 req. 32)."""

    name = "vn_intake"

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.appender = SpoolAppender(ctx.spool, asyncio.get_running_loop())
        self.ftp: FtpGateway | None = None
        self.folder_watcher: FolderWatcher | None = None
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        st = self.ctx.settings
        if st.ftp_enabled:
            ftp = FtpGateway(self.appender, self.ctx.directory, st.ftp.root or st.data_dir / "ftp", st.ftp)
            try:
                await asyncio.to_thread(ftp.start, st.ftp_host, st.ftp_port)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse("ftp", st.ftp_host, st.ftp_port) from exc
                raise
            self.ftp = ftp
        if st.vn_folder.dirs:
            self.folder_watcher = FolderWatcher(self.appender, st.vn_folder.dirs, st.vn_folder)
            self._tasks.append(asyncio.create_task(self.folder_watcher.run(), name="vn-folder"))
        self._tasks.append(asyncio.create_task(self._checks(), name="vn-checks"))

    async def _checks(self) -> None:
        while True:
            await asyncio.sleep(self.ctx.settings.monitoring.detect_every)
            try:
                await check_missing_files(self.ctx.engine, datetime.now(timezone.utc), settings=self.ctx.settings.vn,
                                          dispatcher=self.ctx.dispatcher)
            except Exception:
                log.exception("missing-file check failed; retrying next period")

    async def close(self) -> None:
        if self.ftp is not None:
            await asyncio.to_thread(self.ftp.stop)
        if self.folder_watcher is not None:
            self.folder_watcher.stop()
        for t in self._tasks:
            if t.get_name() == "vn-checks":
                t.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(t, 5)

    @property
    def port(self) -> int:
        return self.ftp.port if self.ftp else 0


def parts(ctx: ServiceContext) -> list:
    """The parts this subsystem runs in the service."""
    st = ctx.settings
    out: list = []
    if st.ftp_enabled or st.vn_folder.dirs:
        out.append(VnIntakePart(ctx))
    detection = DetectionJob(ctx.engine, DetectionSettings.from_settings(st), dispatcher=ctx.dispatcher,
                             detector_settings=st.detect)
    out.append(TaskPart("detection", detection, run="alarms" in ctx.enabled))
    if "forward" in ctx.enabled:
        out.append(TaskPart("forwarder", ForwardRunner(ctx.engine, st.forward)))
    return out
