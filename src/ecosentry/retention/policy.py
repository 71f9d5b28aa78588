"""How long each kind of stored data is kept, and the legal minimum no setting can go below (pure).

Floors — the retention a setting cannot shorten:

========================  ======  ==========================================================================
data                      months  source
========================  ======  ==========================================================================
minute, hourly, daily      60     HJ 76-2017 B.5.2(3) as a CEMS project cites it: daily and monthly data kept
values; derived periods           ≥ 60 months [R, UNCONFIRMED] (``shared/reference/china-vietnam-rules.md`` §6);
                                  minute and hourly values are what the daily ones are made of, kept as long
raw frames and files,      60     the raw data are the evidence behind every value (DESIGN: raw data immutable);
quarantine                        kept as long as the values they carry [ours]
real-time, state, run      12     none found; a year covers every annual report and inspection [ours]
time
========================  ======  ==========================================================================

A month is a calendar month of UTC (storage is UTC): the cut-off of ``n`` months at ``now`` is the first instant
of the UTC month ``n`` months before ``now``'s month, so whole months go at once and a monthly partition is
either wholly kept or wholly expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ecosentry.said import N_, Said

__all__ = ["FLOORS", "KINDS", "WORDS", "Cutoffs", "cutoffs", "month_floor"]

#: Legal (or platform) minimum in months per retained data kind.
FLOORS: dict[str, int] = {"rtd": 12, "min": 60, "hour": 60, "day": 60, "state": 12, "runtime": 12,
                          "derived": 60, "raw": 60}
#: What each kind is called where a person reads it.
WORDS: dict[str, str] = {"rtd": N_("real-time values"), "min": N_("minute values"), "hour": N_("hourly values"),
                         "day": N_("daily values"), "state": N_("equipment states"),
                         "runtime": N_("equipment run times"), "derived": N_("derived hourly, daily and monthly values"),
                         "raw": N_("raw frames and files")}
#: The observation kinds (``observations.kind``).
KINDS = ("rtd", "min", "hour", "day", "state", "runtime")


def month_floor(now: datetime, months: int) -> datetime:
    """First instant (UTC) of the month ``months`` months before ``now``'s UTC month."""
    now = now.astimezone(timezone.utc)
    m = now.year * 12 + now.month - 1 - months
    return datetime(m // 12, m % 12 + 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Cutoffs:
    """Data older than ``by_kind[k]`` may go; ``raised`` lists the settings below their floor (said)."""

    by_kind: dict[str, datetime]
    months: dict[str, int]
    raised: list[Said]

    @property
    def observations_partition(self) -> datetime:
        """A monthly partition of ``observations`` ending at or before this holds only expired rows of every
        kind (the longest-kept kind decides)."""
        return min(self.by_kind[k] for k in KINDS)


def cutoffs(now: datetime, wanted: dict[str, int]) -> Cutoffs:
    """The cut-offs at ``now`` for ``wanted`` months per kind (keys of :data:`FLOORS`), each raised to its
    floor when below it."""
    months, raised = {}, []
    for kind, floor in FLOORS.items():
        n = int(wanted.get(kind, floor))
        if n < floor:
            raised.append(Said(N_("Retention of %(kind)s set to %(months)s months, below the minimum of %(floor)s: "
                                  "%(floor)s months are kept."), kind=Said(WORDS[kind]), months=n, floor=floor))
            n = floor
        months[kind] = n
    return Cutoffs({k: month_floor(now, n) for k, n in months.items()}, months, raised)
