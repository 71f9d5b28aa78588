"""The monitoring subsystem's own tables (:attr:`Subsystem.schema`), on the core's metadata: mark evidence and
manual values, revisions of derived values, forwarding to upper platforms, and the Vietnamese station files.

They were created by the core's revisions 0001–0008, before subsystems had migration branches of their own; a new
table of the subsystem comes with a revision in its own branch.
"""

from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, Float, ForeignKey, Index, Integer, LargeBinary, String,
                        Table, Text, UniqueConstraint)

from ecosentry.store.schema import BigId, UTCDateTime, metadata

# --------------------------------------------------------------------------- marks and derived values
mark_evidence = Table(
    "mark_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mark_id", Integer, ForeignKey("marks.id"), nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=True),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=True),
    Column("uploaded_at", UTCDateTime, nullable=False),
)

mark_manual_values = Table(
    "mark_manual_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mark_id", Integer, ForeignKey("marks.id"), nullable=False, index=True),
    Column("factor_code", String(16), nullable=False),
    Column("sampled_at", UTCDateTime, nullable=False),
    Column("value", Float, nullable=False),
    Column("zs_value", Float, nullable=True),
    Column("unit", String(20), nullable=True),
    Column("method", String(100), nullable=True),
    Column("instrument", String(100), nullable=True),
    Column("monitor_type", Integer, nullable=True, comment="1 self-monitoring, 2 enforcement monitoring"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("point_id", Integer, primary_key=True),
    Column("factor_code", String(16), primary_key=True),
    Column("period_start", UTCDateTime, primary_key=True, comment="the hour revised (UTC)"),
    Column("field", String(16), primary_key=True, comment="cou (hourly emission/load) | value"),
    Column("original", Float, nullable=True),
    Column("substitute", Float, nullable=True),
    Column("rule_code", String(40), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("computed_at", UTCDateTime, nullable=False),
)


# --------------------------------------------------------------------------- forwarding (ecosentry.subsystems.monitoring.forward)
# Upper-level forwarding (issue 7 item 4): a provincial DONRE passes station files on to MONRE by FTP in the
# same format (Circular 10/2021 Art. 39; reference notes §7.2), and a Chinese platform relays HJ 212-2017
# frames to an upper platform under its own MN/PW. Store-and-forward: raw frames are copied into a queue
# (idempotent per target), drained in order with retries, and every attempt is logged.
forward_targets = Table(
    "forward_targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(8), nullable=False, comment="vn-ftp | hj212"),
    Column("host", String(200), nullable=False),
    Column("port", Integer, nullable=False),
    Column("username", String(100), nullable=True, comment="FTP user (vn-ftp)"),
    Column("password", String(200), nullable=True,
           comment="FTP password (vn-ftp); default upper-platform PW (hj212; NULL = keep the logger's)"),
    Column("remote_path", String(300), nullable=True, comment="remote folder for the files (vn-ftp)"),
    Column("mn_map", JSON, nullable=True,
           comment='hj212: {"<local MN>": {"mn": "<upper MN>", "pw": "<upper PW>"}}; unmapped MNs are kept'),
    Column("pass_through", Boolean, nullable=False, server_default="0",
           comment="hj212: send the frames byte for byte (no MN/PW re-encoding)"),
    Column("ack_mode", String(8), nullable=False, server_default="as_sent",
           comment="hj212: as_sent (wait for 9014 when Flag asks) | always (set the A bit) | never"),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=True,
           comment="forward the points of this region subtree"),
    Column("point_ids", JSON, nullable=True, comment="forward these points (list of points.id)"),
    Column("cns", String(200), nullable=True, comment="hj212: comma-separated CNs; NULL = the data uploads"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("raw_cursor", BigInteger, nullable=False, server_default="0",
           comment="raw_frames.id up to which the feeder has looked"),
    Column("created_at", UTCDateTime, nullable=False),
)

forward_queue = Table(
    "forward_queue",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("target_id", Integer, ForeignKey("forward_targets.id"), nullable=False),
    Column("source", String(12), nullable=False, comment="raw_frame | file"),
    Column("source_id", BigInteger, nullable=True, comment="raw_frames.id"),
    Column("point_id", Integer, nullable=True),
    Column("mn", String(24), nullable=True, comment="local MN / VN station key"),
    Column("name", String(200), nullable=True, comment="station file name (vn-ftp)"),
    Column("idem_key", String(200), nullable=False, comment="idempotency key: one delivery per target"),
    Column("payload", LargeBinary, nullable=False, comment="bytes as received (file or frame)"),
    Column("enqueued_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending",
           comment="pending | delivered | failed"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("target_id", "idem_key", name="uq_forward_queue_target_key"),
)

Index("ix_forward_queue_target_status_id", forward_queue.c.target_id, forward_queue.c.status, forward_queue.c.id)

forward_deliveries = Table(
    "forward_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("item_id", BigInteger, ForeignKey("forward_queue.id"), nullable=False, index=True),
    Column("target_id", Integer, nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=True, comment="what the receiver answered, or the error"),
)

# --------------------------------------------------------------------------- Vietnamese station files (the vn-file sink, vn/)
# Circular 10/2021/TT-BTNMT Art. 39 file transmission (issue 7 item 2; subsystems.md §7 req. 31–34): one log row per
# file received (FTP or folder), whatever became of it, and the per-station mapping of free-text parameter names and
# units to canonical factors. Store access: ecosentry.subsystems.monitoring.store.vn; migration 0005.

vn_files = Table(
    "vn_files",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("station", String(64), nullable=False, comment="station key Province_Facility_Station (= points.mn)"),
    Column("point_id", Integer, nullable=True, comment="NULL when the station is not registered"),
    Column("file_name", String(200), nullable=False),
    Column("file_time", UTCDateTime, nullable=True, comment="time in the file name (station local time), in UTC"),
    Column("received_at", UTCDateTime, nullable=False),
    Column("delay_s", Float, nullable=True, comment="received_at − file_time [s]"),
    Column("late", Boolean, nullable=False, server_default="0", comment="delay > the 5-minute rule (Art. 39)"),
    Column("backfill", Boolean, nullable=False, server_default="0", comment="sent from the logger's buffer"),
    Column("status", String(12), nullable=False, comment="accepted | duplicate | rejected | quarantined"),
    Column("reason", String(40), nullable=True, comment="why not accepted (too_old, conflict, bad_line ...)"),
    Column("detail", Text, nullable=True),
    Column("line", Integer, nullable=True, comment="line of the error, if any"),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("n_lines", Integer, nullable=True),
    Column("n_readings", Integer, nullable=True),
    Column("unmapped", JSON, nullable=True, comment="lines not turned into readings: parameter, unit, reason"),
    Column("transport", String(16), nullable=False, comment="ftp | vn-folder"),
    Column("peer", String(64), nullable=True),
    Column("spool", String(16), nullable=True, comment="raw_frames.spool of the archived bytes"),
    Column("spool_seq", BigInteger, nullable=True, comment="raw_frames.spool_seq of the archived bytes"),
)

Index("ix_vn_files_station_name", vn_files.c.station, vn_files.c.file_name)
Index("ix_vn_files_point_time", vn_files.c.point_id, vn_files.c.file_time)

vn_parameter_map = Table(
    "vn_parameter_map",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False, index=True),
    Column("raw_name", String(100), nullable=False, comment="parameter name as the station writes it"),
    Column("raw_unit", String(20), nullable=False, server_default="", comment="unit as written; '' = any unit"),
    Column("name_key", String(100), nullable=False, comment="raw_name normalised (case, spaces, diacritics)"),
    Column("unit_key", String(20), nullable=False, server_default="", comment="raw_unit normalised"),
    Column("factor_code", String(12), ForeignKey("factors.code"), nullable=True,
           comment="NULL with conversion 'ignore': the line is deliberately not a factor"),
    Column("scale", Float, nullable=False, server_default="1", comment="canonical = raw × scale + offset"),
    Column("offset", Float, nullable=False, server_default="0"),
    Column("conversion", String(16), nullable=True,
           comment="gauge | gauge_auto | normal | ignore (vn/mapping.py CONVERSIONS); NULL = scale/offset only"),
    Column("note", String(200), nullable=True, comment="how scale/offset were obtained (shown on the page)"),
    Column("changed_at", UTCDateTime, nullable=True, comment="last edit; the sink reloads the mapping when it moves"),
    Column("changed_by", String(64), nullable=True),
    UniqueConstraint("point_id", "name_key", "unit_key", name="uq_vn_parameter_map_point_name_unit"),
)

# Parameter names and units that did not become a factor, per station: counted by the vn-file sink in the
# transaction that logs the file (issue 14 item 3), so the mapping page reads one row per (station, name, unit)
# instead of the JSON of every file. Migration monitoring_0003_vn_mapping.
vn_unmapped = Table(
    "vn_unmapped",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("name_key", String(100), nullable=False),
    Column("unit_key", String(20), nullable=False, server_default=""),
    Column("raw_name", String(100), nullable=False, comment="the name as last written"),
    Column("raw_unit", String(20), nullable=False, server_default=""),
    Column("reason", String(20), nullable=False, comment="unknown_parameter | unit | no_conditions"),
    Column("n_lines", BigInteger, nullable=False, server_default="0"),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("last_file", String(200), nullable=True, comment="vn_files.file_name of the last file with the line"),
    Column("last_value", Float, nullable=True),
    UniqueConstraint("point_id", "name_key", "unit_key", name="uq_vn_unmapped_point_name_unit"),
)

# --------------------------------------------------------------------------- Vietnam: the connection register (issue 14 item 1)
# Decree 08/2022/NĐ-CP Art. 97 (wastewater) and Art. 98 (exhaust gas): obliged facilities install automatic
# continuous monitoring and connect it to the provincial DONRE by 31 Dec 2024 (reference notes §7.1 [S]). The
# register keeps what only the registry or the officer knows (district, industrial zone, category, the date a
# station was installed); the later steps (connected, transmitting, transmitting completely) are derived from the
# file log (rules/vn/register.py). Revision monitoring_0002_vn_register; store access: store/vn_register.py.

vn_register_facilities = Table(
    "vn_register_facilities",
    metadata,
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True),
    Column("district", String(100), nullable=True, comment="district (quận/huyện/thị xã) of the facility"),
    Column("industrial_zone", String(150), nullable=True,
           comment="industrial zone or cluster (KCN/CCN) the facility is in; NULL = outside any"),
    Column("category", String(24), nullable=False,
           comment="Decree 08/2022 Art. 97–98 category code (rules/vn/register.py CATEGORIES)"),
    Column("obliged_from", Date, nullable=True,
           comment="first day of the obligation; NULL = Decree 08 in force (2022-01-10)"),
    Column("deadline", Date, nullable=True, comment="the facility's own deadline; NULL = the legal one (2024-12-31)"),
    Column("updated_at", UTCDateTime, nullable=True),
    Column("updated_by", String(64), nullable=True),
)

vn_register_stations = Table(
    "vn_register_stations",
    metadata,
    Column("point_id", Integer, ForeignKey("points.id"), primary_key=True),
    Column("installed_on", Date, nullable=True, comment="day the station was installed (entered by the officer)"),
    Column("note", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=True),
    Column("updated_by", String(64), nullable=True),
)
