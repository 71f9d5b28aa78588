"""Read model of the alarms as the pages list them: the alarm list with point and enterprise names (search,
sort, paging), the recent alarms of a site, the names an alarm's wording needs, and the dashboard's counts.

The scope and the filters are ``WHERE`` clauses the caller builds (:func:`ecosentry.auth.guards.alarm_clause`,
:func:`ecosentry.web.views.site_state.open_alarm_clause`); this module only reads. The alarms' life cycle
(acknowledge, clear …) is :mod:`ecosentry.alarms.store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.queries.listing import search_clause

__all__ = ["ALARM_SORTS", "alarm_list", "recent_alarms", "alarm_place_names", "open_alarm_counts",
           "awaiting_counts"]

#: What the alarm list may be sorted by.
ALARM_SORTS = ("severity", "title", "where", "state", "occurrences", "last")


def _sort_column(sort: str, severities: Sequence[str]):
    a, p, e = s.alarms, s.points, s.enterprises
    if sort == "severity":  # by rank, not by name
        return case({sev: i for i, sev in enumerate(severities)}, value=a.c.severity, else_=-1)
    return {"title": a.c.title, "where": func.coalesce(e.c.name, p.c.name, a.c.region_code), "state": a.c.state,
            "occurrences": a.c.occurrences, "last": a.c.last_at}[sort]


def alarm_list(conn: Connection, conds: list, *, severities: Sequence[str], search: str = "", sort: str = "last",
               desc: bool = True, offset: int = 0, limit: int) -> tuple[list[dict], int]:
    """(one page of the alarms matching ``conds`` and ``search`` (in the title, enterprise or point name), with
    ``point_name``, ``enterprise_name``, ``region_name`` and the supervision case's ``disposal_state``,
    ``disposal_owed_by`` and ``disposal_due_at`` (``None`` when never pushed), sorted by ``sort`` then newest
    ``last_at`` then id; the count). ``conds`` may name ``alarm_disposals`` columns (outer-joined).
    ``severities``: the severities, least first (:data:`ecosentry.alarms.catalogue.SEVERITIES`), the rank
    the ``severity`` sort follows."""
    a, p, e, d, r = s.alarms, s.points, s.enterprises, s.alarm_disposals, s.regions
    where = list(conds)
    if (found := search_clause(search, a.c.title, p.c.name, e.c.name)) is not None:
        where.append(found)
    q = (select(a, p.c.name.label("point_name"), e.c.name.label("enterprise_name"), r.c.name.label("region_name"),
                d.c.state.label("disposal_state"), d.c.owed_by.label("disposal_owed_by"),
                d.c.due_at.label("disposal_due_at"))
         .outerjoin(p, a.c.point_id == p.c.id).outerjoin(e, a.c.enterprise_id == e.c.id)
         .outerjoin(r, a.c.region_code == r.c.code).outerjoin(d, d.c.alarm_id == a.c.id).where(*where))
    col = _sort_column(sort, severities)
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = [dict(r) for r in conn.execute(q.order_by(col.desc() if desc else col.asc(), a.c.last_at.desc(),
                                                     a.c.id.desc()).offset(offset).limit(limit)).mappings()]
    return rows, int(total)


def recent_alarms(conn: Connection, point_ids: list[int], enterprise_id: int | None, now: datetime,
                  days: int, limit: int = 50) -> list[dict]:
    """Open alarms of the points (and enterprise-level ones of the enterprise), and those cleared in the
    last ``days`` days; open first, then newest."""
    a = s.alarms
    whose = a.c.point_id.in_(point_ids)
    if enterprise_id is not None:
        whose = whose | (a.c.point_id.is_(None) & (a.c.enterprise_id == enterprise_id))
    rows = conn.execute(select(a).where(whose, or_(a.c.state != "cleared",
                                                   a.c.last_at >= now - timedelta(days=days)))
                        .order_by((a.c.state == "cleared").asc(), a.c.last_at.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def alarm_place_names(conn: Connection, point_ids: set[int],
                      enterprise_ids: set[int]) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """({point id: (name, time zone)}, {enterprise id: name}) of the given points and enterprises."""
    p, e = s.points, s.enterprises
    points = {x.id: (x.name, x.tz) for x in conn.execute(select(p.c.id, p.c.name, p.c.tz)
                                                         .where(p.c.id.in_(point_ids)))} if point_ids else {}
    ents = dict(conn.execute(select(e.c.id, e.c.name).where(e.c.id.in_(enterprise_ids))).all()) \
        if enterprise_ids else {}
    return points, ents


def open_alarm_counts(conn: Connection, where: ColumnElement[bool]) -> tuple[list, dict[str, int]]:
    """([(type, count)] by count then type, {severity: count}) of the alarms matching ``where``."""
    a = s.alarms
    by_type = conn.execute(select(a.c.type, func.count()).where(where).group_by(a.c.type)
                           .order_by(func.count().desc(), a.c.type)).all()
    by_severity = dict(conn.execute(select(a.c.severity, func.count()).where(where).group_by(a.c.severity)).all())
    return by_type, by_severity


def awaiting_counts(conn: Connection, where: ColumnElement[bool], parties: Sequence[str],
                    now: datetime) -> tuple[int, int]:
    """(supervision cases of the alarms matching ``where`` whose next step is owed by one of ``parties``, how
    many of them are past their deadline at ``now``)."""
    if not parties:
        return 0, 0
    a, d = s.alarms, s.alarm_disposals
    q = (select(func.count(), func.count(case((d.c.due_at < now, 1))))
         .select_from(d.join(a, a.c.id == d.c.alarm_id))
         .where(where, d.c.state != "closed", d.c.owed_by.in_(list(parties))))
    n, late = conn.execute(q).one()
    return int(n), int(late)
