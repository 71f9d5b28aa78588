"""Settings of the automatic-monitoring subsystem's own jobs: the section ``monitoring`` of
:class:`ecosentry.settings.Settings` (``get_settings().monitoring``; environment
``ECOSENTRY_MONITORING__DETECT_EVERY`` …). These were flat core fields before issue 12 item 6; the former
``ECOSENTRY_DETECT_EVERY`` … are still read, with a warning naming the new name (``former_settings`` of the
subsystem: prefix ``ECOSENTRY_``). Kept apart from the jobs so the settings import no pipeline code.

The detectors' thresholds are the section ``detect`` (:mod:`.detect.settings`), the forwarder's ``forward``,
the Vietnamese intake's ``vn``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class MonitoringSettings(BaseModel):
    """The continuous detection pass, the logger-fault alarm, automatic gap marks and the platform's choices
    for 折算 hours and 即时 rates."""

    model_config = ConfigDict(extra="forbid")

    # --- continuous detection (:mod:`ecosentry.subsystems.monitoring.pipeline.detection`; platform choices, "ours")
    #: Seconds between detection passes (offline check, detectors, exceedance alarms), and between the
    #: Vietnamese missing-file checks. [s]
    detect_every: float = 60.0
    #: A point is evaluated by the detectors at most this often (offline checks run every pass). [s]
    detect_point_every: float = 300.0
    #: A finding raises or keeps an alarm while it ended less than this many hours ago. [h]
    detect_recent_hours: float = 2.0
    #: History each pass reads per point: minutes of the last N hours … [h]
    detect_minute_hours: float = 6.0
    #: … and hours of the last N days (15 days: the national half-month constant-range rule, reference notes
    #: §5.2). [d]
    detect_hour_days: float = 15.0
    #: A logger is offline after silence of this many × its minute-data interval (MinInterval) … [-]
    offline_factor: float = 3.0
    #: … and at least this many minutes. The offline alarm is raised at most ``detect_every`` seconds after
    #: that silence. [min]
    offline_min_minutes: float = 10.0
    #: Logger fault (ALM-LOGGER-FRAMES): this many frames of one point rejected within
    #: ``logger_fault_window_minutes`` raise a device-fault alarm. [-]
    logger_fault_threshold: int = 10
    logger_fault_window_minutes: float = 60.0

    # --- the observation sink (:mod:`ecosentry.subsystems.monitoring.pipeline.sink`)
    #: Create automatic 通讯中断 marks for gaps of more than 15 minutes (CN-MARK-AUTO-GAP).
    auto_gap_marks: bool = True

    # --- the regulator's numbers (reference notes, choices marked UNCONFIRMED)
    #: How the platform computes an hourly 折算 value when the logger sent none (reference notes §3.1, open
    #: question): "mean_of_minute" (mean of the minute 折算 values) or "corrected_hourly_mean".
    zs_method: str = "mean_of_minute"
    #: 即时 (real-time) rates count an hour as received only if its data arrived within this many minutes
    #: after the hour ended; later data count for 补全 (after back-fill) only. [R] UNCONFIRMED cut-off
    #: (reference notes §1.1–§1.2: both variants are published, the cut-off is not). [min]
    realtime_grace_minutes: int = 60
