"""All the gate checks over one dataset with the settings: the one entry point of the offline check, the
benchmark and (next slice) the scheduled job, pure. The camera checks run when heartbeats or snapshots are given;
:func:`inspection_record` gives the inspection's full record (matches as well as mismatches)."""

from __future__ import annotations

from collections import defaultdict
from zoneinfo import ZoneInfo

from ecosentry.subsystems.gates.rules.camera import CameraInputs, camera_findings
from ecosentry.subsystems.gates.rules.checks import Dataset, inspection_reports, match, run_checks
from ecosentry.subsystems.gates.rules.findings import Finding
from ecosentry.subsystems.gates.rules.inspection import InspectionReport
from ecosentry.subsystems.gates.settings import GatesSettings

__all__ = ["check_dataset", "check_cameras", "inspection_record"]


def check_dataset(ds: Dataset, settings: GatesSettings | None = None,
                  cameras: CameraInputs | None = None) -> list[Finding]:
    settings = settings or GatesSettings()
    out = run_checks(ds, settings.grades, ZoneInfo(settings.timezone), settings.checks)
    if cameras is not None:
        out += check_cameras(ds, cameras, settings)
        out.sort(key=lambda f: (f.enterprise, f.start, f.code, f.plate))
    return out


def check_cameras(ds: Dataset, cameras: CameraInputs, settings: GatesSettings | None = None) -> list[Finding]:
    """The camera checks alone: the dataset's passages are signs of life, its alerts watched time."""
    settings = settings or GatesSettings()
    alerts: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for a in ds.alerts:
        alerts[a.enterprise].append((a.start, a.end))
    p = ds.passages
    return camera_findings(p.enterprise, p.gate, p.t, cameras, alerts, ZoneInfo(settings.timezone), settings.camera)


def inspection_record(ds: Dataset, settings: GatesSettings | None = None) -> list[InspectionReport]:
    """The inspection of every enterprise as the inspector would write it down (the same draw as the findings)."""
    settings = settings or GatesSettings()
    zone = ZoneInfo(settings.timezone)
    return inspection_reports(ds, match(ds, settings.checks), zone, settings.checks)
