"""The list-query helper (ecosentry.web.listing): reading the query string and writing page, sort and filter
links, without a database."""

from __future__ import annotations

from starlette.requests import Request

from ecosentry.web.listing import ListQuery, page_of


def _request(query: str, path: str = "/things") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


def test_reads_the_query_and_falls_back_on_unknown_values():
    lq = ListQuery.from_request(_request("q=%20abc%20&region=3205&sort=bogus&order=sideways&page=-2&lang=vi"),
                                sorts=("name", "region"), default_sort="name", filters=("region", "state"))
    assert (lq.q, lq.filters, lq.sort, lq.desc, lq.page) == ("abc", {"region": "3205", "state": ""}, "name", False, 1)
    assert "lang" not in lq.url()  # the language is a cookie, not list state


def test_links_keep_the_state_and_go_back_to_page_one_on_a_change():
    lq = ListQuery.from_request(_request("q=x&region=3205&sort=name&order=asc&page=3&day=2026-11-20"),
                                sorts=("name", "region"), default_sort="name", filters=("region",), keep=("day",))
    assert lq.url(page=4) == "/things?day=2026-11-20&q=x&region=3205&sort=name&order=asc&page=4"
    assert lq.sort_url("name") == "/things?day=2026-11-20&q=x&region=3205&sort=name&order=desc"
    assert lq.sort_url("region") == "/things?day=2026-11-20&q=x&region=3205&sort=region&order=asc"
    assert lq.url(region="") == "/things?day=2026-11-20&q=x&sort=name&order=asc"
    assert lq.url(day="2026-11-19") == "/things?day=2026-11-19&q=x&region=3205&sort=name&order=asc"


def test_pages():
    lq = ListQuery(path="/", page=2, per_page=3)
    assert page_of(list(range(8)), lq) == ([3, 4, 5], 8)
    assert lq.pages(8) == 3 and lq.pages(0) == 1 and lq.offset == 3
