"""Shared fixtures: databases (SQLite file and a scratch PostgreSQL database), a running service."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pgdb import finish as finish_pg_databases
from pgdb import forget_template, make_pg_database

# Rich wraps CLI messages at the terminal width; under pytest-xdist tmp paths are longer: read them unwrapped
os.environ.setdefault("COLUMNS", "400")

PG_ADMIN_URL = os.environ.get("ECOSENTRY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
#: Seconds per test file of a whole run (tests/tools/file_seconds.py writes it from a JUnit report).
FILE_SECONDS = Path(__file__).with_name("file_seconds.json")


def pytest_collection_modifyitems(session, config, items):
    """The longest test files first (``tests/file_seconds.json``), each file's tests in their order: with
    ``--dist loadfile --no-loadscope-reorder`` (pyproject) the workers take the files in this order, so a long
    browser walk starts at once and does not run alone at the end. Every worker orders the same way."""
    try:
        seconds = json.loads(FILE_SECONDS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    first_seen: dict[str, int] = {}
    for i, item in enumerate(items):
        first_seen.setdefault(item.nodeid.split("::", 1)[0], i)
    items.sort(key=lambda item: (-seconds.get(item.nodeid.split("::", 1)[0], 0.0),
                                 first_seen[item.nodeid.split("::", 1)[0]]))


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session", autouse=True)
def _pg_admin_queue():
    """Scratch databases are created and dropped on a background thread (tests/pgdb.py): at the end of the
    session the queue is emptied, so no scratch database outlives the run."""
    yield
    finish_pg_databases()


@pytest.fixture(scope="session")
def pg_server() -> str:
    """Admin URL of the PostgreSQL server. In CI a missing server is a failure, never a skip."""
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable (runs in CI)")
    return PG_ADMIN_URL


@pytest.fixture(scope="session")
def pg_migrated_template(pg_server) -> str:
    """A PostgreSQL database migrated to the newest schema (nothing else: no seeds, no monthly partitions),
    copied for each test by :func:`db_url`; dropped at the end of the session."""
    from ecosentry.store.db import migrate

    url, drop = make_pg_database(pg_server)
    migrate(url)
    name = url.rsplit("/", 1)[1]
    yield name
    forget_template(pg_server, name)  # the spare copy made in advance
    drop()


@pytest.fixture(scope="session")
def sqlite_migrated_template(tmp_path_factory):
    """A SQLite file migrated to the newest schema (nothing else), copied for each test by :func:`db_url`
    as PostgreSQL's template is: running the migrations on every fresh file cost ~0.6 s a test."""
    from ecosentry.store.db import migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    migrate(f"sqlite:///{path}")  # Alembic's engine is closed when it returns: the file holds everything
    return path


@pytest.fixture(scope="module")
def built_database(request, module_databases, tmp_path_factory):
    """``built_database(kind, build)`` → (URL, what ``build`` returned): a fresh database of ``kind`` ("sqlite"
    or "postgresql", :func:`db_kind`) holding what ``build(engine)`` wrote into a migrated one (after
    ``prepare_database``), built once per module, kind and ``build`` and copied for each call
    (:class:`ModuleDatabases`): for the data a module's tests each read and change."""
    from ecosentry.service import prepare_database

    def copy(kind: str, build) -> tuple[str, object]:
        def fill(url: str, _folder) -> object:
            engine = prepare_database(url)
            made = build(engine)
            engine.dispose()  # SQLite: the last connection closed writes the WAL back into the file copied
            return made

        return module_databases.copy(request, kind, f"built-{build.__module__}.{build.__qualname__}", fill,
                                     tmp_path_factory.mktemp("built-copy"))

    return copy


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_kind(request) -> str:
    """Each kind of database, as :func:`db_url` parametrises (the same test ids), for a test that takes its
    database from :func:`built_database` and needs no fresh migrated one."""
    return request.param


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh database of each kind, a copy of the migrated template of its kind (the tests call
    ``prepare_database``/``migrate`` as on a new database: already at head, it seeds and adds partitions)."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_server")
    url, drop = make_pg_database(admin, template=request.getfixturevalue("pg_migrated_template"))
    yield url
    drop()


class ModuleDatabases:
    """Databases filled once per test module and database kind (a world: registry, a day of data, users),
    each test working on its own copy: a SQLite file copied, a PostgreSQL database made from it as a template
    (:func:`pgdb.make_pg_database`). Building a world costs seconds; copying it a few milliseconds."""

    def __init__(self, tmp_path_factory) -> None:
        self._tmp = tmp_path_factory
        self._made: dict[tuple[str, str], tuple[str, object]] = {}  # (kind, name) → (template, built data)
        self._pg: list[tuple[str, str, callable]] = []  # (admin url, template name, drop)

    def copy(self, request, kind: str, name: str, build, tmp_path: Path) -> tuple[str, object]:
        """(url of a fresh copy, what ``build(url, folder)`` returned when it filled the template). ``build``
        must close its engines: the template is copied when it returns."""
        key = (kind, name)
        if kind == "sqlite":
            if key not in self._made:
                folder = self._tmp.mktemp(f"{name}-sqlite")
                path = folder / "template.sqlite"
                shutil.copyfile(request.getfixturevalue("sqlite_migrated_template"), path)
                self._made[key] = (str(path), build(f"sqlite:///{path}", folder))
            template, data = self._made[key]
            path = tmp_path / "test.sqlite"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", data
        admin = request.getfixturevalue("pg_server")
        if key not in self._made:
            url, drop = make_pg_database(admin, template=request.getfixturevalue("pg_migrated_template"))
            data = build(url, self._tmp.mktemp(f"{name}-postgresql"))
            template = url.rsplit("/", 1)[1]
            self._pg.append((admin, template, drop))
            self._made[key] = (template, data)
        template, data = self._made[key]
        url, drop = make_pg_database(admin, template=template)
        request.addfinalizer(drop)
        return url, data

    def close(self) -> None:
        for admin, template, drop in self._pg:
            forget_template(admin, template)  # the spare copy made in advance
            drop()


@pytest.fixture(scope="module")
def module_databases(tmp_path_factory):
    """The module's :class:`ModuleDatabases`; its PostgreSQL templates are dropped when the module ends."""
    dbs = ModuleDatabases(tmp_path_factory)
    yield dbs
    dbs.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_copy(request, tmp_path, module_databases):
    """``db_copy(name, build)`` → (url, data): a fresh database of each kind (the same test ids as
    :func:`db_url`), a copy of the one ``build(url, folder)`` filled for the module (:class:`ModuleDatabases`)."""
    return lambda name, build: module_databases.copy(request, request.param, name, build, tmp_path)
