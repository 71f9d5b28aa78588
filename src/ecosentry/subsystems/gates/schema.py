"""The gates subsystem's tables (:attr:`Subsystem.schema`), on the core's metadata; created by the revisions of
its own Alembic branch (``gates/migrations``, branch ``gates``).

* registry (issue 16 item 1, ``shared/reference/subsystems.md`` §3.2–3.3): ``gates_enterprises`` (the
  enterprise's performance grade and its small-volume exemption), ``gates_gates`` (entrances and exits, barrier
  fitted), ``gates_loading_places`` (loading/unloading places), ``gates_cameras`` (a camera of a gate or a
  loading place, with its registered reference view), ``gates_devices`` (what pushes plate events for a gate,
  with the hash of its token), ``gates_vehicles`` (the enterprise's vehicle register, the 2020 guide's tables 3
  and 4) and ``gates_machinery`` (non-road mobile machinery, table 5);
* ``gates_pictures``: every stored picture (plate capture, 随车清单, 行驶证, nameplate) by its sha256, with its
  type, size and when it was first stored (the retention job's list);
* ``gates_passages``: the plate-recognition events as received (immutable; unique on the spool record, so a
  replay changes nothing);
* ``gates_decisions``: the gate decision at each passage with its reason, and the guard's overrides (a row each,
  never an update);
* ``gates_ledger``: the electronic ledger (2020 guide table 3): one row per passage, CSV row or guard's entry,
  joined to the register (stage looked up or flagged unknown), with cargo, weight, transport company and purpose;
  an exit row names the entry row it pairs with;
* ``gates_heartbeats``: the gate devices' signs of life;
* ``gates_upload_outbox`` (a row per ledger row to send to the upper platform, filled in the ledger row's own
  transaction) and ``gates_upload_log`` (every attempt: status, latency, error); revision ``gates_0002_upload``;
* ``gates_holds``: legal holds a regulator places on an enterprise's records of a period (an inspection or case
  under way): the retention job deletes none of them until the hold is released; revision ``gates_0002_holds``.
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from ecosentry.store.schema import BigId, UTCDateTime, metadata

__all__ = ["gates_enterprises", "gates_gates", "gates_loading_places", "gates_cameras", "gates_devices",
           "gates_vehicles", "gates_machinery", "gates_pictures", "gates_passages", "gates_decisions",
           "gates_ledger", "gates_heartbeats", "gates_upload_outbox", "gates_upload_log", "gates_snapshots",
           "gates_findings", "gates_check_state", "gates_holds", "PURPOSES", "SOURCES"]

#: Why a vehicle passes (issue 16 item 3: maintenance, testing and commissioning vehicles are counted too).
PURPOSES = ("transport", "in_plant", "maintenance", "testing", "commissioning", "other")
#: Where a ledger row came from.
SOURCES = ("camera", "csv", "manual")

# --------------------------------------------------------------------------- registry
gates_enterprises = Table(
    "gates_enterprises",
    metadata,
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True),
    Column("grade", String(8), nullable=False, comment="performance grade: leading | A | B | B- | C | D (绩效分级)"),
    Column("small_volume_exempt", Boolean, nullable=False, server_default="0",
           comment="claims the small-volume exemption (≤ 10 vehicles a day)"),
    Column("tz", String(40), nullable=False, server_default="Asia/Shanghai"),
)

gates_gates = Table(
    "gates_gates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("barrier", Boolean, nullable=False, server_default="0", comment="a barrier (道闸) is fitted"),
    Column("side", Boolean, nullable=False, server_default="0", comment="a side gate (not the main entrance)"),
    UniqueConstraint("enterprise_id", "code", name="uq_gates_gates_enterprise_code"),
)

gates_loading_places = Table(
    "gates_loading_places",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("enterprise_id", "code", name="uq_gates_loading_places_enterprise_code"),
)

gates_cameras = Table(
    "gates_cameras",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("kind", String(12), nullable=False, comment="plate | video (plate recognition or surveillance)"),
    Column("gate_id", Integer, ForeignKey("gates_gates.id"), nullable=True, index=True),
    Column("loading_place_id", Integer, ForeignKey("gates_loading_places.id"), nullable=True, index=True),
    Column("reference_picture", String(64), nullable=True, comment="sha256 of the registered reference view"),
    UniqueConstraint("enterprise_id", "code", name="uq_gates_cameras_enterprise_code"),
)

gates_devices = Table(
    "gates_devices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True, comment="the device's name in the push"),
    Column("gate_id", Integer, ForeignKey("gates_gates.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True,
           comment="sha256 of the device's bearer token (the token itself is never kept)"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("last_seen_at", UTCDateTime, nullable=True),
)

gates_vehicles = Table(
    "gates_vehicles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("plate", String(16), nullable=False, comment="plate, or the in-plant registration / internal number"),
    Column("plate_colour", String(16), nullable=True, comment="blue | yellow | green | yellow_green | white | black"),
    Column("vin", String(17), nullable=True),
    Column("engine_no", String(32), nullable=True),
    Column("vehicle_type", String(40), nullable=True),
    Column("fuel", String(16), nullable=True),
    Column("emission_stage", String(1), nullable=True, comment="0–6, d electric (2020 guide table 3)"),
    Column("registration_date", String(10), nullable=True, comment="YYYY-MM-DD"),
    Column("owner", String(100), nullable=True, comment="owner or transport company (车队名称)"),
    Column("in_plant", Boolean, nullable=False, server_default="0", comment="an in-plant vehicle (table 4)"),
    Column("list_picture", String(64), nullable=True, comment="sha256 of the 随车清单 picture"),
    Column("licence_picture", String(64), nullable=True, comment="sha256 of the 行驶证 picture"),
    UniqueConstraint("enterprise_id", "plate", name="uq_gates_vehicles_enterprise_plate"),
)

gates_machinery = Table(
    "gates_machinery",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("registration_code", String(32), nullable=False, comment="environmental registration code (登记编码)"),
    Column("production_date", String(10), nullable=True, comment="YYYY-MM-DD"),
    Column("emission_stage", String(1), nullable=True, comment="0–6, d electric, x no stage (table 5)"),
    Column("machine_code", String(64), nullable=True),
    Column("engine_no", String(32), nullable=True),
    Column("machine_type", String(40), nullable=True),
    Column("fuel", String(16), nullable=True),
    Column("nameplate_picture", String(64), nullable=True, comment="sha256 of the engine nameplate picture"),
    Column("label_picture", String(64), nullable=True, comment="sha256 of the environmental label picture"),
    UniqueConstraint("enterprise_id", "registration_code", name="uq_gates_machinery_enterprise_code"),
)

gates_pictures = Table(
    "gates_pictures",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(16), nullable=False, comment="image/jpeg | image/png"),
    Column("size", Integer, nullable=False, comment="bytes"),
    Column("stored_at", UTCDateTime, nullable=False),
)

# --------------------------------------------------------------------------- events
gates_passages = Table(
    "gates_passages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("spool", String(32), nullable=False),
    Column("spool_seq", BigId, nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("gate_id", Integer, ForeignKey("gates_gates.id"), nullable=False),
    Column("device_id", Integer, ForeignKey("gates_devices.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False, comment="when the camera read the plate"),
    Column("received_at", UTCDateTime, nullable=False),
    Column("inbound", Boolean, nullable=False, comment="True entry, False exit"),
    Column("plate", String(16), nullable=False, comment="normalised plate; empty when none was read"),
    Column("plate_colour", String(16), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("picture", String(64), nullable=True, comment="sha256 of the capture"),
    Column("peer", String(64), nullable=True),
    UniqueConstraint("spool", "spool_seq", name="uq_gates_passages_spool_seq"),
)
Index("ix_gates_passages_enterprise_at", gates_passages.c.enterprise_id, gates_passages.c.at)
Index("ix_gates_passages_plate_at", gates_passages.c.enterprise_id, gates_passages.c.plate, gates_passages.c.at)

gates_decisions = Table(
    "gates_decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("passage_id", BigId, ForeignKey("gates_passages.id"), nullable=False, index=True),
    Column("kind", String(8), nullable=False, comment="rule (at the passage) | override (the guard's)"),
    Column("allowed", Boolean, nullable=True, comment="NULL: the guard must complete the record"),
    Column("reason", String(24), nullable=False, comment="the decision's reason code (rules/decision.py)"),
    Column("stage", String(1), nullable=True),
    Column("level", String(8), nullable=True, comment="the alert level in force, NULL none"),
    Column("grade", String(8), nullable=True),
    Column("params", JSON, nullable=True, comment="the sentence's parameters"),
    Column("operator", String(64), nullable=True),
    Column("note", String(500), nullable=True, comment="the override's reason"),
    Column("decided_at", UTCDateTime, nullable=False),
)
Index("uq_gates_decisions_rule", gates_decisions.c.passage_id, unique=True,
      sqlite_where=gates_decisions.c.kind == "rule", postgresql_where=gates_decisions.c.kind == "rule")

gates_ledger = Table(
    "gates_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("source", String(8), nullable=False, comment="camera | csv | manual"),
    Column("passage_id", BigId, ForeignKey("gates_passages.id"), nullable=True, unique=True),
    Column("at", UTCDateTime, nullable=False, comment="进出厂时间"),
    Column("inbound", Boolean, nullable=False),
    Column("plate", String(16), nullable=False),
    Column("plate_colour", String(16), nullable=True),
    Column("vehicle_id", Integer, ForeignKey("gates_vehicles.id"), nullable=True, comment="NULL: not registered"),
    Column("vin", String(17), nullable=True),
    Column("engine_no", String(32), nullable=True),
    Column("emission_stage", String(1), nullable=True),
    Column("stage_unknown", Boolean, nullable=False, server_default="0",
           comment="no stage from the register: the guard must complete it"),
    Column("fuel", String(16), nullable=True),
    Column("cargo", String(32), nullable=True, comment="运输货物名称"),
    Column("weight_t", Float, nullable=True, comment="运输量 [t], number(4,1)"),
    Column("transport_company", String(100), nullable=True, comment="车队名称"),
    Column("purpose", String(16), nullable=False, server_default="transport",
           comment="transport | in_plant | maintenance | testing | commissioning | other"),
    Column("pairs_with", BigId, ForeignKey("gates_ledger.id"), nullable=True,
           comment="an exit: the entry row it pairs with"),
    Column("entered_by", String(64), nullable=True),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("source_key", String(200), nullable=True,
           comment="what makes a CSV or manual row unique (re-import changes nothing)"),
    UniqueConstraint("enterprise_id", "source_key", name="uq_gates_ledger_source_key"),
)
Index("ix_gates_ledger_enterprise_at", gates_ledger.c.enterprise_id, gates_ledger.c.at)
Index("ix_gates_ledger_plate_at", gates_ledger.c.enterprise_id, gates_ledger.c.plate, gates_ledger.c.at)

gates_heartbeats = Table(
    "gates_heartbeats",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("device_id", Integer, ForeignKey("gates_devices.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="ok", comment="ok | power_cut | camera_fault"),
    Column("detail", Text, nullable=True),
)
Index("uq_gates_heartbeats_device_at", gates_heartbeats.c.device_id, gates_heartbeats.c.at, unique=True)

# --------------------------------------------------------------------------- upload to the upper platform
gates_upload_outbox = Table(
    "gates_upload_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("ledger_id", BigId, ForeignKey("gates_ledger.id"), nullable=False, unique=True,
           comment="the ledger row to send; its id is the delivery id (the receiver's deduplication key)"),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False, comment="the ledger row's time (timeliness is measured from it)"),
    Column("queued_at", UTCDateTime, nullable=False, comment="when the ledger row was stored"),
    Column("state", String(8), nullable=False, server_default="pending",
           comment="pending | sent | failed | retry | dead (rules/upload.py)"),
    Column("attempts", Integer, nullable=False, server_default="0", comment="failed attempts"),
    Column("due_at", UTCDateTime, nullable=True, comment="next attempt not before"),
    Column("last_error", String(500), nullable=True),
    Column("sent_at", UTCDateTime, nullable=True, comment="acknowledged by the platform"),
    Column("delay_s", Float, nullable=True, comment="from the row's time to the acknowledgement [s]"),
    Column("late", Boolean, nullable=True, comment="acknowledged later than gates.upload.late_after_s (VEH-UPLOAD-LATE)"),
)
Index("ix_gates_upload_outbox_state_due", gates_upload_outbox.c.state, gates_upload_outbox.c.due_at)
Index("ix_gates_upload_outbox_enterprise", gates_upload_outbox.c.enterprise_id, gates_upload_outbox.c.state)

gates_upload_log = Table(
    "gates_upload_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("outbox_id", BigId, ForeignKey("gates_upload_outbox.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False, comment="1 for the first attempt of the delivery"),
    Column("at", UTCDateTime, nullable=False, comment="when the attempt started"),
    Column("ok", Boolean, nullable=False, comment="acknowledged"),
    Column("http_status", Integer, nullable=True, comment="NULL: no answer (refused, timed out) or not sent"),
    Column("latency_ms", Float, nullable=True, comment="request to answer"),
    Column("error", String(500), nullable=True),
)

# the retention job's look-ups (revision gates_0002_upload): is a picture still named, is an entry still paired
Index("ix_gates_passages_picture", gates_passages.c.picture)
Index("ix_gates_ledger_pairs_with", gates_ledger.c.pairs_with)

# --------------------------------------------------------------------------- the checks over the stored tables
gates_snapshots = Table(
    "gates_snapshots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("camera_id", Integer, ForeignKey("gates_cameras.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False, comment="when the camera took the snapshot"),
    Column("picture", String(64), nullable=False, comment="sha256 of the snapshot (gates_pictures)"),
    Column("received_at", UTCDateTime, nullable=False),
    Column("similarity", Float, nullable=True, comment="against the reference view when checked; NULL unchecked"),
    Column("blank", Boolean, nullable=True, comment="covered or black when checked"),
)
Index("uq_gates_snapshots_camera_at", gates_snapshots.c.camera_id, gates_snapshots.c.at, unique=True)

gates_findings = Table(
    "gates_findings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("code", String(32), nullable=False, comment="the rule's code (VEH-…)"),
    Column("severity", String(8), nullable=False),
    Column("subject", String(64), nullable=False, server_default="",
           comment="what the finding is about: the plate, the camera, else empty (part of the key)"),
    Column("plate", String(16), nullable=False, server_default=""),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    Column("detected_at", UTCDateTime, nullable=False),
    Column("msgid", Text, nullable=False, comment="the sentence (catalogue msgid) …"),
    Column("params", JSON, nullable=True, comment="… and its parameters"),
    Column("evidence", JSON, nullable=True),
    Column("open", Boolean, nullable=False, server_default="0",
           comment="a camera still silent or turned at the last pass"),
    Column("alarm_id", BigId, nullable=True, comment="the core alarm it raised or counted in"),
    Column("found_at", UTCDateTime, nullable=False, comment="when the job first stored it"),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("enterprise_id", "code", "subject", "start", name="uq_gates_findings_key"),
)
Index("ix_gates_findings_enterprise_start", gates_findings.c.enterprise_id, gates_findings.c.start)

gates_check_state = Table(
    "gates_check_state",
    metadata,
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True),
    Column("passage_id", BigId, nullable=False, server_default="0", comment="the last passage the checks read"),
    Column("ledger_id", BigId, nullable=False, server_default="0", comment="the last ledger row the checks read"),
    Column("checked_to", UTCDateTime, nullable=True, comment="data up to here were settled at the last pass"),
    Column("checked_at", UTCDateTime, nullable=True, comment="the last pass"),
)

gates_holds = Table(
    "gates_holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("start", UTCDateTime, nullable=False, comment="the first record time held"),
    Column("end", UTCDateTime, nullable=False, comment="the last record time held (inclusive)"),
    Column("reason", Text, nullable=False, comment="the inspection or case it is held for"),
    Column("case_ref", String(64), nullable=True, comment="the case's or inspection's reference (文书号), if any"),
    Column("placed_by", String(64), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("released_by", String(64), nullable=True),
    Column("released_at", UTCDateTime, nullable=True, comment="NULL: the hold stands"),
    Column("release_reason", Text, nullable=True),
)
Index("ix_gates_holds_enterprise", gates_holds.c.enterprise_id, gates_holds.c.released_at)
