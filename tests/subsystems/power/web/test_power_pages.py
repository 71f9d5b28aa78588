"""The electricity pages over HTTP: who sees which enterprise (scope: another's view answers 404, as the core
pages do), the day view's data (state bands with the thresholds in force, finding spans, linkage, load
share), the list "now", the findings list (open first, sentence in the reader's language, names not codes,
CSV), and the registry edits (validation errors said in the reader's language beside the field, CSRF,
permissions, an audit row per change), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from power_world import TZ, start_power  # noqa: E402
from work_world import audit_rows, csrf_of, log_in  # noqa: E402

from ecosentry.subsystems.power.queries.model import enterprise_model  # noqa: E402
from ecosentry.subsystems.power.schema import (power_enterprises, power_equipment, power_linkage,  # noqa: E402
                                               power_meters)


@pytest.fixture
def world(db_url, tmp_path):
    client, pw = start_power(db_url, tmp_path)
    with client:
        yield client, pw
    pw.world.engine.dispose()


def _get(client, pw, user, path):
    return client.get(path, headers=pw.world.bearer(user))


# ------------------------------------------------------------------------------------------------- scope


def test_an_enterprise_user_sees_its_own_view_and_not_another(world):
    client, pw = world
    assert _get(client, pw, "ent_a", f"/power/enterprises/{pw.ent_a}").status_code == 200
    for path in (f"/power/enterprises/{pw.ent_b}", f"/power/enterprises/{pw.ent_b}/day.json",
                 f"/power/enterprises/{pw.ent_b}/registry", "/power/enterprises/99999"):
        assert _get(client, pw, "ent_a", path).status_code in (403, 404), path
    assert _get(client, pw, "ent_a", f"/power/enterprises/{pw.ent_b}").status_code == 404
    assert _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_b}").status_code == 404
    assert _get(client, pw, "city", f"/power/enterprises/{pw.ent_b}").status_code == 200
    page = _get(client, pw, "ent_a", "/power").text
    assert "苏州测试热电有限公司" in page and "相城测试化工有限公司" not in page
    city = _get(client, pw, "city", "/power").text
    assert "苏州测试热电有限公司" in city and "相城测试化工有限公司" in city
    findings = _get(client, pw, "county_b", "/power/findings").text
    assert 'data-code="PWR-TREAT-OFF"' not in findings and 'id="no-findings"' in findings
    anonymous = client.get(f"/power/enterprises/{pw.ent_a}", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    # the day's data refusals (its script shows them) in the reader's language
    r = _get(client, pw, "ent_a", f"/power/enterprises/{pw.ent_b}/day.json")
    assert r.status_code == 404 and r.json()["detail"] == f"没有编号为 {pw.ent_b} 的企业"
    r = client.get(f"/power/enterprises/{pw.ent_a}/day.json?day=yesterday",
                   headers={**pw.world.bearer("ent_a"), "Accept-Language": "vi"})
    assert r.status_code == 400 and r.json()["detail"] == "'yesterday' không phải ngày (YYYY-MM-DD)"
    r = client.get(f"/power/enterprises/{pw.ent_a}/day.json", headers={"Accept-Language": "vi"})
    assert r.status_code == 401 and r.json()["detail"] == "Vui lòng đăng nhập để xem số liệu điện của doanh nghiệp"


def test_the_menu_names_the_electricity_pages(world):
    client, pw = world
    assert 'href="/power">用电监控</a>' in _get(client, pw, "county_a", "/power?lang=zh").text
    assert 'href="/power">Điện năng</a>' in _get(client, pw, "county_a", "/power?lang=vi").text


# ------------------------------------------------------------------------------------------------- the view


def test_the_day_view_data(world):
    client, pw = world
    d = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}/day.json?day={pw.yesterday}").json()
    assert d["minutes"] == 1440 and d["start"].endswith("00:00:00") and d["tz"] == "Asia/Shanghai"
    units = {u["code"]: u for u in d["units"]}
    assert [u["code"] for u in d["units"]] == ["oven1", "dust1", "total"]  # each treatment after its production
    oven, dust = units["oven1"], units["dust1"]
    assert oven["threshold"] == {"on": 30.0, "off": 15.0, "dwell": 3, "source": "set"}  # the version in force
    assert [b[2] for b in oven["bands"]] == [0, 1, 0]
    assert oven["bands"][1][:2] == [f"{pw.yesterday} 06:00:00", f"{pw.yesterday} 22:00:00"]
    states = [(b[0][11:16], b[1][11:16], b[2]) for b in dust["bands"]]
    assert ("13:00", "13:40", 0) in states and ("18:00", "18:20", -1) in states
    assert dust["serves"] == ["1号焦炉"] and oven["served_by"] == ["1号除尘器"]
    assert oven["share"] == pytest.approx(1.0) and dust["share"] == pytest.approx(1.0)
    assert len(oven["p"]) == 1440 and oven["p"][0] == 2.0 and oven["p"][600] == 200.0
    assert dust["p"][1090] is None
    # the world's open meter-offline finding began 50 min ago: yesterday's too when the test runs before 00:50
    (f,) = [x for x in d["findings"] if x["code"] != "PWR-METER-OFFLINE"]
    assert (f["code"], f["start"][11:16], f["end"][11:16], f["open"]) == ("PWR-TREAT-OFF", "13:00", "13:40", False)
    assert f["equipment"] == ["1号除尘器", "1号焦炉"]
    assert oven["state_now"] is None  # a past day has no "now"
    today = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}/day.json").json()
    now_units = {u["code"]: u for u in today["units"]}
    if today["minutes"] >= 5:  # the world's meters sent the last hour (of today: not before local midnight)
        assert now_units["oven1"]["state_now"] == 1 and now_units["dust1"]["state_now"] == 1
    assert now_units["total"]["state_now"] is None
    assert d["linkage"] == [{"treatment": "1号除尘器", "production": "1号焦炉", "treatment_id": pw.eq["dust1"],
                             "production_id": pw.eq["oven1"], "grace_minutes": 5}]


def test_the_day_view_page_in_chinese_and_vietnamese(world):
    client, pw = world
    zh = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}?day={pw.yesterday}&lang=zh").text
    assert "1号焦炉 运行期间，治污设施 1号除尘器 自" in zh and "关联关系" in zh and "负荷率" in zh
    assert f'value="{pw.yesterday}"' in zh and 'rel="next"' in zh
    vi = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}?day={pw.yesterday}&lang=vi").text
    assert "Thiết bị xử lý 1号除尘器 tắt 40 phút" in vi and "Liên động" in vi
    assert "/vendor/plotly/plotly.min.js" in vi and "/power/assets/view.js" in vi
    assert _get(client, pw, "county_a", "/power/assets/view.js").status_code == 200
    assert _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}?day=yesterday").status_code == 400


def test_the_list_now_and_its_filters(world):
    client, pw = world
    page = _get(client, pw, "city", "/power").text
    row = re.search(rf'<tr data-enterprise="{pw.ent_a}">(.*?)</tr>', page, re.S).group(1)
    assert 'data-running="2"' in row and 'data-stopped="0"' in row and 'data-open="1"' in row
    only = _get(client, pw, "city", "/power?only=findings").text
    assert f'data-enterprise="{pw.ent_a}"' in only and f'data-enterprise="{pw.ent_b}"' not in only
    assert f'data-enterprise="{pw.ent_b}"' in _get(client, pw, "city", "/power?q=相城").text
    assert f'data-enterprise="{pw.ent_a}"' not in _get(client, pw, "city", "/power?q=相城").text
    assert f'data-enterprise="{pw.ent_b}"' not in _get(client, pw, "city", "/power?region=320506").text
    assert _get(client, pw, "county_a", "/power?region=320507").status_code == 404


def test_the_findings_list_open_first_with_sentences_names_and_csv(world):
    client, pw = world
    page = _get(client, pw, "county_a", "/power/findings?lang=zh").text
    codes = re.findall(r'data-code="(PWR-[A-Z-]+)" data-open="(\d)"', page)
    assert codes == [("PWR-METER-OFFLINE", "1"), ("PWR-TREAT-OFF", "0")]
    assert "1号焦炉 运行期间，治污设施 1号除尘器 自" in page and "1号除尘器, 1号焦炉" in page
    assert "40 分钟" in page or "40 min" in page
    assert 'data-code="PWR-TREAT-OFF"' not in _get(client, pw, "county_a", "/power/findings?state=open").text
    assert 'data-code="PWR-METER-OFFLINE"' not in _get(client, pw, "county_a",
                                                        "/power/findings?severity=critical").text
    csv = _get(client, pw, "county_a", "/power/findings?format=csv&lang=vi")
    assert csv.headers["content-type"].startswith("text/csv") and "Thiết bị xử lý 1号除尘器" in csv.text
    xlsx = _get(client, pw, "county_a", "/power/findings?format=xlsx&lang=zh")
    from io import BytesIO

    from openpyxl import load_workbook
    sheet = load_workbook(BytesIO(xlsx.content)).active
    lines = [[c.value for c in row] for row in sheet.iter_rows()]
    # row 1 the title, row 2 the header (the core's table workbook)
    assert lines[0][0] == "用电监控发现" and lines[1][0] == "企业"
    assert [x[1] for x in lines[2:]] == ["PWR-METER-OFFLINE", "PWR-TREAT-OFF"]
    assert lines[3][6] == 40 and "1号焦炉 运行期间" in lines[3][7]


# ------------------------------------------------------------------------------------------------- registry


def _post(client, pw, user, path, data):
    return client.post(path, headers=pw.world.bearer(user), data=data, follow_redirects=False)


def test_registry_edits_are_checked_said_in_the_language_and_audited(world):
    client, pw = world
    base = f"/power/enterprises/{pw.ent_a}/registry"
    meter = pw.meters["SB002"]
    ok = _post(client, pw, "admin", f"{base}/meters/{meter}", {
        "code": "SB002", "device_id": "", "channel": "", "ct_ratio": "300/5", "phases": "3", "rated_kw": "110"})
    assert ok.status_code == 303, ok.text[:400]
    with pw.world.engine.connect() as c:
        row = c.execute(select(power_meters).where(power_meters.c.id == meter)).mappings().one()
    assert row["ct_ratio"] == 60.0 and row["rated_kw"] == 110.0
    (a,) = audit_rows(pw.world.engine, "power_meter", meter)
    assert a["actor"] == "admin" and a["before"]["ct_ratio"] == 40.0 and a["after"]["ct_ratio"] == 60.0
    # the registry file's checks, said in Chinese and Vietnamese beside the field, nothing written
    bad = _post(client, pw, "admin", f"{base}/meters/{meter}?lang=zh", {
        "code": "SB002", "ct_ratio": "200/0", "phases": "3"})
    assert bad.status_code == 422 and 'data-field="ct_ratio"' in bad.text and "CT 变比为正数" in bad.text
    bad = _post(client, pw, "admin", f"{base}/meters/{meter}?lang=vi", {"code": "SB002", "phases": "2"})
    assert bad.status_code == 422 and "Công tơ có 1 hoặc 3 pha." in bad.text
    taken = _post(client, pw, "admin", f"{base}/equipment/{pw.eq['dust1']}?lang=zh", {
        "code": "dust1", "name": "1号除尘器", "role": "treatment", "meter_id": str(pw.meters["SB001"])})
    assert taken.status_code == 422 and "该电表已计量本企业的其他设施" in taken.text
    role = _post(client, pw, "admin", f"{base}/equipment/{pw.eq['oven1']}?lang=zh", {
        "code": "oven1", "name": "1号焦炉", "role": "treatment", "meter_id": str(pw.meters["SB001"])})
    assert role.status_code == 422 and 'data-field="role"' in role.text
    long = _post(client, pw, "admin", f"{base}/equipment/new", {"code": "x" * 41, "name": "n", "role": "production"})
    assert long.status_code == 422 and 'data-field="code"' in long.text
    huge = _post(client, pw, "admin", f"{base}/lines/new", {"code": "L2", "name": "名" * 201})
    assert huge.status_code == 422 and 'data-field="name"' in huge.text
    dup = _post(client, pw, "admin", f"{base}/lines/new", {"code": "L1", "name": "again"})
    assert dup.status_code == 422
    assert len(audit_rows(pw.world.engine, "power_meter", meter)) == 1
    # a new unit, then another enterprise's meter refused
    new = _post(client, pw, "admin", f"{base}/equipment/new", {
        "code": "desulf1", "name": "1号脱硫塔", "role": "treatment", "kind": "desulfurisation", "rated_kw": "55",
        "safety_load": "1"})
    assert new.status_code == 303
    with pw.world.engine.connect() as c:
        other_meter = c.execute(select(power_meters.c.id).where(power_meters.c.enterprise_id == pw.ent_b)).scalar()
        made = c.execute(select(power_equipment).where(power_equipment.c.code == "desulf1")).mappings().one()
    assert made["safety_load"] is True and made["kind"] == "desulfurisation"
    assert audit_rows(pw.world.engine, "power_equipment", made["id"])[0]["action"] == "create"
    foreign = _post(client, pw, "admin", f"{base}/equipment/{made['id']}", {
        "code": "desulf1", "name": "1号脱硫塔", "role": "treatment", "meter_id": str(other_meter)})
    assert foreign.status_code == 422 and 'data-field="meter_id"' in foreign.text
    assert _get(client, pw, "admin", f"/power/enterprises/{pw.ent_b}/registry/equipment/{made['id']}"
                ).status_code == 404


def test_device_password_is_masked_in_the_audit(world):
    client, pw = world
    r = _post(client, pw, "admin", f"/power/enterprises/{pw.ent_a}/registry/devices/new", {
        "mn": "PWRTEST0000000000000A02", "transport": "mqtt", "tz": "Asia/Shanghai", "active": "1",
        "password": "s3cret"})
    assert r.status_code == 303
    rows = [x for x in audit_rows(pw.world.engine, "power_device", 2)]
    assert rows and rows[0]["after"]["password"] == "***"
    bad = _post(client, pw, "admin", f"/power/enterprises/{pw.ent_a}/registry/devices/new", {
        "mn": "PWRTEST0000000000000A02", "transport": "mqtt"})
    assert bad.status_code == 422 and 'data-field="mn"' in bad.text
    zone = _post(client, pw, "admin", f"/power/enterprises/{pw.ent_a}/registry/devices/new", {
        "mn": "X1", "transport": "hj212", "tz": "Mars/Olympus"})
    assert zone.status_code == 422 and 'data-field="tz"' in zone.text


def test_who_may_edit_what(world):
    client, pw = world
    base = f"/power/enterprises/{pw.ent_a}"
    for user in ("ent_a", "county_a", "city", "om_b"):
        assert _post(client, pw, user, f"{base}/registry/lines/new", {"code": "L9", "name": "x"}).status_code == 403
    assert _get(client, pw, "ent_a", f"{base}/registry").status_code == 403
    # the county regulator may correct the linkage of its enterprises (not of another county's)
    assert _get(client, pw, "county_a", f"{base}/registry").status_code == 200
    r = _post(client, pw, "county_a", f"{base}/linkage", {"treatment_id": str(pw.eq["dust1"]),
                                                          "production_id": str(pw.eq["oven1"]), "grace_minutes": "8"})
    assert r.status_code == 303
    with pw.world.engine.connect() as c:
        assert c.execute(select(power_linkage.c.grace_minutes)).scalar() == 8
    (a,) = audit_rows(pw.world.engine, "power_linkage", f"{pw.eq['dust1']}:{pw.eq['oven1']}")
    assert a["actor"] == "county_a" and a["before"]["grace_minutes"] == 5 and a["after"]["grace_minutes"] == 8
    assert _post(client, pw, "county_b", f"{base}/linkage", {"treatment_id": str(pw.eq["dust1"]),
                                                             "production_id": str(pw.eq["oven1"])}).status_code == 404
    assert _post(client, pw, "ent_a", f"{base}/linkage", {"treatment_id": str(pw.eq["dust1"]),
                                                          "production_id": str(pw.eq["oven1"])}).status_code == 403
    wrong = _post(client, pw, "county_a", f"{base}/linkage?lang=zh", {
        "treatment_id": str(pw.eq["oven1"]), "production_id": str(pw.eq["dust1"])})
    assert wrong.status_code == 422 and "只有治污设施才能对应生产设施" in wrong.text
    total = _post(client, pw, "county_a", f"{base}/linkage?lang=vi", {
        "treatment_id": str(pw.eq["dust1"]), "production_id": str(pw.eq["total"])})
    assert total.status_code == 422 and "Thiết bị xử lý chỉ phục vụ thiết bị sản xuất." in total.text
    grace = _post(client, pw, "county_a", f"{base}/linkage", {
        "treatment_id": str(pw.eq["dust1"]), "production_id": str(pw.eq["oven1"]), "grace_minutes": "-1"})
    assert grace.status_code == 422 and 'data-field="grace_minutes"' in grace.text
    gone = _post(client, pw, "county_a", f"{base}/linkage", {"action": "delete", "treatment_id": str(pw.eq["dust1"]),
                                                             "production_id": str(pw.eq["oven1"])})
    assert gone.status_code == 303
    assert audit_rows(pw.world.engine, "power_linkage", f"{pw.eq['dust1']}:{pw.eq['oven1']}")[-1]["action"] == "delete"


def test_the_enterprise_settings_are_edited_checked_audited_and_judge_the_rules(world):
    client, pw = world
    base = f"/power/enterprises/{pw.ent_a}"
    page = _get(client, pw, "admin", f"{base}/registry?lang=zh")
    assert page.status_code == 200 and "企业设置" in page.text and 'name="unmetered_kw"' in page.text
    ok = _post(client, pw, "admin", f"{base}/settings", {"unmetered_kw": "7.5", "schedule": "three_shift"})
    assert ok.status_code == 303, ok.text[:400]
    with pw.world.engine.connect() as c:
        row = c.execute(select(power_enterprises)).mappings().one()
        model = enterprise_model(c, pw.ent_a, datetime.now(timezone.utc))
    assert (row["enterprise_id"], row["unmetered_kw"], row["schedule"], row["updated_by"]) == (
        pw.ent_a, 7.5, "three_shift", "admin")
    assert model.model.unmetered_kw == 7.5 and model.model.schedule == "three_shift"  # what PWR-ZERO-ALL-PHASES uses
    (a,) = audit_rows(pw.world.engine, "power_enterprise", pw.ent_a)
    assert a["actor"] == "admin" and a["before"] is None and a["after"]["schedule"] == "three_shift"
    page = _get(client, pw, "admin", f"{base}/registry")
    assert 'value="7.5"' in page.text and '<option value="three_shift" selected>' in page.text
    for data, field in (({"unmetered_kw": "-1", "schedule": "day"}, "unmetered_kw"),
                        ({"unmetered_kw": "nan", "schedule": "day"}, "unmetered_kw"),
                        ({"unmetered_kw": "1e9", "schedule": "day"}, "unmetered_kw"),
                        ({"unmetered_kw": "x" * 5000, "schedule": "day"}, "unmetered_kw"),
                        ({"unmetered_kw": "1", "schedule": "weekends" * 600}, "schedule")):
        bad = _post(client, pw, "admin", f"{base}/settings?lang=vi", data)
        assert bad.status_code == 422 and f'data-field="{field}"' in bad.text, (data, bad.text[:300])
    assert len(audit_rows(pw.world.engine, "power_enterprise", pw.ent_a)) == 1
    for user in ("ent_a", "county_a", "om_b"):  # the registry's right, as devices and meters
        assert _post(client, pw, user, f"{base}/settings", {"unmetered_kw": "1"}).status_code == 403
    assert _post(client, pw, "admin", f"/power/enterprises/99999/settings", {"unmetered_kw": "1"}).status_code == 404


def test_a_form_from_a_session_needs_its_csrf_token(world):
    client, pw = world
    log_in(client, "admin")
    path = f"/power/enterprises/{pw.ent_a}/registry/lines/new"
    assert client.post(path, data={"code": "L2", "name": "二号线"}, follow_redirects=False).status_code == 403
    token = csrf_of(client.get(path).text)
    r = client.post(path, data={"code": "L2", "name": "二号线", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303


def test_an_equipment_alarm_links_to_the_view_of_its_day(world):
    from datetime import datetime, time, timezone

    from ecosentry.auth.principal import Principal
    from ecosentry.subsystems.power.web.context import alarm_view_link
    _, pw = world
    late = datetime.combine(pw.yesterday, time(23, 30), timezone.utc)  # 07:30 the next local day in Shanghai
    alarm = {"type": "ALM-PWR-TREAT-OFF", "source_type": "equipment", "source_id": f"{pw.ent_a}:dust1,oven1",
             "first_at": late}
    mine = Principal("county_a", "regulator", enterprise_ids=frozenset({pw.ent_a}))
    other = Principal("county_b", "regulator", enterprise_ids=frozenset({pw.ent_b}))
    with pw.world.engine.connect() as conn:
        got = alarm_view_link(conn, mine, alarm)
        assert got["power_view"] == {"enterprise_id": pw.ent_a, "day": (late.astimezone(TZ)).date().isoformat()}
        assert got["alarm_panels"] == ["power_alarm_view.html"]
        assert alarm_view_link(conn, other, alarm) == {}
        assert alarm_view_link(conn, mine, {**alarm, "source_type": "point", "source_id": "3"}) == {}


def test_the_day_is_judged_with_the_threshold_version_in_force(world):
    from datetime import datetime, time, timedelta, timezone

    from sqlalchemy import insert

    from ecosentry.subsystems.power.schema import power_thresholds
    client, pw = world
    start = datetime.combine(pw.yesterday, time(0), TZ).astimezone(timezone.utc)
    with pw.world.engine.begin() as c:  # version 2 from yesterday's morning, version 3 only from tomorrow
        for version, on, valid in ((2, 250.0, start + timedelta(hours=1)), (3, 5.0, start + timedelta(days=3))):
            c.execute(insert(power_thresholds).values(meter_id=pw.meters["SB001"], version=version, on_kw=on,
                                                      off_kw=on / 2, dwell=3, source="set", valid_from=valid,
                                                      set_by="county_a", set_at=valid))
    d = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}/day.json?day={pw.yesterday}").json()
    oven = next(u for u in d["units"] if u["code"] == "oven1")
    assert oven["threshold"]["on"] == 250.0  # version 2 from 01:00: at 200 kW the oven never reaches "running"
    assert [b[2] for b in oven["bands"]] == [0] and oven["threshold_changes"][0][0].endswith("01:00:00")
    with pw.world.engine.begin() as c:  # version 4 from 12:00, back to 30 kW: running again from 12:00 to 22:00
        c.execute(insert(power_thresholds).values(meter_id=pw.meters["SB001"], version=4, on_kw=30.0, off_kw=15.0,
                                                  dwell=3, source="set", valid_from=start + timedelta(hours=12),
                                                  set_by="county_a", set_at=start + timedelta(hours=12)))
    d = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}/day.json?day={pw.yesterday}").json()
    oven = next(u for u in d["units"] if u["code"] == "oven1")
    assert [(b[0][11:16], b[1][11:16], b[2]) for b in oven["bands"]] == [
        ("00:00", "12:00", 0), ("12:00", "22:00", 1), ("22:00", "00:00", 0)]
    before = (pw.yesterday - timedelta(days=1)).isoformat()
    d = _get(client, pw, "county_a", f"/power/enterprises/{pw.ent_a}/day.json?day={before}").json()
    assert next(u for u in d["units"] if u["code"] == "oven1")["threshold"]["on"] == 30.0  # version 1 then
