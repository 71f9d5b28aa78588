"""A number too large for the database's column is the request's fault (found by schemathesis, issue 19 item 7):
``DELETE /api/v1/auth/api-keys/76504715792`` answered 500 on PostgreSQL (``integer out of range``), and a
number beyond 2**63 did on SQLite (``Python int too large to convert to SQLite INTEGER``). Now it is a 422 in
FastAPI's validation-error shape on the API, and the error page on a page, on both databases.
"""

from __future__ import annotations

import httpx
import pytest

from ecosentry.api.app import create_app
from helpers import AsUsers, running_service

BEYOND_INT4 = 76504715792  # the id schemathesis sent
BEYOND_INT8 = 2**64 + 1


@pytest.mark.parametrize("number", [BEYOND_INT4, BEYOND_INT8])
async def test_an_id_beyond_the_column_is_a_malformed_request(tmp_path, db_url, number):
    async with running_service(tmp_path, db_url) as svc:
        transport = AsUsers(create_app(svc.engine, service=svc), svc.engine)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            for method, path in [("DELETE", f"/api/v1/auth/api-keys/{number}"), ("GET", f"/api/v1/points/{number}"),
                                 ("GET", f"/api/v1/alarms/{number}"), ("GET", f"/api/v1/marks/{number}")]:
                r = await api.request(method, path)
                assert r.status_code in (404, 422), (method, path, r.status_code, r.text)
                if r.status_code == 422:
                    assert r.json()["detail"][0]["loc"] and r.json()["detail"][0]["msg"], r.text
            r = await api.get(f"/points/{number}", headers={"Accept": "text/html"})
            assert r.status_code in (404, 422) and "text/html" in r.headers["content-type"], (r.status_code, r.text)
            r = await api.get("/api/v1/points", params={"page": number})
            assert r.status_code in (200, 422), r.text
