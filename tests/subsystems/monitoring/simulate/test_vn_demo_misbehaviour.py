"""The Vietnamese demo's misbehaving stations (issue 14 item 7): one DONRE's province with districts, six stations
that each show one thing the DONRE controls, the others honest; counted over a simulated day."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from ecosentry.protocols.vn_txt import parse_file
from ecosentry.subsystems.monitoring.simulate.demo import VN_DEMO_BEHAVIOURS, stage_vn_misbehaviour, vn_demo_users
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet, iter_station_files_detailed

NOW = datetime(2026, 12, 5, 21, 57, tzinfo=timezone.utc)           # 04:57 in Vietnam
DAY_START = datetime(2026, 12, 5, 0, 0)                             # naive: Vietnam local time
DAY_END = DAY_START + timedelta(days=1)


def _world():
    fleet = demo_vn_fleet(12, province="BN")
    staged = stage_vn_misbehaviour(fleet, NOW, backfill_hours=3)
    files = list(iter_station_files_detailed(fleet, DAY_START, DAY_END, late_share=0.0, malformed_share=0.0,
                                             error_share=0.0, calibration=False))
    by_station: dict[str, list] = {}
    for f in files:
        by_station.setdefault(f.station_key, []).append(f)
    return fleet, staged, by_station


def _delay(f) -> timedelta:
    return f.upload_at - f.measured_at.replace(tzinfo=timezone(timedelta(hours=7)))


def test_one_province_with_districts_and_six_misbehaving_stations():
    fleet, staged, _ = _world()
    assert [r["code"] for r in fleet["regions"] if r["level"] == "province"] == ["VN27"]
    districts = {r["code"] for r in fleet["regions"] if r["level"] == "county"}
    assert districts and all(e["region"] in districts for e in fleet["enterprises"])
    assert all(p["mn"].startswith("BN_") for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"])
    assert list(staged.values()) == list(VN_DEMO_BEHAVIOURS)
    first = fleet["enterprises"][0]
    assert set(list(staged)[:2]) == {p["mn"] for o in first["outlets"] for p in o["points"]}
    assert next(iter(staged)).split("_")[2].startswith("KHI")        # the exceeding one is a chimney


def test_accounts_province_district_facility():
    fleet, _, _ = _world()
    users = {u["username"]: u for u in vn_demo_users(fleet)}
    assert users["donre"]["region"] == "VN27" and users["donre"]["role"] == "regulator"
    assert users["huyen"]["region"] == fleet["enterprises"][0]["region"] and users["huyen"]["role"] == "regulator"
    assert users["coso"] == {**users["coso"], "role": "enterprise", "enterprise": fleet["enterprises"][0]["credit_code"]}
    assert all(u["locale"] == "vi" and u["password"] for u in users.values())
    # Vietnamese-looking names, not codes
    assert "Nguyễn" in users["donre"]["display_name"] and "Trần" in users["huyen"]["display_name"]


def test_each_misbehaviour_over_a_day():
    fleet, staged, files = _world()
    by_behaviour = {b: files[mn] for mn, b in staged.items()}
    honest = [f for mn, fs in files.items() if mn not in staged for f in fs]
    slots = 288
    # missing: about a quarter of the slots never sent
    assert 0.15 * slots < slots - len(by_behaviour["missing"]) < 0.35 * slots
    assert len(honest) == slots * (len(files) - len(staged))
    # late: about half its files 6–20 min late, the others within 90 s
    late = [f for f in by_behaviour["late"] if f.late]
    assert 0.35 * slots < len(late) < 0.65 * slots
    assert all(timedelta(minutes=6) <= _delay(f) <= timedelta(minutes=20) for f in late)
    # malformed: 15 % spoiled, each with the reason the parser gives
    bad = [f for f in by_behaviour["malformed"] if f.kind.startswith("malformed:")]
    assert 0.08 * slots < len(bad) < 0.22 * slots
    for f in bad:
        reason = f.expected_reason
        try:
            parse_file(f.filename, f.data)
            got = None
        except Exception as exc:  # VnFileError
            got = getattr(exc, "reason", None)
        assert got == reason, (f.filename, got, reason)
    # back-fill: in every 3 h block, minutes 60–134 held and sent together at minute 140–141
    held = [f for f in by_behaviour["backfill"] if f.late]
    assert len(held) == 8 * 15
    backfilled = Counter(f.measured_at.hour // 3 for f in held if _delay(f) > timedelta(minutes=60))
    assert set(backfilled) == set(range(8)) and all(4 <= n <= 5 for n in backfilled.values())
    assert all(timedelta(minutes=5) < _delay(f) < timedelta(minutes=82) for f in held)
    # exceedance: SO2 over the station's hourly QCVN limit in hours 03, 09, 15, 21 only (no episode in this day)
    point = next(p for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]
                 if staged.get(p["mn"]) == "exceedance")
    limit = next(lim["upper"] for f in point["factors"] if f["code"] == "a21026" for lim in f["limits"]
                 if lim["kind"] == "hour")
    for f in by_behaviour["exceedance"]:
        so2 = next(r.value for r in parse_file(f.filename, f.data).lines if r.parameter == "SO2")
        assert (so2 > limit) == (f.measured_at.hour in (3, 9, 15, 21)), (f.measured_at, so2, limit)
    # status: calibration (01) 00–14 past even hours, device error (02) 30–39 past hours 1, 4, 7 …
    for f in by_behaviour["status"]:
        t = f.measured_at
        want = "02" if t.hour % 3 == 1 and 30 <= t.minute < 40 else "01" if t.hour % 2 == 0 and t.minute < 15 \
            else "00"
        assert want in f.statuses and set(f.statuses) <= {want, "00"}, (t, f.statuses)
    # the honest stations: on time, well-formed, measuring
    assert not any(f.late or f.kind != "ok" or set(f.statuses) != {"00"} for f in honest)


def test_the_staged_episode_covers_the_last_history_hour_and_two_live_hours():
    fleet, staged, _ = _world()
    point = next(p for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]
                 if staged.get(p["mn"]) == "exceedance")
    (start, end), = point["simulation"]["episodes"]
    assert (datetime.fromisoformat(start), datetime.fromisoformat(end)) == (
        NOW.replace(minute=0) - timedelta(hours=1), NOW.replace(minute=0) + timedelta(hours=2))
    files = list(iter_station_files_detailed(fleet, NOW - timedelta(hours=3), NOW + timedelta(hours=3),
                                             late_share=0.0, malformed_share=0.0))
    exceeding = {f.measured_at.hour for f in files if f.station_key == point["mn"]
                 for r in parse_file(f.filename, f.data).lines if r.parameter == "SO2" and r.value > 500}
    assert exceeding == {3, 4, 5}      # 03:00–06:00 Vietnam time = 20:00–23:00 UTC (03 is a periodic hour too)
