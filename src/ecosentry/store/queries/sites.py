"""Read model of the registry as the pages and the API show it: regions, enterprises with their outlets and
points, factors, and the counts that colour a point (latest receipt, exceeded hours, open alarms).

One set of queries for the ``/api/v1/enterprises`` route, the home list, the map, the dashboard, the
enterprise/outlet/point pages, the working pages' choice lists and the admin forms. The scope is passed as
``WHERE`` clauses the caller builds from its principal (``principal.enterprise_clause(...)``,
``principal.point_clause(...)``, ``principal.region_clause(...)``); this module only reads.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree

__all__ = ["enterprise_exists", "point_exists", "region_exists", "outlet_enterprise", "regions_in",
           "all_regions", "enterprise_tree", "enterprise_page", "scoped_points", "point_state_counts",
           "factor_catalogue", "reference_names", "row_count"]

Clause = ColumnElement[bool]


def enterprise_exists(conn: Connection, enterprise_id: int) -> bool:
    e = s.enterprises
    return conn.execute(select(e.c.id).where(e.c.id == enterprise_id)).first() is not None


def point_exists(conn: Connection, point_id: int) -> bool:
    p = s.points
    return conn.execute(select(p.c.id).where(p.c.id == point_id)).first() is not None


def region_exists(conn: Connection, code: str) -> bool:
    r = s.regions
    return conn.execute(select(r.c.code).where(r.c.code == code)).first() is not None


def outlet_enterprise(conn: Connection, outlet_id: int) -> int | None:
    """The enterprise of outlet ``outlet_id``, ``None`` when there is no such outlet."""
    o = s.outlets
    return conn.execute(select(o.c.enterprise_id).where(o.c.id == outlet_id)).scalar()


def regions_in(conn: Connection, scope: Clause, *, with_parent: bool = False) -> list[dict]:
    """The regions in ``scope`` (a clause on ``regions.code``): code, name, level (and parent_code), by code."""
    r = s.regions
    cols = [r.c.code, r.c.name, r.c.level] + ([r.c.parent_code] if with_parent else [])
    return [dict(x) for x in conn.execute(select(*cols).where(scope).order_by(r.c.code)).mappings()]


def all_regions(conn: Connection) -> dict[str, dict]:
    """Region code → code, name, level, for every region."""
    r = s.regions
    return {x["code"]: dict(x) for x in conn.execute(select(r.c.code, r.c.name, r.c.level)).mappings()}


def enterprise_tree(conn: Connection, enterprise_scope: Clause, point_scope: Clause, *,
                    outlets_need_points: bool, regions: list[str] | None = None,
                    enterprise_id: int | None = None, outlet_id: int | None = None) -> list[dict]:
    """Enterprises in ``enterprise_scope`` (optionally within ``regions``, or only one), by region then id, each
    with its region name, ``outlets`` (by code) and the ``points`` in ``point_scope`` of each outlet (by id).
    ``outlets_need_points``: leave out the outlets without a point in scope (a scope made of points)."""
    e, o, p, r = s.enterprises, s.outlets, s.points, s.regions
    q = (select(e, r.c.name.label("region_name")).join(r, e.c.region_code == r.c.code)
         .where(enterprise_scope).order_by(e.c.region_code, e.c.id))
    if regions is not None:
        q = q.where(e.c.region_code.in_(regions))
    if enterprise_id is not None:
        q = q.where(e.c.id == enterprise_id)
    ents = [dict(x) for x in conn.execute(q).mappings()]
    ids = [x["id"] for x in ents]
    oq = select(o).where(o.c.enterprise_id.in_(ids)).order_by(o.c.enterprise_id, o.c.code)
    if outlet_id is not None:
        oq = oq.where(o.c.id == outlet_id)
    outlets = [dict(x) for x in conn.execute(oq).mappings()] if ids else []
    pts = conn.execute(select(p.c.id, p.c.mn, p.c.name, p.c.st, p.c.tz, p.c.outlet_id, p.c.min_interval,
                              p.c.region_code, p.c.active)
                       .where(p.c.outlet_id.in_([x["id"] for x in outlets]), point_scope)
                       .order_by(p.c.id)).mappings().all() if outlets else []
    by_outlet: dict[int, list] = {}
    for pt in pts:
        by_outlet.setdefault(pt["outlet_id"], []).append(dict(pt))
    by_ent: dict[int, list] = {}
    for x in outlets:
        if outlets_need_points and x["id"] not in by_outlet:
            continue
        by_ent.setdefault(x["enterprise_id"], []).append({**x, "points": by_outlet.get(x["id"], [])})
    for x in ents:
        x["outlets"] = by_ent.get(x["id"], [])
        x["points"] = [pt for out in x["outlets"] for pt in out["points"]]
    return ents


def enterprise_page(conn: Connection, enterprise_scope: Clause | None, point_scope: Clause | None, *,
                    region: str | None = None, offset: int = 0,
                    limit: int | None = None) -> tuple[list[dict], int]:
    """(one page of the enterprises in ``enterprise_scope`` (all if ``None``) of ``region`` and below, by region
    then id, each with its ``outlets`` (by code) and their ``points`` in ``point_scope`` (id, MN, name, outlet,
    zone; by id); how many enterprises match in all)."""
    e, r, o, p = s.enterprises, s.regions, s.outlets, s.points
    q = select(e, r.c.name.label("region_name")).join(r, e.c.region_code == r.c.code)
    if enterprise_scope is not None:
        q = q.where(enterprise_scope)
    if region:
        q = q.where(e.c.region_code.in_(region_subtree(conn, region)))
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    ents = [dict(x) for x in conn.execute(q.order_by(e.c.region_code, e.c.id).offset(offset).limit(limit))
            .mappings()]
    ids = [x["id"] for x in ents]
    outlets = conn.execute(select(o).where(o.c.enterprise_id.in_(ids)).order_by(o.c.code)).mappings().all()
    points = conn.execute(select(p.c.id, p.c.mn, p.c.name, p.c.outlet_id, p.c.tz)
                          .where(p.c.outlet_id.in_([x["id"] for x in outlets]),
                                 point_scope if point_scope is not None else true())
                          .order_by(p.c.id)).mappings().all()
    by_outlet: dict[int, list] = {}
    for pt in points:
        by_outlet.setdefault(pt["outlet_id"], []).append(dict(pt))
    by_ent: dict[int, list] = {}
    for x in outlets:
        by_ent.setdefault(x["enterprise_id"], []).append({**dict(x), "points": by_outlet.get(x["id"], [])})
    for x in ents:
        x["outlets"] = by_ent.get(x["id"], [])
    return ents, total


def scoped_points(conn: Connection, point_scope: Clause) -> list[dict]:
    """The points in ``point_scope`` with their outlet, enterprise and time zone, by enterprise then name."""
    p, o, e = s.points, s.outlets, s.enterprises
    rows = conn.execute(
        select(p.c.id, p.c.name, p.c.mn, p.c.tz, p.c.region_code, o.c.name.label("outlet_name"),
               e.c.id.label("enterprise_id"), e.c.name.label("enterprise_name"))
        .join(o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)
        .where(point_scope).order_by(e.c.name, p.c.name, p.c.id)).mappings()
    return [dict(r) for r in rows]


def point_state_counts(conn: Connection, point_ids: list[int], enterprise_ids: list[int],
                       exceeded_since: datetime) -> tuple[dict, dict, dict, dict]:
    """What colours the points: ({point: latest receipt}, {point: exceeded hours since ``exceeded_since``},
    {point: non-cleared alarms}, {enterprise: its non-cleared enterprise-level alarms (no point)})."""
    lv, h, a = s.latest_values, s.hourly_values, s.alarms
    ids = point_ids
    last = dict(conn.execute(select(lv.c.point_id, func.max(lv.c.received_at)).where(lv.c.point_id.in_(ids))
                             .group_by(lv.c.point_id)).all()) if ids else {}
    exceeded = dict(conn.execute(
        select(h.c.point_id, func.count()).where(h.c.point_id.in_(ids), h.c.exceeded.is_(True),
                                                 h.c.period_start >= exceeded_since)
        .group_by(h.c.point_id)).all()) if ids else {}
    alarms = dict(conn.execute(select(a.c.point_id, func.count()).where(a.c.point_id.in_(ids), a.c.state != "cleared")
                               .group_by(a.c.point_id)).all()) if ids else {}
    ent_alarms = dict(conn.execute(
        select(a.c.enterprise_id, func.count())
        .where(a.c.point_id.is_(None), a.c.enterprise_id.in_(enterprise_ids), a.c.state != "cleared")
        .group_by(a.c.enterprise_id)).all()) if enterprise_ids else {}
    return last, exceeded, alarms, ent_alarms


def factor_catalogue(conn: Connection) -> dict[str, dict]:
    """Factor code → ``name_zh``, ``name_en``, ``unit``."""
    f = s.factors
    return {r["code"]: dict(r) for r in conn.execute(select(f.c.code, f.c.name_zh, f.c.name_en, f.c.unit)).mappings()}


def reference_names(conn: Connection, ref: str, values=None) -> dict[str, str]:
    """value → name of a registry reference (region, park, enterprise, outlet, point, factor): every row, in
    the order a form's select lists them, or only ``values`` (a list page's rows: their names, not their keys).

    One name for a reference wherever it shows: a region or park ``name (code)``, an outlet ``enterprise ·
    name (code)``, a point ``name (MN)``; a factor's is its English name, which the page translates (the
    catalogues hold the factors)."""
    if values is not None:
        wanted = sorted({str(v) for v in values if v is not None})
        if not wanted:
            return {}
    if ref in ("region", "park", "factor"):
        t = {"region": s.regions, "park": s.parks, "factor": s.factors}[ref]
        name = t.c.name_en if ref == "factor" else t.c.name
        query = select(t.c.code, name).order_by(t.c.code)
        if values is not None:
            query = query.where(t.c.code.in_(wanted))
        rows = conn.execute(query).all()
        return {c: n if ref == "factor" else f"{n} ({c})" for c, n in rows}
    e, o, p = s.enterprises, s.outlets, s.points
    if ref == "enterprise":
        key, query, name = e.c.id, select(e.c.id, e.c.name).order_by(e.c.name, e.c.id), lambda r: r[1]
    elif ref == "outlet":
        key, name = o.c.id, lambda r: f"{r[1]} · {r[2]} ({r[3]})"
        query = (select(o.c.id, e.c.name, o.c.name, o.c.code).join(e, o.c.enterprise_id == e.c.id)
                 .order_by(e.c.name, o.c.code))
    elif ref == "point":
        key, query, name = p.c.id, select(p.c.id, p.c.name, p.c.mn).order_by(p.c.mn), lambda r: f"{r[1]} ({r[2]})"
    else:
        raise ValueError(f"unknown reference {ref!r}")
    if values is not None:
        query = query.where(key.in_([int(v) for v in wanted if v.isdigit()]))
    return {str(r[0]): name(r) for r in conn.execute(query).all()}


def row_count(conn: Connection, table: Table) -> int:
    """How many rows ``table`` holds."""
    return conn.execute(select(func.count()).select_from(table)).scalar_one()
