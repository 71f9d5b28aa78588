"""Scratch PostgreSQL databases for tests (imported by name: several folders have their own conftest).

Creating and dropping a database are the server's slowest statements (a drop waits for the checkpointer: 0.2 s
idle, seconds on a loaded machine), so both happen off the test's path, on one background thread of this
process: ``drop()`` only queues the drop, and the next copy of a template is made while the current test runs.
:func:`finish` (called at the end of the session by the root conftest) drops the spare copies and waits for
the queue. Every scratch database commits asynchronously (``synchronous_commit = off``: a commit does not wait
for its WAL to reach the disk; what a query sees is the same, only a crash of the server itself could lose the
last commits, and no test crashes the server).
"""

from __future__ import annotations

import sys
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import create_engine, text

_admin_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-admin")
_engines: dict[str, object] = {}
_spares: dict[tuple[str, str], Future] = {}
_pending: list[Future] = []
_lock = threading.Lock()


def _admin(admin_url: str):
    with _lock:
        if admin_url not in _engines:
            _engines[admin_url] = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        return _engines[admin_url]


def _create(admin_url: str, template: str | None) -> str:
    name = f"ecosentry_test_{uuid.uuid4().hex[:10]}"
    with _admin(admin_url).connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        c.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    return name


def _drop(admin_url: str, name: str) -> None:
    try:
        with _admin(admin_url).connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as exc:  # a leftover scratch database is not worth failing a test for: say so
        print(f"pgdb: could not drop {name}: {exc}", file=sys.stderr)


def make_pg_database(admin_url: str, template: str | None = None) -> tuple[str, callable]:
    """A scratch database: empty, or a copy of ``template`` (``CREATE DATABASE … TEMPLATE``, a file copy on
    the server: much faster than running the migrations again for every test). A copy of a template was made
    in the background while the previous test ran; the call starts making the next one."""
    if template is None:
        name = _create(admin_url, None)
    else:
        with _lock:
            ready = _spares.pop((admin_url, template), None)
            _spares[(admin_url, template)] = _admin_thread.submit(_create, admin_url, template)
        name = ready.result() if ready is not None else _create(admin_url, template)
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    dropped = False

    def drop() -> None:
        nonlocal dropped
        if dropped:
            return
        dropped = True
        with _lock:
            _pending.append(_admin_thread.submit(_drop, admin_url, name))

    return url, drop


def forget_template(admin_url: str, template: str) -> None:
    """Drop the spare copy of ``template`` (call before dropping the template itself)."""
    with _lock:
        spare = _spares.pop((admin_url, template), None)
    if spare is not None:
        try:
            name = spare.result()
        except Exception:
            return
        _drop(admin_url, name)


def finish() -> None:
    """Drop every spare copy, wait for the queued drops (end of the session)."""
    for admin_url, template in list(_spares):
        forget_template(admin_url, template)
    with _lock:
        pending, _pending[:] = list(_pending), []
    for f in pending:
        f.result()
    for eng in _engines.values():
        eng.dispose()
