"""Monitoring records carried by HJ 212 data uploads, and the reverse.

HJ 212-2017 Table 9 data commands put one ``DataTime`` and then one CP group
per factor (``a21026-Rtd=..,a21026-Flag=N;w01018-Avg=..``) or per facility
(``SB1-RS=1``). Field suffixes follow the field dictionary (§6.3.3 and
Appendix B): ``Rtd`` real-time value, ``Min``/``Avg``/``Max`` interval
statistics, ``Cou`` cumulative amount, ``Zs*`` values converted to the
reference O2 (折算), ``Flag``/``EFlag`` data flags (Table 8), ``SampleTime``,
``RS`` facility run state, ``RT`` facility run hours.

Records are keyed by (factor, DataTime): a frame may give DataTime once for
the whole CP (the usual case) or repeat it before groups (some loggers, and
frames carrying several intervals); both decode the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import BadField, FieldTooLong
from .frame import FIELD_LIMITS, Frame
from .timefmt import format_hj_time, parse_hj_time

__all__ = [
    "DataRecord",
    "KIND_BY_CN",
    "CN_BY_KIND",
    "data_records",
    "restart_time",
    "records_to_cp",
    "format_number",
]

#: Record kind by data-upload command code (HJ 212-2017 Table 9).
KIND_BY_CN: dict[str, str] = {
    "2011": "rtd",  # real-time data, DataTime = moment of acquisition
    "2051": "min",  # minute data, DataTime = start of the interval
    "2061": "hour",  # hourly data, DataTime = start of the hour
    "2031": "day",  # daily data, DataTime = start of the day
    "2021": "state",  # facility run state SBxxx-RS (0..5)
    "2041": "runtime",  # facility run time per day SBxxx-RT (hours, 0..24)
}

#: Command code by record kind (inverse of :data:`KIND_BY_CN`).
CN_BY_KIND: dict[str, str] = {kind: cn for cn, kind in KIND_BY_CN.items()}

# Which suffix is the record's main value and its converted (Zs) value.
_VALUE_SUFFIX = {"rtd": "Rtd", "min": "Avg", "hour": "Avg", "day": "Avg", "state": "RS", "runtime": "RT"}
_ZS_SUFFIX = {"rtd": "ZsRtd", "min": "ZsAvg", "hour": "ZsAvg", "day": "ZsAvg"}
_NUMERIC_CHARS = "0123456789.+-eE"


@dataclass(frozen=True, slots=True)
class DataRecord:
    """One factor's (or facility's) values for one DataTime.

    Attributes
    ----------
    factor : str
        Factor code as sent: ``a21026``, ``w01018`` (HJ 212-2017 Appendix B),
        old HJ/T 212-2005 codes such as ``02`` or ``B02``, or a facility
        ``SB1`` for kinds ``state``/``runtime``.
    kind : str
        ``rtd``, ``min``, ``hour``, ``day``, ``state`` or ``runtime``.
    data_time : datetime
        Naive local time; the interval start for min/hour/day.
    value : float or None
        ``Rtd`` (rtd), ``Avg`` (min/hour/day), ``RS`` (state) or ``RT`` (runtime).
    min, max, cou : float or None
        ``Min``, ``Max``, ``Cou``.
    flag, eflag : str or None
        ``Flag`` (Table 8, kept verbatim, the table is extensible) and ``EFlag``.
    zs_value, zs_min, zs_max : float or None
        ``ZsRtd`` or ``ZsAvg``, ``ZsMin``, ``ZsMax``.
    sample_time : datetime or None
        ``SampleTime`` (naive local).
    extra : dict of str to str
        Every other suffix of this factor, verbatim (``{"Info": ..}``).
    """

    factor: str
    kind: str
    data_time: datetime
    value: float | None = None
    min: float | None = None
    max: float | None = None
    cou: float | None = None
    flag: str | None = None
    eflag: str | None = None
    zs_value: float | None = None
    zs_min: float | None = None
    zs_max: float | None = None
    sample_time: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (times as ISO 8601 strings, naive local)."""
        return {
            "factor": self.factor,
            "kind": self.kind,
            "data_time": self.data_time.isoformat(),
            "value": self.value,
            "min": self.min,
            "max": self.max,
            "cou": self.cou,
            "flag": self.flag,
            "eflag": self.eflag,
            "zs_value": self.zs_value,
            "zs_min": self.zs_min,
            "zs_max": self.zs_max,
            "sample_time": None if self.sample_time is None else self.sample_time.isoformat(),
            "extra": dict(self.extra),
        }


# Slots of a record under construction, in DataRecord field order after
# (factor, kind, data_time).
_VALUE, _MIN, _MAX, _COU, _FLAG, _EFLAG, _ZS, _ZS_MIN, _ZS_MAX, _SAMPLE, _EXTRA = range(11)
_NUMERIC_SLOTS = frozenset({_VALUE, _MIN, _MAX, _COU, _ZS, _ZS_MIN, _ZS_MAX})
_COMMON_SLOTS = {
    "Min": _MIN,
    "Max": _MAX,
    "Cou": _COU,
    "Flag": _FLAG,
    "EFlag": _EFLAG,
    "ZsMin": _ZS_MIN,
    "ZsMax": _ZS_MAX,
    "SampleTime": _SAMPLE,
}


def _slot_map(kind: str) -> dict[str, int]:
    slots = dict(_COMMON_SLOTS)
    slots[_VALUE_SUFFIX[kind]] = _VALUE
    if kind in _ZS_SUFFIX:
        slots[_ZS_SUFFIX[kind]] = _ZS
    return slots


_SLOTS_BY_KIND = {kind: _slot_map(kind) for kind in _VALUE_SUFFIX}


def _bad_number(name: str, text: str, raw: bytes) -> BadField:
    return BadField(f"{name}={text!r} is not a number", raw, name)


def data_records(frame: Frame) -> list[DataRecord]:
    """Decode the monitoring records of a data upload.

    Parameters
    ----------
    frame : Frame
        A parsed frame.

    Returns
    -------
    list of DataRecord
        In order of first appearance; empty for a command that carries no
        records (anything but 2011, 2051, 2061, 2031, 2021, 2041).

    Raises
    ------
    BadField
        A numeric field (``Rtd``, ``Avg``, ``Min``, ``Max``, ``Cou``, ``Zs*``,
        ``RS``, ``RT``) is not a number, a time is malformed, or a factor
        field comes before any ``DataTime``. The error names the field.

    Notes
    -----
    * A ``DataTime`` governs the fields that follow it in wire order, up to
      the next ``DataTime``: once for the whole CP, or repeated per group.
    * Numbers must be plain decimal (optionally with an exponent): ``nan``,
      ``inf``, ``1_000`` or full-width digits, which ``float`` would take,
      are bad data. An empty value means "no value" (None).
    * Fields without a ``-`` (``PolId``, ...) are not records; they stay
      available through :meth:`Frame.field`. A suffix sent twice for the
      same factor and DataTime keeps its first value.
    """
    kind = KIND_BY_CN.get(frame.cn)
    if kind is None:
        return []
    raw = frame.raw
    slot_of = _SLOTS_BY_KIND[kind]
    numeric = _NUMERIC_SLOTS
    num_chars = _NUMERIC_CHARS
    current: datetime | None = None
    time_text: str | None = None
    collected: dict[tuple[str, datetime], list[Any]] = {}
    last_factor: str | None = None
    slots: list[Any] = []
    for group in frame.cp:
        for name, value in group:
            factor, sep, suffix = name.rpartition("-")
            if not sep or not factor:
                if name == "DataTime" and value != time_text:
                    current = parse_hj_time(value, "DataTime", raw)
                    time_text = value
                    last_factor = None
                continue
            if factor != last_factor:
                if len(factor) > FIELD_LIMITS["factor"]:
                    raise FieldTooLong(f"factor code {factor[:40]!r} has {len(factor)} characters, at most "
                                       f"{FIELD_LIMITS['factor']} allowed", raw, name)
                if current is None:
                    raise BadField(f"{name} appears before any DataTime", raw, "DataTime")
                key = (factor, current)
                slots = collected.get(key)  # type: ignore[assignment]
                if slots is None:
                    slots = collected[key] = [None] * 10 + [{}]
                last_factor = factor
            index = slot_of.get(suffix)
            if index is None:
                slots[_EXTRA].setdefault(suffix, value)
            elif slots[index] is not None:
                continue
            elif index in numeric:
                if value:
                    try:
                        number = float(value)
                    except ValueError:
                        raise _bad_number(name, value, raw) from None
                    if value.strip(num_chars) or number - number:  # letters, inf
                        raise _bad_number(name, value, raw)
                    slots[index] = number
            elif index == _SAMPLE:
                if value:
                    slots[index] = parse_hj_time(value, name, raw)
            else:
                limit = FIELD_LIMITS.get("-" + suffix)  # Flag, EFlag
                if limit is not None and len(value) > limit:
                    raise FieldTooLong(f"{name}={value[:40]!r} has {len(value)} characters, at most {limit} "
                                       "allowed (HJ 212-2017 §6.3.3)", raw, name)
                slots[index] = value
    return [
        DataRecord(factor, kind, data_time, *slots) for (factor, data_time), slots in collected.items()
    ]


def frame_dict(frame: Frame) -> dict[str, Any]:
    """Return a JSON-ready dict of a frame: header, decoded flag bits, CP and records.

    Raises
    ------
    BadField
        If a data record cannot be decoded (see :func:`data_records`).
    """
    out = frame.header_dict()
    header_extra = out.pop("header_extra", None)
    out["records"] = [r.to_dict() for r in data_records(frame)]
    if header_extra is not None:
        out["header_extra"] = header_extra
    return out


def restart_time(frame: Frame) -> datetime | None:
    """Return ``RestartTime`` of a 2081 frame (data logger boot time), or None.

    HJ 212-2017 Table 9, CN 2081 "上传数采仪开机时间".
    """
    text = frame.field("RestartTime")
    return None if text is None else parse_hj_time(text, "RestartTime", frame.raw)


def format_number(value: float, max_decimals: int = 8) -> str:
    """Format a number in fixed-point notation, compactly and without float noise.

    At most ``max_decimals`` decimals and 15 significant digits (below the
    17 that expose binary rounding), trailing zeros stripped; never exponent
    notation, which HJ 212's ``N n.m`` numeric fields do not allow.

    Examples
    --------
    >>> format_number(12345.6), format_number(0.1 + 0.2), format_number(30.0)
    ('12345.6', '0.3', '30')
    >>> format_number(0.000038), format_number(-0.0)
    ('0.000038', '0')
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"cannot put {value!r} on the wire")
    whole = abs(number)
    int_digits = len(str(int(whole))) if whole >= 1 else 1
    decimals = max(0, min(max_decimals, 15 - int_digits))
    text = f"{number:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _group_for(record: DataRecord) -> dict[str, str]:
    """One CP group for one record, suffixes in the order of the standard's examples."""
    kind = record.kind
    if kind == "rtd":
        numbers = (("Rtd", record.value), ("ZsRtd", record.zs_value), ("Min", record.min),
                   ("Max", record.max), ("Cou", record.cou), ("ZsMin", record.zs_min),
                   ("ZsMax", record.zs_max))
    elif kind in ("min", "hour", "day"):
        numbers = (("Cou", record.cou), ("Min", record.min), ("Avg", record.value),
                   ("Max", record.max), ("ZsMin", record.zs_min), ("ZsAvg", record.zs_value),
                   ("ZsMax", record.zs_max))
    elif kind in ("state", "runtime"):
        if record.zs_value is not None:
            raise ValueError(f"a {kind} record has no converted value, got {record!r}")
        numbers = ((_VALUE_SUFFIX[kind], record.value), ("Min", record.min), ("Max", record.max),
                   ("Cou", record.cou), ("ZsMin", record.zs_min), ("ZsMax", record.zs_max))
    else:
        raise ValueError(f"unknown record kind {kind!r}")
    pre = record.factor + "-"
    out = {pre + suffix: format_number(number) for suffix, number in numbers if number is not None}
    if record.flag is not None:
        out[pre + "Flag"] = record.flag
    if record.eflag is not None:
        out[pre + "EFlag"] = record.eflag
    if record.sample_time is not None:
        out[pre + "SampleTime"] = format_hj_time(record.sample_time)
    for suffix, text in record.extra.items():
        out.setdefault(pre + suffix, text)
    return out


def records_to_cp(records: list[DataRecord]) -> list[dict[str, str]]:
    """Build CP groups for a data upload from records (simulator side).

    Parameters
    ----------
    records : list of DataRecord
        All of one kind (one command code, see :data:`CN_BY_KIND`).

    Returns
    -------
    list of dict
        A ``{"DataTime": ...}`` group, then one group per factor; when the
        records have several DataTimes, each time's group precedes its
        records (in order of first appearance). Numbers are formatted with
        :func:`format_number`. Pass the result as ``cp`` to
        :func:`~.frame.build_frame` with ``cn=CN_BY_KIND[kind]``.

    Raises
    ------
    ValueError
        Records of different kinds, or a value that cannot be sent (NaN).
    """
    if not records:
        return []
    kinds = {r.kind for r in records}
    if len(kinds) != 1:
        raise ValueError(f"records of several kinds cannot share one frame: {sorted(kinds)}")
    by_time: dict[datetime, list[DataRecord]] = {}
    for record in records:
        by_time.setdefault(record.data_time, []).append(record)
    groups: list[dict[str, str]] = []
    for data_time, same_time in by_time.items():
        groups.append({"DataTime": format_hj_time(data_time)})
        groups.extend(_group_for(r) for r in same_time)
    return groups
