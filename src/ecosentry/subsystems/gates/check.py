"""All the gate checks over one dataset with the settings: the one entry point of the offline check, the
benchmark and (next slice) the scheduled job, pure."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ecosentry.subsystems.gates.rules.checks import Dataset, run_checks
from ecosentry.subsystems.gates.rules.findings import Finding
from ecosentry.subsystems.gates.settings import GatesSettings

__all__ = ["check_dataset"]


def check_dataset(ds: Dataset, settings: GatesSettings | None = None) -> list[Finding]:
    settings = settings or GatesSettings()
    return run_checks(ds, settings.grades, ZoneInfo(settings.timezone), settings.checks)
