"""The yardstick of issue 13: a naive vectorised pandas script of the simple national rules.

``ecosentry detect`` does much more than this script (45-minute rule with flags, every detector family,
evidence), so the comparison is a floor: the whole ``ecosentry detect`` should take no longer than a
plain pandas script that reads the same CSV and applies only the simple rules. The script is what an
analyst would write in a notebook: read the CSV, hourly means of the valid minutes (≥ 45 per hour), then

* **negative**: valid hours with a negative mean;
* **constant ≥ 4 h**: runs of at least 4 consecutive valid hours with the same mean;
* **zero while running**: valid hours with a zero mean while another factor of the point is above zero;
* **missing hours**: hours between a series' first and last hour with no record.

pandas is used only here and only when installed (the ``test`` extra lists it); it is never a runtime
dependency of ecosentry.
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["pandas_available", "run_naive_rules", "time_naive_rules"]


def pandas_available() -> bool:
    """Whether pandas can be imported (it is not a dependency of ecosentry)."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def run_naive_rules(path: Path, tz: str) -> dict[str, int]:
    """Counts of each simple rule on the long CSV ``point,factor,time,value[,flag]``.

    Parameters
    ----------
    path : Path
        Long data file as ``ecosentry detect`` reads it.
    tz : str
        Zone of times written without an offset.

    Returns
    -------
    dict
        ``rows``, ``hours``, ``negative``, ``constant_4h`` (runs), ``zero_running`` and ``missing_hours``.
    """
    import pandas as pd

    df = pd.read_csv(path, dtype={"point": str, "factor": str, "flag": str})
    times = pd.to_datetime(df["time"], format="ISO8601", utc=False)
    if getattr(times.dt, "tz", None) is None:
        times = times.dt.tz_localize(tz)
    df["hour"] = times.dt.tz_convert(tz).dt.floor("h")
    flag = df["flag"].fillna("N") if "flag" in df else pd.Series("N", index=df.index)
    df["v"] = df["value"].where(flag.isin(["N", "S"]))
    hourly = df.groupby(["point", "factor", "hour"], sort=True)["v"].agg(["count", "mean"]).reset_index()
    valid = hourly[hourly["count"] >= 45].copy()
    negative = int((valid["mean"] < 0).sum())
    key = [valid["point"], valid["factor"]]
    step = valid.groupby(["point", "factor"])["hour"].diff() == pd.Timedelta(hours=1)
    same = step & valid["mean"].eq(valid.groupby(["point", "factor"])["mean"].shift())
    run = (~same).cumsum()
    run_len = run.groupby(run).transform("size")
    constant = int(run[run_len >= 4].nunique())
    point_max = valid.groupby(["point", "hour"])["mean"].transform("max")
    zero_running = int(((valid["mean"] == 0) & (point_max > 0)).sum())
    span = hourly.groupby(["point", "factor"])["hour"].agg(["min", "max", "count"])
    expected = ((span["max"] - span["min"]) / pd.Timedelta(hours=1)).astype(int) + 1
    missing = int((expected - span["count"]).sum())
    del key
    return {"rows": len(df), "hours": len(hourly), "negative": negative, "constant_4h": constant,
            "zero_running": zero_running, "missing_hours": missing}


def time_naive_rules(path: Path, tz: str) -> tuple[float, dict[str, int]] | None:
    """Wall-clock seconds of :func:`run_naive_rules` and its counts; ``None`` without pandas."""
    if not pandas_available():
        return None
    t0 = time.perf_counter()
    counts = run_naive_rules(path, tz)
    return time.perf_counter() - t0, counts
