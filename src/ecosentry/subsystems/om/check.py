"""All the O&M checks over one dataset: the one entry point of the offline check and the benchmark, pure (the
clock, ``now``, is an argument: by default the latest time in the data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from ecosentry.subsystems.om.rules.calibration import (
    CalibrationCheck, OutOfControl, judge_checks, out_of_control_findings, out_of_control_periods,
    overdue_calibrations)
from ecosentry.subsystems.om.rules.consistency import DoorEvent, Mark, unexplained_doors, unsupported_marks
from ecosentry.subsystems.om.rules.deadlines import FaultStart, late_reports, overdue_orders, planned_gaps
from ecosentry.subsystems.om.rules.findings import Finding
from ecosentry.subsystems.om.rules.workorders import WorkOrder
from ecosentry.subsystems.om.settings import OmSettings

__all__ = ["Dataset", "check_dataset", "invalid_periods"]


@dataclass
class Dataset:
    marks: list[Mark] = field(default_factory=list)
    orders: list[WorkOrder] = field(default_factory=list)
    doors: list[DoorEvent] = field(default_factory=list)
    checks: list[CalibrationCheck] = field(default_factory=list)

    def times(self) -> list[datetime]:
        out = [m.start for m in self.marks] + [m.end for m in self.marks if m.end]
        for o in self.orders:
            out += [t for t in (o.created, o.on_site_at, o.done_at) if t]
        return out + [d.time for d in self.doors] + [c.time for c in self.checks]

    def points(self) -> set[str]:
        return ({m.point for m in self.marks} | {o.point for o in self.orders} | {d.point for d in self.doors}
                | {c.point for c in self.checks})


def invalid_periods(ds: Dataset, now: datetime, settings: OmSettings) -> list[OutOfControl]:
    """The periods calibration makes invalid: failed checks until the next pass, and (by setting) overdue ones."""
    periods = out_of_control_periods(ds.checks, now, settings.calibration)
    if settings.calibration.overdue_invalidates:
        periods += overdue_calibrations(ds.checks, now, settings.calibration)
    return periods


def check_dataset(ds: Dataset, settings: OmSettings | None = None, now: datetime | None = None) -> list[Finding]:
    settings = settings or OmSettings()
    zone = ZoneInfo(settings.timezone)
    times = ds.times()
    if not times:
        return []
    now = now or max(times)
    start = min(times)
    faults = [FaultStart(m.point, m.start, m.end, f"mark {m.mark_id}") for m in ds.marks if m.kind == "fault"]
    findings = (overdue_orders(ds.orders, now, settings.deadlines, zone)
                + late_reports(faults, ds.orders, settings.deadlines, zone)
                + planned_gaps(ds.orders, ds.points(), start, now, settings.deadlines, zone)
                + judge_checks(ds.checks, settings.calibration, zone)
                + out_of_control_findings(out_of_control_periods(ds.checks, now, settings.calibration)
                                          + overdue_calibrations(ds.checks, now, settings.calibration), zone)
                + unsupported_marks(ds.marks, ds.orders, ds.doors, now, settings.consistency, zone, ds.checks)
                + unexplained_doors(ds.doors, ds.orders, ds.marks, now, settings.consistency, zone))
    return sorted(findings, key=lambda f: (f.start, f.point, f.code))
