"""DONRE → MONRE: forward station files by FTP, same name and bytes as received.

Circular 10/2021/TT-BTNMT Art. 39 and the 5417/BTNMT-TCMT convention (reference notes §7.2, subsystems.md
§5.1–§5.2): one plain-text file per measurement, named ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt``,
sent by FTP. The province passes the files on to the Ministry unchanged, so MONRE's own ingest (Envisoft)
reads them exactly as the province did.

Each file is stored under a temporary name (``<name>.part``) and renamed when complete: the receiver never
sees a half-written ``.txt`` (an FTP rename is atomic on the server's file system). Before re-sending an
item that failed before, the forwarder checks whether the final name already holds the same number of
bytes (the rename may have succeeded while its reply was lost) and then counts it as delivered.
"""

from __future__ import annotations

import asyncio
import ftplib
import io
import logging
import posixpath

from ecosentry.subsystems.monitoring.forward.queue import Attempt, QueueItem, Target
from ecosentry.subsystems.monitoring.forward.settings import ForwardSettings

log = logging.getLogger(__name__)

TEMP_SUFFIX = ".part"
#: Errors that mean "the receiver or the network failed": retried with back-off, never dropped.
RETRYABLE = (OSError, EOFError, ftplib.Error)


class VnFtpForwarder:
    """Upload queue items to one FTP target (one connection per batch, files in queue order).

    Parameters
    ----------
    target : Target
        ``host``, ``port``, ``username``/``password`` (anonymous when None) and ``remote_path`` (created
        when missing).
    settings : ForwardSettings
        ``connect_timeout`` is the connect and per-command timeout. [s]
    """

    def __init__(self, target: Target, settings: ForwardSettings) -> None:
        self.target = target
        self.settings = settings

    async def deliver(self, items: list[QueueItem]) -> list[Attempt]:
        """Send ``items`` in order; stop at the first retryable failure (later items keep their place)."""
        return await asyncio.to_thread(self._deliver_sync, items)

    async def close(self) -> None:
        """Nothing held between batches."""

    # ---------------------------------------------------------------------------------------------------

    def _connect(self) -> ftplib.FTP:
        t = self.target
        ftp = ftplib.FTP(timeout=self.settings.connect_timeout, encoding="utf-8")
        try:
            ftp.connect(t.host, t.port)
            ftp.login(t.username or "anonymous", t.password or "")
            ftp.set_pasv(True)
            ftp.voidcmd("TYPE I")  # byte-exact transfers; SIZE is defined in binary mode
            if t.remote_path:
                self._cwd_creating(ftp, t.remote_path)
        except BaseException:
            ftp.close()
            raise
        return ftp

    @staticmethod
    def _cwd_creating(ftp: ftplib.FTP, path: str) -> None:
        if path.startswith("/"):
            ftp.cwd("/")
        for part in [p for p in path.split("/") if p]:
            try:
                ftp.cwd(part)
            except ftplib.error_perm:
                ftp.mkd(part)
                ftp.cwd(part)

    def _deliver_sync(self, items: list[QueueItem]) -> list[Attempt]:
        if not items:
            return []
        out: list[Attempt] = []
        try:
            ftp = self._connect()
        except RETRYABLE as exc:
            return [Attempt(items[0], False, f"connect {self.target.host}:{self.target.port}: {_why(exc)}")]
        try:
            for item in items:
                if not item.name or "/" in item.name or item.name in (".", ".."):
                    out.append(Attempt(item, False, f"no usable file name ({item.name!r})", permanent=True))
                    continue
                try:
                    out.append(Attempt(item, True, self._upload(ftp, item)))
                except RETRYABLE as exc:
                    out.append(Attempt(item, False, f"upload {item.name}: {_why(exc)}"))
                    break
        finally:
            try:
                ftp.quit()
            except RETRYABLE:
                ftp.close()
        return out

    def _upload(self, ftp: ftplib.FTP, item: QueueItem) -> str:
        where = posixpath.join(self.target.remote_path or "", item.name)
        if item.attempts > 0 and self._present(ftp, item):
            return f"{where} already present with {len(item.payload)} bytes (earlier attempt completed)"
        temp = item.name + TEMP_SUFFIX
        ftp.storbinary(f"STOR {temp}", io.BytesIO(item.payload))
        ftp.rename(temp, item.name)
        return f"stored {where} ({len(item.payload)} bytes)"

    @staticmethod
    def _present(ftp: ftplib.FTP, item: QueueItem) -> bool:
        try:
            return ftp.size(item.name) == len(item.payload)
        except ftplib.error_perm:  # 550: no such file
            return False


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
