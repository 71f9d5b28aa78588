"""The view's pure part (``power/timeline.py``): which thresholds a unit is judged with, its state bands, its
state now and its load share, on constructed minute series."""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.power.rules.state import NO_DATA, OFF, ON
from ecosentry.subsystems.power.settings import ThresholdSettings
from ecosentry.subsystems.power.timeline import mean_load_share, state_bands, state_now, view_thresholds

SETTINGS = ThresholdSettings()


def _day() -> np.ndarray:
    """Off (2 kW) until minute 60, on (100 kW) to 180, a 10-minute gap, on again to 240, then off."""
    v = np.full(300, 2.0)
    v[60:240] = 100.0
    v[180:190] = np.nan
    return v


def test_the_version_in_force_wins_then_learning_then_rated_power():
    th, source = view_thresholds({"on_kw": 30, "off_kw": 10, "dwell": 2, "source": "set"}, 100.0, _day(), SETTINGS)
    assert (th.on, th.off, th.dwell, source) == (30.0, 10.0, 2, "set")
    th, source = view_thresholds(None, 100.0, _day(), SETTINGS)
    assert source == "learned-today" and 2.0 < th.off <= th.on < 100.0
    th, source = view_thresholds(None, 100.0, np.full(300, 50.0), SETTINGS)  # only on: nothing to learn from
    assert source == "rated" and th.on == pytest.approx(15.0)
    assert view_thresholds(None, None, np.full(5, np.nan), SETTINGS) == (None, "none")


def test_bands_keep_gaps_as_no_data_and_absorb_chatter_shorter_than_the_dwell():
    v = _day()
    v[100:102] = 0.0  # a 2-minute dip: shorter than this version's stop dwell of 3, still running
    th, _ = view_thresholds({"on_kw": 30, "off_kw": 10, "dwell": 3, "dwell_off": 3, "source": "set"}, None, v,
                            SETTINGS)
    assert state_bands(v, th) == [(0, 60, OFF), (60, 180, ON), (180, 190, NO_DATA), (190, 240, ON), (240, 300, OFF)]
    assert state_bands(np.array([1.0, np.nan, 2.0]), None) == [(0, 1, -2), (1, 2, NO_DATA), (2, 3, -2)]


def test_the_state_now_is_no_data_once_the_meter_is_silent():
    th, _ = view_thresholds({"on_kw": 30, "off_kw": 10, "dwell": 3, "source": "set"}, None, _day(), SETTINGS)
    on = np.full(30, 80.0)
    assert state_now(on, th) == ON
    silent = on.copy()
    silent[-11:] = np.nan
    assert state_now(silent, th) == NO_DATA and state_now(on, None) == -2
    assert state_now(np.full(30, np.nan), th) == NO_DATA


def test_load_share_of_the_running_minutes():
    th, _ = view_thresholds({"on_kw": 30, "off_kw": 10, "dwell": 3, "source": "set"}, None, _day(), SETTINGS)
    assert mean_load_share(_day(), th, 80.0) == pytest.approx(1.25)
    assert mean_load_share(_day(), th, None) is None and mean_load_share(np.full(9, 1.0), th, 80.0) is None


def test_a_threshold_changed_during_the_day_judges_its_own_minutes():
    from ecosentry.subsystems.power.rules.state import Thresholds
    v = np.full(120, 60.0)
    low, high = Thresholds(30, 10, 3), Thresholds(100, 50, 3)
    assert state_bands(v, [(0, low), (60, high)]) == [(0, 60, ON), (60, 120, OFF)]
    assert state_now(v, [(0, low), (60, high)]) == OFF and state_now(v, [(0, high), (60, low)]) == ON
    assert mean_load_share(v, [(0, low), (60, high)], 60.0) == pytest.approx(1.0)
