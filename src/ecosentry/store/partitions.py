"""Monthly range partitions of ``observations`` on PostgreSQL (DESIGN §4: partitioned by month, retention by
dropping partitions). SQLite has one plain table; these functions do nothing there.

Months are UTC months (storage is UTC). Partitions are created ahead of time; rows for a month without a
partition (old back-fill) go to ``observations_default``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Connection

TABLE = "observations"


def month_start(d: date, offset: int = 0) -> date:
    """First day of the month ``offset`` months after the month of ``d``."""
    m = d.year * 12 + d.month - 1 + offset
    return date(m // 12, m % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def ensure_month_partitions(conn: Connection, around: date | None = None, before: int = 1,
                            ahead: int = 3) -> list[str]:
    """Create the monthly partitions from ``before`` months before to ``ahead`` months after ``around``
    (default today, UTC) where missing; return the names created."""
    if conn.dialect.name != "postgresql":
        return []
    around = around or datetime.now(timezone.utc).date()
    existing = set(conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(t)s", {"t": TABLE}).scalars())
    created = []
    for k in range(-before, ahead + 1):
        lo, hi = month_start(around, k), month_start(around, k + 1)
        name = partition_name(lo)
        if name in existing:
            continue
        conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{lo.isoformat()} 00:00:00+00') TO ('{hi.isoformat()} 00:00:00+00')")
        created.append(name)
    return created


def list_month_partitions(conn: Connection) -> list[str]:
    if conn.dialect.name != "postgresql":
        return []
    return sorted(conn.exec_driver_sql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %(t)s AND c.relname <> %(d)s",
        {"t": TABLE, "d": f"{TABLE}_default"}).scalars())
