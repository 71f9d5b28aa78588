"""``ecosentry detect``'s head start (:attr:`ecosentry.contracts.subsystem.Subsystem.early`): the data CSV
parsed in a thread from the command's first moment, while the command line is assembled.

Before ``detect`` runs, the ``ecosentry`` command imports Typer, pydantic, Rich and every command's module and
builds the command tree: ~0.4 s of one processor on the project's 2-core machine, which is a quarter of the
whole command on the 2.16 M rows of the honest set. Polars parses without holding the GIL, so the parse and
its checks (:func:`~ecosentry.subsystems.monitoring.offline.csvio.read_data_columns`) run on the other processor
meanwhile (issue 13 item 3). :func:`start` reads only what it needs of the arguments (the input, the format,
the zone) and starts nothing when in doubt; ``detect`` then checks its options as always and takes the columns
with :func:`take` only for the very file and zone the read was started for (path, size and modification time
unchanged), else reads the file itself. The columns are the same either way: the same function reads them.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Sequence

__all__ = ["one_blas_thread", "start", "take", "read_columns_meanwhile"]

#: The zone ``detect`` reads times without offset in when ``--tz`` is not given (the long format's).
DEFAULT_TZ = "Asia/Shanghai"

#: (file, zone, size, modification time) → the read started for it (one per process: one command runs).
_STARTED: dict[tuple[str, str, int, int], Future] = {}


def _options(args: Sequence[str]) -> dict[str, str] | None:
    """``--input``/``-i``, ``--format`` and ``--tz`` of ``detect``'s arguments (the last of each, as the
    command line takes it), or ``None`` when help is asked for."""
    names = {"--input": "input", "-i": "input", "--format": "format", "--tz": "tz"}
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        word = args[i]
        if word in ("--help", "-h"):
            return None
        name, eq, value = word.partition("=")
        if name in names and eq:
            out[names[name]] = value
        elif word in names and i + 1 < len(args):
            out[names[word]] = args[i + 1]
            i += 1
        i += 1
    return out


def _key(path: Path, tz: str) -> tuple[str, str, int, int] | None:
    try:
        st = path.stat()
        return str(path.resolve()), tz, st.st_size, st.st_mtime_ns
    except OSError:
        return None


def read_columns_meanwhile(path: Path, zone) -> Future:
    """:func:`~ecosentry.subsystems.monitoring.offline.csvio.read_data_columns` of the data CSV, started in a
    thread: the parse (polars, numpy) runs on the second processor while this thread goes on (~0.15 s of one
    processor on a 2-core machine, issue 13 item 3). The same columns as read later, or ``None`` for the row
    reader, which then reads the file in the command's thread."""
    from concurrent.futures import ThreadPoolExecutor

    import polars  # noqa: F401  (here: its import holds the GIL, the parse does not)

    from ecosentry.subsystems.monitoring.offline.csvio import read_data_columns

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-columns")
    future = pool.submit(read_data_columns, path, zone)
    pool.shutdown(wait=False)  # its thread ends with the read
    return future


def one_blas_thread() -> None:
    """Ask OpenBLAS for one thread before numpy loads it, unless the user chose a number (``OPENBLAS_NUM_THREADS``).

    ``detect`` runs every BLAS call on one thread anyway (its least squares are small, ~2,000 × 9, where a
    thread pool only costs; the command sets the limit with threadpoolctl). But OpenBLAS starts its pool when
    numpy is imported, and each of its threads spins for a while waiting for work before it sleeps: ~0.1 s of a
    processor per thread, taken from the parse running beside the imports (on the project's 2-core machine,
    ``detect`` on seed 47's 2.16 M rows used 0.3-0.4 s less CPU and ~0.1 s less wall time without the pool,
    issue 13 item 3). Only the variable is set; it has effect when numpy is not imported yet (the
    ``ecosentry`` command), and none in a process that imported it already (a test's runner)."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def start(argv: Sequence[str]) -> None:
    """Start reading ``detect``'s data CSV when ``argv`` (the ``ecosentry`` command's arguments) runs
    ``detect`` on a long-format file that exists, in a zone that exists; else do nothing. ``detect``
    also gets one BLAS thread (:func:`one_blas_thread`)."""
    if not argv or argv[0] != "detect":
        return
    one_blas_thread()
    opts = _options(argv[1:])
    if opts is None or "input" not in opts or opts.get("format", "long").strip().lower() != "long":
        return
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    tz = opts.get("tz") or DEFAULT_TZ
    path = Path(opts["input"])
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return
    key = _key(path, tz) if path.is_file() else None
    if key is not None:
        _STARTED[key] = read_columns_meanwhile(path, zone)


def take(path: Path, tz: str) -> Future | None:
    """The read :func:`start` began for ``path`` in ``tz``, when the file is still the one it began on
    (same size and modification time); ``None`` otherwise (the caller reads the file itself)."""
    key = _key(path, tz)
    found = _STARTED.pop(key, None) if key is not None else None
    _STARTED.clear()  # a read begun for another file or zone is not waited for
    return found
