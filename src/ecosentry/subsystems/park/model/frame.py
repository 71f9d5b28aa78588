"""The wind frame: park coordinates (x east, y north, metres from the park's origin) ↔ plume coordinates
(x downwind, y crosswind to the left of the downwind direction) for a wind that comes *from* ``direction``
degrees clockwise from north (the meteorological convention, WMO No. 8 §5.1)."""

from __future__ import annotations

import numpy as np

__all__ = ["downwind_unit", "to_plume", "to_park", "bearing_deg", "angle_diff_deg"]


def downwind_unit(direction_deg: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(east, north) components of the unit vector the wind blows *towards*."""
    th = np.radians(np.asarray(direction_deg, dtype=float))
    return -np.sin(th), -np.cos(th)


def to_plume(east: np.ndarray, north: np.ndarray, source_east: float | np.ndarray, source_north: float | np.ndarray,
             direction_deg: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Downwind and crosswind distances [m] of park points from a source, for a wind from ``direction_deg``."""
    de, dn = downwind_unit(direction_deg)
    ex, ny = np.asarray(east, dtype=float) - source_east, np.asarray(north, dtype=float) - source_north
    return ex * de + ny * dn, -ex * dn + ny * de


def to_park(x: np.ndarray, y: np.ndarray, source_east: float, source_north: float,
            direction_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`to_plume`: park coordinates of plume-frame points."""
    de, dn = downwind_unit(direction_deg)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return source_east + x * de - y * dn, source_north + x * dn + y * de


def bearing_deg(from_east: np.ndarray, from_north: np.ndarray, to_east: np.ndarray,
                to_north: np.ndarray) -> np.ndarray:
    """Bearing [°, clockwise from north] from one point to another."""
    return np.degrees(np.arctan2(np.asarray(to_east) - from_east, np.asarray(to_north) - from_north)) % 360.0


def angle_diff_deg(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """Smallest absolute difference of two bearings [°], 0–180."""
    return np.abs((np.asarray(a, dtype=float) - b + 180.0) % 360.0 - 180.0)
