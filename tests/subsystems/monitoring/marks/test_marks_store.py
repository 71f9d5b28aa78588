"""store/marks.py and store/audit.py on SQLite and PostgreSQL: life cycle, audit trail, refusals, gap marks."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from ecosentry.subsystems.monitoring.rules.cn.marks import hour_mark_effect
from ecosentry.store import schema as s
from ecosentry.store.audit import list_audit
from ecosentry.subsystems.monitoring.store.marks import (
    MarkError,
    MarkNotFound,
    attach_evidence,
    close_mark,
    delete_mark,
    file_mark,
    get_evidence,
    get_mark,
    list_marks,
    marks_for_hours,
    review_mark,
    sync_auto_gap_marks,
)

CST = timezone(timedelta(hours=8))
# a day near today, so that the PostgreSQL observation partitions exist
DAY = datetime.now(CST).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)


def at(hh: int, mm: int = 0) -> datetime:
    return DAY + timedelta(hours=hh, minutes=mm)


def test_lifecycle_with_audit_rows(engine, gas_point):
    mid = file_mark(engine, point_id=gas_point, type="maintenance", start=at(8, 20), end=None,
                    factor_codes=["a21026", "a21002"], reason="更换采样探头", filed_by="ent-user")
    m = get_mark(engine, mid)
    assert (m["status"], m["source"], m["family"], m["end"]) == ("filed", "manual", "equipment_maintenance", None)
    assert m["factor_codes"] == ["a21002", "a21026"]
    assert m["start"] == at(8, 20).astimezone(timezone.utc)

    meta = attach_evidence(engine, mid, "C:\\photos\\probe.jpg", "image/jpeg", b"\xff\xd8jpegbytes", "ent-user")
    assert meta["filename"] == "probe.jpg" and meta["size"] == 11
    assert meta["sha256"] == hashlib.sha256(b"\xff\xd8jpegbytes").hexdigest()
    assert bytes(get_evidence(engine, mid, meta["id"])["data"]) == b"\xff\xd8jpegbytes"

    approved = review_mark(engine, mid, "approved", "regulator-1", "核实无误")
    assert (approved["status"], approved["reviewed_by"], approved["review_comment"]) == ("approved", "regulator-1", "核实无误")
    closed = close_mark(engine, mid, at(8, 30), "ent-user")
    assert closed["end"] == at(8, 30).astimezone(timezone.utc)
    deleted = delete_mark(engine, mid, "admin")
    assert deleted["deleted_at"] is not None

    rows = list(reversed(list_audit(engine, entity="mark", entity_id=mid)))   # oldest first
    assert [r["action"] for r in rows] == ["file", "attach_evidence", "review", "close", "delete"]
    assert [r["actor"] for r in rows] == ["ent-user", "ent-user", "regulator-1", "ent-user", "admin"]
    assert rows[0]["before"] is None and rows[0]["after"]["status"] == "filed"
    assert rows[1]["before"]["evidence"] == [] and rows[1]["after"]["evidence"][0]["sha256"] == meta["sha256"]
    assert (rows[2]["before"]["status"], rows[2]["after"]["status"]) == ("filed", "approved")
    assert rows[3]["before"]["end"] is None
    assert rows[3]["after"]["end"] == at(8, 30).astimezone(timezone.utc).isoformat()
    assert rows[4]["before"]["deleted_at"] is None and rows[4]["after"]["deleted_at"] is not None
    for r in rows:
        assert r["at"].tzinfo is not None
        assert r["entity_id"] == str(mid)
    # consecutive rows chain: each "before" is the previous "after"
    for prev, cur in zip(rows, rows[1:]):
        assert cur["before"] == prev["after"]

    # soft-deleted: hidden by default, kept on request, no longer acts
    assert list_marks(engine, point_id=gas_point) == []
    assert [x["id"] for x in list_marks(engine, point_id=gas_point, include_deleted=True)] == [mid]
    assert marks_for_hours(engine, gas_point, at(8), at(9)) == []
    with pytest.raises(MarkError, match="deleted"):
        delete_mark(engine, mid, "admin")


def test_bad_inputs_are_refused(engine, gas_point, water_point):
    with pytest.raises(MarkError, match="must be after start"):
        file_mark(engine, point_id=gas_point, type="fault", start=at(9), end=at(8))
    with pytest.raises(MarkError, match="must be after start"):
        file_mark(engine, point_id=gas_point, type="fault", start=at(9), end=at(9))
    with pytest.raises(MarkError, match="unknown mark type 'holiday'"):
        file_mark(engine, point_id=gas_point, type="holiday", start=at(8), end=at(9))
    with pytest.raises(MarkError, match=r"w01018 are not monitored at point"):
        file_mark(engine, point_id=gas_point, type="fault", start=at(8), end=at(9), factor_codes=["w01018"])
    with pytest.raises(MarkError, match="no time zone"):
        file_mark(engine, point_id=gas_point, type="fault", start=datetime(2026, 11, 23, 8), end=None)
    with pytest.raises(MarkNotFound, match="no point with id 9999"):
        file_mark(engine, point_id=9999, type="fault", start=at(8), end=at(9))
    with pytest.raises(MarkError, match="unknown mark family"):
        file_mark(engine, point_id=gas_point, type="fault", start=at(8), end=at(9), family="weather")

    mid = file_mark(engine, point_id=water_point, type="standard_sample_check", start=at(13, 21), end=at(14, 6),
                    factor_codes=["w01018"], filed_by="ent")
    with pytest.raises(MarkError, match="empty"):
        attach_evidence(engine, mid, "empty.pdf", "application/pdf", b"", "ent")
    with pytest.raises(MarkError, match="limit is 10 bytes"):
        attach_evidence(engine, mid, "big.pdf", "application/pdf", b"x" * 11, "ent", max_bytes=10)
    with pytest.raises(MarkError, match="decision"):
        review_mark(engine, mid, "maybe", "reg")
    review_mark(engine, mid, "rejected", "reg", "无核查记录")
    with pytest.raises(MarkError, match="already reviewed; only filed marks can be reviewed"):
        review_mark(engine, mid, "approved", "reg")
    with pytest.raises(MarkError, match="already closed"):
        close_mark(engine, mid, at(15), "ent")
    with pytest.raises(MarkNotFound):
        review_mark(engine, 424242, "approved", "reg")
    with pytest.raises(MarkNotFound):
        get_evidence(engine, mid, 424242)
    # refused operations leave no audit rows: file + review only
    assert [r["action"] for r in list_audit(engine, entity="mark", entity_id=mid)] == ["review", "file"]


def test_marks_for_hours_feed_the_hour_rule(engine, gas_point):
    auto = file_mark(engine, point_id=gas_point, type="comm_interruption", start=at(8, 10), end=at(8, 40),
                     factor_codes=["a21026"], source="auto", filed_by="system")
    manual = file_mark(engine, point_id=gas_point, type="stopped", start=at(8), end=at(9), filed_by="ent")
    rejected = file_mark(engine, point_id=gas_point, type="fault", start=at(10), end=at(11), filed_by="ent")
    review_mark(engine, rejected, "rejected", "reg")
    assert get_mark(engine, auto)["status"] == "approved"

    spans = marks_for_hours(engine, gas_point, at(0), at(24))
    assert {m.id for m in spans} == {auto, manual, rejected}
    assert hour_mark_effect(spans, "a21026", at(8), at(9))[:2] == ("excluded", (manual,))
    assert hour_mark_effect(spans, "a21026", at(10), at(11)) == (None, (), None)
    assert [m.id for m in marks_for_hours(engine, gas_point, at(9), at(10))] == []
    assert [m["id"] for m in list_marks(engine, point_id=gas_point, status="rejected")] == [rejected]


def _minute_rows(point_id: int, factor: str, times: list[datetime]) -> list[dict]:
    now = datetime.now(timezone.utc)
    return [{"point_id": point_id, "factor_code": factor, "kind": "min", "period_start": x, "value": 1.0,
             "received_at": now} for x in times]


def test_sync_auto_gap_marks_is_idempotent(engine, gas_point):
    # 1-min data 08:00–08:10 and 08:27–08:59 → one 16-min gap 08:11–08:27
    times = [at(8, m) for m in range(0, 11)] + [at(8, m) for m in range(27, 60)]
    with engine.begin() as c:
        c.execute(insert(s.observations), _minute_rows(gas_point, "a21026", times))
    first = sync_auto_gap_marks(engine, gas_point, "a21026", at(8), at(9))
    assert len(first["created"]) == 1 and first["updated"] == first["deleted"] == []
    m = get_mark(engine, first["created"][0])
    assert (m["source"], m["type"], m["status"], m["factor_codes"]) == ("auto", "comm_interruption", "approved", ["a21026"])
    assert (m["start"], m["end"]) == (at(8, 11).astimezone(timezone.utc), at(8, 27).astimezone(timezone.utc))
    assert list_audit(engine, entity="mark", entity_id=m["id"])[0]["actor"] == "system"

    assert sync_auto_gap_marks(engine, gas_point, "a21026", at(8), at(9)) == {"created": [], "updated": [], "deleted": []}

    # back-filled minutes 08:11–08:12 shrink the gap to 08:13–08:27 (14 min ≤ 15) → the mark is removed
    with engine.begin() as c:
        c.execute(insert(s.observations), _minute_rows(gas_point, "a21026", [at(8, 11), at(8, 12)]))
    third = sync_auto_gap_marks(engine, gas_point, "a21026", at(8), at(9))
    assert third == {"created": [], "updated": [], "deleted": [m["id"]]}
    assert list_marks(engine, point_id=gas_point) == []

    with pytest.raises(MarkError, match="not monitored"):
        sync_auto_gap_marks(engine, gas_point, "w01018", at(8), at(9))


def test_sync_updates_a_growing_gap(engine, gas_point):
    # data stop after 08:29; window to 09:00 → gap 08:30–09:00 (cut at the window end)
    with engine.begin() as c:
        c.execute(insert(s.observations), _minute_rows(gas_point, "a21002", [at(8, m) for m in range(30)]))
    created = sync_auto_gap_marks(engine, gas_point, "a21002", at(8), at(9))["created"]
    # data resume at 09:20; window 08:00–10:00 → the same mark now runs 08:30–09:20
    with engine.begin() as c:
        c.execute(insert(s.observations), _minute_rows(gas_point, "a21002", [at(9, m) for m in range(20, 60)]))
    res = sync_auto_gap_marks(engine, gas_point, "a21002", at(8), at(10))
    assert res == {"created": [], "updated": created, "deleted": []}
    m = get_mark(engine, created[0])
    assert (m["start"], m["end"]) == (at(8, 30).astimezone(timezone.utc), at(9, 20).astimezone(timezone.utc))
    assert list_audit(engine, entity="mark", entity_id=m["id"])[0]["action"] == "auto_update"
