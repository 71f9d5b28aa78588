"""The parameter mapping page ``/vn/mapping`` over HTTP (issue 14 item 3): the officer maps an unmapped name in
the browser's form (session + CSRF), the change is audited, and the NEXT file through the real vn-file sink is
read with it; a facility sees only its own stations, read-only; a name longer than its column is a clear
error, not a 500. SQLite and PostgreSQL (column limits)."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))
from work_world import PASSWORD, audit_rows, csrf_of  # noqa: E402
from vn_mapping_kit import KHI, KHI_OTHER, populate, station_file  # noqa: E402

from ecosentry.gateways.station_files import station_file_envelope  # noqa: E402
from ecosentry.pipeline.directory import PointDirectory  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.subsystems.monitoring import schema as ms  # noqa: E402
from ecosentry.subsystems.monitoring.pipeline.sink import ObservationSink  # noqa: E402
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings  # noqa: E402
from ecosentry.subsystems.monitoring.vn.sink import VnFileSink  # noqa: E402

@pytest.fixture
def desk(db_url, tmp_path):
    from fastapi.testclient import TestClient

    from ecosentry.api.app import create_app
    from ecosentry.service import prepare_database
    from ecosentry.settings import Settings

    engine = prepare_database(db_url)
    points = populate(engine)
    directory = PointDirectory(engine)
    sink = VnFileSink(engine, directory, VnIntakeSettings(), ObservationSink(engine, directory, auto_gap_marks=False))
    app = create_app(engine, settings=Settings(database_url=db_url, data_dir=tmp_path / "state"))
    with TestClient(app) as client:
        yield client, engine, sink, points, tmp_path
    engine.dispose()


def _receive(sink: VnFileSink, tmp_path: Path, seq: int, station: str, t: datetime, lines=None) -> None:
    name, data = station_file(station, t, lines)
    env = station_file_envelope(name, data, dest=tmp_path / "ftp" / station, transport="ftp",
                                received_at=t + timedelta(seconds=30), account=station)
    sink.write("test", [(seq, env)])


def _log_in(client, username: str) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def _value(engine, point_id: int, factor: str, start: datetime) -> float | None:
    o = s.observations
    with engine.connect() as conn:
        return conn.execute(select(o.c.value).where(o.c.point_id == point_id, o.c.factor_code == factor,
                                                    o.c.period_start == start)).scalar()


def _unmapped(engine, point_id: int) -> dict:
    u = ms.vn_unmapped
    with engine.connect() as conn:
        return {(r.raw_name, r.raw_unit): r.n_lines for r in conn.execute(select(u).where(u.c.point_id == point_id))}


def test_officer_maps_a_name_and_the_next_file_is_read_with_it(desk):
    client, engine, sink, points, tmp_path = desk
    pid = points[KHI]
    t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=20)
    t0 = t0 - timedelta(minutes=t0.minute % 5)
    _receive(sink, tmp_path, 1, KHI, t0)
    _receive(sink, tmp_path, 2, KHI_OTHER, t0)
    # the absolute flue pressure is stored as static pressure: 101.42 − 101.325 = 0.095 kPa (not 101.42)
    assert _value(engine, pid, "a01013", t0) == pytest.approx(0.095)
    assert _value(engine, pid, "a21026", t0) is None
    assert _unmapped(engine, pid) == {("Nong do SO2", "ppm"): 1, ("Flow_In", "m3/h"): 1}

    _log_in(client, "donre")
    page = client.get(f"/vn/mapping?point={pid}")
    assert page.status_code == 200
    assert 'data-name="Nong do SO2"' in page.text and 'data-name="Flow_In"' in page.text
    token = csrf_of(page.text)
    form = {"point_id": str(pid), "raw_name": "Nong do SO2", "raw_unit": "ppm", "factor_code": "a21026",
            "conversion": ""}
    # without the session's CSRF token the form is refused and nothing changes
    refused = client.post("/vn/mapping", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert audit_rows(engine, "point", pid) == []
    r = client.post("/vn/mapping", data={**form, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/vn/mapping?point={pid}")
    r = client.post("/vn/mapping", data={"point_id": str(pid), "raw_name": "Flow_In", "raw_unit": "m3/h",
                                         "factor_code": "", "conversion": "ignore", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    # audited in the core audit trail: who, what, before and after
    rows = audit_rows(engine, "point", pid)
    assert [(a["action"], a["actor"]) for a in rows] == [("vn_map_parameter", "donre")] * 2
    assert rows[0]["before"] is None and rows[0]["after"]["factor_code"] == "a21026"
    # ppm → mg/Nm³ at the station's QCVN 19:2009 reference state, 25 °C: × 64.06 / 24.4654 = × 2.61839
    assert rows[0]["after"]["scale"] == pytest.approx(2.61839, abs=1e-5)
    assert rows[1]["after"]["conversion"] == "ignore" and rows[1]["after"]["factor_code"] is None

    # the next file, through the same running sink: read with the new rules at once
    t1 = t0 + timedelta(minutes=5)
    _receive(sink, tmp_path, 3, KHI, t1)
    assert _value(engine, pid, "a21026", t1) == pytest.approx(261.84, abs=0.01)   # 100 ppm × 2.61839
    assert _value(engine, pid, "a01013", t1) == pytest.approx(0.095)
    assert _unmapped(engine, pid) == {("Nong do SO2", "ppm"): 1, ("Flow_In", "m3/h"): 1}  # no new unmapped line
    last = sink.outcomes[-1]
    assert last.message is None and [u["reason"] for u in last.unmapped] == ["ignored"]
    # the page: nothing open for this station, both rules listed with who changed them
    page = client.get(f"/vn/mapping?point={pid}").text
    unmapped_table = page.split('id="unmapped"')[1].split("</table>")[0]
    assert "data-name=" not in unmapped_table
    rules_table = page.split('id="rules"')[1].split("</table>")[0]
    assert 'data-factor="a21026"' in rules_table and "donre" in rules_table and "24.465 L/mol" in rules_table
    # the officer removes a rule: audited, and the name is unmapped again
    token = csrf_of(page)
    r = client.post("/vn/mapping/delete", data={"point_id": str(pid), "name_key": "flowin", "unit_key": "m3/h",
                                                "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert audit_rows(engine, "point", pid)[-1]["action"] == "vn_unmap_parameter"
    assert 'data-name="Flow_In"' in client.get(f"/vn/mapping?point={pid}").text


def test_facility_sees_its_own_stations_read_only(desk):
    client, engine, sink, points, tmp_path = desk
    t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=30)
    t0 = t0 - timedelta(minutes=t0.minute % 5)
    _receive(sink, tmp_path, 1, KHI, t0)
    _receive(sink, tmp_path, 2, KHI_OTHER, t0)
    _log_in(client, "minhphat")
    page = client.get("/vn/mapping")
    assert page.status_code == 200
    assert f'data-point="{points[KHI]}"' in page.text and f'data-point="{points[KHI_OTHER]}"' not in page.text
    assert 'action="/vn/mapping"' not in page.text.split('id="unmapped"')[1]  # no form to change anything
    token = csrf_of(client.get("/login").text)  # the session's token
    r = client.post("/vn/mapping", data={"point_id": str(points[KHI]), "raw_name": "Nong do SO2", "raw_unit": "ppm",
                                         "factor_code": "a21026", "conversion": "", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 403
    assert audit_rows(engine, "point", points[KHI]) == []


def test_regulator_cannot_map_another_scope_and_bad_input_is_a_clear_error(desk):
    client, engine, sink, points, tmp_path = desk
    pid = points[KHI]
    _log_in(client, "donre")
    token = csrf_of(client.get("/login").text)  # the session's token (no station has sent a file yet)
    base = {"point_id": str(pid), "raw_unit": "ppm", "factor_code": "a21026", "conversion": "", "csrf": token}
    # a name longer than its column (100): said, not a database error
    r = client.post("/vn/mapping", data={**base, "raw_name": "X" * 150})
    assert r.status_code == 422 and "150" in r.text and "100" in r.text
    # a unit that does not convert to the factor's
    r = client.post("/vn/mapping", data={**base, "raw_name": "Bui", "raw_unit": "mg/L", "factor_code": "a34013"})
    assert r.status_code == 422 and "mg/L" in r.text
    # a pressure conversion asked for a concentration
    r = client.post("/vn/mapping", data={**base, "raw_name": "SO2x", "conversion": "gauge"})
    assert r.status_code == 422
    # a point that is not a station in scope, an unknown factor
    assert client.post("/vn/mapping", data={**base, "raw_name": "A", "point_id": "999999"}).status_code == 422
    assert client.post("/vn/mapping", data={**base, "raw_name": "A", "factor_code": "zz999"}).status_code == 422
    assert audit_rows(engine, "point", pid) == []
    with engine.connect() as conn:
        assert conn.execute(select(ms.vn_parameter_map)).all() == []


def test_page_in_vietnamese_names_and_units(desk):
    client, engine, sink, points, tmp_path = desk
    pid = points[KHI]
    t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=40)
    t0 = t0 - timedelta(minutes=t0.minute % 5)
    _receive(sink, tmp_path, 1, KHI, t0)
    _log_in(client, "donre")
    client.cookies.set("lang", "vi")
    page = client.get(f"/vn/mapping?point={pid}&lang=vi").text
    assert "Ánh xạ thông số" in page
    assert "Lưu huỳnh đioxit (SO2) (mg/Nm3)" in page
    assert re.search(r"Áp suất \(tĩnh\) khí thải \(kPa\)", page)


def test_unmapped_lines_are_counted_and_a_too_long_name_is_cut_not_refused(desk):
    # two files with the same unknown names: counted 2 (ON CONFLICT … n_lines + 1 on SQLite and PostgreSQL);
    # a station writing a 150-character name: the file is accepted, the name cut to its column (100)
    client, engine, sink, points, tmp_path = desk
    pid = points[KHI]
    t0 = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=50)
    t0 = t0 - timedelta(minutes=t0.minute % 5)
    long_name = "Nong do " + "X" * 142
    lines = [("Nong do SO2", "100", "ppm"), (long_name, "1", "mg/m3")]
    _receive(sink, tmp_path, 1, KHI, t0, lines)
    _receive(sink, tmp_path, 2, KHI, t0 + timedelta(minutes=5), lines)
    assert [o.status for o in sink.outcomes] == ["accepted", "accepted"]
    got = _unmapped(engine, pid)
    assert got[("Nong do SO2", "ppm")] == 2 and got[(long_name[:100], "mg/m3")] == 2
    _log_in(client, "donre")
    page = client.get(f"/vn/mapping?point={pid}")
    assert page.status_code == 200 and long_name[:100] in page.text
