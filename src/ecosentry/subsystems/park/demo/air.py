"""What the demo park's stations read minute by minute: a meandering south-east wind (class D), background levels
with noise at every station, and a release every :data:`CYCLE_MIN` minutes lasting :data:`RELEASE_MIN` minutes,
rotating over the sources (50–200 g/s), whose steady plume (``model/plume``) the stations downwind read.

Each release is the next source (from the cycle's number) whose plume reaches a station at level I in the minute
it starts, so a new user sees a warning, its zones and the ranked sources within minutes."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ecosentry.subsystems.park.demo.scene import SUBSTANCES, Source, Station
from ecosentry.subsystems.park.model.frame import to_plume
from ecosentry.subsystems.park.model.plume import plume
from ecosentry.subsystems.park.substances import substance_table
from ecosentry.subsystems.park.tiered import WarningSettings, level_thresholds

#: Minutes between the starts of two releases, and how long each lasts. [min]
CYCLE_MIN, RELEASE_MIN = 6, 3
#: Least and largest release rate: a release is at least large enough to give twice level I at a station. [g/s]
RATE_G_S = (50.0, 200.0)
#: Median background of each substance at a station. [mg/m³]
BACKGROUND = {"Cl2": 0.02, "NH3": 0.08, "HCl": 0.03, "H2S": 0.004}
STABILITY = "D"


@dataclass(frozen=True)
class Release:
    source: Source
    substance: str
    rate_g_s: float


def wind(minute: int) -> tuple[float, float]:
    """Wind (speed m/s, direction ° from) of the minute ``minute`` (minutes since the epoch): a south-east
    wind meandering ±20° with a 47-minute period, 2–4 m/s."""
    rng = random.Random(minute)
    direction = 135 + 20 * math.sin(2 * math.pi * minute / 47) + rng.gauss(0, 4)
    speed = max(1.5, 3 + 0.8 * math.sin(2 * math.pi * minute / 71) + rng.gauss(0, 0.2))
    return round(speed, 2), round(direction % 360, 1)


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


class Air:
    """The readings of every station at a minute, around the demo's start ``t0`` (releases from ``t0`` on)."""

    def __init__(self, srcs: list[Source], stas: list[Station], t0: datetime) -> None:
        self.srcs, self.t0 = srcs, t0
        self.gas = [s for s in stas if s.tier != "met"]
        self.met = [s for s in stas if s.tier == "met"]
        self.east = np.array([s.x for s in self.gas])
        self.north = np.array([s.y for s in self.gas])
        table, ws = substance_table(), WarningSettings()
        self.level_i = {c: float(level_thresholds(table[c], ws)[0]) for c in SUBSTANCES}
        self._chosen: dict[int, Release | None] = {}

    def plume_at_stations(self, release: Release, at: datetime) -> np.ndarray:
        speed, direction = wind(_minute(at))
        x, y = to_plume(self.east, self.north, release.source.x, release.source.y, direction)
        z = np.full_like(x, 3.0)
        return plume(x, y, z, release.rate_g_s, speed, STABILITY, height=release.source.height)

    def release(self, at: datetime) -> Release | None:
        """The release going on in the minute ``at``, if any."""
        rel = _minute(at) - _minute(self.t0)
        if rel < 0 or rel % CYCLE_MIN >= RELEASE_MIN:
            return None
        cycle = rel // CYCLE_MIN
        if cycle not in self._chosen:
            start = self.t0.__class__.fromtimestamp((_minute(self.t0) + cycle * CYCLE_MIN) * 60, self.t0.tzinfo)
            self._chosen[cycle] = self._choose(cycle, start)
        return self._chosen[cycle]

    def _choose(self, cycle: int, start: datetime) -> Release | None:
        n = len(self.srcs)
        for k in range(n):
            src = self.srcs[(cycle * 5 + k) % n]
            for j in range(len(src.substances)):
                sub = src.substances[(cycle + j) % len(src.substances)]
                per_g_s = float(self.plume_at_stations(Release(src, sub, 1.0), start).max())
                needed = 2.0 * self.level_i[sub] / per_g_s if per_g_s > 0 else math.inf
                if needed <= RATE_G_S[1]:
                    return Release(src, sub, round(max(RATE_G_S[0], needed), 1))
        return None

    def readings(self, at: datetime) -> dict[str, dict[str, float]]:
        """Station id → {substance or met code: value} for the minute ``at``."""
        rng = random.Random(_minute(at) * 7919)
        out: dict[str, dict[str, float]] = {}
        for s in self.gas:
            out[s.id] = {c: round(BACKGROUND[c] * math.exp(rng.gauss(0, 0.25)), 4) for c in SUBSTANCES}
        rel = self.release(at)
        if rel is not None:
            for s, c in zip(self.gas, self.plume_at_stations(rel, at)):
                out[s.id][rel.substance] = round(out[s.id][rel.substance] + float(c), 4)
        speed, direction = wind(_minute(at))
        for s in self.met:
            out[s.id] = {"a01007": speed, "a01008": direction, "a01001": round(16 + 4 * rng.random(), 1),
                         "xPGSC": 4}
        return out
