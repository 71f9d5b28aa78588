"""A failed calibration reaches monitoring through the contract (``Subsystem.invalid_periods``): the flue-gas
substitution of HJ 75-2017 §12 treats the hours from the failed check to the next pass as invalid with the cause
``out_of_control`` (rule family ``OOC``), while a gap outside it stays ``missing`` (``GAP``); without the O&M
subsystem listed nothing declares the period."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from ecosentry.installed import INSTALLED, each
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.pipeline.substitution import substitute_day
from ecosentry.subsystems.om.store.calibrations import CheckIn, record_checks

from omkit import OM

TZ = ZoneInfo("Asia/Shanghai")
DAY_LO = datetime(2026, 11, 3, tzinfo=TZ).astimezone(timezone.utc)
DAY_HI = DAY_LO + timedelta(days=1)
QUARTER = datetime(2026, 10, 1, tzinfo=TZ).astimezone(timezone.utc)
FAILED = datetime(2026, 11, 3, 1, 30, tzinfo=TZ)      # the span check fails at 01:30 …
PASSED = datetime(2026, 11, 3, 4, 30, tzinfo=TZ)      # … and passes again at 04:30
GAP = (datetime(2026, 11, 3, 10, tzinfo=TZ), datetime(2026, 11, 3, 12, tzinfo=TZ))   # no data 10:00–12:00


def _hours(eng, pid: int) -> None:
    rows, t = [], QUARTER
    while t < DAY_HI:
        missing = GAP[0] <= t < GAP[1]
        rows.append({"point_id": pid, "factor_code": "a21026", "period_start": t, "value": None if missing else 30.0,
                     "cou": None if missing else 1.5, "valid": not missing, "valid_minutes": 0 if missing else 60,
                     "received_minutes": 0 if missing else 60, "n_records": 0 if missing else 60,
                     "computed_at": DAY_HI})
        t += timedelta(hours=1)
    with eng.begin() as c:
        c.execute(insert(s.hourly_values), rows)


def _revisions(eng, pid: int) -> dict[int, str]:
    with eng.connect() as c:
        return {r.period_start.astimezone(TZ).hour: r.rule_code for r in c.execute(
            select(ms.revisions.c.period_start, ms.revisions.c.rule_code).where(ms.revisions.c.point_id == pid))}


def _substitute(eng, pid: int) -> dict[int, str]:
    with eng.begin() as c:
        substitute_day(c, pid, "a21026", "gas", "Asia/Shanghai", DAY_LO, DAY_HI)
    return _revisions(eng, pid)


def test_a_failed_calibration_is_an_out_of_control_cause_of_substitution(om_world, monkeypatch):
    eng, st, pts = om_world
    pid = pts["a"]
    record_checks(eng, [CheckIn(pid, "a21026", FAILED, "span", "fail", 4.1),
                        CheckIn(pid, "a21026", PASSED, "span", "pass", 0.6)], source="api", actor="om_zhang",
                  settings=st.om.calibration, now=DAY_HI)
    # hours stored afterwards, as computed before the periods were known (no minutes here: a recompute announced
    # by the filing would make them "no data"; test_om_validity covers that path with real minutes)
    _hours(eng, pid)
    assert [sub.name for sub, _fn in each("invalid_periods")] == ["om"]
    codes = _substitute(eng, pid)
    # 01:00–04:00 touch the out-of-control stretch (01:30–04:30): invalid, cause out_of_control
    assert sorted(h for h, code in codes.items() if "-OOC-" in code) == [1, 2, 3, 4]
    assert sorted(h for h, code in codes.items() if "-GAP-" in code) == [10, 11]

    monkeypatch.setenv("ECOSENTRY_SUBSYSTEMS", ",".join(n for n in INSTALLED if n != OM))   # O&M not listed
    assert each("invalid_periods") == []
    codes = _substitute(eng, pid)
    assert sorted(codes) == [10, 11] and all("-GAP-" in c for c in codes.values())
