"""A small world for the working-page tests: two counties of one city, an enterprise in each, accounts of
every working role with passwords and API keys, and helpers to log in and to raise alarms.

County A (320506 吴中区): 苏州测试热电有限公司 with a flue-gas and a wastewater point.
County B (320507 相城区): 相城测试化工有限公司 with one flue-gas point, maintained by the O&M account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Engine, select

from ecosentry.alarms import store as alarms
from ecosentry.auth import accounts
from ecosentry.auth.apikeys import create_api_key
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet

GAS_A = "TEST0000000000000000GAS1"
WATER_A = "TEST000000000000000WAT01"
GAS_B = "TEST0000000000000000GASB"
PASSWORD = "Correct-Horse-42"

FLEET = {
    "regions": [
        {"code": "320000", "name": "江苏省", "level": "province"},
        {"code": "320500", "name": "苏州市", "level": "city", "parent": "320000"},
        {"code": "320506", "name": "吴中区", "level": "county", "parent": "320500"},
        {"code": "320507", "name": "相城区", "level": "county", "parent": "320500"},
    ],
    "enterprises": [
        {"credit_code": "91320506MA1TEST001", "name": "苏州测试热电有限公司", "industry": "4411 火力发电",
         "region": "320506", "lon": 120.6, "lat": 31.3,
         "outlets": [
             {"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "ref_o2": 6.0, "duct_area": 12.5,
              "points": [{"mn": GAS_A, "password": "123456", "st": "31", "name": "1号锅炉CEMS", "min_interval": 1,
                          "factors": [{"code": "a21026", "range": [0, 200]}, {"code": "a21002", "range": [0, 300]},
                                      {"code": "a19001", "range": [0, 25]}]}]},
             {"code": "DW001", "name": "废水总排口", "medium": "water",
              "points": [{"mn": WATER_A, "password": "123456", "st": "32", "name": "总排口水质", "min_interval": 10,
                          "factors": ["w01018", "w21003", "w00000"]}]},
         ]},
        {"credit_code": "91320507MA1TEST002", "name": "相城测试化工有限公司", "industry": "2614 有机化学原料制造",
         "region": "320507", "lon": 120.65, "lat": 31.45,
         "outlets": [{"code": "DA001", "name": "焚烧炉排口", "medium": "gas", "ref_o2": 11.0,
                      "points": [{"mn": GAS_B, "password": "654321", "st": "31", "name": "焚烧炉CEMS",
                                  "min_interval": 1, "factors": ["a21026", "a21002", "a19001"]}]}]},
    ],
}


@dataclass
class World:
    """Ids and API keys of the world (``keys[username]``)."""

    engine: Engine
    points: dict[str, int] = field(default_factory=dict)
    enterprises: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)

    def bearer(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[username]}"}


def build_world(engine: Engine, *, fleet_imported: bool = False) -> World:
    """Import the fleet (idempotent) and create the accounts with passwords and API keys."""
    import_fleet(engine, FLEET)
    w = World(engine)
    with engine.connect() as conn:
        w.points = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        w.enterprises = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    ent_a = w.enterprises["91320506MA1TEST001"]
    specs = [
        ("admin", "admin", {}),
        ("city", "regulator", {"region_code": "320500"}),
        ("county_a", "regulator", {"region_code": "320506", "display_name": "吴中区执法队"}),
        ("county_b", "regulator", {"region_code": "320507"}),
        ("ent_a", "enterprise", {"enterprise_id": ent_a, "display_name": "热电公司环保专员"}),
        ("om_b", "om", {"organisation": "运维公司"}),
    ]
    for username, role, extra in specs:
        point_ids = [w.points[GAS_B]] if role == "om" else None
        uid = accounts.create_user(engine, username=username, role=role, password=PASSWORD, actor="test",
                                   point_ids=point_ids, **extra)
        w.users[username] = uid
        w.keys[username], _ = create_api_key(engine, uid, f"{username} test key", actor="test")
    return w


def raise_point_alarm(w: World, mn: str, *, type: str = "ALM-EXCEEDANCE", title: str = "SO2 小时均值超标",
                      at: datetime | None = None) -> int:
    """Raise an alarm on a point (the store, as the pipeline does); returns its id."""
    alarm, _ = alarms.raise_alarm(
        w.engine, type=type, source_type="point", source_id=w.points[mn], severity=None, title=title,
        explanation="二氧化硫小时均值 120 mg/m³ 超过限值 100 mg/m³。", evidence={"value": 120, "limit": 100},
        point_id=w.points[mn], factor_codes=["a21026"], at=at or datetime.now(timezone.utc))
    return int(alarm["id"])


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token in a page's form."""
    m = CSRF.search(html)
    assert m, "the page has no form with a CSRF token"
    return m.group(1)


def log_in(client, username: str) -> None:
    """Log a TestClient in through the login form (session cookie)."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": token, "next": "/alarms"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:500]


def start(db_url: str, tmp_path) -> tuple:
    """A migrated database with the world, and a TestClient on the application (no service running)."""
    from fastapi.testclient import TestClient

    from ecosentry.api.app import create_app
    from ecosentry.service import prepare_database
    from ecosentry.settings import Settings

    engine = prepare_database(db_url)
    w = build_world(engine)
    app = create_app(engine, settings=Settings(database_url=db_url, data_dir=tmp_path / "state"))
    return TestClient(app), w


def audit_rows(engine: Engine, entity: str, entity_id) -> list[dict]:
    """Audit rows of one object, oldest first."""
    a = s.audit_log
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(a).where(a.c.entity == entity, a.c.entity_id == str(entity_id))
                                              .order_by(a.c.id)).mappings()]


def _fill(url: str, _folder) -> dict:
    """The world in a new database (for :func:`start_copy`): its ids and keys, the engine closed."""
    from ecosentry.service import prepare_database

    engine = prepare_database(url)
    w = build_world(engine)
    engine.dispose()
    return {"points": w.points, "enterprises": w.enterprises, "users": w.users, "keys": w.keys}


def start_copy(db_copy, tmp_path) -> tuple:
    """As :func:`start`, on a copy of the world made once per test module and database kind (the root
    conftest's ``db_copy``): the accounts' password hashes and the fleet import are not redone per test."""
    import copy

    from fastapi.testclient import TestClient

    from ecosentry.api.app import create_app
    from ecosentry.settings import Settings
    from ecosentry.store.db import make_engine

    url, ids = db_copy("work_world", _fill)
    engine = make_engine(url)
    w = World(engine, **copy.deepcopy(ids))
    app = create_app(engine, settings=Settings(database_url=url, data_dir=tmp_path / "state"))
    return TestClient(app), w
