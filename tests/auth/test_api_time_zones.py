"""Every API route that takes ``tz`` refuses an unknown time zone with a 422 validation error naming ``tz``
(issue 11 item 1h: the rates report answered 500), and still accepts a real IANA zone."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from authkit import COUNTY_A, MN_A_GAS
from authkit import make_app

BAD = ("Mars/Olympus", "../../etc/passwd", "")


def _routes(world) -> list[tuple[str, dict]]:
    pid = world.points[MN_A_GAS]
    return [("/api/v1/reports/rates", {"start_day": "2026-11-01", "end_day": "2026-11-02", "region": COUNTY_A}),
            ("/api/v1/rates", {"region": COUNTY_A}),
            (f"/api/v1/points/{pid}/rates", {}),
            (f"/api/v1/points/{pid}/periods", {}),
            (f"/api/v1/points/{pid}/latest", {}),
            (f"/api/v1/points/{pid}/series", {"factor": "a21026"}),
            (f"/api/v1/points/{pid}/hourly", {})]


@pytest.mark.parametrize("bad", BAD)
def test_an_unknown_time_zone_is_a_422_naming_tz_on_every_route(world, tmp_path, bad):
    with TestClient(make_app(world.engine, tmp_path), raise_server_exceptions=False) as c:
        for path, params in _routes(world):
            r = c.get(path, params={**params, "tz": bad}, headers={**world.headers["admin"], "Accept-Language": "en"})
            assert r.status_code == 422, (path, r.status_code, r.text)
            detail = r.json()["detail"]
            assert [d["loc"] for d in detail] == [["query", "tz"]], (path, detail)
            assert detail[0]["msg"] == f"unknown time zone {bad!r}; use an IANA name such as Asia/Shanghai"
        # in the reader's language: the deployment default (zh), Accept-Language (vi)
        path, params = _routes(world)[0]
        r = c.get(path, params={**params, "tz": bad}, headers=world.headers["admin"])
        assert r.json()["detail"][0]["msg"] == f"未知时区 {bad!r}；请使用 IANA 名称，例如 Asia/Shanghai"
        r = c.get(path, params={**params, "tz": bad}, headers={**world.headers["admin"], "Accept-Language": "vi"})
        assert r.json()["detail"][0]["msg"] == (f"Múi giờ {bad!r} không xác định; hãy dùng tên IANA, "
                                                "ví dụ Asia/Ho_Chi_Minh")


def test_a_real_time_zone_is_accepted_and_used(world, tmp_path):
    with TestClient(make_app(world.engine, tmp_path)) as c:
        for path, params in _routes(world):
            r = c.get(path, params={**params, "tz": "Asia/Ho_Chi_Minh"}, headers=world.headers["admin"])
            assert r.status_code == 200, (path, r.text)
        pid = world.points[MN_A_GAS]
        r = c.get(f"/api/v1/points/{pid}/rates", params={"tz": "Asia/Ho_Chi_Minh"}, headers=world.headers["admin"])
        assert r.json()["tz"] == "Asia/Ho_Chi_Minh" and r.json()["start"].endswith("+07:00")
        r = c.get("/api/v1/reports/rates", params={"start_day": "2026-11-01", "end_day": "2026-11-02",
                                                    "region": COUNTY_A, "tz": "Asia/Ho_Chi_Minh"},
                  headers=world.headers["admin"])
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
