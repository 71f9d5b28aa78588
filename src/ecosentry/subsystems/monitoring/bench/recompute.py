"""``ecosentry bench recompute``: a city's year of data rolled up and judged in memory, timed per stage.

A city of ``outlets`` × ``factors`` series is generated with numpy (one year of hourly means with missing,
invalid and stopped hours and some exceedances, plus one day of minute data for every series), then the
vectorised rules of :mod:`ecosentry.subsystems.monitoring.rules.cn.bulk` run stage by stage:

1. minute → hour for the one day of minute data (the resulting hours replace 1 January's);
2. hour → day for the year;
3. day → month;
4. effective transmission rates for the year, per series, summed per outlet and for the city;
5. exceedance of every hour against the factor's hourly limit.

Each stage is timed with :func:`time.perf_counter`; data generation is timed separately and is not part of
the total. Nothing touches a database: the database path is ``ecosentry recompute``.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date

import numpy as np
from rich.console import Console
from rich.table import Table

from ecosentry.said import N_
from ecosentry.subsystems.monitoring.rules.cn import bulk

#: Hourly levels and hourly limits of the generated factors (flue-gas-like, mg/m³): SO2, NOx, PM, CO,
#: HCl, HF, NH3, Hg (µg/m³ scaled), and two more generic factors. Levels sit well under the limits so
#: that exceedances come from the injected excursions and the tail of the noise.
FACTOR_LIMITS = np.array([35.0, 50.0, 10.0, 80.0, 10.0, 1.0, 8.0, 0.03, 30.0, 50.0])
FACTOR_LEVELS = 0.4 * FACTOR_LIMITS

GOAL_S = 60.0


def _machine() -> dict:
    cpu = platform.processor() or ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
    }


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def generate_city(outlets: int, factors: int, year: int, seed: int) -> dict:
    """
    Generate the city in memory.

    Returns
    -------
    dict
        ``hour_values`` (S, H) float64 [nan where missing], ``hour_valid``, ``received``, ``stopped``
        (S, H) bool, ``minute_values`` (S, 24, 60) and ``minute_valid`` for 1 January, ``upper`` (S,)
        hourly limits, ``dates`` (D,) datetime64[D]; S = outlets × factors, series ordered outlet-major.
    """
    rng = np.random.default_rng(seed)
    dates = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    n_series, n_hours = outlets * factors, dates.size * 24
    f_idx = np.arange(factors) % FACTOR_LEVELS.size
    level = (FACTOR_LEVELS[f_idx][None, :] * rng.lognormal(0.0, 0.2, size=(outlets, factors))).reshape(-1)
    upper = np.tile(FACTOR_LIMITS[f_idx], outlets)

    # Hourly values: series level × daily cycle × lognormal noise, in place to keep one big array.
    values = rng.standard_normal((n_series, n_hours))
    values *= 0.25
    hour_of_day = np.arange(n_hours) % 24
    values += 0.1 * np.sin(2 * np.pi * hour_of_day / 24)[None, :]
    np.exp(values, out=values)
    values *= level[:, None]
    # Excursions: ~0.2 % of hours at 1.5–3 × the limit.
    n_exc = int(0.002 * values.size)
    flat = values.reshape(-1)
    idx = rng.integers(0, values.size, size=n_exc)
    flat[idx] = upper[idx // n_hours] * rng.uniform(1.5, 3.0, n_exc)

    # ~2 % missing hours, ~1 % received but invalid (maintenance marks, bad flags).
    u = rng.random((n_series, n_hours), dtype=np.float32)
    received = u >= 0.02
    valid = received & (u >= 0.03)
    del u
    # ~5 % of outlets stopped for a stretch of 3–30 days (all factors): received with flag F, invalid.
    stopped = np.zeros((n_series, n_hours), dtype=bool)
    for o in np.flatnonzero(rng.random(outlets) < 0.05):
        first = int(rng.integers(0, dates.size - 30)) * 24
        length = int(rng.integers(3, 31)) * 24
        rows = slice(o * factors, (o + 1) * factors)
        stopped[rows, first:first + length] = True
    received |= stopped
    valid &= ~stopped
    values[~received] = np.nan

    # One day of minute data (1 January) for every series; per-hour gap rates make some hours short.
    minute_values = level[:, None, None] * rng.lognormal(0.0, 0.25, size=(n_series, 24, 60))
    gap = rng.choice([0.01, 0.05, 0.2, 0.3], p=[0.7, 0.2, 0.06, 0.04], size=(n_series, 24, 1))
    minute_valid = rng.random((n_series, 24, 60)) >= gap
    minute_values[rng.random((n_series, 24, 60)) < 0.005] = np.nan
    return {
        "hour_values": values, "hour_valid": valid, "received": received, "stopped": stopped,
        "minute_values": minute_values, "minute_valid": minute_valid, "upper": upper, "dates": dates,
    }


def run_bench_recompute(
    outlets: int = 1000,
    factors: int = 10,
    year: int = 2025,
    seed: int = 1,
    console: Console | None = None,
) -> dict:
    """
    Generate a city and time the recompute stages (see module docstring).

    Parameters
    ----------
    outlets, factors : int
        The city has ``outlets × factors`` series.
    year : int
        Calendar year of the hourly data (365 or 366 days).
    seed : int
        Seed of the generator.
    console : rich.console.Console or None
        Where the table is printed (a new console when None).

    Returns
    -------
    dict
        ``stages_s`` (seconds per stage), ``total_s``, ``goal_s``, ``generate_s``, ``peak_rss_mb``,
        sizes, result counts and the machine.
    """
    from ecosentry.terminal.messages import gettext_of

    _ = gettext_of()
    console = console or Console()
    t0 = time.perf_counter()
    city = generate_city(outlets, factors, year, seed)
    generate_s = time.perf_counter() - t0
    n_series, n_hours = city["hour_values"].shape
    n_days = city["dates"].size
    console.print(_(N_("city: %(outlets)s outlets × %(factors)s factors = %(series)s series, %(hours)s hours "
                       "(%(year)s), %(minutes)s minute values; generated in %(seconds)s s")) % {
        "outlets": outlets, "factors": factors, "series": f"{n_series:,}", "hours": f"{n_series * n_hours:,}",
        "year": year, "minutes": f"{n_series * 24 * 60:,}", "seconds": f"{generate_s:.1f}"})

    stages: dict[str, float] = {}
    results: dict[str, object] = {}

    t = time.perf_counter()
    hours = bulk.hours_from_minutes(city["minute_values"], city["minute_valid"])
    # The hours computed from minutes replace 1 January's (the stopped hours stay invalid).
    day0 = city["hour_values"][:, :24]
    day0[...] = np.where(city["received"][:, :24], hours.mean, np.nan)
    city["hour_valid"][:, :24] = hours.valid & ~city["stopped"][:, :24] & city["received"][:, :24]
    stages[N_("minute → hour (1 day)")] = time.perf_counter() - t
    results["hours_from_minutes_valid"] = int(hours.valid.sum())

    t = time.perf_counter()
    days = bulk.days_from_hours(city["hour_values"].reshape(n_series, n_days, 24),
                                city["hour_valid"].reshape(n_series, n_days, 24))
    stages[N_("hour → day (year)")] = time.perf_counter() - t
    results["valid_days"] = int(days.valid.sum())
    results["days"] = int(days.valid.size)

    t = time.perf_counter()
    months = bulk.months_from_days(days.mean, days.valid, city["dates"])
    stages[N_("day → month (year)")] = time.perf_counter() - t
    results["valid_months"] = int(months.valid.sum())
    results["months"] = int(months.valid.size)

    t = time.perf_counter()
    counts = bulk.rate_counts(city["received"], city["hour_valid"], city["stopped"])
    per_series = bulk.rates(counts)
    per_outlet = bulk.rates(bulk.RateCountBlock(*(a.reshape(outlets, factors) for a in counts)).sum(axis=1))
    city_rates = bulk.rates(counts.sum())
    stages[N_("rates (year: series, outlets, city)")] = time.perf_counter() - t
    results["city_trans_rate"] = float(city_rates.trans_rate)
    results["city_effe_rate"] = float(city_rates.effe_rate)
    results["city_effe_trans_rate"] = float(city_rates.effe_trans_rate)
    results["outlets_effe_trans_rate_below_90pct"] = int(np.sum(per_outlet.effe_trans_rate < 0.9))
    results["series_effe_trans_rate_min"] = float(np.nanmin(per_series.effe_trans_rate))

    t = time.perf_counter()
    exc = bulk.exceed(city["hour_values"], city["hour_valid"], city["upper"][:, None])
    n_exceeded = int(np.count_nonzero(exc.exceeded))
    n_judged = int(np.count_nonzero(exc.judged))
    stages[N_("exceedance (year of hours)")] = time.perf_counter() - t
    results["hours_judged"] = n_judged
    results["hours_exceeded"] = n_exceeded
    results["max_multiple"] = float(np.nanmax(exc.multiple)) if n_exceeded else None
    del exc

    total = sum(stages.values())
    report = {
        "bench": "recompute",
        "date": date.today().isoformat(),
        "outlets": outlets, "factors": factors, "series": n_series, "year": year, "seed": seed,
        "hours": n_series * n_hours, "minute_values": n_series * 24 * 60,
        "generate_s": round(generate_s, 3),
        "stages_s": {k: round(v, 3) for k, v in stages.items()},
        "total_s": round(total, 3),
        "goal_s": GOAL_S,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "results": results,
        "machine": _machine(),
    }

    table = Table(title=_(N_("ecosentry bench recompute: %(series)s series, %(hours)s hours"))
                  % {"series": f"{n_series:,}", "hours": f"{n_series * n_hours:,}"})
    table.add_column(_(N_("stage")))
    table.add_column(_(N_("seconds")), justify="right")
    for name, seconds in stages.items():
        table.add_row(_(name), f"{seconds:.2f}")
    table.add_row("[bold]" + _(N_("total (goal < %(goal)s s)")) % {"goal": f"{GOAL_S:g}"} + "[/bold]",
                  f"[bold]{total:.2f}[/bold]")
    table.add_row(_(N_("data generation (not in total)")), f"{generate_s:.2f}")
    table.add_row(_(N_("peak RSS [MB]")), f"{report['peak_rss_mb']:,.0f}")
    console.print(table)
    console.print(_(N_("valid days %(days)s, valid months %(months)s, hours judged %(judged)s, exceeded "
                       "%(exceeded)s; city transmission rate %(trans)s, validity rate %(effe)s, effective "
                       "transmission rate %(effe_trans)s")) % {
        "days": f"{results['valid_days']:,}/{results['days']:,}",
        "months": f"{results['valid_months']:,}/{results['months']:,}", "judged": f"{n_judged:,}",
        "exceeded": f"{n_exceeded:,}", "trans": f"{results['city_trans_rate']:.4f}",
        "effe": f"{results['city_effe_rate']:.4f}", "effe_trans": f"{results['city_effe_trans_rate']:.4f}"})
    return report
