"""The section ``gates`` of the settings (``ECOSENTRY_GATES__*``): every [R] number of the rules as a documented
default (``docs/gates.md``), the HTTP push of the gate devices, the pictures and the retention periods."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.gates.rules.camera import CameraSettings
from ecosentry.subsystems.gates.rules.checks import CheckSettings
from ecosentry.subsystems.gates.rules.decision import GradeRules
from ecosentry.subsystems.gates.rules.retention import RetentionSettings
from ecosentry.subsystems.gates.rules.upload import UploadSettings

__all__ = ["GatesSettings", "PushSettings", "PictureSettings", "RetentionSettings", "CheckJobSettings"]

class PushSettings(BaseModel):
    """The HTTP push of plate-recognition events (``POST /gates/v1/passages``) on a port of its own."""

    enabled: bool = True
    host: str = "0.0.0.0"
    #: None: 9216, or a free port when the web or HJ 212 port is 0 (tests, embedded runs); 0: a free port.
    port: int | None = Field(None, ge=0, le=65535)
    #: Largest request body accepted (the JSON with its base64 picture). [bytes]
    max_body_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    #: How often the gate directory (devices, register, grades, alerts) is read again. [s]
    refresh_every: float = Field(30.0, gt=0)


class PictureSettings(BaseModel):
    """Pictures behind :class:`ecosentry.store.pictures.PictureStore`."""

    #: Folder of the content-addressed files; empty: ``<data_dir>/gates/pictures``.
    directory: str = ""
    #: Largest picture accepted (after base64 decoding). [bytes]
    max_bytes: int = Field(2 * 1024 * 1024, ge=1024)


class CheckJobSettings(BaseModel):
    """The scheduled checks over the stored tables (``checks_job``, service part ``gates_checks``)."""

    #: Run the job in the service (with its ``alarms`` part).
    enabled: bool = True
    #: Seconds between two passes [ours: the camera-offline alarm comes at most this late].
    every_seconds: float = Field(300.0, gt=0)
    #: Seconds between two looks for new passages and ledger rows between full passes: the enterprises that have
    #: some get their vehicle checks at once (the delay from a violating passage to its alarm); 0: only the full
    #: passes. [s]
    watch_seconds: float = Field(2.0, ge=0)
    #: Enterprises whose passages and ledger rows of the window the job keeps in memory between two passes (it then
    #: reads only the new rows; the least recently checked are dropped first; 0: read the window every time). [ours]
    cache_enterprises: int = Field(200, ge=0)
    #: An enterprise's cached rows are read whole again at least this often. [s]
    cache_seconds: float = Field(3600.0, gt=0)
    #: Passages and ledger rows younger than this are left to the next pass (the guard may still enter the row;
    #: by default the checks' ``match_tolerance_s``). [s]
    settle_seconds: int | None = Field(None, ge=0)
    #: How far back the camera checks look for heartbeats, passages and snapshots (the last sign of life before
    #: it is read as well, so a long silence keeps its start). [h]
    camera_lookback_hours: float = Field(24.0, gt=0)
    #: Raise core alarms (``ALM-VEH-…``) for the findings that deserve one.
    alarms: bool = True


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
    push: PushSettings = PushSettings()
    pictures: PictureSettings = PictureSettings()
    job: CheckJobSettings = CheckJobSettings()
