"""The park map's layout, shared by the page's SVG (:mod:`.web.mapdraw`) and the incident report's drawing
(:mod:`.reports.incident_report`): the colours of warning levels and threat zones, the extent the map shows (the
park, widened by an incident's zones up to one park span on each side), and which receptors lie in a zone (even–odd
point in polygon). Pure."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["LEVEL_COLOURS", "ZONE_COLOURS", "inside", "affected_receptors", "extent"]

#: Warning level → colour (0 none, 1 attention blue, 2–4 level I–III yellow, orange, red).
LEVEL_COLOURS = {0: "#2e7d32", 1: "#1e88e5", 2: "#f9a825", 3: "#ef6c00", 4: "#c62828"}
ZONE_COLOURS = {"AEGL1": "#fdd835", "AEGL2": "#fb8c00", "AEGL3": "#d32f2f"}


def inside(x: float, y: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Point in polygon (even–odd rule, ray cast to +x)."""
    hit = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def affected_receptors(receptors: Sequence[dict], zones: Sequence[dict]) -> list[dict]:
    """Each receptor inside a zone, with the most severe zone it lies in (``zone``), most severe first."""
    order = {"AEGL3": 3, "AEGL2": 2, "AEGL1": 1}
    out = []
    for r in receptors:
        worst = max((z for z in zones if len(z.get("polygon") or []) >= 3 and inside(r["x"], r["y"], z["polygon"])),
                    key=lambda z: order.get(z["name"], 0), default=None)
        if worst is not None:
            out.append({**r, "zone": worst["name"]})
    return sorted(out, key=lambda r: -order.get(r["zone"], 0))


def extent(data: dict, zones: Sequence[dict]) -> tuple[float, float, float, float]:
    pts = [(float(x), float(y)) for x, y in data.get("boundary") or []]
    pts += [(float(o["x"]), float(o["y"])) for k in ("sources", "stations", "receptors") for o in data.get(k) or []]
    if not pts:
        pts = [(0.0, 0.0), (1000.0, 1000.0)]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    span = max(x1 - x0, y1 - y0, 500.0)
    # the zones widen the view, at most one park span on each side (a long AEGL-1 zone runs off the canvas)
    zx = [float(p[0]) for z in zones for p in z.get("polygon") or []]
    zy = [float(p[1]) for z in zones for p in z.get("polygon") or []]
    if zx:
        x0, x1 = max(min(x0, min(zx)), x0 - span), min(max(x1, max(zx)), x1 + span)
        y0, y1 = max(min(y0, min(zy)), y0 - span), min(max(y1, max(zy)), y1 + span)
    m = 0.06 * max(x1 - x0, y1 - y0, 500.0)
    return x0 - m, y0 - m, x1 + m, y1 + m
