"""Traceback: a hand-made incident read by hand, and the ranking over simulated releases with noisy wind (the
accuracy asserted with a margin below what the fixed seed gives, and against the upwind-sector baseline)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.park.i18n import gettext_for
from ecosentry.subsystems.park.model.plume import plume
from ecosentry.subsystems.park.simulate import random_park, simulate_release
from ecosentry.subsystems.park.tracing import (Candidate, MetSeries, Readings, TracebackSettings, puff_matrix,
                                               rank_sources, sector_ranking, wind_at, wind_path)

CANDIDATES = (
    Candidate("S1", "Acme Chlor-alkali", 0.0, 0.0, frozenset({"Cl2", "HCl"})),
    Candidate("S2", "Beta Fertiliser", 0.0, 600.0, frozenset({"NH3"})),
    Candidate("S3", "Gamma Pharma", -800.0, 0.0, frozenset({"Cl2"})),
    Candidate("S4", "Delta Coatings", 0.0, -700.0, frozenset({"C6H6", "Cl2"})),
)
STATIONS = {"B01": (1000.0, 0.0), "B02": (1000.0, 400.0), "B03": (1000.0, -400.0), "B04": (0.0, 1500.0)}


def incident() -> tuple[Readings, MetSeries]:
    """Wind from the west (270°), 3 m/s, class D, for an hour; S1 releases 20 g/s of Cl2 from minute 10."""
    minutes = np.arange(60)
    met = MetSeries(minutes * 60.0, np.full(60, 3.0), np.full(60, 270.0), np.full(60, "D"))
    rows = []
    for m in minutes:
        for name, (e, n) in STATIONS.items():
            c = float(plume(e, n, 0.0, 20.0, 3.0, "D")) if m >= 16 else 0.0  # arrives ~6 min later
            rows.append((name, e, n, m * 60.0, "Cl2", 0.003 + c))
    st, e, n, t, f, v = (np.array(c) for c in zip(*rows))
    return Readings(st, e, n, t, f, v), met


def test_the_upwind_source_that_handles_the_gas_comes_first():
    readings, met = incident()
    ranked = rank_sources(readings, met, CANDIDATES, names=lambda code: "chlorine")
    assert [r.source for r in ranked][:2] == ["S1", "S3"]  # S3 is upwind too, on the same line, farther
    best = ranked[0]
    # the rate is fitted to a plume whose σy is widened for the wind-direction uncertainty (4° at 1 km, class
    # D: √(76.3² + 69.9²) / 76.3 = 1.36), so the true 20 g/s comes out as 27 g/s, on a grid of 6 % steps
    assert best.fit > 0.95 and best.rate == pytest.approx(20.0 * 1.356, rel=0.06) and best.sector_share == 1.0
    assert ranked[1].fit < best.fit - 0.1
    # the gas reaches B01 (1 km, 3 m/s: 333 s) from minute 16: the release started about minute 10 and lasted
    # past the end of the readings (the puff model fits start and duration on the path's minute steps)
    assert best.start == pytest.approx(600.0, abs=90.0) and best.duration >= 2400.0
    assert best.handles and "Acme Chlor-alkali" in best.reason and "handles chlorine" in best.reason
    s2 = next(r for r in ranked if r.source == "S2")
    assert not s2.handles and s2.score < best.score and "does not handle" in s2.reason
    said = best.say(gettext_for("zh"))
    assert "涉及" in said and "上风向" in said
    assert sector_ranking(readings, met, CANDIDATES)[0] == "S1"


def test_without_any_raised_reading_nothing_is_traced():
    readings, met = incident()
    quiet = Readings(readings.station, readings.east, readings.north, readings.t, readings.factor,
                     np.full(len(readings.value), 0.003))
    ranked = rank_sources(quiet, met, CANDIDATES)
    assert all(r.score == 0 for r in ranked) and "nothing to trace" in ranked[0].reason


def test_wind_is_averaged_as_vectors():
    met = MetSeries(np.array([0.0, 60.0, 120.0]), np.array([2.0, 2.0, 2.0]), np.array([350.0, 10.0, 10.0]),
                    np.array(["D", "D", "C"]))
    speed, direction, stability = wind_at(met, np.array([130.0, 60.0, -5.0]), 120.0)
    assert direction[0] == pytest.approx(10.0) and speed[0] == pytest.approx(2.0)
    assert min(direction[1], 360 - direction[1]) == pytest.approx(0.0, abs=1e-9)  # 350° and 10° → north
    assert list(stability) == ["C", "D", "D"]


def test_the_injected_source_ranks_first_over_simulated_releases():
    """60 releases some station saw, seed 5, wind direction noise 10°: the fixed seed gives top 1 49/60 and top 3
    60/60 (the sector baseline: 46/60 first); asserted with a margin, and never worse than the baseline."""
    rng = np.random.default_rng(5)
    n = top1 = top3 = base1 = 0
    while n < 60:
        park = random_park(rng)
        inc = simulate_release(rng, park)
        if not inc.seen:
            continue
        n += 1
        ranked = [r.source for r in rank_sources(inc.readings, inc.met, park.candidates)]
        top1 += ranked[0] == inc.source
        top3 += inc.source in ranked[:3]
        base1 += sector_ranking(inc.readings, inc.met, park.candidates)[0] == inc.source
    assert top1 / n >= 0.75 and top3 / n >= 0.95, (top1, top3)
    assert top1 >= base1, (top1, base1)


def test_puffs_along_a_steady_wind_add_up_to_the_steady_plume():
    """Constant wind from the west, 3 m/s, class D: the puffs of the last 100 minutes at a reading sum to Turner's
    steady plume (σ at the receptor) within 3 % from 1 km on (the puffs' σ grows along their path, the plume's
    is the receptor's)."""
    s = TracebackSettings(direction_uncertainty_deg=0.0)
    met = MetSeries(np.arange(120) * 60.0, np.full(120, 3.0), np.full(120, 270.0), np.full(120, "D"))
    path = wind_path(met, 0.0, 7200.0, s)
    source = Candidate("S1", "A", 0.0, 0.0, frozenset({"Cl2"}))
    east, north = np.array([1000.0, 1000.0, 2000.0, 1500.0]), np.array([0.0, 100.0, -150.0, 0.0])
    g = puff_matrix(source, east, north, np.full(4, 6000.0), np.full(4, "D"), path, s)
    assert g.sum(axis=1) == pytest.approx(plume(east, north, 0.0, 1.0, 3.0, "D"), rel=0.03)
    # upwind (only the Gaussian tail of the puffs just released) and before any puff left: nothing
    assert puff_matrix(source, np.array([-500.0]), np.array([0.0]), np.array([6000.0]), np.array(["D"]), path,
                       s).sum() < 1e-20
    assert puff_matrix(source, np.array([1000.0]), np.array([0.0]), np.array([0.0]), np.array(["D"]), path,
                       s).sum() == 0.0


def test_puffs_follow_a_turning_wind():
    """The wind turns from west to south at minute 30: air released before the turn reaches the station east
    of the source, air released after it the station north; a straight plume would send it all north."""
    s = TracebackSettings(direction_uncertainty_deg=0.0)
    minutes = np.arange(90)
    met = MetSeries(minutes * 60.0, np.full(90, 3.0), np.where(minutes < 30, 270.0, 180.0), np.full(90, "D"))
    path = wind_path(met, 0.0, 5400.0, s)
    source = Candidate("S1", "A", 0.0, 0.0, frozenset({"Cl2"}))
    g = puff_matrix(source, np.array([900.0, 0.0]), np.array([0.0, 900.0]), np.array([1800.0, 3600.0]),
                    np.array(["D", "D"]), path, s)
    tau = path.t[:-1]
    east_from, north_from = tau[np.argmax(g[0])], tau[np.argmax(g[1])]
    assert east_from < 1800.0 - 200.0 and 1800.0 <= north_from < 3600.0


def test_the_fitted_rate_of_a_steady_plume_is_the_release_rate():
    """Issue 17's worked check of the rate, steady case: the hand-made incident (20 g/s from S1, the readings
    Turner's steady plume of :mod:`.model.plume` plus a background) and a 10 m stack 200 m upwind of a
    boundary station releasing 100 g/s for an hour (a station reading tens of mg/m³): the best-ranked source is
    the true one and its fitted rate is the release rate within a factor 2."""
    readings, met = incident()
    best = rank_sources(readings, met, CANDIDATES)[0]
    assert best.source == "S1" and 10.0 <= best.rate <= 40.0, (best.source, best.rate)

    stack = Candidate("K1", "Stack", 0.0, 0.0, frozenset({"Cl2"}), height=10.0)
    other = Candidate("K2", "Tank", 300.0, 900.0, frozenset({"Cl2"}), height=5.0)
    stations = {"B01": (200.0, 0.0), "B02": (1500.0, 300.0), "B03": (0.0, 800.0)}
    rng = np.random.default_rng(3)
    rows = []
    for m in range(90):
        for name, (e, n) in stations.items():
            c = float(plume(e, n, 0.0, 100.0, 3.0, "D", height=10.0)) if 30 <= m < 90 else 0.0
            rows.append((name, e, n, m * 60.0, "Cl2", 0.01 * (1 + 0.2 * rng.standard_normal()) + c))
    st, e, n, t, f, v = (np.array(c) for c in zip(*rows))
    met = MetSeries(np.arange(90) * 60.0, np.full(90, 3.0), np.full(90, 270.0), np.full(90, "D"))
    assert v[st == "B01"].max() > 20.0
    best = rank_sources(Readings(st, e, n, t, f, v), met, (other, stack))[0]
    assert best.source == "K1" and 50.0 <= best.rate <= 200.0, (best.source, best.rate)


def test_the_fitted_rate_of_simulated_puff_releases_is_the_release_rate():
    """Issue 17's worked check of the rate, puff case: 48 simulated releases some station saw (seed 17: puffs
    carried by a meandering true wind, the met report noisy, 10–300 g/s for 10–40 min). The true source's fitted
    rate over the release's: the fixed seed gives 38/48 within a factor 2, the median 1.01, the largest 2.4 (the
    misfit's own q gave 33/48, 1.42 and 9.3); asserted with a margin."""
    rng = np.random.default_rng(17)
    ratios = []
    while len(ratios) < 48:
        park = random_park(rng)
        inc = simulate_release(rng, park)
        if not inc.seen:
            continue
        true = next(r for r in rank_sources(inc.readings, inc.met, park.candidates) if r.source == inc.source)
        ratios.append(true.rate / inc.rate)
    ratios = np.array(ratios)
    within = np.abs(np.log(ratios)) <= np.log(2.0)
    assert within.mean() >= 0.72 and 0.75 <= np.median(ratios) <= 1.33 and ratios.max() <= 4.0, np.round(ratios, 2)
