"""An honest-plant labelled set: clean plants that behave like real ones, and subtle fraud windows, labelled.

Why a second set
----------------
The injected set (:mod:`ecosentry.subsystems.monitoring.simulate.inject`) puts faults on smooth simulator
signals; its clean points are easy. Real honest plants start up and shut down, follow the grid's dispatch,
run night shifts, hold a pollutant at a controlled set-point, report low values at the analyser's
resolution, and some run close to their limit. A regulator who receives findings on such plants stops
reading them (issue 13). This module generates minute data of such plants, seeded and pure numpy, with a
minority of labelled fraud windows that are mostly *subtle* (and a few blatant ones), so that precision on
honest behaviour and recall on realistic fraud are measured on the same set
(:mod:`ecosentry.subsystems.monitoring.bench.honest_eval`, ``ecosentry bench detect --set honest``).

Files are those of ``ecosentry simulate-inject`` (:data:`ecosentry.subsystems.monitoring.simulate.inject.FILES`):
long ``data.csv`` (``point,factor,time,value,flag,zs_value``, one row a minute, UTC), ``limits.csv``,
``ranges.csv``, ``marks.csv``, ``parameters.csv`` and ``labels.json`` (the same :class:`Label` objects), so
``ecosentry detect`` reads the set as it is.

Honest behaviour (where it comes from)
--------------------------------------
* **Load drives the process parameters** (reference notes §5.4: "if all parameters show stopped
  characteristics, this is a real stop"; HJ 212-2017 eq. (30) ``Q = V · F``): flue-gas velocity, flow,
  static pressure (∝ V²), temperature and moisture (thermal lag) rise with the boiler's load, O2 falls with
  it (less excess air at high load, the "O2 logic" of §5.6). Pollutant concentrations share the load
  component too (more fuel, more raw gas), so channels of one point correlate honestly.
* **Start-ups and shut-downs with legitimate marks**: a stop is reported with flag ``F`` (HJ 212-2017
  Table 8) and a ``stopped`` mark (§1.2, §4.2 工况 marks); during it flow and velocity fall to a residual
  draft, O2 goes to ambient air, the stack cools. The start-up after it has elevated NOx and dust for a
  few hours (the SCR and the precipitator reach their working temperature; §4.2 "start-up and shut-down"
  periods), unmarked: the plant is running.
* **Load following** (grid dispatch: low at night, evening peak, AGC steps under a ramp-rate limit),
  **night shifts** (heavier load at night under time-of-use tariffs; ours), **base-load plants** (load
  and a controlled NOx set-point nearly constant: variation narrower than 2 % of range, the §5.3
  checklist threshold, without any fraud), **plants close to their limit** (hourly 折算 SO2 about 0.8–0.86
  of the ultra-low 35 mg/m³, §4.3), **quantised low values** near the detection limit (dust at 0.1 mg/m³
  resolution, NH3-N and TP at 0.01 mg/L; §5.3 "hovering around the detection limit" is suspicious only
  when the plant's true level is higher). The method detection limits (:data:`DETECTION_LIMITS`, those of
  the national methods) go to ``ranges.csv`` as its ``detection_limit`` column, so the detection-limit rules
  judge these plants.
* **Wastewater** (HJ 355/356-2019): municipal diurnal flow with two peaks; industrial day-shift discharge
  with concentration following production; online analysers report a new value once per measuring cycle
  (60 min here, ours) and hold it in between; one plant pauses its discharge overnight with a ``stopped``
  mark and flag ``F``.

Fraud windows (labelled; :data:`FRAUD_CLASSES`)
-----------------------------------------------
Subtle: ``narrow_band`` (§5.3 narrow band around a fixed value), ``near_zero`` (a diluted or back-flushed
sample, §5.3 hardware items: the reading falls to a few per cent of the true level while the plant runs),
``factor_gap`` (one pollutant stops reporting while the others go on: §5.2 数据缺失, 环发〔2015〕175号 Art.
4(11) not transmitting raw data), ``capped_peaks`` (the true level rises over the limit and the reported
value is clipped just under it: §5.4 "clipping or capping at the limit", §5.5 设限值), ``night_discharge``
(wastewater, modest: ×1.4–1.8 at night, §5.2 rule 14, §5.4), ``clone`` (a pollutant channel is an affine
copy of another pollutant channel of the same point or of another point: §5.4 identical trends between
unrelated factors). Blatant (a few): ``constant``, ``zero_running``, ``o2_stopped``, ``false_stop_mark``,
``step_flat`` (§5.2 恒值, §5.4 zero values, rule 16, rule 13, rule 11).

A cross-point clone also writes a ``clone_source`` *context* label on the copied point: findings there
are explained (the scorer neither rewards nor punishes them) and the label is not counted in recall.

Everything is a pure function of ``(seed, points, days)``; no fault touches the first day (warm-up for
detectors with a history) and no fault window overlaps a stop.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.simulate.inject import FILES, Label
from ecosentry.subsystems.monitoring.simulate.methods import DETECTION_LIMITS

__all__ = [
    "FRAUD_CLASSES",
    "FRAUD_FAMILY",
    "SUBTLE_CLASSES",
    "CONTEXT_CLASSES",
    "GAS_ARCHETYPES",
    "WATER_ARCHETYPES",
    "HonestPoint",
    "HonestSet",
    "fraud_counts",
    "generate_honest",
    "write_honest_set",
]

MINUTE = timedelta(minutes=1)
MINUTES_PER_DAY = 1440

#: Fraud class → detector family it describes (informative: the honest scorer matches by window).
FRAUD_FAMILY: dict[str, str] = {
    "narrow_band": "narrow_band",
    "near_zero": "narrow_band",
    "factor_gap": "missing",
    "capped_peaks": "limit_hugging",
    "night_discharge": "day_night",
    "clone": "clone",
    "constant": "constant",
    "zero_running": "zero_running",
    "o2_stopped": "o2_stopped",
    "false_stop_mark": "data_while_stopped",
    "step_flat": "step_flat",
}
FRAUD_CLASSES: tuple[str, ...] = tuple(FRAUD_FAMILY)
SUBTLE_CLASSES = frozenset({"narrow_band", "near_zero", "factor_gap", "capped_peaks", "night_discharge", "clone"})
#: Label classes that explain findings without being fraud (not counted in recall).
CONTEXT_CLASSES = frozenset({"clone_source"})

#: Labels per class on a 40-point set (scaled with the number of points, at least 1 each).
_PER_40 = {"narrow_band": 3, "near_zero": 3, "factor_gap": 3, "capped_peaks": 3, "night_discharge": 3, "clone": 3,
           "constant": 2, "zero_running": 2, "o2_stopped": 1, "false_stop_mark": 1, "step_flat": 2}
_GAS_ONLY = {"o2_stopped", "false_stop_mark"}
_WATER_ONLY = {"night_discharge"}

GAS_ARCHETYPES = ("base_load", "load_following", "night_shift", "cycling", "near_limit")
WATER_ARCHETYPES = ("municipal", "industrial_day", "near_limit", "batch_stop")

#: Share of points left without any label.
CLEAN_SHARE = 0.45
#: No fault in the first day: detectors with a history get one. [min]
WARM_UP = MINUTES_PER_DAY
#: Clean minutes kept between two labelled windows of one point, and between a window and a stop. [min]
MARGIN = 360

# Flue gas (coal-power ultra-low emission, 6 % reference O2; reference notes §3.2, §4.3).
GAS_REF_O2 = 6.0
GAS_POLLUTANTS = ("a21026", "a21002", "a34013")          # SO2, NOx, particulate [mg/m³]
GAS_LIMITS = {"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}
GAS_RANGES = {"a21026": (0.0, 100.0), "a21002": (0.0, 200.0), "a34013": (0.0, 50.0),
              "a19001": (0.0, 25.0), "a01011": (0.0, 40.0), "a01012": (0.0, 300.0), "a01013": (-5.0, 5.0),
              "a01014": (0.0, 40.0)}
# Wastewater (GB 18918-2002 grade 1A daily limits, mg/L; reference notes §4.1: water limits are daily).
WATER_POLLUTANTS = ("w01018", "w21003", "w21011", "w21001")  # COD, NH3-N, TP, TN
WATER_LIMITS = {"w01018": 50.0, "w21003": 5.0, "w21011": 0.5, "w21001": 15.0}
WATER_RANGES = {"w01018": (0.0, 200.0), "w21003": (0.0, 20.0), "w21011": (0.0, 5.0), "w21001": (0.0, 50.0),
                "w01001": (0.0, 14.0)}
#: Reported decimals per factor (the analyser's resolution). Others: 2.
DECIMALS = {"a21026": 1, "a21002": 1, "a34013": 1, "a19001": 2, "a01011": 2, "a01012": 1, "a01013": 3,
            "a01014": 2, "a00000": 2, "w01018": 1, "w21003": 2, "w21011": 2, "w21001": 2, "w01001": 2,
            "w00000": 2}
#: Online water analysers give one value per measuring cycle and hold it. [min] (ours)
WATER_CYCLE = 60
#: Registered velocity-field coefficient K_v. [-]
REGISTERED_KV = 1.0


@dataclass
class HonestPoint:
    """Minute data of one point and its master data.

    ``values``/``zs`` hold one array per factor over the set's minutes (``NaN`` = no row written);
    ``flags`` one HJ 212 flag per minute for the whole point (``N``, ``F`` while stopped); ``load`` the
    clean load fraction (0 = stopped) that drove the process, kept for tests.
    """

    point: str
    medium: str
    archetype: str
    values: dict[str, np.ndarray]
    zs: dict[str, np.ndarray]
    flags: np.ndarray
    load: np.ndarray
    hour_limits: dict[str, float] = field(default_factory=dict)
    day_limits: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    marks: list[tuple[str, str, int, int]] = field(default_factory=list)  # factor ("" = all), type, [a, b)
    registered: list[tuple[str, str, float]] = field(default_factory=list)
    duct_area: float | None = None
    busy: list[tuple[int, int]] = field(default_factory=list)
    faults: int = 0

    @property
    def running(self) -> np.ndarray:
        return self.load > 0


@dataclass
class HonestSet:
    seed: int
    tz: str
    start: datetime  # aware UTC, first minute
    minutes: int
    points: list[HonestPoint]
    labels: list[Label]
    clean_points: list[str]

    @property
    def end(self) -> datetime:
        return self.start + self.minutes * MINUTE

    @property
    def days(self) -> float:
        return self.minutes / MINUTES_PER_DAY

    def time(self, i: int) -> datetime:
        return self.start + int(i) * MINUTE

    def point(self, name: str) -> HonestPoint:
        return next(p for p in self.points if p.point == name)


# --------------------------------------------------------------------------- public API


def fraud_counts(points: int) -> dict[str, int]:
    """Labels per fraud class for a set of ``points`` points (:data:`_PER_40` scaled, at least 1)."""
    return {c: max(1, int(round(k * points / 40.0))) for c, k in _PER_40.items()}


def generate_honest(
    *, seed: int = 1, points: int = 40, days: int = 5, tz: str = "Asia/Shanghai", start: datetime | None = None,
    on_point: Callable[[], None] | None = None,
) -> HonestSet:
    """Generate the honest-plant set.

    Parameters
    ----------
    seed : int
        Seeds everything (plants, archetypes, fraud placement and parameters).
    points : int, default 40
        Monitoring points, half flue gas (rounded up), half wastewater; at least 8.
    days : int, default 5
        Length of the minute series, from local midnight. [d]; at least 3.
    tz : str
        Zone of the points (night and shifts are local).
    start : datetime or None
        First minute; default 2026-10-05 00:00 local.
    on_point : callable or None
        Called after each point's clean data is generated (progress).

    Raises
    ------
    ValueError
        Fewer than 8 points or 3 days, or a fraud class finds no host.
    """
    if points < 8:
        raise ValueError("need at least 8 points")
    if days < 3:
        raise ValueError("need at least 3 days")
    zone = ZoneInfo(tz)
    t0 = (start or datetime(2026, 10, 5, tzinfo=zone)).astimezone(timezone.utc)
    n = days * MINUTES_PER_DAY
    local_offset_min = int((t0.astimezone(zone).utcoffset() or timedelta()).total_seconds() // 60)
    # local hour of day of each minute (no DST in China or Vietnam: one offset)
    minute_of_day = (np.arange(n) + (t0.hour * 60 + t0.minute + local_offset_min)) % MINUTES_PER_DAY
    hod = minute_of_day / 60.0

    place = np.random.default_rng([seed, 7_001])
    n_gas = (points + 1) // 2
    n_clean = int(round(CLEAN_SHARE * points))
    media = ["gas"] * n_gas + ["water"] * (points - n_gas)
    clean_flags = np.zeros(points, dtype=bool)
    # clean points: the same share of each medium
    gas_clean = place.choice(n_gas, size=int(round(n_clean * n_gas / points)), replace=False)
    water_clean = n_gas + place.choice(points - n_gas, size=n_clean - len(gas_clean), replace=False)
    clean_flags[gas_clean] = True
    clean_flags[water_clean] = True
    archetypes: list[str] = [""] * points
    for medium, kinds in (("gas", GAS_ARCHETYPES), ("water", WATER_ARCHETYPES)):
        for clean in (True, False):
            idx = [i for i in range(points) if media[i] == medium and clean_flags[i] == clean]
            offset = int(place.integers(len(kinds)))
            for k, i in enumerate(idx):
                archetypes[i] = kinds[(k + offset) % len(kinds)]

    plants: list[HonestPoint] = []
    for i in range(points):
        rng = np.random.default_rng([seed, 11, i])
        name = f"{'G' if media[i] == 'gas' else 'W'}{i + 1:03d}"
        build = _gas_point if media[i] == "gas" else _water_point
        plants.append(build(rng, name, archetypes[i], n, hod))
        if on_point is not None:
            on_point()
    clean_points = sorted(p.point for p, c in zip(plants, clean_flags) if c)
    hosts = [p for p, c in zip(plants, clean_flags) if not c]

    tasks = [c for c, k in fraud_counts(points).items() for _ in range(k)]
    place.shuffle(tasks)
    # classes that need a particular host first, so they find one
    tasks.sort(key=lambda c: 0 if c in _GAS_ONLY | _WATER_ONLY else 1)
    raw_labels: list[tuple[str, HonestPoint, tuple[str, ...], int, int, dict[str, Any]]] = []
    clone_count = 0
    for fault in tasks:
        cross = fault == "clone" and clone_count % 3 == 2  # every third clone copies another point
        clone_count += fault == "clone"
        done = _place(fault, hosts, place, n, hod, cross)
        if done is None:
            raise Said(N_("no point can host fraud class %(fault)r (try more points or days)"), fault=fault)
        raw_labels.extend(done)

    labels = []
    for k, (fault, p, factors, a, b, detail) in enumerate(
        sorted(raw_labels, key=lambda r: (r[1].point, r[3], r[0]))
    ):
        family = "context" if fault in CONTEXT_CLASSES else FRAUD_FAMILY[fault]
        labels.append(Label(id=k + 1, fault=fault, family=family, also=(), point=p.point, factors=factors,
                            start=t0 + a * MINUTE, end=t0 + b * MINUTE, detail=detail))
    return HonestSet(seed=seed, tz=tz, start=t0, minutes=n, points=plants, labels=labels, clean_points=clean_points)


def write_honest_set(hs: HonestSet, out_dir: Path) -> dict[str, Path]:
    """Write the set as ``ecosentry detect`` reads it (:data:`FILES`) plus ``labels.json``.

    Returns
    -------
    dict
        Role → path. Each file is written to a temporary name and renamed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {role: out_dir / name for role, name in FILES.items()}
    stamps = [_iso(hs.start + i * MINUTE) for i in range(hs.minutes)]

    def data(fh) -> None:
        fh.write("point,factor,time,value,flag,zs_value\n")
        for p in hs.points:
            for factor in sorted(p.values):
                v = p.values[factor]
                z = p.zs.get(factor)
                d = DECIMALS.get(factor, 2)
                rows = []
                for i in np.flatnonzero(np.isfinite(v)).tolist():
                    zs_text = "" if z is None or not np.isfinite(z[i]) else f"{z[i]:.2f}"
                    rows.append(f"{p.point},{factor},{stamps[i]},{v[i]:.{d}f},{p.flags[i]},{zs_text}\n")
                fh.write("".join(rows))

    _atomic(paths["data"], data)
    _atomic(paths["limits"], lambda fh: fh.write("point,factor,kind,limit\n" + "".join(
        f"{p.point},{f},{kind},{lim:g}\n" for p in hs.points
        for kind, table in (("hour", p.hour_limits), ("day", p.day_limits)) for f, lim in sorted(table.items()))))
    _atomic(paths["ranges"], lambda fh: fh.write("point,factor,low,high,detection_limit\n" + "".join(
        f"{p.point},{f},{lo:g},{hi:g},{_dl_text(f)}\n" for p in hs.points for f, (lo, hi) in sorted(p.ranges.items()))))
    _atomic(paths["marks"], lambda fh: fh.write("point,factor,type,start,end\n" + "".join(
        f"{p.point},{f},{kind},{_iso(hs.time(a))},{_iso(hs.time(b))}\n" for p in hs.points
        for f, kind, a, b in sorted(p.marks, key=lambda m: m[2]))))
    first_report = _iso(hs.time(120))
    _atomic(paths["parameters"], lambda fh: fh.write("point,factor,name,value,time\n" + "".join(
        f"{p.point},{f},{name},{v:g},{t}\n" for p in hs.points for f, name, v in p.registered
        for t in ("", first_report))))  # registered, and one honest report equal to it
    doc = {
        "set": "honest",
        "seed": hs.seed,
        "tz": hs.tz,
        "start": _iso(hs.start),
        "end": _iso(hs.end),
        "resolution": "minute",
        "points": [{"point": p.point, "medium": p.medium, "archetype": p.archetype,
                    "clean": p.point in hs.clean_points} for p in hs.points],
        "clean_points": hs.clean_points,
        "context_classes": sorted(CONTEXT_CLASSES),
        "labels": [lb.to_json() for lb in hs.labels],
    }
    _atomic(paths["labels"], lambda fh: fh.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n"))
    return paths


def _dl_text(factor: str) -> str:
    dl = DETECTION_LIMITS.get(factor)
    return "" if dl is None else f"{dl:g}"


# --------------------------------------------------------------------------- signal helpers


def _ar1(rng: np.random.Generator, n: int, step: int, phi: float) -> np.ndarray:
    """Unit-variance AR(1) sampled every ``step`` minutes, linearly interpolated to ``n`` minutes."""
    k = n // step + 2
    e = rng.standard_normal(k)
    x = np.empty(k)
    x[0] = e[0]
    s = np.sqrt(1.0 - phi * phi)
    for j in range(1, k):
        x[j] = phi * x[j - 1] + s * e[j]
    return np.interp(np.arange(n) / step, np.arange(k), x)


def _lag(target: np.ndarray, tau: np.ndarray | float) -> np.ndarray:
    """First-order lag (thermal inertia) of ``target`` with time constant ``tau`` [min], per minute."""
    a = 1.0 - np.exp(-1.0 / np.broadcast_to(np.asarray(tau, dtype=float), target.shape))
    out = np.empty_like(target)
    y = float(target[0])
    for i in range(len(target)):
        y += a[i] * (target[i] - y)
        out[i] = y
    return out


def _ramp_limited(target: np.ndarray, rate: float) -> np.ndarray:
    """``target`` followed at most ``rate`` per minute (a unit's ramp-rate limit)."""
    out = np.empty_like(target)
    y = float(target[0])
    for i in range(len(target)):
        y += min(max(target[i] - y, -rate), rate)
        out[i] = y
    return out


def _profile(hod: np.ndarray, knots: Sequence[tuple[float, float]]) -> np.ndarray:
    """Piecewise-linear daily profile through ``(hour, value)`` knots (0 … 24)."""
    h, v = zip(*knots)
    return np.interp(hod, h, v)


def _quantise(x: np.ndarray, factor: str) -> np.ndarray:
    step = 10.0 ** -DECIMALS.get(factor, 2)
    return np.round(x / step) * step


def _zs(c: np.ndarray, o2: np.ndarray) -> np.ndarray:
    """折算 concentration at the reference O2 (HJ 212-2017 Appendix D eq. (28)); ``NaN`` when O2 ≥ 19 %
    (a stopped stack: reference notes §5.6, O2 logic)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = c * (21.0 - GAS_REF_O2) / (21.0 - o2)
    return np.where(o2 < 19.0, z, np.nan)


def _dispatch(rng: np.random.Generator, hod: np.ndarray, knots) -> np.ndarray:
    """Load from a daily dispatch profile, day-to-day scaling, AGC steps and a ramp-rate limit."""
    n = len(hod)
    day = np.arange(n) // MINUTES_PER_DAY
    scale = rng.uniform(0.92, 1.0, size=day[-1] + 1)[day]
    # AGC set-point steps: piecewise constant over 15–45 min blocks
    edges = np.cumsum(rng.integers(15, 46, size=n // 15 + 2))
    block = np.searchsorted(edges, np.arange(n), side="right")
    agc = rng.normal(0.0, 0.035, size=block.max() + 1)[block]
    return np.clip(_ramp_limited(_profile(hod, knots) * scale + agc, 0.012), 0.3, 1.0)


_FOLLOWING = ((0, 0.55), (5, 0.55), (8, 0.88), (11, 0.97), (13, 0.85), (17, 0.9), (19, 1.0), (21, 0.95),
              (23, 0.65), (24, 0.55))
_NIGHT_SHIFT = ((0, 0.92), (7, 0.92), (8.5, 0.6), (21, 0.6), (22.5, 0.92), (24, 0.92))


def _stop_window(rng: np.random.Generator, n: int, lo_h: float, hi_h: float) -> tuple[int, int]:
    length = int(rng.uniform(lo_h, hi_h) * 60)
    a = int(rng.integers(20 * 60, n - length - 20 * 60))  # away from both ends of the set
    return a, a + length


# --------------------------------------------------------------------------- clean plants


def _gas_point(rng: np.random.Generator, name: str, archetype: str, n: int, hod: np.ndarray) -> HonestPoint:
    noise = lambda: rng.standard_normal(n)  # noqa: E731
    if archetype == "base_load":
        load = np.clip(0.93 + 0.006 * _ar1(rng, n, 10, 0.98), 0.8, 1.0)
    elif archetype == "night_shift":
        load = _dispatch(rng, hod, _NIGHT_SHIFT)
    else:
        load = _dispatch(rng, hod, _FOLLOWING)
    stop: tuple[int, int] | None = None
    since_start = np.full(n, 1e9)
    if archetype == "cycling":
        a, b = stop = _stop_window(rng, n, 8, 18)
        load = load.copy()
        # shut-down: down to 35 % over the hour before the stop, then off
        load[a - 60:a] = np.linspace(load[a - 60], 0.35, 60)
        load[a:b] = 0.0
        # start-up: from 25 % to the dispatched load over 3 h
        up = min(180, n - b)
        load[b:b + up] = np.linspace(0.25, 1.0, up) * load[b:b + up]
        since_start[b:] = np.arange(n - b)
    running = load > 0

    v_rated = rng.uniform(12.0, 16.0)
    area = round(float(rng.uniform(3.0, 12.0)), 2)
    v = v_rated * (0.15 + 0.85 * load) * (1 + 0.015 * _ar1(rng, n, 5, 0.9)) + 0.05 * noise()
    v = np.where(running, v, 0.2 + 0.05 * np.abs(noise()))
    v = _quantise(np.maximum(v, 0.0), "a01011")
    flow = _quantise(v * area, "a00000")  # HJ 212-2017 eq. (30), m³/s
    o2 = 4.0 + 6.0 * (1.0 - load) + 0.2 * _ar1(rng, n, 10, 0.95) + 0.12 * noise()
    o2 = _quantise(np.where(running, np.clip(o2, 2.5, 15.0), np.minimum(20.8 + 0.05 * noise(), 20.95)), "a19001")
    temp_target = np.where(running, 50.0 + 7.0 * load, 22.0)
    temp_lagged = _lag(temp_target, np.where(running, 30.0, 240.0))
    temp = _quantise(temp_lagged + 0.1 * noise(), "a01012")
    pressure = _quantise(np.where(running, -0.05 + 0.3 * (v / v_rated) ** 2 + 0.01 * noise(), 0.005 * noise()),
                         "a01013")
    moisture = _quantise(2.0 + 9.0 * (temp_lagged - 22.0) / 35.0 + 0.15 * noise(), "a01014")

    # pollutants: 折算 level × load share × slow controller wander × minute noise
    narrow = archetype == "base_load"
    mean_zs = {
        "a21026": rng.uniform(0.8, 0.86) * GAS_LIMITS["a21026"] if archetype == "near_limit" else rng.uniform(10, 22),
        "a21002": rng.uniform(22.0, 38.0),
        "a34013": rng.uniform(1.2, 3.5),  # ultra-low dust: a few tenths above the analyser's resolution
    }
    wander = {"a21026": 0.03 if narrow else 0.08, "a21002": 0.012 if narrow else 0.06, "a34013": 0.1}
    jitter = {"a21026": 0.02, "a21002": 0.008 if narrow else 0.02, "a34013": 0.04}
    load_share = {"a21026": 0.3, "a21002": 0.15, "a34013": 0.3}
    startup = np.exp(-since_start / 60.0)  # 1 at the start-up, gone after a few hours
    boost = {"a21026": 0.5, "a21002": 1.2, "a34013": 1.0}
    values = {"a19001": o2, "a01011": v, "a00000": flow, "a01012": temp, "a01013": pressure, "a01014": moisture}
    zs: dict[str, np.ndarray] = {}
    mean_load = float(load[running].mean())
    for f in GAS_POLLUTANTS:
        level = mean_zs[f] * (1 - load_share[f] + load_share[f] * load / mean_load)
        level *= np.exp(wander[f] * _ar1(rng, n, 10, 0.97)) * (1 + jitter[f] * noise()) * (1 + boost[f] * startup)
        c = level * (21.0 - o2) / (21.0 - GAS_REF_O2)  # measured (dry) from the 折算 level, eq. (28) inverted
        c = np.where(running, c, 0.3 + 0.2 * np.abs(noise()))
        values[f] = _quantise(np.maximum(c, 0.0), f)
        zs[f] = _zs(values[f], o2)

    flags = np.full(n, "N", dtype="<U1")
    p = HonestPoint(point=name, medium="gas", archetype=archetype, values=values, zs=zs, flags=flags, load=load,
                    hour_limits=dict(GAS_LIMITS), duct_area=area)
    p.ranges = {**GAS_RANGES, "a00000": (0.0, round(40.0 * area, 1))}
    p.registered = [("*", "area", area), ("a01011", "kv", REGISTERED_KV)]
    if stop is not None:
        flags[stop[0]:stop[1]] = "F"
        p.marks.append(("", "stopped", *stop))
        p.busy.append(stop)
    return p


_MUNICIPAL = ((0, 0.85), (4, 0.55), (8, 1.1), (10, 1.35), (14, 1.1), (19, 1.3), (21, 1.2), (24, 0.85))
_DAY_SHIFT = ((0, 0.25), (7.5, 0.25), (8.5, 1.0), (19.5, 1.0), (20.5, 0.25), (24, 0.25))


def _water_point(rng: np.random.Generator, name: str, archetype: str, n: int, hod: np.ndarray) -> HonestPoint:
    noise = lambda: rng.standard_normal(n)  # noqa: E731
    q_mean = rng.uniform(20.0, 200.0)  # [L/s]
    if archetype == "municipal":
        shape = _profile(hod, _MUNICIPAL)
    elif archetype == "near_limit":
        shape = _profile(hod, ((0, 0.9), (8, 1.05), (20, 1.05), (24, 0.9)))
    else:
        shape = _profile(hod, _DAY_SHIFT)
    flow = q_mean * shape * np.exp(0.05 * _ar1(rng, n, 10, 0.95)) * (1 + 0.02 * noise())
    stop: tuple[int, int] | None = None
    if archetype == "batch_stop":
        stop = _stop_window(rng, n, 10, 16)
        flow[stop[0]:stop[1]] = 0.0
    running = flow > 0
    # concentrations follow production (industrial) or the incoming load after a few hours in the plant
    lagged = _lag(shape, 240.0)
    mean = {
        "w01018": rng.uniform(0.82, 0.88) * WATER_LIMITS["w01018"] if archetype == "near_limit" else rng.uniform(15, 35),
        "w21003": rng.uniform(0.08, 0.4),  # NH3-N near its detection limit, 0.01 mg/L resolution
        "w21011": rng.uniform(0.08, 0.3),
        "w21001": rng.uniform(6.0, 12.0),
    }
    wander = {"w01018": 0.06, "w21003": 0.25, "w21011": 0.2, "w21001": 0.08}
    values: dict[str, np.ndarray] = {}
    phase = int(rng.integers(WATER_CYCLE))
    cycle = np.maximum((np.arange(n) - phase) // WATER_CYCLE, 0)
    sample_at = np.minimum(cycle * WATER_CYCLE + phase, n - 1)
    for f in WATER_POLLUTANTS:
        c = mean[f] * (0.85 + 0.15 * lagged / lagged.mean()) * np.exp(wander[f] * _ar1(rng, n, 15, 0.97))
        # analytical noise of one analysis: 3 % of the reading, at least 1.5 steps of the resolution (ours)
        step = 10.0 ** -DECIMALS[f]
        c = c + np.maximum(0.03 * c, 1.5 * step) * noise()
        values[f] = _quantise(np.maximum(c, 0.0), f)[sample_at]  # one analysis a cycle, held
    values["w01001"] = _quantise(7.2 + 0.12 * _ar1(rng, n, 10, 0.97) + 0.02 * noise(), "w01001")
    values["w00000"] = _quantise(np.maximum(flow, 0.0), "w00000")
    flags = np.full(n, "N", dtype="<U1")
    load = np.where(running, flow / q_mean, 0.0)
    p = HonestPoint(point=name, medium="water", archetype=archetype, values=values, zs={}, flags=flags, load=load,
                    day_limits=dict(WATER_LIMITS))
    p.ranges = {**WATER_RANGES, "w00000": (0.0, round(3.0 * q_mean, 1))}
    if stop is not None:
        flags[stop[0]:stop[1]] = "F"
        p.marks.append(("", "stopped", *stop))
        p.busy.append(stop)
    return p


# --------------------------------------------------------------------------- fraud placement


_DURATION_H = {"narrow_band": (10, 30), "near_zero": (6, 20), "factor_gap": (2, 6), "capped_peaks": (12, 30),
               "night_discharge": (0, 0), "clone": (12, 36), "constant": (5, 8), "zero_running": (4, 8),
               "o2_stopped": (3, 6), "false_stop_mark": (6, 12), "step_flat": (8, 12)}


def _free(p: HonestPoint, a: int, b: int) -> bool:
    return all(b + MARGIN <= s or a >= e + MARGIN for s, e in p.busy) and bool(p.running[a:b].all())


def _window(fault: str, rng: np.random.Generator, n: int, hod: np.ndarray) -> tuple[int, int]:
    if fault == "night_discharge":  # two or three nights (one in a short set), 23:00–05:00 local
        midnights = np.flatnonzero((np.round(hod * 60) % MINUTES_PER_DAY == 0))
        for nights in range(int(rng.integers(2, 4)), 0, -1):
            starts = [m - 60 for m in midnights
                      if m - 60 >= WARM_UP and m + (nights - 1) * MINUTES_PER_DAY + 300 <= n - 60]
            if starts:
                a = int(rng.choice(starts))
                return a, a + (nights - 1) * MINUTES_PER_DAY + 360
        return -1, -1
    lo, hi = _DURATION_H[fault]
    length = int(rng.uniform(lo, hi) * 60)
    if n - 60 - length <= WARM_UP:
        return -1, -1
    a = int(rng.integers(WARM_UP, n - 60 - length))
    return a, a + length


def _place(fault: str, hosts: list[HonestPoint], rng: np.random.Generator, n: int, hod: np.ndarray, cross: bool):
    eligible = [p for p in hosts if not (fault in _GAS_ONLY and p.medium != "gas")
                and not (fault in _WATER_ONLY and p.medium != "water")]
    order = rng.permutation(len(eligible))
    eligible = sorted((eligible[i] for i in order), key=lambda p: p.faults)  # spread over the hosts
    for p in eligible:
        if p.faults >= 2:
            continue
        for _ in range(40):
            a, b = _window(fault, rng, n, hod)
            if a < 0 or not _free(p, a, b):
                continue
            p.busy.append((a, b))
            p.faults += 1
            return _inject(fault, p, a, b, rng, hod, hosts, cross)
    return None


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def _pollutants(p: HonestPoint) -> tuple[str, ...]:
    return GAS_POLLUTANTS if p.medium == "gas" else WATER_POLLUTANTS


def _set_measured(p: HonestPoint, f: str, idx, new) -> None:
    """Replace measured values; a 折算 series follows from the point's own O2 (what its DAS computes)."""
    p.values[f][idx] = new
    p.values[f][idx] = _quantise(p.values[f][idx], f)
    if f in p.zs:
        p.zs[f][idx] = _zs(p.values[f][idx], p.values["a19001"][idx])


def _set_judged(p: HonestPoint, f: str, idx, judged: np.ndarray) -> None:
    """Set the value the limit is judged on (折算 for gas, measured for water); measured follows."""
    if f in p.zs:
        o2 = p.values["a19001"][idx]
        _set_measured(p, f, idx, judged * (21.0 - o2) / (21.0 - GAS_REF_O2))
    else:
        _set_measured(p, f, idx, judged)


def _inject(fault: str, p: HonestPoint, a: int, b: int, rng: np.random.Generator, hod: np.ndarray,
            hosts: list[HonestPoint], cross: bool):
    w = slice(a, b)
    m = b - a
    detail: dict[str, Any] = {}
    pol = _pollutants(p)
    f = _pick(rng, pol)
    extra = []
    if fault == "narrow_band":
        centre = float(np.nanmean(p.values[f][w]))
        half = 0.003 * p.ranges[f][1]  # 0.6 % of range, under the §5.3 2 %
        _set_measured(p, f, w, centre + rng.uniform(-half, half, m))
        factors, detail = (f,), {"centre": round(centre, 3), "half_width": half}
    elif fault == "near_zero":
        share = float(rng.uniform(0.04, 0.1))
        _set_measured(p, f, w, p.values[f][w] * share)
        factors, detail = (f,), {"share_of_true": round(share, 3)}
    elif fault == "factor_gap":
        p.values[f][w] = np.nan
        if f in p.zs:
            p.zs[f][w] = np.nan
        factors = (f,)
    elif fault == "capped_peaks":
        limits = {**p.day_limits, **p.hour_limits}
        # the pollutant whose own level is closest to its limit: the one a plant would have to hide
        f = max((x for x in pol if x in limits),
                key=lambda x: float(np.nanmean(p.zs.get(x, p.values[x])[w])) / limits[x])
        limit = limits[f]
        judged = p.zs[f][w] if f in p.zs else p.values[f][w]
        true = judged / np.nanmean(judged) * limit * rng.uniform(0.95, 1.1)  # the true level around the limit
        cap = limit * float(rng.uniform(0.95, 0.99))
        reported = np.where(true > cap, cap * (1 - 0.004 * np.abs(rng.standard_normal(m))), true)
        _set_judged(p, f, w, reported)
        factors, detail = (f,), {"limit": limit, "cap": round(cap, 3),
                                 "capped_share": round(float(np.mean(true > cap)), 3)}
    elif fault == "night_discharge":
        night = np.zeros(len(p.load), dtype=bool)
        night[w] = (hod[w] >= 23) | (hod[w] < 5)
        scale = float(rng.uniform(1.4, 1.8))
        for g in ("w01018", "w21003"):
            _set_measured(p, g, night, p.values[g][night] * scale)
        p.values["w00000"][night] = _quantise(p.values["w00000"][night] * 1.3, "w00000")
        factors, detail = ("w01018", "w21003", "w00000"), {"night_hours": "23:00-05:00 local", "scale": round(scale, 2)}
    elif fault == "clone":
        if cross:
            sources = [q for q in hosts if q.medium == p.medium and q.point != p.point and q.running[w].all()]
            src_point = sources[int(rng.integers(len(sources)))] if sources else p
        else:
            src_point = p
        src = f if src_point is not p else _pick(rng, [x for x in pol if x != f])
        x = src_point.values[src][w]
        y = p.values[f][w]
        gain = float(np.nanstd(y) / (np.nanstd(x) or 1.0))
        _set_measured(p, f, w, np.nanmean(y) + gain * (x - np.nanmean(x)))
        factors = (f,) if src_point is not p else (f, src)
        detail = {"source_point": src_point.point, "source_factor": src, "gain": round(gain, 4)}
        if src_point is not p:
            extra.append(("clone_source", src_point, (src,), a, b, {"copied_to": p.point, "factor": f}))
    elif fault == "constant":
        stuck = float(p.values[f][a - 1])
        _set_measured(p, f, w, stuck)
        factors, detail = (f,), {"value": stuck}
    elif fault == "zero_running":
        _set_measured(p, f, w, 0.0)
        factors = (f,)
    elif fault == "o2_stopped":
        p.values["a19001"][w] = _quantise(rng.uniform(20.6, 20.9, m), "a19001")
        for g in GAS_POLLUTANTS:
            p.zs[g][w] = np.nan
        factors = ("a19001",)
    elif fault == "false_stop_mark":
        p.marks.append(("", "stopped", a, b))
        factors, detail = ("*",), {"mark": "stopped"}
    elif fault == "step_flat":
        ratio = float(rng.choice([0.5, 1.7]))
        level = float(np.nanmean(p.values[f][a - 60:a])) * ratio
        _set_measured(p, f, w, level * (1 + 0.002 * rng.standard_normal(m)))
        factors, detail = (f,), {"ratio": ratio, "level": round(level, 3)}
    else:  # pragma: no cover - FRAUD_CLASSES guards the names
        raise ValueError(f"unknown fraud class {fault!r}")
    return [(fault, p, factors, a, b, detail), *extra]


# --------------------------------------------------------------------------- writing


def _atomic(path: Path, write: Callable[[Any], Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def labels_of(hs: HonestSet, *, fraud_only: bool = True) -> list[Label]:
    """The set's labels; ``fraud_only`` drops context labels (:data:`CONTEXT_CLASSES`)."""
    return [lb for lb in hs.labels if not (fraud_only and lb.fault in CONTEXT_CLASSES)]

