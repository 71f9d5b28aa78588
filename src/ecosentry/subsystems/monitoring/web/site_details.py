"""What the enterprise, outlet and point pages show about a set of (already scope-checked) points: live
values, limits in force, today's and the last 24 hours' rates, marks, alarms and report links. The value
queries are :mod:`ecosentry.subsystems.monitoring.queries.series`, re-exported here for the pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings, Rates, rates_from_counts, sum_counts
from ecosentry.store.queries import alarms as queries
from ecosentry.subsystems.monitoring.store.logger_faults import rejected_frames
from ecosentry.subsystems.monitoring.store.marks import list_marks
from ecosentry.subsystems.monitoring.queries.series import KINDS, day_hours, limits_in_force, live_values

__all__ = ["KINDS", "MARK_DAYS", "live_values", "day_hours", "limits_in_force", "point_rates", "recent_marks", "recent_alarms",
           "report_links"]

#: Marks and cleared alarms of this many past days are listed. [d]
MARK_DAYS = 30


def point_rates(engine: Engine, points: list[dict], now: datetime) -> dict[int, dict[str, Rates | None]]:
    """point id → ``today`` (complete clock hours since local midnight) and ``last24h`` point rates, by summing
    the counts of the assessed factors (:func:`ecosentry.subsystems.monitoring.queries.rates.point_rate_counts`)."""
    settings = RateSettings()
    end = now.replace(minute=0, second=0, microsecond=0)
    out = {}
    for pt in points:
        midnight = (now.astimezone(ZoneInfo(pt["tz"])).replace(hour=0, minute=0, second=0, microsecond=0)
                    .astimezone(timezone.utc))
        row: dict[str, Rates | None] = {}
        for name, start in (("today", midnight), ("last24h", end - timedelta(hours=24))):
            per = point_rate_counts(engine, pt["id"], start, end, pt["tz"], "backfilled", settings, now=now) \
                if start < end else []
            row[name] = rates_from_counts(sum_counts([r.counts for _, r in per]), settings=settings,
                                          mode="backfilled") if per else None
        out[pt["id"]] = row
    return out


def recent_marks(engine: Engine, point_ids: list[int], now: datetime) -> list[dict]:
    """Marks of the points overlapping the last :data:`MARK_DAYS` days (or still open), newest first."""
    start = now - timedelta(days=MARK_DAYS)
    marks = [m for pid in point_ids for m in list_marks(engine, point_id=pid, start=start)]
    return sorted(marks, key=lambda m: (m["start"], m["id"]), reverse=True)


def recent_alarms(conn: Connection, point_ids: list[int], enterprise_id: int | None, now: datetime,
                  limit: int = 50) -> list[dict]:
    """Open alarms of the points (and enterprise-level ones of the enterprise), and those cleared in the
    last :data:`MARK_DAYS` days; open first, then newest."""
    return queries.recent_alarms(conn, point_ids, enterprise_id, now, MARK_DAYS, limit)


def logger_fault(conn: Connection, point_id: int, now: datetime):
    """Frames of the point's logger rejected in the last 24 h (count, latest error), or None."""
    return rejected_frames(conn, now - timedelta(hours=24), [point_id]).get(point_id)


def report_links(point_id: int, tz: str, now: datetime, *, vn: bool = False) -> list[dict]:
    """Download links of the point's reports (routes of :mod:`ecosentry.subsystems.monitoring.api.reports`): yesterday's and
    today's daily report, this and last month's monthly report, this year's yearly report; XLSX and PDF.
    ``vn``: a Vietnamese station's reports in the Vietnamese layout instead (:mod:`.vn_control`; no yearly)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last_month = (today.replace(day=1) - timedelta(days=1))
    if vn:
        base = f"/vn/control/points/{point_id}/report?kind="
        items = [("daily", today - timedelta(days=1), f"{base}daily&day={today - timedelta(days=1)}"),
                 ("daily", today, f"{base}daily&day={today}"),
                 ("monthly", last_month, f"{base}monthly&month={last_month:%Y-%m}"),
                 ("monthly", today, f"{base}monthly&month={today:%Y-%m}")]
        return [{"kind": kind, "day": d, "xlsx": f"{url}&format=xlsx", "pdf": f"{url}&format=pdf"}
                for kind, d, url in items]
    base = f"/api/v1/points/{point_id}/reports"
    items = [("daily", today - timedelta(days=1), f"{base}/daily?day={today - timedelta(days=1)}"),
             ("daily", today, f"{base}/daily?day={today}"),
             ("monthly", last_month, f"{base}/monthly?year={last_month.year}&month={last_month.month}"),
             ("monthly", today, f"{base}/monthly?year={today.year}&month={today.month}"),
             ("yearly", today, f"{base}/yearly?year={today.year}")]
    return [{"kind": kind, "day": d, "xlsx": f"{url}&format=xlsx", "pdf": f"{url}&format=pdf"}
            for kind, d, url in items]
