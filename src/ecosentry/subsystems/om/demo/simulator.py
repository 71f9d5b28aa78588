"""The O&M demo at work: the scene stored (:func:`prepare`), then the station rooms and the engineer's app during
the run (:func:`run_live`), through the real edges: door controllers push ``POST /api/v1/om/doors/events`` with
their own id and secret; each room's first camera pushes a snapshot on every door opening
(``POST /api/v1/om/cameras/snapshots``) and a heartbeat every few minutes; the quiet room's data logger sends its
analyser's parameters over HJ 212 (CN 3020, to the service's own gateway), first the registered values, then a
doubled range with no work order (``ALM-OM-PARAM-CHANGE``); the engineer (the ``om`` account, with an API key of its
own) files checks, marks and moves work orders over the JSON API. Only what happened before the start (orders with past times) is written by
the store directly, as its API takes the time of the request.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, select

from ecosentry.subsystems.om.demo.scene import REVIEWER, DemoPoint, Room, Scene, scene
from ecosentry.subsystems.om.rules.calibration import allowed_drift
from ecosentry.subsystems.om.settings import OmSettings

log = logging.getLogger(__name__)

__all__ = ["prepare", "post_history", "run_live", "snapshot_jpeg", "VISIT_EVERY", "UNEXPLAINED_AFTER",
           "PARAM_CHANGE_AFTER", "HEARTBEAT_EVERY", "PACE"]

#: Minutes between two visits to the busy room during the demo.
VISIT_EVERY = 5.0
#: Minutes after the start when the quiet room's door opens with no work order.
UNEXPLAINED_AFTER = 1.0
#: Minutes after the start when the logger reports the changed parameter (its first report comes at once).
PARAM_CHANGE_AFTER = 2.0
#: Minutes between two reports of the logger's parameters, and between two camera heartbeats.
REPORT_EVERY = 10.0
HEARTBEAT_EVERY = 5.0
#: Every wait of the run is multiplied by this (tests run the demo faster).
PACE = 1.0
#: The engineer's API key's name (one per run; the key is shown only once).
KEY_NAME = "O&M demo app"


def _points(conn, user_id: int | None) -> tuple[list[DemoPoint], list[DemoPoint]]:
    """The points the ``om`` account maintains, and the first points of two other enterprises."""
    from ecosentry.store import schema as s

    p, o, e, pf = s.points, s.outlets, s.enterprises, s.point_factors

    def rows(where) -> list[DemoPoint]:
        q = (select(p.c.id, p.c.mn, e.c.credit_code, e.c.name, p.c.password).join(o, o.c.id == p.c.outlet_id)
             .join(e, e.c.id == o.c.enterprise_id).where(where).order_by(e.c.id, o.c.id, p.c.id))
        out = []
        for r in conn.execute(q):
            factors = list(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == r.id)
                                        .order_by(pf.c.id)).scalars())
            # the checks are about SO2 where the point measures it (the demo's exceedance factor), else its first
            factor = next((f for f in factors if f == "a21026"), factors[0] if factors else None)
            if factor is not None:
                out.append(DemoPoint(r.id, r.mn, r.credit_code, r.name, factor, r.password))
        return out

    mine = rows(p.c.id.in_(select(s.point_maintainers.c.point_id)
                           .where(s.point_maintainers.c.user_id == user_id))) if user_id is not None else []
    if not mine:
        mine = rows(p.c.id.is_not(None))[:2]
    taken = {x.enterprise for x in mine}
    other, seen = [], set()
    for x in rows(p.c.id.is_not(None)):
        if x.enterprise not in taken and x.enterprise not in seen:
            seen.add(x.enterprise)
            other.append(x)
    return mine, other[:2]


def prepare(engine: Engine, t0: datetime, seed: str, settings: OmSettings) -> tuple[Scene | None, str | None, bool]:
    """Register the scene (idempotent) and, the first time, write the orders made before the start; the scene,
    an API key of the ``om`` account (None without one) and whether the history is still to be posted."""
    from ecosentry.auth.apikeys import create_api_key
    from ecosentry.fleet import import_fleet
    from ecosentry.store import schema as s
    from ecosentry.subsystems.om.schema import om_organisations
    from ecosentry.subsystems.om.store import workorders as store

    with engine.connect() as conn:
        user_id = conn.execute(select(s.users.c.id).where(s.users.c.username == "om", s.users.c.role == "om")
                               ).scalar()
        mine, other = _points(conn, user_id)
        first_run = conn.execute(select(om_organisations.c.id).where(om_organisations.c.code == "DEMO-OM-SZ")
                                 ).first() is None
    if not mine:
        return None, None, False
    p = mine[0]
    drift = round(1.6 * allowed_drift(p.factor, "span", settings.calibration), 1)
    sc = scene(mine, other, t0, seed, "om" if user_id is not None else None, drift)
    import_fleet(engine, sc.fleet, actor="demo")
    key = create_api_key(engine, user_id, KEY_NAME)[0] if user_id is not None else None
    if first_run:
        zone = ZoneInfo(settings.timezone)
        for o in sc.orders:
            made = store.create_order(engine, kind=o.kind, at=o.created, actor=o.engineer, settings=settings.deadlines,
                                      zone=zone, point_id=o.point.id, note=o.note)
            for action, minutes in o.steps:
                at = o.created + timedelta(minutes=minutes)
                store.transition(engine, made["id"], action, at, REVIEWER if action == "approve" else o.engineer,
                                 assignee=o.engineer if action == "assign" else None,
                                 record=_record(action))
    return sc, key, first_run


def _record(action: str) -> dict | None:
    if action == "arrive":
        return {"checklist": {"door_badge": True, "room_clean": True}}
    if action == "finish":
        return {"readings": {"probe_temp_c": 121.0, "line_temp_c": 142.5},
                "checklist": {"sampling_line": True, "blowback": True, "standard_gas_valid": True}}
    return None


async def _door(client: httpx.AsyncClient, room: Room, at: datetime, event: str) -> int:
    r = await client.post("/api/v1/om/doors/events", json={"time": at.isoformat(), "event": event},
                          headers={"X-Door-Id": room.door_id, "X-Door-Secret": room.secret})
    if r.status_code >= 300:
        log.warning("demo door %s: %s %s", room.door_id, r.status_code, r.text[:200])
    if event == "open":     # the room's camera shoots the opening
        await _snapshot(client, room, at + timedelta(seconds=2))
    return r.status_code


def snapshot_jpeg(room: str, at: datetime, seed: int = 0) -> bytes:
    """A camera's snapshot of a station room: a JPEG of the room's analyser racks, stamped with the room and the
    time as a camera stamps its pictures."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 360), (58, 64, 72))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 250, 640, 360), fill=(96, 98, 92))                      # floor
    for i, x in enumerate((60, 220, 380)):                                  # analyser racks
        d.rectangle((x, 70, x + 130, 250), fill=(200, 204, 208), outline=(30, 30, 30), width=3)
        for k in range(4):
            d.rectangle((x + 12, 86 + 38 * k, x + 118, 112 + 38 * k), fill=(40 + 20 * ((i + k + seed) % 3), 90, 60))
    d.rectangle((540, 60, 620, 250), fill=(120, 84, 50), outline=(20, 20, 20), width=3)   # the door
    d.text((10, 8), f"{room}  {at.strftime('%Y-%m-%d %H:%M:%S')} UTC", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _camera_headers(room: Room, cam: dict) -> dict:
    return {"X-Room-Id": room.code, "X-Camera-Id": cam["id"], "X-Camera-Secret": cam["secret"]}


async def _snapshot(client: httpx.AsyncClient, room: Room, at: datetime) -> None:
    cam = next((c for c in room.cameras if c.get("secret")), None)
    if cam is None:
        return
    at = min(at, datetime.now(timezone.utc))
    body = await asyncio.to_thread(snapshot_jpeg, room.code, at, int(at.timestamp()) % 3)
    r = await client.post("/api/v1/om/cameras/snapshots", params={"time": at.isoformat()}, content=body,
                          headers={**_camera_headers(room, cam), "Content-Type": "image/jpeg"})
    if r.status_code >= 300:
        log.warning("demo snapshot %s/%s: %s %s", room.code, cam["id"], r.status_code, r.text[:200])


async def _heartbeats(client: httpx.AsyncClient, sc: Scene, stop: asyncio.Event, pace: float) -> None:
    """Every pushing camera says it is alive every :data:`HEARTBEAT_EVERY` minutes."""
    while not stop.is_set():
        for room in sc.rooms:
            cam = sc.pushing_camera(room)
            if cam is not None:
                try:
                    await client.post("/api/v1/om/cameras/heartbeat", headers=_camera_headers(room, cam))
                except httpx.HTTPError as exc:   # the service is stopping
                    log.info("O&M demo heartbeat ended: %s", exc)
                    return
        if await _sleep(stop, HEARTBEAT_EVERY * 60 * pace):
            return


def _instrument_frame(sc: Scene, values: dict, at: datetime) -> bytes:
    """An HJ 212-2017 CN 3020 upload (上传现场机信息) of the analyser's parameters, DataTime local."""
    from zoneinfo import ZoneInfo

    from ecosentry.protocols.hj212.frame import build_frame

    ins = sc.instrument
    local = at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d%H%M%S")
    cp = [{"DataTime": local}, {"PolId": ins.point.factor, **{f"{k}-Info": f"{v:g}" for k, v in values.items()}}]
    return build_frame(qn=at.strftime("%Y%m%d%H%M%S") + f"{at.microsecond // 1000:03d}", st="31", cn="3020",
                       pw=ins.point.password, mn=ins.point.mn, flag=5, cp=cp)


async def _send_frame(port: int, frame: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(frame)
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
    finally:
        writer.close()


async def _logger(sc: Scene, port: int, stop: asyncio.Event, pace: float) -> None:
    """The quiet room's data logger: the registered parameters at once, the changed range after
    :data:`PARAM_CHANGE_AFTER` minutes (no work order at the point: ``ALM-OM-PARAM-CHANGE``), then the changed values
    every :data:`REPORT_EVERY` minutes."""
    ins = sc.instrument
    if ins is None or not port:
        return
    values = dict(ins.registered)
    waits = [PARAM_CHANGE_AFTER * 60 * pace] + [REPORT_EVERY * 60 * pace] * 10_000
    for wait in waits:
        try:
            reply = await _send_frame(port, _instrument_frame(sc, values, datetime.now(timezone.utc)
                                                              - timedelta(seconds=1)))
            if b"CN=9014" not in reply:
                log.warning("demo logger %s: %r", ins.point.mn, reply[:120])
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            log.info("O&M demo logger: %s", exc)
        if await _sleep(stop, wait):
            return
        values[ins.changed[0]] = ins.changed[1]


def _bearer(key: str | None) -> dict:
    return {"Authorization": f"Bearer {key}"} if key else {}


async def post_history(client: httpx.AsyncClient, sc: Scene, key: str | None, engine: Engine,
                       settings: OmSettings) -> None:
    """The past door events (pushed by the controllers), the automatic checks and the failed span check, and the
    unsupported maintenance mark (filed by the engineer's app)."""
    for d in sc.doors:
        await _door(client, d.room, d.at, d.event)
    checks = sorted(sc.checks + ([sc.failed] if sc.failed else []), key=lambda c: c.at)
    body = [{"point_id": c.point.id, "factor": c.point.factor, "time": c.at.isoformat(), "kind": c.kind,
             "result": c.result, "drift_pct": c.drift_pct, "analyser": f"{c.point.mn[-6:]}-{c.point.factor}"}
            for c in checks]
    if key:
        r = await client.post("/api/v1/om/calibrations", json=body, headers=_bearer(key))
        if r.status_code >= 300:
            log.warning("demo calibrations: %s %s", r.status_code, r.text[:200])
    else:   # no engineer account: the records as an import would store them
        from ecosentry.subsystems.om.store import calibrations as cal

        await asyncio.to_thread(cal.record_checks, engine, [
            cal.CheckIn(c.point.id, c.point.factor, c.at, c.kind, c.result, c.drift_pct) for c in checks],
            source="csv", actor="demo", settings=settings.calibration)
    if sc.mark is not None and key:
        m = sc.mark
        r = await client.post(f"/api/v1/points/{m.point.id}/marks", headers=_bearer(key), json={
            "type": "maintenance", "start": m.start.isoformat(), "end": m.end.isoformat(), "reason": m.reason})
        if r.status_code >= 300:
            log.warning("demo mark: %s %s", r.status_code, r.text[:200])


async def _sleep(stop: asyncio.Event, seconds: float) -> bool:
    """Wait; True when the demo is stopping."""
    with suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
    return stop.is_set()


#: The kinds of the visits during the demo, in turn.
LIVE_KINDS = ("daily_inspection", "calibration", "weekly_inspection")


async def _visit(client: httpx.AsyncClient, sc: Scene, key: str, n: int, stop: asyncio.Event, pace: float) -> None:
    """One visit to the busy room: an order created and assigned, accepted, the door opened, on site, the door
    closed, done (with readings and the checklist)."""
    h = _bearer(key)
    kind = LIVE_KINDS[n % len(LIVE_KINDS)]
    r = await client.post("/api/v1/om/work-orders", headers=h, json={
        "kind": kind, "point_id": sc.busy.point.id, "assignee": "om", "note": f"计划工作（演示第 {n + 1} 次）"})
    if r.status_code != 201:
        log.warning("demo order: %s %s", r.status_code, r.text[:200])
        return
    oid = r.json()["id"]
    await client.post(f"/api/v1/om/work-orders/{oid}/accept", headers=h, json={})
    if await _sleep(stop, 20 * pace):
        return
    await _door(client, sc.busy, datetime.now(timezone.utc), "open")
    await client.post(f"/api/v1/om/work-orders/{oid}/arrive", headers=h,
                      json={"checklist": {"door_badge": True}})
    if await _sleep(stop, 100 * pace):
        return
    await _door(client, sc.busy, datetime.now(timezone.utc), "close")
    await client.post(f"/api/v1/om/work-orders/{oid}/finish", headers=h, json={
        "readings": {"probe_temp_c": 120.5}, "checklist": {"sampling_line": True, "blowback": True}})


async def run_live(client: httpx.AsyncClient, sc: Scene, key: str | None, t0: datetime, stop: asyncio.Event,
                   pace: float | None = None, hj212_port: int = 0) -> int:
    """During the run: the quiet room's door opens (and closes two minutes later) with no work order at
    :data:`UNEXPLAINED_AFTER` minutes; a visit to the busy room every :data:`VISIT_EVERY` minutes (``pace``
    scales every wait, for tests); beside them the cameras' heartbeats and the logger's parameter reports (to the
    HJ 212 gateway on ``hj212_port``). The number of visits made."""
    pace = PACE if pace is None else pace
    side = [asyncio.create_task(_heartbeats(client, sc, stop, pace), name="om-demo-cameras"),
            asyncio.create_task(_logger(sc, hj212_port, stop, pace), name="om-demo-logger")]
    try:
        n = await _live(client, sc, key, t0, stop, pace)
        await stop.wait()           # the cameras and the logger go on until the demo stops
        return n
    finally:
        for task in side:
            task.cancel()
        await asyncio.gather(*side, return_exceptions=True)


async def _live(client: httpx.AsyncClient, sc: Scene, key: str | None, t0: datetime, stop: asyncio.Event,
                pace: float) -> int:
    elapsed = (datetime.now(timezone.utc) - t0).total_seconds()
    if not await _sleep(stop, UNEXPLAINED_AFTER * 60 * pace - elapsed):
        await _door(client, sc.quiet, datetime.now(timezone.utc), "open")
        if not await _sleep(stop, 120 * pace):
            await _door(client, sc.quiet, datetime.now(timezone.utc), "close")
    n = 0
    while key and not stop.is_set():
        try:
            await _visit(client, sc, key, n, stop, pace)
        except httpx.HTTPError as exc:   # the service is stopping
            log.info("O&M demo visit ended: %s", exc)
        n += 1
        if await _sleep(stop, VISIT_EVERY * 60 * pace - 120 * pace):
            break
    return n
