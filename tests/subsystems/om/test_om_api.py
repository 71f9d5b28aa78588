"""The O&M API over a real uvicorn server: a work order's whole life (create, assign, accept, arrive, finish with
photos, readings and checklist, approve) with its audit, an illegal move refused (409, said in the reader's
language), the review reserved to the regulator, an O&M account seeing only the points it maintains; door
controllers pushing events (authenticated per device, malformed and unauthenticated refused and counted once,
nothing half-stored); calibration records in by JSON and CSV making data invalid until the next pass."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import func, select

from ecosentry.alarms import store as alarm_store
from ecosentry.metrics import counters
from ecosentry.subsystems.om.alarms import DOOR_UNEXPLAINED, OUT_OF_CONTROL
from ecosentry.subsystems.om.schema import om_calibrations, om_door_events, om_work_order_events
from omkit import DOOR_SECRET, MN_A, auth, om_server


def _count(eng, table) -> int:
    with eng.connect() as c:
        return c.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_work_order_lives_through_the_api(om_world):
    eng, st, pts = om_world
    with om_server(eng, st) as base, httpx.Client(base_url=base, timeout=20) as http:
        r = http.post("/api/v1/om/work-orders", json={"kind": "weekly_inspection", "point_id": pts["a"]},
                      headers=auth("om_zhang"))
        assert r.status_code == 201, r.text
        order = r.json()
        oid = order["id"]
        assert order["state"] == "created" and order["actions"] == ["assign", "cancel"]
        # the planned window: 72 h after creation (DeadlineSettings.planned_order_hours), in the point's time
        created = datetime.fromisoformat(order["created_at"])
        assert datetime.fromisoformat(order["deadline"]) - created == timedelta(hours=72)
        assert created.utcoffset() == timedelta(hours=8)

        # an illegal move: finishing an order nobody accepted
        r = http.post(f"/api/v1/om/work-orders/{oid}/finish", json={}, headers={**auth("om_zhang"),
                                                                                 "Accept-Language": "zh-CN"})
        assert r.status_code == 409
        assert "cannot be finished" in r.json()["detail"] and "已创建" in r.json()["message"], r.json()
        r = http.post(f"/api/v1/om/work-orders/{oid}/fly", json={}, headers=auth("om_zhang"))
        assert r.status_code == 404

        # another organisation's engineer does not see it; the regulator of the city does
        assert http.get(f"/api/v1/om/work-orders/{oid}", headers=auth("om_li")).status_code == 404
        assert http.post(f"/api/v1/om/work-orders/{oid}/assign", json={"assignee": "om_li"},
                         headers=auth("om_li")).status_code == 404
        assert [o["id"] for o in http.get("/api/v1/om/work-orders", headers=auth("om_li")).json()["items"]] == []
        assert [o["id"] for o in http.get("/api/v1/om/work-orders", headers=auth("city")).json()["items"]] == [oid]
        # an O&M account may not create an order at a point it does not maintain
        assert http.post("/api/v1/om/work-orders", json={"kind": "weekly_inspection", "point_id": pts["b"]},
                         headers=auth("om_zhang")).status_code == 404

        for action, body in (("assign", {"assignee": "om_zhang"}), ("accept", {}), ("arrive", {}),
                             ("finish", {"photos": [{"file": "om/2026/12/01/panel.jpg", "sha256": "ab" * 32}],
                                         "readings": {"a21026": 35.2},
                                         "checklist": {"probe": "ok", "filter": "replaced"},
                                         "note": "更换滤芯"})):
            r = http.post(f"/api/v1/om/work-orders/{oid}/{action}", json=body, headers=auth("om_zhang"))
            assert r.status_code == 200, (action, r.text)
        # the review is the regulator's
        assert http.post(f"/api/v1/om/work-orders/{oid}/approve", json={}, headers=auth("om_zhang")).status_code == 403
        r = http.post(f"/api/v1/om/work-orders/{oid}/approve", json={"note": "合格"}, headers=auth("city"))
        assert r.status_code == 200 and r.json()["state"] == "reviewed" and r.json()["actions"] == []
        r = http.get(f"/api/v1/om/work-orders/{oid}", headers=auth("city")).json()
    assert r["readings"] == {"a21026": 35.2} and r["photos"][0]["file"] == "om/2026/12/01/panel.jpg"
    assert r["checklist"]["filter"] == "replaced" and r["assignee"] == "om_zhang"
    assert [(e["action"], e["from"], e["to"], e["actor"]) for e in r["events"]] == [
        ("create", None, "created", "om_zhang"), ("assign", "created", "assigned", "om_zhang"),
        ("accept", "assigned", "accepted", "om_zhang"), ("arrive", "accepted", "on_site", "om_zhang"),
        ("finish", "on_site", "done", "om_zhang"), ("approve", "done", "reviewed", "city")]
    assert all(r[k] is not None for k in ("assigned_at", "accepted_at", "on_site_at", "done_at", "reviewed_at"))
    assert _count(eng, om_work_order_events) == 6     # the refused moves wrote nothing


def test_an_order_answering_an_alarm_gets_the_fault_deadlines(om_world):
    eng, st, pts = om_world
    first = datetime(2026, 12, 4, 2, 0, tzinfo=timezone.utc)       # Friday 10:00 in Shijiazhuang
    alarm, _ = alarm_store.raise_alarm(eng, type="ALM-DATA-MISSING", source_type="point", source_id=pts["a"],
                                       severity=None, title="", explanation=None, evidence={}, point_id=pts["a"],
                                       at=first)
    with om_server(eng, st) as base, httpx.Client(base_url=base, timeout=20) as http:
        r = http.post("/api/v1/om/work-orders", json={"kind": "data_missing", "alarm_id": alarm["id"],
                                                      "assignee": "om_zhang"}, headers=auth("om_zhang"))
        assert r.status_code == 201, r.text
        o = r.json()
        assert o["state"] == "assigned" and o["point_id"] == pts["a"] and o["alarm_id"] == alarm["id"]
        # restored within 5 working days of the fault: to the end of Friday 11 December, local time [R]
        assert o["deadline"] == "2026-12-12T00:00:00+08:00" and o["report_deadline"] == "2026-12-04T22:00:00+08:00"
        assert http.post("/api/v1/om/work-orders", json={"kind": "data_missing", "alarm_id": alarm["id"]},
                         headers=auth("om_li")).status_code == 404          # an alarm of a point it does not see
        r = http.post("/api/v1/om/work-orders", json={"kind": "weekly_inspection", "alarm_id": alarm["id"]},
                      headers={**auth("om_zhang"), "Accept-Language": "vi"})
        assert r.status_code == 422 and "loại cảnh báo" in r.json()["message"]


def _door(http, headers: dict, body) -> httpx.Response:
    return http.post("/api/v1/om/doors/events", headers=headers,
                     content=body if isinstance(body, (bytes, str)) else None,
                     json=None if isinstance(body, (bytes, str)) else body)


def test_door_controllers_push_events_authenticated_and_checked(om_world):
    eng, st, pts = om_world
    device = {"X-Door-Id": "DOOR-A", "X-Door-Secret": DOOR_SECRET}
    now = datetime.now(timezone.utc).replace(microsecond=0)
    unauth, malformed = counters.get("om_door_unauthenticated"), counters.get("om_door_malformed")
    with om_server(eng, st) as base, httpx.Client(base_url=base, timeout=20) as http:
        good = {"time": (now - timedelta(hours=3)).isoformat(), "event": "open"}
        assert _door(http, {}, good).status_code == 401
        r = _door(http, {**device, "X-Door-Secret": "wrong-secret-000", "Accept-Language": "zh"}, good)
        assert r.status_code == 401 and "门禁控制器" in r.json()["message"]
        assert _door(http, {"X-Door-Id": "DOOR-Z", "X-Door-Secret": DOOR_SECRET}, good).status_code == 401
        assert counters.get("om_door_unauthenticated") == unauth + 3
        for bad in (b"{not json", {"time": good["time"], "event": "ajar"}, {"time": "yesterday", "event": "open"},
                    {"time": "2026-12-01T10:00:00", "event": "open"},            # no offset
                    {"time": (now + timedelta(days=1)).isoformat(), "event": "open"},
                    {"time": good["time"], "event": "open", "battery": 3}, [good],
                    # found for the om-push fuzz target (issue 19): RecursionError out of json.loads (a 500), and a
                    # time without a UTC instant let through to the store
                    b"[" * 5000, {"time": "0001-01-01T00:00:00+08:00", "event": "open"}):
            r = _door(http, device, bad)
            assert r.status_code == 422, (bad, r.text)
        assert counters.get("om_door_malformed") == malformed + 9
        assert _count(eng, om_door_events) == 0                       # nothing half-stored

        # an opening with no work order and no mark: stored once, flagged, the room's alarm raised
        r = _door(http, device, good)
        assert r.status_code == 201 and r.json() == {"stored": True, "room": "ROOM-A", "unexplained_openings": 1}
        # a verified controller's secret is remembered, a wrong one is still refused
        assert _door(http, {**device, "X-Door-Secret": "wrong-secret-000"}, good).status_code == 401
        assert counters.get("om_door_unauthenticated") == unauth + 4
        r = _door(http, device, good)                               # the controller sends it again
        assert r.status_code == 200 and r.json()["stored"] is False
        assert _door(http, device, {"time": (now - timedelta(hours=2, minutes=50)).isoformat(), "event": "close"}
                     ).status_code == 201
        assert _count(eng, om_door_events) == 2
        [alarm], _total = alarm_store.list_alarms(eng, types=[DOOR_UNEXPLAINED])
        assert alarm["point_id"] == pts["a"] and alarm["source_type"] == "station_room"

        # an engineer's visit: an order at work (from an hour before its creation), then the door opens: explained
        r = http.post("/api/v1/om/work-orders", json={"kind": "weekly_inspection", "point_id": pts["a"],
                                                      "assignee": "om_zhang"}, headers=auth("om_zhang"))
        assert r.status_code == 201
        r = _door(http, device, {"time": now.isoformat(), "event": "open"})
        assert r.status_code == 201 and r.json()["unexplained_openings"] == 1     # still only the first one


def _invalid(http, pid: int, factor: str, user: str = "om_zhang") -> list[dict]:
    r = http.get(f"/api/v1/om/points/{pid}/invalid-periods", params={"factor": factor}, headers=auth(user))
    assert r.status_code == 200, r.text
    return r.json()["periods"]


def test_a_failed_calibration_makes_data_invalid_until_the_next_pass(om_world):
    eng, st, pts = om_world
    now = datetime.now(timezone.utc).replace(microsecond=0)
    failed_at, passed_at = now - timedelta(hours=30), now - timedelta(hours=6)
    with om_server(eng, st) as base, httpx.Client(base_url=base, timeout=20) as http:
        # a span check drifting 4.1 % F.S. on SO2 (gas analysers: 2.5 % allowed [R]) — recorded as failed
        r = http.post("/api/v1/om/calibrations", headers=auth("om_zhang"), json=[
            {"point_id": pts["a"], "factor": "a21026", "time": (failed_at - timedelta(hours=24)).isoformat(),
             "kind": "span", "result": "pass", "drift_pct": 0.8, "analyser": "SN-SO2-01"},
            {"point_id": pts["a"], "factor": "a21026", "time": failed_at.isoformat(), "kind": "span",
             "result": "fail", "drift_pct": 4.1, "analyser": "SN-SO2-01", "reading": 241.0, "reference": 200.0}])
        assert r.status_code == 201 and r.json() == {"stored": 2, "already": 0, "out_of_control": 1}, r.text
        [period] = _invalid(http, pts["a"], "a21026")
        assert period["open"] and datetime.fromisoformat(period["start"]) == failed_at
        assert _invalid(http, pts["a"], "a34013") == []                  # the other factor's data stay valid
        [alarm] = [a for a in alarm_store.open_alarms(eng) if a["type"] == OUT_OF_CONTROL]
        assert alarm["source_id"] == f"{pts['a']}:a21026" and alarm["point_id"] == pts["a"]

        # a CSV with one bad line is refused whole, naming the line; nothing stored
        good_line = f"{MN_A},a21026,{passed_at.isoformat()},span,pass,0.9"
        r = http.post("/api/v1/om/calibrations/csv", headers={**auth("om_zhang"), "Accept-Language": "vi"},
                      content=f"point,factor,time,kind,result,drift_pct\n{good_line}\n{MN_A},a21026,"
                              f"{passed_at.isoformat()},gain,pass,0.2\n")
        assert r.status_code == 422 and "CSV line 3" in r.json()["detail"] and "dòng CSV 3" in r.json()["message"]
        assert _count(eng, om_calibrations) == 2
        # the passing span check ends the period (and clears the alarm); a re-import stores nothing twice
        csv_text = f"point,factor,time,kind,result,drift_pct\n{good_line}\n"
        r = http.post("/api/v1/om/calibrations/csv", headers=auth("om_zhang"), content=csv_text)
        assert r.status_code == 201 and r.json() == {"stored": 1, "already": 0, "out_of_control": 0}
        r = http.post("/api/v1/om/calibrations/csv", headers=auth("om_zhang"), content=csv_text)
        assert r.json() == {"stored": 0, "already": 1, "out_of_control": 0}
        [period] = _invalid(http, pts["a"], "a21026", user="city")
        assert not period["open"]
        assert (datetime.fromisoformat(period["start"]), datetime.fromisoformat(period["end"])) == (failed_at,
                                                                                                 passed_at)
        # another organisation's engineer sees neither the point nor its periods
        assert http.get(f"/api/v1/om/points/{pts['a']}/invalid-periods", params={"factor": "a21026"},
                        headers=auth("om_li")).status_code == 404
    assert not [a for a in alarm_store.open_alarms(eng) if a["type"] == OUT_OF_CONTROL]
    with eng.connect() as c:
        verdicts = sorted(c.execute(select(om_calibrations.c.verdict, om_calibrations.c.source)).all())
    assert verdicts == [("fail", "api"), ("pass", "api"), ("pass", "csv")]
