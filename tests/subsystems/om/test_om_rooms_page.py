"""The station-room time line ``/om/rooms/{id}`` (issue 18 item 7) rendered on SQLite and PostgreSQL in zh, vi and
en: door openings and closings, camera snapshots (thumbnails served under the room's scope), marks, work orders,
the points' hourly data and parameters of the chosen day, in the room's local time; seen by the regulator of the
region, the O&M organisation maintaining the point and the enterprise, not by another O&M account or the public."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from ecosentry.api.app import create_app
from ecosentry.auth.deps import hash_api_key
from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s
from ecosentry.subsystems.om import schema as os_
from ecosentry.subsystems.om.store.cameras import picture_store, store_snapshot
from omkit import KEYS, T0, auth, fleet

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) + b"\xff\xd9"
PLANT_KEY = "es_plant_a__om_test_key_00000000000"
#: 5 December 2026 in Shanghai: 08:00 local is 00:00 UTC.
DAY = "2026-12-05"
UTC8 = datetime(2026, 12, 5, 0, 0, tzinfo=timezone.utc)   # 08:00 local


def populate(engine, st, ids, picture: bytes = JPEG) -> tuple[int, int]:
    """A day of station room A: an order, the door opened and closed, a snapshot, a mark, an hour of SO2, a
    parameter reported unlike its registered value; (room id, snapshot id)."""
    f = fleet()
    f["users"].append({"username": "plant_a", "role": "enterprise", "enterprise": "91130100MA0OMENTA1"})
    import_fleet(engine, f)
    with engine.begin() as c:
        uid = c.execute(select(s.users.c.id).where(s.users.c.username == "plant_a")).scalar()
        c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=PLANT_KEY[:12],
                                            key_hash=hash_api_key(PLANT_KEY), created_at=T0))
        room = c.execute(select(os_.om_rooms.c.id)).scalar()
        cam = c.execute(select(os_.om_cameras.c.id).where(os_.om_cameras.c.code == "CAM1")).scalar()
        opened = c.execute(insert(os_.om_door_events).values(
            room_id=room, at=UTC8 + timedelta(hours=1, minutes=2), event="open", source="http",
            received_at=UTC8).returning(os_.om_door_events.c.id)).scalar()
        c.execute(insert(os_.om_door_events).values(room_id=room, at=UTC8 + timedelta(hours=2, minutes=10),
                                                    event="close", source="hj212", received_at=UTC8))
        c.execute(insert(os_.om_door_events).values(room_id=room, at=UTC8 + timedelta(days=1), event="open",
                                                    source="http", received_at=UTC8))     # another day
        c.execute(insert(os_.om_work_orders).values(
            point_id=ids["a"], kind="weekly_inspection", state="done", assignee="om_zhang",
            created_at=UTC8 + timedelta(minutes=30), on_site_at=UTC8 + timedelta(hours=1, minutes=5),
            done_at=UTC8 + timedelta(hours=2)))
        c.execute(insert(s.marks).values(point_id=ids["a"], family="equipment_maintenance", type="maintenance",
                                         start=UTC8 + timedelta(hours=1, minutes=10), end=UTC8 + timedelta(hours=1, minutes=50),
                                         source="manual", status="filed", filed_at=UTC8, filed_by="plant_a"))
        c.execute(insert(s.hourly_values).values(
            point_id=ids["a"], factor_code="a21026", period_start=UTC8 + timedelta(hours=1), value=35.5, valid=True,
            valid_minutes=60, received_minutes=60, n_records=60, computed_at=UTC8))
        c.execute(insert(os_.om_parameters).values(point_id=ids["a"], factor_code="a21026", name="i13001",
                                                   registered_value=500, reported_value=1000,
                                                   reported_at=UTC8 + timedelta(hours=1)))
    store_snapshot(engine, picture_store(st), {"id": cam, "room_id": room}, UTC8 + timedelta(hours=1, minutes=2, seconds=3),
                   picture, max_bytes=10_000, link=timedelta(minutes=5), received_at=UTC8)
    with engine.connect() as c:
        snap = c.execute(select(os_.om_snapshots.c.id, os_.om_snapshots.c.door_event_id)).one()
    assert snap.door_event_id == opened
    return room, snap.id


@pytest.fixture
def room_world(om_world):
    engine, st, ids = om_world
    room, snap = populate(engine, st, ids)
    app = create_app(engine, settings=st)
    with TestClient(app, follow_redirects=False) as client:
        yield client, room, snap


WORDS = {  # what each language says for a few of the page's words
    "zh": ["站房", "开门", "关门", "摄像机抓拍", "标记开始", "运维人员到场", "二氧化硫", "中国（上海）时间"],
    "vi": ["Trạm", "Cửa mở", "Cửa đóng", "Ảnh chụp của máy quay", "Bắt đầu đánh dấu", "Kỹ sư có mặt", "Lưu huỳnh đioxit"],
    "en": ["Station room", "Door opened", "Door closed", "Camera snapshot", "Mark begins", "Engineer on site",
           "Sulphur dioxide"],
}


@pytest.mark.parametrize("lang", ["zh", "vi", "en"])
def test_the_time_line_of_a_day_in_each_language(room_world, lang):
    client, room, snap = room_world
    r = client.get(f"/om/rooms/{room}", params={"day": DAY, "lang": lang}, headers=auth("om_zhang"))
    assert r.status_code == 200, r.text[:300]
    html = r.text
    for word in WORDS[lang]:
        assert word in html, (lang, word)
    # local time (UTC+8), in time order: the order created 08:30, the door 09:02, the snapshot, on site 09:05 ...
    clocks = re.findall(r'<span class="clock">([0-9:]+)</span>', html)
    assert clocks == ["08:30:00", "09:02:00", "09:02:03", "09:05:00", "09:10:00", "09:50:00", "10:00:00",
                      "10:10:00"]
    assert f'src="/om/rooms/{room}/snapshots/{snap}"' in html
    assert "<td>09:00</td>" in html and ("35.5" in html or "35,5" in html)    # the hour 09:00 local of SO2
    assert 'class="om-differs"' in html                 # the range reported unlike the registered one


def test_who_sees_the_room_and_its_snapshots(room_world):
    client, room, snap = room_world
    for who in ({"X-API-Key": KEYS["admin"]}, auth("city"), auth("om_zhang"), {"X-API-Key": PLANT_KEY}):
        assert client.get(f"/om/rooms/{room}", params={"day": DAY}, headers=who).status_code == 200
        r = client.get(f"/om/rooms/{room}/snapshots/{snap}", headers=who)
        assert r.status_code == 200 and r.content == JPEG and r.headers["content-type"] == "image/jpeg"
        assert "热电1号站房" in client.get("/om/rooms", headers=who).text
    assert client.get(f"/om/rooms/{room}", headers=auth("om_li")).status_code == 404   # another organisation's
    assert client.get(f"/om/rooms/{room}/snapshots/{snap}", headers=auth("om_li")).status_code == 404
    assert "热电1号站房" not in client.get("/om/rooms", headers=auth("om_li")).text
    assert client.get(f"/om/rooms/{room}/snapshots/{snap + 1000}", headers=auth("city")).status_code == 404
    assert client.get(f"/om/rooms/{room + 1000}", headers=auth("city")).status_code == 404
    r = client.get(f"/om/rooms/{room}")                                                 # the public: log in
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")
    assert client.get(f"/om/rooms/{room}/snapshots/{snap}").status_code in (302, 303)
    r = client.get(f"/om/rooms/{room}", params={"day": "5 December"}, headers=auth("city"))
    assert r.status_code == 400 and 'id="bad-day"' in r.text
    r = client.get(f"/om/rooms/{room}", params={"day": "2026-11-01"}, headers=auth("city"))
    assert r.status_code == 200 and 'id="no-events"' in r.text
