"""The O&M demo at work: the scene stored (:func:`prepare`), then the station rooms and the engineer's app during
the run (:func:`run_live`), through the real edges: door controllers push ``POST /api/v1/om/doors/events`` with
their own id and secret; the engineer (the ``om`` account, with an API key of its own) files checks, marks and
moves work orders over the JSON API. Only what happened before the start (orders with past times) is written by
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

__all__ = ["prepare", "post_history", "run_live", "VISIT_EVERY", "UNEXPLAINED_AFTER", "PACE"]

#: Minutes between two visits to the busy room during the demo.
VISIT_EVERY = 5.0
#: Minutes after the start when the quiet room's door opens with no work order.
UNEXPLAINED_AFTER = 1.0
#: Every wait of the run is multiplied by this (tests run the demo faster).
PACE = 1.0
#: The engineer's API key's name (one per run; the key is shown only once).
KEY_NAME = "O&M demo app"


def _points(conn, user_id: int | None) -> tuple[list[DemoPoint], list[DemoPoint]]:
    """The points the ``om`` account maintains, and the first points of two other enterprises."""
    from ecosentry.store import schema as s

    p, o, e, pf = s.points, s.outlets, s.enterprises, s.point_factors

    def rows(where) -> list[DemoPoint]:
        q = (select(p.c.id, p.c.mn, e.c.credit_code, e.c.name).join(o, o.c.id == p.c.outlet_id)
             .join(e, e.c.id == o.c.enterprise_id).where(where).order_by(e.c.id, o.c.id, p.c.id))
        out = []
        for r in conn.execute(q):
            factors = list(conn.execute(select(pf.c.factor_code).where(pf.c.point_id == r.id)
                                        .order_by(pf.c.id)).scalars())
            # the checks are about SO2 where the point measures it (the demo's exceedance factor), else its first
            factor = next((f for f in factors if f == "a21026"), factors[0] if factors else None)
            if factor is not None:
                out.append(DemoPoint(r.id, r.mn, r.credit_code, r.name, factor))
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
    return r.status_code


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
                   pace: float | None = None) -> int:
    """During the run: the quiet room's door opens (and closes two minutes later) with no work order at
    :data:`UNEXPLAINED_AFTER` minutes; a visit to the busy room every :data:`VISIT_EVERY` minutes (``pace``
    scales every wait, for tests). The number of visits made."""
    pace = PACE if pace is None else pace
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
