"""The park subsystem's tables (:attr:`Subsystem.schema`), on the core's metadata; created by its own Alembic
branch (``park/migrations``, ``park_0001``). The park itself is the core's ``parks`` row (code, name, region);
the committee's accounts are users of role ``park`` with its ``park_code``.

* registry: ``park_sites`` (the park's origin of the local metric frame, boundary polygon, time zone),
  ``park_sources`` (an enterprise's source of hazardous substances: position, release height, substances),
  ``park_stations`` (boundary / edge / receptor monitoring stations and met stations: position, factors, the
  HJ 212 MN and password they send with), ``park_receptors`` (schools, villages);
* ``park_readings``: one pollutant value per station, factor and time, **as received** (raw is immutable: a
  re-sent value changes nothing); ``park_met_readings``: the met stations' quantities, the same way;
* ``park_warning_states``: the current warning level per station and pollutant and how far the readings were
  evaluated; ``park_warning_events``: every raised / escalated / de-escalated / cleared transition with level,
  value, threshold, background, the alarm raised, and on a raise the incident (plume zones and traceback
  ranking, JSON).

Positions are metres east (``x``) and north (``y``) of the park's origin.
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, SmallInteger, String,
                        Table, UniqueConstraint)

from ecosentry.store.schema import BigId, UTCDateTime, metadata

__all__ = ["park_sites", "park_sources", "park_stations", "park_receptors", "park_readings", "park_met_readings",
           "park_warning_states", "park_warning_events", "TIERS"]

#: Station tiers: enterprise boundary (厂界), park edge (园区边界), sensitive receptor (敏感点), met station.
TIERS = ("boundary", "edge", "receptor", "met")

park_sites = Table(
    "park_sites",
    metadata,
    Column("park_code", String(20), ForeignKey("parks.code"), primary_key=True),
    Column("origin_lon", Float, nullable=True, comment="longitude of the local frame's origin [°]"),
    Column("origin_lat", Float, nullable=True, comment="latitude of the local frame's origin [°]"),
    Column("boundary", JSON, nullable=True, comment="boundary polygon [[x, y], ...] in metres east/north of the origin"),
    Column("tz", String(40), nullable=False, server_default="Asia/Shanghai"),
    Column("notify_radius_m", Float, nullable=True,
           comment="enterprises with a source this close to a warning station are told; NULL = the setting"),
)

park_sources = Table(
    "park_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("park_code", String(20), ForeignKey("parks.code"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("name", String(200), nullable=True),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("height", Float, nullable=False, server_default="0", comment="release height [m]"),
    Column("substances", JSON, nullable=False, comment="substance codes it holds (Cl2, NH3 ...)"),
    UniqueConstraint("park_code", "code", name="uq_park_sources_park_code"),
)

park_stations = Table(
    "park_stations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("park_code", String(20), ForeignKey("parks.code"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=True),
    Column("tier", String(10), nullable=False, comment="boundary | edge | receptor | met"),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True,
           comment="the enterprise of a boundary station"),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("height", Float, nullable=False, server_default="3", comment="inlet height [m]"),
    Column("factors", JSON, nullable=False, comment="factor codes its instruments read"),
    Column("instruments", JSON, nullable=True, comment="instrument descriptions (model, principle, range)"),
    Column("mn", String(24), nullable=False, unique=True, comment="HJ 212 MN, or the MQTT device id"),
    Column("password", String(64), nullable=True, comment="HJ 212 access password PW"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("last_seen_at", UTCDateTime, nullable=True),
    UniqueConstraint("park_code", "code", name="uq_park_stations_park_code"),
)

park_receptors = Table(
    "park_receptors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("park_code", String(20), ForeignKey("parks.code"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, comment="school | village | hospital | residential | other"),
    Column("x", Float, nullable=False),
    Column("y", Float, nullable=False),
    Column("population", Integer, nullable=True),
    UniqueConstraint("park_code", "code", name="uq_park_receptors_park_code"),
)

park_readings = Table(
    "park_readings",
    metadata,
    Column("station_id", Integer, primary_key=True),
    Column("factor", String(12), primary_key=True, comment="substance code (Cl2 ...)"),
    Column("at", UTCDateTime, primary_key=True),
    Column("value", Float, nullable=False, comment="[mg/m³] as received"),
    Column("flag", String(4), nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
)
Index("ix_park_readings_received_at", park_readings.c.received_at)  # the warning job's cursor

park_met_readings = Table(
    "park_met_readings",
    metadata,
    Column("station_id", Integer, primary_key=True),
    Column("quantity", String(12), primary_key=True, comment="wind_speed | wind_dir | temperature | stability ..."),
    Column("at", UTCDateTime, primary_key=True),
    Column("value", Float, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

park_warning_states = Table(
    "park_warning_states",
    metadata,
    Column("station_id", Integer, ForeignKey("park_stations.id"), primary_key=True),
    Column("factor", String(12), primary_key=True),
    Column("level", SmallInteger, nullable=False, server_default="0", comment="0 none, 1 attention, 2-4 level I-III"),
    Column("since", UTCDateTime, nullable=True),
    Column("evaluated_to", UTCDateTime, nullable=True, comment="the last reading time evaluated"),
    Column("alarm_id", Integer, nullable=True),
)

park_warning_events = Table(
    "park_warning_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("station_id", Integer, ForeignKey("park_stations.id"), nullable=False, index=True),
    Column("factor", String(12), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("transition", String(14), nullable=False, comment="raised | escalated | de-escalated | cleared"),
    Column("level", SmallInteger, nullable=False),
    Column("previous", SmallInteger, nullable=False),
    Column("value", Float, nullable=False),
    Column("threshold", Float, nullable=True),
    Column("background", Float, nullable=True),
    Column("code", String(20), nullable=False),
    Column("sentence", JSON, nullable=False, comment="msgid and parameters"),
    Column("alarm_id", Integer, nullable=True),
    Column("incident", JSON, nullable=True, comment="plume zones and traceback ranking computed on a raise"),
    Column("detected_at", UTCDateTime, nullable=False),
    UniqueConstraint("station_id", "factor", "at", "transition", name="uq_park_warning_events_at"),
)
