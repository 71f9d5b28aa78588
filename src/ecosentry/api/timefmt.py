"""Times in API answers: ISO 8601 with the offset of the point's (or the requested) time zone.

Every route that takes a ``tz`` query parameter declares it as :data:`TimeZoneQuery`, so an unknown zone is
refused the same way everywhere: a 422 validation error naming ``tz`` (like any other bad parameter),
before the route runs (a zone that reached the report builders used to end as a 500).

A time the API refuses (not ISO 8601; a range whose start is not before its end: :data:`START_BEFORE_END`) is a
422 whose ``detail`` is a :class:`~ecosentry.said.Said`, said in the reader's language.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import HTTPException, Query
from pydantic import AfterValidator

from ecosentry.said import N_, Said

__all__ = ["TimeZoneQuery", "valid_zone_name", "zone", "iso", "parse_time", "START_BEFORE_END", "time_range_refused"]

#: The API's refusals of times (msgids; the core's catalogues translate them).
START_BEFORE_END = N_("start must be before end")
NOT_ISO_TIME = N_("%(name)s=%(value)r is not an ISO 8601 time (e.g. 2026-11-23T08:00:00+08:00)")
UNKNOWN_ZONE = N_("unknown time zone %(name)r; use an IANA name such as Asia/Shanghai")


def time_range_refused() -> HTTPException:
    """422: a range's start is not before its end."""
    return HTTPException(422, Said(START_BEFORE_END))


def valid_zone_name(name: str | None) -> str | None:
    """``name`` when it is an IANA time zone this machine knows (``None`` passes), else ``ValueError`` (a
    :class:`~ecosentry.said.Said`: the validation answer says it in the reader's language)."""
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Said(UNKNOWN_ZONE, name=name) from None
    return name


#: The ``tz`` query parameter of every route: an IANA zone name, checked (422) before the route runs.
TimeZoneQuery = Annotated[str | None, AfterValidator(valid_zone_name),
                          Query(description="IANA time zone of the answer, e.g. Asia/Shanghai")]


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HTTPException(422, Said(UNKNOWN_ZONE, name=name)) from None


def iso(t: datetime | None, tz: str) -> str | None:
    return t.astimezone(zone(tz)).isoformat() if t else None


def parse_time(value: str | None, tz: str, name: str) -> datetime | None:
    """Parse an ISO 8601 query time; a time without offset is local time of ``tz``."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, Said(NOT_ISO_TIME, name=name, value=value)) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=zone(tz))
    return t.astimezone(timezone.utc)
