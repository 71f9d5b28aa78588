"""`ecosentry hj212 parse` through typer's CliRunner on ecosentry.subsystems.monitoring.cli.hj212.app."""

import json

from typer.testing import CliRunner

from ecosentry.subsystems.monitoring.cli import hj212 as cli_hj212
from ecosentry.protocols.hj212 import build_frame

runner = CliRunner()

# HJ 212-2017 Appendix A example.
APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80"
)
MINUTE = build_frame(
    cn="2051",
    cp=[{"DataTime": "20240315102000"}, {"a21026-Min": "10.5", "a21026-Avg": "12.25", "a21026-Max": "15", "a21026-Flag": "N"}],
    qn="20240315102100000", st="31", pw="123456", mn="010000A8900016F000169DC0", flag=5,
).rstrip(b"\r\n")
BAD_NUMBER = build_frame(
    cn="2011", cp=[{"DataTime": "20240315102000"}, {"a21026-Rtd": "abc"}], st="31", flag=4
).rstrip(b"\r\n")
UNKNOWN_CN = build_frame(cn="8013", cp=[{"HeartbeatTime": "120"}], st="32", flag=0).rstrip(b"\r\n")
LOG_3020 = build_frame(cn="3020", cp=[{"i11001-Info": "//清洗管路//"}], st="32", flag=4).rstrip(b"\r\n")


def run(lines: list[bytes], *args: str):
    result = runner.invoke(cli_hj212.app, ["parse", *args], input=b"".join(lines))
    outputs = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, outputs


def test_mix_of_good_and_bad_lines():
    result, out = run([
        APPENDIX_A + b"\r\n",  # with CR
        b"\n",  # blank: ignored
        MINUTE + b"\n",  # without CR
        APPENDIX_A.replace(b"1C80", b"1C81") + b"\n",
        b"garbage\n",
        BAD_NUMBER + b"\n",
        UNKNOWN_CN + b"\n",
        APPENDIX_A.replace(b"##0101", b"##0100") + b"\r\n",
    ])
    assert result.exit_code == 0
    assert [o["ok"] for o in out] == [True, True, False, False, False, False, False]

    first = out[0]["frame"]
    assert (first["cn"], first["flag"], first["reply_wanted"], first["cp"]) == ("1062", 5, True, [{"RtdInterval": "30"}])

    minute = out[1]["frame"]
    assert minute["data_time"] == "2024-03-15T10:20:00"
    [rec] = minute["records"]
    assert (rec["factor"], rec["kind"], rec["value"], rec["min"], rec["max"], rec["flag"]) == (
        "a21026", "min", 12.25, 10.5, 15.0, "N",
    )

    assert [o.get("error") for o in out[2:]] == [
        "CrcMismatch", "BadHeader", "BadField", "UnknownCN", "LengthMismatch",
    ]
    assert out[2]["offending"] == APPENDIX_A.replace(b"1C80", b"1C81").decode()
    assert out[3]["offending"] == "garbage"
    assert "a21026-Rtd" in out[4]["detail"]
    assert set(out[2]) == {"ok", "error", "detail", "offending"}


def test_lenient_cn():
    result, out = run([UNKNOWN_CN + b"\n"], "--lenient-cn")
    assert result.exit_code == 0
    assert out[0]["ok"] and out[0]["frame"]["cn"] == "8013"
    assert out[0]["frame"]["cp"] == [{"HeartbeatTime": "120"}]


def test_all_bad_exits_1():
    result, out = run([b"nope\n", UNKNOWN_CN + b"\r\n", b"\n"])
    assert result.exit_code == 1
    assert [o["error"] for o in out] == ["BadHeader", "UnknownCN"]


def test_no_input_exits_0():
    result, out = run([b"\n\n"])
    assert result.exit_code == 0 and out == []


def test_chinese_is_printed_as_is():
    result, _ = run([LOG_3020 + b"\n"])
    assert result.exit_code == 0
    assert "清洗管路" in result.stdout
    assert json.loads(result.stdout)["frame"]["cp"] == [{"i11001-Info": "//清洗管路//"}]
