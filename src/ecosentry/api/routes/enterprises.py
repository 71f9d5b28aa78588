"""Enterprises with their outlets and points, within the principal's scope (the public: published ones)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Engine

from ecosentry.api.deps import Page, get_engine, paged, paging
from ecosentry.auth.deps import current_principal
from ecosentry.auth.principal import Principal
from ecosentry.store import schema as s
from ecosentry.store.queries.sites import enterprise_page

router = APIRouter(prefix="/api/v1", tags=["registry"])


def enterprises_with_points(engine: Engine, *, region: str | None = None, offset: int = 0,
                            limit: int | None = None, principal: Principal | None = None) -> tuple[list[dict], int]:
    """Enterprises (of ``region`` and below) with outlets and points; only ``principal``'s when given:
    its enterprises, and of those only its points (an O&M contractor sees the points it maintains)."""
    with engine.connect() as conn:
        return enterprise_page(conn, principal.enterprise_clause(s.enterprises.c.id) if principal else None,
                               principal.point_clause(s.points.c.id) if principal else None,
                               region=region, offset=offset, limit=limit)


@router.get("/enterprises", summary="Enterprises with outlets and points")
def list_enterprises(engine: Engine = Depends(get_engine), p: Page = Depends(paging),
                     region: str | None = Query(None, description="GB/T 2260 code: this region and below"),
                     principal: Principal = Depends(current_principal)):
    items, total = enterprises_with_points(engine, region=region, offset=p.offset, limit=p.page_size,
                                           principal=principal)
    return paged(items, total, p)
