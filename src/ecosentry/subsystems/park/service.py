"""The park subsystem's running parts (:attr:`ecosentry.contracts.subsystem.Subsystem.services`): with the service's
``gateway`` part, the park stations' HJ 212 gateway on a port of its own (``park.hj212_enabled``) and the MQTT
subscriber (when ``park.mqtt.url`` is set), both putting ``park-readings`` envelopes on the service's spool; with
its ``alarms`` part, the live warning job (``service.park_warnings``)."""

from __future__ import annotations

import asyncio
import logging

from ecosentry.contracts.subsystem import ServiceContext
from ecosentry.contracts.task_part import TaskPart
from ecosentry.gateways.hj212_part import HJ212PortPart
from ecosentry.subsystems.park.gateways.hj212 import ParkHJ212Gateway
from ecosentry.subsystems.park.gateways.mqtt import ParkMqttPart
from ecosentry.subsystems.park.gateways.stations import station_directory
from ecosentry.subsystems.park.live.job import WarningJob
from ecosentry.subsystems.park.settings import ParkSettings

log = logging.getLogger(__name__)

__all__ = ["ParkHJ212Part", "WarningPart", "parts", "park_port"]


def park_port(core_port: int, setting: int | None) -> int:
    """The park stations' port: ``park.hj212_port`` when given (0: a free one), else the core gateway's port + 2
    (9214; power's loggers have + 1), or a free one when the core's is 0."""
    if setting is not None:
        return setting
    return 0 if core_port == 0 else core_port + 2


class _Shared:
    """The stations' directory both gateways look MNs up in, read in a thread at the first start."""

    def __init__(self, engine) -> None:
        self.engine, self._directory, self._lock = engine, None, asyncio.Lock()

    async def get(self):
        async with self._lock:
            if self._directory is None:
                self._directory = await asyncio.to_thread(station_directory, self.engine)
            return self._directory


class ParkHJ212Part(HJ212PortPart):
    """The park stations' gateway, listening on ``park.hj212_port`` at the core gateway's host."""

    name = "park_hj212"
    gateway_class = ParkHJ212Gateway

    def listen_port(self) -> int:
        return park_port(self.ctx.settings.hj212_port, _park(self.ctx.settings).hj212_port)


class WarningPart(TaskPart):
    """The live warning job as a service part (``service.park_warnings`` is the :class:`WarningJob`)."""

    name = "park_warnings"

    def __init__(self, ctx: ServiceContext, *, run: bool = True) -> None:
        super().__init__(self.name, WarningJob(ctx.engine, _park(ctx.settings), dispatcher=ctx.dispatcher,
                                               locale=getattr(ctx.settings, "default_locale", "zh")), run=run)


def _park(settings) -> ParkSettings:
    return getattr(settings, "park", None) or ParkSettings()


def parts(ctx: ServiceContext) -> list:
    """The parts this subsystem runs in the service, per the settings ``park``."""
    st = _park(ctx.settings)
    out: list = [WarningPart(ctx, run="alarms" in ctx.enabled)]
    if "gateway" not in ctx.enabled:
        return out
    shared = _Shared(ctx.engine)
    if st.hj212_enabled:
        out.append(ParkHJ212Part(ctx, shared))
    if st.mqtt.url:
        out.append(ParkMqttPart(st.mqtt, shared, ctx.spool))
    return out
