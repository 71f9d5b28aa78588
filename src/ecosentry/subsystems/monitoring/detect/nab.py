"""Numenta Anomaly Benchmark (NAB): data reader and scorer, re-implemented from the paper.

The scorer follows Lavin & Ahmad (2015) [1]_ and the description shipped with the data
(``/work/shared/nab/README.md``); no NAB code is used. For one series and one cost profile
(``A_TP``, ``A_FP``, ``A_FN`` weights):

* every labelled anomaly window ``[start, end]`` (timestamps, both ends included) rewards only the
  **earliest** detection inside it with the scaled sigmoid of its relative position ``y``,

  .. math:: \\sigma(y) = \\frac{2}{1 + e^{5y}} - 1,

  where ``y = -(r - i + 1) / w`` for row ``i`` of a window of ``w`` rows whose last row is ``r``
  (``y = -1`` at the window start, ``≈ 0`` at its end). The reward is ``A_TP · σ(y) / σ(-1)`` so that a
  detection on the first row of a window earns exactly ``A_TP``; later detections in the same window
  count for nothing;
* a detection outside every window is a false positive weighted by ``A_FP · σ(y)`` with
  ``y = |i - r_prev| / (w_prev - 1)`` its distance past the end of the preceding window (so an FP right
  after a window costs little, one far from it ``≈ -A_FP``); ``σ = -1`` when ``y > 3`` and for FPs
  before the first window;
* each window without a detection costs ``-A_FN``;
* detections in the probationary period (first 15 % of the rows, at most 750 rows: NAB's convention of
  ``min(⌊0.15 n⌋, 0.15 · 5000)``) are not scored.

The raw scores are summed over the corpus and normalised so that the null detector (no detection)
scores 0 and the perfect detector (one detection on the first row of every window) scores 100:
``S = 100 (raw - null) / (perfect - null)``.

NAB proper sweeps a threshold over a continuous anomaly score and keeps the best corpus score per
profile; ecosentry detectors make a binary alarm decision, so we score that decision as it is
(a **fixed threshold**, no optimisation against the labels).

One path for a NAB file (issue 13): :func:`read_point` reads it (timestamps in :data:`NAB_TZ`, so the
findings' times are the file's times), :func:`nab_detectors` is the detector set (:data:`NAB_DETECTORS`),
and :func:`detection_rows` turns findings into the scored rows by their ``detected_at``. ``ecosentry
detect --format nab`` and ``ecosentry bench nab`` both use these three, so the bench scores what the
command writes.

References
----------
.. [1] A. Lavin and S. Ahmad, "Evaluating Real-time Anomaly Detection Algorithms – the Numenta
   Anomaly Benchmark", IEEE ICMLA 2015, arXiv:1510.03336, §"Scoring" (eq. 1–3).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from ecosentry.subsystems.monitoring.detect import csvinput
from ecosentry.subsystems.monitoring.detect.model import DetectorSpec, Finding, PointData, to_datetime64
from ecosentry.subsystems.monitoring.detect.registry import all_detectors, select_detectors

__all__ = [
    "CostProfile",
    "PROFILE_NAMES",
    "NabSeries",
    "SeriesScore",
    "scaled_sigmoid",
    "probation_length",
    "load_profiles",
    "load_windows",
    "read_series",
    "iter_corpus",
    "window_bounds",
    "score_series",
    "normalised_score",
    "family_scores",
    "NAB_DETECTORS",
    "NAB_TZ",
    "nab_detectors",
    "read_point",
    "detection_rows",
]

#: The detectors run on a NAB series, by registry name: the statistical detector alone. A NAB file is
#: one anonymous series (machine temperature, CPU load, taxi counts ...), not a monitoring record in the
#: standard's meaning: the national rules (constant value over 4 h, negative value) judge HJ 212 data of
#: a pollutant and say nothing about these series, so they are not run on them (they cost 15 points of
#: NAB score in issue 13). ``bench nab`` scores exactly this set and ``detect --format nab`` runs it.
NAB_DETECTORS: tuple[str, ...] = ("statistical",)

#: NAB timestamps carry no zone; they are read as UTC so that the findings' UTC times are the file's
#: own times (read in another zone, every finding would be shifted by its offset against the labels).
NAB_TZ = "UTC"

#: Profile names in ``config/profiles.json`` by their short names (anchors.md §6.2).
PROFILE_NAMES: dict[str, str] = {
    "standard": "standard",
    "reward_low_FP": "reward_low_FP_rate",
    "reward_low_FN": "reward_low_FN_rate",
}

#: NAB's probationary fraction and the row count it is capped at (0.15 × 5000 = 750 rows).
PROBATION_FRACTION = 0.15
PROBATION_CAP_ROWS = 5000


@dataclass(frozen=True)
class CostProfile:
    """The weights of one NAB profile (``CostMatrix`` of ``config/profiles.json``)."""

    name: str
    tp: float = 1.0
    fp: float = 0.11
    fn: float = 1.0


@dataclass(frozen=True)
class NabSeries:
    """One NAB data file: its corpus key (``family/file.csv``), times and values."""

    key: str
    times: np.ndarray
    values: np.ndarray

    @property
    def family(self) -> str:
        return self.key.split("/", 1)[0]


@dataclass
class SeriesScore:
    """Score of one series under one profile."""

    key: str
    raw: float
    tp: int
    fp: int
    fn: int
    windows: int
    #: Raw scores of the null detector (no detection) and of the perfect one on this series.
    null: float = 0.0
    perfect: float = 0.0
    #: Row index of the first detection in each window (``None`` = missed).
    first_hits: list[int | None] = field(default_factory=list)


def scaled_sigmoid(y: float) -> float:
    """NAB's scaled sigmoid ``2 / (1 + exp(5 y)) - 1``, ``-1`` beyond ``y > 3`` [1]_ (eq. 1).

    Parameters
    ----------
    y : float
        Relative position: ``-1`` at a window start, ``0`` at its end, ``> 0`` past it (in window widths).
    """
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_length(n: int, fraction: float = PROBATION_FRACTION) -> int:
    """Rows at the start of a series whose detections are not scored: ``min(⌊f n⌋, f · 5000)``."""
    return int(min(math.floor(fraction * n), fraction * PROBATION_CAP_ROWS))


def load_profiles(nab_dir: Path) -> dict[str, CostProfile]:
    """The three cost profiles by short name (``standard``, ``reward_low_FP``, ``reward_low_FN``)."""
    raw = json.loads((Path(nab_dir) / "config" / "profiles.json").read_text())
    out = {}
    for short, long in PROFILE_NAMES.items():
        m = raw[long]["CostMatrix"]
        out[short] = CostProfile(short, tp=float(m["tpWeight"]), fp=float(m["fpWeight"]), fn=float(m["fnWeight"]))
    return out


def _ts(text: str) -> np.datetime64:
    # NAB timestamps: "2014-04-10 07:15:00" or with ".000000"; second resolution is enough.
    return np.datetime64(text.strip()[:19].replace(" ", "T"), "s")


def load_windows(nab_dir: Path) -> dict[str, list[tuple[np.datetime64, np.datetime64]]]:
    """Anomaly windows per series key from ``labels/combined_windows.json``."""
    raw = json.loads((Path(nab_dir) / "labels" / "combined_windows.json").read_text())
    return {key: [(_ts(a), _ts(b)) for a, b in wins] for key, wins in raw.items()}


def read_series(path: Path, key: str | None = None) -> NabSeries:
    """Read one ``timestamp,value`` CSV file."""
    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if [h.strip() for h in header[:2]] != ["timestamp", "value"]:
            raise ValueError(f"{path}: expected header timestamp,value, got {header}")
        stamps, values = [], []
        for row in reader:
            if not row:
                continue
            stamps.append(row[0].strip()[:19].replace(" ", "T"))
            values.append(float(row[1]) if row[1].strip() else math.nan)
    key = key or f"{path.parent.name}/{path.name}"
    return NabSeries(key, np.array(stamps, dtype="datetime64[s]"), np.array(values, dtype=np.float64))


def iter_corpus(nab_dir: Path, keys: Iterable[str] | None = None) -> Iterable[NabSeries]:
    """Every series of the corpus (the keys of ``combined_windows.json``) in sorted order."""
    nab_dir = Path(nab_dir)
    for key in sorted(keys if keys is not None else load_windows(nab_dir)):
        yield read_series(nab_dir / "data" / key, key)


def window_bounds(times: np.ndarray, windows: Sequence[tuple[np.datetime64, np.datetime64]]) -> list[tuple[int, int]]:
    """Windows as inclusive row ranges ``(first, last)``; windows holding no row are dropped."""
    out = []
    for start, end in windows:
        first = int(np.searchsorted(times, start, side="left"))
        last = int(np.searchsorted(times, end, side="right")) - 1
        if last >= first:
            out.append((first, last))
    return out


def score_series(
    key: str,
    times: np.ndarray,
    detections: Iterable[int],
    windows: Sequence[tuple[np.datetime64, np.datetime64]],
    profile: CostProfile,
    probation: int | None = None,
) -> SeriesScore:
    """Raw NAB score of the detections (row indices) on one series under ``profile`` [1]_.

    Parameters
    ----------
    key : str
        Series key, copied into the result.
    times : numpy.ndarray
        ``datetime64`` row times, increasing.
    detections : iterable of int
        Rows where the detector raised an alarm.
    windows : sequence of (datetime64, datetime64)
        Labelled anomaly windows.
    profile : CostProfile
    probation : int or None
        Unscored leading rows; ``None`` = :func:`probation_length` of the series.

    Returns
    -------
    SeriesScore
        Raw score, TP/FP/FN counts; ``null`` and ``perfect`` raw scores of the series.
    """
    n = len(times)
    probation = probation_length(n) if probation is None else probation
    bounds = window_bounds(times, windows)
    max_tp = scaled_sigmoid(-1.0)
    in_window = np.full(n, -1, dtype=np.int64)
    for k, (a, b) in enumerate(bounds):
        in_window[a : b + 1] = k
    first_hits: list[int | None] = [None] * len(bounds)
    raw = 0.0
    fp = 0
    for i in sorted(set(int(d) for d in detections)):
        if i < probation or i < 0 or i >= n:
            continue
        k = int(in_window[i])
        if k >= 0:
            if first_hits[k] is None:
                first_hits[k] = i
                a, b = bounds[k]
                width = b - a + 1
                raw += profile.tp * scaled_sigmoid(-(b - i + 1) / width) / max_tp
            continue
        # False positive: weighted by the distance past the preceding window (-1 before any window).
        prev = [kb for kb in bounds if kb[1] < i]
        if prev:
            a, b = prev[-1]
            width = b - a + 1
            y = abs(i - b) / float(width - 1) if width > 1 else math.inf
            raw += profile.fp * scaled_sigmoid(y)
        else:
            raw += profile.fp * -1.0
        fp += 1
    fn = sum(1 for h in first_hits if h is None)
    raw -= profile.fn * fn
    return SeriesScore(key, raw, tp=len(bounds) - fn, fp=fp, fn=fn, windows=len(bounds),
                       null=-profile.fn * len(bounds), perfect=profile.tp * len(bounds), first_hits=first_hits)


def normalised_score(scores: Iterable[SeriesScore]) -> float:
    """Corpus score ``100 (Σraw - Σnull) / (Σperfect - Σnull)``: null detector 0, perfect 100."""
    items = list(scores)
    raw = sum(s.raw for s in items)
    null = sum(s.null for s in items)
    perfect = sum(s.perfect for s in items)
    if perfect == null:
        raise ValueError("no anomaly window in the scored series: the NAB score is undefined")
    return 100.0 * (raw - null) / (perfect - null)


def family_scores(scores: Iterable[SeriesScore]) -> Mapping[str, dict[str, float]]:
    """Per family (``realKnownCause`` ...): series count, windows, TP, FP, FN and raw score."""
    out: dict[str, dict[str, float]] = {}
    for s in scores:
        fam = out.setdefault(s.key.split("/", 1)[0], {"series": 0, "windows": 0, "tp": 0, "fp": 0, "fn": 0,
                                                        "raw": 0.0, "null": 0.0, "perfect": 0.0})
        fam["series"] += 1
        fam["windows"] += s.windows
        fam["tp"] += s.tp
        fam["fp"] += s.fp
        fam["fn"] += s.fn
        fam["raw"] += s.raw
        fam["null"] += s.null
        fam["perfect"] += s.perfect
    return out


# --------------------------------------------------------------------------- one path for a NAB file


def nab_detectors(only_codes: Sequence[str] | None = None) -> dict[str, DetectorSpec]:
    """The registry entries of :data:`NAB_DETECTORS` (name → spec), optionally narrowed to ``only_codes``.

    Raises
    ------
    ValueError
        A code of ``only_codes`` that no NAB detector emits.
    """
    specs = all_detectors()
    return select_detectors({name: specs[name] for name in NAB_DETECTORS}, only_codes=only_codes)


def read_point(path: Path, tz: str = NAB_TZ, *, medium: str | None = None,
               on_progress: Callable[[int], None] | None = None) -> PointData | None:
    """One NAB ``timestamp,value`` file as the :class:`PointData` the detectors see (point = file stem,
    factor ``value``); ``None`` for a file without rows.

    Raises
    ------
    AuditInputError
        A malformed line (the message names the file and the line).
    """
    raw = csvinput.read_nab(Path(path), ZoneInfo(tz), on_progress=on_progress)
    if not raw:
        return None
    [data] = csvinput.build_points(raw, tz=tz, medium=medium)
    return data


def detection_rows(times: np.ndarray, findings: Iterable[Finding]) -> list[int]:
    """Rows of ``times`` at each finding's ``detected_at`` (its ``end`` when the detector does not state
    it): the moment the alarm was raised, which is what NAB scores [1]_.

    Parameters
    ----------
    times : numpy.ndarray
        ``datetime64`` row times of the series in UTC (a NAB file's times as read by :func:`read_series`).
    findings : iterable of Finding
    """
    at = [to_datetime64(f.detected_at or f.end) for f in findings]
    if not at:
        return []
    return [int(i) for i in np.searchsorted(times.astype("datetime64[s]"), np.array(at, dtype="datetime64[s]"))]
