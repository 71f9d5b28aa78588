"""How a power logger's HJ 212 records become ``power-readings`` (pure: no clock, network or database).

What power loggers send (no HJ 212 extension for electricity exists, ``subsystems.md`` §1.1):

* **A meter is a facility** ``SB<n>``: HJ 212-2017 Appendix B names treatment facilities ``SB1``, ``SB2`` ...,
  with the run state ``SB<n>-RS`` in CN 2021 (Table 9 "污染治理设施运行状态") and the daily run time
  ``SB<n>-RT`` in CN 2041 [C: HJ 212-2017 Table 9, Appendix B, and the loggers in the field that send
  ``CN=2021 … CP=&&DataTime=…;SB1-RS=1;SB2-RS=0&&``]. Electricity programmes reuse the form for meters
  (``subsystems.md`` §1.1, §7 item 1: "meter as ``SBxxx``, CN 2011/2021/2041") [S/R].
* **Analog quantities as a factor under the meter**: ``SB1-Ia-Rtd`` (CN 2011 real-time), ``SB1-P-Avg``
  (CN 2051 minute data), the provincial 分表计电 practice of ``SB1-Ia``, ``SB1-P``, ``SB1-E``, ``SB1-RS``
  (issue 15 item 2) [R: the quantity names below are the platform's list; a logger's own names are
  "unknown quantity", kept and counted]. The core codec splits a field at its **last** ``-``
  (``records.data_records``), so ``SB1-Ia-Rtd`` is factor ``SB1-Ia``, suffix ``Rtd``: the channel and the
  quantity are the factor's two halves, split here at its first ``-``.
* A run state inside CN 2011/2051 (``SB0-Rtd=0;SB0-RS=3`` of field loggers) reaches the codec as the
  facility's extra suffix ``RS``; it is read here too.
* Handan's 分表计电 rules (邯郸市工业企业分表计电平台数据传输联网技术要求, 试行) code factors "after HJ
  212-2017's process-parameter codes" as 2 digits + a 3-digit measuring-point group (``01001``), and give run
  states their own values (treatment 0 normal, 1 no data, 2 off, 3 abnormal; production 10, 11, 12) [S: the
  rules as published by a vendor, zhihuiyongdian.com.cn/contents/564.html]; their factor table (B.1) was not
  available, so such codes are "unknown" here, not guessed. Because ``RS`` means different things under the
  two conventions (HJ 212's 0 is "stopped", Handan's 0 is "normal"), it is stored as sent and the running
  state is computed from power and current (``rules/state.py``), never from ``RS``.

CN → reading kind: 2011 → ``rtd`` (value = ``Rtd``), 2051 → ``min`` (value = ``Avg``; an energy register
sent only as ``Max`` takes it: the register's end of minute), 2021 → ``rtd`` of quantity ``RS`` (the state
at that moment, as sent: HJ 212 states 0 stopped, 1 running, 2 calibrating, 3 maintenance, 4 alarm, 5 back
blowing; Handan's 0–3 / 10–12 pass unchanged). Every reading's ``start`` is its minute in UTC (the store keys
readings by minute). Other data commands (2061 hour, 2031 day, 2041 run time, 2081 restart) carry nothing the
per-minute rules read: kept, not mapped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ecosentry.contracts.envelope import Reading
from ecosentry.protocols.hj212 import format_number
from ecosentry.protocols.hj212.timefmt import format_hj_time

__all__ = ["QUANTITIES", "MAPPED_CNS", "Mapped", "map_records", "minute_utc", "logger_cp"]

#: Quantities of the ``power-readings`` contract: P kW, E kWh register, currents A, voltages V, power factor,
#: run state as sent (``docs/power.md``).
QUANTITIES = frozenset({"P", "E", "I", "Ia", "Ib", "Ic", "U", "Ua", "Ub", "Uc", "PF", "RS"})
#: Reading kind by command code (HJ 212-2017 Table 9).
MAPPED_CNS = {"2011": "rtd", "2051": "min", "2021": "rtd"}
#: A meter channel: HJ 212-2017 Appendix B's facility code ``SB`` + a number.
_CHANNEL = re.compile(r"SB\d{1,4}")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
#: Unknown codes listed in an envelope's meta (the count is complete; the list is a sample).
MAX_LISTED = 20


@dataclass(slots=True)
class Mapped:
    """The readings of one frame and what could not be mapped (factor codes, ``code`` or ``code-suffix``)."""

    readings: list[Reading] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def minute_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A logger's naive local time → the UTC minute it falls in (HJ 212 DataTime is the logger's local time)."""
    return local.replace(tzinfo=zone).astimezone(timezone.utc).replace(second=0, microsecond=0)


def _number(text: str | None) -> float | None:
    if text is None or not _NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def map_records(cn: str, records, zone: ZoneInfo) -> Mapped:
    """Map the codec's records (:func:`ecosentry.protocols.hj212.records.data_records`) of one frame.

    Parameters
    ----------
    cn : str
        The frame's command code; anything but :data:`MAPPED_CNS` maps to nothing.
    records : iterable of DataRecord
    zone : ZoneInfo
        The device's time zone.
    """
    out = Mapped()
    kind = MAPPED_CNS.get(cn)
    if kind is None:
        return out
    for r in records:
        channel, sep, quantity = r.factor.partition("-")
        if not _CHANNEL.fullmatch(channel):
            out.unknown.append(r.factor)
            continue
        start = minute_utc(r.data_time, zone)
        if cn == "2021":  # the facility's state record: SBn-RS
            if sep:
                out.unknown.append(r.factor)
                continue
            out.readings.append(Reading(f"{channel}-RS", kind, start, r.value, flag=r.flag))
            continue
        if not sep:  # a facility in a data upload: SB0-RS=3 (extra suffix RS); SB0-Rtd has no quantity
            rs = r.extra.get("RS")
            if rs is not None and _number(rs) is not None:
                out.readings.append(Reading(f"{channel}-RS", kind, start, _number(rs), flag=r.flag))
            else:
                out.unknown.append(r.factor if rs is None else f"{r.factor}-RS")
            continue
        if quantity not in QUANTITIES:
            out.unknown.append(r.factor)
            continue
        value = r.value
        if value is None and quantity == "E" and kind == "min":
            value = r.max
        out.readings.append(Reading(f"{channel}-{quantity}", kind, start, value, r.min, r.max, flag=r.flag))
    return out


#: The value suffix a power logger sends per command code (the reverse of :func:`map_records`).
_SUFFIX = {"2011": "Rtd", "2051": "Avg"}


def logger_cp(cn: str, data_time: datetime, meters: dict[str, dict[str, float]]) -> list[dict[str, str]]:
    """The CP groups a power logger sends (simulators and tests): ``{"SB1": {"P": 42.5, "RS": 1}}`` at the naive
    local ``data_time`` → ``DataTime``, ``SB1-P-Avg=42.5`` (CN 2051) or ``-Rtd`` (2011), ``SB1-RS=1`` (2021,
    which carries run states only). Pass them as ``cp`` to :func:`ecosentry.protocols.hj212.build_frame`."""
    groups = [{"DataTime": format_hj_time(data_time)}]
    for channel, values in meters.items():
        if cn == "2021":
            groups.append({f"{channel}-RS": format_number(values["RS"])})
            continue
        suffix = _SUFFIX[cn]
        group = {f"{channel}-{q}-{suffix}": format_number(v) for q, v in values.items() if q != "RS"}
        if "RS" in values:
            group[f"{channel}-RS"] = format_number(values["RS"])
        groups.append(group)
    return groups
