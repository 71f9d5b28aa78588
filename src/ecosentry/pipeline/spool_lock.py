"""One ingest worker per spool: an exclusive lock on ``worker.lock`` inside the spool folder.

Two workers reading one spool would write the same records twice and move one cursor from two places;
a server restarted while an orphaned worker of the previous one still ran did exactly that. The worker
holds an ``flock`` on the lock file for its lifetime; the kernel drops it when the process ends, however
it ends (a ``kill -9`` leaves no stale lock). The file holds the PID of the holder, for the message.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: no lock (the platform runs on Linux)
    fcntl = None  # type: ignore[assignment]

__all__ = ["LOCK_FILE", "SpoolBusy", "SpoolLock"]

LOCK_FILE = "worker.lock"


class SpoolBusy(RuntimeError):
    """Another process already runs the ingest worker of this spool."""

    def __init__(self, spool: Path, pid: int | None) -> None:
        super().__init__(f"another ingest worker (process {pid if pid is not None else '?'}) already reads "
                         f"the spool {spool}")
        self.spool, self.pid = spool, pid


class SpoolLock:
    """The exclusive worker lock of the spool folder ``directory``; :meth:`acquire` raises
    :class:`SpoolBusy` naming the holder's PID when another process has it."""

    def __init__(self, directory: Path | str) -> None:
        self.spool = Path(directory)
        self.path = self.spool / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> SpoolLock:
        """Take the lock; while another process holds it, retry for up to ``wait`` seconds (the worker of
        a server that was just killed may still be finishing), then raise :class:`SpoolBusy`."""
        if self._fd is not None or fcntl is None:
            return self
        self.spool.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise SpoolBusy(self.spool, _read_pid(fd)) from None
                    time.sleep(0.1)
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> SpoolLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).split()[0])
    except (OSError, ValueError, IndexError):
        return None
