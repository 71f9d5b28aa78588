"""The gates subsystem's part of ``ecosentry demo`` (issue 16 item 9; ``Subsystem.demo``). Chinese demo only.

At the start of the run: the first three enterprises of the demo fleet (by id; the ones registered by an
earlier run on the same data) get gates, devices and a vehicle register of mixed stages, graded B, A and C
(:mod:`.scene`); an **orange alert** for their region's city (the region above theirs) from two hours before
the start unless an alert is already in force there; the push re-reads its directory; then the simulator
(:mod:`.simulator`) posts the staged passages over HTTP with generated captures (:mod:`.pictures`) — a 国四
truck refused under the alert, an unread plate missing from the ledger, a side-gate exit without an entry — and
ordinary traffic every 20 s; each camera's reference view is registered (when it has none; audited, actor ``demo``)
and every minute each gate device sends its heartbeat and a snapshot, the first enterprise's side-gate camera
turned away (``VEH-CAMERA-VIEW`` at the checks job's next pass). The pages: ``/gates``, ``/gates/ledger``, ``/gates/dashboard``.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.said import N_
from ecosentry.terminal.messages import operator_language, say

__all__ = ["demo", "prepare"]

#: Seconds between two live passages of an enterprise.
EVERY = 20.0


def prepare(engine, t0: datetime, seed: str, pictures=None) -> tuple[list, int | None]:
    """Register the demo gates (idempotent), the cameras' reference views into ``pictures`` (a picture store;
    None: none registered) and issue the orange alert if none is in force; the demo enterprises and the alert's
    id (None: one was in force)."""
    from ecosentry.store import pollution_alerts
    from ecosentry.store import schema as s
    from ecosentry.store.queries.pollution_alerts import alerts_in_force
    from ecosentry.subsystems.gates.demo.scene import GRADES, plan, registry
    from ecosentry.subsystems.gates.schema import gates_devices, gates_enterprises, gates_gates
    from ecosentry.subsystems.gates.store.registry import import_gates

    e = s.enterprises
    with engine.begin() as conn:
        known = conn.execute(select(e.c.id, e.c.credit_code, e.c.name, e.c.region_code)
                             .join(gates_enterprises, gates_enterprises.c.enterprise_id == e.c.id)
                             .order_by(e.c.id)).mappings().all()
        rows = known or conn.execute(select(e.c.id, e.c.credit_code, e.c.name, e.c.region_code)
                                     .where(e.c.region_code.is_not(None)).order_by(e.c.id)
                                     .limit(len(GRADES))).mappings().all()
        ents = plan([dict(r) for r in rows][:len(GRADES)], seed)
        if not ents:
            return [], None
        # a second run keeps the devices: their tokens come from the first run's seed
        stored = dict(conn.execute(select(gates_devices.c.code, gates_devices.c.id)
                                   .join(gates_gates, gates_gates.c.id == gates_devices.c.gate_id)).all())
        if not any(g.device in stored for x in ents for g in x.gates):
            import_gates(conn, registry(ents), "demo")
        region = rows[0]["region_code"]
        parent = conn.execute(select(s.regions.c.parent_code).where(s.regions.c.code == region)).scalar()
        city = parent or region
        in_force = alerts_in_force(conn, region, t0)
    if pictures is not None:
        _references(engine, pictures, ents)
    alert = None
    if not in_force:
        alert = pollution_alerts.issue(engine, region_code=city, level="orange", starts_at=t0 - timedelta(hours=2),
                                       ends_at=t0 + timedelta(days=3), issued_by="重污染天气应急指挥部办公室",
                                       note="演示：橙色预警（门禁与车辆台账）", actor="demo")
    return ents, alert


def _references(engine, pictures, ents: list) -> None:
    """Register each demo camera's reference view, unless one is registered (audited, actor ``demo``)."""
    from ecosentry.subsystems.gates.demo.pictures import gate_view
    from ecosentry.subsystems.gates.schema import gates_cameras
    from ecosentry.subsystems.gates.store.snapshots import set_reference

    c = gates_cameras.c
    with engine.connect() as conn:
        cams = {(r.enterprise_id, r.code): r for r in conn.execute(select(c.id, c.enterprise_id, c.code,
                                                                          c.reference_picture))}
    for e in ents:
        for g in e.gates:
            cam = cams.get((e.enterprise_id, f"CAM-{g.code}"))
            if cam is not None and cam.reference_picture is None:
                set_reference(engine, pictures, cam.id, gate_view(e.enterprise_id, g.code), "demo")


def demo(options: DemoOptions) -> DemoPlan | None:
    if options.country != "cn":
        return None
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    state: dict = {"ents": []}
    seed_file = options.data_dir / "gates-demo-seed" if options.data_dir else None

    def seed() -> str:
        if seed_file is None:
            return secrets.token_hex(16)
        if not seed_file.exists():
            seed_file.write_text(secrets.token_hex(16))
        return seed_file.read_text().strip()

    async def run(svc, stop: asyncio.Event) -> None:
        from ecosentry.subsystems.gates.demo.simulator import run_gates
        from ecosentry.subsystems.gates.pipeline.sink import picture_store

        ents, _ = await asyncio.to_thread(prepare, svc.engine, t0, seed(), picture_store(svc.settings))
        state["ents"] = ents
        push = svc.parts.get("gates_push")
        if push is None or not ents:
            return
        await asyncio.to_thread(push.directory.load)
        state["sent"] = await run_gates(f"http://127.0.0.1:{push.port}", ents, t0, stop, EVERY)

    def banner(svc) -> list[str]:
        lang = operator_language(getattr(svc, "settings", None))
        push = svc.parts.get("gates_push")
        where = f"127.0.0.1:{push.port}" if push is not None else say(N_("off"), lang)
        return [say(N_("gates push on %(address)s"), lang, address=where),
                "  " + say(N_("gates and vehicle ledger: %(url)s · ledger %(ledger)s · dashboard %(dashboard)s — staged: "
                              "a China IV truck under the orange alert, an unread plate missing from the ledger, a "
                              "side-gate exit without an entry"), lang, url=f"{svc.url}gates",
                           ledger=f"{svc.url}gates/ledger", dashboard=f"{svc.url}gates/dashboard")]

    return DemoPlan(fleet={}, run=run, banner=banner)
