"""The O&M subsystem's part of ``ecosentry demo`` (issue 18 item 9; ``Subsystem.demo``). Chinese demo only.

At the start of the run (:func:`.simulator.prepare`): two O&M organisations, their staff, contracts for the demo
enterprises' points and the station rooms with door controllers and cameras are registered through the registry
import (the fleet key ``om:``, idempotent); the first time, the planned work before the start is written — orders
in every state (reviewed, done, assigned, on site, an overdue verification) — and pushed: the rooms' door events,
three days of automatic zero/span checks with a failed span check two hours ago (out of control), a maintenance
mark with neither an order nor a door opening (:mod:`.scene`). During the run the quiet room's door opens a minute
in with no order (``ALM-OM-DOOR-UNEXPLAINED``) and the engineer (account ``om``) visits the busy room every five
minutes through the API: an order created, accepted, the door opened, on site, closed, done.

**Vietnam** (``--country vn``): left out. A DONRE receives station files (Circular 10/2021) whose status 01
(calibrating) and 02 (error) already say when the data are not measurements; the third-party O&M regime this
subsystem enforces — 备案 of O&M organisations, staff commitments, door access to the station room, HJ 75 drift
limits, deadlines over Chinese working days — is China's, and showing it to a DONRE would show rules it does not
apply (``docs/om.md``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timezone

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.said import N_
from ecosentry.terminal.messages import operator_language, say

__all__ = ["demo", "CHECK_SECONDS", "ASSESS_SECONDS"]

log = logging.getLogger(__name__)

#: Seconds between two overdue checks during the demo (the overdue verification's alarm comes within a minute).
CHECK_SECONDS = 60.0
#: Seconds between two passes of the assessment during the demo: the provisional month to date follows the visits.
ASSESS_SECONDS = 120.0
#: Minutes after its filing when the demo's (late-filed) maintenance mark is judged (``ALM-OM-MARK-UNSUPPORTED``).
FILING_GRACE_MINUTES = 1.0


def demo(options: DemoOptions) -> DemoPlan | None:
    if options.country != "cn":
        return None
    t0 = datetime.now(timezone.utc).replace(microsecond=0)
    state: dict = {}
    seed_file = options.data_dir / "om-demo-seed" if options.data_dir else None

    def seed() -> str:
        if seed_file is None:
            return secrets.token_hex(16)
        if not seed_file.exists():
            seed_file.write_text(secrets.token_hex(16))
        return seed_file.read_text().strip()

    async def run(svc, stop: asyncio.Event) -> None:
        import httpx

        from ecosentry.subsystems.om.demo.simulator import post_history, prepare, run_live
        from ecosentry.subsystems.om.settings import OmSettings

        settings = getattr(svc.settings, "om", None) or OmSettings()
        sc, key, first = await asyncio.to_thread(prepare, svc.engine, t0, seed(), settings)
        if sc is None:
            return
        state["scene"] = sc
        async with httpx.AsyncClient(base_url=svc.url, timeout=30) as client:
            try:
                if first:
                    await post_history(client, sc, key, svc.engine, settings)
                state["visits"] = await run_live(client, sc, key, t0, stop, hj212_port=svc.hj212_port)
            except httpx.HTTPError as exc:   # the service is stopping
                log.info("O&M demo ended: %s", exc)

    def banner(svc) -> list[str]:
        return ["  " + say(N_("O&M: work orders %(orders)s · the engineer's phone view %(phone)s (account om) — staged: a "
                              "failed span check (out of control), an overdue verification, a maintenance mark with no "
                              "order or door opening (alarmed a minute in), a station-room door opened a minute in with "
                              "no order, a logger reporting a changed instrument range (CN 3020) two minutes in; camera "
                              "snapshots on every door opening; a visit every 5 minutes"), operator_language(getattr(svc, "settings", None)),
                           orders=f"{svc.url}om/orders", phone=f"{svc.url}om/my")]

    return DemoPlan(fleet={}, run=run, banner=banner, settings={"om": {
        "check_seconds": CHECK_SECONDS, "assess_seconds": ASSESS_SECONDS,
        # the demo's mark is filed at the start for five hours ago: judged a minute after its filing
        "marks": {"filing_grace_minutes": FILING_GRACE_MINUTES}}})
