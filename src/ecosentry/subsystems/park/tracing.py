"""Traceback (溯源): rank the candidate sources of a release by their consistency with the readings at the
stations and the wind history (``shared/reference/subsystems.md`` §2.5, §7 item 14), pure.

For each pollutant that rose above background at some station:

1. **Incident window**: the readings from ``window_margin_s`` before the first raised reading to as long after
   the last (at any station), every station's readings in it, raised or not (a station that stayed at
   background where a candidate's plume would have reached it speaks against that candidate). Excess = reading −
   the station's background (a low quantile of its readings); raised = excess above ``raised_sigmas`` robust
   standard deviations of its lower half, ``min_excess_mg_m3`` and ``raised_multiple`` × the background.
2. **Wind at each reading**, per candidate (for the sector and the ``plume`` model): the vector mean of the met records over the air's travel time from
   the candidate to the station (distance / wind speed, at least ``averaging_s``, at most ``max_travel_s``);
   stability: the record at the reading's time.
3. **Back-trajectory sector**: the share of raised readings for which the candidate lies within
   ± ``sector_half_angle_deg`` of the upwind direction, no farther than wind speed × ``max_travel_s``.
4. **Inverse modelling** (``model`` ``puff``, the default): the air's path over the incident, in steps of
   ``puff_step_s``, moves with the met records averaged over ``wind_smoothing_s`` centred on each step (the
   vane's noise averages out, the meander stays). Each step's release from the candidate is a Gaussian puff
   carried along that path (Turner 1970 eq. 3.7 with ground reflection, Briggs σ at its travel distance, σx
   widened by the step's own length, σy by the direction uncertainty δ: σy² + (s tan δ)²), which gives the
   source–receptor matrix G (readings × release steps) for 1 g/s. A constant release from step a to b gives
   q · Σ_{a≤j<b} G[:, j]; every start within ``max_travel_s`` before the first raised reading and each of
   ``release_durations_s`` are tried (the start is unknown), q by weighted least squares, the best
   ``refine_hypotheses`` refined over a grid of q by the **misfit** Σ ν log(1 + z²/ν),
   z = (excess − model) / √(noise² + (r · model)²): each station's own noise (the robust spread of its readings)
   at background, the relative model error r = ``model_error`` at the plume, Student-t tails of ν =
   ``misfit_dof``. A station that stayed quiet where the candidate's plume would have passed is a large z: the
   non-detections count as much as the detections. Fit quality = 1 − misfit / misfit of no release. The rate
   reported (and the live incident's threat zones) is not the misfit's q, which drifts high (an over-prediction
   costs a bounded amount, r being relative to the model), but the chosen release's dosage balance
   Σ excess / Σ model over its footprint; above ``max_rate_g_s`` the plume only grazes the stations: no rate.
   (``model`` ``plume``, the first method: one straight finite-release plume per candidate with the wind
   averaged over its travel time, timed by the raised readings, q fitted on log(1 + c / ``min_excess_mg_m3``),
   R² of that fit.)
5. **Score** = (``fit_weight`` · fit + (1 − ``fit_weight``) · sector share) × (1 if the candidate handles the
   pollutant, else ``mismatch_factor``); a candidate's score is its best over the pollutants. With the misfit the
   sector share adds nothing (``fit_weight`` 1): it is reported in the sentence.

Each candidate gets one sentence saying why (zh/vi through the catalogue). Settings ``park.traceback`` [ours].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_
from ecosentry.subsystems.park.model.frame import angle_diff_deg, bearing_deg, to_plume
from ecosentry.subsystems.park.model.plume import gaussian_plume
from ecosentry.subsystems.park.model.sigmas import sigmas_by_class
from ecosentry.subsystems.park.model.special import erf
from ecosentry.subsystems.park.said import say

__all__ = ["TracebackSettings", "Candidate", "Readings", "MetSeries", "Ranked", "rank_sources", "sector_ranking",
           "wind_at"]

register(Rule("PARK-TRACEBACK", None, N_("Candidate sources ranked by the back-trajectory sector and a plume fit of "
                                         "the release rate to the stations' readings over the wind history."),
              "shared/reference/subsystems.md §2.5, §7 item 14", __name__ + ".rank_sources", "ours"))


class TracebackSettings(BaseModel):
    """Section ``park.traceback`` [ours] (``docs/park.md``)."""

    sector_half_angle_deg: float = 22.5
    max_travel_s: float = 1800.0
    #: Wind-direction uncertainty δ that widens each candidate's plume (noisy vanes, meander). [°]
    direction_uncertainty_deg: float = 4.0
    #: Met records averaged before each reading, at least (a candidate's own travel time when longer). [s]
    averaging_s: float = 60.0
    #: ``log``: fit log(1 + excess / min_excess) (robust to the peaks' exact position); ``linear``: the excesses.
    fit_space: str = "log"
    #: Readings this long before the first and after the last raised one join the fit (the arrival and the end). [s]
    window_margin_s: float = 600.0
    #: The station's background: this quantile of its readings of the pollutant.
    background_quantile: float = 0.1
    #: A reading is raised when its excess over the station's background exceeds this many robust standard
    #: deviations (1.4826 × MAD) of the station's readings below their median, and ``min_excess_mg_m3``.
    raised_sigmas: float = 5.0
    min_excess_mg_m3: float = 0.01
    #: ... and this multiple of the station's background (the attention level's idea).
    raised_multiple: float = 2.0
    fit_weight: float = 1.0
    mismatch_factor: float = 0.2
    #: Release height of candidates whose file gives none. [m]
    source_height_m: float = 0.0
    min_wind_speed: float = 0.5
    #: ``puff``: puffs carried along the smoothed wind history, release start and duration fitted;
    #: ``plume``: the straight finite-release plume timed by the raised readings (the first method).
    model: str = "puff"
    #: Step of the puffs' release and transport. [s]
    puff_step_s: float = 60.0
    #: The met records are averaged over this window centred on each step (vane noise out, meander kept). [s]
    wind_smoothing_s: float = 180.0
    #: Release durations tried with every start (the start on every step before the first raised reading). [s]
    release_durations_s: tuple[float, ...] = (60.0, 180.0, 300.0, 600.0, 900.0, 1200.0, 1800.0, 2400.0, 3600.0)
    #: The best hypotheses by the linear rate whose rate is refined on the log scale.
    refine_hypotheses: int = 8
    #: Relative error of the modelled concentration (σ, meander, the wind's noise) in the misfit.
    model_error: float = 0.2
    #: Degrees of freedom ν of the misfit's Student-t tails.
    misfit_dof: float = 20.0
    #: Lowest noise of a station's readings in the misfit. [mg/m³]
    noise_floor_mg_m3: float = 0.001
    #: The fitted rate's dosage balance sums the readings the chosen release reaches with at least this fraction
    #: of its highest modelled concentration ...
    footprint_fraction: float = 0.1
    #: ... and those that read this many times their noise above background.
    footprint_sigmas: float = 5.0
    #: A fitted rate above this is a plume that only grazes the stations: reported as reaching none. [g/s]
    max_rate_g_s: float = 1.0e5


@dataclass(frozen=True)
class Candidate:
    source: str
    enterprise: str
    east: float  #: [m east of the park's origin]
    north: float  #: [m north]
    substances: frozenset[str]
    height: float | None = None  #: [m]


@dataclass(frozen=True)
class Readings:
    """Readings, one element per reading: station position, time [s on any common clock], factor, value [mg/m³]."""

    station: np.ndarray
    east: np.ndarray
    north: np.ndarray
    t: np.ndarray
    factor: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class MetSeries:
    """Met records in time order: time [s, same clock], speed [m/s], direction the wind comes from [°], class."""

    t: np.ndarray
    speed: np.ndarray
    direction: np.ndarray
    stability: np.ndarray


@dataclass(frozen=True)
class Ranked:
    source: str
    enterprise: str
    score: float
    factor: str | None
    rate: float  #: fitted release rate [g/s]
    fit: float  #: R² of the fit
    sector_share: float
    raised: int
    handles: bool
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    start: float | None = None  #: fitted release start [s, the readings' clock] (``model`` ``puff``)
    duration: float | None = None  #: fitted release duration [s]

    @property
    def reason(self) -> str:
        return say(self.msgid, self.params)

    def say(self, gettext: Callable[[str], str]) -> str:
        return say(self.msgid, self.params, gettext)

    def as_dict(self, gettext: Callable[[str], str] | None = None) -> dict[str, Any]:
        return {"source": self.source, "score": round(self.score, 4),
                "reason": self.say(gettext) if gettext else self.reason}


def wind_at(met: MetSeries, t: np.ndarray, averaging_s: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(speed, direction from, stability) at each time: the vector mean over (t − averaging_s, t] of the records
    (the last record at or before t when none falls in the window; the first when t precedes them all)."""
    t = np.asarray(t, dtype=float)
    de, dn = -np.sin(np.radians(met.direction)), -np.cos(np.radians(met.direction))
    ue, un = np.concatenate([[0.0], np.cumsum(met.speed * de)]), np.concatenate([[0.0], np.cumsum(met.speed * dn)])
    sp = np.concatenate([[0.0], np.cumsum(met.speed)])
    hi = np.searchsorted(met.t, t, side="right")
    lo = np.searchsorted(met.t, t - averaging_s, side="right")
    lo = np.minimum(lo, np.maximum(hi - 1, 0))
    hi = np.maximum(hi, lo + 1)
    n = hi - lo
    me, mn = (ue[hi] - ue[lo]) / n, (un[hi] - un[lo]) / n
    speed = (sp[hi] - sp[lo]) / n
    direction = np.degrees(np.arctan2(-me, -mn)) % 360.0
    return speed, direction, np.asarray(met.stability)[hi - 1]


def _incident(readings: Readings, factor: str,
              s: TracebackSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(indices of the factor's readings in the incident window, their excess, raised mask, the station's noise:
    the robust standard deviation of its readings below their median)."""
    idx = np.flatnonzero((readings.factor == factor) & np.isfinite(readings.value))
    excess = np.zeros(len(idx))
    noise = np.zeros(len(idx))
    raised = np.zeros(len(idx), dtype=bool)
    st = readings.station[idx]
    for name in np.unique(st):
        m = st == name
        v = readings.value[idx][m]
        # a long incident may fill most of a station's readings: its background is a low quantile, its noise the
        # spread of the readings below the median
        bg = np.quantile(v, s.background_quantile)
        low = v[v <= np.median(v)]
        spread = 1.4826 * np.median(np.abs(low - np.median(low)))
        excess[m] = np.maximum(v - bg, 0.0)
        noise[m] = max(spread, s.noise_floor_mg_m3)
        raised[m] = excess[m] > max(s.raised_sigmas * spread, s.min_excess_mg_m3, s.raised_multiple * bg)
    if not raised.any():
        return idx[:0], excess[:0], raised[:0], noise[:0]
    t = readings.t[idx]
    first, last = t[raised].min() - s.window_margin_s, t[raised].max() + s.window_margin_s
    keep = (t >= first) & (t <= last)
    return idx[keep], excess[keep], raised[keep], noise[keep]


def _unit_plume(c: Candidate, east: np.ndarray, north: np.ndarray, speed: np.ndarray, direction: np.ndarray,
                stability: np.ndarray, age: np.ndarray, duration: float, s: TracebackSettings) -> np.ndarray:
    """1 g/s from the candidate at each reading: the release of ``duration`` [s] that started ``age`` [s] before
    the reading (Palazzi's finite release, :mod:`.model.plume`), σy widened for the direction uncertainty."""
    x, y = to_plume(east, north, c.east, c.north, direction)
    out = np.zeros(len(x))
    ok = (x > 1.0) & (age > 0)
    if not ok.any():
        return out
    sy0, sz = sigmas_by_class(x[ok], stability[ok])
    sy = np.sqrt(sy0 * sy0 + (x[ok] * np.tan(np.radians(s.direction_uncertainty_deg))) ** 2)
    h = s.source_height_m if c.height is None else c.height
    u = np.maximum(speed[ok], s.min_wind_speed)
    along = 0.5 * (erf((x[ok] - u * np.maximum(age[ok] - duration, 0.0)) / (np.sqrt(2.0) * sy0))
                   - erf((x[ok] - u * age[ok]) / (np.sqrt(2.0) * sy0)))
    out[ok] = gaussian_plume(y[ok], np.zeros(ok.sum()), 1.0, u, sy, sz, h) * along
    return out


def _fit_rate(p: np.ndarray, excess: np.ndarray, e2: float, s: TracebackSettings) -> tuple[float, float]:
    """(q ≥ 0, fit quality) of excess ≈ q·p. ``linear``: least squares, R². ``log``: least squares of
    log(1 + value / scale) over a grid of q (readings spread over decades; a small direction error must not
    outweigh the pattern of which stations saw the gas), R² of those."""
    pp, pe = float(np.sum(p * p)), float(np.sum(p * excess))
    q = pe / pp if pp > 0 and pe > 0 else 0.0
    if q <= 0:
        return 0.0, 0.0
    if s.fit_space == "linear":
        return q, max(0.0, 1.0 - float(np.sum((excess - q * p) ** 2)) / e2)
    scale = s.min_excess_mg_m3
    f_obs = np.log1p(excess / scale)
    qs = q * np.geomspace(1e-2, 1e2, 161)
    ssr = np.sum((f_obs[None, :] - np.log1p(qs[:, None] * p[None, :] / scale)) ** 2, axis=1)
    k = int(np.argmin(ssr))
    return float(qs[k]), max(0.0, 1.0 - float(ssr[k]) / float(np.sum(f_obs * f_obs)))


def _release_window(c: Candidate, east: np.ndarray, north: np.ndarray, t: np.ndarray, speed: np.ndarray,
                    raised: np.ndarray, s: TracebackSettings) -> tuple[float, float]:
    """(start, duration) [s] of a release from the candidate that explains the first and last raised readings:
    each raised reading's time less the travel time from the candidate to its station."""
    travel = np.hypot(east[raised] - c.east, north[raised] - c.north) / np.maximum(speed[raised], s.min_wind_speed)
    left = t[raised] - travel
    start, end = float(left.min()), float(left.max())
    return start, max(end - start, 60.0)


def _sector_share(c: Candidate, east: np.ndarray, north: np.ndarray, speed: np.ndarray, direction: np.ndarray,
                  s: TracebackSettings) -> np.ndarray:
    """Per reading: is the candidate inside the station's upwind sector, within the travel distance?"""
    to_source = bearing_deg(east, north, c.east, c.north)
    dist = np.hypot(c.east - east, c.north - north)
    return ((angle_diff_deg(to_source, direction) <= s.sector_half_angle_deg)
            & (dist <= np.maximum(speed, s.min_wind_speed) * s.max_travel_s))


@dataclass(frozen=True)
class WindPath:
    """The air's path over the incident: at the step times ``t`` [s], the cumulative displacement (east, north)
    [m] and travel [m] of air that moved with the smoothed met wind, and that wind's downwind unit vector and
    speed per step."""

    t: np.ndarray
    east: np.ndarray
    north: np.ndarray
    travel: np.ndarray
    unit_east: np.ndarray
    unit_north: np.ndarray
    speed: np.ndarray

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(east, north, travel) of the path at times ``t`` (linear between steps)."""
        return (np.interp(t, self.t, self.east), np.interp(t, self.t, self.north), np.interp(t, self.t, self.travel))


def wind_path(met: MetSeries, first: float, last: float, s: TracebackSettings) -> WindPath:
    """The path of the air from ``first`` to ``last`` [s] in steps of ``puff_step_s``: each step moves with the
    vector mean of the met records over ``wind_smoothing_s`` centred on it (the vane's noise averages out, the
    meander stays)."""
    edges = np.arange(first, last + s.puff_step_s, s.puff_step_s)
    mid = edges[:-1] + 0.5 * s.puff_step_s
    speed, direction, _ = wind_at(met, mid + 0.5 * s.wind_smoothing_s, s.wind_smoothing_s)
    speed = np.maximum(speed, s.min_wind_speed)
    ue, un = -np.sin(np.radians(direction)), -np.cos(np.radians(direction))
    step = np.diff(edges)
    zero = np.zeros(1)
    return WindPath(edges, np.concatenate([zero, np.cumsum(ue * speed * step)]),
                    np.concatenate([zero, np.cumsum(un * speed * step)]),
                    np.concatenate([zero, np.cumsum(speed * step)]), ue, un, speed)


def puff_matrix(c: Candidate, east: np.ndarray, north: np.ndarray, t: np.ndarray, stability: np.ndarray,
                path: WindPath, s: TracebackSettings) -> np.ndarray:
    """Concentration [mg/m³] at each reading (rows) from 1 g/s released from the candidate during each step of
    the path (columns): a Gaussian puff of ``puff_step_s`` grams carried along the path (Turner 1970 eq. 3.7 with
    ground reflection, σ at its travel distance, σx = σy widened by the step's own length: the puff stands for a
    segment u·Δt long, variance (u·Δt)²/12), its σy widened for the direction uncertainty δ (σy² + (s tan δ)²)."""
    tau = path.t[:-1]
    ok = t[:, None] > tau[None, :] + 1.0
    pe, pn, ps = path.at(t)
    k = np.clip(np.searchsorted(path.t, t, side="right") - 1, 0, len(path.speed) - 1)
    de = east[:, None] - (c.east + pe[:, None] - path.east[None, :-1])
    dn = north[:, None] - (c.north + pn[:, None] - path.north[None, :-1])
    travel = np.maximum(ps[:, None] - path.travel[None, :-1], 1.0)
    along = de * path.unit_east[k][:, None] + dn * path.unit_north[k][:, None]
    cross = -de * path.unit_north[k][:, None] + dn * path.unit_east[k][:, None]
    sy0, sz = sigmas_by_class(travel, np.broadcast_to(stability[:, None], travel.shape))
    sy = np.sqrt(sy0 * sy0 + (travel * np.tan(np.radians(s.direction_uncertainty_deg))) ** 2)
    seg = path.speed[None, :] * s.puff_step_s
    sx = np.sqrt(sy0 * sy0 + seg * seg / 12.0)
    h = s.source_height_m if c.height is None else c.height
    mass = s.puff_step_s * 1000.0  # 1 g/s for one step, in mg
    g = (mass / ((2.0 * np.pi) ** 1.5 * sx * sy * sz) * np.exp(-along * along / (2.0 * sx * sx) - cross * cross
                                                               / (2.0 * sy * sy)) * 2.0 * np.exp(-h * h / (2.0 * sz * sz)))
    return np.where(ok, g, 0.0)


def _misfit(excess: np.ndarray, model: np.ndarray, noise: np.ndarray, s: TracebackSettings) -> np.ndarray:
    """Σ ν log(1 + z²/ν) over the readings (axis −1), z = (excess − model) / √(noise² + (r·model)²): the
    readings' own noise at background, a relative error ``model_error`` r at the plume, and Student-t tails of
    ν = ``misfit_dof`` (one station the plume just grazed must not decide alone). A station that stayed at
    background where the candidate's plume would have reached it is a large z: the non-detection counts."""
    var = noise * noise + (s.model_error * model) ** 2
    z2 = (excess - model) ** 2 / var
    return np.sum(s.misfit_dof * np.log1p(z2 / s.misfit_dof), axis=-1)


def fit_release(g: np.ndarray, excess: np.ndarray, noise: np.ndarray, tau: np.ndarray, first_raised: float,
                last_raised: float, s: TracebackSettings) -> tuple[float, float, float, float]:
    """(rate q ≥ 0 [g/s], start [s], duration [s], fit quality 0–1) of the constant release from the candidate
    that best explains the readings: every start on the path's steps within ``max_travel_s`` before the first
    raised reading, each of ``release_durations_s`` (ending before the last raised reading); q by least squares,
    the best ``refine_hypotheses`` refined over a grid of q by the misfit (:func:`_misfit`). Fit quality =
    1 − misfit / the misfit of no release."""
    null = float(_misfit(excess, np.zeros_like(excess), noise, s))
    # readings no hypothesis reaches add the same to every hypothesis's misfit: out of the sums
    reach = g.max(axis=1) > 1e-9 * max(float(g.max()), 1e-300)
    fixed = float(_misfit(excess[~reach], np.zeros((~reach).sum()), noise[~reach], s))
    g, excess, noise = g[reach], excess[reach], noise[reach]
    cum = np.concatenate([np.zeros((g.shape[0], 1)), np.cumsum(g, axis=1)], axis=1)
    starts = np.flatnonzero((tau <= first_raised) & (tau >= first_raised - s.max_travel_s))
    if len(starts) == 0 or null <= 0:
        return 0.0, float(first_raised), 0.0, 0.0
    durations = np.asarray(s.release_durations_s, dtype=float)
    steps = np.maximum(np.round(durations / s.puff_step_s).astype(int), 1)
    a = np.repeat(starts, len(steps))
    b = np.minimum(a + np.tile(steps, len(starts)), len(tau))
    keep = (tau[b - 1] <= last_raised) | (b == a + steps.min())
    a, b = a[keep], b[keep]
    if len(a) == 0:
        return 0.0, float(first_raised), 0.0, 0.0
    p = (cum[:, b] - cum[:, a]).T  # hypotheses × readings
    w = 1.0 / (noise * noise)
    pp, pe = np.sum(p * p * w, axis=1), (p * w) @ excess
    q = np.where((pp > 0) & (pe > 0), pe / np.where(pp > 0, pp, 1.0), 0.0)
    cost = _misfit(excess[None, :], q[:, None] * p, noise[None, :], s)
    best = np.argsort(cost)[: s.refine_hypotheses]
    mult = np.geomspace(1e-2, 1e2, 81)
    out = (0.0, float(tau[a[best[0]]]), 0.0, null)
    chosen = -1
    for h in best:
        if q[h] <= 0:
            continue
        qs = q[h] * mult
        r = fixed + _misfit(excess[None, :], qs[:, None] * p[h][None, :], noise[None, :], s)
        m = int(np.argmin(r))
        if r[m] < out[3]:
            out = (float(qs[m]), float(tau[a[h]]), float(tau[b[h] - 1] - tau[a[h]] + s.puff_step_s), float(r[m]))
            chosen = h
    rate = _dosage_rate(p[chosen], excess, noise, s) if chosen >= 0 and out[0] > 0 else out[0]
    if rate > s.max_rate_g_s:  # its plume only grazes the readings: no rate to speak of (nor zones to draw)
        rate = 0.0
    return rate, out[1], out[2], max(0.0, 1.0 - out[3] / null)


def _dosage_rate(p: np.ndarray, excess: np.ndarray, noise: np.ndarray, s: TracebackSettings) -> float:
    """The release rate [g/s] of the chosen hypothesis (unit concentrations ``p`` at the readings for 1 g/s) by
    the dosage balance q = Σ excess / Σ p over the plume's footprint: the readings the hypothesis reaches with at
    least ``footprint_fraction`` of its highest concentration, or that read ``footprint_sigmas`` × their noise
    above background. The misfit ranks well but does not size the rate: its relative model error r makes an
    over-prediction cost at most ν log(1 + 1/(r²ν)) a reading, however large, while an under-prediction of a
    small excess at the plume's edge costs without bound, so its q drifts high (a factor 1.4 at the median and up
    to 50 on the simulated releases). The sums weigh each station by what it read, the nearest first, which is
    where the threat zones matter."""
    top = float(p.max()) if len(p) else 0.0
    if top <= 0:
        return 0.0
    foot = (p >= s.footprint_fraction * top) | (excess > s.footprint_sigmas * noise)
    dose = float(np.sum(p[foot]))
    return float(np.sum(excess[foot])) / dose if dose > 0 else 0.0

_REASON = {
    "fit": N_("%(source)s (%(enterprise)s) %(handles)s %(substance)s; it lay in the upwind sector of %(upwind)s of "
              "the %(raised)s raised readings; a plume of %(rate)s g/s from it fits the stations' readings with R² "
              "%(fit)s."),
    "puff": N_("%(source)s (%(enterprise)s) %(handles)s %(substance)s; it lay in the upwind sector of %(upwind)s of "
               "the %(raised)s raised readings; a release of %(rate)s g/s for about %(minutes)s min, carried along "
               "the wind history, fits the stations' readings (those that stayed clean too) with a fit quality of "
               "%(fit)s (1 = perfect)."),
    "no_reach": N_("%(source)s (%(enterprise)s) %(handles)s %(substance)s; it lay in the upwind sector of "
                   "%(upwind)s of the %(raised)s raised readings; its plume reaches no station that read the gas "
                   "above background."),
}
HANDLES = {True: N_("handles"), False: N_("does not handle")}


def rank_sources(readings: Readings, met: MetSeries, candidates: Sequence[Candidate],
                 settings: TracebackSettings = TracebackSettings(),
                 names: Callable[[str], str] = lambda code: code) -> list[Ranked]:
    """Candidates best first (ties keep the given order). ``names`` turns a factor code into the substance's
    name (a msgid) for the sentences."""
    s = settings
    best: dict[str, Ranked] = {}
    factors = [str(f) for f in np.unique(readings.factor)]
    for factor in factors:
        idx, excess, raised, noise = _incident(readings, factor, s)
        if not raised.any():
            continue
        east, north = readings.east[idx], readings.north[idx]
        speed, direction, stability = wind_at(met, readings.t[idx], s.averaging_s)
        e2 = float(np.sum(excess * excess))
        t = readings.t[idx]
        first_raised, last_raised = float(t[raised].min()), float(t[raised].max())
        path = wind_path(met, float(t.min()) - s.max_travel_s, float(t.max()), s) if s.model == "puff" else None
        for c in candidates:
            if s.model == "puff":
                g = puff_matrix(c, east, north, t, stability, path, s)
                q, start, duration, fit = fit_release(g, excess, noise, path.t[:-1], first_raised, last_raised, s)
            else:
                # the air reaching a station at t left the candidate a travel time r/u earlier: the wind of that
                # trajectory is the mean over the travel time (at least ``averaging_s``)
                travel = np.hypot(east - c.east, north - c.north) / np.maximum(speed, s.min_wind_speed)
                window = np.clip(travel, s.averaging_s, s.max_travel_s)
                c_speed, c_direction, _ = wind_at(met, t, window)
                start, duration = _release_window(c, east, north, t, c_speed, raised, s)
                p = _unit_plume(c, east, north, c_speed, c_direction, stability, t - start, duration, s)
                q, fit = _fit_rate(p, excess, e2, s)
            sector = _sector_share(c, east[raised], north[raised], speed[raised], direction[raised], s)
            share = float(sector.mean())
            handles = factor in c.substances
            score = (s.fit_weight * fit + (1.0 - s.fit_weight) * share) * (1.0 if handles else s.mismatch_factor)
            params = {"source": c.source, "enterprise": c.enterprise, "handles": HANDLES[handles],
                      "substance": names(factor), "upwind": int(sector.sum()), "raised": int(raised.sum()),
                      "rate": f"{q:.3g}", "fit": f"{fit:.2f}"}
            if s.model == "puff":
                params["minutes"] = f"{duration / 60.0:.0f}"
            r = Ranked(c.source, c.enterprise, score, factor, q, fit, share, int(raised.sum()), handles,
                       _REASON[("puff" if s.model == "puff" else "fit") if q > 0 else "no_reach"], params, start if q > 0 else None,
                       duration if q > 0 else None)
            if c.source not in best or r.score > best[c.source].score:
                best[c.source] = r
    if not best:
        return [Ranked(c.source, c.enterprise, 0.0, None, 0.0, 0.0, 0.0, 0, False,
                       N_("No station read any pollutant above its background: nothing to trace."), {})
                for c in candidates]
    order = {c.source: i for i, c in enumerate(candidates)}
    return sorted(best.values(), key=lambda r: (-r.score, order[r.source]))


def sector_ranking(readings: Readings, met: MetSeries, candidates: Sequence[Candidate],
                   settings: TracebackSettings = TracebackSettings()) -> list[str]:
    """The baseline (§7 item 14): candidates ranked by handling the pollutant, then by how many raised readings
    had them in the upwind sector, then by distance to the nearest raised station."""
    s = settings
    key: dict[str, tuple] = {}
    for factor in [str(f) for f in np.unique(readings.factor)]:
        idx, _, raised, _ = _incident(readings, factor, s)
        if not raised.any():
            continue
        idx = idx[raised]
        east, north = readings.east[idx], readings.north[idx]
        speed, direction, _ = wind_at(met, readings.t[idx], s.averaging_s)
        for c in candidates:
            hits = int(_sector_share(c, east, north, speed, direction, s).sum())
            k = (factor in c.substances, hits, -float(np.min(np.hypot(c.east - east, c.north - north))))
            key[c.source] = max(key.get(c.source, k), k)
    return sorted((c.source for c in candidates), key=lambda src: key.get(src, (False, 0, -np.inf)), reverse=True)
