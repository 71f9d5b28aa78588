"""The HJ 212 codec as a coverage-guided fuzz target (``ecosentry fuzz hj212``, issue 19 item 6).

Each input goes through what the TCP gateway does with bytes from a logger: the stream framer (in two cuts),
:func:`parse_frame` (CRC, length, header, CP), :func:`peek_header`, the records and the JSON of
``ecosentry hj212 parse`` (:func:`frame_dict`), the boot time of a 2081 frame and the 9014 reply. Only an
:class:`HJ212Error` (with its stable code and the offending bytes) may come out.

A random input almost never carries its own CRC, so each input is also tried as the data segment of a frame
with its true length and CRC (an input that is a whole frame gives its own segment): that way the fuzzer
reaches the header and CP parsers instead of stopping at the CRC check.
"""

from __future__ import annotations

from pathlib import Path

from ecosentry.contracts.fuzz import Defect, FuzzTarget
from ecosentry.protocols.hj212.crc import crc16
from ecosentry.protocols.hj212.errors import HJ212Error
from ecosentry.protocols.hj212.frame import parse_frame, peek_header
from ecosentry.protocols.hj212.records import frame_dict, restart_time
from ecosentry.protocols.hj212.replies import data_reply
from ecosentry.protocols.hj212.stream import FrameReader

__all__ = ["TARGET", "one_input", "framed"]

CORPUS = Path(__file__).with_name("fuzz_corpus")


def framed(data: bytes) -> bytes:
    """``data`` as a frame that passes the length and CRC checks: a whole frame's own segment, re-framed (its
    length and CRC made true), else ``data`` itself as the segment; at most 9999 bytes (the length field's)."""
    if data.startswith(b"##") and len(data) >= 10:
        data = data[6:].rstrip(b"\r\n")[:-4]
    seg = data[:9999]
    return b"##%04d%s%04X\r\n" % (len(seg), seg, crc16(seg))


def _check_error(exc: HJ212Error) -> None:
    if exc.code != type(exc).__name__ or not isinstance(exc.offending, bytes):
        raise Defect(f"{exc!r}: code {exc.code!r}, offending {type(exc.offending).__name__}")
    exc.to_dict()


def _frame(raw: bytes, **options) -> None:
    try:
        frame = parse_frame(raw, **options)
        peek_header(raw)
        frame_dict(frame)
        if frame.cn == "2081":
            restart_time(frame)
        if frame.reply_wanted and parse_frame(data_reply(frame)).cn != "9014":
            raise Defect("the reply to a frame is not a 9014")
    except HJ212Error as exc:
        _check_error(exc)


def one_input(data: bytes) -> None:
    crc16(data)
    _frame(data)
    _frame(data, strict_cn=True, lenient_length=True)
    _frame(framed(data))
    reader = FrameReader()
    cut = len(data) // 2
    for item in reader.feed(data[:cut]) + reader.feed(data[cut:]) + reader.flush():
        if isinstance(item, HJ212Error):
            _check_error(item)
        elif not item.startswith(b"##"):
            raise Defect(f"the framer gave {item[:40]!r} as a frame")
    if reader.pending:
        raise Defect("the framer holds bytes after flush()")


TARGET = FuzzTarget(
    name="hj212",
    summary="HJ 212-2017 frames: framer, CRC, length, header, CP, records, reply; only HJ212Error",
    one_input=one_input,
    typed=(HJ212Error,),
    corpus=CORPUS,
    dictionary=Path(__file__).with_name("fuzz.dict"),
)
