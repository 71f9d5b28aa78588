"""Pure parts of the VN intake: missing slots, timeliness, names and units, mapping, status → flag."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.protocols.vn_txt.parser import parse_file
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.store.vn import MappingRow
from ecosentry.subsystems.monitoring.vn.mapping import (ParameterMapper, Resolved, Unresolved, name_key, to_readings,
                                                        unit_conversion, unit_key)
from ecosentry.subsystems.monitoring.vn.missing import missing_slots
from ecosentry.subsystems.monitoring.vn.timeliness import assess_timeliness

UTC = timezone.utc
T0 = datetime(2026, 3, 25, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
FIVE = timedelta(minutes=5)
UNITS = {"w01018": "mg/L", "w01012": "mg/L", "w01001": None, "w01010": "°C", "w00000": "L/s", "w21003": "mg/L",
         "a34013": "mg/m³", "a21026": "mg/m³", "a01012": "°C", "a01013": "kPa", "a00000": "m³/s", "a19001": "%"}
WATER = PointInfo(1, "HN_PHCH_NUOPCH", "pw", "Asia/Ho_Chi_Minh", True, "water", 5)
GAS = PointInfo(2, "HN_BKHN_KHIAMO", "pw", "Asia/Ho_Chi_Minh", True, "gas", 5)


def test_missing_slots_on_the_five_minute_grid():
    files = [T0, T0 + FIVE, T0 + 3 * FIVE + timedelta(seconds=30)]  # 10:15:30 covers 10:15
    assert missing_slots(files, T0, T0 + 5 * FIVE, FIVE) == [T0 + 2 * FIVE, T0 + 4 * FIVE]
    # the first slot is the first grid time at or after start; end is exclusive
    assert missing_slots([], T0 + timedelta(minutes=1), T0 + 2 * FIVE, FIVE) == [T0 + FIVE]
    assert missing_slots(files, T0, T0 + 2 * FIVE, FIVE) == []
    with pytest.raises(ValueError):
        missing_slots([], T0, T0, timedelta(0))


def test_timeliness_late_backfill_too_old_and_future():
    st = VnIntakeSettings()
    local = datetime(2026, 3, 25, 10, 0)  # file time, Vietnam local (UTC+07:00)
    on_time = assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 + timedelta(minutes=4), st)
    assert on_time.file_time == T0 and on_time.delay == timedelta(minutes=4)
    assert (on_time.late, on_time.backfill, on_time.refusal) == (False, False, None)
    late = assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 + timedelta(minutes=5, seconds=1), st)
    assert (late.late, late.backfill) == (True, False)
    back = assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 + timedelta(days=59), st)
    assert (back.late, back.backfill, back.refusal) == (True, True, None)
    assert assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 + timedelta(days=60, seconds=1), st).refusal == "too_old"
    assert assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 - timedelta(minutes=5), st).refusal is None
    assert assess_timeliness(local, "Asia/Ho_Chi_Minh", T0 - timedelta(minutes=6), st).refusal == "future"


def test_names_and_units_are_normalised():
    assert name_key("Nhiệt độ") == name_key("NHIET DO") == name_key("nhiet_do") == "nhietdo"
    assert name_key("Lưu lượng") == "luuluong" and name_key("SO₂") == "so2"
    assert name_key("m,p-Xylene") == "m,p-xylene" and name_key("NH4+") != name_key("NH4")
    assert unit_key("µg/m³") == unit_key("ug/m3") == "ug/m3"
    assert unit_key("°C") == unit_key("oC") == "oc" and unit_key("độ C") == "doc"


@pytest.mark.parametrize("raw, canonical, expected", [
    ("ug/m3", "mg/m³", (0.001, 0.0)), ("mg/Nm3", "mg/m³", (1.0, 0.0)), ("m3/h", "L/s", (1 / 3.6, 0.0)),
    ("m3/h", "m³/s", (1 / 3600, 0.0)), ("hPa", "kPa", (0.1, 0.0)), ("Pa", "kPa", (0.001, 0.0)),
    ("oC", "°C", (1.0, 0.0)), ("K", "°C", (1.0, -273.15)), ("mg/l", "mg/L", (1.0, 0.0)), ("", None, (1.0, 0.0)),
    ("ppm", "mg/m³", None), ("", "mg/L", None), ("mg/L", "mg/m³", None), ("mg/L", None, None),
])
def test_unit_conversion_only_where_simple(raw, canonical, expected):
    got = unit_conversion(raw, canonical)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_mapper_defaults_by_medium_and_station_rules():
    rule = MappingRow(1, "Flow in", "m3/h", name_key("Flow in"), unit_key("m3/h"), "w00000", 1 / 3.6, 0.0)
    any_unit = MappingRow(1, "Độ đục", "", name_key("Độ đục"), "", "w01012", 2.0, 0.0)
    m = ParameterMapper({1: [rule, any_unit]}, UNITS)
    assert m.resolve(WATER, "Nhiệt độ", "oC") == Resolved("w01010", 1.0, 0.0)
    assert m.resolve(GAS, "Temp", "°C") == Resolved("a01012", 1.0, 0.0)
    assert m.resolve(GAS, "Bụi", "ug/m3") == Resolved("a34013", 0.001, 0.0)
    assert m.resolve(GAS, "Áp suất", "hPa").factor == "a01013"
    assert m.resolve(WATER, "FLOW IN", "M3/H") == Resolved("w00000", 1 / 3.6, 0.0, "station")
    assert m.resolve(WATER, "do duc", "NTU") == Resolved("w01012", 2.0, 0.0, "station")
    assert m.resolve(GAS, "Flow in", "m3/h") == Unresolved("unknown_parameter")  # rules are per station
    assert m.resolve(WATER, "SO2", "mg/m3") == Unresolved("unknown_parameter")  # not a water parameter
    # ppm of a gas with a known molar mass: × M / Vm at the reference state (none declared: 0 °C, 101.325 kPa;
    # 64.06 g/mol / 22.414 L/mol = 2.8580 (mg/m³)/ppm); a gas without one stays unresolved
    assert m.resolve(GAS, "SO2", "ppm") == Resolved("a21026", pytest.approx(64.06 / 22.41397), 0.0)
    assert m.resolve(GAS, "Dust", "ppm") == Unresolved("unit")


def test_readings_carry_flags_and_utc_times():
    data = ("COD\t45.2\tmg/L\t20260325100000\t00\r\npH\t7.1\t\t20260325100000\t01\r\n"
            "Lưu lượng\t36\tm3/h\t20260325100000\t02\r\nXylene\t1\tug/L\t20260325100000\t00\r\n").encode()
    vn = parse_file("HN_PHCH_NUOPCH_20260325100000.txt", data)
    readings, left = to_readings(vn, WATER, ParameterMapper({}, UNITS))
    got = {r.factor: (r.value, r.flag, r.eflag, r.kind, r.start) for r in readings}
    assert got["w01018"] == (45.2, "N", "00", "min", T0)
    assert got["w01001"][1:3] == ("C", "01")
    assert got["w00000"][0] == pytest.approx(10.0) and got["w00000"][1] == "D"
    assert left == [{"line": 4, "parameter": "Xylene", "unit": "ug/L", "reason": "unknown_parameter", "value": 1.0}]
