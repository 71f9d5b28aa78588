"""Settings of the forwarder: the section ``forward`` of :class:`ecosentry.settings.Settings`
(``get_settings().forward``; environment ``ECOSENTRY_FORWARD__POLL_EVERY`` …, the former
``ECOSENTRY_FORWARD_POLL_EVERY`` still read with a warning). Defaults are platform choices ("ours")."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

#: Kinds of upper-level target (the queue checks a new target against them; here, without the database layer, so
#: that the command line can name them in its help without importing SQLAlchemy).
KINDS = ("vn-ftp", "hj212")
#: When an HJ 212 relay target counts an item as delivered.
ACK_MODES = ("as_sent", "always", "never")


class ForwardSettings(BaseModel):
    """How the forwarder polls, retries and waits.

    None of these numbers is fixed by Circular 10/2021 or HJ 212-2017; Circular 10/2021 Art. 39 only asks
    that data reach the authority within 5 minutes, so the defaults keep a healthy receiver well inside that.
    """

    model_config = ConfigDict(extra="forbid")

    #: Seconds between looks at ``raw_frames`` for new data, and between checks of an idle target. [s]
    poll_every: float = 1.0
    #: Raw frames examined per target per look. [rows]
    feed_batch: int = 1000
    #: Queue items handed to a target's sender at once. [items]
    send_batch: int = 100
    #: First retry delay after a failure; doubled after every further failure of the same item. [s]
    backoff_base: float = 2.0
    #: Longest retry delay. [s]
    backoff_max: float = 300.0
    #: Give up on an item (status ``failed``) after this many attempts; 0 = never (store-and-forward keeps
    #: everything through an outage of any length).
    max_attempts: int = 0
    #: TCP/FTP connect and per-command timeout. [s]
    connect_timeout: float = 10.0
    #: How long the HJ 212 relay waits for the upper platform's 9014 data reply. [s]
    ack_timeout: float = 10.0
    #: HJ 212 frames sent before waiting for their 9014 replies (1 = strictly one at a time). [frames]
    window: int = 8
    #: Re-examine this many raw frame ids below the cursor on each look (several concurrent writers of
    #: ``raw_frames`` on PostgreSQL can commit ids out of order; the idempotency key makes re-reading safe).
    lookback: int = 0
