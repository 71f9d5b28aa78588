"""Who is told of a warning (``live/audience.py``, pure), on a worked layout: a station at the origin, the wind from
the west (blowing east)."""

from __future__ import annotations

from ecosentry.subsystems.park.live.audience import SourceAt, enterprises_around, primary_enterprise

SOURCES = [SourceAt(1, -200.0, 0.0, frozenset({"Cl2"})),    # 200 m west (upwind), chlorine
           SourceAt(2, 300.0, 300.0, frozenset({"NH3"})),   # 424 m north-east
           SourceAt(3, 2000.0, 800.0, frozenset({"C6H6"})),  # 2 154 m at bearing 68.2°: 21.8° off due east
           SourceAt(4, 2000.0, 1300.0, frozenset({"HCl"})),  # bearing 56.98°: 33.0° off due east
           SourceAt(5, -2500.0, 0.0, frozenset({"Cl2"}))]    # far upwind


def test_primary_is_the_stations_own_enterprise_else_the_nearest_source_of_the_pollutant():
    assert primary_enterprise(7, 0.0, 0.0, "Cl2", SOURCES) == 7
    assert primary_enterprise(None, 0.0, 0.0, "Cl2", SOURCES) == 1
    assert primary_enterprise(None, 0.0, 0.0, "NH3", SOURCES) == 2
    assert primary_enterprise(None, 0.0, 0.0, "H2S", SOURCES) == 1        # nobody holds it: the nearest source
    assert primary_enterprise(None, 0.0, 0.0, "Cl2", []) is None


def test_around_is_within_the_radius_or_in_the_downwind_sector():
    kw = dict(radius=500.0, downwind_m=3000.0, half_angle=30.0)
    assert enterprises_around(0.0, 0.0, SOURCES, wind_from_deg=270.0, exclude=1, **kw) == [2, 3]
    assert enterprises_around(0.0, 0.0, SOURCES, wind_from_deg=270.0, exclude=None, **kw) == [1, 2, 3]
    # no wind known: the radius only; a wind from the east turns the sector west, towards the far upwind source
    assert enterprises_around(0.0, 0.0, SOURCES, wind_from_deg=None, exclude=1, **kw) == [2]
    assert enterprises_around(0.0, 0.0, SOURCES, wind_from_deg=90.0, exclude=1, **kw) == [2, 5]
    # a wider sector takes in the source 33° off the wind
    assert enterprises_around(0.0, 0.0, SOURCES, wind_from_deg=270.0, exclude=1, radius=500.0, downwind_m=3000.0,
                              half_angle=35.0) == [2, 3, 4]
