"""The supervision (督办) of an alarm through the pages: the county pushes, the enterprise acknowledges and
answers with evidence, the county sends back and then accepts and closes; each sees what it must do next;
the city sees the same case at once; forms refuse the other party's step, bad files and over-long texts with
a sentence; the alarm list marks overdue cases and exports to XLSX as the reader sees it."""

from __future__ import annotations

import io
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).parent))
from work_world import GAS_A, GAS_B, audit_rows, csrf_of, raise_point_alarm, start  # noqa: E402

from ecosentry.alarms import disposal_store  # noqa: E402
from ecosentry.store import schema as s  # noqa: E402

PDF = "%PDF-1.4\n% 检修记录\n".encode()


@pytest.fixture
def world(db_url, tmp_path):
    client, w = start(db_url, tmp_path)
    w.a = raise_point_alarm(w, GAS_A)
    w.b = raise_point_alarm(w, GAS_B, title="焚烧炉 SO2 超标")
    with client:
        yield client, w
    w.engine.dispose()


def _post(client, w, user, alarm_id, step, data=None, files=None):
    h = w.bearer(user)
    token = csrf_of(client.get(f"/alarms/{alarm_id}", headers=h).text)
    return client.post(f"/alarms/{alarm_id}/disposal/{step}", headers=h, data={"csrf": token, **(data or {})},
                       files=files, follow_redirects=False)


def _panel(html: str) -> str:
    m = re.search(r'<section class="card disposal[^"]*" id="disposal">(.*?)</section>', html, re.S)
    assert m, "the alarm page has no supervision panel"
    return m.group(1)


def test_a_case_through_the_pages_as_each_party_sees_it(world):
    client, w = world
    # before the push: the regulator has the push form, the enterprise only the sentence
    reg = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("county_a")).text)
    assert 'id="form-push"' in reg and "留空：严重告警 24 小时，其他 72 小时" in reg
    ent = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("ent_a")).text)
    assert "该告警尚未督办下发给企业。" in ent and "<form" not in ent

    r = _post(client, w, "county_a", w.a, "push", {"request": "请核查超标原因，24小时内反馈",
                                                   "feedback_due": "2030-12-07T10:00"})
    assert r.status_code == 303 and r.headers["location"] == f"/alarms/{w.a}?done=disposal-push"
    ent = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("ent_a")).text)
    assert 'id="form-handle"' in ent and "待您签收，截止" in ent
    # the enterprise's deadline as it reads it: the regulator's 10:00 local (Asia/Shanghai)
    case = disposal_store.case(w.engine, w.a)
    assert case["feedback_due_at"] == datetime(2030, 12, 7, 2, 0, tzinfo=timezone.utc)
    # city and county see the same case at once; the other county does not see the alarm at all
    city = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("city")).text)
    assert "待企业签收，截止" in city and "请核查超标原因" in city
    assert client.get(f"/alarms/{w.a}", headers=w.bearer("county_b")).status_code == 404

    # the other party's step is refused with a sentence, and nothing changes
    r = _post(client, w, "county_a", w.a, "handle")
    assert r.status_code == 403
    assert _post(client, w, "ent_a", w.a, "push", {"request": "x"}).status_code == 403
    assert _post(client, w, "ent_a", w.a, "handle", {"comment": "已安排检修"}).status_code == 303
    ent = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("ent_a")).text)
    assert 'id="form-feedback"' in ent and re.search(r"待您反馈，截止 [^<]*2030[^<]*10:00", ent)

    # a file that is not what its name says, and over-long measures: the sentence, the form kept
    bad = _post(client, w, "ent_a", w.a, "feedback", {"cause": "浆液泵故障", "measures": "更换"},
                files=[("files", ("检修记录.pdf", b"MZ\x90\x00", "application/pdf"))])
    assert bad.status_code == 422 and "的内容与其文件类型不符" in bad.text and "浆液泵故障" in bad.text
    long = _post(client, w, "ent_a", w.a, "feedback", {"cause": "浆液泵故障", "measures": "措" * 4001})
    assert long.status_code == 422 and "文字长度为 4001 个字符，最多允许 4000 个" in long.text
    ok = _post(client, w, "ent_a", w.a, "feedback", {"cause": "浆液泵故障", "measures": "更换备用泵"},
               files=[("files", ("检修记录.pdf", PDF, "application/pdf")),
                      ("files", ("现场.png", b"\x89PNG\r\n\x1a\n....", "image/png"))])
    assert ok.status_code == 303
    reg = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("county_a")).text)
    assert "待您核查反馈，截止" in reg and 'id="form-accept"' in reg and 'id="form-return"' in reg
    assert "检修记录.pdf" in reg and "浆液泵故障" in reg
    # the evidence is served back as an attachment with the type checked on upload, never as a page
    link = re.search(r'href="(/api/v1/alarms/\d+/disposal/files/\d+)" download>检修记录.pdf', reg).group(1)
    got = client.get(link, headers=w.bearer("city"))
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff" and "attachment" in got.headers["content-disposition"]
    assert client.get(link, headers=w.bearer("county_b")).status_code == 404

    assert _post(client, w, "county_a", w.a, "return", {"reason": " "}).status_code == 422
    assert _post(client, w, "county_a", w.a, "return", {"reason": "请补充运行记录"}).status_code == 303
    ent = _panel(client.get(f"/alarms/{w.a}", headers=w.bearer("ent_a")).text)
    assert "已退回" in ent and "请补充运行记录" in ent and 'id="form-feedback"' in ent
    assert _post(client, w, "ent_a", w.a, "feedback", {"cause": "同上", "measures": "补充记录"}).status_code == 303
    assert _post(client, w, "city", w.a, "accept", {"comment": "材料齐全"}).status_code == 303
    assert _post(client, w, "county_a", w.a, "close", {"summary": "整改到位，同意结案"}).status_code == 303
    page = client.get(f"/alarms/{w.a}?done=disposal-close", headers=w.bearer("ent_a")).text
    assert "已结案。" in page and 'id="disposal-next"' not in page and "整改到位，同意结案" in page
    steps = [(x["step"], x["actor"]) for x in disposal_store.case(w.engine, w.a)["steps"]]
    assert steps == [("push", "county_a"), ("handle", "ent_a"), ("feedback", "ent_a"), ("return", "county_a"),
                     ("feedback", "ent_a"), ("accept", "city"), ("close", "county_a")]
    actions = [r["action"] for r in audit_rows(w.engine, "alarm", w.a)]
    assert [x for x in actions if x.startswith("disposal_")] == [f"disposal_{x}" for x, _ in steps]


def test_the_list_marks_overdue_cases_filters_them_and_exports_xlsx(world):
    client, w = world
    _post(client, w, "county_a", w.a, "push", {"request": "请反馈"})
    _post(client, w, "city", w.b, "push", {"request": "请反馈"})
    with w.engine.begin() as c:  # the county's case is two hours past its deadline
        c.execute(update(s.alarm_disposals).where(s.alarm_disposals.c.alarm_id == w.a)
                  .values(due_at=datetime.now(timezone.utc) - timedelta(hours=2)))
    page = client.get("/alarms", headers=w.bearer("city")).text
    row_a = re.search(rf'<tr data-id="{w.a}".*?</tr>', page, re.S).group(0)
    assert "overdue" in row_a.split(">")[0] and "逾期" in row_a and "督办：已下发，待签收" in row_a
    overdue = client.get("/alarms?disposal=overdue", headers=w.bearer("city")).text
    assert f'data-id="{w.a}"' in overdue and f'data-id="{w.b}"' not in overdue
    # the enterprise's alarm centre says how many cases wait for it, and how many are overdue
    centre = client.get("/alarms", headers=w.bearer("ent_a")).text
    assert re.search(r'id="awaiting-me".*?1 条督办告警待您处理.*?1 条已逾期', centre, re.S)
    assert 'id="awaiting-me"' not in client.get("/alarms", headers=w.bearer("city")).text  # nothing owed by them
    mine = client.get("/alarms?disposal=mine", headers=w.bearer("ent_a")).text
    assert f'data-id="{w.a}"' in mine
    # the enterprise's row says what it must do and by when; the regulators' says whose move it is
    row_mine = re.search(rf'<tr data-id="{w.a}".*?</tr>', mine, re.S).group(0)
    assert "逾期 · 待您签收，截止" in row_mine
    assert client.get("/alarms?disposal=bogus", headers=w.bearer("city")).status_code == 422

    # the export: the reader's scope and filters, translated headers, names, local times
    x = client.get("/alarms/export.xlsx", headers=w.bearer("county_a"))
    assert x.status_code == 200 and "attachment" in x.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(x.content)).active
    rows = list(ws.iter_rows(values_only=True))
    headers = rows[1]
    assert headers[:5] == ("编号", "级别", "报警", "类型", "企业") and "督办" in headers and "逾期" in headers
    body = [dict(zip(headers, r)) for r in rows[2:]]
    assert [r["编号"] for r in body] == [w.a]  # county A does not see county B's alarm
    r = body[0]
    assert r["企业"] == "苏州测试热电有限公司" and r["监测点"] == "1号锅炉CEMS" and r["区域"] == "吴中区"
    assert r["监测因子"] == "二氧化硫" and r["督办"] == "已下发，待签收" and r["逾期"] == "是"
    assert r["级别"] == "严重" and r["状态"] == "已确认"
    # local time (Asia/Shanghai) as a spreadsheet date-time, not UTC text
    with w.engine.connect() as c:
        first = c.execute(s.alarms.select().where(s.alarms.c.id == w.a)).mappings().one()["first_at"]
    local = first.astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
    assert abs((r["首次发生"] - local).total_seconds()) < 1
    city = load_workbook(io.BytesIO(client.get("/alarms/export.xlsx?disposal=overdue",
                                               headers=w.bearer("city")).content)).active
    assert [row[0] for row in city.iter_rows(min_row=3, values_only=True)] == [w.a]
    assert client.get("/alarms/export.xlsx", follow_redirects=False).status_code == 303  # log in first
