"""The HJ 212 gateway of the power loggers: the core gateway on a port of its own, with the power devices'
directory, whose every envelope is of kind ``power-readings``.

Everything the core gateway does is kept (framing, CRC, the registry check of MN and PW, quarantine of unknown
MNs, wrong passwords and command codes outside HJ 212-2017 Table 9, rejection of garbage, the 9014 reply once
the spool has the frame): this subclass only re-reads an accepted frame's records with the power mapping
(:mod:`.hj212_map`): ``SB1-Ia-Rtd`` → reading ``SB1-Ia``. A code or quantity the mapping does not know is kept in
the envelope's ``meta["unknown"]`` and counted (``power.hj212.unknown_codes``), never a reason to refuse the
frame. A power logger has its own port (``power.hj212_port``, 9213) so its MN is looked up among the power
devices only: the monitoring points and the power devices are two registries.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from ecosentry.contracts.envelope import Envelope
from ecosentry.gateways.hj212_tcp import TRANSPORT, HJ212Gateway
from ecosentry.metrics import counters
from ecosentry.protocols.hj212 import HJ212Error, data_records
from ecosentry.subsystems.power.gateways.hj212_map import MAPPED_CNS, MAX_LISTED, map_records

log = logging.getLogger(__name__)

__all__ = ["KIND", "PowerHJ212Gateway"]

#: The record kind of every envelope of the power gateways (the power sink stores them).
KIND = "power-readings"


@lru_cache(maxsize=64)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


class PowerHJ212Gateway(HJ212Gateway):
    """:class:`HJ212Gateway` whose directory holds the power devices (:func:`.devices.device_directory`)."""

    def decode(self, item, peer: str, received_at: datetime, throttle=None) -> tuple[Envelope, bytes | None]:
        try:
            env, reply = super().decode(item, peer, received_at, throttle)
        except Exception as exc:  # a defect of ours costs this frame only, and it stays a power record
            counters.inc("power.hj212.internal_errors")
            log.exception("error decoding a power logger's frame from %s; archived as rejected", peer)
            raw = item if isinstance(item, bytes) else item.offending
            env, reply = Envelope(transport=TRANSPORT, received_at=received_at, raw=raw, status="rejected",
                                  peer=peer, error="InternalError", detail=repr(exc)[:500]), None
        env.kind = KIND
        return env, reply

    def _accept(self, frame, item: bytes, peer: str, received_at: datetime, throttle, detail: str | None = None):
        env, reply = super()._accept(frame, item, peer, received_at, throttle, detail)
        if env.status != "accepted":
            return env, reply
        info = self.directory.peek(frame.mn)
        try:
            mapped = map_records(frame.cn, data_records(frame), _zone(info.tz))
        except HJ212Error as exc:  # the core read the records already: not expected, but this frame only
            return self._rejected(exc, item, peer, received_at, throttle, env), None
        env.readings = mapped.readings
        if frame.cn not in MAPPED_CNS:
            counters.inc("power.hj212.cn_not_mapped")
            env.meta["cn_not_mapped"] = frame.cn
        if mapped.unknown:
            counters.inc("power.hj212.frames_with_unknown_codes")
            counters.inc("power.hj212.unknown_codes", len(mapped.unknown))
            env.meta["unknown"] = mapped.unknown[:MAX_LISTED]
            env.meta["unknown_count"] = len(mapped.unknown)
        counters.inc("power.hj212.readings", len(mapped.readings))
        return env, reply
