"""``ecosentry power import-readings R.csv``: a file of readings through the spool and the power sink into
``power_readings``, idempotent, with exit 2 and the file and line on bad input (issue 15 item 2, CSV import)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.csv_readings import SPOOL
from powerkit import CEMENT, COKING, MQTT_DEVICE, fleet

GOOD = """meter,time,quantity,value
SB001,2026-12-06T10:00:00+08:00,P,180.5
SB001,2026-12-06T10:00:40+08:00,E,10234.5
SB002,2026-12-06T10:00+08:00,p,60
SB002,2026-12-06T02:01:00Z,Ia,85.25
SB001,2026-12-06T10:01:00+08:00,P,181
"""
T0 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 12, 6, 2, 1, tzinfo=timezone.utc)


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    """The command line on a database holding the fleet, with a meter code two enterprises use (SB001) and a
    meter on no device (U1)."""
    from ecosentry.cli import app

    f = fleet()
    f["power"]["enterprises"][0]["meters"].append({"id": "U1"})
    f["power"]["enterprises"][1]["meters"].append({"id": "SB001", "device": MQTT_DEVICE, "channel": "spare"})
    engine = prepare_database(db_url)
    import_fleet(engine, f)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", db_url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANGUAGE", "en")  # the sentences compared are the English ones
    get_settings.cache_clear()

    def run(text: str, *args: str):
        path = tmp_path / "R.csv"
        path.write_text(text, encoding="utf-8")
        return CliRunner().invoke(app, ["power", "import-readings", str(path), *args]), path

    yield run, engine
    get_settings.cache_clear()
    engine.dispose()


def stored(engine) -> dict:
    m, r = ps.power_meters, ps.power_readings
    with engine.connect() as conn:
        rows = conn.execute(select(m.c.code, s.enterprises.c.credit_code, r.c.quantity, r.c.at, r.c.value)
                            .join_from(r, m, m.c.id == r.c.meter_id)
                            .join(s.enterprises, s.enterprises.c.id == m.c.enterprise_id)).all()
    return {(code, ent, q, at): v for code, ent, q, at, v in rows}


def test_a_file_is_stored_through_the_spool_and_again_changes_nothing(cli, tmp_path):
    run, engine = cli
    result, path = run(GOOD, "--enterprise", COKING)
    assert result.exit_code == 0, result.output
    assert "5 readings" in result.output
    want = {("SB001", COKING, "P", T0): 180.5, ("SB001", COKING, "E", T0): 10234.5, ("SB002", COKING, "P", T0): 60.0,
            ("SB002", COKING, "Ia", T1): 85.25, ("SB001", COKING, "P", T1): 181.0}
    assert stored(engine) == want
    with engine.connect() as conn:
        [frame] = conn.execute(select(s.raw_frames.c.transport, s.raw_frames.c.status, s.raw_frames.c.detail,
                                      s.raw_frames.c.raw)).all()
    assert (frame.transport, frame.status, frame.detail) == ("power-csv", "accepted", "R.csv lines 2-6")
    assert frame.raw.decode().startswith("meter,time,quantity,value\nSB001,2026-12-06T10:00:00+08:00,P,180.5\n")
    assert (tmp_path / SPOOL / "cursor").read_text() == "1"  # the importer's own spool, drained
    result, _ = run(GOOD, "--enterprise", COKING, "--chunk", "2")  # again, in records of 2 readings
    assert result.exit_code == 0 and "in 3 records" in result.output
    assert stored(engine) == want
    with engine.connect() as conn:
        details = conn.scalars(select(s.raw_frames.c.detail).order_by(s.raw_frames.c.id)).all()
    assert details == ["R.csv lines 2-6", "R.csv lines 2-3", "R.csv lines 4-5", "R.csv lines 6-6"]


@pytest.mark.parametrize("text, args, words", [
    (GOOD.replace("SB002,2026-12-06T10:00+08:00,p,60", "SB002,2026-12-06T10:00+08:00,Q,60"), ("--enterprise", COKING),
     "R.csv line 4, quantity: must be P, E, I"),
    (GOOD.replace("181\n", "lots\n"), ("--enterprise", COKING), "R.csv line 6, value: 'lots' is not a number"),
    (GOOD.replace("180.5", "nan"), ("--enterprise", COKING), "R.csv line 2, value: 'nan' is not a finite number"),
    (GOOD.replace("2026-12-06T10:01:00+08:00", "2026-12-06T10:01:00"), ("--enterprise", COKING),
     "R.csv line 6, time: '2026-12-06T10:01:00' has no offset"),
    (GOOD.replace("SB002,2026-12-06T02:01", "SB404,2026-12-06T02:01"), ("--enterprise", COKING),
     f"R.csv line 5, meter: 'SB404' is not a meter of enterprise {COKING}"),
    (GOOD, (), f"R.csv line 2, meter: 'SB001' is a meter of several enterprises ({CEMENT}, {COKING}): name one"),
    (GOOD + "U1,2026-12-06T10:00:00+08:00,P,1\n", ("--enterprise", COKING),
     "R.csv line 7, meter: 'U1' has no device and channel in the registry"),
    ("meter,when,quantity,value\n", (), "R.csv line 1, time: missing column(s) time"),
    (GOOD, ("--enterprise", "91000000NOTHERE000"), "no enterprise with credit code '91000000NOTHERE000'"),
])
def test_bad_input_exits_2_naming_file_line_and_field_and_stores_nothing(cli, text, args, words):
    run, engine = cli
    result, path = run(text, *args)
    assert result.exit_code == 2, result.output
    assert words in result.output, result.output
    assert stored(engine) == {}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(s.raw_frames)) == 0
