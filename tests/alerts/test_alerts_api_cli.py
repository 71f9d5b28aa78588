"""Heavy-pollution alerts through the API (scope: a county regulator issues for its county only and may not
lift the city's alert; an enterprise sees its region's alert, not the neighbour county's) and the command line
(issue, list, lift; exit 2 with a sentence on bad input)."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from work_world import start_copy  # noqa: E402

from ecosentry import cli  # noqa: E402
from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402
from ecosentry.settings import get_settings  # noqa: E402
from ecosentry.store import pollution_alerts as pa  # noqa: E402
from ecosentry.fleet import import_fleet  # noqa: E402

NOW = datetime.now(timezone.utc).replace(second=0, microsecond=0)
API = "/api/v1/alerts"


def _body(**kw):
    body = {"region_code": "320500", "level": "orange", "starts_at": (NOW - timedelta(hours=2)).isoformat(),
            "ends_at": (NOW + timedelta(days=2)).isoformat(), "issued_by": "苏州市重污染天气应急指挥部",
            "document": "苏重应急〔2026〕7号"}
    body.update(kw)
    return body


@pytest.fixture
def world(db_copy, tmp_path):
    client, w = start_copy(db_copy, tmp_path)  # the world made once per module and database kind
    with client:
        yield client, w
    w.engine.dispose()


def test_city_issues_county_sees_and_enterprise_sees_its_region(world):
    client, w = world
    r = client.post(API, json=_body(), headers=w.bearer("city"))
    assert r.status_code == 201, r.text
    city_alert = r.json()
    assert city_alert["status"] == "in_force" and city_alert["region_name"] == "苏州市"
    # a county alert of B, red, seen by B's regulator and the city, not by county A or enterprise A
    b = client.post(API, json=_body(region_code="320507", level="red", document=None), headers=w.bearer("county_b"))
    assert b.status_code == 201, b.text
    ids = lambda who: {a["id"] for a in client.get(API, headers=w.bearer(who)).json()["items"]}  # noqa: E731
    assert ids("ent_a") == {city_alert["id"]} == ids("county_a")
    assert ids("county_b") == {city_alert["id"], b.json()["id"]} == ids("city") == ids("admin")
    assert ids("om_b") == {city_alert["id"], b.json()["id"]}   # its point's enterprise is in county B
    assert client.get(f"{API}/{b.json()['id']}", headers=w.bearer("ent_a")).status_code == 404
    one = client.get(f"{API}/{city_alert['id']}", params={"tz": "Asia/Shanghai"}, headers=w.bearer("ent_a")).json()
    assert one["starts_at"].endswith("+08:00") and one["entered_by"] == "city"


def test_county_may_not_issue_for_the_city_nor_lift_its_alert(world):
    client, w = world
    # the refusals in the reader's language: the deployment default (zh), Accept-Language
    r = client.post(API, json=_body(), headers=w.bearer("county_a"))
    assert r.status_code == 403
    assert r.json()["detail"] == "行政区 320500 不在您的辖区内；请为本辖区及其下级行政区发布预警"
    assert client.post(API, json=_body(), headers=w.bearer("ent_a")).status_code == 403
    city = client.post(API, json=_body(), headers=w.bearer("city")).json()
    r = client.post(f"{API}/{city['id']}/lift", headers={**w.bearer("county_a"), "Accept-Language": "vi"})
    assert r.status_code == 403 and r.json()["detail"] == (f"Cảnh báo {city['id']} được ban hành cho 320500, cấp trên "
                                                           "địa bàn của bạn; bên ban hành mới được gỡ bỏ")
    r = client.post(f"{API}/{city['id']}/level", json={"level": "red"}, headers=w.bearer("county_a"))
    assert r.status_code == 403 and r.json()["detail"].endswith("超出您的辖区；应由发布方调整级别")
    r = client.get(f"{API}/987654", headers=w.bearer("county_a"))
    assert r.status_code == 404 and r.json()["detail"] == "没有编号为 987654 的预警"
    r = client.post(f"{API}/{city['id']}/lift", json={"note": "苏重应急〔2026〕8号"}, headers=w.bearer("city"))
    assert r.status_code == 200 and r.json()["status"] == "lifted" and r.json()["lifted_by"] == "city"
    assert client.post(f"{API}/{city['id']}/lift", headers=w.bearer("city")).status_code == 409
    assert client.get(API, headers=w.bearer("ent_a")).json()["items"] == []
    past = client.get(API, params={"state": "past"}, headers=w.bearer("ent_a")).json()["items"]
    assert [a["id"] for a in past] == [city["id"]]


def test_level_change_answers_the_new_alert(world):
    client, w = world
    first = client.post(API, json=_body(level="yellow"), headers=w.bearer("city")).json()
    r = client.post(f"{API}/{first['id']}/level", json={"level": "red", "document": "苏重应急〔2026〕8号"},
                    headers=w.bearer("county_a"))
    assert r.status_code == 403
    r = client.post(f"{API}/{first['id']}/level", json={"level": "red", "document": "苏重应急〔2026〕8号"},
                    headers=w.bearer("city"))
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["level"] == "red" and new["ends_at"] == first["ends_at"] and new["status"] == "in_force"
    old = client.get(f"{API}/{first['id']}", headers=w.bearer("city")).json()
    assert old["ends_at"] == new["starts_at"] and old["status"] == "ended"
    # a change within the same minute finds it not begun (409); counted from the new alert's start, not from NOW
    # (taken when the module was imported, which may be long before this test runs)
    later = (datetime.fromisoformat(new["starts_at"]) + timedelta(minutes=5)).isoformat()
    again = client.post(f"{API}/{new['id']}/level", json={"level": "red", "at": later}, headers=w.bearer("city"))
    assert again.status_code == 422 and "已是该级别" in again.json()["detail"]  # the reader's language (zh)
    assert client.post(f"{API}/{first['id']}/level", json={"level": "orange"},
                       headers=w.bearer("city")).status_code == 409


@pytest.mark.parametrize("edit, status, words", [
    ({"ends_at": (NOW - timedelta(days=1)).isoformat()}, 422, "must be after the start"),
    ({"level": "purple"}, 422, "level"),
    ({"region_code": "999999"}, 422, "no region"),
    ({"issued_by": "指" * 201}, 422, "issued_by"),
    ({"document": "号" * 101}, 422, "document"),
    ({"starts_at": "tomorrow"}, 422, "not an ISO 8601 time"),
])
def test_bad_values_are_refused_with_a_sentence(world, edit, status, words):
    client, w = world
    r = client.post(API, json=_body(**edit), params={"lang": "en"}, headers=w.bearer("admin"))
    assert r.status_code == status and words in json.dumps(r.json(), ensure_ascii=False)
    assert client.get(API, params={"state": "all"}, headers=w.bearer("admin")).json()["total"] == 0


def test_public_sees_the_alerts_over_published_enterprises_without_user_names(world):
    client, w = world
    client.post(API, json=_body(), headers=w.bearer("city"))
    items = client.get(API).json()["items"]
    assert items == [] or "entered_by" not in items[0]   # the work world publishes no enterprise
    assert client.post(API, json=_body()).status_code == 401


# --------------------------------------------------------------------------- the command line

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch, sqlite_migrated_template):
    shutil.copyfile(sqlite_migrated_template, tmp_path / "cli.sqlite")  # migrated once per session, not per test
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANGUAGE", "en")  # the English terminal (zh, vi: test_cli_in_the_terminals_language)
    get_settings.cache_clear()
    engine = prepare_database(url)
    import_fleet(engine, {"regions": [{"code": "141000", "name": "临汾市", "level": "city"}]})
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_cli_issue_list_lift(cli_db):
    start = (NOW - timedelta(hours=1)).astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    r = runner.invoke(cli.app, ["alerts", "issue", "--region", "141000", "--level", "red", "--start", start,
                                "--issued-by", "临汾市重污染天气应急指挥部", "--document", "临重应急〔2026〕1号"])
    assert r.exit_code == 0, r.output
    alert_id = int(r.output.split()[1])
    listed = runner.invoke(cli.app, ["alerts", "list", "--json"])
    row = json.loads(listed.output.splitlines()[0])
    assert row["id"] == alert_id and row["status"] == "in_force" and row["region_name"] == "临汾市"
    assert row["starts_at"] == start.replace("T", " ")   # local time in, local time out
    r = runner.invoke(cli.app, ["alerts", "lift", "--id", str(alert_id), "--note", "临重应急〔2026〕2号"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(cli.app, ["alerts", "list", "--json"]).output.strip() == ""
    assert "临汾市" in runner.invoke(cli.app, ["alerts", "list", "--state", "past"]).output
    assert pa.get(cli_db, alert_id)["lifted_by"] == "cli"


@pytest.mark.parametrize("args, words", [
    (["issue", "--region", "141000", "--level", "purple", "--start", "2026-12-06T20:00", "--issued-by", "x"],
     "unknown alert level"),
    (["issue", "--region", "141000", "--level", "red", "--start", "2026-12-06T20:00", "--end", "2026-12-06T19:00",
      "--issued-by", "x"], "must be after the start"),
    (["issue", "--region", "999999", "--level", "red", "--start", "2026-12-06T20:00", "--issued-by", "x"],
     "no region"),
    (["issue", "--region", "141000", "--level", "red", "--start", "soon", "--issued-by", "x"],
     "is not a date and time"),
    (["lift", "--id", "99"], "no alert with the number 99"),
    (["list", "--state", "future"], "--state must be"),
])
def test_cli_bad_input_exits_2_with_a_sentence(cli_db, args, words):
    r = runner.invoke(cli.app, ["alerts", *args])
    assert r.exit_code == 2 and words in r.output.replace("\n", " "), r.output


@pytest.mark.parametrize("lang, said", [
    ("zh", {"issued": "已发布预警 {id}：141000 红色预警，自 2026-12-06 20:00 起",
            "title": "重污染天气预警（全部，1 条）", "row": ("临汾市 (141000)", "红色预警", "文号", "发布机关"),
            "lifted": "预警 {id} 已于 ", "level": "错误：级别：",
            "time": "错误：--start：'soon' 不是日期和时间（YYYY-MM-DDTHH:MM，可带时区偏移）",
            "state": "错误：--state 必须是 in_force、scheduled、past 或 all，不能是 'future'"}),
    ("vi", {"issued": "Đã ban hành cảnh báo số {id}: Cảnh báo đỏ cho 141000 từ 2026-12-06 20:00",
            "title": "Cảnh báo ô nhiễm nặng (tất cả, 1)", "row": ("临汾市 (141000)", "Cảnh báo đỏ", "Số văn bản",
                                                                 "Cơ quan ban hành"),
            "lifted": "Cảnh báo số {id} đã được dỡ bỏ lúc ",
            "level": "Lỗi: Cấp: ", "time": "Lỗi: --start: 'soon' không phải là ngày giờ (YYYY-MM-DDTHH:MM, có thể kèm "
                                           "độ lệch múi giờ)",
            "state": "Lỗi: --state phải là in_force, scheduled, past hoặc all, không phải 'future'"}),
])
def test_cli_in_the_terminals_language(cli_db, monkeypatch, lang, said):
    """``ecosentry alerts`` says its results, its table (the alert pages' words) and its refusals (its own and the
    store's ``AlertError`` with the field's name) in the terminal's language; ``--json`` keeps the codes."""
    monkeypatch.setenv("LANGUAGE", lang)
    r = runner.invoke(cli.app, ["alerts", "issue", "--region", "141000", "--level", "red", "--start",
                                "2026-12-06T20:00", "--issued-by", "临汾市重污染天气应急指挥部"])
    with cli_db.connect() as c:
        alert_id = c.execute(select(s.pollution_alerts.c.id)).scalar_one()
    assert r.exit_code == 0 and r.stdout.strip() == said["issued"].format(id=alert_id), r.output
    listed = runner.invoke(cli.app, ["alerts", "list", "--state", "all"])
    assert said["title"] in listed.stdout and all(w in listed.stdout for w in said["row"]), listed.stdout
    assert json.loads(runner.invoke(cli.app, ["alerts", "list", "--state", "all", "--json"]).stdout)["level"] == "red"
    r = runner.invoke(cli.app, ["alerts", "lift", "--id", str(alert_id), "--at", "2026-12-06T21:00"])
    assert r.exit_code == 0 and r.stdout.startswith(said["lifted"].format(id=alert_id)), r.output
    for args, key in ((["issue", "--region", "141000", "--level", "purple", "--start", "2026-12-06T20:00",
                        "--issued-by", "x"], "level"),
                      (["issue", "--region", "141000", "--level", "red", "--start", "soon", "--issued-by", "x"], "time"),
                      (["list", "--state", "future"], "state")):
        r = runner.invoke(cli.app, ["alerts", *args])
        assert r.exit_code == 2 and r.stderr.strip().startswith(said[key]), r.stderr


# the refusals write their times in the deployment's local time, as the operator typed them, not UTC ISO 8601
@pytest.mark.parametrize("lang, overlap, order", [
    ("zh", "（自 2026-12-07 09:00 起）", "结束时间（2026-12-08 00:00）必须晚于开始时间（2026-12-09 00:00）"),
    ("vi", "(từ 2026-12-07 09:00)", "(2026-12-08 00:00) phải sau thời điểm bắt đầu (2026-12-09 00:00)"),
    ("en", "(from 2026-12-07 09:00)", "the end (2026-12-08 00:00) must be after the start (2026-12-09 00:00)"),
])
def test_refusals_say_their_times_in_local_time(cli_db, monkeypatch, lang, overlap, order):
    monkeypatch.setenv("LANGUAGE", lang)
    issue = ["alerts", "issue", "--region", "141000", "--level", "orange", "--issued-by", "临汾市应急指挥部"]
    assert runner.invoke(cli.app, [*issue, "--start", "2026-12-07T09:00", "--end", "2026-12-09T09:00"]).exit_code == 0
    again = runner.invoke(cli.app, [*issue, "--start", "2026-12-08T09:00"])
    assert again.exit_code == 2 and overlap in again.output, again.output
    backwards = runner.invoke(cli.app, [*issue, "--start", "2026-12-09", "--end", "2026-12-08"])
    assert backwards.exit_code == 2 and order in backwards.output.replace("\n", " "), backwards.output
    assert "+00:00" not in again.output + backwards.output
