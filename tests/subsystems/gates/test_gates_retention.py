"""Retention per jurisdiction (issue 16 item 6) on a controllable clock: defaults 24 / 12 months, the 2020 guide's
floors 12 / 6 refused below, calendar months rolled forward, nothing deleted a second early, holds kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from pydantic import ValidationError

from ecosentry.contracts.catalogue import get
from ecosentry.subsystems.gates.rules.retention import (
    RetentionError, RetentionSettings, add_months, cutoff, due_for_deletion)
from ecosentry.subsystems.gates.settings import GatesSettings

Z = ZoneInfo("Asia/Shanghai")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def t(*a) -> int:
    return int(datetime(*a, tzinfo=Z).timestamp())


def test_defaults_are_the_stricter_24_and_12_months():
    s = GatesSettings().retention
    assert s.of(None).ledger_months == 24 and s.of("CN-TJ").media_months == 12
    assert get("VEH-RETENTION-DUE").severity is None and "§3.3" in get("VEH-RETENTION-DUE").source


def test_a_setting_below_the_2020_floor_is_refused_with_a_clear_error():
    with pytest.raises(ValidationError, match="Retention of ledger in CN-TJ is 11 months, below the 2020 guide's "
                                              "floor of 12 months"):
        RetentionSettings(jurisdictions={"CN-TJ": {"ledger_months": 11}})
    with pytest.raises(ValidationError, match="media in VN-HN is 5 months.*floor of 6 months"):
        RetentionSettings(jurisdictions={"VN-HN": {"media_months": 5, "timezone": "Asia/Ho_Chi_Minh"}})
    ok = RetentionSettings(jurisdictions={"CN-HE": {"ledger_months": 12, "media_months": 6}})
    assert ok.of("CN-HE").ledger_months == 12 and ok.of("elsewhere").ledger_months == 24


def test_calendar_months_roll_a_missing_day_forward():
    assert add_months(datetime(2025, 3, 15, 10, tzinfo=Z), 12) == datetime(2026, 3, 15, 10, tzinfo=Z)
    assert add_months(datetime(2024, 1, 31, 9, tzinfo=Z), 1) == datetime(2024, 3, 1, tzinfo=Z)
    assert add_months(datetime(2024, 2, 29, 9, tzinfo=Z), 12) == datetime(2025, 3, 1, tzinfo=Z)
    assert add_months(datetime(2025, 8, 31, tzinfo=Z), 6) == datetime(2026, 3, 1, tzinfo=Z)


def test_the_cutoff_agrees_with_adding_months_on_many_instants():
    rng = np.random.default_rng(6)
    base = datetime(2024, 1, 1, tzinfo=Z)
    for _ in range(400):
        now = base + timedelta(seconds=int(rng.integers(0, 3 * 365 * 86400)))
        months = int(rng.choice([6, 12, 24, 13]))
        limit = cutoff(now, months)
        for dt in (-2, -1, 0, 1, 2, 86400, -86400):
            rec = limit + timedelta(seconds=dt)
            assert (add_months(rec, months) <= now) == (rec <= limit), (now, months, rec)


def test_due_records_on_a_controllable_clock():
    s = RetentionSettings()
    times = np.array([t(2024, 1, 10, 8), t(2024, 3, 15, 10), t(2024, 3, 15, 10) + 1, t(2025, 1, 1), t(2025, 9, 1)])
    now = datetime(2026, 3, 15, 10, tzinfo=Z)
    assert list(due_for_deletion(times, "ledger", now, s)) == [0, 1]           # 24 months: the second is due now
    assert list(due_for_deletion(times, "ledger", now - timedelta(seconds=1), s)) == [0]  # nothing a second early
    assert list(due_for_deletion(times, "media", now, s)) == [0, 1, 2, 3]      # 12 months
    assert list(due_for_deletion(times, "media", now, s, held=[False, True, False, False, False])) == [0, 2, 3]
    # the same instant read in UTC: the rule counts the jurisdiction's local months
    assert list(due_for_deletion(times, "ledger", now.astimezone(ZoneInfo("UTC")), s)) == [0, 1]


def test_a_jurisdiction_with_its_own_months_and_zone():
    s = RetentionSettings(jurisdictions={"VN-HN": {"ledger_months": 12, "media_months": 6,
                                                   "timezone": "Asia/Ho_Chi_Minh"}})
    rec = int(datetime(2025, 8, 31, 12, tzinfo=HCM).timestamp())
    assert list(due_for_deletion([rec], "media", datetime(2026, 2, 28, 23, 59, tzinfo=HCM), s, "VN-HN")) == []
    assert list(due_for_deletion([rec], "media", datetime(2026, 3, 1, 0, 0, tzinfo=HCM), s, "VN-HN")) == [0]
    assert list(due_for_deletion([rec], "media", datetime(2026, 3, 1, tzinfo=HCM), s, "CN-other")) == []


def test_a_naive_clock_or_an_unknown_kind_is_refused():
    s = RetentionSettings()
    with pytest.raises(RetentionError, match="time zone"):
        due_for_deletion([0], "ledger", datetime(2026, 1, 1), s)
    with pytest.raises(RetentionError, match="pictures is no kind"):
        due_for_deletion([0], "pictures", datetime(2026, 1, 1, tzinfo=Z), s)


@pytest.mark.parametrize("kind, field", [("snapshots", "snapshot_months"), ("heartbeats", "heartbeat_months")])
def test_snapshots_and_heartbeats_never_go_below_the_video_floor(kind, field):
    with pytest.raises(ValidationError, match=f"{kind} in CN-TJ is 5 months.*floor of 6 months"):
        RetentionSettings(jurisdictions={"CN-TJ": {field: 5}})
    r = RetentionSettings(jurisdictions={"CN-TJ": {field: 6}})
    assert r.of("CN-TJ").months(kind) == 6 and RetentionSettings().of(None).months(kind) == 12
