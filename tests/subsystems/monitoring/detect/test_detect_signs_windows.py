"""The copy tests' window sums (:mod:`...detect.signs`), several rows in one cumulative sum: bit for bit the sums
of each row on its own, their straightforward definition, on random series (NaN, ±inf, zeros, one slot)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import signs


def window_sums(v: np.ndarray, w: int, at: np.ndarray) -> np.ndarray:
    """One row's window sums as defined: its cumulative sum (NaN as 0, ±inf as the largest float) at each
    window's end less at its start."""
    v = np.nan_to_num(v, nan=0.0) if not np.isfinite(v).all() else v
    c = np.concatenate(([0.0], np.cumsum(v)))
    return c[at + w] - c[at]


def moments(a, b, m, n, w, at):
    """The window moments as defined, one sum at a time."""
    a, b = np.where(m, a, 0.0), np.where(m, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ma, mb = window_sums(a, w, at) / n, window_sums(b, w, at) / n
        va = np.maximum(window_sums(a * a, w, at) / n - ma * ma, 0.0)
        vb = np.maximum(window_sums(b * b, w, at) / n - mb * mb, 0.0)
        cov = window_sums(a * b, w, at) / n - ma * mb
    return va, vb, cov


def series(rng, n: int) -> np.ndarray:
    x = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-4, 7)
    x[rng.random(n) < 0.1] = np.nan
    x[rng.random(n) < 0.05] = 0.0
    if rng.random() < 0.2:
        x[rng.integers(0, n)] = rng.choice([np.inf, -np.inf])
    return x


@pytest.mark.parametrize("seed", range(40))
def test_rows_summed_at_once_are_each_rows_own_sums(seed):
    rng = np.random.default_rng([seed, 13])
    n = int(rng.integers(1, 3000))
    w = int(rng.integers(1, n + 1))
    at = np.arange(0, n - w + 1, int(rng.integers(1, 20)))
    rows = np.stack([series(rng, n) for _ in range(int(rng.integers(1, 6)))])
    got = signs._windowed(rows, w, at)
    for row, sums in zip(rows, got):
        assert np.array_equal(sums, window_sums(row, w, at), equal_nan=True)
    assert np.array_equal(signs._windowed(rows[0], w, at), window_sums(rows[0], w, at), equal_nan=True)
    masks = rng.random((3, n)) < 0.7
    counts = signs._counted(masks, w, at)
    for mask, c in zip(masks, counts):
        assert np.array_equal(c, window_sums(mask.astype(np.float64), w, at))
    a, b = series(rng, n), series(rng, n)
    m = np.isfinite(a) & np.isfinite(b) & (rng.random(n) < 0.9)
    cnt = signs._counted(m, w, at)
    for got_m, want_m in zip(signs._window_moments(a, b, m, cnt, w, at), moments(a, b, m, cnt, w, at)):
        assert np.array_equal(got_m, want_m, equal_nan=True)


def test_no_window_gives_no_sums():
    rows = np.ones((5, 4))
    assert signs._windowed(rows, 2, np.zeros(0, dtype=np.int64)).shape == (5, 0)
    assert signs._counted(np.ones((3, 4), dtype=bool), 2, np.zeros(0, dtype=np.int64)).shape == (3, 0)


@pytest.mark.parametrize("seed", range(30))
def test_the_median_of_changes_is_numpys(seed):
    rng = np.random.default_rng([seed, 5])
    n = int(rng.integers(1, 400))
    a = np.round(rng.normal(0.0, 1.0, n), int(rng.integers(0, 3)))  # ties when rounded
    if seed % 3 == 0:
        a[rng.random(n) < 0.3] = rng.choice([0.0, -0.0, 1e300, -1e300])
    for x in (a, np.abs(a - np.median(a)), a[:1], a[:2], np.array([1e308, 1e308]), np.array([-0.0, -0.0])):
        with np.errstate(over="ignore"):
            got, want = signs._median(x), np.median(x)
        assert np.array_equal(np.float64(got).view(np.int64), np.float64(want).view(np.int64))
