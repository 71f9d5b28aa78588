"""Utility-meter analytics (power.rules.utility) on constructed total-meter data: the night/day ratio with
declared schedules, own-history and industry-cohort 3σ."""

from datetime import date, timedelta

import numpy as np

from ecosentry.subsystems.power.rules.utility import (UtilityMeter, UtilitySettings, daily_energy, night_day_ratio,
                                                      night_hours, suspects)

DAYS = [date(2026, 1, 1) + timedelta(days=i) for i in range(37)]
ST = UtilitySettings()


def profile(day_kw: float, night_kw: float, n: int = len(DAYS), seed: int = 0, noise: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.where(night_hours(ST), night_kw, day_kw)
    return np.tile(base, (n, 1)) * (1 + noise * rng.standard_normal((n, 24)))


def test_night_hours_wrap_midnight():
    assert night_hours(ST).sum() == 8 and night_hours(ST)[23] and night_hours(ST)[0] and not night_hours(ST)[6]


def test_ratio_is_per_hour_not_per_total():
    # 8 night hours at the same power as 16 day hours: ratio 1, though the day total is twice the night's
    assert abs(night_day_ratio(profile(100, 100, noise=0), ST) - 1.0) < 1e-9
    assert night_day_ratio(np.full((3, 24), np.nan), ST) is None


def test_day_plant_secretly_running_at_night_is_listed_and_honest_plants_are_not():
    meters = [UtilityMeter("A-night-secret", "A", "", profile(40, 120, seed=1)),
              UtilityMeter("B-day", "B", "", profile(120, 20, seed=2)),
              UtilityMeter("C-continuous", "C", "", profile(100, 170, seed=3), schedule="continuous"),
              UtilityMeter("D-valley", "D", "", profile(10, 200, seed=4), schedule="night"),
              UtilityMeter("E-continuous-idle-by-day", "E", "", profile(20, 200, seed=5), schedule="three_shift")]
    got = {s.enterprise: s for s in suspects(meters, DAYS, ST)}
    assert set(got) == {"A-night-secret", "E-continuous-idle-by-day"}
    a = got["A-night-secret"].reasons[0]
    assert a.code == "PWR-UTIL-NIGHT-RATIO" and a.evidence["limit"] == 1.5 and 2.9 < a.evidence["ratio"] < 3.1
    # the declared three-shift plant is listed only because its ratio (10) is beyond what a declaration explains
    e = got["E-continuous-idle-by-day"].reasons[0]
    assert e.evidence["limit"] == 3.0 and e.params["schedule"] == "three_shift"
    assert "times the daytime" in e.say(lambda m: m)


def test_own_history_three_sigma_both_ways():
    h = profile(100, 100, seed=7)
    h[-2] *= 1.6   # a surge two days ago
    h[-1, :] = 5   # and yesterday almost nothing
    got = suspects([UtilityMeter("X", "X", "", h)], DAYS, ST)
    days = {r.day: r for r in got[0].reasons if r.code == "PWR-UTIL-OWN-3SIGMA"}
    assert set(days) == {DAYS[-2], DAYS[-1]}
    assert days[DAYS[-2]].evidence["z"] > 3 and days[DAYS[-1]].evidence["z"] < -3


def test_industry_falling_together_is_normal_one_plant_surging_is_not():
    n = 8
    meters = []
    for k in range(n):
        h = profile(50 + 30 * k, 50 + 30 * k, seed=10 + k)   # plants of different sizes
        h[-3:] *= 0.4                                      # the whole industry at 40 % (an alert, a holiday)
        meters.append(UtilityMeter(f"S{k}", f"S{k}", "3110", h))
    surge = profile(300, 300, seed=99)                     # one plant carries on at full load
    meters.append(UtilityMeter("FULL", "FULL", "3110", surge))
    got = {s.enterprise: s for s in suspects(meters, DAYS, ST)}
    codes = {r.code for r in got["FULL"].reasons}
    assert "PWR-UTIL-COHORT-3SIGMA" in codes
    # each small plant falls against its own history, but not against its industry
    for k in range(n):
        assert all(r.code == "PWR-UTIL-OWN-3SIGMA" for r in got[f"S{k}"].reasons)
    assert [r.day for r in got["FULL"].reasons] == DAYS[-3:] and not got["FULL"].both


def test_cohort_needs_enough_peers_and_days_need_enough_hours():
    h = profile(100, 100, seed=3)
    h[-1, :5] = np.nan
    assert np.isfinite(daily_energy(h, 19)[-1])
    h[-1, :10] = np.nan
    assert np.isnan(daily_energy(h, 20)[-1])
    few = [UtilityMeter(f"P{k}", "", "2614", profile(100, 100, seed=k)) for k in range(3)]
    few[0].hourly_kwh[-1] *= 3
    got = suspects(few, DAYS, ST)
    assert all(r.code != "PWR-UTIL-COHORT-3SIGMA" for s in got for r in s.reasons)
