"""``ecosentry bench gate``: every gate check on simulated enterprises (:mod:`.simulate`), all in one dataset.

Measures
--------
* passages per second through all the checks (the passages of every enterprise in one dataset, as a city's
  nightly run would see them; ledger rows ride along);
* per code: the injected violations found (recall) and the findings that match an injected violation (precision).
  A finding matches when it is on the same enterprise, its code is the violation's or one also true of it
  (:data:`.simulate.VIOLATIONS`), the plates agree where both name one, and the times overlap (within an hour)
  for codes about one passage;
* findings per clean enterprise-day on honest enterprises (every grade, the alert obeyed);
* with ``cameras`` (default), every gate also sends heartbeats and two snapshots a day (:mod:`.simulate_camera`:
  honest cameras dark at night but beating; each violating enterprise one or two camera faults more), and the
  camera checks' time is measured apart (``camera_seconds``).

The HTTP push, the ledger tables and the time from passage to alarm are measured by the next slice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from ecosentry.contracts.bench_score import CodeScores
from ecosentry.subsystems.gates.check import check_cameras, check_dataset
from ecosentry.subsystems.gates.rules.camera import CameraInputs, SnapshotInput
from ecosentry.subsystems.gates.rules.findings import Finding
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.gates.simulate import VIOLATIONS, Injected, SimEnterprise, merge, simulate_enterprise
from ecosentry.subsystems.gates.simulate_camera import CAMERA_FAULTS, add_cameras, merge_cameras

__all__ = ["BenchResult", "run_bench", "fleet"]

GRADES = ("A", "B", "B-", "C", "D", "leading")
LEVELS = ("yellow", "orange", "red")
_PERIOD_CODES = {"VEH-SHARE-ALERT", "VEH-SHARE-MONTH", "VEH-INSPECT-VIDEO", "VEH-INSPECT-LEDGER",
                 "VEH-SMALL-VOLUME", "VEH-VIN-MULTI-PLATE"}


@dataclass
class BenchResult(CodeScores):
    enterprises: int = 0
    passages: int = 0
    ledger_rows: int = 0
    seconds: float = 0.0
    camera_seconds: float = 0.0
    heartbeats: int = 0
    snapshots: int = 0
    honest_enterprise_days: float = 0.0

    @property
    def passages_per_s(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0

    def rows(self) -> list[dict]:
        return self.code_rows(max(self.honest_enterprise_days, 1e-9), digits=4, with_honest_codes=True)

    def summary(self) -> dict:
        honest = sum(self.honest_findings.values())
        return {"enterprises": self.enterprises, "passages": self.passages, "ledger_rows": self.ledger_rows,
                "seconds": round(self.seconds, 3), "passages_per_s": round(self.passages_per_s),
                "heartbeats": self.heartbeats, "snapshots": self.snapshots,
                "camera_seconds": round(self.camera_seconds, 3),
                "honest_enterprise_days": self.honest_enterprise_days,
                "honest_findings_per_enterprise_day": round(honest / max(self.honest_enterprise_days, 1e-9), 4),
                "codes": self.rows()}


def fleet(seed: int, honest: int, violating: int, days: int) -> tuple[list[SimEnterprise], list[SimEnterprise]]:
    """Honest and violating enterprises over every grade and level; each violating one gets 2–4 violations
    that fit it (a share violation only at B and B-, small volume only where the exemption was claimed)."""
    rng = np.random.default_rng(seed)
    good, bad = [], []
    for i in range(honest + violating):
        grade, level, exempt = GRADES[i % len(GRADES)], LEVELS[(i // len(GRADES)) % len(LEVELS)], i % 5 == 4
        if i < honest:
            good.append(simulate_enterprise(seed, i, days=days, grade=grade, exempt=exempt, level=level))
            continue
        fits = [v for v in VIOLATIONS if (v != "share" or grade in ("B", "B-")) and (v != "small_volume" or exempt)]
        chosen = tuple(rng.choice(fits, size=int(rng.integers(2, 5)), replace=False))
        bad.append(simulate_enterprise(seed, i, days=days, grade=grade, exempt=exempt, level=level,
                                       violations=chosen))
    return good, bad


def _matches(f: Finding, inj: Injected, codes: tuple[str, ...]) -> bool:
    if f.enterprise != inj.enterprise or f.code not in codes:
        return False
    if f.code in _PERIOD_CODES:
        return True
    if inj.plate and f.plate and inj.plate != f.plate:
        return False
    slack = timedelta(hours=1)
    return f.start <= inj.end + slack and f.end >= inj.start - slack


def camera_fleet(seed: int, good: list[SimEnterprise], bad: list[SimEnterprise]) -> CameraInputs:
    """Cameras for every simulated enterprise; each violating one gets one or two camera faults."""
    rng = np.random.default_rng([seed, 212])
    cams = [add_cameras(s, seed) for s in good]
    for s in bad:
        faults = tuple(rng.choice(list(CAMERA_FAULTS), size=int(rng.integers(1, 3)), replace=False))
        cams.append(add_cameras(s, seed, faults=faults))
    hb, snaps = merge_cameras(cams)
    return CameraInputs(hb, [SnapshotInput(x.enterprise, x.gate, x.t, x.picture, x.reference) for x in snaps])


def run_bench(seed: int = 16, honest: int = 30, violating: int = 30, days: int = 14,
              settings: GatesSettings | None = None, cameras: bool = True) -> BenchResult:
    settings = settings or GatesSettings()
    good, bad = fleet(seed, honest, violating, days)
    cam = camera_fleet(seed, good, bad) if cameras else None
    ds = merge(good + bad)
    t0 = time.perf_counter()
    findings = check_dataset(ds, settings)
    t1 = time.perf_counter()
    if cam is not None:
        findings += check_cameras(ds, cam, settings)
    res = BenchResult(enterprises=len(good) + len(bad), passages=len(ds.passages), ledger_rows=len(ds.ledger),
                      seconds=t1 - t0, honest_enterprise_days=float(len(good) * days))
    if cam is not None:
        res.camera_seconds = time.perf_counter() - t1
        res.heartbeats, res.snapshots = len(cam.heartbeats or ()), len(cam.snapshots or ())
    honest_ids = {s.enterprise.id for s in good}
    injected = [i for s in bad for i in s.injected]
    for i in injected:
        res.injected[i.code] += 1
        if any(_matches(f, i, (i.code,)) for f in findings):
            res.found[i.code] += 1
    for f in findings:
        if f.enterprise in honest_ids:
            res.honest_findings[f.code] += 1
        res.findings[f.code] += 1
        if any(_matches(f, i, (i.code, *i.also)) for i in injected):
            res.true_findings[f.code] += 1
    return res
