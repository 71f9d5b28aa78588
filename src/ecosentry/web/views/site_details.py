"""What the enterprise, outlet and point pages show about a set of (already scope-checked) points: live
values, limits in force, today's and the last 24 hours' rates, marks, alarms and report links."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, or_, select

from ecosentry.store.queries.rates import point_rate_counts
from ecosentry.rules.cn.rates import RateSettings, Rates, rates_from_counts, sum_counts
from ecosentry.store import schema as s
from ecosentry.store.logger_faults import rejected_frames
from ecosentry.store.marks import list_marks

__all__ = ["KINDS", "MARK_DAYS", "live_values", "day_hours", "limits_in_force", "point_rates", "recent_marks", "recent_alarms",
           "report_links"]

#: Data kinds of the live-value tables, finest first.
KINDS = ("rtd", "min", "hour", "day")
#: Marks and cleared alarms of this many past days are listed. [d]
MARK_DAYS = 30


def live_values(conn: Connection, point_ids: list[int]) -> dict[int, dict[str, dict[str, dict]]]:
    """point id → factor code → data kind → the latest value row (``latest_values``)."""
    lv = s.latest_values
    out: dict[int, dict[str, dict[str, dict]]] = {}
    if not point_ids:
        return out
    for r in conn.execute(select(lv).where(lv.c.point_id.in_(point_ids), lv.c.kind.in_(KINDS))).mappings():
        out.setdefault(r["point_id"], {}).setdefault(r["factor_code"], {})[r["kind"]] = dict(r)
    return out


def day_hours(conn: Connection, point_id: int, day: date | None, tz: str, now: datetime) -> list[dict]:
    """Derived hourly values of the point's local ``day`` (in ``tz``), or of the last 24 hours when ``day`` is
    ``None``; newest hour first, factors in code order, each with ``complete`` (False for the hour in
    progress, whose validity can still change)."""
    h = s.hourly_values
    if day is None:
        start, end = now - timedelta(hours=24), now + timedelta(hours=1)
    else:
        start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(tz)).astimezone(timezone.utc)
    rows = conn.execute(select(h).where(h.c.point_id == point_id, h.c.period_start >= start, h.c.period_start < end)
                        .order_by(h.c.period_start.desc(), h.c.factor_code)).mappings()
    return [{**dict(r), "complete": r["period_start"] + timedelta(hours=1) <= now} for r in rows]


def limits_in_force(conn: Connection, point_ids: list[int], day: date) -> dict[int, dict[str, dict[str, dict]]]:
    """point id → factor code → ``hour``/``day`` → the limit row valid on ``day`` (seasonal ones included)."""
    lim = s.limits
    out: dict[int, dict[str, dict[str, dict]]] = {}
    if not point_ids:
        return out
    rows = conn.execute(select(lim).where(lim.c.point_id.in_(point_ids), lim.c.valid_from <= day,
                                          or_(lim.c.valid_to.is_(None), lim.c.valid_to >= day))
                        .order_by(lim.c.valid_from)).mappings()
    for r in rows:
        out.setdefault(r["point_id"], {}).setdefault(r["factor_code"], {})[r["kind"]] = dict(r)
    return out


def point_rates(engine: Engine, points: list[dict], now: datetime) -> dict[int, dict[str, Rates | None]]:
    """point id → ``today`` (complete clock hours since local midnight) and ``last24h`` point rates, by summing
    the counts of the assessed factors (:func:`ecosentry.store.queries.rates.point_rate_counts`)."""
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
    a = s.alarms
    whose = a.c.point_id.in_(point_ids)
    if enterprise_id is not None:
        whose = whose | (a.c.point_id.is_(None) & (a.c.enterprise_id == enterprise_id))
    rows = conn.execute(select(a).where(whose, or_(a.c.state != "cleared",
                                                   a.c.last_at >= now - timedelta(days=MARK_DAYS)))
                        .order_by((a.c.state == "cleared").asc(), a.c.last_at.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def logger_fault(conn: Connection, point_id: int, now: datetime):
    """Frames of the point's logger rejected in the last 24 h (count, latest error), or None."""
    return rejected_frames(conn, now - timedelta(hours=24), [point_id]).get(point_id)


def report_links(point_id: int, tz: str, now: datetime) -> list[dict]:
    """Download links of the point's reports (routes of :mod:`ecosentry.api.routes.reports`): yesterday's and
    today's daily report, this and last month's monthly report, this year's yearly report; XLSX and PDF."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last_month = (today.replace(day=1) - timedelta(days=1))
    base = f"/api/v1/points/{point_id}/reports"
    items = [("daily", today - timedelta(days=1), f"{base}/daily?day={today - timedelta(days=1)}"),
             ("daily", today, f"{base}/daily?day={today}"),
             ("monthly", last_month, f"{base}/monthly?year={last_month.year}&month={last_month.month}"),
             ("monthly", today, f"{base}/monthly?year={today.year}&month={today.month}"),
             ("yearly", today, f"{base}/yearly?year={today.year}")]
    return [{"kind": kind, "day": d, "xlsx": f"{url}&format=xlsx", "pdf": f"{url}&format=pdf"}
            for kind, d, url in items]
