"""The park demo's own MQTT broker (:mod:`ecosentry.gateways.mosquitto_proc`), anonymous (demo only: the broker
accounts of park stations, as power's ``mqtt-auth``, do not exist yet)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ecosentry.gateways.mosquitto_proc import binary, free_port, start as start_broker, stop, write_conf

__all__ = ["binary", "free_port", "start", "stop"]


async def start(data_dir, mosquitto: str, port: int) -> subprocess.Popen | None:
    """Start the broker with its configuration under the demo's data directory; None if it fails."""
    conf = write_conf(Path(data_dir) / "park-mosquitto", port, "allow_anonymous true\n")
    return await start_broker(mosquitto, conf, port)
