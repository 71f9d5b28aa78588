"""The demo's gate cameras: plate events with generated captures posted over HTTP to the push
(``POST /gates/v1/passages``, each gate device with its bearer token), as a plate-recognition camera does; every
``snapshot_every`` seconds each gate device's heartbeat (``/gates/v1/heartbeat``) and its camera's snapshot
(``/gates/v1/snapshot``): the first enterprise's side-gate camera is turned away from its reference view, so the
checks job raises ``VEH-CAMERA-VIEW`` at its first pass after the first snapshot.

First the staged passages (minutes before the start, so the live view and the dashboard show them at once),
then one passage every ``every`` seconds per enterprise: a registered vehicle entering, later leaving by the main
gate."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx

from ecosentry.subsystems.gates.demo.pictures import gate_view, plate_picture
from ecosentry.subsystems.gates.demo.scene import DemoEnterprise, DemoGate

__all__ = ["staged_events", "post", "post_snapshots", "run_gates", "turned"]

log = logging.getLogger(__name__)
TZ = ZoneInfo("Asia/Shanghai")


def staged_events(ents: list[DemoEnterprise], t0: datetime) -> list[tuple[DemoEnterprise, DemoGate, str, str, str,
                                                                            datetime]]:
    """(enterprise, gate, plate, colour, direction, time) of the staged passages and a little ordinary traffic."""
    out = []
    for e in ents:
        main, side = e.gates
        for k, v in enumerate(e.vehicles[1:6]):  # ordinary traffic: entries, some exits
            out.append((e, main, v.plate, v.colour, "in", t0 - timedelta(minutes=50 - 6 * k)))
            if k % 2 == 0:
                out.append((e, main, v.plate, v.colour, "out", t0 - timedelta(minutes=20 - 3 * k)))
    first = ents[0]
    main, side = first.gates
    truck = first.vehicles[0]  # 国四 at a grade B enterprise, orange alert: refused, VEH-ALERT-STAGE
    out.append((first, main, truck.plate, truck.colour, "in", t0 - timedelta(minutes=12)))
    out.append((first, main, "", "yellow", "in", t0 - timedelta(minutes=9)))  # no plate read: not in the ledger
    leaving = first.vehicles[6]  # leaves by the side gate, never seen entering
    out.append((first, side, leaving.plate, leaving.colour, "out", t0 - timedelta(minutes=5)))
    return sorted(out, key=lambda x: x[5])


async def post(client: httpx.AsyncClient, gate: DemoGate, plate: str, colour: str, direction: str,
               at: datetime, seed: int) -> dict:
    picture = plate_picture(plate, colour, at.astimezone(TZ), gate.name, seed)
    body = {"plate": plate, "plate_colour": colour, "confidence": 0.96 if plate else 0.0, "direction": direction,
            "time": at.astimezone(TZ).isoformat(), "gate": gate.code,
            "picture": base64.b64encode(picture).decode()}
    r = await client.post("/gates/v1/passages", json=body, headers={"Authorization": f"Bearer {gate.token}"})
    r.raise_for_status()
    return r.json()


def turned(ents: list[DemoEnterprise], e: DemoEnterprise, gate: DemoGate) -> bool:
    """Whether this is the demo's camera turned away from its reference view: the first enterprise's side gate."""
    return e is ents[0] and gate.side


async def post_snapshots(client: httpx.AsyncClient, ents: list[DemoEnterprise], at: datetime, seed: int) -> int:
    """Each gate device's heartbeat and its camera's snapshot at ``at``; the number of snapshots accepted."""
    sent = 0
    for e in ents:
        for gate in e.gates:
            auth = {"Authorization": f"Bearer {gate.token}"}
            (await client.post("/gates/v1/heartbeat", json={"status": "ok"}, headers=auth)).raise_for_status()
            picture = gate_view(e.enterprise_id, gate.code, seed, turned=turned(ents, e, gate))
            r = await client.post("/gates/v1/snapshot", headers=auth, json={
                "time": at.astimezone(TZ).isoformat(), "camera": f"CAM-{gate.code}",
                "picture": base64.b64encode(picture).decode()})
            r.raise_for_status()
            sent += 1
    return sent


async def run_gates(url: str, ents: list[DemoEnterprise], t0: datetime, stop: asyncio.Event, every: float = 20.0,
                    seed: int = 1, snapshot_every: float = 60.0) -> int:
    """Post the staged events and a first round of snapshots, then live traffic (and a round of heartbeats and
    snapshots every ``snapshot_every`` seconds) until ``stop``; the number of events accepted."""
    rng = random.Random(seed)
    sent = 0
    inside: dict[int, list] = {e.enterprise_id: [] for e in ents}
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        for n, (e, gate, plate, colour, direction, at) in enumerate(staged_events(ents, t0)):
            await post(client, gate, plate, colour, direction, at, n)
            sent += 1
        rounds = 1
        await post_snapshots(client, ents, datetime.now(timezone.utc).replace(microsecond=0), rounds)
        last_round = loop.time()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every)
                break
            except TimeoutError:
                pass
            now = datetime.now(timezone.utc)
            if loop.time() - last_round >= snapshot_every:
                rounds += 1
                last_round = loop.time()
                try:
                    await post_snapshots(client, ents, now.replace(microsecond=0), rounds)
                except httpx.HTTPError as exc:  # the service is stopping
                    log.info("gates demo: %s", exc)
            for e in ents:
                here = inside[e.enterprise_id]
                if here and rng.random() < 0.5:
                    v = here.pop(0)
                    direction = "out"
                else:
                    v = rng.choice(e.vehicles[1:6])  # 国五/国六: the grade A gate refuses the 国五 and grade C every truck under orange
                    here.append(v)
                    direction = "in"
                try:
                    await post(client, e.gates[0], v.plate, v.colour, direction, now, sent)
                    sent += 1
                except httpx.HTTPError as exc:  # the service is stopping
                    log.info("gates demo: %s", exc)
    return sent
