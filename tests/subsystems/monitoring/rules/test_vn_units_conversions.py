"""Unit conversions of Vietnamese station values (rules/vn/units.py) on worked numbers, and the mapper applying
them to the lines of one file (vn/mapping.py)."""

from __future__ import annotations

import pytest

from ecosentry.protocols.vn_txt.parser import parse_file
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.monitoring.rules.vn import units
from ecosentry.subsystems.monitoring.store.vn import MappingRow
from ecosentry.subsystems.monitoring.vn.mapping import (ParameterMapper, Unresolved, name_key, reference_of,
                                                          to_readings, unit_key, volume_fraction_scale)

QCVN19_2009 = units.ReferenceState(25.0, 101.325, "QCVN 19:2009/BTNMT")
UNITS = {"a34013": "mg/m³", "a21026": "mg/m³", "a21002": "mg/m³", "a01012": "°C", "a01013": "kPa",
         "a01006": "kPa", "a00000": "m³/s", "a19001": "%", "a21005": "mg/m³"}
GAS = PointInfo(2, "HN_BKHN_KHIAMO", "pw", "Asia/Ho_Chi_Minh", True, "gas", 5)


def _file(*lines: str):
    body = "".join(f"{ln}\t20260325100000\t00\r\n" for ln in lines).encode()
    return parse_file("HN_BKHN_KHIAMO_20260325100000.txt", body)


# --------------------------------------------------------------------------- molar volume and ppm


def test_molar_volume_at_0_and_25_celsius():
    # Vm = R·T/P = 8.314462618 × 273.15 / 101.325 = 22.41397 L/mol; × 298.15 / 101.325 = 24.46540 L/mol
    assert units.molar_volume(0.0, 101.325) == pytest.approx(22.41397, abs=1e-5)
    assert units.molar_volume(25.0, 101.325) == pytest.approx(24.46540, abs=1e-5)


def test_so2_100_ppm_in_mg_per_nm3_at_0_celsius():
    # HJ 212-2017 eq. (20): C = C_V × M / Vm. SO2, M = 64.07 g/mol:
    #   with Vm rounded to 22.4 (the standard's text):   100 × 64.07 / 22.4     = 286.03 mg/Nm³
    #   with Vm = 22.41397 (R·273.15 K / 101.325 kPa):     100 × 64.07 / 22.41397 = 285.85 mg/Nm³
    # (the 285.7 of the brief is neither; 285.85 is what the rule gives, to 0.15 %.)
    ref0 = units.ReferenceState(0.0, 101.325, "0 °C")
    assert 100 * 64.07 / 22.4 == pytest.approx(286.03, abs=0.01)
    assert units.ppm_to_mg_per_m3(100, 64.07, ref0) == pytest.approx(285.85, abs=0.01)
    assert units.ppm_to_mg_per_m3(100, 64.07, ref0) == pytest.approx(285.7, rel=0.001)
    assert units.mg_per_m3_to_ppm(285.85, 64.07, ref0) == pytest.approx(100.0, abs=0.01)


def test_so2_100_ppm_at_qcvn_19_2009_reference_25_celsius():
    # QCVN 19:2009/BTNMT "Nm³" at 25 °C, 101.325 kPa [R]: Vm = 24.4654; 100 × 64.06 / 24.4654 = 261.84 mg/Nm³
    assert units.ppm_to_mg_per_m3(100, units.MOLAR_MASS["a21026"], QCVN19_2009) == pytest.approx(261.84, abs=0.01)
    # NOx as NO2, 50 ppm: 50 × 46.01 / 24.4654 = 94.03 mg/Nm³
    assert units.ppm_to_mg_per_m3(50, units.MOLAR_MASS["a21002"], QCVN19_2009) == pytest.approx(94.03, abs=0.01)


def test_percent_vol():
    # 1 %vol = 10 000 ppm; CO 0.05 %vol = 500 ppm → 500 × 28.01 / 24.4654 = 572.44 mg/Nm³ at 25 °C
    assert units.percent_vol_to_ppm(0.05) == pytest.approx(500.0)
    assert units.ppm_to_percent_vol(500.0) == pytest.approx(0.05)
    assert units.ppm_to_mg_per_m3(units.percent_vol_to_ppm(0.05), 28.01, QCVN19_2009) == pytest.approx(572.44,
                                                                                                         abs=0.01)


# --------------------------------------------------------------------------- pressure, temperature


def test_absolute_to_gauge_pressure():
    # P_s = P_abs − B_a: 101.625 − 101.325 = 0.300 kPa; with a measured ambient of 100.80 kPa: 0.825 kPa
    assert units.gauge_pressure(101.625) == pytest.approx(0.300)
    assert units.gauge_pressure(101.625, 100.80) == pytest.approx(0.825)
    assert units.absolute_pressure(-0.2, 100.80) == pytest.approx(100.60)
    assert units.is_absolute_pressure(101.0) and units.is_absolute_pressure(54.0)
    assert not units.is_absolute_pressure(-4.9) and not units.is_absolute_pressure(4.9)
    assert units.says_absolute("Áp suất tuyệt đối") and units.says_absolute("P_abs")
    assert not units.says_absolute("Áp suất")


def test_pressure_units_to_kpa():
    # 1 mbar = 0.1 kPa; 1 mmH2O = 9.80665 Pa; 760 mmHg = 101.325 kPa; 1013.25 hPa = 101.325 kPa
    assert units.pressure_to_kpa(1013.25, "mbar") == pytest.approx(101.325)
    assert units.pressure_to_kpa(1013.25, "hpa") == pytest.approx(101.325)
    assert units.pressure_to_kpa(100.0, "mmh2o") == pytest.approx(0.980665)
    assert units.pressure_to_kpa(760.0, "mmhg") == pytest.approx(101.325, abs=1e-4)
    assert units.pressure_to_kpa(300.0, "pa") == pytest.approx(0.3)
    assert units.pressure_to_kpa(1.0, "psi") is None


def test_kelvin_celsius():
    assert units.kelvin_to_celsius(403.15) == pytest.approx(130.0)
    assert units.celsius_to_kelvin(25.0) == pytest.approx(298.15)


def test_actual_to_normal_conditions():
    # HJ 212-2017 eq. (18): C_N = C_a × (T_a + 273.15)/(T_ref + 273.15) × P_ref / P_abs
    # 100 mg/m³ at 130 °C and 101.625 kPa, to 25 °C / 101.325 kPa:
    #   100 × 403.15 / 298.15 × 101.325 / 101.625 = 100 × 1.352172 × 0.997048 = 134.818 mg/Nm³
    assert units.normal_from_actual(100.0, 130.0, 101.625, QCVN19_2009) == pytest.approx(134.818, abs=0.001)
    # to 0 °C: 100 × 403.15 / 273.15 × 101.325 / 101.625 = 147.157 mg/Nm³
    assert units.normal_from_actual(100.0, 130.0, 101.625) == pytest.approx(147.157, abs=0.001)


def test_reference_state_of_the_station_standard():
    assert reference_of("QCVN 19:2009/BTNMT cột B") == units.ReferenceState(25.0, 101.325, "QCVN 19:2009/BTNMT")
    # QCVN 19:2024 declares none in the seed: the documented default (0 °C), said so
    ref = reference_of("QCVN 19:2024/BTNMT cột B")
    assert (ref.temperature_c, ref.pressure_kpa) == (0.0, 101.325) and ref.source.endswith("default")
    assert reference_of(None) == units.DEFAULT_REFERENCE


def test_catalogue_has_the_conversion_rules():
    from ecosentry.contracts.catalogue import get

    for code in (units.RULE_GAUGE, units.RULE_PPM, units.RULE_NORMAL):
        assert get(code).module == "ecosentry.subsystems.monitoring.rules.vn.units"


# --------------------------------------------------------------------------- the mapper on one file


def test_absolute_flue_pressure_becomes_static_pressure_with_default_ambient():
    # the demo chimneys' line: Pressure 101.42 kPa (absolute). Default mapping: a01013 static pressure
    # = 101.42 − 101.325 = 0.095 kPa, inside the factor's range −5…5 kPa (it was stored as 101.42 before)
    readings, left = to_readings(_file("Pressure\t101.42\tkPa", "Temp\t130\toC"), GAS, ParameterMapper({}, UNITS))
    got = {r.factor: r.value for r in readings}
    assert got["a01013"] == pytest.approx(0.095)
    assert left == []


def test_absolute_pressure_uses_the_station_ambient_when_sent():
    # ambient 100.80 kPa in the same file (Áp suất khí quyển → a01006): 101.42 − 100.80 = 0.62 kPa;
    # an absolute pressure in hPa: 1014.2 hPa = 101.42 kPa → the same
    m = ParameterMapper({}, UNITS)
    ambient = MappingRow(2, "Áp suất khí quyển", "", name_key("Áp suất khí quyển"), "", "a01006")
    m = ParameterMapper({2: [ambient]}, UNITS)
    readings, _ = to_readings(_file("Áp suất khí quyển\t100.80\tkPa", "Pressure\t1014.2\thPa"), GAS, m)
    got = {r.factor: r.value for r in readings}
    assert got["a01013"] == pytest.approx(0.62) and got["a01006"] == pytest.approx(100.80)


def test_gauge_pressure_left_as_is():
    readings, _ = to_readings(_file("Áp suất\t-0.25\tkPa"), GAS, ParameterMapper({}, UNITS))
    assert readings[0].value == pytest.approx(-0.25)


def test_station_rule_ppm_and_actual_conditions():
    # the officer's rules: SO2 in ppm → a21026 × M/Vm (QCVN 19:2009: 64.06/24.4654 = 2.61839);
    # Dust at actual conditions → a34013 'normal' with the file's 130 °C and 0.30 kPa static (101.625 absolute)
    scale = volume_fraction_scale("ppm", "mg/m³", "a21026", QCVN19_2009)
    assert scale == pytest.approx(2.61839, abs=1e-5)
    so2 = MappingRow(2, "SO2", "ppm", name_key("SO2"), unit_key("ppm"), "a21026", scale)
    dust = MappingRow(2, "Dust", "mg/m3", name_key("Dust"), unit_key("mg/m3"), "a34013", conversion="normal")
    m = ParameterMapper({2: [so2, dust]}, UNITS, references={2: QCVN19_2009})
    f = _file("SO2\t100\tppm", "Dust\t100\tmg/m3", "Temp\t130\toC", "Pressure\t0.30\tkPa")
    readings, left = to_readings(f, GAS, m)
    got = {r.factor: r.value for r in readings}
    assert got["a21026"] == pytest.approx(261.84, abs=0.01)
    assert got["a34013"] == pytest.approx(134.818, abs=0.001)   # as test_actual_to_normal_conditions
    assert left == []
    # without a flue temperature the actual→normal line is left out, said why
    readings, left = to_readings(_file("Dust\t100\tmg/m3"), GAS, m)
    assert readings == [] and left[0]["reason"] == "no_conditions"


def test_default_ppm_uses_the_station_reference_state():
    m = ParameterMapper({}, UNITS, references={2: QCVN19_2009})
    readings, _ = to_readings(_file("SO2\t100\tppm"), GAS, m)
    assert readings[0].value == pytest.approx(261.84, abs=0.01)


def test_ignored_line_is_not_unmapped():
    rule = MappingRow(2, "Flow_In", "", name_key("Flow_In"), "", None, conversion="ignore")
    m = ParameterMapper({2: [rule]}, UNITS)
    assert m.resolve(GAS, "Flow_In", "m3/h") == Unresolved("ignored")


def test_default_names_of_absolute_and_ambient_pressure():
    # "Áp suất tuyệt đối" 101.2 kPa and "Áp suất khí quyển" 100.9 kPa by default: static 101.2 − 100.9 = 0.3 kPa;
    # a name saying "absolute" is converted even below the 50 kPa threshold (a station at altitude: 48.0 − 47.8)
    m = ParameterMapper({}, UNITS)
    readings, left = to_readings(_file("Áp suất tuyệt đối\t101.2\tkPa", "Áp suất khí quyển\t100.9\tkPa"), GAS, m)
    got = {r.factor: r.value for r in readings}
    assert got == {"a01013": pytest.approx(0.3), "a01006": pytest.approx(100.9)} and left == []
    readings, _ = to_readings(_file("P abs\t48.0\tkPa", "Ba\t47.8\tkPa"), GAS, m)
    assert {r.factor: r.value for r in readings}["a01013"] == pytest.approx(0.2)
    # no binary noise in the stored value: 101.51 − 101.325 = 0.185 exactly as a decimal
    readings, _ = to_readings(_file("Pressure\t101.51\tkPa"), GAS, m)
    assert readings[0].value == 0.185
