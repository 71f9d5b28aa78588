"""Properties of the HJ 212 codec under hostile input (issue 19 item 6): the frame parser, the CRC, the stream
framer and the record decoder. Whatever bytes arrive, the answer is a frame or a typed :class:`HJ212Error`
(never another exception), a bad CRC or length is always refused, an over-long field never gets through, and a
frame the platform writes reads back to the same records.
"""

from __future__ import annotations

from datetime import datetime

from hypothesis import assume, given, strategies as st

from ecosentry.protocols.hj212 import (FIELD_LIMITS, BadField, CrcMismatch, DataRecord, FieldTooLong, Frame,
                                       FrameReader, HJ212Error, LengthMismatch, build_frame, crc16,
                                       data_records, data_reply, format_number, frame_dict, parse_frame,
                                       peek_header, records_to_cp)
from ecosentry.protocols.hj212.records import CN_BY_KIND
from fuzzkit import fuzz

MN, PW = "TEST0000000000000000GAS1", "123456"


def wire(segment: bytes | str) -> bytes:
    """``segment`` framed with its true length and CRC: what passes the envelope checks."""
    seg = segment.encode() if isinstance(segment, str) else segment
    return b"##%04d%s%04X\r\n" % (len(seg), seg, crc16(seg))


def parsed_or_refused(raw: bytes, **kw) -> Frame | HJ212Error:
    """parse_frame, then everything the gateway does with a parsed frame (records, JSON, reply): any
    exception but an :class:`HJ212Error` fails the property."""
    try:
        frame = parse_frame(raw, **kw)
        frame_dict(frame)  # header, CP and records, as `ecosentry hj212 parse` prints them
        if frame.reply_wanted:
            assert parse_frame(data_reply(frame)).cn == "9014"
        return frame
    except HJ212Error as exc:
        assert exc.code == type(exc).__name__ and isinstance(exc.offending, bytes)
        exc.to_dict()
        return exc


# ------------------------------------------------------------------------------------------- strategies

#: Characters that mean something on the wire, and some that do not.
WIRE_PIECES = ["##", "&&", "CP=", "CP=&&", ";", ",", "=", "-", "//", "\r\n", "\r", "\n", "\x00", " ", "QN=", "ST=31",
               "CN=2051", "CN=2011", f"MN={MN}", f"PW={PW}", "Flag=5", "Flag=9", "DataTime=20261120080000",
               "a21026-Avg=", "a21026-Rtd=", "-Flag=", "1.5", "1e999", "nan", "９", "中", "\xff", "Info=//a;b,c//"]

wire_text = st.lists(st.sampled_from(WIRE_PIECES) | st.text(max_size=6), max_size=40).map("".join)

cp_value = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).map(format_number),
    st.sampled_from(["", "N", "D", "nan", "inf", "-", "1e5", "1.2.3", "0x10", "１", "1_0", " 1", "//x;y//"]),
)


@st.composite
def valid_frames(draw) -> bytes:
    """A well-formed minute or real-time upload of one to five factors."""
    cn = draw(st.sampled_from(["2051", "2011", "2061", "2031"]))
    suffix = "Rtd" if cn == "2011" else "Avg"
    t = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))).replace(microsecond=0)
    factors = draw(st.lists(st.from_regex(r"[a-w][0-9]{5}", fullmatch=True), min_size=1, max_size=5, unique=True))
    cp = [{"DataTime": f"{t:%Y%m%d%H%M%S}"}]
    for f in factors:
        cp.append({f"{f}-{suffix}": format_number(draw(st.floats(-1e6, 1e6))), f"{f}-Flag": "N"})
    return build_frame(qn=f"{t:%Y%m%d%H%M%S}000", st="31", cn=cn, pw=PW, mn=MN, flag=draw(st.sampled_from([4, 5])),
                       cp=cp)


@st.composite
def mutated(draw, frames=valid_frames()) -> bytes:
    """A valid frame with one to four byte-level mutations: flips, cuts, insertions, repeats."""
    raw = bytearray(draw(frames))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "delete", "insert", "repeat", "digit"]))
        at = draw(st.integers(0, len(raw)))
        if op == "flip" and at < len(raw):
            raw[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "delete":
            del raw[at:at + draw(st.integers(1, 8))]
        elif op == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(WIRE_PIECES).map(str.encode))
        elif op == "repeat":
            raw[at:at] = raw[at:at + draw(st.integers(1, 20))]
        elif op == "digit" and 2 <= at < 6:
            raw[at] = ord(str(draw(st.integers(0, 9))))
    return bytes(raw)




# ------------------------------------------------------------------------------------------- parse_frame


@fuzz(400)
@given(st.binary(max_size=400))
def test_random_bytes_are_a_frame_or_a_typed_refusal(raw):
    parsed_or_refused(raw)
    parsed_or_refused(raw, lenient_length=True, strict_cn=True)
    peek_header(raw)


@fuzz(300)
@given(st.binary(max_size=300))
def test_random_bytes_in_a_true_envelope(segment):
    """Length and CRC right, the data segment anything: the content checks alone stand between it and the store."""
    parsed_or_refused(wire(segment))


@fuzz(400)
@given(wire_text)
def test_wire_like_text_in_a_true_envelope(text):
    """Separators nested and misplaced: ``CP=&&a=1;&&b&&``, ``//`` quotes left open, ``;`` in the header …"""
    item = parsed_or_refused(wire(text))
    item2 = parsed_or_refused(wire(f"QN=20261120080000000;ST=31;CN=2051;PW={PW};MN={MN};Flag=5;CP=&&{text}&&"))
    for it in (item, item2):
        if isinstance(it, Frame):
            for group in it.cp:
                for key, _ in group:
                    assert key and "=" not in key


@fuzz(300)
@given(mutated())
def test_mutated_valid_frames(raw):
    item = parsed_or_refused(raw)
    if isinstance(item, Frame):  # a mutation that kept the frame valid: what was read is what the CRC covers
        assert crc16(item.data_segment()) == int(raw[6 + int(raw[2:6]):6 + int(raw[2:6]) + 4], 16)


@fuzz(200)
@given(valid_frames(), st.integers(0, 0xFFFF))
def test_a_wrong_crc_is_always_refused(raw, other):
    declared = int(raw[2:6])
    assume(other != crc16(raw[6:6 + declared]))
    bad = raw[:6 + declared] + b"%04X" % other + b"\r\n"
    for kw in ({}, {"lenient_length": True}):
        item = parsed_or_refused(bad, **kw)
        assert isinstance(item, CrcMismatch), item


@fuzz(200)
@given(valid_frames(), st.integers(0, 9999))
def test_a_wrong_length_is_refused_unless_lenient_and_the_crc_is_right(raw, declared):
    assume(declared != int(raw[2:6]))
    bad = b"##%04d" % declared + raw[6:]
    assert isinstance(parsed_or_refused(bad), LengthMismatch)
    lenient = parsed_or_refused(bad, lenient_length=True)  # the CRC over the bytes received is right
    assert isinstance(lenient, Frame) and lenient.cp == parse_frame(raw).cp


@fuzz(200)
@given(st.sampled_from(["QN", "ST", "CN", "PW", "MN", "Flag"]), st.integers(1, 40), st.sampled_from("0123456789A"))
def test_an_over_long_header_field_never_gets_through(key, extra, ch):
    values = {"QN": "20261120080000000", "ST": "31", "CN": "2051", "PW": PW, "MN": MN, "Flag": "5"}
    values[key] = values[key] + ch * (FIELD_LIMITS[key] - len(values[key]) + extra)
    seg = ";".join(f"{k}={v}" for k, v in values.items()) + ";CP=&&DataTime=20261120080000;a21026-Avg=1&&"
    item = parsed_or_refused(wire(seg))
    assert isinstance(item, BadField), item  # FieldTooLong, or a QN/CN/Flag that is no longer its syntax
    if key in ("ST", "PW", "MN"):
        assert isinstance(item, FieldTooLong)


@fuzz(200)
@given(st.sampled_from(["factor", "-Flag", "-EFlag"]), st.integers(1, 40))
def test_an_over_long_record_field_never_gets_through(which, extra):
    factor, flag, eflag = "a21026", "N", "ABCD"
    if which == "factor":
        factor = "a" * (FIELD_LIMITS["factor"] + extra)
    elif which == "-Flag":
        flag = "N" * (FIELD_LIMITS["-Flag"] + extra)
    else:
        eflag = "E" * (FIELD_LIMITS["-EFlag"] + extra)
    cp = f"DataTime=20261120080000;{factor}-Avg=1.5,{factor}-Flag={flag},{factor}-EFlag={eflag}"
    frame = parse_frame(wire(f"QN=20261120080000000;ST=31;CN=2051;PW={PW};MN={MN};Flag=5;CP=&&{cp}&&"))
    try:
        data_records(frame)
    except FieldTooLong:
        return
    raise AssertionError(f"{which} {extra} characters too long was accepted")


# ----------------------------------------------------------------------------------------- round trip


record_times = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0))
numbers = st.none() | st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)


@st.composite
def records(draw) -> list[DataRecord]:
    """Records of one kind, each with a value (a record of no field is no CP group: nothing to read back)."""
    kind = draw(st.sampled_from(sorted(CN_BY_KIND)))
    times = draw(st.lists(record_times, min_size=1, max_size=3, unique=True))
    out = []
    factors = draw(st.lists(st.text("abcwxyzAB0123456789", min_size=1, max_size=16), min_size=1, max_size=4,
                            unique=True))
    for t in times:
        for f in factors:
            zs = None if kind in ("state", "runtime") else draw(numbers)
            out.append(DataRecord(
                f, kind, t, value=draw(numbers.filter(lambda v: v is not None)), min=draw(numbers), max=draw(numbers), cou=draw(numbers),
                flag=draw(st.none() | st.sampled_from(["N", "D", "M", "C", "T"])),
                eflag=draw(st.none() | st.text("ABCDE0123", min_size=1, max_size=8)),
                zs_value=zs, zs_min=draw(numbers) if zs is not None else None,
                sample_time=draw(st.none() | record_times)))
    return out


def on_the_wire(r: DataRecord) -> DataRecord:
    """A record as its text on the wire says it: numbers to 15 significant digits (format_number)."""
    def n(v):
        return None if v is None else float(format_number(v))
    return DataRecord(r.factor, r.kind, r.data_time, n(r.value), n(r.min), n(r.max), n(r.cou), r.flag, r.eflag,
                      n(r.zs_value), n(r.zs_min), n(r.zs_max), r.sample_time, dict(r.extra))


@fuzz(100)
@given(records(), st.sampled_from([None, 4, 5]))
def test_records_round_trip(recs, flag):
    kind = recs[0].kind
    raw = build_frame(qn="20261120080000123", st="31", cn=CN_BY_KIND[kind], pw=PW, mn=MN, flag=flag,
                      cp=records_to_cp(recs))
    frame = parse_frame(raw)
    assert (frame.mn, frame.pw, frame.flag, frame.cn) == (MN, PW, flag, CN_BY_KIND[kind])
    assert data_records(frame) == [on_the_wire(r) for r in recs]
    again = build_frame(qn="20261120080000123", st="31", cn=CN_BY_KIND[kind], pw=PW, mn=MN, flag=flag,
                        cp=records_to_cp(data_records(frame)))
    assert again == raw  # what was read writes back to the same bytes


# ------------------------------------------------------------------------------------------- the framer


def framed(stream: bytes, cuts: list[int], **kw) -> list[bytes | HJ212Error]:
    reader = FrameReader(**kw)
    out, at = [], 0
    for cut in sorted(c % (len(stream) + 1) for c in cuts) + [len(stream)]:
        out += reader.feed(stream[at:cut])
        at = max(at, cut)
        assert reader.buffered <= reader.max_frame + 64
    out += reader.flush()
    for item in out:
        assert isinstance(item, (bytes, HJ212Error)), item
        if isinstance(item, bytes):
            assert item[:2] == b"##" and item.endswith(b"\r\n") and len(item) == int(item[2:6]) + 12
    return out


@fuzz(300)
@given(st.lists(st.binary(max_size=64) | st.sampled_from(WIRE_PIECES).map(str.encode), max_size=30).map(b"".join),
       st.lists(st.integers(0, 4000), max_size=12))
def test_the_framer_on_any_stream_in_any_cuts(stream, cuts):
    framed(stream, cuts, max_frame=256, max_garbage=64)


@fuzz(100)
@given(st.lists(st.tuples(valid_frames(), st.binary(max_size=40).filter(lambda b: b"#" not in b)), min_size=1,
                max_size=6),
       st.lists(st.integers(0, 4000), max_size=10))
def test_garbage_between_frames_costs_no_frame(pairs, cuts):
    """Valid frames with garbage (without ``#``) between them, cut anywhere: every frame comes out whole."""
    stream = b"".join(g + f for f, g in pairs)
    got = [i for i in framed(stream, cuts) if isinstance(i, bytes)]
    assert got == [f for f, _ in pairs]


@fuzz(100)
@given(st.lists(valid_frames() | mutated(), min_size=1, max_size=6), st.lists(st.integers(0, 4000), max_size=10))
def test_mutated_frames_cost_no_other_frame(frames, cuts):
    """Mutated frames among valid ones: every valid frame not right after a mutated one comes out whole (a
    mutation that cut a frame's CRLF joins it to the next frame, which HJ 212's framing cannot tell apart)."""
    stream = b"".join(frames)
    got = [i for i in framed(stream, cuts) if isinstance(i, bytes)]
    for prev, f in zip([b"\r\n"] + frames, frames):
        valid = isinstance(parsed_or_refused(f), Frame) and f.endswith(b"\r\n") and f.count(b"##") == 1
        if valid and prev.endswith(b"\r\n") and b"##" not in prev[-12:] and prev.count(b"\r\n") == 1:
            assert f in got, (prev, f)
    for raw in got:
        parsed_or_refused(raw)
