"""The principals kept between requests (auth/scope_cache.py, issue 19 item 4): a second request of the same
key resolves no scope again, and every change an administrator makes to what a scope is read from — in this
process or through another connection, as another process would — applies from the next request."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text, update

from authkit import CITY, COUNTY_A, COUNTY_B, MN_A_GAS, MN_B_GAS
from authkit import make_app
from ecosentry.auth import scope_cache
from ecosentry.auth.accounts import set_maintained_points, update_user
from ecosentry.auth.apikeys import revoke_api_key
from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s
from ecosentry.store.db import make_engine


@pytest.fixture(autouse=True)
def _empty_cache():
    scope_cache.forget_all()
    yield
    scope_cache.forget_all()


class ScopeReads:
    """Counts the statements that read a scope's tables (regions, enterprises, points) on an engine."""

    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001
        head = statement.split(" WHERE ")[0].lower()
        if head.startswith("select") and any(f"from {t}" in head for t in ("regions", "enterprises", "points")):
            self.n += 1

    def take(self) -> int:
        n, self.n = self.n, 0
        return n


def _me(c, headers) -> dict:
    r = c.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _version(engine) -> int:
    with engine.connect() as conn:
        return scope_cache.current_version(conn)


def test_a_kept_scope_serves_until_an_administrator_changes_it(world, tmp_path):
    engine = world.engine
    city = world.headers["city"]
    reads = ScopeReads(engine)
    with TestClient(make_app(engine, tmp_path)) as c:
        first = _me(c, city)
        assert first["region_code"] == CITY and first["scope"]["points"] >= 3
        assert reads.take() > 0  # resolved from the registry
        assert _me(c, city) == first and reads.take() == 0  # kept: no scope read at all
        assert c.get(f"/api/v1/points/{world.points[MN_B_GAS]}", headers=city).status_code == 200

        # the administrator narrows the account to one county: the next request has the new scope
        update_user(engine, world.users["city"], {"region_code": COUNTY_A}, actor="admin")
        narrowed = _me(c, city)
        assert narrowed["region_code"] == COUNTY_A and narrowed["scope"]["points"] < first["scope"]["points"]
        assert reads.take() > 0
        assert c.get(f"/api/v1/points/{world.points[MN_B_GAS]}", headers=city).status_code == 404
        assert c.get(f"/api/v1/points/{world.points[MN_A_GAS]}", headers=city).status_code == 200

        # a point added to the county (a registry import) is in the scope at the next request
        import_fleet(engine, {"enterprises": [
            {"credit_code": "91320506MA1CACHE01", "name": "丙新材料有限公司", "region": COUNTY_A,
             "outlets": [{"code": "DA001", "name": "1号排口", "medium": "gas", "ref_o2": 6.0,
                          "points": [{"mn": "CACHETEST00000000000GAS1", "password": "123456", "st": "31",
                                      "factors": ["a21026"]}]}]}]})
        with engine.connect() as conn:
            new_point = conn.execute(select(s.points.c.id).where(s.points.c.mn == "CACHETEST00000000000GAS1")
                                     ).scalar_one()
        assert _me(c, city)["scope"]["points"] == narrowed["scope"]["points"] + 1
        assert c.get(f"/api/v1/points/{new_point}", headers=city).status_code == 200

        # disabled: refused at the next request, and so is a revoked key
        update_user(engine, world.users["county_b"], {"active": False}, actor="admin")
        assert c.get("/api/v1/auth/me", headers=world.headers["county_b"]).status_code == 401
        om_key = world.headers["om"]
        _me(c, om_key)
        with engine.connect() as conn:
            key_id = conn.execute(select(s.api_keys.c.id).where(s.api_keys.c.user_id == world.users["om"])
                                  ).scalar_one()
        revoke_api_key(engine, key_id)
        assert c.get("/api/v1/auth/me", headers=om_key).status_code == 401


def test_a_change_made_by_another_process_applies_at_the_next_request(world, tmp_path, db_url):
    """The version is raised by the database's triggers, not by this process: a change written through another
    engine (another process's connection, or SQL by hand) is seen too."""
    engine = world.engine
    other = make_engine(db_url)
    with TestClient(make_app(engine, tmp_path)) as c:
        county_a = world.headers["county_a"]
        assert _me(c, county_a)["scope"]["points"] == 2  # the gas and the water point of county A
        v = _version(engine)
        with other.begin() as conn:  # the county's enterprise B moves under county A
            conn.execute(update(s.enterprises).where(s.enterprises.c.region_code == COUNTY_B)
                         .values(region_code=COUNTY_A))
        assert _version(engine) > v
        assert _me(c, county_a)["scope"]["points"] == 3
        with other.begin() as conn:  # the region tree changes: county B now hangs under county A
            conn.execute(update(s.regions).where(s.regions.c.code == COUNTY_B).values(parent_code=COUNTY_A))
        assert COUNTY_B in _me(c, county_a)["scope"]["regions"]
        # the O&M contractor's points: replaced through the accounts, read at the next request
        om = world.headers["om"]
        assert _me(c, om)["scope"]["points"] == 1
        set_maintained_points(other, world.users["om"], [world.points[MN_A_GAS], world.points[MN_B_GAS]])
        assert _me(c, om)["scope"]["points"] == 2
        # the public: a published flag changed by hand
        public_before = _me(c, {})["scope"]["enterprises"]
        with other.begin() as conn:
            conn.execute(text("UPDATE enterprises SET published = :t"), {"t": True})
        assert _me(c, {})["scope"]["enterprises"] > public_before
    other.dispose()


def test_writes_that_decide_no_scope_keep_the_version(world):
    """A login's bookkeeping and a key's last use change no scope: they do not empty every kept principal."""
    engine = world.engine
    v = _version(engine)
    with engine.begin() as conn:
        conn.execute(update(s.users).values(failed_logins=0, locked_until=None,
                                            last_login_at=datetime.now(timezone.utc)))
        conn.execute(update(s.api_keys).values(last_used_at=datetime.now(timezone.utc)))
        conn.execute(update(s.points).values(name="renamed"))
        conn.execute(update(s.enterprises).values(address="somewhere"))
    assert _version(engine) == v
    with engine.begin() as conn:  # a statement that lists a scope column raises it, even to the same value
        conn.execute(update(s.users).where(s.users.c.id == world.users["city"]).values(role="regulator"))
    assert _version(engine) > v
