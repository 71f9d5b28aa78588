"""A report download's refusal (an unknown point, 404; a period the report cannot have, 422) is said in the
reader's language, as the other API answers are: ``?lang=``, the account's locale, ``Accept-Language``; the
command line's in the terminal's. So are the API's other refusals (:mod:`ecosentry.web.errors` says a ``Said``
detail): the scope guards' (a point, a region outside the scope; an action the role may not do; the anonymous
public; an unknown API key), the points', periods' and marks' (an unknown point or mark, a reversed range, a
time that is not ISO 8601, a store's ``MarkError``) and the point chart's JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ecosentry.api.app import create_app
from ecosentry.auth.accounts import create_user
from ecosentry.auth.apikeys import create_api_key
from ecosentry.cli import app as cli_app
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.settings import Settings, get_settings


FLEET = {"regions": [{"code": "320500", "name": "苏州市", "level": "city"},
                     {"code": "320506", "name": "吴中区", "level": "county", "parent": "320500"},
                     {"code": "320507", "name": "相城区", "level": "county", "parent": "320500"}],
         "enterprises": [{"credit_code": "91320506MA1REFUSE1", "name": "甲化工有限公司", "region": "320506",
                          "outlets": [{"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "points": [
                              {"mn": "REFUSALS000000000000GAS1", "password": "123456", "st": "31",
                               "factors": [{"code": "a21026", "range": [0, 200]}]}]}]}]}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("refusals")
    engine = prepare_database(f"sqlite:///{tmp / 'r.sqlite'}")
    import_fleet(engine, FLEET)
    keys = {}
    for name, locale in (("admin-zh", "zh"), ("admin-vi", "vi"), ("admin-any", None)):
        uid = create_user(engine, username=name, role="admin", **({"locale": locale} if locale else {}))
        keys[name] = {"Authorization": f"Bearer {create_api_key(engine, uid, 'test')[0]}"}
    # a county's regulator (Vietnamese) who does not supervise the point of the other county
    uid = create_user(engine, username="county-vi", role="regulator", region_code="320507", locale="vi")
    keys["county-vi"] = {"Authorization": f"Bearer {create_api_key(engine, uid, 'test')[0]}"}
    st = Settings(database_url="sqlite://", data_dir=tmp / "state")
    with TestClient(create_app(engine, settings=st)) as client:
        yield client, keys, f"sqlite:///{tmp / 'r.sqlite'}"
    engine.dispose()


@pytest.mark.parametrize("who, accept, detail", [
    ("admin-zh", "", "监测点 9999 不存在"),
    ("admin-vi", "", "Điểm quan trắc 9999 không tồn tại"),
    ("admin-any", "vi-VN,vi;q=0.9", "Điểm quan trắc 9999 không tồn tại"),
    ("admin-any", "en", "point 9999 does not exist"),
])
def test_an_unknown_point_is_said_in_the_readers_language(api, who, accept, detail):
    client, keys, _ = api
    r = client.get("/api/v1/points/9999/reports/daily", params={"day": "2026-11-12"},
                   headers={**keys[who], "Accept-Language": accept})
    assert r.status_code == 404 and r.json()["detail"] == detail


@pytest.mark.parametrize("lang, detail", [("zh", "end_day 不能早于 start_day"),
                                          ("vi", "end_day không được trước start_day")])
def test_a_reversed_period_is_said_in_the_readers_language(api, lang, detail):
    client, keys, _ = api
    r = client.get("/api/v1/reports/rates", params={"start_day": "2026-11-12", "end_day": "2026-11-01", "lang": lang},
                   headers=keys["admin-any"])
    assert r.status_code == 422 and r.json()["detail"] == detail


@pytest.mark.parametrize("lang, line", [("zh", "错误：监测点 9999 不存在"),
                                        ("vi", "Lỗi: Điểm quan trắc 9999 không tồn tại")])
def test_the_command_line_says_it_in_the_terminals_language(api, lang, line, tmp_path, monkeypatch):
    *_, url = api
    out = tmp_path / "r.pdf"
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("LANGUAGE", lang)
    get_settings.cache_clear()  # the settings are read once per process
    try:
        result = CliRunner().invoke(cli_app, ["report", "daily", "--point", "9999", "--day", "2026-11-12",
                                              "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1] == line, result.output
    assert not out.exists()


def _point(client, keys) -> int:
    return client.get("/api/v1/points", headers=keys["admin-any"]).json()["items"][0]["id"]


@pytest.mark.parametrize("path, params, status, detail", [
    # the guard: a point outside the regulator's scope is refused like a missing one, in the account's language
    ("/api/v1/points/9999", {}, 404, "không có điểm quan trắc số 9999"),
    ("/api/v1/points/9999/latest", {"lang": "zh"}, 404, "没有编号为 9999 的监测点"),
    ("/api/v1/points/9999/marks", {}, 404, "không có điểm quan trắc số 9999"),
    # a region outside the scope; a region report for a role that may not have one
    ("/api/v1/reports/rates", {"region": "320506", "start_day": "2026-11-01", "end_day": "2026-11-02"}, 404,
     "Không có địa bàn 320506 trong phạm vi của bạn"),
])
def test_the_guards_refuse_in_the_readers_language(api, path, params, status, detail):
    client, keys, _ = api
    r = client.get(path, params=params, headers=keys["county-vi"])
    assert r.status_code == status and r.json()["detail"] == detail


def test_an_action_the_role_may_not_do_the_anonymous_and_an_unknown_key(api):
    client, keys, _ = api
    r = client.post("/api/v1/marks/1/review", json={"decision": "approved"}, headers=keys["admin-any"] | {
        "Authorization": "Bearer es_no-such-key", "Accept-Language": "vi"})
    assert r.status_code == 401 and r.json()["detail"] == "Khóa API không tồn tại hoặc đã bị thu hồi"
    r = client.get("/api/v1/points/9999/marks", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.status_code == 401 and r.json()["detail"] == "请先登录"
    r = client.post("/api/v1/points/9999/marks", json={"type": "maintenance", "start": "2026-11-12T08:00:00"},
                    headers=keys["county-vi"])
    assert r.status_code == 403
    assert r.json()["detail"] == "Tài khoản cơ quan quản lý không được phép thực hiện marks.file"


def test_points_periods_and_marks_refuse_in_the_readers_language(api):
    client, keys, _ = api
    pid = _point(client, keys)
    zh, vi = keys["admin-zh"], keys["admin-vi"]
    # an unknown point for an account that sees every point (the route's own 404, not the guard's)
    r = client.get("/api/v1/points/9999", headers=zh)
    assert r.status_code == 404 and r.json()["detail"] == "没有编号为 9999 的监测点"
    reversed_range = {"start": "2026-11-12T08:00:00", "end": "2026-11-12T07:00:00"}
    for path, extra in ((f"/api/v1/points/{pid}/series", {"factor": "a21026"}), (f"/api/v1/points/{pid}/periods", {}),
                        (f"/api/v1/points/{pid}/marks", {})):
        r = client.get(path, params={**reversed_range, **extra}, headers=vi)
        assert r.status_code == 422 and r.json()["detail"] == "start phải trước end", path
    r = client.get(f"/api/v1/points/{pid}/series", params={"factor": "a21026", "start": "yesterday"}, headers=zh)
    assert r.status_code == 422 and r.json()["detail"] == "start='yesterday' 不是 ISO 8601 时间（例如 2026-11-23T08:00:00+08:00）"
    # a store's refusal (MarkError, a Said) and a mark outside the scope
    r = client.post(f"/api/v1/points/{pid}/marks", json={"type": "bogus", "start": "2026-11-12T08:00:00"}, headers=zh)
    assert r.status_code == 422 and r.json()["detail"].startswith("未知的标记类型 'bogus'；可用类型：")
    mark = client.post(f"/api/v1/points/{pid}/marks", json={"type": "maintenance", "start": "2026-11-12T08:00:00",
                                                             "end": "2026-11-12T09:00:00"}, headers=zh)
    assert mark.status_code == 201, mark.text
    r = client.get(f"/api/v1/marks/{mark.json()['id']}", headers=keys["county-vi"])
    assert r.status_code == 404 and r.json()["detail"] == f"không có đánh dấu số {mark.json()['id']}"
    r = client.get("/api/v1/marks/9999", headers=vi)
    assert r.status_code == 404 and r.json()["detail"] == "không có đánh dấu số 9999"


def test_the_point_charts_json_refuses_in_the_readers_language(api):
    client, keys, _ = api
    r = client.get("/points/9999/chart.json", headers={"Accept-Language": "vi"})
    assert r.status_code == 401 and r.json()["detail"] == "Vui lòng đăng nhập để xem số liệu của điểm quan trắc"
    r = client.get("/points/9999/chart.json", headers=keys["admin-zh"])
    assert r.status_code == 404 and r.json()["detail"] == "没有编号为 9999 的监测点"
