"""The map's markers: enterprises and outlets coloured by state, with region outlines for offline use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from fastapi.testclient import TestClient
from pages_testkit import OTHER_NAME, add_alarm, add_hours, add_latest, as_user, ids, publish
from pages_testkit import client, engine, keys  # noqa: F401  (fixtures)

from ecosentry.api.app import create_app
from ecosentry.settings import Settings
from ecosentry.web.views.site_state import offline_after


def test_states_alarm_exceedance_offline_normal(client, engine, keys):
    i = ids(engine)
    now = datetime.now(timezone.utc)
    add_latest(engine, i["gas"], {"a21026": 20.0}, now)                        # fresh: normal
    add_latest(engine, i["water"], {"w01018": 30.0}, now - timedelta(hours=2))  # silent for 2 h: offline
    add_latest(engine, i["other"], {"a21026": 130.0}, now)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    add_hours(engine, i["other"], "a21026", hour, [130.0], limit=100.0)         # exceeded last hour
    as_user(client, keys, "admin")
    data = client.get("/map/markers.json").json()
    ents = {e["name"]: e for e in data["enterprises"]}
    home = ents["苏州测试热电有限公司"]
    outlets = {o["name"]: o for o in home["outlets"]}
    assert outlets["1号锅炉排口"]["state"] == "normal"
    assert outlets["废水总排口"]["state"] == "offline"
    assert home["state"] == "offline"  # the worst of its points
    assert ents["苏州虎丘化工有限公司"]["state"] == "exceedance"
    assert data["counts"] == {"alarm": 0, "exceedance": 1, "offline": 1, "normal": 0}
    add_alarm(engine, i["gas"], type="ALM-DATA-ANOMALY")
    data = client.get("/map/markers.json").json()
    home = {e["name"]: e for e in data["enterprises"]}["苏州测试热电有限公司"]
    assert home["state"] == "alarm" and home["open_alarms"] == 1
    assert home["url"] == f"/enterprises/{i['home']}"
    assert {o["points"][0]["url"] for o in home["outlets"]} == {f"/points/{i['gas']}", f"/points/{i['water']}"}


def test_offline_threshold_follows_the_minute_interval():
    assert offline_after(1) == timedelta(minutes=10)
    assert offline_after(10) == timedelta(minutes=30)


def test_outlines_per_county_and_no_tiles_by_default(client, engine, keys):
    as_user(client, keys, "suzhou")
    data = client.get("/map/markers.json").json()
    assert data["tile_url"] == ""
    names = {f["properties"]["name"] for f in data["outlines"]["features"]}
    assert names == {"吴中区", "虎丘区"}
    page = client.get("/map?lang=zh").text
    assert 'data-tiles=""' in page and "/vendor/leaflet/leaflet.js" in page
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200


class TiledSettings(Settings):
    map_tile_url: str = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"


def test_configured_tile_server_is_passed_to_the_page(engine, keys):
    app = create_app(engine)
    app.state.settings = TiledSettings()
    with TestClient(app) as c:
        as_user(c, keys, "admin")
        assert 'data-tiles="http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"' in c.get("/map").text
        assert c.get("/map/markers.json").json()["tile_url"].startswith("http://127.0.0.1:9/")


def test_the_public_markers_tell_no_alarm_and_regulators_keep_them(client, engine, keys):
    """docs/access.md: the public sees no alarms. The anonymous markers carry names and places of the
    published enterprises only; the regulator of the county still sees the alarm state and count."""
    i = ids(engine)
    publish(engine, i["other_ent"])
    add_alarm(engine, i["other"])
    public = client.get("/map/markers.json").json()
    assert [e["name"] for e in public["enterprises"] + public["unplaced"]] == [OTHER_NAME]
    assert "alarm" not in json.dumps(public) and public["counts"] == {}
    assert all(e["url"] == f"/public/enterprises/{e['id']}" and "state" not in e for e in public["enterprises"])
    as_user(client, keys, "huqiu")
    mine = client.get("/map/markers.json").json()
    [ent] = mine["enterprises"]
    assert ent["state"] == "alarm" and ent["open_alarms"] == 1 and mine["counts"]["alarm"] == 1
