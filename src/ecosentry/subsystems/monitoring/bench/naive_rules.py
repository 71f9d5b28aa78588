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

The script is timed as a command of its own, as a user runs it (``python naive_rules.py DATA.csv TZ``, this
file; it prints its counts as one JSON object): interpreter start and the import of pandas included, as they
are in the time of the ``ecosentry detect`` command it is compared with (:func:`time_naive_rules`). The file
imports nothing of ecosentry, so that running it costs what the analyst's notebook script would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["pandas_available", "run_naive_rules", "time_naive_rules"]


def pandas_available() -> bool:
    """Whether pandas is installed (it is not a dependency of ecosentry); not imported here."""
    from importlib.util import find_spec

    return find_spec("pandas") is not None


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


def time_naive_rules(path: Path, tz: str) -> tuple[float, float | None, dict[str, int]] | None:
    """Run this script as its own process on ``path``: wall-clock seconds, CPU seconds (user + system of the
    process; ``None`` where the platform does not say) and its counts; ``None`` without pandas.

    Raises
    ------
    ecosentry.said.Said
        When the script fails (its error output in the message).
    """
    if not pandas_available():
        return None
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    # -P: the script's folder (this package's) is not put first on the module path
    done = subprocess.run([sys.executable, "-P", __file__, str(path), tz], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    cpu1 = _children_cpu()
    if done.returncode != 0:
        from ecosentry.said import N_, Said  # here, not at the top: the script itself imports nothing of ecosentry

        raise Said(N_("the naive pandas script failed (exit code %(code)s): %(error)s"), code=done.returncode,
                   error=done.stderr.strip())
    return wall, (cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None), json.loads(done.stdout)


def _children_cpu() -> float | None:
    """CPU seconds (user + system) of this process's ended and reaped child processes (POSIX), else ``None``."""
    try:
        import resource
    except ImportError:
        return None
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main(argv: list[str]) -> int:
    """``naive_rules.py DATA.csv TZ``: print the counts of :func:`run_naive_rules` as one JSON object."""
    if len(argv) != 2:
        print("usage: naive_rules.py DATA.csv TZ", file=sys.stderr)
        return 2
    print(json.dumps(run_naive_rules(Path(argv[0]), argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
