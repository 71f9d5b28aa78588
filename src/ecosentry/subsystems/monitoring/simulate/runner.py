"""Run a simulated fleet (the registry structure of :mod:`ecosentry.subsystems.monitoring.simulate.fleet`) of virtual loggers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from rich.console import Console

from ecosentry.subsystems.monitoring.simulate.logger import LoggerConfig, VirtualLogger
from ecosentry.subsystems.monitoring.simulate.profiles import Episode, gas_profile, water_profile


def fleet_loggers(fleet: dict, host: str, port: int, *, rtd_interval: int | None = None,
                  episodes: dict[str, list[Episode]] | None = None) -> Iterator[VirtualLogger]:
    for ent in fleet.get("enterprises", []):
        for outlet in ent.get("outlets", []):
            for p in outlet.get("points", []):
                medium = outlet["medium"]
                codes = [f["code"] if isinstance(f, dict) else str(f) for f in p.get("factors", [])]
                cfg = LoggerConfig(mn=str(p["mn"]), password=str(p["password"]), st=str(p["st"]), medium=medium,
                                   factors=codes, min_interval=int(p.get("min_interval") or (1 if medium == "gas" else 10)),
                                   rtd_interval=rtd_interval or int(p.get("rtd_interval") or 30),
                                   tz=p.get("tz") or "Asia/Shanghai")
                if medium == "gas":
                    profile = gas_profile(cfg.mn, ref_o2=outlet.get("ref_o2") or 6.0,
                                          duct_area=outlet.get("duct_area") or 10.0)
                else:
                    profile = water_profile(cfg.mn)
                profile.episodes = list((episodes or {}).get(cfg.mn, ()))
                yield VirtualLogger(cfg, profile, host, port)


async def run_fleet(fleet: dict, host: str, port: int, *, stop: asyncio.Event, backfill_hours: float = 0.0,
                    rtd_interval: int | None = None, console: Console | None = None,
                    episodes: dict[str, list[Episode]] | None = None) -> list[VirtualLogger]:
    """Run the fleet's loggers until ``stop``; ``episodes``: staged violations by MN."""
    loggers = list(fleet_loggers(fleet, host, port, rtd_interval=rtd_interval, episodes=episodes))
    tasks = [asyncio.create_task(lg.run(stop, backfill_hours=backfill_hours)) for lg in loggers]
    if console is not None:
        console.print(f"{len(loggers)} virtual loggers → {host}:{port}")

        async def report() -> None:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), 10)
                except TimeoutError:
                    pass
                sent = sum(lg.stats.sent for lg in loggers)
                acked = sum(lg.stats.acked for lg in loggers)
                pending = sum(len(lg.unacked) for lg in loggers)
                console.print(f"sent {sent} packets, acknowledged {acked}, waiting {pending}, "
                              f"re-sent {sum(lg.stats.resent for lg in loggers)}")

        tasks.append(asyncio.create_task(report()))
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
    return loggers
