"""What a Circular 10/2021 station file holds (the contract between the parser, the FTP gateway, the writer
and the forwarder).

File name ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt``; one line per parameter,
``parameter<TAB>value<TAB>unit<TAB>yyyyMMddHHmmss<TAB>status`` with status ``00`` measuring (đang đo),
``01`` calibrating (hiệu chuẩn), ``02`` device error (báo lỗi thiết bị) (reference notes §7.2,
subsystems.md §5.2). Times in the file are local time of the station (Vietnam: UTC+07:00).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["STATUS_MEANING", "VnFileName", "VnLine", "VnFile", "VnFileError"]

#: Status code → meaning (Circular 10/2021 Art. 39: measuring, calibrating, instrument error).
STATUS_MEANING = {"00": "measuring", "01": "calibrating", "02": "device_error"}


class VnFileError(ValueError):
    """A file (or its name) that cannot be accepted; ``reason`` is a stable short code, ``str()`` a sentence.

    Attributes
    ----------
    reason : str
        ``bad_name``, ``empty``, ``encoding``, ``bad_line``, ``bad_value``, ``bad_time``, ``bad_status``,
        ``time_mismatch`` ...
    line : int or None
        1-based line number in the file, when the error is in a line.
    """

    def __init__(self, reason: str, message: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class VnFileName:
    """The parts of a file name; ``station_key`` = ``Province_Facility_Station`` identifies the station."""

    province: str
    facility: str
    station: str
    time: datetime  # naive, station local time

    @property
    def station_key(self) -> str:
        return f"{self.province}_{self.facility}_{self.station}"


@dataclass(frozen=True)
class VnLine:
    """One measurement line; ``unit`` may be empty (pH), ``value`` ``None`` for an empty or non-numeric field
    only when the parser is lenient (strict parsing rejects it)."""

    line: int
    parameter: str
    value: float | None
    unit: str
    time: datetime  # naive, station local time
    status: str  # "00" | "01" | "02"


@dataclass(frozen=True)
class VnFile:
    """A parsed file: its name parts, its lines, and notes on accepted variants (BOM, CRLF, header line ...)."""

    name: VnFileName
    lines: tuple[VnLine, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
