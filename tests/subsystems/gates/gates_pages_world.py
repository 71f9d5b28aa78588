"""A world for the gates pages: two graded enterprises of 临汾市 (A from ``gates_dbkit``, B with a side gate), an
orange alert in force for 山西省, passages pushed over HTTP to the real push (pictures included) and stored by
the sink, and accounts of each role (city and other-city regulators, each enterprise)."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import insert, select

from ecosentry.auth.deps import hash_api_key
from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.settings import Settings
from ecosentry.store import pollution_alerts
from ecosentry.store import schema as s
from ecosentry.subsystems.gates.gateways.push import GatePushPart
from ecosentry.subsystems.gates.pipeline.sink import GatePassageSink
from ecosentry.subsystems.gates.store.registry import import_gates
from gates_dbkit import CREDIT, STAGE4, STAGE5, STAGE6, TOKEN, b64, gates_database, png

CREDIT_B = "91141000MA0GATE002"
TOKEN_B = "gate-device-token-b-main-0001-abcdef"
TOKEN_B_SIDE = "gate-device-token-b-side-0002-abcdef"
B_PLATE = "晋L55555"
FLEET_B = {"gates": {"enterprises": [{
    "credit_code": CREDIT_B, "grade": "A",
    "gates": [{"code": "G1", "name": "北门", "devices": [{"code": "GB-0001", "token": TOKEN_B}]},
              {"code": "G9", "name": "西侧门", "side": True, "devices": [{"code": "GB-0009", "token": TOKEN_B_SIDE}]}],
    "vehicles": [{"plate": B_PLATE, "plate_colour": "yellow", "emission_stage": "国六", "fuel": "diesel"}]}]}}

#: username → (role, region, enterprise credit code)
USERS = {"city": ("regulator", "141000", None), "taiyuan": ("regulator", "140100", None),
         "plantA": ("enterprise", None, CREDIT), "plantB": ("enterprise", None, CREDIT_B)}


def settings(db_url: str, tmp_path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "state", default_locale="zh",
                    gates={"push": {"host": "127.0.0.1", "port": 0}})


def build(db_url: str, tmp_path) -> dict:
    """The engine, settings, API keys by user, ids, the alert and the pictures pushed, by plate."""
    st = settings(db_url, tmp_path)
    engine = gates_database(db_url)
    with engine.begin() as c:
        c.execute(insert(s.regions).values(code="140100", name="太原市", parent_code="140000", level="city"))
        c.execute(insert(s.enterprises).values(credit_code=CREDIT_B, name="临汾钢铁", region_code="141000"))
        import_gates(c, FLEET_B, "test")
        ents = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    now = datetime.now(timezone.utc).replace(microsecond=0)
    alert = pollution_alerts.issue(engine, region_code="140000", level="orange", starts_at=now - timedelta(hours=6),
                                   ends_at=now + timedelta(days=1), issued_by="山西省应急指挥部", actor="test")
    pictures = asyncio.run(_push_all(st, engine, now))
    keys = {}
    with engine.begin() as c:
        for name, (role, region, credit) in USERS.items():
            uid = c.execute(insert(s.users).values(username=name, role=role, region_code=region,
                                                   enterprise_id=ents[credit] if credit else None)
                            .returning(s.users.c.id)).scalar_one()
            key = "es_" + secrets.token_urlsafe(24)
            c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=key[:12], key_hash=hash_api_key(key),
                                                created_at=now))
            keys[name] = key
    return {"engine": engine, "settings": st, "keys": keys, "a": ents[CREDIT], "b": ents[CREDIT_B],
            "alert": alert, "pictures": pictures}


async def _push_all(st: Settings, engine, now: datetime) -> dict[str, str]:
    """Push the passages of both enterprises during the alert; the sink stores them. Returns plate → picture."""
    spool_dir = st.data_dir / "spool"
    spool = Spool(spool_dir)
    ctx = ServiceContext(settings=st, engine=engine, spool=spool, directory=None, dispatcher=None,
                         enabled=frozenset({"gateway"}))
    part = GatePushPart(ctx)
    await part.start()
    pictures: dict[str, str] = {}
    events = [  # (token, gate, plate, minutes before now, direction, picture seed)
        (TOKEN, "G1", STAGE5, 120, "in", 1), (TOKEN, "G1", STAGE6, 110, "in", 2),
        (TOKEN, "G1", STAGE4, 100, "in", 3),  # 国四 under the orange alert: refused
        (TOKEN, "G1", "晋B99999", 90, "in", 4),  # not registered: stage to complete
        (TOKEN, "G1", STAGE5, 60, "out", 5),
        (TOKEN_B, "G1", B_PLATE, 80, "in", 6), (TOKEN_B_SIDE, "G9", B_PLATE, 30, "out", 7)]  # a side-gate exit
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{part.port}", timeout=10) as client:
            for token, gate, plate, minutes, direction, seed in events:
                body = {"plate": plate, "plate_colour": "yellow", "confidence": 0.95, "direction": direction,
                        "time": (now - timedelta(minutes=minutes)).isoformat(), "gate": gate,
                        "picture": b64(png(seed))}
                r = await client.post("/gates/v1/passages", json=body, headers={"Authorization": f"Bearer {token}"})
                assert r.status_code == 200, r.text
    finally:
        await part.close()
    records = [(r.seq, Envelope.decode(r.payload)) for r in SpoolReader(spool_dir).read_batch(10_000)]
    GatePassageSink.from_settings(engine, st, None).write(spool.id, records)
    spool.close()
    from ecosentry.subsystems.gates.schema import gates_passages
    with engine.connect() as c:
        for plate, sha, inbound in c.execute(select(gates_passages.c.plate, gates_passages.c.picture,
                                                    gates_passages.c.inbound)):
            pictures.setdefault(plate, sha)
    return pictures


def auth(w: dict, user: str) -> dict[str, str]:
    """The request headers of ``user``'s API key."""
    return {"Authorization": f"Bearer {w['keys'][user]}"}


def site(db_url, tmp_path):
    """The world and a test client of its web app (``site = pytest.fixture(site)`` in a test module)."""
    from fastapi.testclient import TestClient

    from ecosentry.api.app import create_app

    w = build(db_url, tmp_path)
    with TestClient(create_app(w["engine"], settings=w["settings"]), follow_redirects=False) as client:
        yield w, client
    w["engine"].dispose()
