"""Monthly range partitions on PostgreSQL (DESIGN §4: partitioned by month, retention by dropping partitions):
``observations`` by ``period_start`` (the data's own time) and ``raw_frames`` by ``received_at`` (when the bytes
arrived: the time their retention counts from). SQLite has plain tables; these functions do nothing there.

Months are UTC months (storage is UTC). Partitions are created ahead of time by a job (the service and the
ingest worker call :func:`ensure_month_partitions`); rows for a month without a partition (old back-fill, a
frame with a clock far off) go to the table's ``<table>_default`` partition.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Connection

TABLE = "observations"
RAW_TABLE = "raw_frames"
#: The tables partitioned by month on PostgreSQL, with their partition key.
PARTITIONED: dict[str, str] = {TABLE: "period_start", RAW_TABLE: "received_at"}


def month_start(d: date, offset: int = 0) -> date:
    """First day of the month ``offset`` months after the month of ``d``."""
    m = d.year * 12 + d.month - 1 + offset
    return date(m // 12, m % 12 + 1, 1)


def partition_name(month: date, table: str = TABLE) -> str:
    return f"{table}_y{month.year:04d}m{month.month:02d}"


def _children(conn: Connection, table: str) -> set[str]:
    return set(conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(t)s", {"t": table}).scalars())


def create_month_partition(conn: Connection, table: str, month: date) -> str:
    """Create the partition of ``table`` for the UTC month of ``month`` if missing; its name."""
    lo, hi = month_start(month), month_start(month, 1)
    name = partition_name(lo, table)
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {table} "
        f"FOR VALUES FROM ('{lo.isoformat()} 00:00:00+00') TO ('{hi.isoformat()} 00:00:00+00')")
    return name


def ensure_month_partitions(conn: Connection, around: date | None = None, before: int = 1,
                            ahead: int = 3, tables: tuple[str, ...] = tuple(PARTITIONED)) -> list[str]:
    """Create the monthly partitions of ``tables`` (default every partitioned table) from ``before`` months
    before to ``ahead`` months after ``around`` (default today, UTC) where missing; return the names created."""
    if conn.dialect.name != "postgresql":
        return []
    around = around or datetime.now(timezone.utc).date()
    created = []
    for table in tables:
        existing = _children(conn, table)
        for k in range(-before, ahead + 1):
            month = month_start(around, k)
            if partition_name(month, table) not in existing:
                created.append(create_month_partition(conn, table, month))
    return created


def list_month_partitions(conn: Connection, table: str = TABLE) -> list[str]:
    """The monthly partitions of ``table`` (not its default one), by name (= by month)."""
    if conn.dialect.name != "postgresql":
        return []
    return sorted(_children(conn, table) - {f"{table}_default"})


def raw_frame_key(conn: Connection) -> list[str]:
    """The columns of ``raw_frames``' unique key, the conflict target of an idempotent archive write: a spool
    record is archived once. On PostgreSQL the key also holds ``received_at`` (a unique constraint of a
    partitioned table must include the partition key); a replayed record carries the same reception time (it
    is in the envelope), so it still conflicts."""
    return ["spool", "spool_seq", "received_at"] if conn.dialect.name == "postgresql" else ["spool", "spool_seq"]
