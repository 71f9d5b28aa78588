"""Plain region outlines of the offline map: convex hulls of the enterprises' locations."""

from __future__ import annotations

import pytest

from ecosentry.web.views.outline import convex_hull, padded_hull, region_outlines


def test_convex_hull_drops_inner_and_collinear_points():
    square = [(0, 0), (2, 0), (2, 2), (0, 2)]
    hull = convex_hull(square + [(1, 1), (1, 0), (0.5, 1.5)])
    assert sorted(hull) == sorted(square)
    assert len(convex_hull([(0, 0), (1, 1), (2, 2)])) == 2  # collinear: no area


def test_padded_hull_of_one_site_is_a_square_around_it():
    hull = padded_hull([(120.6, 31.3)], pad=0.02)
    expected = sorted([(120.58, 31.28), (120.62, 31.28), (120.62, 31.32), (120.58, 31.32)])
    assert [pytest.approx(p) for p in sorted(hull)] == expected
    with pytest.raises(ValueError, match="at least one location"):
        padded_hull([])


def test_region_outlines_make_one_closed_polygon_per_region():
    sites = [{"region_code": "320506", "lon": 120.6, "lat": 31.3}, {"region_code": "320506", "lon": 120.7, "lat": 31.2},
             {"region_code": "320505", "lon": 120.55, "lat": 31.35}, {"region_code": "320505", "lon": None, "lat": None}]
    fc = region_outlines(sites, {"320506": {"name": "吴中区", "level": "county"}})
    assert fc["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    assert set(by_code) == {"320505", "320506"}
    ring = by_code["320506"]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 5
    lons = [p[0] for p in ring]
    assert min(lons) == pytest.approx(120.58) and max(lons) == pytest.approx(120.72)
    assert by_code["320506"]["properties"]["name"] == "吴中区" and by_code["320506"]["properties"]["sites"] == 2
    assert by_code["320505"]["properties"]["sites"] == 1  # the site without coordinates is left out
