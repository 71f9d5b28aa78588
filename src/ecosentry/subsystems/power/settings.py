"""The section ``power`` of the settings (``ECOSENTRY_POWER__*``): every [R] number of the rules as a
documented default (``docs/power.md``)."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field

from ecosentry.subsystems.power.rules.linkage import LinkageSettings
from ecosentry.subsystems.power.rules.orders import OrderSettings
from ecosentry.subsystems.power.rules.utility import UtilitySettings

__all__ = ["PowerSettings", "ThresholdSettings", "MqttSettings", "EngineSettings"]


class ThresholdSettings(BaseModel):
    """Running-state thresholds when a meter has none of its own (§1.4 "State detection", §7 item 2)."""

    #: Consecutive samples a start (a new *on* state) needs (§7 item 2: "on ≥ 3 consecutive minutes" [R]);
    #: ``dwell`` is its former name (``ECOSENTRY_POWER__THRESHOLDS__DWELL`` still works).
    dwell_on: int = Field(3, ge=1, validation_alias=AliasChoices("dwell_on", "dwell"))
    #: Consecutive samples a stop needs: 2 ignores a one-minute dip and lets the "treatment off" alarm come
    #: within 2 minutes of the first off minute (§7 item 3 [R]; ``docs/power.md`` "Detection delay").
    dwell_off: int = Field(2, ge=1)
    #: Learn the thresholds from the meter's own readings (Otsu on log power) when it has none.
    learn: bool = True
    #: The two populations must be this many pooled standard deviations apart on log power [ours].
    min_separation: float = Field(3.0, gt=0)
    #: The running level must be at least this many times the stopped level [ours].
    min_ratio: float = Field(5.0, gt=1)
    #: Each population must hold this share of the readings [ours].
    min_share: float = Field(0.02, gt=0, lt=0.5)
    #: Fallback on threshold as a share of rated power (§1.4: 10–20 % of the running level [R]); off is half.
    fallback_share: float = Field(0.15, gt=0, lt=1)
    #: Added to power before the logarithm. [kW]
    floor_kw: float = Field(0.01, gt=0)

    @property
    def dwell(self) -> int:
        """The start dwell under its former name."""
        return self.dwell_on


class MqttSettings(BaseModel):
    """The MQTT subscriber of the power devices (``docs/power.md`` "MQTT"); off while ``url`` is empty."""

    #: The broker, ``mqtt://host:port`` (``mqtts://`` for TLS); empty: no MQTT ingest.
    url: str = ""
    #: The platform's own client credentials at the broker (it reads every device's topic).
    username: str = "ecosentry-platform"
    password: str = ""
    #: Topics are ``<topic_prefix>/<device mn>/readings``.
    topic_prefix: str = "ecosentry/power"
    #: MQTT client id of the subscriber (a persistent session: the broker keeps QoS 1 messages while it is away).
    client_id: str = "ecosentry-power"
    #: Keep the session at the broker between connections (QoS 1 messages wait while the platform is away).
    persistent_session: bool = True
    #: Largest message accepted. [bytes]
    max_payload: int = Field(65_536, ge=256)
    #: Most meters × quantities in one message.
    max_readings: int = Field(2_000, ge=1)
    #: Wait before reconnecting after the broker went away. [s]
    reconnect_every: float = Field(5.0, gt=0)


class EngineSettings(BaseModel):
    """The live rules engine (:mod:`.engine.engine`, docs/power.md "Live engine")."""

    #: Seconds between passes over the enterprises that received readings (issue 15 item 4: alarm ≤ 2 min).
    every_seconds: float = Field(10.0, gt=0)
    #: Every enterprise is evaluated at least this often, readings or not (a logger gone silent). [s]
    sweep_seconds: float = Field(60.0, gt=0)
    #: Minutes of readings each evaluation reads (≥ the offline, CT and grace windows with room). [min]
    window_minutes: int = Field(180, ge=30)
    #: The window reaches back to the start of a finding still open, at most this far. [h]
    max_window_hours: float = Field(24.0, gt=0)
    #: Days of a meter's readings its threshold is learned from. [d]
    learn_days: float = Field(7.0, gt=0)
    #: An enterprise's registry and thresholds in force are read again after this many seconds. [s]
    registry_seconds: float = Field(60.0, ge=0)
    #: A pass reads only the readings received since the last; the whole window is read again after this. [min]
    reload_minutes: float = Field(30.0, gt=0)
    #: A learned threshold is learned again after this many hours. [h]
    relearn_hours: float = Field(24.0, gt=0)


class PowerSettings(BaseModel):
    thresholds: ThresholdSettings = ThresholdSettings()
    linkage: LinkageSettings = LinkageSettings()
    orders: OrderSettings = OrderSettings()
    #: Run the HJ 212 gateway of the power loggers (with the service's ``gateway`` part).
    hj212_enabled: bool = True
    #: Its port, at the core gateway's host; 0 picks a free port. Unset: the core gateway's port + 1 (9213 beside
    #: the default 9212), a free port when the core's is 0 (tests, embedded runs): two services whose core
    #: gateways do not collide do not collide here either.
    hj212_port: int | None = Field(None, ge=0, le=65535)
    mqtt: MqttSettings = MqttSettings()
    utility: UtilitySettings = UtilitySettings()
    #: Declared operating schedules (credit code → continuous | three_shift | night): a fallback for an
    #: enterprise without a ``power_enterprises`` row (the registry's ``schedule``, which wins; power.rules.utility).
    schedules: dict[str, str] = {}
    engine: EngineSettings = EngineSettings()
