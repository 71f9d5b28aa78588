"""Station-room cameras (issue 18 item 5) over real HTTP, on SQLite and PostgreSQL: snapshots pushed with the
camera's own secret, checked and stored in the core picture store, linked to the room's door event; heartbeats;
the offline check raising and clearing ``ALM-OM-CAMERA-OFFLINE``; every refusal a clear 4xx, counted, nothing
half-stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, insert, select

from ecosentry.alarms import store as alarm_store
from ecosentry.fleet import import_fleet
from ecosentry.metrics import counters
from ecosentry.store import schema as s
from ecosentry.store.pictures import sha256_hex
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.alarms import CAMERA_OFFLINE
from ecosentry.subsystems.om.store.cameras import check_offline, picture_store
from omkit import fleet, om_server

CAM_SECRET = "camera-secret-of-cam1"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _with_camera_secret(engine) -> None:
    f = fleet()
    f["om"]["rooms"][0]["cameras"][0]["secret"] = CAM_SECRET
    import_fleet(engine, f)


def _count(engine, table) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar()


DEVICE = {"X-Room-Id": "ROOM-A", "X-Camera-Id": "CAM1", "X-Camera-Secret": CAM_SECRET}


def test_snapshots_are_stored_once_linked_to_the_door_event_and_refusals_store_nothing(om_world):
    engine, st, _ids = om_world
    _with_camera_secret(engine)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    opened = now - timedelta(hours=1)
    with engine.begin() as c:
        room = c.execute(select(os_.om_rooms.c.id)).scalar()
        door = c.execute(insert(os_.om_door_events).values(room_id=room, at=opened, event="open", source="http",
                                                           received_at=opened).returning(os_.om_door_events.c.id)
                         ).scalar()
    before = {k: counters.get(k) for k in ("om_camera_unauthenticated", "om_camera_malformed", "om_camera_too_large")}
    with om_server(engine, st) as base, httpx.Client(base_url=base, timeout=20) as http:
        t = (opened + timedelta(seconds=20)).isoformat()
        post = lambda headers, body, time=t: http.post("/api/v1/om/cameras/snapshots", params={"time": time},  # noqa
                                                       headers=headers, content=body)
        assert post({}, JPEG).status_code == 401
        r = post({**DEVICE, "X-Camera-Secret": "wrong-secret-0000", "Accept-Language": "vi"}, JPEG)
        assert r.status_code == 401 and "X-Camera-Secret" in r.json()["message"] and r.json()["detail"]
        # the language as the core's refusals choose it: ?lang=, then Accept-Language (an unknown first tag does
        # not hide a later one), then the deployment's default
        wrong = {**DEVICE, "X-Camera-Secret": "wrong-secret-0000"}
        vi = "Máy quay phải gửi trạm, mã và khóa bí mật của nó (X-Room-Id, X-Camera-Id, X-Camera-Secret) như đã đăng ký."
        zh = "摄像机须按备案发送其站房、编号和密钥（X-Room-Id、X-Camera-Id、X-Camera-Secret）。"
        assert post({**wrong, "Accept-Language": "de-DE, vi;q=0.8"}, JPEG).json()["message"] == vi
        r = http.post("/api/v1/om/cameras/snapshots", params={"time": t, "lang": "zh"},
                      headers={**wrong, "Accept-Language": "vi"}, content=JPEG)
        assert r.status_code == 401 and r.json()["message"] == zh
        assert r.json()["detail"] == "A camera sends its room, its id and its secret (X-Room-Id, X-Camera-Id, " \
                                     "X-Camera-Secret), as registered."
        assert post({**DEVICE, "X-Camera-Id": "CAM2"}, JPEG).status_code == 401      # CAM2 pushes nothing
        assert post({**DEVICE, "X-Room-Id": "R" * 500}, JPEG).status_code == 401     # over-long: refused, no lookup
        for bad, time, status in ((JPEG, "yesterday", 422), (JPEG, "2026-12-01T10:00:00", 422),
                                  (JPEG, (now + timedelta(days=1)).isoformat(), 422), (b"GIF89a....", t, 422),
                                  (b"", t, 422), (b"\xff\xd8\xff" + b"\0" * st.om.cameras.max_snapshot_bytes, t, 413)):
            r = post(DEVICE, bad, time)
            assert r.status_code == status, (time, r.text)
            assert r.json()["message"]
        assert counters.get("om_camera_unauthenticated") == before["om_camera_unauthenticated"] + 6
        assert counters.get("om_camera_malformed") == before["om_camera_malformed"] + 5
        assert counters.get("om_camera_too_large") == before["om_camera_too_large"] + 1
        assert _count(engine, os_.om_snapshots) == 0                         # nothing half-stored

        r = post(DEVICE, JPEG)
        assert r.status_code == 201 and r.json()["door_event"] == door and r.json()["picture"] == sha256_hex(JPEG)
        assert post(DEVICE, JPEG).json()["stored"] is False                  # the camera sends it again
        far = (opened + timedelta(minutes=30)).isoformat()                   # no door event within 5 minutes
        r = post(DEVICE, PNG, far)
        assert r.status_code == 201 and r.json()["door_event"] is None
        assert http.post("/api/v1/om/cameras/heartbeat", headers=DEVICE).status_code == 200
        assert http.post("/api/v1/om/cameras/heartbeat", headers={}).status_code == 401
    assert _count(engine, os_.om_snapshots) == 2
    assert picture_store(st).get(sha256_hex(JPEG)) == JPEG


def test_a_silent_camera_is_alarmed_offline_and_cleared_when_seen(om_world):
    engine, st, ids = om_world
    _with_camera_secret(engine)
    now = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
    after = timedelta(minutes=st.om.cameras.offline_minutes)
    assert check_offline(engine, now, after) == {"offline": 1, "cleared": 0}     # never seen; CAM2 pushes nothing
    assert check_offline(engine, now + timedelta(minutes=1), after) == {"offline": 1, "cleared": 0}
    [alarm], _ = alarm_store.list_alarms(engine, types=[CAMERA_OFFLINE])
    assert alarm["source_type"] == "camera" and alarm["point_id"] == ids["a"] and alarm["evidence"]["camera"] == "CAM1"
    with engine.begin() as c:
        c.execute(os_.om_cameras.update().values(last_seen_at=now + timedelta(minutes=5)))
    assert check_offline(engine, now + timedelta(minutes=10), after) == {"offline": 0, "cleared": 1}
    with engine.connect() as c:
        assert c.execute(select(s.alarms.c.state).where(s.alarms.c.type == CAMERA_OFFLINE)).scalar() == "cleared"
    # silent again past the limit: raised again
    assert check_offline(engine, now + timedelta(minutes=5) + after + timedelta(seconds=1), after)["offline"] == 1


async def test_the_offline_check_is_a_service_part_running_with_the_alarm_jobs(om_world):
    from ecosentry.contracts.subsystem import ServiceContext
    from ecosentry.subsystems.om.jobs import camera_parts

    engine, st, _ids = om_world
    _with_camera_secret(engine)
    [idle] = camera_parts(ServiceContext(settings=st, engine=engine, spool=None, directory=None, dispatcher=None))
    assert idle.name == "om_cameras" and not idle._run
    [part] = camera_parts(ServiceContext(settings=st, engine=engine, spool=None, directory=None, dispatcher=None,
                                         enabled=frozenset({"alarms"})))
    assert part._run
    assert (await part.once()) == {"offline": 1, "cleared": 0}
    await part.close()
