"""The section ``park`` of the settings (``ECOSENTRY_PARK__*``): every [R] number of the park rules as a documented
default (``docs/park.md``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ecosentry.subsystems.park.substances import Substance
from ecosentry.subsystems.park.tiered import WarningSettings
from ecosentry.subsystems.park.tracing import TracebackSettings

__all__ = ["ParkSettings", "DispersionSettings", "MqttSettings", "LiveSettings"]


class DispersionSettings(BaseModel):
    #: Height of the receptors the threat zones are drawn at (ALOHA draws them at ground level). [m]
    receptor_height_m: float = 0.0
    #: Farthest downwind distance the zones are searched to. [m]
    max_distance_m: float = 50_000.0
    #: Pasquill's table leaves night, wind < 2 m/s blank; F is the usual choice [R].
    night_calm_class: str = "F"


class MqttSettings(BaseModel):
    """The MQTT subscriber of the park stations (``docs/park.md`` "Ingest"); off while ``url`` is empty."""

    #: The broker, ``mqtt://host:port`` (``mqtts://`` for TLS); empty: no MQTT ingest.
    url: str = ""
    #: The platform's own client credentials at the broker.
    username: str = ""
    password: str = ""
    #: Topics are ``<topic_prefix>/<station mn>/readings``.
    topic_prefix: str = "ecosentry/park"
    #: MQTT client id of the subscriber.
    client_id: str = "ecosentry-park"
    #: Keep the session at the broker between connections (QoS 1 messages wait while the platform is away).
    persistent_session: bool = True
    #: Largest message accepted. [bytes]
    max_payload: int = Field(65_536, ge=256)
    #: Most values in one message.
    max_readings: int = Field(500, ge=1)
    #: Wait before reconnecting after the broker went away. [s]
    reconnect_every: float = Field(5.0, gt=0)


class LiveSettings(BaseModel):
    """The live warning job (:mod:`.live.job`, ``docs/park.md`` "Live warnings") [ours]."""

    #: Seconds between passes over the readings received since the last pass.
    every_seconds: float = Field(5.0, gt=0)
    #: At the job's start, readings received this long ago are looked at again (the cursor is in memory). [h]
    startup_lookback_hours: float = Field(24.0, gt=0)
    #: Readings before the new ones each evaluation re-reads (the background window and the dwell counts).
    history_readings: int = Field(1_500, ge=10)
    #: Enterprises with a source this close to a warning station are told too (a park's own setting wins). [m]
    notify_radius_m: float = Field(1_500.0, ge=0)
    #: Enterprises with a source downwind of the station within this distance are told too. [m]
    downwind_m: float = Field(3_000.0, ge=0)
    #: Half-angle of the downwind sector. [°]
    downwind_half_angle_deg: float = Field(30.0, gt=0, le=180)
    #: Met history the incident's traceback reads before the raise. [min]
    incident_history_minutes: int = Field(90, ge=10)
    #: Release rate assumed for the incident's first plume zones, before the traceback fitted one. [g/s]
    assumed_rate_g_s: float = Field(10.0, gt=0)


class ParkSettings(BaseModel):
    #: The park's time zone: times in the warnings' sentences.
    timezone: str = "Asia/Shanghai"
    #: Entries over the built-in substance table (code → substance), e.g. official AEGL values once checked.
    substances: dict[str, Substance] = Field(default_factory=dict)
    warnings: WarningSettings = WarningSettings()
    traceback: TracebackSettings = TracebackSettings()
    dispersion: DispersionSettings = DispersionSettings()
    #: The park stations' HJ 212 gateway (on ``hj212_port``; None = the core gateway's port + 2, 9214).
    hj212_enabled: bool = True
    hj212_port: int | None = None
    mqtt: MqttSettings = MqttSettings()
    live: LiveSettings = LiveSettings()
