"""The login page: form, wrong password, lock-out message, session cookie, ``next``, logout; the session
secret kept in ``data_dir/session.key``."""

from __future__ import annotations

import re
import stat

from fastapi.testclient import TestClient

from authkit import PASSWORD
from authkit import make_app
from ecosentry.auth.sessions import SESSION_KEY_FILE


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post_login(c: TestClient, username: str, password: str, next_url: str = "/alarms"):
    form = c.get("/login", params={"next": next_url, "lang": "en"})
    assert form.status_code == 200
    return c.post("/login", data={"username": username, "password": password, "next": next_url,
                                  "csrf": csrf_of(form.text)})


def test_login_form_session_and_logout(world, tmp_path):
    app = make_app(world.engine, tmp_path)
    with TestClient(app, follow_redirects=False) as c:
        form = c.get("/login?lang=en")
        assert 'name="username"' in form.text and 'type="password"' in form.text and "Log in" in form.text
        wrong = post_login(c, "m-county_a", "not the password")
        assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
        assert 'value="m-county_a"' in wrong.text and "not the password" not in wrong.text
        assert c.get("/api/v1/auth/me").json()["auth"] == "anonymous"
        ok = post_login(c, "m-county_a", PASSWORD)
        assert ok.status_code == 303 and ok.headers["location"] == "/alarms"
        cookie = ok.headers["set-cookie"]
        assert "ecosentry_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        me = c.get("/api/v1/auth/me").json()
        assert (me["username"], me["auth"], me["role"]) == ("m-county_a", "session", "regulator")
        out = c.post("/logout")
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert c.get("/api/v1/auth/me").json()["auth"] == "anonymous"


def test_lockout_message_and_no_open_redirect(world, tmp_path):
    app = make_app(world.engine, tmp_path, login_max_failures=2)
    with TestClient(app, follow_redirects=False) as c:
        assert post_login(c, "m-park", "wrong").status_code == 401
        locked = post_login(c, "m-park", "wrong")
        assert locked.status_code == 423 and "This account is locked" in locked.text
        right = post_login(c, "m-park", PASSWORD)
        assert right.status_code == 423 and "This account is locked" in right.text  # same answer
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
            r = post_login(c, "m-om", PASSWORD, next_url=target)
            assert r.status_code == 303 and r.headers["location"] == "/dashboard"


def test_form_without_the_session_token_is_refused(world, tmp_path):
    with TestClient(make_app(world.engine, tmp_path), follow_redirects=False) as c:
        r = c.post("/login?lang=en", data={"username": "m-om", "password": PASSWORD, "next": "/", "csrf": "forged"})
        assert r.status_code == 400 and "The form has expired" in r.text
        assert c.get("/api/v1/auth/me").json()["auth"] == "anonymous"


def test_session_secret_is_generated_once_and_shared(world, tmp_path):
    app = make_app(world.engine, tmp_path)
    key_file = tmp_path / "state" / SESSION_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = key_file.read_text().strip()
    with TestClient(app, follow_redirects=False) as c:
        post_login(c, "m-city", PASSWORD)
        cookie = c.cookies.get("ecosentry_session")
    # a restarted process (a new app on the same data_dir) accepts the same cookie
    again = make_app(world.engine, tmp_path)
    assert key_file.read_text().strip() == secret
    with TestClient(again) as c2:
        c2.cookies.set("ecosentry_session", cookie)
        assert c2.get("/api/v1/auth/me").json()["username"] == "m-city"
    # an explicit secret wins and does not accept cookies signed with the file's
    other = make_app(world.engine, tmp_path, session_secret="configured-secret")
    with TestClient(other) as c3:
        c3.cookies.set("ecosentry_session", cookie)
        assert c3.get("/api/v1/auth/me").json()["auth"] == "anonymous"
