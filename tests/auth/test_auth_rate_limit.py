"""Rate limits: OpenAQ-style headers on every API answer, HTTP 429 with Retry-After and a sentence, counted
per API key, per session user and per client address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from authkit import PASSWORD
from authkit import make_app


def test_headers_count_down_and_429_with_retry_after(world, tmp_path):
    app = make_app(world.engine, tmp_path, rate_limit_default="3/minute", rate_limit_anonymous="2/minute")
    with TestClient(app) as c:
        key = world.headers["county_a"]
        seen = []
        for _ in range(3):
            r = c.get("/api/v1/points", headers=key)
            assert r.status_code == 200
            seen.append((r.headers["x-ratelimit-limit"], r.headers["x-ratelimit-remaining"]))
            assert 0 < int(r.headers["x-ratelimit-reset"]) <= 60
        assert seen == [("3", "2"), ("3", "1"), ("3", "0")]
        r = c.get("/api/v1/points", headers={**key, "Accept-Language": "en"})
        assert r.status_code == 429
        assert r.json()["detail"].startswith("rate limit exceeded: 3 per 1 minute for this API key; retry in ")
        r = c.get("/api/v1/points?lang=zh", headers=key)
        assert r.status_code == 429 and r.json()["detail"].startswith("超出访问频率限制（API 密钥：3 per 1 minute）；请 ")
        r = c.get("/api/v1/points", headers={**key, "Accept-Language": "vi"})
        assert r.status_code == 429 and r.json()["detail"].startswith(
            "Vượt giới hạn tần suất truy cập: 3 per 1 minute cho Khóa API này; hãy thử lại sau ")
        assert 0 < int(r.headers["retry-after"]) <= 60 and r.headers["x-ratelimit-remaining"] == "0"
        # another key has its own window; anonymous callers are counted per address with their own limit
        assert c.get("/api/v1/points", headers=world.headers["county_b"]).headers["x-ratelimit-remaining"] == "2"
        anon = [c.get("/api/v1/stats").status_code for _ in range(3)]
        assert anon == [200, 200, 429]
        # errors are counted and carry the headers too; pages are not limited
        assert "x-ratelimit-limit" in c.get("/api/v1/points/999999", headers=world.headers["om"]).headers
        assert c.get("/login").status_code == 200 and "x-ratelimit-limit" not in c.get("/login").headers


def test_session_users_are_counted_per_user_and_keys_may_have_their_own_limit(world, tmp_path):
    from ecosentry.auth.apikeys import create_api_key

    app = make_app(world.engine, tmp_path, rate_limit_default="2/minute", rate_limit_anonymous="50/minute")
    with TestClient(app) as c:
        assert c.post("/api/v1/auth/login", json={"username": "m-city", "password": PASSWORD}).status_code == 200
        r = c.get("/api/v1/auth/me")
        assert r.json()["username"] == "m-city" and r.headers["x-ratelimit-limit"] == "2"
        assert [c.get("/api/v1/auth/me").status_code for _ in range(2)] == [200, 429]
        key, _ = create_api_key(world.engine, world.users["om"], "feed", rate_limit_per_minute=5)
        r = c.get("/api/v1/points", headers={"X-API-Key": key})
        assert r.status_code == 200 and r.headers["x-ratelimit-limit"] == "5"
