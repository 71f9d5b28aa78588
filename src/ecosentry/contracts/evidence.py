"""What a subsystem gives the evidence pack (证据包) of an alarm it raised (``Subsystem.evidence_data``).

The pack (``GET /api/v1/alarms/{id}/evidence.pdf``) keeps one structure for every alarm: the alarm's summary, its
explanation and the rules it cites, the data window, marks, the original records, the history and the links. Its
data of a monitoring point (factors, minute and hourly values, HJ 212 frames of the point) is the monitoring
subsystem's; an alarm raised on something else (metered equipment, a gate, a park sensor) is proved by the data
of the subsystem that raised it. Such a subsystem declares functions ``(conn, request: EvidenceRequest) ->
EvidenceData | None``: ``None`` for an alarm that is not its own, else its data of the window, its zone and its
original records, which the pack shows in place of a point's. Everything here is plain data; times are aware
(UTC), the pack prints them in :attr:`EvidenceData.tz` with the offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

__all__ = ["evidence_time", "pack_word", "pack_time", "data_window", "EvidenceRequest", "EvidenceLine", "EvidenceSeries", "EvidenceBand", "EvidenceTable",
           "EvidenceRecord", "EvidenceData"]


def evidence_time(v: Any) -> datetime | None:
    """A time of an alarm's evidence (ISO 8601 text, ``Z`` allowed) or of a row (a datetime), aware in UTC; naive
    means UTC; ``None`` for nothing or a text that is not a time."""
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        t = v
    else:
        try:
            t = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
        except ValueError:
            return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def pack_word(gettext: Callable[[str], str], lang: str) -> Callable[[str], str]:
    """How the pack labels its own table heads and rows: the reader's word with the English beside it
    (``车牌 Plate``, ``Biển số (Plate)``), the English alone where there is no translation."""
    def word(msgid: str) -> str:
        said = gettext(msgid)
        if said == msgid:
            return said
        return f"{said} ({msgid})" if lang == "vi" else f"{said} {msgid}"
    return word


def pack_time(t: datetime | None, zone: tzinfo, lang: str, *, seconds: bool = True) -> str:
    """How the pack writes a time: local, with its UTC offset (``2026-11-20 09:00:00 +08:00``; ``20/11/2026 …`` in
    Vietnamese); ``—`` for none."""
    at = evidence_time(t)
    if at is None:
        return "—"
    loc = at.astimezone(zone)
    off = loc.strftime("%z")
    day = "%d/%m/%Y" if lang == "vi" else "%Y-%m-%d"
    return loc.strftime(f"{day} %H:%M:%S" if seconds else f"{day} %H:%M") + f" {off[:3]}:{off[3:]}"


def data_window(span_start: datetime, span_end: datetime, hours_before: float, hours_after: float,
                max_days: float) -> tuple[datetime, datetime, bool]:
    """The data window around an alarm span: ``[start − hours_before, end + hours_after]`` on whole hours; a
    window longer than ``max_days`` keeps its latest part (the condition as it stands now).

    Returns start (floored to the hour), end (ceiled to the hour, exclusive) and whether it was capped.
    """
    t0 = span_start - timedelta(hours=hours_before)
    t1 = span_end + timedelta(hours=hours_after)
    t0 = t0.replace(minute=0, second=0, microsecond=0)
    if t1.minute or t1.second or t1.microsecond:
        t1 = t1.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    longest = timedelta(days=max_days)
    if t1 - t0 > longest:
        return t1 - longest, t1, True
    return t0, t1, False


@dataclass(frozen=True)
class EvidenceRequest:
    """What the pack asks of a subsystem: the alarm (its detail: type, evidence, enterprise, first/last seen …),
    the reader's language and the pack's settings."""

    alarm: Mapping[str, Any]
    #: ``zh`` (Chinese with English beside it) or ``vi``.
    lang: str
    #: The deployment's zone (``default_tz``) for an originator without one of its own.
    default_tz: str
    #: When the pack is generated (aware): "still going on" is said up to it.
    now: datetime
    #: Hours of data before and after the alarm span, and the longest window. [h], [h], [d]
    hours_before: float = 6.0
    hours_after: float = 2.0
    max_window_days: float = 7.0
    #: Original records listed at most, characters of each shown, and how long after the span's end a record
    #: still belongs to it. [-], [-], [min]
    max_records: int = 50
    record_chars: int = 300
    record_grace_minutes: float = 60.0

    def window(self, span_start: datetime, span_end: datetime) -> tuple[datetime, datetime, bool]:
        """The data window of a span with the pack's settings (:func:`data_window`)."""
        return data_window(span_start, span_end, self.hours_before, self.hours_after, self.max_window_days)


@dataclass(frozen=True)
class EvidenceLine:
    """A horizontal reference drawn on a panel (a threshold, a limit)."""

    value: float
    label: str


@dataclass(frozen=True)
class EvidenceSeries:
    """One chart panel: a quantity sampled over the window (``None``: no value), oldest first."""

    label: str
    unit: str
    times: Sequence[datetime]
    values: Sequence[float | None]
    lines: tuple[EvidenceLine, ...] = ()


@dataclass(frozen=True)
class EvidenceBand:
    """A stretch shaded on every panel (an order in force): ``label`` is its legend."""

    start: datetime
    end: datetime
    label: str


@dataclass(frozen=True)
class EvidenceTable:
    """A table of the data window; ``widths`` are fractions of the text width."""

    caption: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    widths: tuple[float, ...]


@dataclass(frozen=True)
class EvidenceRecord:
    """An original record as received (a frame, a file): the pack lists it with its SHA-256 and digests the
    listed records' ``raw`` bytes in order."""

    id: int
    received_at: datetime
    #: What the record's transport says of it (HJ 212: CN, QN), and its archive status.
    cn: str | None
    qn: str | None
    status: str
    raw: bytes


@dataclass(frozen=True)
class EvidenceData:
    """A subsystem's part of the pack of one of its alarms, in the reader's language."""

    #: The originator's local zone (IANA name): every time of the pack is printed in it.
    tz: str
    #: The alarm span and the data window (:meth:`EvidenceRequest.window`), aware UTC.
    span_start: datetime
    span_end: datetime
    window_start: datetime
    window_end: datetime
    window_capped: bool = False
    #: Rows added to the alarm's summary (label, value): the equipment, meters, devices.
    head: list[tuple[str, str]] = field(default_factory=list)
    #: The alarm's explanation said in the reader's language with local times (``None``: the pack's own).
    explanation: str | None = None
    #: Rule codes the pack cites besides the alarm type (the finding's code).
    rules: tuple[str, ...] = ()
    #: The data window: its paragraph, chart panels, bands shaded on them, tables.
    lead: str = ""
    series: list[EvidenceSeries] = field(default_factory=list)
    #: what the chart's curves are, for its legend, in the reader's language (None: minute values)
    values_label: str | None = None
    bands: list[EvidenceBand] = field(default_factory=list)
    tables: list[EvidenceTable] = field(default_factory=list)
    #: Original records (oldest first, at most ``max_records``) and how many there are; none: the section
    #: is left out.
    records: list[EvidenceRecord] = field(default_factory=list)
    records_total: int = 0
    #: More links (label, URL relative to the platform's base).
    links: list[tuple[str, str]] = field(default_factory=list)
