"""CRC-16 of HJ 212-2017 Appendix A, checked against published example frames."""

import random

import pytest
from hypothesis import given, strategies as st

from ecosentry.protocols.hj212 import crc16, crc16_hex
from fuzzkit import fuzz

# HJ 212-2017 Appendix A's worked example (set real-time interval, CN 1062):
# "##0101QN=20160801085857223;...;CP=&&RtdInterval=30&&1C80\r\n". The same
# vector is asserted by many public implementations, e.g. dromara/hutool's
# Crc16UtilTest and xiaoyao9184/hj-t212-parser.
APPENDIX_A_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)

# HJ 212-2017 Appendix C, "upload noise level real-time data" example (note
# the space after ';' as printed in the standard). hutool's Crc16UtilTest
# asserts "1E00" for this segment with the HJ 212 CRC.
NOISE_RTD_SEGMENT = (
    b"QN=20160801085857223;ST=23;CN=2011;PW=123456;"
    b"MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=20160801085857; LA-Rtd=50.1&&"
)

# A 9014 data reply to the Appendix-C style ambient-air upload, as generated
# and printed by xiaoyao9184/hj-t212-parser's T212MapperTest (fork copy):
# "##0087QN=20160801085000001;ST=91;CN=9014;...;Flag=4;CP=&&&&C241".
DATA_REPLY_SEGMENT = (
    b"QN=20160801085000001;ST=91;CN=9014;PW=123456;"
    b"MN=010000A8900016F000169DC0;Flag=4;CP=&&&&"
)

# A field heartbeat frame from xiaoyao9184/hj-t212-parser test resources
# (AllData/2016-08-24 05.h212): "##0073ST=32;CN=8013;...&&0500".
HEARTBEAT_SEGMENT = b"ST=32;CN=8013;PW=123456;MN=ZG130182201205;Flag=0;CP=&&HeartbeatTime=120&&"


def _reference_crc(data: bytes) -> int:
    """The standard's Appendix A procedure, step by step (bit loop)."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            lsb = reg & 1
            reg >>= 1
            if lsb:
                reg ^= 0xA001
    return reg


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (APPENDIX_A_SEGMENT, 0x1C80),
        (NOISE_RTD_SEGMENT, 0x1E00),
        (DATA_REPLY_SEGMENT, 0xC241),
        (HEARTBEAT_SEGMENT, 0x0500),
    ],
)
def test_crc_matches_published_frames(segment, expected):
    assert crc16(segment) == expected
    assert _reference_crc(segment) == expected


def test_hex_is_four_upper_case_digits_with_leading_zeros():
    assert crc16_hex(APPENDIX_A_SEGMENT) == "1C80"
    assert crc16_hex(HEARTBEAT_SEGMENT) == "0500"


def test_empty_input_is_initial_register():
    assert crc16(b"") == 0xFFFF


def test_only_the_high_byte_carries_over():
    # Appendix A step 3 XORs the byte into the register's high byte, so this is
    # not CRC-16/MODBUS (whose check value for "123456789" is 0x4B37).
    assert crc16(b"123456789") == _reference_crc(b"123456789")
    assert crc16(b"123456789") != 0x4B37


def test_table_driven_crc_equals_bit_loop_on_random_data():
    rng = random.Random(212)
    for size in list(range(40)) + [255, 256, 1024, 4000]:
        data = bytes(rng.randrange(256) for _ in range(size))
        assert crc16(data) == _reference_crc(data), size


def test_docstring_examples():
    import doctest

    from ecosentry.protocols.hj212 import crc, records

    for module in (crc, records):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


@fuzz(300)
@given(st.binary(max_size=2048))
def test_crc_is_appendix_a_on_any_bytes(data):
    """Property (issue 19 item 6, moved here beside the reference it checks against)."""
    assert crc16(data) == _reference_crc(data)
    text = crc16_hex(data)
    assert len(text) == 4 and text == text.upper() and int(text, 16) == crc16(data)
