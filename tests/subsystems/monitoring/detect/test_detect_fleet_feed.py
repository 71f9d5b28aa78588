"""The copy test across points from each point's feed (:func:`...detect.signs.copy_feed`, taken where the point
is built): the same grid and rows as placing every point's series on the common grid, its straightforward
definition, on random fleets (steps, clock offsets, jitter, gaps, invalid records, stopped hours)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import signs
from ecosentry.subsystems.monitoring.detect.model import PointData, Series, resolution_step, valid_mask
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings

CFG = DetectorSettings()
POLLUTANTS = ("a21026", "a21002", "a34013")
FLOW, O2 = "a00000", "a19001"
T0 = 1_709_251_200  # 2024-03-01 00:00 UTC [s]


def reference_rows(points: list[PointData], cfg: DetectorSettings):
    """The grid and rows of the copy test as defined: every point's series placed on the common grid, valid
    records of running hours (the test's code before it took feeds)."""
    p = cfg.signs
    chans, steps = [], []
    for data in points:
        pol = signs._pollutants(data, data.minutes)
        st = signs._step_s(data, pol) if pol else 0
        if 0 < st <= p.copy_max_step_s:
            chans += [(data, f) for f in pol]
            steps.append(st)
    if len(chans) < 2 or len({d.point for d, _ in chans}) < 2:
        return None
    step = min(steps)
    chans = [(d, f) for d, f in chans if d.minutes[f].step_seconds() == step]
    t0 = min(int(d.minutes[f].times[0].astype(np.int64)) for d, f in chans)
    t1 = max(int(d.minutes[f].times[-1].astype(np.int64)) for d, f in chans)
    n = (t1 - t0) // step + 1
    if n < 3:
        return None
    grid = (t0 + step * np.arange(n, dtype=np.int64)).astype("datetime64[s]")
    V = np.full((len(chans), n), np.nan)
    for i, (d, f) in enumerate(chans):
        s = d.minutes[f]
        run = signs._running_at(d, grid, cfg)
        V[i] = np.where(run, signs._on_grid(s, (s.times.astype(np.int64) - t0) // step, n, valid_mask(s)), np.nan)
    return [(d.point, f) for d, f in chans], step, grid, V, [resolution_step(d.minutes[f]) for d, f in chans]


def random_series(rng, factor: str, start: int, step: int, n: int, *, jitter: bool) -> Series:
    times = start + step * np.arange(n, dtype=np.int64)
    if jitter:  # a logger whose clock slips by a few seconds now and then
        times = times + np.where(rng.random(n) < 0.2, rng.integers(-9, 10, n), 0)
    times = np.unique(times[rng.random(n) > 0.1])  # gaps
    values = np.round(rng.normal(30.0, 3.0, len(times)), int(rng.integers(0, 3)))
    values[rng.random(len(times)) < 0.05] = np.nan
    flags = tuple(np.where(rng.random(len(times)) < 0.05, "D", "N")) if rng.random() < 0.5 else ()
    return Series(factor, times.astype("datetime64[s]"), values, flags)


def random_point(rng, name: str) -> PointData:
    start = T0 + int(rng.choice([0, 30, 17, 60 * int(rng.integers(0, 200)), 3540]))
    step = int(rng.choice([60, 60, 120, 30]))
    n = int(rng.integers(2, 400))
    minutes = {}
    for f in POLLUTANTS[:int(rng.integers(1, 4))]:
        kind = rng.random()
        if kind < 0.1:  # one record: no step
            minutes[f] = random_series(rng, f, start, step, 1, jitter=False)
        elif kind < 0.2:  # spacing of 59 and 60 s: a median of 59.5, no whole step
            times = start + np.cumsum(np.tile([59, 60], n // 2 + 1)[:n]).astype(np.int64)
            minutes[f] = Series(f, times.astype("datetime64[s]"), rng.normal(30.0, 3.0, n))
        else:
            offset = int(rng.choice([0, 0, 60, 7]))
            minutes[f] = random_series(rng, f, start + offset, step, n, jitter=rng.random() < 0.3)
    hours = {}
    first_hour = (start - 7200) // 3600 * 3600
    h = first_hour + 3600 * np.arange(n * step // 3600 + 6, dtype=np.int64)
    if rng.random() < 0.8:  # flow, stopped some hours; else the running state is unknown
        flow = rng.normal(100.0, 5.0, len(h))
        flow[rng.random(len(h)) < 0.25] = 0.0
        keep = rng.random(len(h)) > 0.1
        hours[FLOW] = Series(FLOW, h[keep].astype("datetime64[s]"), flow[keep])
        if rng.random() < 0.5:
            o2 = np.where(rng.random(len(h)) < 0.2, 20.9, 9.0)
            hours[O2] = Series(O2, h.astype("datetime64[s]"), o2)
    return PointData(point=name, medium="gas", tz="Asia/Shanghai", minutes=minutes, hours=hours)


@pytest.mark.parametrize("seed", range(60))
def test_feeds_give_the_rows_of_the_series_on_the_common_grid(seed):
    rng = np.random.default_rng([seed, 47])
    points = [random_point(rng, f"P{k}") for k in range(int(rng.integers(1, 5)))]
    feeds = [pickle.loads(pickle.dumps(signs.copy_feed(d, CFG))) for d in points]  # as a worker sends them
    try:
        want = reference_rows(points, CFG)
    except ValueError:  # no channel at the finest step (a point's step is its finest channel's, in whole seconds)
        with pytest.raises(ValueError):
            signs._fleet_grid(feeds)
        return
    got = signs._fleet_grid(feeds)
    if want is None:
        assert got is None
        return
    names, step, grid, V, resolution = want
    chans, got_step, got_grid, got_V = got
    assert [(feed.point, c.factor) for feed, c in chans] == names
    assert got_step == step
    assert np.array_equal(got_grid, grid)
    assert np.array_equal(got_V, V, equal_nan=True)
    assert np.array_equal([c.resolution for _, c in chans], resolution, equal_nan=True)


def test_a_fleet_without_minute_pollutants_at_two_points_has_no_rows():
    rng = np.random.default_rng(5)
    one = random_point(rng, "P1")
    hourly = PointData(point="P2", minutes={"a21026": random_series(rng, "a21026", T0, 3600, 50, jitter=False)})
    assert signs._fleet_grid([signs.copy_feed(d, CFG) for d in (one, hourly)]) is None
    assert signs._fleet_grid([signs.copy_feed(PointData(point="P3"), CFG)]) is None
    assert signs.detect_fleet_copies([], CFG) == []


def test_a_feed_holds_the_valid_values_of_a_clock_on_its_grid_and_the_records_of_a_slipping_one():
    s = Series("a21026", (T0 + np.array([0, 60, 180, 240])).astype("datetime64[s]"), np.array([1.0, np.nan, 3.0, 4.0]),
               ("N", "N", "D", "N"))
    slipping = Series("a21002", (T0 + np.array([0, 61, 120])).astype("datetime64[s]"), np.array([1.0, 2.0, 3.0]))
    feed = signs.copy_feed(PointData(point="P", minutes={s.factor: s, slipping.factor: slipping}), CFG)
    off_grid, on_grid = feed.channels  # in the order of their factors
    assert feed.step == 60 and feed.running is None and feed.pollutants == 2
    assert on_grid.times is None and np.array_equal(on_grid.values, [1.0, np.nan, np.nan, np.nan, 4.0], equal_nan=True)
    assert np.array_equal(off_grid.times, T0 + np.array([0, 61, 120])) and np.array_equal(off_grid.values, [1, 2, 3])
