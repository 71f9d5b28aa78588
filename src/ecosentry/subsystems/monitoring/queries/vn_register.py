"""Read model of the connection register: every registered facility and its stations with the date of each step
(obliged → installed → connected → transmitting → transmitting completely) and who is late against the Decree 08
deadline. Rules: :mod:`ecosentry.subsystems.monitoring.rules.vn.register`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.queries.vn_reception import Station, first_files, station_receptions, stations
from ecosentry.subsystems.monitoring.rules.vn.register import (CATEGORIES, FacilitySteps, RegisterSettings,
                                                                StationSteps, category, facility_steps, station_steps)

__all__ = ["FacilityEntry", "register", "late_groups"]


@dataclass(frozen=True)
class FacilityEntry:
    """A facility of the register with its steps and its stations (``Station`` with their steps)."""

    enterprise_id: int
    name: str
    region_code: str | None
    district: str | None
    industrial_zone: str | None
    category: str
    steps: FacilitySteps
    stations: list[tuple[Station, StationSteps]]
    note: dict[int, str | None]


def _local_day(t: datetime | None, tz: str) -> date | None:
    return t.astimezone(ZoneInfo(tz)).date() if t is not None else None


def register(conn: Connection, point_scope, enterprise_scope, now: datetime, *,
             settings: RegisterSettings | None = None, late_after_minutes: float = 5.0) -> list[FacilityEntry]:
    """The register in scope: facilities with a register entry (``enterprise_scope`` is a clause on
    ``enterprises.id``) and their stations in ``point_scope``, by name."""
    st = settings or RegisterSettings()
    f_, e = ms.vn_register_facilities, s.enterprises
    facs = conn.execute(select(f_, e.c.name, e.c.region_code).join(e, e.c.id == f_.c.enterprise_id)
                        .where(enterprise_scope).order_by(e.c.name)).mappings().all()
    sts = [x for x in stations(conn, point_scope) if x.category is not None]
    by_ent: dict[int, list[Station]] = defaultdict(list)
    for x in sts:
        by_ent[x.enterprise_id].append(x)
    installed = {r.point_id: (r.installed_on, r.note) for r in conn.execute(
        select(ms.vn_register_stations.c.point_id, ms.vn_register_stations.c.installed_on,
               ms.vn_register_stations.c.note).where(ms.vn_register_stations.c.point_id.in_([x.point_id for x in sts])))}
    first = first_files(conn, [x.point_id for x in sts])
    recent: dict[int, list] = {}
    by_tz: dict[str, list[Station]] = defaultdict(list)
    for x in sts:
        by_tz[x.tz].append(x)
    for tz, group in by_tz.items():  # one read of the file log per zone (the last window_days local days)
        today = now.astimezone(ZoneInfo(tz)).date()
        days = [today - timedelta(days=k) for k in range(st.window_days - 1, -1, -1)]
        for pid, rec in station_receptions(conn, group, days, now, late_after_minutes=late_after_minutes).items():
            recent[pid] = [(d.day, d.expected - d.missing, d.expected) for d in rec]
    out = []
    for fr in facs:
        cat = category(fr["category"])
        pairs = []
        for x in by_ent.get(fr["enterprise_id"], []):
            ff, fa, _measured = first.get(x.point_id, (None, None, None))
            steps = station_steps(x.point_id, cat=cat, obliged_from=fr["obliged_from"], deadline=fr["deadline"],
                                  installed_on=installed.get(x.point_id, (None, None))[0],
                                  connected_on=_local_day(x.connected_at, x.tz), first_file=_local_day(ff, x.tz),
                                  first_accepted=_local_day(fa, x.tz), recent_days=recent[x.point_id], settings=st)
            pairs.append((x, steps))
        fsteps = facility_steps(fr["enterprise_id"], [p[1] for p in pairs], cat=cat, obliged_from=fr["obliged_from"],
                                deadline=fr["deadline"])
        out.append(FacilityEntry(fr["enterprise_id"], fr["name"], fr["region_code"], fr["district"],
                                 fr["industrial_zone"], fr["category"], fsteps, pairs,
                                 {x.point_id: installed.get(x.point_id, (None, None))[1] for x, _ in pairs}))
    return out


def unregistered_enterprises(conn: Connection, enterprise_scope, registered: set[int]) -> list[dict]:
    """The enterprises in ``enterprise_scope`` (a clause on ``enterprises.id``) that have no register entry yet,
    by name: the officer's list of facilities to register."""
    rows = conn.execute(s.enterprises.select().where(enterprise_scope).order_by(s.enterprises.c.name)).mappings()
    return [dict(x) for x in rows if x["id"] not in registered]


def late_groups(entries: list[FacilityEntry], today: date) -> list[dict]:
    """The facilities late against their deadline, grouped by district then industrial zone (``None`` = outside
    any zone), the most days late first within a group."""
    groups: dict[tuple[str, str], list[tuple[FacilityEntry, int]]] = defaultdict(list)
    for f in entries:
        days = f.steps.late(today)
        if days > 0 and CATEGORIES[f.category].obliged:
            groups[(f.district or "", f.industrial_zone or "")].append((f, days))
    return [{"district": d, "industrial_zone": z, "facilities": sorted(v, key=lambda x: -x[1])}
            for (d, z), v in sorted(groups.items())]
