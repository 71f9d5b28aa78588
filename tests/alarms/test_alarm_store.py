"""The alarm store on SQLite and PostgreSQL: raise/update de-duplication (also under a race), clearing and
recurrence, the hand lifecycle with its events and audit rows, links, and the migration matching the schema."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from alarm_testkit import (  # noqa: F401  (fixtures)
    _pg_session_db, _sqlite_template, alarm_db_url, engine, gas_point, water_point, CITY, COUNTY)
from ecosentry.alarms import store
from ecosentry.alarms.store import AlarmConflict, AlarmError, AlarmNotFound
from ecosentry.store import audit
from ecosentry.store.schema import installed_metadata
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.marks import file_mark

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)


def _raise(engine, point, *, severity="warning", at=T0, type="ALM-DATA-MISSING", **kw):
    return store.raise_alarm(engine, type=type, source_type="point", source_id=point, severity=severity,
                             title="SO2 minute data missing", explanation=f"no minute record since {at:%H:%M}",
                             evidence={"missing_minutes": 20, "at": at}, point_id=point, factor_codes=["a21026"],
                             at=at, **kw)


def test_raise_then_quiet_update_then_severity_rise(engine, gas_point):
    alarm, change = _raise(engine, gas_point)
    assert (change.kind, change.notify) == ("raised", True) and change.event_id is not None
    assert alarm["state"] == "active" and alarm["occurrences"] == 1
    assert alarm["region_code"] == COUNTY and alarm["enterprise_id"] is not None  # looked up from the point
    assert alarm["factor_codes"] == ["a21026"] and alarm["source_id"] == str(gas_point)

    again, change = _raise(engine, gas_point, at=T0 + timedelta(minutes=5))
    assert again["id"] == alarm["id"] and again["occurrences"] == 2
    assert (change.kind, change.notify, change.event_id) == ("updated", False, None)
    assert again["last_at"] == T0 + timedelta(minutes=5) and again["first_at"] == T0
    assert again["explanation"] == "no minute record since 01:05"

    # a lower severity never lowers it; a late message never moves last_at back
    lower, change = _raise(engine, gas_point, severity="info", at=T0 + timedelta(minutes=1))
    assert lower["severity"] == "warning" and lower["last_at"] == T0 + timedelta(minutes=5) and not change.notify

    higher, change = _raise(engine, gas_point, severity="critical", at=T0 + timedelta(minutes=10))
    assert higher["severity"] == "critical" and higher["occurrences"] == 4
    assert (change.kind, change.notify, change.previous_severity) == ("updated", True, "warning")

    kinds = [e["kind"] for e in store.alarm_detail(engine, alarm["id"])["events"]]
    assert kinds == ["raised", "updated"]
    assert [r["action"] for r in audit.list_audit(engine, "alarm", alarm["id"])] == ["severity_rise", "raise"]


def test_originators_and_types_are_separate_alarms(engine, gas_point, water_point):
    a1, _ = _raise(engine, gas_point)
    a2, _ = _raise(engine, water_point)
    a3, _ = _raise(engine, gas_point, type="ALM-EXCEEDANCE", severity=None)
    assert len({a1["id"], a2["id"], a3["id"]}) == 3
    assert a3["severity"] == "critical"  # the catalogue default


def test_enterprise_and_later_originator_kinds(engine, gas_point):
    ent_id = store.get_alarm(engine, _raise(engine, gas_point)[0]["id"])["enterprise_id"]
    alarm, _ = store.raise_alarm(engine, type="ALM-TREATMENT-OFF", source_type="enterprise", source_id=ent_id,
                                 severity=None, title="desulfurisation stopped", explanation=None, evidence=None,
                                 enterprise_id=ent_id, at=T0)
    assert alarm["region_code"] == COUNTY and alarm["point_id"] is None
    gate, _ = store.raise_alarm(engine, type="ALM-VEHICLE-RULE", source_type="gate", source_id="G-7",
                                severity=None, title="unregistered diesel truck", explanation=None,
                                evidence={"plate": "苏E12345"}, region_code=CITY, at=T0)
    assert gate["region_code"] == CITY and gate["severity"] == "warning"


def test_refusals(engine, gas_point):
    with pytest.raises(AlarmError, match="unknown alarm type"):
        _raise(engine, gas_point, type="ALM-NOPE")
    with pytest.raises(AlarmError, match="unknown originator kind"):
        store.raise_alarm(engine, type="ALM-TOXIC-GAS", source_type="spaceship", source_id=1, severity=None,
                          title="x", explanation=None, evidence=None, at=T0)
    with pytest.raises(AlarmError, match="severity"):
        _raise(engine, gas_point, severity="fatal")
    with pytest.raises(AlarmError, match="timezone-aware"):
        _raise(engine, gas_point, at=datetime(2026, 11, 20, 1, 0))
    with pytest.raises(AlarmError, match="unknown point, enterprise or region"):
        store.raise_alarm(engine, type="ALM-TOXIC-GAS", source_type="park_sensor", source_id="S1", severity=None,
                          title="H2S", explanation=None, evidence=None, region_code="999999", at=T0)


def test_clear_by_data_and_recurrence(engine, gas_point):
    alarm, _ = _raise(engine, gas_point)
    assert store.clear_by_data(engine, type="ALM-EXCEEDANCE", source_type="point", source_id=gas_point,
                               at=T0) is None  # nothing open of that type
    cleared = store.clear_by_data(engine, type="ALM-DATA-MISSING", source_type="point", source_id=gas_point,
                                  at=T0 + timedelta(minutes=30))
    assert cleared["id"] == alarm["id"] and cleared["state"] == "cleared" and cleared["cleared_by"] == "data"
    assert store.clear_by_data(engine, type="ALM-DATA-MISSING", source_type="point", source_id=gas_point,
                               at=T0 + timedelta(minutes=31)) is None
    again, change = _raise(engine, gas_point, at=T0 + timedelta(hours=2))
    assert again["id"] != alarm["id"] and change.kind == "raised" and again["occurrences"] == 1
    assert store.get_alarm(engine, alarm["id"])["state"] == "cleared"


def test_hand_lifecycle_events_and_audit(engine, gas_point):
    alarm, _ = _raise(engine, gas_point)
    aid = alarm["id"]
    t = T0 + timedelta(minutes=12)
    acked, _ = store.acknowledge(engine, aid, "city-officer", "looking into it", at=t)
    assert (acked["state"], acked["acknowledged_by"], acked["acknowledged_at"]) == ("acknowledged", "city-officer", t)
    with pytest.raises(AlarmConflict, match="already acknowledged by city-officer"):
        store.acknowledge(engine, aid, "someone")
    assigned, _ = store.assign(engine, aid, "county-officer", "city-officer")
    assert assigned["assignee"] == "county-officer"
    store.add_comment(engine, aid, "called the plant: analyser pump broken", "county-officer")
    with pytest.raises(AlarmError, match="empty"):
        store.add_comment(engine, aid, "  ", "county-officer")
    with pytest.raises(AlarmError, match="needs a reason"):
        store.clear(engine, aid, "", "county-officer")
    cleared, _ = store.clear(engine, aid, "pump replaced, data back", "county-officer")
    assert (cleared["state"], cleared["cleared_by"], cleared["clear_reason"]) == (
        "cleared", "county-officer", "pump replaced, data back")
    for op in (lambda: store.acknowledge(engine, aid, "x"), lambda: store.clear(engine, aid, "again", "x"),
               lambda: store.assign(engine, aid, "y", "x")):
        with pytest.raises(AlarmConflict, match="is cleared"):
            op()
    store.add_comment(engine, aid, "closing note", "city-officer")  # comments stay possible

    detail = store.alarm_detail(engine, aid)
    assert [(e["kind"], e["actor"]) for e in detail["events"]] == [
        ("raised", "data"), ("acknowledged", "city-officer"), ("assigned", "city-officer"),
        ("commented", "county-officer"), ("cleared", "county-officer"), ("commented", "city-officer")]
    assert detail["events"][3]["comment"] == "called the plant: analyser pump broken"
    actions = [r["action"] for r in audit.list_audit(engine, "alarm", aid)][::-1]
    assert actions == ["raise", "acknowledged", "assigned", "commented", "cleared", "commented"]
    ack_row = audit.list_audit(engine, "alarm", aid)[-2]
    assert ack_row["before"]["state"] == "active" and ack_row["after"]["state"] == "acknowledged"
    with pytest.raises(AlarmNotFound):
        store.acknowledge(engine, 999_999, "x")


def test_links_to_marks_and_work_orders(engine, gas_point):
    alarm, _ = _raise(engine, gas_point)
    mark_id = file_mark(engine, point_id=gas_point, type="fault", start=T0, filed_by="ent")
    link = store.add_link(engine, alarm["id"], "mark", mark_id, "city-officer")
    assert (link["kind"], link["target_id"]) == ("mark", str(mark_id))
    store.add_link(engine, alarm["id"], "work_order", "WO-2026-0042", "city-officer")
    with pytest.raises(AlarmConflict, match="already linked"):
        store.add_link(engine, alarm["id"], "mark", mark_id, "city-officer")
    with pytest.raises(AlarmError, match="no mark with id 424242"):
        store.add_link(engine, alarm["id"], "mark", 424242, "city-officer")
    with pytest.raises(AlarmError, match="link kind"):
        store.add_link(engine, alarm["id"], "ticket", "1", "city-officer")
    detail = store.alarm_detail(engine, alarm["id"])
    assert [(x["kind"], x["target_id"]) for x in detail["links"]] == [("mark", str(mark_id)),
                                                                        ("work_order", "WO-2026-0042")]
    assert [e["kind"] for e in detail["events"]] == ["raised", "linked", "linked"]


def test_concurrent_raises_make_one_alarm(engine, gas_point):
    n = 12
    barrier = threading.Barrier(n)
    changes, errors = [], []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            changes.append(_raise(engine, gas_point, at=T0 + timedelta(seconds=i))[1])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with engine.connect() as c:
        rows = c.execute(select(s.alarms)).mappings().all()
        events = c.execute(select(func.count()).select_from(s.alarm_events)).scalar_one()
    assert len(rows) == 1 and rows[0]["occurrences"] == n
    assert rows[0]["last_at"] == T0 + timedelta(seconds=n - 1)
    assert sorted(c.kind for c in changes) == ["raised"] + ["updated"] * (n - 1)
    assert events == 1


def test_list_filters_and_paging(engine, gas_point, water_point):
    _raise(engine, gas_point)
    _raise(engine, water_point, at=T0 + timedelta(hours=1))
    exc, _ = _raise(engine, gas_point, type="ALM-EXCEEDANCE", severity="critical", at=T0 + timedelta(hours=2))
    store.acknowledge(engine, exc["id"], "u")
    items, total = store.list_alarms(engine)
    assert total == 3 and items[0]["id"] == exc["id"]  # newest first
    assert store.list_alarms(engine, states=["active"])[1] == 2
    assert store.list_alarms(engine, point_id=gas_point)[1] == 2
    assert store.list_alarms(engine, severities=["critical"])[0][0]["id"] == exc["id"]
    assert store.list_alarms(engine, region_code="320000")[1] == 3  # the subtree
    assert store.list_alarms(engine, region_code="320581")[1] == 0
    assert store.list_alarms(engine, since=T0 + timedelta(minutes=30))[1] == 2
    page, total = store.list_alarms(engine, offset=2, limit=2)
    assert total == 3 and len(page) == 1
    with pytest.raises(AlarmError, match="unknown state"):
        store.list_alarms(engine, states=["open"])


def test_migration_matches_alarm_tables(engine):
    alarm_tables = {"alarms", "alarm_events", "alarm_links", "alarm_subscriptions", "alarm_deliveries",
                    "alarm_disposals", "alarm_disposal_steps", "alarm_disposal_files"}
    with engine.connect() as c:
        diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())

    def table_of(d) -> str | None:
        for item in (d if isinstance(d, list) else [d]):
            for part in item[1:]:
                name = getattr(part, "name", None) if not hasattr(part, "table") else part.table.name
                if name:
                    return name
        return None

    ours = [d for d in diffs if table_of(d) in alarm_tables]
    assert ours == []
