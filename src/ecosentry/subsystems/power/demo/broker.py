"""The demo's own MQTT broker (:mod:`ecosentry.gateways.mosquitto_proc`), with the password file and ACL written
from ``power_devices`` exactly as ``ecosentry power mqtt-auth`` writes them (each device its own user and topic,
the platform its user)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from ecosentry.gateways.mosquitto_proc import binary, free_port, start as start_broker, stop, write_conf
from ecosentry.store.db import make_engine
from ecosentry.subsystems.power.gateways.mosquitto_auth import write_broker_auth

__all__ = ["binary", "free_port", "start", "stop"]


async def start(settings, mosquitto: str, port: int) -> subprocess.Popen | None:
    """Write the auth files under the demo's data directory (from the devices of its database, imported before
    the service starts) and start the broker; None if it fails."""
    folder = Path(settings.data_dir) / "mosquitto"
    folder.mkdir(parents=True, exist_ok=True)

    def write() -> None:
        engine = make_engine(settings.database_url)
        try:
            write_broker_auth(engine, settings.power.mqtt, folder / "passwd", folder / "acl")
        finally:
            engine.dispose()

    await asyncio.to_thread(write)
    conf = write_conf(folder, port, f"allow_anonymous false\npassword_file {folder / 'passwd'}\n"
                                    f"acl_file {folder / 'acl'}\n")
    return await start_broker(mosquitto, conf, port)
