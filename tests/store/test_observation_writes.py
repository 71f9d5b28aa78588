"""Observations written by COPY straight into the table, and the batches that hold a row already stored (a replay after
a crash, a logger's re-send) through the staging table: on both, the first value received is kept, nothing else of the
batch is lost, the latest values follow the newest minute."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text

from ecosentry.contracts.envelope import Envelope, Reading
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.monitoring.store import ingest
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)


def _minute(point_id: int, minute: int, value: float) -> Envelope:
    at = T0 + timedelta(minutes=minute)
    return Envelope(transport="test", received_at=at + timedelta(seconds=5), raw=f"frame {minute} {value}".encode(),
                    status="accepted", point_id=point_id,
                    readings=[Reading("a21026", "min", at, value=value, flag="N"),
                              Reading("a21002", "min", at, value=value / 2, flag="N")])


def test_a_batch_with_rows_already_stored_keeps_the_first_values_and_stores_the_rest(db_url, monkeypatch):
    staged = []  # PostgreSQL: the batches that went through the staging table
    real = ingest._stage_observations_pg
    monkeypatch.setattr(ingest, "_stage_observations_pg", lambda conn, rows, cols: (staged.append(len(rows)),
                                                                                     real(conn, rows, cols)))
    eng = prepare_database(db_url)
    try:
        import_fleet(eng, demo_fleet(1))
        with eng.connect() as c:
            point_id = c.execute(text("SELECT min(id) FROM points")).scalar_one()
        first = write_envelopes(eng, "s", [(1, _minute(point_id, 0, 10.0)), (2, _minute(point_id, 1, 11.0))])
        assert first.observations_offered == 4
        # a logger re-sends minute 1 with another value, in a batch with two new minutes (one of them twice)
        again = write_envelopes(eng, "s", [(3, _minute(point_id, 1, 99.0)), (4, _minute(point_id, 2, 12.0)),
                                           (5, _minute(point_id, 3, 13.0)), (6, _minute(point_id, 3, 77.0))])
        assert again.observations_offered == 8
        # and the same batch again (a replay of the spool after a crash)
        write_envelopes(eng, "s", [(3, _minute(point_id, 1, 99.0)), (4, _minute(point_id, 2, 12.0)),
                                   (5, _minute(point_id, 3, 13.0)), (6, _minute(point_id, 3, 77.0))])
        with eng.connect() as c:
            o, lv = s.observations, s.latest_values
            so2 = dict(c.execute(select(o.c.period_start, o.c.value).where(o.c.factor_code == "a21026")
                                 .order_by(o.c.period_start)).all())
            latest = c.execute(select(lv.c.factor_code, lv.c.period_start, lv.c.value).order_by(lv.c.factor_code)).all()
            raw = c.execute(text("SELECT count(*) FROM raw_frames")).scalar_one()
        assert so2 == {T0: 10.0, T0 + timedelta(minutes=1): 11.0, T0 + timedelta(minutes=2): 12.0,
                       T0 + timedelta(minutes=3): 13.0}
        last = T0 + timedelta(minutes=3)
        assert [tuple(r) for r in latest] == [
            ("a21002", last, 6.5), ("a21026", last, 13.0)]
        assert raw == 6  # every copy of every frame archived, the replay once
        # new data straight into the table; the re-send's batch and the replay through the staging table
        assert staged == ([8, 8] if db_url.startswith("postgresql") else [])
    finally:
        eng.dispose()
