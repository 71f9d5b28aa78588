"""The live warning job: after each batch of stored readings, the warning state machine (:func:`..tiered.evaluate`)
per station and pollutant, its transitions persisted (``park_warning_events``, ``park_warning_states``) and turned
into core alarms (:mod:`..alarms`) through the service's dispatcher (notifications), with the incident (plume zones
and traceback ranking, :mod:`.incident`) stored with each raise or escalation.

Each pass reads the (station, pollutant) pairs with readings received since the last pass (``received_at``, with a
minute's overlap: a batch committed late is not missed; the state's ``evaluated_to`` keeps a reading from being
evaluated twice), re-reads up to ``park.live.history_readings`` readings before the first new one (the station's
background window and the dwell counts), and keeps the events after ``evaluated_to``. The machine restarts at "no
warning" at the start of that history: a warning open longer than the history is raised again in the replay only if
the readings say so, and the stored level is the replay's [ours; with the default 1 500 readings, a day of minute
data, this does not happen in practice].

Database work runs in worker threads; alarms are raised from the event loop (the dispatcher mails at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import Engine, and_, func, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.metrics import counters
from ecosentry.store import schema as s
from ecosentry.store.upsert import insert_for
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.alarms import ALARM_OF_LEVEL, NEARBY, STATION, TYPE_NAMES, nearby_source_id, source_id
from ecosentry.subsystems.park.factors import STABILITY_CLASSES
from ecosentry.subsystems.park.i18n import gettext_for
from ecosentry.subsystems.park.live.audience import SourceAt, enterprises_around, primary_enterprise
from ecosentry.subsystems.park.live.incident import DEFAULT_CLASS, incident
from ecosentry.subsystems.park.said import say
from ecosentry.subsystems.park.settings import ParkSettings
from ecosentry.subsystems.park.substances import substance_table
from ecosentry.subsystems.park.tiered import LEVEL_CODES, evaluate
from ecosentry.subsystems.park.tracing import Candidate, MetSeries, Readings

log = logging.getLogger(__name__)

__all__ = ["WarningJob", "Transition"]

#: Overlap of the received-at cursor (a batch whose commit came after a later-received one). [s]
OVERLAP_S = 60.0


@dataclass(slots=True)
class Transition:
    """One persisted transition and what its alarms need."""

    event_id: int
    station_id: int
    station: str
    factor: str
    transition: str
    level: int
    previous: int
    at: datetime
    value: float
    threshold: float
    background: float
    msgid: str
    params: dict[str, Any]
    park_code: str
    region_code: str | None
    primary: int | None
    around: list[int] = field(default_factory=list)
    alarm_id: int | None = None


class WarningJob:
    """The job (``service.park_warnings``): :meth:`pass_once` does one pass; :meth:`run` repeats it."""

    def __init__(self, engine: Engine, settings: ParkSettings | None = None, *, dispatcher: Any = None,
                 locale: str = "zh") -> None:
        self.engine, self.settings = engine, settings or ParkSettings()
        self.dispatcher, self.locale = dispatcher, locale if locale in ("zh", "vi", "en") else "zh"
        self.substances = substance_table(self.settings.substances)
        self._cursor: datetime | None = None
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.pass_once()
            except Exception:  # one bad pass must not end the job; the next one retries
                counters.inc("park.warnings.pass_errors")
                log.exception("park warning pass failed")
            try:
                await asyncio.wait_for(self._stop.wait(), self.settings.live.every_seconds)
            except TimeoutError:
                pass

    async def pass_once(self) -> list[Transition]:
        """Evaluate what arrived since the last pass; raise and clear the alarms of its transitions."""
        transitions = await asyncio.to_thread(self.evaluate_new)
        for t in transitions:
            await self._alarms(t)
        return transitions

    # ------------------------------------------------------------------------------------------- evaluation

    def evaluate_new(self) -> list[Transition]:
        r = ps.park_readings.c
        with self.engine.connect() as conn:
            if self._cursor is None:  # the job's start: what arrived lately (``evaluated_to`` skips what was done)
                since = datetime.now(timezone.utc) - timedelta(hours=self.settings.live.startup_lookback_hours)
            else:
                since = self._cursor - timedelta(seconds=OVERLAP_S)
            q = (select(r.station_id, r.factor, func.max(r.received_at)).where(r.received_at >= since)
                 .group_by(r.station_id, r.factor))
            touched = conn.execute(q).all()
        if not touched:
            return []
        newest = max(_aware(m) for _, _, m in touched)
        out: list[Transition] = []
        registry = self._registry()
        for station_id, factor, _ in sorted(touched, key=lambda x: (x[0], x[1])):
            if station_id not in registry["stations"] or factor not in self.substances:
                continue
            out += self._evaluate_pair(registry, station_id, factor)
        self._cursor = newest if self._cursor is None else max(self._cursor, newest)
        return out

    def _registry(self) -> dict:
        st, si, so = ps.park_stations.c, ps.park_sites.c, ps.park_sources.c
        with self.engine.connect() as conn:
            stations = {row.id: row for row in conn.execute(select(ps.park_stations))}
            sites = {row.park_code: row for row in conn.execute(select(ps.park_sites))}
            regions = dict(conn.execute(select(s.parks.c.code, s.parks.c.region_code)).all())
            names = dict(conn.execute(select(s.enterprises.c.id, s.enterprises.c.name)
                                      .where(s.enterprises.c.park_code.is_not(None))).all())
            sources: dict[str, list] = defaultdict(list)
            for row in conn.execute(select(ps.park_sources).order_by(so.park_code, so.code)):
                sources[row.park_code].append(row)
        del st, si
        return {"stations": stations, "sites": sites, "regions": regions, "sources": sources, "names": names}

    def _evaluate_pair(self, registry: dict, station_id: int, factor: str) -> list[Transition]:
        station = registry["stations"][station_id]
        site = registry["sites"].get(station.park_code)
        tz = site.tz if site is not None else self.settings.timezone
        r, w = ps.park_readings.c, ps.park_warning_states.c
        with self.engine.connect() as conn:
            state = conn.execute(select(ps.park_warning_states).where(w.station_id == station_id,
                                                                      w.factor == factor)).first()
            done = _aware(state.evaluated_to) if state is not None and state.evaluated_to is not None else None
            pair = and_(r.station_id == station_id, r.factor == factor)
            new = conn.execute(select(r.at, r.value).where(pair, *([r.at > done] if done else []))
                               .order_by(r.at)).all()
            if not new:
                return []
            before = conn.execute(select(r.at, r.value).where(pair, r.at < new[0].at).order_by(r.at.desc())
                                  .limit(self.settings.live.history_readings)).all()[::-1]
        rows = before + new
        times = [_aware(x.at) for x in rows]
        values = np.array([x.value for x in rows], dtype=float)
        events = [e for e in evaluate(station.code, factor, times, values, self.substances[factor],
                                      self.settings.warnings, tz, station.name or station.code)
                  if done is None or e.time > done]
        sources = [SourceAt(x.enterprise_id, x.x, x.y, frozenset(x.substances or ()))
                   for x in registry["sources"].get(station.park_code, [])]
        primary = primary_enterprise(station.enterprise_id, station.x, station.y, factor, sources)
        level = state.level if state is not None else 0
        since = _aware(state.since) if state is not None and state.since is not None else None
        out: list[Transition] = []
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            for e in events:
                wind = self._latest_wind(conn, station.park_code, e.time)
                radius = site.notify_radius_m if site is not None and site.notify_radius_m is not None \
                    else self.settings.live.notify_radius_m
                around = enterprises_around(station.x, station.y, sources, radius=radius,
                                            wind_from_deg=wind[1] if wind else None,
                                            downwind_m=self.settings.live.downwind_m,
                                            half_angle=self.settings.live.downwind_half_angle_deg, exclude=primary)
                inc = None
                if e.level > e.previous:
                    inc = self._incident(conn, registry, station, factor, e.time)
                    inc["around"] = around
                stmt = insert_for(conn, ps.park_warning_events).on_conflict_do_nothing(
                    index_elements=["station_id", "factor", "at", "transition"])
                conn.execute(stmt.values(
                    station_id=station_id, factor=factor, at=e.time, transition=e.transition, level=e.level,
                    previous=e.previous, value=e.value, threshold=_finite(e.threshold),
                    background=_finite(e.background), code=LEVEL_CODES.get(e.level or e.previous, "PARK-ATTENTION"),
                    sentence={"msgid": e.msgid, "params": e.params}, incident=inc, detected_at=now))
                ev = ps.park_warning_events.c
                event_id = conn.execute(select(ev.id).where(ev.station_id == station_id, ev.factor == factor,
                                                            ev.at == e.time, ev.transition == e.transition)
                                        ).scalar_one()
                out.append(Transition(event_id, station_id, station.name or station.code, factor, e.transition,
                                      e.level, e.previous, e.time, e.value, e.threshold, e.background, e.msgid,
                                      dict(e.params), station.park_code,
                                      registry["regions"].get(station.park_code), primary, around))
                level, since = e.level, (e.time if e.level else None)
            values_ = {"level": level, "since": since, "evaluated_to": times[-1]}
            if state is None:
                conn.execute(insert_for(conn, ps.park_warning_states).values(station_id=station_id, factor=factor,
                                                                          **values_))
            else:
                conn.execute(update(ps.park_warning_states).where(w.station_id == station_id, w.factor == factor)
                             .values(**values_))
        counters.inc("park.warnings.transitions", len(out))
        return out

    def _met_stations(self, conn, park_code: str) -> list[int]:
        st = ps.park_stations.c
        return list(conn.execute(select(st.id).where(st.park_code == park_code, st.tier == "met")).scalars())

    def _latest_wind(self, conn, park_code: str, at: datetime) -> tuple[float, float] | None:
        ids = self._met_stations(conn, park_code)
        if not ids:
            return None
        m = ps.park_met_readings.c
        row = {}
        for q in ("wind_speed", "wind_dir"):
            v = conn.execute(select(m.value).where(m.station_id.in_(ids), m.quantity == q, m.at <= at)
                             .order_by(m.at.desc()).limit(1)).scalar()
            if v is None:
                return None
            row[q] = float(v)
        return row["wind_speed"], row["wind_dir"]

    def _incident(self, conn, registry: dict, station, factor: str, at: datetime) -> dict:
        """The incident of a raise at ``at``: the park's readings of ``factor`` and its wind over the history."""
        since = at - timedelta(minutes=self.settings.live.incident_history_minutes)
        epoch = since
        m = ps.park_met_readings.c
        met: dict[datetime, dict[str, float]] = defaultdict(dict)
        ids = self._met_stations(conn, station.park_code)
        if ids:
            for q, t, v in conn.execute(select(m.quantity, m.at, m.value).where(
                    m.station_id.in_(ids), m.at >= since, m.at <= at,
                    m.quantity.in_(("wind_speed", "wind_dir", "stability"))).order_by(m.at)):
                met[_aware(t)][q] = float(v)
        times = [t for t in sorted(met) if "wind_speed" in met[t] and "wind_dir" in met[t]]
        series = MetSeries(np.array([(t - epoch).total_seconds() for t in times], dtype=float),
                           np.array([met[t]["wind_speed"] for t in times], dtype=float),
                           np.array([met[t]["wind_dir"] for t in times], dtype=float),
                           np.array([STABILITY_CLASSES.get(int(round(met[t].get("stability", 0))), DEFAULT_CLASS)
                                     for t in times]))
        r, st = ps.park_readings.c, ps.park_stations.c
        rows = conn.execute(select(st.code, st.x, st.y, r.at, r.value).join(ps.park_stations, st.id == r.station_id)
                            .where(st.park_code == station.park_code, r.factor == factor, r.at >= since,
                                   r.at <= at)).all()
        readings = Readings(np.array([x.code for x in rows], dtype=object), np.array([x.x for x in rows], float),
                            np.array([x.y for x in rows], float),
                            np.array([(_aware(x.at) - epoch).total_seconds() for x in rows], float),
                            np.array([factor] * len(rows), dtype=object), np.array([x.value for x in rows], float))
        names = registry["names"]
        candidates = [Candidate(x.code, names.get(x.enterprise_id, str(x.enterprise_id)), x.x, x.y,
                                frozenset(x.substances or ()), x.height)
                      for x in registry["sources"].get(station.park_code, [])]
        try:
            return incident(readings, series, candidates, factor, self.substances[factor],
                            settings=self.settings.traceback, assumed_rate=self.settings.live.assumed_rate_g_s,
                            max_distance=self.settings.dispersion.max_distance_m)
        except Exception as exc:  # the warning matters more than its incident: kept, with the reason
            counters.inc("park.warnings.incident_errors")
            log.exception("park incident of station %s, %s failed", station.code, factor)
            return {"factor": factor, "error": f"{type(exc).__name__}: {exc}"[:300]}

    # ------------------------------------------------------------------------------------------------ alarms

    async def _alarms(self, t: Transition) -> None:
        gettext = gettext_for(self.locale)
        sid = source_id(t.station_id, t.factor)
        sentence = say(t.msgid, t.params, gettext)
        if t.previous:
            cleared = await asyncio.to_thread(lambda: alarm_store.clear_by_data(
                self.engine, type=ALARM_OF_LEVEL[t.previous], source_type=STATION, source_id=sid, at=t.at,
                explanation=sentence))
            if cleared is not None and self.dispatcher is not None:
                await self.dispatcher.notify_cleared(cleared)
        if not t.level:
            await self._clear_nearby(t, sentence)
            return
        kind = ALARM_OF_LEVEL[t.level]
        substance = gettext(self.substances[t.factor].name)
        evidence = {"station_id": t.station_id, "station": t.station, "park": t.park_code, "factor": t.factor,
                    "level": t.level, "previous": t.previous, "value_mg_m3": t.value,
                    "threshold_mg_m3": _finite(t.threshold), "background_mg_m3": _finite(t.background),
                    "at": t.at.isoformat(), "event_id": t.event_id, "around": t.around,
                    "sentence": {"msgid": t.msgid, "params": t.params}}
        alarm = await self._raise(type=kind, source_type=STATION, source_id=sid, severity=None,
                                  title=f"{gettext(TYPE_NAMES[kind])}: {t.station}, {substance}",
                                  explanation=sentence, evidence=evidence, enterprise_id=t.primary,
                                  region_code=t.region_code, factor_codes=[t.factor], at=t.at)
        t.alarm_id = alarm["id"]
        for ent in t.around:
            await self._raise(type=NEARBY, source_type=STATION, source_id=nearby_source_id(t.station_id, t.factor, ent),
                              severity=None, title=f"{gettext(TYPE_NAMES[NEARBY])}: {t.station}, {substance}",
                              explanation=sentence, evidence={**evidence, "warning_alarm_id": alarm["id"]},
                              enterprise_id=ent, region_code=t.region_code, factor_codes=[t.factor], at=t.at)
        await asyncio.to_thread(self._note_alarm, t)

    async def _raise(self, **kwargs: Any) -> dict:
        if self.dispatcher is not None:
            alarm, _change, _deliveries = await self.dispatcher.raise_alarm(**kwargs)
        else:
            alarm, _change = await asyncio.to_thread(lambda: alarm_store.raise_alarm(self.engine, **kwargs))
        return alarm

    async def _clear_nearby(self, t: Transition, sentence: str) -> None:
        a = s.alarms.c
        prefix = f"{source_id(t.station_id, t.factor)}:"
        with self.engine.connect() as conn:
            ids = [x for x in conn.execute(select(a.source_id).where(
                a.type == NEARBY, a.source_type == STATION, a.state != "cleared",
                a.source_id.like(prefix + "%"))).scalars()]
        for sid in ids:
            cleared = await asyncio.to_thread(lambda sid=sid: alarm_store.clear_by_data(
                self.engine, type=NEARBY, source_type=STATION, source_id=sid, at=t.at, explanation=sentence))
            if cleared is not None and self.dispatcher is not None:
                await self.dispatcher.notify_cleared(cleared)

    def _note_alarm(self, t: Transition) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(ps.park_warning_events).where(ps.park_warning_events.c.id == t.event_id)
                         .values(alarm_id=t.alarm_id))
            w = ps.park_warning_states.c
            conn.execute(update(ps.park_warning_states).where(w.station_id == t.station_id, w.factor == t.factor)
                         .values(alarm_id=t.alarm_id))


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def _finite(v: float) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None
