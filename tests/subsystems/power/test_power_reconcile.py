"""Findings of an evaluation against the stored ones (pure): same span → the same finding; a span cut by the
window continues the stored one; a stored open finding no longer found ends; nothing changes on the same data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.rules.reconcile import KEY_MAX, finding_key, plan

T = datetime(2026, 12, 1, 8, tzinfo=timezone.utc)


def finding(start: int, end: int, open_: bool, minutes: int | None = None) -> Finding:
    return Finding("PWR-TREAT-OFF", "1", ("P1", "T1"), T + timedelta(minutes=start), T + timedelta(minutes=end),
                   T + timedelta(minutes=start + 2), "Treatment %(minutes)s", {"minutes": minutes or end - start},
                   {}, open_)


def row(id_: int, start: int, end: int | None, minutes: int) -> dict:
    return {"id": id_, "code": "PWR-TREAT-OFF", "key": "P1,T1", "start_at": T + timedelta(minutes=start),
            "end_at": None if end is None else T + timedelta(minutes=end), "detected_at": T + timedelta(minutes=start + 2),
            "params": {"msgid": "Treatment %(minutes)s", "minutes": minutes}}


def test_the_same_span_is_the_same_finding_and_nothing_changes_on_the_same_data():
    p = plan([finding(10, 30, True)], [row(1, 10, None, 20)], T, T + timedelta(minutes=30))
    assert p.actions == []
    p = plan([finding(10, 31, True)], [row(1, 10, None, 20)], T, T + timedelta(minutes=31))
    [a] = p.actions
    assert (a.kind, a.alarm, a.row["id"], a.end) == ("update", "refresh", 1, None)
    p = plan([finding(10, 25, False)], [row(1, 10, None, 20)], T, T + timedelta(minutes=31))
    [a] = p.actions
    assert (a.kind, a.alarm, a.end) == ("update", "clear", T + timedelta(minutes=25))


def test_a_span_cut_by_the_window_continues_the_stored_one():
    window = T + timedelta(minutes=60)
    p = plan([finding(60, 200, True, minutes=140)], [row(1, 10, None, 150)], window, T + timedelta(minutes=200))
    [a] = p.actions
    assert (a.kind, a.row["id"]) == ("update", 1)


def test_a_stored_open_finding_no_longer_found_ends():
    p = plan([], [row(1, 10, None, 5), row(2, 70, None, 5)], T + timedelta(minutes=60), T + timedelta(minutes=80))
    assert [(a.kind, a.row["id"], a.end, a.alarm) for a in p.actions] == [
        ("close", 1, T + timedelta(minutes=60), "clear"), ("close", 2, T + timedelta(minutes=80), "clear")]


def test_new_findings_open_or_already_ended():
    p = plan([finding(10, 20, False), finding(40, 50, True)], [], T, T + timedelta(minutes=50))
    assert [(a.kind, a.alarm) for a in p.actions] == [("insert", "raise_clear"), ("insert", "raise")]


def test_a_long_key_fits_its_column_and_stays_apart():
    a = Finding("PWR-TREAT-OFF", "1", tuple(f"{'X' * 39}{i}" for i in range(6)), T, T, T, "", {})
    b = Finding("PWR-TREAT-OFF", "1", tuple(f"{'X' * 39}{i}" for i in range(7)), T, T, T, "", {})
    assert len(finding_key(a)) == KEY_MAX and finding_key(a) != finding_key(b)
