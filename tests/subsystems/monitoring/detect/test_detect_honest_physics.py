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
