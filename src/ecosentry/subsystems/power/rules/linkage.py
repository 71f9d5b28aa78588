"""Linkage rules (启停关联) between production equipment and the treatment facility that serves it, and the
data-anomaly rules of a meter; pure, on minute series aligned on one grid.

Sources (``shared/reference/subsystems.md``): §1.4 "Linkage rules" 1–3 and 5, §7 items 3–5 and 7; the idea of
each rule is [S] (every programme of §1.2: Linfen, Heze, Zhangjiagang, Hefei, Zhuzhou), the timing numbers are
[R] and are settings (:class:`LinkageSettings`).

How a finding is timed
----------------------
Every minute of a state carries the minute it became known: the state's confirmation (the sample completing
the dwell, :mod:`.state`) or the minute itself, whichever is later. A finding's ``detected_at`` is the first
minute at which everything it says was known, i.e. the minute a live system would raise the alarm; with the
default stop dwell of 2 one-minute samples (:class:`.state.Thresholds`) a treatment's stop, hence
``PWR-TREAT-OFF``, is known 1 minute after the first violating minute (§7 item 3: ≤ 2 min).
``end`` is the first minute the condition no longer held (the alarm clears then), or the end of the data
(``open``).

The rules
---------
``PWR-TREAT-OFF``
    Treatment off while its production runs (rule 1): production on and treatment off for at least
    ``off_min_minutes``, the treatment having stopped while production ran.
``PWR-START-ORDER``
    Treatment started after production beyond the grace window (rule 2, "先开后停"): the treatment was off when
    production started and still off ``grace_minutes`` later.
``PWR-STOP-ORDER``
    Treatment stopped before production beyond the grace window (rule 2): raised when production stops, for a
    stop of the treatment more than ``grace_minutes`` earlier (the span is also a ``PWR-TREAT-OFF``: this
    finding names the order of the shutdown).
``PWR-TREAT-LOW-LOAD``
    Treatment running below ``low_share`` of its normal load while production runs at ``full_share`` or more
    of its normal load, for ``low_min_minutes`` (rule 3; 30 % is §7 item 5).
``PWR-METER-OFFLINE``
    No reading from a meter for ``offline_minutes`` (rule 5, Hefei's 联网异常).
``PWR-ZERO-ALL-PHASES``
    A meter reads zero on every phase while the enterprise's total meter draws more than the other meters and
    the declared unmetered load explain, by at least this meter's on threshold (rule 5, "zero readings while the
    total meter shows consumption": a clamp removed or a meter bypassed).
``PWR-CT-RATIO-CHANGE``
    A sudden change of the current transformer's ratio (rule 5, "CT removed"): the energy register and
    power × time disagree by more than ``ct_tolerance``, or the ratio of current to power steps by more than
    ``ct_tolerance`` and stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_
from ecosentry.subsystems.power.rules.arrays import nanmean, rounded, true_runs
from ecosentry.subsystems.power.rules.findings import Finding, local_minute
from ecosentry.subsystems.power.rules.state import NO_DATA, OFF, ON, MinuteSeries, Thresholds, runs_of, state_codes

__all__ = ["LinkageSettings", "MeterState", "meter_state", "treatment_off", "low_load", "meter_offline",
           "zero_all_phases", "ct_ratio_change"]

_SRC = "shared/reference/subsystems.md"


class LinkageSettings(BaseModel):
    """The timing and share settings of the linkage and data rules ([R] defaults, §7 items 2–5, 7)."""

    #: Minutes a treatment may start after / stop before its production (§7 item 4: 5 min [R]); a linkage may
    #: set its own.
    grace_minutes: int = Field(5, ge=0)
    #: Minutes of production on with treatment off before PWR-TREAT-OFF is a finding (absorbs one-minute jitter
    #: between two meters; as the stop dwell, 2, so the alarm can come within 2 minutes, §7 item 3) [ours].
    off_min_minutes: int = Field(2, ge=1)
    #: Treatment below this share of its normal load is at low load (§7 item 5: 30 % [R]).
    low_share: float = Field(0.30, gt=0, lt=1)
    #: Production at or above this share of its normal load is at full load [ours].
    full_share: float = Field(0.80, gt=0)
    #: Minutes of low load under full production before PWR-TREAT-LOW-LOAD [ours].
    low_min_minutes: int = Field(5, ge=1)
    #: Minutes without a reading before a meter is offline [ours; uploads every 1–5 min, §1.3].
    offline_minutes: int = Field(15, ge=1)
    #: A phase current (A) or power (kW) at or below this reads zero [ours].
    zero_epsilon: float = Field(0.01, ge=0)
    #: Minutes of all-phase zero under an unexplained total before PWR-ZERO-ALL-PHASES [ours].
    zero_min_minutes: int = Field(5, ge=1)
    #: Relative disagreement of energy and power × time, or step of current/power, for PWR-CT-RATIO-CHANGE [ours].
    ct_tolerance: float = Field(0.20, gt=0)
    #: Window of the energy check and of the medians before and after a step of current/power. [min]
    ct_window_minutes: int = Field(15, ge=3)
    #: Energy expected in a window below this is not judged. [kWh]
    ct_min_kwh: float = Field(0.5, ge=0)


@dataclass(frozen=True)
class MeterState:
    """One meter on the enterprise's grid: state codes, the index at which each minute's state was known, its
    power (kW) and its normal load (kW)."""

    equipment: str
    series: MinuteSeries
    codes: np.ndarray
    known: np.ndarray
    normal_kw: float

    @property
    def power(self) -> np.ndarray:
        return self.series.values


def meter_state(equipment: str, series: MinuteSeries, th: Thresholds, normal_kw: float,
                bridge_minutes: int = 0) -> MeterState:
    """The meter's state; gaps shorter than ``bridge_minutes`` inside a run are bridged (:func:`bridged`)."""
    codes, conf = state_codes(series.values, th)
    if bridge_minutes > 1:
        codes = bridged(codes, bridge_minutes)
    known = np.maximum(np.arange(codes.size), conf)
    return MeterState(equipment, series, codes, known, float(normal_kw))


# ------------------------------------------------------------------------------------------------- helpers


def bridged(codes: np.ndarray, max_gap: int) -> np.ndarray:
    """``codes`` with every gap (NO_DATA) shorter than ``max_gap`` samples between two runs of the same state
    filled with that state: a short gap inside a run neither ends nor restarts it (a longer one is a
    PWR-METER-OFFLINE of its own and is left as no data)."""
    starts, lengths = runs_of(codes)
    out = codes.copy()
    for j in np.flatnonzero(codes[starts] == NO_DATA):
        if 0 < j < starts.size - 1 and lengths[j] < max_gap and codes[starts[j - 1]] == codes[starts[j + 1]]:
            out[starts[j]:starts[j] + lengths[j]] = codes[starts[j - 1]]
    return out


def _t(series: MinuteSeries, i: int) -> datetime:
    return series.time(i)


def _union_on(meters: list[MeterState]) -> tuple[np.ndarray, np.ndarray]:
    """Production on = any served equipment on; known at the earliest minute one of them was known on."""
    on = np.zeros(meters[0].codes.size, dtype=bool)
    known = np.full(on.size, np.iinfo(np.int64).max, dtype=np.int64)
    for m in meters:
        m_on = m.codes == ON
        on |= m_on
        known = np.where(m_on, np.minimum(known, m.known), known)
    return on, np.where(on, known, np.arange(on.size))


def _minutes(a: int, b: int) -> int:
    return b - a + 1


# ------------------------------------------------------------------------------------------------- linkage

@rule(code="PWR-TREAT-OFF", severity="critical",
      summary="Treatment facility off while the production it serves runs (stopped during production).",
      source=f"{_SRC} §1.4 linkage rule 1, §7 item 3; Linfen, Hefei, Zhuzhou programmes §1.2", tag="S/R")
def treatment_off(enterprise: str, production: list[MeterState], treatment: MeterState, *, grace_minutes: int,
                  settings: LinkageSettings) -> list[Finding]:
    """PWR-TREAT-OFF, PWR-START-ORDER and PWR-STOP-ORDER for one linkage (treatment serving ``production``)."""
    s = treatment.series
    n = treatment.codes.size
    p_on, p_known = _union_on(production)
    t_off = treatment.codes == OFF
    p_all_off = np.all(np.vstack([m.codes == OFF for m in production]), axis=0)
    both = p_on & t_off
    known = np.maximum(p_known, treatment.known)
    names = tuple(m.equipment for m in production)
    out: list[Finding] = []
    g = grace_minutes
    for a, b in true_runs(both):
        length = _minutes(a, b)
        # a start or a stop is seen only between known states: after a gap the overlap is a plain PWR-TREAT-OFF;
        # at the first minute of the data the start is given the benefit of the grace
        at_start = a == 0 or p_all_off[a - 1]
        ended_by_stop = b + 1 < n and p_all_off[b + 1] and t_off[b + 1]
        still = b == n - 1
        common = dict(production=", ".join(names), treatment=treatment.equipment, start=local_minute(_t(s, a)),
                      minutes=length, grace=g)
        evidence = {"production_on_from": _t(s, a).isoformat(), "treatment_off": [_t(s, a).isoformat(),
                    _t(s, b + 1).isoformat()], "minutes": length, "grace_minutes": g,
                    "production_kw": rounded(nanmean([m.power[a:b + 1] for m in production])),
                    "treatment_kw": rounded(nanmean(treatment.power[a:b + 1]))}
        if at_start:
            if length <= g:
                continue  # a start-up within the grace window
            d = int(known[a + g: b + 1].min())
            if still or not p_on[b + 1]:
                msgid = N_("%(production)s started at %(start)s; its treatment %(treatment)s did not run during "
                           "the %(minutes)s minutes that followed (grace %(grace)s min).")
            else:
                msgid = N_("%(production)s started at %(start)s but its treatment %(treatment)s only started "
                           "%(minutes)s "
                           "minutes later (grace %(grace)s min).")
            out.append(Finding("PWR-START-ORDER", enterprise, names + (treatment.equipment,), _t(s, a),
                               _t(s, b + 1), _t(s, max(d, a + g)), msgid, common, evidence, still))
            continue
        if length >= settings.off_min_minutes:
            k = a + settings.off_min_minutes - 1
            d = max(int(known[k:b + 1].min()), k)
            out.append(Finding(
                "PWR-TREAT-OFF", enterprise, names + (treatment.equipment,), _t(s, a), _t(s, b + 1), _t(s, d),
                N_("Treatment %(treatment)s was off for %(minutes)s minutes from %(start)s while %(production)s "
                   "ran."), common, evidence, still))
        if ended_by_stop and length > g:
            stop_known = int(production_stop_known(production, b + 1))
            out.append(Finding(
                "PWR-STOP-ORDER", enterprise, names + (treatment.equipment,), _t(s, a), _t(s, b + 1),
                _t(s, stop_known),
                N_("Treatment %(treatment)s stopped at %(start)s, %(minutes)s minutes before %(production)s "
                   "stopped (grace %(grace)s min)."), common, evidence, False))
    return out


def production_stop_known(production: list[MeterState], i: int) -> int:
    """The minute at which the production stop at ``i`` was known (the latest confirmation of the equipment
    that went off there)."""
    return max(int(m.known[i]) for m in production if m.codes[i] != ON) if production else i




@rule(code="PWR-START-ORDER", severity="warning",
      summary="Treatment started after its production beyond the grace window (treatment must start first).",
      source=f"{_SRC} §1.4 linkage rule 2 (治污设施先开后停), §7 item 4", tag="S/R")
def _start_order() -> None:
    """Implemented by :func:`treatment_off` (one pass over the overlaps of a linkage)."""


@rule(code="PWR-STOP-ORDER", severity="warning",
      summary="Treatment stopped before its production beyond the grace window (treatment must stop last).",
      source=f"{_SRC} §1.4 linkage rule 2 (治污设施先开后停), §7 item 4", tag="S/R")
def _stop_order() -> None:
    """Implemented by :func:`treatment_off`."""


@rule(code="PWR-TREAT-LOW-LOAD", severity="warning",
      summary="Treatment running at abnormally low load (< 30 % of normal) while its production runs at full load.",
      source=f"{_SRC} §1.4 linkage rule 3 (治污设施低负荷/空转), §7 item 5", tag="R")
def low_load(enterprise: str, production: list[MeterState], treatment: MeterState, *,
             settings: LinkageSettings) -> list[Finding]:
    s = treatment.series
    p_on, p_known = _union_on(production)
    p_kw = np.nansum(np.vstack([m.power for m in production]), axis=0)
    p_share = p_kw / sum(m.normal_kw for m in production)
    t_share = treatment.power / treatment.normal_kw
    with np.errstate(invalid="ignore"):
        mask = p_on & (p_share >= settings.full_share) & (treatment.codes == ON) & (t_share < settings.low_share)
    known = np.maximum(p_known, treatment.known)
    names = tuple(m.equipment for m in production)
    out = []
    for a, b in true_runs(mask):
        length = _minutes(a, b)
        if length < settings.low_min_minutes:
            continue
        k = a + settings.low_min_minutes - 1
        ts, ps = float(nanmean(t_share[a:b + 1])), float(nanmean(p_share[a:b + 1]))
        out.append(Finding(
            "PWR-TREAT-LOW-LOAD", enterprise, names + (treatment.equipment,), _t(s, a), _t(s, b + 1),
            _t(s, max(k, int(known[k:b + 1].min()))),
            N_("Treatment %(treatment)s ran at %(treat_pct)s %% of its normal load for %(minutes)s minutes from "
               "%(start)s while %(production)s ran at %(prod_pct)s %%."),
            dict(treatment=treatment.equipment, production=", ".join(names), start=local_minute(_t(s, a)),
                 minutes=length, treat_pct=round(100 * ts), prod_pct=round(100 * ps)),
            {"treatment_share": rounded(ts), "production_share": rounded(ps),
             "treatment_normal_kw": treatment.normal_kw,
             "production_normal_kw": sum(m.normal_kw for m in production), "low_share": settings.low_share,
             "full_share": settings.full_share, "minutes": length}, b == mask.size - 1))
    return out


# ------------------------------------------------------------------------------------------------- data

@rule(code="PWR-METER-OFFLINE", severity="warning",
      summary="No reading from a meter for 15 minutes or more (联网异常 / 设备离线).",
      source=f"{_SRC} §1.4 rule 5, §7 item 7; Hefei alarm classes §1.2", tag="S/R")
def meter_offline(enterprise: str, meter: MeterState, *, settings: LinkageSettings) -> list[Finding]:
    s = meter.series
    gap = meter.codes == NO_DATA
    m = settings.offline_minutes
    out = []
    for a, b in true_runs(gap):
        length = _minutes(a, b)
        if length < m:
            continue
        last = "none" if a == 0 else local_minute(_t(s, a - 1))
        out.append(Finding(
            "PWR-METER-OFFLINE", enterprise, (meter.equipment,), _t(s, a), _t(s, b + 1), _t(s, a + m - 1),
            N_("The meter of %(equipment)s sent no reading for %(minutes)s minutes from %(start)s."),
            dict(equipment=meter.equipment, minutes=length, start=local_minute(_t(s, a))),
            {"last_reading": last, "minutes": length, "offline_minutes": m}, b == gap.size - 1))
    return out


@rule(code="PWR-ZERO-ALL-PHASES", severity="warning",
      summary="A meter reads zero on every phase while the enterprise's total meter draws power it does not explain.",
      source=f"{_SRC} §1.4 rule 5 (断电 / 拆表), §7 item 7", tag="S/R")
def zero_all_phases(enterprise: str, meter: MeterState, phases: np.ndarray | None, total_kw: np.ndarray,
                    others_kw: np.ndarray, unmetered_kw: float, on_threshold_kw: float, *,
                    settings: LinkageSettings) -> list[Finding]:
    """``phases``: (3, n) phase currents or None (then the power is used); ``others_kw``: the sum of the other
    sub-meters of the enterprise, per minute; ``unmetered_kw``: the declared load no sub-meter sees."""
    s = meter.series
    eps = settings.zero_epsilon
    with np.errstate(invalid="ignore"):
        if phases is not None:
            zero = np.all(np.abs(phases) <= eps, axis=0)
        else:
            zero = np.abs(meter.power) <= eps
        residual = total_kw - np.nan_to_num(others_kw) - unmetered_kw
        mask = zero & (residual >= on_threshold_kw)
    m = settings.zero_min_minutes
    out = []
    for a, b in true_runs(mask):
        length = _minutes(a, b)
        if length < m:
            continue
        res = float(nanmean(residual[a:b + 1]))
        out.append(Finding(
            "PWR-ZERO-ALL-PHASES", enterprise, (meter.equipment,), _t(s, a), _t(s, b + 1), _t(s, a + m - 1),
            N_("The meter of %(equipment)s read zero on all phases for %(minutes)s minutes from %(start)s while the "
               "total meter drew %(residual)s kW that no other meter explains."),
            dict(equipment=meter.equipment, minutes=length, start=local_minute(_t(s, a)), residual=round(res, 1)),
            {"unexplained_kw": rounded(res), "total_kw": rounded(float(nanmean(total_kw[a:b + 1]))),
             "other_meters_kw": rounded(float(nanmean(others_kw[a:b + 1]))), "unmetered_kw": unmetered_kw,
             "on_threshold_kw": on_threshold_kw, "minutes": length}, b == mask.size - 1))
    return out


@rule(code="PWR-CT-RATIO-CHANGE", severity="warning",
      summary="Sudden change of a meter's current-transformer ratio: energy ≠ power × time, or a step in "
              "current/power.",
      source=f"{_SRC} §1.4 rule 5 (CT removed), §7 item 7", tag="R")
def ct_ratio_change(enterprise: str, meter: MeterState, *, current_a: np.ndarray | None = None,
                    energy_kwh: np.ndarray | None = None, settings: LinkageSettings) -> list[Finding]:
    """Both checks on one meter (each when its quantity is given)."""
    out: list[Finding] = []
    if energy_kwh is not None:
        out += _energy_check(enterprise, meter, np.asarray(energy_kwh, float), settings)
    if current_a is not None:
        out += _ratio_step(enterprise, meter, np.asarray(current_a, float), settings)
    return out


def _energy_check(enterprise: str, meter: MeterState, energy: np.ndarray, st: LinkageSettings) -> list[Finding]:
    """Windows of ``ct_window_minutes``: the energy register's increase against Σ P·Δt (kWh, one-minute P)."""
    s = meter.series
    w = st.ct_window_minutes
    n = energy.size // w * w
    if n < 2 * w:
        return []
    p = meter.power[:n].reshape(-1, w)
    e0 = np.r_[np.nan, energy[w - 1:n - 1:w]]  # the register at the end of the previous window
    e1 = energy[w - 1:n:w]
    expected = p.sum(axis=1) / 60.0
    complete = np.all(np.isfinite(p), axis=1) & np.isfinite(e0) & np.isfinite(e1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (e1 - e0) / expected
        judged = complete & (expected >= st.ct_min_kwh)
        bad = judged & (np.abs(np.log(ratio)) > np.log1p(st.ct_tolerance))
    # windows not judged (stopped, gaps) neither break nor extend a run of disagreeing windows
    jw = np.flatnonzero(judged)
    out = []
    for ja, jb in true_runs(bad[jw]):
        a, b = int(jw[ja]), int(jw[jb])
        still = jb == jw.size - 1
        sel = jw[ja:jb + 1]
        r = float(np.nanmedian(ratio[sel]))
        out.append(Finding(
            "PWR-CT-RATIO-CHANGE", enterprise, (meter.equipment,), _t(s, a * w),
            s.end if still else _t(s, (b + 1) * w), _t(s, (a + 1) * w - 1),
            N_("The energy register of %(equipment)s counted %(ratio)s times the energy of its power readings "
               "from %(start)s (%(windows)s windows of %(window)s min)."),
            dict(equipment=meter.equipment, ratio=round(r, 2), start=local_minute(_t(s, a * w)), windows=sel.size,
                 window=w),
            {"method": "energy", "ratio": rounded(r), "windows": [[_t(s, int(i) * w).isoformat(),
             rounded(float(expected[i])), rounded(float(e1[i] - e0[i]))] for i in sel[:24]],
             "tolerance": st.ct_tolerance}, still))
    return out


def _ratio_step(enterprise: str, meter: MeterState, current: np.ndarray, st: LinkageSettings) -> list[Finding]:
    """A step of log(I/P) over the running minutes: median of the ``w`` running minutes after a minute against
    the ``w`` before, larger than log(1 + tolerance), the largest within ``w`` of it."""
    s = meter.series
    w = st.ct_window_minutes
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (meter.codes == ON) & np.isfinite(current) & (current > 0) & (meter.power > 0)
        idx = np.flatnonzero(ok)
        if idx.size < 2 * w:
            return []
        lr = np.log(current[idx] / meter.power[idx])
    win = np.lib.stride_tricks.sliding_window_view(lr, w)
    med = np.median(win, axis=1)  # med[k] = median of lr[k:k+w]
    # step at k (k ≥ w): after = med[k], before = med[k - w]
    k = np.arange(w, lr.size - w + 1)
    step = med[k] - med[k - w]
    big = np.abs(step) > np.log1p(st.ct_tolerance)
    out = []
    taken_until = -1
    for j in np.flatnonzero(big):
        if k[j] <= taken_until:
            continue
        lo, hi = j, min(j + w, k.size)
        mag = np.abs(step[lo:hi]) * big[lo:hi]
        plateau = np.flatnonzero(mag >= 0.98 * mag.max())  # the medians are flat near the step: its middle
        best = lo + int(plateau[len(plateau) // 2])
        kk = int(k[best])
        taken_until = kk + w
        i0 = int(idx[kk])
        factor = float(np.exp(step[best]))
        out.append(Finding(
            "PWR-CT-RATIO-CHANGE", enterprise, (meter.equipment,), _t(s, i0), s.end, _t(s, int(idx[kk + w - 1])),
            N_("The ratio of current to power of %(equipment)s changed by a factor %(factor)s at %(start)s and "
               "stayed (a different current transformer?)."),
            dict(equipment=meter.equipment, factor=round(factor, 2), start=local_minute(_t(s, i0))),
            {"method": "current/power", "factor": rounded(factor),
             "amps_per_kw_before": rounded(float(np.exp(med[kk - w]))),
             "amps_per_kw_after": rounded(float(np.exp(med[kk]))), "window_minutes": w, "tolerance": st.ct_tolerance},
            True))
    return out
