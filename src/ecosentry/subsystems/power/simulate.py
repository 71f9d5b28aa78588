"""A simulator of metered enterprises, honest and violating (seeded, numpy): minute power, phase currents and
energy registers of production equipment, treatment facilities and the total meter, with the ground truth of
every violation injected.

An enterprise has two production units ``P1`` (rated 200–400 kW) and ``P2`` (100–200 kW) on one line, a dust
removal unit ``T1`` serving ``P1``, a desulfurisation unit ``T2`` serving both, and a total meter ``TOT`` that
also sees an unmetered load (lighting, offices), declared in the registry.

Honest behaviour: a schedule (``continuous`` with a weekly maintenance stop, ``day`` shift 07:30–19:30, or
``night`` shift 20:00–06:00, each start and stop jittered), legitimate whole days off, load following a daily
rhythm with noise, a start-up ramp, treatment started 5–15 min before the first unit it serves (one in four:
up to 3 min after it, within the grace window) and stopped 5–20 min after the last, standby readings near zero,
single-minute spikes while stopped, short data gaps (< the offline setting), hours of part load during which
the treatment fans slow down too. Violations replace a piece of
that behaviour and record what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.power.check import EnterpriseReadings, MeterReadings
from ecosentry.subsystems.power.registry import Enterprise, Equipment, Line, Linkage, Meter
from ecosentry.subsystems.power.rules.orders import Order

__all__ = ["VIOLATIONS", "Injected", "SimEnterprise", "simulate_enterprise"]

#: Violation name → the code it must raise, and the codes that are also true of it.
VIOLATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "treat_off": ("PWR-TREAT-OFF", ()),
    "late_start": ("PWR-START-ORDER", ()),
    "early_stop": ("PWR-STOP-ORDER", ("PWR-TREAT-OFF",)),
    "low_load": ("PWR-TREAT-LOW-LOAD", ()),
    "offline": ("PWR-METER-OFFLINE", ()),
    "zero": ("PWR-ZERO-ALL-PHASES", ()),
    "ct_current": ("PWR-CT-RATIO-CHANGE", ()),
    "ct_energy": ("PWR-CT-RATIO-CHANGE", ()),
    "stop_order": ("PWR-ORDER-STOP-RUNNING", ()),
    "limit_order": ("PWR-ORDER-LIMIT-EXCEEDED", ()),
}
SCHEDULES = ("continuous", "day", "night")
_U, _PF = 400.0, 0.85  # line voltage (V) and power factor of the simulated loads


@dataclass
class Injected:
    """One violation done on purpose: ``code`` must be found on ``equipment`` between ``start`` and ``end``;
    ``also`` are codes that are true of it too (not false positives)."""

    enterprise: str
    violation: str
    code: str
    equipment: tuple[str, ...]
    start: datetime
    end: datetime
    also: tuple[str, ...] = ()


@dataclass
class SimEnterprise:
    enterprise: Enterprise
    readings: EnterpriseReadings
    injected: list[Injected] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    schedule: str = "continuous"

    @property
    def honest(self) -> bool:
        return not self.injected


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last+1) of the runs of True."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def _schedule(rng: np.random.Generator, kind: str, days: int) -> np.ndarray:
    """P1's on-minutes over ``days`` (local midnight to midnight)."""
    n = days * 1440
    on = np.zeros(n, dtype=bool)
    for d in range(days):
        base = d * 1440
        if kind == "continuous":
            on[base:base + 1440] = True
            if rng.random() < 1 / 7:  # a maintenance stop
                a = base + int(rng.integers(8 * 60, 14 * 60))
                on[a:a + int(rng.integers(240, 480))] = False
            continue
        if rng.random() < 0.12:
            continue  # a legitimate day off
        if kind == "day":
            a, b = base + 450 + int(rng.integers(-20, 21)), base + 1170 + int(rng.integers(-20, 21))
        else:
            a, b = base + 1200 + int(rng.integers(-20, 21)), base + 1440 + 360 + int(rng.integers(-20, 21))
        on[a:min(b, n)] = True
    return on


def _dilate(on: np.ndarray, before: int, after: int) -> np.ndarray:
    """On from ``before`` minutes before each run to ``after`` minutes after it."""
    out = on.copy()
    for a, b in _runs(on):
        out[max(0, a - before):min(on.size, b + after)] = True
        if before < 0:  # started a little after production (an honest start within the grace window)
            out[a:a - before] = False
    return out


def _power(rng: np.random.Generator, on: np.ndarray, normal_kw: float, *, rhythm: float, ramp: int,
           start_minute: int = 0) -> np.ndarray:
    n = on.size
    minute_of_day = (np.arange(n) + start_minute) % 1440
    level = 1.0 + rhythm * np.sin(2 * np.pi * (minute_of_day - 8 * 60) / 1440)
    ar = np.zeros(n)
    eps = rng.normal(0, 0.02, n)
    ar[0] = eps[0]
    # AR(1) noise by a short recursion-free filter (exponential smoothing of white noise)
    k = np.exp(-np.arange(30) / 6.0)
    ar = np.convolve(eps, k / np.sqrt((k ** 2).sum()) * 0.5, mode="same")
    p = normal_kw * level * (1 + ar)
    if ramp:
        for a, _b in _runs(on):
            r = min(ramp, n - a)
            p[a:a + r] *= np.linspace(0.3, 1.0, r)
    standby = rng.gamma(2.0, 0.05, n)
    p = np.where(on, p, standby)
    spikes = (~on) & (rng.random(n) < 0.002)  # a single minute of a maintenance test run
    p[spikes] = normal_kw * rng.uniform(0.3, 0.8, spikes.sum())
    return np.maximum(p, 0.0)


def _phases(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    i = p * 1000 / (np.sqrt(3) * _U * _PF)
    imbalance = 1 + rng.normal(0, 0.01, (3, 1))
    return i[None, :] * imbalance


def _energy(p: np.ndarray) -> np.ndarray:
    return np.round(np.cumsum(np.nan_to_num(p)) / 60.0 + 1000.0, 2)


def _pick_run(rng, on: np.ndarray, min_len: int, *, after_off: bool = False) -> tuple[int, int] | None:
    runs = [(a, b) for a, b in _runs(on) if b - a >= min_len and (not after_off or a > 0)]
    if not runs:
        return None
    return runs[int(rng.integers(len(runs)))]


def simulate_enterprise(seed: int, eid: str, *, days: int = 7, start: datetime | None = None,
                        schedule: str | None = None, violations: tuple[str, ...] = (), tz: str = "Asia/Shanghai",
                        order: str | None = None, comply: bool = True, grace_minutes: int = 5) -> SimEnterprise:
    """One enterprise over ``days`` days. ``order`` (``stop`` or ``limit`` to 50 %) covers the last day, after
    ``days - 1`` normal days (the baseline); ``comply`` False makes the enterprise ignore it."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(tz)
    start = start or datetime(2026, 11, 2, tzinfo=zone)
    kind = schedule or ("continuous" if order else SCHEDULES[int(rng.integers(3))])
    n = days * 1440
    r1, r2 = float(rng.uniform(200, 400)), float(rng.uniform(100, 200))
    rt1, rt2 = float(rng.uniform(30, 90)), float(rng.uniform(40, 120))
    normal = {"P1": 0.8 * r1, "P2": 0.8 * r2, "T1": 0.8 * rt1, "T2": 0.8 * rt2}
    unmetered = float(rng.uniform(5, 15))
    p1 = _schedule(rng, kind, days)
    p2 = p1.copy()
    for a, b in _runs(p1):  # P2 starts 10 min after P1 and stops 10 min before it
        p2[a:min(a + 10, b)] = False
        p2[max(a, b - 10):b] = False
    injected: list[Injected] = []
    orders: list[Order] = []
    t = lambda i: start + timedelta(minutes=int(i))  # noqa: E731
    order_from = (days - 1) * 1440
    if order:
        measure = order
        o = Order(eid, ("P1", "P2"), measure, t(order_from), t(n), 50.0 if measure == "limit" else None, "orange")
        orders.append(o)
        if measure == "stop" and comply:
            p1[order_from:] = False
            p2[order_from:] = False
        if measure == "stop" and not comply:
            p1[order_from:] = True
            p2[order_from + 10:] = True
            injected.append(Injected(eid, "stop_order", "PWR-ORDER-STOP-RUNNING", ("P1", "P2"), t(order_from), t(n)))
    # treatment leads by up to 15 min, or (one in four) follows by up to 3 min: within the 5-min grace
    lead1 = int(rng.integers(-3, 1)) if rng.random() < 0.25 else int(rng.integers(5, 16))
    lag1 = int(rng.integers(5, 21))
    t1 = _dilate(p1, lead1, lag1)
    t2 = _dilate(p1 | p2, int(rng.integers(-3, 16)), int(rng.integers(5, 21)))
    low = np.zeros(n, dtype=bool)
    for v in violations:
        if v == "treat_off":
            run = _pick_run(rng, p1, 300)
            if run is None:
                continue
            a = run[0] + int(rng.integers(60, run[1] - run[0] - 200))
            b = a + int(rng.integers(60, 181))
            t1[a:b] = False
            injected.append(Injected(eid, v, "PWR-TREAT-OFF", ("P1", "T1"), t(a), t(b)))
        elif v == "late_start":
            run = _pick_run(rng, p1, 120, after_off=True)
            if run is None:
                continue
            a = run[0]
            delay = int(rng.integers(15, 61))
            t1[max(0, a - max(lead1, 0)):a + delay] = False
            injected.append(Injected(eid, v, "PWR-START-ORDER", ("P1", "T1"), t(a), t(a + delay)))
        elif v == "early_stop":
            runs = [(a, b) for a, b in _runs(p1) if b - a >= 120 and b < n]
            if not runs:
                continue
            a, b = runs[int(rng.integers(len(runs)))]
            adv = int(rng.integers(15, 41))
            t1[b - adv:b + lag1] = False
            injected.append(Injected(eid, v, "PWR-STOP-ORDER", ("P1", "T1"), t(b - adv), t(b), ("PWR-TREAT-OFF",)))
        elif v == "low_load":
            run = _pick_run(rng, p1, 300)
            if run is None:
                continue
            a = run[0] + int(rng.integers(60, run[1] - run[0] - 200))
            b = a + int(rng.integers(60, 181))
            low[a:b] = True
            injected.append(Injected(eid, v, "PWR-TREAT-LOW-LOAD", ("P1", "T1"), t(a), t(b)))
    power = {
        "P1": _power(rng, p1, normal["P1"], rhythm=0.06, ramp=5),
        "P2": _power(rng, p2, normal["P2"], rhythm=0.06, ramp=5),
        "T1": _power(rng, t1, normal["T1"], rhythm=0.0, ramp=0),
        "T2": _power(rng, t2, normal["T2"], rhythm=0.0, ramp=0),
    }
    # honest part load: P1 at 40-60 % for 1-3 h about once every two days (never inside an injected span or an
    # order day); the desulfuriser's variable-speed fan follows its production (60 % + 40 % × share), the dust
    # removal fan of P1 slows to 50-70 %: low treatment load under low production is no finding
    part = np.zeros(n, dtype=bool)
    busy = low.copy()
    for inj in injected:
        busy[max(0, int((inj.start - start).total_seconds() // 60) - 60):int((inj.end - start).total_seconds()
                                                                              // 60) + 60] = True
    if order:
        busy[order_from - 60:] = True
    for _ in range(int(rng.poisson(days / 2))):
        run = _pick_run(rng, p1 & ~busy, 300)
        if run is None:
            break
        a = run[0] + int(rng.integers(30, run[1] - run[0] - 200))
        b = a + int(rng.integers(60, 181))
        part[a:b] = True
        busy[a:b] = True
    if part.any():
        share_p = rng.uniform(0.4, 0.6)
        power["P1"][part] *= share_p
        power["T1"][part & t1] *= rng.uniform(0.5, 0.7)
        power["T2"][part & t2] *= 0.6 + 0.4 * share_p
    if order == "limit":
        share = 0.45 if comply else 0.75
        for k in ("P1", "P2"):
            power[k][order_from:] *= share
        if not comply:
            injected.append(Injected(eid, "limit_order", "PWR-ORDER-LIMIT-EXCEEDED", ("P1", "P2"), t(order_from),
                                     t(n)))
    power["T1"][low] = normal["T1"] * rng.uniform(0.10, 0.20) * (1 + rng.normal(0, 0.02, low.sum()))
    true_total = sum(power.values()) + unmetered * (1 + rng.normal(0, 0.03, n))
    meters = {k: MeterReadings(v.copy(), _phases(rng, v), None) for k, v in power.items()}
    for k in meters:
        meters[k].energy_kwh = _energy(meters[k].power_kw)
    for v in violations:
        if v == "zero":
            run = _pick_run(rng, p1, 300)
            if run is None:
                continue
            a = run[0] + int(rng.integers(60, run[1] - run[0] - 200))
            b = a + int(rng.integers(60, 121))
            m = meters["P1"]
            m.power_kw[a:b] = 0.0
            m.phase_a[:, a:b] = 0.0
            m.energy_kwh[a:] = np.r_[np.full(b - a, m.energy_kwh[a - 1]), m.energy_kwh[b:] - (m.energy_kwh[b - 1]
                                     - m.energy_kwh[a - 1])]
            injected.append(Injected(eid, v, "PWR-ZERO-ALL-PHASES", ("P1",), t(a), t(b)))
        elif v in ("ct_current", "ct_energy"):
            run = _pick_run(rng, p2, 240)
            if run is None:
                continue
            a = run[0] + int(rng.integers(30, run[1] - run[0] - 120))
            k = float(rng.uniform(1.5, 2.5))
            m = meters["P2"]
            if v == "ct_current":
                m.phase_a[:, a:] *= k
            else:
                m.energy_kwh[a:] = m.energy_kwh[a - 1] + (m.energy_kwh[a:] - m.energy_kwh[a - 1]) * k
            injected.append(Injected(eid, v, "PWR-CT-RATIO-CHANGE", ("P2",), t(a), t(n)))
    # short honest gaps on every meter, and the injected long ones
    for k, m in meters.items():
        for _ in range(int(rng.poisson(days * 0.5))):
            a = int(rng.integers(0, n - 10))
            _gap(m, a, a + int(rng.integers(1, 9)))
    for v in violations:
        if v == "offline":
            k = ("P1", "P2", "T1", "T2")[int(rng.integers(4))]
            a = int(rng.integers(60, n - 200))
            b = a + int(rng.integers(30, 121))
            _gap(meters[k], a, b)
            injected.append(Injected(eid, v, "PWR-METER-OFFLINE", (k,), t(a), t(b)))
    meters["TOT"] = MeterReadings(true_total, None, _energy(true_total))
    ent = Enterprise(
        eid, f"Simulated {kind} enterprise {eid}", tz, "simulated", round(unmetered, 2), (Line("L1", "Line 1"),),
        tuple(Meter(f"{eid}-{k}", 300 / 5, 3, r) for k, r in (("P1", r1), ("P2", r2), ("T1", rt1), ("T2", rt2)))
        + (Meter(f"{eid}-TOT", 1000 / 5, 3, None),),
        (Equipment("P1", "production", f"{eid}-P1", "Kiln", None, "L1", r1, normal["P1"]),
         Equipment("P2", "production", f"{eid}-P2", "Mill", None, "L1", r2, normal["P2"]),
         Equipment("T1", "treatment", f"{eid}-T1", "Bag filter", "dust_removal", None, rt1, normal["T1"]),
         Equipment("T2", "treatment", f"{eid}-T2", "Desulfuriser", "desulfurisation", None, rt2, normal["T2"]),
         Equipment("TOT", "total", f"{eid}-TOT", "Total meter", None, None, None, None)),
        (Linkage("T1", ("P1",), grace_minutes), Linkage("T2", ("P1", "P2"), grace_minutes)))
    readings = EnterpriseReadings(start, n, {f"{eid}-{k}": m for k, m in meters.items()})
    return SimEnterprise(ent, readings, injected, orders, kind)


def _gap(m: MeterReadings, a: int, b: int) -> None:
    m.power_kw[a:b] = np.nan
    if m.phase_a is not None:
        m.phase_a[:, a:b] = np.nan
    if m.energy_kwh is not None:
        m.energy_kwh[a:b] = np.nan
