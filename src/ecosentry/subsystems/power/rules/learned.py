"""A default on/off threshold learned from the meter's own load distribution (reference notes §1.4 "State detection",
§7 item 2; issue 15 item 3).

A meter of a machine that starts and stops sees two populations of readings: *off* (standby, CT noise, near zero)
and *on* (the running load). On a logarithmic scale the two are well separated whatever the machine's size, so the
split is found with **Otsu's method** (N. Otsu, "A threshold selection method from gray-level histograms", IEEE
Trans. SMC 9 (1), 1979): the cut that maximises the between-class variance of the histogram of ``log10(P + floor)``
(the middle of the plateau when an empty gap separates the classes). The cut is accepted only when the two classes
are clearly apart (*separation*: the distance of the class means over the pooled standard deviation ≥
``min_separation``) and each class holds at least ``min_share`` of the readings and the upper class's level is at
least ``min_ratio`` times the lower's (a stopped machine draws a small fraction of its running load; two load
levels of a running one do not); otherwise the meter was only ever on, or only ever off, in the data seen, and no
threshold is learned from it (the fallback is the configured share of rated power, 15 % [R]: "10–20 % of typical
running current", §1.4).

From the cut: ``on`` = the cut, ``off`` = the geometric mean of the cut and the off class's mean level (hysteresis
band below the cut) [ours].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosentry.subsystems.power.rules.state import Thresholds

__all__ = ["LearnedThreshold", "learn_threshold", "otsu_cut"]


@dataclass(frozen=True, slots=True)
class LearnedThreshold:
    """The outcome of learning: ``thresholds`` (None when the meter is not bimodal) and why."""

    thresholds: Thresholds | None
    method: str
    reason: str
    off_level: float | None = None
    on_level: float | None = None
    separation: float | None = None
    on_share: float | None = None

    def as_dict(self) -> dict:
        th = self.thresholds
        return {"on": th.on if th else None, "off": th.off if th else None, "method": self.method,
                "reason": self.reason, "off_level": self.off_level, "on_level": self.on_level,
                "separation": self.separation, "on_share": self.on_share}


def otsu_cut(x: np.ndarray, bins: int = 128) -> float:
    """Otsu's cut of the sample ``x`` (histogram of ``bins`` bins): the bin edge maximising the between-class
    variance ω0·ω1·(μ0 − μ1)²."""
    hist, edges = np.histogram(x, bins=bins)
    p = hist / hist.sum()
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(p)
    m = np.cumsum(p * centres)
    mt = m[-1]
    w1 = 1 - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mt * w0 - m) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = -1
    # with an empty gap between the classes every edge in it is as good: take the middle of the plateau
    best = np.flatnonzero(between >= between.max() * (1 - 1e-3))
    return float(edges[int(best[len(best) // 2]) + 1])


def learn_threshold(values: np.ndarray, *, rated_kw: float | None = None, floor: float = 0.01,
                    min_separation: float = 3.0, min_share: float = 0.02, min_ratio: float = 5.0,
                    fallback_share: float = 0.15, dwell: int = 3, dwell_off: int | None = 2
                    ) -> LearnedThreshold:
    """Learn the on/off thresholds of a meter from its readings (kW or A).

    ``floor`` is added before the logarithm (a reading of 0 becomes log10(floor)). Without a clear bimodal split
    the thresholds fall back to ``fallback_share`` × ``rated_kw`` (method ``rated``), or to None when the
    rated power is unknown (method ``none``)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    v = np.maximum(v, 0.0)

    def fallback(reason: str, **kw) -> LearnedThreshold:
        if rated_kw and rated_kw > 0:
            on = fallback_share * rated_kw
            return LearnedThreshold(Thresholds(on, on / 2, dwell, dwell_off), "rated", reason, **kw)
        return LearnedThreshold(None, "none", reason, **kw)

    if v.size < 30:
        return fallback(f"too few readings ({v.size}) to learn from")
    x = np.log10(v + floor)
    if np.ptp(x) < 1e-9:
        return fallback("every reading is the same: only on or only off")
    cut = otsu_cut(x)
    lo, hi = x[x < cut], x[x >= cut]
    share = hi.size / x.size
    if lo.size == 0 or hi.size == 0:
        return fallback("no split found")
    pooled = np.sqrt((lo.var() * lo.size + hi.var() * hi.size) / x.size)
    separation = float((hi.mean() - lo.mean()) / max(pooled, 1e-6))
    off_level, on_level = float(10 ** lo.mean() - floor), float(10 ** hi.mean() - floor)
    details = dict(off_level=max(off_level, 0.0), on_level=on_level, separation=round(separation, 3),
                   on_share=round(share, 4))
    if separation < min_separation:
        return fallback(f"one population only (separation {separation:.2f} < {min_separation:g}): "
                        "the meter was only on or only off", **details)
    if on_level < min_ratio * max(off_level, floor):
        return fallback(f"the upper class is only {on_level / max(off_level, floor):.1f} times the lower (< "
                        f"{min_ratio:g}): load levels of a running machine, the meter was only on or only off",
                        **details)
    if min(share, 1 - share) < min_share:
        return fallback(f"one class holds only {min(share, 1 - share):.1%} of the readings", **details)
    on = float(10 ** cut - floor)
    off = float(10 ** ((cut + lo.mean()) / 2) - floor)
    off = min(max(off, 0.0), on)
    if on <= 0:
        return fallback("the cut is at zero", **details)
    return LearnedThreshold(Thresholds(on, off, dwell, dwell_off), "otsu",
                            f"off around {details['off_level']:.3g}, on around {on_level:.3g} "
                            f"(separation {separation:.1f}, on {share:.0%} of the time); on ≥ {on:.3g}, "
                            f"off ≤ {off:.3g}", **details)
