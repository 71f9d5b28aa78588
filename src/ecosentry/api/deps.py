"""FastAPI dependencies: the database engine and pagination, given in one place."""

from __future__ import annotations

from dataclasses import dataclass

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


def paged(items: list, total: int, p: Page) -> dict:
    return {"items": items, "page": p.page, "page_size": p.page_size, "total": total}
