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

__all__ = ["RankWindows", "window_stats", "window_sigma", "median_of"]


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
        sym_sorted = np.cumsum(new) - 1
        #: the distinct values in increasing order (symbol → value)
        self.distinct = self.sorted[new]
        sym = np.empty(n, dtype=np.int32 if n < 2**31 - 1 else np.int64)
        sym[order] = sym_sorted
        # bits for every symbol and for the count of symbols (count_below's threshold may equal it)
        self.levels = max(int(len(self.distinct)).bit_length(), 1)
        #: sums are of ``x - center`` in extended precision (``numpy.longdouble``): the deviations of a steady
        #: series are small against its level, and prefix sums over the whole series would cancel
        if centers is None:
            centers = np.full(n, float(self.sorted[n // 2]) if n else 0.0)
        self.centers = np.asarray(centers, dtype=np.float64)
        self.x = x
        shifted = x.astype(np.longdouble) - self.centers.astype(np.longdouble)
        # zeros[l][i]: zero bits among the first i entries of level l; ones go after the nz[l] zeros.
        #: positions are int32 when they fit (every series here): the walks gather them at random, and half the
        #: bytes make ``select`` ~25 % faster; results are the same integers
        self.idx = np.int32 if n < 2**31 - 1 else np.int64
        self.zeros = np.empty((self.levels, n + 1), dtype=self.idx)
        #: zero_sums[l][z]: the sum of the first z values of level l's zero branch, in its order (where a walk
        #: that counted z zeros before a position finds the sum of their values: ``zero_sums[l][zeros[l][i]]``)
        self.zero_sums: list[np.ndarray] = []
        self.nz = np.empty(self.levels, dtype=self.idx)
        cur = sym
        for lev in range(self.levels):
            bit = self.levels - 1 - lev
            is_zero = ((cur >> bit) & 1) == 0
            self.zeros[lev, 0] = 0
            np.cumsum(is_zero, out=self.zeros[lev, 1:])
            nz = int(self.zeros[lev, -1])
            self.nz[lev] = nz
            # zeros first, each side in order (the stable partition; ~2× a stable argsort of the bits)
            perm = np.concatenate((np.flatnonzero(is_zero), np.flatnonzero(~is_zero)))
            cur, shifted = cur[perm], shifted[perm]
            # The zero branch's values are the first nz of the next order, in their order: their running sums
            # are the same additions as a running sum over this level with 0 for the ones (the same numbers;
            # half the extended-precision additions, no masked copy).
            sums = np.empty(nz + 1, dtype=np.longdouble)
            sums[0] = 0.0
            np.cumsum(shifted[:nz], out=sums[1:])
            self.zero_sums.append(sums)
        #: values in the order of the last level (equal symbols side by side): where a walk ends
        self.last = self.distinct[cur]

    def select(self, a: np.ndarray, b: np.ndarray, k: np.ndarray) -> np.ndarray:
        """The ``k``-th smallest value (0-based) of ``x[a:b]``, per query (``0 ≤ k < b - a``)."""
        ab = np.stack([np.asarray(a, dtype=self.idx), np.asarray(b, dtype=self.idx)])
        k = np.asarray(k, dtype=self.idx).copy()
        for lev in range(self.levels):
            zab = self.zeros[lev][ab]
            nzero = zab[1] - zab[0]
            one = k >= nzero
            k -= nzero * one
            # to the zero branch (its count before), or the one branch (after the nz zeros)
            ab = np.where(one, ab - zab + self.nz[lev], zab)
        # every value left in the range has the k-th smallest rank
        return self.last[ab[0] + k]

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
            if sums:
                total += np.where(one, s[zb] - s[za], 0.0)
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
    med = median_of(rw, a, b)
    c, mean_ad = _mean_ad(x, rw, a, b, med)
    return med, _neighbour_mad(rw, a, b, med, c), mean_ad


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
    n = b - a
    med = median_of(rw, a, b)
    c, mean_ad = _mean_ad(x, rw, a, b, med)
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
        mad[need] = _neighbour_mad(rw, a[need], b[need], med[need], c[need], bracket)
    return med, np.maximum(mad_scale * mad, mean_ad_scale * mean_ad)


def _mean_ad(x: np.ndarray, rw: RankWindows, a: np.ndarray, b: np.ndarray,
             med: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How many values of each window lie below its median, and its mean absolute deviation."""
    n = b - a
    c, below_sum = rw.count_below(a, b, med)
    # Σ|w - m| = (Σ above - m·#above) + (m·#below - Σ below), every value taken from its center
    prefix = np.zeros(len(x) + 1, dtype=np.longdouble)
    np.cumsum(np.asarray(x, dtype=np.longdouble) - rw.centers.astype(np.longdouble), out=prefix[1:])
    above_sum = (prefix[b] - prefix[a]) - below_sum
    mc = med.astype(np.longdouble) - rw.centers[a].astype(np.longdouble)
    total = (above_sum - mc * (n - c)) + (mc * c - below_sum)
    return c, np.maximum((total / n).astype(np.float64), 0.0)


#: Every ``_GRID``-th window of :func:`_neighbour_mad` is searched on its own; the others start from the nearest
#: of those (one more round of numpy calls, whatever the number of windows).
_GRID = 4


def _neighbour_mad(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
                   bracket: tuple[np.ndarray, np.ndarray] | None = None, grid: int = _GRID) -> np.ndarray:
    """:func:`_mad` of each window, in two rounds. Every ``grid``-th window (in the order given) is searched
    from ``bracket``; each of the others starts from the ``q``-th smallest deviation of the nearest of those:
    neighbouring baseline windows share all but a few values (2,010 of 2,016 every 6 samples), and a logger's
    values repeat, so that deviation is often this window's own (about half the windows of the honest set) or
    one next to it. Its counts give the exact position where they agree, a narrow bracket elsewhere;
    :func:`_mad` checks every guess (the same numbers whatever the guess).
    """
    q_n = len(a)
    mad, d_q = np.zeros(q_n), np.zeros(q_n)
    if q_n == 0:
        return mad
    grid = max(int(grid), 1)
    pos = np.arange(q_n)
    first = pos % grid == 0
    sub = np.flatnonzero(first)
    guess = None if bracket is None else (bracket[0][sub], bracket[1][sub])
    mad[sub], d_q[sub] = _mad(rw, a[sub], b[sub], med[sub], c[sub], guess)
    sub = np.flatnonzero(~first)
    if len(sub):
        # the nearest window of the first round (the one after when it is nearer and exists)
        near = sub - sub % grid
        after = near + grid
        near = np.where((sub % grid > grid // 2) & (after < q_n), after, near)
        guess = _bracket_from(rw, a[sub], b[sub], med[sub], c[sub], d_q[near])
        mad[sub], d_q[sub] = _mad(rw, a[sub], b[sub], med[sub], c[sub], guess)
    return mad


def _bracket_from(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
                  d0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A guessed bracket of :func:`_mad`'s bisection for each window from a guessed deviation ``d0`` (e.g. the
    ``q``-th smallest deviation of a neighbouring window): from the counts of the values within ``d0`` of the
    median (below ``d0`` and at most ``d0``, each side), the exact position where ``d0`` is the ``q``-th smallest
    deviation, otherwise the positions between ``d0`` and the ``q``-th. The bounds are taken in real arithmetic
    (``med ± d0``), not as numpy rounds ``|x - med|``: a guess only, which :func:`_mad` checks."""
    n = b - a
    q = (n - 1) // 2
    nb = n - c
    lo_v, hi_v = med - d0, med + d0
    cnt, _ = rw.count_below(np.tile(a, 4), np.tile(b, 4),
                            np.concatenate([np.nextafter(lo_v, np.inf), lo_v, hi_v, np.nextafter(hi_v, np.inf)]),
                            sums=False)
    le_lo, lt_lo, lt_hi, le_hi = cnt.reshape(4, -1)
    # deviations below the median (A) and above it (B): how many are < d0 and ≤ d0
    lt_a, le_a = np.clip(c - le_lo, 0, c), np.clip(c - lt_lo, 0, c)
    lt_b, le_b = np.clip(lt_hi - c, 0, nb), np.clip(le_hi - c, 0, nb)
    at = (lt_a + lt_b <= q) & (le_a + le_b >= q + 1)  # d0 is the q-th smallest deviation
    above = le_a + le_b <= q  # every deviation ≤ d0 is among the q+1 smallest
    # at d0: below the median, every one < d0 and as many = d0 as the q+1 need after those above it
    g = np.maximum(lt_a, q + 1 - le_b)
    g_lo = np.where(at, g, np.where(above, le_a, q + 1 - lt_b))
    g_hi = np.where(at, g, np.where(above, q + 1 - le_b, lt_a))
    return g_lo, g_hi


def _mad(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
         bracket: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.median(abs(w - median))`` of each window ``w = x[a:b]``, ``c`` of its values below the median,
    and the ``q``-th smallest deviation (``q = (n - 1) // 2``; the MAD itself for an odd count).

    ``bracket``: a guessed ``(lo, hi)`` for the bisection per window (``-1``: none); each is checked (the
    predicate true just below ``lo``, false at ``hi``) and the full range used where it fails. A guess of one
    position (``lo == hi``) needs no bisection: the four deviations that check it are those that give the MAD.
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
        narrow = g & (g_hi - g_lo <= _SCAN)
        near = np.flatnonzero(narrow)
        if len(near):
            mad, d_q = np.zeros(q_n), np.zeros(q_n)
            p_mad, p_dq, ok = _mad_scan(rw, a[near], b[near], med[near], c[near], g_lo[near], g_hi[near])
            done = near[ok]
            mad[done], d_q[done] = p_mad[ok], p_dq[ok]
            rest = np.ones(q_n, dtype=bool)
            rest[done] = False
            rest_i = np.flatnonzero(rest)
            if len(rest_i):
                # a narrow guess that failed its check: the full range; a wide one: its bisection
                r_lo = np.where(g & ~narrow, g_lo, -1)[rest_i]
                r_hi = np.where(g & ~narrow, g_hi, -1)[rest_i]
                mad[rest_i], d_q[rest_i] = _mad(rw, a[rest_i], b[rest_i], med[rest_i], c[rest_i], (r_lo, r_hi))
            return mad, d_q
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
    return mad, d_q


#: Guessed brackets of :func:`_mad` up to this wide are read whole in one walk (:func:`_mad_scan`) instead of
#: bisected (a walk per step: each walk of the levels costs ~0.1 ms of numpy calls, whatever its size).
_SCAN = 0


def _mad_scan(rw: RankWindows, a: np.ndarray, b: np.ndarray, med: np.ndarray, c: np.ndarray,
              g_lo: np.ndarray, g_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_mad` where the bisection's answer is guessed to lie in ``[g_lo, g_hi]`` (within its full range):
    the MAD, the ``q``-th smallest deviation, and whether the guess holds (the predicate true at ``g_lo - 1``,
    or ``g_lo`` the lowest position; false at ``g_hi``, or ``g_hi`` the highest). Every deviation the
    predicate compares from ``g_lo - 1`` to ``g_hi`` is taken in one walk (``2 (g_hi - g_lo + 2)`` order
    statistics a window); the predicate is monotone, so the answer is ``g_lo`` plus the number of positions
    where it holds, and the four deviations next to it, among those taken, make the MAD."""
    q_n = len(a)
    n = b - a
    na, nb = c, n - c
    q = (n - 1) // 2
    lo = np.maximum(0, q + 1 - nb)
    hi = np.minimum(q + 1, na)
    width = g_hi - g_lo + 2
    total = int(width.sum())
    owner = np.repeat(np.arange(q_n), width)
    start = np.cumsum(width) - width
    u = np.arange(total) - start[owner]
    i_u = g_lo[owner] - 1 + u  # i from g_lo - 1 to g_hi
    # A[i] = |e[c-1-i] - m| and B[q-i] = |e[c+q-i] - m|, where they exist
    ca, cq = c[owner], (c + q)[owner]
    has_a = (i_u >= 0) & (i_u < na[owner])
    has_b = (i_u <= q[owner]) & (q[owner] - i_u < nb[owner])
    dev_a, dev_b = _devs_at(rw, a[owner], b[owner], med[owner], (np.clip(ca - 1 - i_u, 0, None), has_a),
                            (np.clip(cq - i_u, 0, None), has_b))
    # more(i) = A[i] < B[q-i] (i < na and j = q+1-i > 0)
    more = has_a & has_b & (dev_a < dev_b)
    first, last = start, start + width - 1
    ok = ((g_lo == lo) | more[first]) & ((g_hi == hi) | ~more[last])
    inner = more.copy()
    inner[first] = False
    i = g_lo + np.add.reduceat(inner.astype(np.int64), start) if total else g_lo.copy()
    at = start + (i - g_lo) + 1  # the entry of i: A[i] there, A[i-1] before; B[q-i] there, B[q+1-i] before
    at = np.minimum(at, last)
    j = q + 1 - i
    inf = np.full(q_n, np.inf)
    d_q = np.maximum(np.where(i > 0, dev_a[at - 1], -inf), np.where(j > 0, dev_b[at], -inf))
    d_next = np.minimum(np.where(i < na, dev_a[at], inf), np.where(j < nb, dev_b[at - 1], inf))
    mad = np.where(n % 2 == 0, (d_q + d_next) / 2.0, d_q)
    return mad, d_q, ok


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
