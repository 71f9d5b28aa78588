"""Utility-meter analytics for enterprises without sub-meters (用电异常嫌疑名单); pure.

Sources (``shared/reference/subsystems.md`` §1.2 Zhuzhou and grid-side analytics, §1.4 "Night-time suspicion",
§7 item 9):

* ``PWR-UTIL-NIGHT-RATIO`` — the Zhuzhou grid company lists enterprises whose **night-time consumption exceeds
  1.5 × the daytime** as key suspects (treatment secretly stopped at night, production hidden from daytime
  inspections) [S]. Night and day are compared as **mean energy per hour** (night has fewer hours than day;
  comparing totals would need a 2.0 ratio for the same meaning) [ours]. The source does not define night: the
  default 22:00–06:00 is the valley-tariff night of most provincial time-of-use tariffs [R], a setting.
  The ratio is taken over the judged days together (one odd night is not a pattern).
* ``PWR-UTIL-OWN-3SIGMA`` — a day's energy outside mean ± 3σ of the enterprise's own previous
  ``history_days`` days (CN114049033B) [S].
* ``PWR-UTIL-COHORT-3SIGMA`` — the same day compared with its industry: the patent's "industry on the same day"
  cannot compare kWh of plants of different sizes, so each enterprise's day is taken relative to its own history
  mean, and that level is compared with the levels of the other enterprises of its industry that day (mean ± 3σ,
  at least ``min_cohort`` of them) [ours]. A whole industry falling on a holiday or an alert day is then normal;
  one plant surging while its industry is flat is not. The patent cross-validates the two lists: a day on both
  is marked so (``both``) and ranks first.

**Declared schedules** (what a regulator needs to keep honest night-shift plants off the list): an enterprise
may be declared ``continuous`` (连续生产) or ``three_shift`` (三班制) — night and day alike, so a ratio up to
``declared_ratio`` (3.0 [ours]) is explained by the declaration and only a higher one (which the declaration
does not explain: a "continuous" plant idle by day) is listed — or ``night`` (错峰生产, production moved to the
valley tariff, often at the grid's or the city's request), which the ratio never lists. The 3σ rules apply
to every schedule, and every entry states the schedule it was judged under. σ is floored at ``min_rel_sigma``
of the mean so that a perfectly flat history does not list a 1 % change [ours].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from ecosentry.contracts.catalogue import Rule, register, rule
from ecosentry.said import N_
from ecosentry.subsystems.power.rules.arrays import rounded

__all__ = ["SCHEDULES", "UtilitySettings", "UtilityMeter", "Reason", "Suspect", "night_hours", "night_day_ratio",
           "daily_energy", "suspects"]

_SRC = "shared/reference/subsystems.md"
SCHEDULES = ("day", "continuous", "three_shift", "night")


class UtilitySettings(BaseModel):
    """Settings of the utility-meter analytics (section ``power.utility``)."""

    #: Night starts at this local hour (22:00 [R]: the valley tariff's night in most provinces).
    night_start_hour: int = Field(22, ge=0, le=23)
    #: Night ends at this local hour (06:00 [R]).
    night_end_hour: int = Field(6, ge=0, le=23)
    #: Night/day ratio of mean hourly energy above which an enterprise is listed (Zhuzhou: 1.5 [S]).
    night_day_ratio: float = Field(1.5, gt=0)
    #: The ratio a declared continuous or three-shift plant is allowed before it is listed anyway [ours].
    declared_ratio: float = Field(3.0, gt=0)
    #: Days of own history a day is compared with (CN114049033B; 30 [R]).
    history_days: int = Field(30, ge=2)
    #: Fewer history days than this: the own-history rule is not applied [ours].
    min_history_days: int = Field(14, ge=2)
    #: Number of standard deviations (CN114049033B: 3 [S]).
    sigma: float = Field(3.0, gt=0)
    #: σ at least this share of the mean (a flat history does not list a 1 % change) [ours].
    min_rel_sigma: float = Field(0.05, ge=0)
    #: Other enterprises of the industry needed that day for the cohort rule [ours].
    min_cohort: int = Field(5, ge=2)
    #: A day counts when at least this many of its hours have a reading [ours].
    min_day_hours: int = Field(20, ge=1, le=24)
    #: The last days judged (the suspect list is about them) [ours].
    judged_days: int = Field(7, ge=1)


@dataclass(frozen=True)
class UtilityMeter:
    """An enterprise's total-meter energy per local day and hour (days × 24, kWh; NaN = no reading)."""

    enterprise: str
    name: str
    industry: str
    hourly_kwh: np.ndarray
    schedule: Literal["day", "continuous", "three_shift", "night"] = "day"


@dataclass(frozen=True)
class Reason:
    code: str
    msgid: str
    params: dict
    evidence: dict
    day: date | None = None

    def say(self, gettext) -> str:
        return gettext(self.msgid) % self.params


@dataclass
class Suspect:
    enterprise: str
    name: str
    industry: str
    schedule: str
    reasons: list[Reason] = field(default_factory=list)
    ratio: float | None = None

    @property
    def both(self) -> bool:
        """Some day is outside both its own history and its industry (the patent's cross-validated list)."""
        own = {r.day for r in self.reasons if r.code == "PWR-UTIL-OWN-3SIGMA"}
        return any(r.day in own for r in self.reasons if r.code == "PWR-UTIL-COHORT-3SIGMA")

    @property
    def rank(self) -> tuple:
        codes = {r.code for r in self.reasons}
        return (-self.both, -("PWR-UTIL-NIGHT-RATIO" in codes), -len(self.reasons), self.enterprise)


def night_hours(settings: UtilitySettings) -> np.ndarray:
    """Mask of the 24 local hours that are night (wrapping midnight when start > end)."""
    h = np.arange(24)
    a, b = settings.night_start_hour, settings.night_end_hour
    return (h >= a) | (h < b) if a > b else (h >= a) & (h < b)


@rule(code="PWR-UTIL-NIGHT-RATIO", severity="warning",
      summary="Total meter: night-time energy per hour above 1.5 × the daytime (Zhuzhou grid practice).",
      source=f"{_SRC} §1.2 Zhuzhou, §1.4 night-time suspicion, §7 item 9", tag="S/R")
def night_day_ratio(hourly_kwh: np.ndarray, settings: UtilitySettings) -> float | None:
    """Mean hourly energy of the night hours ÷ that of the day hours over the days given; None without day use."""
    night = night_hours(settings)
    with np.errstate(invalid="ignore"):
        n = np.nanmean(hourly_kwh[:, night]) if np.isfinite(hourly_kwh[:, night]).any() else np.nan
        d = np.nanmean(hourly_kwh[:, ~night]) if np.isfinite(hourly_kwh[:, ~night]).any() else np.nan
    if not (np.isfinite(n) and np.isfinite(d)) or d <= 0:
        return None
    return float(n / d)


def daily_energy(hourly_kwh: np.ndarray, min_hours: int) -> np.ndarray:
    """Energy per day (kWh; the mean hour × 24 when some hours are missing), NaN with fewer than ``min_hours``."""
    finite = np.isfinite(hourly_kwh)
    count = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        day = np.where(finite, hourly_kwh, 0).sum(axis=1) / count * 24
    return np.where(count >= min_hours, day, np.nan)


def _history_stats(days: np.ndarray, i: int, st: UtilitySettings) -> tuple[float, float] | None:
    hist = days[max(0, i - st.history_days):i]
    hist = hist[np.isfinite(hist)]
    if hist.size < st.min_history_days:
        return None
    mean = float(hist.mean())
    return mean, max(float(hist.std(ddof=1)), st.min_rel_sigma * abs(mean))


for _r in (
    Rule("PWR-UTIL-OWN-3SIGMA", "warning",
         "Total meter: a day's energy outside mean ± 3σ of the enterprise's own previous 30 days.",
         f"{_SRC} §1.4 (CN114049033B), §7 item 9", f"{__name__}.suspects", "S/R"),
    Rule("PWR-UTIL-COHORT-3SIGMA", "warning",
         "Total meter: a day's energy, relative to the enterprise's own mean, outside mean ± 3σ of its industry's "
         "that day.", f"{_SRC} §1.4 (CN114049033B), §7 item 9", f"{__name__}.suspects", "S/ours"),
):
    register(_r)
del _r


def suspects(meters: list[UtilityMeter], days: list[date], settings: UtilitySettings | None = None) -> list[Suspect]:
    """The suspect list over the last ``judged_days`` of ``days`` (the meters' common day axis), ranked."""
    st = settings or UtilitySettings()
    n = len(days)
    judged = range(max(0, n - st.judged_days), n)
    daily = {m.enterprise: daily_energy(m.hourly_kwh, st.min_day_hours) for m in meters}
    # each enterprise's level relative to its own history, per judged day (for the cohort rule)
    level: dict[str, dict[int, float]] = {}
    stats: dict[str, dict[int, tuple[float, float]]] = {}
    for m in meters:
        d = daily[m.enterprise]
        for i in judged:
            got = _history_stats(d, i, st)
            if got is not None and np.isfinite(d[i]) and got[0] > 0:
                stats.setdefault(m.enterprise, {})[i] = got
                level.setdefault(m.enterprise, {})[i] = float(d[i] / got[0])
    out = []
    for m in meters:
        sus = Suspect(m.enterprise, m.name, m.industry, m.schedule)
        recent = m.hourly_kwh[judged.start:judged.stop]
        sus.ratio = night_day_ratio(recent, st)
        limit = None if m.schedule == "night" else st.night_day_ratio if m.schedule == "day" else st.declared_ratio
        if sus.ratio is not None and limit is not None and sus.ratio > limit:
            sus.reasons.append(Reason(
                "PWR-UTIL-NIGHT-RATIO",
                N_("Night-time use per hour is %(ratio)s times the daytime's over the last %(days)s days (listed "
                   "above %(limit)s; schedule: %(schedule)s)."),
                dict(ratio=f"{sus.ratio:.2f}", days=len(judged), limit=f"{limit:g}", schedule=m.schedule),
                {"ratio": rounded(sus.ratio), "limit": limit, "schedule": m.schedule,
                 "night": [st.night_start_hour, st.night_end_hour]}))
        d = daily[m.enterprise]
        for i in judged:
            got = stats.get(m.enterprise, {}).get(i)
            if got is not None:
                mean, sd = got
                z = (d[i] - mean) / sd
                if abs(z) > st.sigma:
                    sus.reasons.append(Reason(
                        "PWR-UTIL-OWN-3SIGMA",
                        N_("%(day)s: %(kwh)s kWh, outside its own mean %(mean)s ± %(k)sσ (σ %(sd)s kWh; z = %(z)s)."),
                        dict(day=days[i].isoformat(), kwh=f"{d[i]:.0f}", mean=f"{mean:.0f}", k=f"{st.sigma:g}",
                             sd=f"{sd:.0f}", z=f"{z:+.1f}"),
                        {"kwh": rounded(d[i]), "mean": rounded(mean), "sigma": rounded(sd), "z": rounded(z)}, days[i]))
            mine = level.get(m.enterprise, {}).get(i)
            others = [level[o.enterprise][i] for o in meters if o.enterprise != m.enterprise
                      and o.industry == m.industry and m.industry and i in level.get(o.enterprise, {})]
            if mine is None or len(others) < st.min_cohort:
                continue
            c_mean = float(np.mean(others))
            c_sd = max(float(np.std(others, ddof=1)), st.min_rel_sigma * abs(c_mean))
            z = (mine - c_mean) / c_sd
            if abs(z) > st.sigma:
                sus.reasons.append(Reason(
                    "PWR-UTIL-COHORT-3SIGMA",
                    N_("%(day)s: at %(level)s %% of its own mean while its industry (%(n)s enterprises) was at "
                       "%(cohort)s %% ± %(k)sσ (z = %(z)s)."),
                    dict(day=days[i].isoformat(), level=f"{100 * mine:.0f}", n=len(others),
                         cohort=f"{100 * c_mean:.0f}", k=f"{st.sigma:g}", z=f"{z:+.1f}"),
                    {"level": rounded(mine), "cohort_mean": rounded(c_mean), "cohort_sigma": rounded(c_sd),
                     "cohort_size": len(others), "z": rounded(z)}, days[i]))
        if sus.reasons:
            out.append(sus)
    return sorted(out, key=lambda s: s.rank)
