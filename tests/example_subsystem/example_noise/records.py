"""The record kind ``noise-reading``: what a gateway puts in the envelope for one reading of a meter.

A meter's reading is decoded by the gateway that receives it (HTTP push, MQTT …) into ``Envelope.meta``; the
raw bytes are kept as received. The sink reads it back with :func:`reading_of`.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ecosentry.contracts.envelope import Envelope

KIND = "noise-reading"


def reading_envelope(meter: str, measured_at: datetime, laeq_db: float, *, transport: str = "http",
                     received_at: datetime | None = None) -> Envelope:
    """The envelope of one reading: ``meter`` (its serial), the interval's start (aware), LAeq [dB(A)]."""
    meta = {"meter": meter, "measured_at": measured_at.astimezone(timezone.utc).isoformat(), "laeq_db": laeq_db}
    return Envelope(transport=transport, received_at=received_at or datetime.now(timezone.utc),
                    raw=json.dumps(meta).encode(), status="accepted", mn=meter, kind=KIND, meta=meta)


def reading_of(envelope: Envelope) -> tuple[str, datetime, float]:
    """(meter, interval start in UTC, LAeq [dB(A)]) of an envelope; ``KeyError``/``ValueError`` when it has none."""
    m = envelope.meta
    return str(m["meter"]), datetime.fromisoformat(m["measured_at"]), float(m["laeq_db"])
