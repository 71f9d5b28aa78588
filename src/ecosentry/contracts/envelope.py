"""The one contract between gateways and the pipeline, for every record kind.

Every gateway (HJ 212 TCP, FTP drop, folder, MQTT, HTTP push) turns what it received into an :class:`Envelope`:
the record kind (which subsystem's sink stores it), the raw bytes as received, where and when they came from,
whether they were accepted, and what was decoded from them with times already in UTC. Gateways never apply
business rules or read the database; the kind's sink does, after the spool.

Record kinds: ``observations`` (monitoring data: HJ 212 frames, the lines of a Vietnamese station file
decoded into :class:`Reading` values), ``vn-file`` (a whole Circular 10/2021 file, decoded by its sink), and
whatever kinds installed subsystems declare (:attr:`ecosentry.contracts.subsystem.Subsystem.sinks`).

One more kind is the core's to name and a subsystem's to store: ``hj212-instrument`` (:data:`INSTRUMENT_KIND`),
the HJ 212 frames of a registered point that carry instrument information rather than monitoring data
(HJ 212-2017 Table 9: CN 3019 instrument id, CN 3020 on-site machine log, state and parameters). The core gateway
gives a frame this kind only when an installed subsystem declares a sink for it; ``meta`` holds ``tz`` (the
point's time zone) and ``cp`` (the CP groups as lists of ``[name, value]`` pairs, verbatim).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

import msgpack

Status = Literal["accepted", "quarantined", "rejected"]

#: The record kind of HJ 212 instrument-information frames (CN 3019, 3020 ...; see the module's text).
INSTRUMENT_KIND = "hj212-instrument"
#: First byte of an envelope in its binary spool form (issue 19 item 2): an array of str, float, int, None and bytes
#: in MessagePack (C speed; a malformed record raises an error, never more: a stream's records may come from
#: another process). The older JSON form begins with ``{`` and is still read, so a spool written before replays.
SPOOL_V1 = b"\x01"


@dataclass(slots=True)
class Reading:
    """One decoded value of one factor of one point for one period (HJ 212 data kinds)."""

    factor: str
    kind: str  # rtd | min | hour | day | state | runtime
    start: datetime  # interval start (UTC)
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

    def to_list(self) -> list:
        return [
            self.factor, self.kind, self.start.timestamp(), self.value, self.min, self.max, self.cou,
            self.flag, self.eflag, self.zs_value, self.zs_min, self.zs_max,
            self.sample_time.timestamp() if self.sample_time else None,
        ]

    @classmethod
    def from_list(cls, v: list) -> Reading:
        return cls(
            v[0], v[1], datetime.fromtimestamp(v[2], timezone.utc), v[3], v[4], v[5], v[6], v[7], v[8], v[9],
            v[10], v[11], datetime.fromtimestamp(v[12], timezone.utc) if v[12] is not None else None,
        )


@dataclass(slots=True)
class Envelope:
    """What a gateway received, as it received it, plus what it decoded."""

    transport: str  # hj212-tcp | ftp | folder | mqtt | http
    received_at: datetime  # UTC
    raw: bytes
    status: Status
    peer: str | None = None
    mn: str | None = None
    cn: str | None = None
    qn: str | None = None
    point_id: int | None = None
    error: str | None = None  # error class (rejected) or reason (quarantined)
    detail: str | None = None
    readings: list[Reading] = field(default_factory=list)
    #: Which sink stores it (:mod:`ecosentry.contracts.sink`).
    kind: str = "observations"
    #: Decoded fields of a kind that are not readings (file name, device event ...), JSON-serialisable.
    meta: dict = field(default_factory=dict)

    def encode(self) -> bytes:
        """Serialise for the spool, binary (version byte :data:`SPOOL_V1`); :meth:`decode` also reads the JSON
        form older spools hold (:meth:`encode_json`)."""
        r = self.readings
        rows = [(x.factor, x.kind, x.start.timestamp(), x.value, x.min, x.max, x.cou, x.flag, x.eflag, x.zs_value,
                 x.zs_min, x.zs_max, x.sample_time.timestamp() if x.sample_time is not None else None) for x in r]
        head = (self.transport, self.received_at.timestamp(), self.status, self.peer, self.mn, self.cn, self.qn,
                self.point_id, self.error, self.detail, rows, self.kind,
                json.dumps(self.meta, ensure_ascii=False, separators=(",", ":")) if self.meta else None, self.raw)
        try:
            return SPOOL_V1 + msgpack.packb(head, use_bin_type=True)
        except (TypeError, ValueError, OverflowError):  # a value MessagePack does not take (numpy float ...): JSON
            return self.encode_json()

    def encode_json(self) -> bytes:
        """The spool form before issue 19: one JSON header line, then the raw bytes verbatim (still read)."""
        head = {
            "t": self.transport, "at": self.received_at.timestamp(), "s": self.status, "p": self.peer,
            "mn": self.mn, "cn": self.cn, "qn": self.qn, "pid": self.point_id, "e": self.error,
            "d": self.detail, "r": [r.to_list() for r in self.readings],
        }
        if self.kind != "observations":
            head["k"] = self.kind
        if self.meta:
            head["m"] = self.meta
        return json.dumps(head, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + self.raw

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """An envelope from its spool form: binary (:data:`SPOOL_V1`) or the older JSON line."""
        if data[:1] == SPOOL_V1:
            return cls._decode_v1(data)
        head_b, _, raw = data.partition(b"\n")
        h = json.loads(head_b)
        return cls(
            transport=h["t"], received_at=datetime.fromtimestamp(h["at"], timezone.utc), raw=raw,
            status=h["s"], peer=h["p"], mn=h["mn"], cn=h["cn"], qn=h["qn"], point_id=h["pid"],
            error=h["e"], detail=h["d"], readings=[Reading.from_list(r) for r in h["r"]],
            kind=h.get("k", "observations"), meta=h.get("m") or {},
        )

    @classmethod
    def _decode_v1(cls, data: bytes) -> Envelope:
        (transport, at, status, peer, mn, cn, qn, point_id, error, detail, rows, kind, meta,
         raw) = msgpack.unpackb(memoryview(data)[1:], raw=False)
        utc: dict[float, datetime] = {}  # a frame's readings share one or a few start times
        readings = []
        for row in rows:
            start = utc.get(row[2])
            if start is None:
                start = utc[row[2]] = datetime.fromtimestamp(row[2], timezone.utc)
            sample = row[12]
            readings.append(Reading(row[0], row[1], start, row[3], row[4], row[5], row[6], row[7], row[8], row[9],
                                    row[10], row[11],
                                    datetime.fromtimestamp(sample, timezone.utc) if sample is not None else None))
        return cls(transport, datetime.fromtimestamp(at, timezone.utc), raw, status, peer, mn, cn, qn, point_id,
                   error, detail, readings, kind, json.loads(meta) if meta else {})
