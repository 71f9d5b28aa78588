"""Settings of the Vietnamese file intake (Circular 10/2021/TT-BTNMT): a section of
:class:`ecosentry.settings.Settings`, kept apart from the intake so the settings import no pipeline code."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["VnIntakeSettings"]


class VnIntakeSettings(BaseModel):
    """Timeliness and back-fill rules of Vietnamese station files: the section ``vn`` of the settings
    (``ECOSENTRY_VN__LATE_AFTER_MINUTES`` …; the former ``ECOSENTRY_VN_LATE_AFTER_MINUTES`` is still read).

    Defaults: Circular 10/2021/TT-BTNMT Art. 39 (≤ 5 min after the result; ≥ 60 days of logger buffer),
    reference notes §7.2 and subsystems.md §7 req. 32–33; the others are platform choices (tag "ours").
    """

    model_config = ConfigDict(extra="forbid")

    #: A file received more than this after its time is late (Art. 39: "at the latest 5 minutes"). [min]
    late_after_minutes: float = 5.0
    #: A file received more than this after its time is back-fill (from the logger's buffer). 60 min is the
    #: platform's 即时/补全 cut-off (``ECOSENTRY_MONITORING__REALTIME_GRACE_MINUTES``), so both notions agree.
    #: [min] (ours)
    backfill_after_minutes: float = 60.0
    #: Older files are refused ``too_old`` (the logger keeps ≥ 60 days, Art. 39). [d]
    max_age_days: float = 60.0
    #: Files dated more than this in the future are refused ``future`` (a logger clock ahead). [min] (ours)
    future_minutes: float = 5.0
    #: Time zone of a station not in the registry (file times are station local time). Registered stations
    #: use ``points.tz``.
    default_tz: str = "Asia/Ho_Chi_Minh"
    #: ``12,5`` read as 12.5 (off: ``1,009`` is ambiguous; see the parser's notes).
    decimal_comma: bool = False
    #: Missing-file check: slots of the last this many hours are looked at (raised while any is missing). [h]
    missing_window_hours: float = 2.0
    #: Control page: a parameter in status 01 (calibrating) longer than this is suspicious
    #: (VN-STATUS-CALIBRATING-LONG; rules/vn/status.py). [min] (ours)
    calibrating_max_minutes: float = 120.0
    #: Control page: days looked at by default (the officer may choose 1 to 31). [d] (ours)
    control_days: int = 7
    #: Ambient (barometric) pressure for an absolute flue pressure → static pressure when the station's file
    #: carries no atmospheric-pressure line (rules/vn/units.py): 1 atm. [kPa] (ours)
    ambient_pressure_kpa: float = 101.325
    #: Reference state of "mg/Nm³" (ppm → mg/Nm³, actual → normal conditions) for a station whose QCVN
    #: declares none (QCVN 19:2024/BTNMT in the seed): 0 °C and 101.325 kPa, 22.414 L/mol (HJ 212-2017
    #: eq. (20)). A station judged under QCVN 19:2009/BTNMT uses that standard's 25 °C. [°C], [kPa]
    reference_temperature_c: float = 0.0
    reference_pressure_kpa: float = 101.325
