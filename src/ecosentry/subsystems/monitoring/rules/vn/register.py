"""The connection register: where each obliged facility and station stands against the Decree 08 deadline (pure).

Decree 08/2022/NĐ-CP Art. 97 (wastewater) and Art. 98 (exhaust gas) oblige the facilities listed there to
monitor automatically and continuously and to **connect the data to the provincial DONRE**; the deadline for
existing facilities was **31 December 2024** (reference notes china-vietnam-rules.md §7.1 [S]). Bắc Giang's
order of 21 May 2024 (after MONRE letter 3054/BTNMT-KSONMT) asks the DONRE to follow who is connected.

Steps of a station, each with the date it happened
--------------------------------------------------
====================  ====================================================================================
step                  date
====================  ====================================================================================
``obliged``           the facility's ``obliged_from``, else the day Decree 08 came into force (2022-01-10)
``installed``         entered by the officer (only the officer knows; audited), else the day of the
                      station's first file (a station that sends is installed)
``connected``         ``points.connected_at`` (联网时间 / ngày kết nối, set in the registry), else the day the
                      platform received the station's first file, whatever became of it
``transmitting``      the day of the first **accepted** file
``complete``          transmitting completely: the completeness of the last ``window_days`` days (covered
                      / expected slots, :mod:`.reception`) is at least ``complete_share``; its date is the
                      first day of that window (or of transmission, if later)
====================  ====================================================================================

A facility is at the lowest step of its stations (it is connected when all its stations are); a facility
without a station in the registry is ``obliged`` only. A facility or station is **late** when it was not
*connected* by its deadline (the obligation is to install and connect, Art. 97–98); the days late run from the
day after the deadline to the day it was connected, or to today.

Documented settings (tag "ours"; ``[R] UNCONFIRMED`` in the reference notes where marked)
-----------------------------------------------------------------------------------------
* The categories below follow Art. 97(1) and Art. 98 as summarised in the reference notes [S]; which of the
  wastewater size classes are obliged to *automatic* (rather than periodic) monitoring is [R] UNCONFIRMED:
  every listed class is treated as obliged, and the officer registers a facility that is not as
  ``not-obliged``.
* Deadline: 31 Dec 2024 for every category (the reference gives one date for existing facilities); a facility
  obliged later (a new project) gets its own ``deadline`` in the register.
* "Transmitting completely": 7 days at ≥ 95 % (:class:`RegisterSettings`); the Circular sets no figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_, Said

__all__ = ["Category", "CATEGORIES", "STEPS", "DECREE08_IN_FORCE", "LEGAL_DEADLINE", "RegisterSettings",
           "StationSteps", "FacilitySteps", "station_steps", "facility_steps", "days_late", "RULE_LATE_CONNECT",
           "category"]

RULE_LATE_CONNECT = "VN-REGISTER-LATE"
#: Decree 08/2022/NĐ-CP came into force on 10 January 2022 (with the Law on Environmental Protection 2020).
DECREE08_IN_FORCE = date(2022, 1, 10)
#: Existing obliged facilities: installed and connected by 31 Dec 2024 (china-vietnam-rules.md §7.1 [S]).
LEGAL_DEADLINE = date(2024, 12, 31)
#: The steps in order.
STEPS = ("obliged", "installed", "connected", "transmitting", "complete")
STEP_LABELS = {"obliged": N_("Obliged"), "installed": N_("Installed"), "connected": N_("Connected"),
               "transmitting": N_("Transmitting"), "complete": N_("Transmitting completely")}


@dataclass(frozen=True)
class Category:
    """One Decree 08 category of obliged facility."""

    code: str
    article: str     # English message id (Decree 08's article)
    medium: str      # water | gas
    label: str       # English message id (translated on the pages)
    obliged: bool = True


CATEGORIES: dict[str, Category] = {c.code: c for c in (
    Category("art97-iz", N_("Art. 97(1)"), "water",
             N_("Industrial zone or cluster: central wastewater treatment discharging to the environment")),
    Category("art97-risk-200", N_("Art. 97(1)"), "water",
             N_("Pollution-risk sector (Appendix II), wastewater 200 to under 500 m³/day")),
    Category("art97-risk-500", N_("Art. 97(1)"), "water", N_("Pollution-risk sector (Appendix II), wastewater ≥ 500 m³/day")),
    Category("art97-other-500", N_("Art. 97(1)"), "water", N_("Other sector, wastewater 500 to under 1,000 m³/day")),
    Category("art97-other-1000", N_("Art. 97(1)"), "water", N_("Other sector, wastewater ≥ 1,000 m³/day")),
    Category("art98", N_("Art. 98"), "gas", N_("Exhaust gas source by type and flow (Appendix XXIX)")),
    Category("not-obliged", "—", "", N_("Not obliged (registered voluntarily)"), obliged=False),
)}


def category(code: str) -> Category:
    """The category of ``code``; :class:`ValueError` (a :class:`~ecosentry.said.Said`) naming the valid codes
    otherwise."""
    try:
        return CATEGORIES[code]
    except KeyError:
        raise Said(N_("unknown Decree 08 category %(code)r; one of %(codes)s"), code=code,
                   codes=", ".join(CATEGORIES)) from None


class RegisterSettings(BaseModel):
    """When a station counts as transmitting completely (platform choice, tag "ours")."""

    model_config = ConfigDict(extra="forbid")

    #: Days looked back for "transmitting completely". [d]
    window_days: int = 7
    #: Share of the expected slots covered over that window (0–1).
    complete_share: float = 0.95


@dataclass(frozen=True)
class StationSteps:
    """The dates of one station's steps (``None`` = not reached) and its lateness."""

    point_id: int
    obliged: date | None
    installed: date | None
    connected: date | None
    transmitting: date | None
    complete: date | None
    deadline: date | None
    completeness: float | None = None
    installed_entered: bool = False
    connected_entered: bool = False

    @property
    def step(self) -> str | None:
        """The furthest step reached in order (a later date without the earlier ones does not count)."""
        reached = None
        for s in STEPS:
            if getattr(self, s) is None:
                break
            reached = s
        return reached

    def late(self, today: date) -> int:
        """Days late against the deadline (0 = not late): see :func:`days_late`."""
        return days_late(self.deadline, self.connected, today) if self.obliged else 0


@dataclass(frozen=True)
class FacilitySteps:
    """A facility: the lowest step of its stations, with each step's date (the last station's)."""

    enterprise_id: int
    obliged: date | None
    installed: date | None
    connected: date | None
    transmitting: date | None
    complete: date | None
    deadline: date | None
    stations: Sequence[StationSteps] = field(default_factory=tuple)

    @property
    def step(self) -> str | None:
        reached = None
        for s in STEPS:
            if getattr(self, s) is None:
                break
            reached = s
        return reached

    def late(self, today: date) -> int:
        return days_late(self.deadline, self.connected, today) if self.obliged else 0


def days_late(deadline: date | None, connected: date | None, today: date) -> int:
    """Days past the deadline without being connected: ``(connected or today) − deadline`` when positive.

    A station connected on 5 Jan 2025 against 31 Dec 2024 was 5 days late (and stays so on record); one not
    connected on 10 Jan 2025 is 10 days late and counting.
    """
    if deadline is None:
        return 0
    end = connected or today
    return max(0, (end - deadline).days)


def station_steps(point_id: int, *, cat: Category, obliged_from: date | None, deadline: date | None,
                  installed_on: date | None, connected_on: date | None, first_file: date | None,
                  first_accepted: date | None, recent_days: Sequence[tuple[date, int, int]] = (),
                  settings: RegisterSettings | None = None) -> StationSteps:
    """The steps of one station from what the register and the file log say.

    Parameters
    ----------
    point_id : int
    cat : Category
        The facility's Decree 08 category.
    obliged_from, deadline : date or None
        The facility's own dates; ``None`` = :data:`DECREE08_IN_FORCE` / :data:`LEGAL_DEADLINE`.
    installed_on : date or None
        Entered by the officer.
    connected_on : date or None
        ``points.connected_at`` as a local day (the registry's connection date).
    first_file, first_accepted : date or None
        Local days of the first file received and of the first accepted file.
    recent_days : sequence of (day, expected slots covered, expected slots)
        The last days' reception, oldest first (:mod:`.reception`); the last ``window_days`` are used.
    settings : RegisterSettings, optional
    """
    st = settings or RegisterSettings()
    obliged = (obliged_from or DECREE08_IN_FORCE) if cat.obliged else None
    due = (deadline or LEGAL_DEADLINE) if cat.obliged else None
    connected = connected_on or first_file
    installed = installed_on or first_file or (connected if connected_on else None)
    window = [d for d in recent_days if first_accepted is not None and d[0] >= first_accepted][-st.window_days:]
    covered, expected = sum(d[1] for d in window), sum(d[2] for d in window)
    share = covered / expected if expected else None
    complete = window[0][0] if share is not None and share >= st.complete_share else None
    return StationSteps(point_id, obliged, installed, connected, first_accepted, complete, due, share,
                        installed_entered=installed_on is not None, connected_entered=connected_on is not None)


def facility_steps(enterprise_id: int, stations: Iterable[StationSteps], *, cat: Category,
                   obliged_from: date | None, deadline: date | None) -> FacilitySteps:
    """A facility's steps: a step is reached when every station reached it, on the day the last one did."""
    sts = tuple(stations)
    obliged = (obliged_from or DECREE08_IN_FORCE) if cat.obliged else None
    due = (deadline or LEGAL_DEADLINE) if cat.obliged else None

    def last(step: str) -> date | None:
        days = [getattr(s, step) for s in sts]
        return max(days) if days and all(d is not None for d in days) else None

    return FacilitySteps(enterprise_id, obliged, last("installed"), last("connected"), last("transmitting"),
                         last("complete"), due, sts)


register(Rule(RULE_LATE_CONNECT, "warning",
              "An obliged facility or station not connected to the provincial DONRE by its deadline "
              "(31 Dec 2024 for existing facilities).",
              "Decree 08/2022/NĐ-CP Art. 97–98; china-vietnam-rules.md §7.1",
              "ecosentry.subsystems.monitoring.rules.vn.register", "S"))
