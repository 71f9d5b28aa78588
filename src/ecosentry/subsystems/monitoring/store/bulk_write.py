"""Many derived rows written at once: PostgreSQL binary COPY into a staging table, then one upsert.

The staging table is a temporary copy of the target's columns, emptied at commit; the upsert is the same
``INSERT … ON CONFLICT DO UPDATE`` the per-period path issues row by row, so a recompute in bulk leaves the
same rows. Other databases (SQLite) take the ordinary upsert.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from sqlalchemy import BigInteger, Boolean, Connection, Float, Integer, String, Table, Text

from ecosentry.store.schema import UTCDateTime
from ecosentry.store.upsert import upsert


def _pg_type(column) -> str:
    t = column.type
    if isinstance(t, UTCDateTime):
        return "timestamptz"
    if isinstance(t, Boolean):
        return "bool"
    if isinstance(t, BigInteger):
        return "int8"
    if isinstance(t, Integer):
        return "int4"
    if isinstance(t, Float):
        return "float8"
    if isinstance(t, (String, Text)):
        return "text"
    raise TypeError(f"no binary COPY type for column {column.name} ({t!r})")


#: Below this many rows the ordinary upsert (one pipelined statement a row) is cheaper than the staging table's
#: four statements.
COPY_MIN_ROWS = 200


def copy_upsert(conn: Connection, table: Table, rows: Sequence[dict], keys: Sequence[str]) -> None:
    """Insert ``rows`` (dicts with every column of ``table``, one per key); on a key conflict update the other
    columns."""
    if not rows:
        return
    update = [c.name for c in table.columns if c.name not in keys]
    if conn.dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        upsert(conn, table, rows, keys, update)
        return
    names = [c.name for c in table.columns]
    cols = ", ".join(f'"{c}"' for c in names)
    stage = f"stage_bulk_{table.name}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DELETE ROWS")
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {stage} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([_pg_type(c) for c in table.columns])
            # one C call a row instead of a list comprehension (itemgetter of one name gives the bare value)
            values_of = itemgetter(*names) if len(names) > 1 else (lambda r: (r[names[0]],))
            for r in rows:
                copy.write_row(values_of(r))
        sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
        cur.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} "
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")
        cur.execute(f"TRUNCATE {stage}")
