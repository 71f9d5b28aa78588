"""Shared fixtures: databases (SQLite file and a scratch PostgreSQL database), a running service."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine

from pgdb import make_pg_database

# Rich wraps CLI messages at the terminal width; under pytest-xdist tmp paths are longer: read them unwrapped
os.environ.setdefault("COLUMNS", "400")

PG_ADMIN_URL = os.environ.get("ECOSENTRY_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


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
    yield url.rsplit("/", 1)[1]
    drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A fresh database of each kind: SQLite empty; PostgreSQL a copy of the migrated template (the tests call
    ``prepare_database``/``migrate`` as on a new database: already at head, it seeds and adds partitions)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    admin = request.getfixturevalue("pg_server")
    url, drop = make_pg_database(admin, template=request.getfixturevalue("pg_migrated_template"))
    yield url
    drop()
