"""parse_frame / build_frame: the standard's examples, field frames, every error."""

import json
from datetime import datetime

import pytest

from ecosentry.protocols.hj212 import (
    BadField,
    BadHeader,
    BadHeaderField,
    CrcMismatch,
    FrameTooLarge,
    HJ212Error,
    LengthMismatch,
    UnknownCN,
    build_frame,
    crc16,
    data_records,
    frame_dict,
    parse_frame,
)

# HJ 212-2017 Appendix A worked example (CN 1062, set real-time interval).
APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def frame_of(segment: str, encoding: str = "utf-8") -> bytes:
    """Wrap a data segment the way Table 3 says (CRC from the tested crc16)."""
    data = segment.encode(encoding)
    return b"##%04d%s%04X\r\n" % (len(data), data, crc16(data))


# -- the standard's own examples ---------------------------------------------


def test_appendix_a_example_header_and_flag_bits():
    f = parse_frame(APPENDIX_A)
    assert (f.qn, f.st, f.cn, f.pw, f.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
    )
    assert f.flag == 5 and f.version == 1
    assert f.reply_wanted is True and f.is_subpacket is False
    assert f.pnum is None and f.pno is None
    assert f.cp == ((("RtdInterval", "30"),),)
    assert f.field("RtdInterval") == "30"
    assert f.cp_groups() == [{"RtdInterval": "30"}]
    assert f.data_time is None
    assert f.raw == APPENDIX_A
    assert f.data_segment() == APPENDIX_A[6:-6]


def test_crlf_is_optional():
    assert parse_frame(APPENDIX_A[:-2]).cp == parse_frame(APPENDIX_A).cp


def test_lower_case_crc_is_accepted():
    f = parse_frame(APPENDIX_A.replace(b"1C80\r\n", b"1c80\r\n"))
    assert f.cn == "1062"


def test_appendix_c_noise_real_time_example():
    # HJ 212-2017 Appendix C, upload noise real-time data; CRC 1E00 as asserted
    # by dromara/hutool's Crc16UtilTest. The standard prints a space after ';'.
    seg = (
        b"QN=20160801085857223;ST=23;CN=2011;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=5;CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
    )
    f = parse_frame(b"##%04d%s1E00\r\n" % (len(seg), seg))
    assert f.st == "23" and f.cn == "2011"
    assert f.data_time == datetime(2016, 8, 1, 8, 58, 57)
    [rec] = data_records(f)
    assert (rec.factor, rec.kind, rec.value) == ("LA", "rtd", 50.1)


# Data segments of HJ 212-2017 Appendix C (tables C.1-C.40), as quoted by the
# test program of caoyiliang/HJ212 and by public Qt/C# implementations; CRCs
# are computed here. Each is (segment, CN, one CP field, its value).
APPENDIX_C_SEGMENTS = [
    ("CN=1000;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&OverTime=5;ReCount=3&&", "1000", "ReCount", "3"),
    ("CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&", "1011", "PolId", "w01018"),
    (
        "CN=1012;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018;SystemTime=20160801085857&&",
        "1012",
        "SystemTime",
        "20160801085857",
    ),
    ("CN=1061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "1061", "RtdInterval", None),
    ("CN=1062;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&", "1062", "RtdInterval", "30"),
    ("CN=1063;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "1063", "MinInterval", None),
    ("CN=1064;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&MinInterval=10&&", "1064", "MinInterval", "10"),
    ("CN=1072;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&NewPW=654321&&", "1072", "NewPW", "654321"),
    ("CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "2011", "DataTime", None),
    ("CN=2012;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "2012", "DataTime", None),
    ("CN=2021;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "2021", "DataTime", None),
    ("CN=2022;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "2022", "DataTime", None),
    (
        "CN=2031;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&BeginTime=20160801000000;EndTime=20160801000000&&",
        "2031",
        "EndTime",
        "20160801000000",
    ),
    (
        "CN=2041;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&BeginTime=20160801000000,EndTime=20160801000000&&",
        "2041",
        "BeginTime",
        "20160801000000",
    ),
    (
        "CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&BeginTime=20160801084000;EndTime=20160801084000&&",
        "2051",
        "BeginTime",
        "20160801084000",
    ),
    (
        "CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&BeginTime=20160801080000;EndTime=20160801080000&&",
        "2061",
        "EndTime",
        "20160801080000",
    ),
    (
        "CN=2081;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857;RestartTime=20160801085624&&",
        "2081",
        "RestartTime",
        "20160801085624",
    ),
    ("CN=3011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&", "3011", "PolId", "w01018"),
    ("CN=3015;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&", "3015", "PolId", None),
    (
        "CN=3016;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018;CstartTime=000000;CTime=2&&",
        "3016",
        "CTime",
        "2",
    ),
    ("CN=3019;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&", "3019", "PolId", "w01018"),
    (
        "CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&DataTime=20160801062035;PolId=w01018;i11001-Info=//清洗管路//&&",
        "3020",
        "i11001-Info",
        "//清洗管路//",
    ),
]


@pytest.mark.parametrize(("tail", "cn", "name", "value"), APPENDIX_C_SEGMENTS)
def test_appendix_c_commands_parse_and_rebuild_identically(tail, cn, name, value):
    raw = frame_of("QN=20160801085857223;ST=32;" + tail)
    f = parse_frame(raw)
    assert f.cn == cn
    assert f.qn == "20160801085857223" and f.st == "32" and f.pw == "123456"
    assert f.mn == "010000A8900016F000169DC0"
    assert f.field(name) == value
    rebuilt = build_frame(
        cn=f.cn, cp=f.cp, qn=f.qn, st=f.st, pw=f.pw, mn=f.mn, flag=f.flag, pnum=f.pnum, pno=f.pno
    )
    assert rebuilt == raw


@pytest.mark.parametrize(
    ("cn", "cp", "field", "value"),
    [
        ("9011", "QnRtn=1", "QnRtn", "1"),
        ("9012", "ExeRtn=1", "ExeRtn", "1"),
        ("9013", "", "QnRtn", None),
        ("9014", "", "QnRtn", None),
    ],
)
def test_interaction_replies_parse(cn, cp, field, value):
    # HJ 212-2017 Appendix C replies: "QN=...;ST=91;CN=9011;...;Flag=4;CP=&&QnRtn=1&&".
    raw = build_frame(cn=cn, cp=cp, qn="20160801085857223", st="91", pw="123456",
                      mn="010000A8900016F000169DC0", flag=4)
    assert raw.startswith(b"##") and raw.endswith(b"\r\n")
    f = parse_frame(raw)
    assert (f.cn, f.st, f.flag, f.version, f.reply_wanted) == (cn, "91", 4, 1, False)
    assert f.field(field) == value


# -- field frames and legacy HJ/T 212-2005 ------------------------------------

# Frames recorded from loggers in the field, published in
# xiaoyao9184/hj-t212-parser test resources (AllData/2016-08-24 05.h212): HJ/T
# 212-2005 style, no QN, old factor codes, 17-digit DataTime with milliseconds.
FIELD_FLUE_GAS_RTD = (
    b"##0382ST=31;CN=2011;PW=123456;MN=ZG130182201325;CP=&&DataTime=20160824050243000;"
    b"S01-Rtd=10.2,S01-Flag=N;S02-Rtd=8.93,S02-Flag=N;S03-Rtd=51.1,S03-Flag=N;S05-Rtd=0.0,S05-Flag=N;"
    b"S07-Rtd=0.00,S07-Flag=N;01-Rtd=3.56,01-Flag=N;01-ZsRtd=4.93,01-Flag=N;02-Rtd=13.00,02-Flag=N;"
    b"02-ZsRtd=18.05,02-Flag=N;03-Rtd=32.742,03-Flag=N;03-ZsRtd=45.474,03-Flag=N;B02-Rtd=38.57;"
    b"S08-Rtd=395.507813,S08-Flag=N&&E8C1"
)
FIELD_HEARTBEAT = b"##0073ST=32;CN=8013;PW=123456;MN=ZG130182201205;Flag=0;CP=&&HeartbeatTime=120&&0500"


def test_field_flue_gas_frame_with_legacy_codes():
    f = parse_frame(FIELD_FLUE_GAS_RTD)
    assert f.qn is None and f.flag is None and f.version is None and f.reply_wanted is False
    assert f.st == "31" and f.mn == "ZG130182201325"
    assert f.data_time == datetime(2016, 8, 24, 5, 2, 43)
    recs = {r.factor: r for r in data_records(f)}
    assert list(recs)[:3] == ["S01", "S02", "S03"]
    assert (recs["02"].value, recs["02"].zs_value, recs["02"].flag) == (13.0, 18.05, "N")
    assert recs["B02"].value == 38.57 and recs["B02"].flag is None
    assert recs["S08"].value == 395.507813


def test_unknown_cn_is_parsed_and_an_error_only_when_strict():
    f = parse_frame(FIELD_HEARTBEAT)
    assert (f.cn, f.cn_known, f.flag, f.field("HeartbeatTime")) == ("8013", False, 0, "120")
    with pytest.raises(UnknownCN) as info:
        parse_frame(FIELD_HEARTBEAT, strict_cn=True)
    assert info.value.offending == FIELD_HEARTBEAT


def test_public_ambient_air_example_with_typo_field_kept_verbatim():
    # Ambient-air real-time frame used by the hj-t212-parser family
    # (T212MapperTest.readStringData); "LA-td" is a typo in that example and
    # must survive as an unknown field.
    raw = (
        b"##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
        b"CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
        b"a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
        b"a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
        b"a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,a01008-Flag=N;"
        b"a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n"
    )
    f = parse_frame(raw)
    # Flag=7 sets the D bit without PNUM/PNO: a logger bug, the data is kept.
    assert f.flag == 7 and f.is_subpacket and f.reply_wanted and f.pnum is None
    recs = {r.factor: r for r in data_records(f)}
    assert len(recs) == 12
    assert recs["a21026"].value == 58.0
    assert recs["a01006"].value == 101.02
    assert recs["LA"].value is None and recs["LA"].extra == {"td": "50.1"} and recs["LA"].flag == "N"


def test_subpacket_numbers():
    raw = build_frame(cn="2051", cp=[{"DataTime": "20240101000000"}, {"w01018-Avg": "20"}],
                      qn="20240101000100000", st="32", pw="123456", mn="MN1", flag=7, pnum=3, pno=2)
    f = parse_frame(raw)
    assert (f.is_subpacket, f.reply_wanted, f.pnum, f.pno) == (True, True, 3, 2)


def test_values_wrapped_in_double_slashes_may_contain_separators():
    raw = frame_of("QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=M;Flag=4;"
                   "CP=&&DataTime=20160801062035;PolId=w01018;i11001-Info=//a,b;c=d//;x=1&&")
    f = parse_frame(raw)
    assert f.cp_groups() == [
        {"DataTime": "20160801062035"},
        {"PolId": "w01018"},
        {"i11001-Info": "//a,b;c=d//"},
        {"x": "1"},
    ]


def test_gbk_text_is_decoded():
    raw = frame_of("QN=20160801085857223;ST=32;CN=3020;PW=1;MN=M;Flag=4;CP=&&i11001-Info=//清洗管路//&&",
                   encoding="gbk")
    assert parse_frame(raw).field("i11001-Info") == "//清洗管路//"


def test_unknown_header_items_are_kept():
    f = parse_frame(frame_of("QN=20160801085857223;ST=32;CN=2011;Foo=bar;PW=1;MN=M;Flag=4;CP=&&&&"))
    assert f.header_extra == (("Foo", "bar"),)
    assert frame_dict(f)["header_extra"] == {"Foo": "bar"}


def test_frame_dict_is_json_ready_and_complete():
    raw = frame_of(
        "QN=20160801085857223;ST=32;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&DataTime=20160801084000;w00000-Cou=10.5,w00000-Min=16.4,w00000-Avg=17.5,"
        "w00000-Max=20.1,w00000-Flag=N&&"
    )
    d = json.loads(json.dumps(frame_dict(parse_frame(raw))))
    assert d["cn"] == "2051" and d["cn_name"] == "minute data"
    assert (d["flag"], d["version"], d["reply_wanted"], d["is_subpacket"]) == (5, 1, True, False)
    assert d["data_time"] == "2016-08-01T08:40:00"
    assert d["cp"][1]["w00000-Avg"] == "17.5"
    [rec] = d["records"]
    assert rec == {
        "factor": "w00000", "kind": "min", "data_time": "2016-08-01T08:40:00", "value": 17.5,
        "min": 16.4, "max": 20.1, "cou": 10.5, "flag": "N", "eflag": None, "zs_value": None,
        "zs_min": None, "zs_max": None, "sample_time": None, "extra": {},
    }


# -- errors -------------------------------------------------------------------


def _raises(exc_type, raw, **kwargs) -> HJ212Error:
    with pytest.raises(exc_type) as info:
        parse_frame(raw, **kwargs)
    err = info.value
    assert err.offending == raw
    assert err.code == exc_type.__name__
    assert isinstance(err, ValueError)
    d = err.to_dict()
    assert d["error"] == exc_type.__name__ and d["detail"] == err.detail
    assert d["offending"] == raw.decode("latin-1")
    return err


def test_bad_header_no_hashes():
    err = _raises(BadHeader, b"#!" + APPENDIX_A[2:])
    assert "##" in err.detail


def test_bad_header_length_not_digits():
    _raises(BadHeader, APPENDIX_A.replace(b"##0101", b"##01A1"))
    _raises(BadHeader, b"##01")


def test_length_mismatch():
    err = _raises(LengthMismatch, APPENDIX_A.replace(b"##0101", b"##0102"))
    assert "0102" not in err.detail and "102" in err.detail and "101" in err.detail


def test_real_world_off_by_one_length():
    # Published in a public Java HJ 212 parser as a sample: the header says
    # 0481 but the data segment has 482 bytes (its CRC 4F40 is right).
    seg = (
        b"QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
        b"CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
        b"a21026-Rtd=58,a21026-Flag=N;a21030-Rtd=64,a21030-Flag=N;LA-Rtd=50.1,LA-Flag=N;"
        b"a34004-Rtd=207,a34004-Flag=N;a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;"
        b"a01002-Rtd=32,a01002-Flag=N;a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;"
        b"a01008-Rtd=120,a01008-Flag=N;a34001-Rtd=217,a34001-Flag=N;&&"
    )
    assert len(seg) == 482 and crc16(seg) == 0x4F40
    _raises(LengthMismatch, b"##0481" + seg + b"4f40")
    assert parse_frame(b"##0482" + seg + b"4f40").field("a21030-Rtd") == "64"


def test_crc_mismatch():
    err = _raises(CrcMismatch, APPENDIX_A.replace(b"1C80", b"1C81"))
    assert "1C81" in err.detail and "1C80" in err.detail
    _raises(CrcMismatch, APPENDIX_A.replace(b"RtdInterval=30", b"RtdInterval=60"))


def test_crc_not_hex():
    err = _raises(CrcMismatch, APPENDIX_A.replace(b"1C80", b"1C8G"))
    assert "hex" in err.detail


@pytest.mark.parametrize(
    ("segment", "field", "error"),
    [
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=4", "CP", BadField),
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=4;CP=&&DataTime=20160801084000", "CP", BadField),
        ("QN=20160801085857223;ST=32;PW=1;MN=M;Flag=4;CP=&&&&", "CN", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=20x1;PW=1;MN=M;Flag=4;CP=&&&&", "CN", BadHeaderField),
        ("QN=20160801085857223;ST;CN=2011;PW=1;MN=M;Flag=4;CP=&&&&", "ST", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=A;CP=&&&&", "Flag", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=999;CP=&&&&", "Flag", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=6;PNUM=x;PNO=1;CP=&&&&", "PNUM", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=2011;CN=2051;PW=1;MN=M;Flag=4;CP=&&&&", "CN", BadHeaderField),
        ("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=4;CP=&&DataTime=20160801084000;a21026-Rtd&&", "a21026-Rtd", BadField),
        ("QN=20160801085857223;ST=32;CN=3020;PW=1;MN=M;Flag=4;CP=&&i11001-Info=//open&&", "i11001-Info", BadField),
    ],
)
def test_bad_fields_name_the_field(segment, field, error):
    # a header field that breaks its own syntax is a malformed header (BadHeaderField, a BadField)
    err = _raises(error, frame_of(segment))
    assert err.field == field


def test_bad_data_time_is_reported_by_the_property():
    f = parse_frame(frame_of("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=4;CP=&&DataTime=20161301084000&&"))
    with pytest.raises(BadField) as info:
        f.data_time
    assert info.value.field == "DataTime" and info.value.offending == f.raw


def test_unknown_cn():
    raw = frame_of("QN=20160801085857223;ST=32;CN=5555;PW=1;MN=M;Flag=4;CP=&&&&")
    err = _raises(UnknownCN, raw, strict_cn=True)
    assert "5555" in err.detail
    assert parse_frame(raw).cn == "5555"


def test_parameter_and_control_ranges_are_known():
    for cn in ("1000", "1032", "1072", "3020", "3071"):
        assert parse_frame(frame_of(f"ST=32;CN={cn};CP=&&&&")).cn == cn


def test_frame_too_large():
    raw = frame_of("QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;Flag=4;CP=&&x=" + "9" * 300 + "&&")
    _raises(FrameTooLarge, raw, max_frame=200)
    assert parse_frame(raw).field("x") == "9" * 300


# -- build_frame --------------------------------------------------------------


def test_build_reproduces_appendix_a_example():
    raw = build_frame(cn="1062", cp=[{"RtdInterval": 30}], qn="20160801085857223", st="32",
                      pw="100000", mn="010000A8900016F000169DC0", flag=5)
    assert raw == APPENDIX_A


@pytest.mark.parametrize("cp", ["RtdInterval=30", "&&RtdInterval=30&&", "CP=&&RtdInterval=30&&"])
def test_build_accepts_cp_text(cp):
    raw = build_frame(cn=1062, cp=cp, qn="20160801085857223", st="32", pw="100000",
                      mn="010000A8900016F000169DC0", flag=5)
    assert raw == APPENDIX_A


def test_build_omits_absent_header_fields():
    assert build_frame(cn="2011", cp=[]) == frame_of("CN=2011;CP=&&&&")


@pytest.mark.parametrize(
    "cp",
    [[{"a-Rtd": "1;2"}], [{"a-Rtd": "1,2"}], [{"a=b": "1"}], [{"": "1"}], [{"x": "a&&b"}], [{"x": "a\r\n"}]],
)
def test_build_rejects_separators(cp):
    with pytest.raises(BadField):
        build_frame(cn="2011", cp=cp)


def test_build_rejects_separator_in_header():
    with pytest.raises(BadField):
        build_frame(cn="2011", cp=[], mn="M;N")


def test_build_too_large():
    with pytest.raises(FrameTooLarge):
        build_frame(cn="2011", cp=[{"x": "1" * 10000}])


# -- error objects --------------------------------------------------------------


def test_error_classes_carry_their_code_and_survive_pickling():
    import pickle

    from ecosentry.protocols.hj212 import errors

    for cls in (BadHeader, LengthMismatch, CrcMismatch, BadField, UnknownCN, FrameTooLarge):
        assert cls.code == cls.__name__ and issubclass(cls, HJ212Error)
        err = cls("what went wrong", b"##0101...")
        back = pickle.loads(pickle.dumps(err))
        assert (type(back), back.detail, back.offending) == (cls, "what went wrong", b"##0101...")
    assert pickle.loads(pickle.dumps(BadField("x", b"y", field="a21026-Rtd"))).field == "a21026-Rtd"
    assert errors.decode_offending("清洗".encode()) == "清洗"
    assert errors.decode_offending(b"\xff\x00") == "\xff\x00"
