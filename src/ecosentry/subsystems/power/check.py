"""All the rules over one enterprise: registry + minute readings (+ orders) → findings, pure.

The readings of every meter of the enterprise are on one grid (``start`` and one sample a minute, NaN where
none came). Each meter's thresholds are its own (registry), else learned from its readings
(:mod:`.rules.learned`), else a share of its rated power. Times are converted to the enterprise's zone, so
every sentence reads in local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from ecosentry.said import N_, Said
from ecosentry.subsystems.power.registry import Enterprise
from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.rules.learned import learn_threshold
from ecosentry.subsystems.power.rules.linkage import (
    MeterState, ct_ratio_change, low_load, meter_offline, meter_state, treatment_off, zero_all_phases)
from ecosentry.subsystems.power.rules.orders import Order, hourly_baseline, limit_order, stop_order
from ecosentry.subsystems.power.rules.state import MinuteSeries, Thresholds
from ecosentry.subsystems.power.settings import PowerSettings

__all__ = ["MeterReadings", "EnterpriseReadings", "CheckResult", "check_enterprise", "thresholds_for"]


@dataclass
class MeterReadings:
    """One meter's minute values: active power (kW), optionally phase currents (3 × n, A) and the energy
    register (kWh)."""

    power_kw: np.ndarray
    phase_a: np.ndarray | None = None
    energy_kwh: np.ndarray | None = None

    @property
    def current_a(self) -> np.ndarray | None:
        if self.phase_a is None:
            return None
        finite = np.isfinite(self.phase_a)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(finite, self.phase_a, 0).sum(axis=0) / finite.sum(axis=0)


@dataclass
class EnterpriseReadings:
    start: datetime
    minutes: int
    meters: dict[str, MeterReadings]


@dataclass
class CheckResult:
    findings: list[Finding]
    thresholds: dict[str, dict] = field(default_factory=dict)
    limit_tables: list[dict] = field(default_factory=list)


def thresholds_for(meter_id: str, ent: Enterprise, power: np.ndarray, settings: PowerSettings
                   ) -> tuple[Thresholds, dict]:
    """The meter's own thresholds, else learned, else the rated fallback; and how they were set."""
    st = settings.thresholds
    meter = ent.meter_by_id().get(meter_id)
    eq = next((e for e in ent.equipment if e.meter == meter_id), None)
    if meter is not None and meter.thresholds is not None:
        th = meter.thresholds
        return th, {"on": th.on, "off": th.off, "dwell": th.dwell, "dwell_off": th.stop_dwell, "method": "registry"}
    rated = (meter.rated_kw if meter else None) or (eq.rated_kw if eq else None)
    if st.learn:
        got = learn_threshold(power, rated_kw=rated, floor=st.floor_kw, min_separation=st.min_separation,
                              min_share=st.min_share, min_ratio=st.min_ratio, fallback_share=st.fallback_share,
                              dwell=st.dwell_on, dwell_off=st.dwell_off)
        if got.thresholds is not None:
            return got.thresholds, got.as_dict() | {"dwell": st.dwell_on, "dwell_off": st.dwell_off}
        raise Said(N_("meter %(meter)s: no thresholds, none learned (%(reason)s) and no rated power"), meter=meter_id,
                   reason=got.reason)
    if rated:
        on = st.fallback_share * rated
        return Thresholds(on, on / 2, st.dwell_on, st.dwell_off), {"on": on, "off": on / 2, "dwell": st.dwell_on,
                                                                   "dwell_off": st.dwell_off, "method": "rated"}
    raise ValueError(f"meter {meter_id}: no thresholds and no rated power")


def check_enterprise(ent: Enterprise, readings: EnterpriseReadings, settings: PowerSettings | None = None,
                     orders: list[Order] = ()) -> CheckResult:  # type: ignore[assignment]
    settings = settings or PowerSettings()
    ls, ts = settings.linkage, settings.thresholds
    start = readings.start.astimezone(ent.zone)
    n = readings.minutes
    empty = np.full(n, np.nan)
    states: dict[str, MeterState] = {}
    ths: dict[str, dict] = {}
    th_kw: dict[str, float] = {}
    for eq in ent.equipment:
        r = readings.meters.get(eq.meter)
        power = r.power_kw if r is not None else empty
        series = MinuteSeries(start, np.asarray(power, float))
        if eq.role == "total":  # its state is not judged; only its readings (and its gaps) count
            th, how = Thresholds(1e-3, 1e-3, ts.dwell_on, ts.dwell_off), {"method": "total meter"}
        elif np.isfinite(series.values).any():
            th, how = thresholds_for(eq.meter, ent, series.values, settings)
        else:
            rated = eq.rated_kw or 1.0
            th, how = Thresholds(ts.fallback_share * rated, ts.fallback_share
                                 * rated / 2, ts.dwell_on, ts.dwell_off), {"method": "no readings"}
        ths[eq.id] = how | {"on": th.on, "off": th.off}
        th_kw[eq.id] = th.on
        normal = eq.normal_load_kw or (float(np.nanpercentile(series.values, 90)) if np.isfinite(
            series.values).any() else 1.0) or 1.0
        states[eq.id] = meter_state(eq.id, series, th, normal, bridge_minutes=ls.offline_minutes)
    findings: list[Finding] = []
    for lk in ent.linkages:
        prod = [states[p] for p in lk.serves]
        treat = states[lk.treatment]
        g = ls.grace_minutes if lk.grace_minutes is None else lk.grace_minutes
        findings += treatment_off(ent.id, prod, treat, grace_minutes=g, settings=ls)
        findings += low_load(ent.id, prod, treat, settings=ls)
    total = ent.total
    for eq in ent.equipment:
        st = states[eq.id]
        findings += meter_offline(ent.id, st, settings=ls)
        r = readings.meters.get(eq.meter)
        if r is None:
            continue
        findings += ct_ratio_change(ent.id, st, current_a=r.current_a, energy_kwh=r.energy_kwh, settings=ls)
        if total is not None and eq.role != "total" and total.meter in readings.meters:
            others = [readings.meters[o.meter].power_kw for o in ent.equipment
                      if o.role != "total" and o.id != eq.id and o.meter in readings.meters]
            others_kw = np.nansum(np.vstack(others), axis=0) if others else np.zeros(n)
            findings += zero_all_phases(ent.id, st, r.phase_a, readings.meters[total.meter].power_kw, others_kw,
                                        ent.unmetered_kw, th_kw[eq.id], settings=ls)
    tables = []
    for order in orders:
        if order.enterprise != ent.id:
            continue
        named = [states[e] for e in order.equipment]
        o = replace(order, start=order.start.astimezone(ent.zone), end=order.end.astimezone(ent.zone))
        if o.measure == "stop":
            findings += stop_order(o, named, settings=settings.orders)
            continue
        power = np.nansum(np.vstack([m.power for m in named]), axis=0)
        power[np.all(~np.isfinite(np.vstack([m.power for m in named])), axis=0)] = np.nan
        series = MinuteSeries(start, power)
        midnight = o.start.replace(hour=0, minute=0, second=0, microsecond=0)
        base = o.baseline() or hourly_baseline(series, power, midnight, settings=settings.orders)
        got, table = limit_order(o, series, power, base, settings=settings.orders)
        findings += got
        tables.append({"enterprise": ent.id, "equipment": list(o.equipment), "allowed_pct": o.allowed_pct,
                       "baseline_days": list(base.days), "hours": table,
                       "baseline_source": "edited" if o.baseline_kwh is not None else "computed"})
    findings.sort(key=lambda f: (f.start, f.code, f.equipment))
    return CheckResult(findings, ths, tables)
