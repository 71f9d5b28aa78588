"""latest_values on PostgreSQL: half of each page kept free (migration 0014) so that the worker's update of a latest
value is a heap-only tuple (HOT) update, never an index update."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import text

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store.db import alembic_config, make_engine
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes_in

pytestmark = pytest.mark.postgres


def _fillfactor(url: str) -> list[str] | None:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'latest_values'")).scalar()
    finally:
        eng.dispose()


def _minute(point_id: int, at: datetime, value: float) -> Envelope:
    return Envelope(transport="test", received_at=at, raw=b"frame", status="accepted", point_id=point_id,
                    readings=[Reading("a21026", "min", at, value=value, flag="N"),
                              Reading("a21002", "min", at, value=value / 2, flag="N")])


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_latest_values_updates_are_heap_only(db_url):
    eng = prepare_database(db_url)
    try:
        import_fleet(eng, demo_fleet(1))
        with eng.connect() as c:
            point_id = c.execute(text("SELECT min(id) FROM points")).scalar_one()
        t0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
        with eng.begin() as conn:
            write_envelopes_in(conn, "s", [(1, _minute(point_id, t0, 10.0))])
        with eng.begin() as conn:  # the next minutes update the two rows, in this transaction's statistics
            for i in range(1, 6):
                write_envelopes_in(conn, "s", [(1 + i, _minute(point_id, t0 + timedelta(minutes=i), 10.0 + i))])
            updated, hot = conn.execute(text(
                "SELECT pg_stat_get_xact_tuples_updated('latest_values'::regclass), "
                "pg_stat_get_xact_tuples_hot_updated('latest_values'::regclass)")).one()
        assert updated == 10 and hot == 10
        with eng.connect() as c:
            assert c.execute(text("SELECT value FROM latest_values WHERE factor_code = 'a21026'")).scalar() == 15.0
    finally:
        eng.dispose()
    assert _fillfactor(db_url) == ["fillfactor=50"]
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0013")
    assert _fillfactor(db_url) is None
    command.upgrade(cfg, "heads")
    assert _fillfactor(db_url) == ["fillfactor=50"]
