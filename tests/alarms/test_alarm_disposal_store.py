"""The supervision (督办) store on SQLite and PostgreSQL: a whole case with every step timestamped, its actor and
party, the alarm's history and the audit log; evidence files kept with their hash; bad steps, bad files and
over-long texts refused with a sentence and nothing written; the overdue claim taken once."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from alarm_testkit import _pg_session_db, _sqlite_template, alarm_db_url, engine, gas_point  # noqa: F401
from ecosentry.alarms import disposal_store as ds
from ecosentry.alarms import store
from ecosentry.alarms.disposal import Deadlines, DisposalConflict, DisposalError, DisposalForbidden
from ecosentry.alarms.store import AlarmNotFound
from ecosentry.store import audit
from ecosentry.store import schema as s

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
D = Deadlines()
PDF = b"%PDF-1.4\n% site inspection\n"


def _alarm(engine, point, severity="critical") -> int:
    alarm, _ = store.raise_alarm(engine, type="ALM-EXCEEDANCE", source_type="point", source_id=point,
                                 severity=severity, title="SO2 hourly exceedance", explanation="SO2 120 > 100",
                                 evidence={"value": 120}, point_id=point, factor_codes=["a21026"], at=T0)
    return int(alarm["id"])


def _step(engine, alarm_id, step, role, at, **kw):
    actor = {"regulator": "county-officer", "enterprise": "ent-officer", "admin": "root"}[role]
    return ds.take_step(engine, alarm_id, step, actor=actor, role=role, deadlines=D, at=at, **kw)


def _count(engine, table) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_whole_case_with_a_return(engine, gas_point):
    aid = _alarm(engine, gas_point)
    pushed = _step(engine, aid, "push", "regulator", T0 + timedelta(minutes=5), text="请核查超标原因并反馈整改措施")
    assert pushed["state"] == "pushed" and pushed["owed_by"] == "enterprise"
    # critical: acknowledge within 2 h, feedback within 24 h of the push
    assert pushed["due_at"] == T0 + timedelta(hours=2, minutes=5)
    assert pushed["feedback_due_at"] == T0 + timedelta(hours=24, minutes=5)
    assert store.get_alarm(engine, aid)["state"] == "acknowledged"  # the push stops the escalation
    handled = _step(engine, aid, "handle", "enterprise", T0 + timedelta(hours=1))
    assert handled["state"] == "handling" and handled["due_at"] == T0 + timedelta(hours=24, minutes=5)
    fb = _step(engine, aid, "feedback", "enterprise", T0 + timedelta(hours=3), cause="脱硫塔浆液泵故障",
               measures="更换备用泵，已恢复正常运行", files=[("现场记录.pdf", PDF), ("说明.txt", "泵检修记录".encode())])
    assert fb["state"] == "feedback" and fb["owed_by"] == "regulator" and fb["rounds"] == 1
    assert fb["due_at"] == T0 + timedelta(hours=75)
    ret = _step(engine, aid, "return", "regulator", T0 + timedelta(hours=4), text="请补充检修前后的运行记录")
    assert ret["state"] == "returned" and ret["due_at"] == T0 + timedelta(hours=28)
    _step(engine, aid, "feedback", "enterprise", T0 + timedelta(hours=5), cause="同上", measures="补充运行记录",
          files=[("运行记录.pdf", PDF)])
    _step(engine, aid, "accept", "regulator", T0 + timedelta(hours=6))
    closed = _step(engine, aid, "close", "regulator", T0 + timedelta(hours=7), text="整改到位，结案")
    assert closed["state"] == "closed" and closed["due_at"] is None and closed["owed_by"] is None
    assert closed["closed_by"] == "county-officer" and closed["rounds"] == 2

    steps = closed["steps"]
    assert [(x["step"], x["actor"], x["party"], x["from_state"], x["to_state"]) for x in steps] == [
        ("push", "county-officer", "regulator", None, "pushed"),
        ("handle", "ent-officer", "enterprise", "pushed", "handling"),
        ("feedback", "ent-officer", "enterprise", "handling", "feedback"),
        ("return", "county-officer", "regulator", "feedback", "returned"),
        ("feedback", "ent-officer", "enterprise", "returned", "feedback"),
        ("accept", "county-officer", "regulator", "feedback", "verified"),
        ("close", "county-officer", "regulator", "verified", "closed")]
    assert [x["at"] for x in steps] == sorted(x["at"] for x in steps) and steps[0]["at"] == T0 + timedelta(minutes=5)
    files = steps[2]["files"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("现场记录.pdf", "application/pdf", len(PDF)), ("说明.txt", "text/plain; charset=utf-8", 15)]
    assert "data" not in files[0]
    got = ds.evidence_file(engine, aid, files[0]["id"])
    assert bytes(got["data"]) == PDF and got["sha256"] == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(AlarmNotFound):
        ds.evidence_file(engine, aid + 1, files[0]["id"])

    alarm = store.alarm_detail(engine, aid)
    assert alarm["state"] == "cleared" and alarm["clear_reason"] == "整改到位，结案"
    assert [e["kind"] for e in alarm["events"]] == ["raised", "acknowledged", "pushed", "handled", "feedback",
                                                    "returned", "feedback", "accepted", "cleared", "closed"]
    actions = [(r["action"], r["actor"]) for r in reversed(audit.list_audit(engine, "alarm", aid))]
    assert actions[1:] == [("disposal_push", "county-officer"), ("disposal_handle", "ent-officer"),
                           ("disposal_feedback", "ent-officer"), ("disposal_return", "county-officer"),
                           ("disposal_feedback", "ent-officer"), ("disposal_accept", "county-officer"),
                           ("disposal_close", "county-officer")]


def test_bad_steps_texts_and_files_are_refused_and_nothing_is_written(engine, gas_point):
    aid = _alarm(engine, gas_point, severity="warning")
    with pytest.raises(DisposalConflict, match="not been pushed"):
        _step(engine, aid, "feedback", "enterprise", T0, cause="x", measures="y")
    with pytest.raises(DisposalForbidden, match="only the regulator"):
        _step(engine, aid, "push", "enterprise", T0, text="x")
    with pytest.raises(DisposalError, match="request to the enterprise is required"):
        _step(engine, aid, "push", "regulator", T0, text="   ")
    # over-long texts get the sentence, not a database error (Text columns; the limit is ours)
    with pytest.raises(DisposalError, match="2001 characters long; at most 2000"):
        _step(engine, aid, "push", "regulator", T0, text="查" * 2001)
    with pytest.raises(DisposalError, match="after the push"):
        _step(engine, aid, "push", "regulator", T0, text="请反馈", due=T0 - timedelta(hours=1))
    with pytest.raises(AlarmNotFound):
        _step(engine, aid + 99, "push", "regulator", T0, text="请反馈")
    assert ds.case(engine, aid) is None and _count(engine, s.alarm_disposal_steps) == 0
    assert store.get_alarm(engine, aid)["state"] == "active"

    pushed = _step(engine, aid, "push", "regulator", T0, text="请反馈", due=T0 + timedelta(hours=12))
    assert pushed["feedback_due_at"] == T0 + timedelta(hours=12) and pushed["due_at"] == T0 + timedelta(hours=8)
    with pytest.raises(DisposalConflict, match="already under supervision"):
        _step(engine, aid, "push", "regulator", T0, text="again")
    with pytest.raises(DisposalConflict, match="current state"):
        _step(engine, aid, "feedback", "enterprise", T0, cause="x", measures="y")
    _step(engine, aid, "handle", "enterprise", T0 + timedelta(minutes=1), text="已签收")
    for kw, why in [({"cause": "x", "measures": "措" * 4001}, "4001 characters"),
                    ({"cause": "x", "measures": " "}, "measures taken are required"),
                    ({"cause": "x", "measures": "y", "files": [("a.html", b"<script>")]}, "only"),
                    ({"cause": "x", "measures": "y", "files": [("a.pdf", b"MZ\x90")]}, "not what its name says"),
                    ({"cause": "x", "measures": "y", "files": [("a.pdf", PDF)] * 11}, "at most 10"),
                    ({"cause": "x", "measures": "y", "files": [("a.pdf", PDF + b"0" * 100)],
                      "max_file_bytes": 50}, "larger than")]:
        with pytest.raises(DisposalError, match=why):
            _step(engine, aid, "feedback", "enterprise", T0 + timedelta(minutes=2), **kw)
    case = ds.case(engine, aid)
    assert case["state"] == "handling" and len(case["steps"]) == 2 and _count(engine, s.alarm_disposal_files) == 0
    with pytest.raises(DisposalForbidden):
        _step(engine, aid, "accept", "enterprise", T0)
    # an admin may act for either party; the party is recorded
    fb = _step(engine, aid, "feedback", "admin", T0 + timedelta(minutes=3), cause="x", measures="y")
    assert fb["steps"][-1]["party"] == "enterprise" and fb["steps"][-1]["actor"] == "root"


def test_overdue_is_claimed_once_per_step(engine, gas_point):
    aid = _alarm(engine, gas_point)
    _step(engine, aid, "push", "regulator", T0, text="请反馈")
    assert ds.overdue_cases(engine, T0 + timedelta(hours=2)) == []  # due exactly now: not yet overdue
    late = ds.overdue_cases(engine, T0 + timedelta(hours=2, seconds=1))
    assert [(c["alarm_id"], c["owed_by"], c["alarm"]["severity"]) for c in late] == [(aid, "enterprise", "critical")]
    assert ds.claim_overdue(engine, late[0], T0 + timedelta(hours=2, minutes=1)) is not None
    assert ds.claim_overdue(engine, late[0], T0 + timedelta(hours=2, minutes=2)) is None  # a second tick
    assert ds.overdue_cases(engine, T0 + timedelta(hours=3)) == []
    # the next step has its own deadline and its own overdue notice
    _step(engine, aid, "handle", "enterprise", T0 + timedelta(hours=3))
    assert ds.overdue_cases(engine, T0 + timedelta(hours=20)) == []
    assert [c["state"] for c in ds.overdue_cases(engine, T0 + timedelta(hours=25))] == ["handling"]
    events = [e["kind"] for e in store.alarm_detail(engine, aid)["events"]]
    assert events.count("overdue") == 1


def test_two_people_taking_the_same_step_at_once_one_wins(engine, gas_point):
    import threading

    aid = _alarm(engine, gas_point)
    _step(engine, aid, "push", "regulator", T0, text="请反馈")
    barrier, results = threading.Barrier(2), []

    def handle(actor):
        barrier.wait()
        try:
            ds.take_step(engine, aid, "handle", actor=actor, role="enterprise", deadlines=D,
                         at=T0 + timedelta(minutes=1))
            results.append(("ok", actor))
        except DisposalConflict as exc:
            results.append(("conflict", str(exc)))

    threads = [threading.Thread(target=handle, args=(name,)) for name in ("ent-1", "ent-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["conflict", "ok"]
    case = ds.case(engine, aid)
    assert case["state"] == "handling" and [x["step"] for x in case["steps"]] == ["push", "handle"]
