"""Circular 10/2021 station files: the reference's samples, the accepted field variants, and one rejected
file per reason (subsystems.md §5.2, §7 req. 31)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecosentry.protocols.vn_txt import REASONS, VnFileError, parse_file, parse_name

T = "20260203124500"
NAME = f"HN_PHCH_NUOPCH_{T}.txt"
# The sample lines of subsystems.md §5.2.
WATER = (f"pH\t8.81\t\t{T}\t00\n"
         f"TSS\t3.90\tmg/L\t{T}\t00\n"
         f"Temp\t18.20\toC\t{T}\t00\n")
AIR_T = "20260325000500"
AIR_NAME = f"HN_BKHN_KHIKXQ_{AIR_T}.txt"
AIR = (f"CO\t3087.03\tug/m3\t{AIR_T}\t02\n"
       f"O3\t45.14\tug/m3\t{AIR_T}\t01\n"
       f"Radiation\t-1.60\tw/m2\t{AIR_T}\t00\n"
       f"Vinyl chloride\t0.00\tppb\t{AIR_T}\t00\n"
       f"m,p-Xylene\t0.00\tppb\t{AIR_T}\t00\n")


def test_name_parts_and_station_key():
    n = parse_name("TB_CAPH_NUOSXL_20260325000000.txt")
    assert (n.province, n.facility, n.station) == ("TB", "CAPH", "NUOSXL")
    assert n.station_key == "TB_CAPH_NUOSXL"
    assert n.time == datetime(2026, 3, 25, 0, 0, 0)
    assert parse_name("/srv/ftp/hn/HN_PHCH_NUOPCH_20260203124500.TXT").station_key == "HN_PHCH_NUOPCH"


def test_reference_water_sample():
    f = parse_file(NAME, WATER.encode())
    assert [ln.parameter for ln in f.lines] == ["pH", "TSS", "Temp"]
    ph = f.lines[0]
    assert (ph.value, ph.unit, ph.status, ph.line) == (8.81, "", "00", 1)  # empty unit: two TABs
    assert f.lines[1].value == 3.9 and f.lines[1].unit == "mg/L"
    assert all(ln.time == datetime(2026, 2, 3, 12, 45) for ln in f.lines)
    assert f.notes == ()


def test_reference_air_sample_names_with_spaces_commas_negative_values_and_statuses():
    f = parse_file(AIR_NAME, AIR.encode())
    by = {ln.parameter: ln for ln in f.lines}
    assert set(by) == {"CO", "O3", "Radiation", "Vinyl chloride", "m,p-Xylene"}
    assert by["CO"].status == "02" and by["O3"].status == "01"
    assert by["Radiation"].value == -1.6


def test_vietnamese_parameter_names_in_utf8_and_cp1258_and_decomposed_form():
    text = f"Nhiệt độ\t44.93\t\t{T}\t00\nÁp suất\t100.54\t\t{T}\t00\n"
    utf8 = parse_file(NAME, text.encode("utf-8"))
    # Windows-1258 writes base letters plus combining tones: ê+dot below, đ, ô+dot below, A+acute, â+acute.
    cp1258 = (b"Nhi\xea\xf2t \xf0\xf4\xf2\t44.93\t\t" + T.encode() + b"\t00\n"
              b"A\xecp su\xe2\xect\t100.54\t\t" + T.encode() + b"\t00\n")
    legacy = parse_file(NAME, cp1258)
    assert [ln.parameter for ln in legacy.lines] == [ln.parameter for ln in utf8.lines] == ["Nhiệt độ", "Áp suất"]
    assert "encoding: cp1258" in legacy.notes
    assert "nfc" in legacy.notes  # cp1258 decodes to combining accents
    assert utf8.notes == ()


@pytest.mark.parametrize("data, note", [
    (b"\xef\xbb\xbf" + WATER.encode(), "bom"),
    (WATER.replace("\n", "\r\n").encode(), "crlf"),
    (WATER.replace("\n", "\r").encode(), "cr"),
    (WATER.replace("\n", "\r\n", 1).encode(), "mixed_line_ends"),
    (("Parameter\tValue\tUnit\tTime\tStatus\n" + WATER).encode(), "header_line: 1"),
    (("PARAMETER\tVALUE\tUNIT\tTIME\tSTATUS\n" + WATER).encode(), "header_line: 1"),
    (("Thông số\tGiá trị\tĐơn vị\tThời gian\tTrạng thái\n" + WATER).encode(), "header_line: 1"),
    (("\n" + WATER + "\n  \n").encode(), "blank_lines: 3"),
    (WATER.replace("\t00\n", "\t00\t \n").encode(), "trailing_whitespace"),
    (WATER.replace("TSS\t3.90", "TSS \t 3.90").encode(), "padded_fields"),
    (WATER.replace("mg/L", "mg/l").encode(), "unit_case: mg/l->mg/L"),
    (WATER.replace(f"{T}\t00", f"{T}\t0").encode(), "status_one_digit"),
    ((WATER + f"TSS\t3.90\tmg/L\t{T}\t00\n").encode(), "duplicate_line: 4"),
    (WATER.encode("utf-16"), "utf16"),
])
def test_accepted_variants_give_the_same_lines_and_a_note(data, note):
    f = parse_file(NAME, data)
    assert note in f.notes
    assert [(ln.parameter, ln.value, ln.unit, ln.status) for ln in f.lines] == [
        ("pH", 8.81, "", "00"), ("TSS", 3.9, "mg/L", "00"), ("Temp", 18.2, "oC", "00")]


def test_upper_case_extension_is_noted():
    assert "extension_case" in parse_file(NAME.replace(".txt", ".TXT"), WATER.encode()).notes


def test_time_mismatch_kept_when_not_strict():
    other = "20260203125000"
    f = parse_file(NAME, WATER.replace(f"TSS\t3.90\tmg/L\t{T}", f"TSS\t3.90\tmg/L\t{other}").encode(),
                   strict_time=False)
    assert f.lines[1].time == datetime(2026, 2, 3, 12, 50)
    assert "time_mismatch: 2" in f.notes


def test_decimal_comma_only_when_allowed():
    data = WATER.replace("3.90", "3,90").encode()
    with pytest.raises(VnFileError) as exc:
        parse_file(NAME, data)
    assert exc.value.reason == "bad_value" and exc.value.line == 2 and "decimal comma" in str(exc.value)
    f = parse_file(NAME, data, decimal_comma=True)
    assert f.lines[1].value == 3.9 and "decimal_comma" in f.notes


# ------------------------------------------------------------------ one rejected file per reason

REJECTED = [
    ("bad_name", "HN_PHCH_NUOPCH_202602031245.txt", WATER.encode(), None),          # 12-digit time
    ("bad_name", "HN_PHCH_NUOPCH.txt", WATER.encode(), None),
    ("bad_name", "HN_PH_CH_NUOPCH_20260203124500.txt", WATER.encode(), None),        # 4 codes
    ("bad_name", "HN__NUOPCH_20260203124500.txt", WATER.encode(), None),             # empty facility
    ("bad_name", "HN_PHCH_NUOPCH_20260230124500.txt", WATER.encode(), None),         # 30 February
    ("bad_name", "HN_PHCH_NUOPCH_20260203124500.csv", WATER.encode(), None),
    ("too_large", NAME, b"x" * (1 << 20 | 1), None),
    ("empty", NAME, b"", None),
    ("empty", NAME, b"\r\n \r\n", None),
    ("empty", NAME, b"Parameter\tValue\tUnit\tTime\tStatus\n", None),
    ("encoding", NAME, b"pH\x00\t8.81", None),
    ("encoding", NAME, b"\xef\xbb\xbfpH\t8.81\t\t\xff\xfe", None),
    ("bad_line", NAME, f"pH 8.81  {T} 00\n".encode(), 1),                             # spaces, not TABs
    ("bad_line", NAME, (WATER + f"COD\t12\tmg/L\t{T}\n").encode(), 4),                # 4 fields
    ("bad_line", NAME, (WATER + f"COD\t12\tmg/L\t{T}\t00\textra\n").encode(), 4),     # 6 fields
    ("bad_line", NAME, f"pH\t8.81\t{T}\t00\n".encode(), 1),                           # unit field missing
    ("bad_line", NAME, f"\t8.81\t\t{T}\t00\n".encode(), 1),                           # no parameter
    ("bad_line", NAME, f"p\x07H\t8.81\t\t{T}\t00\n".encode(), 1),                     # control character
    ("bad_value", NAME, f"pH\t\t\t{T}\t00\n".encode(), 1),
    ("bad_value", NAME, f"pH\tNaN\t\t{T}\t00\n".encode(), 1),
    ("bad_value", NAME, f"pH\t8.81x\t\t{T}\t00\n".encode(), 1),
    ("bad_value", NAME, f"pH\t1e999\t\t{T}\t00\n".encode(), 1),
    ("bad_time", NAME, "pH\t8.81\t\t2026-02-03 12:45:00\t00\n".encode(), 1),
    ("bad_time", NAME, "pH\t8.81\t\t20261303124500\t00\n".encode(), 1),
    ("bad_status", NAME, f"pH\t8.81\t\t{T}\t03\n".encode(), 1),
    ("bad_status", NAME, f"pH\t8.81\t\t{T}\tOK\n".encode(), 1),
    ("time_mismatch", NAME, WATER.replace(f"Temp\t18.20\toC\t{T}", "Temp\t18.20\toC\t20260203125000").encode(), 3),
    ("duplicate_parameter", NAME, (WATER + f"TSS\t4.10\tmg/L\t{T}\t00\n").encode(), 4),
]


@pytest.mark.parametrize("reason, name, data, line", REJECTED,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(REJECTED)])
def test_rejected_with_reason_and_line(reason, name, data, line):
    with pytest.raises(VnFileError) as exc:
        parse_file(name, data)
    assert exc.value.reason == reason
    assert exc.value.line == line
    assert str(exc.value)  # a sentence, for the receipt


def test_every_reason_is_exercised():
    assert {r[0] for r in REJECTED} == set(REASONS)
