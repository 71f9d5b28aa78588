"""A park with a warning and its incident for the page tests: the parkkit fleet (a regulator of the park's county
and one of another province added), an hour of minute readings (a chlorine release seen at the boundary station and
the park edge, the met station's wind from the west) stored as the sink stores them, then one pass of the real
warning job (transitions, incident zones and ranking); API keys for the accounts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from ecosentry.auth.deps import hash_api_key
from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.live.job import WarningJob
from parkkit import fleet

B01_CL2 = [0.01] * 40 + [2.0, 7.0] + [0.01] * 6
E01_CL2 = [0.004] * 40 + [0.3, 0.9, 0.2] + [0.004] * 5
ACCOUNTS = ("park-committee", "chlor", "far", "zjg", "gd")
KEYS = {name: f"es_{name.replace('-', '_'):_<9}park_pages_key_000000" for name in ACCOUNTS}


def world_fleet() -> dict:
    f = fleet()
    f["regions"].append({"code": "440000", "name": "广东省", "level": "province"})
    f["users"] += [{"username": "zjg", "role": "regulator", "region": "320582", "password": "x-park-pass-4"},
                   {"username": "gd", "role": "regulator", "region": "440000", "password": "x-park-pass-5"}]
    return f


def build(db_url: str):
    """The engine of a database holding the world; the warning job has passed once."""
    engine = prepare_database(db_url)
    import_fleet(engine, world_fleet())
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    base = now - timedelta(minutes=len(B01_CL2) + 5)
    with engine.begin() as c:
        ids = dict(c.execute(select(ps.park_stations.c.code, ps.park_stations.c.id)).all())
        rows, met = [], []
        for i, (b, e) in enumerate(zip(B01_CL2, E01_CL2, strict=True)):
            at = base + timedelta(minutes=i)
            rows += [{"station_id": ids["B01"], "factor": "Cl2", "at": at, "value": b, "received_at": now},
                     {"station_id": ids["E01"], "factor": "Cl2", "at": at, "value": e, "received_at": now}]
            met += [{"station_id": ids["M01"], "quantity": q, "at": at, "value": v, "received_at": now}
                    for q, v in (("wind_speed", 3.0), ("wind_dir", 270.0), ("stability", 4.0))]
        c.execute(insert(ps.park_readings), rows)
        c.execute(insert(ps.park_met_readings), met)
        users = dict(c.execute(select(s.users.c.username, s.users.c.id)).all())
        for name in ACCOUNTS:
            c.execute(insert(s.api_keys).values(user_id=users[name], name="t", prefix=KEYS[name][:12],
                                                key_hash=hash_api_key(KEYS[name]), created_at=now))
    WarningJob(engine).evaluate_new()
    return engine


def as_(who: str, lang: str = "en") -> dict:
    return {"Authorization": f"Bearer {KEYS[who]}", "Accept-Language": lang}
