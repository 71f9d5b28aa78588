"""The section ``om`` of the settings (``ECOSENTRY_OM__*``): every [R] and [ours] number of the O&M rules as a
documented default (``docs/om.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.om.rules.assessment import AssessmentSettings
from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings
from ecosentry.subsystems.om.rules.coverage import CoverageSettings
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings

__all__ = ["OmSettings"]


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
    coverage: CoverageSettings = CoverageSettings()
