"""The sixth round's fast paths of ``ecosentry detect`` (issue 13 item 3) against their definitions.

* the rank structure's running sums kept over each level's zero branch only: the same extended-precision
  numbers, bit for bit, as the running sums over the whole level with 0 for the ones (the definition of the
  fifth round, rebuilt here);
* the data-while-stopped rule without a minute declared stopped: the same share, flags and means as the
  whole computation; the F flags by position against the aligned object flags;
* the zone offsets by UTC hour, kept for the process: those of ``zoneinfo`` at every instant, across the
  changes of summer time, on dense and sparse instants.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import national, patterns
from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows

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


def _whole_level_sums(x: np.ndarray, centers: np.ndarray) -> list[np.ndarray]:
    """The fifth round's sums: per level, ``cumsum(where(bit is 0, x - center, 0))`` over the level's order."""
    order = np.argsort(x, kind="stable")
    srt = x[order]
    new = np.ones(len(x), dtype=bool)
    new[1:] = srt.view(np.int64)[1:] != srt.view(np.int64)[:-1]
    sym = np.empty(len(x), dtype=np.int64)
    sym[order] = np.cumsum(new) - 1
    levels = max(int(new.sum()).bit_length(), 1)
    shifted = x.astype(np.longdouble) - centers.astype(np.longdouble)
    out, cur = [], sym
    for lev in range(levels):
        is_zero = ((cur >> (levels - 1 - lev)) & 1) == 0
        sums = np.zeros(len(x) + 1, dtype=np.longdouble)
        np.cumsum(np.where(is_zero, shifted, 0.0), out=sums[1:])
        out.append(sums)
        perm = np.concatenate((np.flatnonzero(is_zero), np.flatnonzero(~is_zero)))
        cur, shifted = cur[perm], shifted[perm]
    return out


@pytest.mark.parametrize("kind", ["normal", "ties", "zeros-and-bursts", "one", "two-series", "wide-scales"])
def test_zero_branch_sums_are_the_whole_level_sums_bit_for_bit(kind):
    rng = np.random.default_rng(len(kind))
    if kind == "normal":
        x = rng.normal(50.0, 3.0, 3000)
    elif kind == "ties":
        x = rng.integers(0, 9, 3000).astype(float) / 4.0
    elif kind == "zeros-and-bursts":
        x = np.zeros(3000)
        x[rng.integers(0, 3000, 200)] = rng.uniform(1, 100, 200)
    elif kind == "one":
        x = np.array([7.25])
    elif kind == "two-series":
        x = np.r_[rng.normal(400.0, 1.0, 1500).round(2), rng.normal(0.5, 0.01, 1500).round(4)]
    else:
        x = rng.normal(size=3000) * 10.0 ** rng.uniform(-3, 4, 3000)
    centers = (np.repeat([float(np.median(x[:1500])), float(np.median(x[1500:]))], [min(1500, len(x)), max(len(x) - 1500, 0)])
               if kind == "two-series" else np.full(len(x), float(np.median(x))))
    rw = RankWindows(x, centers)
    want = _whole_level_sums(x, centers)
    assert len(rw.zero_sums) == len(want) == rw.levels
    for lev, (sums, whole) in enumerate(zip(rw.zero_sums, want)):
        # the running sum before position i is the one of the first zeros[i] values of the zero branch
        got = sums[rw.zeros[lev]]
        assert np.array_equal(got, whole) or np.array_equal(got, whole + 0.0)  # (a sum of nothing: +0.0 either way)
        assert len(sums) == int(rw.nz[lev]) + 1
    # and count_below's sums are those numbers
    n = len(x)
    a = rng.integers(0, n, 400)
    b = np.minimum(n, a + rng.integers(1, n + 1, 400))
    v = x[rng.integers(0, n, 400)]
    count, total = rw.count_below(a, b, v)
    assert np.array_equal(count, [int((x[i:j] < t).sum()) for i, j, t in zip(a, b, v)])
    ref = [float(np.sum(x[i:j][x[i:j] < t].astype(np.longdouble) - centers[i:j][x[i:j] < t])) for i, j, t in zip(a, b, v)]
    np.testing.assert_allclose(total.astype(np.float64), ref, rtol=1e-12, atol=1e-12 * max(np.abs(x).max(), 1.0))


def _minutes(n=600, flags=None, shift_s=0):
    t = T0 + (np.arange(n, dtype=np.int64) * 60 + shift_s).astype("timedelta64[s]")
    rng = np.random.default_rng(n + shift_s)
    out = {}
    for factor, level in (("a00000", 120.0), ("a19001", 8.0), ("a21026", 35.0)):
        f = tuple(flags) if flags is not None and factor == "a21026" else ()
        out[factor] = Series(factor, t, rng.normal(level, 1.0, n), f)
    return out


def _full_declared_minutes(data, grid, step, factors):
    """_declared_minutes with its early answer turned off (every factor aligned and averaged)."""
    minutes = [s for s in data.minutes.values() if len(s)]
    mt = national._minute_clock(minutes)
    declared = national._mark_mask(data.marks, ("stopped",), mt, 60, whole=True)
    for s in minutes:
        if s.flags:
            _, flags = _aligned(s, mt)
            declared |= flags == "F"
    k = np.searchsorted(grid, mt, side="right") - 1
    inside = (k >= 0) & (national._secs(mt) < national._secs(grid[np.clip(k, 0, None)]) + step)
    k = np.where(inside, k, -1)
    pick = inside & declared
    total = np.bincount(k[inside], minlength=len(grid)).astype(float)
    n_decl = np.bincount(k[pick], minlength=len(grid)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, n_decl / total, 0.0)
    means = {}
    for factor in factors:
        s = data.minutes.get(factor)
        if s is None or not len(s):
            continue
        v, f = _aligned(s, mt)
        use = pick & np.isfinite(v) & np.isin(f, ("N", "S", "F"))  # usable: a value flagged N, S or F
        cnt = np.bincount(k[use], minlength=len(grid)).astype(float)
        tot = np.bincount(k[use], weights=v[use], minlength=len(grid))
        with np.errstate(invalid="ignore", divide="ignore"):
            means[factor] = np.where(cnt > 0, tot / cnt, np.nan)
    return share, n_decl > 0, means


@pytest.mark.parametrize("case", ["none", "flags-N-S", "one-F", "mark", "mark-outside", "factor-missing"])
def test_declared_minutes_early_answer_is_the_whole_computation(case):
    flags = None
    marks = []
    if case == "flags-N-S":
        flags = ["N"] * 300 + ["S"] * 300
    elif case == "one-F":
        flags = ["N"] * 250 + ["F"] + ["N"] * 349
    data = PointData(point="P1", medium="gas", tz="Asia/Shanghai", minutes=_minutes(flags=flags))
    if case in ("mark", "mark-outside"):
        start = datetime(2026, 10, 1, 2 if case == "mark" else 20, 0, tzinfo=timezone.utc)
        marks = [Mark("stopped", start, start.replace(hour=start.hour + 1))]
        data.marks = marks
    grid = T0 + (np.arange(10, dtype=np.int64) * 3600).astype("timedelta64[s]")
    factors = ["a00000", "a19001", "a21026"] + (["a34013"] if case == "factor-missing" else [])
    got = national._declared_minutes(data, grid, 3600, factors)
    want = _full_declared_minutes(data, grid, 3600, factors)
    assert np.array_equal(got[0], want[0]) and got[0].dtype == want[0].dtype
    assert np.array_equal(got[1], want[1])
    assert got[2].keys() == want[2].keys()
    for f in want[2]:
        assert np.array_equal(got[2][f], want[2][f], equal_nan=True)
    if case in ("one-F", "mark"):
        assert got[1].any()  # the early answer is not taken when a minute is declared


@pytest.mark.parametrize("shift_s", [0, 30, -3600, 7200])
def test_flags_found_by_position_are_the_aligned_flags(shift_s):
    rng = np.random.default_rng(shift_s + 5000)
    flags = list(rng.choice(["N", "F", "S", "M", None], size=400))
    s = Series("a21026", T0 + (np.arange(400, dtype=np.int64) * 60).astype("timedelta64[s]"), rng.normal(size=400),
               tuple(flags))
    times = T0 + (np.arange(500, dtype=np.int64) * 60 + shift_s).astype("timedelta64[s]")
    times = np.delete(times, rng.integers(0, 500, 40))
    for flag in ("F", "S", "N"):
        _, aligned = _aligned(s, times)
        assert np.array_equal(national._flagged_at(s, times, flag), aligned == flag)
    assert not national._flagged_at(s, times[:0], "F").size


def _zone_offsets(times, tz):
    zone = ZoneInfo(tz)
    return np.array([int(datetime.fromtimestamp(int(t), tz=zone).utcoffset().total_seconds())
                     for t in times.astype("datetime64[s]").astype(np.int64)], dtype=np.int64)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "UTC"])
@pytest.mark.parametrize("layout", ["minutes-over-a-change", "sparse-years", "one", "unsorted"])
def test_zone_offsets_by_hour_are_zoneinfos(tz, layout):
    patterns._HOUR_OFFSETS.clear()
    rng = np.random.default_rng(len(tz) + len(layout))
    if layout == "minutes-over-a-change":  # 2026-03-29 (Europe) and 2026-10-25 changes inside the span
        start = np.datetime64("2026-03-27T00:00:00", "s") if tz != "America/Sao_Paulo" else np.datetime64("2026-10-30", "s")
        times = start + (np.arange(8000, dtype=np.int64) * 60).astype("timedelta64[s]")
    elif layout == "sparse-years":  # the table would be too long: the distinct hours
        times = np.sort(np.datetime64("2020-01-01", "s") + rng.integers(0, 6 * 365 * 86400, 50).astype("timedelta64[s]"))
    elif layout == "one":
        times = np.array([np.datetime64("2026-10-25T01:30:00", "s")])
    else:
        times = np.datetime64("2026-10-20", "s") + rng.integers(0, 14 * 86400, 3000).astype("timedelta64[s]")
    want = _zone_offsets(times, tz)
    assert np.array_equal(patterns._local_offsets(times, tz), want)
    assert np.array_equal(patterns._local_offsets(times, tz), want)  # from the kept offsets
    assert patterns._local_offsets(times[:0], tz).shape == (0,)


def _fsum_means(x, ok, bounds):
    """The per-hour rule's means, hour by hour (``math.fsum``)."""
    import math

    sel = x[ok].tolist()
    cum = np.r_[0, np.cumsum(ok)][bounds].tolist()
    out = np.full(len(bounds) - 1, np.nan)
    for k in range(len(bounds) - 1):
        a, b = cum[k], cum[k + 1]
        if b > a:
            out[k] = math.fsum(sel[a:b]) / (b - a)
    return out


@pytest.mark.parametrize("kind", ["decimals", "scales", "cancel", "huge-and-small", "dyadic", "zeros", "ties"])
def test_exact_sums_are_fsum_bit_for_bit(kind):
    import math

    from ecosentry.subsystems.monitoring.detect.csvinput import _exact_sums, _segment_means

    rng = np.random.default_rng(len(kind) * 7)
    for _ in range(20):
        count = rng.integers(1, 61, 90)
        starts = np.r_[0, np.cumsum(count)[:-1]]
        n = int(count.sum())
        if kind == "decimals":
            x = np.round(rng.normal(35.0, 3.0, n), 2)
        elif kind == "scales":
            x = rng.normal(size=n) * 10.0 ** rng.integers(-20, 20, n)
        elif kind == "cancel":
            x = np.round(rng.normal(0.0, 1.0, n), 1)
        elif kind == "huge-and-small":
            x = rng.choice([1e16, 1.0, -1e16, 0.5, 3.0, 2.0 ** -1074], n)
        elif kind == "dyadic":
            x = rng.integers(0, 2 ** 53, n) * 2.0 ** rng.integers(-60, 10, n)
        elif kind == "zeros":
            x = rng.choice([0.0, -0.0], n)
        else:  # sums half-way between two doubles: 2**53 + 1 needs the tie rule
            x = rng.choice([2.0 ** 53, 1.0, -1.0, 0.5], n)
        got = _exact_sums(x, starts, count)
        want = np.array([math.fsum(x[a : a + c].tolist()) for a, c in zip(starts, count)])
        assert np.array_equal(got.view(np.int64), want.view(np.int64))
        ok = rng.random(n) > 0.2
        bounds = np.r_[0, np.cumsum(count)]
        [got_means] = _segment_means([(x, ok)], bounds)
        assert np.array_equal(got_means.view(np.int64), _fsum_means(x, ok, bounds).view(np.int64))


def test_exact_sums_near_the_largest_double_keep_fsums_overflow():
    import math

    from ecosentry.subsystems.monitoring.detect.csvinput import _exact_sums

    x = np.array([1e308, 1e308, -1e308])
    with pytest.raises(OverflowError):
        math.fsum(x.tolist())
    with pytest.raises(OverflowError):
        _exact_sums(x, np.array([0]), np.array([3]))
    assert _exact_sums(np.array([1e308, -1e308, 2.0]), np.array([0]), np.array([3]))[0] == 2.0


@pytest.mark.parametrize("layout", ["in-order", "repeats", "shuffled", "one-record", "mixed"])
def test_extent_without_a_sort_is_the_sorted_count(layout):
    """The input's window and step (``_extent_columns``): a series in order without repeats counts its
    records as its distinct times; the others are sorted as before (the same step)."""
    from ecosentry.subsystems.monitoring.detect import csvinput

    zone = ZoneInfo("Asia/Shanghai")
    rng = np.random.default_rng(len(layout))

    def cs(point, factor, local_us):
        local_us = np.asarray(local_us, dtype=np.int64)
        n = len(local_us)
        return csvinput.ColumnSeries(point, factor, zone, local_us - 8 * 3600 * 1_000_000, local_us, np.ones(n),
                                     ["N"], np.zeros(n, dtype=np.int64), np.full(n, np.nan))

    base = 1_790_000_000 * 1_000_000 + np.arange(300, dtype=np.int64) * 60_000_000
    if layout == "in-order":
        raw = {"P1": {"a": cs("P1", "a", base), "b": cs("P1", "b", base[:200] + 30_000_000)}}
    elif layout == "repeats":
        raw = {"P1": {"a": cs("P1", "a", np.sort(np.r_[base, base[:50]]))}}
    elif layout == "shuffled":
        raw = {"P1": {"a": cs("P1", "a", rng.permutation(base))}}
    elif layout == "one-record":
        raw = {"P1": {"a": cs("P1", "a", base[:1])}, "P2": {"a": cs("P2", "a", base[:7] * 2)}}
    else:
        raw = {"P1": {"a": cs("P1", "a", base), "b": cs("P1", "b", rng.permutation(base[::3]))},
               "P2": {"a": cs("P2", "a", np.r_[base[:100], base[99:150]])}}

    def sorted_extent(raw):
        steps, lo_all, hi_all = [], [], []
        for by_factor in raw.values():
            for r in by_factor.values():
                lo, hi = int(r.local_us.min()), int(r.local_us.max())
                lo_all.append(lo)
                hi_all.append(hi)
                if len(r) > 1:
                    ordered = np.sort(r.local_us)
                    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
                    steps.append(((hi - lo) / 1_000_000) / (distinct - 1 or 1))
        step = float(np.median(steps)) if steps else csvinput.HOURLY_STEP_MIN_S
        return min(lo_all), max(hi_all), (csvinput.HOURLY_STEP_MIN_S if step >= csvinput.HOURLY_STEP_MIN_S
                                          else max(step, 1.0))

    first, last, step = csvinput._extent_columns(raw)
    lo, hi, want_step = sorted_extent(raw)
    assert step == want_step
    epoch = datetime(1970, 1, 1)
    assert first.replace(tzinfo=None) == epoch + timedelta(microseconds=lo)
    assert last.replace(tzinfo=None) == epoch + timedelta(microseconds=hi)


@pytest.mark.parametrize("seed", range(30))
def test_exact_sums_of_hourly_readings_are_fsum_bit_for_bit(seed):
    """Readings as analysers report them (a few decimals around a level, from 10⁻⁶ to 10⁹): mostly the exact
    path (the small parts add exactly, ties rounded to even as fsum rounds them); a stray tiny or huge value
    in a segment sends it through the bound or to fsum."""
    import math

    from ecosentry.subsystems.monitoring.detect.csvinput import _exact_sums

    rng = np.random.default_rng([seed, 212])
    count = rng.integers(1, [61, 61, 3601][seed % 3], int(rng.integers(1, 80)))
    starts = np.r_[0, np.cumsum(count)[:-1]]
    n = int(count.sum())
    level = 10.0 ** rng.uniform(-6, 9)
    x = np.round(rng.normal(level, level * rng.uniform(0, 0.3), n), int(rng.integers(0, 7)))
    if seed % 2:
        stray = rng.random(n) < 0.01
        x[stray] = rng.choice([1e-300, 5e-324, -1e-30, 1e300, 0.0, -0.0, 2.0 ** 60], int(stray.sum()))
    got = _exact_sums(x, starts, count)
    want = np.array([math.fsum(x[a : a + c].tolist()) for a, c in zip(starts, count)])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    # the values of one segment one float64 step apart from ties: 2^53 + 1 over two segments
    tie = np.array([2.0 ** 53, 1.0, 2.0 ** 53, 1.0, 2.0 ** -20, 3.0, 2.0 ** 52, 0.5])
    got = _exact_sums(tie, np.array([0, 2, 5]), np.array([2, 3, 3]))
    assert got.tolist() == [math.fsum(tie[0:2]), math.fsum(tie[2:5]), math.fsum(tie[5:8])]


def test_exact_sums_of_non_finite_values_are_fsums():
    import math

    from ecosentry.subsystems.monitoring.detect.csvinput import _exact_sums

    x = np.array([1.0, np.inf, 2.0, np.nan, 3.0, 4.0])
    got = _exact_sums(x, np.array([0, 2, 4]), np.array([2, 2, 2]))
    assert got[0] == math.inf and math.isnan(got[1]) and got[2] == 7.0
    with pytest.raises(ValueError):
        _exact_sums(np.array([np.inf, -np.inf]), np.array([0]), np.array([2]))
    assert _exact_sums(np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).shape == (0,)
    zeros = _exact_sums(np.array([-0.0, -0.0]), np.array([0]), np.array([2]))[0]  # fsum's sign of zero
    assert math.copysign(1.0, zeros) == math.copysign(1.0, math.fsum([-0.0, -0.0]))


def test_segment_means_of_several_series_at_once_are_each_series_fsum_means():
    """The hourly means of a point's series summed together: each series' own (every record, none, some)."""
    from ecosentry.subsystems.monitoring.detect.csvinput import _segment_means

    rng = np.random.default_rng(61)
    for _ in range(20):
        bounds = np.r_[0, np.cumsum(rng.integers(1, 61, int(rng.integers(1, 30))))]
        n = int(bounds[-1])
        series = []
        for kind in rng.choice(["all", "none", "some", "sparse"], int(rng.integers(1, 6))):
            x = np.round(rng.normal(10.0 ** rng.uniform(-3, 4), 3.0, n), int(rng.integers(0, 4)))
            ok = {"all": np.ones(n, bool), "none": np.zeros(n, bool), "some": rng.random(n) > 0.3,
                  "sparse": rng.random(n) > 0.97}[kind]
            series.append((x, ok))
        for (x, ok), got in zip(series, _segment_means(series, bounds)):
            assert np.array_equal(got.view(np.int64), _fsum_means(x, ok, bounds).view(np.int64))
    assert _segment_means([], np.array([0, 3])) == []
