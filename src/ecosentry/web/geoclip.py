"""Cutting outlines to a rectangle (the part of the base map a browser shows): pure geometry in degrees.

Rings are clipped with the Sutherland–Hodgman algorithm against each side of the rectangle (a clipped ring may
run along the rectangle's edges, which is what a filled land area needs); lines (borders) are cut into the runs
that lie inside.
"""

from __future__ import annotations

from typing import Sequence

__all__ = ["BBox", "intersects", "clip_ring", "clip_line"]

Point = tuple[float, float]
#: west, south, east, north [degrees]
BBox = tuple[float, float, float, float]


def intersects(a: BBox, b: BBox) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _clip_side(points: list[Point], inside, cross) -> list[Point]:
    out: list[Point] = []
    if not points:
        return out
    prev = points[-1]
    for cur in points:
        if inside(cur):
            if not inside(prev):
                out.append(cross(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(cross(prev, cur))
        prev = cur
    return out


def _at_x(x: float):
    def cross(p: Point, q: Point) -> Point:
        t = (x - p[0]) / (q[0] - p[0])
        return (x, p[1] + t * (q[1] - p[1]))
    return cross


def _at_y(y: float):
    def cross(p: Point, q: Point) -> Point:
        t = (y - p[1]) / (q[1] - p[1])
        return (p[0] + t * (q[0] - p[0]), y)
    return cross


def clip_ring(ring: Sequence[Point], box: BBox) -> list[Point]:
    """The part of a closed ring (first point not repeated) inside ``box``; ``[]`` when none (< 3 points)."""
    w, s, e, n = box
    pts = list(ring)
    pts = _clip_side(pts, lambda p: p[0] >= w, _at_x(w))
    pts = _clip_side(pts, lambda p: p[0] <= e, _at_x(e))
    pts = _clip_side(pts, lambda p: p[1] >= s, _at_y(s))
    pts = _clip_side(pts, lambda p: p[1] <= n, _at_y(n))
    return pts if len(pts) >= 3 else []


def clip_line(line: Sequence[Point], box: BBox) -> list[list[Point]]:
    """The runs of a polyline whose vertices lie inside ``box``, each with its neighbours just outside (so a
    line leaving the view is drawn to the view's edge)."""
    w, s, e, n = box
    runs: list[list[Point]] = []
    cur: list[Point] = []
    last_out: Point | None = None
    for p in line:
        if w <= p[0] <= e and s <= p[1] <= n:
            if not cur and last_out is not None:
                cur.append(last_out)
            cur.append(p)
        else:
            if cur:
                cur.append(p)
                runs.append(cur)
                cur = []
            last_out = p
    if cur:
        runs.append(cur)
    return [r for r in runs if len(r) >= 2]
