"""What every detector reads and writes: series in, findings out (pure; no DB, clock or network).

A detector is a function ``detect_x(data: PointData, cfg: DetectorSettings) -> list[Finding]``. The
pipeline, the ``ecosentry detect`` CLI and the benchmarks build :class:`PointData` from their own sources
(observations and hourly values, a long CSV, a NAB series) and call the same functions.

Series hold UTC instants as ``numpy.datetime64[s]`` and values as ``float64`` (``NaN`` = a received record
without a value). Flags are HJ 212-2017 §6.6.4 data flags (``N`` normal, ``F`` stopped, ``M`` maintenance,
``S`` manual, ``D`` fault, ``C`` calibration, ``T`` over range, ``B`` communication fault), ``None`` when the
source has none (treated as ``N``).

Factor roles (which code is O2, flow, velocity ...) follow HJ 212-2017 Appendix B; see :data:`ROLE_CODES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

import numpy as np

from ecosentry.contracts.catalogue import KINDS, FindingKind, kind_of

__all__ = [
    "Severity",
    "FindingKind",
    "KINDS",
    "Finding",
    "Series",
    "Mark",
    "PointData",
    "ROLE_CODES",
    "role_of",
    "is_concentration",
    "to_datetime",
    "valid_mask",
    "running_mask",
    "hour_floor",
    "runs",
    "VALID_FLAGS",
    "resolution_decimals",
    "resolution_step",
    "to_datetime64",
    "DetectorSpec",
    "DETECTORS",
    "detector",
]

Severity = Literal["info", "warning", "critical"]

#: HJ 212-2017 Appendix B codes by role. Flue gas: O2, velocity, temperature, moisture, working flow;
#: wastewater: flow. Concentration factors are every other ``a2xxxx``/``a3xxxx``/``w``-pollutant code.
ROLE_CODES: dict[str, frozenset[str]] = {
    "o2": frozenset({"a19001"}),
    "velocity": frozenset({"a01011"}),
    "temperature": frozenset({"a01012"}),
    "moisture": frozenset({"a01014"}),
    "pressure": frozenset({"a01013", "a01017"}),
    "flow": frozenset({"a00000", "w00000"}),
    "area": frozenset({"a01016"}),
    "ph": frozenset({"w01001"}),
}

#: :data:`ROLE_CODES` in the order :meth:`PointData.by_role` tries them (sorted once).
_SORTED_ROLE_CODES: dict[str, tuple[str, ...]] = {role: tuple(sorted(codes)) for role, codes in ROLE_CODES.items()}

_PARAMETER_CODES = frozenset().union(*ROLE_CODES.values()) | {"a01015", "a01901", "a01902", "w01010"}


def role_of(factor: str) -> str | None:
    """``"o2"``, ``"flow"`` ... for a parameter code; ``"concentration"`` for a pollutant; else ``None``."""
    for role, codes in ROLE_CODES.items():
        if factor in codes:
            return role
    return "concentration" if is_concentration(factor) else None


def is_concentration(factor: str) -> bool:
    """True for pollutant concentration codes (not flow, O2, velocity, temperature, moisture, pressure, pH).

    Unknown free-text factor names (CSV input) count as concentrations.
    """
    return factor not in _PARAMETER_CODES


@dataclass(frozen=True)
class Series:
    """One factor of one point at one resolution.

    Attributes
    ----------
    times : numpy.ndarray
        ``datetime64[s]``, UTC, strictly increasing (interval start, as HJ 212 DataTime).
    values : numpy.ndarray
        ``float64``; ``NaN`` for a record without value.
    flags : tuple
        One flag per record, or empty (all ``N``).
    zs : numpy.ndarray or None
        折算 values where the source has them (same length), else ``None``.
    valid : numpy.ndarray or None
        For hourly series: the validity of each hour (HJ 75 §11 / reference notes §2); ``None`` = derive
        from flags.
    """

    factor: str
    times: np.ndarray
    values: np.ndarray
    flags: tuple[str | None, ...] = ()
    zs: np.ndarray | None = None
    valid: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.times)
        if len(self.values) != n or (self.flags and len(self.flags) != n):
            raise ValueError(f"series {self.factor}: times, values and flags differ in length")
        if self.zs is not None and len(self.zs) != n:
            raise ValueError(f"series {self.factor}: zs length differs")

    def __len__(self) -> int:
        return len(self.times)

    @classmethod
    def from_records(cls, factor: str, records: Iterable[tuple[datetime, float | None, str | None]],
                     **kw: Any) -> "Series":
        """Build from ``(aware datetime, value, flag)`` tuples in time order."""
        rows = list(records)
        times = np.array([to_datetime64(t) for t, _, _ in rows], dtype="datetime64[s]")
        values = np.array([np.nan if v is None else float(v) for _, v, _ in rows], dtype=np.float64)
        flags = tuple(f for _, _, f in rows) if any(f not in (None, "N") for _, _, f in rows) else ()
        return cls(factor, times, values, flags, **kw)

    def flag_array(self) -> np.ndarray:
        """Flags as an object array (``"N"`` where none); a new array each call (built once per series)."""
        if not self.flags:
            return np.full(len(self), "N", dtype=object)
        cached = self.__dict__.get("_flag_array")
        if cached is None:
            names, codes = self._coded_flags()
            table = np.empty(len(names), dtype=object)
            table[:] = names
            cached = table[codes]
            object.__setattr__(self, "_flag_array", cached)
        return cached.copy()

    def flag_mask(self, flags: str | frozenset[str]) -> np.ndarray:
        """Records whose flag (``"N"`` where none) is ``flags`` (or one of them): ``flag_array() == flags``
        (or ``numpy.isin``), tested once per distinct flag instead of once per record; read-only, kept per
        series and ``flags`` (its flags never change)."""
        masks = self.__dict__.get("_flag_masks")
        if masks is None:
            masks = {}
            object.__setattr__(self, "_flag_masks", masks)
        mask = masks.get(flags)
        if mask is None:
            names, codes = self._coded_flags()
            wanted = frozenset((flags,)) if isinstance(flags, str) else flags
            mask = np.array([name in wanted for name in names], dtype=bool)[codes]
            mask.setflags(write=False)
            masks[flags] = mask
        return mask

    def _coded_flags(self) -> tuple[list[str], np.ndarray]:
        """The distinct flags (``"N"`` where none) and each record's index among them, found once (or given
        by the reader, :func:`remember_normal_flags`)."""
        cached = self.__dict__.get("_coded")
        if cached is None:
            index: dict[str, int] = {}
            if self.flags:
                codes = np.fromiter((index.setdefault(f or "N", len(index)) for f in self.flags), dtype=np.int64,
                                    count=len(self.flags))
            else:
                index["N"] = 0
                codes = np.zeros(len(self), dtype=np.int64)
            cached = (list(index), codes)
            object.__setattr__(self, "_coded", cached)
        return cached

    def step_seconds(self) -> float:
        """Median spacing in seconds (60 for minute data, 3600 for hourly); 0 for < 2 records."""
        if len(self) < 2:
            return 0.0
        cached = self.__dict__.get("_step_seconds")  # computed once per series (its times never change)
        if cached is None:
            spacing = np.diff(self.times).astype("timedelta64[s]").astype(np.int64)
            low = spacing.min()
            # a regular clock (a logger's): every spacing is the median, without the partition
            cached = float(low) if low == spacing.max() else float(np.median(spacing))
            object.__setattr__(self, "_step_seconds", cached)
        return cached

    def resolution_decimals(self) -> int | None:
        """:func:`resolution_decimals` of the values, computed once per series (its values never change)."""
        if "_resolution_decimals" not in self.__dict__:
            object.__setattr__(self, "_resolution_decimals", resolution_decimals(self.values))
        return self.__dict__["_resolution_decimals"]

    def finite_median(self) -> float:
        """``numpy.nanmedian`` of the values, NaN when none is finite; computed once per series."""
        cached = self.__dict__.get("_finite_median")
        if cached is None:
            cached = float(np.nanmedian(self.values)) if np.isfinite(self.values).any() else np.nan
            object.__setattr__(self, "_finite_median", cached)
        return cached


@dataclass(frozen=True)
class Mark:
    """A mark (标记) as detectors see it: type from :mod:`ecosentry.subsystems.monitoring.rules.cn.marks`; factors ``None`` = all."""

    type: str
    start: datetime
    end: datetime
    factors: frozenset[str] | None = None
    mark_id: int | None = None


@dataclass
class PointData:
    """Everything the detectors may look at for one point over one window.

    Attributes
    ----------
    point : str
        MN or id as text, copied into findings.
    medium : {"gas", "water", "ambient"}
    tz : str
        IANA zone of the point (day/night detectors use local time).
    minutes : dict
        factor → minute (or real-time, or native-resolution CSV) :class:`Series`.
    hours : dict
        factor → hourly :class:`Series` (``valid`` filled when known).
    ranges : dict
        factor → (low, high) analyser range (instrument master data, point_factors).
    limits : dict
        factor → hourly limit (gas: on 折算) ; ``day_limits`` for daily limits (water).
    detection_limits : dict
        factor → the analyser's method detection limit, in the factor's unit (instrument master data,
        ``point_factors.detection_limit``; ``ecosentry detect``: the ranges CSV's ``detection_limit`` column).
    registered : dict
        instrument parameters as registered (备案): ``{"a01011": {"kv": 1.2, "range_high": 200}, "*": {"area": 3.1}}``.
    reported : list
        reported instrument parameters ``(time, factor or "*", name, value)`` (HJ 212 CN 3020 ...), for drift.
    marks : list of :class:`Mark`
    window_end : datetime or None
        End of the window looked at (for "no data since" detectors); ``None`` = last record.
    """

    point: str
    medium: str = "gas"
    tz: str = "Asia/Shanghai"
    minutes: dict[str, Series] = field(default_factory=dict)
    hours: dict[str, Series] = field(default_factory=dict)
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)
    day_limits: dict[str, float] = field(default_factory=dict)
    detection_limits: dict[str, float] = field(default_factory=dict)
    registered: dict[str, dict[str, float]] = field(default_factory=dict)
    reported: list[tuple[datetime, str, str, float]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    window_start: datetime | None = None
    window_end: datetime | None = None

    def factors(self) -> list[str]:
        return sorted(set(self.minutes) | set(self.hours))

    def by_role(self, role: str, *, hourly: bool = True) -> Series | None:
        """The first series whose factor has ``role`` (``"o2"``, ``"flow"`` ...)."""
        source = self.hours if hourly else self.minutes
        for code in _SORTED_ROLE_CODES.get(role, ()):
            if code in source:
                return source[code]
        return None


@dataclass(frozen=True)
class Finding:
    """One detector result.

    ``code`` is a stable catalogue code (``DET-...``), ``severity`` from the catalogue,
    ``explanation`` one sentence a regulator can read out; ``evidence`` the values and settings that
    triggered it (JSON-serialisable).

    ``kind`` says what the finding is (:data:`~ecosentry.contracts.catalogue.KINDS`): a falsification sign,
    a data-quality defect, a statistical anomaly or a process change; left empty it is the catalogue
    entry's kind (a code the catalogue does not know is a statistical anomaly). Only falsification signs
    may be ``critical``. ``corroborated_by`` lists the codes of other, independent findings on the same
    point and an overlapping span (:func:`ecosentry.subsystems.monitoring.detect.registry.corroborate`).
    """

    code: str
    severity: Severity
    point: str
    factors: tuple[str, ...]
    start: datetime
    end: datetime
    explanation: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    kind: FindingKind | str = ""
    corroborated_by: tuple[str, ...] = ()
    #: The first moment the data available then showed it (causal time; NAB scores it), when the detector
    #: knows it (``None``: not stated; ``end`` is then the latest it can have been).
    detected_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", kind_of(self.code) or "statistical")
        if self.kind not in KINDS:
            raise ValueError(f"finding {self.code}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.severity == "critical" and self.kind != "falsification":
            raise ValueError(f"finding {self.code}: only falsification signs may be critical, not a {self.kind}")

    @property
    def factor(self) -> str:
        return ",".join(self.factors)

    @property
    def signs(self) -> int:
        """Independent signs on this window: the finding itself and the codes that corroborate it."""
        return 1 + len(self.corroborated_by)

    def to_json(self) -> dict[str, Any]:
        """The ``ecosentry detect`` output object (times ISO 8601 UTC)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "kind": self.kind,
            "point": self.point,
            "factor": self.factor,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "explanation": self.explanation,
            "corroborated_by": list(self.corroborated_by),
            "evidence": _jsonable(self.evidence),
            "detected_at": None if self.detected_at is None else _iso(self.detected_at),
        }


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, datetime):
        return _iso(x)
    if isinstance(x, np.datetime64):
        return _iso(to_datetime(x))
    return x


def to_datetime64(t: datetime) -> np.datetime64:
    """Aware datetime → ``datetime64[s]`` UTC."""
    if t.tzinfo is None:
        raise ValueError("naive datetime: series times must be aware")
    return np.datetime64(t.astimezone(timezone.utc).replace(tzinfo=None), "s")


def to_datetime(t: np.datetime64) -> datetime:
    """``datetime64`` (UTC) → aware UTC datetime."""
    return datetime.fromtimestamp(int(t.astype("datetime64[s]").astype(np.int64)), tz=timezone.utc)


def resolution_decimals(values: np.ndarray, max_decimals: int = 4, whole_at: int | None = None) -> int | None:
    """Number of decimals ``d`` (0…``max_decimals``) at which every finite value is a whole number of 10^-d
    (the reported resolution), or ``None`` (computed means, no fixed resolution).

    Each ``d`` is first tried on a sample of the values: a sampled value that is not whole at ``d`` is a value
    that is not, so only the ``d`` the sample passes are tried on them all (the same answer, a full pass or
    two instead of one per decimal). ``whole_at``: decimals at which the values are known to be whole (they
    are some of a series' values, and that is its resolution), not tried again."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    sample = v[:: max(len(v) // 64, 1)]
    for d in np.flatnonzero(_whole(sample[None, :], np.arange(max_decimals + 1)[:, None]).all(axis=1)).tolist():
        if d == whole_at or _whole(v, d).all():
            return d
    return None


def _whole(v: np.ndarray, d: int | np.ndarray) -> np.ndarray:
    """Whether each value is a whole number of 10^-d (within 10^-6 of one, relative beyond 1)."""
    scaled = v * 10.0 ** d
    return np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))


def resolution_step(values: np.ndarray | Series) -> float:
    """The reported resolution 10^-d of :func:`resolution_decimals` (kept on a :class:`Series`), NaN if none."""
    d = values.resolution_decimals() if isinstance(values, Series) else resolution_decimals(values)
    return float("nan") if d is None else 10.0 ** -d


#: Flags whose records count as normal measurements (S is manual input: valid but visible, §0.2).
VALID_FLAGS = frozenset({"N", "S"})


def valid_mask(s: Series) -> np.ndarray:
    """Records with a value and a normal flag (``N``/``S``/none); for hourly series, ``valid`` if given.

    A new array each call, taken once per series (its values, flags and validity never change; most rules
    ask for it)."""
    kept = s.__dict__.get("_valid_mask")
    if kept is None:
        kept = np.isfinite(s.values)
        if s.valid is not None:
            kept &= s.valid.astype(bool)
        elif s.flags:
            kept &= _normal_flags(s)
        object.__setattr__(s, "_valid_mask", kept)
    return kept.copy()


def _normal_flags(s: Series) -> np.ndarray:
    """Records of ``s`` whose flag is ``N``/``S``/none, computed once per series (its flags never change)."""
    cached = s.__dict__.get("_normal_flags")
    if cached is None:
        cached = np.fromiter((not f or f in VALID_FLAGS for f in s.flags), dtype=bool, count=len(s.flags))
        cached.setflags(write=False)
        object.__setattr__(s, "_normal_flags", cached)
    return cached


def remember_normal_flags(s: Series, flag_names: Sequence[str | None], flag_code: np.ndarray) -> None:
    """Give ``s`` its :func:`valid_mask` flag part, and its coded flags (:meth:`Series.flag_mask`), from coded
    flags (``flag_names[flag_code[i]]`` is the flag of record ``i``): one test per distinct flag instead of one
    per record (a reader's columns are coded)."""
    if len(flag_code) != len(s.flags):
        raise ValueError("one flag code per record")
    normal = np.array([not f or f in VALID_FLAGS for f in flag_names], dtype=bool)
    mask = normal[flag_code] if len(flag_code) else np.zeros(0, dtype=bool)
    mask.setflags(write=False)
    object.__setattr__(s, "_normal_flags", mask)
    object.__setattr__(s, "_coded", ([f or "N" for f in flag_names], np.asarray(flag_code, dtype=np.int64)))


def running_mask(data: PointData, times: np.ndarray, cfg: Any) -> np.ndarray | None:
    """Normal production (正常生产) at each of ``times`` from hourly O2/flow/velocity, else ``None``.

    A flue-gas point runs when its flow (or velocity) is above ``cfg.running_flow_min`` fraction of its
    median and, when O2 is measured, O2 is below ``cfg.o2_stopped_pct`` (reference notes §5.6 "O2 logic",
    ours). Wastewater: flow above ``cfg.running_flow_min`` of its median. Unknown (no parameter series) →
    ``None``; callers then treat every hour as running and say so in the evidence.
    """
    flow = data.by_role("flow") or data.by_role("velocity")
    o2 = data.by_role("o2") if data.medium == "gas" else None
    if flow is None and o2 is None:
        return None
    # Asked ~60 times a point by the detectors, mostly for the same few clocks: kept on the point, keyed by
    # everything the answer depends on (the series, the times themselves and the two settings); the times
    # looked up by their length and ends, then compared (cheaper than hashing every clock asked with).
    times = np.asarray(times)
    ends = (times[0], times[-1]) if len(times) else ()
    key = (id(flow), id(o2), times.dtype.str, len(times), ends, getattr(cfg, "running_flow_min", None),
           getattr(cfg, "o2_stopped_pct", None))
    kept = data.__dict__.setdefault("_running_masks", {}).setdefault(key, [])
    clock = times.tobytes()
    for kept_flow, kept_o2, kept_clock, run in kept:
        if kept_flow is flow and kept_o2 is o2 and kept_clock == clock:
            return run.copy()
    run = _running(flow, o2, times, cfg)
    kept.append((flow, o2, clock, run))
    return run.copy()


#: ``NaT`` of ``datetime64`` as its 64-bit integer.
_NAT = np.iinfo(np.int64).min


def hour_floor(times: np.ndarray) -> np.ndarray:
    """The start of the UTC hour of each of ``times`` (``datetime64[s]``): ``times.astype("datetime64[h]")
    .astype("datetime64[s]")`` in whole seconds, without the calendar units' conversions (NaT stays NaT)."""
    t = np.asarray(times).astype("datetime64[s]", copy=False).view(np.int64)
    out = t // 3600 * 3600
    if len(t) and t.min() == _NAT:
        nat = t == _NAT
        out[nat] = t[nat]
    return out.view("datetime64[s]")


def _running(flow: Series | None, o2: Series | None, times: np.ndarray, cfg: Any) -> np.ndarray:
    run = np.ones(len(times), dtype=bool)
    if flow is not None and len(flow):
        v = _at(flow, times)
        med = flow.finite_median()
        threshold = cfg.running_flow_min * med if np.isfinite(med) and med > 0 else 0.0
        run &= np.nan_to_num(v, nan=0.0) > threshold
    if o2 is not None and len(o2):
        v = _at(o2, times)
        run &= ~(np.nan_to_num(v, nan=21.0) >= cfg.o2_stopped_pct)
    return run


def _at(s: Series, times: np.ndarray) -> np.ndarray:
    """Values of ``s`` at exactly ``times`` (NaN where ``s`` has no record)."""
    idx = np.searchsorted(s.times, times)
    idx = np.clip(idx, 0, max(len(s) - 1, 0))
    out = np.full(len(times), np.nan)
    if len(s):
        hit = s.times[idx] == times
        out[hit] = s.values[idx[hit]]
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as ``(first, last)`` inclusive index pairs."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate(([0], m.view(np.int8), [0])))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return list(zip(starts.tolist(), ends.tolist()))


Detector = Callable[[PointData, Any], list[Finding]]


@dataclass(frozen=True)
class DetectorSpec:
    """A registered detector: its codes (catalogue entries) and the function."""

    name: str
    codes: Sequence[str]
    func: Detector
    needs: Sequence[str] = ()


DETECTORS: dict[str, DetectorSpec] = {}


def detector(name: str, codes: Sequence[str], needs: Sequence[str] = ()) -> Callable[[Detector], Detector]:
    """Register a detector function under ``name`` (the pipeline and CLI run every registered one)."""

    def wrap(func: Detector) -> Detector:
        if name in DETECTORS:
            raise ValueError(f"detector {name!r} registered twice")
        DETECTORS[name] = DetectorSpec(name, tuple(codes), func, tuple(needs))
        return func

    return wrap
