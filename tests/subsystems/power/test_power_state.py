"""Running state (hysteresis, dwell, gaps) and the learned threshold on hand-made minute series
(shared/reference/subsystems.md §1.4 state detection, §7 item 2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.power.rules.learned import learn_threshold, otsu_cut
from ecosentry.subsystems.power.rules.state import (
    NO_DATA, OFF, ON, MinuteSeries, Thresholds, load_share, running_state, state_codes)

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 5, 0, 0, tzinfo=CST)
TH = Thresholds(on=40.0, off=10.0, dwell=3)


def at(h: int, m: int = 0) -> datetime:
    return T0 + timedelta(hours=h, minutes=m)


def series(values) -> MinuteSeries:
    return MinuteSeries(T0, np.asarray(values, dtype=float))


def summary(values, th=TH):
    return [(i.name, i.start.strftime("%H:%M"), i.end.strftime("%H:%M"), i.confirmed_at.strftime("%H:%M"), i.open)
            for i in running_state(series(values), th)]


def test_start_up_and_shutdown_give_three_intervals_with_duration_and_confirmation():
    # off 00:00-00:09, ramp to 100 kW from 00:10, running to 00:59, off from 01:00 to 01:29
    v = [0.1] * 10 + [30, 60, 90] + [100] * 47 + [0.2] * 30
    got = running_state(series(v), TH)
    assert [(i.name, i.start, i.end) for i in got] == [
        ("off", at(0, 0), at(0, 11)), ("on", at(0, 11), at(1, 0)), ("off", at(1, 0), at(1, 30))]
    on = got[1]
    # 30 kW at 00:10 is below the on threshold: the run starts at 00:11 (60 kW), confirmed by its third sample
    assert on.duration == timedelta(minutes=49)
    assert on.confirmed_at == at(0, 13)
    # a stop needs 2 samples (dwell_off): confirmed at 01:01
    assert got[2].confirmed_at == at(1, 1) and got[2].open and not on.open


def test_chatter_around_the_threshold_is_absorbed_by_hysteresis_and_dwell():
    # running at 100 kW; a dip to 25 kW (between off and on) keeps the state; one minute at 5 kW is shorter
    # than the stop dwell; a single spike to 60 kW while stopped is absorbed too
    v = [100] * 20 + [25, 25, 100, 5, 100] + [100] * 15 + [0] * 20 + [60] + [0] * 20
    got = summary(v)
    assert got == [("on", "00:00", "00:40", "00:02", False), ("off", "00:40", "01:21", "00:41", True)]
    codes, _ = state_codes(np.asarray(v, float), TH)
    assert (codes[:40] == ON).all() and (codes[40:] == OFF).all()


def test_without_hysteresis_the_same_chatter_would_flap():
    v = [100] * 20 + [25, 25, 100, 5, 100] + [100] * 15
    # on = off = 40 and dwell 1: every crossing is a change of state (on, off, on, off, on)
    assert len(summary(v, Thresholds(40, 40, 1, 1))) == 5
    assert len(summary(v, TH)) == 1


def test_a_gap_is_no_data_and_the_state_after_it_is_known_at_its_first_sample():
    v = [100] * 10 + [np.nan] * 5 + [100, 100] + [0] * 5
    got = summary(v)
    assert got == [("on", "00:00", "00:10", "00:02", False), ("no data", "00:10", "00:15", "00:10", False),
                   ("on", "00:15", "00:17", "00:15", False), ("off", "00:17", "00:22", "00:18", True)]
    codes, _ = state_codes(np.asarray(v, float), TH)
    assert (codes[10:15] == NO_DATA).all()


def test_the_dwell_is_asymmetric_three_samples_to_start_two_to_stop():
    # §7 item 2: on ≥ 3 consecutive minutes; a stop counts after 2 (so §7 item 3's ≤ 2 min can hold)
    test_run = [0] * 10 + [100, 100] + [0] * 10          # a two-minute test run: not a start
    assert summary(test_run) == [("off", "00:00", "00:22", "00:01", True)]
    start = [0] * 10 + [100] * 3 + [0] * 10              # three minutes: a start, confirmed at its third
    assert summary(start) == [("off", "00:00", "00:10", "00:01", False), ("on", "00:10", "00:13", "00:12", False),
                              ("off", "00:13", "00:23", "00:14", True)]
    dip = [100] * 10 + [0] + [100] * 10                  # a one-minute dip: still running
    assert summary(dip) == [("on", "00:00", "00:21", "00:02", True)]
    stop = [100] * 10 + [0, 0] + [100] * 10              # two minutes off: a stop, confirmed at its second
    assert [(n, s, e, c) for n, s, e, c, _ in summary(stop)] == [
        ("on", "00:00", "00:10", "00:02"), ("off", "00:10", "00:12", "00:11"), ("on", "00:12", "00:22", "00:14")]


def test_chatter_of_one_minute_stops_and_two_minute_starts_never_flaps():
    # a machine idling at its threshold: 2 on, 1 off, 2 on, 1 off ... never confirms a change either way
    v = np.tile([100, 100, 0], 40)
    assert summary(v[2:]) == [("off", "00:00", "01:58", "00:00", True)]  # starts stopped: no start confirmed
    running = np.r_[[100] * 5, v]
    assert [x[0] for x in summary(running)] == ["on"]                     # running: no stop confirmed
    codes, conf = state_codes(running.astype(float), TH)
    assert (codes == ON).all() and (conf == 2).all()


def test_a_symmetric_dwell_is_still_available():
    v = [100] * 10 + [0, 0] + [100] * 10
    assert [x[0] for x in summary(v, Thresholds(40, 10, 3, None))] == ["on"]
    assert Thresholds(40, 10, 3, None).stop_dwell == 3 and Thresholds(40, 10, 3, 2).stop_dwell == 2
    with pytest.raises(ValueError):
        Thresholds(40, 10, 3, 0)


def test_thresholds_are_checked():
    with pytest.raises(ValueError):
        Thresholds(10, 20)
    with pytest.raises(ValueError):
        Thresholds(10, 5, 0)


def test_load_share_of_normal_load():
    assert load_share(np.array([0, 40, 80, np.nan]), 80).tolist()[:3] == [0, 0.5, 1.0]
    with pytest.raises(ValueError):
        load_share(np.array([1.0]), 0)


# ------------------------------------------------------------------ learned threshold

def plant(seed: int, on_share: float, n: int = 7 * 1440) -> np.ndarray:
    """A real-shaped load: standby (gamma around 0.1 kW), start-up ramps, running load around 180 kW with a daily
    rhythm and noise."""
    rng = np.random.default_rng(seed)
    on = np.zeros(n, bool)
    i = 0
    while i < n:
        run = int(rng.integers(120, 600))
        if rng.random() < on_share:
            on[i:i + run] = True
        i += run
    p = 180 * (1 + 0.08 * np.sin(np.arange(n) * 2 * np.pi / 1440)) * (1 + rng.normal(0, 0.04, n))
    starts = np.flatnonzero(np.diff(on.astype(int)) == 1) + 1
    for s in starts:
        p[s:s + 5] *= np.linspace(0.2, 1, len(p[s:s + 5]))
    return np.where(on, p, rng.gamma(2, 0.05, n))


def test_learned_threshold_splits_off_and_on_of_a_real_shaped_load():
    v = plant(1, 0.6)
    got = learn_threshold(v, rated_kw=250)
    assert got.method == "otsu"
    th = got.thresholds
    # between the populations: well above standby, well below the running load, with a hysteresis band
    assert 0.5 < th.off < th.on < 60
    assert 150 < got.on_level < 200 and got.off_level < 0.3
    # and it gives the true states back
    truth = v > 20
    codes, _ = state_codes(v, th)
    assert np.mean((codes == ON) == truth) > 0.995
    assert "separation" in got.reason


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_learned_threshold_refuses_a_meter_that_was_only_off_or_only_on(share):
    v = plant(2, share)
    got = learn_threshold(v, rated_kw=250)
    assert got.method == "rated" and "only on or only off" in got.reason
    assert got.thresholds.on == pytest.approx(0.15 * 250) and got.thresholds.off == pytest.approx(0.075 * 250)
    assert learn_threshold(v, rated_kw=None).thresholds is None


def test_otsu_cut_lies_in_the_gap_between_two_classes():
    x = np.r_[np.full(100, 0.0), np.full(100, 10.0)]
    assert 3 < otsu_cut(x) < 7


def test_too_few_readings_fall_back():
    assert learn_threshold(np.array([0.0, 100.0] * 5), rated_kw=100).method == "rated"
