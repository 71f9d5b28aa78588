"""The fast paths of ``ecosentry detect`` (issue 13 item 3) against their exact definitions.

Per-series values computed once and kept (the median spacing, the median of the values), and the 32-bit
positions of the rank structure, must give exactly what the definitions give, on NaNs, short series and ties.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect.model import Series
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows

T0 = np.datetime64("2026-10-01T00:00:00", "s")


def series(values, step_s=60, gaps=()) -> Series:
    offsets = np.arange(len(values), dtype=np.int64) * step_s
    for at, extra in gaps:
        offsets[at:] += extra
    return Series("a34013", T0 + offsets.astype("timedelta64[s]"), np.asarray(values, dtype=np.float64))


@pytest.mark.parametrize("values", [[], [1.0], [np.nan, np.nan], [np.nan, 2.0, 1.0, np.nan, 5.0], [3.0, 3.0, 3.0, 1.0],
                                    list(np.random.default_rng(3).normal(size=101))])
def test_finite_median_is_nanmedian_every_time(values):
    s = series(values)
    x = np.asarray(values, dtype=np.float64)
    want = np.nanmedian(x) if np.isfinite(x).any() else np.nan
    for _ in range(2):  # the first call computes it, the second reads it back
        got = s.finite_median()
        assert (np.isnan(got) and np.isnan(want)) or got == want


@pytest.mark.parametrize("n, step_s, gaps", [(0, 60, ()), (1, 60, ()), (2, 3600, ()), (50, 60, ((10, 600), (30, 7))),
                                             (4, 60, ((1, 60), (2, 60)))])
def test_step_seconds_is_the_median_spacing_every_time(n, step_s, gaps):
    s = series(np.ones(n), step_s, gaps)
    want = 0.0 if n < 2 else float(np.median(np.diff(s.times).astype("timedelta64[s]").astype(np.int64)))
    assert s.step_seconds() == want
    assert s.step_seconds() == want


def test_rank_structure_positions_are_32_bit_and_select_is_the_partition():
    rng = np.random.default_rng(5)
    x = np.round(rng.normal(size=3000), 1)  # many ties
    rw = RankWindows(x)
    assert rw.zeros.dtype == np.int32 and rw.nz.dtype == np.int32
    a = rng.integers(0, 2999, size=400)
    b = np.minimum(3000, a + rng.integers(1, 800, size=400))
    k = (rng.random(400) * (b - a)).astype(np.int64)
    got = rw.select(a, b, k)
    want = np.array([np.partition(x[i:j], q)[q] for i, j, q in zip(a, b, k)])
    assert np.array_equal(got, want)
    v = rng.normal(size=400)
    count, total = rw.count_below(a, b, v)
    assert np.array_equal(count, [int((x[i:j] < t).sum()) for i, j, t in zip(a, b, v)])
    center = float(rw.centers[0])
    assert np.allclose(total.astype(np.float64), [float((x[i:j][x[i:j] < t] - center).sum()) for i, j, t in zip(a, b, v)],
                       rtol=1e-12, atol=1e-9)


def _unique_clock(minutes):
    return np.unique(np.concatenate([s.times for s in minutes]))


@pytest.mark.parametrize("layout", ["shared", "shared-copies", "one", "shifted", "gap", "longer"])
def test_minute_clock_is_the_unique_of_all_times(layout):
    from ecosentry.subsystems.monitoring.detect.national import _minute_clock

    base = series(np.arange(30.0), gaps=((12, 300),))
    if layout == "shared":
        minutes = [base, Series("a19001", base.times, np.ones(30))]
    elif layout == "shared-copies":
        minutes = [base, Series("a19001", base.times.copy(), np.ones(30)), Series("a01012", base.times.copy(), np.ones(30))]
    elif layout == "one":
        minutes = [base]
    elif layout == "shifted":
        minutes = [base, Series("a19001", base.times + np.timedelta64(30, "s"), np.ones(30))]
    elif layout == "gap":
        minutes = [base, Series("a19001", np.delete(base.times, [3, 4]), np.ones(28))]
    else:
        minutes = [base, series(np.ones(40))]
    got = _minute_clock(minutes)
    assert got.dtype == _unique_clock(minutes).dtype
    assert np.array_equal(got, _unique_clock(minutes))


@pytest.mark.parametrize("distinct", [1, 2, 4, 7, 8, 16, 33])
def test_rank_structure_over_distinct_values_on_ties_and_signed_zeros(distinct):
    """Symbols are the ranks of the distinct values: ``select`` returns the very bits of the k-th smallest
    (``-0.0`` and ``0.0`` kept apart), ``count_below`` counts every value below ``v``, also ``v`` above the
    largest with a power-of-two number of distinct values."""
    rng = np.random.default_rng(distinct)
    levels = np.r_[-0.0, 0.0, np.arange(1, distinct + 1) / 4.0][:distinct]
    x = rng.choice(levels, size=257)
    rw = RankWindows(x)
    # one symbol per run of equal bits in sorted order (-0.0 and 0.0 compare equal, so they may alternate)
    assert len(rw.distinct) >= len({v.tobytes() for v in x})
    assert rw.levels == max(len(rw.distinct).bit_length(), 1)
    if distinct > 2:  # without the zeros: one symbol per distinct value
        assert len(RankWindows(x[x > 0]).distinct) == len(set(x[x > 0].tolist()))
    a = rng.integers(0, 256, size=300)
    b = np.minimum(257, a + rng.integers(1, 120, size=300))
    k = (rng.random(300) * (b - a)).astype(np.int64)
    got = rw.select(a, b, k)
    want = np.array([np.sort(x[i:j], kind="stable")[q] for i, j, q in zip(a, b, k)])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    for v in (x.max() + 1.0, x.min(), 0.0, float(np.median(x))):
        count, total = rw.count_below(a, b, np.full(300, v))
        assert np.array_equal(count, [int((x[i:j] < v).sum()) for i, j in zip(a, b)])
        center = float(rw.centers[0])
        assert np.allclose(total.astype(np.float64), [float((x[i:j][x[i:j] < v] - center).sum()) for i, j in zip(a, b)],
                           rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("names", [["N", "F", None, "S", "M", ""], ["D", "C"], ["N"]])
def test_flags_from_codes_give_the_per_record_valid_mask(names):
    """remember_normal_flags (the reader's coded flags) against the per-record test of valid_mask."""
    from ecosentry.subsystems.monitoring.detect.model import remember_normal_flags, valid_mask

    rng = np.random.default_rng(len(names))
    code = rng.integers(0, len(names), 500)
    values = rng.normal(size=500)
    values[::37] = np.nan
    flags = tuple(names[c] for c in code)
    times = np.arange(500).astype("datetime64[m]").astype("datetime64[s]")
    plain, coded = Series("a01", times, values, flags), Series("a01", times, values.copy(), flags)
    remember_normal_flags(coded, names, code)
    np.testing.assert_array_equal(valid_mask(coded), valid_mask(plain))
    with pytest.raises(ValueError):
        remember_normal_flags(Series("a01", times, values, flags), names, code[:-1])


def test_running_mask_kept_on_the_point_answers_as_computed_afresh():
    """running_mask keeps its answers on the point: the same as a fresh computation for other clocks, other
    settings and after a caller changed the array it was given."""
    from types import SimpleNamespace

    from ecosentry.subsystems.monitoring.detect.model import PointData, _running, running_mask

    hours = np.arange(48).astype("datetime64[h]").astype("datetime64[s]")
    rng = np.random.default_rng(2)
    flow = Series("a00000", hours, np.where(np.arange(48) % 10 < 3, 1.0, 100.0) + rng.normal(size=48))
    o2 = Series("a19001", hours, np.where(np.arange(48) % 7 < 2, 20.8, 9.0))
    data = PointData(point="P", medium="gas", tz="UTC", window_start=None, window_end=None)
    data.hours = {"a00000": flow, "a19001": o2}
    cfgs = [SimpleNamespace(running_flow_min=0.2, o2_stopped_pct=19.0),
            SimpleNamespace(running_flow_min=0.5, o2_stopped_pct=15.0)]
    clocks = [hours, hours[::2], hours[5:30], hours + np.timedelta64(30, "m")]
    for _ in range(2):
        for cfg in cfgs:
            for times in clocks:
                got = running_mask(data, times, cfg)
                np.testing.assert_array_equal(got, _running(flow, o2, times, cfg))
                got[:] = ~got  # a caller's change does not reach the kept answer
