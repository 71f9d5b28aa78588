"""API keys: created once (``es_`` + 40 URL-safe characters), stored as SHA-256, usable as Bearer or
X-API-Key, revocable (then 401); a user manages only their own keys."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from authkit import make_app
from ecosentry.store import schema as s


def test_create_use_list_and_revoke(world, tmp_path):
    with TestClient(make_app(world.engine, tmp_path)) as c:
        owner = world.headers["county_a"]
        r = c.post("/api/v1/auth/api-keys", headers=owner, json={"name": "nightly export"})
        assert r.status_code == 201, r.text
        key, key_id = r.json()["key"], r.json()["id"]
        assert re.fullmatch(r"es_[A-Za-z0-9_-]{40}", key) and r.json()["prefix"] == key[:11]
        with world.engine.connect() as conn:
            stored = conn.execute(select(s.api_keys).where(s.api_keys.c.id == key_id)).mappings().one()
        assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest() and key not in str(dict(stored))
        # both header forms authenticate as the owner
        for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
            me = c.get("/api/v1/auth/me", headers=headers).json()
            assert (me["username"], me["auth"], me["scope"]["regions"]) == ("m-county_a", "api_key", ["320506"])
        listed = c.get("/api/v1/auth/api-keys", headers=owner).json()["items"]
        assert {k["name"] for k in listed} == {"matrix", "nightly export"}
        assert all("key_hash" not in k and "key" not in k for k in listed)
        assert next(k for k in listed if k["id"] == key_id)["last_used_at"] is not None
        # another user cannot see or revoke it
        assert c.delete(f"/api/v1/auth/api-keys/{key_id}", headers=world.headers["county_b"]).status_code == 404
        assert key_id not in {k["id"] for k in c.get("/api/v1/auth/api-keys",
                                                       headers=world.headers["county_b"]).json()["items"]}
        # revoke: the key answers 401 at once
        r = c.delete(f"/api/v1/auth/api-keys/{key_id}", headers=owner)
        assert r.status_code == 200 and r.json()["revoked"] is True
        r = c.get("/api/v1/points", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 401 and r.json()["detail"] == "API 密钥不存在或已被吊销"  # the deployment default (zh)
        assert r.headers["www-authenticate"] == "Bearer"


def test_unknown_key_and_disabled_account_are_401_not_public(world, tmp_path):
    from ecosentry.auth.accounts import update_user

    with TestClient(make_app(world.engine, tmp_path)) as c:
        assert c.get("/api/v1/points", headers={"X-API-Key": "es_" + "x" * 40}).status_code == 401
        update_user(world.engine, world.users["enterprise_a"], {"active": False}, actor="admin")
        r = c.get("/api/v1/points", headers=world.headers["enterprise_a"])
        assert r.status_code == 401 and "已被停用" in r.json()["detail"]


def test_only_an_admin_creates_keys_for_others_or_with_an_own_limit(world, tmp_path):
    with TestClient(make_app(world.engine, tmp_path)) as c:
        other = world.users["om"]
        r = c.post("/api/v1/auth/api-keys", headers=world.headers["county_a"], json={"name": "x", "user_id": other})
        assert r.status_code == 403 and r.json()["detail"] == "您只能为自己创建密钥，且只能使用默认的频率限制"
        r = c.post("/api/v1/auth/api-keys", headers=world.headers["county_a"],
                   json={"name": "x", "rate_limit_per_minute": 5})
        assert r.status_code == 403
        r = c.post("/api/v1/auth/api-keys", headers=world.headers["admin"],
                   json={"name": "om feed", "user_id": other, "rate_limit_per_minute": 5})
        assert r.status_code == 201 and r.json()["user_id"] == other
        assert c.post("/api/v1/auth/api-keys", json={"name": "x"}).status_code == 401  # anonymous
        assert c.post("/api/v1/auth/api-keys", headers=world.headers["public"], json={"name": "x"}).status_code == 403


def test_the_key_refusals_in_the_readers_language(world, tmp_path):
    """The store's ApiKeyError and the route's own refusals are said like every API refusal (web/errors)."""
    with TestClient(make_app(world.engine, tmp_path)) as c:
        admin = world.headers["admin"]
        r = c.post("/api/v1/auth/api-keys", headers=admin, json={"name": "   "})
        assert r.status_code == 422 and r.json()["detail"] == "API 密钥需要 1 至 100 个字符的名称"
        r = c.post("/api/v1/auth/api-keys", headers={**admin, "Accept-Language": "vi"},
                   json={"name": "feed", "user_id": 987654})
        assert r.status_code == 422 and r.json()["detail"] == "Không có người dùng số 987654"
        r = c.delete("/api/v1/auth/api-keys/987654", headers={**admin, "Accept-Language": "vi"})
        assert r.status_code == 404 and r.json()["detail"] == "Không có khóa API số 987654"
        r = c.delete("/api/v1/auth/api-keys/987654?lang=en", headers=admin)
        assert r.status_code == 404 and r.json()["detail"] == "no API key with id 987654"
