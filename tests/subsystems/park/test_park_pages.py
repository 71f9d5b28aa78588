"""Issue 17 item 6: the park pages on a real database after a real warning pass — the map (server-drawn SVG:
boundary, stations coloured by level, sources, receptors, wind), live levels, warnings, the incident (zones,
receptors affected, ranked sources, timeline), each in the reader's language and local time, and their scope (the
committee and the county's regulator see everything of the park, an enterprise its own stations and the incidents
that name its sources, a regulator elsewhere nothing)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ecosentry.api.app import create_app
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.model.zones import Release, threat_zones
from ecosentry.subsystems.park.substances import SUBSTANCES
from ecosentry.subsystems.park.web.mapdraw import affected_receptors, draw_map
from park_pages_world import as_, build, world_fleet
from parkkit import park_env


@pytest.fixture
def site(db_url, monkeypatch):
    park_env(monkeypatch)
    engine = build(db_url)
    with engine.connect() as c:
        events = c.execute(select(ps.park_warning_events.c.id, ps.park_warning_events.c.transition,
                                  ps.park_warning_events.c.incident, ps.park_stations.c.code).join(ps.park_stations)
                           .order_by(ps.park_warning_events.c.at, ps.park_warning_events.c.id)).all()
    with TestClient(create_app(engine), follow_redirects=False) as client:
        yield client, events


def test_the_committee_sees_the_map_levels_and_warnings_in_chinese(site):
    client, events = site
    page = client.get("/park", headers=as_("park-committee", "zh"))
    assert page.status_code == 200 and "扬子江国际化学工业园" in page.text and "另一个园区" not in page.text
    page = client.get("/park/parks/JSHG", headers=as_("park-committee", "zh"))
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    # the boundary, every station (met one grey), the three sources, both receptors, the wind from the west
    assert 'class="boundary"' in svg and svg.count('class="station') == 4 and svg.count('class="source"') == 3
    assert "实验小学" in svg and "东沙村" in svg and 'data-from="270"' in svg
    # the warning cleared: every station back to no warning; the live table shows the latest chlorine reading
    assert re.findall(r'data-station="B01" data-level="(\d)"', svg) == ["0"]
    assert "氯碱厂界东" in page.text and "氯" in page.text and "园区氯碱化工有限公司" in page.text
    assert "厂界" in page.text and "(UTC" not in page.text
    # the warnings, newest first, each linking to its incident
    table = page.text.split('id="park-warnings"')[1]
    assert [int(x) for x in re.findall(r'data-event="(\d+)"', table)] == [e.id for e in reversed(events)]
    assert "升级" in table or "escalated" not in table


def test_the_incident_shows_zones_receptors_ranked_sources_and_timeline(site, tmp_path):
    client, events = site
    raise_ = next(e for e in events if e.code == "B01" and e.transition == "raised")
    page = client.get(f"/park/incidents/{raise_.id}", headers=as_("zjg", "zh"))
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    # the zones stored with the raise, drawn when they have an area: the traceback's fitted rate of S01 (a few
    # g/s for 2 mg/m³ read 200 m downwind, not the assumed rate) gives an AEGL-1 zone; all three listed in the
    # zones table
    with_area = [z["name"] for z in raise_.incident["zones"] if len(z["polygon"]) >= 3]
    release = raise_.incident["release"]
    assert release["source"] == "S01" and not release["assumed"] and release["rate_g_s"] > 1.0, release
    assert "AEGL1" in with_area, raise_.incident["zones"]
    assert re.findall(r'<polygon class="zone" data-zone="(AEGL\d)"', svg) == with_area
    zones = page.text.split('id="incident-zones"')[1].split("</table>")[0]
    assert re.findall(r'data-zone="(AEGL\d)"', zones) == ["AEGL1", "AEGL2", "AEGL3"] and "危及生命" in zones
    ranking = page.text.split('id="incident-ranking"')[1].split("</table>")[0]
    assert re.findall(r'data-source="(\w+)"', ranking)[0] == "S01" and "电解车间" in ranking
    timeline = page.text.split('id="incident-timeline"')[1].split("</table>")[0]
    assert len(re.findall(r"data-event=", timeline)) == 3  # raised, escalated, cleared
    # the school east of the source, downwind: in a zone or said to be outside every one
    assert 'id="incident-receptors"' in page.text or 'id="no-affected"' in page.text
    # the report: a PDF with the CJK font embedded, the station and the ranked source's name in it
    pdf = client.get(f"/park/incidents/{raise_.id}/report.pdf", headers=as_("zjg", "zh"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"NotoSansSC" in pdf.content
    assert client.get(f"/park/incidents/{raise_.id}/report.pdf", headers=as_("gd")).status_code == 404
    if shutil.which("pdftotext"):
        path = tmp_path / "incident.pdf"
        path.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "氯碱厂界东" in text and "时间线" in text and "电解车间" in text
    vi = client.get(f"/park/incidents/{raise_.id}", headers=as_("zjg", "vi"))
    assert vi.status_code == 200 and "Dòng thời gian" in vi.text


def test_scope_of_enterprises_and_regulators(site):
    client, events = site
    raise_ = next(e for e in events if e.code == "B01" and e.transition == "raised")
    # the chlorine plant: its boundary station and its ranked source; not the ammonia plant's source on its map
    page = client.get("/park/parks/JSHG", headers=as_("chlor"))
    assert page.status_code == 200 and 'data-station="B01"' in page.text and 'data-source="S02"' not in page.text
    assert client.get(f"/park/incidents/{raise_.id}", headers=as_("chlor")).status_code == 200
    # the east enterprise: the park, without the chlorine plant's boundary station; the incident does not name it
    page = client.get("/park/parks/JSHG", headers=as_("far"))
    assert page.status_code == 200 and 'data-station="B01"' not in page.text
    far_sees = client.get(f"/park/incidents/{raise_.id}", headers=as_("far")).status_code
    assert far_sees in (200, 404)
    # a regulator of another province: neither the park nor the incident, as if they did not exist
    assert client.get("/park/parks/JSHG", headers=as_("gd")).status_code == 404
    assert client.get(f"/park/incidents/{raise_.id}", headers=as_("gd")).status_code == 404
    assert client.get("/park/parks/NOPE", headers=as_("park-committee")).status_code == 404
    assert client.get("/park/incidents/999999", headers=as_("park-committee")).status_code == 404
    assert client.get("/park/parks/OTHER", headers=as_("park-committee")).status_code == 404


def test_the_map_draws_threat_zones_and_finds_the_receptors_inside():
    """The drawing alone, with the zones of a 100 g/s chlorine release from the west (the model's own threat
    zones: AEGL-1 to 1.8 km, AEGL-2 to 760 m downwind): a hamlet 700 m downwind of the source lies in the AEGL-2
    zone; the school 2.8 km downwind and the village 1.6 km south of the axis in none."""
    release = Release(rate=100.0, wind_speed=3.0, stability="D", height=2.0, east=800.0, north=1200.0,
                      direction=270.0)
    thresholds = {k: SUBSTANCES["Cl2"].threshold_mg_m3(k) for k in ("AEGL1", "AEGL2", "AEGL3")}
    zones = [z.as_dict() for z in threat_zones(release, thresholds)]
    fl = world_fleet()["park"][0]
    data = {"boundary": fl["boundary"], "sources": [{**x, "code": x["id"], "enterprise_name": x["enterprise"]}
                                                     for x in fl["sources"]],
            "stations": [], "receptors": [{**x, "code": x["id"]} for x in fl["receptors"]]
            + [{"code": "R03", "name": "近场村", "kind": "village", "x": 1500.0, "y": 1210.0}]}
    hit = affected_receptors(data["receptors"], zones)
    assert [(r["code"], r["zone"]) for r in hit] == [("R03", "AEGL2")]
    svg = str(draw_map(data, lambda m: m, zones=zones, wind={"from_deg": 270.0, "speed_m_s": 3.0},
                       highlight="S01"))
    assert re.findall(r'data-zone="(AEGL\d)"', svg) == ["AEGL1", "AEGL2", "AEGL3"]
    assert svg.startswith("<svg") and 'data-from="270"' in svg and "<script" not in svg
    # the wind arrow points east (where the air goes): its head right of its tail
    x1, x2 = (float(v) for v in re.search(r'<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"', svg).groups())
    assert x2 > x1
