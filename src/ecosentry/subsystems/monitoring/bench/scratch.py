"""A scratch PostgreSQL database for a bench run: created empty on the server of the admin URL, dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text

__all__ = ["scratch_database"]


def scratch_database(pg_url: str, prefix: str = "ecosentry_bench") -> tuple[str, Callable[[], None]]:
    """A new empty database named ``prefix_<8 hex>`` on the server of ``pg_url`` (an admin URL): its URL and the
    function that drops it (``WITH (FORCE)``: the run's connections may still be open)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return pg_url.rsplit("/", 1)[0] + "/" + name, drop
