"""FrameReader: cutting a TCP byte stream into HJ 212 frames."""

import random

import pytest

from ecosentry.protocols.hj212 import (
    BadHeader,
    FrameReader,
    FrameTooLarge,
    HJ212Error,
    LengthMismatch,
    build_frame,
    data_records,
    parse_frame,
)

# HJ 212-2017 Appendix A example frame.
APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def minute_frame(minute: int, value: float) -> bytes:
    return build_frame(
        cn="2051",
        cp=[{"DataTime": f"2024031510{minute:02d}00"}, {"a21026-Avg": value, "a21026-Flag": "N"}],
        qn=f"2024031510{minute:02d}00000",
        st="31",
        pw="123456",
        mn="010000A8900016F000169DC0",
        flag=5,
    )


FRAMES = [APPENDIX_A, minute_frame(1, 12.5), minute_frame(2, 13.25), minute_frame(3, 0.0)]


def split(items):
    frames = [i for i in items if isinstance(i, bytes)]
    errors = [i for i in items if isinstance(i, HJ212Error)]
    return frames, errors


def test_whole_frames_in_one_read():
    frames, errors = split(FrameReader().feed(b"".join(FRAMES)))
    assert frames == FRAMES and errors == []


def test_byte_by_byte():
    reader = FrameReader()
    out = []
    for byte in b"".join(FRAMES):
        out.extend(reader.feed(bytes([byte])))
    assert out == FRAMES
    assert reader.buffered == 0
    assert [data_records(parse_frame(f))[0].value for f in out[1:]] == [12.5, 13.25, 0.0]


def test_frame_split_across_reads():
    reader = FrameReader()
    assert reader.feed(APPENDIX_A[:50]) == []
    assert reader.buffered == 50
    assert reader.feed(APPENDIX_A[50:] + FRAMES[1][:3]) == [APPENDIX_A]
    assert reader.feed(FRAMES[1][3:]) == [FRAMES[1]]


def test_empty_feed():
    assert FrameReader().feed(b"") == []


def test_garbage_before_and_between_frames():
    reader = FrameReader()
    out = reader.feed(b"HELLO" + FRAMES[0] + b"\xff\xfejunk" + FRAMES[1])
    assert [type(i) for i in out] == [BadHeader, bytes, BadHeader, bytes]
    assert out[0].offending == b"HELLO"
    assert out[2].offending == b"\xff\xfejunk"
    assert out[1] == FRAMES[0] and out[3] == FRAMES[1]


def test_garbage_without_frame_start_is_reported_when_the_connection_ends():
    reader = FrameReader()
    assert reader.feed(b"AT+CSQ\r\nOK") == []  # one chunk, reported when it ends
    assert reader.buffered == 0 and reader.pending == len(b"AT+CSQ\r\nOK")
    [err] = reader.flush()
    assert isinstance(err, BadHeader) and err.offending == b"AT+CSQ\r\nOK"
    assert reader.pending == 0


def test_a_run_of_hashes_is_one_garbage_chunk_not_one_error_per_byte():
    reader = FrameReader(max_garbage=65536)
    out = []
    for i in range(0, 128 * 1024, 4096):
        out.extend(reader.feed(b"#" * 4096))
    out.extend(reader.feed(FRAMES[0]))
    errors = [i for i in out if isinstance(i, HJ212Error)]
    assert 1 <= len(errors) <= 3 and out[-1] == FRAMES[0]
    assert sum(len(e.offending) for e in errors) == 128 * 1024  # every byte reported, in few chunks
    assert reader.pending == 0


def test_unfinished_frame_is_reported_on_flush():
    reader = FrameReader()
    assert reader.feed(APPENDIX_A[:40]) == []
    [err] = reader.flush()
    assert isinstance(err, LengthMismatch) and err.offending == APPENDIX_A[:40]


def test_lone_hash_at_end_of_read_is_kept():
    reader = FrameReader()
    assert reader.feed(b"#") == []
    assert reader.feed(APPENDIX_A[1:]) == [APPENDIX_A]


def test_stray_whitespace_between_frames_is_ignored():
    out = FrameReader().feed(FRAMES[0] + b"\r\n\r\n" + FRAMES[1] + b"\x00 ")
    assert out == FRAMES[:2]


def test_extra_hash_before_frame():
    out = FrameReader().feed(b"#" + FRAMES[0])
    assert isinstance(out[0], BadHeader) and out[0].offending == b"#"
    assert out[1:] == [FRAMES[0]]


def test_bad_length_field_resynchronises():
    bad = b"##01X1QN=1;CN=2011;CP=&&&&ABCD\r\n"
    out = FrameReader().feed(bad + FRAMES[1])
    assert isinstance(out[0], BadHeader) and out[0].offending == bad
    assert out[1:] == [FRAMES[1]]


def test_bad_length_field_is_garbage_up_to_the_next_frame():
    reader = FrameReader()
    assert reader.feed(b"##0x") == []
    err, frame = reader.feed(b"yz\r\n" + FRAMES[2])
    assert isinstance(err, BadHeader) and err.offending == b"##0xyz\r\n"
    assert frame == FRAMES[2]


def test_declared_length_too_long():
    # "##0200" but the frame ends after 101 bytes: reported as soon as its CRLF
    # arrives, without waiting for (or eating) the next frame.
    bad = APPENDIX_A.replace(b"##0101", b"##0200")
    reader = FrameReader()
    [err] = reader.feed(bad)
    assert isinstance(err, LengthMismatch) and err.offending == bad
    assert reader.feed(FRAMES[1]) == [FRAMES[1]]


def test_declared_length_too_short():
    bad = APPENDIX_A.replace(b"##0101", b"##0090")
    out = FrameReader().feed(bad + FRAMES[1])
    assert isinstance(out[0], LengthMismatch) and out[0].offending == bad
    assert out[1:] == [FRAMES[1]]


def test_truncated_frame_followed_by_good_frame():
    truncated = APPENDIX_A[:60]  # logger reset mid-frame
    out = FrameReader().feed(truncated + FRAMES[1] + FRAMES[2])
    assert isinstance(out[0], LengthMismatch) and out[0].offending == truncated
    assert out[1:] == FRAMES[1:3]


def test_oversize_frame_is_skipped_and_next_frame_kept():
    big = build_frame(cn="3020", cp=[{"i11001-Info": "x" * 500}], st="32")
    reader = FrameReader(max_frame=300)
    out = []
    for i in range(0, len(big), 64):  # arrives in pieces, never buffered whole
        out.extend(reader.feed(big[i : i + 64]))
        assert reader.buffered <= 300
    out.extend(reader.feed(FRAMES[0]))
    assert isinstance(out[0], FrameTooLarge) and out[0].offending.startswith(big[:6])
    assert f"declared frame size {len(big)} bytes" in out[0].detail
    assert out[1:] == [FRAMES[0]]


def test_oversize_frame_in_one_read():
    big = build_frame(cn="3020", cp=[{"i11001-Info": "x" * 500}], st="32")
    out = FrameReader(max_frame=300).feed(big + FRAMES[1])
    assert isinstance(out[0], FrameTooLarge) and out[0].offending == big
    assert out[1:] == [FRAMES[1]]


def test_buffer_stays_bounded_on_endless_garbage():
    reader = FrameReader(max_frame=1024)
    rng = random.Random(7)
    for _ in range(300):
        chunk = bytes(rng.choice(b"abc#\r\n0123456789") for _ in range(997))
        reader.feed(chunk)
        assert reader.buffered <= 1024
    assert reader.feed(b"\r\n" + FRAMES[0])[-1] == FRAMES[0]


def test_max_frame_must_hold_an_empty_frame():
    with pytest.raises(ValueError):
        FrameReader(max_frame=5)


def test_reset_drops_partial_frame():
    reader = FrameReader()
    reader.feed(APPENDIX_A[:40])
    reader.reset()
    assert reader.buffered == 0
    assert reader.feed(FRAMES[1]) == [FRAMES[1]]


def _random_chunks(data: bytes, rng: random.Random):
    pos = 0
    while pos < len(data):
        step = rng.choice((1, 1, 2, 3, 7, 13, 64, 200, 1000))
        yield data[pos : pos + step]
        pos += step


def test_fuzz_random_splits_give_the_same_frames():
    rng = random.Random(20170501)  # HJ 212-2017 came into force on 2017-05-01
    for trial in range(200):
        frames = [minute_frame(rng.randrange(60), round(rng.uniform(0, 500), 3)) for _ in range(rng.randrange(1, 8))]
        stream = b"".join(frames)
        reader = FrameReader()
        out = []
        for chunk in _random_chunks(stream, rng):
            out.extend(reader.feed(chunk))
        assert out == frames, trial
        assert reader.buffered == 0


def test_fuzz_with_garbage_keeps_every_good_frame():
    rng = random.Random(212)
    junk = [b"xyz", b"\xff\x00\x13", b"#", b"AT\r\n", b"##12", b"##0050QN=1;CN=2011", b"##9999"]
    for trial in range(200):
        frames = [minute_frame(rng.randrange(60), rng.randrange(1000) / 10) for _ in range(rng.randrange(1, 6))]
        parts = []
        for frame in frames:
            if rng.random() < 0.5:
                parts.append(rng.choice(junk))
            parts.append(frame)
        stream = b"".join(parts)
        reader = FrameReader()
        out = []
        for chunk in _random_chunks(stream, rng):
            out.extend(reader.feed(chunk))
        good = [i for i in out if isinstance(i, bytes)]
        assert good == frames, (trial, stream)
        assert all(isinstance(i, (BadHeader, LengthMismatch, FrameTooLarge)) for i in out if not isinstance(i, bytes))
        for frame in good:
            parse_frame(frame)  # every frame returned is whole and valid
