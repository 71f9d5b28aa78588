"""Order statistics of many windows of one series at once: medians, MADs and mean absolute deviations.

The statistical detector's baseline (:func:`~ecosentry.subsystems.monitoring.detect.statistical.robust_baseline`)
needs, for every recomputation row, the median of the past ``window`` values, the median of their absolute
deviations from it (MAD) and their mean absolute deviation. Computed window by window (a partition of each
window) this costs ``O(window)`` per row; here every query costs ``O(log n)``, whatever the window.

The structure is a *wavelet matrix* over the ranks of the distinct values (Claude, Navarro & Ordóñez 2015,
"The wavelet matrix: an efficient wavelet tree for large alphabets", Information Systems 47:15–32; re-derived
here): one bit level per bit of the rank, each level a stable partition of the previous one by that bit
with the running count of zeros. Equal values share a rank (a logger's values repeat: fewer levels). From it, for any index range ``[a, b)`` of the series,

* :meth:`RankWindows.select` gives the ``k``-th smallest value (0-based) of ``x[a:b]``;
* :meth:`RankWindows.count_below` gives how many values of ``x[a:b]`` are below a given value, and their sum.

Both walk the levels once, for all queries together (numpy arrays of queries; no loop over rows).
The medians and MADs are therefore the very order statistics ``numpy.median`` takes (the mean of the two
middle ones for an even count), bit for bit; the MAD is found as the ``k``-th smallest of the union of the
deviations below and above the median, two sorted lists, by bisection. The mean absolute deviation is a
sum of prefix sums, taken in extended precision from the series' median (its last bits may differ from
numpy's pairwise sum of the window).
"""

from __future__ import annotations

import numpy as np

__all__ = ["RankWindows", "window_stats", "window_sigma", "window_center", "sigma_from_center", "median_of"]


class RankWindows:
    """Wavelet matrix over the ranks of ``x`` (finite values) for range order statistics.

    Parameters
    ----------
    x : numpy.ndarray
        The series [any unit]; finite. Several series may be laid end to end (windows then stay within one).
    centers : numpy.ndarray or None
        Per value, the level its sums are taken from (one number per series laid end to end: its median);
        ``None`` = the median of ``x``.
    """

    def __init__(self, x: np.ndarray, centers: np.ndarray | None = None) -> None:
        x = np.ascontiguousarray(x, dtype=np.float64)
        n = len(x)
        self.n = n
        order = np.argsort(x, kind="stable")
        #: values in increasing order
        self.sorted = x[order]
        # The symbols are the ranks of the distinct values (equal bits, equal symbol): a logger's values repeat
        # (2,350 distinct of 54,000 at a point of the honest set), so 12 bit levels instead of 16. The k-th
        # smallest value and the count below a value are the same as over the ranks of all values.
        new = np.ones(n, dtype=bool)
        if n:
            bits = self.sorted.view(np.int64)
            new[1:] = bits[1:] != bits[:-1]
        if n >= 2**31:
            raise ValueError("RankWindows holds at most 2**31 - 1 values (a position and a symbol share an int64)")
        #: positions are int32 (the walks gather them at random: half the bytes make ``select`` ~25 % faster)
        self.idx = np.int32
        sym_sorted = np.cumsum(new, dtype=np.int64) - 1
        #: the distinct values in increasing order (symbol → value)
        self.distinct = self.sorted[new]
        # bits for every symbol and for the count of symbols (count_below's threshold may equal it)
        self.levels = levels = max(int(len(self.distinct)).bit_length(), 1)
        #: sums are of ``x - center`` in extended precision (``numpy.longdouble``): the deviations of a steady
        #: series are small against its level, and prefix sums over the whole series would cancel
        if centers is None:
            centers = np.full(n, float(self.sorted[n // 2]) if n else 0.0)
        self.centers = np.asarray(centers, dtype=np.float64)
        self.x = x
        self.shifted = shifted = x.astype(np.longdouble) - self.centers.astype(np.longdouble)
        # zeros[l][i]: zero bits among the first i entries of level l; ones go after the nz[l] zeros.
        self.zeros = np.empty((levels, n + 1), dtype=np.int32)
        self.zeros[:, 0] = 0
        #: zero_sums[l][z]: the sum of the first z values of level l's zero branch, in its order (where a walk
        #: that counted z zeros before a position finds the sum of their values: ``zero_sums[l][zeros[l][i]]``)
        self.zero_sums: list[np.ndarray] = []
        # Each entry of a level: its symbol (high 32 bits) and the position it came from (low 32 bits), one
        # gather moving both; the values to sum are gathered through the positions (the zero branch's only, not
        # every extended-precision value permuted at every level).
        entry = np.empty(n, dtype=np.int64)
        entry[order] = sym_sorted << 32
        entry |= np.arange(n, dtype=np.int64)
        is_zero = np.empty(n, dtype=bool)
        for lev in range(levels):
            np.equal(entry & (1 << (32 + levels - 1 - lev)), 0, out=is_zero)
            np.cumsum(is_zero, out=self.zeros[lev, 1:])
            nz = int(self.zeros[lev, -1])
            # zeros first, each side in order (the stable partition; ~2× a stable argsort of the bits)
            entry = np.take(entry, np.concatenate((np.flatnonzero(is_zero), np.flatnonzero(~is_zero))))
            # The zero branch's values are the first nz of the next order, in their order: their running sums
            # are the same additions as a running sum over this level with 0 for the ones (the same numbers;
            # half the extended-precision additions, no masked copy).
            sums = np.empty(nz + 1, dtype=np.longdouble)
            sums[0] = 0.0
            np.cumsum(np.take(shifted, entry[:nz] & 0xFFFFFFFF), out=sums[1:])
            self.zero_sums.append(sums)
        self.nz = self.zeros[:, -1].copy()
        #: symbols and values in the order of the last level (equal symbols side by side): where a walk ends
        self.last_symbol = (entry >> 32).astype(np.int32)
        self.last = self.distinct[self.last_symbol]
        self._prefix: np.ndarray | None = None

    @property
    def prefix(self) -> np.ndarray:
        """Running sums of ``x - centers`` in extended precision, from 0 (``prefix[b] - prefix[a]``: the sum over
        ``x[a:b]``); taken on first use."""
        if self._prefix is None:
            self._prefix = np.zeros(self.n + 1, dtype=np.longdouble)
            np.cumsum(self.shifted, out=self._prefix[1:])
        return self._prefix

    def select(self, a: np.ndarray, b: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The ``k``-th smallest value (0-based) of ``x[a:b]``, per query (``0 ≤ k < b - a``)."""
        ab = np.stack([np.asarray(a, dtype=self.idx), np.asarray(b, dtype=self.idx)])
        k = np.asarray(k, dtype=self.idx).copy()
        for lev, nz in enumerate(self.nz.tolist()):
            zab = self.zeros[lev].take(ab)
            nzero = zab[1] - zab[0]
            one = k >= nzero
            np.subtract(k, nzero, out=k, where=one)
            # to the zero branch (its count before), or the one branch (after the nz zeros); in place
            ab -= zab
            ab += nz
            np.copyto(ab, zab, where=~one)
        # every value left in the range has the k-th smallest rank
        return self.last[ab[0] + k]

    def select_below(self, a: np.ndarray, b: np.ndarray,
                     k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`select`, and from the same walk: the answer's symbol, how many values of ``x[a:b]`` have a
        smaller symbol and the sum of their differences from their centers, and how many values equal to the
        answer rank after it.

        The walk follows the answer's bits, as :meth:`count_below` follows its threshold's: for a threshold
        whose symbol count is the answer's symbol, the count and the sum are :meth:`count_below`'s, the same
        additions in the same order (bit for bit)."""
        ab = np.stack([np.asarray(a, dtype=self.idx), np.asarray(b, dtype=self.idx)])
        k = np.asarray(k, dtype=self.idx).copy()
        count = np.zeros(len(k), dtype=np.int64)
        total = np.zeros(len(k), dtype=np.longdouble)
        for lev in range(self.levels):
            zab = self.zeros[lev][ab]
            nzero = zab[1] - zab[0]
            one = k >= nzero
            k -= nzero * one
            count += np.where(one, nzero, 0)
            on = np.flatnonzero(one)
            s = self.zero_sums[lev]
            total[on] += s[zab[1, on]] - s[zab[0, on]]
            ab = np.where(one, ab - zab + self.nz[lev], zab)
        at = ab[0] + k
        return self.last[at], self.last_symbol[at], count, total, ab[1] - at - 1

    def count_below(self, a: np.ndarray, b: np.ndarray, v: np.ndarray,
                    sums: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """How many values of ``x[a:b]`` are ``< v``, and the sum of their differences from their
        :attr:`centers` (``numpy.longdouble``; ``None`` without ``sums``), per query."""
        a = np.asarray(a, dtype=self.idx).copy()
        b = np.asarray(b, dtype=self.idx).copy()
        t = np.searchsorted(self.distinct, v, side="left").astype(np.int64)  # symbols below t: the values < v
        count = np.zeros(len(a), dtype=np.int64)
        total = np.zeros(len(a), dtype=np.longdouble) if sums else None
        for lev in range(self.levels):
            bit = self.levels - 1 - lev
            z, s = self.zeros[lev], self.zero_sums[lev]
            za, zb = z[a], z[b]
            one = ((t >> bit) & 1) == 1
            # where t has a 1 here, every value of the zero branch is below t
            count += np.where(one, zb - za, 0)
            if sums:  # (extended precision is slow: only where t has a 1, the same additions)
                on = np.flatnonzero(one)
                total[on] += s[zb[on]] - s[za[on]]
            shift = self.nz[lev]
            a = np.where(one, a - za + shift, za)
            b = np.where(one, b - zb + shift, zb)
        return count, total


def median_of(rw: RankWindows, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``numpy.median`` of ``x[a:b]`` per query (mean of the two middle values for an even count)."""
    n = b - a
    lo = rw.select(a, b, (n - 1) // 2)
    even = n % 2 == 0
    out = lo.copy()
    if even.any():
        hi = rw.select(a[even], b[even], n[even] // 2)
        out[even] = (lo[even] + hi) / 2.0
    return out


def window_stats(x: np.ndarray, a: np.ndarray, b: np.ndarray,
                 rw: RankWindows | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median, MAD and mean absolute deviation of each window ``x[a:b]`` (non-empty), as numpy computes them.

    Parameters
    ----------
    x : numpy.ndarray
        Finite values.
    a, b : numpy.ndarray
        Window bounds per query (``0 ≤ a < b ≤ len(x)``).
    rw : RankWindows or None
        The structure of ``x`` when already built.

    Returns
    -------
    median, mad, mean_ad : numpy.ndarray
        ``numpy.median(w)``, ``numpy.median(abs(w - median))`` (bit for bit) and ``mean(abs(w - median))``
        (to rounding) of each window ``w``.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if rw is None:
        rw = RankWindows(x)
    q_n = len(a)
    if q_n == 0:
        empty = np.zeros(0)
        return empty, empty.copy(), empty.copy()
    med, c, below_sum = _median_below(rw, a, b)
    return med, _mad(rw, a, b, med, c), _mean_ad_of(rw, a, b, med, c, below_sum)


def window_sigma(x: np.ndarray, a: np.ndarray, b: np.ndarray, mad_scale: float, mean_ad_scale: float,
                 rw: RankWindows | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Median and ``max(mad_scale · MAD, mean_ad_scale · mean absolute deviation)`` of each window ``x[a:b]``.

    As :func:`window_stats`, but the MAD is searched only where it may be the larger term: where at least
    ``q + 2`` values (``q = (n - 1) // 2``) lie within ``mean_ad_scale / mad_scale`` mean absolute deviations
    of the median (less a margin of 1e-9 and of the median's rounding), the two middle deviations, hence the
    MAD, are below it and the mean absolute deviation decides.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if rw is None:
        rw = RankWindows(x)
    if len(a) == 0:
        return np.zeros(0), np.zeros(0)
    med, c, mean_ad = window_center(x, a, b, rw)
    return med, sigma_from_center(rw, a, b, med, c, mean_ad, mad_scale, mean_ad_scale)


def window_center(x: np.ndarray, a: np.ndarray, b: np.ndarray,
                  rw: RankWindows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first half of :func:`window_sigma`: each window's median, how many of its values lie below it,
    and its mean absolute deviation (``mean_ad_scale`` × which is a lower bound of the window's σ, and σ itself
    where the MAD is not the larger term). :func:`sigma_from_center` finishes the σ of any of the windows."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    med, c, below_sum = _median_below(rw, a, b)
    return med, c, _mean_ad_of(rw, a, b, med, c, below_sum)


def _median_below(rw: RankWindows, a: np.ndarray,
                  b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`median_of` of each window, and :meth:`RankWindows.count_below` at it (how many values lie below
    the median and the sum of their differences from their centers), the same numbers in fewer walks.

    One walk to the lower middle value gives its count and sum below (:meth:`RankWindows.select_below`); for
    an even count, the upper middle value is the lower one where a value equal to it ranks after it (a tie),
    so a second walk is needed only where none does. The walk's count and sum are ``count_below``'s where the
    median's threshold (how many distinct values lie below it) is the lower middle value's symbol; the other
    windows (two different middle values: the median between them) are walked again by ``count_below``."""
    n = b - a
    lo, symbol, c, below_sum, after = rw.select_below(a, b, (n - 1) // 2)
    even = n % 2 == 0
    med = lo.copy()
    tie = even & (after > 0)
    med[tie] = (lo[tie] + lo[tie]) / 2.0
    apart = np.flatnonzero(even & (after <= 0))
    if len(apart):
        med[apart] = (lo[apart] + rw.select(a[apart], b[apart], n[apart] // 2)) / 2.0
    again = np.flatnonzero(np.searchsorted(rw.distinct, med, side="left") != symbol)
    if len(again):
        c[again], below_sum[again] = rw.count_below(a[again], b[again], med[again])
    return med, c, below_sum


def sigma_from_center(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
                      mean_ad: np.ndarray, mad_scale: float, mean_ad_scale: float) -> np.ndarray:
    """``max(mad_scale · MAD, mean_ad_scale · mean absolute deviation)`` of each window ``x[a:b]`` from what
    :func:`window_center` gave for it: the second half of :func:`window_sigma`. Each window's number is its
    own (it does not depend on which other windows are asked with it)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    if len(a) == 0:
        return np.zeros(0)
    n = b - a
    with np.errstate(invalid="ignore", over="ignore"):
        t = mean_ad_scale * mean_ad / mad_scale * (1.0 - 1e-9) - 4.0 * np.spacing(np.abs(med))
    sure = t > 0
    tested = np.zeros(len(a), dtype=bool)
    le_hi, lt_lo = np.zeros(len(a), dtype=np.int64), np.zeros(len(a), dtype=np.int64)
    if sure.any():
        qa, qb, m, tt = a[sure], b[sure], med[sure], t[sure]
        both_a, both_b = np.concatenate([qa, qa]), np.concatenate([qb, qb])
        # values ≤ m + t, minus values < m - t
        cnt, _ = rw.count_below(both_a, both_b, np.concatenate([np.nextafter(m + tt, np.inf), m - tt]), sums=False)
        within = cnt[: len(qa)] - cnt[len(qa) :]
        le_hi[sure], lt_lo[sure] = cnt[: len(qa)], cnt[len(qa) :]
        tested = sure.copy()
        sure[sure] = within >= (n[sure] - 1) // 2 + 2
    mad = np.zeros(len(a))
    need = ~sure
    if need.any():
        bracket = None
        guess = need & tested
        if guess.any():
            # the values within the bound are among the q+1 nearest: of those below the median, at least
            # c - lt_lo; above it at least le_hi - c. A guessed bracket (2 of slack), checked before use.
            q = (n - 1) // 2
            lo = np.maximum(np.maximum(0, q + 1 - (n - c)), c - lt_lo - 2)
            hi = np.minimum(np.minimum(q + 1, c), q + 1 - (le_hi - c) + 2)
            bracket = (np.where(guess, lo, -1)[need], np.where(guess, hi, -1)[need])
        mad[need] = _mad(rw, a[need], b[need], med[need], c[need], bracket)
    return np.maximum(mad_scale * mad, mean_ad_scale * mean_ad)


def _mean_ad_of(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
                below_sum: np.ndarray) -> np.ndarray:
    """Mean absolute deviation of each window from its median, ``c`` of its values below it, summing
    ``below_sum`` (their differences from their centers)."""
    n = b - a
    # Σ|w - m| = (Σ above - m·#above) + (m·#below - Σ below), every value taken from its center
    prefix = rw.prefix
    above_sum = (prefix[b] - prefix[a]) - below_sum
    mc = med.astype(np.longdouble) - rw.centers[a].astype(np.longdouble)
    total = (above_sum - mc * (n - c)) + (mc * c - below_sum)
    return np.maximum((total / n).astype(np.float64), 0.0)


def _mad(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
         bracket: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``numpy.median(abs(w - median))`` of each window ``w = x[a:b]``, ``c`` of its values below the median.

    ``bracket``: a guessed ``(lo, hi)`` for the bisection per window (``-1``: none); each is checked (the
    predicate true just below ``lo``, false at ``hi``) and the full range used where it fails.
    """
    q_n = len(a)
    n = b - a
    # c values below the median: the deviations below it, nearest first, are A_t = |e[c-1-t] - m| (t < c);
    # above it B_t = |e[c+t] - m| (t < n - c); both lists increase. The MAD is the median of their union.
    na, nb = c, n - c
    q = (n - 1) // 2  # the q-th smallest deviation (0-based), and the (q+1)-th for an even count
    lo = np.maximum(0, q + 1 - nb)
    hi = np.minimum(q + 1, na)
    if bracket is not None:
        g_lo, g_hi = bracket
        g = (g_lo >= 0) & (g_lo <= g_hi)
        g_lo, g_hi = np.clip(g_lo, lo, hi), np.clip(g_hi, lo, hi)
        g &= g_lo <= g_hi
        # more(i): the q+1 nearest take more than i below the median (A[i] < B[q-i]); the answer is the
        # smallest i in [lo, hi] where it is false. The guess holds when more(g_lo - 1) and not more(g_hi).
        i1, i2 = g_lo - 1, g_hi
        j1, j2 = q + 1 - i1, q + 1 - i2
        c1 = g & (i1 >= lo) & (i1 < na) & (j1 > 0)
        c2 = g & (i2 < hi) & (i2 < na) & (j2 > 0)
        a1, b1, a2, b2 = _devs_at(rw, a, b, med, (np.clip(c - 1 - i1, 0, None), c1), (np.clip(c + j1 - 1, 0, None), c1),
                                  (np.clip(c - 1 - i2, 0, None), c2), (np.clip(c + j2 - 1, 0, None), c2))
        ok_lo = (g_lo == lo) | (c1 & (a1 < b1))
        ok_hi = (g_hi == hi) | ~(c2 & (a2 < b2))
        use = g & ok_lo & ok_hi
        lo = np.where(use, g_lo, lo)
        hi = np.where(use, g_hi, hi)
    # bisection on i = how many of the q+1 smallest deviations lie below the median: the smallest i in
    # [lo, hi] with i == na or j == 0 or A[i] >= B[j-1] (j = q+1-i)
    steps = int(np.max(hi - lo)).bit_length() + 1 if q_n else 0
    for _ in range(steps):
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        j = q + 1 - mid
        ai, bj = _devs_at(rw, a, b, med, (np.clip(c - 1 - mid, 0, None), active & (mid < na)),
                          (np.clip(c + j - 1, 0, None), active & (j > 0)))
        more = active & (mid < na) & (j > 0) & (ai < bj)
        lo = np.where(more, mid + 1, lo)
        hi = np.where(active & ~more, mid, hi)
    i = lo
    j = q + 1 - i
    inf = np.full(q_n, np.inf)
    even = n % 2 == 0
    a_last, b_last, a_next, b_next = _devs_at(
        rw, a, b, med, (np.clip(c - i, 0, None), i > 0), (np.clip(c + j - 1, 0, None), j > 0),
        (np.clip(c - 1 - i, 0, None), even & (i < na)), (np.clip(c + j, 0, None), even & (j < nb)))
    a_last = np.where(i > 0, a_last, -inf)
    b_last = np.where(j > 0, b_last, -inf)
    d_q = np.maximum(a_last, b_last)
    mad = d_q.copy()
    if even.any():
        a_next = np.where(i < na, a_next, inf)
        b_next = np.where(j < nb, b_next, inf)
        d_next = np.minimum(a_next, b_next)
        mad = np.where(even, (d_q + d_next) / 2.0, d_q)
    return mad


def _devs_at(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray,
             *asks: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    """For each ``(k, where)``: ``|k-th smallest of x[a:b] - median|`` where ``where`` (0 elsewhere), as numpy
    rounds it; all asks in one walk of the levels."""
    picks = [np.flatnonzero(w) for _, w in asks]
    qa = np.concatenate([a[p] for p in picks])
    qb = np.concatenate([b[p] for p in picks])
    qk = np.concatenate([k[p] for (k, _), p in zip(asks, picks)])
    qm = np.concatenate([med[p] for p in picks])
    got = np.abs(rw.select(qa, qb, np.minimum(qk, qb - qa - 1)) - qm) if len(qa) else np.zeros(0)
    out, at = [], 0
    for p in picks:
        o = np.zeros(len(a))
        o[p] = got[at : at + len(p)]
        at += len(p)
        out.append(o)
    return out
