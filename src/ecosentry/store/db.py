"""Engine creation and schema migration (Alembic), the same on SQLite and PostgreSQL.

The core's revisions are ``store/migrations/versions`` (``0001`` … ``0008`` …, one line of history). Each
installed subsystem may add a package of its own revisions (:attr:`ecosentry.contracts.subsystem.Subsystem.
migrations`): one more Alembic version location, holding a branch of its own (``branch_labels``) whose first
revision depends on the core revision it needs (``depends_on = "0008"``). A database therefore has one head per
branch, and :func:`migrate` upgrades to all of them (``heads``): the core's tables and every installed
subsystem's. A database made before a subsystem was installed (stamped ``0008``) gets that subsystem's branch on
its next migration; the core's own history is untouched.
"""

from __future__ import annotations

import os
from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ecosentry.installed import load_schemas, migration_dirs

if TYPE_CHECKING:  # Alembic is imported where a migration runs: a command that only reads needs none of it
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; for SQLite create the folder and use WAL with a busy timeout."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if u.get_backend_name() == "postgresql":
        # every session in UTC, whatever the server's default: times come back in UTC (psycopg gives them
        # ``datetime.timezone.utc``, which UTCDateTime passes as they are) and a server-side cast of a timestamp
        # to a date or an hour means the same on every deployment
        args = dict(kwargs.get("connect_args") or {})
        if "options" not in args and "options" not in u.query:
            args["options"] = "-c TimeZone=UTC"
            kwargs["connect_args"] = args
    return create_engine(url, **kwargs)


def alembic_config(url: str, names: tuple[str, ...] | None = None) -> Config:
    """The Alembic configuration of the database at ``url``: the core's revisions and those of the subsystems
    ``names`` (default: the installed ones, :func:`ecosentry.installed.installed_names`)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    locations = [MIGRATIONS / "versions", *migration_dirs(names)]
    # os.pathsep between the folders: a path may hold blanks or commas; "%" is the ini file's escape
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations).replace("%", "%%"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["subsystems"] = names  # env.py loads their schema modules into the metadata
    return cfg


def migrate(url: str, revision: str = "heads", names: tuple[str, ...] | None = None) -> None:
    """Bring the database at ``url`` to ``revision``; the default ``heads`` is the newest revision of the core
    and of every installed subsystem's branch (``names``: other subsystems than the installed ones)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(url, names)
    if revision == "heads" and _at_heads(url, cfg):
        load_schemas(names)  # as env.py would have: the metadata holds the subsystems' tables
        return
    from alembic import command

    command.upgrade(cfg, revision)


#: The heads of each set of version locations, read once a process: Alembic compiles every revision file
#: again for each ``upgrade`` (~60 ms of CPU), which a database already at its heads does not need.
_HEADS: dict[str, frozenset[str]] = {}


def _at_heads(url: str, cfg: Config) -> bool:
    """True when the database at ``url`` is at every head of ``cfg``'s revisions (nothing to upgrade)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    locations = cfg.get_main_option("version_locations") or ""
    if locations not in _HEADS:
        _HEADS[locations] = frozenset(ScriptDirectory.from_config(cfg).get_heads())
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            current = frozenset(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    return current == _HEADS[locations]


def is_transient(exc: BaseException) -> bool:
    """True when a failed write is the database's state, not the data's: unreachable, connection lost,
    timed out, locked, out of disk. Such a write is retried as it is; any other failure may be caused by a
    record and is worth splitting the batch for (pipeline/isolate.py).

    psycopg errors raised on the driver connection (``COPY``) arrive unwrapped, SQLAlchemy's wrapped.
    """
    import sqlite3

    from sqlalchemy import exc as sa_exc

    transient: tuple[type[BaseException], ...] = (
        sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError,
        sa_exc.ResourceClosedError, sqlite3.OperationalError, sqlite3.InterfaceError, OSError, TimeoutError,
    )
    try:
        import psycopg

        # OperationalError covers connection loss, query cancelled (statement timeout), deadlock, disk full
        transient += (psycopg.OperationalError, psycopg.InterfaceError)
    except ImportError:  # SQLite-only installations
        pass
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, transient)
