"""Plain region outlines for the map when no tile server is reachable: computed from the enterprises'
coordinates, so the map shows where each county's sources lie even fully offline.

The outline of a region is the convex hull of its enterprises' locations, each widened to a small square
(``pad`` degrees each way), so one or two enterprises still give an area. It is an approximation drawn from
the registry, not the administrative boundary, and the map labels it so.
"""

from __future__ import annotations

from typing import Iterable, Sequence

__all__ = ["convex_hull", "padded_hull", "region_outlines"]

Point = tuple[float, float]


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """Convex hull, counter-clockwise, first vertex not repeated (Andrew's monotone chain).

    Parameters
    ----------
    points : iterable of (lon, lat)
        Coordinates. [degrees]

    Returns
    -------
    list of (lon, lat)
        The hull's vertices; fewer than three when the points are fewer or collinear.
    """
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def padded_hull(points: Sequence[Point], pad: float = 0.02) -> list[Point]:
    """Convex hull of the points each widened to a square of ``± pad``: always an area (≥ 4 vertices).

    Parameters
    ----------
    points : sequence of (lon, lat)
        At least one coordinate. [degrees]
    pad : float
        Half-width of the square around each point. [degrees]
    """
    if not points:
        raise ValueError("an outline needs at least one location")
    corners = [(x + dx, y + dy) for x, y in points for dx in (-pad, pad) for dy in (-pad, pad)]
    return convex_hull(corners)


def region_outlines(sites: Iterable[dict], regions: dict[str, dict], pad: float = 0.02) -> dict:
    """A GeoJSON ``FeatureCollection`` with one outline polygon per region holding located sites.

    Parameters
    ----------
    sites : iterable of dict
        Each with ``region_code``, ``lon``, ``lat`` (sites without coordinates are skipped).
    regions : dict
        Region code → ``{"name", "level"}``.
    pad : float
        See :func:`padded_hull`. [degrees]
    """
    by_region: dict[str, list[Point]] = {}
    for site in sites:
        if site.get("lon") is not None and site.get("lat") is not None:
            by_region.setdefault(site["region_code"], []).append((float(site["lon"]), float(site["lat"])))
    features = []
    for code, pts in sorted(by_region.items()):
        ring = [list(p) for p in padded_hull(pts, pad)]
        ring.append(ring[0])
        info = regions.get(code, {})
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"code": code, "name": info.get("name", code), "level": info.get("level"),
                                        "sites": len(pts), "source": "hull of enterprise locations"}})
    return {"type": "FeatureCollection", "features": features}
