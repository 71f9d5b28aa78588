"""The ranking page, its drill-down, its reports and the coverage page and API as each role sees them (issue 18
items 5–7), on the constructed November of ``assesskit`` stored by the assessment: an administrator and the
city's regulator see both organisations, a regulator of another city none, an O&M account only its own
organisation, an enterprise the organisation that keeps its point and only its own station; in zh, vi and en."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import insert, select, update

from assesskit import MONTH, NOW, build_november, settings_for_example
from ecosentry.api.app import create_app
from ecosentry.auth.deps import hash_api_key
from ecosentry.fleet import import_fleet
from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import om_cameras, om_door_events, om_rooms
from ecosentry.subsystems.om.store.assessment import assess_stored_month
from omkit import KEYS

EXTRA = {"regions": [{"code": "130200", "name": "唐山市", "level": "city", "parent": "130000"}],
         "users": [{"username": "plant_b", "role": "enterprise", "enterprise": "91130100MA0OMENTB2"},
                   {"username": "tangshan", "role": "regulator", "region": "130200"}]}
EXTRA_KEYS = {"plant_b": "es_plant_b__om_test_key_00000000000", "tangshan": "es_tangshan_om_test_key_00000000000"}


@pytest.fixture
def site(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    import_fleet(eng, EXTRA)
    with eng.begin() as c:
        for name, key in EXTRA_KEYS.items():
            uid = c.execute(select(s.users.c.id).where(s.users.c.username == name)).scalar_one()
            c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=key[:12], key_hash=hash_api_key(key),
                                                created_at=NOW))
    assess_stored_month(eng, MONTH, settings_for_example(st), NOW)
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        yield eng, pts, client


def get(client, user: str, path: str, lang: str = "zh"):
    sep = "&" if "?" in path else "?"
    key = {**KEYS, **EXTRA_KEYS}[user]
    return client.get(f"{path}{sep}lang={lang}", headers={"X-API-Key": key})


def orgs_on(page: str) -> list[str]:
    import re

    return re.findall(r'data-org="([^"]+)"', page)


@pytest.mark.parametrize("lang, words", [
    ("zh", ("运维考核排名", "良", "优", "有效传输率", "逾期")),
    ("vi", ("Xếp hạng vận hành", "Khá", "Tốt", "Tỷ lệ truyền hợp lệ", "Quá hạn")),
    ("en", ("O&amp;M ranking", "Good", "Excellent", "Effective transmission rate", "Overdue"))])
def test_the_ranking_shows_scores_components_and_the_formula(site, lang, words):
    eng, pts, client = site
    r = get(client, "admin", f"/om/ranking?month={MONTH}", lang)
    assert r.status_code == 200, r.text
    for w in words:
        assert w in r.text, w
    assert orgs_on(r.text) == ["ORG-LI", "ORG-QY"]
    assert 'data-score="76.1" data-grade="良"' in r.text and 'data-score="98.0" data-grade="优"' in r.text
    assert "0.4·E + 0.15·R + 0.15·P + 0.15·K + 0.15·C" in r.text and "2 ×" in r.text
    assert 'data-component="eff" data-value="0.9889"' in r.text and 'data-component="marks" data-value="0.8"' in r.text


def test_the_drill_down_gives_the_stations_health_codes(site):
    eng, pts, client = site
    r = get(client, "city", f"/om/ranking?month={MONTH}&org=ORG-QY", "vi")
    assert r.status_code == 200
    assert f'data-point="{pts["a"]}" data-health="red"' in r.text and "đỏ" in r.text
    assert f'data-point="{pts["b"]}"' not in r.text
    assert get(client, "city", f"/om/ranking?month={MONTH}&org=NOPE").status_code == 404
    assert get(client, "city", "/om/ranking?month=2026-13").status_code == 404


def test_each_role_sees_its_own_scope(site):
    eng, pts, client = site
    assert orgs_on(get(client, "city", f"/om/ranking?month={MONTH}").text) == ["ORG-LI", "ORG-QY"]
    far = get(client, "tangshan", f"/om/ranking?month={MONTH}")
    assert far.status_code == 200 and orgs_on(far.text) == [] and 'id="no-ranking"' in far.text
    # an O&M account: its own organisation only (all its stations), never another's
    assert orgs_on(get(client, "om_zhang", f"/om/ranking?month={MONTH}").text) == ["ORG-QY"]
    assert orgs_on(get(client, "om_li", f"/om/ranking?month={MONTH}").text) == ["ORG-LI"]
    assert get(client, "om_zhang", f"/om/ranking?month={MONTH}&org=ORG-LI").status_code == 404
    # an enterprise: the organisation keeping its point, and only its own station
    mine = get(client, "plant_b", f"/om/ranking?month={MONTH}&org=ORG-LI")
    assert orgs_on(mine.text) == ["ORG-LI"] and f'data-point="{pts["b"]}" data-health="green"' in mine.text
    assert get(client, "plant_b", f"/om/ranking?month={MONTH}&org=ORG-QY").status_code == 404
    for path in ("/om/ranking", "/om/coverage", "/om/ranking/report.pdf"):
        anon = client.get(path)
        assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    api = client.get(f"/api/v1/om/assessments?month={MONTH}", headers={"X-API-Key": EXTRA_KEYS["plant_b"]})
    assert api.status_code == 200
    [item] = api.json()["items"]
    assert item["organisation"]["code"] == "ORG-LI" and [x["point_id"] for x in item["stations"]] == [pts["b"]]
    assert client.get("/api/v1/om/assessments?month=11", headers={"X-API-Key": KEYS["admin"]}).status_code == 422
    for lang, said in (("zh", "month 必须是 YYYY-MM，不能是 '11'"), ("vi", "month phải có dạng YYYY-MM, không phải '11'")):
        r = client.get(f"/api/v1/om/assessments?month=11&lang={lang}", headers={"X-API-Key": KEYS["admin"]})
        assert r.status_code == 422 and r.json()["detail"] == said


def test_the_month_report_as_xlsx_and_pdf(site, tmp_path):
    eng, pts, client = site
    x = get(client, "admin", f"/om/ranking/report.xlsx?month={MONTH}", "vi")
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(x.content))
    ranking, stations = wb.worksheets
    cells = [[c.value for c in row] for row in ranking.iter_rows()]
    assert cells[0][0] == "Đánh giá vận hành bảo trì 2026-11"
    header = next(i for i, row in enumerate(cells) if row[0] == "Hạng")
    assert [row[1] for row in cells[header + 1:]] == ["别家运维有限公司", "河北清源环境运维有限公司"]
    assert cells[header + 2][2] == "76,1" and cells[header + 2][3] == "Khá"
    srows = [[c.value for c in row] for row in stations.iter_rows()]
    assert any(row[1] == "mã đỏ" and row[3] for row in srows)
    p = get(client, "admin", f"/om/ranking/report.pdf?month={MONTH}", "zh")
    assert p.status_code == 200 and p.content.startswith(b"%PDF") and b"NotoSansSC" in p.content
    if shutil.which("pdftotext"):
        (tmp_path / "r.pdf").write_bytes(p.content)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "运维考核 2026-11" in text and "河北清源环境运维有限公司" in text and "红" in text


def test_coverage_per_region_with_the_gaps(site):
    eng, pts, client = site
    now = datetime.now(timezone.utc)
    with eng.begin() as c:
        room = c.execute(select(om_rooms.c.id).where(om_rooms.c.code == "ROOM-A")).scalar_one()
        c.execute(insert(om_door_events).values(room_id=room, at=now - timedelta(hours=30), event="open",
                                                source="http", received_at=now - timedelta(hours=30)))
        c.execute(update(om_cameras).where(om_cameras.c.code == "CAM1").values(last_seen_at=now - timedelta(hours=1)))
    r = client.get("/api/v1/om/coverage", headers={"X-API-Key": KEYS["city"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"]["key_units"] == 2 and body["total"]["installed"] == 1 and body["total"]["networked"] == 1
    assert body["total"]["installed_share"] == 0.5
    gaps = {u["enterprise"]: [g["code"] for g in u["gaps"]] for u in body["units"]}
    assert gaps == {"石家庄热电": [], "石家庄水泥": ["no_room"]}
    # the camera falls silent: installed still, no longer networked
    with eng.begin() as c:
        c.execute(update(om_cameras).values(last_seen_at=now - timedelta(hours=30)))
    page = get(client, "city", "/om/coverage", "zh")
    assert page.status_code == 200
    assert 'id="coverage-total" data-installed="1" data-networked="0"' in page.text
    assert 'data-gap="camera_silent"' in page.text and 'data-gap="no_room"' in page.text
    assert "应装尽装" in page.text and "石家庄市" in page.text
    vi = get(client, "city", "/om/coverage", "vi")
    assert "Độ phủ kiểm soát cửa và ghi hình" in vi.text
    # scopes: an enterprise sees itself, a regulator elsewhere nothing, a region outside the scope is refused
    own = client.get("/api/v1/om/coverage", headers={"X-API-Key": EXTRA_KEYS["plant_b"]}).json()
    assert [u["enterprise"] for u in own["units"]] == ["石家庄水泥"]
    far = client.get("/api/v1/om/coverage", headers={"X-API-Key": EXTRA_KEYS["tangshan"]}).json()
    assert far["units"] == [] and far["total"]["key_units"] == 0
    assert client.get("/api/v1/om/coverage?region=130100",
                      headers={"X-API-Key": EXTRA_KEYS["tangshan"]}).status_code == 404
    r = client.get("/api/v1/om/coverage?region=130100",
                   headers={"X-API-Key": EXTRA_KEYS["tangshan"], "Accept-Language": "vi"})
    assert r.json()["detail"] == "Không có địa bàn 130100 trong phạm vi của bạn"
    r = client.get("/api/v1/om/coverage?region=130100&lang=zh", headers={"X-API-Key": EXTRA_KEYS["tangshan"]})
    assert r.json()["detail"] == "您的辖区内没有行政区 130100"
    assert get(client, "tangshan", "/om/coverage?region=130100").status_code == 404
