"""A database with the O&M subsystem listed (``ECOSENTRY_SUBSYSTEMS``: the installed ones and om), on SQLite and
PostgreSQL, filled by a real fleet import (core part and the ``om:`` key): a city, two enterprises with one gas
point each, accounts (admin, the city's regulator, two O&M engineers each maintaining one point) with API keys;
and a real uvicorn server of the application for the HTTP tests."""

from __future__ import annotations

import copy
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
import uvicorn
from sqlalchemy import insert, select

from ecosentry.api.app import create_app
from ecosentry.auth.deps import hash_api_key
from ecosentry.fleet import import_fleet
from ecosentry.installed import INSTALLED
from ecosentry.locale import translations
from ecosentry.service import prepare_database
from ecosentry.settings import settings_class
from ecosentry.store import schema as s

OM = "ecosentry.subsystems.om"
NAMES = (*INSTALLED, OM) if OM not in INSTALLED else INSTALLED
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)
MN_A, MN_B = "13000000000000000000A1", "13000000000000000000B1"
DOOR_SECRET = "door-secret-of-room-a"

FLEET = {
    "regions": [{"code": "130000", "name": "河北省", "level": "province"},
                {"code": "130100", "name": "石家庄市", "level": "city", "parent": "130000"}],
    "enterprises": [
        {"credit_code": "91130100MA0OMENTA1", "name": "石家庄热电", "region": "130100", "outlets": [
            {"code": "DA001", "name": "1号排口", "medium": "gas", "points": [
                {"mn": MN_A, "password": "123456", "st": "31", "factors": [{"code": "a21026"}, {"code": "a34013"}]}]}]},
        {"credit_code": "91130100MA0OMENTB2", "name": "石家庄水泥", "region": "130100", "outlets": [
            {"code": "DA001", "name": "窑尾", "medium": "gas", "points": [
                {"mn": MN_B, "password": "123456", "st": "31", "factors": [{"code": "a21026"}]}]}]}],
    "users": [{"username": "admin", "role": "admin"}, {"username": "city", "role": "regulator", "region": "130100"},
              {"username": "om_zhang", "role": "om", "points": [MN_A], "organisation": "清源运维"},
              {"username": "om_li", "role": "om", "points": [MN_B], "organisation": "别家运维"}],
    "om": {
        "organisations": [{
            "id": "ORG-QY", "name": "河北清源环境运维有限公司", "credit_code": "91130100MA0OMORG01",
            "filing": {"status": "filed", "date": "2026-01-05"},
            "qualifications": [{"name": "污染源在线监测运营", "number": "HB-2026-001", "valid_to": "2028-12-31"}],
            "staff": [{"id": "S01", "name": "张工", "user": "om_zhang", "commitment_signed": "2026-01-10",
                       "certificates": [{"name": "运维上岗证", "number": "C-01", "valid_to": "2027-06-30"}]}],
            "contracts": [{"id": "C2026-01", "enterprise": "91130100MA0OMENTA1", "points": [MN_A],
                           "from": "2026-01-01", "to": "2026-12-31"}]}],
        "rooms": [{"id": "ROOM-A", "name": "热电1号站房", "enterprise": "91130100MA0OMENTA1", "points": [MN_A],
                   "door": {"id": "DOOR-A", "secret": DOOR_SECRET},
                   "cameras": [{"id": "CAM1", "rtsp": "rtsp://10.0.0.5/stream1"},
                               {"id": "CAM2", "gb28181": "34020000001320000001"}]}]},
}

KEYS = {u["username"]: f"es_{u['username']:_<9}om_test_key_00000000000" for u in FLEET["users"]}


def fleet() -> dict:
    return copy.deepcopy(FLEET)


@pytest.fixture
def om_names(monkeypatch):
    """The O&M subsystem listed for this test (the settings class, migrations, routes and import parts)."""
    monkeypatch.setenv("ECOSENTRY_SUBSYSTEMS", ",".join(NAMES))
    translations.cache_clear()           # the catalogues of the listed subsystems, om's included
    yield NAMES
    monkeypatch.undo()
    translations.cache_clear()


@pytest.fixture
def om_world(db_url, om_names, tmp_path):
    """(engine, settings, ids) of the migrated and imported database. ``db_url`` comes first: the session's
    PostgreSQL template is migrated without the O&M branch (other tests share it), each copy gets it here."""
    eng = prepare_database(db_url)
    import_fleet(eng, fleet())
    with eng.begin() as c:
        users = {r.username: r.id for r in c.execute(select(s.users.c.username, s.users.c.id))}
        for name, uid in users.items():
            c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=KEYS[name][:12],
                                                key_hash=hash_api_key(KEYS[name]), created_at=T0))
        points = {r.mn: r.id for r in c.execute(select(s.points.c.mn, s.points.c.id))}
    st = settings_class(om_names)(database_url=db_url, data_dir=tmp_path / "state")
    yield eng, st, {"a": points[MN_A], "b": points[MN_B]}
    eng.dispose()


def auth(user: str) -> dict:
    return {"X-API-Key": KEYS[user]}


@contextmanager
def serve(app):
    """The application on a real uvicorn server on a free port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not server.started and time.time() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def om_server(engine, settings):
    with serve(create_app(engine, settings=settings)) as base:
        yield base
