"""The seventh round's fast paths of ``ecosentry detect`` (issue 13 item 3) against their definitions.

* the copy test's windows (``DET-CLONE-MINUTE``): counts in whole numbers, the changes' moments only when the
  levels or the rounding can make a window count, each channel's clipped changes taken once: the same
  episodes and numbers, bit for bit, as every moment of every window computed (the definition, rebuilt here);
* a clock's hours found where it steps: those of ``numpy.unique``;
* the hourly values and native series of a series read in order without repeats (no sort, no pick) and of one
  whose records are all ``N`` (no flag counts): those of the per-hour rule and of the row-by-row series, across
  the changes of summer time;
* flags tested once per distinct flag (coded by the reader or found once): the per-record comparisons of the
  object array of flags; values and usable flags aligned on a series' own clock without a search;
* the reported resolution tried on a sample of the values first: the decimals every value is whole at;
* the last-digit rule's conditions in another order, and the clone test's changes only on days whose levels
  pass: the same findings (the honest and injected sets, compared in the round's report);
* the medians of sorted segments taken in place (zeros in the middle left to ``numpy.median``), runs and
  stretches found without ``numpy.r_``, the selective-gap rule's early answer (too few silent slots): the
  definitions;
* the narrow-spread rule without a window that can be narrow and the step-then-flat rule without a level
  left far enough (early answers before any load model or spread): the findings of the whole computation;
* the clone test's daily correlations of every pair of channels in one pass of weighted counts: each pair's
  own, bit for bit;
* windows of a series as numpy's sliding-window view (without its argument handling);
* measurements of held channels broken at silences without ``numpy.insert``: its arrays;
* local days and hours taken in whole seconds: those of the calendar units, across zones and summer time;
* clocks compared as whole seconds: ``numpy.array_equal`` of them (NaT unequal to itself);
* hours taken in whole seconds: those of the calendar units, before 1970 and with NaT;
* the constant-value rule's early answer (too few small changes in a row for any run to last): the runs the
  whole computation finds, none.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import csvinput, national, patterns, signs
from ecosentry.subsystems.monitoring.detect.model import (
    Series,
    hour_floor,
    remember_normal_flags,
    resolution_decimals,
    resolution_step,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

T0 = np.datetime64("2026-10-01T00:00:00", "s")


def _aligned(s, times):
    """Values and object flags of ``s`` at exactly ``times`` (``NaN`` / ``""`` where ``s`` has no record): the
    definition the aligned values, usable flags and flagged records of ``national`` are checked against."""
    values = np.full(len(times), np.nan)
    flags = np.full(len(times), "", dtype=object)
    if s is None or not len(s) or not len(times):
        return values, flags
    idx = np.clip(np.searchsorted(s.times, times), 0, len(s) - 1)
    hit = s.times[idx] == times
    values[hit] = s.values[idx[hit]]
    flags[hit] = s.flag_array()[idx[hit]]
    return values, flags


def _plain_windowed(v, w, at):
    c = np.concatenate(([0.0], np.cumsum(np.nan_to_num(v, nan=0.0))))
    return c[at + w] - c[at]


def _plain_moments(a, b, m, w, at):
    a = np.where(m, a, 0.0)
    b = np.where(m, b, 0.0)
    n = _plain_windowed(m.astype(np.float64), w, at)
    sa, sb = _plain_windowed(a, w, at), _plain_windowed(b, w, at)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = sa / n, sb / n
        va = np.maximum(_plain_windowed(a * a, w, at) / n - ma * ma, 0.0)
        vb = np.maximum(_plain_windowed(b * b, w, at) / n - mb * mb, 0.0)
        cov = _plain_windowed(a * b, w, at) / n - ma * mb
    return n, va, vb, cov


def _plain_copies(x, y, step, p, every, res, window=None, stride=None):
    """The copy test's windows as defined: every moment of every judged window."""
    n = len(x)
    w = window or max(int(p.copy_window_min * 60 // step), 4, int(np.ceil((p.copy_min_changes + 1) * every)))
    if w >= n:
        return []
    dx, dy = np.diff(x), np.diff(y)
    lx, ly = x[1:], y[1:]
    m = np.isfinite(dx) & np.isfinite(dy) & np.isfinite(lx) & np.isfinite(ly)
    k = np.arange(0, n - w, stride or max(w // 16, 1))
    cnt, va, vb, cov_d = _plain_moments(signs._clipped(dx), signs._clipped(dy), m, w, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_d = cov_d / np.sqrt(va * vb)
    r_d[~((va > 1e-12) & (vb > 1e-12))] = np.nan
    _, vx, vy, cov = _plain_moments(lx, ly, m, w, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_l = cov / np.sqrt(vx * vy)
        r_l[~((vx > 1e-12) & (vy > 1e-12))] = np.nan
        qx, qy = res
        quant = np.full(len(cnt), np.inf)
        if np.isfinite(qx) and np.isfinite(qy):
            for v_dep, v_ind, q_dep, q_ind in ((vy, vx, qy, qx), (vx, vy, qx, qy)):
                gain = cov / v_ind
                floor2 = (q_dep ** 2 + (gain * q_ind) ** 2) / 12.0
                resid2 = np.maximum(v_dep - cov * cov / v_ind, 0.0)
                moves = v_dep >= p.copy_min_spread ** 2 * floor2
                quant = np.minimum(quant, np.where(moves, np.sqrt(resid2 / floor2), np.inf))
    moves_x = _plain_windowed((m & (dx != 0)).astype(np.float64), w, k)
    moves_y = _plain_windowed((m & (dy != 0)).astype(np.float64), w, k)
    with np.errstate(invalid="ignore"):
        together = (r_d >= p.copy_change_r_min) & (r_l >= p.copy_level_r_min)
        rounded = quant <= p.copy_rounding_ratio
        hit = ((cnt >= p.copy_min_cover * w) & (moves_x >= p.copy_min_changes)
               & (moves_y >= p.copy_min_changes) & (together | rounded))
    found = []
    for a, b in signs._episodes(k[hit], w):
        inside = (k >= a) & (k < b) & hit
        sel = k[inside]
        seg = m[a:b]
        sx, sy = dx[a:b][seg], dy[a:b][seg]
        gain = float(np.std(sx) / np.std(sy)) if np.std(sy) > 0 else float("nan")
        found.append(signs._Copy(a, b, int(len(sel)), w, float(np.nanmin(r_d[inside])),
                                 float(np.nanmedian(r_d[inside])), float(np.nanmin(r_l[inside])), gain,
                                 (float(np.median(moves_x[inside])), float(np.median(moves_y[inside]))),
                                 float(np.max(quant[inside])) if np.isfinite(quant[inside]).all() else None,
                                 int(sel[0]) + w))
    return found


def _pair(kind: str, rng: np.random.Generator, n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    load = 50 + np.cumsum(rng.normal(0, 0.3, n))
    x = np.round(load + rng.normal(0, 1.0, n), 1)
    y = np.round(0.4 * load + rng.normal(0, 0.5, n), 2)
    if kind == "copy":
        y[600:1400] = np.round(0.3 * x[600:1400] + 2.0, 2)
    elif kind == "exact-copy":
        y = x * 2.0
    elif kind == "gaps":
        y[rng.integers(0, n, 300)] = np.nan
        x[800:900] = np.nan
        y[1000:1500] = np.round(0.5 * x[1000:1500], 2)
    elif kind == "still":
        y[:] = 7.0
        y[500:700] = np.round(0.3 * x[500:700], 2)
    elif kind == "all-nan":
        y[:] = np.nan
    elif kind == "huge":
        x[100:1900] = 1e200 * x[100:1900]
        y[100:1900] = 3.0 * x[100:1900]
    elif kind == "negative-zeros":
        x[:400] = -0.0
        y[:400] = -0.0
        y[400:1200] = np.round(0.25 * x[400:1200], 2)
    return x, y


KINDS = ["honest", "copy", "exact-copy", "gaps", "still", "all-nan", "huge", "negative-zeros"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("windows", [None, (20, 1)])
def test_copy_windows_are_the_defined_ones_bit_for_bit(kind, windows):
    p = DetectorSettings().signs
    rng = np.random.default_rng(len(kind))
    x, y = _pair(kind, rng)
    res = (signs.resolution_step(x), signs.resolution_step(y))
    window, stride = windows or (None, None)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = _plain_copies(x, y, 60, p, 1.0, res, window=window, stride=stride)
        fast = signs._copies(x, y, 60, p, 1.0, res, window=window, stride=stride)
        kept = signs._ClippedChanges({"x": x, "y": y})
        given = signs._copies(x, y, 60, p, 1.0, res, window=window, stride=stride,
                              changes=lambda: (kept["x"], kept["y"]))
    assert repr(fast) == repr(expected)
    assert repr(given) == repr(expected)
    if kind in ("copy", "exact-copy", "gaps"):
        assert expected  # the cases exercise found episodes, not only the early answers


def test_copy_windows_of_short_and_empty_pairs():
    p = DetectorSettings().signs
    for n in (0, 1, 2, 5):
        x = np.arange(n, dtype=float)
        assert signs._copies(x, 2 * x, 60, p, 1.0) == _plain_copies(x, 2 * x, 60, p, 1.0, (np.nan, np.nan))


def test_clipped_changes_are_taken_once_per_channel():
    series = {"a": np.array([1.0, 2.0, 4.0, 3.0, 9.0]), "b": np.array([0.0, 0.0, 1.0, np.nan, 2.0])}
    kept = signs._ClippedChanges(series)
    first = kept["a"]
    assert kept["a"] is first
    np.testing.assert_array_equal(first, signs._clipped(np.diff(series["a"])))
    np.testing.assert_array_equal(kept["b"], signs._clipped(np.diff(series["b"])))


@pytest.mark.parametrize("layout", ["grid", "records", "unsorted", "empty", "one"])
def test_running_state_by_hour_is_that_of_the_unique_hours(layout):
    rng = np.random.default_rng(3)
    if layout == "grid":
        t = T0 + np.arange(0, 86400, 60).astype("timedelta64[s]")
    elif layout == "records":
        t = T0 + np.sort(rng.choice(86400 * 3, 500, replace=False)).astype("timedelta64[s]")
    elif layout == "unsorted":
        t = T0 + rng.choice(86400 * 3, 500, replace=False).astype("timedelta64[s]")
    elif layout == "empty":
        t = np.zeros(0, dtype="datetime64[s]")
    else:
        t = T0 + np.array([125], dtype="timedelta64[s]")
    hours = T0 + np.arange(0, 86400 * 3, 3600).astype("timedelta64[s]")
    flow = signs.Series("a00000", hours, rng.uniform(0, 10, len(hours)))
    data = signs.PointData("P", hours={"a00000": flow})
    cfg = SimpleNamespace(running_flow_min=0.5, o2_stopped_pct=19.0)
    h = t.astype("datetime64[h]").astype("datetime64[s]")
    uniq, inv = np.unique(h, return_inverse=True)
    run = signs.running_mask(data, uniq, cfg)
    np.testing.assert_array_equal(signs._running_at(data, t, cfg), run[inv.reshape(-1)])


def _same_series(a, b):
    assert a.factor == b.factor
    assert a.times.dtype == b.times.dtype and np.array_equal(a.times, b.times)
    assert a.values.tobytes() == b.values.tobytes()
    assert a.flags == b.flags
    assert (a.zs is None) == (b.zs is None)
    if a.zs is not None:
        assert a.zs.tobytes() == b.zs.tobytes()
    assert (a.valid is None) == (b.valid is None)
    if a.valid is not None:
        assert np.array_equal(a.valid, b.valid)


def _logger_series(tz: str, flags: str, rng: np.random.Generator, interval: int) -> csvinput.RawSeries:
    """Records in time order without repeats, as a logger writes them, over the autumn clock change."""
    zone = ZoneInfo(tz)
    raw = csvinput.RawSeries("P", "a21026")
    t0 = datetime(2026, 10, 24, 20, tzinfo=timezone.utc) + timedelta(minutes=int(rng.integers(0, 60)))
    for k in range(int(rng.integers(1, 900))):
        if rng.random() < 0.1:
            continue
        if flags == "N":
            flag = "N"
        elif flags == "none":
            flag = None
        else:
            flag = ["N", "N", "N", "S", "F", "D", None, " S "][int(rng.integers(0, 8))]
        value = None if rng.random() < 0.05 else float(np.round(rng.normal(30, 9), int(rng.integers(0, 4))))
        zs = None if flags == "none" or rng.random() < 0.2 else float(np.round(rng.uniform(0, 90), 2))
        raw.add((t0 + timedelta(minutes=interval * k)).astimezone(zone), value, flag, zs)
    return raw


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "America/St_Johns"])
@pytest.mark.parametrize("flags", ["N", "none", "mixed"])
@pytest.mark.parametrize("medium", ["gas", "water"])
def test_series_in_order_give_the_per_hour_rule_and_the_row_series(tz, flags, medium):
    rng = np.random.default_rng(len(tz) * 7 + len(flags) + len(medium))
    for trial in range(12):
        interval = [1, 5, 10][trial % 3]
        raw = _logger_series(tz, flags, rng, interval)
        cs = csvinput.columns_of(raw, ZoneInfo(tz))
        expected = csvinput.hourly_series(raw, medium=medium, tz=tz, interval_minutes=interval)
        _same_series(csvinput.hourly_columns(cs, medium=medium, interval_minutes=interval), expected)
        _same_series(csvinput.hourly_columns(cs, medium=medium, interval_minutes=interval, hour_stamps={}), expected)
        native = csvinput._column_series(cs)
        _same_series(native, csvinput._series(raw))
        np.testing.assert_array_equal(signs.valid_mask(native), signs.valid_mask(csvinput._series(raw)))


@pytest.mark.parametrize("tz", ["Europe/Berlin", "Australia/Lord_Howe"])
def test_hour_offsets_kept_for_the_same_hours_are_those_of_each_hour(tz):
    zone = ZoneInfo(tz)
    cache: dict = {}
    hours = np.arange(490_000, 490_000 + 24 * 400, dtype=np.int64)
    known, offset = csvinput._fold0_offsets(cache, zone, hours)
    again = csvinput._fold0_offsets(cache, zone, hours.copy())
    assert again[0] is known and again[1] is offset
    for h, k, o in zip(hours.tolist(), known.tolist(), offset.tolist()):
        each = csvinput._fold0_offset({}, zone, h)
        assert k == (each is not None) and o == (each or 0)
    assert known.all() == (tz == "Europe/Berlin")  # Lord Howe's half-hour changes split hours


def test_segment_means_of_every_record_are_fsum_means():
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(50, 20, 600), 3)
    bounds = np.array([0, 1, 60, 61, 300, 600])
    [got] = csvinput._segment_means([(x, np.ones(600, dtype=bool))], bounds)
    want = [math.fsum(x[a:b].tolist()) / (b - a) for a, b in zip(bounds[:-1], bounds[1:])]
    assert got.tolist() == want


FLAG_CHOICES = ["N", "S", "F", "T", "D", None, "", " S "]


def _flagged_series(rng: np.random.Generator, n: int, coded: bool, flags_kind: str) -> Series:
    times = T0 + (60 * np.sort(rng.choice(3 * n, n, replace=False))).astype("timedelta64[s]")
    values = rng.normal(5, 3, n)
    values[rng.random(n) < 0.1] = np.nan
    if flags_kind == "none":
        return Series("a21026", times, values)
    names = list(FLAG_CHOICES)
    codes = rng.integers(0, len(names), n)
    s = Series("a21026", times, values, tuple(names[c] for c in codes.tolist()))
    if coded:
        remember_normal_flags(s, names, codes)
    return s


def _object_flags(s: Series) -> np.ndarray:
    return np.array([f or "N" for f in s.flags], dtype=object) if s.flags else np.full(len(s), "N", dtype=object)


@pytest.mark.parametrize("coded", [True, False])
@pytest.mark.parametrize("flags_kind", ["mixed", "none"])
def test_flag_masks_are_the_per_record_comparisons(coded, flags_kind):
    rng = np.random.default_rng(11)
    s = _flagged_series(rng, 500, coded, flags_kind)
    objects = _object_flags(s)
    assert list(s.flag_array()) == list(objects)
    for flag in ("N", "S", "F", "T", " S ", "X"):
        np.testing.assert_array_equal(s.flag_mask(flag), objects == flag)
        assert s.flag_mask(flag) is s.flag_mask(flag) and not s.flag_mask(flag).flags.writeable
    np.testing.assert_array_equal(s.flag_mask(frozenset({"N", "S", "F"})), np.isin(objects, ("N", "S", "F")))
    empty = Series("a21026", T0 + np.zeros(0, dtype="timedelta64[s]"), np.zeros(0))
    assert empty.flag_mask("F").shape == (0,) and empty.flag_array().shape == (0,)


@pytest.mark.parametrize("clock", ["own", "own-copy", "other", "empty"])
def test_aligned_usable_values_and_flags_are_the_aligned_ones(clock):
    rng = np.random.default_rng(12)
    s = _flagged_series(rng, 400, True, "mixed")
    if clock == "own":
        times = s.times
    elif clock == "own-copy":
        times = s.times.copy()
    elif clock == "other":
        times = T0 + (60 * np.arange(0, 1300, 2)).astype("timedelta64[s]")
    else:
        times = s.times[:0]
    values, flags = _aligned(s, times)
    got_values, usable = national._aligned_usable(s, times)
    assert got_values.tobytes() == values.tobytes()
    np.testing.assert_array_equal(usable, np.isfinite(values) & np.isin(flags, ("N", "S", "F")))
    for flag in ("F", "T", "N"):
        np.testing.assert_array_equal(national._flagged_at(s, times, flag), flags == flag)
    assert national._aligned_usable(None, times)[1].shape == (len(times),)


def _plain_constant_runs(times, values, good, step_s, tolerance, min_seconds):
    """_constant_runs without its early answer."""
    saved = national._may_hold
    national._may_hold = lambda *a: True
    try:
        return national._constant_runs(times, values, good, step_s, tolerance, min_seconds, "minute", "measured")
    finally:
        national._may_hold = saved


@pytest.mark.parametrize("kind", ["noise", "quantised", "held", "held-with-gaps", "nan-and-negative", "short"])
@pytest.mark.parametrize("step_s", [60, 3600])
def test_constant_runs_early_answer_is_the_whole_computation(kind, step_s):
    rng = np.random.default_rng(len(kind) + step_s)
    n = 3000 if step_s == 60 else 200
    gaps = rng.choice([step_s, step_s, step_s, step_s, int(1.5 * step_s), 2 * step_s], n)
    gaps[n // 6:n // 3] = rng.choice([step_s, int(1.5 * step_s)], n // 3 - n // 6)  # no break: the run's place
    secs = np.cumsum(gaps)
    times = T0 + secs.astype("timedelta64[s]")
    values = rng.normal(20, 2, n)
    if kind == "quantised":
        values = np.round(rng.normal(0.3, 0.2, n), 1)
    elif kind in ("held", "held-with-gaps"):
        values[n // 6:n // 3] = 7.5
        if kind == "held-with-gaps":
            values[n // 4] = np.nan
    elif kind == "nan-and-negative":
        values[::3] = np.nan
        values[100:400] = -1.0
    elif kind == "short":
        values = values[:2]
        times = times[:2]
    good = rng.random(len(values)) > 0.02
    found = 0
    for tolerance in (0.0, 0.05):
        for hours in (1, 4):
            want = _plain_constant_runs(times, values, good, step_s, tolerance, hours * 3600.0)
            got = national._constant_runs(times, values, good, step_s, tolerance, hours * 3600.0, "minute",
                                          "measured")
            assert got == want
            found += len(want)
    assert found or kind not in ("held", "held-with-gaps")


def _plain_decimals(values, max_decimals=4):
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    for d in range(max_decimals + 1):
        scaled = v * 10.0 ** d
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return d
    return None


@pytest.mark.parametrize("kind", ["0", "1", "3", "4", "5", "means", "one-odd-value", "nan", "empty", "huge",
                                  "negative", "short"])
def test_resolution_on_a_sample_first_is_the_resolution(kind):
    rng = np.random.default_rng(len(kind) * 3)
    n = 5000
    if kind in ("0", "1", "3", "4", "5"):
        v = np.round(rng.normal(30, 10, n), int(kind))
    elif kind == "means":
        v = rng.normal(30, 10, n)
    elif kind == "one-odd-value":
        v = np.round(rng.normal(30, 10, n), 1)
        v[2777] = 30.123  # off the sample's stride
    elif kind == "nan":
        v = np.full(n, np.nan)
    elif kind == "empty":
        v = np.zeros(0)
    elif kind == "huge":
        v = np.round(rng.normal(0, 1e12, n), 2)
    elif kind == "negative":
        v = -np.round(rng.uniform(0, 1, n), 2)
        v[::7] = np.nan
    else:
        v = np.array([0.25, 1.5])
    for max_decimals in (2, 4):
        assert resolution_decimals(v, max_decimals) == _plain_decimals(v, max_decimals)
    s = Series("a21026", T0 + (60 * np.arange(len(v))).astype("timedelta64[s]"), v)
    assert s.resolution_decimals() == _plain_decimals(v) == s.resolution_decimals()
    want = _plain_decimals(v)
    assert repr(resolution_step(s)) == repr(resolution_step(v)) == repr(float("nan") if want is None else 10.0 ** -want)


@pytest.mark.parametrize("kind", ["normal", "ties", "zeros", "signed-zeros", "ones", "huge"])
def test_medians_of_sorted_segments_are_numpys(kind):
    rng = np.random.default_rng(len(kind) + 40)
    size = rng.integers(1, 30, 50)
    first = np.concatenate(([0], np.cumsum(size)[:-1]))
    v = rng.normal(10, 5, int(size.sum()))
    if kind == "ties":
        v = np.round(v)
    elif kind == "zeros":
        v[rng.random(len(v)) < 0.5] = 0.0
    elif kind == "signed-zeros":
        v = np.where(rng.random(len(v)) < 0.5, 0.0, -0.0)
    elif kind == "ones":
        size = np.ones(50, dtype=np.int64)
        first = np.arange(50)
        v = v[:50]
    elif kind == "huge":
        v = rng.uniform(1e307, 1.7e308, len(v))
    for a, n in zip(first.tolist(), size.tolist()):
        v[a:a + n] = np.sort(v[a:a + n])
    with np.errstate(over="ignore"):
        want = np.array([np.median(v[a:a + n]) for a, n in zip(first.tolist(), size.tolist())])
    assert signs._sorted_medians(v, first, size).tobytes() == want.tobytes()


def _plain_stretches(mask, times, max_gap_s):
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    gap = np.r_[True, np.diff(times.astype(np.int64)) > max_gap_s]
    prev = np.r_[False, m[:-1]]
    nxt = np.r_[m[1:], False]
    return list(zip(np.flatnonzero(m & (gap | ~prev)).tolist(),
                    np.flatnonzero(m & (np.r_[gap[1:], True] | ~nxt)).tolist()))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 500])
def test_stretches_are_the_runs_cut_at_gaps(n):
    rng = np.random.default_rng(n)
    times = T0 + np.cumsum(rng.choice([3600, 3600, 7200, 14400], n)).astype("timedelta64[s]")
    for share in (0.0, 0.3, 0.9, 1.0):
        mask = rng.random(n) < share
        for gap in (3600, 7200):
            assert patterns._stretches(mask, times, gap) == _plain_stretches(mask, times, gap)


def _hourly(factor: str, values: np.ndarray, start: np.datetime64 = T0) -> Series:
    return Series(factor, start + (3600 * np.arange(len(values))).astype("timedelta64[s]"),
                  np.asarray(values, dtype=float))


def _level_points(rng: np.random.Generator) -> list:
    """Gas and water points with honest, held, stepped and gappy hourly pollutants and load channels."""
    n = 24 * 8
    h = np.arange(n)
    load = 0.75 + 0.15 * np.sin(2 * np.pi * (h - 8) / 24) + rng.normal(0, 0.02, n)
    params = {"a19001": _hourly("a19001", 4.0 + 6.0 * (1.0 - load) + rng.normal(0, 0.1, n)),
              "a01011": _hourly("a01011", 14.0 * load + rng.normal(0, 0.1, n))}
    honest = np.round(40 * load * rng.lognormal(0, 0.05, n), 2)
    held = honest.copy()
    held[60:90] = 31.0 + rng.uniform(-0.02, 0.02, 30)
    stepped = honest.copy()
    stepped[100:112] = 12.0 + rng.uniform(-0.04, 0.04, 12)
    gappy = _hourly("a21002", stepped)
    keep = np.ones(n, dtype=bool)
    keep[95:99] = False
    gappy = Series("a21002", gappy.times[keep], gappy.values[keep])
    flow = _hourly("w00000", 300 * load + rng.normal(0, 3, n))
    return [
        signs.PointData("G1", hours={"a21026": _hourly("a21026", honest), "a34013": _hourly("a34013", held),
                                     "a21003": _hourly("a21003", stepped), **params}),
        signs.PointData("G2", hours={"a21002": gappy, "a21026": _hourly("a21026", np.full(n, 5.0)), **params}),
        signs.PointData("W1", medium="water", hours={"w01018": _hourly("w01018", held), "w21003": _hourly(
            "w21003", stepped), "w00000": flow}),
        signs.PointData("W2", medium="water", hours={"w01018": _hourly("w01018", honest)}),
    ]


@pytest.mark.parametrize("rule, early", [(patterns.detect_narrow_spread, "_may_be_narrow"),
                                         (patterns.detect_step_flat, "_step_jumps")])
def test_early_answers_of_level_rules_keep_the_findings(monkeypatch, rule, early):
    cfg = DetectorSettings()
    found = []
    for seed in (1, 2, 3):
        for data in _level_points(np.random.default_rng(seed)):
            found.append([f.to_json() for f in rule(data, cfg)])
    if early == "_may_be_narrow":
        monkeypatch.setattr(patterns, early, lambda *a: True)
    else:
        monkeypatch.setattr(patterns, early, lambda seg, mu, prev, k: np.full(len(mu) - k, np.inf))
    whole = []
    for seed in (1, 2, 3):
        for data in _level_points(np.random.default_rng(seed)):
            whole.append([f.to_json() for f in rule(data, cfg)])
    assert found == whole
    assert any(found) and not all(found)  # findings and quiet points both


@pytest.mark.parametrize("kind", ["minutes", "before-1970", "nat", "empty", "minute-unit"])
def test_hour_floor_is_the_hour_of_calendar_units(kind):
    rng = np.random.default_rng(7)
    t = T0 + rng.integers(-10 ** 9, 10 ** 9, 300).astype("timedelta64[s]")
    if kind == "before-1970":
        t = np.datetime64("1969-12-31T22:30:00", "s") + rng.integers(-10 ** 6, 10 ** 6, 300).astype(
            "timedelta64[s]")
    elif kind == "nat":
        t[::7] = np.datetime64("NaT")
    elif kind == "empty":
        t = t[:0]
    elif kind == "minute-unit":
        t = t.astype("datetime64[m]")
    got = hour_floor(t)
    want = t.astype("datetime64[h]").astype("datetime64[s]")
    assert got.dtype == want.dtype and got.view(np.int64).tolist() == want.view(np.int64).tolist()


def _one_pair_daily_r(x, y, day, ndays, min_n):
    """The clone test's per-day Pearson r of one pair, as defined (one pair at a time)."""
    c = np.isfinite(x) & np.isfinite(y)
    d = day[c]
    xs, ys = x[c], y[c]
    n = np.bincount(d, minlength=ndays).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(d, xs, ndays) / n
        my = np.bincount(d, ys, ndays) / n
        dx, dy = xs - mx[d], ys - my[d]
        vx = np.bincount(d, dx * dx, ndays) / n
        vy = np.bincount(d, dy * dy, ndays) / n
        cov = np.bincount(d, dx * dy, ndays) / n
        r = cov / np.sqrt(vx * vy)
        cvx = np.sqrt(vx) / np.abs(mx)
        cvy = np.sqrt(vy) / np.abs(my)
    ok = (n >= min_n) & (vx > 0) & (vy > 0)
    return r, n, cvx, cvy, ok


@pytest.mark.parametrize("channels", [2, 5, 9])
def test_daily_correlations_of_all_pairs_are_each_pairs(channels):
    rng = np.random.default_rng(channels)
    hours = 24 * 6 + 5
    day = np.repeat(np.arange(7), 24)[:hours]
    mat = rng.normal(50, 10, (channels, hours)) * rng.uniform(0.01, 100, (channels, 1))
    mat[rng.random(mat.shape) < 0.1] = np.nan
    mat[0, 30:60] = np.nan  # a channel silent for a day
    if channels > 2:
        mat[2] = 3.0 * mat[1] + 1.0  # a copy
        mat[3, :24] = 7.0  # constant for a day
    pairs = [(i, j) for i in range(channels) for j in range(i + 1, channels)]
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    together = patterns._daily_r(mat[first], mat[second], day, 7, 18)
    for k, (i, j) in enumerate(pairs):
        for got, want in zip(together, _one_pair_daily_r(mat[i], mat[j], day, 7, 18)):
            assert got[k].tobytes() == want.tobytes()


@pytest.mark.parametrize("n, w", [(10, 1), (10, 3), (10, 10), (10, 0), (1, 1), (0, 0), (50, 7)])
def test_windows_are_numpys_sliding_windows(n, w):
    x = np.arange(n, dtype=float) ** 1.5
    want = np.lib.stride_tricks.sliding_window_view(x, w)
    got = patterns._windows(x, w)
    assert got.shape == want.shape and got.strides == want.strides and not got.flags.writeable
    np.testing.assert_array_equal(got, want)
    if w:
        assert got.mean(axis=1).tobytes() == want.mean(axis=1).tobytes()
    with pytest.raises(ValueError):
        patterns._windows(x, n + 1)


@pytest.mark.parametrize("n, before", [(5, []), (5, [0]), (5, [4]), (6, [1, 3, 5]), (0, []), (3, [0, 1, 2])])
def test_breaks_are_numpys_insert(n, before):
    a = np.arange(n, dtype=float) * 1.5
    at = np.array(before, dtype=np.int64)
    assert signs._with_breaks(a, at, np.nan).tobytes() == np.insert(a, at, np.nan).tobytes()
    ints = np.arange(n, dtype=np.int64) * 7
    fill = ints[np.minimum(at, max(n - 1, 0))] if n else np.zeros(len(at), dtype=np.int64)
    got = signs._with_breaks(ints, at, fill)
    assert got.dtype == np.insert(ints, at, fill).dtype and got.tolist() == np.insert(ints, at, fill).tolist()


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "UTC"])
def test_local_clock_in_seconds_is_the_calendar_units(tz):
    rng = np.random.default_rng(len(tz))
    t = np.sort(np.datetime64("2026-03-01T00:00:00", "s") + rng.integers(0, 86400 * 300, 2000).astype(
        "timedelta64[s]"))
    early = np.datetime64("1969-12-30T00:00:00", "s") + rng.integers(0, 86400 * 3, 50).astype("timedelta64[s]")
    for times in (t, np.sort(early), t[:0]):
        local = times.astype("datetime64[s]") + patterns._local_offsets(times, tz).astype("timedelta64[s]")
        day = local.astype("datetime64[D]")
        hour = ((local - day.astype("datetime64[s]")).astype(np.int64) // 3600).astype(np.int64)
        got_day, got_hour = patterns._local_clock(times, tz)
        assert got_day.dtype == day.dtype and np.array_equal(got_day, day)
        assert got_hour.dtype == hour.dtype and np.array_equal(got_hour, hour)


@pytest.mark.parametrize("kind", ["same", "copy", "shifted", "shorter", "nat", "minutes-unit", "empty"])
def test_equal_times_is_array_equal(kind):
    a = T0 + (60 * np.arange(500)).astype("timedelta64[s]")
    b = a.copy()
    if kind == "same":
        b = a
    elif kind == "shifted":
        b = b + np.timedelta64(1, "s")
    elif kind == "shorter":
        b = b[:-1]
    elif kind == "nat":
        a = a.copy()
        a[7] = np.datetime64("NaT")
        b = a.copy()
    elif kind == "minutes-unit":
        b = b.astype("datetime64[m]")
    elif kind == "empty":
        a, b = a[:0], b[:0]
    assert national._equal_times(a, b) == np.array_equal(a, b)
