"""Continuous detection: detectors, exceedances and silent loggers → alarms (design: pipeline → detectors → alarms).

Every ``every`` seconds the job

1. checks every active point for silence (``ALM-LOGGER-OFFLINE``): a point whose newest received data is
   older than ``offline_factor`` × its minute-data interval (at least ``offline_min_minutes``) is offline.
   The alarm is raised within that silence plus one pass (the bound printed in the docs) and cleared by
   data as soon as the point is heard again;
2. for each point that received data since the previous pass and was not evaluated in the last
   ``point_every`` seconds (default 300: a fifteen-day window per point costs tens of milliseconds, so a
   city of a thousand points is evaluated within each five minutes without hogging a core), reads its window
   (:func:`ecosentry.subsystems.monitoring.pipeline.detect_input.load_point_data`), runs every registered detector
   (:func:`ecosentry.subsystems.monitoring.detect.registry.run_detectors`), and raises one alarm per alarm type for the
   findings that are *current* (ending within ``recent_hours`` of now); a type without a current finding
   is cleared by data;
3. for the same points, raises ``ALM-DEVICE-FAULT`` while the newest records of a factor carry the fault flag
   D or B (HJ 212-2017 Table 8), and ``ALM-EXCEEDANCE`` when the newest judged hour (flue gas: hourly 折算
   mean) or day (wastewater: daily mean) of a factor is above its limit, and clears it when the newest
   judged periods are within the limits again. Only complete periods are judged: the hour (day) still
   running is not, whatever its mean so far; when its mean so far is above the limit (judged from its
   45th valid minute on), ``ALM-EXCEEDANCE-RISK`` (an early warning) is raised instead, and cleared when
   no running period is above its limit.

The grouping and wording are pure functions (:func:`alarm_type_of`, :func:`group_current`,
:func:`summarise_findings`, :func:`offline_threshold`) tested without a database.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from ecosentry.alarms import store as alarm_store
from ecosentry.alarms.catalogue import severity_rank
from ecosentry.contracts.catalogue import kind_of
from ecosentry.subsystems.monitoring.detect.model import Finding, PointData, to_datetime, to_datetime64
from ecosentry.subsystems.monitoring.detect.registry import all_detectors, rank_key, run_detectors
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.metrics import counters
from ecosentry.subsystems.monitoring.pipeline.detect_input import DetectWindow, load_point_data
from ecosentry.subsystems.monitoring.pipeline.periods import load_limits
from ecosentry.subsystems.monitoring.rules.cn.exceedance import applicable_limit
from ecosentry.subsystems.monitoring.rules.regime import exceedance_rule, regime_of
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.store.logger_faults import LoggerFrames, rejected_frames
from ecosentry.store.registry import PointInfo, load_point_directory

log = logging.getLogger(__name__)

__all__ = ["DetectionSettings", "DetectionJob", "alarm_type_of", "group_current", "summarise_findings",
           "offline_threshold"]

#: Data-quality codes that say data are missing (the rest of the data-quality defects are abnormal data).
_MISSING_PREFIXES = ("DET-MISSING", "DET-NO-DATA")


def alarm_type_of(finding: Finding | str) -> str | None:
    """The alarm type a finding raises, from its kind (issue 13: the alarm type follows the kind).

    * falsification sign → ``ALM-FALSIFICATION``;
    * data-quality defect → ``ALM-DATA-MISSING`` (missing data, no data) or ``ALM-DATA-ANOMALY``;
    * statistical anomaly → ``ALM-DATA-ANOMALY``: an unusual value alone never raises a falsification alarm;
    * process change → ``None``: the plant's own load explains it, no alarm.

    Given a code, the kind is the catalogue's (an unknown code is a statistical anomaly).
    """
    if isinstance(finding, Finding):
        code, kind = finding.code, finding.kind
    else:
        code, kind = finding, kind_of(finding) or "statistical"
    if kind == "falsification":
        return "ALM-FALSIFICATION"
    if kind == "data_quality":
        return "ALM-DATA-MISSING" if code.startswith(_MISSING_PREFIXES) else "ALM-DATA-ANOMALY"
    if kind == "statistical":
        return "ALM-DATA-ANOMALY"
    return None


def group_current(findings: Iterable[Finding], now: datetime, recent: timedelta,
                  min_severity: str = "warning") -> dict[str, list[Finding]]:
    """Findings ending within ``recent`` of ``now``, by alarm type (older ones were alarmed when current).

    Findings below ``min_severity`` (``info``: weak evidence on its own, e.g. the last-digit test) raise
    no alarm; the detectors' output (``ecosentry detect``, the evidence of other alarms) still shows them.
    """
    out: dict[str, list[Finding]] = defaultdict(list)
    floor = severity_rank(min_severity)
    for f in findings:
        alarm_type = alarm_type_of(f)
        if alarm_type is not None and f.end >= now - recent and severity_rank(f.severity) >= floor:
            out[alarm_type].append(f)
    return dict(out)


def summarise_findings(point_label: str, findings: Sequence[Finding], limit: int = 20) -> dict[str, Any]:
    """Title, explanation, severity, factor codes and evidence of one alarm made of ``findings``."""
    ordered = sorted(findings, key=rank_key)
    codes = list(dict.fromkeys(f.code for f in ordered))
    factors = sorted({x for f in ordered for x in f.factors})
    worst = ordered[0]
    more = f" (+{len(ordered) - 1} more)" if len(ordered) > 1 else ""
    return {
        "title": f"{point_label}: {', '.join(codes[:4])}{'…' if len(codes) > 4 else ''}",
        "explanation": worst.explanation + more,
        "severity": worst.severity,
        "factor_codes": factors or None,
        "evidence": {"findings": [f.to_json() for f in ordered[:limit]], "n_findings": len(ordered),
                     "codes": codes},
    }


#: HJ 212-2017 §6.6.4 Table 8 flags that say the device itself is not working: D 故障 (fault),
#: B 通讯异常 (communication fault of the analyser link).
FAULT_FLAGS = frozenset({"D", "B"})


def device_faults(data: PointData, now: datetime, recent: timedelta) -> list[dict]:
    """Factors whose newest record within ``recent`` of ``now`` carries a fault flag (D or B).

    Returns ``[{"factor", "flag", "since", "at"}]``: ``since`` is the start of the trailing run of fault-flagged
    records (the fault is still on at the newest record). Minute records when the factor has them, else hours.
    """
    out = []
    lo = to_datetime64(now - recent)
    for factor in data.factors():
        series = data.minutes.get(factor) or data.hours.get(factor)
        if series is None or not len(series) or not series.flags or series.times[-1] < lo:
            continue
        flags = series.flag_array()
        if flags[-1] not in FAULT_FLAGS:
            continue
        i = len(flags) - 1
        while i > 0 and flags[i - 1] in FAULT_FLAGS:
            i -= 1
        out.append({"factor": factor, "flag": flags[-1], "since": to_datetime(series.times[i]),
                    "at": to_datetime(series.times[-1])})
    return out


def offline_threshold(min_interval_minutes: int, factor: float, floor_minutes: float) -> timedelta:
    """Silence after which a logger is offline: ``factor`` × its minute interval, at least ``floor``."""
    return timedelta(minutes=max(floor_minutes, factor * max(1, min_interval_minutes)))


@dataclass(frozen=True)
class DetectionSettings:
    """Settings of the continuous detection job (from the section ``monitoring`` of
    :class:`ecosentry.settings.Settings`)."""

    every: float = 60.0
    point_every: float = 300.0
    recent_hours: float = 2.0
    offline_factor: float = 3.0
    offline_min_minutes: float = 10.0
    window: DetectWindow = DetectWindow()
    #: ALM-LOGGER-FRAMES: this many rejected frames of a point within the window. [-], [min]
    logger_fault_threshold: int = 10
    logger_fault_window_minutes: float = 60.0

    @classmethod
    def from_settings(cls, st: Any) -> "DetectionSettings":
        """From the settings object's section ``monitoring`` (:class:`..settings.MonitoringSettings`)."""
        m = st.monitoring
        return cls(every=m.detect_every, point_every=m.detect_point_every, recent_hours=m.detect_recent_hours,
                   offline_factor=m.offline_factor,
                   offline_min_minutes=m.offline_min_minutes,
                   logger_fault_threshold=m.logger_fault_threshold,
                   logger_fault_window_minutes=m.logger_fault_window_minutes,
                   window=DetectWindow(m.detect_minute_hours, m.detect_hour_days))


class DetectionJob:
    """Runs :meth:`pass_once` every ``settings.every`` seconds; ``raise_alarm`` notifies through a dispatcher."""

    def __init__(self, engine: Engine, settings: DetectionSettings = DetectionSettings(), *,
                 dispatcher: Any = None, detector_settings: DetectorSettings | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.dispatcher = dispatcher
        self.detector_settings = detector_settings or DetectorSettings()
        self.specs = all_detectors()
        self.last_pass: datetime | None = None
        #: When each point was last evaluated (detectors, exceedance, faults), on the pass clock.
        self.evaluated_at: dict[int, datetime] = {}
        #: Points heard since an earlier pass whose evaluation was not due yet.
        self.pending: set[int] = set()
        #: A point that never sent data is offline once the job has watched it for the allowed silence.
        self.watching_since = datetime.now(timezone.utc)
        self._stop = asyncio.Event()

    async def run(self) -> None:
        """Pass after pass, the first one ``every`` seconds after the start, until :meth:`stop`."""
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.settings.every)
                return
            except TimeoutError:
                pass
            try:
                await self.pass_once(datetime.now(timezone.utc))
            except Exception:
                counters.inc("detect.pass_errors")
                log.exception("detection pass failed; retrying next pass")

    def stop(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ one pass

    async def pass_once(self, now: datetime) -> dict[str, int]:
        """One pass at ``now``; returns counts (points looked at, alarms raised/updated, cleared)."""
        since = self.last_pass or now - timedelta(days=self.settings.window.hour_days)
        points, last_heard = await asyncio.to_thread(self._points_and_last_heard)
        for pid in self.pending:  # heard before the last pass, not evaluated yet
            if pid in last_heard:
                last_heard[pid] = max(last_heard[pid], since)
        stats = {"points": 0, "raised": 0, "cleared": 0}
        for info in points:
            await self._offline(info, last_heard.get(info.point_id), now, stats)
        await self._logger_frames(points, now, stats)
        fresh = [p for p in points if (t := last_heard.get(p.point_id)) is not None and t >= since]
        due = [p for p in fresh if (t := self.evaluated_at.get(p.point_id)) is None
               or abs((now - t).total_seconds()) >= self.settings.point_every]
        # a point heard since the last pass but not due yet stays fresh for the next pass
        self.pending = {p.point_id for p in fresh} - {p.point_id for p in due}
        for info in due:
            self.evaluated_at[info.point_id] = now
            stats["points"] += 1
            try:
                findings, exceeded, faults = await asyncio.to_thread(self._evaluate, info, now)
            except Exception:
                counters.inc("detect.point_errors")
                log.exception("detection of point %s failed", info.mn)
                continue
            await self._sync_findings(info, findings, now, stats)
            await self._sync_exceedance(info, exceeded, now, stats)
            await self._sync_faults(info, faults, now, stats)
        self.last_pass = now
        counters.inc("detect.passes")
        return stats

    def _points_and_last_heard(self) -> tuple[list[PointInfo], dict[int, datetime]]:
        points = [p for p in load_point_directory(self.engine).values() if p.active]
        lv = s.latest_values
        with self.engine.connect() as conn:
            heard = dict(conn.execute(select(lv.c.point_id, func.max(lv.c.received_at)).group_by(lv.c.point_id)).all())
        return points, heard

    def _evaluate(self, info: PointInfo, now: datetime) -> tuple[list[Finding], list[dict], list[dict]]:
        with self.engine.connect() as conn:
            data = load_point_data(conn, info, now, self.settings.window)
            exceeded = _newest_judgements(conn, info.point_id, now - timedelta(days=2), now)
            exceeded += _running_over_limit(conn, info.point_id, now)
            if any(r["exceeded"] for r in exceeded):
                exceeded = cite_rules(exceeded, load_limits(conn, [info.point_id]), info)

        def on_error(name: str, point: str, exc: Exception) -> None:
            counters.inc("detect.detector_errors")
            log.error("detector %s failed on point %s: %s", name, point, exc)

        faults = device_faults(data, now, timedelta(hours=self.settings.recent_hours))
        return run_detectors(data, self.detector_settings, self.specs, on_error=on_error), exceeded, faults

    async def _raise(self, stats: dict[str, int], **kwargs: Any) -> None:
        if self.dispatcher is not None:
            _alarm, change, _ = await self.dispatcher.raise_alarm(**kwargs)
        else:
            _alarm, change = await asyncio.to_thread(lambda: alarm_store.raise_alarm(self.engine, **kwargs))
        stats["raised"] += change.kind == "raised"

    async def _clear(self, stats: dict[str, int], **kwargs: Any) -> None:
        cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(self.engine, **kwargs))
        if cleared is not None:
            stats["cleared"] += 1
            if self.dispatcher is not None and hasattr(self.dispatcher, "notify_cleared"):
                await self.dispatcher.notify_cleared(cleared)

    async def _offline(self, info: PointInfo, heard: datetime | None, now: datetime, stats: dict[str, int]) -> None:
        limit = offline_threshold(info.min_interval, self.settings.offline_factor, self.settings.offline_min_minutes)
        origin = {"type": "ALM-LOGGER-OFFLINE", "source_type": "point", "source_id": info.point_id}
        if heard is not None and now - heard <= limit:
            await self._clear(stats, **origin, at=now, explanation=f"data received again at {heard.isoformat()}")
            return
        if heard is None and now - self.watching_since <= limit:
            return
        silent = "has never sent data" if heard is None else \
            f"has sent nothing since {heard.isoformat()} ({(now - heard).total_seconds() / 60:.0f} min)"
        await self._raise(stats, **origin, severity=None, point_id=info.point_id, at=now,
                          title=f"{info.mn}: logger offline",
                          explanation=f"Data logger {info.mn} {silent}; the allowed silence is "
                                      f"{limit.total_seconds() / 60:.0f} min ({self.settings.offline_factor:g} × "
                                      f"its {info.min_interval}-min data interval).",
                          evidence={"last_received_at": heard, "threshold_minutes": limit.total_seconds() / 60,
                                    "min_interval": info.min_interval})

    async def _logger_frames(self, points: list[PointInfo], now: datetime, stats: dict[str, int]) -> None:
        """ALM-LOGGER-FRAMES: a point whose logger sent ``logger_fault_threshold`` rejected frames within the
        window has a faulty logger (it is online, but its data are lost)."""
        window = timedelta(minutes=self.settings.logger_fault_window_minutes)

        def read() -> dict[int, LoggerFrames]:
            with self.engine.connect() as conn:
                return rejected_frames(conn, now - window, until=now + timedelta(seconds=1))

        faulty = await asyncio.to_thread(read)
        for info in points:
            origin = {"type": "ALM-LOGGER-FRAMES", "source_type": "point", "source_id": info.point_id}
            got = faulty.get(info.point_id)
            if got is None or got.count < self.settings.logger_fault_threshold:
                await self._clear(stats, **origin, at=now,
                                  explanation="fewer rejected frames than the threshold in the latest window")
                continue
            minutes = self.settings.logger_fault_window_minutes
            await self._raise(stats, **origin, severity=None, point_id=info.point_id, at=now,
                              title=f"{info.mn}: logger sends faulty frames ({got.latest_error})",
                              explanation=f"The data logger of point {info.mn} sent {got.count} frames within "
                                          f"{minutes:g} min that the gateway had to reject (threshold "
                                          f"{self.settings.logger_fault_threshold}); the latest: {got.latest_error}: "
                                          f"{got.latest_detail}.",
                              evidence={"rejected_frames": got.count, "window_minutes": minutes,
                                        "latest_at": got.latest_at, "latest_error": got.latest_error,
                                        "latest_detail": got.latest_detail})

    async def _sync_findings(self, info: PointInfo, findings: list[Finding], now: datetime,
                             stats: dict[str, int]) -> None:
        current = group_current(findings, now, timedelta(hours=self.settings.recent_hours))
        for alarm_type in ("ALM-DATA-MISSING", "ALM-DATA-ANOMALY", "ALM-FALSIFICATION"):
            origin = {"type": alarm_type, "source_type": "point", "source_id": info.point_id}
            group = current.get(alarm_type)
            if not group:
                await self._clear(stats, **origin, at=now, explanation="no current finding in the latest pass")
                continue
            summary = summarise_findings(info.mn, group)
            await self._raise(stats, **origin, point_id=info.point_id, at=now, **summary)

    async def _sync_faults(self, info: PointInfo, faults: list[dict], now: datetime, stats: dict[str, int]) -> None:
        origin = {"type": "ALM-DEVICE-FAULT", "source_type": "point", "source_id": info.point_id}
        if not faults:
            await self._clear(stats, **origin, at=now, explanation="the newest records carry no fault flag")
            return
        names = {"D": "fault (D)", "B": "communication fault (B)"}
        parts = [f"{f['factor']} {names[f['flag']]} since {f['since'].isoformat()}" for f in faults]
        await self._raise(stats, **origin, severity=None, point_id=info.point_id, at=now,
                          factor_codes=[f["factor"] for f in faults],
                          title=f"{info.mn}: device fault ({', '.join(f['factor'] for f in faults)})",
                          explanation=f"The logger of point {info.mn} flags its newest data as device faults "
                                      f"(HJ 212-2017 Table 8): " + "; ".join(parts) + ".",
                          evidence={"faults": faults})

    async def _sync_exceedance(self, info: PointInfo, judged: list[dict], now: datetime,
                               stats: dict[str, int]) -> None:
        running = [r for r in judged if r.get("running")]
        newest = [r for r in judged if not r.get("running")]
        await self._sync_exceedance_risk(info, running, now, stats)
        origin = {"type": "ALM-EXCEEDANCE", "source_type": "point", "source_id": info.point_id}
        over = [r for r in newest if r["exceeded"]]
        if not newest:
            return
        if not over:
            await self._clear(stats, **origin, at=now, explanation="the newest judged periods are within the limits")
            return
        parts = [f"{r['factor_code']} {r['period']} {r['period_start'].isoformat()}: "
                 f"{r['judged_value']:.4g}{' (O2-corrected)' if r.get('corrected') else ''} > limit "
                 f"{r['limit_value']:.4g} (×{1 + (r['multiple'] or 0):.2f}"
                 + "".join(f", {r[k]}" for k in ("rule", "standard") if r.get(k)) + ")"
                 for r in over]
        await self._raise(stats, **origin, severity=None, point_id=info.point_id, at=now,
                          factor_codes=sorted({r["factor_code"] for r in over}),
                          title=f"{info.mn}: exceedance of {', '.join(sorted({r['factor_code'] for r in over}))}",
                          explanation=f"Point {info.mn} exceeds its emission limit: " + "; ".join(parts) + ".",
                          evidence={"periods": over})


    async def _sync_exceedance_risk(self, info: PointInfo, running: list[dict], now: datetime,
                                    stats: dict[str, int]) -> None:
        """ALM-EXCEEDANCE-RISK while the mean so far of the hour (day) still running is above its limit."""
        origin = {"type": "ALM-EXCEEDANCE-RISK", "source_type": "point", "source_id": info.point_id}
        if not running:
            await self._clear(stats, **origin, at=now, explanation="no running period is above its limit")
            return
        factors = sorted({r["factor_code"] for r in running})
        parts = [f"{r['factor_code']} {r['period']} from {r['period_start'].isoformat()}: "
                 f"{r['judged_value']:.4g} so far > limit {r['limit_value']:.4g}" for r in running]
        await self._raise(stats, **origin, severity=None, point_id=info.point_id, at=now, factor_codes=factors,
                          title=f"{info.mn}: exceedance risk of {', '.join(factors)}",
                          explanation=f"Point {info.mn} is above its emission limit in the period still running "
                                      f"(early warning; the exceedance is judged when the period ends): "
                                      + "; ".join(parts) + ".",
                          evidence={"periods": running})


def cite_rules(judged: list[dict], limits: dict, info: PointInfo) -> list[dict]:
    """The judged periods with what they rest on: ``standard`` (the text of the limit in force on the period's
    local day), ``rule`` (the code of the regime of that limit, :func:`~ecosentry.subsystems.monitoring.rules.
    regime.exceedance_rule`: ``VN-EXC-GAS-HOUR`` for a QCVN limit, ``CN-EXC-GAS-HOUR`` for a Chinese one) and
    ``corrected`` as a plain bool (the judged value is the O2-corrected mean); pure."""
    zone = ZoneInfo(info.tz or "UTC")
    out = []
    for r in judged:
        lim = applicable_limit(limits.get((info.point_id, r["factor_code"]), []),
                               r["period_start"].astimezone(zone).date(), r["period"])
        standard = lim.standard if lim is not None else ""
        out.append({**r, "corrected": bool(r.get("corrected")), "standard": standard,
                    "rule": exceedance_rule(regime_of(standard), info.medium, r["period"])})
    return out


def _judged_periods(point_id: int):
    """Per judged kind of period (hour: hourly_values; day: derived_periods), its table, name, judged value
    (the 折算 mean where there is one), length, the columns the alarms carry and the point's rows."""
    h, d = s.hourly_values, s.derived_periods
    for table, period, length in ((h, "hour", timedelta(hours=1)), (d, "day", timedelta(days=1))):
        columns = (table.c.factor_code, table.c.period_start,
                   func.coalesce(table.c.zs_value, table.c.value).label("judged_value"),
                   table.c.zs_value.is_not(None).label("corrected"), table.c.exceeded,
                   table.c.multiple, table.c.limit_value)
        mine = [table.c.point_id == point_id] + ([d.c.period == "day"] if table is d else [])
        yield table, period, length, columns, mine


def _running_over_limit(conn, point_id: int, now: datetime) -> list[dict]:
    """Hours (days) still running at ``now`` whose mean so far is judged above the limit (``running``)."""
    out: list[dict] = []
    for table, period, length, columns, mine in _judged_periods(point_id):
        rows = conn.execute(select(*columns).where(*mine, table.c.exceeded.is_(True),
                                                   table.c.period_start > now - length,
                                                   table.c.period_start <= now)).mappings()
        out += [{**r, "period": period, "running": True} for r in rows]
    return out


def _newest_judgements(conn, point_id: int, since: datetime, now: datetime) -> list[dict]:
    """Per factor, the newest **complete** judged hour (hourly_values) and day (derived_periods) since ``since``.

    An hour is judged once it has ended (``period_start + 1 h <= now``), a day once its 24 hours have
    ended: the exceedance of HJ 75-2017 / GB 13223 is of the hourly (daily) mean, and a mean of part of
    the hour is not that mean (an hour over the limit at :48 may end under it, issue 11 item 3).
    """
    out: list[dict] = []
    for table, period, length, columns, mine in _judged_periods(point_id):
        filters = [*mine, table.c.exceeded.is_not(None), table.c.period_start >= since,
                   table.c.period_start <= now - length]
        newest = (select(table.c.factor_code, func.max(table.c.period_start).label("t"))
                  .where(*filters).group_by(table.c.factor_code).subquery())
        rows = conn.execute(select(*columns)
                            .join(newest, (newest.c.factor_code == table.c.factor_code)
                                  & (newest.c.t == table.c.period_start))
                            .where(*filters)).mappings()
        out += [{**r, "period": period} for r in rows]
    return out
