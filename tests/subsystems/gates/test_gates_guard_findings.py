"""The stored findings on the alert-period dashboard and their evidence page, and the guard's override and stage
completion through the API and the pages, as each role sees them (zh, vi), on passages pushed over HTTP and stored
by the sink, after a pass of the checks job."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.checks_job import CheckJob
from ecosentry.subsystems.gates.queries.findings import VIOLATION_CODES
from gates_dbkit import STAGE4
from gates_pages_world import auth, site as world_site

UNKNOWN = "晋B99999"


site = pytest.fixture(world_site, name="site")


def get(client, w, user, path, lang="zh"):
    sep = "&" if "?" in path else "?"
    return client.get(f"{path}{sep}lang={lang}", headers=auth(w, user))


def _one(w, table, *where):
    with w["engine"].connect() as c:
        return c.execute(select(table).where(*where)).mappings().first()


@pytest.mark.parametrize("lang, words", [("zh", ("违规", "证据", "国四")), ("vi", ("Vi phạm", "bằng chứng", "Quốc IV")),
                                         ("en", ("Violations found by the checks", "evidence", "China IV"))])
def test_the_dashboard_lists_the_stored_findings_with_a_link_to_their_evidence(site, lang, words):
    w, client = site
    report = CheckJob(w["engine"], w["settings"].gates).pass_sync()
    assert report.enterprises == 2
    alert_stage = _one(w, gs.gates_findings, gs.gates_findings.c.code == "VEH-ALERT-STAGE")
    assert alert_stage["plate"] == STAGE4 and alert_stage["enterprise_id"] == w["a"]
    r = get(client, w, "city", "/gates/dashboard", lang)
    assert r.status_code == 200, r.text
    for word in words:
        assert word in r.text, word
    assert f'data-finding="{alert_stage["id"]}"' in r.text and f'href="/gates/findings/{alert_stage["id"]}"' in r.text
    row_a = r.text[r.text.index(f'data-enterprise="{w["a"]}"'):]
    row_a = row_a[:row_a.index("</tr>")]
    with w["engine"].connect() as c:
        listed = c.execute(select(gs.gates_findings.c.code).where(
            gs.gates_findings.c.enterprise_id == w["a"], gs.gates_findings.c.severity.in_(("warning", "critical"))
        )).scalars().all()
    # counted: the findings that raise an alarm; listed: every warning and critical one (the camera's ledger rows
    # still lacking their cargo among them)
    assert "VEH-LEDGER-INCOMPLETE" in listed
    assert f'data-violations="{sum(c in VIOLATION_CODES for c in listed)}"' in row_a
    with w["engine"].connect() as c:
        every = c.execute(select(gs.gates_findings.c.code).where(gs.gates_findings.c.code == "VEH-LEDGER-INCOMPLETE")
                          ).scalars().all()
    assert r.text.count('data-code="VEH-LEDGER-INCOMPLETE"') == len(every)   # both enterprises of the city
    # a ledger's day: its page says it is not corrected yet, with the rows it names as examples
    day = _one(w, gs.gates_findings, gs.gates_findings.c.code == "VEH-LEDGER-INCOMPLETE",
               gs.gates_findings.c.enterprise_id == w["a"])
    assert day["open"] and day["subject"] == day["evidence"]["day"] and day["evidence"]["fields"]["cargo"] >= 1
    ledger_page = get(client, w, "city", f"/gates/findings/{day['id']}", lang)
    state = {"zh": "尚未更正", "vi": "chưa được sửa", "en": "not corrected yet"}[lang]
    assert ledger_page.status_code == 200 and f'id="ledger-day-state">{state}<' in ledger_page.text
    assert all(f'data-ledger="{line}"' in ledger_page.text for line in day["evidence"]["lines"])
    # the evidence: the passage with its capture
    page = get(client, w, "city", f"/gates/findings/{alert_stage['id']}", lang)
    assert page.status_code == 200 and STAGE4 in page.text and words[2] in page.text
    assert f'src="/gates/pictures/{w["pictures"][STAGE4]}"' in page.text
    # the enterprise itself sees it; another enterprise and another city's regulator do not
    assert get(client, w, "plantA", f"/gates/findings/{alert_stage['id']}", lang).status_code == 200
    for user in ("plantB", "taiyuan"):
        assert get(client, w, user, f"/gates/findings/{alert_stage['id']}", lang).status_code == 404
    own = get(client, w, "plantB", "/gates/dashboard", lang)
    assert own.status_code == 200 and f'data-finding="{alert_stage["id"]}"' not in own.text
    assert get(client, w, "city", "/gates/findings/999999").status_code == 404
    # the alarm it raised names it, with the link to its evidence
    alarm = get(client, w, "city", f"/alarms/{alert_stage['alarm_id']}", lang)
    assert alarm.status_code == 200 and f'data-finding="{alert_stage["id"]}"' in alarm.text
    assert f'href="/gates/findings/{alert_stage["id"]}"' in alarm.text


def _passage(w, plate):
    with w["engine"].connect() as c:
        return c.scalar(select(gs.gates_passages.c.id).where(gs.gates_passages.c.plate == plate))


def test_the_guard_overrides_a_decision_through_the_api_with_a_reason_logged_and_audited(site):
    w, client = site
    pid = _passage(w, STAGE4)
    url = f"/api/v1/gates/passages/{pid}/override"
    r = client.post(url, json={"allowed": True}, headers={**auth(w, "plantA"), "Accept-Language": "zh"})
    assert r.status_code == 422 and "理由" in r.json()["detail"]
    r = client.post(url, json={"allowed": True, "reason": "   "}, headers={**auth(w, "plantA"), "Accept-Language": "vi"})
    assert r.status_code == 422 and "lý do" in r.json()["detail"]
    assert client.post(url, json={"allowed": True, "reason": "x"}, headers=auth(w, "city")).status_code == 403
    assert client.post(url, json={"allowed": True, "reason": "x"}, headers=auth(w, "plantB")).status_code == 404
    r = client.post(url, json={"allowed": True, "reason": "应急保障运输，已登记"}, headers=auth(w, "plantA"))
    assert r.status_code == 201, r.text
    row = _one(w, gs.gates_decisions, gs.gates_decisions.c.id == r.json()["decision_id"])
    assert row["kind"] == "override" and row["allowed"] is True and row["operator"] == "plantA"
    assert row["note"] == "应急保障运输，已登记" and row["params"]["overridden_from"] is False
    audit = _one(w, s.audit_log, s.audit_log.c.entity == "gate_decision", s.audit_log.c.entity_id == str(pid))
    assert audit["actor"] == "plantA" and audit["action"] == "override"
    live = get(client, w, "city", f"/gates?enterprise={w['a']}")
    assert "plantA" in live.text and "应急保障运输" in live.text
    assert "gt-override" not in live.text            # a regulator gets no guard's form
    assert 'data-override="%s"' % pid in get(client, w, "plantA", f"/gates?enterprise={w['a']}").text


def test_the_guard_completes_an_unknown_stage_and_the_decision_is_made_again(site):
    w, client = site
    row = _one(w, gs.gates_ledger, gs.gates_ledger.c.plate == UNKNOWN)
    assert row["stage_unknown"]
    url = f"/api/v1/gates/ledger/{row['id']}/stage"
    bad = client.post(url, json={"emission_stage": "国九"}, headers={**auth(w, "plantA"), "Accept-Language": "zh"})
    assert bad.status_code == 422 and "emission_stage" in bad.json()["detail"]
    assert client.post(url, json={"emission_stage": "4"}, headers=auth(w, "city")).status_code == 403
    assert client.post(url, json={"emission_stage": "4"}, headers=auth(w, "plantB")).status_code == 404
    r = client.post(url, json={"emission_stage": "国四", "fuel": "柴油"},
                    headers={**auth(w, "plantA"), "Accept-Language": "zh"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stage"] == "4" and body["decision"]["allowed"] is False
    assert body["decision"]["reason"] == "stage_below" and "国四" in body["decision"]["message"]
    done = _one(w, gs.gates_ledger, gs.gates_ledger.c.id == row["id"])
    assert done["emission_stage"] == "4" and not done["stage_unknown"] and done["fuel"] == "diesel"
    decision = _one(w, gs.gates_decisions, gs.gates_decisions.c.passage_id == row["passage_id"],
                    gs.gates_decisions.c.kind == "complete")
    assert decision["operator"] == "plantA" and decision["reason"] == "stage_below"
    assert _one(w, s.audit_log, s.audit_log.c.entity == "gate_ledger")["actor"] == "plantA"
    again = client.post(url, json={"emission_stage": "5"}, headers={**auth(w, "plantA"), "Accept-Language": "vi"})
    assert again.status_code == 422 and "đã" in again.json()["detail"]


@pytest.mark.parametrize("lang, problem", [("zh", "需要填写原因"), ("vi", "cần có lý do")])
def test_the_guard_forms_on_the_pages(site, lang, problem):
    w, client = site
    pid = _passage(w, STAGE4)
    h = auth(w, "plantA")
    r = client.post(f"/gates/passages/{pid}/override?lang={lang}", data={"allowed": "1", "reason": ""}, headers=h)
    assert r.status_code == 303 and "problem=reason" in r.headers["location"]
    shown = client.get(r.headers["location"] + f"&lang={lang}", headers=h)
    assert problem in shown.text
    r = client.post(f"/gates/passages/{pid}/override", data={"allowed": "1", "reason": "持证"}, headers=h)
    assert r.status_code == 303 and f"done={pid}" in r.headers["location"]
    assert client.post(f"/gates/passages/{pid}/override", data={"allowed": "1", "reason": "x"},
                       headers=auth(w, "city")).status_code == 403
    row = _one(w, gs.gates_ledger, gs.gates_ledger.c.plate == UNKNOWN)
    ledger = get(client, w, "plantA", "/gates/ledger?unknown=1", lang)
    assert f'data-complete="{row["id"]}"' in ledger.text
    assert f'data-complete="{row["id"]}"' not in get(client, w, "city", "/gates/ledger?unknown=1", lang).text
    r = client.post(f"/gates/ledger/{row['id']}/stage", data={"emission_stage": "6"}, headers=h)
    assert r.status_code == 303 and f"done={row['id']}" in r.headers["location"]
    assert _one(w, gs.gates_ledger, gs.gates_ledger.c.id == row["id"])["emission_stage"] == "6"
    assert client.post(f"/gates/ledger/{row['id']}/stage", data={"emission_stage": "6"},
                       headers=auth(w, "plantB")).status_code == 404
