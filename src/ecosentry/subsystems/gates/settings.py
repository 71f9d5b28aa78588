"""The section ``gates`` of the settings (``ECOSENTRY_GATES__*``): every [R] number of the rules as a documented
default (``docs/gates.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.gates.rules.camera import CameraSettings
from ecosentry.subsystems.gates.rules.checks import CheckSettings
from ecosentry.subsystems.gates.rules.decision import GradeRules
from ecosentry.subsystems.gates.rules.retention import RetentionSettings
from ecosentry.subsystems.gates.rules.upload import UploadSettings

__all__ = ["GatesSettings"]


class GatesSettings(BaseModel):
    #: The enterprises' time zone: local days and months of the checks, times in the sentences.
    timezone: str = "Asia/Shanghai"
    grades: GradeRules = GradeRules()
    checks: CheckSettings = CheckSettings()
    camera: CameraSettings = CameraSettings()
    retention: RetentionSettings = RetentionSettings()
    upload: UploadSettings = UploadSettings()
    #: Numeric plate-colour codes a camera or a file may send → colour (GA 24.7 / GA/T 16.110 order as recalled:
    #: 0 white, 1 yellow, 2 blue, 3 black, 4 green; 5 yellow-green ours) [R].
    plate_colour_codes: dict[str, str] = Field(default_factory=lambda: {
        "0": "white", "1": "yellow", "2": "blue", "3": "black", "4": "green", "5": "yellow_green"})
