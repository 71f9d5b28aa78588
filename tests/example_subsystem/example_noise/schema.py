"""The subsystem's table, on the shared metadata (:mod:`ecosentry.store.schema`); ``migrations/`` creates it."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, String, Table, UniqueConstraint

from ecosentry.store.schema import BigId, UTCDateTime, metadata

noise_readings = Table(
    "noise_readings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("meter", String(24), nullable=False, comment="the sound level meter at the boundary (its serial)"),
    Column("measured_at", UTCDateTime, nullable=False, comment="start of the measurement interval"),
    Column("laeq_db", Float, nullable=False, comment="A-weighted equivalent continuous level LAeq [dB(A)]"),
    Column("period", String(8), nullable=False, comment="day | night (GB 3096-2008 §3.4-3.5)"),
    Column("limit_db", Float, nullable=False, comment="GB 12348-2008 Table 1 limit when stored [dB(A)]"),
    Column("exceeds", Boolean, nullable=False, comment="NOISE-BOUNDARY-LAEQ"),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("meter", "measured_at", name="uq_noise_readings_meter"),
)
