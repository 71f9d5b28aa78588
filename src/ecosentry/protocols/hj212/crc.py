"""CRC-16 of an HJ 212 data segment (HJ 212-2017 Appendix A).

The standard's procedure (Appendix A, steps 1-10) is:

1. set the 16-bit register to ``0xFFFF``;
2. XOR the next byte into the register's *high* byte, i.e.
   ``reg = (reg >> 8) ^ byte``;
3. eight times: remember bit 0, shift right by one, and XOR ``0xA001`` if
   the remembered bit was 1;
4. repeat for every byte; the result is written as 4 hex digits, high byte
   first.

This is *not* CRC-16/MODBUS (which XORs the byte into the low byte). Step 2
discards the register's low byte, so the new register depends only on the
8-bit value ``(reg >> 8) ^ byte``; a 256-entry table of step 3 therefore
gives the exact same result with one lookup per byte.

Only the register's high byte carries from one byte to the next, so the loop
keeps just that byte (a table of the high bytes: one XOR and one lookup per
byte, no shift) and takes the whole register from the full table at the last
byte; the result is the same (issue 19 item 2: the CRC was 13 % of the gateway).
"""

from __future__ import annotations

__all__ = ["crc16", "crc16_hex"]


def _shift8(value: int) -> int:
    """Apply step 3 of Appendix A (eight reflected shifts, poly 0xA001)."""
    for _ in range(8):
        lsb = value & 1
        value >>= 1
        if lsb:
            value ^= 0xA001
    return value


_TABLE: tuple[int, ...] = tuple(_shift8(i) for i in range(256))
_HIGH: tuple[int, ...] = tuple(v >> 8 for v in _TABLE)


def crc16(data: bytes) -> int:
    """Return the HJ 212 CRC-16 of ``data``.

    Parameters
    ----------
    data : bytes
        The data segment only: from ``QN=`` (or the first field) up to and
        including the closing ``&&`` of CP. Neither the ``##`` header, the
        length nor the CRC itself are covered (HJ 212-2017 §6.3.1, Table 3).

    Returns
    -------
    int
        The register value, 0..0xFFFF.

    References
    ----------
    HJ 212-2017 Appendix A (normative), CRC16 generation steps 1-10.

    Examples
    --------
    The standard's own example (Appendix A):

    >>> seg = (b"QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...        b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&")
    >>> f"{crc16(seg):04X}"
    '1C80'
    """
    if not data:
        return 0xFFFF
    high = _HIGH
    carried = 0xFF  # the register's high byte; its low byte never matters (see the module notes)
    for byte in data[:-1]:
        carried = high[carried ^ byte]
    return _TABLE[carried ^ data[-1]]


def crc16_hex(data: bytes) -> str:
    """Return :func:`crc16` as the 4 upper-case hex digits put on the wire."""
    return f"{crc16(data):04X}"
