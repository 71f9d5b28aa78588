"""National 电子督办 rule detectors (ecosentry.subsystems.monitoring.detect.national): each rule fires on a constructed series and
stays quiet at its boundary (reference notes §5.2, §5.6)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import national as nat
from ecosentry.subsystems.monitoring.detect.model import DETECTORS, Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.contracts.catalogue import RULES

UTC = timezone.utc
#: 2024-03-01 00:00 UTC = 08:00 in Asia/Shanghai.
T0 = datetime(2024, 3, 1, tzinfo=UTC)
CFG = DetectorSettings()
SO2, NOX, O2, FLOW, VEL, TEMP = "a21026", "a21002", "a19001", "a00000", "a01011", "a01012"
COD, WFLOW = "w01018", "w00000"


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def series(factor: str, values, *, start: datetime = T0, step_s: int = 3600, flags=None, zs=None,
           drop=()) -> Series:
    """A series of ``values`` every ``step_s`` from ``start``; indices in ``drop`` are not received."""
    values = np.asarray(values, dtype=float)
    times = to_datetime64(start) + np.arange(len(values)) * np.timedelta64(step_s, "s")
    keep = np.ones(len(values), dtype=bool)
    keep[list(drop)] = False
    fl = tuple(np.asarray(flags, dtype=object)[keep]) if flags is not None else ()
    z = np.asarray(zs, dtype=float)[keep] if zs is not None else None
    return Series(factor, times[keep], values[keep], fl, zs=z)


def varying(n: int, base: float = 30.0, seed: int = 1) -> np.ndarray:
    """Ordinary, never-repeating values around ``base``."""
    return base + np.round(np.random.default_rng(seed).uniform(-5, 5, n), 2)


def running_params(n: int, **kw) -> dict[str, Series]:
    """O2 8 %, flow 100 m³/s, temperature 120 °C: a flue running normally for ``n`` hours."""
    return {O2: series(O2, varying(n, 8.0, 2) / 5 + 6.4, **kw), FLOW: series(FLOW, varying(n, 100.0, 3), **kw),
            TEMP: series(TEMP, varying(n, 120.0, 4), **kw)}


def gas(hours: dict[str, Series] | None = None, minutes: dict[str, Series] | None = None, **kw) -> PointData:
    return PointData(point="P1", medium="gas", hours=hours or {}, minutes=minutes or {}, **kw)


def one(findings, code: str):
    hits = [f for f in findings if f.code == code]
    assert len(hits) == 1, [f.explanation for f in findings]
    json.dumps(hits[0].to_json())  # evidence is JSON-serialisable
    return hits[0]


# ---------------------------------------------------------------------------------------------- catalogue

def test_every_national_code_is_in_the_catalogue():
    specs = [s for s in DETECTORS.values() if s.func.__module__ == nat.__name__]
    assert len(specs) == 11
    codes = {c for s in specs for c in s.codes}
    assert codes == {"DET-MISSING-MINUTES", "DET-MISSING-HOUR", "DET-MISSING-168H", "DET-NO-DATA",
                     "DET-CONST-4H", "DET-RANGE-HALFMONTH", "DET-NEGATIVE", "DET-OVER-RANGE",
                     "DET-STOPPED-DATA", "DET-O2-SAYS-STOPPED", "DET-O2-SAYS-RUNNING", "DET-ZERO-RUNNING"}
    for code in codes:
        rule = RULES[code]
        assert rule.severity in ("info", "warning", "critical")
        assert rule.summary and rule.source and rule.tag
        assert rule.module.startswith("ecosentry.subsystems.monitoring.detect.national.")
    # missing data is a data-quality defect, not a falsification sign: never critical (issue 13)
    assert RULES["DET-MISSING-168H"].severity == "warning" and RULES["DET-MISSING-168H"].kind == "data_quality"


def test_settings_are_frozen_and_strict():
    s = DetectorSettings.from_mapping({"national": {"constant_hours": 6}})
    assert s.national.constant_hours == 6
    with pytest.raises(Exception):
        DetectorSettings.from_mapping({"national": {"no_such_threshold": 1}})


def test_empty_point_gives_no_findings():
    data = gas()
    for spec in DETECTORS.values():
        if spec.func.__module__ == nat.__name__:
            assert spec.func(data, CFG) == []


def test_nan_values_single_records_and_odd_flags_do_not_break_any_detector():
    n = 6
    hours = {SO2: series(SO2, np.full(n, np.nan), flags=["D", "X", None, "N", "F", "T"]),
             O2: series(O2, [np.nan]), FLOW: series(FLOW, np.full(n, np.nan)), TEMP: series(TEMP, [])}
    data = gas(hours=hours, minutes={NOX: series(NOX, [np.nan, 1.0], step_s=60)}, ranges={SO2: (0.0, None)},
               window_start=T0, window_end=at(n))
    for spec in DETECTORS.values():
        if spec.func.__module__ == nat.__name__:
            for f in spec.func(data, CFG):
                json.dumps(f.to_json())
                assert f.start < f.end


# ---------------------------------------------------------------------------------------------- 1 missing minutes

def minute_so2(counts_per_hour: list[int], step_min: int = 1) -> Series:
    """Minute records: in hour h, the first ``counts_per_hour[h]`` intervals are received."""
    per_hour = 60 // step_min
    drop = [h * per_hour + i for h, c in enumerate(counts_per_hour) for i in range(c, per_hour)]
    return series(SO2, varying(len(counts_per_hour) * per_hour), step_s=60 * step_min, drop=drop)


def test_missing_minutes_44_fires_45_does_not():
    data = gas(minutes={SO2: minute_so2([60, 44, 45, 60])})
    f = one(nat.detect_missing_minutes(data, CFG), "DET-MISSING-MINUTES")
    assert f.severity == "warning"
    assert (f.start, f.end, f.factors) == (at(1), at(2), (SO2,))
    assert "44 min" in f.explanation and "45" in f.explanation and "SO2 (a21026)" in f.explanation
    assert "2024-03-01 09:00" in f.explanation  # local time (UTC+08:00)
    assert f.evidence["factors"][SO2]["hours"] == [{"hour": at(1), "minutes": 44.0}]
    assert f.evidence["min_minutes_per_hour"] == 45


def test_missing_minutes_counts_min_interval():
    """At MinInterval 5 min, 9 records cover 45 min (enough), 8 records 40 min (short)."""
    data = gas(minutes={SO2: minute_so2([12, 9, 8, 12], step_min=5)})
    f = one(nat.detect_missing_minutes(data, CFG), "DET-MISSING-MINUTES")
    assert (f.start, f.end) == (at(2), at(3))
    assert f.evidence["factors"][SO2]["min_interval_min"] == 5
    assert f.evidence["factors"][SO2]["least_minutes"] == 40.0


def test_missing_minutes_merges_consecutive_hours_and_factors():
    data = gas(minutes={SO2: minute_so2([60, 30, 20, 60]), NOX: minute_so2([60, 40, 40, 60])})
    f = one(nat.detect_missing_minutes(data, CFG), "DET-MISSING-MINUTES")
    assert (f.start, f.end, f.factors) == (at(1), at(3), (NOX, SO2))
    assert "20 min" in f.explanation and "2 hours" in f.explanation


def test_missing_minutes_hour_without_minutes_but_with_hourly_record():
    """The hourly record arrived but no minute record for that hour: 0 min < 45."""
    minutes = minute_so2([60, 0, 60])
    data = gas(minutes={SO2: minutes}, hours={SO2: series(SO2, [30.0, 31.0, 32.0])})
    f = one(nat.detect_missing_minutes(data, CFG), "DET-MISSING-MINUTES")
    assert (f.start, f.end) == (at(1), at(2)) and f.evidence["factors"][SO2]["least_minutes"] == 0.0
    # with the hourly record missing too, the hour is DET-MISSING-HOUR's, not this rule's
    data = gas(minutes={SO2: minutes}, hours={SO2: series(SO2, [30.0, 31.0, 32.0], drop=[1])})
    assert nat.detect_missing_minutes(data, CFG) == []
    assert one(nat.detect_missing_hours(data, CFG), "DET-MISSING-HOUR").start == at(1)


def test_minute_only_point_hour_without_any_minute_is_a_missing_hour():
    data = gas(minutes={SO2: minute_so2([60, 0, 50, 60])})
    assert nat.detect_missing_minutes(data, CFG) == []
    f = one(nat.detect_missing_hours(data, CFG), "DET-MISSING-HOUR")
    assert (f.start, f.end, f.factors) == (at(1), at(2), (SO2,))


def test_missing_minutes_not_for_wastewater():
    data = PointData(point="W1", medium="water", minutes={COD: minute_so2([60, 10, 60])})
    assert nat.detect_missing_minutes(data, CFG) == []


def test_missing_minutes_window_end_cuts_the_open_hour():
    """With window_end at 02:30 the hour 02:00 is not over yet and is not judged."""
    data = gas(minutes={SO2: minute_so2([60, 60, 30])}, window_end=at(2.5))
    assert nat.detect_missing_minutes(data, CFG) == []


# ---------------------------------------------------------------------------------------------- 2, 3 missing hours

def test_missing_hour_run_is_one_finding_for_all_factors():
    data = gas(hours={SO2: series(SO2, varying(8), drop=[3, 4]), O2: series(O2, varying(8, 8), drop=[3, 4])})
    f = one(nat.detect_missing_hours(data, CFG), "DET-MISSING-HOUR")
    assert (f.start, f.end, f.factors) == (at(3), at(5), (O2, SO2))
    assert "2 hours" in f.explanation and "2024-03-01 11:00" in f.explanation
    assert f.evidence["hours"] == 2
    assert nat.detect_missing_unfilled(data, CFG) == []


def test_missing_hour_factor_that_stops_while_others_go_on():
    data = gas(hours={SO2: series(SO2, varying(5)), O2: series(O2, varying(10, 8))})
    f = one(nat.detect_missing_hours(data, CFG), "DET-MISSING-HOUR")
    assert (f.start, f.end, f.factors) == (at(5), at(10), (SO2,))


def test_missing_hour_uses_the_window_and_stopped_marks():
    data = gas(hours={SO2: series(SO2, varying(5), start=at(2))}, window_start=T0, window_end=at(10))
    found = nat.detect_missing_hours(data, CFG)
    assert [(f.start, f.end) for f in found] == [(at(0), at(2)), (at(7), at(10))]
    data.marks.append(Mark("stopped", at(7), at(10)))
    assert [(f.start, f.end) for f in nat.detect_missing_hours(data, CFG)] == [(at(0), at(2))]
    data.marks[0] = Mark("maintenance", at(7), at(10))  # maintenance does not excuse missing data
    assert len(nat.detect_missing_hours(data, CFG)) == 2


def test_missing_over_168h_is_escalated_and_168h_is_not():
    n = 400
    data = gas(hours={SO2: series(SO2, varying(n), drop=range(100, 269))})  # 169 h missing
    f = one(nat.detect_missing_unfilled(data, CFG), "DET-MISSING-168H")
    assert f.severity == "warning" and f.kind == "data_quality"
    assert (f.start, f.end, f.factors) == (at(100), at(269), (SO2,))
    assert "169 h" in f.explanation and "> 168 h" in f.explanation
    assert f.evidence["hours"] == 169 and f.evidence["backfill_hours"] == 168
    assert nat.detect_missing_hours(data, CFG) == []  # reported once, as the escalation
    data = gas(hours={SO2: series(SO2, varying(n), drop=range(100, 268))})  # exactly 168 h
    assert nat.detect_missing_unfilled(data, CFG) == []
    assert one(nat.detect_missing_hours(data, CFG), "DET-MISSING-HOUR").evidence["hours"] == 168


# ---------------------------------------------------------------------------------------------- 4 no data

def test_no_data_in_window():
    data = gas(hours={SO2: series(SO2, varying(5))}, window_start=at(24), window_end=at(48),
               ranges={NOX: (0.0, 200.0)})
    f = one(nat.detect_no_data(data, CFG), "DET-NO-DATA")
    assert f.severity == "warning" and f.kind == "data_quality"
    assert (f.start, f.end, f.factors) == (at(24), at(48), (NOX, SO2))
    assert "24 h" in f.explanation and "联网异常" in f.explanation
    assert nat.detect_missing_hours(gas(window_start=at(24), window_end=at(48)), CFG) == []


def test_no_data_quiet_with_a_record_without_window_or_when_stopped():
    data = gas(hours={SO2: series(SO2, varying(30))}, window_start=at(24), window_end=at(48))
    assert nat.detect_no_data(data, CFG) == []
    assert nat.detect_no_data(gas(window_start=at(24)), CFG) == []
    stopped = gas(window_start=at(24), window_end=at(48), marks=[Mark("stopped", at(0), at(72))])
    assert nat.detect_no_data(stopped, CFG) == []


# ---------------------------------------------------------------------------------------------- 5 constant

def with_flat(n: int, first: int, count: int, value: float, seed: int = 1) -> np.ndarray:
    v = varying(n, seed=seed)
    v[first:first + count] = value
    return v


def test_constant_4h_fires_3h_does_not():
    n = 12
    data = gas(hours={SO2: series(SO2, with_flat(n, 3, 4, 35.2)), **running_params(n)})
    f = one(nat.detect_constant_value(data, CFG), "DET-CONST-4H")
    assert (f.start, f.end, f.factors) == (at(3), at(7), (SO2,))
    assert "35.2 mg/m³" in f.explanation and "4 h" in f.explanation and "≥ 4 h" in f.explanation
    assert "while the unit was running" in f.explanation
    assert f.evidence["value"] == 35.2 and f.evidence["running_known"] is True
    assert f.evidence["runs"][0]["records"] == 4 and f.evidence["runs"][0]["resolution"] == "hourly"
    data = gas(hours={SO2: series(SO2, with_flat(n, 3, 3, 35.2)), **running_params(n)})
    assert nat.detect_constant_value(data, CFG) == []


def test_constant_only_during_production_and_consecutive():
    n = 12
    params = running_params(n)
    o2 = params[O2].values.copy()
    o2[4] = 20.9  # the unit is stopped in one of the flat hours
    params[O2] = series(O2, o2)
    data = gas(hours={SO2: series(SO2, with_flat(n, 3, 4, 35.2)), **params})
    assert nat.detect_constant_value(data, CFG) == []
    data = gas(hours={SO2: series(SO2, with_flat(n, 3, 5, 35.2), drop=[5]), **running_params(n)})
    assert nat.detect_constant_value(data, CFG) == []  # a missing hour breaks the run


def test_constant_negative_and_invalid_values_are_not_constant_values():
    n = 10
    data = gas(hours={SO2: series(SO2, with_flat(n, 2, 5, -1.0)), **running_params(n)})
    assert nat.detect_constant_value(data, CFG) == []
    flags = ["N"] * n
    flags[3] = "M"
    data = gas(hours={SO2: series(SO2, with_flat(n, 2, 5, 30.0), flags=flags), **running_params(n)})
    assert nat.detect_constant_value(data, CFG) == []


def test_constant_on_zs_and_o2_and_unknown_production():
    n = 10
    zs = with_flat(n, 1, 6, 50.0, seed=7)
    data = gas(hours={SO2: series(SO2, varying(n), zs=zs)})
    f = one(nat.detect_constant_value(data, CFG), "DET-CONST-4H")
    assert (f.start, f.end) == (at(1), at(7))
    assert "折算" in f.explanation and "treated as running" in f.explanation
    assert f.evidence["runs"][0]["quantity"] == "zs" and f.evidence["running_known"] is False
    data = gas(hours={O2: series(O2, with_flat(n, 0, 4, 9.5)), FLOW: series(FLOW, varying(n, 100.0))})
    f = one(nat.detect_constant_value(data, CFG), "DET-CONST-4H")
    assert f.factors == (O2,) and "9.5 %" in f.explanation


def test_constant_on_minutes_3h59_vs_4h():
    """Minute values flat for 4 h from 08:30 leave only 3 whole flat hours, yet the minutes show 4 h."""
    n = 8 * 60
    params = running_params(8)
    data = gas(hours=params, minutes={SO2: series(SO2, with_flat(n, 30, 240, 12.0), step_s=60)})
    f = one(nat.detect_constant_value(data, CFG), "DET-CONST-4H")
    assert (f.start, f.end) == (at(0.5), at(4.5))
    assert f.evidence["runs"][0]["resolution"] == "minute" and f.evidence["runs"][0]["records"] == 240
    data = gas(hours=params, minutes={SO2: series(SO2, with_flat(n, 30, 239, 12.0), step_s=60)})
    assert nat.detect_constant_value(data, CFG) == []


def test_constant_hourly_and_minute_runs_merge_into_one_finding():
    hours = running_params(8)
    hours[SO2] = series(SO2, with_flat(8, 1, 5, 12.0))
    minutes = {SO2: series(SO2, with_flat(8 * 60, 60, 300, 12.0), step_s=60)}
    f = one(nat.detect_constant_value(gas(hours=hours, minutes=minutes), CFG), "DET-CONST-4H")
    assert (f.start, f.end) == (at(1), at(6))
    assert {r["resolution"] for r in f.evidence["runs"]} == {"hourly", "minute"}
    off = DetectorSettings.from_mapping({"national": {"constant_on_minutes": False}})
    f = one(nat.detect_constant_value(gas(hours=hours, minutes=minutes), off), "DET-CONST-4H")
    assert [r["resolution"] for r in f.evidence["runs"]] == ["hourly"]


def test_constant_on_a_year_of_hourly_data():
    n = 366 * 24
    data = gas(hours={SO2: series(SO2, with_flat(n, 5000, 6, 18.0)), **running_params(n)})
    f = one(nat.detect_constant_value(data, CFG), "DET-CONST-4H")
    assert (f.start, f.end) == (at(5000), at(5006))


# ---------------------------------------------------------------------------------------------- 6 half-month range

#: 2024-03-01 00:00 Asia/Shanghai: the first local calendar half-month is 03-01 .. 03-16 local.
HALF_START = datetime(2024, 2, 29, 16, tzinfo=UTC)


def alternating(n: int, mean: float, spread: float) -> np.ndarray:
    """mean ± spread/2, alternating: never constant, range = spread, mean exactly ``mean`` (n even)."""
    return mean + spread / 2 * np.where(np.arange(n) % 2 == 0, -1.0, 1.0)


def half_month_point(values: np.ndarray) -> PointData:
    n = len(values)
    return gas(hours={SO2: series(SO2, values, start=HALF_START), **running_params(n, start=HALF_START)})


def test_half_month_range_4_9_pct_fires_5_1_does_not():
    data = half_month_point(alternating(360, 100.0, 4.9))
    f = one(nat.detect_half_month_range(data, CFG), "DET-RANGE-HALFMONTH")
    assert (f.start, f.end, f.factors) == (HALF_START, HALF_START + timedelta(days=15), (SO2,))
    assert "4.90 %" in f.explanation and "< 5 %" in f.explanation and "360 valid hourly means" in f.explanation
    assert "97.55" in f.explanation and "102.45" in f.explanation
    assert f.evidence["worst"]["range_pct"] == pytest.approx(4.9)
    assert f.evidence["denominator"] == "mean" and f.evidence["window"] == "calendar"
    assert nat.detect_half_month_range(half_month_point(alternating(360, 100.0, 5.1)), CFG) == []


def test_half_month_range_needs_enough_running_hours():
    assert nat.detect_half_month_range(half_month_point(alternating(178, 100.0, 1.0)), CFG) == []
    data = half_month_point(alternating(360, 100.0, 1.0))
    o2 = data.hours[O2].values.copy()
    o2[:200] = 20.9  # stopped most of the half-month: only 160 running hours
    data.hours[O2] = series(O2, o2, start=HALF_START)
    assert nat.detect_half_month_range(data, CFG) == []


def test_half_month_range_rolling_window():
    flat = alternating(360, 100.0, 2.0)
    lively = varying(120, 100.0) * np.where(np.arange(120) % 2 == 0, 0.5, 1.5)
    data = half_month_point(np.concatenate((flat, lively)))
    rolling = DetectorSettings.from_mapping({"national": {"range_window": "rolling"}})
    f = one(nat.detect_half_month_range(data, rolling), "DET-RANGE-HALFMONTH")
    assert (f.start, f.end) == (HALF_START, HALF_START + timedelta(days=15))
    assert f.evidence["worst"]["range_pct"] == pytest.approx(2.0) and f.evidence["window"] == "rolling"
    # calendar: the first half-month is flat, the second has only 120 hours (< 180) and is not judged
    f = one(nat.detect_half_month_range(data, CFG), "DET-RANGE-HALFMONTH")
    assert (f.start, f.end) == (HALF_START, HALF_START + timedelta(days=15))


# ---------------------------------------------------------------------------------------------- 7 negative

def test_negative_values_merge_into_one_finding():
    n = 8
    v = varying(n)
    v[2:4] = [-0.5, -1.25]
    data = gas(hours={SO2: series(SO2, v), **running_params(n)})
    f = one(nat.detect_negative_values(data, CFG), "DET-NEGATIVE")
    assert (f.start, f.end, f.factors) == (at(2), at(4), (SO2,))
    assert "-1.25 mg/m³" in f.explanation and "2 hourly records" in f.explanation and "< 0" in f.explanation
    assert [r["value"] for r in f.evidence["records"]] == [-0.5, -1.25] and f.evidence["lowest"] == -1.25


def test_negative_on_zs_and_flow_but_not_while_stopped_or_zero():
    n = 8
    zs = varying(n)
    zs[5] = -2.0
    params = running_params(n)
    flow = params[FLOW].values.copy()
    flow[6] = -3.0
    params[FLOW] = series(FLOW, flow)
    data = gas(hours={SO2: series(SO2, varying(n), zs=zs), **params})
    found = nat.detect_negative_values(data, CFG)
    assert {(f.factors, f.start) for f in found} == {((SO2,), at(5)), ((FLOW,), at(6))}
    assert "折算" in next(f for f in found if f.factors == (SO2,)).explanation
    stopped = {O2: series(O2, np.full(n, 20.9)), FLOW: series(FLOW, np.zeros(n))}
    v = np.zeros(n)
    v[3] = -0.4
    assert nat.detect_negative_values(gas(hours={SO2: series(SO2, v), **stopped}), CFG) == []
    assert nat.detect_negative_values(gas(hours={SO2: series(SO2, np.zeros(n)), **running_params(n)}),
                                      CFG) == []


# ---------------------------------------------------------------------------------------------- 8 over range

def test_over_range_value_and_flag_t():
    n = 10
    v = varying(n, 150.0)
    v[3], v[4], v[7] = 250.0, 200.0, np.nan
    flags = ["N"] * n
    flags[7] = "T"
    data = gas(hours={SO2: series(SO2, v, flags=flags), **running_params(n)}, ranges={SO2: (0.0, 200.0)})
    found = nat.detect_over_range(data, CFG)
    assert [(f.start, f.end) for f in found] == [(at(3), at(4)), (at(7), at(8))]
    above, flag_t = found
    assert "0–200 mg/m³" in above.explanation and "250 mg/m³" in above.explanation
    assert above.evidence["records_above"] == 1 and above.evidence["range"] == [0.0, 200.0]
    assert "flagged T" in flag_t.explanation and flag_t.evidence["records_flag_t"] == 1


def test_over_range_not_while_stopped_and_not_without_range():
    n = 6
    v = np.full(n, 250.0) + np.arange(n)
    stopped = {O2: series(O2, np.full(n, 20.9)), FLOW: series(FLOW, np.zeros(n))}
    assert nat.detect_over_range(gas(hours={SO2: series(SO2, v), **stopped}, ranges={SO2: (0.0, 200.0)}),
                                 CFG) == []
    assert nat.detect_over_range(gas(hours={SO2: series(SO2, v), **running_params(n)}), CFG) == []
    flags = ["T"] + ["N"] * (n - 1)  # the analyser's own T flag counts even while stopped
    f = one(nat.detect_over_range(gas(hours={SO2: series(SO2, v, flags=flags), **stopped}), CFG),
            "DET-OVER-RANGE")
    assert (f.start, f.end) == (at(0), at(1))


# ---------------------------------------------------------------------------------------------- 9 stopped

def flagged_all(hours: dict[str, Series], idx: range) -> dict[str, Series]:
    """The same series with flag F on ``idx`` for every factor."""
    out = {}
    for k, s in hours.items():
        flags = np.array(["N"] * len(s), dtype=object)
        flags[list(idx)] = "F"
        out[k] = Series(k, s.times, s.values, tuple(flags))
    return out


def test_data_while_stopped_fires_when_flow_and_o2_say_running():
    n = 60
    hours = flagged_all({SO2: series(SO2, varying(n)), **running_params(n)}, range(48, 52))
    f = one(nat.detect_data_while_stopped(gas(hours=hours), CFG), "DET-STOPPED-DATA")
    assert (f.start, f.end) == (at(48), at(52))
    assert set(f.factors) == {FLOW, O2}
    assert "flag F" in f.explanation and "4 h" in f.explanation and "< 19 %" in f.explanation
    assert f.evidence["declared_by"]["flag_f_records"] == 4
    assert f.evidence["signals"][FLOW]["reference"] == pytest.approx(
        np.median(np.delete(hours[FLOW].values, range(48, 52))))  # median of the hours not declared stopped


def test_data_while_stopped_real_stop_is_quiet():
    n = 60
    params = running_params(n)
    o2, flow, temp = params[O2].values.copy(), params[FLOW].values.copy(), params[TEMP].values.copy()
    o2[48:52], flow[48:52], temp[48:52] = 20.9, 0.0, 25.0
    so2 = varying(n)
    so2[48:52] = 0.0
    hours = flagged_all({SO2: series(SO2, so2), O2: series(O2, o2), FLOW: series(FLOW, flow),
                         TEMP: series(TEMP, temp)}, range(48, 52))
    assert nat.detect_data_while_stopped(gas(hours=hours), CFG) == []
    assert nat.detect_o2_logic(gas(hours=hours), CFG) == []


def test_data_while_stopped_by_mark_for_wastewater():
    n = 48
    hours = {COD: series(COD, varying(n, 40.0)), WFLOW: series(WFLOW, varying(n, 20.0))}
    data = PointData(point="W1", medium="water", hours=hours,
                     marks=[Mark("stopped", at(40), at(44), mark_id=12),
                            Mark("stopped", at(100), at(104), mark_id=13)])
    f = one(nat.detect_data_while_stopped(data, CFG), "DET-STOPPED-DATA")
    assert (f.start, f.end, f.factors) == (at(40), at(44), (WFLOW,))
    assert "停运 mark" in f.explanation and "L/s" in f.explanation
    assert f.evidence["declared_by"]["stopped_mark_ids"] == [12]


def test_data_while_stopped_without_reference_hours_is_quiet():
    """Stopped the whole window: no normal-running reference, flow cannot tell."""
    n = 24
    hours = {COD: series(COD, varying(n, 40.0)), WFLOW: series(WFLOW, varying(n, 0.5))}
    data = PointData(point="W1", medium="water", hours=hours, marks=[Mark("stopped", at(0), at(24))])
    assert nat.detect_data_while_stopped(data, CFG) == []


# ---------------------------------------------------------------------------------------------- 10 O2 logic

def test_o2_says_stopped_while_flow_and_temperature_run():
    n = 24
    params = running_params(n)
    o2 = params[O2].values.copy()
    o2[10:13] = 20.6
    params[O2] = series(O2, o2)
    f = one(nat.detect_o2_logic(gas(hours=params), CFG), "DET-O2-SAYS-STOPPED")
    assert (f.start, f.end, f.factors) == (at(10), at(13), (O2, FLOW, TEMP))
    assert "20.6 %" in f.explanation and "≥ 19 %" in f.explanation and "3 h" in f.explanation
    assert f.evidence["o2_mean"] == pytest.approx(20.6) and f.evidence["temperature_measured"] is True


def test_o2_says_running_while_flow_zero_and_temperature_ambient():
    n = 24
    params = running_params(n)
    flow, temp = params[FLOW].values.copy(), params[TEMP].values.copy()
    flow[5:9], temp[5:9] = 0.0, 22.0
    params[FLOW], params[TEMP] = series(FLOW, flow), series(TEMP, temp)
    f = one(nat.detect_o2_logic(gas(hours=params), CFG), "DET-O2-SAYS-RUNNING")
    assert (f.start, f.end) == (at(5), at(9))
    assert "22 °C" in f.explanation and "0 m³/s" in f.explanation
    assert f.evidence["flow_mean"] == 0.0


def test_o2_logic_boundaries():
    n = 24
    params = running_params(n)
    o2 = params[O2].values.copy()
    o2[10] = 20.6  # one hour only: a transition
    o2[15:18] = 18.9  # just below the stop threshold
    params[O2] = series(O2, o2)
    assert nat.detect_o2_logic(gas(hours=params), CFG) == []
    o2[15:18] = 19.0  # at the threshold: says stopped
    params[O2] = series(O2, o2)
    assert one(nat.detect_o2_logic(gas(hours=params), CFG), "DET-O2-SAYS-STOPPED").start == at(15)
    marks = [Mark("startup_shutdown", at(14), at(18))]
    assert nat.detect_o2_logic(gas(hours=params, marks=marks), CFG) == []
    water = PointData(point="W1", medium="water", hours=params)
    assert nat.detect_o2_logic(water, CFG) == []


def test_o2_logic_flue_temperature_decides():
    """O2 high and flow on, but the flue is cold: not the O2-says-stopped pattern."""
    n = 24
    params = running_params(n)
    o2, temp = params[O2].values.copy(), params[TEMP].values.copy()
    o2[10:13], temp[10:13] = 20.6, 30.0
    params[O2], params[TEMP] = series(O2, o2), series(TEMP, temp)
    assert nat.detect_o2_logic(gas(hours=params), CFG) == []


# ---------------------------------------------------------------------------------------------- 11 zero

def test_zero_while_running():
    n = 12
    v = varying(n)
    v[4:6] = 0.0
    data = gas(hours={SO2: series(SO2, v), **running_params(n)})
    f = one(nat.detect_zero_while_running(data, CFG), "DET-ZERO-RUNNING")
    assert (f.start, f.end, f.factors) == (at(4), at(6), (SO2,))
    assert "exactly 0 mg/m³" in f.explanation and "2 h" in f.explanation and "O2 averaged" in f.explanation
    assert f.evidence["context"]["flow"]["factor"] == FLOW and len(f.evidence["records"]) == 2


def test_zero_boundaries_and_real_stop():
    n = 12
    v = varying(n)
    v[4:6] = 0.001
    running = running_params(n)
    assert nat.detect_zero_while_running(gas(hours={SO2: series(SO2, v), **running}), CFG) == []
    eps = DetectorSettings.from_mapping({"national": {"zero_epsilon": 0.01}})
    f = one(nat.detect_zero_while_running(gas(hours={SO2: series(SO2, v), **running}), eps),
            "DET-ZERO-RUNNING")
    assert "≤ 0.01" in f.explanation
    zeros = np.zeros(n)
    stopped = {O2: series(O2, np.full(n, 20.9)), FLOW: series(FLOW, np.zeros(n))}
    assert nat.detect_zero_while_running(gas(hours={SO2: series(SO2, zeros), **stopped}), CFG) == []
    # without flow/O2 production is unknown: nothing can be said
    assert nat.detect_zero_while_running(gas(hours={SO2: series(SO2, zeros)}), CFG) == []
    longer = DetectorSettings.from_mapping({"national": {"zero_min_hours": 3}})
    v[4:6] = 0.0
    assert nat.detect_zero_while_running(gas(hours={SO2: series(SO2, v), **running}), longer) == []


def test_zero_while_running_wastewater():
    n = 12
    cod = varying(n, 40.0)
    cod[2:5] = 0.0
    data = PointData(point="W1", medium="water",
                     hours={COD: series(COD, cod), WFLOW: series(WFLOW, varying(n, 20.0))})
    f = one(nat.detect_zero_while_running(data, CFG), "DET-ZERO-RUNNING")
    assert (f.start, f.end) == (at(2), at(5)) and "mg/L" in f.explanation and "O2" not in f.explanation
