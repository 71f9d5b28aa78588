"""A child process that ends when its parent dies: the ingest worker that ``ecosentry serve`` starts.

A ``kill -9`` of the server left its worker child running, reading the spool next to the restarted
server's worker. Two mechanisms end the child, whichever comes first:

* **a pipe** (portable, the one relied on): the parent keeps the write end of a pipe open and passes the
  read end to the child; the kernel closes the write end when the parent ends, however it ends, and the
  child's blocking read returns end-of-file. Without a pipe the child polls ``os.getppid()`` instead
  (re-parenting changes it).
* **PR_SET_PDEATHSIG** (Linux, immediate): the kernel sends the child SIGTERM when the parent dies.

Either way the child stops as on SIGTERM (flushes, closes); should that hang, it exits hard after
:data:`HARD_EXIT_AFTER` seconds — the spool keeps everything, so nothing is lost by exiting.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

__all__ = ["HARD_EXIT_AFTER", "set_parent_death_signal", "watch_parent"]

#: Seconds the child may take to stop cleanly once its parent is gone. [s]
HARD_EXIT_AFTER = 20.0
#: Interval of the ``os.getppid()`` poll when no pipe is given. [s]
POLL_EVERY = 0.5
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent_pid: int, on_gone: Callable[[], None], *, pipe_fd: int | None = None,
                 death_signal: bool = True, hard_exit_after: float | None = HARD_EXIT_AFTER) -> threading.Thread:
    """Call ``on_gone`` (from a watcher thread) once the parent ``parent_pid`` has ended, then exit the
    process hard if it is still alive ``hard_exit_after`` seconds later (None: never).

    The death signal is set first, and the parent watched after it, so a parent that died before the
    signal was set is noticed too (its pipe is at end-of-file, ``os.getppid()`` has changed).
    """
    if death_signal:
        set_parent_death_signal()

    def gone() -> None:
        log.warning("parent process %d has ended; the ingest worker stops", parent_pid)
        on_gone()
        if hard_exit_after is None:
            return
        time.sleep(hard_exit_after)
        log.error("ingest worker did not stop within %.0f s of its parent's end; exiting", hard_exit_after)
        os._exit(3)

    def wait_pipe() -> None:
        assert pipe_fd is not None
        while True:
            try:
                if not os.read(pipe_fd, 4096):  # end-of-file: no process holds the write end any more
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        gone()

    def poll_ppid() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_EVERY)
        gone()

    thread = threading.Thread(target=wait_pipe if pipe_fd is not None else poll_ppid, name="parent-watch",
                              daemon=True)
    thread.start()
    return thread
