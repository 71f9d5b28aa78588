"""CSV input and atomic output for the offline audit tool (``ecosentry compute``).

Input formats
-------------
* **Data** (long format, header required): ``point,factor,time,value[,flag][,zs_value]``.
  ``time`` is ISO 8601; with an offset (``+08:00`` or ``Z``) it is converted to the audit time zone,
  without one it is read as local time of that zone. ``value`` may be empty (a received record without
  a value: invalid); otherwise it must be a finite number. ``flag`` empty means ``N``.
* **Marks** (header required): ``point,factor,type,start,end``; see :mod:`ecosentry.subsystems.monitoring.offline.compute`
  for the meaning of each type.

Every error is an :class:`AuditInputError` naming the file and the 1-based line number (the header is
line 1), so that the auditor can open the file at that line.

Output files are written to a temporary file in the target directory and renamed into place
(:func:`write_atomically`), so a failed run never leaves a half-written file.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Iterator

__all__ = [
    "AuditInputError",
    "DataRow",
    "Mark",
    "MARK_TYPES",
    "parse_time",
    "iter_data_rows",
    "read_marks",
    "write_atomically",
]

#: Mark types understood by the audit tool.
MARK_TYPES = (
    "maintenance",
    "calibration",
    "fault",
    "comm_interruption",
    "stopped",
    "standard_sample_check",
)

DATA_REQUIRED = ("point", "factor", "time", "value")
MARK_REQUIRED = ("point", "factor", "type", "start", "end")


class AuditInputError(ValueError):
    """Bad input file content; ``str()`` names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class DataRow:
    """One parsed data line; ``time`` is aware and expressed in the audit zone."""

    line: int
    point: str
    factor: str
    time: datetime
    value: float | None
    flag: str | None
    zs_value: float | None


@dataclass(frozen=True)
class Mark:
    """One mark (标记): ``factor`` ``None`` means every factor of the point."""

    line: int
    point: str
    factor: str | None
    type: str
    start: datetime
    end: datetime


def parse_time(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 → aware datetime in ``zone`` (naive text is local time of ``zone``).

    Raises
    ------
    ValueError
        If the text is not ISO 8601.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty time")
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=zone)
    return dt.astimezone(zone)


def _parse_number(text: str | None, path: Path, line: int, column: str, *, required: bool) -> float | None:
    s = (text or "").strip()
    if not s:
        if required:
            raise AuditInputError(path, line, f"column {column!r} is empty")
        return None
    try:
        x = float(s)
    except ValueError:
        raise AuditInputError(path, line, f"column {column!r}: {s!r} is not a number") from None
    if not math.isfinite(x):
        raise AuditInputError(path, line, f"column {column!r}: {s!r} is not a finite number")
    return x


def _header(reader: Iterator[list[str]], path: Path, required: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise AuditInputError(path, 1, "file is empty (a header line is required)") from None
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise AuditInputError(
            path, 1, f"missing column(s) {', '.join(missing)} (header is {','.join(header)!r})"
        )
    return {name: i for i, name in enumerate(names)}


def iter_data_rows(
    path: Path, zone: tzinfo, *, on_progress: Callable[[int], None] | None = None
) -> Iterator[DataRow]:
    """Stream the data CSV row by row.

    Parameters
    ----------
    path : Path
    zone : tzinfo
        Audit time zone.
    on_progress : callable or None
        Called every 10 000 lines with the number of characters read since the last call.

    Raises
    ------
    AuditInputError
        Missing column, too few fields, bad time, value not a number.
    """
    with open(path, newline="", encoding="utf-8-sig") as fh:
        lines = _counting(fh, on_progress)
        reader = csv.reader(lines)
        cols = _header(reader, path, DATA_REQUIRED)
        ip, ifa, it, iv = cols["point"], cols["factor"], cols["time"], cols["value"]
        iflag, izs = cols.get("flag"), cols.get("zs_value")
        width = max(cols.values()) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < max(ip, ifa, it, iv) + 1:
                raise AuditInputError(path, line, f"{len(fields)} field(s), the header has {width}")
            point, factor = fields[ip].strip(), fields[ifa].strip()
            if not point or not factor:
                raise AuditInputError(path, line, "empty point or factor")
            try:
                time = parse_time(fields[it], zone)
            except ValueError:
                raise AuditInputError(path, line, f"bad time {fields[it]!r} (ISO 8601 expected)") from None
            value = _parse_number(fields[iv], path, line, "value", required=False)
            flag = fields[iflag].strip() or None if iflag is not None and iflag < len(fields) else None
            zs = (
                _parse_number(fields[izs], path, line, "zs_value", required=False)
                if izs is not None and izs < len(fields) else None
            )
            yield DataRow(line, point, factor, time, value, flag, zs)


def _counting(lines: Iterable[str], on_progress: Callable[[int], None] | None) -> Iterator[str]:
    if on_progress is None:
        yield from lines
        return
    chars = 0
    for i, text in enumerate(lines, 1):
        chars += len(text)
        if i % 10_000 == 0:
            on_progress(chars)
            chars = 0
        yield text
    on_progress(chars)


def read_marks(path: Path, zone: tzinfo) -> list[Mark]:
    """Read the marks CSV.

    Raises
    ------
    AuditInputError
        Missing column, unknown type, bad time, end not after start.
    """
    marks: list[Mark] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        cols = _header(reader, path, MARK_REQUIRED)
        width = max(cols.values()) + 1
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) < width:
                raise AuditInputError(path, line, f"{len(fields)} field(s), the header has {width}")
            point = fields[cols["point"]].strip()
            factor = fields[cols["factor"]].strip() or None
            kind = fields[cols["type"]].strip().lower()
            if not point:
                raise AuditInputError(path, line, "empty point")
            if kind not in MARK_TYPES:
                raise AuditInputError(path, line, f"unknown mark type {kind!r} (one of {', '.join(MARK_TYPES)})")
            times = []
            for col in ("start", "end"):
                try:
                    times.append(parse_time(fields[cols[col]], zone))
                except ValueError:
                    raise AuditInputError(
                        path, line, f"bad {col} time {fields[cols[col]]!r} (ISO 8601 expected)"
                    ) from None
            if times[1] <= times[0]:
                raise AuditInputError(path, line, "end is not after start")
            marks.append(Mark(line, point, factor, kind, times[0], times[1]))
    return marks


def write_atomically(path: Path, write: Callable[[object], None]) -> Path:
    """Write to a temporary file beside ``path``; return the temp path (rename with ``os.replace``).

    The caller renames all its outputs once every one of them is written; on error the temporary file
    is removed and the exception propagates.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
