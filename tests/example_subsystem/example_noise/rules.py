"""The rules of boundary noise: pure functions, no database, no clock.

GB 12348-2008 (工业企业厂界环境噪声排放标准) Table 1 limits the A-weighted equivalent level LAeq at the boundary
of an industrial site by the acoustic zone class of its surroundings (GB 3096-2008 §4: class 0 convalescent
areas … class 4 along traffic arteries), for the day (06:00–22:00 local time) and the night (22:00–06:00,
GB 3096-2008 §3.4–3.5).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Iterable, Literal

from ecosentry.contracts.catalogue import rule

Period = Literal["day", "night"]

#: GB 12348-2008 Table 1: zone class → (day limit, night limit). [dB(A)]
BOUNDARY_LIMITS: dict[int, tuple[float, float]] = {0: (50, 40), 1: (55, 45), 2: (60, 50), 3: (65, 55), 4: (70, 55)}
#: The day is 06:00 to 22:00 local time (GB 3096-2008 §3.4); the rest is night. [h]
DAY_STARTS, NIGHT_STARTS = 6, 22


def period_of(local: datetime) -> Period:
    """``day`` or ``night`` of a local time (GB 3096-2008 §3.4–3.5)."""
    return "day" if DAY_STARTS <= local.hour < NIGHT_STARTS else "night"


def boundary_limit(zone_class: int, period: Period) -> float:
    """The LAeq limit at the boundary of a site in ``zone_class`` (0–4) for ``period``. [dB(A)]"""
    day, night = BOUNDARY_LIMITS[zone_class]
    return day if period == "day" else night


@rule(code="NOISE-BOUNDARY-LAEQ", severity="warning",
      summary="LAeq at the site boundary above the limit of its zone class (day 06–22 h, night 22–06 h).",
      source="GB 12348-2008 §4.1 Table 1; GB 3096-2008 §3.4–3.5", tag="R")
def exceeds(laeq_db: float, zone_class: int, period: Period) -> bool:
    """Whether a reading of ``laeq_db`` [dB(A)] is above the boundary limit (equal to it is compliant)."""
    return laeq_db > boundary_limit(zone_class, period)


def energy_mean(levels_db: Iterable[float]) -> float | None:
    """The equivalent level of equal intervals: ``10·log10(mean(10^(L/10)))`` (GB 3096-2008 §3.3, the energy
    mean, not the arithmetic one: one loud interval counts for more). [dB(A)] ``None`` for no level."""
    powers = [10 ** (level / 10) for level in levels_db]
    return 10 * math.log10(sum(powers) / len(powers)) if powers else None
