"""The tiered warning state machine: raised, escalated, de-escalated and cleared with dwell and hysteresis, the
attention level from the station's own background, the sentences in zh and vi."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.park.i18n import gettext_for
from ecosentry.subsystems.park.substances import SUBSTANCES
from ecosentry.subsystems.park.tiered import WarningSettings, evaluate, level_thresholds, rolling_background

H2S = SUBSTANCES["H2S"]  # level I 0.711 mg/m³ (AEGL-1 0.51 ppm), II 37.6, III 69.7
T0 = datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)
SMALL = WarningSettings(background_window=60, background_min_readings=10)


def times(n: int) -> list[datetime]:
    return [T0 + timedelta(minutes=i) for i in range(n)]


def series(*parts: tuple[float, int]) -> np.ndarray:
    return np.concatenate([np.full(n, v) for v, n in parts])


def test_thresholds_of_h2s():
    i, ii, iii = level_thresholds(H2S, SMALL)
    assert i == pytest.approx(0.51 * 34.08 / 24.45) and ii == pytest.approx(27 * 34.08 / 24.45)
    assert iii == pytest.approx(50 * 34.08 / 24.45)  # AEGL-3 50 ppm < IDLH 100 ppm


def test_raised_escalated_deescalated_cleared():
    v = series((0.004, 60), (1.0, 3), (50.0, 2), (1.0, 6), (0.004, 10))
    ev = evaluate("B01", "H2S", times(len(v)), v, H2S, SMALL)
    assert [(e.transition, e.previous, e.level) for e in ev] == [
        ("raised", 0, 2), ("escalated", 2, 3), ("de-escalated", 3, 2), ("cleared", 2, 0)]
    raised = ev[0]
    assert raised.time == T0 + timedelta(minutes=60) and raised.code == "PARK-LEVEL-I"
    assert raised.severity == "warning" and ev[1].severity == "critical" and ev[1].code == "PARK-LEVEL-II"
    assert ev[2].severity == "info" and ev[3].code == "PARK-LEVEL-I"
    # clearing waits for five readings below (1 − 0.2) × the level's threshold
    assert ev[3].time == T0 + timedelta(minutes=60 + 3 + 2 + 6 + 4)
    assert "09:00" in raised.explanation  # Asia/Shanghai local time, not UTC


def test_hysteresis_keeps_a_wavering_reading_from_flapping():
    level_i = level_thresholds(H2S, SMALL)[0]
    wave = np.tile([level_i * 1.02, level_i * 0.9], 20)  # dips below the threshold but not below 80 % of it
    v = np.concatenate([np.full(60, 0.004), wave])
    ev = evaluate("B01", "H2S", times(len(v)), v, H2S, SMALL)
    assert [e.transition for e in ev] == ["raised"]


def test_attention_from_the_stations_own_background_needs_its_dwell():
    v = series((0.05, 60), (0.15, 2), (0.05, 10), (0.15, 3), (0.05, 10))
    ev = evaluate("F01", "H2S", times(len(v)), v, H2S, SMALL)
    assert [(e.transition, e.level) for e in ev] == [("raised", 1), ("cleared", 0)]
    assert ev[0].time == T0 + timedelta(minutes=60 + 2 + 10 + 2) and ev[0].background == pytest.approx(0.05)
    assert ev[0].code == "PARK-ATTENTION" and ev[0].severity == "info"
    # the same readings without history: no background yet, so no attention level
    assert evaluate("F01", "H2S", times(9), np.full(9, 0.15), H2S, SMALL) == []


def test_missing_readings_change_nothing_and_the_background_is_robust():
    v = series((0.004, 60), (1.0, 1), (np.nan, 5), (0.004, 5))
    ev = evaluate("B01", "H2S", times(len(v)), v, H2S, SMALL)
    assert [e.transition for e in ev] == ["raised", "cleared"]
    bg = rolling_background(np.concatenate([np.full(50, 0.01), np.full(10, 5.0), [0.01]]), 60, 10)
    assert bg[-1] == pytest.approx(0.01)  # a spike in the window leaves the median alone
    assert np.isnan(rolling_background(np.ones(5), 60, 10)).all()


def test_phosgene_has_no_aegl1_so_level_i_is_its_occupational_limit():
    i, ii, iii = level_thresholds(SUBSTANCES["COCl2"], SMALL)
    assert i == pytest.approx(0.5) and ii == pytest.approx(0.30 * 98.92 / 24.45)
    only_aegl1 = WarningSettings(level_i=["AEGL1"])
    assert np.isnan(level_thresholds(SUBSTANCES["COCl2"], only_aegl1)[0])


@pytest.mark.parametrize("lang,words", [("zh", ("硫化氢", "Ⅰ级（黄色）", "09:00")), ("vi", ("hiđro sunfua", "cấp I", "09:00"))])
def test_said_in_chinese_and_vietnamese(lang, words):
    v = series((0.004, 60), (1.0, 3))
    [ev] = evaluate("B01", "H2S", times(len(v)), v, H2S, SMALL, station_name="东厂界1号")
    said = ev.say(gettext_for(lang))
    assert all(w in said for w in words) and "东厂界1号" in said, said


def test_the_background_in_chunks_is_the_background_at_once():
    v = np.random.default_rng(1).random(3000)
    v[100:200] = np.nan
    whole = rolling_background(v, 60, 10, chunk=10_000)
    assert np.allclose(rolling_background(v, 60, 10, chunk=7), whole, equal_nan=True)
    assert whole[150] == pytest.approx(np.nanmedian(v[90:150]))  # the window's valid readings only
