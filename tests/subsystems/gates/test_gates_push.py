"""The HTTP push of plate events over a real socket (uvicorn on a free port), on SQLite and PostgreSQL: the
device's token, the decision in the reply under the current alert, the envelope made durable and stored by the
``gate-passages`` sink (passage, decision, ledger row joined to the register, entry/exit pairing, picture);
every refusal a clear 4xx in the caller's language, counted once, nothing stored; a replay changes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import func, select

from ecosentry.contracts.envelope import Envelope
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.metrics import counters
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.settings import Settings
from ecosentry.store import pollution_alerts
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.gateways.push import GatePushPart
from ecosentry.subsystems.gates.pipeline.sink import GatePassageSink, picture_store
from gates_dbkit import ELECTRIC, OTHER_TOKEN, STAGE4, STAGE5, STAGE6, TOKEN, b64, gates_database, png

SH = timezone(timedelta(hours=8))


def _settings(db_url, tmp_path, **push) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "state",
                    gates={"push": {"host": "127.0.0.1", "port": 0, **push},
                           "pictures": {"max_bytes": 4096}})


class World:
    """The push part running on a free port, its spool, and the sink writing what the spool holds."""

    def __init__(self, db_url, tmp_path, **push) -> None:
        self.settings = _settings(db_url, tmp_path, **push)
        self.engine = gates_database(db_url)
        self.spool_dir = tmp_path / "state" / "spool"

    async def __aenter__(self) -> World:
        self.spool = Spool(self.spool_dir)
        ctx = ServiceContext(settings=self.settings, engine=self.engine, spool=self.spool, directory=None,
                             dispatcher=None, enabled=frozenset({"gateway"}))
        self.part = GatePushPart(ctx)
        await self.part.start()
        self.url = f"http://127.0.0.1:{self.part.port}"
        # plain HTTP on 127.0.0.1: verify=False spares building a TLS context from the system store (~0.1 s a test)
        self.client = httpx.AsyncClient(base_url=self.url, timeout=10, verify=False)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()
        await self.part.close()
        self.spool.close()
        self.engine.dispose()

    async def push(self, token: str | None = TOKEN, lang: str = "zh", **event):
        body = {"plate": STAGE5, "plate_colour": "yellow", "confidence": 0.97, "direction": "in",
                "time": "2026-12-06T08:00:00+08:00", "gate": "G1", **event}
        headers = {"Accept-Language": lang}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.client.post("/gates/v1/passages", json=body, headers=headers)

    def spooled(self) -> list[tuple[int, Envelope]]:
        return [(r.seq, Envelope.decode(r.payload)) for r in SpoolReader(self.spool_dir).read_batch(10_000)]

    def store(self) -> None:
        sink = GatePassageSink.from_settings(self.engine, self.settings, None)
        sink.write(self.spool.id, self.spooled())

    def rows(self, table) -> list:
        with self.engine.connect() as c:
            return c.execute(select(table).order_by(*table.primary_key.columns)).all()


@pytest.mark.parametrize("lang, words", [("zh", "可以通行"), ("vi", "được qua")])
async def test_an_event_is_decided_made_durable_and_stored_with_its_ledger_row(db_url, tmp_path, lang, words):
    async with World(db_url, tmp_path) as w:
        picture = png(1)
        r = await w.push(lang=lang, picture=b64(picture))
        assert r.status_code == 200, r.text
        reply = r.json()
        assert reply["accepted"] is True and reply["allowed"] is True and reply["reason"] == "no_alert"
        assert STAGE5 in reply["message"] and words in reply["message"]
        # acknowledged only once durable: the envelope is on the spool before the database holds anything
        [(_, env)] = w.spooled()
        assert env.kind == "gate-passages" and env.meta["decision"]["reason"] == "no_alert"
        assert w.rows(gs.gates_passages) == []
        w.store()
        [passage] = w.rows(gs.gates_passages)
        assert passage.plate == STAGE5 and passage.inbound and passage.confidence == pytest.approx(0.97)
        assert passage.at == datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
        assert picture_store(w.settings).get(passage.picture) == picture
        [decision] = w.rows(gs.gates_decisions)
        assert (decision.kind, decision.allowed, decision.reason, decision.stage) == ("rule", True, "no_alert", "5")
        [row] = w.rows(gs.gates_ledger)
        assert (row.source, row.passage_id, row.emission_stage, row.stage_unknown, row.transport_company) == \
            ("camera", passage.id, "5", False, "临汾运输公司")
        assert row.vehicle_id is not None and row.vin == "LZZ1CLVB7KA123457"
        # a replay of the spool (a crash before the cursor moved) stores nothing twice
        w.store()
        assert len(w.rows(gs.gates_passages)) == 1 and len(w.rows(gs.gates_ledger)) == 1
        assert len(w.rows(gs.gates_decisions)) == 1 and len(w.rows(gs.gates_pictures)) == 1


async def test_the_decision_follows_the_alert_and_the_grade(db_url, tmp_path):
    async with World(db_url, tmp_path) as w:
        pollution_alerts.issue(w.engine, region_code="140000", level="orange",
                               starts_at=datetime(2026, 12, 6, 0, 0, tzinfo=SH),
                               ends_at=datetime(2026, 12, 8, 0, 0, tzinfo=SH), issued_by="山西省应急指挥部",
                               actor="test")
        await asyncio.to_thread(w.part.directory.load)
        old = (await w.push(plate=STAGE4)).json()
        assert (old["allowed"], old["reason"], old["level"]) == (False, "stage_below", "orange")
        assert "不得进出" in old["message"] and "国五" in old["message"]
        ok = (await w.push(plate=STAGE5, time="2026-12-06T08:05:00+08:00")).json()
        assert (ok["allowed"], ok["reason"]) == (True, "stage_allowed")
        stranger = (await w.push(plate="晋B99999", time="2026-12-06T08:06:00+08:00")).json()
        assert (stranger["allowed"], stranger["reason"]) == (None, "unknown_vehicle")
        before = (await w.push(plate=STAGE4, time="2026-12-05T23:00:00+08:00")).json()
        assert (before["allowed"], before["reason"]) == (True, "no_alert")
        w.store()
        decisions = {(d.reason, d.level) for d in w.rows(gs.gates_decisions)}
        assert decisions == {("stage_below", "orange"), ("stage_allowed", "orange"), ("unknown_vehicle", "orange"),
                             ("no_alert", None)}
        unknown = [r for r in w.rows(gs.gates_ledger) if r.plate == "晋B99999"]
        assert len(unknown) == 1 and unknown[0].stage_unknown and unknown[0].vehicle_id is None


async def test_entries_and_exits_are_paired_in_the_ledger(db_url, tmp_path):
    async with World(db_url, tmp_path) as w:
        for plate, t, direction in ((STAGE5, "08:00:00", "in"), (STAGE5, "08:00:20", "in"),  # a repeated read
                                    (ELECTRIC, "08:30:00", "out"),                             # no entry before
                                    (STAGE5, "10:15:00", "out")):
            r = await w.push(plate=plate, time=f"2026-12-06T{t}+08:00", direction=direction,
                             plate_colour="green" if plate == ELECTRIC else "yellow")
            assert r.status_code == 200, r.text
        w.store()
        assert len(w.rows(gs.gates_passages)) == 4
        rows = {(r.plate, r.inbound): r for r in w.rows(gs.gates_ledger)}
        assert len(w.rows(gs.gates_ledger)) == 3  # the repeated read makes no row
        assert rows[(STAGE5, False)].pairs_with == rows[(STAGE5, True)].id
        assert rows[(ELECTRIC, False)].pairs_with is None
        assert rows[(ELECTRIC, False)].purpose == "in_plant" and rows[(ELECTRIC, False)].emission_stage == "d"


REFUSALS = [
    # (what, token, event changes, raw body, status, code, words in the zh sentence)
    ("no token", None, {}, None, 401, "unauthenticated", "令牌"),
    ("wrong token", "not-a-token-of-any-device-000", {}, None, 401, "bad_token", "令牌"),
    ("retired device", OTHER_TOKEN, {"gate": "G2"}, None, 403, "inactive_device", "已停用"),
    ("another gate", TOKEN, {"gate": "G2"}, None, 403, "wrong_gate", "门岗"),
    ("not JSON", TOKEN, {}, b"{plate: 1", 400, "not_json", "JSON"),
    ("over-long plate", TOKEN, {"plate": "晋A" + "1" * 20}, None, 422, "plate_too_long", "超过 16"),
    ("time without offset", TOKEN, {"time": "2026-12-06T08:00:00"}, None, 422, "bad_field", "时区偏移"),
    ("direction", TOKEN, {"direction": "sideways"}, None, 422, "bad_field", "direction"),
    ("oversized picture", TOKEN, {"picture": b64(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)}, None, 413,
     "picture_too_large", "4096"),
    ("not a picture", TOKEN, {"picture": b64(b"GIF89a" + b"\0" * 10)}, None, 422, "bad_picture", "JPEG"),
    ("body too large", TOKEN, {"pad": "x" * 20000}, None, 413, "too_large", "16384"),
]


@pytest.mark.parametrize("what, token, changes, raw, status, code, words", REFUSALS, ids=[r[0] for r in REFUSALS])
async def test_a_bad_event_gets_a_clear_4xx_is_counted_once_and_nothing_is_stored(db_url, tmp_path, what, token,
                                                                                  changes, raw, status, code, words):
    async with World(db_url, tmp_path, max_body_bytes=16384) as w:
        before = counters.get(f"gates.push.rejected.{code}")
        if raw is not None:
            r = await w.client.post("/gates/v1/passages", content=raw, headers={
                "Authorization": f"Bearer {token}", "Accept-Language": "zh-CN,zh;q=0.9"})
        else:
            r = await w.push(token=token, **changes)
        assert r.status_code == status, r.text
        assert r.json()["error"] == code and words in r.json()["message"]
        assert counters.get(f"gates.push.rejected.{code}") == before + 1
        if status == 401:
            assert r.headers["www-authenticate"].startswith("Bearer")
        vi = await w.push(token=token, lang="vi", **changes) if raw is None else None
        if vi is not None:
            assert vi.status_code == status and vi.json()["message"] != r.json()["message"]
        assert w.spooled() == []
        w.store()
        with w.engine.connect() as c:
            for table in (gs.gates_passages, gs.gates_ledger, gs.gates_decisions, gs.gates_pictures):
                assert c.scalar(select(func.count()).select_from(table)) == 0


async def test_every_answer_of_the_push_speaks_the_callers_language(db_url, tmp_path, monkeypatch):
    """``?lang=`` before ``Accept-Language`` before the deployment's default; an address or a method that is no
    route of the push, and a request it fails to take (the spool not writable), answer in the push's shape
    ``{"error", "message"}`` in that language too, counted, nothing stored (was Starlette's English text)."""
    async with World(db_url, tmp_path) as w:
        r = await w.client.post("/gates/v1/passages?lang=vi", json={}, headers={"Accept-Language": "zh-CN"})
        assert r.status_code == 401 and r.json()["message"] == "Thiết bị cổng phải xác thực bằng mã thông báo của mình."
        r = await w.client.post("/gates/v1/passages", json={}, headers={"Accept-Language": "de-DE, vi;q=0.5"})
        assert r.json()["message"] == "Thiết bị cổng phải xác thực bằng mã thông báo của mình."
        r = await w.client.post("/gates/v1/passages", json={}, headers={"Accept-Language": "de-DE"})
        assert r.json()["message"] == "门禁设备必须使用其令牌进行认证。"  # the deployment's default (zh)

        before = counters.get("gates.push.rejected.not_found")
        r = await w.client.post("/gates/v1/passage", json={}, headers={"Accept-Language": "zh"})
        assert r.status_code == 404 and r.json() == {"error": "not_found", "message": (
            "/gates/v1/passage 没有可用的接口：门禁设备应向 /gates/v1/passages、/gates/v1/heartbeat 或 "
            "/gates/v1/snapshot 发送 POST 请求。")}
        assert counters.get("gates.push.rejected.not_found") == before + 1
        r = await w.client.get("/gates/v1/heartbeat?lang=vi")
        assert r.status_code == 405 and r.headers["allow"] == "POST"
        assert r.json() == {"error": "method_not_allowed", "message": "/gates/v1/heartbeat chỉ nhận POST, không nhận GET."}
        r = await w.client.get("/gates/v1/heartbeat", headers={"Accept-Language": "en"})
        assert r.json()["message"] == "/gates/v1/heartbeat takes POST, not GET."

        async def full(_records):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(w.spool, "append", full)
        for lang, words in (("zh", "请稍后重新发送"), ("vi", "hãy gửi lại sau")):
            r = await w.push(lang=lang)
            assert r.status_code == 503 and r.json()["error"] == "server_error" and words in r.json()["message"]
        assert w.spooled() == []


async def test_basic_authentication_and_heartbeats(db_url, tmp_path):
    async with World(db_url, tmp_path) as w:
        r = await w.client.post("/gates/v1/heartbeat", json={"status": "power_cut", "detail": "UPS on battery"},
                                auth=("GD-0001", TOKEN))
        assert r.status_code == 200, r.text
        wrong_user = await w.client.post("/gates/v1/heartbeat", json={}, auth=("GD-0002", TOKEN))
        assert wrong_user.status_code == 401
        bad = await w.client.post("/gates/v1/heartbeat", json={"status": "asleep"}, auth=("GD-0001", TOKEN))
        assert bad.status_code == 422 and bad.json()["error"] == "bad_field"
        w.store()
        [hb] = w.rows(gs.gates_heartbeats)
        assert (hb.status, hb.detail) == ("power_cut", "UPS on battery")
        [device] = [d for d in w.rows(gs.gates_devices) if d.code == "GD-0001"]
        assert device.last_seen_at is not None
        assert TOKEN not in {d.token_hash for d in w.rows(gs.gates_devices)}


async def test_the_guard_overrides_a_refusal_beside_the_rules_decision(db_url, tmp_path):
    from ecosentry.locale import translations
    from ecosentry.store import schema as s
    from ecosentry.subsystems.gates.errors import GatesInputError
    from ecosentry.subsystems.gates.store.decisions import override_decision

    async with World(db_url, tmp_path) as w:
        pollution_alerts.issue(w.engine, region_code="141000", level="red",
                               starts_at=datetime(2026, 12, 6, 0, 0, tzinfo=SH), issued_by="临汾市应急指挥部",
                               actor="test")
        await asyncio.to_thread(w.part.directory.load)
        assert (await w.push(plate=STAGE4)).json()["allowed"] is False
        w.store()
        [passage] = w.rows(gs.gates_passages)
        override_decision(w.engine, passage.id, allowed=True, operator="门卫张三", reason="应急保供车辆（一厂一策）")
        rule, manual = w.rows(gs.gates_decisions)
        assert (rule.kind, rule.allowed) == ("rule", False)
        assert (manual.kind, manual.allowed, manual.operator, manual.reason) == ("override", True, "门卫张三",
                                                                                  "stage_below")
        assert manual.params["overridden_from"] is False and manual.note == "应急保供车辆（一厂一策）"
        with w.engine.connect() as c:
            entry = c.execute(select(s.audit_log).where(s.audit_log.c.entity == "gate_decision")).one()
        assert entry.actor == "门卫张三" and entry.after["allowed"] is True
        with pytest.raises(GatesInputError) as err:
            override_decision(w.engine, passage.id, allowed=True, operator="门卫张三", reason=" ")
        assert "需要" in err.value.say(translations("zh").gettext)


async def _snap(w: World, token: str | None = TOKEN, lang: str = "zh", raw: bytes | None = None, **body):
    headers = {"Accept-Language": lang}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if raw is not None:
        return await w.client.post("/gates/v1/snapshot", content=raw, headers=headers)
    return await w.client.post("/gates/v1/snapshot", json={"time": "2026-12-06T12:00:00+08:00", **body},
                               headers=headers)


async def test_a_snapshot_is_stored_for_the_named_camera_once(db_url, tmp_path):
    async with World(db_url, tmp_path) as w:
        picture = png(7)
        r = await _snap(w, camera="CAM2", picture=b64(picture))
        assert r.status_code == 200, r.text
        assert w.rows(gs.gates_snapshots) == []  # acknowledged once durable; stored by the sink
        w.store()
        w.store()  # a replay stores nothing twice
        [snap] = w.rows(gs.gates_snapshots)
        [cam] = [c for c in w.rows(gs.gates_cameras) if c.code == "CAM2"]
        assert (snap.camera_id, snap.at) == (cam.id, datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc))
        assert snap.similarity is None and picture_store(w.settings).get(snap.picture) == picture
        [pic] = w.rows(gs.gates_pictures)
        assert (pic.sha256, pic.content_type, pic.size) == (snap.picture, "image/png", len(picture))
        [device] = [d for d in w.rows(gs.gates_devices) if d.code == "GD-0001"]
        assert device.last_seen_at is not None


SNAPSHOT_REFUSALS = [
    # (what, token, body, raw, status, code, words in the zh sentence)
    ("no token", None, {"camera": "CAM1", "picture": "P"}, None, 401, "unauthenticated", "令牌"),
    ("wrong token", "not-a-token-of-any-device-000", {"camera": "CAM1", "picture": "P"}, None, 401, "bad_token",
     "令牌"),
    ("not JSON", TOKEN, {}, b"[1, 2", 400, "not_json", "JSON"),
    ("no picture", TOKEN, {"camera": "CAM1"}, None, 422, "bad_picture", "快照"),
    ("not a picture", TOKEN, {"camera": "CAM1", "picture": b64(b"GIF89a" + b"\0" * 10)}, None, 422, "bad_picture",
     "JPEG"),
    ("oversized picture", TOKEN, {"camera": "CAM1", "picture": b64(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)}, None,
     413, "picture_too_large", "4096"),
    ("time without offset", TOKEN, {"camera": "CAM1", "picture": "P", "time": "2026-12-06T12:00:00"}, None, 422,
     "bad_field", "时区偏移"),
    ("another gate's camera", TOKEN, {"camera": "CAM3", "picture": "P"}, None, 403, "wrong_camera", "摄像机"),
    ("camera unnamed at a gate of two", TOKEN, {"picture": "P"}, None, 422, "bad_field", "CAM1, CAM2"),
]


@pytest.mark.parametrize("what, token, body, raw, status, code, words", SNAPSHOT_REFUSALS,
                         ids=[r[0] for r in SNAPSHOT_REFUSALS])
async def test_a_bad_snapshot_gets_a_clear_4xx_is_counted_once_and_nothing_is_stored(db_url, tmp_path, what, token,
                                                                                     body, raw, status, code, words):
    body = {k: (b64(png(3)) if v == "P" else v) for k, v in body.items()}
    async with World(db_url, tmp_path) as w:
        before = counters.get(f"gates.push.rejected.{code}")
        r = await _snap(w, token=token, raw=raw, **body)
        assert r.status_code == status, r.text
        assert r.json()["error"] == code and words in r.json()["message"], r.json()
        assert counters.get(f"gates.push.rejected.{code}") == before + 1
        if raw is None:
            vi = await _snap(w, token=token, lang="vi", **body)
            assert vi.status_code == status and vi.json()["message"] != r.json()["message"]
        assert w.spooled() == []
        w.store()
        with w.engine.connect() as c:
            for table in (gs.gates_snapshots, gs.gates_pictures):
                assert c.scalar(select(func.count()).select_from(table)) == 0


# (plate, direction, local time on 6 December) in the order the camera pushes them: repeats, an exit pushed before
# its entry's time, a lone exit, two stays of one truck, an unregistered plate, an unread plate
BATCH = [(STAGE5, "in", "08:00:00"), (STAGE5, "in", "08:00:30"), (STAGE4, "out", "08:30:00"),
         (ELECTRIC, "out", "11:00:00"), (ELECTRIC, "in", "10:00:00"), (STAGE6, "in", "07:00:00"),
         (STAGE6, "out", "07:30:00"), (STAGE5, "out", "09:00:00"), (STAGE6, "in", "08:00:00"),
         ("晋A99999", "in", "08:10:00"), ("", "in", "08:11:00"), (STAGE6, "out", "08:30:00"),
         ("晋A99999", "out", "08:40:00"), (STAGE5, "out", "09:00:20")]


def _ledger_view(w: World) -> list[tuple]:
    """The ledger as the passages' spool records name it: (record, stage, unknown, paired entry's record)."""
    lg, p = gs.gates_ledger.c, gs.gates_passages.c
    with w.engine.connect() as c:
        seq = dict(c.execute(select(p.id, p.spool_seq)).all())
        rows = c.execute(select(lg.id, lg.passage_id, lg.emission_stage, lg.stage_unknown, lg.pairs_with)).all()
        queued = c.scalar(select(func.count()).select_from(gs.gates_upload_outbox))
    by_id = {r.id: r for r in rows}
    return sorted((seq[r.passage_id], r.emission_stage, r.stage_unknown,
                   seq[by_id[r.pairs_with].passage_id] if r.pairs_with else None) for r in rows) + [("queued", queued)]


async def test_one_batch_stores_what_the_records_one_by_one_store(db_url, tmp_path):
    async with World(db_url, tmp_path) as w:
        for plate, direction, t in BATCH:
            r = await w.push(plate=plate, direction=direction, time=f"2026-12-06T{t}+08:00", picture=b64(png(len(t))))
            assert r.status_code == 200, r.text
        items = w.spooled()
        settings = w.settings.model_copy(deep=True)
        settings.gates.upload.url = "http://127.0.0.1:9/upload"
        sink = GatePassageSink.from_settings(w.engine, settings, None)
        for item in items:
            sink.write(w.spool.id, [item])
        alone = _ledger_view(w)
        with w.engine.begin() as c:
            c.execute(gs.gates_upload_outbox.delete())
            c.execute(gs.gates_ledger.delete().where(gs.gates_ledger.c.pairs_with.is_not(None)))
            for table in (gs.gates_ledger, gs.gates_decisions, gs.gates_passages):
                c.execute(table.delete())
        result = sink.write(w.spool.id, items)
        assert result.records_offered == len(BATCH) and not result.isolated
        assert _ledger_view(w) == alone
        # what one by one gives, worked out: the repeats and the unread plate make no row, the exit pushed before
        # its entry stays unpaired, each stay pairs with its own entry
        records = {i + 1: x for i, x in enumerate(BATCH)}
        pairs = {(records[r][0], records[r][2], records[e][2]) for r, _, _, e in alone[:-1] if e is not None}
        assert pairs == {(STAGE6, "07:30:00", "07:00:00"), (STAGE6, "08:30:00", "08:00:00"),
                         (STAGE5, "09:00:00", "08:00:00"), ("晋A99999", "08:40:00", "08:10:00")}
        assert len(alone) - 1 == len(BATCH) - 3 and alone[-1] == ("queued", len(BATCH) - 3)
        assert {records[r][0] for r, _, unknown, _ in alone[:-1] if unknown} == {"晋A99999"}
        assert len(w.rows(gs.gates_decisions)) == len(BATCH)
        # and a replay of the whole batch stores nothing twice
        assert sink.write(w.spool.id, items).records_offered == 0
        assert _ledger_view(w) == alone and len(w.rows(gs.gates_passages)) == len(BATCH)
