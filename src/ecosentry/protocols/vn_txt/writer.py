"""Write canonical Circular 10/2021/TT-BTNMT station files (the inverse of :mod:`.parser`).

Canonical form (decisions of this module, following the reference's sample files, subsystems.md §5.2):

* name ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt`` (lower-case extension);
* UTF-8 **without** byte-order mark, lines ended by **LF** (the samples; ``line_end="\\r\\n"`` gives CRLF
  for receivers that want it), no header line, the last line ended too;
* five fields joined by TAB: parameter, value, unit (empty allowed), the file-name time, status;
* value in fixed-point notation with ``decimals`` digits (default 2, like ``3.90`` in the samples), or
  with ``decimals=None`` the shortest text that reads back as the same float (never an exponent).

Round trip: ``parse_file(*write_file(name, lines))`` gives the same parameters, units, times and statuses,
and the values rounded to ``decimals`` (exactly the values with ``decimals=None``); writing the parsed
file again gives the same bytes.

References
----------
.. [1] shared/reference/subsystems.md §5.2 (samples: ``TSS<TAB>3.90<TAB>mg/L<TAB>20260203124500<TAB>00``).
.. [2] Circular 10/2021/TT-BTNMT Art. 39 via subsystems.md §5.1 (the five fields).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from decimal import Decimal

from ecosentry.protocols.vn_txt.model import STATUS_MEANING, VnFileName, VnLine

__all__ = ["format_name", "format_value", "write_file"]

_CODE_RE = re.compile(r"^[A-Za-z0-9-]+$")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")


def format_name(name: VnFileName) -> str:
    """``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt``.

    Raises
    ------
    ValueError
        If a code is empty, holds ``_`` or anything but ASCII letters, digits and ``-``.
    """
    for part, code in (("province", name.province), ("facility", name.facility), ("station", name.station)):
        if not _CODE_RE.match(code or ""):
            raise ValueError(f"{part} code {code!r} must be ASCII letters, digits or '-' (no '_', not empty)")
    return f"{name.station_key}_{name.time:%Y%m%d%H%M%S}.txt"


def format_value(value: float, decimals: int | None = 2) -> str:
    """A value as written in a file: fixed point with ``decimals`` digits, or (``None``) the shortest
    positional text that reads back as the same float.

    Parameters
    ----------
    value : float
        Finite number.
    decimals : int or None, default 2

    Raises
    ------
    ValueError
        For NaN or infinity, or a negative ``decimals``.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"value {value!r} cannot be written (not finite)")
    if decimals is None:
        text = format(Decimal(repr(value)), "f")
    else:
        if decimals < 0:
            raise ValueError("decimals must be ≥ 0")
        text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]  # "-0.00" reads as 0 anyway; write it plainly
    return text


def write_file(name: VnFileName, lines: Iterable[VnLine | tuple[str, float, str, str]], *,
               decimals: int | None = 2, line_end: str = "\n") -> tuple[str, bytes]:
    """Build one canonical station file.

    Parameters
    ----------
    name : VnFileName
        Station codes and the measurement time (station local time).
    lines : iterable of VnLine or (parameter, value, unit, status)
        In the order to write. A :class:`VnLine`'s ``time`` must equal ``name.time`` (one file per
        measurement, Circular 10/2021 Art. 39 via subsystems.md §5.1); its ``line`` number is ignored.
    decimals : int or None, default 2
        Digits after the point; ``None`` writes each value exactly (use it to forward received values).
    line_end : {"\\n", "\\r\\n"}, default "\\n"

    Returns
    -------
    (str, bytes)
        File name and content (UTF-8, no BOM).

    Raises
    ------
    ValueError
        Bad codes, no line, a parameter twice, an empty parameter, a TAB/line end/control character or
        surrounding spaces in a parameter or unit, a status other than 00/01/02, a value that is not
        finite or missing, or a line time different from the file time.
    """
    if line_end not in ("\n", "\r\n"):
        raise ValueError(r"line_end must be '\n' or '\r\n'")
    filename = format_name(name)
    out: list[str] = []
    seen: set[str] = set()
    for i, item in enumerate(lines, start=1):
        if isinstance(item, VnLine):
            if item.time != name.time:
                raise ValueError(f"line {i} ({item.parameter}): time {item.time:%Y%m%d%H%M%S} is not the file "
                                 f"time {name.time:%Y%m%d%H%M%S}")
            parameter, value, unit, status = item.parameter, item.value, item.unit, item.status
        else:
            parameter, value, unit, status = item
        unit = unit or ""
        _check_text(parameter, "parameter", i, allow_empty=False)
        _check_text(unit, "unit", i, allow_empty=True)
        if parameter in seen:
            raise ValueError(f"line {i}: parameter {parameter!r} is written twice")
        seen.add(parameter)
        if status not in STATUS_MEANING:
            raise ValueError(f"line {i} ({parameter}): status {status!r} is not 00, 01 or 02")
        if value is None:
            raise ValueError(f"line {i} ({parameter}): no value")
        out.append("\t".join((parameter, format_value(value, decimals), unit, f"{name.time:%Y%m%d%H%M%S}", status)))
    if not out:
        raise ValueError("a station file needs at least one line")
    return filename, (line_end.join(out) + line_end).encode("utf-8")


def _check_text(text: str, what: str, i: int, *, allow_empty: bool) -> None:
    if not isinstance(text, str):
        raise ValueError(f"line {i}: {what} must be text, not {type(text).__name__}")
    if not text and not allow_empty:
        raise ValueError(f"line {i}: empty {what}")
    if _FORBIDDEN.search(text):
        raise ValueError(f"line {i}: {what} {text!r} holds a TAB, line end or control character")
    if text != text.strip():
        raise ValueError(f"line {i}: {what} {text!r} has surrounding spaces (a reader would strip them)")
