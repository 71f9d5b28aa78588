"""The section ``om`` of the settings (``ECOSENTRY_OM__*``): every [R] and [ours] number of the O&M rules as a
documented default (``docs/om.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.om.rules.assessment import AssessmentSettings
from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings
from ecosentry.subsystems.om.rules.coverage import CoverageSettings
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings

__all__ = ["OmSettings", "PhotoSettings"]


class PhotoSettings(BaseModel):
    """Photos taken on site (work orders), in the core's picture store (:mod:`ecosentry.store.pictures`)."""

    #: Folder of the content-addressed files; empty: ``<data_dir>/om/pictures``.
    directory: str = ""
    #: Largest photo accepted: a phone's camera writes 2–6 MB JPEGs [ours]. [bytes]
    max_bytes: int = Field(12_000_000, ge=1024)
    #: Most photos in one upload [ours].
    max_files: int = Field(12, ge=1)


class OmSettings(BaseModel):
    #: The stations' time zone: working days, local months, times in the sentences.
    timezone: str = "Asia/Shanghai"
    #: Seconds between two overdue checks of the work orders [ours].
    check_seconds: float = Field(300, gt=0)
    #: Hours of door events the consistency rule looks back over when a door event comes in [ours].
    door_window_hours: float = Field(24, gt=0)
    #: Seconds between two passes of the monthly assessment job (it stores each finished month once) [ours].
    assess_seconds: float = Field(3600, gt=0)
    deadlines: DeadlineSettings = DeadlineSettings()
    calibration: CalibrationSettings = CalibrationSettings()
    consistency: ConsistencySettings = ConsistencySettings()
    assessment: AssessmentSettings = AssessmentSettings()
    photos: PhotoSettings = PhotoSettings()
    coverage: CoverageSettings = CoverageSettings()
