"""``ecosentry bench park``: the time of one plume with its threat zones on a 200 × 200 grid, the traceback's
accuracy (top 1, top 3) over random simulated releases with noisy wind beside the plain upwind-sector ranking,
and the warning's delay and cost."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import numpy as np

from ecosentry.subsystems.park.model.zones import Release, ground_grid, threat_zones
from ecosentry.subsystems.park.simulate import random_park, simulate_release
from ecosentry.subsystems.park.substances import SUBSTANCES
from ecosentry.subsystems.park.tiered import WarningSettings, evaluate
from ecosentry.subsystems.park.tracing import TracebackSettings, rank_sources, sector_ranking

__all__ = ["plume_seconds", "traceback_accuracy", "warning_delay", "run_bench"]


def plume_seconds(repeat: int = 20, n: int = 200) -> tuple[float, int]:
    """Median seconds for one source: the concentration on an n × n grid (10 km square) and the AEGL-1/2/3 zones
    of 100 g/s of chlorine, class D, 3 m/s; and the number of grid cells inside AEGL-1."""
    cl2 = SUBSTANCES["Cl2"]
    thresholds = {k: cl2.threshold_mg_m3(k) for k in ("AEGL1", "AEGL2", "AEGL3")}
    times, cells = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        east, north = np.meshgrid(np.linspace(-5000, 5000, n), np.linspace(-5000, 5000, n))
        rel = Release(100.0, 3.0, "D", east=0.0, north=0.0, direction=225.0)
        grid = ground_grid(rel, east, north)
        threat_zones(rel, thresholds)
        times.append(time.perf_counter() - t0)
        cells = int((grid >= thresholds["AEGL1"]).sum())
    return float(np.median(times)), cells


def traceback_accuracy(seed: int, releases: int, settings: TracebackSettings = TracebackSettings(),
                       direction_noise_deg: float = 10.0) -> dict:
    """Top-1/top-3 accuracy of the traceback, of its first method (``model`` ``plume``) and of the sector
    baseline over ``releases`` simulated releases that some station saw (the unseen are counted and skipped)."""
    rng = np.random.default_rng(seed)
    first = settings.model_copy(update={"model": "plume", "fit_weight": 0.8})
    n = unseen = top1 = top3 = base1 = base3 = first1 = first3 = 0
    seconds = 0.0
    while n < releases:
        park = random_park(rng)
        inc = simulate_release(rng, park, direction_noise_deg=direction_noise_deg)
        if not inc.seen:
            unseen += 1
            continue
        n += 1
        t0 = time.perf_counter()
        ranked = [r.source for r in rank_sources(inc.readings, inc.met, park.candidates, settings)]
        seconds += time.perf_counter() - t0
        plume = [r.source for r in rank_sources(inc.readings, inc.met, park.candidates, first)]
        first1 += plume[0] == inc.source
        first3 += inc.source in plume[:3]
        base = sector_ranking(inc.readings, inc.met, park.candidates, settings)
        top1 += ranked[0] == inc.source
        top3 += inc.source in ranked[:3]
        base1 += base[0] == inc.source
        base3 += inc.source in base[:3]
    return {"releases": n, "unseen_skipped": unseen, "top1": round(top1 / n, 3), "top3": round(top3 / n, 3),
            "plume_top1": round(first1 / n, 3), "plume_top3": round(first3 / n, 3),
            "baseline_top1": round(base1 / n, 3), "baseline_top3": round(base3 / n, 3),
            "traceback_ms": round(1000 * seconds / n, 2), "direction_noise_deg": direction_noise_deg}


def warning_delay(settings: WarningSettings = WarningSettings()) -> dict:
    """One station-day of minute readings of H2S with a leak from minute 1 200: readings from the first one at
    or above level I to the warning, and the seconds to evaluate the day."""
    rng = np.random.default_rng(17)
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    times = [start + timedelta(minutes=i) for i in range(1440)]
    h2s = SUBSTANCES["H2S"]
    values = 0.004 * (1 + 0.2 * rng.standard_normal(1440)).clip(0.2)
    values[1200:1260] += np.linspace(0.2, 5.0, 60)
    t0 = time.perf_counter()
    events = evaluate("B01", "H2S", times, values, h2s, settings)
    seconds = time.perf_counter() - t0
    level_i = min(v for v in (h2s.threshold_mg_m3("AEGL1"), h2s.occupational_mg_m3) if v is not None)
    first = int(np.argmax(values >= level_i))
    raised = next(e for e in events if e.level >= 2)
    return {"readings_to_level_i": times.index(raised.time) - first, "evaluate_day_ms": round(1000 * seconds, 2),
            "events": len(events)}


def run_bench(seed: int = 17, releases: int = 200) -> dict:
    seconds, cells = plume_seconds()
    return {"plume_with_zones_200x200_s": round(seconds, 4), "aegl1_cells": cells,
            "traceback": traceback_accuracy(seed, releases), "warning": warning_delay()}
