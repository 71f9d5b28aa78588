"""A labelled synthetic CEMS data set: realistic hourly data with faults injected at seeded places.

The base data come from the demo fleet (:func:`ecosentry.subsystems.monitoring.simulate.fleet.demo_fleet`: real limits, analyser
ranges, duct areas) and the deterministic signal profiles (:mod:`ecosentry.subsystems.monitoring.simulate.profiles`): each
hourly value is the mean of the 60 one-minute samples of the hour (HJ 212-2017 Appendix D.2 eq. (24)),
so the data are minute data aggregated to hours, as the platform stores them. Flue-gas pollutants carry
their 折算 values (``zs_value``; the hourly limit applies to them, reference notes §4.1).

Baseline: a compliant plant. Pollutant series whose clean maximum would exceed 70 % of the limit are
scaled down to that level (the profiles' plausible ranges are not tied to a standard), so every
exceedance in the set is an injected one (ours).

Faults (:data:`FAULT_CLASSES`): each injection writes one :class:`Label` naming the fault class, the
detector *family* it should trigger (:data:`ecosentry.subsystems.monitoring.detect.registry.FAMILY_KEYWORDS`), the families
that may legitimately fire as well (``also``: a stuck value of 0 is also a constant value), the point,
factors and the time span ``[start, end)`` (UTC). The patterns come from reference notes §5.2
(national categories: 恒值, 负值, 超量程, 突升突降后保持平稳, 贴限生产, 昼夜差异明显, 横截面积数据异常,
氧含量显示停运), §5.3 (narrow band, long gaps) and §5.4 (cross-channel clone, parameter tampering,
marks at exceedance); spikes and level shifts are the generic statistical anomalies of the NAB corpus
(anchors §6), last-digit preference the classic digit test for invented numbers.

Some points are left clean (no fault at all), so false positives on honest data show in the evaluation.
Everything is a pure function of ``(classes, seed, points, days)``.
"""

from __future__ import annotations

import csv
import json
import os
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.said import N_, Said
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.monitoring.simulate.profiles import GAS_POLLUTANTS, WATER_POLLUTANTS, PointProfile, gas_profile, water_profile

__all__ = [
    "FAULT_CLASSES",
    "FAULT_FAMILY",
    "FAULT_ALSO",
    "Label",
    "SyntheticPoint",
    "LabelledSet",
    "parse_classes",
    "generate",
    "write_set",
    "read_labels",
    "FILES",
]

#: Fault class → detector family it must trigger (see :mod:`ecosentry.subsystems.monitoring.detect.registry`).
FAULT_FAMILY: dict[str, str] = {
    "constant": "constant",            # 恒值: same value ≥ 4 h (§5.2)
    "negative": "negative",            # 负值 (§5.2)
    "over_range": "over_range",        # 超量程 (§5.2)
    "zero_running": "zero_running",    # 0 while flow and O2 say running (§5.4, §5.6)
    "o2_stopped": "o2_stopped",        # O2 ≥ 19 % while flow/temperature run (§5.2 rule 16)
    "gap": "missing",                  # hours without data (§5.2 rule 1)
    "silent_tail": "missing",          # the point falls silent until the end of the window (§5.2, §5.3)
    "no_data": "no_data",              # a registered point without any data (§5.2 联网异常)
    "false_stop_mark": "data_while_stopped",  # 停运 mark while production goes on (§5.2 rule 13)
    "step_flat": "step_flat",          # 突升突降后保持平稳 (§5.2 rule 11)
    "limit_hugging": "limit_hugging",  # 贴限生产 (§5.2 rule 12, §5.4)
    "clone": "clone",                  # temperature wired into particulate (§5.4)
    "night_discharge": "day_night",    # 昼夜差异明显 (§5.2 rule 14)
    "narrow_band": "narrow_band",      # long-run variation < 2 % of range (§5.3)
    "half_month_flat": "half_month_range",  # half-month range of hourly means < 5 % (§5.2 恒值)
    "param_drift": "param_drift",      # reported area / K_v differs from registered (§5.2 rule 15, §5.4)
    "spike": "statistical",            # isolated spikes (NAB-style anomaly)
    "level_shift": "statistical",      # sudden lasting level change
    "last_digit": "last_digit",        # terminal-digit preference (invented numbers)
    "marks_exceedance": "marks_exceedance",  # maintenance mark over an exceedance (§5.4 false marking)
}

#: Families that may fire on the same fault without being false positives (they describe it too).
FAULT_ALSO: dict[str, tuple[str, ...]] = {
    "constant": ("narrow_band", "half_month_range", "statistical", "step_flat"),
    "negative": ("statistical", "constant", "zero_running"),
    "over_range": ("statistical", "step_flat"),
    "zero_running": ("constant", "narrow_band", "statistical", "step_flat", "half_month_range"),
    "o2_stopped": ("statistical", "constant", "step_flat", "over_range"),
    "gap": (),
    "silent_tail": (),
    "no_data": ("missing",),
    "false_stop_mark": (),
    "step_flat": ("narrow_band", "statistical", "constant", "half_month_range"),
    "limit_hugging": ("narrow_band", "statistical", "half_month_range", "step_flat"),
    "clone": ("statistical", "day_night"),
    "night_discharge": ("statistical",),
    "narrow_band": ("constant", "half_month_range", "statistical", "step_flat"),
    "half_month_flat": ("narrow_band", "constant", "statistical", "step_flat", "last_digit"),
    "param_drift": ("statistical", "step_flat"),
    "spike": ("over_range",),
    "level_shift": ("step_flat",),
    "last_digit": (),
    "marks_exceedance": ("statistical", "step_flat"),
}

#: Every fault class, in a stable order.
FAULT_CLASSES: tuple[str, ...] = tuple(FAULT_FAMILY)

#: Files written by :func:`write_set`.
FILES = {
    "data": "data.csv",
    "limits": "limits.csv",
    "ranges": "ranges.csv",
    "marks": "marks.csv",
    "parameters": "parameters.csv",
    "labels": "labels.json",
}

HOUR = timedelta(hours=1)
#: Hours at the start left clean, so that streaming detectors have a history first (about the 15 % probation
#: period NAB gives a detector on a 30-day series). [h]
WARM_UP_HOURS = 120
#: Clean hours kept between two faults of one point. [h]
FAULT_MARGIN_HOURS = 24
#: Share of the pollutant limit the clean baseline stays below (a compliant plant, ours).
BASELINE_LIMIT_SHARE = 0.7
#: Registered velocity-field coefficient K_v of every gas point (HJ 75-2017 velocity calibration). [-]
REGISTERED_KV = 1.0


@dataclass(frozen=True)
class Label:
    """One injected fault.

    Attributes
    ----------
    id : int
    fault : str
        Fault class (:data:`FAULT_CLASSES`).
    family : str
        Detector family that must fire.
    also : tuple of str
        Families that may fire as well.
    codes : tuple of str
        Registered codes of ``family`` when the set was written (informative; matching is by family).
    point : str
    factors : tuple of str
        Factors touched; ``"*"`` = the whole point.
    start, end : datetime
        ``[start, end)``, aware UTC.
    detail : dict
        What was done (values, scale ...), for a human reader.
    """

    id: int
    fault: str
    family: str
    also: tuple[str, ...]
    point: str
    factors: tuple[str, ...]
    start: datetime
    end: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    codes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = _iso(self.start)
        d["end"] = _iso(self.end)
        d["also"] = list(self.also)
        d["factors"] = list(self.factors)
        d["codes"] = list(self.codes)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Label":
        return cls(
            id=int(d["id"]), fault=d["fault"], family=d["family"], also=tuple(d.get("also", ())),
            point=d["point"], factors=tuple(d["factors"]), start=_parse_iso(d["start"]), end=_parse_iso(d["end"]),
            detail=dict(d.get("detail", {})), codes=tuple(d.get("codes", ())),
        )


@dataclass
class SyntheticPoint:
    """Hourly data of one point, with its master data.

    ``values``/``zs`` hold one array per factor over :attr:`LabelledSet.times`; ``NaN`` = no record
    (the row is not written).
    """

    point: str
    medium: str
    ref_o2: float | None
    duct_area: float | None
    values: dict[str, np.ndarray]
    zs: dict[str, np.ndarray]
    hour_limits: dict[str, float]
    day_limits: dict[str, float]
    ranges: dict[str, tuple[float, float]]
    registered: list[tuple[str, str, float]] = field(default_factory=list)
    reported: list[tuple[datetime, str, str, float]] = field(default_factory=list)
    marks: list[tuple[str, str, datetime, datetime]] = field(default_factory=list)
    flags: dict[str, dict[int, str]] = field(default_factory=dict)
    busy: list[tuple[int, int]] = field(default_factory=list)
    faults: int = 0


@dataclass
class LabelledSet:
    """The whole synthetic set: hourly instants (UTC), points and labels."""

    seed: int
    tz: str
    times: list[datetime]
    points: list[SyntheticPoint]
    labels: list[Label]
    clean_points: list[str]

    @property
    def start(self) -> datetime:
        return self.times[0]

    @property
    def end(self) -> datetime:
        return self.times[-1] + HOUR


# --------------------------------------------------------------------------- public API


def parse_classes(text: str) -> list[str]:
    """``"all"`` or a comma-separated list of :data:`FAULT_CLASSES` → list.

    Raises
    ------
    ValueError
        Naming the unknown classes and the known ones.
    """
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not names or names == ["all"]:
        return list(FAULT_CLASSES)
    unknown = [n for n in names if n not in FAULT_FAMILY]
    if unknown:
        raise Said(N_("unknown fault class(es) %(classes)s; known: all, %(known)s"), classes=", ".join(unknown),
                   known=", ".join(FAULT_CLASSES))
    return list(dict.fromkeys(names))


def generate(
    classes: Sequence[str] = FAULT_CLASSES,
    *,
    seed: int = 1,
    points: int = 24,
    days: int = 30,
    per_class: int = 2,
    clean: int = 4,
    tz: str = "Asia/Shanghai",
    start: datetime | None = None,
    on_point: Callable[[], None] | None = None,
) -> LabelledSet:
    """Generate the labelled set.

    Parameters
    ----------
    classes : sequence of str
        Fault classes to inject (:data:`FAULT_CLASSES`).
    seed : int
        Seeds the fleet, the placement and the fault parameters.
    points : int, default 24
        Monitoring points (half flue gas, half wastewater, as :func:`demo_fleet`).
    days : int, default 30
        Length of the hourly series. [d]
    per_class : int, default 2
        Injections of each class (on different points where possible).
    clean : int, default 4
        Points left without any fault.
    tz : str
        Zone of the points (the window starts at local midnight).
    start : datetime or None
        First hour; default 2026-10-01 00:00 local.
    on_point : callable or None
        Called after each point's base data is generated (progress).

    Raises
    ------
    ValueError
        Unknown class, fewer than 2 points, fewer than 10 days, or no point can host a class.
    """
    classes = parse_classes(",".join(classes)) if classes else list(FAULT_CLASSES)
    if points < 2:
        raise ValueError("need at least 2 points")
    if days < 10:
        raise ValueError("need at least 10 days")
    zone = ZoneInfo(tz)
    t0 = (start or datetime(2026, 10, 1, tzinfo=zone)).astimezone(timezone.utc)
    times = [t0 + i * HOUR for i in range(days * 24)]
    fleet = demo_fleet(points, seed=seed)
    synthetic = []
    for entry in _fleet_points(fleet):
        synthetic.append(_base_point(entry, times, tz))
        if on_point is not None:
            on_point()
    rng = random.Random(f"inject|{seed}")
    n_clean = min(clean, max(0, len(synthetic) - 2))
    clean_points = sorted(p.point for p in rng.sample(synthetic, n_clean))
    labels: list[Label] = []
    hosts = [p for p in synthetic if p.point not in clean_points]
    tasks = [c for c in classes for _ in range(per_class)]
    rng.shuffle(tasks)
    # Place tail faults (they need the end of the window) and long ones first, so that they fit.
    tasks.sort(key=lambda c: 0 if c == "no_data" else 1 if c in _TAIL else 2 if c in _LONG else 3)
    local = [t.astimezone(zone) for t in times]
    local_hours = np.array([t.hour for t in local])
    # local calendar half-months start on the 1st and the 16th at 00:00 (national 恒值 windows)
    half_months = {i for i, t in enumerate(local) if t.hour == 0 and t.day in (1, 16)}
    for fault in tasks:
        label = _place(fault, hosts, times, local_hours, half_months, rng, len(labels) + 1)
        if label is None:
            raise Said(N_("no point can host fault class %(fault)r (try more points or days)"), fault=fault)
        labels.append(label)
    _baseline_parameter_reports(synthetic, times)
    labels.sort(key=lambda lb: (lb.point, lb.start, lb.fault))
    labels = [Label(**{**asdict(lb), "id": i + 1}) for i, lb in enumerate(labels)]
    return LabelledSet(seed=seed, tz=tz, times=times, points=synthetic, labels=labels, clean_points=clean_points)


def write_set(
    ls: LabelledSet, out_dir: Path, *, codes_of: Callable[[str], Sequence[str]] | None = None
) -> dict[str, Path]:
    """Write the set as the files ``ecosentry detect`` reads, plus ``labels.json``.

    Parameters
    ----------
    ls : LabelledSet
    out_dir : Path
        Created if missing. Files: :data:`FILES`.
    codes_of : callable or None
        Family → registered codes, to fill :attr:`Label.codes` (informative).

    Returns
    -------
    dict
        Role → path written. Each file is written to a temporary name and renamed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {role: out_dir / name for role, name in FILES.items()}
    _atomic_csv(paths["data"], ("point", "factor", "time", "value", "flag", "zs_value"), _data_rows(ls))
    _atomic_csv(paths["limits"], ("point", "factor", "kind", "limit"), (
        row for p in ls.points for row in
        [(p.point, f, "hour", _num(v)) for f, v in sorted(p.hour_limits.items())]
        + [(p.point, f, "day", _num(v)) for f, v in sorted(p.day_limits.items())]
    ))
    _atomic_csv(paths["ranges"], ("point", "factor", "low", "high"), (
        (p.point, f, _num(lo), _num(hi)) for p in ls.points for f, (lo, hi) in sorted(p.ranges.items())
    ))
    _atomic_csv(paths["marks"], ("point", "factor", "type", "start", "end"), (
        (p.point, factor, kind, _iso(a), _iso(b)) for p in ls.points for factor, kind, a, b in sorted(
            p.marks, key=lambda m: m[2])
    ))
    _atomic_csv(paths["parameters"], ("point", "factor", "name", "value", "time"), (
        row for p in ls.points for row in
        [(p.point, f, name, _num(v), "") for f, name, v in p.registered]
        + [(p.point, f, name, _num(v), _iso(t)) for t, f, name, v in p.reported]
    ))
    labels = [
        Label(**{**asdict(lb), "codes": tuple(codes_of(lb.family)) if codes_of else lb.codes}) for lb in ls.labels
    ]
    doc = {
        "seed": ls.seed,
        "tz": ls.tz,
        "start": _iso(ls.start),
        "end": _iso(ls.end),
        "resolution": "hour (mean of 60 one-minute samples)",
        "points": [{"point": p.point, "medium": p.medium, "clean": p.point in ls.clean_points} for p in ls.points],
        "clean_points": ls.clean_points,
        "labels": [lb.to_json() for lb in labels],
    }
    _atomic_text(paths["labels"], json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return paths


def read_labels(path: Path) -> tuple[list[Label], dict[str, Any]]:
    """``labels.json`` → labels and the document (seed, points, clean points ...)."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Label.from_json(d) for d in doc["labels"]], doc


# --------------------------------------------------------------------------- base data


def _fleet_points(fleet: dict) -> Iterable[dict]:
    for enterprise in fleet["enterprises"]:
        for outlet in enterprise["outlets"]:
            for point in outlet["points"]:
                yield {"outlet": outlet, **point}


def _base_point(entry: dict, times: list[datetime], tz: str) -> SyntheticPoint:
    outlet = entry["outlet"]
    medium = outlet["medium"]
    mn = entry["mn"]
    profile: PointProfile
    if medium == "gas":
        profile = gas_profile(mn, ref_o2=outlet["ref_o2"], duct_area=outlet["duct_area"], tz=tz)
    else:
        profile = water_profile(mn, tz=tz)
    values, zs = _hourly_means(profile, times)
    hour_limits: dict[str, float] = {}
    day_limits: dict[str, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for f in entry["factors"]:
        lo, hi = f["range"]
        ranges[f["code"]] = (float(lo), float(hi))
        for lim in f["limits"]:
            if f["code"] not in (*GAS_POLLUTANTS, *WATER_POLLUTANTS):
                continue  # pH has a lower and an upper bound; limits.csv carries upper limits only
            (hour_limits if lim["kind"] == "hour" else day_limits)[f["code"]] = float(lim["upper"])
    for code, limit in {**hour_limits, **day_limits}.items():
        judged = zs.get(code, values[code])
        peak = float(np.max(judged))
        if peak > BASELINE_LIMIT_SHARE * limit:
            scale = BASELINE_LIMIT_SHARE * limit / peak
            values[code] *= scale
            if code in zs:
                zs[code] *= scale
    sp = SyntheticPoint(
        point=mn, medium=medium, ref_o2=outlet["ref_o2"], duct_area=outlet["duct_area"], values=values, zs=zs,
        hour_limits=hour_limits, day_limits=day_limits, ranges=ranges,
    )
    if medium == "gas":
        sp.registered = [("*", "area", float(outlet["duct_area"])), ("a01011", "kv", REGISTERED_KV)]
    return sp


def _hourly_means(profile: PointProfile, times: list[datetime]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Hourly means of the one-minute samples of every channel (and of the 折算 values).

    Same numbers as ``profile.aggregate(t, 3600, 60)`` hour by hour (mean of 60 samples, HJ 212-2017
    Appendix D.2 eq. (24)), evaluated in one vectorised call of the profile for the whole window.
    """
    epoch0, offset = profile._epoch_and_offset(times[0])  # no DST in China or Vietnam: one offset
    minutes = epoch0 + 60.0 * np.arange(len(times) * 60, dtype=float)
    x, zs = profile._evaluate(minutes, offset)
    hourly = x.reshape(len(times), 60, x.shape[1]).mean(axis=1)
    values = {code: hourly[:, j].copy() for j, code in enumerate(profile.codes)}
    zs_hourly: dict[str, np.ndarray] = {}
    if zs is not None:
        zh = zs.reshape(len(times), 60, zs.shape[1]).mean(axis=1)
        zs_hourly = {code: zh[:, j].copy() for j, code in enumerate(GAS_POLLUTANTS)}
    return values, zs_hourly


def _baseline_parameter_reports(points: list[SyntheticPoint], times: list[datetime]) -> None:
    """Every gas point reports its parameters on the first day (equal to the registered ones) unless a
    drift was injected: an honest report is part of the clean baseline."""
    for p in points:
        if p.medium != "gas":
            continue
        first = times[0] + 2 * HOUR
        p.reported.insert(0, (first, "a01011", "kv", REGISTERED_KV))
        p.reported.insert(0, (first, "*", "area", float(p.duct_area)))
        p.reported.sort(key=lambda r: r[0])


# --------------------------------------------------------------------------- placement

_GAS_ONLY = {"o2_stopped", "clone", "param_drift", "marks_exceedance"}
_TAIL = {"silent_tail", "param_drift", "half_month_flat"}
_LONG = {"half_month_flat", "marks_exceedance", "limit_hugging", "night_discharge", "narrow_band", "last_digit",
         "clone", "level_shift"}


def _duration(fault: str, rng: random.Random) -> int:
    """Length of the fault [h] (``-1`` = until the end of the window)."""
    return {
        "constant": rng.randint(6, 10),
        "negative": rng.randint(2, 4),
        "over_range": rng.randint(2, 3),
        "zero_running": rng.randint(5, 8),
        "o2_stopped": rng.randint(4, 8),
        "gap": rng.randint(12, 36),
        "silent_tail": -1,
        "no_data": -2,
        "false_stop_mark": rng.randint(6, 12),
        "step_flat": rng.randint(10, 16),
        "limit_hugging": 24 * rng.randint(14, 18),
        "clone": 24 * rng.randint(2, 3),
        "night_discharge": 24 * rng.randint(12, 15),
        "narrow_band": 24 * rng.randint(4, 6),
        "half_month_flat": -3,
        "param_drift": -1,
        "spike": 1,
        "level_shift": 72,
        "last_digit": 24 * rng.randint(6, 8),
        "marks_exceedance": 24 * rng.randint(8, 10),
    }[fault]


def _place(
    fault: str, hosts: list[SyntheticPoint], times: list[datetime], local_hours: np.ndarray,
    half_months: set[int], rng: random.Random, label_id: int,
) -> Label | None:
    n = len(times)
    eligible = [p for p in hosts if fault not in _GAS_ONLY or p.medium == "gas"]
    if fault == "limit_hugging":
        eligible = [p for p in eligible if p.hour_limits or p.day_limits]
    rng.shuffle(eligible)
    eligible.sort(key=lambda p: p.faults)
    for p in eligible:
        length = _duration(fault, rng)
        for _ in range(40):
            if length == -3:  # a local calendar half-month (1st or 16th, 00:00), at least 10 days of it
                starts = [i for i in range(WARM_UP_HOURS, n - 240) if i in half_months]
                if not starts:
                    break
                a = rng.choice(starts)
                b = min([i for i in half_months if i > a] + [n])
                if b - a < 240:
                    continue
            elif length == -2:  # the whole window, on a point without any other fault
                if p.busy:
                    break
                a, b = 0, n
            elif length < 0:  # tail faults: from somewhere in the last third to the end
                a = rng.randint(n - n // 3, n - 36)
                b = n
            else:
                if n - length - 1 <= WARM_UP_HOURS:
                    break
                a = rng.randint(WARM_UP_HOURS, n - length - 1)
                b = a + length
            if all(b + FAULT_MARGIN_HOURS <= s or a >= e + FAULT_MARGIN_HOURS for s, e in p.busy):
                label = _inject(fault, p, a, b, times, local_hours, rng, label_id)
                p.busy.append((a, b))
                p.faults += 1
                return label
    return None


# --------------------------------------------------------------------------- injections


def _pollutants(p: SyntheticPoint) -> list[str]:
    return [c for c in (GAS_POLLUTANTS if p.medium == "gas" else WATER_POLLUTANTS) if c in p.values]


def _set(p: SyntheticPoint, factor: str, idx: slice | np.ndarray, new: np.ndarray | float) -> None:
    """Replace values of ``factor``; a 折算 series follows with the hour's zs/value ratio (same O2)."""
    old = p.values[factor][idx].copy()
    p.values[factor][idx] = new
    if factor in p.zs:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(old != 0, p.zs[factor][idx] / old, 1.0)
        p.zs[factor][idx] = p.values[factor][idx] * ratio


def _marked_exceedances(
    p: SyntheticPoint, factor: str, limit: float, a: int, b: int, times: list[datetime], rng: random.Random,
) -> list[dict[str, Any]]:
    """Repeated evasion episodes (reference notes §5.4; anchors §6.1, Wang et al. 2022): the 折算 value
    climbs over 3 h towards the limit, then a maintenance/fault/calibration mark covers the 2–4 hours in
    which it exceeds the limit (those hours carry flag M, so they are not judged)."""
    days = sorted(rng.sample(range((b - a) // 24), 4))
    episodes = []
    for d in days:
        h = a + 24 * d + rng.randint(5, 16)  # the hour the mark begins
        length = rng.randint(2, 4)
        ramp = np.array([0.9, 0.97, 1.02]) * limit
        over = np.array([limit * rng.uniform(1.2, 1.5) for _ in range(length)])
        _set_level(p, factor, slice(h - 3, h), ramp)
        _set_level(p, factor, slice(h, h + length), over)
        for i in range(h, h + length):
            p.flags.setdefault(factor, {})[i] = "M"
        kind = rng.choice(("maintenance", "fault", "calibration"))
        p.marks.append((factor, kind, times[h], times[h + length - 1] + HOUR))
        episodes.append({"mark": kind, "start": _iso(times[h]), "hours": length})
    return episodes


def _set_level(p: SyntheticPoint, factor: str, idx: slice, judged: np.ndarray) -> None:
    """Set the values the limit is judged on (折算 for gas, else measured); measured values follow."""
    if factor in p.zs:
        ratio = p.zs[factor][idx] / p.values[factor][idx]
        p.zs[factor][idx] = judged
        p.values[factor][idx] = judged / ratio
    else:
        p.values[factor][idx] = judged


def _inject(
    fault: str, p: SyntheticPoint, a: int, b: int, times: list[datetime], local_hours: np.ndarray,
    rng: random.Random, label_id: int,
) -> Label:
    window = slice(a, b)
    factors: tuple[str, ...]
    detail: dict[str, Any] = {}
    pollutant = rng.choice(_pollutants(p))
    end_time = times[b - 1] + HOUR if b <= len(times) else times[-1] + HOUR

    if fault == "constant":
        factor = rng.choice(_pollutants(p) + (["a01011", "a19001"] if p.medium == "gas" else ["w00000"]))
        stuck = round(float(p.values[factor][a - 1]), 3)
        _set(p, factor, window, stuck)
        factors, detail = (factor,), {"value": stuck}
    elif fault == "negative":
        new = -np.round(np.array([rng.uniform(0.2, 2.0) for _ in range(b - a)]), 3)
        _set(p, pollutant, window, new)
        factors, detail = (pollutant,), {"values": new.tolist()}
    elif fault == "over_range":
        high = p.ranges[pollutant][1]
        new = np.array([high * rng.uniform(1.05, 1.3) for _ in range(b - a)])
        _set(p, pollutant, window, new)
        factors, detail = (pollutant,), {"range_high": high, "max": float(new.max())}
    elif fault == "zero_running":
        _set(p, pollutant, window, 0.0)
        factors = (pollutant,)
    elif fault == "o2_stopped":
        new = np.array([rng.uniform(20.3, 20.9) for _ in range(b - a)])
        p.values["a19001"][window] = new  # flow, temperature and moisture keep running
        factors, detail = ("a19001",), {"o2_pct": [round(x, 2) for x in new]}
    elif fault in ("gap", "silent_tail", "no_data"):
        for arr in (*p.values.values(), *p.zs.values()):
            arr[window] = np.nan
        factors = ("*",)
    elif fault == "false_stop_mark":
        # The enterprise files a 停运 (stopped) mark for the whole point; flow, O2 and concentrations go on.
        p.marks.append(("", "stopped", times[a], end_time))
        factors, detail = ("*",), {"mark": "stopped"}
    elif fault == "step_flat":
        ratio = rng.choice((1.6, 1.8, 0.45))
        level = float(p.values[pollutant][a - 1]) * ratio
        noise = np.array([rng.gauss(0.0, 0.0015) for _ in range(b - a)])
        _set(p, pollutant, window, level * (1.0 + noise))
        factors, detail = (pollutant,), {"ratio": ratio, "level": round(level, 3)}
    elif fault == "limit_hugging":
        factor = rng.choice(sorted({*p.hour_limits, *p.day_limits}))
        limit = p.hour_limits.get(factor, p.day_limits.get(factor))
        target = np.array([limit * rng.uniform(0.92, 0.995) for _ in range(b - a)])
        if factor in p.zs:  # the limit applies to 折算 values: choose them, measured values follow
            ratio = p.zs[factor][window] / p.values[factor][window]
            p.zs[factor][window] = target
            p.values[factor][window] = target / ratio
        else:
            p.values[factor][window] = target
        factors, detail = (factor,), {"limit": limit, "share": [0.92, 0.995]}
    elif fault == "clone":
        temp = p.values["a01012"][window]
        dust = p.values["a34013"][window]
        z = (temp - temp.mean()) / (temp.std() or 1.0)
        _set(p, "a34013", window, dust.mean() + z * dust.std())
        factors = ("a34013", "a01012")
    elif fault == "night_discharge":
        factor = pollutant
        night = np.zeros(len(times), dtype=bool)
        night[window] = (local_hours[window] >= 22) | (local_hours[window] < 6)
        scale = rng.uniform(2.5, 3.5)  # treatment switched off at night: several times the day level
        _set(p, factor, night, p.values[factor][night] * scale)
        factors, detail = (factor,), {"night_hours": "22:00-06:00 local", "scale": round(scale, 2)}
    elif fault == "narrow_band":
        high = p.ranges[pollutant][1]
        centre = float(np.mean(p.values[pollutant][window]))
        half_width = 0.004 * high  # variation 0.8 % of range, under the 2 % of the checklist (§5.3)
        new = centre + np.array([rng.uniform(-half_width, half_width) for _ in range(b - a)])
        _set(p, pollutant, window, new)
        factors, detail = (pollutant,), {"centre": round(centre, 3), "half_width": half_width}
    elif fault == "half_month_flat":
        # Hourly means within ±2 % of their mean over a calendar half-month: range 4 % of the mean, under
        # the 5 % of 恒值 (national windows are local calendar half-months, detect.national).
        centre = float(np.nanmean(p.values[pollutant][window]))
        new = centre * (1.0 + np.array([rng.uniform(-0.02, 0.02) for _ in range(b - a)]))
        _set(p, pollutant, window, new)
        factors, detail = (pollutant,), {"centre": round(centre, 3), "relative_half_width": 0.02}
    elif fault == "param_drift":
        t = times[a]
        if rng.random() < 0.5:
            scale = rng.choice((0.7, 0.75, 0.8))
            p.reported.append((t, "*", "area", round(p.duct_area * scale, 3)))
            p.values["a00000"][window] *= scale
            factors, detail = ("a01016", "a00000", "*"), {"name": "area", "registered": p.duct_area,
                                                            "reported": round(p.duct_area * scale, 3)}
        else:
            scale = rng.choice((0.8, 0.85))
            p.reported.append((t, "a01011", "kv", REGISTERED_KV * scale))
            p.values["a01011"][window] *= scale
            p.values["a00000"][window] *= scale
            factors, detail = ("a01011", "a00000"), {"name": "kv", "registered": REGISTERED_KV,
                                                     "reported": REGISTERED_KV * scale}
    elif fault == "spike":
        series = p.values[pollutant]
        high = p.ranges[pollutant][1]
        peak = min(float(np.nanmedian(series)) + 10.0 * float(np.nanstd(series)) + 0.1 * high, 0.9 * high)
        _set(p, pollutant, window, peak)
        factors, detail = (pollutant,), {"value": round(peak, 3)}
    elif fault == "level_shift":
        ratio = rng.choice((1.5, 1.7, 0.5))
        _set(p, pollutant, window, p.values[pollutant][window] * ratio)
        factors, detail = (pollutant,), {"ratio": ratio}
    elif fault == "last_digit":
        # Invented numbers: the last written decimal (0.001) is 0 or 5 only.
        _set(p, pollutant, window, np.round(p.values[pollutant][window] / 0.005) * 0.005)
        factors, detail = (pollutant,), {"last_digits": [0, 5], "resolution": 0.001}
    elif fault == "marks_exceedance":
        factor = rng.choice(sorted(p.hour_limits))
        limit = p.hour_limits[factor]
        episodes = _marked_exceedances(p, factor, limit, a, b, times, rng)
        factors, detail = (factor,), {"limit": limit, "episodes": episodes}
    else:  # pragma: no cover - parse_classes guards the names
        raise ValueError(f"unknown fault class {fault!r}")

    return Label(
        id=label_id, fault=fault, family=FAULT_FAMILY[fault], also=FAULT_ALSO[fault], point=p.point,
        factors=factors, start=times[a], end=end_time, detail=detail,
    )


# --------------------------------------------------------------------------- writing


def _data_rows(ls: LabelledSet) -> Iterable[tuple[str, ...]]:
    stamps = [_iso(t) for t in ls.times]
    for p in ls.points:
        for factor in sorted(p.values):
            values = p.values[factor]
            zs = p.zs.get(factor)
            flags = p.flags.get(factor, {})
            for i, stamp in enumerate(stamps):
                v = values[i]
                if not np.isfinite(v):
                    continue
                z = "" if zs is None or not np.isfinite(zs[i]) else f"{zs[i]:.3f}"
                yield (p.point, factor, stamp, f"{v:.3f}", flags.get(i, "N"), z)


def _atomic_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _num(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else repr(float(x))


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
