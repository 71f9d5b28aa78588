"""Enterprises with their outlets and points, within the principal's scope (the public: published ones)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine, func, select, true

from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.auth.deps import current_principal
from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s
from ecosentry.store.registry import region_subtree

router = APIRouter(prefix="/api/v1", tags=["registry"])


def enterprises_with_points(engine: Engine, *, region: str | None = None, offset: int = 0,
                            limit: int | None = None, principal: Principal | None = None) -> tuple[list[dict], int]:
    """Enterprises (of ``region`` and below) with outlets and points; only ``principal``'s when given:
    its enterprises, and of those only its points (an O&M contractor sees the points it maintains)."""
    e, r = s.enterprises, s.regions
    q = select(e, r.c.name.label("region_name")).join(r, e.c.region_code == r.c.code)
    if principal is not None:
        q = q.where(principal.enterprise_clause(e.c.id))
    with engine.connect() as conn:
        if region:
            q = q.where(e.c.region_code.in_(region_subtree(conn, region)))
        total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        ents = [dict(x) for x in conn.execute(q.order_by(e.c.region_code, e.c.id).offset(offset).limit(limit))
                .mappings()]
        ids = [x["id"] for x in ents]
        outlets = conn.execute(select(s.outlets).where(s.outlets.c.enterprise_id.in_(ids))
                               .order_by(s.outlets.c.code)).mappings().all()
        points = conn.execute(select(s.points.c.id, s.points.c.mn, s.points.c.name, s.points.c.outlet_id,
                                     s.points.c.tz).where(s.points.c.outlet_id.in_([o["id"] for o in outlets]),
                                                          principal.point_clause(s.points.c.id) if principal
                                                          else true())
                              .order_by(s.points.c.id)).mappings().all()
    by_outlet: dict[int, list] = {}
    for p in points:
        by_outlet.setdefault(p["outlet_id"], []).append(dict(p))
    by_ent: dict[int, list] = {}
    for o in outlets:
        by_ent.setdefault(o["enterprise_id"], []).append({**dict(o), "points": by_outlet.get(o["id"], [])})
    for x in ents:
        x["outlets"] = by_ent.get(x["id"], [])
    return ents, total


@router.get("/enterprises", summary="Enterprises with outlets and points")
def list_enterprises(engine: Engine = Depends(get_engine), p: Page = Depends(paging),
                     region: str | None = Query(None, description="GB/T 2260 code: this region and below"),
                     principal: Principal = Depends(current_principal)):
    items, total = enterprises_with_points(engine, region=region, offset=p.offset, limit=p.page_size,
                                           principal=principal)
    return paged(items, total, p)
