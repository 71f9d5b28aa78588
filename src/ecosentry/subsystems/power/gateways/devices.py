"""The power devices as the gateways see them: ``power_devices`` read into the directory the HJ 212 gateway and
the MQTT subscriber look MNs up in (refreshed like the core's :class:`~ecosentry.pipeline.directory.PointDirectory`,
which takes this loader), and the MQTT accounts the broker's password file is written from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from ecosentry.pipeline.directory import PointDirectory
from ecosentry.store.registry import PointInfo
from ecosentry.subsystems.power.schema import power_devices

__all__ = ["MqttAccount", "load_devices", "device_directory", "mqtt_accounts"]

#: What :class:`PointInfo` calls the medium of a power device (the directory is shared code; nothing reads it).
MEDIUM = "power"


def load_devices(engine: Engine) -> dict[str, PointInfo]:
    """MN → the device (``point_id`` is ``power_devices.id``; an MQTT-only device has no HJ 212 password and so
    never matches a frame's ``PW``)."""
    d = power_devices.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.id, d.mn, d.password, d.tz, d.active)).all()
    return {r.mn: PointInfo(point_id=r.id, mn=r.mn, password=r.password, tz=r.tz, active=bool(r.active),
                            medium=MEDIUM, min_interval=60) for r in rows}


def device_directory(engine: Engine, min_reload_s: float = 5.0) -> PointDirectory:
    """A directory of the power devices: an unknown MN reloads it (a device registered while the service runs is
    accepted without a restart), never waiting on the database in the event loop (:meth:`PointDirectory.peek`)."""
    return PointDirectory(engine, min_reload_s, loader=lambda: load_devices(engine))


@dataclass(frozen=True, slots=True)
class MqttAccount:
    """A device's account at the broker: its MN is its user name and its topic's middle level."""

    mn: str
    secret_hash: str
    active: bool


def mqtt_accounts(engine: Engine) -> list[MqttAccount]:
    """Every device with an MQTT secret, ordered by MN (the files written from them are stable)."""
    d = power_devices.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.mn, d.mqtt_secret_hash, d.active)
                            .where(d.mqtt_secret_hash.is_not(None)).order_by(d.mn)).all()
    return [MqttAccount(r.mn, r.mqtt_secret_hash, bool(r.active)) for r in rows]
