"""Read model of the utility-meter suspect list (用电异常嫌疑名单): the enterprises of some regions metered by a
total meter only (no production or treatment sub-meter), their hourly energy per local day from
``power_readings`` (one grouped query), judged by :mod:`..rules.utility`.

The days are complete local days up to yesterday: ``history_days`` before the ``judged_days`` judged ones. An
enterprise's schedule (continuous, three-shift, night) is its registry's (``power_enterprises.schedule``, fleet
import or registry page); the setting ``power.schedules`` (credit code → schedule) remains a fallback for an
enterprise whose registry has no row.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.subsystems.power import schema as ps
from ecosentry.subsystems.power.queries.measures import DEFAULT_TZ
from ecosentry.subsystems.power.queries.readings import hourly_power
from ecosentry.subsystems.power.rules.utility import SCHEDULES, Suspect, UtilityMeter, suspects
from ecosentry.subsystems.power.settings import PowerSettings

__all__ = ["utility_metered", "utility_meters", "suspect_list"]


def utility_metered(conn: Connection, region_codes: list[str] | None = None) -> list[dict]:
    """Enterprises whose metered equipment is only ``total`` meters: id, credit code, name, industry, region,
    the total meters' ids, the devices' zone and the registry's declared ``schedule`` (None: no row)."""
    e, q, d = s.enterprises, ps.power_equipment, ps.power_devices
    rows = conn.execute(select(q.c.enterprise_id, q.c.role, q.c.meter_id).where(q.c.meter_id.is_not(None))).all()
    roles: dict[int, set[str]] = {}
    totals: dict[int, list[int]] = {}
    for ent, role, meter in rows:
        roles.setdefault(ent, set()).add(role)
        if role == "total":
            totals.setdefault(ent, []).append(meter)
    ids = sorted(ent for ent, r in roles.items() if r == {"total"})
    if not ids:
        return []
    query = select(e.c.id, e.c.credit_code, e.c.name, e.c.industry, e.c.region_code).where(e.c.id.in_(ids))
    if region_codes is not None:
        query = query.where(e.c.region_code.in_(region_codes))
    zones = dict(conn.execute(select(d.c.enterprise_id, d.c.tz).where(d.c.enterprise_id.in_(ids))).all())
    stored = {r.enterprise_id: r.schedule for r in conn.execute(
        select(ps.power_enterprises.c.enterprise_id, ps.power_enterprises.c.schedule)
        .where(ps.power_enterprises.c.enterprise_id.in_(ids)))}
    return [dict(r._mapping) | {"meters": sorted(totals[r.id]), "tz": zones.get(r.id) or DEFAULT_TZ,
                                "schedule": stored.get(r.id)}
            for r in conn.execute(query.order_by(e.c.name))]


def utility_meters(conn: Connection, enterprises: list[dict], days: list[date], settings: PowerSettings
                   ) -> list[UtilityMeter]:
    """Each enterprise's hourly energy (days × 24 kWh) on the local days given."""
    min_minutes = math.ceil(settings.orders.min_coverage * 60)
    out = []
    for ent in enterprises:
        zone = ZoneInfo(ent["tz"])
        start = datetime.combine(days[0], time(), zone).astimezone(timezone.utc)
        end = datetime.combine(days[-1] + timedelta(days=1), time(), zone).astimezone(timezone.utc)
        grid = hourly_power(conn, ent["meters"], start, end)
        kwh = grid.summed(ent["meters"], min_minutes)
        table = np.full((len(days), 24), np.nan)
        for j, v in enumerate(kwh):
            t = (grid.start + timedelta(hours=j)).astimezone(zone)
            i = (t.date() - days[0]).days
            if 0 <= i < len(days):
                table[i, t.hour] = v
        schedule = ent.get("schedule") or settings.schedules.get(ent["credit_code"], "day")
        out.append(UtilityMeter(ent["credit_code"], ent["name"], ent["industry"] or "", table,
                                schedule if schedule in SCHEDULES else "day"))
    return out


def suspect_list(conn: Connection, settings: PowerSettings | None = None, *, region_codes: list[str] | None = None,
                 enterprise_ids: frozenset[int] | None = None, today: date | None = None
                 ) -> tuple[list[Suspect], list[date], list[dict]]:
    """The ranked suspects, the judged days and the enterprises considered, of ``region_codes`` (None: all);
    only the visible ones are returned when ``enterprise_ids`` is given, but the cohorts are formed before that
    filter, so a county user's list is judged against the same industries as the city's."""
    settings = settings or PowerSettings()
    st = settings.utility
    today = today or datetime.now(ZoneInfo(DEFAULT_TZ)).date()
    n = st.history_days + st.judged_days
    days = [today - timedelta(days=n - i) for i in range(n)]
    ents = utility_metered(conn, region_codes)
    found = suspects(utility_meters(conn, ents, days, settings), days, st) if ents else []
    codes = {e["credit_code"]: e for e in ents}
    if enterprise_ids is not None:
        found = [x for x in found if codes[x.enterprise]["id"] in enterprise_ids]
        ents = [e for e in ents if e["id"] in enterprise_ids]
    return found, days[-st.judged_days:], ents
