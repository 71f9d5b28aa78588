"""Timeliness of a Vietnamese station file: late, back-filled, too old, from the future.

Circular 10/2021/TT-BTNMT Art. 39: a file is transmitted at the latest 5 minutes after its result (reference
notes china-vietnam-rules.md §7.2); a logger keeps ≥ 60 days to back-fill (subsystems.md §7 req. 33). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ecosentry.subsystems.monitoring.pipeline.vn_settings import VnIntakeSettings
from ecosentry.subsystems.monitoring.vn.mapping import zone

__all__ = ["Timeliness", "assess_timeliness"]


@dataclass(frozen=True)
class Timeliness:
    """How a file's arrival relates to its time.

    Attributes
    ----------
    file_time : datetime
        Time in the file name, in UTC.
    delay : timedelta
        ``received_at − file_time`` (negative for a file from the future).
    late, backfill : bool
        Later than the 5-minute rule; later than the back-fill threshold.
    refusal : str or None
        ``too_old`` or ``future`` when the file is refused for its time.
    """

    file_time: datetime
    delay: timedelta
    late: bool
    backfill: bool
    refusal: str | None


def assess_timeliness(file_time_local: datetime, tz: str, received_at: datetime,
                      settings: VnIntakeSettings) -> Timeliness:
    """Timeliness of one file (Circular 10/2021 Art. 39: transmitted at the latest 5 minutes after the result).

    .. math:: \\text{delay} = t_\\text{received} - t_\\text{file}

    late if delay > ``late_after_minutes``; back-fill if delay > ``backfill_after_minutes``; refused
    ``too_old`` if delay > ``max_age_days`` (the logger's 60-day buffer, subsystems.md §7 req. 33) and
    ``future`` if delay < −``future_minutes``.

    Parameters
    ----------
    file_time_local : datetime
        Naive time from the file name, station local time.
    tz : str
        The station's IANA time zone (``Asia/Ho_Chi_Minh``).
    received_at : datetime
        When the file was received (aware).
    settings : VnIntakeSettings

    Returns
    -------
    Timeliness
    """
    ft = file_time_local.replace(tzinfo=zone(tz)).astimezone(timezone.utc)
    delay = received_at - ft
    refusal = None
    if delay > timedelta(days=settings.max_age_days):
        refusal = "too_old"
    elif delay < -timedelta(minutes=settings.future_minutes):
        refusal = "future"
    return Timeliness(ft, delay, delay > timedelta(minutes=settings.late_after_minutes),
                      delay > timedelta(minutes=settings.backfill_after_minutes), refusal)
