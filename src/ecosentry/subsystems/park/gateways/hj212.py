"""The HJ 212 gateway of the park stations: the core gateway on a port of its own (``park.hj212_port``), with the
park stations' directory, whose every envelope is of kind ``park-readings``.

Everything the core gateway does is kept (framing, CRC, the MN and PW check, quarantine of unknown MNs and wrong
passwords, rejection of garbage, the 9014 reply only once the spool holds the frame: the durability rule). The
records are the core codec's (ambient stations send ST 22 with CN 2011 real-time and CN 2051 minute data); which
factor code is which pollutant or met quantity is the sink's business (:mod:`..factors`), after the spool.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ecosentry.contracts.envelope import Envelope
from ecosentry.gateways.hj212_tcp import TRANSPORT, HJ212Gateway
from ecosentry.metrics import counters

log = logging.getLogger(__name__)

__all__ = ["KIND", "ParkHJ212Gateway"]

#: The record kind of every envelope of the park gateways (the park sink stores them).
KIND = "park-readings"


class ParkHJ212Gateway(HJ212Gateway):
    """:class:`HJ212Gateway` whose directory holds the park stations (:func:`.stations.station_directory`)."""

    def decode(self, item, peer: str, received_at: datetime, throttle=None) -> tuple[Envelope, bytes | None]:
        try:
            env, reply = super().decode(item, peer, received_at, throttle)
        except Exception as exc:  # a defect of ours costs this frame only, and it stays a park record
            counters.inc("park.hj212.internal_errors")
            log.exception("error decoding a park station's frame from %s; archived as rejected", peer)
            raw = item if isinstance(item, bytes) else item.offending
            env, reply = Envelope(transport=TRANSPORT, received_at=received_at, raw=raw, status="rejected",
                                  peer=peer, error="InternalError", detail=repr(exc)[:500]), None
        env.kind = KIND
        return env, reply
