"""data_records / records_to_cp: decoding every data CN and building them back."""

from datetime import datetime

import pytest

from ecosentry.protocols.hj212 import (
    CN_BY_KIND,
    KIND_BY_CN,
    BadField,
    DataRecord,
    build_frame,
    data_records,
    format_number,
    parse_frame,
    records_to_cp,
    restart_time,
)


def upload(cn: str, cp: str, **header) -> bytes:
    fields = {"qn": "20240315103000123", "st": "31", "pw": "123456", "mn": "010000A8900016F000169DC0", "flag": 5}
    fields.update(header)
    return build_frame(cn=cn, cp=cp, **fields)


def records_of(cn: str, cp: str) -> list[DataRecord]:
    return data_records(parse_frame(upload(cn, cp)))


def test_kind_tables_are_inverse():
    assert KIND_BY_CN == {"2011": "rtd", "2051": "min", "2061": "hour", "2031": "day", "2021": "state", "2041": "runtime"}
    assert {cn: kind for kind, cn in CN_BY_KIND.items()} == KIND_BY_CN


def test_minute_data_with_converted_values():
    recs = records_of(
        "2051",
        "DataTime=20240315102000;a21026-Cou=1.234,a21026-Min=10.5,a21026-Avg=12.25,a21026-Max=15,"
        "a21026-ZsMin=11.1,a21026-ZsAvg=13.3,a21026-ZsMax=16.6,a21026-Flag=N;"
        "a19001-Min=8.1,a19001-Avg=8.4,a19001-Max=8.9,a19001-Flag=M",
    )
    assert [r.factor for r in recs] == ["a21026", "a19001"]
    so2, o2 = recs
    assert so2 == DataRecord(
        factor="a21026", kind="min", data_time=datetime(2024, 3, 15, 10, 20), value=12.25,
        min=10.5, max=15.0, cou=1.234, flag="N", eflag=None, zs_value=13.3, zs_min=11.1,
        zs_max=16.6, sample_time=None, extra={},
    )
    assert (o2.value, o2.min, o2.max, o2.flag, o2.zs_value) == (8.4, 8.1, 8.9, "M", None)


@pytest.mark.parametrize(("cn", "kind", "stamp"), [("2061", "hour", "20240315100000"), ("2031", "day", "20240315000000")])
def test_hour_and_day_data_use_avg(cn, kind, stamp):
    [rec] = records_of(cn, f"DataTime={stamp};w01018-Cou=12.5,w01018-Min=20,w01018-Avg=25.5,w01018-Max=31,w01018-Flag=N")
    assert rec.kind == kind
    assert rec.data_time == datetime.strptime(stamp, "%Y%m%d%H%M%S")
    assert (rec.value, rec.min, rec.max, rec.cou) == (25.5, 20.0, 31.0, 12.5)


def test_real_time_data_with_sample_time_and_eflag():
    [rec] = records_of(
        "2011",
        "DataTime=20240315103000;w01018-Rtd=35.6,w01018-SampleTime=20240315095000,w01018-Flag=N,w01018-EFlag=A01",
    )
    assert rec.kind == "rtd" and rec.value == 35.6
    assert rec.sample_time == datetime(2024, 3, 15, 9, 50)
    assert (rec.flag, rec.eflag) == ("N", "A01")


def test_real_time_zs_rtd():
    [rec] = records_of("2011", "DataTime=20240315103000;a34013-Rtd=4.2,a34013-ZsRtd=5.1,a34013-Flag=N")
    assert (rec.value, rec.zs_value) == (4.2, 5.1)


def test_facility_run_state_and_run_time():
    # HJ 212-2017 Table 9: 2021 SBxxx-RS (0 off .. 5 back-blow), 2041 SBxxx-RT hours.
    state = records_of("2021", "DataTime=20240315103000;SB1-RS=1;SB2-RS=0;SB3-RS=5")
    assert [(r.factor, r.kind, r.value) for r in state] == [("SB1", "state", 1.0), ("SB2", "state", 0.0), ("SB3", "state", 5.0)]
    runtime = records_of("2041", "DataTime=20240314000000;SB1-RT=23.5;SB2-RT=0")
    assert [(r.factor, r.kind, r.value, r.data_time) for r in runtime] == [
        ("SB1", "runtime", 23.5, datetime(2024, 3, 14)),
        ("SB2", "runtime", 0.0, datetime(2024, 3, 14)),
    ]


def test_restart_time():
    f = parse_frame(upload("2081", "DataTime=20160801085857;RestartTime=20160801085624"))
    assert restart_time(f) == datetime(2016, 8, 1, 8, 56, 24)
    assert data_records(f) == []


def test_non_data_commands_have_no_records():
    assert records_of("1062", "RtdInterval=30") == []
    assert records_of("9014", "") == []


def test_data_time_repeated_per_group():
    recs = records_of(
        "2051",
        "DataTime=20240315102000,a21026-Avg=1;DataTime=20240315102000,a21002-Avg=2;"
        "DataTime=20240315102100;a21026-Avg=3",
    )
    assert [(r.factor, r.data_time.minute, r.value) for r in recs] == [
        ("a21026", 20, 1.0),
        ("a21002", 20, 2.0),
        ("a21026", 21, 3.0),
    ]


def test_factor_split_over_groups_is_one_record():
    # HJ/T 212-2005 field frames send 02-Rtd and 02-ZsRtd in separate groups.
    [rec] = records_of("2011", "DataTime=20160824050243000;02-Rtd=13.00,02-Flag=N;02-ZsRtd=18.05,02-Flag=D")
    assert (rec.factor, rec.value, rec.zs_value, rec.flag) == ("02", 13.0, 18.05, "N")
    assert rec.data_time == datetime(2016, 8, 24, 5, 2, 43)


def test_unknown_suffixes_and_frame_level_fields():
    [rec] = records_of("2051", "DataTime=20240315102000;PolId=w01018;w01018-Avg=5,w01018-ZsCou=1.5,w01018-Info=x")
    assert rec.extra == {"ZsCou": "1.5", "Info": "x"}


def test_empty_value_means_none():
    [rec] = records_of("2011", "DataTime=20240315103000;a21026-Rtd=,a21026-Flag=B")
    assert rec.value is None and rec.flag == "B"


def test_negative_and_exponent_numbers():
    [rec] = records_of("2051", "DataTime=20240315102000;S08-Min=-0.025,S08-Avg=1.5e2,S08-Max=+3")
    assert (rec.min, rec.value, rec.max) == (-0.025, 150.0, 3.0)


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", "1e999", "1_000", "１２", "1.2.3", " 1", "-"])
def test_non_numeric_values_raise_bad_field_naming_the_field(bad):
    raw = upload("2011", f"DataTime=20240315103000;a34013-Rtd=1;a21026-Rtd={bad},a21026-Flag=N")
    frame = parse_frame(raw)
    with pytest.raises(BadField) as info:
        data_records(frame)
    assert info.value.field == "a21026-Rtd"
    assert "a21026-Rtd" in info.value.detail
    assert info.value.offending == raw


def test_bad_min_and_sample_time_name_their_field():
    with pytest.raises(BadField) as info:
        records_of("2051", "DataTime=20240315102000;w01018-Min=x")
    assert info.value.field == "w01018-Min"
    with pytest.raises(BadField) as info:
        records_of("2011", "DataTime=20240315103000;w01018-Rtd=1,w01018-SampleTime=2024")
    assert info.value.field == "w01018-SampleTime"


def test_factor_before_data_time_is_bad():
    with pytest.raises(BadField) as info:
        records_of("2011", "a21026-Rtd=1;DataTime=20240315103000")
    assert info.value.field == "DataTime"


def test_bad_data_time():
    with pytest.raises(BadField) as info:
        records_of("2011", "DataTime=2024031510300;a21026-Rtd=1")
    assert info.value.field == "DataTime"


# -- builder side -------------------------------------------------------------

T0 = datetime(2024, 3, 15, 10, 20)


@pytest.mark.parametrize(
    "records",
    [
        [
            DataRecord("a21026", "min", T0, value=12.25, min=10.5, max=15.0, cou=1.234, flag="N",
                       zs_value=13.3, zs_min=11.1, zs_max=16.6),
            DataRecord("a00000", "min", T0, value=12345.6, cou=740736.0, flag="N"),
        ],
        [DataRecord("w01018", "hour", datetime(2024, 3, 15, 10), value=25.5, min=20.0, max=31.0, flag="N")],
        [DataRecord("w01018", "day", datetime(2024, 3, 15), value=25.5, cou=0.000038, flag="N")],
        [
            DataRecord("w01018", "rtd", T0, value=35.6, flag="N", eflag="A01",
                       sample_time=datetime(2024, 3, 15, 9, 50), extra={"Info": "ok"}),
            DataRecord("a34013", "rtd", T0, value=4.2, zs_value=5.1, flag="D"),
        ],
        [DataRecord("SB1", "state", T0, value=1.0), DataRecord("SB2", "state", T0, value=4.0)],
        [DataRecord("SB1", "runtime", datetime(2024, 3, 14), value=23.5)],
        [
            DataRecord("a21026", "min", T0, value=1.0),
            DataRecord("a21026", "min", datetime(2024, 3, 15, 10, 21), value=2.0),
            DataRecord("a21002", "min", T0, value=3.0),
        ],
    ],
)
def test_records_round_trip_through_a_frame(records):
    kind = records[0].kind
    cp = records_to_cp(records)
    assert "DataTime" in cp[0]
    raw = build_frame(cn=CN_BY_KIND[kind], cp=cp, qn="20240315103000123", st="31", pw="123456",
                      mn="010000A8900016F000169DC0", flag=5)
    back = data_records(parse_frame(raw))
    by_time_and_factor = lambda r: (r.data_time, r.factor)  # noqa: E731
    assert sorted(back, key=by_time_and_factor) == sorted(records, key=by_time_and_factor)


def test_records_to_cp_layout():
    cp = records_to_cp([
        DataRecord("w00000", "min", datetime(2016, 8, 1, 8, 40), value=17.5, min=16.4, max=20.1, cou=10.5, flag="N"),
    ])
    # The order of HJ 212-2017 Appendix C's minute-data example.
    assert cp == [
        {"DataTime": "20160801084000"},
        {"w00000-Cou": "10.5", "w00000-Min": "16.4", "w00000-Avg": "17.5", "w00000-Max": "20.1", "w00000-Flag": "N"},
    ]


def test_records_to_cp_groups_by_time():
    t1 = datetime(2024, 1, 1, 0, 1)
    cp = records_to_cp([DataRecord("a", "min", T0, value=1), DataRecord("b", "min", t1, value=2),
                        DataRecord("c", "min", T0, value=3)])
    assert cp == [{"DataTime": "20240315102000"}, {"a-Avg": "1"}, {"c-Avg": "3"},
                  {"DataTime": "20240101000100"}, {"b-Avg": "2"}]


def test_records_to_cp_rejects_mixed_kinds_and_nan():
    with pytest.raises(ValueError):
        records_to_cp([DataRecord("a", "min", T0, value=1), DataRecord("a", "hour", T0, value=1)])
    with pytest.raises(ValueError):
        records_to_cp([DataRecord("a", "min", T0, value=float("nan"))])
    assert records_to_cp([]) == []


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (12345.6, "12345.6"),
        (0.1 + 0.2, "0.3"),
        (30.0, "30"),
        (-0.0, "0"),
        (0.000038, "0.000038"),
        (-0.025, "-0.025"),
        (740736, "740736"),
        (123456789.1 + 0.2, "123456789.3"),
        (1e-12, "0"),
        (1e20, "100000000000000000000"),
        (27.299999, "27.299999"),
    ],
)
def test_format_number(number, text):
    assert format_number(number) == text
