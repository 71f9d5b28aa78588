"""Who is told of a warning at a station (pure): the enterprise the warning's alarm is filed under, and the
enterprises around [ours, ``park.live``].

* **Primary**: the station's own enterprise (an enterprise-boundary station), else the enterprise of the nearest
  source holding the pollutant, else of the nearest source.
* **Around**: every other enterprise with a source within ``radius`` of the station, or downwind of it (within
  ``downwind_m`` and ``half_angle`` of the direction the wind blows towards, :func:`..model.frame.downwind_unit`):
  the gas that reached the station goes on towards them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ecosentry.subsystems.park.model.frame import angle_diff_deg, bearing_deg

__all__ = ["SourceAt", "primary_enterprise", "enterprises_around"]


@dataclass(frozen=True, slots=True)
class SourceAt:
    enterprise_id: int
    x: float  #: [m east]
    y: float  #: [m north]
    substances: frozenset[str]


def primary_enterprise(station_enterprise: int | None, x: float, y: float, factor: str,
                       sources: Sequence[SourceAt]) -> int | None:
    if station_enterprise is not None:
        return station_enterprise
    if not sources:
        return None
    handling = [s for s in sources if factor in s.substances] or list(sources)
    return min(handling, key=lambda s: math.hypot(s.x - x, s.y - y)).enterprise_id


def enterprises_around(x: float, y: float, sources: Sequence[SourceAt], *, radius: float,
                       wind_from_deg: float | None, downwind_m: float, half_angle: float,
                       exclude: int | None = None) -> list[int]:
    """The enterprises (ids, ascending) with a source near the station or downwind of it."""
    out: set[int] = set()
    for s in sources:
        if s.enterprise_id == exclude:
            continue
        d = math.hypot(s.x - x, s.y - y)
        if d <= radius:
            out.add(s.enterprise_id)
            continue
        if wind_from_deg is None or d > downwind_m:
            continue
        towards = (wind_from_deg + 180.0) % 360.0
        if float(angle_diff_deg(float(bearing_deg(x, y, s.x, s.y)), towards)) <= half_angle:
            out.add(s.enterprise_id)
    return sorted(out)
