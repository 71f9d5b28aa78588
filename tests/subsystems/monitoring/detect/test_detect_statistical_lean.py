"""The eighth round's paths of the statistical detector (issue 13 item 3) against the code they replaced.

* ``RankWindows`` built with one gather of a packed (symbol, position) entry per level: every table (levels,
  zero counts, zero-branch sums in extended precision, last level's symbols and values) bit for bit that of
  the two gathers per level, on ties, signed zeros, one value, no value, a constant and two series laid end
  to end;
* the load check reading each channel's present rows once: the same ``LoadCheck`` (``repr``: every number's
  bits, the sign of a zero included) on load steps, gaps, constant and sparse channels, short windows.
* the other channels' values at a factor's times through the channels' clocks (one comparison of times per
  channel and point): those of comparing each channel's times, on shared, shifted, gappy, repeated, short and
  empty clocks, at the factor's own times and at others.
"""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import statistical
from ecosentry.subsystems.monitoring.detect.model import is_concentration, role_of
from ecosentry.subsystems.monitoring.detect.rankwindow import RankWindows
from ecosentry.subsystems.monitoring.detect.statistical import StatisticalSettings, load_explains_shift


def _two_gathers(x: np.ndarray, centers: np.ndarray) -> dict:
    """The wavelet matrix as it was built before: symbols and positions permuted by two gathers per level."""
    n = len(x)
    order = np.argsort(x, kind="stable")
    srt = x[order]
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = srt.view(np.int64)[1:] != srt.view(np.int64)[:-1]
    distinct = srt[new]
    sym = np.empty(n, dtype=np.int32)
    sym[order] = np.cumsum(new) - 1
    levels = max(int(len(distinct)).bit_length(), 1)
    shifted = x.astype(np.longdouble) - centers.astype(np.longdouble)
    zeros = np.empty((levels, n + 1), dtype=np.int32)
    sums, cur, came = [], sym, np.arange(n, dtype=np.int32)
    for lev in range(levels):
        is_zero = (cur & (1 << (levels - 1 - lev))) == 0
        zeros[lev, 0] = 0
        np.cumsum(is_zero, out=zeros[lev, 1:])
        nz = int(zeros[lev, -1])
        perm = np.concatenate((np.flatnonzero(is_zero), np.flatnonzero(~is_zero)))
        cur, came = cur[perm], came[perm]
        s = np.empty(nz + 1, dtype=np.longdouble)
        s[0] = 0.0
        np.cumsum(shifted[came[:nz]], out=s[1:])
        sums.append(s)
    return {"levels": levels, "distinct": distinct, "zeros": zeros, "nz": zeros[:, -1], "zero_sums": sums,
            "last_symbol": cur, "last": distinct[cur]}


def _bits(a) -> tuple:
    """The numbers' bits (an extended-precision number's 10 bytes: its padding is not part of it)."""
    a = np.asarray(a)
    if a.dtype == np.longdouble:
        return a.dtype.str, a.tolist(), np.signbit(a).tolist()  # (each value exactly, as a Python longdouble)
    return a.dtype.str, a.tobytes()


@pytest.mark.parametrize("kind", ["normal", "ties", "signed-zeros", "one", "none", "constant", "two-series", "wide"])
def test_rank_windows_are_the_two_gather_build_bit_for_bit(kind):
    rng = np.random.default_rng(len(kind))
    x = {"normal": lambda: rng.normal(50.0, 3.0, 3000).round(2),
         "ties": lambda: rng.integers(0, 9, 3000).astype(float) / 4.0,
         "signed-zeros": lambda: rng.choice([-0.0, 0.0, 1.5, -2.0], 2000),
         "one": lambda: np.array([7.25]),
         "none": lambda: np.zeros(0),
         "constant": lambda: np.full(500, 3.5),
         "two-series": lambda: np.r_[rng.normal(400.0, 1.0, 1500).round(2), rng.normal(0.5, 0.01, 1500).round(4)],
         "wide": lambda: rng.normal(size=3000) * 10.0 ** rng.uniform(-3, 4, 3000)}[kind]()
    half = len(x) // 2
    centers = (np.repeat([float(np.median(x[:half])), float(np.median(x[half:]))], [half, len(x) - half])
               if kind == "two-series" else np.full(len(x), float(np.median(x)) if len(x) else 0.0))
    rw, want = RankWindows(x, centers), _two_gathers(x, centers)
    assert rw.levels == want["levels"]
    for name in ("distinct", "zeros", "last", "last_symbol"):
        assert _bits(getattr(rw, name)) == _bits(want[name]), name
    assert np.array_equal(rw.nz, want["nz"])
    assert len(rw.zero_sums) == len(want["zero_sums"])
    for got, ref in zip(rw.zero_sums, want["zero_sums"]):
        assert _bits(got) == _bits(ref)


def _load_check_before(y, channels, n_base, cfg, threshold=None, *, first_load=False):
    """``load_explains_shift`` as it was: each channel's present rows found where each step needs them."""
    n = len(y)
    load_z = {}
    for name, v in channels.items():
        if role_of(name) not in statistical.LOAD_ROLES:
            continue
        b, r = v[:n_base], v[n_base:]
        b, r = b[np.isfinite(b)], r[np.isfinite(r)]
        if len(b) >= max(n_base // 2, 3) and len(r) >= max((n - n_base) // 2, 1):
            load_z[name] = statistical._shift_z(b, r, cfg.min_sigma_fraction)
            if first_load and abs(load_z[name]) >= cfg.load_shift_z:
                return statistical.LoadCheck(True, None, load_z, ())
    if any(abs(z) >= cfg.load_shift_z for z in load_z.values()):
        return statistical.LoadCheck(True, None, load_z, ())
    names = [k for k, v in channels.items() if np.isfinite(v).mean() >= 0.9
             and (is_concentration(k) or role_of(k) in statistical._REGRESSOR_ROLES)]
    if not names:
        return statistical.LoadCheck(False, None, load_z, ())
    X = np.column_stack([channels[k] for k in names])
    rows = np.isfinite(X).all(axis=1)
    base_rows = rows[:n_base]
    k = len(names) + 1
    if base_rows.sum() < max(2 * k, 8) or rows[n_base:].sum() < 1:
        return statistical.LoadCheck(False, None, load_z, tuple(names))
    Xr = X[rows]
    scale = Xr.std(axis=0)
    keep = scale > 0
    if not keep.any():
        return statistical.LoadCheck(False, None, load_z, tuple(names))
    names = [k for k, ok in zip(names, keep) if ok]
    A = np.column_stack([np.ones(int(rows.sum())), (Xr[:, keep] - Xr[:, keep].mean(axis=0)) / scale[keep]])
    coef, *_ = np.linalg.lstsq(A, y[rows], rcond=None)
    resid = y[rows] - A @ coef
    nb = int(base_rows.sum())
    m0 = statistical._median(y[:n_base])
    sigma = max(statistical._robust_sigma(resid[:nb], 0.0, 0.0), cfg.min_sigma_fraction * abs(m0),
                np.finfo(float).tiny)
    z = (statistical._median(resid[nb:]) - statistical._median(resid[:nb])) / sigma
    return statistical.LoadCheck(abs(z) < (cfg.shift_z if threshold is None else threshold), round(z, 3), load_z,
                                 tuple(names))


@pytest.mark.parametrize("seed", range(24))
def test_load_check_is_the_check_before_it_read_the_present_rows_once(seed):
    rng = np.random.default_rng(seed)
    n_base = int(rng.choice([3, 12, 300, 2016]))
    n = n_base + int(rng.choice([1, 6, 30]))
    step = rng.choice([0.0, 0.5, 30.0])
    load = np.r_[np.full(n_base, 50.0), np.full(n - n_base, 50.0 + step)] + rng.normal(0, 1, n)
    y = (0.4 * load + rng.normal(0, 0.5, n) + np.r_[np.zeros(n_base), np.full(n - n_base, rng.choice([0.0, 8.0]))])
    if seed % 4 == 0:
        y = y.round(1)
    channels = {"a00000": load * 100, "a01011": load / 5 + rng.normal(0, 0.2, n), "a19001": 21 - load / 10,
                "a01012": 120 + rng.normal(0, 1, n), "a21026": 0.3 * y + rng.normal(0, 1, n),
                "a01013": np.full(n, 101.3)}  # a constant pressure: no spread, left out of the regression
    if seed % 3 == 1:
        for name in ("a00000", "a21026"):
            channels[name][rng.integers(0, n, max(n // 20, 1))] = np.nan  # a few gaps: still a regressor
    if seed % 5 == 2:
        channels["a01011"][: n // 2] = np.nan  # half missing: neither regressor nor (in the base) load test
    if seed % 6 == 3:
        channels = {"a01013": channels["a01013"]}  # only a constant: no usable regressor
    cfg = StatisticalSettings(load_shift_z=float(rng.choice([3.0, 50.0])))
    for threshold in (None, 6.0):
        for first_load in (False, True):
            got = load_explains_shift(y, channels, n_base, cfg, threshold, first_load=first_load)
            want = _load_check_before(y, channels, n_base, cfg, threshold, first_load=first_load)
            assert repr(got) == repr(want)


def _lookup(channels, factor, times):
    """Each other channel's valid values at ``times`` by comparing its times (the lookup before clocks)."""
    out = {}
    for other, (t, v, increasing, _) in channels.items():
        if other == factor:
            continue
        if len(t) == len(times) and increasing and np.array_equal(t, times):
            out[other] = v
            continue
        idx = np.clip(np.searchsorted(t, times), 0, max(len(t) - 1, 0))
        vals = np.full(len(times), np.nan)
        if len(t):
            hit = t[idx] == times
            vals[hit] = v[idx[hit]]
        out[other] = vals
    return out


@pytest.mark.parametrize("seed", range(6))
def test_channels_on_one_clock_are_aligned_as_by_comparing_their_times(seed):
    from ecosentry.subsystems.monitoring.detect.model import PointData, Series

    rng = np.random.default_rng(seed)
    n = 300
    t = np.datetime64("2026-10-01T00:00:00", "s") + (np.arange(n, dtype=np.int64) * 60).astype("timedelta64[s]")
    clocks = {"same": t, "late": t + np.timedelta64(30, "s"), "gappy": np.delete(t, rng.choice(n, 30, replace=False)),
              "repeated": np.sort(np.r_[t[: n - 5], t[:5]]), "short": t[: n // 2], "none": t[:0]}
    names = ["a21026", "a19001", "a00000", "a01011", "a01012", "a21002", "a34013"]
    minutes = {}
    for name in names:
        times = clocks[rng.choice(list(clocks))] if name != "a21026" else t
        values = rng.normal(30, 1, len(times))
        if len(times) and rng.random() < 0.4:
            values[rng.choice(len(times), 10)] = np.nan  # invalid records: the channel's valid clock differs
        minutes[name] = Series(name, times, values)
    channels = statistical._valid_channels(PointData(point="P1", medium="gas", minutes=minutes))
    for factor, (own, _, _, _) in channels.items():
        for times in (own, t, clocks["late"], clocks["gappy"]):
            got, want = statistical._aligned(channels, factor, times), _lookup(channels, factor, times)
            assert list(got) == list(want)
            for k in want:
                assert _bits(got[k]) == _bits(want[k])
    # channels share a clock exactly when their valid times are equal and strictly increase
    for a, (ta, _, inc_a, clock_a) in channels.items():
        assert (clock_a >= 0) == inc_a
        for b, (tb, _, _, clock_b) in channels.items():
            same = inc_a and len(ta) == len(tb) and np.array_equal(ta, tb)
            assert (clock_a >= 0 and clock_a == clock_b) == same
