"""Thresholds versioned and audited (issue 15 item 3), on SQLite and PostgreSQL: a person's setting is a new
version with its audit row; bad input is refused with a clear message (column limits too); the version in
force at a time; the engine records a learned threshold with its explanation only when it differs, and never
over a person's setting."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import delete, insert, select

from power_dbkit import T0, _power_pg, _power_sqlite, power_db  # noqa: F401 (fixtures)

from ecosentry.store import audit
from ecosentry.subsystems.power.engine.engine import PowerEngine
from ecosentry.subsystems.power.queries.thresholds import history, in_force, meters_with_thresholds
from ecosentry.subsystems.power.rules.learned import learn_threshold
from ecosentry.subsystems.power.schema import power_readings, power_thresholds
from ecosentry.subsystems.power.store.thresholds import ThresholdError, record_learned, set_thresholds


def test_a_person_sets_a_threshold_a_new_version_with_its_audit_row(power_db):
    eng = power_db
    row = set_thresholds(eng, 1, on_kw="25", off_kw=12.5, dwell="2", actor="wang", reason="new furnace motor",
                         at=T0)
    assert (row["version"], row["source"], row["on_kw"], row["off_kw"], row["dwell"]) == (2, "set", 25.0, 12.5, 2)
    assert row["dwell_off"] == 2  # the stop dwell's default (docs/power.md "Detection delay")
    [log] = audit.list_audit(eng, "power_threshold", 1, limit=1)
    assert log["actor"] == "wang" and log["action"] == "set"
    assert log["before"]["version"] == 1 and log["after"]["version"] == 2 and log["after"]["reason"] == "new furnace motor"
    with eng.connect() as c:
        assert in_force(c, [1], T0 - timedelta(minutes=1))[1]["version"] == 1  # not yet valid then
        assert in_force(c, [1, 2], T0)[1]["version"] == 2 and in_force(c, [1, 2], T0)[2]["version"] == 1
        assert [h["version"] for h in history(c, 1)] == [2, 1]
        listed = {m["code"]: m for m in meters_with_thresholds(c, 1, T0)}
        assert listed["SB1"]["in_force"]["on_kw"] == 25 and listed["SB1"]["equipment_code"] == "P1"


def test_the_stop_dwell_is_stored_per_version_and_judges_the_meter(power_db):
    eng = power_db
    row = set_thresholds(eng, 1, on_kw=25, off_kw=12.5, dwell=3, dwell_off="3", actor="wang",
                         reason="this fan restarts for two minutes every shift", at=T0)
    assert (row["dwell"], row["dwell_off"]) == (3, 3)
    [log] = audit.list_audit(eng, "power_threshold", 1, limit=1)
    assert log["after"]["dwell_off"] == 3
    with eng.connect() as c:
        assert in_force(c, [1], T0)[1]["dwell_off"] == 3


@pytest.mark.parametrize("change, words", [
    (dict(on_kw=10, off_kw=20), "above the on threshold"),
    (dict(on_kw=0), "above 0"),
    (dict(on_kw="ten"), "must be a number"),
    (dict(on_kw=float("nan")), "above 0"),
    (dict(dwell=0), "dwell"),
    (dict(dwell="2.5"), "dwell"),
    (dict(dwell_off=0), "dwell"),
    (dict(dwell_off=61), "dwell"),
    (dict(dwell_off="x" * 5000), "dwell"),
    (dict(reason="  "), "needs a reason"),
    (dict(reason="x" * 2001), "longer than"),
    (dict(actor="a" * 65), "longer than"),
    (dict(meter_id=999), "no meter"),
])
def test_a_bad_setting_is_refused_and_nothing_written(power_db, change, words):
    args = dict(meter_id=1, on_kw=20, off_kw=10, dwell=3, actor="wang", reason="check") | change
    meter_id = args.pop("meter_id")
    with pytest.raises(ThresholdError) as exc:
        set_thresholds(power_db, meter_id, **args)
    assert words in str(exc.value)
    with power_db.connect() as c:
        assert c.execute(select(power_thresholds.c.version).where(power_thresholds.c.version > 1)).first() is None
    assert audit.list_audit(power_db, "power_threshold") == []


def _bimodal(eng, meter_id: int, days: int = 2) -> None:
    """A machine that runs 12 h a day at ~80 kW and stands by at ~0.3 kW."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(days * 1440):
        t = T0 - timedelta(minutes=days * 1440 - i)
        on = (i // 720) % 2 == 0
        rows.append({"meter_id": meter_id, "quantity": "P", "at": t, "received_at": t + timedelta(minutes=1),
                     "value": float(rng.normal(80, 5) if on else abs(rng.normal(0.3, 0.05)))})
    with eng.begin() as c:
        c.execute(insert(power_readings), rows)


def test_the_engine_records_a_learned_threshold_and_never_over_a_persons(power_db):
    eng = power_db
    with eng.begin() as c:  # meter SB1 has no thresholds of its own: the engine learns them
        c.execute(delete(power_thresholds).where(power_thresholds.c.meter_id == 1))
    _bimodal(eng, 1)
    pe = PowerEngine(eng)
    assert pe._learn(1, T0) == 1
    with eng.connect() as c:
        [v1] = history(c, 1)
    assert v1["source"] == "learned" and v1["version"] == 1 and 0.3 < v1["off_kw"] < v1["on_kw"] < 80
    assert v1["explanation"]["method"] == "otsu" and v1["explanation"]["on_share"] == pytest.approx(0.5, abs=0.01)
    assert "off around" in v1["reason"]
    [log] = audit.list_audit(eng, "power_threshold", 1)
    assert log["action"] == "learn" and log["before"] is None and log["actor"] == "engine"
    # learning again on the same data gives the same result: no new version
    pe.learned_at.clear()
    assert pe._learn(1, T0 + timedelta(days=2)) == 0
    # a person sets it; learning never replaces that
    set_thresholds(eng, 1, on_kw=30, off_kw=10, dwell=3, actor="li", reason="site visit", at=T0 + timedelta(days=2))
    pe.learned_at.clear()
    assert pe._learn(1, T0 + timedelta(days=5)) == 0
    with eng.connect() as c:
        assert [h["source"] for h in history(c, 1)] == ["set", "learned"]
        got = learn_threshold(np.r_[np.full(50, 0.2), np.full(50, 500.0)])
        assert record_learned(c, 1, got, T0 + timedelta(days=6)) is None
