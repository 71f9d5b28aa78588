"""Wire-format limits (HJ 212-2017 Table 4, §6.3.3) and what the reply builder may be given."""

import pytest

from ecosentry.protocols.hj212 import (
    FIELD_LIMITS,
    BadField,
    FieldTooLong,
    LengthMismatch,
    build_frame,
    crc16,
    data_records,
    data_reply,
    parse_frame,
    peek_header,
)
from ecosentry.store import schema as s

MN = "010000A8900016F000169DC0"


def framed(segment: str) -> bytes:
    data = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def upload(qn="20240315100000000", mn=MN, pw="123456", cp="DataTime=20240315100000;a21026-Avg=1,a21026-Flag=N"):
    return framed(f"QN={qn};ST=31;CN=2051;PW={pw};MN={mn};Flag=5;CP=&&{cp}&&")


@pytest.mark.parametrize("field,value", [("qn", "2" * 21), ("mn", "M" * 25), ("pw", "p" * 10)])
def test_header_fields_longer_than_the_standard_are_rejected(field, value):
    with pytest.raises(FieldTooLong) as e:
        parse_frame(upload(**{field: value}))
    assert e.value.code == "FieldTooLong" and e.value.field == field.upper()


@pytest.mark.parametrize("cp", [
    "DataTime=20240315100000;" + "a" * 17 + "-Avg=1",
    "DataTime=20240315100000;a21026-Avg=1,a21026-Flag=NNN",
    "DataTime=20240315100000;a21026-Avg=1,a21026-EFlag=" + "E" * 9,
])
def test_record_fields_longer_than_the_store_keeps_are_rejected(cp):
    with pytest.raises(FieldTooLong):
        data_records(parse_frame(upload(cp=cp)))


@pytest.mark.parametrize("qn,mn,pw", [("2024=1", MN, "123456"), ("20240315", "M&&N", "123456"),
                                      ("20240315", MN, "12\r\n34")])
def test_header_values_with_separators_are_rejected_so_the_reply_builder_never_raises(qn, mn, pw):
    with pytest.raises(BadField):
        parse_frame(upload(qn=qn, mn=mn, pw=pw))


def test_every_parsed_frame_can_be_answered():
    frame = parse_frame(upload(qn="20240315100000000", mn="M" * 24, pw="p" * 9))
    assert parse_frame(data_reply(frame)).mn == "M" * 24


def test_limits_fit_the_store_columns():
    # a frame that passes the codec can always be stored (PostgreSQL enforces column lengths)
    assert FIELD_LIMITS["QN"] <= s.raw_frames.c.qn.type.length
    assert FIELD_LIMITS["MN"] <= s.raw_frames.c.mn.type.length
    assert FIELD_LIMITS["CN"] <= s.raw_frames.c.cn.type.length
    assert FIELD_LIMITS["factor"] <= s.observations.c.factor_code.type.length
    assert FIELD_LIMITS["-Flag"] <= s.observations.c.flag.type.length
    assert FIELD_LIMITS["-EFlag"] <= s.observations.c.eflag.type.length


def test_peek_header_reads_the_mn_of_a_frame_with_a_wrong_length():
    good = upload()
    bad = good.replace(good[:6], b"##%04d" % (int(good[2:6]) + 6))
    with pytest.raises(LengthMismatch):
        parse_frame(bad)
    assert peek_header(bad)["MN"] == MN and peek_header(bad)["PW"] == "123456"
    assert peek_header(b"##0010QN=1;MN=" + b"M" * 30) == {"QN": "1"}  # an over-long MN is not read


def test_lenient_length_accepts_a_wrong_length_only_with_a_right_crc():
    good = upload()
    bad = good.replace(good[:6], b"##%04d" % (int(good[2:6]) + 6))
    assert parse_frame(bad, lenient_length=True).mn == MN
    corrupt = bad[:-6] + (b"0000" if bad[-6:-2] != b"0000" else b"FFFF") + b"\r\n"
    with pytest.raises(Exception):
        parse_frame(corrupt, lenient_length=True)


def test_build_frame_still_refuses_separators():
    with pytest.raises(BadField):
        build_frame(cn="9014", cp="", qn="1=2")


def test_the_reply_builder_never_raises_on_parsed_input():
    import random

    rng = random.Random(11)
    alphabet = "0123456789ABCxyz=&,;\r\n\t\x00 #/-" + "测"
    answered = refused = 0
    for _ in range(3000):
        qn, pw, mn = ("".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 28))) for _ in range(3))
        if rng.random() < 0.5:  # a QN of its own syntax, so that PW and MN are what is tried
            qn = f"2024031510{rng.randrange(60):02d}{rng.randrange(60):02d}{rng.randrange(1000):03d}"
        raw = framed(f"QN={qn};ST=31;CN=2051;PW={pw};MN={mn};Flag=5;CP=&&&&")
        try:
            frame = parse_frame(raw)
        except Exception:
            refused += 1
            continue
        reply = parse_frame(data_reply(frame))  # never raises, and echoes the fields
        assert (reply.qn, reply.pw, reply.mn) == (frame.qn, frame.pw, frame.mn)
        answered += 1
    assert answered and refused
