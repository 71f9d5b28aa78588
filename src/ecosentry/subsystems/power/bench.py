"""``ecosentry bench power``: the linkage, data and order rules on simulated enterprises (:mod:`.simulate`).

Measures
--------
* per code: the injected violations found (recall) and the findings that match an injected violation
  (precision); a finding matches when it is on the same enterprise, shares equipment with the violation,
  overlaps its span and its code is the violation's or one also true of it;
* findings per clean enterprise-day on honest enterprises (every schedule, legitimate stops, orders obeyed);
* the detection delay, ``detected_at`` minus the first violating minute (:func:`_violating_from`), per code: the
  goal is ≤ 2 minutes for the linkage rules (§7 item 3);
* readings per second through all the rules (one reading = one meter-minute).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from ecosentry.subsystems.power.check import check_enterprise
from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.subsystems.power.simulate import Injected, SimEnterprise, simulate_enterprise

__all__ = ["BenchResult", "run_bench", "fleet"]

LINKAGE_SET = ("treat_off", "late_start", "early_stop", "low_load")
DATA_SET = ("offline", "zero", "ct_current", "ct_energy")


@dataclass
class BenchResult:
    enterprises: int = 0
    honest_enterprise_days: float = 0.0
    honest_findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    injected: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    true_findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delays_min: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    readings: int = 0
    seconds: float = 0.0

    def rows(self) -> list[dict]:
        codes = sorted(set(self.injected) | set(self.findings) | set(self.honest_findings))
        out = []
        for c in codes:
            d = self.delays_min.get(c, [])
            out.append({"code": c, "injected": self.injected.get(c, 0), "found": self.found.get(c, 0),
                        "recall": _ratio(self.found.get(c, 0), self.injected.get(c, 0)),
                        "findings": self.findings.get(c, 0),
                        "precision": _ratio(self.true_findings.get(c, 0), self.findings.get(c, 0)),
                        "honest_per_day": round(self.honest_findings.get(c, 0)
                                                / max(self.honest_enterprise_days, 1e-9), 4),
                        "delay_median_min": float(np.median(d)) if d else None,
                        "delay_max_min": float(np.max(d)) if d else None})
        return out

    @property
    def readings_per_s(self) -> float:
        return self.readings / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        return {"enterprises": self.enterprises, "honest_enterprise_days": self.honest_enterprise_days,
                "honest_findings_per_enterprise_day": round(sum(self.honest_findings.values())
                                                            / max(self.honest_enterprise_days, 1e-9), 4),
                "readings": self.readings, "seconds": round(self.seconds, 3),
                "readings_per_s": round(self.readings_per_s), "codes": self.rows()}


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _matches(f: Finding, inj: Injected, slack: timedelta) -> bool:
    return (f.enterprise == inj.enterprise and (f.code == inj.code or f.code in inj.also)
            and bool(set(f.equipment) & set(inj.equipment))
            and f.start < inj.end + slack and f.end > inj.start - slack)


def _violating_from(inj: Injected, settings: PowerSettings) -> object:
    """The first minute at which the injected behaviour is a violation of its code: a late start once the grace
    has passed; an early stop when production stops (the span before is a PWR-TREAT-OFF, raised at once);
    otherwise its start."""
    if inj.code == "PWR-START-ORDER":
        return inj.start + timedelta(minutes=settings.linkage.grace_minutes)
    if inj.code == "PWR-STOP-ORDER":
        return inj.end
    return inj.start


def fleet(seed: int, honest: int, violating: int, days: int) -> list[SimEnterprise]:
    """``honest`` honest enterprises (a third under an obeyed order), ``violating`` ones with violations drawn
    from every set (linkage, data, orders)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(honest):
        order = (None, None, "stop", "limit")[i % 4]
        out.append(simulate_enterprise(int(rng.integers(2 ** 31)), f"H{i:03d}", days=days + (1 if order else 0),
                                       order=order, comply=True))
    for i in range(violating):
        kind = i % 4
        if kind == 0:
            v = tuple(rng.choice(LINKAGE_SET, size=2, replace=False))
            out.append(simulate_enterprise(int(rng.integers(2 ** 31)), f"V{i:03d}", days=days, schedule="day",
                                           violations=v))
        elif kind == 1:
            v = tuple(rng.choice(LINKAGE_SET + DATA_SET, size=3, replace=False))
            out.append(simulate_enterprise(int(rng.integers(2 ** 31)), f"V{i:03d}", days=days,
                                           schedule=("continuous", "day", "night")[i % 3], violations=v))
        else:
            out.append(simulate_enterprise(int(rng.integers(2 ** 31)), f"V{i:03d}", days=days + 1,
                                           order=("stop", "limit")[kind - 2], comply=False))
    return out


def run_bench(seed: int = 15, honest: int = 40, violating: int = 40, days: int = 7,
              settings: PowerSettings | None = None) -> BenchResult:
    settings = settings or PowerSettings()
    res = BenchResult()
    slack = timedelta(minutes=settings.linkage.grace_minutes + 5)
    for sim in fleet(seed, honest, violating, days):
        t0 = time.perf_counter()
        got = check_enterprise(sim.enterprise, sim.readings, settings, sim.orders).findings
        res.seconds += time.perf_counter() - t0
        res.readings += sim.readings.minutes * len(sim.readings.meters)
        res.enterprises += 1
        if sim.honest:
            res.honest_enterprise_days += sim.readings.minutes / 1440
            for f in got:
                res.honest_findings[f.code] += 1
        for inj in sim.injected:
            res.injected[inj.code] += 1
            hits = [f for f in got if f.code == inj.code and _matches(f, inj, slack)]
            if hits:
                res.found[inj.code] += 1
                first = min(hits, key=lambda f: f.detected_at)
                violating_from = _violating_from(inj, settings)
                res.delays_min[inj.code].append((first.detected_at - violating_from).total_seconds() / 60)
        for f in got:
            res.findings[f.code] += 1
            if any(_matches(f, inj, slack) for inj in sim.injected):
                res.true_findings[f.code] += 1
    return res

