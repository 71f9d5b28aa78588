"""Fraud-sign (pattern) detectors: signatures of gamed or falsified monitoring data.

Each detector is a pure function ``detect_x(data: PointData, cfg: DetectorSettings) -> list[Finding]``
registered with :func:`~ecosentry.subsystems.monitoring.detect.model.detector`, and each finding code is in the rule catalogue.
Sources: reference notes (``china-vietnam-rules.md``) §5.2 national 电子督办 categories 11, 12, 14, 15;
§5.3 on-site inspection checklist; §5.4 cross-parameter and limit-gaming patterns; §5.6 suggested
detector set; ``anchors.md`` §6.1 "fraud signatures worth coding". The national thresholds of these
categories were not obtained (§5.2), so every threshold here is a platform choice ("ours") and a setting
of :class:`PatternSettings`.

The national rules (missing, constant, negative, over range, O2 logic, zero while running) live in
:mod:`ecosentry.subsystems.monitoring.detect.national`; nothing here repeats them.

Common conventions
------------------
* Only valid values count (:func:`~ecosentry.subsystems.monitoring.detect.model.valid_mask`). Flue-gas pollutants are judged
  on their 折算 values (``Series.zs``) when present, as exceedance is (§4.1).
* Level-based detectors (limit hugging, step then flat, day/night, narrow band, clone) only look at hours
  of normal production (:func:`~ecosentry.subsystems.monitoring.detect.model.running_mask`): a stopped stack is flat and low
  for honest reasons. When the running state is unknown every hour counts and the evidence says so.
* Local time (day/night, calendar days) is the point's zone ``PointData.tz``.
* Every detector is O(n) in the number of records (numpy; sliding windows of fixed width).
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ecosentry.subsystems.monitoring.detect.model import (
    Finding,
    PointData,
    Series,
    detector,
    hour_floor,
    is_concentration,
    resolution_decimals,
    role_of,
    running_mask,
    to_datetime,
    to_datetime64,
    valid_mask,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings, PatternSettings
from ecosentry.contracts.catalogue import Rule, register

__all__ = [
    "PatternSettings",
    "LINKED_ROLES",
    "detect_limit_hugging",
    "detect_step_flat",
    "detect_channel_clone",
    "detect_day_night",
    "detect_narrow_band",
    "detect_narrow_spread",
    "detect_parameter_drift",
    "detect_marks_before_exceedance",
    "detect_last_digit",
    "chi2_sf",
    "last_digit_resolution",
]

_MOD = "ecosentry.subsystems.monitoring.detect.patterns"
_REF = "china-vietnam-rules.md"
_ANCH = "anchors.md"


#: Role pairs that are physically linked and so may legitimately move together: flow = area × velocity
#: (HJ 212-2017 eq. (30)); velocity from differential pressure (eq. (29)); saturated flue gas after wet
#: desulfurisation: moisture follows temperature. Order inside a pair does not matter.
LINKED_ROLES: frozenset[frozenset[str]] = frozenset({
    frozenset({"velocity", "flow"}),
    frozenset({"velocity", "pressure"}),
    frozenset({"flow", "pressure"}),
    frozenset({"temperature", "moisture"}),
})

# ---------------------------------------------------------------------------------------------- catalogue

_SRC_HUG = f"环境自动监控数据异常 category 12 贴限生产 (thresholds not published); {_REF} §5.2, §5.4, §5.6"
RULE_LIMIT_HUG = register(Rule(
    "DET-LIMIT-HUG", "warning",
    "Valid hourly values pile up just below the hourly limit (share in [0.9·L, L) or a histogram cliff at L), "
    "more than the plant's load and its own scatter put there.",
    _SRC_HUG, _MOD, "S/ours", kind="falsification"))
RULE_LIMIT_HUG_DAY = register(Rule(
    "DET-LIMIT-HUG-DAY", "warning",
    "Daily means pile up just below the daily limit (share in [0.9·L, L) or a histogram cliff at L).",
    _SRC_HUG, _MOD, "S/ours", kind="falsification"))
RULE_STEP_FLAT = register(Rule(
    "DET-STEP-FLAT", "warning",
    "A sudden jump between levels followed by an implausibly flat stretch (突升突降后保持平稳).",
    f"环境自动监控数据异常 category 11 (thresholds not published); {_REF} §5.2, §5.4, §5.6", _MOD, "S/ours",
    kind="falsification"))
RULE_CLONE = register(Rule(
    "DET-CLONE", "critical",
    "A pollutant channel has near-identical hourly shape to another pollutant or to a process parameter over a "
    "day, also after the plant's load is removed from both (one signal wired twice).",
    f"{_REF} §5.4 (case: dust, velocity and temperature of identical shape), §5.6; partial correlation "
    "after the load component (Fisher 1924, Metron 3:329)", _MOD, "S/ours",
    kind="falsification"))
RULE_DAY_NIGHT = register(Rule(
    "DET-DAY-NIGHT", "warning",
    "Night-time concentration repeatedly far above the day-time one (昼夜差异明显, night discharge).",
    f"环境自动监控数据异常 category 14 (thresholds not published); {_REF} §5.2, §5.4", _MOD, "S/ours", kind="falsification"))
RULE_NARROW_BAND = register(Rule(
    "DET-NARROW-BAND", "warning",
    "Values stay for a week within 2 % of the analyser range while the plant's load moved and they did not follow it "
    "(long-term narrow-band fluctuation).",
    f"现场监督检查 checklist (长期在量程2%以内变化); {_REF} §5.3, §5.4 cross-parameter consistency, §5.6", _MOD, "S/ours",
    kind="falsification"))
RULE_NARROW_SPREAD = register(Rule(
    "DET-NARROW-SPREAD", "warning",
    "A pollutant held in a narrow band: for hours its hour-to-hour changes are far smaller than the point's own "
    "history and its load (flow, velocity, O2, temperature) imply.",
    f"现场监督检查 checklist (长期在固定值附近窄幅波动); {_REF} §5.3, §5.4 cross-parameter consistency; variance "
    "ratio test (chi-square)", _MOD, "S/ours", kind="falsification"))
RULE_AT_DL = register(Rule(
    "DET-AT-DETECTION-LIMIT", "info",
    "Values hover at the method detection limit for a long period, parked at the limit itself or not following the "
    "plant's load.",
    f"现场监督检查 checklist (数据长期在检出限附近); {_REF} §5.3, §5.6", _MOD, "S/ours", kind="falsification"))
RULE_PARAM_DRIFT = register(Rule(
    "DET-PARAM-DRIFT", "critical",
    "A reported instrument parameter (K_v, area, range, slope, intercept, reference O2, dilution) differs "
    "from the registered (备案) value.",
    f"环发〔2015〕175号 Art. 4(9); {_REF} §5.3, §5.4, §5.6", _MOD, "S/ours", kind="falsification"))
RULE_AREA_IMPLIED = register(Rule(
    "DET-AREA-IMPLIED", "warning",
    "Flow ÷ velocity implies a duct cross-section area different from the registered area.",
    f"环境自动监控数据异常 category 15 横截面积数据异常; HJ 212-2017 App. D eq. (30); {_REF} §5.2, §5.4",
    _MOD, "S/ours", kind="falsification"))
RULE_MARK_EXC = register(Rule(
    "DET-MARK-BEFORE-EXCEEDANCE", "warning",
    "Marks or data gaps repeatedly begin just when the preceding hours were heading over the limit.",
    f"Wang et al. 2022 J. Environ. Manage. 314:115081; {_ANCH} §6.1; {_REF} §5.4 (false marking)",
    _MOD, "V/ours", kind="falsification"))
RULE_LAST_DIGIT = register(Rule(
    "DET-LAST-DIGIT", "info",
    "The last reported digit is far from uniform (chi-square test); weak evidence of edited values.",
    f"{_ANCH} §6.1 (last-digit test; Benford caveats, Atmosphere 15:1303); {_REF} §5.1 Art. 4(12)",
    _MOD, "V/ours", kind="falsification"))

# ---------------------------------------------------------------------------------------------- helpers

_HOUR = 3600


def _running(data: PointData, times: np.ndarray, cfg: Any) -> tuple[np.ndarray, bool]:
    """Running mask at ``times`` and whether it is known (unknown → all True)."""
    run = running_mask(data, times, cfg)
    if run is None:
        return np.ones(len(times), dtype=bool), False
    return run, True


def _level_values(s: Series, medium: str) -> tuple[np.ndarray, bool]:
    """Values judged against limits: 折算 for gas pollutants when present (§4.1), else measured."""
    if medium == "gas" and s.zs is not None and is_concentration(s.factor):
        return np.asarray(s.zs, dtype=np.float64), True
    return np.asarray(s.values, dtype=np.float64), False


def _valid_running(data: PointData, s: Series, cfg: Any, *, use_zs: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """``(times, values, running_known, zs_used)`` of valid records taken during normal production."""
    vals, zs_used = _level_values(s, data.medium) if use_zs else (np.asarray(s.values, np.float64), False)
    ok = valid_mask(s) & np.isfinite(vals)
    run, known = _running(data, s.times, cfg)
    ok &= run
    return s.times[ok], vals[ok], known, zs_used


def _unit(factor: str, medium: str) -> str:
    role = role_of(factor)
    return {"o2": "%", "velocity": "m/s", "temperature": "°C", "moisture": "%", "pressure": "kPa",
            "flow": "m³/s" if medium == "gas" else "m³/h", "ph": ""}.get(
        role or "", "mg/L" if medium == "water" else "mg/m³")


def _num(x: float) -> str:
    """A number as a regulator reads it (3–4 significant digits, no exponent for usual magnitudes)."""
    if not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %" if abs(x) >= 0.1 else f"{100 * x:.1f} %"


def _local(t: datetime | np.datetime64, tz: str) -> str:
    """``2024-05-03 18:00`` in the point's zone (the explanation names the zone once)."""
    if isinstance(t, np.datetime64):
        t = to_datetime(t)
    return t.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _local_offsets(times: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset [s] of the zone at each instant (computed once per UTC hour and zone in a process)."""
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    hours = hour_floor(times).view(np.int64) // _HOUR
    lo, hi = int(hours.min()), int(hours.max())
    if hi - lo < 4 * len(hours) + 48:
        # the hours of the span in a table, looked up by position (no sort of the instants' hours)
        return _span_offsets(tz, lo, hi)[hours - lo]
    uniq, inv = np.unique(hours, return_inverse=True)
    return np.array([_hour_offset(tz, h) for h in uniq.tolist()], dtype=np.int64)[inv.reshape(-1)]


#: (zone, UTC hour since the epoch) → the zone's UTC offset [s] then (the detectors ask for the same hours of
#: the same points ~10 times a point)
_HOUR_OFFSETS: dict[tuple[str, int], int] = {}


@lru_cache(maxsize=64)
def _span_offsets(tz: str, lo: int, hi: int) -> np.ndarray:
    """:func:`_hour_offset` of each UTC hour ``lo``…``hi``, read-only (a point's rules ask for the same span)."""
    table = np.array([_hour_offset(tz, h) for h in range(lo, hi + 1)], dtype=np.int64)
    table.setflags(write=False)
    return table


def _hour_offset(tz: str, hour: int) -> int:
    """UTC offset [s] of zone ``tz`` at the start of UTC hour ``hour`` (hours since 1970-01-01T00Z)."""
    off = _HOUR_OFFSETS.get((tz, hour))
    if off is None:
        off = _HOUR_OFFSETS[(tz, hour)] = _offset_s(datetime.fromtimestamp(hour * 3600, tz=ZoneInfo(tz)))
    return off


def _offset_s(t: datetime) -> int:
    off = t.utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _local_clock(times: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """``(local_day as datetime64[D], local hour 0–23)`` for UTC ``times``: in whole seconds (days and hours
    floored, as the calendar units are), the calendar units' conversions only for a time that is NaT."""
    local = times.astype("datetime64[s]") + _local_offsets(times, tz).astype("timedelta64[s]")
    seconds = local.view(np.int64)
    if len(seconds) and seconds.min() == np.iinfo(np.int64).min:
        day = local.astype("datetime64[D]")
        hour = ((local - day.astype("datetime64[s]")).astype(np.int64) // _HOUR).astype(np.int64)
        return day, hour
    days = seconds // 86400
    return days.view("datetime64[D]"), (seconds - days * 86400) // _HOUR


def _stretches(mask: np.ndarray, times: np.ndarray, max_gap_s: float) -> list[tuple[int, int]]:
    """Maximal runs of True whose consecutive records are at most ``max_gap_s`` apart (inclusive pairs)."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    n = len(m)
    cut = np.ones(n + 1, dtype=bool)  # cut[i]: records i − 1 and i are in different runs (and at both ends)
    cut[1:n] = (np.diff(times.astype(np.int64)) > max_gap_s) | ~m[:-1] | ~m[1:]
    return list(zip(np.flatnonzero(m & cut[:n]).tolist(), np.flatnonzero(m & cut[1:]).tolist()))


def _finding(rule: Rule, data: PointData, factors: Sequence[str], start: np.datetime64 | datetime,
             end: np.datetime64 | datetime, explanation: str, evidence: dict[str, Any]) -> Finding:
    s = to_datetime(start) if isinstance(start, np.datetime64) else start.astimezone(timezone.utc)
    e = to_datetime(end) if isinstance(end, np.datetime64) else end.astimezone(timezone.utc)
    return Finding(rule.code, rule.severity or "info", data.point, tuple(factors), s, e, explanation, evidence)


def _settings(cfg: Any, names: Iterable[str]) -> dict[str, Any]:
    p = cfg.patterns
    return {n: getattr(p, n) for n in names}


def _what(factor: str, zs_used: bool) -> str:
    return f"{factor} 折算" if zs_used else factor


# ---------------------------------------------------------------------------------------------- 1 limit hugging


def _hug_stats(x: np.ndarray, limit: float, band_low: float) -> dict[str, Any]:
    lo = band_low * limit
    hi_mirror = (2.0 - band_low) * limit
    below = int(np.count_nonzero((x >= lo) & (x < limit)))
    mirror = int(np.count_nonzero((x >= limit) & (x < hi_mirror)))
    above = int(np.count_nonzero(x >= limit))
    n = len(x)
    return {"n": n, "in_band": below, "share_in_band": below / n if n else 0.0,
            "in_mirror_band_above": mirror, "at_or_above_limit": above,
            "cliff_ratio": below / max(mirror, 1)}


def _hugs(st: dict[str, Any], p: PatternSettings) -> str | None:
    if st["share_in_band"] >= p.hug_share_min:
        return "share"
    if st["share_in_band"] >= p.hug_cliff_share_min and st["in_band"] >= p.hug_cliff_ratio * max(
            st["in_mirror_band_above"], 1):
        return "cliff"
    return None


#: Hour-to-hour correlation of the residuals is taken at most this high (variance inflation ≤ 39).
_HUG_RHO_MAX = 0.95
_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal distribution function Φ(z) = (1 + erf(z / √2)) / 2 (scipy is not a dependency)."""
    return 0.5 * (1.0 + _ERF(np.asarray(z, dtype=np.float64) / math.sqrt(2.0)))


def _hug_expected(data: PointData, t: np.ndarray, x: np.ndarray, limit: float, band_low: float
                  ) -> dict[str, Any] | None:
    """How many of the hourly values ``x`` (at ``t``) the plant's load and its own scatter put in the band
    ``[band_low·L, L)`` and at or over the limit ``L``, against how many are there.

    The load model is the trimmed least-squares fit of ``x`` on the point's flow, velocity, O2 and
    temperature (:func:`_load_prediction`, the fit ``DET-NARROW-SPREAD`` uses); the scatter around it is the
    robust standard deviation ``σ = 1.4826 · MAD`` of the residuals ``e``. Hour *i* then lies in the band with
    probability ``p_i = Φ((L − ŷ_i)/σ) − Φ((band_low·L − ŷ_i)/σ)`` and over the limit with
    ``q_i = 1 − Φ((L − ŷ_i)/σ)`` (``ŷ_i`` the prediction plus the residuals' median). Expected counts
    ``E = Σ p_i``; their variance ``Σ p_i (1 − p_i)`` is multiplied by ``(1 + ρ)/(1 − ρ)``, the variance
    inflation of a sum of AR(1) terms, with the residuals' hour-to-hour correlation
    ``ρ = 1 − s_Δ² / (2σ²)`` (``s_Δ`` the robust standard deviation of the changes of ``e`` over
    consecutive hours, so that a window lifted as a whole does not count as correlation). Two scores:

    .. math:: z_{band} = (O_{band} − E_{band}) / \\sqrt{V_{band} + 1}, \\quad
              z_{above} = (E_{above} − O_{above}) / \\sqrt{V_{above} + 1}

    (one hour's count added to the variance, so an expectation of zero gives a finite score). ``None`` when
    there is no scatter to model (σ = 0: half of the values or more are one number).

    Why: a plant that runs close to its limit is there because of its load and its process; its values move
    with them and spread across the limit as its scatter spreads them, so the band holds what the model puts
    there (issue 13, honest set: SO2 at 0.8–0.88 of 35 mg/m³, ``z_band`` between −0.7 and 0.7). A ceiling
    piles into the band the hours the process would have put above it, or lifts hours into the band that
    the load does not lift: ``z_band`` of 10⁵ and more on the honest set's capped peaks of units whose usual
    level is well under the limit. A cap on a unit already close to its limit stays inside its scatter.
    """
    pred, used = _load_prediction(data, t, x)
    e = x - pred
    ok = np.isfinite(e)
    if ok.sum() < 10:
        return None
    centre = float(np.median(e[ok]))
    sigma = 1.4826 * float(np.median(np.abs(e[ok] - centre)))
    if not sigma > 0:
        return None
    secs = t.astype("datetime64[s]").astype(np.int64)
    joined = (np.diff(secs) == _HOUR) & ok[1:] & ok[:-1]
    de = np.diff(e)[joined]
    rho = 0.0
    if len(de) >= 10:
        s_d = 1.4826 * float(np.median(np.abs(de - np.median(de))))
        rho = float(np.clip(1.0 - s_d ** 2 / (2.0 * sigma ** 2), 0.0, _HUG_RHO_MAX))
    inflation = (1.0 + rho) / (1.0 - rho)
    level = pred[ok] + centre
    below_limit = _normal_cdf((limit - level) / sigma)
    p_band = below_limit - _normal_cdf((band_low * limit - level) / sigma)
    p_above = 1.0 - below_limit
    xo = x[ok]
    o_band = int(np.count_nonzero((xo >= band_low * limit) & (xo < limit)))
    o_above = int(np.count_nonzero(xo >= limit))
    e_band, e_above = float(p_band.sum()), float(p_above.sum())
    v_band = float((p_band * (1.0 - p_band)).sum()) * inflation
    v_above = float((p_above * (1.0 - p_above)).sum()) * inflation
    return {"load_channels": used, "scatter": sigma, "residual_hour_correlation": rho,
            "expected_in_band": e_band, "expected_at_or_above": e_above,
            "z_band": (o_band - e_band) / math.sqrt(v_band + 1.0),
            "z_above": (e_above - o_above) / math.sqrt(v_above + 1.0)}


@detector("limit_hugging", codes=[RULE_LIMIT_HUG.code, RULE_LIMIT_HUG_DAY.code])
def detect_limit_hugging(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """贴限生产: valid values pile up in ``[band_low·limit, limit)``.

    Hourly values (gas: 折算) against ``data.limits``; daily means of local days against
    ``data.day_limits``. A finding when the share of values in the band is at least ``hug_share_min``, or
    when it is at least ``hug_cliff_share_min`` and the band holds ``hug_cliff_ratio`` times as many values
    as the mirror band ``[limit, (2 − band_low)·limit)`` above (a histogram cliff at the limit).

    Hourly values: the pile-up must also be one the process does not explain (:func:`_hug_expected`): the
    band holds more hours than the plant's load and its own scatter put there (``z_band``), or the far side
    of the limit fewer (``z_above``), by at least ``hug_excess_z_min``. A plant that honestly runs close to
    its limit (it saves reagent, and it is legal) has a histogram that a share or a cliff test calls a
    pile-up: SO2 at 0.85 of its limit with a scatter of 0.06 of it puts a fifth of its hours in the band and
    almost none above, a tail, not a cliff (issue 13: three such units on seed 151, 1–3 on every 8-day
    honest set). A ceiling is what it cannot produce. Worked examples: a unit at 0.85 L whose SO2 follows
    its load, 40 of 192 hours in the band (a cliff: 5 above the limit) where its load and scatter put 46: no
    finding; a unit at half its limit whose logger caps a day of risen SO2 at 0.97 L, 24 hours in the band
    where they put less than one: a finding. A cap on a unit already close to its limit hides inside the
    unit's own scatter; its still hours at the ceiling are ``DET-LIMIT-CAP``'s evidence. Values that barely
    scatter (half of them one number) are left to the histogram alone. The daily variant keeps the
    histogram tests (20 daily means and more are too few to fit a load model on).

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.2 category 12 贴限生产 (national, threshold not published), §5.4 "a histogram with a
    pile-up just below the limit", §5.6; anchors.md §6.1 "bunching just below the limit" (Stoerk 2016).
    """
    p = cfg.patterns
    out: list[Finding] = []
    names = ("hug_band_low", "hug_share_min", "hug_min_values", "hug_cliff_ratio", "hug_cliff_share_min",
             "hug_min_days", "hug_day_min_hours", "hug_excess_z_min")
    for factor in sorted(data.hours):
        s = data.hours[factor]
        if not is_concentration(factor):
            continue
        limit = data.limits.get(factor)
        day_limit = data.day_limits.get(factor)
        if not (limit and limit > 0) and not (day_limit and day_limit > 0):
            continue
        t, x, known, zs_used = _valid_running(data, s, cfg)
        unit = _unit(factor, data.medium)
        what = _what(factor, zs_used)
        if limit and limit > 0 and len(x) >= p.hug_min_values:
            st = _hug_stats(x, float(limit), p.hug_band_low)
            why = _hugs(st, p)
            process = _hug_expected(data, t, x, float(limit), p.hug_band_low) if why else None
            if process is not None and max(process["z_band"], process["z_above"]) < p.hug_excess_z_min:
                why = None  # the plant's load and scatter put its hours there: a plant close to its limit
            if why:
                days = (int((t[-1] - t[0]).astype(np.int64)) + _HOUR) / 86400
                tail = ("none above it" if st["at_or_above_limit"] == 0
                        else f"only {st['in_mirror_band_above']} in the same width above it")
                said = ""
                if process is not None:
                    scatter = f"(±{_num(process['scatter'])} {unit}"
                    load = (f"its load ({', '.join(process['load_channels'])}) and its own scatter {scatter})"
                            if process["load_channels"] else
                            f"its own scatter {scatter}; no load channel to compare with)")
                    said = (f", where {load} would put about "
                            f"{process['expected_in_band']:.0f} there and {process['expected_at_or_above']:.0f} "
                            f"over the limit")
                expl = (f"Over {days:.0f} days, {_pct(st['share_in_band'])} of {st['n']} valid hourly {what} "
                        f"values at point {data.point} lay in [{_pct(p.hug_band_low)}, 100 %) of the "
                        f"{_num(limit)} {unit} limit ({st['in_band']} values) and {tail}{said}; an honest "
                        f"process rarely piles up just under a limit.")
                ev = dict(st, limit=limit, unit=unit, averaging="hour", criterion=why, zs_used=zs_used,
                          running_known=known, process=process, settings=_settings(cfg, names))
                out.append(_finding(RULE_LIMIT_HUG, data, (factor,), t[0], t[-1] + np.timedelta64(_HOUR, "s"),
                                    expl, ev))
        if day_limit and day_limit > 0 and len(x) >= p.hug_min_days:
            day, _ = _local_clock(t, data.tz)
            uniq, inv, cnt = np.unique(day, return_inverse=True, return_counts=True)
            means = np.bincount(inv, weights=x) / cnt
            keep = cnt >= p.hug_day_min_hours
            dm, dd = means[keep], uniq[keep]
            if len(dm) < p.hug_min_days:
                continue
            st = _hug_stats(dm, float(day_limit), p.hug_band_low)
            why = _hugs(st, p)
            if not why:
                continue
            tail = ("none above it" if st["at_or_above_limit"] == 0
                    else f"only {st['in_mirror_band_above']} in the same width above it")
            expl = (f"On {st['in_band']} of {st['n']} days ({_pct(st['share_in_band'])}) the daily mean {what} at "
                    f"point {data.point} lay in [{_pct(p.hug_band_low)}, 100 %) of the {_num(day_limit)} {unit} "
                    f"daily limit and {tail}; an honest process rarely piles up just under a limit.")
            ev = dict(st, limit=day_limit, unit=unit, averaging="day", criterion=why, zs_used=zs_used,
                      running_known=known, first_day=str(dd[0]), last_day=str(dd[-1]),
                      settings=_settings(cfg, names))
            start = _day_start(dd[0], data.tz)
            end = _day_start(dd[-1] + np.timedelta64(1, "D"), data.tz)
            out.append(_finding(RULE_LIMIT_HUG_DAY, data, (factor,), start, end, expl, ev))
    return out


def _day_start(day: np.datetime64, tz: str) -> datetime:
    """Local midnight of ``day`` as an aware datetime."""
    d = day.astype(object)
    return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz))


# ---------------------------------------------------------------------------------------------- 2 step then flat


def _in_marks(marks: Sequence[Any], types: Sequence[str], times: np.ndarray, step_s: int) -> np.ndarray:
    """Intervals ``[t, t + step)`` overlapping a mark of one of ``types``."""
    out = np.zeros(len(times), dtype=bool)
    s0 = times.astype("datetime64[s]").astype(np.int64)
    for m in marks:
        if m.type in types:
            a = to_datetime64(m.start).astype("datetime64[s]").astype(np.int64)
            b = to_datetime64(m.end).astype("datetime64[s]").astype(np.int64)
            out |= (s0 < b) & (s0 + step_s > a)
    return out


def _daily_regime(t: np.ndarray, x: np.ndarray, stretch_t: np.ndarray, level: float, p: PatternSettings) -> bool:
    """The flat level is the plant's daily schedule: on at least ``step_regime_min_share`` of the other days
    with data at the same clock hours, the mean there is within half the minimum jump of ``level``.

    A day-shift plant discharges at one pumped rate by day and a low steady rate (or nothing) at night;
    the step at the shift change and the flat level after it recur every day. 突升突降后保持平稳 is a
    change to a level the plant does not otherwise hold (issue 13).
    """
    secs = t.astype("datetime64[s]").astype(np.int64)
    want = stretch_t.astype("datetime64[s]").astype(np.int64)
    day = 86400
    span = (secs[-1] - secs[0]) // day + 1 if len(secs) else 0
    seen = same = 0
    for k in range(-int(span), int(span) + 1):
        if k == 0:
            continue
        shifted = want + k * day
        idx = np.searchsorted(secs, shifted)
        idx = np.clip(idx, 0, len(secs) - 1)
        hit = secs[idx] == shifted
        if hit.sum() < max(len(want) // 2, 1):
            continue
        seen += 1
        same += abs(float(x[idx[hit]].mean()) - level) <= 0.5 * p.step_jump_frac * abs(level)
    return seen > 0 and same >= p.step_regime_min_share * seen


@detector("step_flat", codes=[RULE_STEP_FLAT.code])
def detect_step_flat(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """突升突降后保持平稳: a jump between levels, then a flat stretch.

    On each stretch of valid running hours (gaps ≤ ``step_max_gap_hours``): the mean ``L0`` of the
    ``step_level_hours`` before hour *i* and the window of ``step_flat_hours`` from *i* with mean ``L1``
    and coefficient of variation ``cv``. A step at *i* when ``cv ≤ step_flat_cv``, the window starting one
    hour earlier is not flat (onset), and ``|L1 − L0| / max(|L0|, |L1|) ≥ step_jump_frac``. The episode
    runs while consecutive windows stay flat. Concentrations and flow.

    Flue gas is judged on the 折算 value *and* on the measured value (issue 13): the analyser reports the
    measured concentration; the 折算 is computed from it and the O2 (HJ 212-2017 Appendix D eq. (28)), so a
    reading held flat comes out of the 折算 carrying the O2's own movement (≈ 1–2 % an hour), above any
    flatness threshold, while the held reading itself sits still. One finding per episode. ``L0`` is the mean
    of the ``step_level_hours`` before *i*, or the last full hour before the hour of the step (the hour in
    which a step falls holds part of each level), whichever lies further from ``L1``: on a plant that follows
    its load, a sudden step leaves the level of the hour before it, and a six-hour mean of a rising load
    understates it.

    Flow of a plant that is not producing is no flat-lined meter (issue 13): hours inside a ``stopped``
    mark are left out, and a flat flow at the level the plant holds at the same clock hours on most other
    days (a day-shift plant's pumped day rate, its low night rate) is its schedule (:func:`_daily_regime`).

    Flat hourly means are not a flat reading (issue 13): an honest base-load plant holds its hourly means
    within 1 % because the hour averages readings that still fluctuate, e.g. SO2 around 15 mg/m³ with a
    minute-to-minute jitter of 0.3 mg/m³ (2 %), and coming back to that level after any disturbance is a
    step onto a flat stretch. When the point has minute data, the stretch is a sign only when the
    analyser's minute jitter in it (:func:`_minute_jitter`, measured and 折算, the stiller of the two) is
    at most ``step_jitter_ratio`` of the factor's ordinary jitter in its other running hours: a held or
    programmed value (the same 28.7 mg/m³ ± 0.06) is still at the minute scale too. Worked example: jitter
    0.31 mg/m³ in the stretch against 0.33 elsewhere (ratio 0.94) is honest; 0.07 against 0.35 (0.20) is
    a sign. Without minute data, or when the factor's readings never move within an hour (a wastewater
    analyser holding one value per measuring cycle), the hourly test stands alone.

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.2 category 11 (national, threshold not published), §5.4, §5.6 "step and flat";
    anchors.md §6.1 "sudden step changes at calibration time".
    """
    names = ("step_jump_frac", "step_level_hours", "step_flat_hours", "step_flat_cv", "step_max_gap_hours",
             "step_regime_min_share", "step_jitter_ratio")
    out: list[Finding] = []
    for factor in sorted(data.hours):
        is_flow = role_of(factor) == "flow"
        if not (is_concentration(factor) or is_flow):
            continue
        # flue gas: the 折算 value (what the limit judges) and the analyser's own measured value; a reading held
        # flat shows in the measured value, while the 折算 computed from it still carries the O2's movement
        found: list[Finding] = []
        judged = [_valid_running(data, data.hours[factor], cfg)]
        if judged[0][3]:  # 折算 judged first: the measured value too
            judged.append(_valid_running(data, data.hours[factor], cfg, use_zs=False))
        jitter: list[tuple[np.ndarray, np.ndarray]] | None = None  # per-hour minute jitter, computed on demand
        for t, x, known, zs_used in judged:
            if is_flow:  # a declared stop is not production: its flat flow says nothing of the meter
                keep = ~_in_marks(data.marks, ("stopped",), t, _HOUR)
                t, x = t[keep], x[keep]
            for f in _step_flat_episodes(data, factor, t, x, known, zs_used, is_flow, cfg, names):
                if any(f.start < g.end and g.start < f.end for g in found):  # one finding per episode
                    continue
                if cfg.patterns.step_jitter_ratio > 0:
                    if jitter is None:
                        jitter = _minute_jitter(data, factor, cfg)
                    ratio = _jitter_ratio(jitter, f.start, f.end)
                    if ratio is not None:
                        if ratio > cfg.patterns.step_jitter_ratio:
                            continue  # the readings still fluctuate as usual: flat hourly means, not a held value
                        f = replace(f, evidence={**f.evidence, "minute_jitter_ratio": round(ratio, 3)})
                found.append(f)
        out += found
    return out


def _minute_jitter(data: PointData, factor: str, cfg: DetectorSettings
                   ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per clock hour, the root-mean-square change between consecutive valid running minute readings of
    ``factor`` and the hour's mean reading: ``[(hour_starts [s], jitter, level)]``, one triple for the
    measured and one for the 折算 value when present; empty without minute data. Differences of successive readings leave out the hour's own trend
    (a load ramp), so this is the reading's fluctuation, not the process's movement. O(n)."""
    s, hourly = data.minutes.get(factor), data.hours.get(factor)
    if s is None or hourly is None or len(s.times) < 3 or not len(hourly.times):
        return []
    t = _secs(s.times)
    h = _secs(hourly.times)
    # each minute reading belongs to the hour record that starts at or before it (the point's clock hours)
    hour = np.searchsorted(h, t, side="right") - 1
    inside = (hour >= 0) & (t < h[np.maximum(hour, 0)] + _HOUR)
    ok = valid_mask(s) & inside & _running(data, hourly.times, cfg)[0][np.maximum(hour, 0)]
    out = []
    for vals in (s.values, s.zs):
        if vals is None:
            continue
        v = np.asarray(vals, dtype=np.float64)
        good = ok & np.isfinite(v)
        # a pair counts when both readings are good, one minute-ish apart and in the same hour
        pair = good[1:] & good[:-1] & (hour[1:] == hour[:-1]) & (np.diff(t) <= 2 * 60)
        if not pair.any():
            continue
        d2 = np.diff(v)[pair] ** 2
        hours, inv = np.unique(hour[1:][pair], return_inverse=True)
        n = np.bincount(inv).astype(np.float64)
        level = np.bincount(inv, v[1:][pair]) / n
        out.append((h[hours], np.sqrt(np.bincount(inv, d2) / n), level))
    return out


def _windows(x: np.ndarray, w: int) -> np.ndarray:
    """Every window of ``w`` consecutive values of the 1-D ``x``, one a row: the read-only view
    ``numpy.lib.stride_tricks.sliding_window_view(x, w)`` gives, without its argument handling (asked a few
    thousand times a run, for short series)."""
    if not 0 <= w <= len(x):
        raise ValueError("window shape cannot be larger than input array shape")
    step = x.strides[0]
    return as_strided(x, shape=(len(x) - w + 1, w), strides=(step, step), writeable=False)


def _secs(times: np.ndarray) -> np.ndarray:
    return times.astype("datetime64[s]").astype(np.int64)


def _jitter_ratio(jitter: list[tuple[np.ndarray, np.ndarray, np.ndarray]], start: datetime, end: datetime
                  ) -> float | None:
    """How still the readings in ``[start, end)`` are against the factor's other hours: the median hourly
    minute jitter inside over the median outside, in absolute terms and relative to the hour's level, the
    larger of the two (a meter whose noise is a share of its reading jitters less at a low night rate, an
    analyser with a fixed noise floor jitters relatively less at a high level; a held value is still in
    both terms); the smaller over measured and 折算. ``None`` when it cannot be told (no minute data, too
    few hours, or readings that never move within an hour)."""
    a = int(to_datetime64(start).astype("datetime64[s]").astype(np.int64))
    b = int(to_datetime64(end).astype("datetime64[s]").astype(np.int64))
    ratios = []
    for hours, jit, level in jitter:
        inside = (hours >= a) & (hours < b)
        if inside.sum() < 2 or (~inside).sum() < 6:
            continue
        usual = float(np.median(jit[~inside]))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(level > 0, jit / level, np.nan)
        usual_rel = float(np.nanmedian(rel[~inside])) if np.isfinite(rel[~inside]).any() else 0.0
        if usual <= 0 or not usual_rel > 0 or not np.isfinite(rel[inside]).any():
            continue
        ratios.append(max(float(np.median(jit[inside])) / usual, float(np.nanmedian(rel[inside])) / usual_rel))
    return min(ratios) if ratios else None


def _step_jumps(seg: np.ndarray, mu: np.ndarray, prev: np.ndarray, k: int) -> np.ndarray:
    """The jump of :func:`_step_flat_episodes` onto each window ``i ≥ k`` (its mean ``mu[i]``) from the level
    left (``prev[i − k]``, or ``seg[i − 2]`` when further from it), by the same operations, for every window
    at once (NaN where both levels are 0)."""
    l1 = mu[k:]
    l0 = prev[:len(l1)]
    i = np.arange(k, len(mu))
    last_full = seg[np.maximum(i - 2, 0)]
    further = (i >= 2) & (np.abs(l1 - last_full) > np.abs(l1 - l0))
    l0 = np.where(further, last_full, l0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(l1 - l0) / np.maximum(np.abs(l0), np.abs(l1))


def _step_flat_episodes(data: PointData, factor: str, t: np.ndarray, x: np.ndarray, known: bool, zs_used: bool,
                        is_flow: bool, cfg: DetectorSettings, names: tuple[str, ...]) -> list[Finding]:
    """The step-then-flat episodes of one series of hourly values ``x`` at ``t`` (see :func:`detect_step_flat`)."""
    p = cfg.patterns
    k, n = p.step_level_hours, p.step_flat_hours
    out: list[Finding] = []
    for a, b in _stretches(np.ones(len(t), bool), t, p.step_max_gap_hours * _HOUR):
        seg_t, seg = t[a:b + 1], x[a:b + 1]
        if len(seg) < k + n:
            continue
        win = _windows(seg, n)
        mu = win.mean(axis=1)
        prev = _windows(seg, k).mean(axis=1)  # prev[j] = mean(seg[j:j+k])
        if not (_step_jumps(seg, mu, prev, k) >= p.step_jump_frac).any():
            continue  # no level is left far enough for a step, flat or not
        sd = win.std(axis=1)
        flat = (mu > 0) & (sd <= p.step_flat_cv * mu)
        for i in np.flatnonzero(flat[k:]) + k:
            if flat[i - 1]:
                continue
            l1 = float(mu[i])
            # the level left: the mean of the k hours before, or the last full hour before the hour in which the
            # step happened (that hour holds part of each level): a sudden step on a plant that follows its load
            # leaves the hour just before it, not the mean of the hours before
            l0 = float(prev[i - k])
            if i >= 2:
                last_full = float(seg[i - 2])
                if abs(l1 - last_full) > abs(l1 - l0):
                    l0 = last_full
            jump = abs(l1 - l0) / max(abs(l0), abs(l1))
            if jump < p.step_jump_frac:
                continue
            j = i
            while j + 1 < len(flat) and flat[j + 1]:
                j += 1
            last = j + n - 1
            stretch = seg[i:last + 1]
            level = float(stretch.mean())
            if is_flow and _daily_regime(t, x, seg_t[i:last + 1], level, p):
                continue
            cv = float(stretch.std() / level)
            hours = int((seg_t[last] - seg_t[i]).astype(np.int64)) // _HOUR + 1
            unit = _unit(factor, data.medium)
            verb = "jumped" if l1 > l0 else "dropped"
            expl = (f"At point {data.point}, hourly {_what(factor, zs_used)} {verb} from {_num(l0)} to "
                    f"{_num(l1)} {unit} ({(l1 - l0) / l0 * 100:+.0f} %) at {_local(seg_t[i], data.tz)} "
                    f"({data.tz}) and then stayed flat for {hours} hours (coefficient of variation "
                    f"{cv * 100:.2f} %); measurements normally keep fluctuating after a change of level."
                    if l0 else
                    f"At point {data.point}, hourly {_what(factor, zs_used)} {verb} from 0 to {_num(l1)} "
                    f"{unit} at {_local(seg_t[i], data.tz)} ({data.tz}) and then stayed flat for {hours} "
                    f"hours (coefficient of variation {cv * 100:.2f} %).")
            ev = {"level_before": l0, "level_after": level, "jump_frac": jump, "flat_hours": hours,
                  "flat_cv": cv, "unit": unit, "zs_used": zs_used, "running_known": known,
                  "settings": _settings(cfg, names)}
            out.append(_finding(RULE_STEP_FLAT, data, (factor,), seg_t[i],
                                seg_t[last] + np.timedelta64(_HOUR, "s"), expl, ev))
    return out


# ---------------------------------------------------------------------------------------------- 3 clone


def _linked(f1: str, f2: str, p: PatternSettings) -> bool:
    if frozenset({f1, f2}) in {frozenset(pair) for pair in p.clone_linked_factors}:
        return True
    r1, r2 = role_of(f1), role_of(f2)
    return r1 is not None and r2 is not None and r1 != "concentration" and frozenset({r1, r2}) in LINKED_ROLES


def _daily_r(a: np.ndarray, b: np.ndarray, day: np.ndarray, ndays: int, min_n: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-day Pearson r of each pair of rows ``a[k]``, ``b[k]`` (one grid, local day ``day``) over their common
    finite points: ``(r, n, cv_a, cv_b, ok)``, each ``(pairs, ndays)``.

    Every pair in one pass of weighted counts: each (pair, day) sum adds that pair's values of the day in time
    order, the same numbers as the pair taken alone."""
    pairs = a.shape[0]
    c = np.isfinite(a) & np.isfinite(b)
    pair, pos = np.nonzero(c)
    key = pair * ndays + day[pos]
    xs, ys = a[c], b[c]
    size = pairs * ndays
    n = np.bincount(key, minlength=size).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(key, xs, size) / n
        my = np.bincount(key, ys, size) / n
        dx, dy = xs - mx[key], ys - my[key]
        vx = np.bincount(key, dx * dx, size) / n
        vy = np.bincount(key, dy * dy, size) / n
        cov = np.bincount(key, dx * dy, size) / n
        r = cov / np.sqrt(vx * vy)
        cvx = np.sqrt(vx) / np.abs(mx)
        cvy = np.sqrt(vy) / np.abs(my)
    ok = (n >= min_n) & (vx > 0) & (vy > 0)
    return tuple(v.reshape(pairs, ndays) for v in (r, n, cvx, cvy, ok))  # type: ignore[return-value]


def _parameter(factor: str) -> bool:
    """A flue-gas or water process parameter (velocity, temperature, pressure, moisture, flow, O2 ...)."""
    return not is_concentration(factor)


def _clone_candidate(f1: str, f2: str, p: PatternSettings) -> bool:
    """Pairs the clone test judges: at least one pollutant, and not a physically linked pair.

    Process parameters among themselves are never clone candidates: velocity, flow, pressure, temperature,
    moisture and O2 of a running boiler all follow its load (issue 13: flue-gas velocity and temperature of
    clean plants were called clones).
    """
    return not (_parameter(f1) and _parameter(f2)) and not _linked(f1, f2, p)


def _related(f: str, g: str, p: PatternSettings) -> bool:
    """``g`` is ``f`` itself, or physically linked to it (its regression would absorb ``f``)."""
    if f == g or _linked(f, g, p):
        return True
    rf, rg = role_of(f), role_of(g)
    return rf is not None and rf != "concentration" and rf == rg


def _residual_day_r(x: np.ndarray, y: np.ndarray, load: np.ndarray, rows: np.ndarray, consecutive: np.ndarray,
                    min_n: int) -> tuple[float, float, int] | None:
    """Pearson r of the residuals of ``x`` and ``y`` after each is regressed on ``load``, on ``rows`` of one day.

    Returns ``(r_levels, r_changes, n)`` on the residuals and on their hour-to-hour changes, or ``None`` when
    there are too few rows for the regression or a channel is (numerically) a function of the load alone.
    """
    X = load[:, rows].T if load.size else np.empty((int(rows.sum()), 0))
    ok = np.isfinite(x[rows]) & np.isfinite(y[rows]) & np.isfinite(X).all(axis=1)
    idx = np.flatnonzero(rows)[ok]
    n, k = len(idx), X.shape[1]
    if n < min_n or n - k - 1 < max(min_n // 2, 6):
        return None
    Xo = X[ok]
    scale = Xo.std(axis=0)
    Xo = Xo[:, scale > 0]
    A = np.column_stack([np.ones(n), (Xo - Xo.mean(axis=0)) / scale[scale > 0]]) if Xo.shape[1] else np.ones((n, 1))
    res = []
    for v in (x[idx], y[idx]):
        coef, *_ = np.linalg.lstsq(A, v, rcond=None)
        e = v - A @ coef
        if not np.std(e) > 1e-3 * np.std(v):  # explained by the load alone: nothing left to compare
            return None
        res.append(e)
    r = float(np.corrcoef(res[0], res[1])[0, 1])
    step = consecutive[idx[:-1]] & (np.diff(idx) == 1)
    if step.sum() < max(min_n // 2, 3):
        return None
    d0, d1 = np.diff(res[0])[step], np.diff(res[1])[step]
    if not (np.std(d0) > 0 and np.std(d1) > 0):
        return None
    return r, float(np.corrcoef(d0, d1)[0, 1]), n


@detector("channel_clone", codes=[RULE_CLONE.code])
def detect_channel_clone(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Cross-channel clone: a pollutant channel carrying the same signal as another channel over a local day.

    All hourly series of the point on a common hour grid (valid, running hours only: a shutdown moves
    every channel together). Candidate pairs (:func:`_clone_candidate`): a pollutant against another
    pollutant or against a process parameter; never two process parameters (physics links them through
    the load), never a linked pair (:data:`LINKED_ROLES`, ``clone_linked_factors``). For each candidate pair
    and local day with ≥ ``clone_min_points`` common hours and each channel's CV ≥ ``clone_min_cv``:

    1. the raw shape test: Pearson r of the levels ≥ ``clone_r_min`` **and** of the hour-to-hour changes
       ≥ ``clone_diff_r_min``;
    2. the residual test, when the point has other channels that carry its load: each of the two channels
       is regressed (least squares, with intercept, on that day) on the other channels (the *load
       component*: flow, velocity, O2, temperature ... and the other pollutants), leaving out the two
       channels, those physically linked to them, and those that themselves pass the raw shape test with
       either (a third copy of the same signal is no load proxy); the residual levels and changes must
       again reach ``clone_r_min`` and ``clone_diff_r_min``. Two honest channels share the load and nothing
       else, so their residuals are independent noise; a wired copy keeps r = 1 on any residual.

    Consecutive such days give one finding. Without a load channel only the raw test applies and the
    evidence says so (``load_removed``: false).

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.4 (case: particulate, velocity and temperature curves of identical shape after the
    temperature signal was wired into the other channels), §5.6 "cross-channel clone: r > 0.99 over 24 h".
    Removing a common factor before comparing two series is partial correlation (Fisher 1924, Metron 3:329;
    Kendall & Stuart, The Advanced Theory of Statistics vol. 2, ch. 27); issue 13 for the load component.
    """
    p = cfg.patterns
    factors = [f for f in sorted(data.hours) if len(data.hours[f])]
    if len(factors) < 2:
        return []
    grid = np.unique(np.concatenate([data.hours[f].times for f in factors]))
    run, known = _running(data, grid, cfg)
    mat = np.full((len(factors), len(grid)), np.nan)
    for i, f in enumerate(factors):
        s = data.hours[f]
        ok = valid_mask(s)
        idx = np.searchsorted(grid, s.times[ok])
        mat[i, idx] = s.values[ok]
    mat[:, ~run] = np.nan
    local_day, _ = _local_clock(grid, data.tz)
    days, day = np.unique(local_day, return_inverse=True)
    day = day.reshape(-1)
    consecutive = (np.diff(grid.astype(np.int64)) == _HOUR) & (day[1:] == day[:-1])
    consecutive_full = np.append(consecutive, False)
    names = ("clone_r_min", "clone_diff_r_min", "clone_min_points", "clone_min_cv", "clone_linked_factors")
    nf = len(factors)
    # 1. raw shape test for every pair (also tells which channels are near-exact copies: no load proxies)
    raw: dict[tuple[int, int], tuple[np.ndarray, ...]] = {}
    exact: dict[tuple[int, int], np.ndarray] = {}
    level_r_min = min(p.clone_r_min, p.clone_copy_r_min)
    pairs = [(i, j) for i in range(nf) for j in range(i + 1, nf)]
    first, second = np.array([i for i, _ in pairs], dtype=np.int64), np.array([j for _, j in pairs], dtype=np.int64)
    r, n, cvx, cvy, ok = _daily_r(mat[first], mat[second], day, len(days), p.clone_min_points)
    with np.errstate(invalid="ignore"):
        shaped_levels = ok & (cvx >= p.clone_min_cv) & (cvy >= p.clone_min_cv)
        # pairs whose levels pass either test on some day: only their changes are asked (their r is only read
        # on the days that pass); the others are neither a clone nor a copy, whatever the changes do
        judged = np.flatnonzero((shaped_levels & (r >= level_r_min)).any(axis=1))
    rd = np.full(r.shape, np.nan)
    okd = np.zeros(r.shape, dtype=bool)
    if len(judged):
        changes = np.where(consecutive, np.diff(mat, axis=1), np.nan)
        rd[judged], _, _, _, okd[judged] = _daily_r(changes[first[judged]], changes[second[judged]], day[1:],
                                                    len(days), max(p.clone_min_points // 2, 3))
    for k, (i, j) in enumerate(pairs):
        with np.errstate(invalid="ignore"):
            shaped = shaped_levels[k] & okd[k]
            hit = shaped & (r[k] >= p.clone_r_min) & (rd[k] >= p.clone_diff_r_min)
            raw[(i, j)] = (hit, r[k], rd[k], n[k], cvx[k], cvy[k])
            exact[(i, j)] = shaped & (r[k] >= p.clone_copy_r_min) & (rd[k] >= p.clone_copy_diff_r_min)

    def copies(a: int, b: int, d: int) -> bool:
        return bool(exact[(min(a, b), max(a, b))][d])
    out: list[Finding] = []
    for (i, j), (hit, r, rd, n, cvx, cvy) in raw.items():
        fi, fj = factors[i], factors[j]
        if not hit.any() or not _clone_candidate(fi, fj, p):
            continue
        # 2. residual test on the flagged days
        res_r = np.full(len(days), np.nan)
        res_rd = np.full(len(days), np.nan)
        load_used: dict[int, list[str]] = {}
        for d in np.flatnonzero(hit):
            proxies = [k for k in range(nf) if k not in (i, j)
                       and not _related(fi, factors[k], p) and not _related(fj, factors[k], p)
                       and not copies(i, k, d) and not copies(j, k, d)]
            rows = day == d
            both = rows & np.isfinite(mat[i]) & np.isfinite(mat[j])
            usable = [k for k in proxies if np.isfinite(mat[k, both]).mean() >= 0.9]
            if not usable:
                if any(_parameter(factors[k]) for k in range(nf) if k not in (i, j)):
                    # the point has load channels, but each is linked to the pair or a copy of it: the
                    # shared load cannot be told from a shared wire, so the day is not judged (precision)
                    hit[d] = False
                continue
            got = _residual_day_r(mat[i], mat[j], mat[usable], rows, consecutive_full, p.clone_min_points)
            load_used[int(d)] = [factors[k] for k in usable]
            if got is None:
                hit[d] = False  # the load explains the channels: no shape of their own left to compare
                continue
            res_r[d], res_rd[d] = got[0], got[1]
            if not (got[0] >= p.clone_r_min and got[1] >= p.clone_diff_r_min):
                hit[d] = False
        if not hit.any():
            continue
        # consecutive calendar days form one episode
        dnum = days.astype(np.int64)
        flagged = np.flatnonzero(hit)
        groups = np.split(flagged, np.flatnonzero(np.diff(dnum[flagged]) != 1) + 1)
        for g in groups:
            rs, rds = r[g], rd[g]
            first, last = days[g[0]], days[g[-1]]
            span = (f"on {first}" if len(g) == 1 else f"on {len(g)} consecutive days ({first} to {last})")
            removed = [int(k) in load_used for k in g]
            load_note = (" and kept it after the plant's load (" + ", ".join(load_used[int(g[0])])
                         + ") was removed from both" if all(removed) else "")
            kinds = "a pollutant and a process parameter" if (_parameter(fi) or _parameter(fj)) else "two pollutants"
            expl = (f"At point {data.point}, {span} the hourly curves of {fi} and {fj} had near-identical "
                    f"shape (Pearson r ≥ {np.min(rs):.4f} on levels and ≥ {np.min(rds):.4f} on "
                    f"hour-to-hour changes){load_note}, although the two ({kinds}) are physically unrelated; "
                    f"this is the signature of one signal wired into several channels.")
            ev = {"days": [str(days[k]) for k in g], "r_levels": [float(v) for v in rs],
                  "r_changes": [float(v) for v in rds], "points": [int(v) for v in n[g]],
                  "cv": {fi: [float(v) for v in cvx[g]], fj: [float(v) for v in cvy[g]]},
                  "load_removed": removed,
                  "residual_r_levels": [None if not np.isfinite(res_r[k]) else float(res_r[k]) for k in g],
                  "residual_r_changes": [None if not np.isfinite(res_rd[k]) else float(res_rd[k]) for k in g],
                  "load_channels": sorted({c for k in g for c in load_used.get(int(k), [])}),
                  "running_known": known, "settings": _settings(cfg, names)}
            out.append(_finding(RULE_CLONE, data, (fi, fj), _day_start(first, data.tz),
                                _day_start(last + np.timedelta64(1, "D"), data.tz), expl, ev))
    return out


# ---------------------------------------------------------------------------------------------- 4 day/night


@detector("day_night", codes=[RULE_DAY_NIGHT.code])
def detect_day_night(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """昼夜差异明显: night mean concentration repeatedly ≥ ``daynight_ratio`` × day mean.

    Local time. A "diurnal day" runs from ``night_end_hour`` to the same hour next day, so one night
    (``night_start_hour`` to ``night_end_hour``) belongs to the day before it. A diurnal day counts when it
    has ≥ ``daynight_min_day_hours`` valid running day hours and ≥ ``daynight_min_night_hours`` night hours
    and a positive day mean; it is marked when night mean / day mean ≥ ``daynight_ratio``. A finding when
    the marked days are at least ``daynight_min_days`` and ``daynight_min_share`` of the counted days.
    Concentrations (gas: 折算), wastewater and gas.

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.2 category 14 (national, threshold not published), §5.4 "night discharge, or
    treatment switched off at night".
    """
    p = cfg.patterns
    names = ("night_start_hour", "night_end_hour", "daynight_ratio", "daynight_min_days",
             "daynight_min_share", "daynight_min_day_hours", "daynight_min_night_hours")
    out: list[Finding] = []
    for factor in sorted(data.hours):
        if not is_concentration(factor):
            continue
        t, x, known, zs_used = _valid_running(data, data.hours[factor], cfg)
        if len(t) == 0:
            continue
        shifted = t - np.timedelta64(p.night_end_hour * _HOUR, "s")
        dday, _ = _local_clock(shifted, data.tz)
        _, hour = _local_clock(t, data.tz)
        if p.night_start_hour > p.night_end_hour:
            night = (hour >= p.night_start_hour) | (hour < p.night_end_hour)
        else:
            night = (hour >= p.night_start_hour) & (hour < p.night_end_hour)
        days, inv = np.unique(dday, return_inverse=True)
        inv = inv.reshape(-1)
        nd = len(days)
        n_night = np.bincount(inv[night], minlength=nd)
        n_day = np.bincount(inv[~night], minlength=nd)
        with np.errstate(invalid="ignore", divide="ignore"):
            m_night = np.bincount(inv[night], x[night], nd) / n_night
            m_day = np.bincount(inv[~night], x[~night], nd) / n_day
            ratio = m_night / m_day
        counted = (n_day >= p.daynight_min_day_hours) & (n_night >= p.daynight_min_night_hours) & (m_day > 0)
        marked = counted & (ratio >= p.daynight_ratio)
        nc, nm = int(counted.sum()), int(marked.sum())
        if nm < p.daynight_min_days or nm < p.daynight_min_share * nc:
            continue
        unit = _unit(factor, data.medium)
        mr = float(np.median(ratio[marked]))
        expl = (f"On {nm} of {nc} days ({_pct(nm / nc)}) the night-time ({p.night_start_hour:02d}:00–"
                f"{p.night_end_hour:02d}:00 {data.tz}) mean {_what(factor, zs_used)} at point {data.point} was at "
                f"least {_num(p.daynight_ratio)} times the day-time mean (median {_num(mr)} times: "
                f"{_num(float(np.median(m_night[marked])))} against {_num(float(np.median(m_day[marked])))} "
                f"{unit}); discharge or treatment switched off at night shows this way.")
        idx = np.flatnonzero(marked)
        ev = {"days_counted": nc, "days_marked": nm, "median_ratio": mr,
              "marked": [{"day": str(days[k]), "night_mean": float(m_night[k]), "day_mean": float(m_day[k]),
                          "ratio": float(ratio[k])} for k in idx],
              "unit": unit, "zs_used": zs_used, "running_known": known, "settings": _settings(cfg, names)}
        start = _day_start(days[idx[0]], data.tz) + timedelta(hours=p.night_end_hour)
        end = _day_start(days[idx[-1]] + np.timedelta64(1, "D"), data.tz) + timedelta(hours=p.night_end_hour)
        out.append(_finding(RULE_DAY_NIGHT, data, (factor,), start, end, expl, ev))
    return out


# ---------------------------------------------------------------------------------------------- 5 narrow band


def _load_following(data: PointData, t: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    """How far the plant's load moved over the values ``x`` at ``t``, and whether ``x`` followed it.

    *Swing*: the flow (else the velocity) over the same hours, P90 − P10 over its median (``None`` when the
    point reports neither). *Following*: the Lagrange multiplier test of the least-squares fit of ``x`` on the
    point's load channels (:func:`_load_levels`)

    .. math:: LM = n R^2 \\sim \\chi^2(k)

    whose p-value is ``load_p`` (``None`` when there are too few values or no load channel; 1 when ``x`` is
    one value throughout: nothing of it follows anything). Breusch & Pagan 1980; hourly values are
    autocorrelated, which makes the test find a load signal more easily: the error falls on the side of
    "follows the load".
    """
    sign: dict[str, Any] = {"load_channels": [], "load_swing": None, "load_swing_factor": None, "load_p": None}
    cols, used = _load_levels(data, t)
    moving = [(v, f) for v, f in zip(cols, used) if role_of(f) in ("flow", "velocity")]
    if moving:
        load = moving[0][0][np.isfinite(moving[0][0])]
        mid = float(np.median(load)) if len(load) else 0.0
        if mid > 0:
            q10, q90 = np.percentile(load, [10, 90])
            sign["load_swing"] = float((q90 - q10) / mid)
            sign["load_swing_factor"] = moving[0][1]
    X = np.column_stack(cols) if cols else np.empty((len(x), 0))
    fit = np.isfinite(X).all(axis=1) & np.isfinite(x)
    n, k = int(fit.sum()), len(cols)
    if k and n >= 2 * (k + 1) + 10 and float(np.std(x[fit])) > 0:
        Xf = X[fit]
        A = np.column_stack([np.ones(n), (Xf - Xf.mean(axis=0)) / Xf.std(axis=0)])
        coef, *_ = np.linalg.lstsq(A, x[fit], rcond=None)
        r2 = 1.0 - float(np.sum((x[fit] - A @ coef) ** 2)) / float(np.sum((x[fit] - x[fit].mean()) ** 2))
        sign["load_p"] = chi2_sf(n * max(r2, 0.0), k)
        sign["load_channels"] = list(used)
    elif k and n >= 2 * (k + 1) + 10:
        sign["load_p"] = 1.0  # one value throughout: nothing of it follows anything
        sign["load_channels"] = list(used)
    return sign


def _load_words(load: dict[str, Any]) -> str:
    """What the load said of a narrow band (:func:`_load_following`), as a clause of the explanation."""
    if load["load_swing"] is None:
        return ", and the point reports no flow or velocity by which a steady load could explain it"
    said = (f", while the plant's load moved ({load['load_swing_factor']} swung by {_pct(load['load_swing'])} "
            "of its median)")
    if load["load_p"] is not None:
        said += f" and the values did not follow it ({', '.join(load['load_channels'])}: p = {load['load_p']:.2f})"
    return said


def _dl_sign(data: PointData, t: np.ndarray, x: np.ndarray, dl: float, p: PatternSettings
             ) -> dict[str, Any] | None:
    """Why values hovering at the detection limit ``dl`` are not measurements of the stack, or ``None``.

    A clean plant whose true level is low reads near the DL too (reference notes §5.3: hovering is suspicious
    when the true level is higher); its readings are still measurements, so they form a continuum and follow
    the plant's load (fuel burnt, dilution by excess air: the load component of the honest set). Written
    values do neither. *Parked*: at least ``dl_parked_share`` of the values are the DL itself (within
    ``dl_at_tolerance`` · DL). *Not following the load*: the load moved (flow, else velocity: P90 − P10 at
    least ``dl_load_swing_min`` of the median) and the point's load channels explain none of the values
    (:func:`_load_following`: ``p ≥ dl_load_p_min``).
    """
    at_dl = np.abs(x - dl) <= p.dl_at_tolerance * dl
    share = float(at_dl.mean()) if len(x) else 0.0
    sign: dict[str, Any] = {"share_at_dl": share, "parked": share >= p.dl_parked_share,
                            **_load_following(data, t, x)}
    decoupled = (sign["load_swing"] is not None and sign["load_swing"] >= p.dl_load_swing_min
                 and sign["load_p"] is not None and sign["load_p"] >= p.dl_load_p_min)
    return sign if sign["parked"] or decoupled else None


@detector("narrow_band", codes=[RULE_NARROW_BAND.code, RULE_AT_DL.code])
def detect_narrow_band(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Narrow band: a week within 2 % of the analyser range; hovering at the detection limit.

    *Narrow band* (``DET-NARROW-BAND``): for pollutant concentrations with an analyser range ``(low, high)``,
    sliding windows
    of ``m = ceil(narrow_min_share · narrow_window_hours)`` consecutive valid running values spanning at
    most ``narrow_window_hours``; a window is narrow when ``max − min ≤ narrow_range_frac · (high − low)``
    and ``max − min ≤ narrow_level_frac · |mean|`` (ours: honest low readings on a wide range pass the first).
    Overlapping narrow windows form one episode. An episode is a sign only when the plant's load gives no
    reason for it (:func:`_load_following` over its hours): not when the load was steady (flow, else velocity,
    P90 − P10 below ``narrow_load_swing_min`` of its median) and not when the values followed the load
    (``p < narrow_load_p_min``). A base-load unit fires steadily and its SCR holds NOx at a set-point, so its
    NOx stays within 2 % of range for weeks, honestly (issue 13: every base-load unit's NOx on 8-day honest
    sets); what is left of its movement is the O2 dilution of eq. (28), which the test finds. Such a unit is
    still judged by the national 恒值 rule (``DET-RANGE-HALFMONTH``: half-month range < 5 % of the mean), the
    line the national rule draws whatever the load. A point without flow or velocity is judged as before.

    *At the detection limit* (``DET-AT-DETECTION-LIMIT``): for factors with a method detection limit DL,
    stretches (gaps ≤ ``dl_max_gap_hours``) of valid running values all ≤ ``dl_hover_factor`` · DL lasting
    ≥ ``dl_min_hours`` whose values are not measurements of the stack (:func:`_dl_sign`): parked at the DL
    (most of them the DL itself) or not following the plant's load while it moved. A clean plant whose true
    level is low reads near the DL for weeks, honestly: its readings form a continuum and follow the load
    (the honest set's ultra-low dust, 1.2–2 mg/m³ under a DL of 1.0, does both), so hovering alone is not
    a sign (issue 13).

    Measured values (not 折算): the range and DL are the analyser's.

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.3 on-site inspection checklist: "long-term variation within 2 % of range", "data
    hovering around the method detection limit for long periods"; §5.6 "narrow band".
    """
    p = cfg.patterns
    out: list[Finding] = []
    m = int(math.ceil(p.narrow_min_share * p.narrow_window_hours))
    for factor in sorted(data.hours):
        s = data.hours[factor]
        t, x, known, _ = _valid_running(data, s, cfg, use_zs=False)
        unit = _unit(factor, data.medium)
        lo, hi = data.ranges.get(factor, (None, None))
        if (is_concentration(factor) and lo is not None and hi is not None and hi > lo and m >= 2
                and len(x) >= m):
            band = p.narrow_range_frac * (hi - lo)
            win = _windows(x, m)
            spread = win.max(axis=1) - win.min(axis=1)
            span = (t[m - 1:] - t[:len(t) - m + 1]).astype(np.int64)
            narrow = ((span <= (p.narrow_window_hours - 1) * _HOUR) & (spread <= band)
                      & (spread <= p.narrow_level_frac * np.abs(win.mean(axis=1))))
            for a, b in _stretches(narrow, np.arange(len(narrow)) * _HOUR, _HOUR):
                last = b + m - 1
                seg = x[a:last + 1]
                load = _load_following(data, t[a:last + 1], seg)
                steady = load["load_swing"] is not None and load["load_swing"] < p.narrow_load_swing_min
                followed = load["load_p"] is not None and load["load_p"] < p.narrow_load_p_min
                if steady or followed:
                    continue  # narrow because the plant's firing was steady, or moving with its load
                worst = float(spread[a:b + 1].max())
                hours = int((t[last] - t[a]).astype(np.int64)) // _HOUR + 1
                expl = (f"For {hours} hours from {_local(t[a], data.tz)} ({data.tz}), hourly {factor} at point "
                        f"{data.point} stayed between {_num(float(seg.min()))} and {_num(float(seg.max()))} "
                        f"{unit} and no {p.narrow_window_hours}-hour window varied by more than {_num(worst)} "
                        f"{unit} = {(worst / (hi - lo)) * 100:.2f} % of the {_num(lo)}–{_num(hi)} {unit} "
                        f"range{_load_words(load)}; the inspection guide treats variation within "
                        f"{p.narrow_range_frac * 100:.0f} % of range as suspicious.")
                ev = {"range": [lo, hi], "band": band, "max_window_spread": worst, "min": float(seg.min()),
                      "max": float(seg.max()), "values": int(len(seg)), "hours": hours, "unit": unit,
                      "running_known": known, **load,
                      "settings": _settings(cfg, ("narrow_range_frac", "narrow_window_hours", "narrow_min_share",
                                                  "narrow_level_frac", "narrow_load_swing_min",
                                                  "narrow_load_p_min"))}
                out.append(_finding(RULE_NARROW_BAND, data, (factor,), t[a],
                                    t[last] + np.timedelta64(_HOUR, "s"), expl, ev))
        dl = data.detection_limits.get(factor)
        if dl is not None and dl > 0 and len(x):
            hover = x <= p.dl_hover_factor * dl
            for a, b in _stretches(hover, t.astype(np.int64), p.dl_max_gap_hours * _HOUR):
                hours = int((t[b] - t[a]).astype(np.int64)) // _HOUR + 1
                if hours < p.dl_min_hours:
                    continue
                seg = x[a:b + 1]
                sign = _dl_sign(data, t[a:b + 1], seg, dl, p)
                if sign is None:
                    continue  # values of a clean plant whose true level is low: they follow its load
                expl = (f"For {hours} hours from {_local(t[a], data.tz)} ({data.tz}), all {len(seg)} valid hourly "
                        f"{factor} values at point {data.point} stayed at or below {_num(p.dl_hover_factor)} × the "
                        f"{_num(dl)} {unit} method detection limit (median {_num(float(np.median(seg)))} {unit}) "
                        + (f"and {_pct(sign['share_at_dl'])} of them were the detection limit itself"
                           if sign["parked"] else
                           f"while the plant's load moved ({sign['load_swing_factor']} swung by "
                           f"{_pct(sign['load_swing'])} of its median) and the values did not follow it "
                           f"({', '.join(sign['load_channels'])}: p = {sign['load_p']:.2f})")
                        + "; the inspection guide treats long hovering at the detection limit as suspicious.")
                ev = {"detection_limit": dl, "values": int(len(seg)), "hours": hours,
                      "median": float(np.median(seg)), "max": float(seg.max()), "unit": unit,
                      "running_known": known, **sign,
                      "settings": _settings(cfg, ("dl_hover_factor", "dl_min_hours", "dl_max_gap_hours",
                                                  "dl_parked_share", "dl_at_tolerance", "dl_load_p_min",
                                                  "dl_load_swing_min"))}
                out.append(_finding(RULE_AT_DL, data, (factor,), t[a], t[b] + np.timedelta64(_HOUR, "s"),
                                    expl, ev))
    return out


# ---------------------------------------------------------------------------------------------- 5b narrow spread

#: Roles that carry a plant's load (regressors of the expected movement of a pollutant).
_LOAD_ROLES = ("flow", "velocity", "o2", "temperature")
#: Residuals beyond this many robust standard deviations are left out of the load fit's second pass.
_TRIM_SIGMAS = 3.0


def _load_levels(data: PointData, t: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """The point's load channels (flow, velocity, O2, temperature) at ``t`` (NaN where a channel has no
    valid value then), those at least half present and not constant, with their factor codes.

    Kept on the point for the same ``t`` and load series (the pollutants of a point mostly share their valid
    running hours, and several rules ask): read-only arrays, the same numbers as taken afresh."""
    channels = tuple(data.by_role(role) for role in _LOAD_ROLES)
    key = (t.dtype.str, t.tobytes())
    cache = data.__dict__.setdefault("_load_levels", {})
    hit = cache.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], channels)):
        hit = cache[key] = (channels, _levels_at(channels, t))
    cols, used = hit[1]
    return list(cols), list(used)


def _levels_at(channels: tuple[Series | None, ...], t: np.ndarray) -> tuple[list[np.ndarray], list[str]]:
    """:func:`_load_levels` of ``channels`` (one per role of :data:`_LOAD_ROLES`), taken afresh."""
    cols, used = [], []
    for s in channels:
        if s is None or not len(s):
            continue
        ok = valid_mask(s)
        idx = np.clip(np.searchsorted(s.times, t), 0, len(s) - 1)
        v = np.where((s.times[idx] == t) & ok[idx], s.values[idx], np.nan)
        if np.isfinite(v).mean() >= 0.5 and np.nanstd(v) > 0:
            v.setflags(write=False)
            cols.append(v)
            used.append(s.factor)
    return cols, used


def _trimmed_fit(A: np.ndarray, y: np.ndarray, n_cols: int) -> np.ndarray:
    """Least squares of ``y`` on ``A``, refitted without the rows beyond ``_TRIM_SIGMAS`` robust σ of the
    first fit's residuals (Rousseeuw & Leroy 1987, reweighted least squares) when enough rows remain."""
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    e = y - A @ coef
    scale = 1.4826 * float(np.median(np.abs(e - np.median(e))))
    keep = np.abs(e - np.median(e)) <= _TRIM_SIGMAS * scale if scale > 0 else np.ones(len(e), dtype=bool)
    if keep.sum() >= 2 * (n_cols + 1) + 10 and not keep.all():
        coef, *_ = np.linalg.lstsq(A[keep], y[keep], rcond=None)
    return coef


def _load_prediction(data: PointData, t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Trimmed least-squares prediction of ``x`` at ``t`` from the point's load channels (NaN where one is
    missing). Flue gas: a concentration follows its load within the hour (fuel, dilution by excess air)."""
    cols, used = _load_levels(data, t)
    if not cols:
        return np.full(len(t), float(np.mean(x))), []
    X = np.column_stack(cols)
    fit = np.isfinite(X).all(axis=1) & np.isfinite(x)
    if fit.sum() < 2 * (len(cols) + 1) + 10:
        return np.full(len(t), float(np.mean(x))), []
    mu, sd = X[fit].mean(axis=0), X[fit].std(axis=0)
    A = np.column_stack([np.ones(len(t)), (X - mu) / sd])
    # Trimmed refit: hours the load does not explain at all (a held band, a diluted sample) must not bend
    # the load's coefficients.
    coef = _trimmed_fit(A[fit], x[fit], len(cols))
    return A @ coef, used


def _load_change_prediction(data: PointData, t: np.ndarray, x: np.ndarray, step_ok: np.ndarray
                            ) -> tuple[np.ndarray, list[str]]:
    """Hour-to-hour changes of ``x`` (at ``t``) that the changes of the point's load channels predict.

    Least squares of the changes of ``x`` on the changes of flow, velocity, O2 and temperature over the
    consecutive hours ``step_ok`` (``len(t) - 1`` of them), then a trimmed refit. Changes, not levels: a
    fraud window elsewhere at the point (night discharge raising a pollutant and the flow together) would
    otherwise teach the fit that the pollutant follows the flow, and honest hours whose flow moved would
    look held; in changes it is two steps a night, which the trimmed refit leaves out. NaN where a load
    channel is missing; zeros and no channel when none is usable.
    """
    levels, used = _load_levels(data, t)
    cols = [np.diff(v) for v in levels]
    dx = np.diff(x)
    if not cols:
        return np.zeros(len(dx)), []
    X = np.column_stack(cols)
    fit = step_ok & np.isfinite(X).all(axis=1) & np.isfinite(dx)
    sd = X[fit].std(axis=0) if fit.any() else np.zeros(X.shape[1])
    if fit.sum() < 2 * (len(cols) + 1) + 10 or not (sd > 0).all():
        return np.zeros(len(dx)), []
    A = X / sd
    # Trimmed refit: changes the load does not explain at all (the edges of a held band, of a diluted
    # sample, of untreated night discharge) must not bend the load's coefficients.
    coef = _trimmed_fit(A[fit], dx[fit], len(cols))
    return A @ coef, used


@detector("narrow_spread", codes=[RULE_NARROW_SPREAD.code])
def detect_narrow_spread(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """A pollutant held in a narrow band: changes far below what the point's history and load imply.

    For each pollutant (measured hourly values of valid running hours, consecutive hours only): the
    hour-to-hour changes ``Δx`` are split into the part the load predicts ``Δp`` and the rest ``Δe``. Flue
    gas: trimmed least squares of the pollutant on the point's flow, velocity, O2 and temperature over the
    whole window (:func:`_load_prediction`; a flue-gas concentration follows its load within the hour).
    Wastewater: trimmed least squares of the pollutant's *changes* on the flow's changes
    (:func:`_load_change_prediction`): effluent follows the flow only after hours of retention, and a
    level fit would learn from fraud elsewhere (night discharge raising pollutant and flow together) that
    the pollutant follows the flow.
    The point's honest unexplained movement is the ``spread_history_quantile`` (a lower quartile), over every
    window of ``spread_window_hours``, of the mean ``Δe²``: honest volatility comes in calmer and busier
    spells (start-ups, held analyser readings), so a band is judged against the plant's calm windows, not
    its typical one. A window is narrow
    when ``mean(Δx²) ≤ spread_ratio_max² · min(mean(Δp²) + base, typical)``: the reported values moved far
    less than the load moved them and than the plant's own history moves them (a set-point is not held to
    a fraction of its own noise). Windows where the expected movement is below the analyser's resolution
    are not judged (quantisation, not a band): the resolution of an hourly mean, which for records that
    dither over their digits is finer than theirs (:func:`_mean_resolution`). Overlapping narrow windows form
    one finding.

    The expectation is a model, and it is never taken above what the pollutant itself does: ``expected``
    is capped at the *typical* window's movement, the median over the point's windows of ``mean(Δx²)``
    (the reported changes themselves, no fit). A plant cannot be accused of holding a pollutant narrower
    than its process makes it when the window moves a fifth or more of what the same pollutant moves in
    half of its own windows. Without the cap the model overstates the movement exactly where an honest
    plant's load is steady: (a) a level fit learns coefficients from whatever drifted together over the
    days, and from a fraud elsewhere at the point (a day of capped peaks ×1.6, a step), so the prediction
    moves with the noise of steady load channels (issue 13, honest set seed 23 G002, a base-load plant at
    0.93 ± 0.006 of its load: its NOx moved 0.29 mg/m³ an hour in a typical window, the fit promised
    √(0.53² + 0.66²) = 0.85); (b) a change fit learns from untreated night discharge that the pollutant
    follows the flow, and then promises the flow's honest daytime movement as COD movement (seed 19 W027,
    the day after the labelled nights). In both, the point's own "unexplained" calm quartile lies above
    its raw typical movement: the model adds movement rather than explaining it. The cap only lowers
    ``expected``: it removes findings, never adds one. The resolution test stays on the model's
    expectation (whether any movement is expected at the analyser's resolution is a separate question
    from how much).

    Worked example: NOx around 30 mg/m³ whose hourly changes have an RMS of 0.9 mg/m³ on ordinary days
    and whose load swings predict 0.5 mg/m³ more; for 10 hours it moves by 0.06 mg/m³ an hour: ratio
    0.06 / √(0.81 + 0.25) = 0.06 → narrow. A base-load plant whose model promises 0.85 mg/m³ an hour but
    whose NOx moves 0.29 mg/m³ an hour in a typical window, calm for 9 hours at 0.16 mg/m³: judged against
    0.29, ratio 0.55 → not narrow (against the model's 0.85 it read 0.18, a false accusation).

    References
    ----------
    Reference notes §5.3 on-site inspection checklist: "long-term fluctuation in a narrow band around a
    fixed value"; §5.4 cross-parameter consistency (pollutants move with the load); the variance ratio of
    Gaussian changes is chi-square distributed (Kendall & Stuart vol. 2).
    """
    p = cfg.patterns
    w = p.spread_window_hours
    out: list[Finding] = []
    names = ("spread_window_hours", "spread_ratio_max", "spread_min_history_hours")
    for factor in sorted(data.hours):
        if not is_concentration(factor):
            continue
        t, x, known, _ = _valid_running(data, data.hours[factor], cfg, use_zs=False)
        if len(t) < w + 1:
            continue
        secs = t.astype("datetime64[s]").astype(np.int64)
        consecutive = np.diff(secs) == _HOUR
        if not _may_be_narrow(x, consecutive, w - 1, p.spread_ratio_max):
            continue
        if data.medium == "water":
            pred_change, used = _load_change_prediction(data, t, x, consecutive)
        else:
            pred, used = _load_prediction(data, t, x)
            pred_change = np.diff(pred)
        step_ok = consecutive & np.isfinite(pred_change)
        dx = np.diff(x)
        dp = np.where(step_ok, pred_change, np.nan)
        de2 = (dx - dp) ** 2
        if step_ok.sum() < p.spread_min_history_hours:
            continue
        k = w - 1  # changes in a window of w hours
        if len(dx) < k:
            continue
        ok_w = _windows(step_ok, k).all(axis=1)
        if not ok_w.any():
            continue
        obs = _windows(np.where(step_ok, dx * dx, 0.0), k).mean(axis=1)
        load = _windows(np.where(step_ok, dp * dp, 0.0), k).mean(axis=1)
        res = _windows(np.where(step_ok, de2, 0.0), k).mean(axis=1)
        base = float(np.quantile(res[ok_w], p.spread_history_quantile))
        model = load + base
        # the pollutant's own typical movement, no fit: a model may promise more (see the docstring)
        typical = float(np.median(obs[ok_w]))
        expected = np.minimum(model, typical)
        src = data.minutes.get(factor)
        narrow = ok_w & (obs <= p.spread_ratio_max ** 2 * expected)
        resolution = _native_resolution(src if src is not None and len(src) else x)
        if (narrow & (np.sqrt(model) < resolution)).any() and src is not None and len(src):
            resolution = _mean_resolution(src, resolution)  # only asked when it decides something
        narrow &= np.sqrt(model) >= resolution
        for a, b in _stretches(narrow, np.arange(len(narrow)) * _HOUR, _HOUR):
            first, last = a, b + k  # hour indices
            ratio = float(np.sqrt(obs[a:b + 1].mean() / expected[a:b + 1].mean()))
            seg = x[first:last + 1]
            unit = _unit(factor, data.medium)
            hours = last - first + 1
            load_note = (f"and its load ({', '.join(used)}) implied {_num(float(np.sqrt(load[a:b + 1].mean())))} "
                         f"{unit} more" if used else "(no load channel to compare with)")
            expl = (f"For {hours} hours from {_local(t[first], data.tz)} ({data.tz}), hourly {factor} at point "
                    f"{data.point} stayed between {_num(float(seg.min()))} and {_num(float(seg.max()))} {unit}, "
                    f"changing by {_num(float(np.sqrt(obs[a:b + 1].mean())))} {unit} an hour (RMS), where its own "
                    f"history moves it by {_num(float(np.sqrt(base)))} {unit} an hour {load_note}: "
                    f"{ratio:.2f} of the expected movement (at most its typical movement, "
                    f"{_num(float(np.sqrt(typical)))} {unit} an hour), a band held narrower than the plant's own "
                    f"noise.")
            ev = {"hours": hours, "ratio": ratio, "rms_change": float(np.sqrt(obs[a:b + 1].mean())),
                  "history_rms_change": float(np.sqrt(base)),
                  "load_rms_change": float(np.sqrt(load[a:b + 1].mean())), "load_channels": used,
                  "typical_rms_change": float(np.sqrt(typical)),
                  "min": float(seg.min()), "max": float(seg.max()), "unit": unit, "resolution": resolution,
                  "running_known": known, "settings": _settings(cfg, names)}
            out.append(_finding(RULE_NARROW_SPREAD, data, (factor,), t[first], t[last] + np.timedelta64(_HOUR, "s"),
                                expl, ev))
    return out


def _may_be_narrow(x: np.ndarray, consecutive: np.ndarray, k: int, ratio_max: float) -> bool:
    """Whether some window of :func:`detect_narrow_spread` can be narrow, before any load model: False only
    when none can.

    A window is judged only when its ``k`` changes are all between consecutive hours (and predicted), and
    there its ``mean(Δx²)`` is the one taken over consecutive hours alone; it is narrow only at most
    ``ratio_max²`` times the expected movement, which is at most the median, so at most the largest, of those
    means over the judged windows: at most ``ratio_max²`` times the largest over the windows of consecutive
    hours."""
    dx = np.diff(x)
    if len(dx) < k:
        return False
    whole = _windows(consecutive, k).all(axis=1)
    if not whole.any():
        return False
    obs = _windows(np.where(consecutive, dx * dx, 0.0), k).mean(axis=1)
    return bool((whole & (obs <= ratio_max ** 2 * obs[whole].max())).any())


def _native_resolution(values: np.ndarray | Series) -> float:
    d = values.resolution_decimals() if isinstance(values, Series) else resolution_decimals(values)
    return 0.0 if d is None else 10.0 ** -d


def _mean_resolution(minutes: Series, q: float | None = None) -> float:
    """The resolution an hourly mean of ``minutes`` can resolve: the reported resolution ``q`` of the records
    (given, or found from them),
    or ``q / √n`` (n records an hour) when the records dither over the steps (their spread within the typical
    hour at least half a step): the rounding errors of n dithering records average out like noise, and the
    hourly mean's rounding error is ``q / √(12 n)`` (issue 13, seed 3 G012: dust at 0.1 mg/m³ resolution,
    hourly means moving 0.08 mg/m³ an hour, held at 2.07 ± 0.15 for 30 h, was not judged against ``q``).
    A series that does not dither (a low reading repeating one step) keeps ``q``: its hourly means move by
    whole steps or not at all."""
    q = _native_resolution(minutes) if q is None else q
    ok = np.isfinite(minutes.values)
    if not q > 0 or ok.sum() < 2:
        return q
    v = minutes.values[ok]
    hour = hour_floor(minutes.times[ok]).view(np.int64) // _HOUR  # in time order
    first = np.r_[0, np.flatnonzero(np.diff(hour)) + 1]
    n = np.diff(np.r_[first, len(v)])
    mean = np.add.reduceat(v, first) / n
    var = np.maximum(np.add.reduceat(v * v, first) / n - mean * mean, 0.0)
    full = n >= 0.75 * np.median(n)
    if not full.any() or np.sqrt(float(np.median(var[full]))) < 0.5 * q:
        return q
    return float(q / np.sqrt(float(np.median(n[full]))))


# ---------------------------------------------------------------------------------------------- 6 parameter drift

_PARAM_LABEL = {"kv": "K_v", "area": "duct area", "range_low": "range low", "range_high": "range high",
                "detection_limit": "detection limit",
                "slope": "calibration slope", "intercept": "calibration intercept", "ref_o2": "reference O2",
                "dilution_ratio": "dilution ratio"}


def _registered(data: PointData, factor: str, name: str) -> float | None:
    """Registered value of ``name`` for ``factor``, falling back to the point-wide (``"*"``) entry."""
    v = data.registered.get(factor, {}).get(name)
    if v is None and factor != "*":
        v = data.registered.get("*", {}).get(name)
    return None if v is None else float(v)


def _registered_area(data: PointData) -> float | None:
    for key in ("*", "a00000", "a01011", "a01016"):
        v = data.registered.get(key, {}).get("area")
        if v is not None and float(v) > 0:
            return float(v)
    return None


@detector("parameter_drift", codes=[RULE_PARAM_DRIFT.code, RULE_AREA_IMPLIED.code])
def detect_parameter_drift(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Instrument parameters against the registered (备案) values, reported and implied.

    *Reported* (``DET-PARAM-DRIFT``): each ``data.reported`` entry ``(time, factor or "*", name, value)``
    whose registered counterpart (factor entry, else ``"*"``) differs by more than
    ``max(drift_abs_tol, drift_rel_tol · |registered|)``. One finding per (factor, name), from the first to
    the last differing report. Names: ``kv``, ``area``, ``range_low``, ``range_high``, ``slope``,
    ``intercept``, ``ref_o2``, ``dilution_ratio`` and any other registered name.

    *Implied area* (``DET-AREA-IMPLIED``, gas): per local day the median of
    ``F = Q / (V · area_flow_unit_s)`` over valid running hours with ``V ≥ area_min_velocity`` (HJ 212-2017
    eq. (30) ``Q_sh = 3600 · F · V``); days with ≥ ``area_min_hours`` such hours whose ``|F/F_reg − 1| >
    area_rel_tol``; consecutive days give one finding.

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Reference notes §5.3 (dilution ratio or flows different from the registered values), §5.4 (K_v,
    dilution, conversion, curve values, range; area, national category 15), §5.6; 环发〔2015〕175号 Art. 4(9).
    """
    p = cfg.patterns
    out: list[Finding] = []
    groups: dict[tuple[str, str], list[tuple[datetime, float, float]]] = {}
    for when, factor, name, value in data.reported:
        reg = _registered(data, factor, name)
        if reg is None or value is None or not np.isfinite(value):
            continue
        if abs(value - reg) > max(p.drift_abs_tol, p.drift_rel_tol * abs(reg)):
            groups.setdefault((factor, name), []).append((when, float(value), reg))
    for (factor, name), rows in sorted(groups.items()):
        rows.sort(key=lambda r: r[0])
        reg = rows[-1][2]
        values = sorted({v for _, v, _ in rows})
        last = rows[-1][1]
        label = _PARAM_LABEL.get(name, name)
        who = f"{factor} at point {data.point}" if factor != "*" else f"point {data.point}"
        rel = f" ({(last - reg) / reg * 100:+.1f} %)" if reg else ""
        span = (f"On {_local(rows[0][0], data.tz)}" if len(rows) == 1 else
                f"From {_local(rows[0][0], data.tz)} to {_local(rows[-1][0], data.tz)}")
        expl = (f"{span} ({data.tz}) {who} reported {label} = {_num(last)} ({len(rows)} report"
                f"{'s' if len(rows) > 1 else ''}) while the registered (备案) value is {_num(reg)}{rel}; changing "
                f"an instrument parameter without re-registration alters every value it produces.")
        ev = {"parameter": name, "registered": reg, "reported_values": values[:20], "last_reported": last,
              "reports": len(rows), "settings": _settings(cfg, ("drift_rel_tol", "drift_abs_tol"))}
        out.append(_finding(RULE_PARAM_DRIFT, data, (factor,) if factor != "*" else (), rows[0][0],
                            rows[-1][0], expl, ev))
    out.extend(_implied_area(data, cfg))
    return out


def _implied_area(data: PointData, cfg: Any) -> list[Finding]:
    p = cfg.patterns
    if data.medium != "gas":
        return []
    reg = _registered_area(data)
    q, v = data.by_role("flow"), data.by_role("velocity")
    if reg is None or q is None or v is None or not len(q) or not len(v):
        return []
    common, iq, iv = np.intersect1d(q.times, v.times, return_indices=True)
    qv, vv = q.values[iq], v.values[iv]
    ok = valid_mask(q)[iq] & valid_mask(v)[iv] & (vv >= p.area_min_velocity)
    run, known = _running(data, common, cfg)
    ok &= run
    t = common[ok]
    if not len(t):
        return []
    area = qv[ok] / (vv[ok] * p.area_flow_unit_s)
    day, _ = _local_clock(t, data.tz)
    days, inv = np.unique(day, return_inverse=True)
    inv = inv.reshape(-1)
    order = np.lexsort((area, inv))  # sorted by day, then by area: a median per day in O(n log n)
    counts = np.bincount(inv, minlength=len(days))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    sorted_area = area[order]
    med = np.array([float(np.median(sorted_area[s:s + c])) for s, c in zip(starts, counts)])
    dev = med / reg - 1.0
    hit = (counts >= p.area_min_hours) & (np.abs(dev) > p.area_rel_tol)
    flagged = np.flatnonzero(hit)
    out: list[Finding] = []
    if not len(flagged):
        return out
    dnum = days.astype(np.int64)
    for g in np.split(flagged, np.flatnonzero(np.diff(dnum[flagged]) != 1) + 1):
        first, last = days[g[0]], days[g[-1]]
        implied = float(np.median(med[g]))
        span = f"on {first}" if len(g) == 1 else f"on {len(g)} consecutive days ({first} to {last})"
        expl = (f"At point {data.point}, {span} flow {q.factor} ÷ velocity {v.factor} implied a duct area of "
                f"{_num(implied)} m² against the registered {_num(reg)} m² ({(implied / reg - 1) * 100:+.1f} %); "
                f"a changed cross-section scales every reported flow and emission amount.")
        ev = {"registered_area": reg, "implied_area_median": implied,
              "days": [{"day": str(days[k]), "implied_area": float(med[k]), "hours": int(counts[k])} for k in g],
              "running_known": known,
              "settings": _settings(cfg, ("area_rel_tol", "area_flow_unit_s", "area_min_velocity",
                                          "area_min_hours"))}
        out.append(_finding(RULE_AREA_IMPLIED, data, (q.factor, v.factor), _day_start(first, data.tz),
                            _day_start(last + np.timedelta64(1, "D"), data.tz), expl, ev))
    return out


# ------------------------------------------------------------------------------------- 7 marks before exceedance


def _heading_over(win_t: np.ndarray, win_x: np.ndarray, target_t: np.ndarray, limit: float,
                  frac: float) -> tuple[np.ndarray, np.ndarray]:
    """For windows (rows) of the last K valid hours: mean ≥ frac·limit, or least-squares line at
    ``target_t`` ≥ limit. Returns ``(predicted, mean)``."""
    mean = win_x.mean(axis=1)
    tt = (win_t - win_t[:, -1:]).astype(np.float64) / _HOUR
    tm = tt.mean(axis=1, keepdims=True)
    var = ((tt - tm) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = ((tt - tm) * (win_x - mean[:, None])).sum(axis=1) / var
    slope = np.where(var > 0, slope, 0.0)
    at = (target_t - win_t[:, -1]).astype(np.float64) / _HOUR
    forecast = mean + slope * (at - tm[:, 0])
    return (mean >= frac * limit) | (forecast >= limit), mean


@detector("marks_before_exceedance", codes=[RULE_MARK_EXC.code])
def detect_marks_before_exceedance(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Marks or data gaps that begin when an exceedance was coming.

    Events: marks of ``mark_types`` covering the factor, and gaps of ≥ ``mark_gap_min_hours`` hours without
    a valid value (events starting in the same clock hour count once). For each event, the last
    ``mark_lookback_hours`` valid hours before it (within ``mark_lookback_hours + mark_gap_min_hours``
    hours) "predict an exceedance" when their mean ≥ ``mark_pre_limit_frac`` · limit or their least-squares
    line reaches the limit at the event hour. Baseline: the same test for every ordinary valid hour. A
    finding when predicted events ≥ ``mark_min_events``, their share ≥ ``mark_min_share`` and ≥
    ``mark_min_lift`` × the baseline share. Concentrations with an hourly limit (gas: 折算).

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    Wang et al. 2022 (J. Environ. Manage. 314:115081): firms switch CEMS off when concentrations would
    exceed the limit; anchors.md §6.1; reference notes §5.4 "marks that coincide with exceedances".
    """
    p = cfg.patterns
    k = p.mark_lookback_hours
    reach = (k + p.mark_gap_min_hours) * _HOUR
    names = ("mark_types", "mark_lookback_hours", "mark_pre_limit_frac", "mark_gap_min_hours",
             "mark_min_events", "mark_min_share", "mark_min_lift")
    out: list[Finding] = []
    for factor in sorted(data.hours):
        limit = data.limits.get(factor)
        if not is_concentration(factor) or not limit or limit <= 0:
            continue
        s = data.hours[factor]
        vals, zs_used = _level_values(s, data.medium)
        ok = valid_mask(s) & np.isfinite(vals)
        t, x = s.times[ok], vals[ok]
        if len(t) <= k:
            continue
        events: dict[np.datetime64, str] = {}
        for mk in data.marks:
            if mk.type in p.mark_types and (mk.factors is None or factor in mk.factors):
                events.setdefault(to_datetime64(mk.start).astype("datetime64[h]").astype("datetime64[s]"),
                                  mk.type)
        gaps = np.flatnonzero(np.diff(t).astype(np.int64) > p.mark_gap_min_hours * _HOUR)
        for g in gaps:
            events.setdefault(t[g] + np.timedelta64(_HOUR, "s"), "gap")
        if not events:
            continue
        ev_t = np.array(sorted(events), dtype="datetime64[s]")
        pos = np.searchsorted(t, ev_t)  # valid hours strictly before the event: t[pos-k:pos]
        usable = (pos >= k)
        usable[usable] &= (ev_t[usable] - t[pos[usable] - k]).astype(np.int64) <= reach
        if not usable.any():
            continue
        rows = pos[usable][:, None] - k + np.arange(k)[None, :]
        pred, pre_mean = _heading_over(t[rows], x[rows], ev_t[usable], float(limit), p.mark_pre_limit_frac)
        # baseline: every valid hour i ≥ k with its K predecessors close enough
        bt, bx = _windows(t[:-1], k), _windows(x[:-1], k)
        target = t[k:]
        close = (target - bt[:, 0]).astype(np.int64) <= reach
        bpred, _ = _heading_over(bt[close], bx[close], target[close], float(limit), p.mark_pre_limit_frac)
        base = float(bpred.mean()) if len(bpred) else 0.0
        n_ev, n_pred = int(usable.sum()), int(pred.sum())
        share = n_pred / n_ev
        if n_pred < p.mark_min_events or share < p.mark_min_share or share < p.mark_min_lift * base:
            continue
        used_t = ev_t[usable]
        kinds = [events[e] for e in used_t]
        hit_t = used_t[pred]
        unit = _unit(factor, data.medium)
        kinds_hit = sorted({kinds[i] for i in np.flatnonzero(pred)})
        expl = (f"At point {data.point}, {n_pred} of {n_ev} marks or data gaps for {_what(factor, zs_used)} "
                f"({_pct(share)}; {', '.join(kinds_hit)}) began right after hours heading over the "
                f"{_num(limit)} {unit} limit (mean of the last {k} valid values ≥ "
                f"{_pct(p.mark_pre_limit_frac)} of it, or a trend reaching it), against {_pct(base)} of "
                f"ordinary hours; switching the monitor off when an exceedance is coming is a known evasion.")
        ev = {"limit": limit, "unit": unit, "events": n_ev, "predicted": n_pred, "share": share,
              "baseline_share": base, "zs_used": zs_used,
              "event_list": [{"start": to_datetime(e), "kind": kd, "pre_mean": float(m), "predicted": bool(pr)}
                             for e, kd, m, pr in zip(used_t, kinds, pre_mean, pred)],
              "settings": _settings(cfg, names)}
        out.append(_finding(RULE_MARK_EXC, data, (factor,), hit_t[0], hit_t[-1] + np.timedelta64(_HOUR, "s"),
                            expl, ev))
    return out


# ---------------------------------------------------------------------------------------------- 8 last digit


def _upper_gamma_regularised(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x)/Γ(a): power series of P for x < a + 1, Legendre continued fraction (modified
    Lentz evaluation) otherwise. Both converge to ~1e-14 in < 200 terms for the a, x used here."""
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        ap = a
        for _ in range(500):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_front) * h)


def chi2_sf(stat: float, dof: int) -> float:
    """Survival function of the chi-square distribution, ``P(X ≥ stat)`` for ``X ~ χ²(dof)``.

    .. math:: P = Q(k/2, x/2) = \\Gamma(k/2, x/2) / \\Gamma(k/2)

    computed with the regularised upper incomplete gamma function (series / continued fraction; scipy is
    not a dependency).

    Parameters
    ----------
    stat : float
        Test statistic ``x ≥ 0``.
    dof : int
        Degrees of freedom ``k > 0``.
    """
    if dof <= 0:
        raise ValueError("dof must be positive")
    return _upper_gamma_regularised(dof / 2.0, max(stat, 0.0) / 2.0)


def last_digit_resolution(values: np.ndarray, max_decimals: int = 4) -> int | None:
    """Number of decimals ``d`` (0…``max_decimals``) at which every value is a whole number of 10^-d
    (the reported resolution), or ``None`` (computed means, no fixed resolution):
    :func:`~ecosentry.subsystems.monitoring.detect.model.resolution_decimals`."""
    return resolution_decimals(values, max_decimals)


#: Channels usually computed from others (flow = area × velocity, HJ 212-2017 eq. (30)): their last digits
#: inherit the arithmetic, not the measurement.
_DERIVED_ROLES = frozenset({"flow", "area"})


@detector("last_digit", codes=[RULE_LAST_DIGIT.code])
def detect_last_digit(data: PointData, cfg: DetectorSettings) -> list[Finding]:
    """Last-digit uniformity: chi-square test of the last reported digit (9 degrees of freedom).

    For each factor the reported values (minute series when present, else hourly), valid only, at their
    resolution ``10^-d`` (:func:`last_digit_resolution`); skipped when the resolution is not fixed, there
    are fewer than ``digit_min_values`` values (a value equal to the one before it counts once: stuck
    stretches belong to the constant-value rule) or the 5th–95th percentile spread is under
    ``digit_min_spread_steps`` steps (then the last digit is not expected to be uniform). A finding when
    the p-value (:func:`chi2_sf`, exact regularised incomplete gamma) is below ``digit_p_max`` and some
    digit's share is ``digit_min_deviation`` or more away from 10 %. Flow and area are skipped (computed
    from velocity, their digits follow the arithmetic). Weak evidence on its own: severity info.

    Parameters
    ----------
    data : PointData
        One point over one window (hourly series, limits, ranges, registered values, marks as needed).
    cfg : DetectorSettings
        Thresholds in ``cfg.patterns``; ``running_flow_min`` and ``o2_stopped_pct`` decide the running state.

    Returns
    -------
    list of Finding
        Empty when nothing is suspicious or the data are too short to judge.

    References
    ----------
    anchors.md §6.1: "wrong digit distributions (last-digit uniformity test is more robust than
    first-digit Benford for narrow ranges)"; Atmosphere 15(11):1303 (2024) on Benford's limits;
    环发〔2015〕175号 Art. 4(12) unreasonable rounding or selection of raw data.
    """
    p = cfg.patterns
    out: list[Finding] = []
    for factor in sorted(set(data.minutes) | set(data.hours)):
        if role_of(factor) in _DERIVED_ROLES:
            continue
        s = data.minutes.get(factor)
        res = "minute"
        if s is None or not len(s):
            s, res = data.hours.get(factor), "hour"
        if s is None:
            continue
        ok = valid_mask(s)
        x = s.values[ok]
        # a repeated value is one reading, not many: a stuck stretch is the constant-value rule's finding
        # (DET-CONST-4H) and would otherwise pile up its one last digit here
        fresh = np.concatenate(([True], x[1:] != x[:-1])) if len(x) else np.zeros(0, dtype=bool)
        x = x[fresh]
        if len(x) < p.digit_min_values:
            continue
        # x are some of the series' values: whole at its resolution when it has one
        d = resolution_decimals(x, p.digit_max_decimals, whole_at=s.resolution_decimals())
        if d is None:
            continue
        units = np.round(np.abs(x) * 10.0 ** d).astype(np.int64)
        # the three conditions of a finding, the cheapest first (the digits' shares, the test, then the spread)
        counts = np.bincount(units % 10, minlength=10)
        deviation = np.abs(counts / len(units) - 0.1)
        if deviation.max() < p.digit_min_deviation:
            continue
        expected = len(units) / 10.0
        stat = float(((counts - expected) ** 2 / expected).sum())
        pval = chi2_sf(stat, 9)
        if pval >= p.digit_p_max:
            continue
        q5, q95 = np.percentile(units, [5, 95])
        if q95 - q5 < p.digit_min_spread_steps:
            continue
        t = s.times[ok][fresh]  # the readings' times, for a finding only
        top = int(np.argmax(deviation))
        step = f"{10.0 ** -d:g}"
        expl = (f"Over {len(x)} valid {res} {factor} values at point {data.point} reported to {step} "
                f"{_unit(factor, data.medium)}, the last digit is far from uniform (chi-square {stat:.1f} on 9 "
                f"degrees of freedom, p = {pval:.2g}; digit {top} appears {_pct(counts[top] / len(x))} of the "
                f"time against 10 % expected); on its own this is weak evidence of edited or hand-entered "
                f"values.")
        ev = {"resolution": 10.0 ** -d, "series": res, "n": int(len(x)), "digit_counts": counts.tolist(),
              "chi2": stat, "dof": 9, "p_value": pval, "max_deviation": float(deviation.max()),
              "settings": _settings(cfg, ("digit_min_values", "digit_p_max", "digit_min_deviation",
                                          "digit_min_spread_steps", "digit_max_decimals"))}
        out.append(_finding(RULE_LAST_DIGIT, data, (factor,), t[0], t[-1], expl, ev))
    return out
