"""The desk's pure rules on worked examples: the connection register's steps and lateness (Decree 08/2022
Art. 97–98, deadline 31 Dec 2024) and the counting of a station-day (Circular 10/2021 Art. 39)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ecosentry.subsystems.monitoring.rules.vn.reception import (ReceivedFile, expected_slots, rank_by_completeness,
                                                                 station_day, sum_receptions)
from ecosentry.subsystems.monitoring.rules.vn.register import (CATEGORIES, LEGAL_DEADLINE, RegisterSettings, category,
                                                                days_late, facility_steps, station_steps)

TZ = "Asia/Ho_Chi_Minh"
ART97 = CATEGORIES["art97-risk-500"]


def test_days_late_run_from_the_deadline_to_the_connection_or_today():
    assert days_late(LEGAL_DEADLINE, date(2025, 1, 5), date(2026, 1, 1)) == 5     # connected 5 days late, for good
    assert days_late(LEGAL_DEADLINE, None, date(2025, 1, 10)) == 10             # not connected yet: counting
    assert days_late(LEGAL_DEADLINE, date(2024, 12, 20), date(2025, 6, 1)) == 0
    with pytest.raises(ValueError, match="art97-iz"):
        category("art-97")


def test_station_steps_with_their_dates():
    week = [(date(2025, 1, 1) + timedelta(days=k), 288, 288) for k in range(10)]
    st = station_steps(1, cat=ART97, obliged_from=None, deadline=None, installed_on=date(2024, 11, 1),
                       connected_on=None, first_file=date(2024, 12, 20), first_accepted=date(2024, 12, 21),
                       recent_days=week)
    assert (st.obliged, st.installed, st.connected, st.transmitting) == (
        date(2022, 1, 10), date(2024, 11, 1), date(2024, 12, 20), date(2024, 12, 21))
    assert st.complete == date(2025, 1, 4) and st.completeness == 1.0   # the last 7 days, all 288 of 288
    assert st.step == "complete" and st.late(date(2025, 2, 1)) == 0 and st.installed_entered
    # 7 days at 270 / 288 = 93.75 % < 95 %: transmitting, not completely
    short = station_steps(2, cat=ART97, obliged_from=None, deadline=None, installed_on=None, connected_on=None,
                          first_file=date(2025, 1, 2), first_accepted=date(2025, 1, 2),
                          recent_days=[(d, 270, 288) for d, _, _ in week])
    assert short.complete is None and short.step == "transmitting"
    assert short.completeness == pytest.approx(270 / 288)
    assert short.installed == date(2025, 1, 2) and not short.installed_entered   # installed = first file
    assert short.late(date(2025, 2, 1)) == 2                                     # connected 2 Jan 2025
    # the threshold is a setting
    lenient = station_steps(2, cat=ART97, obliged_from=None, deadline=None, installed_on=None, connected_on=None,
                            first_file=date(2025, 1, 2), first_accepted=date(2025, 1, 2),
                            recent_days=[(d, 270, 288) for d, _, _ in week],
                            settings=RegisterSettings(complete_share=0.9))
    assert lenient.step == "complete"


def test_a_facility_is_as_far_as_its_last_station_and_late_until_all_are_connected():
    a = station_steps(1, cat=ART97, obliged_from=None, deadline=None, installed_on=date(2024, 10, 1),
                      connected_on=date(2024, 12, 1), first_file=date(2024, 12, 2), first_accepted=date(2024, 12, 2))
    b = station_steps(2, cat=ART97, obliged_from=None, deadline=None, installed_on=date(2024, 12, 30),
                      connected_on=None, first_file=None, first_accepted=None)
    fac = facility_steps(9, [a, b], cat=ART97, obliged_from=None, deadline=None)
    assert fac.installed == date(2024, 12, 30) and fac.connected is None and fac.step == "installed"
    assert fac.late(date(2025, 3, 1)) == 60
    # a new project with its own dates is not late before its own deadline
    new = facility_steps(10, [], cat=ART97, obliged_from=date(2026, 11, 1), deadline=date(2027, 2, 1))
    assert new.step == "obliged" and new.late(date(2026, 12, 6)) == 0
    # a facility not obliged is never late
    free = facility_steps(11, [], cat=CATEGORIES["not-obliged"], obliged_from=None, deadline=None)
    assert free.step is None and free.late(date(2030, 1, 1)) == 0


def _f(hh, mm, delay_min, status="accepted", reason=None, *, backfill_after=60, unmapped=0, day=date(2026, 12, 1)):
    t = datetime(day.year, day.month, day.day, hh, mm, tzinfo=timezone(timedelta(hours=7))).astimezone(timezone.utc)
    return ReceivedFile(t, t + timedelta(minutes=delay_min), status, reason, delay_min > 5,
                        delay_min > backfill_after, unmapped)


def test_station_day_counts_on_a_small_hourly_day():
    """An hourly station (24 slots): 00:00 on time, 01:00 late, 02:00 back-filled, 03:00 rejected, 00:00 again
    (duplicate), 01:00 other content (conflict), a second file at 02:30 received after the 02:00 one (duplicate
    slot; the first received counts), 23:00 received the next
    day. Covered 4, missing 20."""
    day = date(2026, 12, 1)
    files = [_f(0, 0, 1, unmapped=2), _f(1, 0, 20), _f(2, 0, 180), _f(3, 0, 1, "rejected", "bad_value"),
             _f(0, 0, 40, "duplicate", "duplicate"), _f(1, 0, 90, "rejected", "conflict"), _f(2, 30, 200),
             _f(23, 0, 2), _f(5, 0, 1, day=date(2026, 12, 2))]
    rec = station_day(files, day, tz=TZ, interval_min=60)
    assert (rec.expected, rec.on_time, rec.late, rec.backfilled, rec.missing) == (24, 2, 1, 1, 20)
    assert (rec.rejected, rec.duplicates, rec.conflicts, rec.unmapped_lines, rec.files) == (1, 2, 1, 2, 8)
    assert rec.reasons == {"bad_value": 1} and rec.completeness == pytest.approx(4 / 24)
    assert [t.hour for t in rec.missing_slots] == [h - 7 if h >= 7 else h + 17 for h in range(3, 23)]
    # the slots owed: from the connection at 10:00 local, only those due by 12:30 local → 10:00, 11:00, 12:00
    since = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
    due = datetime(2026, 12, 1, 5, 30, tzinfo=timezone.utc)
    assert [t.hour for t in expected_slots(day, TZ, 60, since=since, due_before=due)] == [3, 4, 5]
    clipped = station_day(files, day, tz=TZ, interval_min=60, since=since, due_before=due)
    # the 23:00 file came before its slot was due: that slot is expected too (4), never more covered than expected
    assert (clipped.expected, clipped.missing) == (4, 3)
    # a day in progress: every slot up to 05:00 due, the 05:00 file early; on time + late + back-filled + missing
    # = expected (the page never shows 7 on time of 6 expected)
    running = station_day([_f(h, 0, 1) for h in range(6)], day, tz=TZ, interval_min=60,
                          due_before=datetime(2026, 11, 30, 22, 0, tzinfo=timezone.utc))
    assert (running.expected, running.on_time, running.missing) == (6, 6, 0)
    assert running.on_time + running.late + running.backfilled + running.missing == running.expected


def test_sums_and_ranking_use_counts_not_percentages():
    day = date(2026, 12, 1)
    full = station_day([_f(h, 0, 1) for h in range(24)], day, tz=TZ, interval_min=60)
    half = station_day([_f(h, 0, 1) for h in range(12)], day, tz=TZ, interval_min=60)
    nothing = station_day([], day, tz=TZ, interval_min=60, due_before=datetime(2000, 1, 1, tzinfo=timezone.utc))
    total = sum_receptions([full, half])
    assert (total.expected, total.covered) == (48, 36) and total.completeness == 0.75
    assert [k for k, _ in rank_by_completeness([("full", full), ("none", nothing), ("half", half)])] == \
        ["half", "full", "none"]
