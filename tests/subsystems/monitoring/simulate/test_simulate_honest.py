"""The honest-plant set: deterministic per seed, physically consistent clean plants, labels where the data changed."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.simulate import honest
from ecosentry.subsystems.monitoring.simulate.honest import (
    CONTEXT_CLASSES,
    FRAUD_CLASSES,
    MINUTE,
    generate_honest,
    write_honest_set,
)

POINTS, DAYS = 12, 3


@pytest.fixture(scope="module")
def hs():
    return generate_honest(seed=5, points=POINTS, days=DAYS)


def _clean_twin(hs, name):
    """The same point generated without any fraud: the plants are built before any fraud is placed, from
    per-point generators, so a clean rebuild of the point is the reference."""
    i = [p.point for p in hs.points].index(name)
    p = hs.points[i]
    rng = np.random.default_rng([hs.seed, 11, i])
    n = hs.minutes
    offset = 8 * 60  # Asia/Shanghai, the set starts at local midnight
    hod = ((np.arange(n) + offset + hs.start.hour * 60) % 1440) / 60.0
    build = honest._gas_point if p.medium == "gas" else honest._water_point
    return build(rng, p.point, p.archetype, n, hod)


def test_same_seed_same_set_and_other_seed_differs(hs):
    again = generate_honest(seed=5, points=POINTS, days=DAYS)
    assert [lb.to_json() for lb in again.labels] == [lb.to_json() for lb in hs.labels]
    for p, q in zip(hs.points, again.points):
        for f in p.values:
            np.testing.assert_array_equal(p.values[f], q.values[f])
    other = generate_honest(seed=6, points=POINTS, days=DAYS)
    assert not np.array_equal(other.points[0].values["a01011"], hs.points[0].values["a01011"])


def test_written_files_are_identical_for_one_seed(tmp_path, hs):
    a = write_honest_set(hs, tmp_path / "a")
    b = write_honest_set(generate_honest(seed=5, points=POINTS, days=DAYS), tmp_path / "b")
    for role in a:
        assert a[role].read_bytes() == b[role].read_bytes(), role
    header, first = a["data"].read_text(encoding="utf-8").splitlines()[:2]
    assert header == "point,factor,time,value,flag,zs_value"
    assert first.split(",")[2] == "2026-10-04T16:00:00Z"  # local midnight in Asia/Shanghai
    doc = json.loads(a["labels"].read_text(encoding="utf-8"))
    assert set(doc["clean_points"]) == set(hs.clean_points)


def test_the_ranges_file_carries_the_method_detection_limits(tmp_path, hs):
    """Every pollutant of every point has its method detection limit in ranges.csv (as ``ecosentry detect``
    reads it), above 0, below the range and no finer than the analyser's resolution; process parameters none."""
    from ecosentry.subsystems.monitoring.detect.csvinput import read_detection_limits, read_ranges

    paths = write_honest_set(hs, tmp_path)
    assert paths["ranges"].read_text(encoding="utf-8").splitlines()[0] == "point,factor,low,high,detection_limit"
    limits, ranges = read_detection_limits(paths["ranges"]), read_ranges(paths["ranges"])
    expected = {(p.point, f): honest.DETECTION_LIMITS[f] for p in hs.points
                for f in (honest.GAS_POLLUTANTS if p.medium == "gas" else honest.WATER_POLLUTANTS)}
    assert limits == expected
    for (point, factor), dl in limits.items():
        assert 0 < dl < ranges[(point, factor)][1]
        assert 10.0 ** -honest.DECIMALS[factor] <= dl + 1e-12


def test_process_parameters_move_with_load_on_clean_gas_plants(hs):
    checked = 0
    for p in hs.points:
        if p.medium != "gas" or p.point not in hs.clean_points:
            continue
        run = p.running
        hourly = lambda x: x[: len(x) // 60 * 60].reshape(-1, 60).mean(axis=1)  # noqa: E731
        load = hourly(p.load)
        keep = hourly(run.astype(float)) == 1.0
        if np.std(load[keep]) < 0.02:  # a base-load plant: nothing to correlate with
            continue
        r = {f: np.corrcoef(load[keep], hourly(p.values[f])[keep])[0, 1]
             for f in ("a01011", "a00000", "a01012", "a01013", "a19001")}
        assert r["a01011"] > 0.95 and r["a00000"] > 0.95  # velocity, flow = V · F
        assert r["a01013"] > 0.9  # static pressure ∝ V²
        assert r["a01012"] > 0.6  # temperature, through the stack's thermal lag
        assert r["a19001"] < -0.9  # less excess air at high load
        checked += 1
    assert checked >= 1


def test_flow_is_velocity_times_area(hs):
    p = next(p for p in hs.points if p.medium == "gas")
    np.testing.assert_allclose(p.values["a00000"], p.values["a01011"] * p.duct_area, atol=0.006)


def test_a_stop_has_a_mark_flag_f_and_stopped_signals():
    hs = generate_honest(seed=5, points=24, days=DAYS)
    cycling = [p for p in hs.points if p.archetype == "cycling"]
    assert cycling
    for p in cycling:
        (factor, kind, a, b), = [m for m in p.marks if m[1] == "stopped"][:1]
        assert factor == "" and kind == "stopped"
        assert (p.flags[a:b] == "F").all() and (p.flags[:a - 60] == "N").all()
        assert (p.values["a19001"][a:b] > 20.0).all()
        assert np.nanmax(p.values["a01011"][a:b]) < 1.0
        assert np.isnan(p.zs["a21026"][a:b]).all()  # no 折算 at ambient O2


def test_labels_cover_every_change_of_the_data(hs):
    labels = {}
    for lb in hs.labels:
        labels.setdefault(lb.point, []).append(lb)
    for p in hs.points:
        twin = _clean_twin(hs, p.point)
        changed = np.zeros(hs.minutes, dtype=bool)
        for f, v in p.values.items():
            diff = ~((v == twin.values[f]) | (np.isnan(v) & np.isnan(twin.values[f])))
            changed |= diff
            if diff.any():
                idx = np.flatnonzero(diff)
                ok = np.zeros(hs.minutes, dtype=bool)
                for lb in labels.get(p.point, []):
                    if f in lb.factors or "*" in lb.factors:
                        a = int((lb.start - hs.start) / MINUTE)
                        b = int((lb.end - hs.start) / MINUTE)
                        ok[a:b] = True
                assert ok[idx].all(), (p.point, f)
        if p.point in hs.clean_points:
            assert not changed.any() and p.marks == twin.marks
    # and every fraud label changed something (data or marks)
    for lb in hs.labels:
        if lb.fault in CONTEXT_CLASSES:
            continue
        p = hs.point(lb.point)
        twin = _clean_twin(hs, lb.point)
        a = int((lb.start - hs.start) / MINUTE)
        b = int((lb.end - hs.start) / MINUTE)
        moved = any(not np.array_equal(p.values[f][a:b], twin.values[f][a:b], equal_nan=True) for f in p.values)
        assert moved or len(p.marks) > len(twin.marks), lb.fault


def test_fraud_windows_avoid_the_first_day_and_stops(hs):
    for lb in hs.labels:
        assert lb.start >= hs.start + timedelta(days=1)
        assert lb.end <= hs.end
        p = hs.point(lb.point)
        a = int((lb.start - hs.start) / MINUTE)
        b = int((lb.end - hs.start) / MINUTE)
        assert p.running[a:b].all()


def test_every_fraud_class_appears_and_clean_points_have_no_label():
    hs = generate_honest(seed=2, points=40, days=5)
    faults = {lb.fault for lb in hs.labels}
    assert set(FRAUD_CLASSES) <= faults
    assert not {lb.point for lb in hs.labels} & set(hs.clean_points)
    assert 15 <= len(hs.clean_points) <= 20
    media = {p.medium for p in hs.points if p.point in hs.clean_points}
    assert media == {"gas", "water"}


def test_capped_peaks_never_exceed_the_cap():
    hs = generate_honest(seed=3, points=40, days=5)
    for lb in (lb for lb in hs.labels if lb.fault == "capped_peaks"):
        p = hs.point(lb.point)
        f = lb.factors[0]
        a = int((lb.start - hs.start) / MINUTE)
        b = int((lb.end - hs.start) / MINUTE)
        judged = p.zs[f][a:b] if f in p.zs else p.values[f][a:b]
        assert np.nanmax(judged) <= lb.detail["cap"] * 1.01  # within the analyser's rounding
        assert lb.detail["capped_share"] > 0


def test_too_small_sets_are_refused():
    with pytest.raises(ValueError):
        generate_honest(points=4)
    with pytest.raises(ValueError):
        generate_honest(days=2)
