"""Shared pieces of the page tests: a fleet of two counties, users of every role with API keys, and data.

Users log in with an API key (``Authorization: Bearer es_…``), which :func:`ecosentry.auth.deps.current_principal`
honours for pages as for the API. The fleet: 江苏省 → 苏州市 → 吴中区 (the e2e test enterprise, not published)
and 虎丘区 (a second, published enterprise with limits). Values are written as real rows of the tables the
pipeline fills (latest_values, hourly_values, derived_periods), alarms and marks through their stores.
"""

from __future__ import annotations

import copy
import secrets
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from helpers import FLEET, GAS_MN, WATER_MN  # noqa: E402

from ecosentry.alarms.store import raise_alarm  # noqa: E402
from ecosentry.api.app import create_app  # noqa: E402
from ecosentry.auth.deps import hash_api_key  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.subsystems.monitoring.store.marks import file_mark  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402

OTHER_MN = "TEST0000000000000HUQIU01"
OTHER_NAME = "苏州虎丘化工有限公司"
HOME_NAME = FLEET["enterprises"][0]["name"]

PAGES_FLEET = copy.deepcopy(FLEET)
PAGES_FLEET["regions"].append({"code": "320505", "name": "虎丘区", "level": "county", "parent": "320500"})
PAGES_FLEET["enterprises"].append({
    "credit_code": "91320505MA1TEST002", "name": OTHER_NAME, "industry": "2614 有机化学原料制造",
    "region": "320505", "lon": 120.55, "lat": 31.35,
    "outlets": [{"code": "DA001", "name": "焚烧炉排口", "medium": "gas", "ref_o2": 11.0,
                 "points": [{"mn": OTHER_MN, "password": "123456", "st": "31", "name": "焚烧炉CEMS",
                             "connected_at": "2020-01-01",
                             "factors": [{"code": "a21026", "range": [0, 200],
                                          "limits": [{"kind": "hour", "upper": 100.0, "standard": "GB 18484-2020"},
                                                     {"kind": "day", "upper": 80.0, "standard": "GB 18484-2020"}]},
                                         {"code": "a19001", "range": [0, 25]}]}]}],
})

#: username → users row (regulators at county and city level, the enterprise, its O&M contractor, an admin).
USERS = {
    "admin": {"role": "admin"},
    "wuzhong": {"role": "regulator", "region_code": "320506", "display_name": "吴中分局"},
    "huqiu": {"role": "regulator", "region_code": "320505", "display_name": "虎丘分局"},
    "suzhou": {"role": "regulator", "region_code": "320500", "display_name": "苏州市局"},
    "plant": {"role": "enterprise", "enterprise_name": HOME_NAME},
    "om": {"role": "om", "maintains": [GAS_MN]},
}


def ids(engine: Engine) -> dict:
    """Ids of the fleet's points and enterprises by a short name."""
    with engine.connect() as c:
        pts = dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())
        ents = dict(c.execute(select(s.enterprises.c.name, s.enterprises.c.id)).all())
        outs = {(r.enterprise_id, r.code): r.id for r in c.execute(select(s.outlets))}
    return {"gas": pts[GAS_MN], "water": pts[WATER_MN], "other": pts[OTHER_MN], "home": ents[HOME_NAME],
            "other_ent": ents[OTHER_NAME], "home_gas_outlet": outs[(ents[HOME_NAME], "DA001")],
            "other_outlet": outs[(ents[OTHER_NAME], "DA001")]}


def add_users(engine: Engine, only: tuple[str, ...] | None = None) -> dict[str, str]:
    """Create :data:`USERS` (or ``only`` those) with one API key each; returns username → key."""
    keys = {}
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        ents = dict(c.execute(select(s.enterprises.c.name, s.enterprises.c.id)).all())
        pts = dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())
        for name, u in USERS.items():
            if only is not None and name not in only:
                continue
            row = {"username": name, "role": u["role"], "region_code": u.get("region_code"),
                   "display_name": u.get("display_name"),
                   "enterprise_id": ents[u["enterprise_name"]] if "enterprise_name" in u else None}
            uid = c.execute(insert(s.users).values(**row).returning(s.users.c.id)).scalar_one()
            for mn in u.get("maintains", ()):
                c.execute(insert(s.point_maintainers).values(user_id=uid, point_id=pts[mn]))
            key = "es_" + secrets.token_urlsafe(24)
            c.execute(insert(s.api_keys).values(user_id=uid, name="test", prefix=key[:12],
                                                key_hash=hash_api_key(key), created_at=now))
            keys[name] = key
    return keys


def publish(engine: Engine, enterprise_id: int) -> None:
    with engine.begin() as c:
        c.execute(s.enterprises.update().where(s.enterprises.c.id == enterprise_id).values(published=True))


def add_latest(engine: Engine, point_id: int, values: dict[str, float], at: datetime, kind: str = "min") -> None:
    """Latest values of a point, received at ``at`` (what the home list, the map and live tables read)."""
    with engine.begin() as c:
        for code, v in values.items():
            c.execute(insert(s.latest_values).values(point_id=point_id, factor_code=code, kind=kind,
                                                     period_start=at.replace(second=0, microsecond=0),
                                                     value=v, flag="N", received_at=at))


def add_hours(engine: Engine, point_id: int, factor: str, start: datetime, values: list[float | None], *,
              limit: float | None = None, invalid: set[int] = frozenset()) -> None:
    """Derived hourly values from ``start`` (an hour boundary); an hour is exceeded when above ``limit``."""
    rows = []
    for i, v in enumerate(values):
        t = start + timedelta(hours=i)
        valid = i not in invalid and v is not None
        rows.append({"point_id": point_id, "factor_code": factor, "period_start": t, "value": v, "valid": valid,
                     "valid_minutes": 60 if valid else 20, "received_minutes": 60, "n_records": 60,
                     "reason": None if valid else "fewer than 45 valid minutes", "computed_at": t,
                     "last_received_at": t + timedelta(minutes=59), "flag": "N",
                     "exceeded": (v > limit) if valid and limit is not None else None,
                     "multiple": ((v - limit) / limit) if valid and limit and v > limit else None,
                     "limit_value": limit})
    if not rows:  # (an empty executemany would insert one row of defaults)
        return
    with engine.begin() as c:
        c.execute(insert(s.hourly_values), rows)


def add_days(engine: Engine, point_id: int, factor: str, first: date, values: list[float], tz: str, *,
             limit: float | None = None) -> None:
    """Derived daily values (local days of ``tz``)."""
    from zoneinfo import ZoneInfo
    rows = []
    for i, v in enumerate(values):
        d = first + timedelta(days=i)
        t = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
        rows.append({"point_id": point_id, "factor_code": factor, "period": "day", "period_start": t, "value": v,
                     "valid": True, "n_valid": 24, "n_received": 24, "n_expected": 24,
                     "exceeded": (v > limit) if limit is not None else None, "limit_value": limit,
                     "computed_at": t})
    with engine.begin() as c:
        c.execute(insert(s.derived_periods), rows)


def add_alarm(engine: Engine, point_id: int, type: str = "ALM-EXCEEDANCE", at: datetime | None = None) -> dict:
    alarm, _ = raise_alarm(engine, type=type, source_type="point", source_id=point_id, severity=None,
                           title=f"{type} at point {point_id}", explanation="test condition",
                           evidence={"value": 1}, point_id=point_id, at=at or datetime.now(timezone.utc))
    return alarm


def add_mark(engine: Engine, point_id: int, start: datetime, end: datetime, type: str = "maintenance") -> int:
    return file_mark(engine, point_id=point_id, type=type, start=start, end=end, reason="test maintenance",
                     filed_by="plant")


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    import_fleet(eng, PAGES_FLEET)
    yield eng
    eng.dispose()


@pytest.fixture
def keys(engine) -> dict[str, str]:
    return add_users(engine)


@pytest.fixture
def client(engine):
    with TestClient(create_app(engine), follow_redirects=False) as c:
        yield c


def as_user(client: TestClient, keys: dict[str, str], username: str) -> TestClient:
    """The client, logged in as ``username`` from now on (API key header)."""
    client.headers["Authorization"] = f"Bearer {keys[username]}"
    return client
