"""Physical facts of honest plants that are not falsification (issue 13), each on a hand-made worked case:
stops that begin and end at any minute, analysers that report low values at their resolution and hold one
value per measuring cycle, day-shift plants that stop discharging at night; and the two subtle frauds the
detectors must still find (a pollutant held in a narrow band, a pollutant channel copied from another)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import national as nat
from ecosentry.subsystems.monitoring.detect import patterns as pat
from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

UTC = timezone.utc
#: 2024-03-01 00:00 UTC = 08:00 in Asia/Shanghai.
T0 = datetime(2024, 3, 1, tzinfo=UTC)
CFG = DetectorSettings()
COD, NH3N, TP, WFLOW = "w01018", "w21003", "w21011", "w00000"
SO2, NOX, DUST, O2, FLOW, VEL, TEMP = "a21026", "a21002", "a34013", "a19001", "a00000", "a01011", "a01012"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def minute_series(factor: str, values, flags=None) -> Series:
    values = np.asarray(values, dtype=float)
    times = to_datetime64(T0) + np.arange(len(values)) * np.timedelta64(60, "s")
    return Series(factor, times, values, tuple(flags) if flags is not None else ())


def hourly_of(s: Series) -> Series:
    """Hourly means of a minute series (whole hours from T0); an hour with any F minute is flagged F, the
    worst case of a flag roll-up."""
    n = len(s) // 60
    v = s.values[:n * 60].reshape(n, 60).mean(axis=1)
    flags = s.flag_array()[:n * 60].reshape(n, 60)
    hf = tuple("F" if (row == "F").any() else "N" for row in flags) if s.flags else ()
    times = to_datetime64(T0) + np.arange(n) * np.timedelta64(3600, "s")
    return Series(s.factor, times, v, hf)


def point(minutes: dict[str, Series], medium: str, marks=(), hours: bool = True) -> PointData:
    return PointData(point="P1", medium=medium, minutes=minutes if hours else {},
                     hours={f: hourly_of(s) for f, s in minutes.items()} if hours else minutes,
                     marks=list(marks))


def codes(findings) -> list[str]:
    for f in findings:
        json.dumps(f.to_json())
    return [f.code for f in findings]


# ---------------------------------------------------------------------------------------------- 1 stops at any minute

def water_with_stop(a: int, b: int, *, stop_flow: bool = True, flag: bool = True, n: int = 48 * 60):
    """Wastewater flow 50 L/s and COD 30 mg/L over two days; declared stopped over minutes [a, b) by a mark
    (and flag F on those minutes); the flow really is 0 there when ``stop_flow``."""
    rng = np.random.default_rng(3)
    flow = 50.0 + rng.normal(0, 1.0, n)
    cod = 30.0 + rng.normal(0, 1.0, n)
    if stop_flow:
        flow[a:b] = 0.0
    flags = np.array(["N"] * n, dtype=object)
    if flag:
        flags[a:b] = "F"
    series = {WFLOW: minute_series(WFLOW, flow, flags), COD: minute_series(COD, cod, flags)}
    return series, [Mark("stopped", at(a), at(b), mark_id=7)]


def test_a_real_stop_beginning_and_ending_inside_hours_is_not_data_while_stopped():
    # stop 10:25–20:40 (minutes 625–1240): the hours 10:00 and 20:00 mix running and stopped minutes and
    # their hourly means (flow 29 and 33 L/s, above 0.2 × 50) looked like production to the old rule
    series, marks = water_with_stop(625, 1240)
    data = point(series, "water", marks)
    assert data.hours[WFLOW].values[10] > 0.2 * 50 and data.hours[WFLOW].values[20] > 0.2 * 50
    assert codes(nat.detect_data_while_stopped(data, CFG)) == []


def test_a_false_stop_mark_is_found_and_its_boundary_hours_are_judged_on_the_declared_minutes():
    # the same mark while the plant discharges on: every declared minute shows production
    series, marks = water_with_stop(625, 1240, stop_flow=False)
    [f] = nat.detect_data_while_stopped(point(series, "water", marks), CFG)
    assert f.code == "DET-STOPPED-DATA"
    assert (f.start, f.end) == (at(600), at(1260))  # 10:00 to 21:00: the boundary hours join the run
    assert f.evidence["partly_declared_intervals"] == 2 and f.evidence["judged_on_declared_minutes"]
    assert f.evidence["signals"][WFLOW]["mean"] == pytest.approx(50.0, abs=0.5)
    assert "judged on the declared minutes alone" in f.explanation


def test_a_stop_mark_a_few_minutes_off_the_real_stop_is_no_evidence():
    # the operator marks 10:25–20:40, the plant really stops at 10:29 and restarts at 20:31: the declared
    # minutes of the two boundary hours are mostly stopped, the whole hours between fully stopped
    series, _ = water_with_stop(629, 1231, flag=False)
    data = point(series, "water", [Mark("stopped", at(625), at(1240))])
    assert codes(nat.detect_data_while_stopped(data, CFG)) == []


def test_hourly_data_only_the_partly_marked_hour_is_no_evidence_but_whole_hours_are():
    series, marks = water_with_stop(625, 1240, flag=False)
    hourly = {f: hourly_of(s) for f, s in series.items()}
    data = PointData(point="P1", medium="water", hours=hourly, marks=marks)
    assert codes(nat.detect_data_while_stopped(data, CFG)) == []
    # a false mark over the same minutes: only the whole hours 11:00–20:00 are evidence
    series, marks = water_with_stop(625, 1240, stop_flow=False, flag=False)
    data = PointData(point="P1", medium="water", hours={f: hourly_of(s) for f, s in series.items()}, marks=marks)
    [f] = nat.detect_data_while_stopped(data, CFG)
    assert (f.start, f.end) == (at(660), at(1200))


# ---------------------------------------------------------------------------------------------- 2 quantised low readings

def analyser(level: np.ndarray, decimals: int, cycle: int, seed: int = 5) -> np.ndarray:
    """An online analyser: one analysis per ``cycle`` minutes of ``level`` with noise of 1.5 resolution
    steps, rounded to ``decimals`` and held until the next analysis."""
    rng = np.random.default_rng(seed)
    n = len(level)
    step = 10.0 ** -decimals
    sample = np.arange(n) // cycle * cycle
    reading = np.round((level + rng.normal(0, 1.5 * step, n)) / step) * step
    return np.maximum(reading[sample], 0.0)


def water_point(nh3n: np.ndarray, cod: np.ndarray | None = None) -> PointData:
    n = len(nh3n)
    flow = 60.0 + np.random.default_rng(9).normal(0, 1.0, n)
    cod = 25.0 + np.random.default_rng(8).normal(0, 1.0, n) if cod is None else cod
    return point({NH3N: minute_series(NH3N, nh3n), WFLOW: minute_series(WFLOW, flow),
                  COD: minute_series(COD, np.round(cod, 1))}, "water")


def test_nh3n_at_its_resolution_repeating_for_4_hours_is_the_analyser_not_a_constant():
    n = 5 * 1440
    nh3n = analyser(np.full(n, 0.10), 2, 60)
    nh3n[2 * 1440:2 * 1440 + 240] = 0.09  # four successive hourly analyses read 0.09
    data = water_point(nh3n)
    assert "DET-CONST-4H" not in codes(nat.detect_constant_value(data, CFG))
    # the same held value with the quantisation rule switched off is the national 恒值
    off = DetectorSettings.from_mapping({"national": {"constant_quantised_steps": 0}})
    assert "DET-CONST-4H" in codes(nat.detect_constant_value(data, off))


def test_a_value_held_within_one_measuring_cycle_is_one_reading():
    n = 3 * 1440
    nh3n = analyser(np.full(n, 0.25), 2, 60)
    st = nat._readings(minute_series(NH3N, nh3n).times, nh3n, np.ones(n, bool), 60)
    assert st.cycle_s == 3600 and st.resolution == pytest.approx(0.01)
    assert st.readings == pytest.approx(72, abs=1)  # one reading an hour, not 4,320
    assert 0.05 < st.repeat_share < 0.5


def test_a_stuck_low_reading_far_longer_than_its_repeat_rate_explains_is_still_found():
    n = 5 * 1440
    nh3n = analyser(np.full(n, 0.10), 2, 60)
    nh3n[2 * 1440:2 * 1440 + 14 * 60] = 0.09  # 14 analyses in a row: 120 × p¹³ ≪ 1 %
    [f] = [f for f in nat.detect_constant_value(water_point(nh3n), CFG) if f.factor == NH3N]
    assert f.code == "DET-CONST-4H" and f.evidence["hours"] >= 14


def test_a_stuck_high_reading_is_found_whatever_the_repeat_rate():
    n = 5 * 1440
    cod = analyser(30.0 + np.random.default_rng(2).normal(0, 0.9, n), 1, 60)  # 3 % analytical noise
    cod[2 * 1440:2 * 1440 + 300] = 30.0  # 30.0 mg/L is 300 steps of 0.1: no quantisation explains it
    nh3n = analyser(np.full(n, 0.2), 2, 60)
    found = [f for f in nat.detect_constant_value(water_point(nh3n, cod), CFG) if f.factor == COD]
    assert [f.code for f in found] == ["DET-CONST-4H"]


def test_a_gas_analyser_read_every_minute_stuck_for_4_hours_is_found():
    n = 2 * 1440
    rng = np.random.default_rng(4)
    dust = np.round(np.maximum(2.0 + rng.normal(0, 0.15, n), 0), 1)  # 0.1 mg/m³ resolution, repeats often
    dust[1440:1440 + 250] = 1.9
    o2 = np.round(7.0 + rng.normal(0, 0.2, n), 2)
    flow = np.round(80 + rng.normal(0, 2, n), 2)
    data = point({DUST: minute_series(DUST, dust), O2: minute_series(O2, o2), FLOW: minute_series(FLOW, flow)},
                 "gas")
    found = [f for f in nat.detect_constant_value(data, CFG) if f.factor == DUST]
    assert [f.code for f in found] == ["DET-CONST-4H"]


# ---------------------------------------------------------------------------------------------- 3 day-shift flow

def day_shift(days: int = 5, seed: int = 6) -> dict[str, np.ndarray]:
    """Hourly flow of a day-shift plant: 100 L/s from 08:00 to 20:00 local (00:00–12:00 UTC), 25 L/s of
    steady base discharge at night, pumped (0.3 % noise); COD varying with production."""
    rng = np.random.default_rng(seed)
    hour_utc = np.arange(days * 24) % 24
    day = hour_utc < 12
    flow = np.where(day, 100.0, 25.0) * (1 + 0.003 * rng.standard_normal(days * 24))
    cod = np.where(day, 30.0, 20.0) * (1 + 0.08 * rng.standard_normal(days * 24))
    return {WFLOW: flow, COD: cod}


def hourly_point(ch: dict[str, np.ndarray], medium: str = "water", marks=()) -> PointData:
    times = to_datetime64(T0) + np.arange(len(next(iter(ch.values())))) * np.timedelta64(3600, "s")
    return PointData(point="P1", medium=medium, hours={f: Series(f, times, v) for f, v in ch.items()},
                     marks=list(marks))


def test_the_steady_day_and_night_flow_of_a_day_shift_plant_is_no_step_then_flat():
    data = hourly_point(day_shift())
    old = DetectorSettings.from_mapping({"patterns": {"step_regime_min_share": 2.0}})  # regime check off
    assert "DET-STEP-FLAT" in codes(pat.detect_step_flat(data, old))
    assert codes(pat.detect_step_flat(data, CFG)) == []


def test_a_flow_that_steps_to_a_level_the_plant_never_holds_is_still_found():
    ch = day_shift()
    ch[WFLOW][2 * 24 + 12:2 * 24 + 24] = 60.0 * (1 + 0.001 * np.random.default_rng(1).standard_normal(12))
    [f] = pat.detect_step_flat(hourly_point(ch), CFG)
    assert f.code == "DET-STEP-FLAT" and f.factor == WFLOW and f.start == at((2 * 24 + 12) * 60)


def test_flat_flow_inside_a_stop_mark_is_not_judged():
    ch = day_shift()
    ch[WFLOW][2 * 24 + 12:2 * 24 + 24] = 60.0 * (1 + 0.001 * np.random.default_rng(1).standard_normal(12))
    marks = [Mark("stopped", at((2 * 24 + 12) * 60 - 20), at((2 * 24 + 24) * 60 + 10))]
    assert codes(pat.detect_step_flat(hourly_point(ch, marks=marks), CFG)) == []


# ---------------------------------------------------------------------------------------------- 4a narrow band

def gas_plant(days: int = 4, seed: int = 1, base_load: bool = False) -> dict[str, np.ndarray]:
    """Hourly flue gas of a load-following (or base-load) unit: velocity, flow, O2, temperature follow the
    load; NOx follows the load and a slow controller wander (AR(1)) with analyser noise."""
    rng = np.random.default_rng(seed)
    n = days * 24
    hour = np.arange(n) % 24
    load = np.full(n, 0.93) if base_load else 0.75 + 0.2 * np.sin((hour - 6) / 24 * 2 * np.pi)
    load = load + 0.02 * rng.standard_normal(n)
    wander = np.zeros(n)
    for i in range(1, n):
        wander[i] = 0.8 * wander[i - 1] + 0.6 * 0.03 * rng.standard_normal()
    vel = 14 * (0.15 + 0.85 * load)
    nox = 30 * (0.85 + 0.15 * load / load.mean()) * np.exp(wander) * (1 + 0.005 * rng.standard_normal(n))
    return {VEL: np.round(vel, 2), FLOW: np.round(vel * 6, 2), O2: np.round(4 + 6 * (1 - load), 2),
            TEMP: np.round(50 + 7 * load, 1), NOX: np.round(nox, 1)}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("base_load", [False, True])
def test_an_honest_plant_has_no_narrow_spread(seed, base_load):
    assert codes(pat.detect_narrow_spread(hourly_point(gas_plant(seed=seed, base_load=base_load), "gas"), CFG)) == []


def test_a_pollutant_held_in_a_narrow_band_for_twelve_hours_is_found():
    ch = gas_plant(seed=2)
    a = 2 * 24 + 3
    ch[NOX][a:a + 12] = np.round(31.0 + np.random.default_rng(0).uniform(-0.1, 0.1, 12), 1)  # ±0.05 % of range
    [f] = pat.detect_narrow_spread(hourly_point(ch, "gas"), CFG)
    assert f.code == "DET-NARROW-SPREAD" and f.factor == NOX and f.kind == "falsification"
    assert at(a * 60) <= f.start and f.end <= at((a + 12) * 60)
    assert f.evidence["ratio"] < 0.2 and set(f.evidence["load_channels"]) >= {FLOW, O2}


def capped_day_with_a_warm_flue(seed: int) -> dict[str, np.ndarray]:
    """A base-load unit (load 0.93 ± 0.02) whose NOx was raised ×1.6 for a day (capped peaks elsewhere at the
    point) on a day when its flue gas happened to be 0.5 °C warmer: a level fit learns that NOx follows the
    temperature (about 36 mg/m³ per °C) and then reads the temperature's honest 0.1 °C flicker as 3–5 mg/m³
    of NOx movement that the steady NOx never makes."""
    ch = gas_plant(days=5, seed=seed, base_load=True)
    a = 2 * 24
    ch[NOX][a:a + 24] = np.round(ch[NOX][a:a + 24] * 1.6, 1)
    ch[TEMP][a:a + 24] += 0.5
    return ch


@pytest.mark.parametrize("seed", [1, 2, 3, 6])
def test_a_steady_plant_is_not_judged_against_more_movement_than_its_pollutant_ever_makes(seed):
    data = hourly_point(capped_day_with_a_warm_flue(seed), "gas")
    # the model alone (load + calm residual history, without the cap at the typical window) accuses
    # 25–51 of the 96 honest hours on these seeds
    assert codes(pat.detect_narrow_spread(data, CFG)) == []


def test_the_cap_is_the_pollutants_own_typical_window_and_a_band_on_a_steady_plant_is_still_found():
    ch = gas_plant(days=5, seed=4, base_load=True)
    a = 2 * 24 + 30
    ch[NOX][a:a + 12] = np.round(31.0 + np.random.default_rng(0).uniform(-0.1, 0.1, 12), 1)
    [f] = pat.detect_narrow_spread(hourly_point(ch, "gas"), CFG)
    assert at(a * 60) <= f.start and f.end <= at((a + 12) * 60)
    x = ch[NOX]
    dx2 = np.diff(x) ** 2
    windows = np.lib.stride_tricks.sliding_window_view(dx2, 7).mean(axis=1)
    assert f.evidence["typical_rms_change"] == pytest.approx(np.sqrt(np.median(windows)))
    expected = min(f.evidence["history_rms_change"] ** 2 + f.evidence["load_rms_change"] ** 2,
                   f.evidence["typical_rms_change"] ** 2)
    assert f.evidence["ratio"] <= 0.2 and f.evidence["ratio"] == pytest.approx(
        f.evidence["rms_change"] / np.sqrt(expected), rel=0.05)


# ---------------------------------------------------------------------------------------------- 4b narrow band, a week

NO_LOAD_EVIDENCE = DetectorSettings.from_mapping({"patterns": {"narrow_load_swing_min": 0.0,
                                                                "narrow_load_p_min": 0.0}})


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """A slow AR(1) wander of unit standard deviation."""
    x = np.zeros(n)
    e = rng.standard_normal(n) * np.sqrt(1 - phi ** 2)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def base_load_unit(days: int = 8, seed: int = 1) -> dict[str, np.ndarray]:
    """Hourly flue gas of a base-load unit as the honest set makes it (simulate/honest.py): load 0.93 ± 0.006,
    velocity and flow with it (the velocity CMS wanders 1.5 %), O2 = 4 + 6·(1 − load) with a 0.2 % slow wander
    of the excess air, NOx held by the SCR at a 折算 set-point of 38 mg/m³ with a 1.2 % controller wander, and
    measured NOx = 折算 · (21 − O2) / 15 (HJ 212-2017 Appendix D eq. (28) inverted, 6 % reference O2)."""
    rng = np.random.default_rng(seed)
    n = days * 24
    load = 0.93 + 0.006 * ar1(rng, n, 0.9)
    vel = 14 * (0.15 + 0.85 * load) * (1 + 0.015 * ar1(rng, n, 0.5))
    o2 = 4 + 6 * (1 - load) + 0.2 * ar1(rng, n, 0.8)
    nox = 38 * np.exp(0.012 * ar1(rng, n, 0.8)) * (21 - o2) / 15
    return {VEL: np.round(vel, 2), FLOW: np.round(vel * 6, 2), O2: np.round(o2, 2),
            TEMP: np.round(50 + 7 * load + 0.05 * rng.standard_normal(n), 1), NOX: np.round(nox, 1)}


def nox_point(ch: dict[str, np.ndarray]) -> PointData:
    data = hourly_point(ch, "gas")
    data.ranges = {NOX: (0.0, 200.0)}
    return data


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_base_load_units_nox_narrow_for_a_week_is_no_finding(seed):
    """Eight days of a base-load unit's NOx stay within 2 % of the 0–200 mg/m³ range and 10 % of their level:
    the checklist's narrow band. Its firing is steady (velocity P90 − P10 about 4 % of its median) and what
    NOx moves still follows the O2 dilution: no sign (issue 13: every base-load unit's NOx on 8-day honest
    sets)."""
    data = nox_point(base_load_unit(seed=seed))
    [old] = [f for f in pat.detect_narrow_band(data, NO_LOAD_EVIDENCE) if f.code == "DET-NARROW-BAND"]
    assert old.evidence["max_window_spread"] <= 4.0 and old.evidence["hours"] == 192
    assert old.evidence["load_swing"] < 0.1 and old.evidence["load_p"] < 0.01  # steady, and following O2
    assert codes(pat.detect_narrow_band(data, CFG)) == []


def test_a_narrow_band_written_while_the_load_moves_is_found():
    """A load-following unit (velocity swinging about 40 % of its median between night and day) whose NOx is
    written as 30 ± 1.2 mg/m³ (1.2 % of range) for its eight days: narrow, and nothing of it follows the load."""
    ch = gas_plant(days=8, seed=5)
    ch[NOX] = np.round(30.0 + np.random.default_rng(5).uniform(-1.2, 1.2, len(ch[NOX])), 1)
    [f] = pat.detect_narrow_band(nox_point(ch), CFG)
    assert f.code == "DET-NARROW-BAND" and f.kind == "falsification" and f.factor == NOX
    ev = f.evidence
    assert ev["load_swing"] >= 0.2 and ev["load_swing_factor"] == FLOW and ev["load_p"] >= 0.01
    assert set(ev["load_channels"]) == {FLOW, VEL, O2, TEMP}
    assert "while the plant's load moved (a00000 swung by" in f.explanation
    assert "did not follow it (" in f.explanation
    # the same values on the base-load unit: a steady load explains a narrow band, and written values cannot be
    # told from its honest ones by the load (the national 恒值 rule still judges it over a half-month)
    steady = base_load_unit(seed=5)
    steady[NOX] = ch[NOX]
    assert codes(pat.detect_narrow_band(nox_point(steady), CFG)) == []
    # without flow or velocity nothing says the load was steady: the checklist's band alone is the finding
    bare = nox_point({NOX: ch[NOX]})
    [f] = pat.detect_narrow_band(bare, CFG)
    assert f.evidence["load_swing"] is None and "reports no flow or velocity" in f.explanation


# ---------------------------------------------------------------------------------------------- 4c close to the limit

#: The histogram tests alone (the process test off): what the rule judged before issue 13's near-limit round.
HISTOGRAM_ONLY = DetectorSettings.from_mapping({"patterns": {"hug_excess_z_min": -1e9}})
SO2_LIMIT = 35.0  # ultra-low emission hourly limit, mg/m³ (reference notes §4.3)


def near_limit_unit(days: int = 8, seed: int = 1) -> dict[str, np.ndarray]:
    """Hourly flue gas of a unit that honestly runs close to its SO2 limit, as the honest set makes it
    (simulate/honest.py ``near_limit``): a daily load cycle (0.6–0.9) with velocity, flow, O2 and temperature
    following it; SO2 at 0.85 of the 35 mg/m³ limit on average, 30 % of it in proportion to the load (fuel
    burnt), times a slow wander of the desulfurisation (AR(1), 7 %, hour-to-hour correlation 0.85)."""
    rng = np.random.default_rng(seed)
    n = days * 24
    load = 0.75 + 0.15 * np.sin((np.arange(n) % 24 - 6) / 24 * 2 * np.pi) + 0.02 * rng.standard_normal(n)
    vel = 14 * (0.15 + 0.85 * load)
    so2 = 0.85 * SO2_LIMIT * (0.7 + 0.3 * load / load.mean()) * np.exp(0.07 * ar1(rng, n, 0.85))
    return {VEL: np.round(vel, 2), FLOW: np.round(vel * 6, 2), O2: np.round(4 + 6 * (1 - load), 2),
            TEMP: np.round(50 + 7 * load, 1), SO2: np.round(so2, 2)}


def so2_point(ch: dict[str, np.ndarray]) -> PointData:
    data = hourly_point(ch, "gas")
    data.limits = {SO2: SO2_LIMIT}
    return data


@pytest.mark.parametrize("seed", [2, 3, 4, 5])
def test_a_unit_running_close_to_its_limit_with_its_load_is_no_limit_hugging(seed):
    """Eight days of SO2 at 0.85 of its limit: a sixth to a third of the hours in [0.9 L, L) and few above it, which
    the histogram tests call a pile-up; the load and the unit's own scatter put as many there (issue 13: three
    such units on seed 151)."""
    data = so2_point(near_limit_unit(seed=seed))
    [old] = pat.detect_limit_hugging(data, HISTOGRAM_ONLY)
    assert old.evidence["share_in_band"] >= 0.1
    assert abs(old.evidence["process"]["z_band"]) < 2 and old.evidence["process"]["z_above"] < 2
    assert set(old.evidence["process"]["load_channels"]) == {FLOW, VEL, O2, TEMP}
    assert codes(pat.detect_limit_hugging(data, CFG)) == []


def capped(so2: np.ndarray, a: int, hours: int, rise: float) -> np.ndarray:
    """SO2 whose true level rises ``rise`` times for ``hours`` from hour ``a`` while the logger reports every value
    over 0.97 L as 0.97 L less a few thousandths (simulate/honest.py ``capped_peaks``)."""
    out = so2.copy()
    true = so2[a:a + hours] * rise
    cap = 0.97 * SO2_LIMIT
    jitter = 1 - 0.004 * np.abs(np.random.default_rng(0).standard_normal(hours))
    out[a:a + hours] = np.round(np.where(true > cap, cap * jitter, true), 2)
    return out


def test_a_logger_capping_a_day_of_peaks_just_under_the_limit_is_limit_hugging():
    """A load-following unit whose SO2 usually runs at half its limit; for a day its desulfurisation fails (×2.1,
    over the limit) and the logger caps the values at 0.97 L: the band holds a day that neither the load nor
    the unit's scatter puts there."""
    ch = near_limit_unit(seed=1)
    ch[SO2] = capped(np.round(ch[SO2] * 0.6, 2), 4 * 24, 24, 2.1)
    [f] = pat.detect_limit_hugging(so2_point(ch), CFG)
    assert f.code == "DET-LIMIT-HUG" and f.kind == "falsification" and f.factor == SO2
    ev = f.evidence
    assert ev["process"]["z_band"] >= CFG.patterns.hug_excess_z_min
    assert ev["in_band"] >= 20 and ev["process"]["expected_in_band"] < 1
    assert "where its load (" in f.explanation and "and its own scatter (±" in f.explanation
    # without load channels the unit's own scatter is the yardstick, and the day is still a pile-up
    [bare] = pat.detect_limit_hugging(so2_point({SO2: ch[SO2]}), CFG)
    assert bare.evidence["process"]["load_channels"] == []
    assert "where its own scatter (±" in bare.explanation and "; no load channel to compare with) would put" \
        in bare.explanation


def test_a_cap_on_a_unit_already_close_to_its_limit_is_left_to_the_still_hours_at_the_ceiling():
    """The same cap on the unit at 0.85 L (×1.3 for a day): the capped hours lie within the unit's own scatter
    of its level, so the histogram is no evidence; the hours held still at the ceiling are (DET-LIMIT-CAP)."""
    from ecosentry.subsystems.monitoring.detect.signs import detect_limit_cap

    ch = near_limit_unit(seed=1)
    ch[SO2] = capped(ch[SO2], 4 * 24, 24, 1.3)
    assert codes(pat.detect_limit_hugging(so2_point(ch), CFG)) == []
    [f] = detect_limit_cap(so2_point(ch), CFG)
    assert f.code == "DET-LIMIT-CAP" and at(4 * 24 * 60) <= f.start < at(5 * 24 * 60)
