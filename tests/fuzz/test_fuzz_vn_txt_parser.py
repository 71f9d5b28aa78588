"""Properties of the Circular 10/2021 station-file parser under hostile input (issue 19 item 6): any name and any
bytes give a :class:`VnFile` or a :class:`VnFileError` with one of the stable reasons (never another exception),
and what the writer writes reads back the same.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from hypothesis import given, strategies as st

from ecosentry.protocols.vn_txt import (REASONS, VnFile, VnFileError, VnFileName, canonical_unit, format_name,
                                        parse_file, parse_name, write_file)
from fuzzkit import fuzz

NAME = "HN_PHCH_NUOPCH_20260203124500.txt"
TIME = "20260203124500"


def parsed_or_refused(name: str, data: bytes, **kw) -> VnFile | VnFileError:
    try:
        out = parse_file(name, data, **kw)
    except VnFileError as exc:
        assert exc.reason in REASONS, exc.reason
        assert str(exc)
        return exc
    assert out.lines and all(line.value is not None for line in out.lines)
    assert len({line.parameter for line in out.lines}) == len(out.lines)
    return out


#: Pieces of station files, and of what breaks them.
PIECES = ["COD", "TSS", "pH", "Nhiệt độ", "Nhiệt độ", "m,p-Xylene", "\t", "\t\t", "\r\n", "\n", "\r", " ", "\x00",
          "\x0b", "\u2028", "\ufeff", "\xa0", "12.5", "12,5", "-1.60", "1e308", "1e309", "NaN", "inf", "٣", "１２", TIME,
          "20260230124500", "２０２６０２０３１２４５００", "00", "01", "02", "0", "3", "mg/l", "mg/L", "Parameter", "Thông số"]

lines_text = st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=60).map("".join)


@fuzz(300)
@given(st.binary(max_size=600), st.sampled_from([NAME, "HN_A_B_20260203124500.TXT", "bad name.txt"]))
def test_random_bytes(data, name):
    parsed_or_refused(name, data)
    parsed_or_refused(name, data, strict_time=False, decimal_comma=True)


@fuzz(300)
@given(lines_text, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"]))
def test_line_like_text_in_any_encoding(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    parsed_or_refused(NAME, data)
    parsed_or_refused(NAME, data, strict_time=False, decimal_comma=True)


@fuzz(300)
@given(st.text(max_size=60) | st.lists(st.sampled_from(["HN", "_", "A-1", ".txt", ".TXT", TIME, "٣", "２", "/", "\\",
                                                        "\n", "é", "20261301000000"]), max_size=10).map("".join))
def test_any_file_name(name):
    try:
        parts = parse_name(name)
    except VnFileError as exc:
        assert exc.reason == "bad_name"
        return
    # a name taken is one the writer writes back the same (codes and time in ASCII, only the extension's case
    # and a leading path may differ)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    assert format_name(parts).lower() == base.lower()


digits = st.characters(categories=("Nd",))  # every script's decimal digits: ٣, ２, ৩ …


@fuzz(200)
@given(st.text(digits | st.sampled_from(".-+eE,"), min_size=1, max_size=12))
def test_a_value_is_an_ascii_decimal_number_or_refused(text):
    """Only ASCII digits are a number in a station file: ``١٢`` (Arabic-Indic) or ``１２`` (full width) would
    otherwise be read as 12 by ``float`` (found by this property: they were accepted)."""
    item = parsed_or_refused(NAME, f"COD\t{text}\tmg/L\t{TIME}\t00\n".encode())
    if isinstance(item, VnFile):
        assert text.isascii() and item.lines[0].value == float(text)
    else:
        assert item.reason == "bad_value", item


@st.composite
def times_in_any_digits(draw) -> str:
    """A real time, some of its 14 digits written in another script (the same digit value)."""
    text = f"{draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31))):%Y%m%d%H%M%S}"
    out = []
    for ch in text:
        other = draw(st.none() | digits)
        out.append(ch if other is None else chr(ord(other) - unicodedata.digit(other) + int(ch)))
    return "".join(out)


@fuzz(200)
@given(times_in_any_digits(), st.sampled_from(["", "\n", " ", "\t"]))
def test_a_time_is_ascii_digits_or_refused(time_text, tail):
    """The line's time and the file name's time: 14 ASCII digits of a real time (full-width or other scripts'
    digits, and a file name ending in a line feed, were accepted: found by this property)."""
    name = f"HN_A_B_{time_text}.txt{tail}"
    try:
        parts = parse_name(name)
    except VnFileError as exc:
        assert exc.reason == "bad_name"
    else:
        assert time_text.isascii() and not tail and format_name(parts) == name
    item = parsed_or_refused(NAME, f"COD\t1.5\tmg/L\t{time_text}\t00\n".encode(), strict_time=False)
    if isinstance(item, VnFile):
        assert time_text.isascii()
    else:
        assert item.reason == "bad_time", item


# --------------------------------------------------------------------------------------------- round trip

codes = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcxyz0123456789-", min_size=1, max_size=12)
parameters = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                     max_size=20).map(lambda s: unicodedata.normalize("NFC", s)).filter(
    lambda s: s == s.strip() and s.strip(" \t\f\v") and "\x85" not in s)
units = st.sampled_from(["", "mg/L", "mg/Nm3", "°C", "%", "NTU", "m3/h", "pH"]).map(canonical_unit)
values = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)


@fuzz(150)
@given(codes, codes, codes, st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)),
       st.lists(st.tuples(parameters, values, units, st.sampled_from(["00", "01", "02"])), min_size=1, max_size=8,
                unique_by=lambda t: t[0]),
       st.sampled_from(["\n", "\r\n"]))
def test_written_files_read_back(province, facility, station, t, rows, line_end):
    name = VnFileName(province, facility, station, t.replace(microsecond=0))
    filename, data = write_file(name, rows, decimals=None, line_end=line_end)
    item = parsed_or_refused(filename, data)
    assert isinstance(item, VnFile), item
    assert item.name == name
    assert [(x.parameter, x.value, x.unit, x.status) for x in item.lines] == [tuple(r) for r in rows]
    assert write_file(name, item.lines, decimals=None, line_end=line_end) == (filename, data)


@fuzz(200)
@given(st.data())
def test_mutated_valid_files(data):
    _, raw = write_file(parse_name(NAME), [("COD", 12.5, "mg/L", "00"), ("pH", 7.1, "", "00"),
                                           ("Nhiệt độ", 25.0, "°C", "01")])
    raw = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(raw)))
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if op == "flip" and at < len(raw):
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "delete":
            del raw[at:at + data.draw(st.integers(1, 6))]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=6) | st.sampled_from(PIECES).map(str.encode))
    parsed_or_refused(NAME, bytes(raw))
    parsed_or_refused(NAME, bytes(raw), strict_time=False, decimal_comma=True)
