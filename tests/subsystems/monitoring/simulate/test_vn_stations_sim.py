"""Vietnamese demo stations: fleet structure and codes, import into the registry (SQLite and PostgreSQL),
and the simulated 5-minute files (values, statuses, late and malformed shares, determinism)."""

from __future__ import annotations

import collections
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ecosentry.protocols.vn_txt import VnFileError, parse_file
from ecosentry.subsystems.monitoring.rules.vn import cmax, qcvn_limit
from ecosentry.service import prepare_database
from ecosentry.subsystems.monitoring.simulate.vn_stations import (
    demo_vn_fleet, is_valid_mst, iter_station_files, iter_station_files_detailed, mst_check_digit,
)
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet
from ecosentry.store.registry import load_point_directory
from ecosentry.store.seed import factor_index

WATER = {"Flow_In", "Flow_Out", "Temp", "pH", "TSS", "COD", "NH4+"}
GAS = {"Flow", "Temp", "Pressure", "O2", "Dust", "SO2", "NOx", "CO"}


def points(fleet):
    return [(e, o, p) for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]]


def test_mst_check_digit_worked_example():
    # 0*31 + 1*29 + 0*23 + 0*19 + 0*17 + 4*13 + 7*7 + 5*5 + 1*3 = 158; 158 mod 11 = 4; 10 − 4 = 6
    assert mst_check_digit("010004751") == 6
    assert is_valid_mst("0100047516") and is_valid_mst("0100047516-001")
    assert not is_valid_mst("0100047517") and not is_valid_mst("0100047516-000")


@pytest.mark.parametrize("n", [1, 9, 60])
def test_fleet_structure_and_codes(n):
    fleet = demo_vn_fleet(n)
    rows = points(fleet)
    assert len(rows) == n
    keys = [p["mn"] for _, _, p in rows]
    assert len(set(keys)) == n and all(len(k) <= 24 and k.count("_") == 2 for k in keys)
    assert sum(p["st"] == "32" for _, _, p in rows) == (n + 1) // 2
    regions = {r["code"]: r for r in fleet["regions"]}
    assert regions["VN"]["level"] == "country" and all(r["country"] == "VN" for r in regions.values())
    known = factor_index()
    for e, o, p in rows:
        assert is_valid_mst(e["credit_code"]) and len(e["credit_code"]) == 10
        assert e["region"] in regions and e["name"].startswith("Công ty")
        assert p["tz"] == "Asia/Ho_Chi_Minh" and p["min_interval"] == 5
        names = {m["name"] for m in p["vn_parameters"]}
        assert names == (WATER if o["medium"] == "water" else GAS)
        for f in p["factors"]:
            assert f["code"] in known
            for lim in f["limits"]:
                assert len(lim["standard"]) <= 100
    assert len({e["credit_code"] for e in fleet["enterprises"]}) == len(fleet["enterprises"])
    assert demo_vn_fleet(n) == fleet                 # deterministic


def test_fleet_limits_are_the_qcvn_arithmetic():
    fleet = demo_vn_fleet(8)
    for _, o, p in points(fleet):
        q = p["qcvn"]
        lims = {f["code"]: f["limits"] for f in p["factors"]}
        if o["medium"] == "water":
            expected = cmax(qcvn_limit("QCVN 40:2011/BTNMT", "B", "w01018"), kq=q["kq"], kf=q["kf"]).upper
            assert lims["w01018"] == [{"kind": "day", "upper": round(expected, 4), "lower": None,
                                       "valid_from": "2012-03-15",
                                       "standard": f"QCVN 40:2011/BTNMT cột B, Kq {q['kq']:g}, Kf {q['kf']:g}"}]
            assert lims["w01001"][0]["lower"] == 5.5 and lims["w01001"][0]["upper"] == 9
        else:
            expected = cmax(qcvn_limit("QCVN 19:2009/BTNMT", "B", "a21026"), kp=q["kp"], kv=q["kv"]).upper
            assert [lim["kind"] for lim in lims["a21026"]] == ["hour", "day"]
            assert lims["a21026"][0]["upper"] == pytest.approx(expected)


def test_fleet_imports_into_the_registry(db_url):
    engine = prepare_database(db_url)
    try:
        fleet = demo_vn_fleet(12)
        summary = import_fleet(engine, fleet)
        assert summary.points == 12
        import_fleet(engine, fleet)                  # idempotent
        directory = load_point_directory(engine)
        for _, o, p in points(fleet):
            info = directory[p["mn"]]
            assert (info.tz, info.min_interval, info.medium) == ("Asia/Ho_Chi_Minh", 5, o["medium"])
        with engine.connect() as c:
            countries = dict(c.execute(select(s.regions.c.code, s.regions.c.country)).all())
            assert countries["VN"] == "VN" and countries["VN01"] == "VN"
            n_limits = c.execute(select(s.limits.c.id)).all()
            assert len(n_limits) == summary.limits > 0
    finally:
        engine.dispose()


def test_files_every_five_minutes_parse_and_carry_the_statuses():
    fleet = demo_vn_fleet(4)
    start = datetime(2026, 3, 25, 0, 0, tzinfo=timezone(timedelta(hours=7)))
    files = list(iter_station_files_detailed(fleet, start, start + timedelta(days=1), seed=5,
                                             late_share=0.0, malformed_share=0.0, error_share=0.02))
    assert len(files) == 4 * 288
    per_station = collections.Counter(f.station_key for f in files)
    assert set(per_station.values()) == {288}
    calibrating = collections.Counter()
    for f in files:
        parsed = parse_file(f.filename, f.data)
        assert parsed.name.station_key == f.station_key and parsed.name.time == f.measured_at
        assert f.measured_at.minute % 5 == 0 and f.measured_at.second == 0
        names = {ln.parameter for ln in parsed.lines}
        assert names in (WATER, GAS)
        assert tuple(ln.status for ln in parsed.lines) == f.statuses
        by = {ln.parameter: ln.value for ln in parsed.lines}
        if names == WATER:
            assert 6.0 <= by["pH"] <= 8.5 and 0 < by["COD"] < 150 and by["Flow_In"] > by["Flow_Out"] > 0
        else:
            assert 100 < by["Pressure"] < 103 and 0 < by["SO2"] < 450 and by["Flow"] > 1000
        if "01" in f.statuses:
            calibrating[f.station_key] += 1
        assert (f.upload_at - f.measured_at.replace(tzinfo=start.tzinfo)) <= timedelta(seconds=90)
    assert set(calibrating.values()) == {3}          # one 15-minute calibration a day per station
    assert sum("02" in f.statuses for f in files) > 0


def test_late_and_malformed_shares_and_determinism():
    fleet = demo_vn_fleet(6)
    start, end = datetime(2026, 3, 25), datetime(2026, 3, 27)       # naive: Vietnam time
    files = list(iter_station_files_detailed(fleet, start, end, seed=11, late_share=0.1, malformed_share=0.05,
                                             variant_share=0.05))
    n = len(files)
    assert n == 6 * 2 * 288
    late = [f for f in files if f.late]
    assert 0.07 * n < len(late) < 0.13 * n
    vn = timezone(timedelta(hours=7))
    assert all(f.upload_at - f.measured_at.replace(tzinfo=vn) > timedelta(minutes=5) for f in late)
    kinds = collections.Counter(f.kind for f in files)
    malformed = sum(v for k, v in kinds.items() if k.startswith("malformed:"))
    assert 0.03 * n < malformed < 0.07 * n
    assert {k for k in kinds if k.startswith("malformed:")} == {
        "malformed:bad_name", "malformed:bad_line", "malformed:time_mismatch", "malformed:bad_status"}
    assert any(k.startswith("variant:") for k in kinds)
    for f in files:
        try:
            parse_file(f.filename, f.data)
            reason = None
        except VnFileError as exc:
            reason = exc.reason
        assert reason == f.expected_reason, f
    # same seed, same files (also for a sub-window); the 4-tuple interface matches
    again = list(iter_station_files(fleet, start + timedelta(hours=6), start + timedelta(hours=7), seed=11,
                                    late_share=0.1, malformed_share=0.05, variant_share=0.05))
    sub = [(f.station_key, f.filename, f.data, f.upload_at) for f in files
           if start + timedelta(hours=6) <= f.measured_at < start + timedelta(hours=7)]
    assert [tuple(x) for x in again] == sub
    key, filename, data, upload_at = again[0]
    assert upload_at.tzinfo is not None
    other = list(iter_station_files(fleet, start, start + timedelta(hours=1), seed=12))
    assert [x.data for x in other] != [f.data for f in files[: len(other)]]
