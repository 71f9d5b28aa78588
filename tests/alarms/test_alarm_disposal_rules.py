"""The supervision (督办) state machine on constructed cases: allowed steps by party, deadlines by severity,
overdue, whose move it is, evidence files, over-long texts (no database, no clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.alarms.disposal import (LIMITS, STEPS, TRANSITIONS, Deadlines, DisposalConflict, DisposalError,
                                       DisposalForbidden, check_evidence, check_text, due_after, feedback_due,
                                       is_overdue, next_action, overdue_audience, party_of, transition)

T0 = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
D = Deadlines()


def test_the_whole_path_and_a_return():
    state = None
    for step, party, expected in [("push", "regulator", "pushed"), ("handle", "enterprise", "handling"),
                                  ("feedback", "enterprise", "feedback"), ("return", "regulator", "returned"),
                                  ("feedback", "enterprise", "feedback"), ("accept", "regulator", "verified"),
                                  ("close", "regulator", "closed")]:
        state = transition(state, step, party)
        assert state == expected


@pytest.mark.parametrize("state", [None, "pushed", "handling", "feedback", "returned", "verified", "closed"])
def test_every_step_outside_its_states_is_a_conflict(state):
    for step, (party, sources, _target) in TRANSITIONS.items():
        if state in sources:
            assert transition(state, step, party)
        else:
            with pytest.raises(DisposalConflict):
                transition(state, step, party)


def test_the_other_party_may_not_take_a_step():
    with pytest.raises(DisposalForbidden, match="only the regulator"):
        transition(None, "push", "enterprise")
    with pytest.raises(DisposalForbidden, match="only the enterprise"):
        transition("handling", "feedback", "regulator")
    # roles: a regulator never answers for the enterprise, an enterprise never checks its own answer
    assert party_of("regulator", "accept") == "regulator" and party_of("enterprise", "feedback") == "enterprise"
    assert party_of("admin", "feedback") == "enterprise" and party_of("admin", "close") == "regulator"
    for role, step in [("regulator", "feedback"), ("enterprise", "accept"), ("om", "handle"), ("park", "push"),
                       ("public", "push")]:
        with pytest.raises(DisposalForbidden):
            party_of(role, step)
    with pytest.raises(DisposalError, match="unknown"):
        party_of("admin", "approve")
    assert set(STEPS) == set(TRANSITIONS)


def test_deadlines_by_severity_and_step():
    # feedback: 24 h for a critical alarm, 72 h otherwise; a deadline the regulator gives wins
    assert feedback_due("critical", T0, D) == T0 + timedelta(hours=24)
    assert feedback_due("warning", T0, D) == T0 + timedelta(hours=72)
    assert feedback_due("warning", T0, D, T0 + timedelta(hours=5)) == T0 + timedelta(hours=5)
    with pytest.raises(DisposalError, match="after the push"):
        feedback_due("warning", T0, D, T0)
    fb = T0 + timedelta(hours=24)
    # pushed: the acknowledgement (2 h critical, 8 h otherwise), never after the feedback deadline
    assert due_after("pushed", "critical", T0, D, fb) == T0 + timedelta(hours=2)
    assert due_after("pushed", "warning", T0, D, T0 + timedelta(hours=3)) == T0 + timedelta(hours=3)
    assert due_after("handling", "critical", T0 + timedelta(hours=1), D, fb) == fb
    assert due_after("returned", "info", T0, D, fb) == T0 + timedelta(hours=72)
    assert due_after("feedback", "critical", T0, D) == T0 + timedelta(hours=72)
    assert due_after("verified", "critical", T0, D) == T0 + timedelta(hours=72)
    assert due_after("closed", "critical", T0, D) is None
    with pytest.raises(ValueError, match="positive"):
        Deadlines(verify=timedelta(0))


def test_overdue_and_whose_move_it_is():
    case = {"state": "handling", "due_at": T0}
    assert not is_overdue(case, T0) and is_overdue(case, T0 + timedelta(seconds=1))
    assert not is_overdue({"state": "closed", "due_at": T0}, T0 + timedelta(days=9)) and not is_overdue(None, T0)
    ent = next_action(case, ("enterprise",), T0 + timedelta(hours=1))
    assert (ent.party, ent.step, ent.due_at, ent.overdue, ent.yours) == ("enterprise", "feedback", T0, True, True)
    reg = next_action(case, ("regulator",), T0 - timedelta(hours=1))
    assert (reg.yours, reg.overdue) == (False, False)
    assert next_action({"state": "feedback", "due_at": T0}, ("regulator",), T0).step == "verify"
    assert next_action({"state": "closed"}, ("regulator",), T0) is None and next_action(None, (), T0) is None


def test_overdue_goes_one_level_above_the_late_party():
    # county, city, province: an enterprise late → the county and the city; a regulator late → the province too
    assert overdue_audience("enterprise", 3, 2) == 2
    assert overdue_audience("regulator", 3, 2) == 3
    assert overdue_audience("regulator", 2, 2) == 2 and overdue_audience("enterprise", 1, 2) == 1


def test_texts_required_and_limited():
    assert check_text("request", "  请于24小时内反馈  ", required=True) == "请于24小时内反馈"
    assert check_text("comment", "  ", required=False) is None
    with pytest.raises(DisposalError, match="reason is required"):
        check_text("reason", " ", required=True)
    assert check_text("measures", "措" * LIMITS["measures"], required=True)
    with pytest.raises(DisposalError, match="4001 characters long; at most 4000"):
        check_text("measures", "措" * (LIMITS["measures"] + 1), required=True)


def test_evidence_files_checked_by_kind_content_and_size():
    assert check_evidence("C:\\现场\\照片.JPG", b"\xff\xd8\xff\xe0rest", 100) == ("照片.JPG", "image/jpeg")
    assert check_evidence("../../etc/报告.pdf", b"%PDF-1.7 ...", 100) == ("报告.pdf", "application/pdf")
    assert check_evidence("说明.txt", "整改说明".encode(), 100)[1].startswith("text/plain")
    for name, data, why in [("x.html", b"<html>", "only"), ("x.exe", b"MZ", "only"), ("noext", b"x", "only"),
                            ("x.pdf", b"<script>", "not what its name says"),
                            ("x.png", b"\xff\xd8\xff", "not what its name says"),
                            ("x.txt", b"\xff\xfe\x00", "not what its name says"),
                            ("x.pdf", b"", "empty"), ("x.pdf", b"%PDF-" + b"0" * 200, "larger than"),
                            ("", b"%PDF-", "file name")]:
        with pytest.raises(DisposalError, match=why):
            check_evidence(name, data, 100)
