"""The state of a list page (search, filters, sort, page) read from and written to the query string.

Every list of the pages (enterprises, the hourly values of a point, …) reads its query with
:meth:`ListQuery.from_request`, applies it on the server (:func:`search_clause`,
:func:`page_of`) and draws its controls with the macros of ``templates/list_macros.html`` (search box, sortable
column headers, page links), so the state is in the address: a list can be bookmarked and shared, and the
browser's back button works.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence
from urllib.parse import urlencode

from ecosentry.store.queries.listing import search_clause

__all__ = ["ListQuery", "search_clause", "page_of"]

#: Longest search text taken from the address (a longer one is cut). [characters]
MAX_SEARCH = 100


def _positive(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


@dataclass(frozen=True)
class ListQuery:
    """Search text ``q``, ``filters`` (name → value), ``sort`` key and direction, ``page`` (from 1)."""

    path: str
    q: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    desc: bool = False
    page: int = 1
    per_page: int = 20
    keep: dict[str, str] = field(default_factory=dict)   # other parameters carried along (``lang`` is not)

    @classmethod
    def from_request(cls, request: Any, *, sorts: Sequence[str], default_sort: str, filters: Iterable[str] = (),
                     keep: Iterable[str] = (), per_page: int = 20, default_desc: bool = False) -> "ListQuery":
        """Read the query string; an unknown sort key falls back to ``default_sort``."""
        qp = request.query_params
        sort = qp.get("sort") or default_sort
        if sort not in sorts:
            sort = default_sort
        order = qp.get("order")
        desc = order == "desc" if order in ("asc", "desc") else default_desc
        return cls(path=request.url.path, q=(qp.get("q") or "").strip()[:MAX_SEARCH],
                   filters={k: qp.get(k, "").strip() for k in filters}, sort=sort, desc=desc,
                   page=_positive(qp.get("page"), 1), per_page=per_page,
                   keep={k: qp[k] for k in keep if qp.get(k)})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def params(self) -> dict[str, str]:
        out = dict(self.keep)
        if self.q:
            out["q"] = self.q
        out.update({k: v for k, v in self.filters.items() if v})
        if self.sort:
            out["sort"] = self.sort
            out["order"] = "desc" if self.desc else "asc"
        if self.page > 1:
            out["page"] = str(self.page)
        return out

    def url(self, **changes: Any) -> str:
        """This list's address with ``changes`` (a filter, ``q``, ``sort``, ``desc``, ``page``); any change
        other than the page goes back to page 1."""
        new = self
        if any(k != "page" for k in changes):
            new = replace(new, page=1)
        for k, v in changes.items():
            if k in ("q", "sort", "desc", "page"):
                new = replace(new, **{k: v})
            elif k in new.filters:
                new = replace(new, filters={**new.filters, k: "" if v is None else str(v)})
            else:
                new = replace(new, keep={**new.keep, k: str(v)} if v not in (None, "") else
                              {x: y for x, y in new.keep.items() if x != k})
        query = urlencode(new.params())
        return new.path + (f"?{query}" if query else "")

    def sort_url(self, key: str) -> str:
        """The address sorted by ``key``: ascending first, the other way when already sorted by it."""
        return self.url(sort=key, desc=(not self.desc) if key == self.sort else False)

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))


def page_of(items: Sequence, lq: ListQuery) -> tuple[list, int]:
    """One page of an already sorted list, and the total count (for lists built in Python)."""
    return list(items[lq.offset:lq.offset + lq.per_page]), len(items)
