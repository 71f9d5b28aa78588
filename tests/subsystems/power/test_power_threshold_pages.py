"""The threshold pages: a regulator sees each meter's thresholds in force and a meter's history, sets new ones
with a reason (a new version, audited); an enterprise reads its own and may not set; another enterprise's
meter is not found; a bad setting is shown beside the form in the reader's language, nothing written."""

from __future__ import annotations

import asyncio


import pytest
from fastapi.testclient import TestClient

from power_dbkit import KEYS, T0, _power_pg, _power_sqlite, power_db, write_minutes  # noqa: F401 (fixtures)

from ecosentry.api.app import create_app
from ecosentry.store import audit
from ecosentry.subsystems.power.engine.engine import PowerEngine
from ecosentry.subsystems.power.queries.thresholds import history

@pytest.fixture
def site(power_db):
    with TestClient(create_app(power_db), follow_redirects=False) as client:
        yield client, power_db, lambda who, lang="en": {"Authorization": f"Bearer {KEYS[who]}",
                                                         "Accept-Language": lang}


def test_a_regulator_sets_thresholds_and_sees_the_history(site):
    client, eng, as_ = site
    page = client.get("/power/enterprises/1/thresholds", headers=as_("linfen"))
    assert page.status_code == 200 and "SB1" in page.text and "焦炉" in page.text and "registry import" in page.text
    page = client.post("/power/meters/1/thresholds", headers=as_("linfen"),
                       data={"on_kw": "22", "off_kw": "11", "dwell": "2", "reason": "motor replaced"})
    assert page.status_code == 303 and page.headers["location"] == "/power/meters/1/thresholds?done=set"
    page = client.get("/power/meters/1/thresholds?done=set", headers=as_("linfen", "zh"))
    assert page.status_code == 200 and "motor replaced" in page.text and "threshold-form" in page.text
    with eng.connect() as c:
        [v2, v1] = history(c, 1)
    assert (v2["version"], v2["on_kw"], v2["set_by"], v2["source"]) == (2, 22.0, "linfen", "set")
    assert audit.list_audit(eng, "power_threshold", 1)[0]["actor"] == "linfen"


def test_a_bad_setting_is_shown_beside_the_form_and_nothing_written(site):
    client, eng, as_ = site
    page = client.post("/power/meters/1/thresholds", headers=as_("linfen", "zh"),
                       data={"on_kw": "5", "off_kw": "9", "dwell": "3", "reason": "x"})
    assert page.status_code == 422 and 'role="alert"' in page.text and "停机阈值" in page.text
    page = client.post("/power/meters/1/thresholds", headers=as_("linfen"),
                       data={"on_kw": "9", "off_kw": "5", "dwell": "3", "reason": ""})
    assert page.status_code == 422 and "needs a reason" in page.text
    with eng.connect() as c:
        assert len(history(c, 1)) == 1


def test_an_enterprise_reads_its_own_and_may_not_set(site):
    client, eng, as_ = site
    page = client.get("/power/meters/2/thresholds", headers=as_("plant"))
    assert page.status_code == 200 and "SB2" in page.text and "threshold-form" not in page.text
    assert client.post("/power/meters/2/thresholds", headers=as_("plant"),
                       data={"on_kw": "1", "off_kw": "0", "dwell": "3", "reason": "x"}).status_code == 403
    assert client.get("/power/meters/1/thresholds", headers=as_("other")).status_code == 404
    assert client.get("/power/enterprises/1/thresholds", headers=as_("other")).status_code == 404
    with eng.connect() as c:
        assert len(history(c, 2)) == 1


def test_the_alarm_page_says_a_power_finding_in_the_readers_language(site):
    """The engine stored its explanation in English here; a Chinese reader sees the finding in Chinese."""
    client, eng, as_ = site
    write_minutes(eng, 0, [100.0] * 40, [30.0] * 10 + [0.2] * 30)
    asyncio.run(PowerEngine(eng, locale="en").pass_once(T0.replace(minute=40)))
    alarms = client.get("/api/v1/alarms", headers=as_("linfen")).json()
    items = alarms["items"] if isinstance(alarms, dict) else alarms
    [a] = [x for x in items if x["type"] == "ALM-PWR-TREAT-OFF"]
    assert "still going on" in a["explanation"]
    page = client.get(f"/alarms/{a['id']}", headers=as_("linfen", "zh"))
    assert page.status_code == 200 and 'id="power-finding"' in page.text
    assert "治污设施 除尘" in page.text and "08:10" in page.text and "仍在持续" in page.text  # names, not codes
