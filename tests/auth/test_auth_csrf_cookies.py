"""API writes made with the session cookie need the session's CSRF token or the platform's own Origin; a
foreign Origin is refused; API keys are not concerned (issue 11 item 1h). The session and language cookies
are ``Secure`` exactly when ``access.session_cookie_secure`` is set."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from authkit import MN_A_GAS, PASSWORD
from authkit import make_app

from ecosentry.auth.csrf import csrf_refusal, origin_of


def _login(c: TestClient, username: str = "m-city") -> str:
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def _state(c: TestClient, world, alarm_id: int) -> str:
    return c.get(f"/api/v1/alarms/{alarm_id}", headers=world.headers["admin"]).json()["state"]


@pytest.fixture
def setup(world, tmp_path):
    return world, make_app(world.engine, tmp_path)


def test_cookie_write_without_token_or_origin_is_refused_and_changes_nothing(setup):
    world, app = setup
    alarm = world.alarm(world.points[MN_A_GAS])
    with TestClient(app) as c:
        _login(c)
        r = c.post(f"/api/v1/alarms/{alarm}/ack", json={"comment": "forged"}, headers={"Accept-Language": "en"})
        assert r.status_code == 403 and "X-CSRF-Token" in r.json()["detail"]
        # the refusal in the caller's language (?lang=, cookie, Accept-Language, the deployment's default)
        r = c.post(f"/api/v1/alarms/{alarm}/ack?lang=vi", json={})
        assert r.status_code == 403 and r.json()["detail"].startswith(
            "Yêu cầu bị từ chối: thao tác ghi API bằng cookie phiên cần tiêu đề X-CSRF-Token ")
        r = c.post(f"/api/v1/alarms/{alarm}/ack", json={}, headers={"Accept-Language": "zh-CN"})
        assert r.json()["detail"].startswith("请求被拒绝：使用会话 Cookie 的 API 写操作需要 X-CSRF-Token 请求头")
        r = c.post(f"/api/v1/alarms/{alarm}/ack", json={"comment": "forged"}, headers={"X-CSRF-Token": "guess"})
        assert r.status_code == 403
        r = c.post("/api/v1/auth/api-keys", json={"name": "attacker's key"})
        assert r.status_code == 403
        assert _state(c, world, alarm) == "active"


def test_cookie_write_from_a_foreign_origin_is_refused_even_with_the_token(setup):
    world, app = setup
    alarm = world.alarm(world.points[MN_A_GAS])
    with TestClient(app) as c:
        token = _login(c)
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Referer": "https://evil.example/page.html"},
                        {"Origin": "http://testserver.evil.example", "X-CSRF-Token": token}):
            r = c.post(f"/api/v1/alarms/{alarm}/ack", json={}, headers={**headers, "Accept-Language": "en"})
            assert r.status_code == 403, headers
            assert "another site" in r.json()["detail"]
        r = c.post(f"/api/v1/alarms/{alarm}/ack", json={}, headers={"Origin": "https://evil.example",
                                                                    "Accept-Language": "vi"})
        assert r.json()["detail"].startswith("Yêu cầu bị từ chối: nó đến từ trang web khác (https://evil.example); ")
        # login from a foreign page is refused too (it would log the browser in to another account)
        r = c.post("/api/v1/auth/login", json={"username": "m-city", "password": PASSWORD},
                   headers={"Origin": "https://evil.example"})
        assert r.status_code == 403
        assert _state(c, world, alarm) == "active"


def test_cookie_write_with_the_token_or_the_own_origin_goes_through(setup):
    world, app = setup
    first, second = world.alarm(world.points[MN_A_GAS]), world.alarm(world.points[MN_A_GAS])
    with TestClient(app) as c:
        token = _login(c)
        assert c.get("/api/v1/auth/me").json()["csrf_token"] == token
        r = c.post(f"/api/v1/alarms/{first}/ack", json={"comment": "seen"}, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and r.json()["state"] == "acknowledged"
        # the testserver's own origin (what a browser sends from the platform's pages)
        r = c.post(f"/api/v1/alarms/{second}/ack", json={}, headers={"Origin": "http://testserver"})
        assert r.status_code == 200 and r.json()["state"] == "acknowledged"
        assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204


def test_api_key_writes_need_no_token(setup):
    world, app = setup
    alarm = world.alarm(world.points[MN_A_GAS])
    with TestClient(app) as c:
        r = c.post(f"/api/v1/alarms/{alarm}/ack", json={}, headers=world.headers["city"])
        assert r.status_code == 200 and r.json()["state"] == "acknowledged"
        # a script logged in with a cookie that also sends its key is judged by the key
        _login(c)
        other = world.alarm(world.points[MN_A_GAS])
        r = c.post(f"/api/v1/alarms/{other}/ack", json={}, headers=world.headers["city"])
        assert r.status_code == 200


def test_reads_and_page_forms_are_not_concerned(setup):
    world, app = setup
    with TestClient(app) as c:
        _login(c)
        assert c.get("/api/v1/alarms", headers={"Origin": "https://evil.example"}).status_code == 200


def test_origin_rules():
    session = {"user_id": 1, "csrf": "t0ken"}
    own = {"host": "ecosentry.example.cn"}
    assert csrf_refusal("POST", {**own, "origin": "https://ecosentry.example.cn"}, session) is None
    assert csrf_refusal("POST", {**own, "origin": "https://ecosentry.example.cn:443"}, session) is None
    assert csrf_refusal("POST", {**own, "origin": "https://ecosentry.example.cn:8443"}, session) is not None
    assert csrf_refusal("DELETE", {**own, "origin": "https://other.example.cn"}, session) is not None
    assert csrf_refusal("POST", {"host": "10.0.0.5:8000", "origin": "https://ecosentry.example.cn"}, session,
                        trusted_origins=["https://ecosentry.example.cn/"]) is None
    assert csrf_refusal("POST", own, session) is not None
    assert csrf_refusal("POST", {**own, "x-csrf-token": "t0ken"}, session) is None
    assert csrf_refusal("GET", {**own, "origin": "https://other.example.cn"}, session) is None
    assert csrf_refusal("POST", {**own, "authorization": "Bearer es_x", "origin": "https://o.example"}, session) is None
    assert csrf_refusal("POST", own, {}) is None   # no session: nothing to ride on
    assert origin_of("null") is None and origin_of("HTTP://Example.CN:80/x") == "http://example.cn"


@pytest.mark.parametrize("secure", [False, True])
def test_session_and_language_cookies_are_secure_when_set(world, tmp_path, secure):
    app = make_app(world.engine, tmp_path, session_cookie_secure=secure)
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/login", json={"username": "m-city", "password": PASSWORD})
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("ecosentry_session=")
        assert ("; secure" in cookie.lower()) is secure
        r = c.get("/login", params={"lang": "vi"})
        lang = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("lang=")]
        assert lang and ("; secure" in lang[0].lower()) is secure


def test_the_setting_is_read_from_the_environment(monkeypatch):
    from ecosentry.settings import Settings

    monkeypatch.setenv("ECOSENTRY_ACCESS__SESSION_COOKIE_SECURE", "true")
    assert Settings().access.session_cookie_secure is True
    monkeypatch.delenv("ECOSENTRY_ACCESS__SESSION_COOKIE_SECURE")
    monkeypatch.setenv("ECOSENTRY_SESSION_COOKIE_SECURE", "true")  # the former name, still read
    assert Settings().access.session_cookie_secure is True
    monkeypatch.delenv("ECOSENTRY_SESSION_COOKIE_SECURE")
    assert Settings(_env_file=None).access.session_cookie_secure is False
