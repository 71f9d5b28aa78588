"""HJ 212 codec, field cases (issue 13 item 5): codes outside the tables are kept, a blank CP is empty, and a
header field is judged by its own syntax, so a separator typo is a malformed header with a clear reason."""

from __future__ import annotations

import pytest

from ecosentry.protocols.hj212 import (
    BadField,
    BadHeaderField,
    UnknownCN,
    crc16,
    data_records,
    data_reply,
    is_known_st,
    parse_frame,
)

QN = "20261120080000123"
MN = "TEST0000000000000000GAS1"


def framed(segment: str) -> bytes:
    data = segment.encode()
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


def segment(*, qn=QN, st="31", cn="2051", flag="5", cp="DataTime=20261120080000;a21026-Avg=1.5") -> str:
    head = [f"QN={qn}" if qn is not None else None, f"ST={st}" if st is not None else None, f"CN={cn}",
            f"PW=123456;MN={MN}", f"Flag={flag}" if flag is not None else None]
    return ";".join(h for h in head if h) + f";CP=&&{cp}&&"


def test_a_provincial_command_code_is_parsed_not_rejected():
    raw = framed(segment(cn="2091"))
    f = parse_frame(raw)
    assert (f.cn, f.cn_known, f.cn_name, f.qn) == ("2091", False, None, QN)
    assert f.field("a21026-Avg") == "1.5"
    assert data_records(f) == []  # no meaning is guessed for an unknown command's CP
    assert parse_frame(data_reply(f)).qn == QN  # it can be answered like any upload
    with pytest.raises(UnknownCN):  # strictness is still available to a caller that asks for it
        parse_frame(raw, strict_cn=True)
    assert parse_frame(framed(segment(cn="2051"))).cn_known


def test_a_system_code_outside_table_5_is_kept():
    f = parse_frame(framed(segment(st="88")))
    assert (f.st, f.st_known) == ("88", False)
    assert [r.value for r in data_records(f)] == [1.5]  # the data is still decoded
    assert is_known_st("31") and is_known_st("91") and not is_known_st("88")
    assert parse_frame(framed(segment(st="32"))).header_dict()["st_name"] == "surface water pollution source"


@pytest.mark.parametrize("cp", ["   ", " \t ", "\r\n", " ; , "])
def test_a_cp_of_only_whitespace_is_an_empty_cp(cp):
    f = parse_frame(framed(segment(cp=cp)))
    assert f.cp == () and data_records(f) == []


def test_blank_groups_between_real_ones_are_skipped():
    f = parse_frame(framed(segment(cp="DataTime=20261120080000; ;a21026-Avg=1.5, ")))
    assert f.cp == ((("DataTime", "20261120080000"),), (("a21026-Avg", "1.5"),))


@pytest.mark.parametrize("qn", ["2026112008000012", "202611200800001234", "2026112008000012x", "20261320080000123",
                                "20261120250000123", ""])
def test_qn_must_be_17_digits_of_a_real_time(qn):
    with pytest.raises(BadHeaderField) as e:
        parse_frame(framed(segment(qn=qn)))
    assert e.value.field == "QN" and "17 digits" in e.value.detail


def test_a_frame_without_qn_is_still_accepted_hj_t_212_2005():
    assert parse_frame(framed(segment(qn=None))).qn is None


@pytest.mark.parametrize("st", [None, ""])
def test_st_must_be_present(st):
    with pytest.raises(BadHeaderField) as e:
        parse_frame(framed(segment(st=st)))
    assert e.value.field == "ST" and "no ST" in e.value.detail


@pytest.mark.parametrize("flag", ["A", "-1", "5.0", "256"])
def test_flag_must_be_a_number_of_one_byte(flag):
    with pytest.raises(BadHeaderField) as e:
        parse_frame(framed(segment(flag=flag)))
    assert e.value.field == "Flag"


@pytest.mark.parametrize(("text", "field"), [
    (f"QN={QN};ST=22,CN=2011;PW=123456;MN={MN};Flag=5;CP=&&&&", "ST"),  # ',' typed for ';'
    (f"QN={QN},ST=22;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&&&", "QN"),
    (f"QN={QN}:ST=22;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&&&", "QN"),  # a ';' mistyped: a second '='
    (f"QN={QN};ST=22;CN=2011;PW=123456;MN={MN}.Flag=5;CP=&&&&", "MN"),
])
def test_a_separator_typo_in_the_header_is_a_malformed_header(text, field):
    with pytest.raises(BadHeaderField) as e:
        parse_frame(framed(text))
    err = e.value
    assert isinstance(err, BadField) and err.code == "BadHeaderField" and err.field == field
    assert err.detail.startswith("malformed header") and "separator" in err.detail
    assert "17 digits" not in err.detail  # not reported as a strange QN value
