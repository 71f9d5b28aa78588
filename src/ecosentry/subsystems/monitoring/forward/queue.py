"""The store-and-forward queue in the database: targets, enqueueing, attempts and the delivery log.

Design (issue 7 item 4)
-----------------------
* **Feeding by polling ``raw_frames``.** Every accepted frame or station file is archived in ``raw_frames``
  by the ingest worker (``store/ingest.py::write_envelopes``) before anything else. The feeder
  (:func:`feed_from_raw_frames`) reads, per active target, the raw frames above the target's cursor
  (``forward_targets.raw_cursor``), enqueues the ones the target wants, and advances the cursor, all in
  one transaction: a crash between the two cannot lose or double an item, and the gateways and the
  worker need no change. :func:`enqueue_for_targets` is the same step for rows (or Envelopes) in hand,
  for a caller that prefers to push.
* **Idempotent per target.** ``forward_queue`` is unique on (target, idempotency key); the key names the
  *content* (the station file name; the MN, CN and DataTime of an HJ 212 upload), so a replay of the spool,
  a file uploaded twice by a data logger or a frame re-sent after a lost reply is delivered once.
* **Order.** Each target's queue is drained strictly in ``id`` order (head of line): a later item is never
  delivered before an earlier one of the same point, which the upper platform's completeness and
  "latest value" logic rely on.
* **Attempts.** Each attempt adds a row to ``forward_deliveries``; a failed item waits
  ``backoff_base × 2^(attempts−1)`` seconds (capped) before the next try (:func:`backoff_delay`).

Assumption to adapt in one place: the station file name of a raw frame (:func:`vn_file_name`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from ecosentry.metrics import counters
from ecosentry.contracts.envelope import Envelope
from ecosentry.protocols.hj212 import HJ212Error, parse_frame
from ecosentry.said import N_, Said
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.store.registry import region_subtree
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.monitoring.forward.settings import ACK_MODES, KINDS

log = logging.getLogger(__name__)

#: Transports whose raw frames are Circular 10/2021 station files (FTP drop and the folder watcher).
VN_FILE_TRANSPORTS = frozenset({"ftp", "folder", "vn-folder", "file"})
#: Transport of HJ 212 frames (gateways/hj212_tcp.py).
HJ212_TRANSPORTS = frozenset({"hj212-tcp"})
#: HJ 212-2017 Table 9 uploads relayed when a target names no CNs: real-time, minute, hourly, daily data,
#: equipment state (2021), running time (2041) and 2081 restart time.
DEFAULT_RELAY_CNS = frozenset({"2011", "2051", "2061", "2031", "2021", "2041", "2081"})

#: ``<Province>_<Facility>_<Station>_<yyyyMMddHHmmss>.txt`` (reference notes §7.2; subsystems.md §5.2).
VN_NAME_RE = re.compile(r"[^/\\\s;,\"']+_[^/\\\s;,\"']+_[^/\\\s;,\"']+_\d{14}\.txt", re.IGNORECASE)


class ForwardError(Said):
    """A target definition or an item that cannot be used; the message says why (a catalogue msgid with named
    parameters, :class:`ecosentry.said.Said`: the command line says it in the terminal's language)."""


#: The refusal of a target name that is not there.
NO_TARGET = N_("no forwarding target named %(name)r")


# ------------------------------------------------------------------------------------------------- targets

@dataclass
class Target:
    """One upper-level receiver (a row of ``forward_targets``)."""

    id: int
    name: str
    kind: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    remote_path: str | None = None
    mn_map: dict[str, dict[str, str]] = field(default_factory=dict)
    pass_through: bool = False
    ack_mode: str = "as_sent"
    region_code: str | None = None
    point_ids: list[int] | None = None
    cns: frozenset[str] | None = None
    active: bool = True
    raw_cursor: int = 0

    @classmethod
    def from_row(cls, r: Any) -> Target:
        return cls(id=r.id, name=r.name, kind=r.kind, host=r.host, port=r.port, username=r.username,
                   password=r.password, remote_path=r.remote_path, mn_map=dict(r.mn_map or {}),
                   pass_through=bool(r.pass_through), ack_mode=r.ack_mode, region_code=r.region_code,
                   point_ids=list(r.point_ids) if r.point_ids is not None else None,
                   cns=frozenset(c.strip() for c in r.cns.split(",") if c.strip()) if r.cns else None,
                   active=bool(r.active), raw_cursor=int(r.raw_cursor))

    @property
    def relay_cns(self) -> frozenset[str]:
        return self.cns or DEFAULT_RELAY_CNS

    def wants_transport(self, transport: str | None) -> bool:
        return transport in (VN_FILE_TRANSPORTS if self.kind == "vn-ftp" else HJ212_TRANSPORTS)


def _connection_scope(conn_or_engine: Connection | Engine):
    """``engine.begin()`` for an engine; the caller's transaction for a connection."""
    if isinstance(conn_or_engine, Engine):
        return conn_or_engine.begin()

    class _Same:
        def __enter__(self_inner):
            return conn_or_engine

        def __exit__(self_inner, *exc):
            return False

    return _Same()


def add_target(engine: Engine, *, name: str, kind: str, host: str, port: int, username: str | None = None,
               password: str | None = None, remote_path: str | None = None,
               mn_map: Mapping[str, Any] | None = None, pass_through: bool = False, ack_mode: str = "as_sent",
               region_code: str | None = None, point_mns: Sequence[str] | None = None,
               cns: Sequence[str] | None = None, active: bool = True, from_start: bool = False,
               now: datetime | None = None) -> Target:
    """Register an upper-level receiver.

    Parameters
    ----------
    kind : str
        ``vn-ftp`` (MONRE FTP, same files) or ``hj212`` (HJ 212 relay).
    mn_map : mapping, optional
        ``{local MN: upper MN}`` or ``{local MN: {"mn": upper MN, "pw": upper PW}}`` (hj212).
    region_code, point_mns : optional
        What to forward: the points of a region subtree, and/or a list of points by MN. Neither = every point.
    from_start : bool
        Also forward what was archived before the target existed (the cursor starts at 0); by default only
        data received from now on.

    Raises
    ------
    ForwardError
        Unknown kind or ack mode, unknown region or MN, malformed MN map, or a name already used.
    """
    if kind not in KINDS:
        raise ForwardError(N_("kind must be one of %(choices)s, not %(value)r"), choices=", ".join(KINDS), value=kind)
    if ack_mode not in ACK_MODES:
        raise ForwardError(N_("ack mode must be one of %(choices)s, not %(value)r"), choices=", ".join(ACK_MODES),
                           value=ack_mode)
    if not (0 < int(port) < 65536):
        raise ForwardError(N_("port %(port)s is not a TCP port"), port=port)
    norm_map = _normalise_mn_map(mn_map or {})
    with engine.begin() as conn:
        if conn.execute(select(ms.forward_targets.c.id).where(ms.forward_targets.c.name == name)).first():
            raise ForwardError(N_("a forwarding target named %(name)r already exists"), name=name)
        if region_code is not None and conn.execute(
                select(s.regions.c.code).where(s.regions.c.code == region_code)).first() is None:
            raise ForwardError(N_("region %(code)r is not in the registry"), code=region_code)
        point_ids = None
        if point_mns:
            found = dict(conn.execute(select(s.points.c.mn, s.points.c.id).where(s.points.c.mn.in_(list(point_mns))))
                         .all())
            missing = [mn for mn in point_mns if mn not in found]
            if missing:
                raise ForwardError(N_("unknown point MN(s): %(mns)s"), mns=", ".join(missing))
            point_ids = [found[mn] for mn in point_mns]
        cursor = 0 if from_start else (conn.scalar(select(func.max(s.raw_frames.c.id))) or 0)
        tid = conn.execute(ms.forward_targets.insert().values(
            name=name, kind=kind, host=host, port=int(port), username=username, password=password,
            remote_path=remote_path, mn_map=norm_map or None, pass_through=pass_through, ack_mode=ack_mode,
            region_code=region_code, point_ids=point_ids, cns=",".join(cns) if cns else None, active=active,
            raw_cursor=cursor, created_at=now or datetime.now(timezone.utc))).inserted_primary_key[0]
        return Target.from_row(conn.execute(select(ms.forward_targets).where(ms.forward_targets.c.id == tid)).one())


def _normalise_mn_map(mn_map: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for local, upper in mn_map.items():
        if isinstance(upper, str):
            upper = {"mn": upper}
        if not isinstance(upper, Mapping) or not (upper.get("mn") or upper.get("pw")):
            raise ForwardError(N_("MN map entry for %(local)r must be an upper MN or {'mn': ..., 'pw': ...}"),
                               local=local)
        entry = {k: str(v) for k, v in upper.items() if k in ("mn", "pw") and v}
        for k, v in entry.items():
            if any(ch in v for ch in ";=&,\r\n") or (k == "mn" and len(v) > 24):
                raise ForwardError(N_("MN map entry for %(local)r: %(key)s=%(value)r is not a valid HJ 212 header "
                                      "value"), local=local, key=k, value=v)
        out[str(local)] = entry
    return out


def set_target_active(engine: Engine, name: str, active: bool) -> None:
    with engine.begin() as conn:
        n = conn.execute(update(ms.forward_targets).where(ms.forward_targets.c.name == name)
                         .values(active=active)).rowcount
    if not n:
        raise ForwardError(NO_TARGET, name=name)


def load_targets(conn_or_engine: Connection | Engine, *, active_only: bool = True) -> list[Target]:
    q = select(ms.forward_targets).order_by(ms.forward_targets.c.id)
    if active_only:
        q = q.where(ms.forward_targets.c.active.is_(True))
    with _connection_scope(conn_or_engine) as conn:
        return [Target.from_row(r) for r in conn.execute(q)]


def load_target(conn_or_engine: Connection | Engine, target_id: int) -> Target | None:
    with _connection_scope(conn_or_engine) as conn:
        r = conn.execute(select(ms.forward_targets).where(ms.forward_targets.c.id == target_id)).first()
        return Target.from_row(r) if r else None


def selected_points(conn: Connection, target: Target) -> set[int] | None:
    """Point ids the target forwards (region subtree ∪ point list), or None for every point."""
    if target.region_code is None and target.point_ids is None:
        return None
    out: set[int] = set(target.point_ids or [])
    if target.region_code is not None:
        codes = region_subtree(conn, target.region_code)
        out |= set(conn.scalars(select(s.points.c.id).where(s.points.c.region_code.in_(codes))))
    return out


# ------------------------------------------------------------------------------------------------- keys

def vn_file_name(row: Mapping[str, Any]) -> str | None:
    """The station file name of a raw frame of a Circular 10/2021 file, or None.

    The one place that knows where the FTP gateway keeps the name (adapt here if it changes). Looked for,
    in order: ``detail`` as JSON with ``file``/``file_name``/``name``/``filename``; a file name anywhere in
    ``detail`` (free text such as ``"file=HN_PHCH_NUOPCH_20260203124500.txt late 7 min"``); ``qn``;
    finally rebuilt from the station key (``mn``) and the time of the file's first line (the name's time is
    the lines' time, subsystems.md §5.2).
    """
    detail = row.get("detail")
    if detail:
        try:
            d = json.loads(detail)
        except (TypeError, ValueError):
            d = None
        if isinstance(d, Mapping):
            for k in ("file", "file_name", "filename", "name"):
                v = d.get(k)
                if isinstance(v, str) and VN_NAME_RE.fullmatch(v.rsplit("/", 1)[-1]):
                    return v.rsplit("/", 1)[-1]
        m = VN_NAME_RE.search(str(detail))
        if m:
            return m.group(0)
    qn = row.get("qn")
    if isinstance(qn, str) and VN_NAME_RE.fullmatch(qn):
        return qn
    mn, raw = row.get("mn"), row.get("raw")
    if mn and raw:
        m = re.search(rb"\t(\d{14})\t", bytes(raw))
        if m:
            return f"{mn}_{m.group(1).decode()}.txt"
    return None


def hj212_key(raw: bytes) -> str:
    """Idempotency key of an HJ 212 upload: MN, CN, DataTime (and PNO of a subpacket).

    The content, not the copy: a frame re-sent by a logger that missed our 9014 (HJ 212-2017 §6.6.3 lets it
    retry) has a new raw_frames row but the same key. Frames without DataTime fall back to MN, CN and QN,
    then to a hash of the data segment.
    """
    try:
        f = parse_frame(raw, strict_cn=False)
        dt = f.field("DataTime")
    except HJ212Error:
        return "sha256:" + hashlib.sha256(bytes(raw)).hexdigest()
    pno = f"|{f.pno}" if f.pno is not None else ""
    if dt:
        return f"{f.mn}|{f.cn}|{dt}{pno}"
    if f.qn:
        return f"{f.mn}|{f.cn}|qn{f.qn}{pno}"
    return "sha256:" + hashlib.sha256(f.data_segment()).hexdigest()


def _row_of(item: Mapping[str, Any] | Envelope) -> dict[str, Any]:
    if isinstance(item, Envelope):
        return {"id": None, "transport": item.transport, "status": item.status, "mn": item.mn, "cn": item.cn,
                "qn": item.qn, "point_id": item.point_id, "detail": item.detail, "raw": item.raw}
    return dict(item)


def _queue_row(conn: Connection, target: Target, row: Mapping[str, Any], points: set[int] | None,
               now: datetime) -> dict[str, Any] | None:
    """The queue row for ``row`` if ``target`` forwards it, else None."""
    if row.get("status") != "accepted" or not target.wants_transport(row.get("transport")):
        return None
    if points is not None and row.get("point_id") not in points:
        return None
    raw = bytes(row["raw"])
    name = None
    if target.kind == "vn-ftp":
        name = vn_file_name(row)
        if name is None:
            counters.inc("forward.no_file_name")
            log.error("raw frame %s (station %s) has no file name; not forwarded to %s", row.get("id"),
                      row.get("mn"), target.name)
            return None
        key = "file:" + name
    else:
        if row.get("cn") not in target.relay_cns:
            return None
        key = hj212_key(raw)
    return {"target_id": target.id, "source": "raw_frame" if row.get("id") is not None else "file",
            "source_id": row.get("id"), "point_id": row.get("point_id"), "mn": row.get("mn"), "name": name,
            "idem_key": key[:200], "payload": raw, "enqueued_at": now, "status": "pending", "attempts": 0}


def enqueue_for_targets(conn_or_engine: Connection | Engine, rows: Iterable[Mapping[str, Any] | Envelope], *,
                        targets: Sequence[Target] | None = None, now: datetime | None = None) -> int:
    """Queue accepted frames/files for every active target that wants them; return the items added.

    Parameters
    ----------
    conn_or_engine : Connection or Engine
        A connection joins the caller's transaction (e.g. the ingest worker's); an engine opens one.
    rows : iterable of mappings or Envelope
        ``raw_frames`` rows (``id``, ``transport``, ``status``, ``mn``, ``cn``, ``qn``, ``point_id``,
        ``detail``, ``raw``) or Envelopes (then the item has no ``source_id``).
    targets : sequence of Target, optional
        Default: the active targets.

    Notes
    -----
    Idempotent: (target, idempotency key) is unique and conflicting rows are skipped, so replaying the
    spool or calling this twice delivers nothing twice.
    """
    now = now or datetime.now(timezone.utc)
    rows = [_row_of(r) for r in rows]
    added = 0
    with _connection_scope(conn_or_engine) as conn:
        for target in (targets if targets is not None else load_targets(conn)):
            points = selected_points(conn, target)
            items = [q for r in rows if (q := _queue_row(conn, target, r, points, now)) is not None]
            added += _insert_items(conn, items)
    return added


def _insert_items(conn: Connection, items: list[dict[str, Any]]) -> int:
    if not items:
        return 0
    # one item per key even inside the batch (the first, i.e. oldest, copy wins)
    seen: set[tuple[int, str]] = set()
    unique = []
    for it in items:
        k = (it["target_id"], it["idem_key"])
        if k not in seen:
            seen.add(k)
            unique.append(it)
    stmt = insert_for(conn, ms.forward_queue).on_conflict_do_nothing(index_elements=["target_id", "idem_key"])
    stmt = stmt.returning(ms.forward_queue.c.id)
    added = 0
    for it in unique:  # row by row: RETURNING tells which were new (executemany + RETURNING is not portable)
        added += len(conn.execute(stmt, it).all())
    counters.inc("forward.enqueued", added)
    return added


RAW_FEED_COLS = (s.raw_frames.c.id, s.raw_frames.c.transport, s.raw_frames.c.status, s.raw_frames.c.mn,
                 s.raw_frames.c.cn, s.raw_frames.c.qn, s.raw_frames.c.point_id, s.raw_frames.c.detail,
                 s.raw_frames.c.raw)


def feed_from_raw_frames(engine: Engine, *, batch: int = 1000, lookback: int = 0,
                         now: datetime | None = None) -> dict[int, int]:
    """Move new accepted raw frames into each active target's queue; return {target id: items added}.

    One transaction per target: the items and the advanced cursor commit together. Only accepted frames
    of the target's transports are read (``status``/``transport`` filtered in SQL); the cursor advances over
    everything examined.
    """
    out: dict[int, int] = {}
    for target in load_targets(engine):
        transports = sorted(VN_FILE_TRANSPORTS if target.kind == "vn-ftp" else HJ212_TRANSPORTS)
        with engine.begin() as conn:
            cursor = conn.scalar(select(ms.forward_targets.c.raw_cursor)
                                 .where(ms.forward_targets.c.id == target.id)) or 0
            upto = conn.scalar(select(func.max(s.raw_frames.c.id)).where(s.raw_frames.c.id > cursor))
            if upto is None and not lookback:
                out[target.id] = 0
                continue
            upto = cursor if upto is None else min(upto, cursor + max(batch, 1))
            rows = conn.execute(select(*RAW_FEED_COLS).where(
                s.raw_frames.c.id > max(cursor - lookback, 0), s.raw_frames.c.id <= upto,
                s.raw_frames.c.status == "accepted", s.raw_frames.c.transport.in_(transports))
                .order_by(s.raw_frames.c.id)).mappings().all()
            points = selected_points(conn, target)
            stamp = now or datetime.now(timezone.utc)
            items = [q for r in rows if (q := _queue_row(conn, target, r, points, stamp)) is not None]
            out[target.id] = _insert_items(conn, items)
            conn.execute(update(ms.forward_targets).where(ms.forward_targets.c.id == target.id)
                         .values(raw_cursor=upto))
    return out


# ------------------------------------------------------------------------------------------------- draining

@dataclass(frozen=True)
class QueueItem:
    id: int
    target_id: int
    mn: str | None
    name: str | None
    idem_key: str
    payload: bytes
    attempts: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class Attempt:
    """What happened to one item in one attempt.

    ``permanent`` failures (the item itself cannot be sent, e.g. a frame that cannot be re-encoded) are not
    retried; all others (receiver down, timeout, refused login, full disk) are.
    """

    item: QueueItem
    ok: bool
    detail: str
    permanent: bool = False


def pending_items(conn_or_engine: Connection | Engine, target_id: int, limit: int) -> list[QueueItem]:
    """The oldest pending items of a target, in queue order (the head first)."""
    q = ms.forward_queue
    with _connection_scope(conn_or_engine) as conn:
        rows = conn.execute(select(q.c.id, q.c.target_id, q.c.mn, q.c.name, q.c.idem_key, q.c.payload,
                                   q.c.attempts, q.c.next_attempt_at)
                            .where(q.c.target_id == target_id, q.c.status == "pending")
                            .order_by(q.c.id).limit(limit)).all()
    return [QueueItem(r.id, r.target_id, r.mn, r.name, r.idem_key, bytes(r.payload), r.attempts,
                      r.next_attempt_at) for r in rows]


def backoff_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next try after ``attempts`` failed tries: ``min(base × 2^(attempts−1), cap)``. [s]"""
    if attempts <= 0:
        return 0.0
    return min(base * 2.0 ** min(attempts - 1, 60), cap)


def record_attempts(engine: Engine, attempts: Sequence[Attempt], *, backoff_base: float, backoff_max: float,
                    max_attempts: int = 0, now: datetime | None = None) -> None:
    """Write the outcome of a send: item status, attempts, next try, and one delivery-log row per attempt."""
    if not attempts:
        return
    now = now or datetime.now(timezone.utc)
    q = ms.forward_queue
    with engine.begin() as conn:
        for a in attempts:
            n = a.item.attempts + 1
            if a.ok:
                values = {"status": "delivered", "attempts": n, "delivered_at": now, "last_error": None,
                          "next_attempt_at": None}
                counters.inc("forward.delivered")
            else:
                gave_up = a.permanent or (max_attempts > 0 and n >= max_attempts)
                values = {"status": "failed" if gave_up else "pending", "attempts": n, "last_error": a.detail,
                          "next_attempt_at": now + timedelta(seconds=backoff_delay(n, backoff_base, backoff_max))}
                counters.inc("forward.failed_attempts")
                if gave_up:
                    counters.inc("forward.gave_up")
                    log.error("forwarding item %d (%s) given up after %d attempt(s): %s", a.item.id,
                              a.item.idem_key, n, a.detail)
            conn.execute(update(q).where(q.c.id == a.item.id).values(**values))
            conn.execute(ms.forward_deliveries.insert().values(item_id=a.item.id, target_id=a.item.target_id,
                                                              at=now, attempt=n, ok=a.ok, detail=a.detail))


def retry_failed(engine: Engine, target_name: str) -> int:
    """Put a target's ``failed`` items back to ``pending`` (after the operator fixed the cause)."""
    t, q = ms.forward_targets, ms.forward_queue
    with engine.begin() as conn:
        tid = conn.scalar(select(t.c.id).where(t.c.name == target_name))
        if tid is None:
            raise ForwardError(NO_TARGET, name=target_name)
        return conn.execute(update(q).where(q.c.target_id == tid, q.c.status == "failed")
                            .values(status="pending", next_attempt_at=None)).rowcount


def resend_items(engine: Engine, target_id: int, *, item_ids: Iterable[int] | None = None,
                 point_ids: Iterable[int] | None = None, actor: str | None = None) -> int:
    """Send items of a target again (the officer's re-send, issue 14 item 6): ``failed`` items (all of the
    target's, or ``item_ids``) and, when named in ``item_ids``, ``delivered`` ones (the upper platform lost
    them) go back to ``pending`` for the runner's next pass, in queue order. ``point_ids`` limits it to the
    caller's stations. Audited (``forward_resend``, who, which items). Returns how many were put back."""
    from ecosentry.store import audit

    q = ms.forward_queue
    with engine.begin() as conn:
        cond = [q.c.target_id == target_id]
        if item_ids is None:
            cond.append(q.c.status == "failed")
        else:
            cond += [q.c.id.in_(list(item_ids)), q.c.status.in_(("failed", "delivered"))]
        if point_ids is not None:
            cond.append(q.c.point_id.in_(list(point_ids)))
        rows = conn.execute(select(q.c.id, q.c.status).where(*cond).order_by(q.c.id)).all()
        if not rows:
            return 0
        ids = [r.id for r in rows]
        conn.execute(update(q).where(q.c.id.in_(ids)).values(status="pending", next_attempt_at=None))
        audit.record(conn, actor, "resend", "forward_target", target_id,
                     {"items": {str(r.id): r.status for r in rows}}, {"pending": ids})
    counters.inc("forward.resent", len(ids))
    return len(ids)


def backlog(conn_or_engine: Connection | Engine) -> list[dict[str, Any]]:
    """Per target: pending, delivered and failed counts, the oldest pending item, the last error."""
    t, q = ms.forward_targets, ms.forward_queue
    with _connection_scope(conn_or_engine) as conn:
        counts = {(r.target_id, r.status): (r.n, r.oldest) for r in conn.execute(
            select(q.c.target_id, q.c.status, func.count().label("n"), func.min(q.c.enqueued_at).label("oldest"))
            .group_by(q.c.target_id, q.c.status))}
        errors = {r.target_id: r.last_error for r in conn.execute(
            select(q.c.target_id, q.c.last_error).where(
                q.c.id.in_(select(func.max(q.c.id)).where(q.c.last_error.is_not(None), q.c.status != "delivered")
                           .group_by(q.c.target_id))))}
        out = []
        for r in conn.execute(select(t.c.id, t.c.name, t.c.kind, t.c.host, t.c.port, t.c.active, t.c.raw_cursor)
                              .order_by(t.c.id)):
            pending = counts.get((r.id, "pending"), (0, None))
            oldest = pending[1]
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=timezone.utc)
            out.append({"target": r.name, "kind": r.kind, "address": f"{r.host}:{r.port}", "active": bool(r.active),
                        "pending": pending[0], "delivered": counts.get((r.id, "delivered"), (0,))[0],
                        "failed": counts.get((r.id, "failed"), (0,))[0],
                        "oldest_pending": oldest.isoformat() if oldest else None,
                        "last_error": errors.get(r.id), "raw_cursor": r.raw_cursor})
        return out


__all__ = [
    "ACK_MODES", "Attempt", "DEFAULT_RELAY_CNS", "ForwardError", "KINDS", "QueueItem", "Target",
    "VN_FILE_TRANSPORTS", "add_target", "backlog", "backoff_delay", "enqueue_for_targets",
    "feed_from_raw_frames", "hj212_key", "load_target", "load_targets", "pending_items", "record_attempts",
    "resend_items", "retry_failed", "selected_points", "set_target_active", "vn_file_name",
]
