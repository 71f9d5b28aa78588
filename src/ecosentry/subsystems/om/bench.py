"""``ecosentry bench ops``: every O&M check on simulated stations (:mod:`.simulate`), all in one dataset.

Measures
--------
* records (marks, orders, door events, checks) per second through all the checks;
* per code: the injected violations found (recall) and the findings that match an injected violation (precision).
  A finding matches when it is at the same point, its code is one the violation must raise or one also true of
  it (:data:`.simulate.VIOLATIONS`), and its period overlaps the violation's (within an hour);
* findings per honest station-day (honest O&M with legitimate variation: faults over weekends, double door
  openings, automatic calibration marks, maintenance marks during inspections).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from ecosentry.contracts.bench_score import CodeScores
from ecosentry.subsystems.om.check import check_dataset
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.simulate import VIOLATIONS, Injected, SimStation, merge, simulate_station

__all__ = ["BenchResult", "run_bench", "fleet"]

_SLACK = timedelta(hours=1)


@dataclass
class BenchResult(CodeScores):
    stations: int = 0
    records: int = 0
    seconds: float = 0.0
    honest_station_days: int = 0

    @property
    def records_per_s(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    def rows(self) -> list[dict]:
        return self.code_rows(max(1, self.honest_station_days), digits=3)

    def summary(self) -> dict:
        return {"stations": self.stations, "records": self.records, "seconds": round(self.seconds, 3),
                "records_per_s": round(self.records_per_s), "honest_station_days": self.honest_station_days,
                "honest_findings_per_station_day": round(sum(self.honest_findings.values())
                                                         / max(1, self.honest_station_days), 4),
                "codes": self.rows()}


def fleet(seed: int, honest: int, violating: int, days: int) -> list[SimStation]:
    rng = np.random.default_rng(seed)
    names = list(VIOLATIONS)
    out = [simulate_station(seed, i, days) for i in range(honest)]
    for j in range(violating):
        chosen = tuple(str(v) for v in rng.choice(names, size=min(3, len(names)), replace=False))
        out.append(simulate_station(seed, honest + j, days, chosen))
    return out


def _matches(f: Finding, inj: Injected) -> bool:
    return (f.point == inj.point and (f.code in inj.codes or f.code in inj.also)
            and f.start <= inj.end + _SLACK and f.end >= inj.start - _SLACK)


def run_bench(seed: int = 18, honest: int = 30, violating: int = 30, days: int = 28) -> BenchResult:
    stations = fleet(seed, honest, violating, days)
    ds = merge(stations)
    res = BenchResult(stations=len(stations),
                      records=len(ds.marks) + len(ds.orders) + len(ds.doors) + len(ds.checks))
    t0 = time.perf_counter()
    found = check_dataset(ds, now=max(s.end for s in stations))
    res.seconds = time.perf_counter() - t0
    injected = [i for s in stations for i in s.injected]
    honest_points = {s.point for s in stations if not s.injected}
    res.honest_station_days = days * len(honest_points)
    by_point: dict[str, list[Injected]] = defaultdict(list)
    for i in injected:
        by_point[i.point].append(i)
        for c in i.codes:
            res.injected[c] += 1
    for f in found:
        res.findings[f.code] += 1
        if f.point in honest_points:
            res.honest_findings[f.code] += 1
        if any(_matches(f, i) for i in by_point[f.point]):
            res.true_findings[f.code] += 1
    for i in injected:
        for c in i.codes:
            res.found[c] += any(f.code == c and f.point == i.point and f.start <= i.end + _SLACK
                                and f.end >= i.start - _SLACK for f in found)
    return res
