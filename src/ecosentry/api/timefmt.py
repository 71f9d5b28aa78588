"""Times in API answers: ISO 8601 with the offset of the point's (or the requested) time zone."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import HTTPException


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)") from None


def iso(t: datetime | None, tz: str) -> str | None:
    return t.astimezone(zone(tz)).isoformat() if t else None


def parse_time(value: str | None, tz: str, name: str) -> datetime | None:
    """Parse an ISO 8601 query time; a time without offset is local time of ``tz``."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, f"{name}={value!r} is not an ISO 8601 time (e.g. 2026-11-23T08:00:00+08:00)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=zone(tz))
    return t.astimezone(timezone.utc)
