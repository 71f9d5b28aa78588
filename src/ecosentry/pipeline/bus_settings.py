"""Settings of the NATS JetStream bus (production scale-out, issue 19 item 1): the section ``nats`` of
:class:`ecosentry.settings.Settings` (``ECOSENTRY_NATS__SERVERS`` …), kept apart from the bus so the settings
import no client library. Only ``ecosentry serve --role gateway|worker|api`` uses the bus; ``--role all`` (the
default) keeps the embedded spool → ingest worker path."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BusSettings"]


class BusSettings(BaseModel):
    """Where the stream lives and how it is cut into partitions."""

    model_config = ConfigDict(extra="forbid")

    #: NATS servers, ``nats://host:4222`` each (a cluster: all of them).
    servers: list[str] = Field(default_factory=lambda: ["nats://127.0.0.1:4222"])
    #: Stream of the received envelopes (its lease bucket is ``<stream>_leases``).
    stream: str = "ECOSENTRY_INGEST"
    #: Subjects are ``<prefix>.<kind>.<partition>``.
    subject_prefix: str = "ecosentry.in"
    #: Partitions: a point's envelopes all go to ``crc32(point) mod partitions``, so its order is kept. Changing
    #: it moves points between partitions: drain the stream first.
    partitions: int = Field(16, ge=1, le=4096)
    #: Copies of the stream in a NATS cluster (1 on a single server; 3 in a three-server cluster).
    replicas: int = Field(1, ge=1, le=5)
    #: ``workqueue``: an envelope leaves the stream once a worker has stored it; ``limits``: it stays until
    #: ``max_age`` (a replayable log; the consumers then start after their acknowledged floor).
    retention: Literal["workqueue", "limits"] = "workqueue"
    #: Oldest envelope kept in the stream (stored or not: size it above the longest database outage). [s]
    max_age: float = 14 * 86400.0
    #: JetStream drops a second publish of the same message id (``<spool id>:<seq>``) within this window. [s]
    duplicate_window: float = 600.0
    #: A gateway waits this long for the stream's acknowledgement before replying anyway (the frame is in its
    #: spool; the forwarder publishes it later). [s]
    publish_timeout: float = 2.0
    #: A gateway's spool keeps a published frame this long after NATS acknowledged it, and publishes it again
    #: if the connection was lost meanwhile (a server killed before writing it to its store). [s]
    publish_settle: float = 1.0
    #: A message a worker took and neither acknowledged nor reported in progress is given out again after. [s]
    ack_wait: float = 60.0
    #: A worker's claim on a partition lapses this long after its last renewal (a dead worker's partitions
    #: are taken over then). [s]
    lease_ttl: float = 10.0
    #: This worker's name in the lease bucket; empty = ``<host>-<pid>-<random>``.
    worker_id: str = ""
    #: Envelopes a worker takes from a partition at a time (one database transaction per kind).
    fetch_batch: int = Field(500, ge=1)
