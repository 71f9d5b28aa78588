"""Small helpers on numpy arrays shared by the rules: runs of True, a quiet mean, rounding for evidence."""

from __future__ import annotations

import numpy as np

from ecosentry.subsystems.power.rules.state import runs_of

__all__ = ["true_runs", "nanmean", "rounded"]


def true_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index pairs of the runs of True."""
    starts, lengths = runs_of(mask.astype(np.int8))
    return [(int(s), int(s + n - 1)) for s, n in zip(starts, lengths) if mask[s]]


def nanmean(x) -> float:
    """The mean of the finite values, NaN (silently) when there is none."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else float("nan")


def rounded(x: float, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)
