"""Retention of the gate records per jurisdiction (issue 16 item 6, ``shared/reference/subsystems.md`` §3.2, §3.3,
§7 item 18): which records are due for deletion at a given instant, pure (the clock is an argument).

Four kinds of record: the electronic **ledger** (ledger rows, passages, decisions), the **media** (pictures, video
references), the cameras' **snapshots** (``gates_snapshots`` rows, which name their pictures: video references, the
media floor) and the devices' **heartbeats** (``gates_heartbeats``: the evidence that a camera was on, kept as long as
the video it vouches for, the media floor) [ours: the guide names no period for these two; the defaults are the
media's 12 months]. The 2020 mobile-source guide keeps the ledger at least 1 year and video at least 6 months (§3.2 "电子
台账需保存至少一年" [S]; video 6 months [R]); a later (provincial, HJ 1321-era) requirement keeps the ledger 24 months and
video 12 months (§3.3 [S]). The default is the stricter 24 / 12 months; a jurisdiction may set its own, never below
the 2020 guide's floors of 12 / 6 months: such a setting is refused with an error naming the jurisdiction, the kind
and the floor.

A record is due when its time plus the retention (in calendar months of the jurisdiction's local time) is at or
before ``now``. A month is counted on the calendar: 2025-03-15 10:00 + 12 months = 2026-03-15 10:00; a day the
target month lacks rolls **forward** to the next month's first instant (2024-01-31 + 1 month = 2024-03-01 00:00,
never 02-29), so nothing is deleted a day early. Records under a hold (an open case, an inspection) are never due.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, Field, model_validator

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_, Said

__all__ = ["KINDS", "FLOOR_MONTHS", "RetentionError", "RetentionRule", "RetentionSettings", "add_months",
           "cutoff", "due_for_deletion", "due_before", "jurisdiction_of"]

_SRC = "shared/reference/subsystems.md"
KINDS = ("ledger", "media", "snapshots", "heartbeats")
#: The 2020 mobile-source guide's minimum: ledger 1 year, video 6 months (§3.2 [S], §3.3 [R]); snapshots and
#: heartbeats are video references: the video's floor.
FLOOR_MONTHS = {"ledger": 12, "media": 6, "snapshots": 6, "heartbeats": 6}


class RetentionError(Said):
    """A retention setting below the 2020 guide's floor, or an unknown jurisdiction or kind."""


class RetentionRule(BaseModel):
    """How long one jurisdiction keeps each kind, in months, and its time zone (local calendar months)."""

    ledger_months: int = Field(24, ge=1)
    media_months: int = Field(12, ge=1)
    #: The cameras' snapshots (rows; their pictures go with the media once nothing names them) [ours].
    snapshot_months: int = Field(12, ge=1)
    #: The gate devices' heartbeats [ours].
    heartbeat_months: int = Field(12, ge=1)
    timezone: str = "Asia/Shanghai"

    def months(self, kind: str) -> int:
        if kind not in KINDS:
            raise RetentionError(N_("%(kind)s is no kind of gate record (ledger, media, snapshots, heartbeats)."),
                                 kind=kind)
        return {"ledger": self.ledger_months, "media": self.media_months, "snapshots": self.snapshot_months,
                "heartbeats": self.heartbeat_months}[kind]


class RetentionSettings(BaseModel):
    """Section ``gates.retention``: per jurisdiction (``default`` for the others) its :class:`RetentionRule`."""

    jurisdictions: dict[str, RetentionRule] = Field(default_factory=lambda: {"default": RetentionRule()})
    #: The retention job (``store/retention.py``): how often it runs [s] (0: never in the service), and how many
    #: records one transaction deletes [ours].
    every_s: float = Field(6 * 3600.0, ge=0)
    batch: int = Field(2000, ge=1, le=100_000)

    @model_validator(mode="after")
    def _floors(self) -> RetentionSettings:
        for name, r in self.jurisdictions.items():
            for kind in KINDS:
                if r.months(kind) < FLOOR_MONTHS[kind]:
                    raise RetentionError(
                        N_("Retention of %(kind)s in %(jurisdiction)s is %(months)s months, below the 2020 guide's "
                           "floor of %(floor)s months."),
                        kind=kind, jurisdiction=name, months=r.months(kind), floor=FLOOR_MONTHS[kind])
            ZoneInfo(r.timezone)
        if "default" not in self.jurisdictions:
            self.jurisdictions["default"] = RetentionRule()
        return self

    def of(self, jurisdiction: str | None) -> RetentionRule:
        return self.jurisdictions.get(jurisdiction or "default") or self.jurisdictions["default"]


def jurisdiction_of(region_chain: Iterable[str], settings: RetentionSettings) -> str:
    """The jurisdiction of an enterprise: the nearest region of its chain (its own region first, then the ones
    above it) that the settings name (``jurisdictions.<region code>``), else ``default``."""
    for code in region_chain:
        if code in settings.jurisdictions:
            return code
    return "default"


def add_months(t: datetime, months: int) -> datetime:
    """``t`` plus ``months`` calendar months, a missing day rolled forward to the next month's first instant."""
    y, m = divmod(t.month - 1 + months, 12)
    year, month = t.year + y, m + 1
    if t.day > calendar.monthrange(year, month)[1]:
        y2, m2 = divmod(month, 12)
        return datetime.combine(date(year + y2, m2 + 1, 1), time(0), t.tzinfo)
    return t.replace(year=year, month=month)


def cutoff(now: datetime, months: int) -> datetime:
    """The latest record time that is due at ``now`` (``now`` local, aware): ``add_months(t, months) <= now`` ⇔
    ``t <= cutoff(now, months)``. Going back ``months`` from ``now``: when that month lacks ``now``'s day, every
    record of that month is due by then (their day exists and lies before), so the cutoff is its last second."""
    y, m = divmod(now.month - 1 - months, 12)
    year, month = now.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    if now.day > last:
        return datetime.combine(date(year, month, last), time(23, 59, 59, 999999), now.tzinfo)
    return now.replace(year=year, month=month)


def due_before(now: datetime, kind: str, settings: RetentionSettings, jurisdiction: str | None = None) -> datetime:
    """The instant (UTC) before which a record of ``kind`` in ``jurisdiction`` is due at ``now``: exactly the records
    :func:`due_for_deletion` returns (judged by their whole second), as a bound a database query can use."""
    if now.tzinfo is None:
        raise RetentionError(N_("The instant of a retention run must carry its time zone."))
    r = settings.of(jurisdiction)
    limit = cutoff(now.astimezone(ZoneInfo(r.timezone)), r.months(kind))
    return datetime.fromtimestamp(int(limit.timestamp() // 1) + 1, timezone.utc)


@rule(code="VEH-RETENTION-DUE", severity=None,
      summary="Gate records whose retention (per jurisdiction: ledger 24 months, pictures and video 12 months by "
              "default, never below 12 / 6) has run out at the given instant.",
      source=f"{_SRC} §3.2 (ledger ≥ 1 year), §3.3 (video ≥ 12 months, ledger ≥ 24 months), §7 item 18; issue 16 "
             "item 6", tag="S/R")
def due_for_deletion(times: np.ndarray | Iterable[int], kind: str, now: datetime, settings: RetentionSettings,
                     jurisdiction: str | None = None, held: np.ndarray | Iterable[bool] | None = None) -> np.ndarray:
    """Indices of the records due for deletion at ``now``.

    Parameters
    ----------
    times : int array
        The records' times (a passage's, a ledger row's, a picture's capture), epoch seconds. [s]
    kind : {"ledger", "media", "snapshots", "heartbeats"}
    now : datetime
        The clock, aware (passed in: the rule reads no clock).
    jurisdiction : str, optional
        The records' jurisdiction (``default`` when unknown to the settings).
    held : bool array, optional
        Records under a hold: never due.
    """
    if now.tzinfo is None:
        raise RetentionError(N_("The instant of a retention run must carry its time zone."))
    r = settings.of(jurisdiction)
    months = r.months(kind)
    local_now = now.astimezone(ZoneInfo(r.timezone))
    limit = cutoff(local_now, months)
    # whole seconds: a record at limit's second with a fraction after it is judged by its second (times are int)
    due = np.asarray(list(times) if not isinstance(times, np.ndarray) else times, dtype=np.int64) <= int(
        limit.timestamp() // 1)
    if held is not None:
        due &= ~np.asarray(list(held) if not isinstance(held, np.ndarray) else held, dtype=bool)
    return np.flatnonzero(due)

