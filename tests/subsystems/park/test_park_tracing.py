"""Traceback: a hand-made incident read by hand, and the ranking over simulated releases with noisy wind (the
accuracy asserted with a margin below what the fixed seed gives, and against the upwind-sector baseline)."""

from __future__ import annotations

import numpy as np
import pytest

from ecosentry.subsystems.park.i18n import gettext_for
from ecosentry.subsystems.park.model.plume import plume
from ecosentry.subsystems.park.simulate import random_park, simulate_release
from ecosentry.subsystems.park.tracing import (Candidate, MetSeries, Readings, rank_sources, sector_ranking,
                                               wind_at)

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
    """60 releases some station saw, seed 5, wind direction noise 10°: the fixed seed gives top 1 50/60 and top 3
    59/60 (the sector baseline: 46/60 first); asserted with a margin, and never worse than the baseline."""
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
    assert top1 / n >= 0.7 and top3 / n >= 0.9, (top1, top3)
    assert top1 >= base1, (top1, base1)
