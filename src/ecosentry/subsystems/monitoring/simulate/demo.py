"""The monitoring subsystem's part of ``ecosentry demo``: a Chinese fleet of HJ 212 loggers over TCP, or a
Vietnamese DONRE platform whose stations upload Circular 10/2021 files over FTP (issue 7)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ecosentry.contracts.subsystem import DemoOptions, DemoPlan
from ecosentry.subsystems.monitoring.simulate.fleet import DEMO_PASSWORD, demo_accounts, demo_fleet
from ecosentry.subsystems.monitoring.simulate.profiles import Episode
from ecosentry.subsystems.monitoring.simulate.runner import run_fleet
from ecosentry.subsystems.monitoring.simulate.vn_monre import run_monre
from ecosentry.subsystems.monitoring.simulate.vn_register_seed import seed_register
from ecosentry.subsystems.monitoring.simulate.vn_stations import demo_vn_fleet
from ecosentry.subsystems.monitoring.simulate.vn_uploader import run_vn_stations


def demo(options: DemoOptions) -> DemoPlan:
    return _vn(options) if options.country == "vn" else _cn(options)


def _cn(o: DemoOptions) -> DemoPlan:
    # the demo's points go live now, with the history they back-fill: data are expected from then on
    now = datetime.now(timezone.utc)
    fleet = demo_fleet(o.size, connected_at=now - timedelta(hours=o.backfill_hours))
    episodes = staged_violations(fleet, now, o.backfill_hours)

    async def run(svc, stop) -> None:
        await run_fleet(fleet, "127.0.0.1", svc.hj212_port, stop=stop, backfill_hours=o.backfill_hours,
                        rtd_interval=10, episodes=episodes)

    return DemoPlan(
        fleet=fleet, run=run, accounts=demo_accounts(fleet), password=DEMO_PASSWORD,
        # every simulated logger connects from 127.0.0.1: the per-address bound must admit them all
        settings={"hj212_max_connections_per_peer": max(64, 2 * o.size)},
        banner=lambda svc: [f"HJ 212 on 127.0.0.1:{svc.hj212_port} · {o.size} simulated loggers"])


def staged_violations(fleet: dict, now: datetime, backfill_hours: float) -> dict[str, list[Episode]]:
    """What the demo shows a regulator at once: the first flue-gas point's desulfurisation fails from the last
    complete hour of the history it sends first until two hours into the live data (SO2 × 2.5, over its hourly
    limit): an exceedance alarm on the first detection passes, cleared by the data when the episode ends. Nothing
    when the history is shorter than two hours."""
    if backfill_hours < 2:
        return {}
    hour = now.replace(minute=0, second=0, microsecond=0)
    for ent in fleet.get("enterprises", []):
        for outlet in ent.get("outlets", []):
            if outlet.get("medium") != "gas":
                continue
            for p in outlet.get("points", []):
                return {str(p["mn"]): [Episode("a21026", hour - timedelta(hours=1), hour + timedelta(hours=2), 2.5)]}
    return {}


def _vn(o: DemoOptions) -> DemoPlan:
    fleet = seed_register(demo_vn_fleet(o.size))
    province = next(r["code"] for r in fleet["regions"] if r.get("level") == "province")
    fleet["users"] = [
        {"username": "admin", "role": "admin", "display_name": "Quản trị", "password": DEMO_PASSWORD, "locale": "vi"},
        {"username": "donre", "role": "regulator", "region": province, "display_name": "Sở TN&MT",
         "password": DEMO_PASSWORD, "locale": "vi"},
    ]
    for e in fleet["enterprises"]:
        e["published"] = True

    async def run(svc, stop) -> None:
        monre = asyncio.create_task(run_monre(svc.engine, Path(o.data_dir) / "monre", stop))  # MONRE, down at times
        await run_vn_stations(fleet, "127.0.0.1", svc.ftp_port, stop=stop, backfill_hours=o.backfill_hours,
                              late_share=0.05, malformed_share=0.02)
        await monre

    return DemoPlan(
        fleet=fleet, run=run, accounts=demo_accounts(fleet), password=DEMO_PASSWORD,
        settings={"ftp_enabled": True, "ftp_host": "127.0.0.1", "ftp_port": 0, "hj212_port": 0},
        banner=lambda svc: [f"FTP on 127.0.0.1:{svc.ftp_port} (one account per station) · {o.size} stations"])
