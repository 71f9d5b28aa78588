"""PostgreSQL keeps observations in monthly partitions; SQLite in one table. Same behaviour for callers."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import text

from ecosentry.service import prepare_database
from ecosentry.store.partitions import ensure_month_partitions, list_month_partitions, month_start, partition_name


def test_month_arithmetic():
    assert month_start(date(2026, 11, 23)) == date(2026, 11, 1)
    assert month_start(date(2026, 11, 23), 2) == date(2027, 1, 1)
    assert month_start(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert partition_name(date(2027, 1, 1)) == "observations_y2027m01"


@pytest.mark.postgres
def test_rows_route_to_their_month_and_old_backfill_to_default(pg_server):
    from pgdb import make_pg_database

    url, drop = make_pg_database(pg_server)
    try:
        engine = prepare_database(url)
        with engine.begin() as conn:
            names = list_month_partitions(conn)
            this_month = partition_name(month_start(datetime.now(timezone.utc).date()))
            assert this_month in names and len(names) == 5  # one month back, three ahead
            assert ensure_month_partitions(conn) == []  # idempotent
            now = datetime.now(timezone.utc).replace(microsecond=0)
            for t in (now, datetime(2019, 5, 1, tzinfo=timezone.utc)):
                conn.execute(text("INSERT INTO observations (point_id, factor_code, kind, period_start, value, "
                                  "received_at) VALUES (1, 'a21026', 'min', :t, 1.0, :t)"), {"t": t})
            where = dict(conn.execute(text(
                "SELECT tableoid::regclass::text, count(*) FROM observations GROUP BY 1")).all())
        assert where == {this_month: 1, "observations_default": 1}
        engine.dispose()
    finally:
        drop()


def test_sqlite_has_no_partitions(tmp_path):
    engine = prepare_database(f"sqlite:///{tmp_path / 'p.sqlite'}")
    with engine.begin() as conn:
        assert ensure_month_partitions(conn) == [] and list_month_partitions(conn) == []
    engine.dispose()
