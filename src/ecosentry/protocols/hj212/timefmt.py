"""HJ 212 time stamps (``YYYYMMDDhhmmss``) to and from naive local datetimes.

HJ 212-2017 §6.3.2 (Table 4, QN) and the CP field dictionary (§6.3.3,
DataTime / RestartTime / SampleTime) write times as 14 digits of *local*
time, no zone. They are returned naive; the caller attaches the station's
zone (Asia/Shanghai for China).
"""

from __future__ import annotations

from datetime import datetime

from .errors import BadField

__all__ = ["parse_hj_time", "format_hj_time"]


def parse_hj_time(text: str, field: str, raw: bytes = b"") -> datetime:
    """Parse ``YYYYMMDDhhmmss`` (or ``YYYYMMDDhhmmsszzz`` with milliseconds).

    Parameters
    ----------
    text : str
        The field value.
    field : str
        The field name, for the error (``"DataTime"``, ``"a21026-SampleTime"``).
    raw : bytes
        The frame, carried by the error as evidence.

    Returns
    -------
    datetime
        Naive local time.

    Raises
    ------
    BadField
        If the text is not 14 (or 17) ASCII digits of a valid date and time.
    """
    n = len(text)
    if (n == 14 or n == 17) and text.isascii() and text.isdigit():
        try:
            return datetime(
                int(text[0:4]),
                int(text[4:6]),
                int(text[6:8]),
                int(text[8:10]),
                int(text[10:12]),
                int(text[12:14]),
                int(text[14:17]) * 1000 if n == 17 else 0,
            )
        except ValueError:
            pass
    raise BadField(f"{field}={text!r} is not a valid YYYYMMDDhhmmss time", raw, field)


def format_hj_time(value: datetime) -> str:
    """Format a datetime as the 14 digits HJ 212 uses (seconds precision)."""
    return (
        f"{value.year:04d}{value.month:02d}{value.day:02d}"
        f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
    )
