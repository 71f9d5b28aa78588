"""``/gates/cameras`` and the form registering a stored snapshot as a camera's reference view (SQLite and
PostgreSQL): snapshots pushed over HTTP and stored by the sink, the checks job comparing them; the form only for the
enterprise's guard or an administrator, CSRF-checked on a session, audited; the page in zh and vi."""

from __future__ import annotations

import asyncio
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecosentry.api.app import create_app
from ecosentry.auth.accounts import set_password
from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.contracts.envelope import Envelope
from ecosentry.store import schema as s
from ecosentry.store.audit import list_audit
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.checks_job import CheckJob
from ecosentry.subsystems.gates.demo.pictures import gate_view
from ecosentry.subsystems.gates.gateways.push import GatePushPart
from ecosentry.subsystems.gates.pipeline.sink import GatePassageSink, picture_store
from gates_dbkit import TOKEN, b64
from gates_pages_world import build

PASSWORD = "camera-page-pass-2026"


async def _push_snapshots(w, times_and_pictures) -> None:
    spool_dir = w["settings"].data_dir / "snap-spool"
    spool = Spool(spool_dir)
    ctx = ServiceContext(settings=w["settings"], engine=w["engine"], spool=spool, directory=None, dispatcher=None,
                         enabled=frozenset({"gateway"}))
    part = GatePushPart(ctx)
    await part.start()
    import httpx
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{part.port}", timeout=10) as client:
            for at, picture in times_and_pictures:
                r = await client.post("/gates/v1/snapshot", json={"time": at, "camera": "CAM1",
                                                                  "picture": b64(picture)},
                                      headers={"Authorization": f"Bearer {TOKEN}"})
                assert r.status_code == 200, r.text
    finally:
        await part.close()
    items = [(r.seq, Envelope.decode(r.payload)) for r in SpoolReader(spool_dir).read_batch(1000)]
    GatePassageSink.from_settings(w["engine"], w["settings"], None).write(spool.id, items)
    spool.close()


@pytest.fixture
def site(db_url, tmp_path):
    w = build(db_url, tmp_path)
    with w["engine"].begin() as c:
        cam = c.scalar(select(gs.gates_cameras.c.id).where(gs.gates_cameras.c.code == "CAM1",
                                                           gs.gates_cameras.c.enterprise_id == w["a"]))
    w["camera"] = cam
    # the camera's first view is as it should be; from the second on it is turned away
    asyncio.run(_push_snapshots(w, [("2026-12-06T10:00:00+08:00", gate_view(1, "G1")),
                                    ("2026-12-06T11:00:00+08:00", gate_view(1, "G1", 5, turned=True)),
                                    ("2026-12-06T12:00:00+08:00", gate_view(1, "G1", 6, turned=True))]))
    with TestClient(create_app(w["engine"], settings=w["settings"]), follow_redirects=False) as client:
        yield w, client
    w["engine"].dispose()


def _auth(w, user):
    return {"Authorization": f"Bearer {w['keys'][user]}"}


def _snapshots(w) -> list:
    sn = gs.gates_snapshots.c
    with w["engine"].connect() as c:
        return c.execute(select(sn.id, sn.at, sn.picture, sn.similarity).where(sn.camera_id == w["camera"])
                         .order_by(sn.at)).all()


def _reference(w):
    with w["engine"].connect() as c:
        return c.scalar(select(gs.gates_cameras.c.reference_picture).where(gs.gates_cameras.c.id == w["camera"]))


@pytest.mark.parametrize("lang, words", [("zh", ("摄像机", "基准画面", "设为基准画面")),
                                         ("vi", ("Máy quay", "Khung hình chuẩn", "Dùng làm khung hình chuẩn"))])
def test_the_page_shows_the_snapshots_and_only_the_guard_gets_the_form(site, lang, words):
    w, client = site
    page = client.get(f"/gates/cameras?enterprise={w['a']}&lang={lang}", headers=_auth(w, "plantA"))
    assert page.status_code == 200
    assert all(x in page.text for x in words), page.text[-3000:]
    snaps = _snapshots(w)
    assert len(snaps) == 3
    for sn in snaps:
        assert f'data-snapshot="{sn.id}"' in page.text and f"/gates/pictures/{sn.picture}" in page.text
    assert page.text.count('class="gt-reference-form"') == 3  # no reference yet: each may become it
    # the regulator sees the cameras but gets no form; another enterprise's account does not see them
    city = client.get(f"/gates/cameras?enterprise={w['a']}&lang={lang}", headers=_auth(w, "city"))
    assert city.status_code == 200 and f'data-snapshot="{snaps[0].id}"' in city.text
    assert "gt-reference-form" not in city.text
    assert client.get(f"/gates/cameras?enterprise={w['a']}", headers=_auth(w, "plantB")).status_code == 404
    # a snapshot's picture is served to those who see the enterprise
    assert client.get(f"/gates/pictures/{snaps[0].picture}", headers=_auth(w, "plantA")).status_code == 200
    assert client.get(f"/gates/pictures/{snaps[0].picture}", headers=_auth(w, "plantB")).status_code == 404


def test_choosing_a_snapshot_registers_the_reference_audited_and_the_check_follows(site):
    w, client = site
    first, turned, later = _snapshots(w)
    h = _auth(w, "plantA")
    url = f"/gates/cameras/{w['camera']}/reference"
    # only the guard roles, only a snapshot of this camera, only a camera the reader sees
    assert client.post(url, data={"snapshot": str(first.id)}, headers=_auth(w, "city")).status_code == 403
    assert client.post(url, data={"snapshot": str(first.id)}, headers=_auth(w, "plantB")).status_code == 404
    assert client.post("/gates/cameras/999999/reference", data={"snapshot": "1"}, headers=h).status_code == 404
    r = client.post(url, data={"snapshot": "999999"}, headers=h)
    assert r.status_code == 303 and "problem=snapshot" in r.headers["location"]
    shown = client.get(r.headers["location"] + "&lang=zh", headers=h)
    assert "请选择该摄像机的一张快照" in shown.text
    assert _reference(w) is None

    r = client.post(url, data={"snapshot": str(first.id)}, headers=h)
    assert r.status_code == 303 and f"done={w['camera']}" in r.headers["location"]
    assert _reference(w) == first.picture
    [entry] = [e for e in list_audit(w["engine"], entity="gate_camera") if e["actor"] == "plantA"]
    assert (entry["action"], entry["entity_id"], entry["before"], entry["after"]) == (
        "update", str(w["camera"]), {"reference_picture": None},
        {"reference_picture": first.picture, "snapshot": first.id})
    # the checks job compares the snapshots with it: the turned ones are a changed view
    CheckJob(w["engine"], w["settings"].gates, pictures=picture_store(w["settings"])).check()
    sims = {sn.id: sn.similarity for sn in _snapshots(w)}
    assert sims[first.id] > 0.95 and sims[turned.id] < 0.65 and sims[later.id] < 0.65
    page = client.get(f"/gates/cameras?enterprise={w['a']}&lang=zh", headers=h).text
    assert page.count("画面已变") == 2

    # the camera was moved on purpose: its later view becomes the reference; from then on compared again
    assert client.post(url, data={"snapshot": str(turned.id)}, headers=h).status_code == 303
    after = {sn.id: sn.similarity for sn in _snapshots(w)}
    assert after[first.id] == sims[first.id] and after[turned.id] is None and after[later.id] is None
    CheckJob(w["engine"], w["settings"].gates, pictures=picture_store(w["settings"])).check()
    after = {sn.id: sn.similarity for sn in _snapshots(w)}
    assert after[turned.id] > 0.95 and after[later.id] >= 0.65


def test_the_form_on_a_session_needs_its_csrf_token(site):
    w, client = site
    with w["engine"].connect() as c:
        uid = c.scalar(select(s.users.c.id).where(s.users.c.username == "plantA"))
    set_password(w["engine"], uid, PASSWORD)
    first = _snapshots(w)[0]
    url = f"/gates/cameras/{w['camera']}/reference"
    r = client.post("/api/v1/auth/login", json={"username": "plantA", "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert client.post(url, data={"snapshot": str(first.id)}).status_code == 403
    assert client.post(url, data={"snapshot": str(first.id), "csrf": "forged"}).status_code == 403
    assert _reference(w) is None
    page = client.get(f"/gates/cameras?enterprise={w['a']}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post(url, data={"snapshot": str(first.id), "csrf": token})
    assert r.status_code == 303 and _reference(w) == first.picture


def test_a_reference_view_uploaded_from_a_file_is_checked_registered_and_audited(site):
    w, client = site
    h = _auth(w, "plantA")
    url = f"/gates/cameras/{w['camera']}/reference-file"
    view = gate_view(1, "G1")
    page = client.get(f"/gates/cameras?enterprise={w['a']}&lang=zh", headers=h).text
    assert f'action="{url}"' in page and "上传为基准画面" in page
    assert "reference-file" not in client.get(f"/gates/cameras?enterprise={w['a']}", headers=_auth(w, "city")).text
    # the guard roles only, a camera the reader sees only
    assert client.post(url, files={"picture": ("v.png", view, "image/png")}, headers=_auth(w, "city")).status_code == 403
    assert client.post(url, files={"picture": ("v.png", view, "image/png")},
                       headers=_auth(w, "plantB")).status_code == 404
    # not a picture (whatever its name and type say), too large, or no file: said on the page, nothing changed
    limit = w["settings"].gates.pictures.max_bytes
    for name, data, problem, zh, vi in (
            ("v.png", b"GIF89a not a png", "picture_type", "既不是 JPEG 也不是 PNG", "không phải ảnh JPEG hay PNG"),
            ("v.png", b"\x89PNG\r\n\x1a\n" + bytes(limit), "picture_size", "图片过大", "Ảnh quá lớn"),
            ("", b"", "picture_missing", "请选择要上传的 JPEG 或 PNG 图片", "Hãy chọn một ảnh JPEG hoặc PNG")):
        r = client.post(url, files={"picture": (name, data, "image/png")}, headers=h)
        assert r.status_code == 303 and f"problem={problem}" in r.headers["location"], (problem, r.headers)
        assert zh in client.get(r.headers["location"] + "&lang=zh", headers=h).text
        assert vi in client.get(r.headers["location"] + "&lang=vi", headers=h).text
    assert _reference(w) is None
    r = client.post(url, files={"picture": ("东门.png", view, "image/png")}, headers=h)
    assert r.status_code == 303 and f"done={w['camera']}" in r.headers["location"]
    ref = _reference(w)
    assert ref is not None and client.get(f"/gates/pictures/{ref}", headers=h).content == view
    [entry] = [e for e in list_audit(w["engine"], entity="gate_camera") if e["actor"] == "plantA"]
    assert entry["before"] == {"reference_picture": None} and entry["after"] == {"reference_picture": ref}
    # the checks job compares the pushed snapshots with it: the turned ones are a changed view
    CheckJob(w["engine"], w["settings"].gates, pictures=picture_store(w["settings"])).check()
    first, turned, later = _snapshots(w)
    assert first.similarity > 0.95 and turned.similarity < 0.65


def test_the_upload_on_a_session_needs_its_csrf_token(site):
    w, client = site
    with w["engine"].connect() as c:
        uid = c.scalar(select(s.users.c.id).where(s.users.c.username == "plantA"))
    set_password(w["engine"], uid, PASSWORD)
    url = f"/gates/cameras/{w['camera']}/reference-file"
    assert client.post("/api/v1/auth/login", json={"username": "plantA", "password": PASSWORD}).status_code == 200
    files = {"picture": ("v.png", gate_view(1, "G1"), "image/png")}
    assert client.post(url, files=files).status_code == 403
    assert client.post(url, files=files, data={"csrf": "forged"}).status_code == 403
    assert _reference(w) is None
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(f"/gates/cameras?enterprise={w['a']}").text).group(1)
    r = client.post(url, files=files, data={"csrf": token})
    assert r.status_code == 303 and _reference(w) is not None
