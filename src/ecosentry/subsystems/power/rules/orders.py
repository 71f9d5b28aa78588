"""Heavy-pollution alert compliance (重污染天气应急减排: 停产 / 限产) from the production-side meters; pure.

Sources (``shared/reference/subsystems.md``): §1.4 linkage rule 4 and §1.5, §7 item 6. The use is [S] (Linfen,
Heze, Zhangjiagang, Hefei, Taiyuan "limit 50 % … verified by actual electricity consumption", Weifang); the
formula and the baseline are [R, ours] and are settings (:class:`OrderSettings`).

* **Stop order** (``PWR-ORDER-STOP-RUNNING``): during the order's window any named production equipment in the
  *on* state (its thresholds, hysteresis and dwell, :mod:`.state`) for ``stop_min_minutes`` (3) or more is a
  finding, raised at its third minute; declared safety loads
  (保安用电) are not named in a stop order and are not judged.
* **Limit order** (``PWR-ORDER-LIMIT-EXCEEDED``) to ``allowed_pct`` % of the baseline: for every clock hour of
  the window, the named equipment's energy (kWh, Σ P/60 over the hour's minutes) is compared with
  ``allowed_pct`` % × baseline of that hour × (1 + ``tolerance``) (§7 item 6: × 1.1). Consecutive hours above it
  are one finding, raised at the end of its first hour.
* **Baseline** (:func:`hourly_baseline`): per hour of the day, the ``statistic`` (median, default; or mean) of
  the production-side energy of that hour over the last ``baseline_days`` *normal production days* before the
  order (§7 item 6: 30 days [R]); optionally only days of the same weekday. A day is normal when its energy is at
  least ``normal_day_share`` of the median day of the period (excludes holidays, outages, earlier orders),
  and an hour of such a day counts when its energy is at least ``normal_hour_share`` of the typical hour of those
  days (leaves out maintenance stops and part-load hours: the baseline is normal full production) [ours].
  An enterprise may have its baseline edited: the rule takes the 24 hourly values as given.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import rule
from ecosentry.said import N_
from ecosentry.subsystems.power.rules.findings import Finding, local_minute
from ecosentry.subsystems.power.rules.arrays import nanmean, rounded, true_runs
from ecosentry.subsystems.power.rules.linkage import MeterState
from ecosentry.subsystems.power.rules.state import ON, MinuteSeries

__all__ = ["OrderSettings", "Order", "Baseline", "hourly_baseline", "stop_order", "limit_order"]

_SRC = "shared/reference/subsystems.md"


class OrderSettings(BaseModel):
    """Settings of the alert-compliance rules ([R, ours] defaults)."""

    #: Normal production days before the order that make the baseline (§7 item 6: 30 [R]).
    baseline_days: int = Field(30, ge=1)
    #: How the days' hourly energies are combined: ``median`` (robust to one odd day) or ``mean`` (§7 item 6).
    statistic: Literal["median", "mean"] = "median"
    #: Only days of the same weekday as the hour judged (a plant with a weekly rhythm) [ours].
    same_weekday: bool = False
    #: A day with less energy than this share of the period's median day is not a normal production day [ours].
    normal_day_share: float = Field(0.5, ge=0, le=1)
    #: Minutes a unit must run inside a stop order's window before it is a finding [ours].
    stop_min_minutes: int = Field(3, ge=1)
    #: An hour of a normal day below this share of the typical hour is not normal production [ours].
    normal_hour_share: float = Field(0.8, ge=0, le=1)
    #: Allowance above the allowed energy (§7 item 6: × 1.1 [R]).
    tolerance: float = Field(0.10, ge=0)
    #: Hours judged need this share of their minutes with a reading of every named meter [ours].
    min_coverage: float = Field(0.75, gt=0, le=1)


@dataclass(frozen=True)
class Order:
    """One emergency measure of an enterprise: ``stop`` or ``limit`` (to ``allowed_pct`` % of the baseline)
    of the named equipment, from ``start`` to ``end`` (aware times; the sentences use them in the zone given)."""

    enterprise: str
    equipment: tuple[str, ...]
    measure: Literal["stop", "limit"]
    start: datetime
    end: datetime
    allowed_pct: float | None = None
    level: str | None = None
    #: ``pollution_alerts.id`` of the alert the order carries out (None: an order from a file).
    alert_id: int | None = None
    #: A limit order's edited baseline (24 hourly kWh of the named units), when the enterprise has one for this
    #: alert (``queries.measures.orders_for``); None: computed from the normal days before the order.
    baseline_kwh: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.measure not in ("stop", "limit"):
            raise ValueError(f"measure must be stop or limit, not {self.measure!r}")
        if self.measure == "limit" and not (self.allowed_pct is not None and 0 <= self.allowed_pct < 100):
            raise ValueError(f"a limit order needs 0 ≤ allowed_pct < 100, not {self.allowed_pct!r}")
        if not self.end > self.start:
            raise ValueError("an order must end after it starts")
        if self.baseline_kwh is not None and len(self.baseline_kwh) != 24:
            raise ValueError(f"an edited baseline has 24 hourly values, not {len(self.baseline_kwh)}")

    def baseline(self) -> "Baseline | None":
        """The edited baseline carried with the order (None: compute it from the readings)."""
        if self.baseline_kwh is None:
            return None
        return Baseline(np.asarray(self.baseline_kwh, dtype=float), ("edited",))


@dataclass(frozen=True)
class Baseline:
    """Energy per hour of the day (24 values, kWh; per weekday when ``by_weekday``: 7 × 24) and the days used."""

    kwh: np.ndarray
    days: tuple[str, ...]
    by_weekday: bool = False

    def hour(self, t: datetime) -> float:
        return float(self.kwh[t.weekday(), t.hour] if self.by_weekday else self.kwh[t.hour])


def _hour_energy(series: MinuteSeries, power: np.ndarray) -> tuple[datetime, np.ndarray, np.ndarray]:
    """Energy per clock hour (kWh) and the share of minutes with a reading; the first full hour's start."""
    step = series.step
    per_hour = int(timedelta(hours=1) / step)
    first = series.start
    skip = 0
    if first.minute or first.second:
        nxt = first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        skip = int((nxt - first) / step)
        first = nxt
    v = power[skip:]
    n = v.size // per_hour * per_hour
    v = v[:n].reshape(-1, per_hour)
    cover = np.isfinite(v).mean(axis=1)
    finite = np.isfinite(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        kwh = np.where(finite, v, 0).sum(axis=1) / finite.sum(axis=1) * per_hour * step.total_seconds() / 3600
    return first, kwh, cover


@rule(code="PWR-BASELINE", severity=None,
      summary="Baseline: per hour of day, the median of production energy over the last 30 normal production days.",
      source=f"{_SRC} §1.5, §7 item 6", tag="R/ours")
def hourly_baseline(series: MinuteSeries, power_kw: np.ndarray, before: datetime, *,
                    settings: OrderSettings) -> Baseline:
    """The baseline of ``power_kw`` (the summed production-side power on ``series``' grid) from the normal
    production days before ``before`` (local midnight of the order's first day)."""
    first, kwh, cover = _hour_energy(series, power_kw)
    hours = np.array([first + timedelta(hours=i) for i in range(kwh.size)], dtype=object)
    days: dict = {}
    for i, t in enumerate(hours):
        if t >= before or t < before - timedelta(days=settings.baseline_days):
            continue
        days.setdefault(t.date(), np.full(24, np.nan))[t.hour] = kwh[i] if cover[i] >= settings.min_coverage else np.nan
    full = {d: v for d, v in days.items() if np.isfinite(v).sum() >= 20}
    if not full:
        raise ValueError("no day with data before the order to make a baseline from")
    totals = {d: float(np.nansum(v) * 24 / np.isfinite(v).sum()) for d, v in full.items()}
    median_day = float(np.median(list(totals.values())))
    normal = sorted(d for d, tot in totals.items() if tot >= settings.normal_day_share * median_day)
    # an hour of a normal day in which production stood still (a maintenance stop) is not normal production
    typical_hour = float(np.nanmedian(np.concatenate([full[d] for d in normal])))
    full = {d: np.where(v >= settings.normal_hour_share * typical_hour, v, np.nan) for d, v in full.items()}
    reduce = np.nanmedian if settings.statistic == "median" else np.nanmean

    def stat(rows: np.ndarray, axis: int) -> np.ndarray:
        with warnings.catch_warnings():  # an hour without a value on any day stays NaN (not judged)
            warnings.simplefilter("ignore", RuntimeWarning)
            return reduce(rows, axis=axis)
    if settings.same_weekday:
        table = np.full((7, 24), np.nan)
        for wd in range(7):
            rows = [full[d] for d in normal if d.weekday() == wd]
            if rows:
                table[wd] = stat(np.vstack(rows), axis=0)
        return Baseline(table, tuple(d.isoformat() for d in normal), True)
    return Baseline(stat(np.vstack([full[d] for d in normal]), axis=0), tuple(d.isoformat() for d in normal))


@rule(code="PWR-ORDER-STOP-RUNNING", severity="critical",
      summary="Production equipment running during a stop order of a heavy-pollution alert (停产 not carried out).",
      source=f"{_SRC} §1.4 linkage rule 4, §1.5, §7 item 6; Linfen, Hefei programmes §1.2", tag="S")
def stop_order(order: Order, meters: list[MeterState], *, settings: OrderSettings | None = None) -> list[Finding]:
    """A finding per run of a named unit in the running state inside the window, of ``stop_min_minutes`` or more
    (a unit finishing its stop in the first minutes of the order, or one test minute, is no finding)."""
    least = (settings or OrderSettings()).stop_min_minutes
    out = []
    for m in meters:
        s = m.series
        i0 = max(0, -(-int((order.start - s.start).total_seconds()) // int(s.step.total_seconds())))
        i1 = min(m.codes.size, -(-int((order.end - s.start).total_seconds()) // int(s.step.total_seconds())))
        running = np.zeros(m.codes.size, dtype=bool)
        if i1 > i0:
            running[i0:i1] = m.codes[i0:i1] == ON
        for a, b in true_runs(running):
            length = b - a + 1
            if length < least:
                continue
            kw = nanmean(m.power[a:b + 1])
            out.append(Finding(
                "PWR-ORDER-STOP-RUNNING", order.enterprise, (m.equipment,), s.time(a), s.time(b + 1),
                s.time(max(a + least - 1, int(m.known[a]))),
                N_("%(equipment)s ran for %(minutes)s minutes from %(start)s (mean %(kw)s kW) during a stop order "
                   "(%(order_start)s to %(order_end)s)."),
                dict(equipment=m.equipment, minutes=length, start=local_minute(s.time(a)), kw=round(kw, 1),
                     order_start=local_minute(order.start), order_end=local_minute(order.end)),
                {"mean_kw": rounded(kw), "minutes": length, "order": [order.start.isoformat(), order.end.isoformat()],
                 "level": order.level}, bool(b == m.codes.size - 1 and s.time(b + 1) < order.end)))
    return out


@rule(code="PWR-ORDER-LIMIT-EXCEEDED", severity="critical",
      summary="Production energy above the allowed share of its baseline during a limit order (限产 not carried out).",
      source=f"{_SRC} §1.4 linkage rule 4, §1.5 (Taiyuan: limit 50 % verified by electricity), §7 item 6", tag="S/R")
def limit_order(order: Order, series: MinuteSeries, power_kw: np.ndarray, baseline: Baseline, *,
                settings: OrderSettings) -> tuple[list[Finding], list[dict]]:
    """The findings and the hour-by-hour table (hour, kWh, baseline kWh, share, allowed, above)."""
    first, kwh, cover = _hour_energy(series, power_kw)
    share_allowed = order.allowed_pct / 100.0
    table = []
    above = np.zeros(kwh.size, dtype=bool)
    for i in range(kwh.size):
        t = first + timedelta(hours=i)
        if t < order.start or t + timedelta(hours=1) > order.end:
            continue
        base = baseline.hour(t)
        judged = cover[i] >= settings.min_coverage and np.isfinite(base) and base > 0
        share = kwh[i] / base if judged else None
        allowed = share_allowed * base * (1 + settings.tolerance) if judged else None
        above[i] = bool(judged and kwh[i] > allowed)
        table.append({"hour": t.isoformat(), "kwh": rounded(float(kwh[i])), "baseline_kwh": rounded(base),
                      "share": rounded(share, 4) if share is not None else None,
                      "allowed_kwh": rounded(allowed) if allowed is not None else None, "above": bool(above[i]),
                      "judged": bool(judged)})
    out = []
    for a, b in true_runs(above):
        t0, t1 = first + timedelta(hours=a), first + timedelta(hours=b + 1)
        used = float(kwh[a:b + 1].sum())
        base = float(sum(baseline.hour(first + timedelta(hours=i)) for i in range(a, b + 1)))
        out.append(Finding(
            "PWR-ORDER-LIMIT-EXCEEDED", order.enterprise, order.equipment, t0, t1, t0 + timedelta(hours=1)
            - series.step,
            N_("%(equipment)s used %(share)s %% of its baseline energy from %(start)s for %(hours)s hours; the "
               "limit order allows %(allowed)s %%."),
            dict(equipment=", ".join(order.equipment), share=round(100 * used / base), start=local_minute(t0),
                 hours=b - a + 1, allowed=f"{order.allowed_pct:g}"),
            {"kwh": rounded(used), "baseline_kwh": rounded(base), "share": rounded(used / base, 4),
             "allowed_share": share_allowed, "tolerance": settings.tolerance,
             "hours": [r for r in table if t0.isoformat() <= r["hour"] < t1.isoformat()],
             "baseline_days": list(baseline.days), "level": order.level}, False))
    return out, table
