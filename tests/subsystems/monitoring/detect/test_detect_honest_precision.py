"""Worked examples of issue 13's false falsification signs on honest plants (seeds 53 and 67 of the
honest-plant set): a flat hourly stretch whose minute readings still fluctuate, quantised low readings
whose statistics were spoiled by a stretch of the same factor that changed every minute, and a half-day
copy between plants that the whole-window screen missed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np

from ecosentry.subsystems.monitoring.detect import national as nat
from ecosentry.subsystems.monitoring.detect import patterns as pat
from ecosentry.subsystems.monitoring.detect import signs
from ecosentry.subsystems.monitoring.detect.model import PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

UTC = timezone.utc
T0 = datetime(2024, 3, 1, tzinfo=UTC)  # 08:00 in Asia/Shanghai
CFG = DetectorSettings()
NO_JITTER_TEST = DetectorSettings.from_mapping({"patterns": {"step_jitter_ratio": 0}})
SO2, FLOW, TP, COD, WFLOW = "a21026", "a00000", "w21011", "w01018", "w00000"


def minute_series(factor: str, values) -> Series:
    values = np.asarray(values, dtype=float)
    times = to_datetime64(T0) + np.arange(len(values)) * np.timedelta64(60, "s")
    return Series(factor, times, values)


def hourly_of(s: Series) -> Series:
    n = len(s) // 60
    times = to_datetime64(T0) + np.arange(n) * np.timedelta64(3600, "s")
    return Series(s.factor, times, s.values[:n * 60].reshape(n, 60).mean(axis=1))


def point(minutes: dict[str, Series], medium: str, *, with_minutes: bool = True) -> PointData:
    return PointData(point="P1", medium=medium, minutes=minutes if with_minutes else {},
                     hours={f: hourly_of(s) for f, s in minutes.items()})


def codes(findings) -> list[str]:
    for f in findings:
        json.dumps(f.to_json())
    return [f.code for f in findings]


# ---------------------------------------------------------------------------------------------- step then flat

def base_load_so2(hours: int = 96, seed: int = 3) -> np.ndarray:
    """SO2 of a base-load plant read every minute at 0.1 mg/m³: 15 mg/m³ with 2 % minute noise, so its
    hourly means stay within 0.3 % (flat by any hourly test) while every reading fluctuates."""
    rng = np.random.default_rng(seed)
    return np.round(15.0 * (1 + 0.02 * rng.standard_normal(hours * 60)), 1)


def gas_point(so2: np.ndarray, *, with_minutes: bool = True) -> PointData:
    flow = np.round(100.0 + np.random.default_rng(7).normal(0, 1.0, len(so2)), 2)
    return point({SO2: minute_series(SO2, so2), FLOW: minute_series(FLOW, flow)}, "gas",
                 with_minutes=with_minutes)


def test_an_honest_base_load_plant_back_from_a_disturbance_is_no_step_then_flat():
    # seed 53, G001: four hours of zeros (a separate, labelled fault), then the plant's own steady level again
    so2 = base_load_so2()
    so2[40 * 60:44 * 60] = 0.0
    data = gas_point(so2)
    assert "DET-STEP-FLAT" in codes(pat.detect_step_flat(data, NO_JITTER_TEST))  # the hourly test alone
    assert codes(pat.detect_step_flat(data, CFG)) == []  # its readings still jitter by 0.3 mg/m³


def test_a_held_value_after_a_step_is_still_found_with_its_jitter_ratio():
    # seed 67, G003: the reading jumps to 1.7 × its level and is held there (± 0.2 %) for ten hours
    so2 = base_load_so2()
    so2[40 * 60:50 * 60] = np.round(25.5 * (1 + 0.002 * np.random.default_rng(1).standard_normal(600)), 1)
    [f] = pat.detect_step_flat(gas_point(so2), CFG)
    assert f.code == "DET-STEP-FLAT" and f.start == T0 + timedelta(hours=40)
    assert f.evidence["minute_jitter_ratio"] < 0.2


def test_without_minute_data_the_hourly_test_stands_alone():
    so2 = base_load_so2()
    so2[40 * 60:44 * 60] = 0.0
    assert "DET-STEP-FLAT" in codes(pat.detect_step_flat(gas_point(so2, with_minutes=False), CFG))


def test_a_meter_whose_noise_is_a_share_of_its_reading_is_judged_relative_to_its_level():
    # seed 67, W037: a day-shift plant's night flow, a quarter of the day rate with the same 2 % noise,
    # jitters a quarter as much in m³/h but as much relative to its level: not a held value
    rng = np.random.default_rng(4)
    hours = np.arange(96 * 60) // 60
    rate = np.where(hours % 24 < 12, 180.0, 45.0)
    flow = np.round(rate * (1 + 0.02 * rng.standard_normal(len(hours))), 2)
    data = point({WFLOW: minute_series(WFLOW, flow)}, "water")
    jitter = pat._minute_jitter(data, WFLOW, CFG)
    night = (T0 + timedelta(hours=36), T0 + timedelta(hours=42))
    assert pat._jitter_ratio(jitter, *night) > 0.8
    held = flow.copy()
    held[36 * 60:42 * 60] = 45.0  # a meter stuck at its night rate is still at both scales
    assert pat._jitter_ratio(pat._minute_jitter(point({WFLOW: minute_series(WFLOW, held)}, "water"), WFLOW, CFG),
                             *night) == 0.0


# ---------------------------------------------------------------------------------------------- quantised low readings

def analyser(level: float, n: int, cycle: int = 60, seed: int = 5) -> np.ndarray:
    """An online analyser at 0.01 mg/L: one analysis per ``cycle`` minutes, noise of 1.5 steps, held."""
    rng = np.random.default_rng(seed)
    reading = np.round((level + rng.normal(0, 0.015, n)) / 0.01) * 0.01
    return np.maximum(reading[np.arange(n) // cycle * cycle], 0.0)


def water_point(tp: np.ndarray) -> PointData:
    n = len(tp)
    flow = 60.0 + np.random.default_rng(9).normal(0, 1.0, n)
    cod = np.round(25.0 + np.random.default_rng(8).normal(0, 1.0, n), 1)
    return point({TP: minute_series(TP, tp), WFLOW: minute_series(WFLOW, flow), COD: minute_series(COD, cod)},
                 "water")


def with_a_fast_stretch(tp: np.ndarray) -> np.ndarray:
    """Twenty hours of day 1 replaced by a reading that changes every minute (seed 53's W024 narrow band)."""
    out = tp.copy()
    rng = np.random.default_rng(11)
    out[1440:1440 + 1200] = np.round(0.155 + rng.uniform(-0.015, 0.015, 1200), 2)
    return out


def test_a_fast_changing_stretch_does_not_make_the_measuring_cycle_one_minute():
    n = 5 * 1440
    tp = with_a_fast_stretch(analyser(0.17, n))
    st = nat._readings(minute_series(TP, tp).times, tp, np.ones(n, bool), 60)
    assert st.cycle_s == 3600  # the hourly analyses fill most of the window
    assert 0.1 < st.repeat_share < 0.5  # one reading sampled per cycle, not 1,200 minute changes
    assert st.readings == n // 60


def test_five_equal_hourly_tp_readings_are_the_analyser_even_after_a_fast_stretch():
    # seed 53, W024: TP at 0.17 mg/L (17 resolution steps), 0.17 read five hours running; a reading repeats
    # about one time in four, so 5 equal readings in 120 are expected 120 × 0.25⁴ ≈ 0.5 times
    n = 5 * 1440
    tp = with_a_fast_stretch(analyser(0.17, n))
    tp[3 * 1440:3 * 1440 + 300] = 0.17
    assert [f for f in nat.detect_constant_value(water_point(tp), CFG) if f.factor == TP] == []


def test_a_long_stuck_low_reading_after_a_fast_stretch_is_still_found():
    n = 5 * 1440
    tp = with_a_fast_stretch(analyser(0.17, n))
    tp[3 * 1440:3 * 1440 + 14 * 60] = 0.16  # 14 analyses in a row: 120 × 0.25¹³ ≪ 1 %
    [f] = [f for f in nat.detect_constant_value(water_point(tp), CFG) if f.factor == TP]
    assert f.code == "DET-CONST-4H" and f.evidence["hours"] >= 14


def test_a_run_past_its_last_whole_cycle_counts_the_reading_that_started_that_cycle():
    # seed 1, W024: NH3-N 0.37 mg/L read at 21:07 and held until 02:29: the analyses of 21:07 … 02:07 all
    # gave 0.37, six readings; with a repeat share of 0.114 in 116 readings, six equal readings are expected
    # 116 × 0.114⁵ ≈ 0.002 times (a sign), five (exactly 300 min) 116 × 0.114⁴ ≈ 0.02 times (no sign)
    st = nat._Readings(resolution=0.01, cycle_s=3600.0, repeat_share=0.114, readings=116.0)
    assert st.chance(322 * 60, 60) < CFG.national.constant_chance_min < st.chance(300 * 60, 60)
    assert st.chance(300 * 60, 60) == st.chance(300 * 60)  # whole cycles: as many readings as cycles


# ---------------------------------------------------------------------------------------------- fleet copy

def two_plants(copy: bool, days: int = 5) -> list[PointData]:
    """Seed 67's G008 (SO2 near 29 mg/m³, minute noise 0.6) and G003 (a base-load 15 mg/m³, noise 0.3); with
    ``copy`` twelve hours of G003's SO2 are G008's scaled by 0.24 (changes of 0.15, under its own 0.3)."""
    n = days * 1440
    rng = np.random.default_rng(21)
    g008 = np.round(29.0 + np.cumsum(rng.normal(0, 0.6, n)) * 0.05 + rng.normal(0, 0.6, n), 1)
    g003 = np.round(15.0 + rng.normal(0, 0.3, n), 1)
    if copy:
        w = slice(2 * 1440 + 700, 2 * 1440 + 700 + 720)
        g003[w] = np.round(15.0 + 0.24 * (g008[w] - g008[w].mean()), 1)
    out = []
    for name, so2 in (("G003", g003), ("G008", g008)):
        flow = np.round(100.0 + rng.normal(0, 1.0, n), 2)
        data = point({SO2: minute_series(SO2, so2), FLOW: minute_series(FLOW, flow)}, "gas")
        out.append(PointData(point=name, medium="gas", minutes=data.minutes, hours=data.hours))
    return out


def test_a_half_day_copy_at_a_small_gain_is_found_between_plants():
    found = signs.detect_fleet_copies([signs.copy_feed(p, CFG) for p in two_plants(copy=True)], CFG)
    assert sorted(f.point for f in found) == ["G003", "G008"]
    assert all(f.code == "DET-CLONE-MINUTE" for f in found)
    start = T0 + timedelta(minutes=2 * 1440 + 700)
    assert all(abs((f.start - start).total_seconds()) <= 3600 for f in found)


def test_two_honest_plants_share_no_copy():
    assert signs.detect_fleet_copies([signs.copy_feed(p, CFG) for p in two_plants(copy=False)], CFG) == []
