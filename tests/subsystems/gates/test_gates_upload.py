"""Upload to the upper platform (issue 16 item 7), the pure parts: the configurable field mapping and its
validation, the retry schedule, the delivery states; the receiver down then up loses and doubles nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from ecosentry.contracts.catalogue import get
from ecosentry.subsystems.gates.rules.upload import (
    Delivery, FieldMap, MappingError, TransitionError, UploadSettings, map_row, next_attempt_at, retry_delay,
    transition, upload_late)

Z = ZoneInfo("Asia/Shanghai")
ROW = {"id": "L-1", "enterprise": "91130100MA0000000X", "time": datetime(2026, 1, 7, 9, 5, 3, tzinfo=Z),
       "direction": "in", "plate": "冀A12345", "vin": "LFWADRJF011002346", "emission_stage": "6", "fuel": "diesel",
       "cargo": "coal", "weight_t": 31.26, "fleet": "own"}


def test_the_default_mapping_is_the_2020_guide_table_3():
    out = map_row(ROW, UploadSettings())
    assert out == {"record_id": "L-1", "enterprise_code": "91130100MA0000000X", "pass_time": "20260107 090503",
                   "direction": "1", "plate_number": "冀A12345", "vin": "LFWADRJF011002346", "emission_stage": "6",
                   "cargo_name": "coal", "transport_volume_t": 31.3, "fleet_name": "own"}
    assert json.loads(json.dumps(out, ensure_ascii=False)) == out
    # the time is the platform's local time whatever offset the row carries
    utc_row = {**ROW, "time": ROW["time"].astimezone(ZoneInfo("UTC")).isoformat()}
    assert map_row(utc_row, UploadSettings())["pass_time"] == "20260107 090503"


def test_a_platform_with_its_own_field_names_and_codes():
    s = UploadSettings(timezone="Asia/Ho_Chi_Minh", mapping={
        "bienSo": FieldMap(source="plate"), "thoiGian": FieldMap(source="time", format="iso"),
        "chieu": FieldMap(source="direction", values={"in": "VAO", "out": "RA"}),
        "ngay": FieldMap(source="time", format="date"), "ghiChu": FieldMap(source="note", required=False)})
    assert map_row({**ROW, "direction": "out"}, s) == {
        "bienSo": "冀A12345", "thoiGian": "2026-01-07T08:05:03+07:00", "chieu": "RA", "ngay": "20260107"}


def test_a_bad_row_is_refused_whole_with_every_problem():
    bad = {**ROW, "vin": "LFWADRJF011002346XX", "emission_stage": "7", "time": "2026-01-07 09:05", "plate": " ",
           "weight_t": "heavy"}
    with pytest.raises(MappingError) as exc:
        map_row(bad, UploadSettings())
    fields = [f for f, _ in exc.value.problems]
    assert fields == ["pass_time", "plate_number", "vin", "emission_stage", "transport_volume_t"]
    assert "Ledger row L-1 cannot be uploaded" in str(exc.value) and "longer than 17 characters" in str(exc.value)
    assert "no offset" in str(exc.value) and "plate is missing" in str(exc.value)
    assert get("VEH-UPLOAD-INVALID").severity == "warning"
    with pytest.raises(ValidationError):
        UploadSettings(retry_base_s=60, retry_cap_s=30)
    with pytest.raises(ValidationError):
        UploadSettings(mapping={"x": {"source": "plate", "format": "colour"}})


def test_the_retry_schedule_grows_and_is_capped_and_spread_by_the_id():
    s = UploadSettings(retry_base_s=30, retry_factor=2, retry_cap_s=600, retry_jitter=0.0)
    assert [retry_delay(n, s) for n in range(1, 8)] == [30, 60, 120, 240, 480, 600, 600]
    assert retry_delay(10_000, UploadSettings(retry_factor=1e9, retry_jitter=0)) == 3600
    j = UploadSettings(retry_base_s=30, retry_factor=2, retry_cap_s=600, retry_jitter=0.1)
    a, b = retry_delay(3, j, "L-1"), retry_delay(3, j, "L-2")
    assert 120 <= a <= 132 and 120 <= b <= 132 and a != b and retry_delay(3, j, "L-1") == a
    at = datetime(2026, 1, 7, 9, tzinfo=Z)
    assert next_attempt_at(at, 1, s) == at + timedelta(seconds=30)
    with pytest.raises(ValueError):
        retry_delay(0, s)


def test_delivery_states_and_refused_moves():
    s, now = UploadSettings(max_attempts=2, retry_jitter=0), datetime(2026, 1, 7, 9, tzinfo=Z)
    d = transition(Delivery("L-1"), "error", now, s, "connection refused")
    assert (d.state, d.attempts, d.last_error) == ("failed", 1, "connection refused")
    d = transition(d, "schedule", now, s)
    assert d.state == "retry" and d.due_at == now + timedelta(seconds=30)
    d = transition(transition(d, "error", now, s, "503"), "schedule", now, s)
    assert d.state == "dead" and d.attempts == 2
    d = transition(d, "requeue", now, s)
    assert d.state == "pending" and d.attempts == 0
    sent = transition(d, "ack", now, s)
    assert sent.state == "sent" and sent.sent_at == now and transition(sent, "ack", now, s) is sent
    for state, event in (("sent", "error"), ("pending", "schedule"), ("retry", "requeue"), ("failed", "ack")):
        with pytest.raises(TransitionError, match=f"cannot go from {state} on {event}"):
            transition(Delivery("L-9", state=state), event, now, s)


def test_receiver_down_then_up_nothing_lost_nothing_doubled():
    """Rows queued while the receiver is down for 10 minutes: each is retried on its schedule and acknowledged
    exactly once when it is back; the receiver keeps what it got by delivery id."""
    s = UploadSettings(retry_base_s=30, retry_factor=2, retry_cap_s=300)
    start = datetime(2026, 1, 7, 9, tzinfo=Z)
    down_until = start + timedelta(minutes=10)
    queue = {f"L-{i}": Delivery(f"L-{i}", due_at=start + timedelta(seconds=7 * i)) for i in range(20)}
    received: dict[str, int] = {}
    now = start
    while any(d.state != "sent" for d in queue.values()) and now < start + timedelta(hours=2):
        for rid, d in sorted(queue.items()):
            if d.state in ("pending", "retry") and d.due_at <= now:
                if now < down_until:
                    d = transition(transition(d, "error", now, s, "503"), "schedule", now, s)
                else:
                    received[rid] = received.get(rid, 0) + 1
                    d = transition(d, "ack", now, s)
                queue[rid] = d
        now += timedelta(seconds=5)
    assert all(d.state == "sent" for d in queue.values()) and sorted(received) == sorted(queue)
    assert set(received.values()) == {1}
    assert max(d.sent_at for d in queue.values()) <= down_until + timedelta(seconds=s.retry_cap_s * 1.1 + 5)
    assert upload_late(start, start + timedelta(minutes=11), start, s) and not upload_late(
        start, start + timedelta(minutes=9), start, s)
    assert upload_late(start, None, start + timedelta(minutes=11), s)
