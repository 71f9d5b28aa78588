"""Pattern detectors across channels and metadata: clone, parameter drift, implied area, marks before
exceedance, last digit; plus the catalogue and empty-input contract of every pattern detector."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import patterns
from ecosentry.subsystems.monitoring.detect.model import DETECTORS, Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.patterns import (
    chi2_sf,
    detect_channel_clone,
    detect_last_digit,
    detect_marks_before_exceedance,
    detect_parameter_drift,
    last_digit_resolution,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.contracts.catalogue import RULES

UTC = timezone.utc
T0 = datetime(2024, 4, 30, 16, tzinfo=UTC)  # 2024-05-01 00:00 Asia/Shanghai
CFG = DetectorSettings()
PATTERN_DETECTORS = [name for name, spec in DETECTORS.items() if spec.func.__module__ == patterns.__name__]


def hourly(factor, values, *, start=T0, flags=(), step_s=3600):
    n = len(values)
    times = to_datetime64(start) + np.arange(n) * np.timedelta64(step_s, "s")
    return Series(factor, times, np.asarray(values, float), tuple(flags))


def stack(days, rng, area=3.1):
    """Honest load-following flue-gas channels: velocity, flow = area × velocity, temperature, O2, dust."""
    n = days * 24
    h = np.arange(n)
    load = 0.75 + 0.15 * np.sin(2 * np.pi * (h - 8) / 24) + rng.normal(0, 0.02, n)
    vel = np.round(16 * load * (1 + rng.normal(0, 0.01, n)), 2)
    return {
        "a01011": vel,
        "a00000": np.round(vel * area, 2),
        "a01012": np.round(110 + 30 * load + rng.normal(0, 0.8, n), 1),
        "a19001": np.round(9.5 - 4 * load + rng.normal(0, 0.2, n), 2),
        "a34013": np.round(8 * load * rng.lognormal(0, 0.08, n), 2),
        "a21026": np.round(25 * load * rng.lognormal(0, 0.08, n), 2),
    }


def point(channels, **kw):
    return PointData("MN7", hours={f: hourly(f, v) for f, v in channels.items()}, **kw)


# ------------------------------------------------------------------------------------------ clone


def test_clone_fires_when_dust_is_wired_to_temperature():
    rng = np.random.default_rng(40)
    ch = stack(7, rng)
    sl = slice(48, 120)  # local days 3, 4, 5
    ch["a34013"][sl] = np.round(0.2 * ch["a01012"][sl] - 16.0, 2)
    [f] = detect_channel_clone(point(ch), CFG)
    assert f.code == "DET-CLONE" and f.severity == "critical" and f.factors == ("a01012", "a34013")
    assert f.start == T0 + timedelta(days=2) and f.end == T0 + timedelta(days=5)
    ev = f.evidence
    assert ev["days"] == ["2024-05-03", "2024-05-04", "2024-05-05"] and ev["points"] == [24, 24, 24]
    assert min(ev["r_levels"]) > 0.999 and min(ev["r_changes"]) > 0.99 and ev["running_known"] is True
    assert "on 3 consecutive days (2024-05-03 to 2024-05-05) the hourly curves of a01012 and a34013" in f.explanation
    assert "physically unrelated" in f.explanation


@pytest.mark.parametrize("seed", [41, 42, 43])
def test_clone_honest_stack_including_linked_flow(seed):
    # flow is exactly area × velocity (linked, skipped); everything else shares the load curve only
    ch = stack(14, np.random.default_rng(seed))
    assert detect_channel_clone(point(ch), CFG) == []


def test_clone_shared_ramp_is_not_a_clone():
    rng = np.random.default_rng(44)
    ramp = np.tile(np.linspace(50, 100, 24), 3)
    ch = {"a21026": ramp * (1 + rng.normal(0, 0.003, 72)), "a34013": 0.1 * ramp * (1 + rng.normal(0, 0.003, 72))}
    levels_r = np.corrcoef(ch["a21026"][:24], ch["a34013"][:24])[0, 1]
    assert levels_r > 0.99  # levels alone would say "clone"
    assert detect_channel_clone(point(ch), CFG) == []


def test_clone_flat_channels_and_thresholds():
    rng = np.random.default_rng(45)
    base = 100 + 0.5 * rng.normal(0, 1, 72)  # CV 0.5 %: too flat to judge
    ch = {"a21026": base, "a34013": base * 0.1}
    assert detect_channel_clone(point(ch), CFG) == []
    wavy = 100 + 20 * np.sin(np.arange(72) / 3) + rng.normal(0, 1, 72)
    ch = {"a21026": wavy, "a34013": wavy * 0.1}
    [f] = detect_channel_clone(point(ch), CFG)
    assert len(f.evidence["days"]) == 3 and f.evidence["running_known"] is False
    strict = DetectorSettings.from_mapping({"patterns": {"clone_min_points": 25}})
    assert detect_channel_clone(point(ch), strict) == []


# ------------------------------------------------------------------------------------------ parameter drift


def test_reported_kv_differs_from_registered():
    reports = [
        (T0 + timedelta(hours=1), "a01011", "kv", 1.2),
        (T0 + timedelta(hours=5), "a01011", "kv", 1.35),
        (T0 + timedelta(hours=9), "a01011", "kv", 1.35),
        (T0 + timedelta(hours=30), "a01011", "kv", 1.35),
        (T0 + timedelta(hours=2), "*", "area", 3.1),
    ]
    data = PointData("MN7", registered={"a01011": {"kv": 1.2}, "*": {"area": 3.1}}, reported=reports)
    [f] = detect_parameter_drift(data, CFG)
    assert f.code == "DET-PARAM-DRIFT" and f.severity == "critical" and f.factors == ("a01011",)
    assert f.start == T0 + timedelta(hours=5) and f.end == T0 + timedelta(hours=30)
    assert f.evidence["reports"] == 3 and f.evidence["registered"] == 1.2 and f.evidence["reported_values"] == [1.35]
    assert "a01011 at point MN7 reported K_v = 1.35 (3 reports)" in f.explanation
    assert "registered (备案) value is 1.20 (+12.5 %)" in f.explanation


def test_point_wide_registered_value_and_tolerance():
    reports = [
        (T0, "a21026", "ref_o2", 9.0),  # falls back to the point-wide registered 6 %
        (T0, "a01011", "kv", 1.2000001),  # within 0.1 %: equal
        (T0, "a01011", "slope", 0.98),  # nothing registered: nothing to compare
        (T0 + timedelta(hours=3), "*", "area", 2.5),
    ]
    data = PointData("P", registered={"*": {"ref_o2": 6.0, "area": 3.1}, "a01011": {"kv": 1.2}}, reported=reports)
    found = {(f.factors, f.evidence["parameter"]): f for f in detect_parameter_drift(data, CFG)}
    assert set(found) == {(("a21026",), "ref_o2"), ((), "area")}
    area = found[((), "area")]
    assert area.start == area.end == T0 + timedelta(hours=3)
    assert "On 2024-05-01 03:00 (Asia/Shanghai) point P reported duct area = 2.50 (1 report)" in area.explanation


def test_implied_area_from_flow_and_velocity():
    rng = np.random.default_rng(50)
    ch = stack(6, rng)
    ch["a00000"][72:] = np.round(ch["a01011"][72:] * 3.6, 2)  # area changed to 3.6 m² from day 4
    data = point(ch, registered={"*": {"area": 3.1}})
    [f] = detect_parameter_drift(data, CFG)
    assert f.code == "DET-AREA-IMPLIED" and f.factors == ("a00000", "a01011")
    assert f.start == T0 + timedelta(days=3) and f.end == T0 + timedelta(days=6)
    assert f.evidence["implied_area_median"] == pytest.approx(3.6, rel=0.005)
    assert "implied a duct area of 3.60 m² against the registered 3.10 m² (+16.1 %)" in f.explanation


def test_implied_area_tolerance_boundary_and_stopped_hours():
    rng = np.random.default_rng(51)
    ch = stack(3, rng)
    for factor, expected in ((1.049, 0), (1.051, 1)):
        ch2 = dict(ch, a00000=ch["a01011"] * 3.1 * factor)
        assert len(detect_parameter_drift(point(ch2, registered={"*": {"area": 3.1}}), CFG)) == expected
    # low velocities (fan idling) are not used
    ch3 = dict(ch, a01011=np.full(72, 0.3), a00000=np.full(72, 0.3 * 5.0))
    assert detect_parameter_drift(point(ch3, registered={"*": {"area": 3.1}}), CFG) == []


# ------------------------------------------------------------------------------------------ marks before exceedance


def so2_with_events(rng, event_hours, pre, *, base=18.0, days=30):
    """SO2 hourly values (limit 35) with maintenance marks at event_hours; the 3 hours before each
    event follow ``pre``; the 3 marked hours are flagged M."""
    n = days * 24
    x = np.round(base * rng.lognormal(0, 0.12, n), 1)
    flags = ["N"] * n
    marks = []
    for h in event_hours:
        x[h - 3:h] = pre
        for k in range(h, h + 3):
            flags[k] = "M"
        marks.append(Mark("maintenance", T0 + timedelta(hours=h), T0 + timedelta(hours=h + 3)))
    return x, flags, marks


def test_marks_after_rising_concentrations():
    rng = np.random.default_rng(60)
    events = [50, 150, 300, 450, 600]
    x, flags, marks = so2_with_events(rng, events, [30.0, 32.5, 34.5])
    data = PointData("MN7", hours={"a21026": hourly("a21026", x, flags=flags)}, limits={"a21026": 35.0},
                     marks=marks)
    [f] = detect_marks_before_exceedance(data, CFG)
    assert f.code == "DET-MARK-BEFORE-EXCEEDANCE" and f.factors == ("a21026",)
    assert f.start == T0 + timedelta(hours=50) and f.end == T0 + timedelta(hours=601)
    ev = f.evidence
    assert ev["events"] == 5 and ev["predicted"] == 5 and ev["baseline_share"] < 0.02
    assert [e["kind"] for e in ev["event_list"]] == ["maintenance"] * 5
    assert ev["event_list"][0]["pre_mean"] == pytest.approx(97 / 3)
    assert "5 of 5 marks or data gaps for a21026 (100 %; maintenance)" in f.explanation
    assert "35.0 mg/m³ limit" in f.explanation


def test_gaps_count_as_events_and_trend_predicts():
    rng = np.random.default_rng(61)
    n = 24 * 30
    x = np.round(18.0 * rng.lognormal(0, 0.12, n), 1)
    keep = np.ones(n, bool)
    for h in (100, 250, 400, 550):
        x[h - 3:h] = [22.0, 27.0, 32.0]  # mean 27 < 31.5, but the trend reaches 37 at the next hour
        keep[h:h + 4] = False  # 4 hours without data
    s = hourly("a21026", x)
    data = PointData("P", hours={"a21026": Series("a21026", s.times[keep], s.values[keep])},
                     limits={"a21026": 35.0})
    [f] = detect_marks_before_exceedance(data, CFG)
    assert f.evidence["predicted"] == 4 and {e["kind"] for e in f.evidence["event_list"]} == {"gap"}


def test_marks_honest_and_thresholds():
    rng = np.random.default_rng(62)
    # honest marks at random hours: no coincidence with high values
    x, flags, marks = so2_with_events(rng, [60, 170, 333, 480, 610], 18.0)
    data = PointData("P", hours={"a21026": hourly("a21026", x, flags=flags)}, limits={"a21026": 35.0},
                     marks=marks)
    assert detect_marks_before_exceedance(data, CFG) == []
    # only two suspicious marks: below mark_min_events
    x, flags, marks = so2_with_events(rng, [60, 170], [33.0, 34.0, 34.5])
    data = PointData("P", hours={"a21026": hourly("a21026", x, flags=flags)}, limits={"a21026": 35.0},
                     marks=marks)
    assert detect_marks_before_exceedance(data, CFG) == []
    # a plant that always runs near the limit: marks coincide, but no more than ordinary hours do
    x, flags, marks = so2_with_events(rng, [60, 170, 333, 480], [33.0, 33.0, 33.0], base=33.0)
    data = PointData("P", hours={"a21026": hourly("a21026", x, flags=flags)}, limits={"a21026": 35.0},
                     marks=marks)
    assert detect_marks_before_exceedance(data, CFG) == []
    # marks of another factor do not count
    x, flags, marks = so2_with_events(rng, [60, 170, 333, 480], [33.0, 34.0, 34.5])
    marks = [Mark(m.type, m.start, m.end, frozenset({"a21002"})) for m in marks]
    data = PointData("P", hours={"a21026": hourly("a21026", x)}, limits={"a21026": 35.0}, marks=marks)
    assert detect_marks_before_exceedance(data, CFG) == []


# ------------------------------------------------------------------------------------------ last digit


def test_chi2_survival_function_against_tables():
    # chi-square critical values (any statistics table): 9 dof 16.919 @ 0.05, 21.666 @ 0.01, 27.877 @ 0.001
    assert chi2_sf(16.919, 9) == pytest.approx(0.05, abs=2e-5)
    assert chi2_sf(21.666, 9) == pytest.approx(0.01, abs=2e-6)
    assert chi2_sf(27.877, 9) == pytest.approx(0.001, abs=2e-7)
    assert chi2_sf(3.325, 9) == pytest.approx(0.95, abs=2e-5)
    for x in (0.1, 2.0, 7.5, 40.0):  # 2 dof: exp(−x/2) exactly
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)
    assert chi2_sf(0.0, 9) == 1.0 and chi2_sf(500.0, 9) < 1e-90
    with pytest.raises(ValueError):
        chi2_sf(1.0, 0)


def test_last_digit_resolution():
    assert last_digit_resolution(np.array([12.0, 13.0, 40.0])) == 0
    assert last_digit_resolution(np.array([12.5, 13.0, 40.1])) == 1
    assert last_digit_resolution(np.array([0.025, 0.03])) == 3
    assert last_digit_resolution(np.array([1 / 3, 2.0])) is None
    assert last_digit_resolution(np.array([np.nan])) is None


def test_last_digit_fires_on_rounded_minute_values():
    rng = np.random.default_rng(70)
    n = 1440
    x = np.round(rng.uniform(20, 60, n) * 2) / 2  # values typed to 0.5 but reported to 0.1
    x[::7] = np.round(rng.uniform(20, 60, len(x[::7])), 1)  # some real-looking values keep resolution 0.1
    data = PointData("MN7", minutes={"a21026": hourly("a21026", x, step_s=60)},
                     hours={"a21026": hourly("a21026", np.full(24, 40.123456))})
    [f] = detect_last_digit(data, CFG)
    assert f.code == "DET-LAST-DIGIT" and f.severity == "info" and f.factors == ("a21026",)
    ev = f.evidence
    # a value equal to the one before it counts once (stuck stretches are DET-CONST-4H's business)
    fresh = 1 + int(np.sum(x[1:] != x[:-1]))
    assert ev["series"] == "minute" and ev["resolution"] == pytest.approx(0.1) and ev["n"] == fresh < n
    assert sum(ev["digit_counts"]) == fresh and ev["p_value"] < 1e-100 and ev["dof"] == 9
    assert f.start == T0 and f.end <= T0 + timedelta(minutes=n - 1)
    assert f"Over {fresh} valid minute a21026 values at point MN7 reported to 0.1 mg/m³" in f.explanation
    assert "chi-square" in f.explanation and "9 degrees of freedom" in f.explanation


@pytest.mark.parametrize("seed", [71, 72, 73, 74])
def test_last_digit_honest_and_guards(seed):
    rng = np.random.default_rng(seed)
    honest = np.round(rng.lognormal(np.log(30), 0.3, 2000), 1)
    data = PointData("P", hours={"a21026": hourly("a21026", honest)})
    assert detect_last_digit(data, CFG) == []
    # too few values, too narrow a spread, or computed means: not tested
    few = np.round(rng.uniform(20, 60, 199) * 2) / 2
    narrow = np.round(rng.uniform(1.0, 1.5, 2000) * 20) / 20 * 1.0
    means = rng.uniform(20, 60, 2000)
    for x in (few, narrow, means):
        assert detect_last_digit(PointData("P", hours={"c": hourly("c", np.round(x, 2) if x is narrow else x)}),
                                 CFG) == []


def test_last_digit_needs_an_effect_size_and_skips_derived_flow():
    rng = np.random.default_rng(75)
    # a year of minute values with a slight analyser quantisation bias: "significant", but digit shares
    # stay within 1 point of 10 %
    n = 200_000
    x = np.round(rng.uniform(20, 60, n), 1)
    bump = rng.random(n) < 0.01
    x[bump] = np.floor(x[bump])  # 1 % of values lose their decimal: digit 0 at ~10.9 %
    data = PointData("P", minutes={"a21026": hourly("a21026", x, step_s=60)})
    counts = np.bincount(np.round(x * 10).astype(int) % 10, minlength=10)
    stat = float(((counts - n / 10) ** 2 / (n / 10)).sum())
    assert chi2_sf(stat, 9) < CFG.patterns.digit_p_max  # the chi-square alone would fire
    assert detect_last_digit(data, CFG) == []
    # flow computed as area × velocity inherits the arithmetic's digits: never tested
    rounded = np.round(rng.uniform(20, 60, 2000) * 2) / 2
    assert detect_last_digit(PointData("P", hours={"a00000": hourly("a00000", rounded)}), CFG) == []
    assert len(detect_last_digit(PointData("P", hours={"a01011": hourly("a01011", rounded)}), CFG)) == 1


# ------------------------------------------------------------------------------------------ contract


def test_every_pattern_code_is_catalogued():
    assert len(PATTERN_DETECTORS) == 9
    codes = {c for name in PATTERN_DETECTORS for c in DETECTORS[name].codes}
    assert len(codes) == 12
    for code in codes:
        rule = RULES[code]
        assert rule.severity in ("info", "warning", "critical") and rule.summary and rule.source
        assert rule.module == "ecosentry.subsystems.monitoring.detect.patterns" and code.startswith("DET-")
    # every code literal in the module is one of the declared, catalogued codes
    text = open(patterns.__file__, encoding="utf-8").read()
    assert set(re.findall(r'"(DET-[A-Z0-9-]+)"', text)) == codes


@pytest.mark.parametrize("name", PATTERN_DETECTORS)
def test_empty_and_short_inputs(name):
    func = DETECTORS[name].func
    assert func(PointData("P"), CFG) == []
    short = {f: v[:3] for f, v in stack(1, np.random.default_rng(80)).items()}
    short["a21026"][1] = np.nan
    data = point(short, limits={"a21026": 35.0}, ranges={"a21026": (0.0, 200.0)},
                 detection_limits={"a21026": 1.0}, registered={"*": {"area": 3.1}},
                 day_limits={"a21026": 35.0})
    data.minutes = {"a21026": hourly("a21026", [1.0, 2.0], step_s=60)}
    assert func(data, CFG) == []


def test_findings_serialise():
    rng = np.random.default_rng(81)
    ch = stack(7, rng)
    ch["a34013"][48:120] = np.round(0.2 * ch["a01012"][48:120] - 16.0, 2)
    [f] = detect_channel_clone(point(ch), CFG)
    out = f.to_json()
    assert out["code"] == "DET-CLONE" and out["start"] == "2024-05-02T16:00:00Z" and out["factor"] == "a01012,a34013"
    assert isinstance(out["evidence"]["r_levels"][0], float)
