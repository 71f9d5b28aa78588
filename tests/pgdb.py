"""Scratch PostgreSQL databases for tests (imported by name: several folders have their own conftest)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text


def make_pg_database(admin_url: str, template: str | None = None) -> tuple[str, callable]:
    """A scratch database: empty, or a copy of ``template`` (``CREATE DATABASE … TEMPLATE``, a file copy on
    the server: much faster than running the migrations again for every test)."""
    name = f"ecosentry_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    url = admin_url.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
