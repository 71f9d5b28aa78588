"""Read model of the heavy-pollution weather alerts (重污染天气预警; ``pollution_alerts``): which alert is in force
where and when. An alert issued for a region covers every region below it; where several overlap, the highest
level counts (red > orange > yellow). Used by the alert pages and by the subsystems whose measures follow the
alert (electricity: stop/limit orders; vehicle gates: which emission stages may enter).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, false, func, or_, select, true

from ecosentry.store import schema as s

__all__ = ["LEVELS", "level_rank", "region_ancestry", "alerts_in_force", "alerts_overlapping", "alert", "STATUSES",
           "status", "concerned_regions", "enterprise_regions", "alert_list", "alert_detail", "alert_history",
           "episode", "any_in_force", "banner_alerts", "region_choices"]

#: Alert levels, lowest first (GB/T 27967-style colour scale as the provinces' plans use it).
LEVELS: tuple[str, ...] = ("yellow", "orange", "red")


def level_rank(level: str) -> int:
    """yellow 1, orange 2, red 3 (``ValueError`` for another word)."""
    return LEVELS.index(level) + 1


def region_ancestry(conn: Connection, code: str) -> list[str]:
    """The region and every region above it, nearest first."""
    parents = dict(conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all())
    out: list[str] = []
    while code is not None and code not in out:
        out.append(code)
        code = parents.get(code)
    return out


def _ended(at: datetime):
    a = s.pollution_alerts
    end = func.coalesce(a.c.lifted_at, a.c.ends_at)
    return or_(and_(a.c.lifted_at.is_(None), a.c.ends_at.is_(None)), end > at)


def _not_cancelled():
    """Not lifted before it began (a scheduled alert called off never was in force)."""
    a = s.pollution_alerts
    return or_(a.c.lifted_at.is_(None), a.c.lifted_at > a.c.starts_at)


def alerts_in_force(conn: Connection, region_code: str, at: datetime) -> list[dict]:
    """The alerts in force at ``at`` for a place in ``region_code`` (issued for it or a region above it),
    highest level first, then the latest start."""
    a = s.pollution_alerts
    rows = conn.execute(select(a).where(a.c.region_code.in_(region_ancestry(conn, region_code)),
                                        a.c.starts_at <= at, _ended(at))).mappings().all()
    return sorted((dict(r) for r in rows), key=lambda r: (-level_rank(r["level"]), -r["starts_at"].timestamp()))


def alerts_overlapping(conn: Connection, start: datetime, end: datetime,
                       region_codes: list[str] | None = None) -> list[dict]:
    """Alerts whose period meets [start, end), optionally only those issued for ``region_codes``; by start."""
    a = s.pollution_alerts
    q = select(a).where(a.c.starts_at < end, _ended(start), _not_cancelled())
    if region_codes is not None:
        q = q.where(a.c.region_code.in_(region_codes))
    return [dict(r) for r in conn.execute(q.order_by(a.c.starts_at, a.c.id)).mappings()]


def alert(conn: Connection, alert_id: int) -> dict | None:
    """One alert by id, or None."""
    row = conn.execute(select(s.pollution_alerts).where(s.pollution_alerts.c.id == alert_id)).mappings().first()
    return dict(row) if row else None


# --------------------------------------------------------------------------- status (pure)

#: Where an alert stands at a moment: not begun, in force, ended as planned, lifted early, called off.
STATUSES: tuple[str, ...] = ("scheduled", "in_force", "ended", "lifted", "cancelled")


def status(row: dict, at: datetime) -> str:
    """The status of an alert (a row) at ``at``: ``scheduled`` before its start, ``in_force`` from its start
    until it is lifted or its planned end, then ``lifted`` (解除 before the planned end) or ``ended``;
    ``cancelled`` when it was lifted before it began."""
    lifted, start = row.get("lifted_at"), row["starts_at"]
    if lifted is not None and lifted <= start:
        return "cancelled"
    if at < start:
        return "scheduled"
    end = lifted or row.get("ends_at")
    if end is None or at < end:
        return "in_force"
    return "lifted" if lifted is not None else "ended"


# --------------------------------------------------------------------------- whom an alert concerns


def concerned_regions(conn: Connection, regions: Iterable[str]) -> set[str]:
    """The regions whose alerts concern a place in any of ``regions``: each region and every region above it
    (an alert covers its subtree). For a regulator's subtree this is the subtree plus the regions above it."""
    parents = dict(conn.execute(select(s.regions.c.code, s.regions.c.parent_code)).all())
    out: set[str] = set()
    for code in regions:
        while code is not None and code not in out:
            out.add(code)
            code = parents.get(code)
    return out


def enterprise_regions(conn: Connection, enterprise_ids: Iterable[int]) -> set[str]:
    """The regions of the enterprises (``enterprises.region_code``)."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return set()
    e = s.enterprises
    return set(conn.execute(select(e.c.region_code).where(e.c.id.in_(ids), e.c.region_code.is_not(None))).scalars())


# --------------------------------------------------------------------------- lists and detail (pages, API, CLI)


def _with_region_names(conn: Connection, rows: list[dict]) -> list[dict]:
    names = dict(conn.execute(select(s.regions.c.code, s.regions.c.name)).all())
    return [{**r, "region_name": names.get(r["region_code"], r["region_code"])} for r in rows]


def alert_list(conn: Connection, regions: Collection[str] | None, *, when: str | None, at: datetime,
               start: datetime | None = None, end: datetime | None = None, region: str | None = None,
               offset: int = 0, limit: int = 200) -> tuple[list[dict], int]:
    """Alerts issued for ``regions`` (``None`` = all), with ``region_name``, and how many match.

    ``when``: ``in_force`` (at ``at``; highest level first), ``scheduled`` (begin after ``at``; soonest
    first), ``past`` (ended, lifted or called off by ``at``; latest first) or ``None`` (all, latest first);
    ``start``/``end`` keep those whose period meets [start, end); ``region`` those issued for it."""
    a = s.pollution_alerts
    actual_end = func.coalesce(a.c.lifted_at, a.c.ends_at)
    conds = []
    if regions is not None:
        conds.append(a.c.region_code.in_(sorted(regions)) if regions else false())
    if region:
        conds.append(a.c.region_code == region)
    order = [a.c.starts_at.desc(), a.c.id.desc()]
    if when == "in_force":
        conds += [a.c.starts_at <= at, _ended(at), _not_cancelled()]
    elif when == "scheduled":
        conds += [a.c.starts_at > at, _not_cancelled()]
        order = [a.c.starts_at, a.c.id]
    elif when == "past":
        conds.append(or_(actual_end <= at, ~_not_cancelled()))
        order = [actual_end.desc(), a.c.id.desc()]
    elif when is not None:
        raise ValueError(f"unknown list {when!r}")
    if start is not None:
        conds.append(or_(actual_end.is_(None), actual_end > start))
    if end is not None:
        conds.append(a.c.starts_at < end)
    where = and_(true(), *conds)
    total = int(conn.execute(select(func.count()).select_from(a).where(where)).scalar() or 0)
    rows = [dict(r) for r in conn.execute(select(a).where(where).order_by(*order).offset(offset).limit(limit))
            .mappings()]
    if when == "in_force":
        rows.sort(key=lambda r: (-level_rank(r["level"]), -r["starts_at"].timestamp()))
    return _with_region_names(conn, rows), total


def alert_detail(conn: Connection, alert_id: int) -> dict | None:
    """One alert with ``region_name``, or None."""
    row = alert(conn, alert_id)
    return _with_region_names(conn, [row])[0] if row else None


def alert_history(conn: Connection, alert_id: int) -> list[dict]:
    """The alert's audit rows (issue, corrections, level change, lift), oldest first."""
    log = s.audit_log
    return [dict(r) for r in conn.execute(select(log).where(log.c.entity == "pollution_alert",
                                                            log.c.entity_id == str(alert_id))
                                          .order_by(log.c.id)).mappings()]


def episode(conn: Connection, alert_id: int) -> list[dict]:
    """The episode (预警过程) the alert belongs to: the alerts of its region that follow one another without a
    gap (a level change ends one alert and begins the next at the same minute), by start. Empty when unknown."""
    a = s.pollution_alerts
    row = alert(conn, alert_id)
    if row is None:
        return []
    rows = [dict(r) for r in conn.execute(select(a).where(a.c.region_code == row["region_code"], _not_cancelled())
                                          .order_by(a.c.starts_at, a.c.id)).mappings()]
    index = next((i for i, r in enumerate(rows) if r["id"] == alert_id), None)
    if index is None:  # a cancelled alert is an episode of its own
        return [row]
    lo = hi = index
    while lo > 0 and (rows[lo - 1]["lifted_at"] or rows[lo - 1]["ends_at"]) == rows[lo]["starts_at"]:
        lo -= 1
    while hi + 1 < len(rows) and (rows[hi]["lifted_at"] or rows[hi]["ends_at"]) == rows[hi + 1]["starts_at"]:
        hi += 1
    return rows[lo:hi + 1]


def any_in_force(conn: Connection, at: datetime) -> bool:
    """Whether any alert at all is in force at ``at``: one cheap query, so that the banner, asked on every page,
    costs nothing more on the days without an alert."""
    a = s.pollution_alerts
    return conn.execute(select(a.c.id).where(a.c.starts_at <= at, _ended(at), _not_cancelled()).limit(1)).first() \
        is not None


def banner_alerts(conn: Connection, regions: Collection[str] | None, at: datetime) -> list[dict]:
    """The alerts in force at ``at`` issued for ``regions`` (``None`` = all), with ``region_name``, highest
    level first."""
    rows, _ = alert_list(conn, regions, when="in_force", at=at)
    return rows


def region_choices(conn: Connection, codes: Collection[str] | None) -> list[tuple[str, str]]:
    """(code, name) of the regions an alert may be issued for (``None`` = every region), by code."""
    r = s.regions
    q = select(r.c.code, r.c.name).order_by(r.c.code)
    if codes is not None:
        q = q.where(r.c.code.in_(sorted(codes)) if codes else false())
    return [(c, n) for c, n in conn.execute(q)]
