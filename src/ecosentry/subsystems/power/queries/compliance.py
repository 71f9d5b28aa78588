"""Read model of compliance during a heavy-pollution alert (重污染天气应急减排 执行情况) and of its control effect
(管控效果): per enterprise of the alert's region with an emission-reduction list, each order judged by the order
rules (:mod:`..rules.orders`), a verdict with its numbers, and the consumption change against the baseline per
enterprise, industry and region, as the Weifang study reports it (``shared/reference/subsystems.md`` §1.2, §1.5,
§7 items 6 and 10).

Verdicts (ours):

* an order **breaches** when its rule finds something: a stopped unit running ≥ ``stop_min_minutes``
  (``PWR-ORDER-STOP-RUNNING``) or an hour above the allowed share × (1 + tolerance) (``PWR-ORDER-LIMIT-EXCEEDED``);
* it has **no data** when it found nothing but could not judge: a stopped unit's meter read less than
  ``min_coverage`` of the judged minutes, or no hour of a limit could be judged (no reading or no baseline);
* otherwise it **complies**. An enterprise breaches when any order does; else it has no data when any order has
  none; else it complies.

Only the part of the alert that has passed is judged (``now``): the page of an alert in force shows the
verdict so far. The **control effect** of an enterprise is its production-side energy (production equipment
but safety loads; the total meter for an enterprise without sub-meters) over the judged clock hours against
its baseline of the same hours; a group's change is Σ energy ÷ Σ baseline − 1 over its enterprises with both,
with the mean of the enterprises' changes and, for the stopped enterprises (every production unit under a stop
order), how many fell by more than 75 % (Weifang: "fully stopped enterprises fell > 75 %").

Computed in bulk: one grouped query of hourly mean power per enterprise (the baseline's 30 days), minute power
only for the stopped units inside the alert.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.store.queries.pollution_alerts import alert as alert_row
from ecosentry.store.queries.pollution_alerts import alerts_overlapping, region_ancestry
from ecosentry.store.registry import region_subtree
from ecosentry.subsystems.power.queries.measures import (DEFAULT_TZ, baseline_units, edited_baseline,
                                                         enterprise_zone, enterprises_with_measures, equipment_rows,
                                                         orders_for)
from ecosentry.subsystems.power.queries.readings import hourly_power, meter_thresholds, minute_power
from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.rules.learned import learn_threshold
from ecosentry.subsystems.power.rules.linkage import meter_state
from ecosentry.subsystems.power.rules.orders import Baseline, Order, hourly_baseline, limit_order, stop_order
from ecosentry.subsystems.power.rules.state import ON, MinuteSeries, Thresholds
from ecosentry.subsystems.power.settings import PowerSettings

__all__ = ["COMPLIES", "BREACH", "NO_DATA", "STOPPED_DROP", "OrderResult", "EnterpriseCompliance", "GroupEffect",
           "AlertCompliance", "alert_compliance", "enterprise_compliance", "computed_baseline", "visible_alerts"]

log = logging.getLogger(__name__)

COMPLIES, BREACH, NO_DATA = "complies", "breach", "no_data"
#: A fully stopped enterprise is expected to fall by more than this (Weifang: > 75 %, §1.2) [S].
STOPPED_DROP = 0.75
#: Days of minute readings before the alert a stopped unit's threshold is learned from when it has none [ours].
LEARN_DAYS = 2


@dataclass
class OrderResult:
    order: Order
    verdict: str
    findings: list[Finding] = field(default_factory=list)
    #: Stop orders: per unit its code, name, minutes running in the judged window, the share of minutes read.
    units: list[dict] = field(default_factory=list)
    #: Limit orders: the hour-by-hour table of :func:`..rules.orders.limit_order`.
    hours: list[dict] = field(default_factory=list)
    kwh: float | None = None
    baseline_kwh: float | None = None
    baseline_source: str | None = None  # edited | computed

    @property
    def share(self) -> float | None:
        return self.kwh / self.baseline_kwh if self.kwh is not None and self.baseline_kwh else None


@dataclass
class EnterpriseCompliance:
    enterprise: dict
    zone: str
    orders: list[OrderResult]
    verdict: str
    kwh: float | None = None
    baseline_kwh: float | None = None
    baseline_source: str | None = None
    stopped: bool = False  # every production unit is under a stop order
    #: Equipment code → name (pages say names, not codes).
    names: dict = field(default_factory=dict)
    #: Why the enterprise could not be judged at all (its registry rows), else None.
    error: str | None = None

    @property
    def change(self) -> float | None:
        """Energy change against the baseline (−0.6 = 60 % less)."""
        return self.kwh / self.baseline_kwh - 1 if self.kwh is not None and self.baseline_kwh else None

    @property
    def stop_running_minutes(self) -> int:
        return sum(u["running_minutes"] for o in self.orders for u in o.units)

    def measures(self) -> list[dict]:
        """The orders as the reader thinks of them: one line per measure and units (an alert's spans around
        another alert's joined), with the energy used against the baseline over all of them."""
        lines: dict[tuple, dict] = {}
        for o in self.orders:
            key = (o.order.measure, o.order.allowed_pct, o.order.equipment)
            line = lines.setdefault(key, {"measure": key[0], "allowed_pct": key[1], "kwh": 0.0, "baseline_kwh": 0.0,
                                          "names": [self.names.get(c, c) for c in key[2]], "verdicts": []})
            line["verdicts"].append(o.verdict)
            if o.kwh is not None and o.baseline_kwh:
                line["kwh"] += o.kwh
                line["baseline_kwh"] += o.baseline_kwh
        for line in lines.values():
            line["share"] = line["kwh"] / line["baseline_kwh"] if line["baseline_kwh"] else None
            line["verdict"] = _worst(line.pop("verdicts"))
        return list(lines.values())

    def say(self, finding: Finding, gettext) -> str:
        """A finding's sentence with the units' names instead of their codes."""
        named = ", ".join(self.names.get(c, c) for c in finding.equipment)
        return gettext(finding.msgid) % (finding.params | {"equipment": named})


@dataclass
class GroupEffect:
    key: str
    name: str
    enterprises: int = 0
    judged: int = 0
    kwh: float = 0.0
    baseline_kwh: float = 0.0
    changes: list[float] = field(default_factory=list)
    stopped: int = 0
    stopped_over: int = 0
    breaches: int = 0
    no_data: int = 0

    @property
    def change(self) -> float | None:
        return self.kwh / self.baseline_kwh - 1 if self.judged and self.baseline_kwh else None

    @property
    def mean_change(self) -> float | None:
        return float(np.mean(self.changes)) if self.changes else None

    def add(self, e: EnterpriseCompliance) -> None:
        self.enterprises += 1
        self.breaches += e.verdict == BREACH
        self.no_data += e.verdict == NO_DATA
        if e.change is not None:
            self.judged += 1
            self.kwh += e.kwh
            self.baseline_kwh += e.baseline_kwh
            self.changes.append(e.change)
        if e.stopped:
            self.stopped += 1
            self.stopped_over += e.change is not None and e.change < -STOPPED_DROP


@dataclass
class AlertCompliance:
    alert: dict
    start: datetime
    #: The end of the judged part (the alert's end, or ``now`` while it is in force).
    end: datetime
    in_force: bool
    enterprises: list[EnterpriseCompliance]
    by_industry: list[GroupEffect]
    by_region: list[GroupEffect]
    total: GroupEffect


def _worst(verdicts: list[str]) -> str:
    return BREACH if BREACH in verdicts else NO_DATA if NO_DATA in verdicts or not verdicts else COMPLIES


def _local_hours(grid_start: datetime, values: np.ndarray, zone: ZoneInfo) -> MinuteSeries:
    return MinuteSeries(grid_start.astimezone(zone), values, timedelta(hours=1))


def _thresholds(meter: dict, th_row: dict | None, power: np.ndarray, settings: PowerSettings) -> Thresholds | None:
    """The meter's threshold version in force, else learned from the readings, else a share of rated power."""
    st = settings.thresholds
    if th_row is not None:
        return Thresholds(th_row["on_kw"], th_row["off_kw"], th_row["dwell"], th_row.get("dwell_off") or st.dwell_off)
    rated = meter.get("rated_kw")
    got = learn_threshold(power, rated_kw=rated, floor=st.floor_kw, min_separation=st.min_separation,
                          min_share=st.min_share, min_ratio=st.min_ratio, fallback_share=st.fallback_share,
                          dwell=st.dwell_on, dwell_off=st.dwell_off)
    return got.thresholds


def _stop(conn: Connection, order: Order, named: list[dict], zone: ZoneInfo, settings: PowerSettings) -> OrderResult:
    os_ = settings.orders
    meters = [e["meter_id"] for e in named if e["meter_id"] is not None]
    lead = timedelta(days=LEARN_DAYS)
    grid_start = order.start.astimezone(timezone.utc).replace(second=0, microsecond=0) - lead
    power = minute_power(conn, meters, grid_start, order.end)
    ths = meter_thresholds(conn, meters, order.start)
    lead_n = int(lead.total_seconds() // 60)
    states, units, unknown = [], [], False
    for e in named:
        p = power.get(e["meter_id"]) if e["meter_id"] is not None else None
        window = p[lead_n:] if p is not None else np.array([])
        cover = float(np.isfinite(window).mean()) if window.size else 0.0
        th = _thresholds(e, ths.get(e["meter_id"]), p, settings) if p is not None and np.isfinite(p).any() else None
        running = 0
        if th is not None:
            st = meter_state(e["code"], MinuteSeries(grid_start.astimezone(zone), p), th,
                             e.get("normal_kw") or e.get("rated_kw") or th.on,
                             bridge_minutes=settings.linkage.offline_minutes)
            states.append(st)
            running = int((st.codes[lead_n:] == ON).sum())
        unknown |= cover < os_.min_coverage
        units.append({"code": e["code"], "name": e["name"], "running_minutes": running,
                      "coverage": round(cover, 3), "on_kw": th.on if th else None})
    found = stop_order(order, states, settings=os_) if states else []
    verdict = BREACH if found else NO_DATA if unknown else COMPLIES
    return OrderResult(order, verdict, found, units=units)


def _limit(order: Order, grid, named: list[dict], zone: ZoneInfo, settings: PowerSettings, min_minutes: int
           ) -> OrderResult:
    os_ = settings.orders
    meters = [e["meter_id"] for e in named if e["meter_id"] is not None]
    series = _local_hours(grid.start, grid.summed(meters, min_minutes), zone)
    midnight = order.start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    # the edited baseline of this enterprise for this alert, when one applies (queries.measures.orders_for)
    baseline, source = order.baseline(), "edited" if order.baseline_kwh is not None else None
    if baseline is None:
        try:
            baseline, source = hourly_baseline(series, series.values, midnight, settings=os_), "computed"
        except ValueError:
            pass
    if baseline is None or len(meters) < len(named):
        return OrderResult(order, NO_DATA, baseline_source=source)
    found, table = limit_order(order, series, series.values, baseline, settings=os_)
    judged = [h for h in table if h["judged"]]
    kwh = sum(h["kwh"] for h in judged) if judged else None
    base = sum(h["baseline_kwh"] for h in judged) if judged else None
    verdict = BREACH if found else COMPLIES if judged else NO_DATA
    return OrderResult(order, verdict, found, hours=table, kwh=kwh, baseline_kwh=base, baseline_source=source)


def enterprise_compliance(conn: Connection, enterprise: dict, start: datetime, end: datetime,
                          settings: PowerSettings, alert_id: int | None = None) -> EnterpriseCompliance:
    """One enterprise's orders in [start, end) (of ``alert_id`` only, when given) judged, with its control effect."""
    zone_name = enterprise_zone(conn, enterprise["id"])
    zone = ZoneInfo(zone_name)
    equipment = equipment_rows(conn, enterprise["id"])
    by_code = {e["code"]: e for e in equipment}
    orders = [o for o in orders_for(conn, enterprise["id"], start, end) if alert_id is None or o.alert_id == alert_id]
    orders = [replace(o, start=o.start.astimezone(zone), end=o.end.astimezone(zone)) for o in orders]
    units = baseline_units(equipment)  # whose energy a baseline is (queries.measures)
    production = [e for e in equipment if e["code"] in units]
    production_meters = [e["meter_id"] for e in production if e["meter_id"] is not None]
    os_ = settings.orders
    min_minutes = math.ceil(os_.min_coverage * 60)
    first_day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    named_meters = {by_code[c]["meter_id"] for o in orders for c in o.equipment if c in by_code}
    grid = hourly_power(conn, sorted((set(production_meters) | named_meters) - {None}),
                        first_day - timedelta(days=os_.baseline_days), end)
    edited = edited_baseline(conn, enterprise["id"], alert_id)
    results = []
    for o in orders:
        named = [by_code[c] for c in o.equipment if c in by_code]
        results.append(_stop(conn, o, named, zone, settings) if o.measure == "stop" else
                       _limit(o, grid, named, zone, settings, min_minutes))
    out = EnterpriseCompliance(enterprise, zone_name, results, _worst([r.verdict for r in results]),
                               names={e["code"]: e["name"] for e in equipment})
    stop_codes = {c for o in orders if o.measure == "stop" for c in o.equipment}
    out.stopped = bool(production) and all(e["code"] in stop_codes for e in production)
    # control effect: production-side energy over the judged clock hours against the baseline of those hours
    series = _local_hours(grid.start, grid.summed(production_meters, min_minutes), zone)
    base = None
    if edited is not None:
        base, out.baseline_source = Baseline(np.asarray(edited["hours_kwh"], float), ("edited",)), "edited"
    elif production_meters:
        try:
            base = hourly_baseline(series, series.values, first_day, settings=os_)
            out.baseline_source = "computed"
        except ValueError:
            base = None
    if base is not None:
        kwh = b = 0.0
        n = 0
        for i, v in enumerate(series.values):
            t = series.time(i)
            if t < start or t + timedelta(hours=1) > end or not np.isfinite(v):
                continue
            h = base.hour(t)
            if np.isfinite(h):
                kwh, b, n = kwh + float(v), b + h, n + 1
        if n:
            out.kwh, out.baseline_kwh = round(kwh, 3), round(b, 3)
    return out


def alert_compliance(conn: Connection, alert_id: int, settings: PowerSettings | None = None, *,
                     now: datetime | None = None, enterprise_ids: frozenset[int] | None = None
                     ) -> AlertCompliance | None:
    """Every enterprise with measures in the alert's region (``enterprise_ids``: only those visible), judged over
    the part of the alert that has passed; None for an unknown alert."""
    settings = settings or PowerSettings()
    a = alert_row(conn, alert_id)
    if a is None:
        return None
    now = now or datetime.now(timezone.utc)
    planned = a["lifted_at"] or a["ends_at"]
    end = min(planned, now) if planned is not None else now
    in_force = a["starts_at"] <= now and (planned is None or now < planned)
    ents = [e for e in enterprises_with_measures(conn, region_subtree(conn, a["region_code"]))
            if enterprise_ids is None or e["id"] in enterprise_ids]
    results = []
    for e in ents:
        try:
            results.append(enterprise_compliance(conn, e, a["starts_at"], max(end, a["starts_at"]), settings, alert_id))
        except ValueError as exc:  # one enterprise's unusable registry rows do not hide the region's view
            log.warning("alert %s: enterprise %s not judged: %s", alert_id, e["id"], exc)
            results.append(EnterpriseCompliance(e, DEFAULT_TZ, [], NO_DATA, error=str(exc)[:300]))
    industries: dict[str, GroupEffect] = {}
    regions: dict[str, GroupEffect] = {}
    total = GroupEffect("", "")
    for r in results:
        ind = r.enterprise["industry"] or ""
        industries.setdefault(ind, GroupEffect(ind, ind)).add(r)
        reg = r.enterprise["region_code"]
        regions.setdefault(reg, GroupEffect(reg, r.enterprise["region_name"])).add(r)
        total.add(r)
    return AlertCompliance(a, a["starts_at"], end, in_force, results, sorted(industries.values(), key=lambda g: g.key),
                           sorted(regions.values(), key=lambda g: g.key), total)



def computed_baseline(conn: Connection, enterprise_id: int, before: datetime, settings: PowerSettings | None = None
                      ) -> Baseline | None:
    """The enterprise's production-side baseline computed from its readings before ``before`` (the order rule's
    :func:`..rules.orders.hourly_baseline`), None without a day of data; what an edit starts from."""
    settings = settings or PowerSettings()
    zone = ZoneInfo(enterprise_zone(conn, enterprise_id))
    equipment = equipment_rows(conn, enterprise_id)
    units = baseline_units(equipment)  # whose energy a baseline is (queries.measures)
    production = [e for e in equipment if e["code"] in units]
    meters = [e["meter_id"] for e in production if e["meter_id"] is not None]
    if not meters:
        return None
    midnight = before.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    grid = hourly_power(conn, meters, midnight - timedelta(days=settings.orders.baseline_days), midnight)
    series = _local_hours(grid.start, grid.summed(meters, math.ceil(settings.orders.min_coverage * 60)), zone)
    try:
        return hourly_baseline(series, series.values, midnight, settings=settings.orders)
    except ValueError:
        return None


def visible_alerts(conn: Connection, start: datetime, end: datetime, region_codes: frozenset[str] | None,
                   region_code: str | None, enterprise_ids: frozenset[int] | None = None) -> list[dict]:
    """Alerts meeting [start, end) that a reader sees: every alert for a reader of everything
    (``region_codes`` None); else those issued for a region of the reader's subtree or above its root
    (``region_code``: a county officer sees the city's alert), or covering one of the reader's enterprises
    (an enterprise, a park), newest first, with the region's name."""
    rows = alerts_overlapping(conn, start, end)
    if region_codes is not None:
        above = set(region_ancestry(conn, region_code)) if region_code else set()
        if enterprise_ids:
            e = s.enterprises
            for code in set(conn.execute(select(e.c.region_code).where(e.c.id.in_(sorted(enterprise_ids)))).scalars()):
                above |= set(region_ancestry(conn, code))
        rows = [a for a in rows if a["region_code"] in region_codes or a["region_code"] in above]
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    return [a | {"region_name": names.get(a["region_code"], a["region_code"])}
            for a in sorted(rows, key=lambda a: a["starts_at"], reverse=True)]
