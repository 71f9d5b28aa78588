r"""Reception of one station's files on one local day: what the DONRE's desk counts (pure).

Circular 10/2021/TT-BTNMT Art. 39 (Circular 24/2017 Art. 56 before it) asks for one file per measurement,
transmitted at the latest **5 minutes** after the result (reference notes china-vietnam-rules.md §7.2 [S]);
subsystems.md §7 requirements 32–34 ask to flag late files, find missing ones per expected interval and keep
unmapped parameters visible. The file log (``vn_files``) says what became of every file; this module counts a
station-day from it.

Counting rules (platform choices, tag "ours"; the Circular gives no formula)
-----------------------------------------------------------------------------
* A file belongs to the local day of the **time in its name** (the measurement), not of its arrival: a file
  back-filled on Tuesday for Monday 10:00 fills Monday's slot. A file whose name could not be read has no
  measurement time and counts on the day it was **received**.
* **Expected** slots: the slots of the station's interval :math:`\Delta t` in the day (288 at 5 min,
  :func:`~.completeness.expected_files`), clipped to ``[since, due_before)``: not before the station was
  connected (its first file), and only slots already due (their file could have arrived within the 5 minutes).
* A **covered** slot has at least one accepted file; the slot is counted once, by its first accepted file
  (earliest receive time), as **on time** (delay ≤ 5 min), **late** (> 5 min, Art. 39) or **back-filled**
  (later than the back-fill threshold, sent from the logger's 60-day buffer; ``backfill`` in the file log).
  on_time + late + backfilled = covered.
* **Missing** = expected slots without an accepted file. A slot not yet due but already covered (a file that
  came early) is expected too, so on time + late + back-filled + missing = expected; a covered slot before the
  connection is counted as on time / late / back-filled but not as expected.
* **Duplicates**: files received again with the same name and content (status ``duplicate``) plus further
  accepted files for a slot already covered (another name, same 5 minutes).
* **Conflicts**: a file of the same name with other content than the one accepted (reason ``conflict``; the
  first stands, see vn/judge.py).
* **Rejected**: every other refused or quarantined file (bad name, bad line, too old, from the future,
  unknown station ...), with its reason.
* **Unmapped lines**: lines of accepted files that became no reading (parameter or unit not mapped).
* **Completeness** = expected slots with an accepted file / expected slots (``None`` when nothing is expected
  yet).

.. math:: N_{exp} = \frac{24 \cdot 60}{\Delta t}, \qquad
          \text{completeness} = \frac{N_{exp} - N_{missing}}{N_{exp}}

References
----------
.. [1] Circular 10/2021/TT-BTNMT Art. 39; Circular 24/2017/TT-BTNMT Art. 56, via china-vietnam-rules.md §7.2.
.. [2] shared/reference/subsystems.md §7 requirements 32–34.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.subsystems.monitoring.rules.vn.completeness import expected_files

__all__ = ["ReceivedFile", "DayReception", "RULE_RECEPTION", "station_day", "expected_slots", "day_bounds",
           "rank_by_completeness", "sum_receptions"]

RULE_RECEPTION = "VN-RECEPTION-DAY"


@dataclass(frozen=True)
class ReceivedFile:
    """One row of the file log, as the counting needs it.

    Attributes
    ----------
    file_time : datetime or None
        Measurement time from the name (aware, UTC); ``None`` when the name could not be read.
    received_at : datetime
        When the platform received it (aware).
    status : str
        ``accepted`` | ``duplicate`` | ``rejected`` | ``quarantined``.
    reason : str or None
        Why not accepted (``conflict``, ``bad_line``, ``too_old`` ...).
    late, backfill : bool
        Later than 5 minutes; sent from the logger's buffer (later than the back-fill threshold).
    unmapped : int
        Lines that became no reading.
    """

    file_time: datetime | None
    received_at: datetime
    status: str
    reason: str | None = None
    late: bool = False
    backfill: bool = False
    unmapped: int = 0


@dataclass
class DayReception:
    """What one station sent for one local day (see the module notes for each count)."""

    day: date
    interval_min: int
    expected: int
    on_time: int = 0
    late: int = 0
    backfilled: int = 0
    missing: int = 0
    rejected: int = 0
    duplicates: int = 0
    conflicts: int = 0
    unmapped_lines: int = 0
    files: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    #: Start (UTC) of each missing slot, in order (not kept by :func:`sum_receptions`).
    missing_slots: list[datetime] = field(default_factory=list)
    rule: str = RULE_RECEPTION

    @property
    def covered(self) -> int:
        """Slots with an accepted file: on time + late + back-filled."""
        return self.on_time + self.late + self.backfilled

    @property
    def completeness(self) -> float | None:
        """Expected slots with an accepted file / expected slots (a fraction); ``None`` when none is expected."""
        return (self.expected - self.missing) / self.expected if self.expected else None


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """``[local 00:00, next local 00:00)`` of ``day`` in ``tz``, in UTC."""
    z = ZoneInfo(tz)
    start = datetime.combine(day, time(0), z)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def expected_slots(day: date, tz: str, interval_min: int, *, since: datetime | None = None,
                   due_before: datetime | None = None) -> list[datetime]:
    """Start (UTC) of every slot of ``day`` a file is expected for, clipped to ``[since, due_before)``.

    Parameters
    ----------
    day : date
        Local calendar day.
    tz : str
        The station's zone.
    interval_min : int
        The station's interval (``points.min_interval``). [min]
    since : datetime, optional
        No slot before it (the station's first file; aware).
    due_before : datetime, optional
        No slot starting at or after it (slots not yet due; aware).
    """
    n = expected_files(interval_min)
    start, _ = day_bounds(day, tz)
    step = timedelta(minutes=interval_min)
    out = []
    for k in range(n):
        t = start + k * step
        if since is not None and t + step <= since:
            continue
        if due_before is not None and t >= due_before:
            break
        out.append(t)
    return out


def station_day(files: Iterable[ReceivedFile], day: date, *, tz: str, interval_min: int = 5,
                since: datetime | None = None, due_before: datetime | None = None) -> DayReception:
    """Count one station's files for one local day (module notes; Circular 10/2021 Art. 39).

    Parameters
    ----------
    files : iterable of ReceivedFile
        The station's files; those of other days are ignored (day of the name's time, else of receipt).
    day : date
        Local calendar day.
    tz : str
        The station's zone (``Asia/Ho_Chi_Minh``).
    interval_min : int, default 5
        Expected interval between files. [min]
    since, due_before : datetime, optional
        Clip the expected slots (see :func:`expected_slots`).

    Returns
    -------
    DayReception
    """
    z = ZoneInfo(tz)
    slots = expected_slots(day, tz, interval_min, since=since, due_before=due_before)
    step = timedelta(minutes=interval_min)
    start, _ = day_bounds(day, tz)
    out = DayReception(day, interval_min, len(slots))
    reasons: Counter[str] = Counter()
    first_of_slot: dict[datetime, ReceivedFile] = {}
    extra_accepted = 0
    mine = [f for f in files if (f.file_time or f.received_at).astimezone(z).date() == day]
    for f in sorted(mine, key=lambda f: f.received_at):
        out.files += 1
        if f.status == "accepted":
            out.unmapped_lines += f.unmapped
            slot = start + ((f.file_time - start) // step) * step
            if slot in first_of_slot:
                extra_accepted += 1
            else:
                first_of_slot[slot] = f
        elif f.status == "duplicate":
            out.duplicates += 1
        elif f.reason == "conflict":
            out.conflicts += 1
        else:
            out.rejected += 1
            reasons[f.reason or f.status] += 1
    out.duplicates += extra_accepted
    for f in first_of_slot.values():
        if f.backfill:
            out.backfilled += 1
        elif f.late:
            out.late += 1
        else:
            out.on_time += 1
    out.missing_slots = [t for t in slots if t not in first_of_slot]
    out.missing = len(out.missing_slots)
    # a slot already covered is expected even before it is due (a file that came early), so a page never shows
    # more files on time than expected; slots before the connection stay outside
    early = [t for t in first_of_slot if due_before is not None and t >= due_before]
    out.expected = len(slots) + len(early)
    out.reasons = dict(reasons)
    return out


def sum_receptions(days: Iterable[DayReception]) -> DayReception | None:
    """The counts of several station-days added up (a station over a period, a district, the province); the
    completeness is then that of the sums (expected − missing) / expected, never an average of percentages."""
    days = list(days)
    if not days:
        return None
    total = DayReception(days[0].day, days[0].interval_min, 0)
    reasons: Counter[str] = Counter()
    for d in days:
        for name in ("expected", "on_time", "late", "backfilled", "missing", "rejected", "duplicates", "conflicts",
                     "unmapped_lines", "files"):
            setattr(total, name, getattr(total, name) + getattr(d, name))
        reasons.update(d.reasons)
    total.reasons = dict(reasons)
    return total


def rank_by_completeness(rows: Iterable[tuple[object, DayReception | None]]) -> list[tuple[object, DayReception | None]]:
    """Rows ``(key, reception)`` from the least complete to the most (the officer's worklist first); rows with
    nothing expected last, in their order."""
    rows = list(rows)
    return sorted(rows, key=lambda r: (r[1] is None or r[1].completeness is None,
                                       r[1].completeness if r[1] is not None and r[1].completeness is not None
                                       else 0.0))


register(Rule(RULE_RECEPTION, None,
              "Per station per local day: expected slots, on time, late (> 5 min), back-filled, missing, rejected "
              "(with reasons), duplicates, conflicts, unmapped lines and completeness = (expected − missing) / expected.",
              "Circular 10/2021/TT-BTNMT Art. 39; china-vietnam-rules.md §7.2; subsystems.md §7 req. 32–34; "
              "counting rules: platform choice", "ecosentry.subsystems.monitoring.rules.vn.reception", "S/ours"))
