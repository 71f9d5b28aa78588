"""The checks over the stored tables as a scheduled job (issue 16 item 5; ``docs/gates.md`` "The checks job"):
the offline check's pure rules (:func:`.rules.checks.run_checks`, :mod:`.rules.camera`) fed from
``gates_passages``, ``gates_ledger``, the register, the alerts, ``gates_heartbeats`` and ``gates_snapshots``,
their findings kept in ``gates_findings`` and turned into core alarms (:mod:`.alarms`).

Incremental: an enterprise is checked when it has passages or ledger rows the last pass did not read (ids above
``gates_check_state``'s) or data younger than what the last pass settled. Its window's rows are kept in memory
between passes (:class:`.store.findings.RowCache`, ``job.cache_enterprises``): a pass reads only the rows new since
the last one (and the ledger rows still waiting for the guard's stage); the checks of single passages and rows run
over the new data less the pairing's reach, those over periods (alert, month, day) over the whole window. The window read starts early enough for
every finding the new data may change to be found whole: the local month of the earliest new datum (the monthly
share), the start of the alerts it falls in, less ``max_stay_hours`` (the entry an exit pairs with) and the match
tolerance; findings that end before the earliest new datum are left as stored (found by an earlier pass, or
artefacts of the window's edge). The reconciliation findings (a passage without a ledger row, a ledger row without
a passage) are kept only once older than ``job.settle_seconds`` (the guard may still enter the row). The
inspection's draws are not part of the job (they are an inspector's sample, ``ecosentry vehicles check``).

The camera checks run at every pass for every enterprise with gates: the signs of life (``ok`` heartbeats and
passages) of the last ``camera_lookback_hours`` and each gate's last one before, up to now, so a camera silent
right now is a finding still *open*, its alarm raised, and cleared when the camera is heard again; snapshots are
compared with the camera's ``reference_picture`` once (the similarity stored on the row) and their runs of changed
views found the same way.

A pass is idempotent: run again over the same data it finds the same findings (unique on enterprise, code,
subject, start) and raises nothing new; an enterprise alarm is raised (or its ``occurrences`` counted) once per new
finding, a camera alarm once per open silence or turned view.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image, UnidentifiedImageError
from sqlalchemy import Engine, func, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.locale import translations
from ecosentry.metrics import counters
from ecosentry.store.pictures import PictureStore
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.alarms import (
    ALARM_OF_CODE, CAMERA, CLEARED_BY_DATA, ENTERPRISE, TYPE_NAMES, camera_source_id)
from ecosentry.subsystems.gates.rules.camera import camera_offline, view_runs
from ecosentry.subsystems.gates.rules.camera_view import compare_views, prepare_reference
from ecosentry.subsystems.gates.rules.checks import DAILY_CODES, FINDING_CODES, run_checks
from ecosentry.subsystems.gates.rules.findings import Finding
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.gates.store import findings as fs

log = logging.getLogger(__name__)

__all__ = ["CheckJob", "PassReport", "SKIPPED_CODES", "SETTLING_CODES"]

#: The inspection's seeded draws: an inspector's sample, not a standing check.
SKIPPED_CODES = ("VEH-INSPECT-VIDEO", "VEH-INSPECT-LEDGER")
#: Kept only once older than the settle time (the guard may still enter the row).
SETTLING_CODES = ("VEH-PASSAGE-NO-LEDGER", "VEH-LEDGER-NO-PASSAGE")
#: Largest snapshot decoded. [pixels]
MAX_PICTURE_PIXELS = 40_000_000


@dataclass
class PassReport:
    """What one pass did."""

    enterprises: int = 0
    findings_new: int = 0
    findings_updated: int = 0
    snapshots_compared: int = 0
    alarms: list[dict] = field(default_factory=list)     # raise/clear orders (kind, kwargs, finding id)

    def counts(self) -> dict[str, int]:
        return {"enterprises": self.enterprises, "findings_new": self.findings_new,
                "findings_updated": self.findings_updated, "snapshots_compared": self.snapshots_compared,
                "alarms": len(self.alarms)}


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _month_start(t: datetime, zone: ZoneInfo) -> datetime:
    local = t.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)


def _day_start(t: datetime, zone: ZoneInfo) -> datetime:
    """The local midnight that begins ``t``'s day in ``zone`` (UTC)."""
    local = t.astimezone(zone)
    return datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(timezone.utc)


def _grey(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        if img.width * img.height > MAX_PICTURE_PIXELS:
            raise ValueError("picture too large")
        return np.asarray(img.convert("L"), dtype=np.uint8)


class CheckJob:
    """The job (``service.gates_checks``): :meth:`check` does one pass's database work and returns the alarms to
    raise and clear; :meth:`pass_once` applies them through the dispatcher; :meth:`run` repeats it."""

    def __init__(self, engine: Engine, settings: GatesSettings | None = None, *, pictures: PictureStore | None = None,
                 dispatcher: Any = None, locale: str = "zh") -> None:
        self.engine, self.settings = engine, settings or GatesSettings()
        self.pictures, self.dispatcher = pictures, dispatcher
        self.locale = locale if locale in ("zh", "vi", "en") else "zh"
        self._stop = asyncio.Event()
        #: the largest passage and ledger ids at the start of the last pass (``None``: no pass yet)
        self._seen: tuple[int, int] | None = None
        job = self.settings.job
        #: the windows' rows kept between passes (``job.cache_enterprises`` 0: none)
        self.rows = fs.RowCache(job.cache_enterprises, job.cache_seconds) if job.cache_enterprises else None

    # ------------------------------------------------------------------------------------------------ running
    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """A full pass every ``job.every_seconds``; between two, every ``job.watch_seconds`` (0: never) the
        enterprises with new passages or ledger rows get their vehicle checks at once (:meth:`watch_once`), so a
        violating passage's alarm comes within seconds, not at the next full pass."""
        job = self.settings.job
        last_full = None
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                if last_full is None or started - last_full >= job.every_seconds:
                    last_full = started
                    await self.pass_once()
                else:
                    await self.watch_once()
            except Exception:  # one bad pass must not end the job; the next one retries
                counters.inc("gates.checks.pass_errors")
                log.exception("gates checks pass failed")
            pause = job.every_seconds - (time.monotonic() - last_full)
            if job.watch_seconds > 0:
                pause = min(pause, job.watch_seconds)
            try:
                await asyncio.wait_for(self._stop.wait(), max(pause, 0.0))
            except TimeoutError:
                pass

    async def watch_once(self, now: datetime | None = None) -> PassReport:
        """The vehicle checks of the enterprises with passages or ledger rows stored since the last look (no camera
        checks: those wait for the full pass); their alarms applied."""
        report = await asyncio.to_thread(self.check_new, now)
        for order in report.alarms:
            await self._apply(order)
        return report

    def _marks(self, conn) -> tuple[int, int]:
        return (int(conn.scalar(select(func.max(gs.gates_passages.c.id))) or 0),
                int(conn.scalar(select(func.max(gs.gates_ledger.c.id))) or 0))

    def check_new(self, now: datetime | None = None) -> PassReport:
        """The database work of :meth:`watch_once`: one look at the passages and ledger rows above the ids last
        looked at (the primary keys' range), then :meth:`check` of the enterprises they belong to."""
        if self._seen is None:
            return self.check(now)
        p, lg = gs.gates_passages.c, gs.gates_ledger.c
        with self.engine.connect() as conn:
            marks = self._marks(conn)
            if marks == self._seen:
                return PassReport()
            ids = set(conn.execute(select(p.enterprise_id).where(p.id > self._seen[0]).distinct()).scalars())
            ids |= set(conn.execute(select(lg.enterprise_id).where(lg.id > self._seen[1]).distinct()).scalars())
        report = self.check(now, only=sorted(int(x) for x in ids), cameras=False)
        self._seen = marks
        return report

    async def pass_once(self, now: datetime | None = None) -> PassReport:
        report = await asyncio.to_thread(self.check, now)
        for order in report.alarms:
            await self._apply(order)
        return report

    def pass_sync(self, now: datetime | None = None) -> PassReport:
        """One pass with its alarms raised and cleared in the store directly (the CLI, tests)."""
        report = self.check(now)
        for order in report.alarms:
            if order["kind"] == "raise":
                alarm, _ = alarm_store.raise_alarm(self.engine, **order["args"])
                self._note(order, alarm)
            else:
                alarm_store.clear_by_data(self.engine, **order["args"])
        return report

    async def _apply(self, order: dict) -> None:
        if order["kind"] == "raise":
            if self.dispatcher is not None:
                alarm, _change, _deliveries = await self.dispatcher.raise_alarm(**order["args"])
            else:
                alarm, _ = await asyncio.to_thread(lambda: alarm_store.raise_alarm(self.engine, **order["args"]))
            await asyncio.to_thread(self._note, order, alarm)
            return
        cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(self.engine, **order["args"]))
        if cleared is not None and self.dispatcher is not None:
            await self.dispatcher.notify_cleared(cleared)

    def _note(self, order: dict, alarm: dict) -> None:
        with self.engine.begin() as conn:
            fs.note_alarm(conn, order["finding_id"], alarm["id"])

    # ------------------------------------------------------------------------------------------------ a pass
    def check(self, now: datetime | None = None, *, only: list[int] | None = None,
              cameras: bool = True) -> PassReport:
        """Check every enterprise with gates, or those of ``only`` (new data: the vehicle checks; with ``cameras``,
        the camera checks always)."""
        now = _aware(now) if now is not None else datetime.now(timezone.utc)
        report = PassReport()
        with self.engine.connect() as conn:
            if only is None:
                marks = self._marks(conn)
                ids = list(conn.execute(select(gs.gates_enterprises.c.enterprise_id)
                                        .order_by(gs.gates_enterprises.c.enterprise_id)).scalars())
            else:
                ids = only
        if self.pictures is not None and cameras:
            report.snapshots_compared = self.compare_snapshots()
        for ent in ids:
            try:
                self._enterprise(int(ent), now, report, cameras=cameras)
            except Exception:  # one enterprise's bad data must not stop the others' checks
                counters.inc("gates.checks.enterprise_errors")
                log.exception("gates checks of enterprise %s failed", ent)
        counters.inc("gates.checks.findings_new", report.findings_new)
        if only is None:
            self._seen = marks
        return report

    def _enterprise(self, ent: int, now: datetime, report: PassReport, *, cameras: bool = True) -> None:
        st = self.settings
        settle = timedelta(seconds=st.job.settle_seconds if st.job.settle_seconds is not None
                           else st.checks.match_tolerance_s)
        p, lg, cs = gs.gates_passages.c, gs.gates_ledger.c, gs.gates_check_state.c
        with self.engine.begin() as conn:
            info = fs.enterprise_info(conn, ent)
            if info is None:
                return
            zone = ZoneInfo(info.tz or st.timezone)
            state = conn.execute(select(gs.gates_check_state).where(cs.enterprise_id == ent)).first()
            seen_p = state.passage_id if state is not None else 0
            seen_l = state.ledger_id if state is not None else 0
            checked_to = _aware(state.checked_to) if state is not None and state.checked_to is not None else None
            new_p = conn.execute(select(func.min(p.at), func.max(p.id), func.max(p.at))
                                 .where(p.enterprise_id == ent, p.id > seen_p)).first()
            new_l = conn.execute(select(func.min(lg.at), func.max(lg.id), func.max(lg.at))
                                 .where(lg.enterprise_id == ent, lg.id > seen_l)).first()
            firsts = [_aware(t) for t in (new_p[0], new_l[0]) if t is not None]
            if checked_to is not None:
                latest = [_aware(t) for t in (
                    conn.scalar(select(func.max(p.at)).where(p.enterprise_id == ent)),
                    conn.scalar(select(func.max(lg.at)).where(lg.enterprise_id == ent))) if t is not None]
                if latest and max(latest) > checked_to:
                    firsts.append(checked_to)
            upto = now - settle
            stored: list[fs.StoredFinding] = []
            if firsts:
                report.enterprises += 1
                first = min(firsts)
                starts = fs.alert_starts(conn, info, first, now)
                lookback = timedelta(hours=st.checks.max_stay_hours, seconds=st.checks.match_tolerance_s)
                # the checks of single passages and rows from the new data less the pairing's reach, from a local
                # midnight (a ledger's day is judged whole): their findings that end before ``first`` are not kept
                # anyway (below), nor the days before ``first``'s
                events_from = _day_start(first - lookback, zone)
                start = min(min([_month_start(first, zone), *starts]) - lookback, events_from)
                ds = (self.rows.dataset(conn, info, start, now, now, ledger_from=seen_l) if self.rows is not None
                      else fs.load_dataset(conn, info, start, now, now))
                found = []
                first_day = first.astimezone(zone).date().isoformat()
                for f in run_checks(ds, st.grades, zone, st.checks, events_from=fs.epoch(events_from),
                                    with_inspection=False, settled_before=fs.epoch(upto)):
                    if f.code in SKIPPED_CODES or f.code not in FINDING_CODES:
                        continue
                    if f.code in SETTLING_CODES and f.end > upto:
                        continue
                    if f.code in DAILY_CODES:
                        if fs.subject_of(f) < first_day:
                            continue
                    elif f.code not in fs.TIMELESS and f.end < first:
                        continue
                    found.append(f)
                new = fs.store_findings(conn, ent, found, now, open_of=lambda f: f.code in DAILY_CODES)
                stored += new
                # a ledger's day checked whole and no longer wanting (the enterprise corrected its rows) is closed
                for code in DAILY_CODES:
                    fs.close_vanished(conn, ent, code, {x.id for x in new if x.code == code}, now,
                                      subjects_from=first_day)
                values = {"passage_id": max(seen_p, new_p[1] or 0), "ledger_id": max(seen_l, new_l[1] or 0),
                          "checked_to": upto, "checked_at": now}
                if state is None:
                    conn.execute(insert_for(conn, gs.gates_check_state).values(enterprise_id=ent, **values))
                else:
                    conn.execute(update(gs.gates_check_state).where(cs.enterprise_id == ent).values(**values))
            closed: list[dict] = []
            if cameras:
                stored += self._cameras(conn, info, zone, now)
                closed = fs.close_vanished(conn, ent, "VEH-CAMERA-OFFLINE",
                                           {x.id for x in stored if x.code == "VEH-CAMERA-OFFLINE" and x.opened}, now)
                closed += fs.close_vanished(conn, ent, "VEH-CAMERA-VIEW",
                                            {x.id for x in stored if x.code == "VEH-CAMERA-VIEW" and x.opened}, now)
        report.findings_new += sum(x.new for x in stored)
        report.findings_updated += sum(not x.new for x in stored)
        if st.job.alarms:
            report.alarms += self._orders(info, stored, closed, now)

    # ------------------------------------------------------------------------------------------------ cameras
    def _cameras(self, conn, info: fs.EnterpriseInfo, zone: ZoneInfo, now: datetime) -> list[fs.StoredFinding]:
        st = self.settings
        start = now - timedelta(hours=st.job.camera_lookback_hours)
        found: list[Finding] = []
        hb, signs = fs.load_heartbeats(conn, info, start, now)
        if len(hb):
            alerts = {str(info.id): [(a.start, a.end) for a in fs.load_alerts(conn, info, start, now, now)]}
            span_start = int(min(hb.t.min(), signs.t.min() if len(signs) else hb.t.min()))
            found += camera_offline(signs.enterprise, signs.gate, signs.t, hb, alerts, zone, st.camera,
                                    span=(span_start, fs.epoch(now)))
        labels = fs.camera_labels(conn, info)
        snaps = fs.load_snapshots(conn, info, labels, start, st.camera.view_min_similarity)
        if snaps:
            found += view_runs(snaps, zone, st.camera)
        if not found:
            return []

        def still_open(f: Finding) -> bool:
            if f.code == "VEH-CAMERA-OFFLINE":
                return f.evidence.get("next_sign_of_life") is None
            return f.evidence.get("back_to_reference") is None
        return fs.store_findings(conn, info.id, found, now, open_of=still_open)

    def compare_snapshots(self) -> int:
        """Compare every snapshot not yet compared with its camera's reference view; the similarity and blankness
        are stored on the row (a picture missing or unreadable: similarity 0, counted and logged)."""
        sn, c = gs.gates_snapshots.c, gs.gates_cameras.c
        cam = self.settings.camera
        with self.engine.connect() as conn:
            rows = conn.execute(select(sn.id, sn.picture, c.reference_picture)
                                .join(gs.gates_cameras, c.id == sn.camera_id)
                                .where(sn.similarity.is_(None), c.reference_picture.is_not(None))
                                .order_by(sn.camera_id, sn.at)).all()
        refs: dict[str, tuple | None] = {}
        done = 0
        for row in rows:
            if row.reference_picture not in refs:
                data = self.pictures.get(row.reference_picture)
                try:
                    refs[row.reference_picture] = prepare_reference(_grey(data), cam.view_grid) if data else None
                except (UnidentifiedImageError, OSError, ValueError):
                    refs[row.reference_picture] = None
            ref = refs[row.reference_picture]
            if ref is None:
                counters.inc("gates.checks.reference_missing")
                continue
            data = self.pictures.get(row.picture)
            try:
                cmp = compare_views(_grey(data), ref, grid=cam.view_grid, blank_std=cam.view_blank_std) \
                    if data else None
            except (UnidentifiedImageError, OSError, ValueError):
                cmp = None
            if cmp is None:
                counters.inc("gates.checks.snapshot_unreadable")
                log.warning("gates snapshot %s: picture %s missing or unreadable", row.id, row.picture)
                values = {"similarity": 0.0, "blank": True}
            else:
                values = {"similarity": float(cmp.similarity), "blank": bool(cmp.blank)}
            with self.engine.begin() as conn:
                conn.execute(update(gs.gates_snapshots).where(sn.id == row.id).values(**values))
            done += 1
        return done

    # ------------------------------------------------------------------------------------------------ alarms
    def _orders(self, info: fs.EnterpriseInfo, stored: list[fs.StoredFinding], closed: list[dict],
                now: datetime) -> list[dict]:
        gettext = translations(self.locale).gettext
        out = []
        for x in stored:
            kind = ALARM_OF_CODE.get(x.code)
            if kind is None:
                continue
            camera = x.code in CLEARED_BY_DATA
            sentence = x.finding.say(gettext)
            if camera:
                sid = camera_source_id(info.id, x.subject)
                if x.opened and not x.was_open:
                    out.append(self._raise(kind, CAMERA, sid, info, x, sentence, f" · {x.subject}"))
                elif x.was_open and not x.opened:
                    out.append({"kind": "clear", "finding_id": x.id, "args": {
                        "type": kind, "source_type": CAMERA, "source_id": sid, "at": x.finding.end,
                        "explanation": sentence}})
            elif x.new:
                out.append(self._raise(kind, ENTERPRISE, str(info.id), info, x, sentence, ""))
        for row in closed:
            kind = ALARM_OF_CODE[row["code"]]
            out.append({"kind": "clear", "finding_id": row["id"], "args": {
                "type": kind, "source_type": CAMERA, "source_id": camera_source_id(info.id, row["subject"]),
                "at": now, "explanation": None}})
        return out

    def _raise(self, kind: str, source_type: str, sid: str, info: fs.EnterpriseInfo, x: fs.StoredFinding,
               sentence: str, suffix: str) -> dict:
        gettext = translations(self.locale).gettext
        f = x.finding
        evidence = {"finding_id": x.id, "code": f.code, "enterprise_id": info.id, "plate": f.plate,
                    "start": f.start.isoformat(), "end": f.end.isoformat(),
                    "sentence": {"msgid": f.msgid, "params": f.params}, "evidence": f.evidence}
        return {"kind": "raise", "finding_id": x.id, "args": {
            "type": kind, "source_type": source_type, "source_id": sid, "severity": None,
            "title": f"{gettext(TYPE_NAMES[kind])}: {info.name}{suffix}", "explanation": sentence,
            "evidence": evidence, "enterprise_id": info.id, "at": f.detected_at}}
