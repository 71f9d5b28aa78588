"""The database schema (SQLAlchemy Core). Alembic migrations in ``store/migrations`` create exactly this.

Times are stored in UTC (:class:`UTCDateTime`); regulatory days are computed in the point's own time zone.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from ecosentry.installed import load_schemas

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=naming)

# BigInteger autoincrement does not work on SQLite; this variant gives INTEGER PRIMARY KEY there.
BigId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (UTC), on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: ecosentry stores only timezone-aware times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None or value.tzinfo is timezone.utc:  # PostgreSQL in the session zone UTC (store.db)
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# --------------------------------------------------------------------------- registry

regions = Table(
    "regions",
    metadata,
    Column("code", String(12), primary_key=True, comment="GB/T 2260 administrative division code"),
    Column("name", String(100), nullable=False),
    Column("parent_code", String(12), ForeignKey("regions.code"), nullable=True),
    Column("level", String(16), nullable=False, comment="country | province | city | county"),
    Column("country", String(2), nullable=False, server_default="CN"),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("credit_code", String(18), nullable=False, unique=True, comment="统一社会信用代码 (GB 32100)"),
    Column("name", String(200), nullable=False),
    Column("industry", String(100), nullable=True, comment="industry code and name (GB/T 4754)"),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
    Column("address", String(300), nullable=True),
    Column("lon", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("park_code", String(20), ForeignKey("parks.code"), nullable=True, comment="chemical park (化工园区)"),
    Column("published", Boolean, nullable=False, server_default="0",
           comment="data shown on the public page (信息公开)"),
)

outlets = Table(
    "outlets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False, index=True),
    Column("code", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("medium", String(10), nullable=False, comment="gas | water | ambient"),
    Column("lon", Float, nullable=True),
    Column("lat", Float, nullable=True),
    Column("ref_o2", Float, nullable=True, comment="reference O2 for 折算 [%]; NULL = no correction"),
    Column("duct_area", Float, nullable=True, comment="flue cross-section area F [m²]"),
    Column("height", Float, nullable=True, comment="stack height [m]"),
    UniqueConstraint("enterprise_id", "code", name="uq_outlets_enterprise_code"),
)

points = Table(
    "points",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outlet_id", Integer, ForeignKey("outlets.id"), nullable=False, index=True),
    Column("mn", String(24), nullable=False, unique=True, comment="HJ 212 device unique code MN"),
    Column("password", String(64), nullable=False, comment="HJ 212 access password PW"),
    Column("st", String(4), nullable=False, comment="HJ 212 system code ST (31 gas, 32 water, 22 ambient ...)"),
    Column("name", String(200), nullable=False),
    Column("tz", String(40), nullable=False, server_default="Asia/Shanghai"),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True,
           comment="jurisdiction (管辖区域)"),
    Column("min_interval", Integer, nullable=False, server_default="1", comment="MinInterval [min]"),
    Column("rtd_interval", Integer, nullable=False, server_default="30", comment="RtdInterval [s]"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("lenient_length", Boolean, nullable=False, server_default="0",
           comment="accept HJ 212 frames whose declared length is wrong when the CRC is right (field practice)"),
    Column("connected_at", UTCDateTime, nullable=True,
           comment="联网时间: data are expected from here on (NULL: from the first data received)"),
    Column("decommissioned_at", UTCDateTime, nullable=True,
           comment="撤销时间: no data are expected from here on (NULL: still in service)"),
)

factors = Table(
    "factors",
    metadata,
    Column("code", String(12), primary_key=True, comment="HJ 212-2017 Appendix B code"),
    Column("old_code", String(12), nullable=True, comment="HJ/T 212-2005 code"),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("unit", String(20), nullable=True, comment="concentration / value unit"),
    Column("cou_unit", String(20), nullable=True, comment="unit of -Cou (emission amount or volume)"),
    Column("medium", String(10), nullable=False, comment="gas | water | ambient | any"),
    Column("category", String(20), nullable=False, comment="pollutant | parameter | flow"),
)

point_factors = Table(
    "point_factors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False),
    Column("factor_code", String(12), ForeignKey("factors.code"), nullable=False),
    Column("range_low", Float, nullable=True, comment="analyser range lower bound"),
    Column("range_high", Float, nullable=True, comment="analyser range upper bound"),
    Column("detection_limit", Float, nullable=True,
           comment="analyser's method detection limit, in the factor's concentration unit (factors.unit)"),
    Column("assessed", Boolean, nullable=False, server_default="1", comment="counted in transmission rates (考核)"),
    UniqueConstraint("point_id", "factor_code", name="uq_point_factors_point_factor"),
)

limits = Table(
    "limits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False, index=True),
    Column("factor_code", String(12), ForeignKey("factors.code"), nullable=False),
    Column("kind", String(8), nullable=False, comment="hour | day"),
    Column("upper", Float, nullable=True),
    Column("lower", Float, nullable=True, comment="lower bound (pH)"),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True, comment="inclusive; NULL = open"),
    Column("standard", String(100), nullable=True, comment="e.g. GB 13223-2011 表1"),
    Column("season", String(8), nullable=True, comment="summer | winter (seasonal limit); NULL = all year"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=True),
    Column("password_hash", String(200), nullable=True),
    Column("role", String(20), nullable=False, comment="admin | regulator | enterprise | om | park | public"),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=True, comment="scope for regulators"),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True, comment="scope for enterprises"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("park_code", String(20), ForeignKey("parks.code"), nullable=True, comment="scope for park committees"),
    Column("organisation", String(200), nullable=True, comment="O&M contractor or authority name"),
    Column("locale", String(8), nullable=True, comment="preferred UI language: zh | vi | en"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime, nullable=True, comment="lock-out after repeated failed logins"),
    Column("last_login_at", UTCDateTime, nullable=True),
)

parks = Table(
    "parks",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False),
)

point_maintainers = Table(
    "point_maintainers",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), primary_key=True),
    comment="O&M contractor accounts and the points they maintain (their scope)",
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True, comment="first characters of the key, shown"),
    Column("key_hash", String(200), nullable=False, comment="SHA-256 of the whole key"),
    Column("rate_limit_per_minute", Integer, nullable=True, comment="NULL = the default limit"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

#: What a principal's scope is read from, with the columns that decide it (auth/scope_cache.py): a change to any
#: of them (or a row added or deleted) raises ``access_version.version``, by triggers (migration 0012).
SCOPE_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "username", "display_name", "role", "region_code", "enterprise_id", "active", "park_code",
              "locale"),
    "regions": ("code", "parent_code"),
    "enterprises": ("id", "region_code", "park_code", "published"),
    "outlets": ("id", "enterprise_id"),
    "points": ("id", "outlet_id", "region_code"),
    "point_maintainers": ("user_id", "point_id"),
}

access_version = Table(
    "access_version",
    metadata,
    Column("id", Integer, primary_key=True, comment="the one row: 1"),
    Column("version", BigInteger, nullable=False,
           comment="raised by triggers whenever the accounts or the registry change a scope (SCOPE_COLUMNS)"),
    comment="version of everything the principals' scopes are read from: the API's scope cache is valid while "
            "it holds",
)

# --------------------------------------------------------------------------- received data

raw_frames = Table(
    "raw_frames",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("spool", String(16), nullable=True, comment="id of the on-disk spool that carried the frame"),
    Column("spool_seq", BigInteger, nullable=True, comment="sequence in that spool: a replay is idempotent"),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("transport", String(16), nullable=False, comment="hj212-tcp | ftp | mqtt | http"),
    Column("peer", String(64), nullable=True),
    Column("mn", String(24), nullable=True, index=True),
    Column("cn", String(8), nullable=True),
    Column("qn", String(20), nullable=True),
    Column("point_id", Integer, nullable=True),
    Column("status", String(16), nullable=False, comment="accepted | quarantined | rejected"),
    Column("error", String(40), nullable=True, comment="error class when rejected"),
    Column("detail", Text, nullable=True),
    Column("raw", LargeBinary, nullable=False),
    UniqueConstraint("spool", "spool_seq", name="uq_raw_frames_spool_seq"),
    # PostgreSQL: range-partitioned by month of reception (store/partitions.py, migration 0011), retention =
    # dropping old partitions; there the primary key is (id, received_at) and the unique key (spool, spool_seq,
    # received_at): a partitioned table's unique constraints hold its partition key (partitions.raw_frame_key)
    postgresql_partition_by="RANGE (received_at)",
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("raw_frame_id", BigInteger, nullable=False, index=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("peer", String(64), nullable=True),
    Column("mn", String(24), nullable=True),
    Column("reason", String(40), nullable=False, comment="unknown_mn | bad_password | ..."),
    Column("raw", LargeBinary, nullable=False),
)

observations = Table(
    "observations",
    metadata,
    Column("point_id", Integer, primary_key=True),
    Column("factor_code", String(16), primary_key=True),
    Column("kind", String(8), primary_key=True, comment="rtd | min | hour | day | state | runtime"),
    Column("period_start", UTCDateTime, primary_key=True, comment="HJ 212 DataTime (interval start), in UTC"),
    Column("value", Float, nullable=True, comment="Rtd for rtd, Avg for min/hour/day, RS/RT for state/runtime"),
    Column("min", Float, nullable=True),
    Column("max", Float, nullable=True),
    Column("cou", Float, nullable=True),
    Column("flag", String(2), nullable=True),
    Column("eflag", String(8), nullable=True),
    Column("zs_value", Float, nullable=True, comment="折算 value as sent (ZsRtd / ZsAvg)"),
    Column("zs_min", Float, nullable=True),
    Column("zs_max", Float, nullable=True),
    Column("sample_time", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("raw_frame_id", BigInteger, nullable=True),
    # PostgreSQL: range-partitioned by month (store/partitions.py); retention = dropping old partitions
    postgresql_partition_by="RANGE (period_start)",
)

hourly_values = Table(
    "hourly_values",
    metadata,
    Column("point_id", Integer, primary_key=True),
    Column("factor_code", String(16), primary_key=True),
    Column("period_start", UTCDateTime, primary_key=True),
    Column("value", Float, nullable=True, comment="mean of valid minute values (NULL when none)"),
    Column("zs_value", Float, nullable=True, comment="mean of valid minute 折算 values"),
    Column("min", Float, nullable=True),
    Column("max", Float, nullable=True),
    Column("cou", Float, nullable=True),
    Column("flag", String(2), nullable=True, comment="rolled-up flag, HJ 212-2017 Appendix C"),
    Column("valid", Boolean, nullable=False),
    Column("valid_minutes", Integer, nullable=False),
    Column("received_minutes", Integer, nullable=False),
    Column("n_records", Integer, nullable=False),
    Column("reason", String(200), nullable=True),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("last_received_at", UTCDateTime, nullable=True,
           comment="when the hour's last minute record arrived (即时 vs 补全 rates)"),
    Column("mark_ids", String(200), nullable=True, comment="comma-separated ids of the marks covering the hour"),
    Column("excluded", Boolean, nullable=True, comment="stopped / non-attributable: out of the rates"),
    Column("exempt", Boolean, nullable=True, comment="标样核查 (standard-sample check) mark: exemption candidate"),
    Column("exceeded", Boolean, nullable=True, comment="NULL = not judged (invalid, excluded or no limit)"),
    Column("multiple", Float, nullable=True),
    Column("limit_value", Float, nullable=True),
)

latest_values = Table(
    "latest_values",
    metadata,
    Column("point_id", Integer, primary_key=True),
    Column("factor_code", String(16), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("period_start", UTCDateTime, nullable=False),
    Column("value", Float, nullable=True),
    Column("flag", String(2), nullable=True),
    Column("zs_value", Float, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
)

Index("ix_observations_point_kind_time", observations.c.point_id, observations.c.kind, observations.c.period_start)

# --------------------------------------------------------------------------- rules: marks, audit, periods

marks = Table(
    "marks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=False, index=True),
    Column("factor_codes", String(400), nullable=True, comment="comma-separated; NULL = every factor of the point"),
    Column("family", String(32), nullable=False,
           comment="national mark family: comm_interruption | equipment_maintenance | manual_values | "
                   "non_attributable | parameter_maintenance | treatment_condition | production_condition | "
                   "cems_switch"),
    Column("type", String(40), nullable=False,
           comment="maintenance | calibration | fault | comm_interruption | stopped | standard_sample_check | "
                   "startup_shutdown | force_majeure | ..."),
    Column("sub_type", String(60), nullable=True),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, nullable=True, comment="NULL = open mark (status 0 incomplete)"),
    Column("source", String(8), nullable=False, comment="manual | auto; manual marks override automatic ones"),
    Column("status", String(10), nullable=False, comment="filed | approved | rejected"),
    Column("majeure_type", Integer, nullable=True, comment="1 force majeure, 2 long-term shutdown, 3 other"),
    Column("reason", Text, nullable=True),
    Column("filed_by", String(64), nullable=True),
    Column("filed_at", UTCDateTime, nullable=False),
    Column("reviewed_by", String(64), nullable=True),
    Column("reviewed_at", UTCDateTime, nullable=True),
    Column("review_comment", Text, nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True, comment="soft delete (data_status -1)"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=True),
    Column("action", String(40), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("entity_id", String(64), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

derived_periods = Table(
    "derived_periods",
    metadata,
    Column("point_id", Integer, primary_key=True),
    Column("factor_code", String(16), primary_key=True),
    Column("period", String(8), primary_key=True, comment="day | month"),
    Column("period_start", UTCDateTime, primary_key=True, comment="local day/month start, in UTC"),
    Column("value", Float, nullable=True),
    Column("zs_value", Float, nullable=True),
    Column("cou", Float, nullable=True),
    Column("valid", Boolean, nullable=False),
    Column("n_valid", Integer, nullable=False),
    Column("n_received", Integer, nullable=False),
    Column("n_expected", Integer, nullable=False),
    Column("reason", String(200), nullable=True),
    Column("exceeded", Boolean, nullable=True, comment="NULL = not judged (invalid, excluded or no limit)"),
    Column("multiple", Float, nullable=True, comment="(C − C0)/C0"),
    Column("limit_value", Float, nullable=True),
    Column("cou_substituted", Float, nullable=True,
           comment="emission/load total with substitute values for invalid hours (HJ 75 / HJ 356); raw in cou"),
    Column("n_substituted", Integer, nullable=True, comment="hours carrying a substitute value"),
    Column("computed_at", UTCDateTime, nullable=False),
)

# --------------------------------------------------------------------------- heavy-pollution weather alerts
pollution_alerts = Table(
    "pollution_alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True,
           comment="the region the alert covers (its subtree too)"),
    Column("level", String(8), nullable=False, comment="yellow | orange | red (重污染天气预警 黄/橙/红)"),
    Column("starts_at", UTCDateTime, nullable=False, comment="the emergency measures apply from"),
    Column("ends_at", UTCDateTime, nullable=True, comment="planned or actual end; NULL = until lifted"),
    Column("issued_by", String(200), nullable=False, comment="the authority that issued it (应急指挥部)"),
    Column("document", String(100), nullable=True, comment="the notice's number (文号)"),
    Column("note", Text, nullable=True),
    Column("entered_by", String(64), nullable=False),
    Column("entered_at", UTCDateTime, nullable=False),
    Column("lifted_at", UTCDateTime, nullable=True, comment="lifted early (解除); the alert ended then"),
    Column("lifted_by", String(64), nullable=True),
)
Index("ix_pollution_alerts_period", pollution_alerts.c.starts_at, pollution_alerts.c.ends_at)

# --------------------------------------------------------------------------- alarms (ecosentry.alarms)
alarms = Table(
    "alarms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(40), nullable=False, comment="alarm type code ALM-... (ecosentry.alarms.catalogue)"),
    Column("source_type", String(24), nullable=False, comment="originator kind: point | enterprise | gate | ..."),
    Column("source_id", String(64), nullable=False, comment="originator id within its kind"),
    Column("state", String(12), nullable=False, comment="active | acknowledged | cleared"),
    Column("severity", String(10), nullable=False, comment="info | warning | critical"),
    Column("previous_severity", String(10), nullable=True, comment="severity before the latest occurrence"),
    Column("title", String(200), nullable=False),
    Column("explanation", Text, nullable=True, comment="latest explanation"),
    Column("evidence", JSON, nullable=True, comment="latest evidence"),
    Column("point_id", Integer, ForeignKey("points.id"), nullable=True, index=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=True, index=True),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=True, index=True),
    Column("factor_codes", String(400), nullable=True, comment="comma-separated HJ 212 codes"),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False, index=True),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("acknowledged_by", String(64), nullable=True),
    Column("assignee", String(64), nullable=True),
    Column("cleared_at", UTCDateTime, nullable=True),
    Column("cleared_by", String(64), nullable=True, comment="user, or 'data' when the condition ended"),
    Column("clear_reason", Text, nullable=True),
    Column("escalation_level", Integer, nullable=False, server_default="0",
           comment="region levels added above the initial routing"),
    Column("repeats", Integer, nullable=False, server_default="0", comment="repeat notifications sent"),
)

# one non-cleared alarm per (originator, type): INSERT ... ON CONFLICT targets this partial index
Index("ux_alarms_open", alarms.c.source_type, alarms.c.source_id, alarms.c.type, unique=True,
      sqlite_where=alarms.c.state != "cleared", postgresql_where=alarms.c.state != "cleared")

alarm_events = Table(
    "alarm_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alarm_id", Integer, ForeignKey("alarms.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=True, comment="user, or 'system' / 'data'"),
    Column("kind", String(16), nullable=False,
           comment="raised | updated | acknowledged | assigned | commented | cleared | linked | escalated | repeat"),
    Column("comment", Text, nullable=True),
    Column("detail", JSON, nullable=True),
)

alarm_links = Table(
    "alarm_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alarm_id", Integer, ForeignKey("alarms.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False, comment="mark | work_order"),
    Column("target_id", String(64), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("alarm_id", "kind", "target_id", name="uq_alarm_links_alarm_kind_target"),
)

alarm_subscriptions = Table(
    "alarm_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("channel", String(10), nullable=False, comment="email | webhook | sms | live"),
    Column("address", String(300), nullable=False, comment="e-mail, URL, phone number or user name"),
    Column("region_code", String(12), ForeignKey("regions.code"), nullable=False, index=True),
    Column("alarm_types", String(400), nullable=True, comment="comma-separated ALM codes; NULL = all"),
    Column("min_severity", String(10), nullable=False, server_default="info"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
)

alarm_deliveries = Table(
    "alarm_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alarm_id", Integer, ForeignKey("alarms.id"), nullable=False, index=True),
    Column("event_id", BigInteger, nullable=True),
    Column("event", String(16), nullable=False, comment="raised | updated | escalated | repeat | ..."),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(300), nullable=False),
    Column("subscription_id", Integer, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("detail", Text, nullable=True),
)

# --------------------------------------------------------------------------- alarm disposal (督办, ecosentry.alarms.disposal)
alarm_disposals = Table(
    "alarm_disposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alarm_id", Integer, ForeignKey("alarms.id"), nullable=False, unique=True,
           comment="one supervision case per alarm"),
    Column("state", String(12), nullable=False, comment="pushed | handling | feedback | returned | verified | closed"),
    Column("request", Text, nullable=False, comment="what the regulator asks of the enterprise (督办要求)"),
    Column("pushed_by", String(64), nullable=False),
    Column("pushed_at", UTCDateTime, nullable=False),
    Column("feedback_due_at", UTCDateTime, nullable=False, comment="the feedback deadline given with the push"),
    Column("owed_by", String(12), nullable=True, comment="enterprise | regulator: who must act next; NULL closed"),
    Column("due_at", UTCDateTime, nullable=True, comment="deadline of the step owed now"),
    Column("since", UTCDateTime, nullable=False, comment="when the current state began"),
    Column("overdue_notified_at", UTCDateTime, nullable=True,
           comment="the level above was told that the current step is overdue"),
    Column("rounds", Integer, nullable=False, server_default="0", comment="feedbacks given"),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("closed_by", String(64), nullable=True),
)
Index("ix_alarm_disposals_due", alarm_disposals.c.state, alarm_disposals.c.due_at)

alarm_disposal_steps = Table(
    "alarm_disposal_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("disposal_id", Integer, ForeignKey("alarm_disposals.id"), nullable=False, index=True),
    Column("step", String(12), nullable=False, comment="push | handle | feedback | accept | return | close"),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("party", String(12), nullable=False, comment="regulator | enterprise"),
    Column("from_state", String(12), nullable=True),
    Column("to_state", String(12), nullable=False),
    Column("text", Text, nullable=True, comment="request, comment, reason of a return, or conclusion"),
    Column("cause", Text, nullable=True, comment="feedback: the cause found"),
    Column("measures", Text, nullable=True, comment="feedback: the measures taken"),
    Column("due_at", UTCDateTime, nullable=True, comment="deadline of the next step set by this one"),
)

alarm_disposal_files = Table(
    "alarm_disposal_files",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("step_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("alarm_disposal_steps.id"),
           nullable=False, index=True),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False, comment="decided from the checked kind, not the upload"),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)


def installed_metadata(names: tuple[str, ...] | None = None) -> MetaData:
    """:data:`metadata` with every installed subsystem's tables loaded (their ``schema`` modules imported): the
    whole schema of a deployment, what the migrations create."""
    load_schemas(names)
    return metadata
