"""The live rules engine (issue 15 items 3–4): every ``power.engine.every_seconds`` (10 s) it evaluates the
enterprises that received readings since its last pass (a cursor on ``power_readings.received_at``; every
enterprise at least every ``sweep_seconds``, so a logger gone silent is seen), with the thresholds in force.

One evaluation of an enterprise (in a worker thread, never on the event loop):

1. thresholds: a meter without a person's version whose learned version is missing or older than
   ``relearn_hours`` is learned again from its last ``learn_days`` of power (:mod:`..rules.learned`), and a
   result that differs from the version in force is recorded (:func:`..store.thresholds.record_learned`);
2. the window: from ``window_minutes`` (180) before the end of the data, reaching back to the start of a finding
   still open (at most ``max_window_hours``) and to the baseline days of a limit order in force. The end of the
   data is the newest minute every meter heard within the offline setting has sent (a meter a few seconds late
   does not look like a gap); when none was heard, the current minute (the silence itself is judged);
3. every rule (:func:`..check.check_enterprise`, with the orders ``orders_for(conn, enterprise_id, start,
   end)`` gives) over the window, pivoted to per-meter minute arrays (:mod:`.readings`);
4. reconciled with ``power_findings`` (:mod:`..rules.reconcile`) in one transaction;
5. one alarm per open finding (``ALM-PWR-…``, :mod:`..alarms`), raised through the dispatcher (notifications)
   or the alarm store, cleared by data when the finding ends, with start, end and duration in the
   deployment's language and the enterprise's local time; a finding that had already ended when first found
   is raised and cleared at once (it still happened).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from ecosentry.alarms import store as alarm_store
from ecosentry.locale import Formatter, translations
from ecosentry.metrics import counters
from ecosentry.subsystems.power.alarms import (ALARM_OF, EQUIPMENT, TYPE_NAMES, alarm_sentence, named_params,
                                              source_id)
from ecosentry.subsystems.power.check import check_enterprise
from ecosentry.subsystems.power.engine.readings import WindowCache, floor_minute, heard_spans, load_power
from ecosentry.subsystems.power.rules.reconcile import Action, plan, utc
from ecosentry.subsystems.power.queries.model import (StoredEnterprise, enterprise_model, enterprise_models,
                                                      metered_enterprises)
from ecosentry.subsystems.power.rules.findings import Finding
from ecosentry.subsystems.power.rules.learned import learn_threshold
from ecosentry.subsystems.power.rules.orders import Order
from ecosentry.subsystems.power.schema import power_meters, power_readings
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.subsystems.power.store import findings as finding_store
from ecosentry.subsystems.power.store.thresholds import PERSON_SOURCES, record_learned

log = logging.getLogger(__name__)

__all__ = ["PowerEngine", "Evaluation", "OrdersFor"]

#: ``orders_for(conn, enterprise_id, start, end)``: the emergency measures in force on the enterprise
#: between ``start`` and ``end`` (UTC), as :class:`Order` items.
OrdersFor = Callable[[Connection, int, datetime, datetime], Sequence[Order]]
_MIN = timedelta(minutes=1)


@dataclass
class Evaluation:
    """What one evaluation of an enterprise did."""

    enterprise: StoredEnterprise
    start: datetime
    end: datetime
    readings: int
    actions: list[Action] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    learned: int = 0


class PowerEngine:
    """The rules engine over the database at ``engine``.

    ``dispatcher``: an :class:`ecosentry.alarms.dispatch.Dispatcher` (raises notify recipients); without one
    the alarms are written with :mod:`ecosentry.alarms.store` only. ``locale``/``default_tz``: the language of
    the stored explanations and the zone of enterprises without a device zone."""

    def __init__(self, engine: Engine, settings: PowerSettings | None = None, *, orders_for: OrdersFor | None = None,
                 dispatcher: Any = None, locale: str = "zh", default_tz: str = "Asia/Shanghai") -> None:
        self.engine = engine
        self.settings = settings or PowerSettings()
        self.orders_for = orders_for
        self.dispatcher = dispatcher
        self.locale = locale
        self.default_tz = default_tz
        #: Newest ``received_at`` seen by the last pass (None: the first pass evaluates every enterprise).
        self.cursor: datetime | None = None
        self.swept_at: datetime | None = None
        #: Per enterprise, the newest ``received_at`` a pass has taken into account.
        self.heard_at: dict[int, datetime] = {}
        #: When each meter's threshold was last learned (so a pass does not learn it again).
        self.learned_at: dict[int, datetime] = {}
        self._models: dict[int, tuple[datetime, StoredEnterprise | None]] = {}
        #: Each enterprise's window between passes (only the readings received since are read).
        self.windows = WindowCache(timedelta(minutes=self.settings.engine.reload_minutes))
        self._stop = asyncio.Event()

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Pass after pass every ``every_seconds`` until :meth:`stop`; a failed pass is logged and retried."""
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            began = loop.time()
            try:
                await self.pass_once(datetime.now(timezone.utc))
            except Exception:
                counters.inc("power.engine.pass_errors")
                log.exception("power engine pass failed; retrying next pass")
            # the next pass starts every_seconds after this one started (a long pass does not stretch the period)
            wait = max(0.0, self.settings.engine.every_seconds - (loop.time() - began))
            try:
                await asyncio.wait_for(self._stop.wait(), wait)
            except TimeoutError:
                pass

    def stop(self) -> None:
        self._stop.set()

    def resume(self) -> None:
        """Let :meth:`run` run again after :meth:`stop` (the demo holds the engine while its history arrives:
        judged as it trickles in, a backlog would look like silences)."""
        self._stop = asyncio.Event()

    async def pass_once(self, now: datetime) -> dict[str, int]:
        """One pass at ``now``: the touched enterprises evaluated, their findings and alarms reconciled."""
        now = now.astimezone(timezone.utc)
        ids, cursor = await asyncio.to_thread(self.touched, now)
        stats = {"enterprises": 0, "readings": 0, "inserted": 0, "updated": 0, "closed": 0, "raised": 0,
                 "cleared": 0, "errors": 0, "learned": 0}
        await asyncio.to_thread(self.preload, ids, now)
        for eid in ids:
            try:
                ev = await asyncio.to_thread(self.evaluate, eid, now)
            except Exception:  # one enterprise's bad data or registry never stops the others
                stats["errors"] += 1
                counters.inc("power.engine.enterprise_errors")
                log.exception("power engine: enterprise %s failed", eid)
                continue
            if ev is None:
                continue
            stats["enterprises"] += 1
            stats["readings"] += ev.readings
            stats["learned"] += ev.learned
            for a in ev.actions:
                stats[{"insert": "inserted", "update": "updated", "close": "closed"}[a.kind]] += 1
            try:
                await self.sync_alarms(ev, now, stats)
            except Exception:  # the findings are stored; the alarm is raised again when the finding next changes
                stats["errors"] += 1
                counters.inc("power.engine.alarm_errors")
                log.exception("power engine: alarms of enterprise %s failed", eid)
        self.cursor = cursor
        counters.inc("power.engine.passes")
        return stats

    def touched(self, now: datetime) -> tuple[list[int], datetime | None]:
        """Enterprises with readings received since the cursor (all of them on the first pass and every
        ``sweep_seconds``), and the new cursor.

        The query is bounded by the readings' minute (indexed): only minutes from the offline setting before the
        cursor on; a backlog of older minutes is read by the next sweep (the cached window takes every reading
        received since, whatever its minute)."""
        r, m = power_readings, power_meters
        st = self.settings
        sweep = self.cursor is None or self.swept_at is None or \
            (now - self.swept_at).total_seconds() >= st.engine.sweep_seconds
        since = self.cursor - timedelta(seconds=5) if self.cursor is not None else None
        bound = (self.cursor or now) - timedelta(minutes=st.linkage.offline_minutes) if self.cursor is not None \
            else now - timedelta(hours=st.engine.max_window_hours)
        with self.engine.connect() as conn:
            q = (select(m.c.enterprise_id, func.max(r.c.received_at)).join(r, r.c.meter_id == m.c.id)
                 .where(r.c.at >= bound).group_by(m.c.enterprise_id))
            if since is not None:  # a little overlap: a reading committed late with an earlier stamp is not skipped
                q = q.where(r.c.received_at > since)
            heard = conn.execute(q).all()
            if sweep:
                self.swept_at = now
                ids = metered_enterprises(conn)
            else:  # the overlap shows the newest readings again: only what an enterprise has not had yet counts
                ids = [eid for eid, t in heard if t is not None
                       and (eid not in self.heard_at or utc(t) > self.heard_at[eid])]
        for eid, t in heard:
            if t is not None:
                self.heard_at[eid] = max(utc(t), self.heard_at.get(eid, utc(t)))
        newest = max((utc(t) for _e, t in heard if t is not None), default=None)
        cursor = max(self.cursor, newest) if self.cursor is not None and newest is not None else newest or self.cursor
        return sorted(ids), cursor

    # ------------------------------------------------------------------ one enterprise (worker thread)

    def evaluate(self, enterprise_id: int, now: datetime, orders: Sequence[Order] | None = None) -> Evaluation | None:
        """Evaluate one enterprise at ``now`` and reconcile its findings (no alarms: :meth:`sync_alarms`)."""
        st = self.settings
        es = st.engine
        now = now.astimezone(timezone.utc)
        se = self.model(enterprise_id, now)
        if se is None:
            return None
        learned = self._learn(se, now)
        if learned:
            se = self.model(enterprise_id, now, fresh=True) or se
        with self.engine.connect() as conn:
            meters = {mid: code for code, mid in se.meter_ids.items()
                      if any(e.meter == code for e in se.model.equipment)}
            reach = timedelta(hours=es.max_window_hours)
            spans = heard_spans(conn, list(meters), now - reach)
            heard = [last for _first, last in spans.values()
                     if last >= now - timedelta(minutes=st.linkage.offline_minutes)]
            end = min(min(heard) + _MIN, floor_minute(now) + _MIN) if heard else floor_minute(now)
            start = end - timedelta(minutes=es.window_minutes)
            oldest = finding_store.open_since(conn, enterprise_id)
            if oldest is not None and utc(oldest) < start:
                start = max(floor_minute(utc(oldest)) - timedelta(minutes=st.linkage.offline_minutes), end - reach)
            # the orders to one minute past the data: an alert still in force then leaves a run of a stopped unit
            # reaching the end of the data open (clipped at the data's end, the run would end with the order)
            got = list(orders) if orders is not None else \
                list(self.orders_for(conn, enterprise_id, start, end + _MIN)) if self.orders_for else []
            got = [replace(o, enterprise=se.model.id) for o in got]
            for o in got:
                if o.measure == "limit" and o.baseline_kwh is None:  # its baseline: the normal days before it
                    start = min(start, floor_minute(o.start.astimezone(timezone.utc))
                                - timedelta(days=st.orders.baseline_days + 1))
            if start < now - reach:  # a limit order's baseline days: the first reading since then, not since reach
                spans = heard_spans(conn, list(meters), start)
            first = min((f for f, _last in spans.values()), default=None)
            if first is None and oldest is None:
                # none of its meters was ever heard (within max_window_hours) and nothing is open: no data to judge
                # yet, and no known start of a silence (a registry just imported, its loggers not yet connected)
                return None
            if first is not None and first > start:  # nothing before the meters' first reading is a gap
                start = min(first, end - _MIN)
            readings = self.windows.load(conn, enterprise_id, meters, start, end, now)
        try:
            result = check_enterprise(se.model, readings, st, got)
        except ValueError:
            if not any(o.measure == "limit" for o in got):
                raise
            # a limit order without a baseline yet (no normal day before it) must not stop the linkage rules
            counters.inc("power.engine.limit_without_baseline")
            log.warning("power engine: enterprise %s: a limit order has no baseline; judged without it",
                        enterprise_id)
            got = [o for o in got if o.measure != "limit"]
            result = check_enterprise(se.model, readings, st, got)
        _note_alerts(result.findings, got)
        with self.engine.begin() as conn:
            stored = finding_store.stored_findings(conn, enterprise_id, start)
            p = plan(result.findings, stored, start, end)
            rows = finding_store.apply(conn, enterprise_id, p.actions, now)
        return Evaluation(se, start, end, readings.minutes * len(meters), p.actions, rows, learned)

    def model(self, enterprise_id: int, now: datetime, *, fresh: bool = False) -> StoredEnterprise | None:
        """The enterprise's model with its thresholds in force, read again after ``registry_seconds`` (a
        registry edit or a person's threshold takes effect within that time)."""
        hit = self._models.get(enterprise_id)
        ttl = self.settings.engine.registry_seconds
        if not fresh and hit is not None and 0 <= (now - hit[0]).total_seconds() < ttl:
            return hit[1]
        with self.engine.connect() as conn:
            se = enterprise_model(conn, enterprise_id, now, self.default_tz)
        self._models[enterprise_id] = (now, se)
        return se

    def preload(self, ids: Sequence[int], now: datetime) -> None:
        """Read the models of the enterprises whose cached model is due, together (one query per table)."""
        ttl = self.settings.engine.registry_seconds
        due = [eid for eid in ids if (hit := self._models.get(eid)) is None
               or not 0 <= (now - hit[0]).total_seconds() < ttl]
        if not due:
            return
        with self.engine.connect() as conn:
            got = enterprise_models(conn, due, now, self.default_tz)
        for eid in due:
            self._models[eid] = (now, got.get(eid))

    def _learn(self, se: StoredEnterprise | int, now: datetime) -> int:
        """Learn the thresholds of the enterprise's meters that are due (see the module's docstring)."""
        es = self.settings.engine
        th = self.settings.thresholds
        if not th.learn:
            return 0
        if isinstance(se, int):
            with self.engine.connect() as conn:
                se = enterprise_model(conn, se, now, self.default_tz)
            if se is None:
                return 0
        roles = {e.meter: e.role for e in se.model.equipment}
        due = []
        for code, mid in se.meter_ids.items():
            if roles.get(code) in (None, "total"):
                continue
            current = se.thresholds.get(mid)
            if current is not None and current["source"] in PERSON_SOURCES:
                continue
            seen = self.learned_at.get(mid)
            if current is not None:
                set_at = utc(current["set_at"])
                seen = max(seen, set_at) if seen else set_at
            if seen is None or now - seen >= timedelta(hours=es.relearn_hours):
                due.append((code, mid))
        n = 0
        for code, mid in due:
            self.learned_at[mid] = now
            with self.engine.begin() as conn:
                power = load_power(conn, mid, now - timedelta(days=es.learn_days), now)
                got = learn_threshold(power, rated_kw=se.rated_kw.get(code), floor=th.floor_kw,
                                      min_separation=th.min_separation, min_share=th.min_share,
                                      min_ratio=th.min_ratio, fallback_share=th.fallback_share, dwell=th.dwell_on,
                                      dwell_off=th.dwell_off)
                n += record_learned(conn, mid, got, now) is not None
            if got.method != "otsu":  # not bimodal (yet): a new meter's first hours; try again within the hour
                self.learned_at[mid] = now - timedelta(hours=es.relearn_hours) + timedelta(hours=1)
        return n

    # ------------------------------------------------------------------ alarms

    def _voice(self, tz: str):
        fmt = Formatter(self.locale, tz)
        return translations(self.locale).gettext, (lambda t: fmt.datetime(t, tz))

    def alarm_fields(self, se: StoredEnterprise, f: Finding | None, row: dict, now: datetime) -> dict:
        """Title, explanation (deployment's language, local times) and evidence of a finding's alarm."""
        params = dict(row.get("params") or {})
        msgid = params.pop("msgid", None)
        end = row.get("end_at")
        evidence = {"finding_id": row["id"], "code": row["code"], "enterprise_id": se.id,
                    "equipment": list(f.equipment) if f is not None else row["key"].split(","),
                    "start": utc(row["start_at"]).isoformat(),
                    "end": utc(end).isoformat() if end is not None else None,
                    "detected_at": utc(row["detected_at"]).isoformat(),
                    "sentence": {"msgid": msgid, "params": params}, "evidence": row.get("evidence")}
        _, when = self._voice(se.model.tz)
        alarm_type = ALARM_OF[row["code"]]
        title = f"{se.model.name}{_(': ')}{_(TYPE_NAMES[alarm_type])} ({row['key']})"
        # said with the equipment's names (the evidence keeps the codes: the pages name them in the reader's words)
        names = {e.id: e.name or e.id for e in se.model.equipment}
        named = {**evidence, "sentence": {"msgid": msgid, "params": named_params(params, names)}}
        explanation = alarm_sentence(named, _, when, now) if msgid else None
        return {"title": title[:200], "explanation": explanation, "evidence": evidence}

    async def sync_alarms(self, ev: Evaluation, now: datetime, stats: dict[str, int]) -> None:
        """Raise / clear the alarms the evaluation's actions call for, and note the alarm on the finding."""
        se = ev.enterprise
        for a, row in zip(ev.actions, ev.rows):
            if a.alarm is None:
                continue
            alarm_type = ALARM_OF.get(row["code"])
            if alarm_type is None:
                continue
            origin = {"type": alarm_type, "source_type": EQUIPMENT, "source_id": source_id(se.id, row["key"])}
            fields = self.alarm_fields(se, a.finding, row, now)
            if a.alarm in ("raise", "raise_clear", "refresh"):
                kwargs = dict(origin, severity=row["severity"], enterprise_id=se.id, at=now, **fields)
                if self.dispatcher is not None:
                    alarm, change, _d = await self.dispatcher.raise_alarm(**kwargs)
                else:
                    alarm, change = await asyncio.to_thread(lambda: alarm_store.raise_alarm(self.engine, **kwargs))
                stats["raised"] += change.kind == "raised"
                if row.get("alarm_id") != alarm["id"]:
                    await asyncio.to_thread(self._note_alarm, row["id"], alarm["id"])
            if a.alarm in ("clear", "raise_clear"):
                cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(
                    self.engine, **origin, at=now, explanation=fields["explanation"]))
                if cleared is not None:
                    stats["cleared"] += 1
                    if self.dispatcher is not None and hasattr(self.dispatcher, "notify_cleared"):
                        await self.dispatcher.notify_cleared(cleared)

    def _note_alarm(self, finding_id: int, alarm_id: int) -> None:
        with self.engine.begin() as conn:
            finding_store.set_alarm(conn, finding_id, alarm_id)


def _note_alerts(findings: list[Finding], orders: list[Order]) -> None:
    """An order finding names the heavy-pollution alert of its order (``alert_id`` in its evidence, stored in
    ``power_findings.alert_id``) when the order carries one (an ``alert_id`` attribute)."""
    for f in findings:
        if not f.code.startswith("PWR-ORDER-"):
            continue
        for o in orders:
            alert = getattr(o, "alert_id", None)
            if alert is not None and set(f.equipment) & set(o.equipment) and f.start < o.end and f.end > o.start:
                f.evidence["alert_id"] = alert
                break
