"""The work-order state machine (issue 18 item 2): every allowed move, every refused one with a clear error, times
only moving forward, reopening after a rejected review."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.subsystems.om.rules.workorders import (
    ACTIONS, STATES, TransitionRefused, WorkOrder, allowed_actions, apply, next_state, parse_kind)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CST)


def order(kind: str = "device_fault") -> WorkOrder:
    return WorkOrder("W1", "P1", kind, T0)


def test_the_whole_life_of_an_order_with_its_times():
    o = order()
    steps = [("assign", "assigned"), ("accept", "accepted"), ("arrive", "on_site"), ("finish", "done"),
             ("approve", "reviewed")]
    for i, (action, state) in enumerate(steps, start=1):
        o = apply(o, action, T0 + timedelta(hours=i), assignee="王工" if action == "assign" else None)
        assert o.state == state
    assert (o.assigned_at, o.on_site_at, o.done_at, o.reviewed_at) == (
        T0 + timedelta(hours=1), T0 + timedelta(hours=3), T0 + timedelta(hours=4), T0 + timedelta(hours=5))
    assert o.assignee == "王工" and [h[1] for h in o.history] == [s for _, s in steps]
    assert allowed_actions("reviewed") == []


def test_a_rejected_review_reopens_the_order_and_clears_the_visit():
    o = order("calibration")
    for i, a in enumerate(["assign", "accept", "arrive", "finish", "reject"], start=1):
        o = apply(o, a, T0 + timedelta(hours=i), assignee="李工")
    assert o.state == "rejected" and o.done_at is not None
    o = apply(o, "reopen", T0 + timedelta(hours=6))
    assert o.state == "assigned" and o.done_at is None and o.on_site_at is None and o.rejected_at is not None
    o = apply(apply(apply(o, "accept", T0 + timedelta(hours=7)), "arrive", T0 + timedelta(hours=8)), "finish",
              T0 + timedelta(hours=9))
    assert o.done_at == T0 + timedelta(hours=9)


def test_every_move_not_in_the_table_is_refused_with_the_states_named():
    refused = 0
    for state in STATES:
        for action in ACTIONS:
            if state in ACTIONS[action]:
                assert next_state(state, action) == ACTIONS[action][state]
                continue
            with pytest.raises(TransitionRefused) as exc:
                next_state(state, action)
            refused += 1
            assert "cannot be" in str(exc.value)
    assert refused == len(STATES) * len(ACTIONS) - sum(len(m) for m in ACTIONS.values())
    with pytest.raises(TransitionRefused, match="that is done cannot be marked on site; from done it can only be: "
                                                "approved, rejected"):
        next_state("done", "arrive")
    with pytest.raises(TransitionRefused, match="that is cancelled cannot be assigned; .* only be: -"):
        next_state("cancelled", "assign")


def test_the_refusal_said_in_chinese():
    words = {"done": "已完成", "marked on site": "标记为到场", "approved": "审核通过", "rejected": "已驳回",
             "A work order that is %(state)s cannot be %(action)s; from %(state)s it can only be: %(allowed)s.":
             "%(state)s的工单不能%(action)s；处于%(state)s时只能：%(allowed)s。"}
    with pytest.raises(TransitionRefused) as exc:
        next_state("done", "arrive")
    assert exc.value.say(lambda m: words.get(m, m)) == "已完成的工单不能标记为到场；处于已完成时只能：审核通过, 已驳回。"


def test_cancel_only_before_the_visit_and_times_only_forward():
    o = apply(order(), "assign", T0 + timedelta(hours=1), assignee="张工")
    assert apply(o, "cancel", T0 + timedelta(hours=2)).state == "cancelled"
    on_site = apply(apply(o, "accept", T0 + timedelta(hours=2)), "arrive", T0 + timedelta(hours=3))
    with pytest.raises(TransitionRefused):
        apply(on_site, "cancel", T0 + timedelta(hours=4))
    with pytest.raises(TransitionRefused, match="before the order's last event"):
        apply(on_site, "finish", T0 + timedelta(hours=2))
    with pytest.raises(TransitionRefused, match="needs the engineer"):
        apply(order(), "assign", T0)
    with pytest.raises(TransitionRefused, match="not a work-order kind"):
        WorkOrder("W2", "P1", "coffee", T0)


def test_kinds_from_alarms_and_planned_and_the_words_files_use():
    assert order("offline").from_alarm and not order("comparison").from_alarm
    assert [parse_kind(w) for w in ("故障", "比对", "校验", "Weekly inspection", "drift", "nothing")] == [
        "device_fault", "comparison", "verification", "weekly_inspection", "drift", None]
