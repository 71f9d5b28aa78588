"""The upload to the upper platform as it runs (issue 16 item 7), on SQLite and PostgreSQL, against a real HTTP
receiver (Starlette on uvicorn, a socket of its own): ledger rows queued in their own transaction; the receiver
down (nothing listening) then up, one acknowledgement lost on the way: every row arrives, each stored once by its
idempotency key; a row the mapping refuses is never sent; the delivery log and the per-enterprise delivery state
(the page ``/gates/uploads`` as each role sees it, zh and vi)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ecosentry.api.app import create_app
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.pipeline.upload import UploadSender
from ecosentry.subsystems.gates.queries.uploads import delivery_log, delivery_state
from ecosentry.subsystems.gates.rules.upload import UploadSettings
from ecosentry.subsystems.gates.store.ledger import LedgerEntry, store_entries
from gates_dbkit import CREDIT, STAGE5, STAGE6, gates_database
from gates_pages_world import build
from netkit import free_port

SH = timezone(timedelta(hours=8))


class Receiver:
    """The upper platform: stores each record once by ``Idempotency-Key`` (409 for a key it holds); the keys in
    ``lose`` are stored but answered 500 the first time (an acknowledgement lost on the way back)."""

    def __init__(self, port: int, lose: set[str] = frozenset()) -> None:
        self.port, self.lose = port, set(lose)
        self.stored: dict[str, dict] = {}
        self.posts: Counter = Counter()
        app = Starlette(routes=[Route("/api/ledger", self.ledger, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off"))

    async def ledger(self, request: Request):
        key = request.headers["idempotency-key"]
        self.posts[key] += 1
        if key in self.stored:
            return JSONResponse({"duplicate": True}, status_code=409)
        self.stored[key] = await request.json()
        if key in self.lose:
            self.lose.discard(key)
            return JSONResponse({"error": "lost"}, status_code=500)
        return JSONResponse({"ok": True})

    async def __aenter__(self) -> Receiver:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        await self.task


def settings(port: int, **kw) -> UploadSettings:
    return UploadSettings(url=f"http://127.0.0.1:{port}/api/ledger", retry_base_s=0.05, retry_factor=2,
                          retry_cap_s=0.3, every_s=0.05, batch=8, concurrency=4, max_attempts=10_000,
                          timeout_s=5, **kw)


def queue_rows(engine, enterprise_id: int, plate: str, n: int, start: datetime) -> None:
    entries = [LedgerEntry(enterprise_id, start + timedelta(minutes=7 * i), i % 2 == 0, plate, cargo="煤",
                           weight_t=30.0 + i) for i in range(n)]
    with engine.begin() as c:
        store_entries(c, entries, source="manual", actor="guard", upload=True)


def outbox(engine) -> dict[str, dict]:
    with engine.connect() as c:
        return {str(r.ledger_id): dict(r._mapping) for r in c.execute(select(gs.gates_upload_outbox))}


async def until(check, what: str, limit_s: float = 60) -> None:
    """Wait (bounded, not timed) until ``check()`` holds in a worker thread."""
    for _ in range(int(limit_s / 0.05)):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_receiver_down_then_up_nothing_lost_nothing_doubled(db_url):
    engine = gates_database(db_url)
    with engine.connect() as c:
        ent = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == CREDIT))
    start = datetime.now(SH).replace(microsecond=0) - timedelta(hours=3)
    queue_rows(engine, ent, STAGE5, 20, start)
    queue_rows(engine, ent, STAGE6, 1, start)        # the register has no VIN for it: the mapping refuses it
    rows = outbox(engine)
    invalid = {str(i) for i in _ids(engine, STAGE6)}
    valid = set(rows) - invalid
    assert len(rows) == 21 and len(valid) == 20 and all(r["state"] == "pending" for r in rows.values())
    port = free_port()
    sender = UploadSender(engine, settings(port))
    task = asyncio.create_task(sender.run())
    try:
        # down: nothing listens on the port; every row fails at least twice and waits its back-off
        await until(lambda: all(r["attempts"] >= 2 and r["state"] == "retry" for r in outbox(engine).values()),
                    "every row retried twice")
        lost = set(sorted(valid)[:3])
        async with Receiver(port, lose=lost) as receiver:
            await until(lambda: all(outbox(engine)[k]["state"] == "sent" for k in valid), "every row sent")
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)
    # nothing lost, nothing doubled: each key stored once; a lost acknowledgement was answered 409 on its retry
    assert set(receiver.stored) == valid and not invalid & set(receiver.posts)
    assert all(receiver.posts[k] == (2 if k in lost else 1) for k in valid)
    body = receiver.stored[min(valid, key=int)]
    assert body["record_id"] == min(valid, key=int) and body["plate_number"] == STAGE5 and body["direction"] == "1"
    assert body["pass_time"] == start.strftime("%Y%m%d %H%M%S") and body["emission_stage"] == "5"
    assert body["enterprise_code"] == CREDIT and body["cargo_name"] == "煤" and body["transport_volume_t"] == 30.0
    final = outbox(engine)
    assert all(final[k]["late"] is True and final[k]["delay_s"] > 600 for k in valid)  # rows of 1–3 h ago
    bad = final[next(iter(invalid))]
    assert bad["state"] == "retry" and "VEH-UPLOAD-INVALID" in bad["last_error"] and "vin" in bad["last_error"]
    with engine.connect() as c:
        log = c.execute(select(gs.gates_upload_log, gs.gates_upload_outbox.c.ledger_id).join(
            gs.gates_upload_outbox)).all()
        state = delivery_state(c, s.enterprises.c.id == ent, datetime.now(timezone.utc), 600)
        attempts = delivery_log(c, ent, 500)
    by_key: dict[str, list] = {}
    for r in log:
        by_key.setdefault(str(r.ledger_id), []).append(r)
    for k in valid:
        ok = [r for r in by_key[k] if r.ok]
        refused = [r for r in by_key[k] if not r.ok and r.http_status is None]
        assert len(ok) == 1 and ok[0].http_status == (409 if k in lost else 200) and len(refused) >= 2
        assert ok[0].latency_ms is not None and "ConnectError" in refused[0].error
        assert [r.attempt for r in sorted(by_key[k], key=lambda r: r.id)] == list(range(1, len(by_key[k]) + 1))
    assert all(r.http_status is None and "VEH-UPLOAD-INVALID" in r.error for r in by_key[next(iter(invalid))])
    [row] = state
    assert (row["total"], row["sent"], row["retry"] + row["failed"], row["dead"], row["late"]) == (21, 20, 1, 0, 20)
    assert row["overdue"] == 1 and row["oldest_unsent"] is not None and "VEH-UPLOAD-INVALID" in row["last_error"]
    assert len(attempts) == len(log)
    engine.dispose()


def _ids(engine, plate: str) -> list[int]:
    with engine.connect() as c:
        return list(c.execute(select(gs.gates_ledger.c.id).where(gs.gates_ledger.c.plate == plate)).scalars())


async def test_a_dead_delivery_waits_for_an_operator(db_url):
    from ecosentry.store.audit import list_audit
    from ecosentry.subsystems.gates.store.outbox import requeue_dead

    engine = gates_database(db_url)
    with engine.connect() as c:
        ent = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == CREDIT))
    queue_rows(engine, ent, STAGE5, 2, datetime.now(SH) - timedelta(minutes=5))
    port = free_port()
    st = settings(port).model_copy(update={"max_attempts": 2})
    sender = UploadSender(engine, st)
    task = asyncio.create_task(sender.run())
    try:
        await until(lambda: all(r["state"] == "dead" for r in outbox(engine).values()), "dead after 2 attempts")
        assert all(r["attempts"] == 2 for r in outbox(engine).values())
        async with Receiver(port) as receiver:
            assert requeue_dead(engine, datetime.now(timezone.utc), st, actor="operator") == 2
            sender.wake()
            await until(lambda: all(r["state"] == "sent" for r in outbox(engine).values()), "sent after requeue")
    finally:
        sender.stop()
        await asyncio.wait_for(task, 10)
    assert len(receiver.stored) == 2 and all(not r["late"] for r in outbox(engine).values())
    assert list_audit(engine, entity="gates_upload")[0]["after"] == {"deliveries": 2}
    engine.dispose()


@pytest.mark.parametrize("lang, words", [("zh", ("上传至上级平台", "已发送", "临汾钢铁")),
                                         ("vi", ("Gửi lên hệ thống cấp trên", "Đã gửi", "临汾钢铁"))])
def test_the_delivery_state_page_per_enterprise(db_url, tmp_path, lang, words):
    w = build(db_url, tmp_path)
    engine = w["engine"]
    now = datetime.now(SH).replace(microsecond=0)
    queue_rows(engine, w["a"], STAGE5, 3, now - timedelta(minutes=30))
    queue_rows(engine, w["b"], "晋L55555", 2, now - timedelta(minutes=20))  # registered without a VIN: refused
    port = free_port()

    async def send() -> Receiver:
        async with Receiver(port) as receiver:
            sender = UploadSender(engine, settings(port))
            async with sender._client() as client:
                assert await sender.round(client) == 5
        return receiver

    assert len(asyncio.run(send()).stored) == 3
    st = w["settings"].model_copy(update={"gates": w["settings"].gates.model_copy(update={
        "upload": settings(port)})})

    def page(client, user, path):
        return client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}",
                          headers={"Authorization": f"Bearer {w['keys'][user]}"})

    with TestClient(create_app(engine, settings=st), follow_redirects=False) as client:
        r = page(client, "city", "/gates/uploads")
        assert r.status_code == 200, r.text
        for word in words:
            assert word in r.text, word
        assert f'data-enterprise="{w["a"]}"' in r.text and f'data-enterprise="{w["b"]}"' in r.text
        own = page(client, "plantA", "/gates/uploads")
        assert own.status_code == 200 and f'data-enterprise="{w["b"]}"' not in own.text
        assert page(client, "plantA", f"/gates/uploads?enterprise={w['b']}").status_code == 404
        one = page(client, "city", f"/gates/uploads?enterprise={w['b']}")
        assert one.status_code == 200 and 'id="upload-log"' in one.text and "晋L55555" in one.text
        assert "VEH-UPLOAD-INVALID" in one.text and "gt-refused" in one.text
        assert client.get("/gates/uploads").status_code == 303
    engine.dispose()


async def test_the_service_forwards_what_the_gate_pushed(db_url, tmp_path):
    """End to end in the running service: a plate event pushed over HTTP becomes a ledger row queued in the sink's
    transaction, and the service's sender part delivers it to the platform; the retention job runs beside it."""
    import httpx

    from ecosentry.service import Service
    from ecosentry.settings import Settings
    from gates_dbkit import TOKEN

    gates_database(db_url).dispose()
    port = free_port()
    st = Settings(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1", hj212_port=0,
                  http_host="127.0.0.1", http_port=0,
                  gates={"push": {"host": "127.0.0.1"}, "upload": settings(port).model_dump()})
    async with Receiver(port) as receiver:
        svc = Service(st)
        await svc.start(web=False, alarms=False, forward=False)
        try:
            assert {"gates_push", "gates_upload", "gates_retention"} <= set(svc.parts)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{svc.parts['gates_push'].port}") as client:
                r = await client.post("/gates/v1/passages", headers={"Authorization": f"Bearer {TOKEN}"}, json={
                    "plate": STAGE5, "plate_colour": "yellow", "confidence": 0.9, "direction": "in",
                    "time": datetime.now(SH).replace(microsecond=0).isoformat(), "gate": "G1"})
                assert r.status_code == 200
            await svc.drain()
            await until(lambda: len(receiver.stored) == 1, "the passage's ledger row delivered")
        finally:
            await svc.stop()
    [(key, body)] = receiver.stored.items()
    with svc.engine.connect() as c:
        ledger_id = c.scalar(select(gs.gates_ledger.c.id))
        state = c.scalar(select(gs.gates_upload_outbox.c.state))
    assert key == str(ledger_id) and body["plate_number"] == STAGE5 and state == "sent"
