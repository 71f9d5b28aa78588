"""Linkage and data rules on hand-made minute timelines with known intervals (shared/reference/subsystems.md
§1.4 linkage rules 1–3 and 5, §7 items 3–5 and 7): must fire, must not, and when each would have been raised."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.power.rules.linkage import (
    LinkageSettings, ct_ratio_change, low_load, meter_offline, meter_state, treatment_off, zero_all_phases)
from ecosentry.subsystems.power.rules.state import MinuteSeries, Thresholds

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=CST)
N = 8 * 60
ST = LinkageSettings()
TH_P = Thresholds(40, 10, 3)   # production: 100 kW running
TH_T = Thresholds(3, 1.5, 3)   # treatment fan: 30 kW running


def at(h: int, m: int = 0) -> datetime:
    return T0 + timedelta(hours=h, minutes=m)


def idx(h: int, m: int = 0) -> int:
    return h * 60 + m


def timeline(level: float, *spans: tuple[int, int, float], off: float = 0.1) -> np.ndarray:
    """``level`` everywhere, then each (from, to, value) span overwritten."""
    v = np.full(N, float(level))
    for a, b, x in spans:
        v[a:b] = off if x is None else x
    return v


def state(name, values, th, normal):
    return meter_state(name, MinuteSeries(T0, np.asarray(values, float)), th, normal)


def run(prod, treat, grace=5):
    return treatment_off("E1", [state("kiln", prod, TH_P, 100)], state("fan", treat, TH_T, 30),
                         grace_minutes=grace, settings=ST)


def test_treatment_fan_stopped_0200_to_0500_while_production_runs():
    prod = timeline(100)
    treat = timeline(30, (idx(2), idx(5), 0.1))
    [f] = run(prod, treat)
    assert f.code == "PWR-TREAT-OFF" and f.severity == "critical"
    assert (f.start, f.end, f.duration) == (at(2), at(5), timedelta(hours=3))
    # the second minute off confirms it: raised at 02:01, 1 minute after the violating minute (§7 item 3)
    assert f.detected_at == at(2, 1) and f.delay == timedelta(minutes=1)
    assert f.equipment == ("kiln", "fan") and not f.open
    assert f.explanation == "Treatment fan was off for 180 minutes from 2026-01-05 02:00 while kiln ran."
    assert f.evidence["treatment_off"] == [at(2).isoformat(), at(5).isoformat()]
    assert f.evidence["production_kw"] == pytest.approx(100) and f.evidence["treatment_kw"] == pytest.approx(0.1)


def test_a_stop_still_going_at_the_end_of_the_data_is_open():
    [f] = run(timeline(100), timeline(30, (idx(7), N, 0.1)))
    assert f.open and f.end == at(8)


def test_a_one_minute_dip_of_the_treatment_is_not_a_finding():
    assert run(timeline(100), timeline(30, (idx(3), idx(3, 1), 0.1))) == []


def test_a_two_minute_stop_of_the_treatment_is_raised_at_its_second_minute():
    # the stop dwell is 2 samples (§7 item 3: an alarm within 2 min of the condition starting)
    [f] = run(timeline(100), timeline(30, (idx(3), idx(3, 2), 0.1)))
    assert f.code == "PWR-TREAT-OFF" and (f.start, f.end, f.detected_at) == (at(3), at(3, 2), at(3, 1))


@pytest.mark.parametrize("treat_start, expected", [
    ((5, 55), None),        # treatment first: the rule ("先开后停")
    ((6, 0), None),         # together
    ((6, 3), None),         # 3 minutes late: within the 5-minute grace (a start-up sequence)
    ((6, 5), None),         # exactly the grace
    ((6, 20), "late"),      # 20 minutes late
])
def test_start_order_within_and_outside_the_grace_window(treat_start, expected):
    prod = timeline(100, (0, idx(6), 0.1))
    treat = timeline(30, (0, idx(*treat_start), 0.1))
    got = run(prod, treat)
    if expected is None:
        assert got == []
        return
    [f] = got
    assert f.code == "PWR-START-ORDER" and f.severity == "warning"
    assert (f.start, f.end) == (at(6), at(6, 20))
    # the first minute beyond the grace is 06:05; known then (production confirmed running at 06:02)
    assert f.detected_at == at(6, 5)
    assert f.explanation == ("kiln started at 2026-01-05 06:00 but its treatment fan only started 20 minutes later "
                             "(grace 5 min).")


def test_a_linkage_may_have_its_own_grace():
    prod = timeline(100, (0, idx(6), 0.1))
    treat = timeline(30, (0, idx(6, 20), 0.1))
    assert run(prod, treat, grace=30) == []


def test_treatment_never_started_during_production():
    prod = timeline(100, (0, idx(6), 0.1), (idx(7), N, 0.1))
    treat = timeline(0.1)
    [f] = run(prod, treat)
    assert f.code == "PWR-START-ORDER" and f.duration == timedelta(hours=1)
    assert "did not run during the 60 minutes" in f.explanation


def test_treatment_stopped_30_minutes_before_production():
    prod = timeline(100, (idx(6), N, 0.1))
    treat = timeline(30, (idx(5, 30), N, 0.1))
    got = {f.code: f for f in run(prod, treat)}
    assert set(got) == {"PWR-TREAT-OFF", "PWR-STOP-ORDER"}
    off, order = got["PWR-TREAT-OFF"], got["PWR-STOP-ORDER"]
    assert (off.start, off.end, off.detected_at) == (at(5, 30), at(6), at(5, 31))
    # the order of the shutdown is known when production's stop is confirmed (its second minute, 06:01)
    assert (order.start, order.end, order.detected_at) == (at(5, 30), at(6), at(6, 1))
    assert order.explanation == ("Treatment fan stopped at 2026-01-05 05:30, 30 minutes before kiln stopped "
                                 "(grace 5 min).")


def test_treatment_stopped_after_production_is_the_rule():
    prod = timeline(100, (idx(6), N, 0.1))
    treat = timeline(30, (idx(6, 10), N, 0.1))
    assert run(prod, treat) == []


def test_production_of_two_units_runs_when_either_runs():
    kiln = timeline(100, (idx(4), N, 0.1))
    mill = timeline(100, (0, idx(3), 0.1))
    treat = timeline(30, (idx(4), idx(5), 0.1))
    got = treatment_off("E1", [state("kiln", kiln, TH_P, 100), state("mill", mill, TH_P, 100)],
                        state("fan", treat, TH_T, 30), grace_minutes=5, settings=ST)
    [f] = got
    assert f.code == "PWR-TREAT-OFF" and (f.start, f.end) == (at(4), at(5)) and f.equipment == ("kiln", "mill", "fan")


# ------------------------------------------------------------------ low load

def test_treatment_at_20_percent_while_production_at_full_load():
    prod = timeline(100)
    treat = timeline(30, (idx(3), idx(4), 6.0))
    [f] = low_load("E1", [state("kiln", prod, TH_P, 100)], state("fan", treat, TH_T, 30), settings=ST)
    assert f.code == "PWR-TREAT-LOW-LOAD"
    assert (f.start, f.end, f.detected_at) == (at(3), at(4), at(3, 4))
    assert f.evidence["treatment_share"] == pytest.approx(0.2) and f.evidence["production_share"] == pytest.approx(1)
    assert f.explanation == ("Treatment fan ran at 20 % of its normal load for 60 minutes from 2026-01-05 03:00 "
                             "while kiln ran at 100 %.")


def test_low_treatment_load_under_partial_production_is_not_a_finding():
    prod = timeline(100, (idx(3), idx(4), 60.0))
    treat = timeline(30, (idx(3), idx(4), 6.0))
    assert low_load("E1", [state("kiln", prod, TH_P, 100)], state("fan", treat, TH_T, 30), settings=ST) == []


# ------------------------------------------------------------------ data anomalies

def test_meter_offline_after_15_minutes_and_not_for_a_short_gap():
    v = timeline(30, (idx(1), idx(1, 10), np.nan), (idx(2), idx(2, 30), np.nan))
    [f] = meter_offline("E1", state("fan", v, TH_T, 30), settings=ST)
    assert f.code == "PWR-METER-OFFLINE" and (f.start, f.end) == (at(2), at(2, 30))
    assert f.detected_at == at(2, 14) and f.evidence["last_reading"] == "2026-01-05 01:59"


def test_zero_on_all_phases_while_the_total_meter_draws_the_missing_load():
    true_kiln = timeline(100)
    seen = timeline(100, (idx(1), idx(2), 0.0))
    phases = np.vstack([seen * 1.7] * 3)
    fan = timeline(30)
    total = true_kiln + fan + 10.0
    [f] = zero_all_phases("E1", state("kiln", seen, TH_P, 100), phases, total, fan, 10.0, TH_P.on, settings=ST)
    assert f.code == "PWR-ZERO-ALL-PHASES" and (f.start, f.end, f.detected_at) == (at(1), at(2), at(1, 4))
    assert f.evidence["unexplained_kw"] == pytest.approx(100)


def test_zero_while_really_stopped_is_not_a_finding():
    kiln = timeline(100, (idx(1), idx(2), 0.0))
    fan = timeline(30)
    total = kiln + fan + 10.0 + np.random.default_rng(0).normal(0, 0.5, N)
    phases = np.vstack([kiln * 1.7] * 3)
    assert zero_all_phases("E1", state("kiln", kiln, TH_P, 100), phases, total, fan, 10.0, TH_P.on,
                           settings=ST) == []


def test_ct_ratio_step_in_current_over_power():
    rng = np.random.default_rng(3)
    p = 100 * (1 + rng.normal(0, 0.02, N))
    amps = p * 1.7
    amps[idx(3):] *= 2.0
    [f] = ct_ratio_change("E1", state("kiln", p, TH_P, 100), current_a=amps, settings=ST)
    assert f.code == "PWR-CT-RATIO-CHANGE" and f.start == at(3) and f.open
    assert f.evidence["factor"] == pytest.approx(2.0, rel=0.03)
    assert f.detected_at == at(3, 14)  # a window of 15 running minutes after the step


def test_ct_ratio_energy_register_against_power_times_time():
    p = np.full(N, 120.0)
    energy = 5000 + np.cumsum(p) / 60
    energy[idx(3):] = energy[idx(3) - 1] + np.cumsum(p[idx(3):]) / 60 * 1.5
    [f] = ct_ratio_change("E1", state("kiln", p, TH_P, 120), energy_kwh=energy, settings=ST)
    assert f.start == at(3) and f.evidence["ratio"] == pytest.approx(1.5) and f.detected_at == at(3, 14)
    consistent = 5000 + np.cumsum(p) / 60
    assert ct_ratio_change("E1", state("kiln", p, TH_P, 120), energy_kwh=consistent, settings=ST) == []


def test_a_production_meter_going_silent_is_no_stop_and_its_return_no_start():
    # production runs throughout, its meter silent 03:00-04:00 (a PWR-METER-OFFLINE of its own); the treatment
    # stops at 02:30 and restarts at 04:30: one stop while production ran, no start/stop order
    prod = timeline(100, (idx(3), idx(4), np.nan))
    treat = timeline(30, (idx(2, 30), idx(4, 30), 0.1))
    got = run(prod, treat)
    assert [(f.code, f.start, f.end) for f in got] == [
        ("PWR-TREAT-OFF", at(2, 30), at(3)), ("PWR-TREAT-OFF", at(4), at(4, 30))]
