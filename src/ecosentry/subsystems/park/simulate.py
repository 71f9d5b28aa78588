"""Random releases in a random park with noisy wind, seeded: the traceback's test bed and ``ecosentry bench park``.

A square park with candidate sources (each handling one to three of the substance table's pollutants), stations
on its edge and inside. A release: one source, one of its pollutants, a rate and a duration. The air is not the
model's: puffs every 10 s, each carried by the *true* wind, which meanders (a random walk of its direction and
speed, minute by minute), spread with Briggs's σ for its travel distance (σx = σy), reflected at the ground. The
stations read the puffs' sum plus their own background and noise every minute; the met station reports the true
wind with noise on the direction (``direction_noise_deg``) and the speed. The traceback sees only the readings,
the reported met and the candidate list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosentry.subsystems.park.model.sigmas import sigmas
from ecosentry.subsystems.park.model.stability import INSOLATION, turner_class
from ecosentry.subsystems.park.substances import SUBSTANCES
from ecosentry.subsystems.park.tracing import Candidate, MetSeries, Readings

__all__ = ["Park", "Incident", "random_park", "simulate_release"]

STEP_S = 10.0
READ_EVERY = 6  # steps: one reading a minute


@dataclass(frozen=True)
class Park:
    size: float  #: [m]
    stations: tuple[str, ...]
    station_east: np.ndarray
    station_north: np.ndarray
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Incident:
    park: Park
    readings: Readings
    met: MetSeries
    source: str
    factor: str
    rate: float  #: [g/s]
    duration: float  #: [s]
    start: float  #: [s]
    wind_speed: float  #: mean true speed [m/s]
    stability: str

    @property
    def seen(self) -> bool:
        """Did any station read the release clearly (10 × its background)?"""
        v = self.readings.value
        return bool(np.any(v > 10 * np.median(v)))


def random_park(rng: np.random.Generator, sources: int = 12, edge_stations: int = 8, inner_stations: int = 4,
                size: float = 3000.0, min_spacing: float = 200.0) -> Park:
    factors = list(SUBSTANCES)
    pts: list[tuple[float, float]] = []
    while len(pts) < sources:
        p = tuple(rng.uniform(0.1 * size, 0.9 * size, 2))
        if all(np.hypot(p[0] - q[0], p[1] - q[1]) >= min_spacing for q in pts):
            pts.append(p)
    cands = tuple(Candidate(f"S{i + 1:02d}", f"E{i // 2 + 1:02d}", float(e), float(n),
                            frozenset(rng.choice(factors, size=int(rng.integers(2, 5)), replace=False).tolist()))
                  for i, (e, n) in enumerate(pts))
    # edge stations evenly along the perimeter (jittered), inner ones at random
    s = (np.arange(edge_stations) + rng.uniform(0.2, 0.8, edge_stations)) * 4 * size / edge_stations
    side, off = (s // size).astype(int), s % size
    ee = np.select([side == 0, side == 1, side == 2], [off, np.full_like(off, size), size - off], 0.0)
    nn = np.select([side == 0, side == 1, side == 2], [0.0 * off, off, np.full_like(off, size)], size - off)
    ie, inn = rng.uniform(0.15 * size, 0.85 * size, (2, inner_stations))
    east, north = np.concatenate([ee, ie]), np.concatenate([nn, inn])
    names = tuple(f"B{i + 1:02d}" for i in range(edge_stations)) + tuple(f"F{i + 1:02d}" for i in range(inner_stations))
    return Park(size, names, east, north, cands)


def simulate_release(rng: np.random.Generator, park: Park, minutes: int = 120, direction_noise_deg: float = 10.0,
                     speed_noise: float = 0.1, meander_deg_per_min: float = 2.0) -> Incident:
    """One release and two hours of minute readings at every station, with the met station's report."""
    src = park.candidates[int(rng.integers(len(park.candidates)))]
    factor = str(rng.choice(sorted(src.substances)))
    rate = float(np.exp(rng.uniform(np.log(10.0), np.log(300.0))))
    duration = float(rng.uniform(10, 40)) * 60.0
    start = 20 * 60.0
    mean_speed = float(rng.uniform(1.5, 7.0))
    insolation = str(rng.choice(INSOLATION))
    stability = turner_class(mean_speed, insolation)
    # the true wind, minute by minute: a mean-reverting random walk of direction and speed
    d0 = float(rng.uniform(0, 360))
    dirs, speeds = np.empty(minutes), np.empty(minutes)
    d, u = d0, mean_speed
    for k in range(minutes):
        d = d + rng.normal(0, meander_deg_per_min) - 0.1 * ((d - d0 + 180) % 360 - 180)
        u = max(0.5, u + rng.normal(0, 0.05 * mean_speed) - 0.1 * (u - mean_speed))
        dirs[k], speeds[k] = d % 360, u
    steps = minutes * READ_EVERY
    minute_of = np.arange(steps) // READ_EVERY
    th = np.radians(dirs[minute_of])
    ve, vn = -np.sin(th) * speeds[minute_of], -np.cos(th) * speeds[minute_of]
    de = np.concatenate([[0.0], np.cumsum(ve * STEP_S)])
    dn = np.concatenate([[0.0], np.cumsum(vn * STEP_S)])
    ds = np.concatenate([[0.0], np.cumsum(speeds[minute_of] * STEP_S)])
    rel = np.arange(int(start / STEP_S), int((start + duration) / STEP_S))
    mass = rate * STEP_S
    reads = np.arange(READ_EVERY, steps + 1, READ_EVERY)
    # puff p at reading k: displacement D(k) − D(rel_p), travel S(k) − S(rel_p), only if released before k
    pe = src.east + de[reads][:, None] - de[rel][None, :]
    pn = src.north + dn[reads][:, None] - dn[rel][None, :]
    travel = ds[reads][:, None] - ds[rel][None, :]
    alive = reads[:, None] > rel[None, :]
    sy, sz = sigmas(np.maximum(travel, 1.0), stability)
    norm = np.where(alive, mass * 1000.0 / ((2 * np.pi) ** 1.5 * sy * sy * sz) * 2.0, 0.0)  # ×2: ground reflection
    r2 = ((park.station_east[None, None, :] - pe[..., None]) ** 2
          + (park.station_north[None, None, :] - pn[..., None]) ** 2)
    conc = np.sum(norm[..., None] * np.exp(-r2 / (2 * sy[..., None] ** 2)), axis=1)  # (reads, stations)
    n_st = len(park.stations)
    background = np.exp(rng.uniform(np.log(0.002), np.log(0.02), n_st))
    values = (conc * (1 + rng.normal(0, 0.1, conc.shape)).clip(0.5)
              + background[None, :] * (1 + rng.normal(0, 0.2, conc.shape)).clip(0.2))
    t = reads * STEP_S
    readings = Readings(station=np.tile(np.array(park.stations), len(reads)),
                        east=np.tile(park.station_east, len(reads)), north=np.tile(park.station_north, len(reads)),
                        t=np.repeat(t, n_st).astype(float), factor=np.full(len(reads) * n_st, factor),
                        value=values.ravel())
    met = MetSeries(t=np.arange(minutes) * 60.0 + 60.0,
                    speed=np.maximum(0.3, speeds * (1 + rng.normal(0, speed_noise, minutes))),
                    direction=(dirs + rng.normal(0, direction_noise_deg, minutes)) % 360,
                    stability=np.full(minutes, stability[0]))
    return Incident(park, readings, met, src.source, factor, rate, duration, start, mean_speed, stability)
