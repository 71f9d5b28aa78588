"""Folder watcher for Vietnamese station files arriving by other means (another FTP server, SFTP, rsync, a share).

Polls folders (no extra dependency, works on network shares where inotify does not) and appends each file to
the spool as one ``vn-file`` envelope (:mod:`ecosentry.gateways.station_files`) once it is *complete*: its size
and modification time have not changed over ``stable_polls`` consecutive polls and it has been untouched for
``quiet_s`` seconds. Once the append is on disk the file leaves the watched folder; the monitoring subsystem's
sink then judges it (the station is taken from the file name ``Province_Facility_Station``; an unknown station
is quarantined) and puts it in ``processed/`` or ``rejected/`` next to where it arrived, with
``<name>.receipt.json`` — the same layout as the FTP drop folders, so the watcher can be pointed at another
server's upload root.

Layout watched: files directly in a watched folder, and in its sub-folders one level down (one per station),
except ``processed/`` and ``rejected/``. Ignored: hidden names (``.name`` — rsync's temporary files), temporary
suffixes (``.tmp``, ``.part`` …) and receipts.

Limits (documented, tag "ours"): a writer that pauses longer than ``quiet_s`` in the middle of a file would be
read too early; writers should create the file under a temporary name and rename it (atomic), which is what
rsync and most FTP/SFTP servers' "upload to temp" options do. The received time is when the watcher first saw
the file (poll resolution), not its modification time, which copies may preserve from the source.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ecosentry.gateways.folder_settings import FolderSettings
from ecosentry.gateways.station_files import TEMP_SUFFIXES, Received, SpoolAppender, spool_station_file
from ecosentry.metrics import counters

log = logging.getLogger(__name__)

__all__ = ["FolderSettings", "FolderWatcher", "TRANSPORT"]

TRANSPORT = "vn-folder"
_SKIP_DIRS = frozenset({"processed", "rejected"})


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable: int
    first_seen: datetime


class FolderWatcher:
    """Poll folders and spool complete files.

    Parameters
    ----------
    appender : SpoolAppender
        The spool (and the service's loop) the files go to.
    dirs : list of Path
    settings : FolderSettings, optional
        The section ``vn_folder`` of the settings (``get_settings().vn_folder``); its defaults when omitted.
    """

    def __init__(self, appender: SpoolAppender, dirs: list[Path], settings: FolderSettings | None = None) -> None:
        self.appender = appender
        self.settings = settings or FolderSettings()
        self.dirs = [Path(d) for d in dirs]
        self._seen: dict[Path, _Seen] = {}
        self._stop = asyncio.Event()
        self.received: list[Received] = []  # the latest ones, for status pages and tests
        self.polls = 0

    def _candidates(self) -> list[Path]:
        out: list[Path] = []
        for d in self.dirs:
            if not d.is_dir():
                continue
            for entry in d.iterdir():
                if entry.is_dir():
                    if entry.name in _SKIP_DIRS or entry.name.startswith("."):
                        continue
                    out.extend(f for f in entry.iterdir() if f.is_file())
                elif entry.is_file():
                    out.append(entry)
        return [f for f in out if not (f.name.startswith(".") or f.name.endswith(".receipt.json")
                                       or f.name.lower().endswith(TEMP_SUFFIXES))]

    def poll(self) -> list[Path]:
        """One poll: update what is seen; return the files now complete (blocking file-system calls)."""
        self.polls += 1
        now_wall = time.time()
        current: dict[Path, _Seen] = {}
        ready: list[Path] = []
        for f in self._candidates():
            try:
                st = f.stat()
            except FileNotFoundError:
                continue
            prev = self._seen.get(f)
            if prev is not None and (prev.size, prev.mtime_ns) == (st.st_size, st.st_mtime_ns):
                seen = _Seen(st.st_size, st.st_mtime_ns, prev.stable + 1, prev.first_seen)
            else:
                seen = _Seen(st.st_size, st.st_mtime_ns, 0,
                             prev.first_seen if prev else datetime.now(timezone.utc))
            current[f] = seen
            if seen.stable >= self.settings.stable_polls and now_wall - st.st_mtime_ns / 1e9 >= self.settings.quiet_s:
                ready.append(f)
        self._seen = current
        return ready

    def take(self, path: Path) -> Received | None:
        """Spool one complete file; it leaves the watched folder once durable (blocking)."""
        seen = self._seen.pop(path, None)
        at = seen.first_seen if seen else datetime.now(timezone.utc)
        try:
            got = spool_station_file(self.appender, path, dest=path.parent, transport=TRANSPORT, received_at=at)
        except FileNotFoundError:
            return None  # taken away meanwhile
        except Exception:
            counters.inc("vn_folder.spool_errors")
            log.exception("folder watcher: %s could not be stored; retried at a later poll", path)
            return None
        counters.inc("vn_folder.files")
        self.received = (self.received + [got])[-1000:]
        return got

    def poll_and_take(self) -> list[Received]:
        """One poll, then every complete file spooled (blocking)."""
        return [r for r in (self.take(p) for p in self.poll()) if r is not None]

    async def run(self) -> None:
        """Poll every ``poll_interval`` seconds until :meth:`stop` (file work in a worker thread)."""
        log.info("folder watcher on %s", ", ".join(map(str, self.dirs)))
        while not self._stop.is_set():
            try:
                await asyncio.to_thread(self.poll_and_take)
            except Exception:
                counters.inc("vn_folder.poll_errors")
                log.exception("folder watcher poll failed; retrying")
            try:
                await asyncio.wait_for(self._stop.wait(), self.settings.poll_interval)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()
