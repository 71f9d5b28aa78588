"""Login with lock-out after repeated failures, unlock when the time has passed (controllable clock), and
the audit rows of every login, failure, lock and logout."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from authkit import PASSWORD
from authkit import make_app
from ecosentry.auth import accounts
from ecosentry.auth.accounts import AccountLocked, LoginFailed, LoginPolicy
from ecosentry.store import schema as s

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
POLICY = LoginPolicy(max_failures=5, lockout_minutes=15)


@pytest.fixture
def user_id(engine):
    return accounts.create_user(engine, username="li.wei", role="admin", password=PASSWORD, display_name="李伟")


def audit_actions(engine, user_id) -> list[str]:
    a = s.audit_log
    with engine.connect() as c:
        return list(c.execute(select(a.c.action).where(a.c.entity == "user", a.c.entity_id == str(user_id))
                              .order_by(a.c.id)).scalars())


def test_lock_after_five_failures_same_answer_then_unlock_after_15_minutes(engine, user_id):
    for i in range(4):
        with pytest.raises(LoginFailed):
            accounts.login(engine, "li.wei", "wrong", policy=POLICY, now=T0 + timedelta(seconds=i))
    with pytest.raises(AccountLocked) as locked:  # the 5th failure locks
        accounts.login(engine, "li.wei", "wrong", policy=POLICY, now=T0 + timedelta(seconds=5))
    assert locked.value.until == T0 + timedelta(seconds=5, minutes=15)
    assert "locked" in str(locked.value) and "2026-11-23 09:15:05 UTC" in str(locked.value)
    # while locked: the same answer whether the password is right or not, and the lock is not extended
    for pw in (PASSWORD, "wrong"):
        with pytest.raises(AccountLocked) as again:
            accounts.login(engine, "li.wei", pw, policy=POLICY, now=T0 + timedelta(minutes=10))
        assert again.value.until == locked.value.until
    # after the lock-out time the right password works and resets the counter
    user = accounts.login(engine, "li.wei", PASSWORD, policy=POLICY, now=T0 + timedelta(minutes=16))
    assert user["username"] == "li.wei" and "password_hash" not in user
    with engine.connect() as c:
        row = c.execute(select(s.users).where(s.users.c.id == user_id)).mappings().one()
    assert row["failed_logins"] == 0 and row["locked_until"] is None
    assert row["last_login_at"].replace(tzinfo=timezone.utc) == T0 + timedelta(minutes=16)
    assert audit_actions(engine, user_id) == ["create"] + ["login_failed"] * 5 + ["lock", "login_locked",
                                                                               "login_locked", "login"]


def test_unknown_user_and_disabled_account_get_the_wrong_password_answer(engine, user_id):
    with pytest.raises(LoginFailed) as unknown:
        accounts.login(engine, "nobody", PASSWORD, policy=POLICY, now=T0)
    accounts.update_user(engine, user_id, {"active": False}, actor="admin")
    with pytest.raises(LoginFailed) as disabled:
        accounts.login(engine, "li.wei", PASSWORD, policy=POLICY, now=T0)
    assert str(unknown.value) == str(disabled.value) == "wrong user name or password"


def test_successful_login_rehashes_a_weak_hash_and_resets_failures(engine, user_id, monkeypatch):
    from argon2 import PasswordHasher

    from ecosentry.auth import passwords
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())  # a server's parameters, not the test suite's
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with engine.begin() as c:
        c.execute(s.users.update().where(s.users.c.id == user_id).values(password_hash=weak, failed_logins=3))
    accounts.login(engine, "li.wei", PASSWORD, policy=POLICY, now=T0)
    with engine.connect() as c:
        stored, failures = c.execute(select(s.users.c.password_hash, s.users.c.failed_logins)
                                     .where(s.users.c.id == user_id)).one()
    assert stored != weak and stored.startswith("$argon2id$v=19$m=65536") and failures == 0


def test_lockout_over_http_with_the_app_clock(engine, user_id, tmp_path):
    app = make_app(engine, tmp_path, login_max_failures=3, login_lockout_minutes=5)
    now = [T0]
    app.state.clock = lambda: now[0]
    with TestClient(app) as c:
        # the refusals in the reader's language: the deployment default (zh), Accept-Language, ?lang=
        r = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": "wrong"})
        assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"
        r = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": "wrong"},
                   headers={"Accept-Language": "vi-VN,vi;q=0.9"})
        assert r.status_code == 401 and r.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu"
        r = c.post("/api/v1/auth/login?lang=en", json={"username": "li.wei", "password": "wrong"})
        assert r.status_code == 423 and r.json()["detail"] == ("the account is locked after repeated failed logins "
                                                               "until 2026-11-23 09:05:00 UTC; try again later")
        r = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": "wrong"})
        assert r.status_code == 423 and r.json()["detail"] == ("登录失败次数过多，账号已被锁定至 2026-11-23 09:05:00 UTC；"
                                                               "请稍后再试")
        right = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": PASSWORD})
        assert right.status_code == 423 and right.json() == r.json()  # same answer with the right password
        now[0] = T0 + timedelta(minutes=5, seconds=1)
        ok = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": PASSWORD})
        assert ok.status_code == 200 and ok.json()["role"] == "admin" and ok.json()["auth"] == "session"
        assert c.get("/api/v1/auth/me").json()["username"] == "li.wei"
        # a script keeping the cookie sends the session's CSRF token on writes (ecosentry.auth.csrf)
        assert c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": ok.json()["csrf_token"]}).status_code == 204
        assert c.get("/api/v1/auth/me").json()["auth"] == "anonymous"
    assert audit_actions(engine, user_id)[-3:] == ["login_locked", "login", "logout"]


def test_set_password_unlocks_and_change_password_needs_the_old_one(engine, user_id, tmp_path):
    with engine.begin() as c:
        c.execute(s.users.update().where(s.users.c.id == user_id)
                  .values(locked_until=T0 + timedelta(days=1), failed_logins=0))
    accounts.set_password(engine, user_id, "a new long password", actor="admin")
    accounts.login(engine, "li.wei", "a new long password", policy=POLICY, now=T0)
    with TestClient(make_app(engine, tmp_path)) as c:
        login = c.post("/api/v1/auth/login", json={"username": "li.wei", "password": "a new long password"})
        c.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        r = c.post("/api/v1/auth/password", json={"old_password": "not it", "new_password": "another password"})
        assert r.status_code == 403 and r.json()["detail"] == "原密码错误"
        r = c.post("/api/v1/auth/password", json={"old_password": "a new long password", "new_password": "short"},
                   headers={"Accept-Language": "vi"})
        assert r.status_code == 422 and r.json()["detail"] == "Mật khẩu cần ít nhất 8 ký tự"
        r = c.post("/api/v1/auth/password", json={"old_password": "a new long password",
                                                  "new_password": "another password"})
        assert r.status_code == 204
        assert c.post("/api/v1/auth/password", json={"old_password": "x", "new_password": "y"}).status_code == 403
    with TestClient(make_app(engine, tmp_path)) as anonymous:
        assert anonymous.post("/api/v1/auth/password",
                              json={"old_password": "x", "new_password": "another one"}).status_code == 401
    accounts.login(engine, "li.wei", "another password", policy=POLICY, now=T0)


def test_account_creation_refuses_bad_roles_and_missing_scope(engine):
    with pytest.raises(accounts.AccountError, match="unknown role"):
        accounts.create_user(engine, username="x", role="superuser")
    with pytest.raises(accounts.AccountError, match="regulator account needs a region"):
        accounts.create_user(engine, username="x", role="regulator")
    with pytest.raises(accounts.AccountError, match="no region"):
        accounts.create_user(engine, username="x", role="regulator", region_code="999999")
    accounts.create_user(engine, username="x", role="public")
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.create_user(engine, username="x", role="public")
