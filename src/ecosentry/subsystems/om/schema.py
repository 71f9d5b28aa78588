"""The O&M subsystem's tables (:attr:`Subsystem.schema`), on the core's metadata; created by the revisions of its
own Alembic branch (``om/migrations``, branch ``om`` from the core's ``0010``).

* registry (fleet key ``om:``, :mod:`.store.registry`): ``om_organisations`` (third-party O&M organisations,
  their filing 备案 status and qualifications), ``om_contracts`` and ``om_contract_points`` (which organisation
  maintains which points of which enterprise, and when), ``om_staff`` (certificates, the signed commitment,
  the account they log in with), ``om_rooms`` and ``om_room_points`` (station rooms 站房: the points whose
  analysers they hold, the door controller and the hash of its secret), ``om_cameras`` (RTSP URL or
  GB/T 28181 id);
* work: ``om_work_orders`` (kind, point, state, the time of each transition, assignee, deadlines, photos as
  stored-file references, readings, checklist) and ``om_work_order_events`` (the audit of every transition);
* evidence: ``om_calibrations`` (zero/span checks with drift and result), ``om_door_events`` (door open/close
  of a station room), ``om_parameters`` (instrument parameters, registered against reported);
* photos taken on site (revision ``om_0002_photos``): ``om_work_order_photos`` (the order, the picture's sha256 in
  the core's picture store :mod:`ecosentry.store.pictures`, its type and size, who uploaded it and when).
"""

from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from ecosentry.store.schema import BigId, UTCDateTime, metadata

__all__ = ["om_organisations", "om_contracts", "om_contract_points", "om_staff", "om_rooms", "om_room_points",
           "om_cameras", "om_work_orders", "om_work_order_events", "om_calibrations", "om_door_events",
           "om_parameters", "om_parameter_reports", "om_findings", "om_camera_devices", "om_snapshots",
           "om_work_order_photos", "om_assessments", "om_station_health", "om_mark_checks"]

# --------------------------------------------------------------------------- registry
om_organisations = Table(
    "om_organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True, comment="the organisation's id in the fleet file"),
    Column("name", String(200), nullable=False),
    Column("credit_code", String(18), nullable=True, comment="unified social credit code"),
    Column("filing_status", String(12), nullable=False, server_default="filed",
           comment="备案 status: filed | pending | revoked | none"),
    Column("filed_on", Date, nullable=True),
    Column("qualifications", JSON, nullable=True, comment="list of {name, number, valid_to}"),
)

om_contracts = Table(
    "om_contracts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("om_organisations.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True, comment="NULL: open-ended"),
    UniqueConstraint("organisation_id", "code", name="uq_om_contracts_organisation_code"),
)

om_contract_points = Table(
    "om_contract_points",
    metadata,
    Column("contract_id", Integer, ForeignKey("om_contracts.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), primary_key=True),
)

om_staff = Table(
    "om_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organisation_id", Integer, ForeignKey("om_organisations.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(100), nullable=False),
    Column("username", String(100), nullable=True, comment="the account the engineer logs in with"),
    Column("certificates", JSON, nullable=True, comment="list of {name, number, valid_to}"),
    Column("commitment_signed_on", Date, nullable=True, comment="date the staff commitment (承诺书) was signed"),
    Column("active", Boolean, nullable=False, server_default="1"),
    UniqueConstraint("organisation_id", "code", name="uq_om_staff_organisation_code"),
)

om_rooms = Table(
    "om_rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True, comment="the station room's id in the fleet file"),
    Column("name", String(200), nullable=False),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True, index=True),
    Column("door_id", String(64), nullable=True, unique=True, comment="id of the door controller (it pushes events)"),
    Column("door_secret_hash", String(200), nullable=True, comment="Argon2id hash of the door controller's secret"),
)

om_room_points = Table(
    "om_room_points",
    metadata,
    Column("room_id", Integer, ForeignKey("om_rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), primary_key=True),
)

om_cameras = Table(
    "om_cameras",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("room_id", Integer, ForeignKey("om_rooms.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("rtsp_url", String(400), nullable=True),
    Column("gb28181_id", String(20), nullable=True, comment="GB/T 28181 device id (20 digits)"),
    Column("last_seen_at", UTCDateTime, nullable=True,
           comment="the camera's last answer (snapshot, heartbeat): networked for the coverage (om_0002)"),
    # the only copy of a camera's last contact since om_0002_camera_seen: the offline check reads it too
    UniqueConstraint("room_id", "code", name="uq_om_cameras_room_code"),
)

# --------------------------------------------------------------------------- work orders
om_work_orders = Table(
    "om_work_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False, index=True),
    Column("kind", String(24), nullable=False, comment="rules.workorders.KINDS"),
    Column("state", String(12), nullable=False, server_default="created"),
    Column("alarm_id", Integer, ForeignKey("alarms.id"), nullable=True, comment="the alarm the order answers"),
    Column("fault_start", UTCDateTime, nullable=True, comment="when the fault began (the alarm's first time)"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=True),
    Column("assignee", String(100), nullable=True),
    Column("assigned_at", UTCDateTime, nullable=True),
    Column("accepted_at", UTCDateTime, nullable=True),
    Column("on_site_at", UTCDateTime, nullable=True),
    Column("done_at", UTCDateTime, nullable=True),
    Column("reviewed_at", UTCDateTime, nullable=True),
    Column("rejected_at", UTCDateTime, nullable=True),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("deadline", UTCDateTime, nullable=True, comment="done by (restore within 5 working days; planned window)"),
    Column("report_deadline", UTCDateTime, nullable=True, comment="a fault reported by (12 h after it began)"),
    Column("photos", JSON, nullable=True, comment="stored-file references (ecosentry.store.files)"),
    Column("readings", JSON, nullable=True),
    Column("checklist", JSON, nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_om_work_orders_state_deadline", "state", "deadline"),
)

om_work_order_events = Table(
    "om_work_order_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", Integer, ForeignKey("om_work_orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=True),
    Column("action", String(12), nullable=False),
    Column("from_state", String(12), nullable=True),
    Column("to_state", String(12), nullable=False),
    Column("note", Text, nullable=True),
)

# --------------------------------------------------------------------------- evidence
om_calibrations = Table(
    "om_calibrations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("factor_code", String(16), nullable=False),
    Column("analyser", String(60), nullable=True, comment="the analyser's serial number or model"),
    Column("kind", String(8), nullable=False, comment="zero | span"),
    Column("at", UTCDateTime, nullable=False),
    Column("reading", Float, nullable=True),
    Column("reference", Float, nullable=True),
    Column("drift_pct", Float, nullable=True, comment="% of full scale"),
    Column("result", String(8), nullable=False, comment="pass | fail as recorded"),
    Column("verdict", String(8), nullable=False, comment="pass | fail by the drift rule (the stated result "
                                                         "when no drift is given)"),
    Column("source", String(12), nullable=False, server_default="api", comment="api | csv | logger"),
    Column("recorded_by", String(100), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    UniqueConstraint("point_id", "factor_code", "kind", "at", name="uq_om_calibrations_check"),
    Index("ix_om_calibrations_point_at", "point_id", "at"),
)

om_door_events = Table(
    "om_door_events",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("room_id", Integer, ForeignKey("om_rooms.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(8), nullable=False, comment="open | close"),
    Column("source", String(12), nullable=False, server_default="http", comment="http | hj212 | csv"),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("room_id", "at", "event", name="uq_om_door_events_room_at_event"),
)

om_parameters = Table(
    "om_parameters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("factor_code", String(16), nullable=False),
    Column("name", String(40), nullable=False, comment="range, slope, intercept, K, dilution ..."),
    Column("registered_value", Float, nullable=True),
    Column("reported_value", Float, nullable=True),
    Column("reported_at", UTCDateTime, nullable=True),
    Column("source", String(12), nullable=True, comment="hj212 (CN 3020) | csv"),
    UniqueConstraint("point_id", "factor_code", "name", name="uq_om_parameters_point_factor_name"),
)

# --------------------------------------------------------------------------- instruments, cameras (om_0002)
om_parameter_reports = Table(
    "om_parameter_reports",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("factor_code", String(16), nullable=False, comment="PolId of the report; * = the whole point"),
    Column("name", String(40), nullable=False, comment="the parameter (its name, or its HJ 212 info code)"),
    Column("value", Float, nullable=False),
    Column("at", UTCDateTime, nullable=False, comment="DataTime of the report (UTC)"),
    Column("source", String(12), nullable=False, server_default="hj212", comment="hj212 (CN 3020) | api"),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("point_id", "factor_code", "name", "at", name="uq_om_parameter_reports_key"),
)

om_findings = Table(
    "om_findings",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("code", String(32), nullable=False, comment="the rule's code (OM-PARAM-CHANGE-NO-ORDER ...)"),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=True),
    Column("subject", String(100), nullable=False, comment="what it is about: point:factor:parameter ..."),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=False),
    Column("msgid", Text, nullable=False, comment="the sentence (English msgid), said again in the reader's language"),
    Column("params", JSON, nullable=True),
    Column("evidence", JSON, nullable=True),
    Column("found_at", UTCDateTime, nullable=False),
    UniqueConstraint("code", "subject", "start", name="uq_om_findings_code_subject_start"),
    Index("ix_om_findings_point_start", "point_id", "start"),
)

om_camera_devices = Table(
    "om_camera_devices",
    metadata,
    Column("camera_id", Integer, ForeignKey("om_cameras.id", ondelete="CASCADE"), primary_key=True),
    Column("secret_hash", String(200), nullable=True, comment="Argon2id hash of the camera's (NVR's) push secret"),
)

om_snapshots = Table(
    "om_snapshots",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("camera_id", Integer, ForeignKey("om_cameras.id", ondelete="CASCADE"), nullable=False),
    Column("room_id", Integer, ForeignKey("om_rooms.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False, comment="when the camera took it"),
    Column("picture", String(64), nullable=False, comment="sha256 in the core picture store"),
    Column("content_type", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("door_event_id", BigId, ForeignKey("om_door_events.id"), nullable=True,
           comment="the door event it shows (nearest within the link window)"),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("camera_id", "at", name="uq_om_snapshots_camera_at"),
    Index("ix_om_snapshots_room_at", "room_id", "at"),
)

# --------------------------------------------------------------------------- photos taken on site (om_0002_photos)
om_work_order_photos = Table(
    "om_work_order_photos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("om_work_orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False, comment="the picture in the picture store (ecosentry.store.pictures)"),
    Column("content_type", String(16), nullable=False, comment="image/jpeg | image/png (from the bytes)"),
    Column("size", Integer, nullable=False, comment="bytes"),
    Column("filename", String(200), nullable=True, comment="the name the phone gave the file"),
    Column("state", String(12), nullable=False, comment="the order's state when the photo came (on_site, done)"),
    Column("uploaded_by", String(100), nullable=True),
    Column("uploaded_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "sha256", name="uq_om_work_order_photos_order_sha256"),
)


# --------------------------------------------------------------------------- monthly assessment (om_0002)
om_assessments = Table(
    "om_assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("month", String(7), nullable=False, comment="local month YYYY-MM"),
    Column("organisation_id", Integer, ForeignKey("om_organisations.id"), nullable=False),
    Column("rank", Integer, nullable=False, comment="1 = best score of the month"),
    Column("score", Float, nullable=False),
    Column("grade", String(4), nullable=False, comment="优 | 良 | 差"),
    Column("points", Integer, nullable=False, comment="points under contract in the month"),
    Column("expected", Integer, nullable=False, comment="expected hours (M) of the points' assessed factors"),
    Column("received", Integer, nullable=False),
    Column("valid", Integer, nullable=False),
    Column("detail", JSON, nullable=False, comment="the assessment: counts, components, weights, formula"),
    Column("computed_at", UTCDateTime, nullable=False),
    UniqueConstraint("month", "organisation_id", name="uq_om_assessments_month_organisation"),
)

om_station_health = Table(
    "om_station_health",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("month", String(7), nullable=False, comment="local month YYYY-MM"),
    Column("organisation_id", Integer, ForeignKey("om_organisations.id"), nullable=False),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("score", Float, nullable=False),
    Column("health", String(8), nullable=False, comment="green | yellow | red"),
    Column("critical", Integer, nullable=False, comment="critical findings of the month at the point"),
    Column("detail", JSON, nullable=False, comment="the station's assessment and its findings' codes"),
    Column("computed_at", UTCDateTime, nullable=False),
    UniqueConstraint("month", "organisation_id", "point_id", name="uq_om_station_health_month_org_point"),
    Index("ix_om_station_health_month_point", "month", "point_id"),
)


# --------------------------------------------------------------------------- marks judged once (om_0002_mark_checks)
om_mark_checks = Table(
    "om_mark_checks",
    metadata,
    Column("mark_id", Integer, ForeignKey("marks.id", ondelete="CASCADE"), primary_key=True,
           comment="the core's mark, judged once after its grace period (jobs.check_marks)"),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("supported", Boolean, nullable=False),
    Column("codes", String(80), nullable=True, comment="the findings' codes, comma-separated (none when supported)"),
    Column("judged_end", UTCDateTime, nullable=True,
           comment="the mark's end when it was judged (NULL: judged while still open)"),
)
