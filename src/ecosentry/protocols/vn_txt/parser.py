"""Parse Circular 10/2021/TT-BTNMT station files (one ``.txt`` per measurement, tab-separated lines).

The format (subsystems.md §5.2 [S], confirmed on the sample files of an Envisoft-ingest demo; reference
notes china-vietnam-rules.md §7.2):

* file name ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt``, e.g.
  ``HN_PHCH_NUOPCH_20260203124500.txt``;
* one line per parameter, five fields separated by TAB only:
  ``parameter<TAB>value<TAB>unit<TAB>yyyyMMddHHmmss<TAB>status``. Parameter names may hold spaces and
  commas (``Vinyl chloride``, ``m,p-Xylene``) and Vietnamese letters (``Nhiệtđộ``); the unit may be
  empty (``pH``); the status is ``00`` measuring, ``01`` calibrating, ``02`` device error (Art. 39);
* the time of every line equals the time in the file name.

What is accepted, and recorded in :attr:`VnFile.notes` (decisions of this module, tag "ours")
------------------------------------------------------------------------------------------------
=========================  ==============================================================================
note                       variant
=========================  ==============================================================================
``bom``                    UTF-8 byte-order mark (Windows Notepad writes one).
``utf16``                  UTF-16 with a byte-order mark ("Unicode" in Windows tools).
``encoding: cp1258``       Bytes that are not UTF-8 are read as Windows-1258 (the Vietnamese Windows code
                           page; equal to cp1252 on ASCII and most Latin letters). TCVN3/VNI "font"
                           encodings cannot be told apart from it: such names come through as the same
                           (odd) letters every time, which is all the per-station mapping needs.
``nfc``                    Names in decomposed Unicode (cp1258 and macOS write combining accents) are
                           normalised to NFC, so ``Nhiệt độ`` always compares equal.
``crlf`` / ``cr`` /        Windows, old-Mac or mixed line ends.
``mixed_line_ends``
``header_line: N``         A first line naming the columns (``Parameter<TAB>Value<TAB>Unit<TAB>Time<TAB>
                           Status`` in any case, or Vietnamese ``Thông số`` / ``Chỉ tiêu`` ...), skipped.
``blank_lines: N``         Empty or whitespace-only lines, skipped.
``trailing_whitespace``    Tabs or spaces after the status field.
``padded_fields``          Spaces around a field (``COD <TAB> 12.5``), no-break ones and byte-order marks too;
                           removed.
``unit_case: a->b``        A known unit in another case (``mg/l`` → ``mg/L``), written canonically.
``status_one_digit``       Status written ``0``/``1``/``2`` instead of ``00``/``01``/``02``.
``decimal_comma``          ``12,5`` read as 12.5, only when the caller allows it (``decimal_comma=True``).
``duplicate_line: N``      A line repeating an earlier one exactly (same parameter, value, unit, time and
                           status): the first is kept.
``time_mismatch: N``       A line time unequal to the file-name time, only with ``strict_time=False``.
``extension_case``         ``.TXT`` (or any case other than ``.txt``).
=========================  ==============================================================================

Rejected, as :class:`VnFileError` with a stable ``reason`` and the 1-based line number
------------------------------------------------------------------------------------
``bad_name``, ``too_large``, ``empty``, ``encoding``, ``bad_line`` (not five tab-separated fields, an
empty parameter name, a control character), ``bad_value`` (not a finite decimal number; a decimal comma
unless allowed), ``bad_time`` (not 14 digits or not a real time), ``bad_status`` (not 00/01/02),
``time_mismatch``, ``duplicate_parameter`` (the same parameter twice with different content: which one is
right cannot be known, so the whole file is refused and kept by the gateway for a person to look at).

Decisions and why
-----------------
* **Decimal comma: rejected by default.** Every sample of the reference uses a point; in a file with no
  thousands separator ``1,009`` could mean 1.009 or 1009, a factor of 1000. A station whose logger writes
  Vietnamese-locale numbers can be allowed explicitly (``decimal_comma=True``: ``^-?digits,digits$``).
* **Negative values accepted** (the reference's ambient sample has ``Radiation -1.60``); plausibility is a
  rule, not a format question.
* Values keep the precision written (2 or 4 decimals in the samples); exponents (``1.2E+03``) are
  accepted, ``NaN``/``Inf`` are not.
* Only a first non-blank line can be a header, and only if no field of it is a 14-digit time: a data
  line is never taken for a header.

References
----------
.. [1] Circular 10/2021/TT-BTNMT Art. 39 (fields: parameter, value, unit, time, device status), via
   shared/reference/subsystems.md §5.1 [S].
.. [2] shared/reference/subsystems.md §5.2 (file name, line layout, samples, parser rules) and §7
   requirement 31; shared/reference/china-vietnam-rules.md §7.2.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import datetime

from ecosentry.protocols.vn_txt.model import STATUS_MEANING, VnFile, VnFileError, VnFileName, VnLine
from ecosentry.said import N_

__all__ = ["parse_file", "parse_name", "parse_time", "REASONS", "REASON_WORDS", "MAX_FILE_BYTES", "canonical_unit"]

#: Stable rejection reasons (``VnFileError.reason``) and what each is called where a person reads it (English
#: message ids: the pages, the DONRE desk and the command line say them in the reader's language).
REASON_WORDS = {
    "bad_name": N_("file name not in the Circular's form"), "too_large": N_("too large for a station file"),
    "empty": N_("empty file"), "encoding": N_("not UTF-8 or Windows-1258 text"),
    "bad_line": N_("a line could not be read"), "bad_value": N_("a value is not a number"),
    "bad_time": N_("bad time in a line"), "bad_status": N_("unknown status code"),
    "time_mismatch": N_("line time differs from the file name"),
    "duplicate_parameter": N_("a parameter appears twice"),
}
REASONS = tuple(REASON_WORDS)

#: A station file holds a few dozen short lines; anything larger is not one (and is not read).
MAX_FILE_BYTES = 1 << 20

# ASCII digits only, and \Z (not $, which also matches before a final line feed): ``\d`` alone takes every
# script's digits (``١٢``, ``１２``), which float() and int() read as 12 (found by tests/fuzz, issue 19).
_CODE = r"[A-Za-z0-9-]+"
_NAME_RE = re.compile(rf"^(?P<province>{_CODE})_(?P<facility>{_CODE})_(?P<station>{_CODE})_(?P<time>\d{{14}})"
                      r"\.(?P<ext>txt)\Z", re.IGNORECASE | re.ASCII)
_TIME_RE = re.compile(r"^\d{14}\Z", re.ASCII)
_VALUE_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
_COMMA_VALUE_RE = re.compile(r"^[+-]?\d+,\d+\Z", re.ASCII)
_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

#: First-column words of a header line, compared without case or accents.
_HEADER_WORDS = frozenset({
    "parameter", "parameters", "param", "parameter name", "name", "thong so", "thongso", "ten thong so",
    "chi tieu", "chitieu", "ten chi tieu",
})

#: Units whose case varies between loggers → the spelling kept (the reference's samples and QCVN usage).
_UNITS = ("mg/L", "ug/L", "µg/L", "mg/Nm3", "mg/m3", "ug/m3", "µg/m3", "ng/m3", "m3/h", "m3/s", "m3/d",
          "l/s", "uS/cm", "µS/cm", "mS/cm", "NTU", "FNU", "Pt-Co", "oC", "°C", "kPa", "hPa", "Pa", "mmHg",
          "mbar", "ppm", "ppb", "%", "m/s", "MPN/100mL", "CFU/100mL", "mV", "Degree", "W/m2")
_UNIT_BY_FOLD = {u.casefold(): u for u in _UNITS}
_UNIT_BY_FOLD["l/s"] = "L/s"


def canonical_unit(unit: str) -> str:
    """The canonical spelling of a known unit written in another case (``mg/l`` → ``mg/L``); other units
    unchanged.

    Parameters
    ----------
    unit : str
        Unit as written in a station file (may be empty).

    Returns
    -------
    str
    """
    return _UNIT_BY_FOLD.get(unit.casefold(), unit)


def parse_time(text: str) -> datetime:
    """``yyyyMMddHHmmss`` → naive datetime (station local time).

    Raises
    ------
    ValueError
        If ``text`` is not 14 digits or not a real time (month 13, 30 February, second 60 ...).
    """
    if not _TIME_RE.match(text):
        raise ValueError(f"{text!r} is not yyyyMMddHHmmss (14 digits)")
    try:
        return datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                        int(text[12:14]))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time ({exc})") from None


def parse_name(name: str) -> VnFileName:
    """Split ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt`` into its parts.

    Parameters
    ----------
    name : str
        File name; a path is reduced to its last component (``/`` or ``\\``). The extension may be in
        any case (``.TXT``). Codes are ASCII letters, digits and hyphens, non-empty, without ``_``.

    Returns
    -------
    VnFileName
        With ``time`` naive, in the station's local time.

    Raises
    ------
    VnFileError
        ``bad_name`` when the name does not have this shape or the time is not a real time.

    References
    ----------
    .. [1] shared/reference/subsystems.md §5.2 (file name), china-vietnam-rules.md §7.2.
    """
    base = re.split(r"[\\/]", name)[-1]
    m = _NAME_RE.match(base)
    if m is None:
        raise VnFileError("bad_name", f"file name {base!r} is not <Province>_<Facility>_<Station>_"
                                      "<yyyyMMddHHmmss>.txt (codes: letters, digits, '-'; no '_' inside)")
    try:
        t = parse_time(m["time"])
    except ValueError as exc:
        raise VnFileError("bad_name", f"file name {base!r}: time {exc}") from None
    return VnFileName(m["province"], m["facility"], m["station"], t)


def parse_file(name: str, data: bytes, *, strict_time: bool = True, decimal_comma: bool = False,
               max_bytes: int = MAX_FILE_BYTES) -> VnFile:
    """Parse one station file.

    Parameters
    ----------
    name : str
        The file name as uploaded (see :func:`parse_name`).
    data : bytes
        The file content as received.
    strict_time : bool, default True
        Reject a file whose line times differ from the file-name time (``time_mismatch``). With False
        such lines are kept with their own time and noted.
    decimal_comma : bool, default False
        Accept ``12,5`` as 12.5 (see the module notes for why this is off by default).
    max_bytes : int, default 1 MiB
        Larger files are rejected unread (``too_large``).

    Returns
    -------
    VnFile
        Name parts, the lines in file order (duplicates dropped), and notes on accepted variants.

    Raises
    ------
    VnFileError
        With a stable ``reason`` (:data:`REASONS`) and, for a line, its 1-based number.

    References
    ----------
    .. [1] Circular 10/2021/TT-BTNMT Art. 39, via subsystems.md §5.1; subsystems.md §5.2 and §7 req. 31.
    """
    fname = parse_name(name)
    notes: list[str] = []
    base = re.split(r"[\\/]", name)[-1]
    if not base.endswith(".txt"):
        notes.append("extension_case")
    if len(data) > max_bytes:
        raise VnFileError("too_large", f"file is {len(data)} bytes, more than {max_bytes}: not a station file")
    if not data.strip():
        raise VnFileError("empty", "file has no content" if not data else "file holds only blank space")
    text = _decode(data, notes)

    ends = {"crlf": "\r\n" in text, "cr": re.search(r"\r(?!\n)", text) is not None,
            "lf": re.search(r"(?<!\r)\n", text) is not None}
    notes.extend(k for k in ("crlf", "cr") if ends[k])
    if sum(ends.values()) > 1:
        notes.append("mixed_line_ends")
    physical = _LINE_END_RE.split(text)
    if physical and physical[-1] == "":
        physical.pop()  # the final line end

    lines: list[VnLine] = []
    by_parameter: dict[str, VnLine] = {}
    blank = 0
    seen_content = False
    flags: dict[str, bool] = {}
    nfc_changed = False
    for number, raw in enumerate(physical, start=1):
        if not raw.strip(" \t\f\v"):
            blank += 1
            continue
        body = raw.rstrip(" \t")
        if body != raw:
            flags["trailing_whitespace"] = True
        first = not seen_content
        seen_content = True
        bad = _CONTROL_RE.search(body)
        if bad:
            raise VnFileError("bad_line", f"control character U+{ord(bad.group()):04X} in the line", number)
        fields = body.split("\t")
        if first and _is_header(fields):
            notes.append(f"header_line: {number}")
            continue
        if len(fields) != 5:
            hint = ""
            if len(fields) == 1 and re.search(r"[ ;,|]", body):
                hint = " (fields must be separated by TAB, not spaces, commas or semicolons)"
            elif len(fields) == 4 and _TIME_RE.match(fields[2].strip()):
                hint = " (the unit field is missing: an empty unit is written as two TABs)"
            raise VnFileError("bad_line", f"expected 5 TAB-separated fields (parameter, value, unit, time, "
                                          f"status), found {len(fields)}{hint}", number)
        # every kind of space, as the writer (and any reader) strips it: a no-break space (cp1258 0xA0, which Windows
        # tools write) around a field was kept, and "COD\xa0" was another parameter than "COD"; likewise a byte-order
        # mark starting a later line (two files joined), "\ufeffSO2" (both found by `ecosentry fuzz vn-txt`); the
        # control characters among Unicode's spaces were refused above
        stripped = [f.strip().strip("\ufeff").strip() for f in fields]
        if stripped != fields:
            flags["padded_fields"] = True
        parameter, value_text, unit, time_text, status = stripped
        if not parameter:
            raise VnFileError("bad_line", "empty parameter name", number)
        normal = unicodedata.normalize("NFC", parameter)
        if normal != parameter:
            nfc_changed = True
            parameter = normal
        value = _parse_value(value_text, number, decimal_comma, notes)
        canon = canonical_unit(unit)
        if canon != unit:
            notes.append(f"unit_case: {unit}->{canon}")
            unit = canon
        try:
            t = parse_time(time_text)
        except ValueError as exc:
            raise VnFileError("bad_time", f"time {exc}", number) from None
        if t != fname.time:
            if strict_time:
                raise VnFileError("time_mismatch", f"line time {time_text} differs from the file-name time "
                                                   f"{fname.time:%Y%m%d%H%M%S}", number)
            notes.append(f"time_mismatch: {number}")
        if status in ("0", "1", "2"):
            status = "0" + status
            flags["status_one_digit"] = True
        if status not in STATUS_MEANING:
            raise VnFileError("bad_status", f"status {status!r} is not 00 (measuring), 01 (calibrating) or 02 "
                                            "(device error)", number)
        line = VnLine(number, parameter, value, unit, t, status)
        earlier = by_parameter.get(parameter)
        if earlier is not None:
            if (earlier.value, earlier.unit, earlier.time, earlier.status) == (value, unit, t, status):
                notes.append(f"duplicate_line: {number}")
                continue
            raise VnFileError("duplicate_parameter", f"parameter {parameter!r} appears again with other content "
                                                     f"(first on line {earlier.line})", number)
        by_parameter[parameter] = line
        lines.append(line)

    if blank:
        notes.append(f"blank_lines: {blank}")
    if nfc_changed:
        notes.append("nfc")
    notes.extend(k for k in ("trailing_whitespace", "padded_fields", "status_one_digit") if flags.get(k))
    if not lines:
        raise VnFileError("empty", "file has no measurement line")
    return VnFile(fname, tuple(lines), tuple(dict.fromkeys(notes)))


# --------------------------------------------------------------------------- helpers


def _decode(data: bytes, notes: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("bom")
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VnFileError("encoding", f"UTF-8 byte-order mark, but byte {exc.start + 3} is not UTF-8") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes.append("utf16")
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise VnFileError("encoding", f"UTF-16 byte-order mark, but not valid UTF-16 at byte {exc.start}") from None
        return text.lstrip("\ufeff")
    if b"\x00" in data:
        raise VnFileError("encoding", f"NUL byte at offset {data.index(0)}: a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise VnFileError("encoding", f"neither UTF-8 nor Windows-1258 (byte 0x{data[exc.start]:02X} at offset "
                                      f"{exc.start})") from None
    notes.append("encoding: cp1258")
    return text


def _fold(text: str) -> str:
    """Lower case without accents (``Thông số`` → ``thong so``); đ → d."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def _is_header(fields: list[str]) -> bool:
    if any(_TIME_RE.match(f.strip()) for f in fields):
        return False
    return _fold(fields[0]) in _HEADER_WORDS


def _parse_value(text: str, number: int, decimal_comma: bool, notes: list[str]) -> float:
    if not text:
        raise VnFileError("bad_value", "empty value", number)
    if decimal_comma and _COMMA_VALUE_RE.match(text):
        notes.append("decimal_comma")
        text = text.replace(",", ".")
    if not _VALUE_RE.match(text):
        why = " (decimal comma: not accepted for this station)" if _COMMA_VALUE_RE.match(text) else ""
        raise VnFileError("bad_value", f"value {text!r} is not a decimal number{why}", number)
    value = float(text)
    if not math.isfinite(value):
        raise VnFileError("bad_value", f"value {text!r} is out of range", number)
    return value
