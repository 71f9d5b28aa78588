"""Precision by design (issue 13): worked physical cases of honest plants and of real frauds.

A hand-made flue-gas point: stopped until 06:00 local on day 1, a one-hour start-up ramp, a day shift at
full load and a night shift (22:00–06:00) at 60 %, load following (±5 %, 170-min period), a shut-down from
14:00 to 18:00 on day 3. Velocity, flow (= area × velocity), flue temperature, O2 and the pollutants follow
the load with their own independent noise, as on a clean plant.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.contracts.catalogue import KINDS, RULES, Rule
from ecosentry.subsystems.monitoring.detect.model import Finding, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.patterns import detect_channel_clone
from ecosentry.subsystems.monitoring.detect.registry import all_codes, all_detectors, corroborate, points_at, rank_key
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.detect.statistical import LOAD_SHIFT_CODE, detect_statistical
from ecosentry.subsystems.monitoring.pipeline.detection import alarm_type_of, group_current

T0 = datetime(2024, 5, 1, 16, 0, tzinfo=timezone.utc)  # 00:00 on 2 May, Asia/Shanghai
DAY = 1440
CFG = DetectorSettings()
RAW = DetectorSettings.from_mapping({"statistical": {"load_check": False}})


def load_profile(minutes: int) -> np.ndarray:
    t = np.arange(minutes)
    hour = (t // 60) % 24
    load = np.where((hour >= 22) | (hour < 6), 0.6, 1.0) + 0.05 * np.sin(2 * np.pi * t / 170.0)
    load[: 6 * 60] = 0.0
    load[6 * 60 : 7 * 60] = np.linspace(0.05, 1.0, 60)
    load[2 * DAY + 14 * 60 : 2 * DAY + 18 * 60] = 0.0
    return load


def plant(days: int = 3, seed: int = 1) -> dict[str, np.ndarray]:
    """Minute values of an honest point (HJ 212 codes: velocity, flow, temperature, O2, SO2, NOx, dust)."""
    rng = np.random.default_rng(seed)
    n = days * DAY
    load = load_profile(n)
    vel = 15 * load + rng.normal(0, 0.15, n)
    return {
        "a01011": vel,
        "a00000": 3.1 * vel,
        "a01012": 25 + 95 * load + rng.normal(0, 1.0, n),
        "a19001": np.where(load > 0, 20.9 - 12 * load, 20.9) + rng.normal(0, 0.2, n),
        "a21026": 30 * load * rng.lognormal(0, 0.06, n) + rng.normal(0, 0.3, n),
        "a21002": 80 * load * rng.lognormal(0, 0.06, n) + rng.normal(0, 0.5, n),
        "a34013": 6 * load * rng.lognormal(0, 0.08, n) + rng.normal(0, 0.05, n),
    }


def minutes(ch: dict[str, np.ndarray]) -> PointData:
    n = len(next(iter(ch.values())))
    times = to_datetime64(T0) + np.arange(n) * np.timedelta64(60, "s")
    return PointData("P1", minutes={f: Series(f, times, np.asarray(v, float)) for f, v in ch.items()})


def hours(ch: dict[str, np.ndarray]) -> PointData:
    n = len(next(iter(ch.values()))) // 60
    times = to_datetime64(T0) + np.arange(n) * np.timedelta64(3600, "s")
    return PointData("P1", hours={f: Series(f, times, np.asarray(v, float)[: n * 60].reshape(n, 60).mean(axis=1))
                                  for f, v in ch.items()})


# ------------------------------------------------------------------------------------ level shifts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_load_following_plant_gives_no_level_shift(seed):
    data = minutes(plant(seed=seed))
    raw = Counter(f.code for f in detect_statistical(data, RAW))
    assert raw["DET-STAT-SHIFT"] >= 10  # the raw test calls every start-up, shut-down and shift change a shift
    found = detect_statistical(data, CFG)
    assert [f for f in found if f.code in ("DET-STAT-SHIFT", "DET-STAT-SPIKE")] == []


def test_load_explained_shift_is_reported_as_a_process_change_when_asked():
    cfg = DetectorSettings.from_mapping({"statistical": {"report_process_changes": True}})
    found = detect_statistical(minutes(plant(seed=1)), cfg)
    assert found and {f.code for f in found} == {LOAD_SHIFT_CODE}
    f = found[0]
    assert f.kind == "process_change" and f.severity == "info" and alarm_type_of(f) is None
    assert f.evidence["load_check"]["load_explained"] is True and "process change" in f.explanation


def test_real_level_shift_with_load_unchanged_is_a_statistical_anomaly():
    ch = plant(seed=7)
    drop = slice(2 * DAY + 600, 2 * DAY + 800)  # 10:00–13:20 on day 3, full load: SO2 to a fifth
    ch["a21026"][drop] *= 0.2
    found = [f for f in detect_statistical(minutes(ch), CFG) if f.code == "DET-STAT-SHIFT"]
    assert [f.factors for f in found] == [("a21026",)]
    f = found[0]
    assert T0 + timedelta(minutes=2 * DAY + 590) <= f.start <= T0 + timedelta(minutes=2 * DAY + 610)  # its 6 samples
    lc = f.evidence["load_check"]
    assert lc["load_explained"] is False and lc["residual_z"] < -6  # far beyond shift_z = 3 on the residual
    assert all(abs(z) < 1 for z in lc["load_shift_z"].values())  # flow, velocity, O2, temperature did not move
    assert {"a00000", "a01011", "a19001", "a21002"} <= set(lc["regressors"])
    assert f.kind == "statistical" and f.severity == "warning"
    assert alarm_type_of(f) == "ALM-DATA-ANOMALY"  # never a falsification alarm on its own


# ------------------------------------------------------------------------------------ clone


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_co_moving_process_parameters_and_pollutants_are_no_clone(seed):
    data = hours(plant(days=5, seed=seed))
    v, t = data.hours["a01011"].values[24:48], data.hours["a01012"].values[24:48]
    assert np.corrcoef(v, t)[0, 1] > 0.999 and np.corrcoef(np.diff(v), np.diff(t))[0, 1] > 0.99  # same shape
    so2, nox = data.hours["a21026"].values[24:48], data.hours["a21002"].values[24:48]
    assert np.corrcoef(so2, nox)[0, 1] > 0.99  # the pollutants share the load too
    assert detect_channel_clone(data, CFG) == []


@pytest.mark.parametrize("seed", [3, 4])
def test_cloned_pollutant_is_found_on_residuals(seed):
    ch = plant(days=5, seed=seed)
    ch["a21026"][DAY : 3 * DAY] = 0.4 * ch["a21002"][DAY : 3 * DAY]  # SO2 channel fed from the NOx signal
    [f] = detect_channel_clone(hours(ch), CFG)
    assert f.code == "DET-CLONE" and f.kind == "falsification" and f.severity == "critical"
    assert f.factors == ("a21002", "a21026") and f.evidence["days"] == ["2024-05-03", "2024-05-04"]
    assert f.evidence["load_removed"] == [True, True] and min(f.evidence["residual_r_levels"]) > 0.999
    assert {"a00000", "a01011", "a19001"} <= set(f.evidence["load_channels"])
    assert "after the plant's load" in f.explanation and "two pollutants" in f.explanation


def test_dust_wired_to_temperature_is_found_also_when_velocity_is_wired_too():
    # reference notes §5.4: particulate, velocity and temperature curves of identical shape
    ch = plant(days=4, seed=9)
    wired = slice(DAY, 2 * DAY)
    ch["a34013"][wired] = np.round(0.05 * ch["a01012"][wired], 2)
    ch["a01011"][wired] = 0.125 * ch["a01012"][wired]
    ch["a00000"][wired] = 3.1 * ch["a01011"][wired]
    found = detect_channel_clone(hours(ch), CFG)
    assert ("a01012", "a34013") in [f.factors for f in found]
    assert all(not (f.factors[0][:3] == "a01" and f.factors[1][:3] == "a01") for f in found)  # no parameter pair
    f = next(f for f in found if f.factors == ("a01012", "a34013"))
    assert f.evidence["days"] == ["2024-05-03"] and f.evidence["load_channels"] == ["a19001", "a21002", "a21026"]


# ------------------------------------------------------------------------------------ kinds and catalogue


def test_every_detector_code_has_a_kind_and_only_falsification_signs_are_critical():
    all_detectors()
    for code in all_codes():
        rule = RULES[code]
        assert rule.kind in KINDS, code
        if rule.severity == "critical":
            assert rule.kind == "falsification", code
    kinds = {RULES[c].kind for c in all_codes()}
    assert kinds == set(KINDS)


def test_the_catalogue_and_findings_refuse_a_critical_non_falsification():
    with pytest.raises(ValueError, match="only falsification signs may be critical"):
        Rule("DET-X-TEST", "critical", "x", "y", "z", "ours", kind="statistical")
    with pytest.raises(ValueError, match="kind must be"):
        Rule("DET-X-TEST", "warning", "x", "y", "z", "ours", kind="suspicious")
    with pytest.raises(ValueError, match="only falsification signs may be critical"):
        Finding("DET-STAT-SPIKE", "critical", "P1", ("a21026",), T0, T0, "x")
    f = Finding("DET-CONST-4H", "warning", "P1", ("a21026",), T0, T0, "x")
    assert f.kind == "falsification" and f.to_json()["kind"] == "falsification"
    assert f.to_json()["corroborated_by"] == []


# ------------------------------------------------------------------------------------ corroboration and alarms


def finding(code, start_h, end_h, severity="warning", point="P1", factors=("a21026",)):
    return Finding(code, severity, point, factors, T0 + timedelta(hours=start_h), T0 + timedelta(hours=end_h), code)


def test_independent_signs_on_one_window_corroborate_each_other_and_rank_first():
    flat = finding("DET-CONST-4H", 10, 16)
    spike = finding("DET-STAT-SPIKE", 15, 15)
    hug = finding("DET-LIMIT-HUG", 12, 40)
    hug_day = finding("DET-LIMIT-HUG-DAY", 12, 40)      # same family as DET-LIMIT-HUG: not independent
    other_point = finding("DET-NARROW-BAND", 10, 16, point="P2")
    later = finding("DET-DAY-NIGHT", 50, 60)
    process = finding(LOAD_SHIFT_CODE, 10, 16, severity="info")
    out = corroborate([flat, spike, hug, hug_day, other_point, later, process])
    by = {(f.code, f.point): f.corroborated_by for f in out}
    # the 28-hour hug starts inside the flat window (its onset points at it); it is longer than a day, so it
    # does not point at the spike's hour 15
    assert by[("DET-CONST-4H", "P1")] == ("DET-LIMIT-HUG", "DET-LIMIT-HUG-DAY", "DET-STAT-SPIKE")
    assert by[("DET-STAT-SPIKE", "P1")] == ("DET-CONST-4H",)
    assert by[("DET-LIMIT-HUG", "P1")] == ("DET-CONST-4H", "DET-STAT-SPIKE")
    assert by[("DET-NARROW-BAND", "P2")] == () and by[("DET-DAY-NIGHT", "P1")] == ()
    assert by[(LOAD_SHIFT_CODE, "P1")] == ()  # a process change explains, it does not accuse
    ranked = sorted(out, key=rank_key)
    assert [f.code for f in ranked[:2]] == ["DET-CONST-4H", "DET-LIMIT-HUG"]  # most signs first
    assert ranked[-1].code == LOAD_SHIFT_CODE
    assert out[0].to_json()["corroborated_by"] == ["DET-LIMIT-HUG", "DET-LIMIT-HUG-DAY", "DET-STAT-SPIKE"]
    assert out[0].signs == 4


def test_a_week_long_sign_does_not_corroborate_a_short_shift_inside_it():
    """Issue 13: a week hovering at the detection limit overlapped every load change of the week and raised
    each lone DET-STAT-SHIFT to a warning. A sign corroborates a window it points at: no longer than the
    window or a day, or starting or ending on it."""
    week = finding("DET-AT-DETECTION-LIMIT", 0, 168, severity="info")
    shift = finding("DET-STAT-SHIFT", 50, 53)
    day = finding("DET-DAY-NIGHT", 40, 64)                # a day: points at any window it overlaps
    onset = finding("DET-NARROW-BAND", 100, 268)          # a week starting on the shift at 100–102
    shift2 = finding("DET-STAT-SHIFT", 99, 102, point="P2")
    onset2 = replace(onset, point="P2")
    out = {(f.code, f.point): f for f in corroborate([week, shift, shift2, onset2])}
    assert out[("DET-STAT-SHIFT", "P1")].corroborated_by == ()
    assert out[("DET-STAT-SHIFT", "P1")].severity == "info"          # lone statistical: lowered
    assert out[("DET-AT-DETECTION-LIMIT", "P1")].corroborated_by == ("DET-STAT-SHIFT",)  # the shift is inside
    assert out[("DET-STAT-SHIFT", "P2")].corroborated_by == ("DET-NARROW-BAND",)  # the band's onset
    assert out[("DET-STAT-SHIFT", "P2")].severity == "warning"
    assert points_at(day, shift) and not points_at(week, shift) and points_at(shift, week)
    assert [f.corroborated_by for f in corroborate([shift, day])] == [("DET-DAY-NIGHT",), ("DET-STAT-SHIFT",)]


def test_statistical_findings_alone_never_raise_a_falsification_alarm():
    now = T0 + timedelta(hours=20)
    stat = [finding("DET-STAT-SHIFT", 18, 19), finding("DET-STAT-SPIKE", 19, 19),
            replace(finding("DET-STAT-SHIFT", 18, 19), corroborated_by=("DET-STAT-SPIKE",)),
            finding(LOAD_SHIFT_CODE, 18, 19, severity="info")]
    assert group_current(stat, now, timedelta(hours=2), min_severity="info") == {"ALM-DATA-ANOMALY": stat[:3]}
    sign = finding("DET-CONST-4H", 15, 19)
    assert set(group_current([*stat, sign], now, timedelta(hours=2))) == {"ALM-DATA-ANOMALY", "ALM-FALSIFICATION"}


def test_the_alarm_text_says_the_kind_and_the_corroborating_rules_in_the_readers_language():
    from ecosentry.alarms.wording import AlarmNames, alarm_explanation
    from ecosentry.web.i18n import translations

    flat = finding("DET-CONST-4H", 10, 16)
    spike = finding("DET-STAT-SPIKE", 15, 15)
    evidence = {"findings": [f.to_json() for f in sorted(corroborate([flat, spike]), key=rank_key)], "n_findings": 2}
    alarm = {"type": "ALM-FALSIFICATION", "evidence": evidence}
    old = {"type": "ALM-FALSIFICATION", "evidence": {"findings": [{"code": "DET-CONST-4H", "factor": "a21026"}]}}
    when, num = (lambda t: t.isoformat()), str
    en = alarm_explanation(alarm, AlarmNames(), lambda s: s, when, num)
    assert en.startswith("Constant value for 4 hours or more (falsification sign): a21026,")
    assert "Corroborated by: Spike far from recent values." in en
    assert "Spike far from recent values (statistical anomaly)" in en
    assert "(falsification sign)" in alarm_explanation(old, AlarmNames(), lambda s: s, when, num)  # stored before
    zh = alarm_explanation(alarm, AlarmNames(), translations("zh").gettext, when, num)
    vi = alarm_explanation(alarm, AlarmNames(), translations("vi").gettext, when, num)
    assert "（弄虚作假迹象）" in zh and "统计异常" in zh and "佐证：" in zh
    assert "(dấu hiệu làm sai lệch số liệu)" in vi and "Được củng cố bởi:" in vi
