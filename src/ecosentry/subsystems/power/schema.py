"""The electricity subsystem's tables (:attr:`Subsystem.schema`), on the core's metadata; created by the
revisions of its own Alembic branch (``power/migrations``).

* registry: ``power_devices`` (the data loggers and MQTT devices that send, with their credentials),
  ``power_meters`` (a meter is a channel of a device: ``SB1`` of an HJ 212 power logger, or an MQTT meter id),
  ``power_lines``, ``power_equipment`` (production, treatment, total), ``power_linkage`` (which treatment serves
  which production equipment);
* ``power_thresholds``: every on/off threshold a meter has had, versioned (learned or set by a person, with
  who, when and why; the audit log has the change too);
* ``power_readings``: one value per meter, quantity and minute, as received (idempotent on the key);
* ``power_findings``: what the linkage, data and order rules found, with start, end, detected_at, the
  sentence's parameters and the evidence; an open finding has ``end_at`` NULL and an open alarm;
* heavy-pollution emergency measures: ``power_measures`` (the enterprise's emission-reduction list per alert
  level: stop this unit, limit that one to N % of its baseline, safety loads) and ``power_baselines`` (an
  enterprise's edited hourly baseline, per alert or standing).

The region's heavy-pollution alerts themselves are a platform concept (core table ``pollution_alerts``).
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, SmallInteger, String, Table, Text,
                        UniqueConstraint)

from ecosentry.store.schema import BigId, UTCDateTime, metadata

__all__ = ["power_devices", "power_meters", "power_lines", "power_equipment", "power_linkage", "power_thresholds",
           "power_readings", "power_findings", "power_measures", "power_baselines", "power_enterprises"]

# --------------------------------------------------------------------------- registry
power_devices = Table(
    "power_devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("mn", String(24), nullable=False, unique=True,
           comment="HJ 212 MN of a power logger, or the MQTT client id / user name of a device"),
    Column("password", String(64), nullable=True, comment="HJ 212 access password PW (power loggers)"),
    Column("mqtt_secret_hash", String(200), nullable=True,
           comment="hash of the device's MQTT password (the broker's password file is written from it)"),
    Column("transport", String(12), nullable=False, server_default="hj212", comment="hj212 | mqtt | csv"),
    Column("tz", String(40), nullable=False, server_default="Asia/Shanghai"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("last_seen_at", UTCDateTime, nullable=True),
)

power_meters = Table(
    "power_meters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False, comment="meter id in the registry (SB001 ...)"),
    Column("device_id", Integer, ForeignKey("power_devices.id"), nullable=True, index=True),
    Column("channel", String(16), nullable=True,
           comment="how the device names the meter in what it sends: HJ 212 'SB1', an MQTT meter id"),
    Column("meter_no", String(40), nullable=True, comment="the meter's serial number (表号)"),
    Column("ct_ratio", Float, nullable=False, server_default="1", comment="current-transformer ratio (200/5 = 40)"),
    Column("phases", SmallInteger, nullable=False, server_default="3"),
    Column("rated_kw", Float, nullable=True),
    UniqueConstraint("enterprise_id", "code", name="uq_power_meters_enterprise_code"),
    UniqueConstraint("device_id", "channel", name="uq_power_meters_device_channel"),
)

power_lines = Table(
    "power_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("enterprise_id", "code", name="uq_power_lines_enterprise_code"),
)

power_equipment = Table(
    "power_equipment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(12), nullable=False, comment="production | treatment | total"),
    Column("kind", String(24), nullable=True, comment="treatment kind (registry.TREATMENT_KINDS)"),
    Column("line_id", Integer, ForeignKey("power_lines.id"), nullable=True),
    Column("meter_id", Integer, ForeignKey("power_meters.id"), nullable=True, unique=True),
    Column("rated_kw", Float, nullable=True),
    Column("normal_kw", Float, nullable=True, comment="normal running load (load share denominator)"),
    Column("safety_load", Boolean, nullable=False, server_default="0",
           comment="保安用电: declared in advance, not named by stop orders"),
    UniqueConstraint("enterprise_id", "code", name="uq_power_equipment_enterprise_code"),
)

power_linkage = Table(
    "power_linkage",
    metadata,
    Column("treatment_id", Integer, ForeignKey("power_equipment.id"), primary_key=True),
    Column("production_id", Integer, ForeignKey("power_equipment.id"), primary_key=True),
    Column("grace_minutes", Integer, nullable=True, comment="NULL = the setting power.linkage.grace_minutes"),
)

power_thresholds = Table(
    "power_thresholds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("meter_id", Integer, ForeignKey("power_meters.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("on_kw", Float, nullable=False),
    Column("off_kw", Float, nullable=False),
    Column("dwell", SmallInteger, nullable=False, server_default="3", comment="samples a start must hold"),
    Column("dwell_off", SmallInteger, nullable=False, server_default="2", comment="samples a stop must hold"),
    Column("source", String(12), nullable=False, comment="learned | set | registry"),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("set_by", String(64), nullable=True),
    Column("set_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=True),
    Column("explanation", JSON, nullable=True, comment="what the learning saw (levels, separation, share on)"),
    UniqueConstraint("meter_id", "version", name="uq_power_thresholds_meter_version"),
)

# --------------------------------------------------------------------------- readings and findings
power_readings = Table(
    "power_readings",
    metadata,
    Column("meter_id", Integer, primary_key=True),
    Column("quantity", String(8), primary_key=True,
           comment="P kW | E kWh | I A | Ia Ib Ic A | U V | Ua Ub Uc V | PF | RS run state"),
    Column("at", UTCDateTime, primary_key=True, comment="the minute (UTC) the value is for"),
    Column("value", Float, nullable=True),
    Column("flag", String(4), nullable=True, comment="HJ 212 data flag as sent"),
    Column("received_at", UTCDateTime, nullable=False),
)
Index("ix_power_readings_at", power_readings.c.at)
Index("ix_power_readings_received_at", power_readings.c.received_at)  # the live engine's cursor

power_findings = Table(
    "power_findings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False, comment="rule code PWR-..."),
    Column("severity", String(10), nullable=False),
    Column("key", String(200), nullable=False, comment="the equipment codes (sorted, ',') the finding is about"),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=True, comment="NULL while the condition holds"),
    Column("detected_at", UTCDateTime, nullable=False),
    Column("params", JSON, nullable=True, comment="the sentence's parameters"),
    Column("evidence", JSON, nullable=True),
    Column("alert_id", Integer, nullable=True, comment="pollution_alerts.id of an order finding"),
    Column("alarm_id", Integer, nullable=True, comment="alarms.id raised for it"),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("enterprise_id", "code", "key", "start_at", name="uq_power_findings_span"),
)

# --------------------------------------------------------------------------- heavy-pollution emergency measures
power_measures = Table(
    "power_measures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("level", String(8), nullable=False, comment="alert level the measure applies from: yellow | orange | red"),
    Column("equipment_id", Integer, ForeignKey("power_equipment.id"), nullable=False),
    Column("measure", String(8), nullable=False, comment="stop | limit"),
    Column("limit_pct", Float, nullable=True, comment="share of the baseline a limit allows [%]"),
    Column("note", Text, nullable=True),
    Column("updated_by", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=True),
    UniqueConstraint("enterprise_id", "level", "equipment_id", name="uq_power_measures_level_equipment"),
)

power_baselines = Table(
    "power_baselines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("alert_id", Integer, nullable=True, comment="pollution_alerts.id; NULL = the standing baseline"),
    Column("hours_kwh", JSON, nullable=False, comment="24 hourly values of production energy [kWh]"),
    Column("edited_by", String(64), nullable=True),
    Column("edited_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=True),
    UniqueConstraint("enterprise_id", "alert_id", name="uq_power_baselines_enterprise_alert"),
)

# --------------------------------------------------------------------------- enterprise-level power settings
power_enterprises = Table(
    "power_enterprises",
    metadata,
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True, autoincrement=False),
    Column("unmetered_kw", Float, nullable=False, server_default="0",
           comment="load the total meter sees and no sub-meter does (lighting, offices) [kW]"),
    Column("schedule", String(12), nullable=False, server_default="day",
           comment="declared operating schedule: day | continuous | three_shift | night"),
    Column("updated_by", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=True),
)
