"""HJ 212 frames: parse one complete frame, build one.

A frame (通讯包, HJ 212-2017 §6.3.1, Table 3) is::

    ##  LLLL  <data segment>  CCCC  \\r\\n

``LLLL`` is the data segment's length in bytes (4 decimal digits), ``CCCC``
the CRC-16 of the data segment (4 hex digits, Appendix A). The data segment
(§6.3.2, Table 4) is ``QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;[PNUM=..;PNO=..;]CP=&&..&&``.
Inside CP (§6.3.3) ``;`` separates groups, ``,`` separates fields of a group
and each field is ``name=value``.

Parsing is strict about framing (header, length, CRC) and lenient about
content: unknown CP fields and old HJ/T 212-2005 factor codes are kept
verbatim; HJ/T 212-2005 frames without QN or Flag are accepted. Header fields
are checked by their own syntax (Table 4: QN 17 digits, ST present, CN and
Flag numbers), so a separator typo in the header is a malformed header
(:class:`~.errors.BadHeaderField`); codes outside the standard's tables (ST
Table 5, CN Table 9: provincial extensions) are kept (:attr:`Frame.st_known`,
:attr:`Frame.cn_known`), not refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

from .codes import CN_NAMES, ST_NAMES, is_known_cn, is_known_st
from .crc import crc16
from .errors import (BadField, BadHeader, BadHeaderField, CrcMismatch, FieldTooLong, FrameTooLarge, LengthMismatch,
                     UnknownCN)
from .timefmt import parse_hj_time

__all__ = [
    "DEFAULT_MAX_FRAME",
    "MAX_DATA_SEGMENT",
    "FIELD_LIMITS",
    "CpGroups",
    "Frame",
    "parse_frame",
    "build_frame",
    "data_segment",
    "decode_segment",
    "peek_header",
]

#: Default upper bound on a whole frame, in bytes. HJ 212-2017 §6.3.1
#: (Table 3) allows a data segment of up to 1024 bytes, but loggers in the
#: field send larger frames; 10 KiB is generous without letting a peer
#: exhaust memory.
DEFAULT_MAX_FRAME = 10240

#: The length field has 4 decimal digits, so no data segment can exceed this.
MAX_DATA_SEGMENT = 9999

#: CP as parsed: groups of ``(name, value)`` pairs, in wire order.
CpGroups = tuple[tuple[tuple[str, str], ...], ...]

CpInput = Union[str, Iterable[Union[Mapping[str, Any], Iterable[tuple[str, Any]]]]]

#: Longest value accepted per field, in characters. Header fields: HJ 212-2017 §6.3.2, Table 4 (QN C20,
#: ST C5, CN C7, PW C9, MN C24, Flag N3). Record fields (§6.3.3 field dictionary): the standard's factor codes
#: have 6 characters (Appendix B) and ``-Flag`` is C1, ``-EFlag`` C4; the platform keeps up to 16, 2 and
#: 8 (the store's columns, ``observations.factor_code/flag/eflag``) for provincial and HJ/T 212-2005
#: variants. A value beyond these could not be stored (PostgreSQL enforces the column lengths), so the
#: frame is rejected at the gateway with :class:`~.errors.FieldTooLong`.
FIELD_LIMITS: dict[str, int] = {
    "QN": 20, "ST": 5, "CN": 7, "PW": 9, "MN": 24, "Flag": 3, "PNUM": 4, "PNO": 4,
    "factor": 16, "-Flag": 2, "-EFlag": 8,
}

#: Characters a header value may not contain: the reply echoes QN, PW and MN (Table 9, 9014), and a
#: separator or a line break there would forge fields or frames in the reply.
_HEADER_FORBIDDEN = frozenset("=&,;\r\n") | frozenset(chr(c) for c in (*range(32), 127))

_HEX = b"0123456789abcdefABCDEF"
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")


@dataclass(frozen=True, slots=True)
class Frame:
    """One parsed HJ 212 frame (HJ 212-2017 §6.3.2, Table 4).

    Attributes
    ----------
    qn : str or None
        Request number ``YYYYMMDDhhmmsszzz``; absent in many HJ/T 212-2005 uploads.
    st : str or None
        System code (Table 5): 31 flue gas, 32 wastewater, 91 interaction ...
    cn : str
        Command code (Table 9).
    pw : str or None
        Access password.
    mn : str or None
        Device id of the data logger (up to 24 characters).
    flag : int or None
        Flag byte: bit 0 ``A`` reply wanted, bit 1 ``D`` subpacket,
        bits 2..7 protocol version.
    pnum, pno : int or None
        Total number of subpackets and this subpacket's number (present when
        the ``D`` bit is set).
    cp : tuple
        CP groups, each a tuple of ``(name, value)`` string pairs, in wire order.
    raw : bytes
        The frame exactly as received (with or without the CRLF).
    header_extra : tuple
        Header items other than the Table 4 fields, kept verbatim.
    """

    qn: str | None
    st: str | None
    cn: str
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: CpGroups
    raw: bytes
    header_extra: tuple[tuple[str, str], ...] = ()

    # -- Flag bits (HJ 212-2017 §6.3.2, Table 4, note on Flag) -------------
    @property
    def version(self) -> int | None:
        """Protocol version from Flag bits 2..7 (1 = HJ 212-2017, 0 = 2005)."""
        return None if self.flag is None else self.flag >> 2

    @property
    def reply_wanted(self) -> bool:
        """Flag bit ``A``: the sender wants a reply (e.g. 9014 for data)."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def is_subpacket(self) -> bool:
        """Flag bit ``D``: the message is split; PNUM and PNO are present."""
        return self.flag is not None and bool(self.flag & 2)

    # -- CP access ------------------------------------------------------------
    def field(self, name: str) -> str | None:
        """Return the value of the first CP field called ``name``, or None."""
        for group in self.cp:
            for key, value in group:
                if key == name:
                    return value
        return None

    def cp_groups(self) -> list[dict[str, str]]:
        """Return CP as a list of dicts, one per group (wire order kept).

        A name repeated inside one group keeps its first value.
        """
        out = []
        for group in self.cp:
            d: dict[str, str] = {}
            for key, value in group:
                d.setdefault(key, value)
            out.append(d)
        return out

    @property
    def data_time(self) -> datetime | None:
        """The first ``DataTime`` of CP as a naive *local* datetime, or None.

        For interval data it is the interval's start (HJ 212-2017 Table 9
        notes: ``20160801080000`` in a 2061 frame covers 08:00-09:00).

        Raises
        ------
        BadField
            If DataTime is present but not ``YYYYMMDDhhmmss``.
        """
        text = self.field("DataTime")
        return None if text is None else parse_hj_time(text, "DataTime", self.raw)

    @property
    def cn_name(self) -> str | None:
        """English meaning of the command code (Table 9), if known."""
        return CN_NAMES.get(self.cn)

    @property
    def cn_known(self) -> bool:
        """False for a command code outside the standard's table (Table 9; provincial extensions)."""
        return is_known_cn(self.cn)

    @property
    def st_known(self) -> bool:
        """False for a system code outside the standard's table (Table 5, which is extensible)."""
        return self.st is not None and is_known_st(self.st)

    def data_segment(self) -> bytes:
        """Return the data segment bytes (what the CRC covers)."""
        return data_segment(self.raw)

    def header_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the header, the decoded flag bits and the CP groups.

        :func:`~ecosentry.protocols.hj212.records.frame_dict` adds the decoded records: records are read from
        a frame, so the codec of the records sits above this module, not below it.
        """
        data_time = self.data_time
        out: dict[str, Any] = {
            "qn": self.qn,
            "st": self.st,
            "cn": self.cn,
            "cn_name": self.cn_name,
            "cn_known": self.cn_known,
            "st_name": None if self.st is None else ST_NAMES.get(self.st),
            "pw": self.pw,
            "mn": self.mn,
            "flag": self.flag,
            "version": self.version,
            "reply_wanted": self.reply_wanted,
            "is_subpacket": self.is_subpacket,
            "pnum": self.pnum,
            "pno": self.pno,
            "data_time": None if data_time is None else data_time.isoformat(),
            "cp": self.cp_groups(),
        }
        if self.header_extra:
            out["header_extra"] = dict(self.header_extra)
        return out


def data_segment(raw: bytes) -> bytes:
    """Return the data segment of a well-formed frame (bytes after ``##LLLL``)."""
    return bytes(raw[6 : 6 + int(raw[2:6])])


def decode_segment(data: bytes) -> str:
    """Decode a data segment to text.

    The standard's characters are ASCII; free-text fields (e.g. 3020 log
    ``i11001-Info``) may carry Chinese, in UTF-8 or, from many embedded
    loggers, GB 18030/GBK. Latin-1 is the last resort and never fails.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_frame(raw: bytes, *, strict_cn: bool = False, max_frame: int = DEFAULT_MAX_FRAME,
                lenient_length: bool = False) -> Frame:
    """Parse one complete HJ 212 frame.

    Parameters
    ----------
    raw : bytes
        The whole frame from ``##`` to the CRC, with or without the final
        ``\\r\\n``.
    strict_cn : bool
        If True a command code that :func:`~.codes.is_known_cn` does not
        know raises :class:`UnknownCN`. Off by default: a well-formed frame
        with a command code outside Table 9 (provincial extensions) is
        parsed, and :attr:`Frame.cn_known` says so.
    max_frame : int
        Largest accepted frame in bytes.
    lenient_length : bool
        Accept a declared length that differs from the bytes received when the CRC over the bytes received
        is right (loggers in the field that count the length wrongly; a per-point setting, off by default).

    Returns
    -------
    Frame

    Raises
    ------
    FrameTooLarge
        ``raw`` is longer than ``max_frame``.
    BadHeader
        No ``##`` or no 4-digit length (HJ 212-2017 §6.3.1, Table 3).
    LengthMismatch
        The declared length does not match the bytes between length and CRC.
    CrcMismatch
        The CRC is not 4 hex digits or is wrong (Appendix A).
    BadHeaderField
        A header field breaks its syntax (Table 4): an item that is not
        ``name=value``, a separator inside a value, QN not 17 digits
        ``yyyyMMddHHmmssSSS``, ST or CN missing, CN, Flag, PNUM or PNO not a
        number, a header field twice. A subclass of :class:`BadField`.
    BadField
        A CP field is malformed.
    UnknownCN
        Unknown command code and ``strict_cn`` is True.

    Notes
    -----
    Each error carries the whole frame as ``offending``.
    """
    raw = bytes(raw)
    size = len(raw)
    if size > max_frame:
        raise FrameTooLarge(f"frame of {size} bytes exceeds the maximum of {max_frame}", raw)
    if raw[:2] != b"##":
        raise BadHeader("frame does not start with '##'", raw)
    len_field = raw[2:6]
    if len(len_field) != 4 or not len_field.isdigit():
        raise BadHeader(f"length field {len_field!r} is not 4 decimal digits", raw)
    declared = int(len_field)
    end = size - 2 if raw.endswith(b"\r\n") else size
    found = end - 10  # minus '##', the length and the CRC
    if found != declared and lenient_length and found > 0:
        declared = found  # the CRC below still has to match the bytes actually received
    if found != declared:
        raise LengthMismatch(
            f"declared data-segment length {declared} but {max(found, 0)} bytes found "
            "between the length field and the CRC",
            raw,
        )
    data = raw[6 : 6 + declared]
    crc_field = raw[6 + declared : end]
    if crc_field.strip(_HEX):
        raise CrcMismatch(f"CRC field {crc_field!r} is not 4 hex digits", raw)
    computed = crc16(data)
    if int(crc_field, 16) != computed:
        raise CrcMismatch(
            f"CRC in frame is {crc_field.decode('ascii').upper()}, computed {computed:04X}", raw
        )
    return _parse_segment(decode_segment(data), raw, strict_cn)


def _parse_segment(text: str, raw: bytes, strict_cn: bool) -> Frame:
    """Split a decoded data segment into header fields and CP (Table 4)."""
    cp_at = text.find("CP=&&")
    if cp_at < 0 or (cp_at > 0 and text[cp_at - 1] != ";"):
        raise BadField("data segment has no 'CP=&&' field", raw, "CP")
    if len(text) < cp_at + 7 or not text.endswith("&&"):
        raise BadField("CP is not closed by '&&' at the end of the data segment", raw, "CP")

    header: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for item in text[: max(cp_at - 1, 0)].split(";"):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadHeaderField(f"malformed header: item {item[:60]!r} is not name=value "
                                 "(HJ 212-2017 §6.3.2, Table 4)", raw, key or item)
        if key in _HEADER_KEYS:
            if key in header:
                raise BadHeaderField(f"malformed header: field {key} appears twice", raw, key)
            _check_header_value(key, value, item, raw)
            header[key] = value
        else:
            extra.append((key, value))

    qn = header.get("QN")
    if qn is not None and not _is_qn(qn):
        raise BadHeaderField(f"malformed header: QN={qn!r} is not 17 digits yyyyMMddHHmmssSSS "
                             "(HJ 212-2017 Table 4)", raw, "QN")
    if not header.get("ST"):
        raise BadHeaderField("malformed header: no ST (system code, HJ 212-2017 Table 4)", raw, "ST")
    cn = header.get("CN")
    if not cn:
        raise BadHeaderField("malformed header: no CN (command code, HJ 212-2017 Table 4)", raw, "CN")
    if not (cn.isascii() and cn.isdigit()):
        raise BadHeaderField(f"malformed header: CN={cn!r} is not a number", raw, "CN")
    if strict_cn and not is_known_cn(cn):
        raise UnknownCN(f"unknown command code CN={cn}", raw)

    flag = _opt_int(header.get("Flag"), "Flag", raw)
    if flag is not None and flag > 255:
        raise BadHeaderField(f"malformed header: Flag={flag} does not fit in one byte", raw, "Flag")
    # A D bit without PNUM/PNO, or a PNO outside 1..PNUM, is a logger bug but
    # not a reason to drop its data: both are kept as sent for the gateway.
    pnum = _opt_int(header.get("PNUM"), "PNUM", raw)
    pno = _opt_int(header.get("PNO"), "PNO", raw)

    return Frame(
        qn=qn,
        st=header.get("ST"),
        cn=cn,
        pw=header.get("PW"),
        mn=header.get("MN"),
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=_parse_cp(text[cp_at + 5 : -2], raw),
        raw=raw,
        header_extra=tuple(extra),
    )


def _is_qn(text: str) -> bool:
    """QN is the request's time to the millisecond, ``yyyyMMddHHmmssSSS`` (HJ 212-2017 Table 4)."""
    if len(text) != 17 or not (text.isascii() and text.isdigit()):
        return False
    try:  # what strptime("%Y%m%d%H%M%S") accepts of 14 digits, without its regular expression
        datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                 int(text[12:14]))
    except ValueError:
        return False
    return True


def _check_header_value(key: str, value: str, item: str, raw: bytes) -> None:
    # A ',' or a second '=' in a header value is a ';' the logger left out or mistyped
    # ("ST=22,CN=2011"): the header is malformed, whatever the value would have been.
    if "," in value or "=" in value:
        raise BadHeaderField(f"malformed header: item {item[:60]!r} holds a separator where ';' must separate "
                             "header fields (HJ 212-2017 §6.3.2, Table 4)", raw, key)
    limit = FIELD_LIMITS.get(key)
    if limit is not None and len(value) > limit:
        raise FieldTooLong(f"{key} has {len(value)} characters, at most {limit} allowed "
                           "(HJ 212-2017 Table 4)", raw, key)
    if not _HEADER_FORBIDDEN.isdisjoint(value):
        raise BadHeaderField(f"malformed header: {key}={value!r} contains a separator or control character",
                             raw, key)


def peek_header(raw: bytes) -> dict[str, str]:
    """Read what can still be read of the header of a frame that failed to parse.

    Parameters
    ----------
    raw : bytes
        Bytes of a rejected frame (bad length, bad CRC, bad CP ...).

    Returns
    -------
    dict
        ``QN``/``ST``/``CN``/``PW``/``MN`` values found before ``CP=``, each only if it is a valid header
        value (length and characters as :func:`parse_frame` requires); empty when nothing is readable.
        Used to link a rejected frame to the logger that sent it; never to accept data.
    """
    body = bytes(raw[6:]) if raw[:2] == b"##" else bytes(raw)
    cut = body.find(b"CP=")
    text = (body if cut < 0 else body[:cut]).decode("latin-1")
    out: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        if not sep or key not in _HEADER_KEYS[:5] or key in out:
            continue
        if len(value) <= FIELD_LIMITS[key] and not any(ch in _HEADER_FORBIDDEN for ch in value):
            out[key] = value
    return out


def _opt_int(text: str | None, name: str, raw: bytes) -> int | None:
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()):
        raise BadHeaderField(f"malformed header: {name}={text!r} is not a non-negative integer", raw, name)
    return int(text)


def _parse_cp(body: str, raw: bytes) -> CpGroups:
    """Split CP into groups of (name, value) pairs (HJ 212-2017 §6.3.3).

    Spaces around field names are dropped (names never contain spaces, and
    the standard's Appendix C examples put one after ``;``); values are kept
    verbatim. A CP, group or field of only whitespace is empty (``CP=&&  &&``
    is ``CP=&&&&``).
    """
    if not body or body.isspace():
        return ()
    if "=//" in body:
        return _parse_cp_quoted(body, raw)
    spaced = " " in body  # the standard's own examples have "; LA-Rtd=50.1"
    groups = []
    for group in body.split(";"):
        if not group:
            continue
        fields = []
        for item in group.split(","):
            if not item or (spaced and item.isspace()):
                continue
            key, sep, value = item.partition("=")
            if spaced:
                key = key.strip()
            if not sep or not key:
                raise BadField(f"CP field {item!r} is not name=value", raw, key or item)
            fields.append((key, value))
        if fields:
            groups.append(tuple(fields))
    return tuple(groups)


def _parse_cp_quoted(body: str, raw: bytes) -> CpGroups:
    """Slow path of :func:`_parse_cp` for values wrapped in ``//…//``.

    Free-text values such as ``i11001-Info=//清洗管路//`` (CN 3020, HJ 2017
    Appendix C) are delimited by ``//`` and may themselves contain ``,`` or
    ``;``; the value is kept verbatim, slashes included.
    """
    groups: list[tuple[tuple[str, str], ...]] = []
    fields: list[tuple[str, str]] = []
    pos, size = 0, len(body)
    while pos < size:
        ch = body[pos]
        if ch == ";":
            if fields:
                groups.append(tuple(fields))
                fields = []
            pos += 1
            continue
        if ch == ",":
            pos += 1
            continue
        eq = body.find("=", pos)
        key = (body[pos:eq] if eq >= 0 else body[pos:]).strip()
        if eq < 0 or not key or ";" in key or "," in key:
            bad = key.split(";")[0].split(",")[0]
            raise BadField(f"CP field {bad!r} is not name=value", raw, bad)
        start = eq + 1
        if body.startswith("//", start):
            close = body.find("//", start + 2)
            if close < 0:
                raise BadField(f"CP field {key} has an unterminated //…// value", raw, key)
            stop = close + 2
            if stop < size and body[stop] not in ",;":
                raise BadField(f"CP field {key} has text after its //…// value", raw, key)
        else:
            stop = size
            for sep in (",", ";"):
                at = body.find(sep, start)
                if 0 <= at < stop:
                    stop = at
        fields.append((key, body[start:stop]))
        pos = stop
    if fields:
        groups.append(tuple(fields))
    return tuple(groups)


def build_frame(
    *,
    cn: str | int,
    cp: CpInput,
    qn: str | None = None,
    st: str | None = None,
    pw: str | None = None,
    mn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """Build a complete frame: ``##``, length, data segment, CRC, CRLF.

    Parameters
    ----------
    cn : str or int
        Command code (HJ 212-2017 Table 9).
    cp : list of dict, or str
        CP groups as mappings (or sequences of ``(name, value)`` pairs, as in
        :attr:`Frame.cp`), values converted with ``str``; or CP text, either
        the inner text (``"DataTime=...;a21026-Rtd=1"``), or wrapped in
        ``&&...&&`` or ``CP=&&...&&``.
    qn, st, pw, mn : str, optional
        Header fields; omitted from the frame when None.
    flag, pnum, pno : int, optional
        Flag byte and subpacket numbers; omitted when None.

    Returns
    -------
    bytes
        The frame, fields in Table 4 order, CRC per Appendix A in upper-case
        hex, terminated by ``\\r\\n``.

    Raises
    ------
    BadField
        A name or value would break the framing (contains ``;``, ``,``,
        ``=`` in a name, ``&&``, CR or LF).
    FrameTooLarge
        The data segment exceeds 9999 bytes (4-digit length field).
    """
    parts = []
    for key, value in (("QN", qn), ("ST", st), ("CN", cn), ("PW", pw), ("MN", mn)):
        if value is not None:
            parts.append(f"{key}={_checked_header(key, str(value))}")
    for key, number in (("Flag", flag), ("PNUM", pnum), ("PNO", pno)):
        if number is not None:
            parts.append(f"{key}={int(number)}")
    parts.append(f"CP=&&{_cp_text(cp)}&&")
    segment = ";".join(parts).encode("utf-8")
    if len(segment) > MAX_DATA_SEGMENT:
        raise FrameTooLarge(
            f"data segment of {len(segment)} bytes exceeds {MAX_DATA_SEGMENT}", segment
        )
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


#: Characters a header value built here may not hold (they would break the framing).
_BUILD_FORBIDDEN = frozenset(";=&\r\n")


def _checked_header(key: str, value: str) -> str:
    if not _BUILD_FORBIDDEN.isdisjoint(value):
        raise BadField(f"header value {key}={value!r} contains a separator", value.encode(), key)
    return value


def _cp_text(cp: CpInput) -> str:
    if isinstance(cp, str):
        if cp.startswith("CP=&&") and cp.endswith("&&") and len(cp) >= 7:
            return cp[5:-2]
        if cp.startswith("&&") and cp.endswith("&&") and len(cp) >= 4:
            return cp[2:-2]
        return cp
    groups = []
    for group in cp:
        items = group.items() if isinstance(group, Mapping) else group
        fields = []
        for key, value in items:
            key, value = str(key), str(value)
            if not key or any(ch in key for ch in "=;,&\r\n"):
                raise BadField(f"CP field name {key!r} is not allowed", key.encode(), key)
            quoted = len(value) >= 4 and value.startswith("//") and value.endswith("//")
            if "&&" in value or "\r" in value or "\n" in value or (
                not quoted and ("," in value or ";" in value)
            ):
                raise BadField(f"CP value {key}={value!r} contains a separator", value.encode(), key)
            fields.append(f"{key}={value}")
        if fields:
            groups.append(",".join(fields))
    return ";".join(groups)
