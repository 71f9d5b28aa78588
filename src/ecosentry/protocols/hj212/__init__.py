"""HJ 212-2017 codec: bytes in, typed records out (no I/O, no clock, no DB).

Modules
-------
crc       CRC-16 of Appendix A.
errors    typed errors carrying the offending bytes.
codes     code tables (command codes, return codes, data flags).
frame     parse / build one frame (§6.3).
stream    cut a TCP byte stream into frames.
records   monitoring records of data uploads, and the reverse for simulators.
replies   interaction replies 9011-9014.

Typical gateway loop::

    reader = FrameReader()
    for item in reader.feed(chunk):
        if isinstance(item, HJ212Error):
            ...  # archive item.offending, log item.to_dict()
            continue
        frame = parse_frame(item)
        records = data_records(frame)
        if frame.reply_wanted:
            send(data_reply(frame))
"""

from .codes import CN_NAMES, DATA_FLAG_NAMES, ST_NAMES, ExeRtn, QnRtn, is_known_cn, is_known_st
from .crc import crc16, crc16_hex
from .errors import (
    BadField,
    BadHeader,
    BadHeaderField,
    CrcMismatch,
    FieldTooLong,
    FrameTimeout,
    FrameTooLarge,
    HJ212Error,
    LengthMismatch,
    UnknownCN,
)
from .frame import DEFAULT_MAX_FRAME, FIELD_LIMITS, Frame, build_frame, data_segment, parse_frame, peek_header
from .records import (
    CN_BY_KIND,
    KIND_BY_CN,
    DataRecord,
    data_records,
    format_number,
    frame_dict,
    records_to_cp,
    restart_time,
)
from .replies import data_reply, execution_reply, notification_reply, request_reply
from .stream import FrameReader

__all__ = [
    "BadField",
    "BadHeader",
    "BadHeaderField",
    "CN_BY_KIND",
    "CN_NAMES",
    "CrcMismatch",
    "DATA_FLAG_NAMES",
    "DEFAULT_MAX_FRAME",
    "FIELD_LIMITS",
    "FieldTooLong",
    "FrameTimeout",
    "DataRecord",
    "ExeRtn",
    "Frame",
    "FrameReader",
    "FrameTooLarge",
    "HJ212Error",
    "KIND_BY_CN",
    "LengthMismatch",
    "QnRtn",
    "ST_NAMES",
    "UnknownCN",
    "build_frame",
    "crc16",
    "crc16_hex",
    "data_records",
    "data_reply",
    "data_segment",
    "execution_reply",
    "format_number",
    "frame_dict",
    "is_known_cn",
    "is_known_st",
    "notification_reply",
    "parse_frame",
    "peek_header",
    "records_to_cp",
    "request_reply",
    "restart_time",
]
