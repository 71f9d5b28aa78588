"""The section ``om`` of the settings (``ECOSENTRY_OM__*``): every [R] and [ours] number of the O&M rules as a
documented default (``docs/om.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.om.rules.assessment import AssessmentSettings
from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
from ecosentry.subsystems.om.rules.consistency import ConsistencySettings
from ecosentry.subsystems.om.rules.coverage import CoverageSettings
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings

__all__ = ["OmSettings", "InstrumentSettings", "CameraSettings", "PhotoSettings", "MarkCheckSettings"]


class InstrumentSettings(BaseModel):
    """How the loggers' HJ 212 instrument frames are read (HJ 212-2017 Table 9 CN 3020, Appendix B info codes)."""

    #: Info codes of instrument parameters: HJ 212-2017 Appendix B's 现场端信息 codes are ``i11xxx`` logs,
    #: ``i12xxx`` states and ``i13xxx`` parameters, sent as ``i13xxx-Info=value`` [R].
    parameter_prefix: str = Field("i13", min_length=1, max_length=16)
    #: Info code → the name the registered values use (``{"i13001": "range"}``); unlisted codes keep their code
    #: as the name. The standard's table of i13 codes was not read: a deployment lists its own [R].
    parameter_names: dict[str, str] = Field(default_factory=dict)
    #: The CP field a logger sends the station-room door in (UNCONFIRMED: HJ 212-2017 Table 9 and Appendix B
    #: name no door code; provinces name their own). Its frame must come under a command code of
    #: ``hj212_instrument_cns`` (CN 3020 by default) [R].
    door_field: str = Field("DoorState", min_length=1, max_length=40)
    #: Values of the door field meaning opened and closed.
    door_open_values: list[str] = Field(default_factory=lambda: ["1", "open"])
    door_close_values: list[str] = Field(default_factory=lambda: ["0", "close"])
    #: Days of reports the parameter check looks back over when a report comes in [ours].
    check_days: float = Field(30, gt=0)


class CameraSettings(BaseModel):
    """Station-room cameras: snapshots pushed on door events, and the offline check [ours]."""

    #: Largest snapshot accepted. [bytes]
    max_snapshot_bytes: int = Field(2_000_000, gt=0)
    #: A snapshot is linked to the room's door event nearest in time within this many minutes.
    link_minutes: float = Field(5, ge=0)
    #: A camera that sent neither a heartbeat nor a snapshot for this long is offline (ALM-OM-CAMERA-OFFLINE).
    offline_minutes: float = Field(15, gt=0)
    #: Folder of the pictures; empty = ``photos.directory``, else ``<data_dir>/om/pictures`` (one store).
    pictures_directory: str = ""


class PhotoSettings(BaseModel):
    """Photos taken on site (work orders), in the core's picture store (:mod:`ecosentry.store.pictures`)."""

    #: Folder of the content-addressed files; empty: ``<data_dir>/om/pictures``.
    directory: str = ""
    #: Largest photo accepted: a phone's camera writes 2–6 MB JPEGs [ours]. [bytes]
    max_bytes: int = Field(12_000_000, ge=1024)
    #: Most photos in one upload [ours].
    max_files: int = Field(12, ge=1)


class MarkCheckSettings(BaseModel):
    """The check of each filed mark against its work orders and door openings, once, after a grace period
    (``ALM-OM-MARK-UNSUPPORTED``, :mod:`.store.marks`) [ours]."""

    #: A mark is judged this long after its end: the engineer files the order and the door events arrive in the
    #: meantime [ours]. [h]
    grace_hours: float = Field(2, ge=0)
    #: ... and at least this long after its filing (a mark filed after the visit comes with its order or not at
    #: all) [ours]. [min]
    filing_grace_minutes: float = Field(30, ge=0)
    #: A mark still open is judged this long after its start (and ``filing_grace_minutes`` after its filing): a
    #: false mark left open must not escape; the fault's report deadline is 12 h [ours]. [h]
    open_mark_hours: float = Field(24, gt=0)
    #: Marks filed earlier than this before the pass are not judged (a new deployment does not alarm on its
    #: history; ``ecosentry ops check`` covers it) [ours]. [days]
    lookback_days: float = Field(7, gt=0)


class OmSettings(BaseModel):
    #: The stations' time zone: working days, local months, times in the sentences.
    timezone: str = "Asia/Shanghai"
    #: Seconds between two overdue checks of the work orders [ours].
    check_seconds: float = Field(300, gt=0)
    #: Hours of door events the consistency rule looks back over when a door event comes in [ours].
    door_window_hours: float = Field(24, gt=0)
    #: Seconds between two passes of the monthly assessment job (it stores each finished month once) [ours].
    assess_seconds: float = Field(3600, gt=0)
    hj212: InstrumentSettings = InstrumentSettings()
    cameras: CameraSettings = CameraSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    calibration: CalibrationSettings = CalibrationSettings()
    consistency: ConsistencySettings = ConsistencySettings()
    assessment: AssessmentSettings = AssessmentSettings()
    photos: PhotoSettings = PhotoSettings()
    coverage: CoverageSettings = CoverageSettings()
    marks: MarkCheckSettings = MarkCheckSettings()
