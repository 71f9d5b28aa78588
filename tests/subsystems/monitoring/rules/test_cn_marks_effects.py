"""Worked examples: what marks make of an hour (rules/cn/marks.py), and automatic gap marks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.contracts.catalogue import RULES
from ecosentry.subsystems.monitoring.rules.cn.marks import (
    MARK_EFFECTS,
    MarkSettings,
    MarkSpan,
    auto_gap_marks,
    effect_of,
    hour_mark_effect,
)

CST = timezone(timedelta(hours=8))


def t(hh: int, mm: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=CST)


def hour(hh: int) -> tuple[datetime, datetime]:
    return t(hh), t(hh) + timedelta(hours=1)


def span(id_, type_, start, end, *, source="manual", status="approved", factors=None) -> MarkSpan:
    return MarkSpan(id_, None if factors is None else frozenset(factors), type_, start, end, source, status)


def test_effects_table_and_codes_registered():
    assert {MARK_EFFECTS[k] for k in ("maintenance", "calibration", "fault", "comm_interruption")} == {"invalid"}
    assert MARK_EFFECTS["stopped"] == MARK_EFFECTS["startup_shutdown"] == "excluded"
    assert MARK_EFFECTS["standard_sample_check"] == "exempt"
    assert effect_of("force_majeure") == effect_of("non_attributable") == "excluded"
    assert effect_of("non_attributable", MarkSettings(non_attributable_effect="invalid")) == "invalid"
    for code in ("CN-MARK-INVALID", "CN-MARK-EXCLUDED", "CN-MARK-EXEMPT", "CN-MARK-AUTO-GAP", "CN-MARK-PRECEDENCE"):
        assert RULES[code].module == "ecosentry.subsystems.monitoring.rules.cn.marks"
    with pytest.raises(ValueError, match="unknown mark type"):
        effect_of("holiday")


def test_ten_minute_mark_invalidates_one_hour():
    # maintenance 08:20–08:30 = 10 min inside 08:00–09:00 (≥ 1 min) → the 08 hour is invalid;
    # the 09 hour has 0 min of overlap → untouched.
    m = span(1, "maintenance", t(8, 20), t(8, 30))
    assert hour_mark_effect([m], "a21026", *hour(8)) == (
        "invalid", (1,), "CN-MARK-INVALID: manual mark #1 maintenance (invalid)")
    assert hour_mark_effect([m], "a21026", *hour(9)) == (None, (), None)
    assert hour_mark_effect([m], "a21026", *hour(7)) == (None, (), None)


def test_mark_0850_to_0910_touches_two_hours():
    # 08:50–09:10: 10 min in the 08 hour, 10 min in the 09 hour → both invalid; 10 hour untouched.
    m = span(2, "calibration", t(8, 50), t(9, 10))
    assert hour_mark_effect([m], "a21026", *hour(8))[0] == "invalid"
    assert hour_mark_effect([m], "a21026", *hour(9))[0] == "invalid"
    assert hour_mark_effect([m], "a21026", *hour(10))[0] is None


def test_overlap_must_be_at_least_one_minute():
    # ends exactly at 09:00 → 0 min in the 09 hour; 08:59:30–09:00:30 → 30 s in each hour → neither.
    assert hour_mark_effect([span(3, "fault", t(8, 0), t(9, 0))], "a21026", *hour(9))[0] is None
    m = span(4, "fault", t(8, 59) + timedelta(seconds=30), t(9, 0) + timedelta(seconds=30))
    assert hour_mark_effect([m], "a21026", *hour(8))[0] is None
    assert hour_mark_effect([m], "a21026", *hour(9))[0] is None
    # 08:59–09:01 → exactly 1 min each → both
    m = span(5, "fault", t(8, 59), t(9, 1))
    assert hour_mark_effect([m], "a21026", *hour(8))[0] == hour_mark_effect([m], "a21026", *hour(9))[0] == "invalid"


def test_open_mark_runs_on():
    m = span(6, "stopped", t(8, 30), None)
    assert hour_mark_effect([m], "a21026", *hour(8))[0] == "excluded"
    assert hour_mark_effect([m], "a21026", t(0, day=30), t(1, day=30))[0] == "excluded"   # a week later
    assert hour_mark_effect([m], "a21026", *hour(7))[0] is None


def test_rejected_mark_has_no_effect_and_filed_counts_by_default():
    rejected = span(7, "maintenance", t(8), t(9), status="rejected")
    assert hour_mark_effect([rejected], "a21026", *hour(8)) == (None, (), None)
    filed = span(8, "maintenance", t(8), t(9), status="filed")
    assert hour_mark_effect([filed], "a21026", *hour(8))[0] == "invalid"
    assert hour_mark_effect([filed], "a21026", *hour(8), MarkSettings(count_filed=False))[0] is None


def test_manual_beats_auto_in_the_same_hour():
    # auto comm interruption 08:10–08:40 (invalid) and manual 停运 08:00–09:00 (excluded):
    # the manual mark decides → excluded, ids = (manual,), the auto mark is named as overridden.
    auto = span(10, "comm_interruption", t(8, 10), t(8, 40), source="auto")
    manual = span(11, "stopped", t(8), t(9))
    effect, ids, reason = hour_mark_effect([auto, manual], "a21026", *hour(8))
    assert (effect, ids) == ("excluded", (11,))
    assert "CN-MARK-PRECEDENCE" in reason and "#10" in reason
    # even when the manual mark is "weaker": manual 标样核查 (exempt) beats auto comm interruption (invalid)
    manual_exempt = span(12, "standard_sample_check", t(8, 5), t(8, 50))
    assert hour_mark_effect([auto, manual_exempt], "w01018", *hour(8))[:2] == ("exempt", (12,))
    # a rejected manual mark does not override: the auto mark decides again
    rejected = span(13, "stopped", t(8), t(9), status="rejected")
    assert hour_mark_effect([auto, rejected], "a21026", *hour(8))[:2] == ("invalid", (10,))
    # without a manual mark, the auto mark decides
    assert hour_mark_effect([auto], "a21026", *hour(8))[:2] == ("invalid", (10,))


def test_several_manual_marks_excluded_beats_invalid_beats_exempt():
    marks = [span(20, "standard_sample_check", t(8, 0), t(8, 30)), span(21, "maintenance", t(8, 30), t(8, 40))]
    assert hour_mark_effect(marks, "w01018", *hour(8))[:2] == ("invalid", (20, 21))
    marks.append(span(22, "stopped", t(8, 40), t(9)))
    assert hour_mark_effect(marks, "w01018", *hour(8))[:2] == ("excluded", (20, 21, 22))


def test_factor_scope():
    m = span(30, "fault", t(8), t(9), factors={"a21026"})
    assert hour_mark_effect([m], "a21026", *hour(8))[0] == "invalid"
    assert hour_mark_effect([m], "a21002", *hour(8))[0] is None          # NOx not covered
    pointwide = span(31, "stopped", t(8), t(9))
    assert hour_mark_effect([pointwide], "a21002", *hour(8))[0] == "excluded"


# ------------------------------------------------------------------ automatic gap marks

def minutes(first: datetime, last: datetime, step: int = 1) -> list[datetime]:
    out, x = [], first
    while x <= last:
        out.append(x)
        x += timedelta(minutes=step)
    return out


def test_gap_of_16_minutes_gets_a_mark_15_does_not():
    w0, w1 = t(8), t(9)
    # records 08:00…08:10 (cover to 08:11) and 08:26…08:59: uncovered 08:11–08:26 = 15 min → no mark
    data = minutes(t(8, 0), t(8, 10)) + minutes(t(8, 26), t(8, 59))
    assert auto_gap_marks(data, 1, w0, w1) == []
    # records 08:00…08:10 and 08:27…08:59: uncovered 08:11–08:27 = 16 min > 15 → one mark
    data = minutes(t(8, 0), t(8, 10)) + minutes(t(8, 27), t(8, 59))
    assert auto_gap_marks(data, 1, w0, w1) == [(t(8, 11), t(8, 27))]


def test_gaps_at_window_edges_and_empty_window():
    # nothing until 08:20, nothing after 08:39: 08:00–08:20 (20 min) and 08:40–09:00 (20 min)
    data = minutes(t(8, 20), t(8, 39))
    assert auto_gap_marks(data, 1, t(8), t(9)) == [(t(8), t(8, 20)), (t(8, 40), t(9))]
    assert auto_gap_marks([], 1, t(8), t(9)) == [(t(8), t(9))]
    # a record before the window covering into it counts (10-min water data at 07:55 covers to 08:05)
    assert auto_gap_marks([t(7, 55)] + minutes(t(8, 5), t(8, 55), 10), 10, t(8), t(9)) == []


def test_ten_minute_interval():
    # 10-min data at 08:00, 08:10, then 08:40: uncovered 08:20–08:40 = 20 min → mark; 08:50 missing
    # alone (covered 08:40–08:50, then 08:50–09:00 = 10 min) → none.
    data = [t(8, 0), t(8, 10), t(8, 40)]
    assert auto_gap_marks(data, 10, t(8), t(9)) == [(t(8, 20), t(8, 40))]


def test_auto_gap_mark_decides_an_hour_only_beyond_15_minutes_of_it():
    # CN-MARK-AUTO-GAP and CN-HOUR-45MIN: 60 − 45 = 15 minutes may be missing in a valid hour.
    # A 20-minute gap 08:50–09:10 covers 10 minutes of each hour: both keep 50 minutes of data → no effect.
    straddling = span(20, "comm_interruption", t(8, 50), t(9, 10), source="auto")
    assert hour_mark_effect([straddling], "a21026", *hour(8)) == (None, (), None)
    assert hour_mark_effect([straddling], "a21026", *hour(9)) == (None, (), None)
    # exactly 15 minutes inside the hour (08:10–08:25): 45 minutes remain → no effect
    fifteen = span(21, "comm_interruption", t(8, 10), t(8, 25), source="auto")
    assert hour_mark_effect([fifteen], "a21026", *hour(8))[0] is None
    # 16 minutes inside the hour (08:10–08:26): only 44 minutes can remain → the hour is invalid by the mark
    sixteen = span(22, "comm_interruption", t(8, 10), t(8, 26), source="auto")
    assert hour_mark_effect([sixteen], "a21026", *hour(8))[:2] == ("invalid", (22,))
    # a manual comm-interruption mark of any length still decides the hours it touches
    manual = span(23, "comm_interruption", t(8, 50), t(9, 10))
    assert hour_mark_effect([manual], "a21026", *hour(9))[:2] == ("invalid", (23,))
