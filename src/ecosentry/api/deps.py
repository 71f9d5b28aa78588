"""FastAPI dependencies: the database engine and pagination, given in one place."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import JSONResponse
from fastapi import Query, Request
from sqlalchemy import Engine


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


@dataclass
class Page:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def paging(page: int = Query(1, ge=1, description="1-based page number"),
           page_size: int = Query(100, ge=1, le=5000, description="items per page")) -> Page:
    return Page(page, page_size)


def plain_json(content: dict) -> JSONResponse:
    """An answer of plain JSON values (str, int, float, bool, None, lists and dicts of them) sent as it is.

    FastAPI passes a returned dict through ``jsonable_encoder``, which walks and copies every value; for the
    long answers (a month of hours, a day of minutes) that walk cost more than the query and the formatting
    together (``ecosentry bench api``). Routes whose items are built from plain values return this instead."""
    return JSONResponse(content)


def paged(items: list, total: int, p: Page) -> dict:
    return {"items": items, "page": p.page, "page_size": p.page_size, "total": total}
