"""Threat zones (ALOHA's convention: the ground area where the concentration reaches a level of concern, red /
orange / yellow for AEGL-3 / 2 / 1) and the concentration on a grid of the park.

The Gaussian footprint gives the zone's edge in closed form: at downwind distance x the ground concentration is
C_c(x) · exp(−y² / 2σy²), so the zone of threshold L spans |y| ≤ σy(x) √(2 ln(C_c(x) / L)) wherever C_c(x) ≥ L.
No contouring of a grid is needed, and the polygon is exact to the resolution of the x samples (log-spaced).
For a release of finite duration C_c is the peak over time (:func:`.plume.finite_release_peak`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosentry.subsystems.park.model.frame import to_park, to_plume
from ecosentry.subsystems.park.model.plume import finite_release_peak, plume
from ecosentry.subsystems.park.model.sigmas import sigma_y

__all__ = ["Release", "Zone", "centreline", "threat_zone", "threat_zones", "ground_grid"]


@dataclass(frozen=True)
class Release:
    """One source and the weather it is released into."""

    rate: float  #: [g/s]
    wind_speed: float  #: [m/s]
    stability: str
    height: float = 0.0  #: [m]
    duration: float | None = None  #: [s]; None = steady (continuous) release
    mixing_height: float | None = None  #: [m]
    east: float = 0.0  #: source position [m east of the park's origin]
    north: float = 0.0  #: [m north]
    direction: float = 270.0  #: the wind comes from [° clockwise from north]

    def at(self, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Concentration [mg/m³] at plume-frame points: steady, or the peak of a finite release."""
        if self.duration is None:
            return plume(x, y, z, self.rate, self.wind_speed, self.stability, self.height, self.mixing_height)
        return finite_release_peak(x, y, z, self.rate, self.wind_speed, self.stability, self.duration, self.height,
                                   self.mixing_height)


@dataclass(frozen=True)
class Zone:
    """The ground area at or above ``threshold``; ``polygon`` in park coordinates (east, north) [m], closed."""

    name: str
    threshold: float  #: [mg/m³]
    extent: float  #: farthest downwind distance [m]; 0 when the threshold is never reached
    half_width: float  #: widest crosswind half-width [m]
    polygon: np.ndarray  #: shape (n, 2); empty when the threshold is never reached

    def as_dict(self) -> dict:
        return {"name": self.name, "threshold_mg_m3": self.threshold, "extent_m": round(self.extent, 1),
                "half_width_m": round(self.half_width, 1),
                "polygon": [[round(float(e), 1), round(float(n), 1)] for e, n in self.polygon]}


def centreline(release: Release, x: np.ndarray, z: float = 0.0) -> np.ndarray:
    """Concentration [mg/m³] on the plume's axis (y = 0) at height ``z`` [m]."""
    x = np.asarray(x, dtype=float)
    return release.at(x, np.zeros_like(x), np.full_like(x, z))


def threat_zone(release: Release, threshold: float, name: str = "", z: float = 0.0, max_distance: float = 50_000.0,
                samples: int = 2000) -> Zone:
    """The zone of one threshold [mg/m³]; the x samples are log-spaced from 1 m to ``max_distance`` [m]."""
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be > 0 mg/m³, not {threshold!r}")
    x = np.geomspace(1.0, max_distance, samples)
    cc = centreline(release, x, z)
    inside = cc >= threshold
    if not inside.any():
        return Zone(name, threshold, 0.0, 0.0, np.empty((0, 2)))
    idx = np.flatnonzero(inside)
    first, last = idx[0], idx[-1]
    # the far edge between the last sample inside and the next one, interpolated in log-log
    extent = x[last]
    if last + 1 < len(x) and cc[last + 1] > 0:
        lx, lc = np.log(x[last:last + 2]), np.log(cc[last:last + 2])
        extent = float(np.exp(lx[0] + (np.log(threshold) - lc[0]) * (lx[1] - lx[0]) / (lc[1] - lc[0])))
    xs = np.concatenate([x[first:last + 1], [extent]])
    ratio = np.concatenate([cc[first:last + 1] / threshold, [1.0]])
    w = sigma_y(xs, release.stability) * np.sqrt(2.0 * np.log(np.maximum(ratio, 1.0)))
    px = np.concatenate([xs, xs[::-1], xs[:1]])
    py = np.concatenate([w, -w[::-1], w[:1]])
    east, north = to_park(px, py, release.east, release.north, release.direction)
    return Zone(name, threshold, float(extent), float(w.max()), np.column_stack([east, north]))


def threat_zones(release: Release, thresholds: dict[str, float], **kw) -> list[Zone]:
    """One zone per named threshold (AEGL-1/2/3 ...), in the order given."""
    return [threat_zone(release, t, name, **kw) for name, t in thresholds.items()]


def ground_grid(release: Release, east: np.ndarray, north: np.ndarray, z: float = 0.0) -> np.ndarray:
    """Concentration [mg/m³] at park points (any shape: a meshgrid of 200 × 200 ...) at height ``z`` [m]."""
    x, y = to_plume(east, north, release.east, release.north, release.direction)
    return release.at(x, y, np.full(x.shape, z))
