"""Interaction replies 9011-9014 (HJ 212-2017 Table 9 and Appendix C)."""

import pytest

from ecosentry.protocols.hj212 import (
    ExeRtn,
    QnRtn,
    build_frame,
    data_reply,
    execution_reply,
    notification_reply,
    parse_frame,
    request_reply,
)

# Ambient-air real-time upload of the hj-t212-parser family's T212MapperTest.
AMBIENT_UPLOAD = (
    b"##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
    b"CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
    b"a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
    b"a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
    b"a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,a01008-Flag=N;"
    b"a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n"
)

# HJ 212-2017 Appendix C example of a platform request (CN 1062).
APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def test_data_reply_matches_published_example():
    # The same library prints the reply it builds for that upload:
    # "##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=...;Flag=4;CP=&&&&C241".
    assert data_reply(parse_frame(AMBIENT_UPLOAD)) == (
        b"##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;"
        b"Flag=4;CP=&&&&C241\r\n"
    )


def test_request_reply_default_is_ready():
    reply = parse_frame(request_reply(parse_frame(APPENDIX_A)))
    assert (reply.qn, reply.st, reply.cn, reply.pw, reply.mn) == (
        "20160801085857223", "91", "9011", "100000", "010000A8900016F000169DC0",
    )
    assert reply.flag == 4 and not reply.reply_wanted
    assert reply.cp_groups() == [{"QnRtn": "1"}]


def test_request_reply_refused_and_execution_results():
    request = parse_frame(APPENDIX_A)
    assert parse_frame(request_reply(request, QnRtn.PW_ERROR)).field("QnRtn") == "3"
    assert parse_frame(execution_reply(request)).cp_groups() == [{"ExeRtn": "1"}]
    assert parse_frame(execution_reply(request, ExeRtn.NO_DATA)).field("ExeRtn") == "100"
    assert parse_frame(execution_reply(request, 2)).cn == "9012"


def test_notification_reply():
    # e.g. answering 1013, the logger's time-calibration request.
    notice = parse_frame(build_frame(cn="1013", cp=[{"PolId": "w01018"}], qn="20160801085857223",
                                     st="32", pw="123456", mn="010000A8900016F000169DC0", flag=5))
    reply = notification_reply(notice)
    assert reply == (
        b"##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;"
        + b"Flag=4;CP=&&&&" + reply[-6:]
    )
    assert parse_frame(reply).cp == ()


@pytest.mark.parametrize(("flag", "reply_flag"), [(None, 4), (1, 0), (5, 4)])
def test_reply_keeps_protocol_version(flag, reply_flag):
    # HJ/T 212-2005 frames carry version 0; frames without Flag get 2017's 4.
    upload = parse_frame(build_frame(cn="2011", cp=[{"DataTime": "20160824045500"}, {"B01-Rtd": 4.69}],
                                     st="32", pw="123456", mn="LD130104000268", flag=flag))
    reply = parse_frame(data_reply(upload))
    assert reply.flag == reply_flag
    assert reply.qn is None and reply.mn == "LD130104000268" and reply.st == "91"
