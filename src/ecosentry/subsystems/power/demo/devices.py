"""The demo's power devices: what each meter reads minute by minute (:class:`Site`), and the devices that send
it — HJ 212 loggers over real TCP to the power gateway (CN 2051 minute data after each minute, CN 2011
real-time data every 30 s) and MQTT devices through a real broker — first the history (back-fill), then live."""

from __future__ import annotations

import asyncio
import logging
import math
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ecosentry.protocols.hj212 import build_frame
from ecosentry.subsystems.power.demo.fleet import (HJ212_PASSWORD, MQTT_PASSWORD, TZ, DemoEnterprise, Unit,
                                                   channel)
from ecosentry.subsystems.power.gateways.hj212_map import logger_cp
from ecosentry.subsystems.power.gateways.mqtt_message import device_payload, topic_of

log = logging.getLogger(__name__)

_ZONE = ZoneInfo(TZ)
#: A stopped unit's standby draw (control power, heaters), far below every demo threshold. [kW]
STANDBY_KW = 0.4
_VOLTAGE, _PF = 400.0, 0.86


class Site:
    """One demo enterprise's meters: each unit runs at its normal load with a slow rhythm and a little noise,
    stopped during its ``off`` spans (and from its ``alert_off`` on); the total meter reads the sum plus the
    site's other load; energy registers integrate the power."""

    def __init__(self, ent: DemoEnterprise, t0: datetime, alert_start: datetime) -> None:
        self.ent, self.t0, self.alert_start = ent, t0, alert_start
        self.rng = random.Random(ent.serial)
        self.energy = {channel(i): 10_000.0 * (i + 1) for i in range(len(ent.units))}

    def running(self, unit: Unit, at: datetime) -> bool:
        rel = (at - self.t0).total_seconds() / 60
        for a, b in unit.off:
            if (a is None or rel >= a) and (b is None or rel < b):
                return False
        if unit.alert_off is not None:
            return (at - self.alert_start).total_seconds() / 60 < unit.alert_off
        return True

    def power(self, unit: Unit, at: datetime) -> float:
        if not self.running(unit, at):
            return STANDBY_KW * (1 + 0.1 * self.rng.random())
        minute = at.timestamp() / 60
        rhythm = 0.05 * math.sin(2 * math.pi * minute / 97 + self.ent.serial)
        return unit.normal_kw * (0.93 + rhythm + 0.02 * self.rng.gauss(0, 1))

    def minute(self, at: datetime) -> dict[str, dict[str, float]]:
        """The minute starting at ``at`` (UTC): per channel P, Ia/Ib/Ic, Ua, PF and the energy register E."""
        powers = {u.code: self.power(u, at) for u in self.ent.units if u.role != "total"}
        out: dict[str, dict[str, float]] = {}
        for i, u in enumerate(self.ent.units):
            p = powers[u.code] if u.role != "total" else sum(powers.values()) + self.ent.other_kw
            ch = channel(i)
            self.energy[ch] += p / 60
            amps = p * 1000 / (math.sqrt(3) * _VOLTAGE * _PF)
            out[ch] = {"P": round(p, 2), "Ia": round(amps, 1), "Ib": round(amps * 1.01, 1),
                       "Ic": round(amps * 0.99, 1), "Ua": 231.0, "PF": _PF, "E": round(self.energy[ch], 2)}
        return out

    def realtime(self, at: datetime) -> dict[str, dict[str, float]]:
        """A real-time sample (no energy: the register belongs to the minute data)."""
        out = {}
        for i, u in enumerate(self.ent.units):
            if u.role == "total":
                continue
            out[channel(i)] = {"P": round(self.power(u, at), 2)}
        return out


def _local(at: datetime) -> datetime:
    return at.astimezone(_ZONE).replace(tzinfo=None)


def _minutes(start: datetime, end: datetime):
    t = start
    while t < end:
        yield t
        t += timedelta(minutes=1)


async def _next_tick(stop: asyncio.Event, every: float = 30.0) -> datetime | None:
    """Sleep to the next multiple of ``every`` seconds; None when stopped."""
    now = datetime.now(timezone.utc).timestamp()
    wait = every - now % every + 0.5
    try:
        await asyncio.wait_for(stop.wait(), wait)
        return None
    except asyncio.TimeoutError:
        return datetime.now(timezone.utc)


class HJ212Logger:
    """A power logger on one TCP connection: every frame asks for the reply (Flag=5) and waits for it, so the
    logger sends its next frame only once the platform has the last one on its spool."""

    def __init__(self, site: Site, host: str, port: int) -> None:
        self.site, self.host, self.port = site, host, port
        self.reader = self.writer = None

    async def send(self, cn: str, at: datetime, meters) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        local = _local(at)
        qn = _local(datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%S%f")[:17]
        self.writer.write(build_frame(qn=qn, st="31", cn=cn, pw=HJ212_PASSWORD, mn=self.site.ent.mn, flag=5,
                                      cp=logger_cp(cn, local, meters)))
        await self.writer.drain()
        await asyncio.wait_for(self.reader.readuntil(b"\r\n"), 30)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


class MqttDevice:
    """A power device publishing JSON through the broker with its own account (QoS 1)."""

    def __init__(self, site: Site, host: str, port: int, prefix: str) -> None:
        self.site, self.host, self.port, self.prefix = site, host, port, prefix
        self.client = None

    async def send(self, kind: str, at: datetime, meters) -> None:
        import aiomqtt

        if self.client is None:
            client = aiomqtt.Client(self.host, self.port, username=self.site.ent.mn, password=MQTT_PASSWORD,
                                    identifier=f"{self.site.ent.mn}-demo")
            await client.__aenter__()
            self.client = client
        payload = device_payload(at.astimezone(_ZONE), meters, kind=kind, device=self.site.ent.mn)
        await self.client.publish(topic_of(self.prefix, self.site.ent.mn), payload, qos=1)

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            done = asyncio.ensure_future(client.__aexit__(None, None, None))
            done.add_done_callback(lambda f: f.cancelled() or f.exception())   # a broker already gone: no matter


async def backfill(site: Site, sender, history_from: datetime) -> datetime:
    """Send the minutes from ``history_from`` to the last complete one (each on the platform's spool before the
    next); returns the first minute not sent."""
    mqtt = isinstance(sender, MqttDevice)
    sent_to = history_from
    for at in _minutes(history_from, datetime.now(timezone.utc).replace(second=0, microsecond=0)):
        await sender.send("min" if mqtt else "2051", at, site.minute(at))
        sent_to = at + timedelta(minutes=1)
    return sent_to


async def run_device(site: Site, sender, sent_to: datetime, stop: asyncio.Event) -> None:
    """Live, from minute ``sent_to`` on: at each minute the one that ended (minute data), every 30 s a
    real-time sample. A lost connection is made again and the minutes missed in between are sent then."""
    mqtt = isinstance(sender, MqttDevice)
    while not stop.is_set():
        try:
            now = datetime.now(timezone.utc)
            for at in _minutes(sent_to, now.replace(second=0, microsecond=0)):
                await sender.send("min" if mqtt else "2051", at, site.minute(at))
                sent_to = at + timedelta(minutes=1)
            tick = await _next_tick(stop)
            if tick is None:
                break
            if tick.replace(second=0, microsecond=0) > sent_to:
                continue   # the top of the loop sends the minute that ended
            await sender.send("rtd" if mqtt else "2011", tick, site.realtime(tick))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the platform restarting, the broker away: try again, as a logger does
            log.warning("power demo device %s: %s; again in 5 s", site.ent.mn, exc)
            sender.close()
            try:
                await asyncio.wait_for(stop.wait(), 5)
            except asyncio.TimeoutError:
                pass
    sender.close()
