"""The dispersion model on worked numbers: Turner's (1970) workbook example, Briggs's σ against the
Pasquill–Gifford curve readings, the puff and finite release against the plume, mass conservation, the zones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecosentry.subsystems.park.model.frame import to_park, to_plume
from ecosentry.subsystems.park.model.plume import (finite_release, finite_release_peak, gaussian_plume, plume,
                                                    puff)
from ecosentry.subsystems.park.model.sigmas import BRIGGS_RURAL, sigma_y, sigma_z
from ecosentry.subsystems.park.model.special import erf
from ecosentry.subsystems.park.model.stability import lapse_rate_class, sigma_theta_class, turner_class
from ecosentry.subsystems.park.model.zones import Release, ground_grid, threat_zone, threat_zones
from ecosentry.subsystems.park.substances import SUBSTANCES, ppm_to_mg_m3


def test_turner_workbook_burning_dump():
    """Turner (1970), *Workbook of Atmospheric Dispersion Estimates*, ch. 3 example as recalled [R]: a burning
    dump emits 3 g/s of NOx, ground level, no rise; overcast night, 7 m/s → class D; from the curves at 3 km
    σy = 190 m, σz = 65 m; χ = Q / (π σy σz u) = 1.1 × 10⁻⁵ g/m³ = 0.011 mg/m³."""
    assert turner_class(7.0, "overcast") == "D"
    c = plume(3000.0, 0.0, 0.0, 3.0, 7.0, "D")
    # our plume formula with the workbook's σ gives the workbook's number
    workbook = gaussian_plume(np.array(0.0), np.array(0.0), 3.0, 7.0, np.array(190.0), np.array(65.0), 0.0)
    assert float(workbook) == pytest.approx(0.011, rel=0.01)
    # Briggs's fit of the same curves at 3 km: σy 210 m, σz 77 m, within 11 % / 18 % of the curve readings
    assert sigma_y(3000, "D") == pytest.approx(190, rel=0.12) and sigma_z(3000, "D") == pytest.approx(65, rel=0.19)
    assert float(c) == pytest.approx(3000.0 / (math.pi * sigma_y(3000, "D") * sigma_z(3000, "D") * 7.0), rel=1e-12)
    assert float(c) == pytest.approx(0.00844, rel=0.01)  # 23 % below the workbook's 0.011: σ from fit, not curve


def test_briggs_coefficients_give_the_published_values():
    """Spot values of Briggs (1973) rural formulas (a·x·(1+b·x)^c) at 1 km, worked by hand."""
    assert sigma_y(1000, "A") == pytest.approx(0.22 * 1000 / math.sqrt(1.1))  # 209.8 m
    assert sigma_z(1000, "A") == pytest.approx(200.0)
    assert sigma_z(1000, "D") == pytest.approx(0.06 * 1000 / math.sqrt(2.5))  # 37.9 m
    assert sigma_z(1000, "F") == pytest.approx(16.0 / 1.3)  # 12.3 m
    assert sigma_y(1000, "A-B") == pytest.approx((sigma_y(1000, "A") + sigma_y(1000, "B")) / 2)
    # the classes order: more stable, narrower, at every distance
    x = np.geomspace(10, 20000, 50)
    for a, b in zip("ABCDE", "BCDEF"):
        assert np.all(sigma_y(x, a) > sigma_y(x, b)) and np.all(sigma_z(x, a) > sigma_z(x, b))
    assert set(BRIGGS_RURAL) == set("ABCDEF")


def test_stability_from_met():
    assert [turner_class(u, "strong") for u in (1, 2.5, 4, 5.5, 7)] == ["A", "A-B", "B", "C", "C"]
    assert [turner_class(u, "night_clear") for u in (1, 2.5, 4, 5.5, 7)] == ["F", "F", "E", "D", "D"]
    assert turner_class(2.5, "night_cloudy") == "E" and turner_class(1.0, "overcast") == "D"
    assert [sigma_theta_class(s) for s in (25, 20, 15, 10, 5, 2)] == list("ABCDEF")
    assert [lapse_rate_class(d) for d in (-2.0, -1.8, -1.6, -1.0, 0.0, 2.0)] == list("ABCDEF")
    with pytest.raises(ValueError):
        turner_class(3, "sunny")


def test_erf_matches_the_standard_library():
    x = np.linspace(-4, 4, 401)
    assert np.max(np.abs(erf(x) - np.array([math.erf(v) for v in x]))) < 2e-7


@pytest.mark.parametrize("stability,height,lid", [("D", 0.0, None), ("B", 20.0, None), ("F", 5.0, None),
                                                  ("C", 10.0, 300.0)])
def test_mass_is_conserved_across_every_crosswind_plane(stability, height, lid):
    """∫∫ C u dy dz over the half space (or under the lid) = Q at every downwind distance."""
    q, u = 50.0, 4.0
    for x in (200.0, 1500.0, 8000.0):
        sy, sz = float(sigma_y(x, stability)), float(sigma_z(x, stability))
        y = np.linspace(-8 * sy, 8 * sy, 801)
        z = np.linspace(0, lid if lid else height + 8 * sz, 801)
        yy, zz = np.meshgrid(y, z)
        c = plume(np.full(yy.shape, x), yy, zz, q, u, stability, height, lid)
        flux = np.trapezoid(np.trapezoid(c, y, axis=1), z) * u / 1000.0  # mg/s → g/s
        assert flux == pytest.approx(q, rel=0.01), (x, flux)


def test_a_long_finite_release_and_a_sum_of_puffs_tend_to_the_plume():
    x = np.array([300.0, 1000.0, 3000.0])
    y = np.array([0.0, 30.0, -100.0])
    z = np.zeros(3)
    steady = plume(x, y, z, 10.0, 3.0, "D")
    long = finite_release(x, y, z, 10.0, 3.0, "D", t=3 * 3600, duration=4 * 3600)
    assert long == pytest.approx(steady, rel=1e-6)
    assert finite_release_peak(x, y, z, 10.0, 3.0, "D", duration=4 * 3600) == pytest.approx(steady, rel=1e-6)
    # short release: the peak is lower than the plume, and the slug has passed after it ends
    short = finite_release_peak(x, y, z, 10.0, 3.0, "D", duration=60)
    assert np.all(short < steady) and np.all(np.diff(short / steady) < 0)
    assert finite_release(x, y, z, 10.0, 3.0, "D", t=3 * 3600, duration=60)[0] == pytest.approx(0, abs=1e-12)
    assert np.all(finite_release(x, y, z, 10.0, 3.0, "D", t=-60, duration=600) == 0)
    # while the release goes on, the front has passed the near point but not yet the far one
    front = finite_release(x, y, z, 10.0, 3.0, "D", t=600, duration=3600) / steady
    assert front[0] == pytest.approx(1.0, abs=1e-3) and front[2] < 0.01
    # a release of 2 h as a sum of puffs (one every 5 s) at 1 h 40 min: the plume at 1 km
    dt, t_obs = 5.0, 6000.0
    total = sum(puff(1000.0, 0.0, 0.0, 10.0 * dt, 3.0, "D", t_obs - t0) for t0 in np.arange(0, t_obs, dt))
    assert float(total) == pytest.approx(float(plume(1000.0, 0.0, 0.0, 10.0, 3.0, "D")), rel=0.03)


def test_the_wind_frame_follows_the_meteorological_convention():
    # wind from the north (0°) blows south: a point 100 m south of the source is 100 m downwind
    x, y = to_plume(0.0, -100.0, 0.0, 0.0, 0.0)
    assert (float(x), float(y)) == pytest.approx((100.0, 0.0))
    # wind from the west (270°) blows east
    x, y = to_plume(500.0, 20.0, 0.0, 0.0, 270.0)
    assert (float(x), float(y)) == pytest.approx((500.0, 20.0))
    e, n = to_park(np.array([100.0]), np.array([7.0]), 10.0, 20.0, 123.0)
    assert to_plume(e, n, 10.0, 20.0, 123.0)[0] == pytest.approx([100.0])


def test_zones_shrink_as_the_threshold_rises_and_match_the_grid():
    rel = Release(rate=100.0, wind_speed=3.0, stability="D", east=500.0, north=500.0, direction=225.0)
    cl2 = SUBSTANCES["Cl2"]
    assert cl2.threshold_mg_m3("AEGL2") == pytest.approx(ppm_to_mg_m3(2.0, 70.90)) == pytest.approx(5.80, rel=1e-3)
    zones = threat_zones(rel, {k: cl2.threshold_mg_m3(k) for k in ("AEGL1", "AEGL2", "AEGL3")})
    extents = [z.extent for z in zones]
    assert extents[0] > extents[1] > extents[2] > 0
    assert [z.half_width for z in zones] == sorted((z.half_width for z in zones), reverse=True)
    thresholds = np.geomspace(0.01, 1000, 30)
    ext = [threat_zone(rel, t).extent for t in thresholds]
    assert all(a >= b for a, b in zip(ext, ext[1:]))
    # the zone's far edge is where the centre-line concentration equals the threshold
    z1 = zones[0]
    assert float(plume(z1.extent, 0.0, 0.0, 100.0, 3.0, "D")) == pytest.approx(cl2.threshold_mg_m3("AEGL1"), rel=0.01)
    # wind from the south-west: the zone lies to the north-east of the source
    far = z1.polygon[np.argmax(np.hypot(z1.polygon[:, 0] - 500, z1.polygon[:, 1] - 500))]
    assert far[0] > 500 and far[1] > 500
    # grid cells at or above AEGL-1 lie within the zone's extent
    east, north = np.meshgrid(np.linspace(-5000, 5000, 200), np.linspace(-5000, 5000, 200))
    grid = ground_grid(rel, east, north)
    inside = grid >= z1.threshold
    assert inside.any() and np.hypot(east[inside] - 500, north[inside] - 500).max() <= z1.extent + 1
    assert threat_zone(rel, 1e9).extent == 0 and len(threat_zone(rel, 1e9).polygon) == 0


def test_bad_model_input_is_refused():
    with pytest.raises(ValueError):
        plume(100, 0, 0, 1.0, 0.0, "D")
    with pytest.raises(ValueError):
        plume(100, 0, 0, -1.0, 2.0, "D")
    with pytest.raises(ValueError):
        plume(100, 0, 0, 1.0, 2.0, "G")
