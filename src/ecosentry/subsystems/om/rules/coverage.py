"""Coverage of station-room door access and video per region (应装尽装、应联尽联), pure.

The figure city meetings report (issue 18 item 5; ``shared/reference/subsystems.md`` §4.4 [R], §7 item 27): of the
key units (重点排污单位: the registry's enterprises with an automatic-monitoring point of a medium that needs a
station room, ``coverage.media``), the share whose station rooms have door access and video **installed**
(every such point is in a registered station room with a door controller and at least one camera) and the share
whose rooms are also **networked** (the door controller and a camera of every room reported within
``coverage.door_window_hours`` / ``coverage.camera_window_hours`` of the clock). Every shortfall is a gap with
its reason, so the list of gaps is what the meeting acts on. The windows are ours: a door reports when it is
opened, so its window covers a weekly inspection (7 days) and a day of slack; a camera answers every snapshot or
heartbeat.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register
from ecosentry.said import N_

__all__ = ["CoverageSettings", "Room", "KeyUnit", "UnitCoverage", "RegionCoverage", "unit_coverage",
           "region_coverage", "GAPS"]

register(Rule("OM-COVERAGE", None, "Share of key units whose station rooms have door access and video installed "
              "and networked (应装尽装、应联尽联), per region, with the list of gaps.",
              "subsystems.md §4.4, §7 item 27; issue 18 item 5", "ecosentry.subsystems.om.rules.coverage", "R/ours"))

#: Gap code → its sentence (translated where shown).
GAPS = {
    "no_room": N_("a monitoring point is in no registered station room"),
    "no_door": N_("a station room has no door access controller"),
    "no_camera": N_("a station room has no camera"),
    "door_silent": N_("a door controller has not reported within the window"),
    "camera_silent": N_("no camera of a station room has reported within the window"),
}


class CoverageSettings(BaseModel):
    """What a key unit is and when a device counts as networked ([ours] defaults, ``docs/om.md``)."""

    #: Outlet media whose points need a station room (ambient stations are not key units' outlets).
    media: list[str] = Field(default_factory=lambda: ["gas", "water"])
    #: A door controller is networked when its last event was received within this many hours [ours].
    door_window_hours: float = Field(192, gt=0)
    #: A camera is networked when it answered within this many hours [ours].
    camera_window_hours: float = Field(24, gt=0)


@dataclass(frozen=True)
class Room:
    room_id: int
    name: str
    points: tuple[int, ...]
    door: bool                                   # a door controller is registered
    door_seen: datetime | None                   # its last event received
    cameras_seen: tuple[datetime | None, ...] = ()   # one entry per registered camera: its last answer


@dataclass(frozen=True)
class KeyUnit:
    enterprise_id: int
    name: str
    region_code: str
    points: tuple[int, ...]


@dataclass
class UnitCoverage:
    unit: KeyUnit
    door_installed: bool
    video_installed: bool
    door_networked: bool
    video_networked: bool
    gaps: list[tuple[str, str]] = field(default_factory=list)   # (gap code, room or point named)

    @property
    def installed(self) -> bool:
        return self.door_installed and self.video_installed

    @property
    def networked(self) -> bool:
        return self.installed and self.door_networked and self.video_networked


@dataclass
class RegionCoverage:
    region_code: str
    units: int = 0
    installed: int = 0
    networked: int = 0
    door_installed: int = 0
    video_installed: int = 0
    door_networked: int = 0
    video_networked: int = 0

    @property
    def installed_share(self) -> float | None:
        return self.installed / self.units if self.units else None

    @property
    def networked_share(self) -> float | None:
        return self.networked / self.units if self.units else None

    def add(self, u: UnitCoverage) -> None:
        self.units += 1
        self.installed += u.installed
        self.networked += u.networked
        self.door_installed += u.door_installed
        self.video_installed += u.video_installed
        self.door_networked += u.door_installed and u.door_networked
        self.video_networked += u.video_installed and u.video_networked


def _recent(t: datetime | None, now: datetime, hours: float) -> bool:
    return t is not None and now - timedelta(hours=hours) <= t <= now + timedelta(minutes=5)


def unit_coverage(unit: KeyUnit, rooms: Sequence[Room], now: datetime, settings: CoverageSettings,
                  point_names: dict[int, str] | None = None) -> UnitCoverage:
    """One key unit: its points' rooms (a room serves the points it lists) judged at ``now``."""
    names = point_names or {}
    by_point: dict[int, list[Room]] = defaultdict(list)
    for r in rooms:
        for p in r.points:
            by_point[p].append(r)
    gaps: list[tuple[str, str]] = []
    for p in unit.points:
        if not by_point.get(p):
            gaps.append(("no_room", names.get(p, str(p))))
    mine = {r.room_id: r for p in unit.points for r in by_point.get(p, [])}
    for r in sorted(mine.values(), key=lambda r: r.name):
        if not r.door:
            gaps.append(("no_door", r.name))
        elif not _recent(r.door_seen, now, settings.door_window_hours):
            gaps.append(("door_silent", r.name))
        if not r.cameras_seen:
            gaps.append(("no_camera", r.name))
        elif not any(_recent(t, now, settings.camera_window_hours) for t in r.cameras_seen):
            gaps.append(("camera_silent", r.name))
    codes = {g for g, _ in gaps}
    door_installed = "no_room" not in codes and "no_door" not in codes and bool(mine)
    video_installed = "no_room" not in codes and "no_camera" not in codes and bool(mine)
    return UnitCoverage(unit, door_installed, video_installed, door_installed and "door_silent" not in codes,
                        video_installed and "camera_silent" not in codes, gaps)


def region_coverage(units: Iterable[UnitCoverage]) -> list[RegionCoverage]:
    """Per region (the key unit's region), by region code."""
    out: dict[str, RegionCoverage] = {}
    for u in units:
        out.setdefault(u.unit.region_code, RegionCoverage(u.unit.region_code)).add(u)
    return [out[k] for k in sorted(out)]
