"""The spool form of an envelope (issue 19 item 2): binary with a version byte, and the older JSON form still read,
so a spool written before the change replays."""

import enum
from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.contracts.envelope import SPOOL_V1, Envelope, Reading
from ecosentry.pipeline.spool import Spool, SpoolReader
from ecosentry.pipeline.worker import IngestWorker

T0 = datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)


def _envelope(**changes) -> Envelope:
    readings = [
        Reading("a21026", "min", T0, 12.5, 11.0, 14.25, 0.031, "N", None, 30.1, None, 33.0, None),
        Reading("a21002", "min", T0, None, None, None, None, "D", "E1", None, None, None,
                T0 - timedelta(seconds=30, microseconds=123000)),
        Reading("w01018", "hour", T0 + timedelta(hours=1), -0.0, 1e-9, 1e300, 0.0, "", "", None, None, None, None),
    ]
    env = Envelope(transport="hj212-tcp", received_at=T0 + timedelta(seconds=2, microseconds=456789),
                   raw=b"##0101QN=...\xff\x00\r\n", status="accepted", peer="127.0.0.1:5000", mn="MN 测试",
                   cn="2051", qn="20260101080100000", point_id=42, error=None, detail="一 note", readings=readings)
    for k, v in changes.items():
        setattr(env, k, v)
    return env


def test_binary_form_round_trips_every_field():
    env = _envelope(kind="park-events", meta={"file": "a.txt", "n": [1, 2.5, None], "ok": True})
    data = env.encode()
    assert data[:1] == SPOOL_V1
    assert Envelope.decode(data) == env


def test_older_json_form_is_still_read_and_gives_the_same_envelope():
    env = _envelope(meta={"file": "b.txt"})
    old = env.encode_json()
    assert old[:1] == b"{"
    assert Envelope.decode(old) == Envelope.decode(env.encode()) == env


def test_rejected_envelope_without_readings():
    env = _envelope(status="rejected", point_id=None, mn=None, cn=None, qn=None, error="crc_mismatch",
                    detail="CRC in frame is 0000, computed 1C80", readings=[])
    assert Envelope.decode(env.encode()) == env


class _Code(enum.IntEnum):
    SEVEN = 7


class _Float(float):
    pass


def test_subclassed_values_go_binary_and_values_messagepack_does_not_take_fall_back_to_the_json_form():
    env = _envelope(point_id=_Code.SEVEN)
    env.readings[0].value = _Float(1.5)
    data = env.encode()
    assert data[:1] == b"\x01"  # an int or float subclass is an int or float to MessagePack
    back = Envelope.decode(data)
    assert back.point_id == 7 and back.readings[0].value == 1.5
    huge = _envelope(point_id=2 ** 70)  # beyond MessagePack's 64-bit integers
    data = huge.encode()
    assert data[:1] == b"{" and Envelope.decode(data).point_id == 2 ** 70


def test_a_malformed_binary_record_is_an_error_not_a_crash():
    with pytest.raises(ValueError):
        Envelope.decode(b"\x01\xc1 not MessagePack")


def test_a_spool_holding_both_forms_replays_in_order(tmp_path):
    """A spool written before the change (JSON records), then appended to after it (binary): the worker's
    decoding reads every record, none is set aside as undecodable."""
    envs = [_envelope(qn=f"2026010108010000{i}") for i in range(4)]
    sp = Spool(tmp_path)
    sp.append_sync([envs[0].encode_json(), envs[1].encode_json()])
    sp.close()
    sp = Spool(tmp_path)
    sp.append_sync([envs[2].encode(), envs[3].encode()])
    got = [IngestWorker._decode(r.seq, r.payload) for r in SpoolReader(tmp_path).read_batch(10)]
    assert got == envs
    sp.close()
