"""The power subsystem's running parts (:attr:`ecosentry.contracts.subsystem.Subsystem.services`), with the
service's ``gateway`` part: the HJ 212 gateway of the power loggers on a port of its own (``power.hj212_enabled``)
and the MQTT subscriber (when ``power.mqtt.url`` is set). Both put ``power-readings`` envelopes on the service's spool."""

from __future__ import annotations

import asyncio
import logging

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.gateways.hj212_part import HJ212PortPart
from ecosentry.subsystems.power.gateways.devices import device_directory
from ecosentry.subsystems.power.gateways.hj212 import PowerHJ212Gateway
from ecosentry.subsystems.power.gateways.mqtt import PowerMqttPart

log = logging.getLogger(__name__)

__all__ = ["PowerHJ212Part", "PowerMqttPart", "SharedDirectory", "parts"]


def power_port(core_port: int, setting: int | None) -> int:
    """The power loggers' port: the setting ``power.hj212_port`` when given (0: a free one), else the core
    gateway's port + 1 (9213), or a free one when the core's is 0 (tests and embedded runs ask for free ports)."""
    if setting is not None:
        return setting
    return 0 if core_port == 0 else core_port + 1


class SharedDirectory:
    """The power devices' directory both parts look MNs up in: read once in a thread at the first part's start
    (the event loop never waits on the database), then again every ``every`` seconds in the background (a
    device's new password or deactivation is seen without a restart; an unknown MN reloads it at once)."""

    def __init__(self, engine, every: float = 60.0) -> None:
        self.engine, self.every = engine, every
        self._directory = None
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task | None = None

    async def get(self):
        async with self._lock:
            if self._directory is None:
                self._directory = await asyncio.to_thread(device_directory, self.engine)
                self._refresh = asyncio.create_task(self._refresh_loop(), name="power-directory-refresh")
            return self._directory

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self._directory.refresh_in_background()

    def stop(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()


class PowerHJ212Part(HJ212PortPart):
    """The power loggers' gateway, listening on ``power.hj212_port`` at the core gateway's host."""

    name = "power_hj212"
    gateway_class = PowerHJ212Gateway

    def listen_port(self) -> int:
        return power_port(self.ctx.settings.hj212_port, self.ctx.settings.power.hj212_port)

    async def close(self) -> None:
        self.shared.stop()
        await super().close()


def parts(ctx: ServiceContext) -> list:
    """The parts this subsystem runs in the service, per the settings ``power``."""
    st = ctx.settings.power
    out: list = []
    if "gateway" not in ctx.enabled:  # the service's ingest is off (a web-only process, tests driving the spool)
        return out
    shared = SharedDirectory(ctx.engine, ctx.settings.directory_refresh_every)
    if st.hj212_enabled:
        out.append(PowerHJ212Part(ctx, shared))
    if st.mqtt.url:
        out.append(PowerMqttPart(st.mqtt, shared, ctx.spool))
    return out
