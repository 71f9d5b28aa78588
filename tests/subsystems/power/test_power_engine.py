"""The live rules engine on constructed timelines in the database (SQLite and PostgreSQL): a finding fires,
stays open and is updated, ends, reopens; a re-run on the same data changes nothing; one alarm per open finding,
raised and cleared by data with start, end and duration; an order given explicitly is judged too."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update

from power_dbkit import T0, _power_pg, _power_sqlite, power_db, write_minutes  # noqa: F401 (fixtures)

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.settings import get_settings
from ecosentry.store import schema as s
from ecosentry.subsystems.power.engine.engine import PowerEngine
from ecosentry.subsystems.power.engine.service import parts
from ecosentry.subsystems.power.rules.orders import Order
from ecosentry.subsystems.power.schema import power_equipment, power_findings, power_readings

ON_P, ON_T, OFF = 100.0, 30.0, 0.4


def at(minute: int):
    return T0 + timedelta(minutes=minute)


def findings(eng) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(select(power_findings).order_by(power_findings.c.id)).mappings()]


def alarms(eng) -> list[dict]:
    with eng.connect() as c:
        return [dict(r) for r in c.execute(select(s.alarms).order_by(s.alarms.c.id)).mappings()]


def run(pe: PowerEngine, minute: int) -> dict:
    return asyncio.run(pe.pass_once(at(minute)))


def test_treatment_off_fires_stays_open_clears_and_reopens(power_db):
    eng = power_db
    pe = PowerEngine(eng, locale="en")
    # production runs from minute 0; treatment runs, then stops at minute 60
    write_minutes(eng, 0, [ON_P] * 61, [ON_T] * 60 + [OFF] * 1)
    stats = run(pe, 61)  # minutes 0..60 arrived: one minute off, not yet a finding
    assert stats["enterprises"] == 1 and stats["inserted"] == 0 and findings(eng) == []
    write_minutes(eng, 61, [ON_P] * 2, [OFF] * 2)
    stats = run(pe, 63)  # minute 61 was the second minute off: the stop dwell (2) is complete
    [f] = findings(eng)
    assert (f["code"], f["key"], f["end_at"]) == ("PWR-TREAT-OFF", "P1,T1", None)
    assert f["start_at"] == at(60) and f["detected_at"] == at(61) and stats["raised"] == 1
    [a] = alarms(eng)
    assert (a["type"], a["source_type"], a["source_id"], a["state"]) == ("ALM-PWR-TREAT-OFF", "equipment", "1:P1,T1",
                                                                           "active")
    assert a["enterprise_id"] == 1 and a["region_code"] == "141000" and a["severity"] == "critical"
    assert f["alarm_id"] == a["id"] if "alarm_id" in f else True
    assert "09:00" in a["explanation"] and "still going on" in a["explanation"]  # 09:00 Asia/Shanghai
    assert a["evidence"]["start"] == at(60).isoformat() and a["evidence"]["end"] is None

    write_minutes(eng, 63, [ON_P] * 8, [OFF] * 8)
    run(pe, 71)
    [f] = findings(eng)  # the same span, still open, updated
    assert f["end_at"] is None and f["params"]["minutes"] == 11 and f["alarm_id"] == a["id"]
    [a] = alarms(eng)
    assert a["state"] == "active" and a["occurrences"] == 2

    # treatment back on at minute 80
    write_minutes(eng, 71, [ON_P] * 20, [OFF] * 9 + [ON_T] * 11)
    stats = run(pe, 91)
    [f] = findings(eng)
    assert f["end_at"] == at(80) and stats["cleared"] == 1
    [a] = alarms(eng)
    assert a["state"] == "cleared" and a["cleared_by"] == "data"
    assert "09:00" in a["clear_reason"] and "09:20" in a["clear_reason"] and "20 min" in a["clear_reason"]

    # the same data again: nothing changes
    before = findings(eng)
    stats = run(pe, 91)
    assert (stats["inserted"], stats["updated"], stats["closed"], stats["raised"]) == (0, 0, 0, 0)
    assert findings(eng) == before and len(alarms(eng)) == 1

    # off again from minute 95: a new span, a new alarm
    write_minutes(eng, 91, [ON_P] * 9, [ON_T] * 4 + [OFF] * 5)
    run(pe, 100)
    first, second = findings(eng)
    assert first["end_at"] == at(80) and second["start_at"] == at(95) and second["end_at"] is None
    old, new = alarms(eng)
    assert old["state"] == "cleared" and new["state"] == "active" and new["id"] == second["alarm_id"]


def test_a_finding_that_ended_before_the_engine_saw_it_is_raised_and_cleared(power_db):
    eng = power_db
    write_minutes(eng, 0, [ON_P] * 40, [ON_T] * 10 + [OFF] * 10 + [ON_T] * 20)
    stats = asyncio.run(PowerEngine(eng, locale="zh").pass_once(at(40)))
    [f] = findings(eng)
    assert f["start_at"] == at(10) and f["end_at"] == at(20)
    [a] = alarms(eng)
    assert a["state"] == "cleared" and stats["raised"] == 1 and stats["cleared"] == 1
    assert "08:10" in a["explanation"] and "08:20" in a["explanation"] and "10" in a["explanation"]
    assert "治污设施" in a["title"] or "除尘" in a["explanation"] or "T1" in a["explanation"]


def test_late_treatment_readings_do_not_look_like_a_gap(power_db):
    """The end of the data is the newest minute every meter heard lately has sent."""
    eng = power_db
    write_minutes(eng, 0, [ON_P] * 30, [ON_T] * 26)  # the treatment's last minutes are still on their way
    asyncio.run(PowerEngine(eng).pass_once(at(30)))
    assert findings(eng) == [] and alarms(eng) == []


def test_a_stop_order_given_to_the_engine_is_judged(power_db):
    eng = power_db
    @dataclass(frozen=True)
    class AlertOrder(Order):  # an order as the measures' read model may give it: with its alert
        alert_id: int | None = None

    order = AlertOrder("ignored", ("P1",), "stop", at(20), at(120), level="red", alert_id=7)
    pe = PowerEngine(eng, orders_for=lambda conn, eid, start, end: [order] if eid == 1 else [])
    write_minutes(eng, 0, [ON_P] * 30, [ON_T] * 30)
    asyncio.run(pe.pass_once(at(30)))
    [f] = findings(eng)
    assert f["code"] == "PWR-ORDER-STOP-RUNNING" and f["start_at"] == at(20) and f["detected_at"] == at(22)
    assert f["alert_id"] == 7
    [a] = alarms(eng)
    assert a["type"] == "ALM-PWR-ORDER-STOP" and a["state"] == "active"


def test_a_meter_gone_silent_is_offline_and_heard_again_clears(power_db):
    eng = power_db
    pe = PowerEngine(eng, locale="en")
    write_minutes(eng, 0, [ON_P] * 60, [ON_T] * 30 + [None] * 30)
    asyncio.run(pe.pass_once(at(60)))
    got = {f["code"]: f for f in findings(eng)}
    assert got["PWR-METER-OFFLINE"]["key"] == "T1" and got["PWR-METER-OFFLINE"]["end_at"] is None
    write_minutes(eng, 60, [ON_P] * 5, [ON_T] * 5)
    asyncio.run(pe.pass_once(at(65)))
    got = {f["code"]: f for f in findings(eng)}
    assert got["PWR-METER-OFFLINE"]["end_at"] == at(60)
    assert {a["type"]: a["state"] for a in alarms(eng)}["ALM-PWR-METER-OFFLINE"] == "cleared"


def test_readings_sent_late_reach_the_window_the_engine_keeps(power_db):
    """A logger that sends its backlog: the engine's cached window takes the old minutes in (they were received
    after its last pass) and the offline span ends when the data came."""
    eng = power_db
    pe = PowerEngine(eng, locale="en")
    write_minutes(eng, 0, [ON_P] * 30, [ON_T] * 10)
    asyncio.run(pe.pass_once(at(30)))
    [f] = findings(eng)
    assert (f["code"], f["key"], f["start_at"], f["end_at"]) == ("PWR-METER-OFFLINE", "T1", at(10), None)
    # the backlog of T1 arrives at minute 31, with minute 30 of both meters
    with eng.begin() as c:
        c.execute(insert(power_readings), [{"meter_id": m, "quantity": "P", "at": at(i), "value": v,
                                            "received_at": at(31)}
                                           for m, v, first in ((2, ON_T, 10), (1, ON_P, 30)) for i in range(first, 31)])
    stats = asyncio.run(pe.pass_once(at(31)))
    [f] = findings(eng)
    assert f["end_at"] == at(31) and stats["closed"] == 1 and stats["cleared"] == 1
    assert alarms(eng)[0]["state"] == "cleared"
    assert findings(eng) == [f] and asyncio.run(pe.pass_once(at(31)))["closed"] == 0


def test_a_pass_evaluates_the_enterprises_that_received_readings_and_all_at_each_sweep(power_db):
    eng = power_db
    pe = PowerEngine(eng)
    write_minutes(eng, 0, [ON_P] * 10, [ON_T] * 10)
    assert asyncio.run(pe.pass_once(at(10)))["enterprises"] == 1  # the first pass: every enterprise
    assert asyncio.run(pe.pass_once(at(10) + timedelta(seconds=10)))["enterprises"] == 0  # nothing new
    write_minutes(eng, 10, [ON_P], [ON_T])  # received at minute 11
    assert asyncio.run(pe.pass_once(at(11) + timedelta(seconds=10)))["enterprises"] == 1
    assert asyncio.run(pe.pass_once(at(11) + timedelta(seconds=20)))["enterprises"] == 0
    assert asyncio.run(pe.pass_once(at(11) + timedelta(seconds=70)))["enterprises"] == 1  # the sweep


def test_the_service_part_runs_the_engine_until_closed(power_db):
    """The part the service starts (manifest ``services``): passes in the background until it is closed."""
    eng = power_db
    recent = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=22)
    write_minutes(eng, 0, [ON_P] * 20, [ON_T] * 5 + [OFF] * 15, t0=recent)

    async def scenario() -> list[dict]:
        [part] = parts(ServiceContext(settings=get_settings(), engine=eng, spool=None, directory=None,
                                      dispatcher=None, enabled=frozenset({"alarms"})))
        assert part.name == "power_engine" and part.target.settings.engine.every_seconds == 10
        await part.start()
        try:
            for _ in range(600):  # the first pass runs at once; wait for its alarm (not a timing assertion)
                if any(a["type"] == "ALM-PWR-TREAT-OFF" for a in alarms(eng)):
                    break
                await asyncio.sleep(0.05)
        finally:
            await part.close()
        return alarms(eng)

    got = asyncio.run(scenario())
    assert "ALM-PWR-TREAT-OFF" in [a["type"] for a in got]


def test_long_equipment_codes_fit_the_columns(power_db):
    """Codes of 40 characters (the column's limit) make a key longer than the alarm's source id column: the
    alarm is still raised (a hashed source id) and the finding keeps its key."""
    eng = power_db
    with eng.begin() as c:
        c.execute(update(power_equipment).where(power_equipment.c.id == 1).values(code="P" * 40))
        c.execute(update(power_equipment).where(power_equipment.c.id == 2).values(code="T" * 40))
    write_minutes(eng, 0, [ON_P] * 20, [ON_T] * 5 + [OFF] * 15)
    asyncio.run(PowerEngine(eng).pass_once(at(20)))
    [f] = findings(eng)
    assert f["key"] == "P" * 40 + "," + "T" * 40
    [a] = alarms(eng)
    assert a["source_id"].startswith("1:#") and len(a["source_id"]) <= 64
    assert a["evidence"]["equipment"] == ["P" * 40, "T" * 40] and a["id"] == f["alarm_id"]


def test_a_limit_order_without_a_baseline_does_not_stop_the_linkage_rules(power_db):
    eng = power_db
    limit = Order("1", ("P1",), "limit", at(10), at(200), allowed_pct=50, level="orange")
    pe = PowerEngine(eng, orders_for=lambda conn, eid, start, end: [limit])
    write_minutes(eng, 0, [ON_P] * 30, [ON_T] * 10 + [OFF] * 20)
    stats = asyncio.run(pe.pass_once(at(30)))
    assert stats["errors"] == 0 and [f["code"] for f in findings(eng)] == ["PWR-TREAT-OFF"]
