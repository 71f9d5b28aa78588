"""What an HJ 212 instrument frame says, pure: the CP of a CN 3020 upload (HJ 212-2017 Table 9 "上传现场机信息":
log, state, parameters) read into instrument parameter reports and station-room door events.

The CP is the gateway's, verbatim (``Envelope.meta["cp"]``: groups of ``[name, value]`` pairs). HJ 212-2017
§6.6.5 / Appendix C: ``DataTime`` (local, ``yyyyMMddHHmmss``) and ``PolId`` (the factor the information is about)
govern the fields after them; an information field is ``<info code>-Info=<value>``, the info codes of Appendix B
being ``i11xxx`` logs, ``i12xxx`` states and ``i13xxx`` parameters [R]. Parameters are the fields whose code starts
with ``parameter_prefix`` (a number each; the name from ``parameter_names`` or the code). The door field
(``door_field``, a setting: no national code was found) gives a door event. Logs and states are left in the raw
archive. A field that cannot be read is a problem of that field only: the frame's other fields are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

__all__ = ["ParameterReport", "DoorReport", "InstrumentFrame", "read_cp", "POINT_WIDE", "MAX_NAME", "MAX_FACTOR"]

#: The factor of a parameter that is the whole point's, not one analyser's (no ``PolId``).
POINT_WIDE = "*"
#: Column limits of ``om_parameter_reports`` (factor code 16, name 40).
MAX_FACTOR, MAX_NAME = 16, 40
_NUMERIC = "0123456789.+-eE"


@dataclass(frozen=True)
class ParameterReport:
    factor: str
    name: str
    at: datetime      # UTC
    value: float


@dataclass(frozen=True)
class DoorReport:
    at: datetime      # UTC
    event: str        # open | close


@dataclass
class InstrumentFrame:
    parameters: list[ParameterReport] = field(default_factory=list)
    doors: list[DoorReport] = field(default_factory=list)
    #: (code, note) of each field left out.
    problems: list[tuple[str, str]] = field(default_factory=list)


def _time(text: str, zone: ZoneInfo) -> datetime:
    """``yyyyMMddHHmmss`` (HJ 212-2017 Table 4, local time) → UTC; ValueError when it is not one."""
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(f"DataTime {text[:20]!r} is not yyyyMMddHHmmss")
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=zone).astimezone(timezone.utc)


def _number(text: str) -> float | None:
    text = text.strip().strip("/")
    if not text or text.strip(_NUMERIC):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0 else None


def read_cp(cp: list, tz: str, *, parameter_prefix: str, parameter_names: dict[str, str], door_field: str,
            door_open: list[str], door_close: list[str]) -> InstrumentFrame:
    """The parameter reports and door events of one frame's CP (see the module's text)."""
    out = InstrumentFrame()
    zone = ZoneInfo(tz)
    at: datetime | None = None
    factor = POINT_WIDE
    for group in cp:
        for pair in group:
            name, value = str(pair[0]), str(pair[1])
            if name == "DataTime":
                try:
                    at = _time(value, zone)
                except (ValueError, OverflowError) as exc:
                    at = None
                    out.problems.append(("bad_time", str(exc)))
                continue
            if name == "PolId":
                factor = value or POINT_WIDE
                continue
            if name == door_field:
                event = "open" if value in door_open else "close" if value in door_close else None
                if event is None:
                    out.problems.append(("bad_door", f"{name}={value[:20]!r} is neither open nor close"))
                elif at is None:
                    out.problems.append(("no_time", f"{name} without a DataTime before it"))
                else:
                    out.doors.append(DoorReport(at, event))
                continue
            code, sep, suffix = name.partition("-")
            if not sep or suffix != "Info" or not code.startswith(parameter_prefix):
                continue
            pname = parameter_names.get(code, code)
            number = _number(value)
            if number is None:
                out.problems.append(("bad_number", f"{name}={value[:20]!r} is not a number"))
            elif at is None:
                out.problems.append(("no_time", f"{name} without a DataTime before it"))
            elif len(factor) > MAX_FACTOR or len(pname) > MAX_NAME:
                out.problems.append(("field_too_long", f"PolId {factor[:20]!r} or {pname[:50]!r} is too long "
                                                       f"(at most {MAX_FACTOR} and {MAX_NAME} characters)"))
            else:
                out.parameters.append(ParameterReport(factor, pname, at, number))
    return out
