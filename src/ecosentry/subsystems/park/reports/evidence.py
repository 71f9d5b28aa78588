"""The park data in the evidence pack (证据包) of a park alarm (``ALM-PARK-…``, ``Subsystem.evidence_data``).

What proves a toxic-gas warning at a park station (and the notice to an enterprise around it) is the station's
readings of the pollutant around the warning against the warning levels' thresholds, the other stations that saw
it, the wind, and what the incident computed on the raise: the pack shows, in the park's local time with its
offset,

* the park, the station, its MN and the pollutant (added to the alarm's summary);
* per station concerned (the warning's station first, then the park's other stations that read the pollutant in
  the window, the highest first) its readings a minute over the data window with the thresholds of the levels
  reached and the next one (:func:`..tiered.level_thresholds` with ``park.warnings``, what the live job judges);
  the met station's wind speed and direction;
* the warning levels' thresholds and their basis (AEGL, IDLH, occupational limit; attention: a multiple of the
  station's background), the warning's events (raised, escalated, de-escalated, cleared) with their sentences;
* the plume/dispersion summary stored with the raise (wind, the release the zones assume, the AEGL threat zones,
  the receptors inside them) and the ranked candidate sources with their reasons;
* a table of the window's hours per station (mean, maximum, readings, minutes at level I or above) and the
  minutes around the warning (every station concerned and the wind);
* the stations' original frames around the warning with their SHA-256 (:mod:`.queries.evidence`).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from ecosentry.contracts.evidence import evidence_time, pack_time, pack_word
from ecosentry.contracts.evidence import (EvidenceData, EvidenceLine, EvidenceRecord, EvidenceRequest,
                                          EvidenceSeries, EvidenceTable)
from ecosentry.locale import translations
from ecosentry.said import N_
from ecosentry.subsystems.park.alarms import NEARBY
from ecosentry.subsystems.park.maplayout import affected_receptors
from ecosentry.subsystems.park.queries.evidence import (park_zone, readings_of, receptors_of, source_names,
                                                        station_frames, station_of, stations_reading,
                                                        warning_events_around, wind_of)
from ecosentry.subsystems.park.said import TRANSLATED_PARAMS
from ecosentry.subsystems.park.settings import ParkSettings
from ecosentry.subsystems.park.substances import substance_table
from ecosentry.subsystems.park.tiered import LEVEL_NAMES, level_thresholds
from ecosentry.subsystems.park.names import KIND_NAMES, TIER_NAMES, TRANSITION_NAMES, ZONE_NAMES

__all__ = ["evidence_data", "alarm_span", "minute_grid", "hour_rows", "STATIONS_SHOWN", "MINUTES_SHOWN"]

#: Stations charted besides the warning's own (the highest readings first). [-]
STATIONS_SHOWN = 3
#: Minutes listed around the warning at most, and how many before its start. [min]
MINUTES_SHOWN = 120
MINUTES_BEFORE = 10
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")


_time = evidence_time


def alarm_span(alarm: dict, events: list[dict]) -> tuple[datetime, datetime]:
    """[start, end] of a park alarm (UTC). A level's alarm: from its warning event (evidence ``event_id``, else
    ``at``) to the next event of the warning (the level changed or cleared). A notice to an enterprise around
    (``ALM-PARK-NEARBY``, one open notice that a later escalation updates): from its first sighting to the
    warning's clearing. Else up to the alarm's last sighting."""
    ev = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    start = _time(ev.get("at")) or _time(alarm["first_at"])
    if alarm.get("type") == NEARBY:
        start = min(start, _time(alarm["first_at"]) or start)
        end = next((_time(e["at"]) for e in events if e["transition"] == "cleared" and _time(e["at"]) >= start),
                   None)
        return start, max(end or _time(alarm["last_at"]) or start, start)
    k = next((i for i, e in enumerate(events) if e["id"] == ev.get("event_id")), None)
    if k is None:
        k = max((i for i, e in enumerate(events) if _time(e["at"]) <= start), default=None)
    end = _time(events[k + 1]["at"]) if k is not None and k + 1 < len(events) else None
    end = end or max(_time(alarm["last_at"]) or start, start)
    return start, max(end, start)


def minute_grid(t0: datetime, minutes: int, rows) -> np.ndarray:
    """Values a minute from ``t0`` (``rows`` of (at, value)): NaN where none; a reading at a second in a minute
    counts for that minute (the last one received wins)."""
    out = np.full(minutes, np.nan)
    for at, value in rows:
        i = int((_time(at) - t0).total_seconds() // 60)
        if 0 <= i < minutes and value is not None:
            out[i] = float(value)
    return out


def hour_rows(t0: datetime, values: np.ndarray, level_i: float) -> list[tuple[datetime, float | None,
                                                                              float | None, int, int | None]]:
    """Per clock hour of a minute series starting at ``t0`` (a whole hour): (hour start, mean, maximum [mg/m³],
    readings, minutes at or above ``level_i`` (``None`` without a level I threshold))."""
    out = []
    for i in range(0, values.size, 60):
        v = values[i:i + 60]
        seen = v[np.isfinite(v)]
        out.append((t0 + timedelta(minutes=i), float(seen.mean()) if seen.size else None,
                    float(seen.max()) if seen.size else None, int(seen.size),
                    int((seen >= level_i).sum()) if math.isfinite(level_i) else None))
    return out


def _settings() -> ParkSettings:
    from ecosentry.settings import get_settings

    return getattr(get_settings(), "park", None) or ParkSettings()


def _mg(v: float | None, digits: int = 3) -> str:
    return "—" if v is None or v != v else f"{v:.{digits}g}"


def evidence_data(conn: Connection, request: EvidenceRequest) -> EvidenceData | None:
    """The park data of a park alarm's pack; ``None`` for an alarm that is not a park one."""
    alarm = dict(request.alarm)
    evidence = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    if not str(alarm.get("type", "")).startswith("ALM-PARK-") or not isinstance(evidence.get("station_id"), int):
        return None
    station = station_of(conn, int(evidence["station_id"]))
    if station is None:
        return None
    factor = str(evidence.get("factor") or "")
    lang = request.lang
    tr = translations(lang).gettext

    word = pack_word(tr, lang)  # "车牌 Plate" / "Biển số (Plate)"

    park_name, tz = park_zone(conn, station["park_code"])
    settings = _settings()
    tz = tz or settings.timezone or request.default_tz
    zone = ZoneInfo(tz)

    def when(t, seconds: bool = True) -> str:
        return pack_time(t, zone, lang, seconds=seconds)

    def said(sentence: dict | None) -> str:
        sentence = sentence or {}
        params = {k: (when(datetime.fromisoformat(v).replace(tzinfo=zone), seconds=False)
                      if isinstance(v, str) and _LOCAL.match(v) else v)
                  for k, v in (sentence.get("params") or {}).items()}
        try:
            return tr(sentence.get("msgid", "")) % {k: tr(v) if k in TRANSLATED_PARAMS and isinstance(v, str) else v
                                                    for k, v in params.items()}
        except (KeyError, TypeError, ValueError):
            return sentence.get("msgid", "")

    at = _time(evidence.get("at")) or _time(alarm["first_at"])
    events = warning_events_around(conn, station["id"], factor, at)
    span_start, span_end = alarm_span(alarm, events)
    t0, t1, capped = request.window(span_start, span_end)
    minutes = int((t1 - t0).total_seconds() // 60)
    times = [t0 + timedelta(minutes=i) for i in range(minutes)]

    substances = substance_table(settings.substances)
    substance = substances.get(factor)
    name = tr(substance.name) if substance is not None else factor
    thresholds = level_thresholds(substance, settings.warnings) if substance is not None else np.full(3, np.nan)
    reached = max([int(e["level"]) for e in events] + [int(evidence.get("level") or 0)])

    # ---- the stations concerned and their minute values
    others = [x for x in stations_reading(conn, station["park_code"], factor, t0, t1) if x["id"] != station["id"]
              and x["tier"] != "met"][:STATIONS_SHOWN]
    concerned = [station] + others
    values = {x["id"]: [] for x in concerned}
    for sid, t, v, _flag in readings_of(conn, [x["id"] for x in concerned], factor, t0, t1):
        values[int(sid)].append((t, v))
    grids = {sid: minute_grid(t0, minutes, rows) for sid, rows in values.items()}

    def station_label(x: dict) -> str:
        return f"{x['name'] or x['code']} ({x['code']})"

    level_words = {k: tr(LEVEL_NAMES[k]) for k in LEVEL_NAMES}
    lines = tuple(EvidenceLine(float(thresholds[i]), f"{level_words[i + 2]} {_mg(float(thresholds[i]))} mg/m³")
                  for i in range(3) if math.isfinite(thresholds[i]) and i + 2 <= max(reached, 1) + 1)
    series = [EvidenceSeries(f"{x['name'] or x['code']}\n{x['code']} {name}", "mg/m³", times,
                             [None if v != v else float(v) for v in grids[x["id"]].tolist()],
                             lines if x["id"] == station["id"] else ()) for x in concerned]
    met, wind_rows = wind_of(conn, station["park_code"], t0, t1)
    wind = {q: minute_grid(t0, minutes, [(t, v) for qq, t, v in wind_rows if qq == q])
            for q in ("wind_speed", "wind_dir")}
    if met is not None:
        series.append(EvidenceSeries(word(N_("Wind speed")), "m/s", times,
                                     [None if v != v else float(v) for v in wind["wind_speed"].tolist()]))
        series.append(EvidenceSeries(word(N_("Wind from")), "°", times,
                                     [None if v != v else float(v) for v in wind["wind_dir"].tolist()]))

    # ---- the alarm's summary
    mns = [x["mn"] for x in concerned if x.get("mn")] + ([met["mn"]] if met is not None and met.get("mn") else [])
    head = [(tr(N_("Park")), f"{park_name or station['park_code']} ({station['park_code']})"),
            (tr(N_("Station")), f"{station_label(station)}, {tr(TIER_NAMES.get(station['tier'], station['tier']))}"
             + (f", {station['enterprise_name']}" if station.get("enterprise_name") else "")),
            (tr(N_("Pollutant")), f"{name} ({factor})"),
            (tr(N_("Stations (MN)")), ", ".join(mns) or "—")]

    # ---- tables
    tables: list[EvidenceTable] = []
    ws = settings.warnings
    bases = (ws.level_i, ws.level_ii, ws.level_iii)
    raise_event = next((e for e in events if e["transition"] == "raised"), None)
    background = raise_event["background"] if raise_event is not None else evidence.get("background_mg_m3")
    threshold_rows = [(level_words[1], _mg(ws.attention_multiple * background) if background is not None else "—",
                       tr(N_("the station's background × %(multiple)s (%(background)s mg/m³ at the raise)"))
                       % {"multiple": f"{ws.attention_multiple:g}", "background": _mg(background)})]
    threshold_rows += [(level_words[i + 2], _mg(float(thresholds[i])), ", ".join(bases[i]))
                       for i in range(3)]
    tables.append(EvidenceTable(
        word(N_("Thresholds of the warning levels (mg/m³) for this pollutant and their basis.")),
        tuple(word(x) for x in (N_("Level"), N_("Threshold (mg/m³)"), N_("Basis"))), threshold_rows,
        (0.25, 0.2, 0.55)))
    tables.append(EvidenceTable(
        word(N_("Events of the warning at this station.")),
        tuple(word(x) for x in (N_("Time"), N_("Event"), N_("Level"), N_("Value (mg/m³)"), N_("Threshold (mg/m³)"),
                                N_("What happened"))),
        [(when(e["at"]), tr(TRANSITION_NAMES.get(e["transition"], e["transition"])),
          level_words.get(int(e["level"]), str(e["level"])), _mg(e["value"]), _mg(e["threshold"]),
          said(e["sentence"])) for e in events],
        (0.17, 0.09, 0.12, 0.09, 0.09, 0.44)))

    # the plume: the incident stored with the alarm's event, else the latest raise or escalation before it
    with_incident = [e for e in events if e.get("incident") and _time(e["at"]) <= span_start] or \
        [e for e in events if e.get("incident")]
    incident = (with_incident[-1]["incident"] if with_incident else None) or {}
    sources = source_names(conn, station["park_code"])
    if incident:
        w, rel = incident.get("wind") or {}, incident.get("release") or {}
        plume = []
        if w:
            plume += [(tr(N_("Wind at the warning")), tr(N_("from %(deg)s°")) % {"deg": round(w["from_deg"])}
                       + f", {w['speed_m_s']:.1f} m/s, " + tr(N_("stability class %(cls)s")) % {"cls": w["stability"]})]
        if rel:
            src = sources.get(rel.get("source"), {})
            plume += [(tr(N_("Release the zones assume")),
                       f"{src.get('name') or rel.get('source')} ({rel.get('source')}), {rel['rate_g_s']:.3g} g/s, "
                       f"{rel.get('height_m', 0):g} m" + (f" ({tr(N_('assumed rate: the traceback fitted none'))})"
                                                          if rel.get("assumed") else ""))]
        if incident.get("note") or incident.get("error"):
            plume += [(tr(N_("Note")), str(incident.get("note") or incident.get("error")))]
        zones = incident.get("zones") or []
        plume += [(tr(ZONE_NAMES.get(z["name"], z["name"])),
                   tr(N_("%(threshold)s mg/m³: %(extent)s m downwind, %(half)s m half width"))
                   % {"threshold": _mg(z.get("threshold_mg_m3")), "extent": f"{z.get('extent_m', 0):.0f}",
                      "half": f"{z.get('half_width_m', 0):.0f}"}) for z in zones]
        for r in affected_receptors(receptors_of(conn, station["park_code"]), zones):
            plume.append((tr(N_("Receptor in a zone")),
                          f"{r['name']} ({tr(KIND_NAMES.get(r['kind'], r['kind']))}"
                          + (f", {r['population']}" if r.get("population") is not None else "") + "): "
                          + tr(ZONE_NAMES.get(r["zone"], r["zone"]))))
        if plume:
            tables.append(EvidenceTable(
                word(N_("Plume and dispersion computed on the raise (Gaussian plume, AEGL threat zones).")),
                (word(N_("Item")), word(N_("Details"))), plume, (0.3, 0.7)))
        ranking = incident.get("ranking") or []
        if ranking:
            tables.append(EvidenceTable(
                word(N_("Candidate sources ranked by the traceback.")),
                ("#", *(word(x) for x in (N_("Emission source"), N_("Enterprise"), N_("Score"), N_("Rate (g/s)"),
                                          N_("Reason")))),
                [(str(i + 1), f"{sources.get(c['source'], {}).get('name') or c['source']} ({c['source']})",
                  sources.get(c["source"], {}).get("enterprise_name") or c.get("enterprise") or "—",
                  f"{c.get('score', 0):.2f}", _mg(c.get("rate_g_s")), said(c)) for i, c in enumerate(ranking)],
                (0.05, 0.18, 0.2, 0.08, 0.09, 0.4)))

    hours = []
    for x in concerned:
        for h, mean, peak, seen, over in hour_rows(t0, grids[x["id"]], float(thresholds[0])):
            hours.append((h, station_label(x), mean, peak, seen, over))
    tables.append(EvidenceTable(
        word(N_("Readings of each hour of the window (mg/m³); minutes at or above the level I threshold.")),
        tuple(word(x) for x in (N_("Hour"), N_("Station"), N_("Mean"), N_("Maximum"), N_("Readings"),
                                N_("Minutes at level I or above"))),
        [(when(h, seconds=False), label, _mg(mean), _mg(peak), str(seen), "—" if over is None else str(over))
         for h, label, mean, peak, seen, over in sorted(hours, key=lambda r: r[0])],
        (0.2, 0.3, 0.12, 0.12, 0.1, 0.16)))
    i0 = max(0, int((span_start - t0).total_seconds() // 60) - MINUTES_BEFORE)
    i1 = min(minutes, int((span_end - t0).total_seconds() // 60) + MINUTES_BEFORE + 1)
    shown = list(range(i0, min(i1, i0 + MINUTES_SHOWN)))
    if shown:
        cols = [(f"{x['code']} mg/m³", grids[x["id"]]) for x in concerned]
        if met is not None:
            cols += [(f"{met['code']} m/s", wind["wind_speed"]), (f"{met['code']} °", wind["wind_dir"])]
        n = len(cols)
        tables.append(EvidenceTable(
            tr(N_("Readings each minute around the warning, %(shown)d minutes from %(before)d before its start."))
            % {"shown": len(shown), "before": MINUTES_BEFORE},
            (word(N_("Time")), *(c for c, _ in cols)),
            [(when(times[i]), *(_mg(float(v[i]), 4) for _, v in cols)) for i in shown],
            (0.26, *([0.74 / n] * n))))

    # ---- the stations' original frames around the warning
    grace = timedelta(minutes=request.record_grace_minutes)
    frames, total = station_frames(conn, mns, span_start - timedelta(minutes=MINUTES_BEFORE), span_end + grace,
                                   request.max_records)
    records = [EvidenceRecord(int(f.id), _time(f.received_at), f.cn, f.qn, f.status, bytes(f.raw)) for f in frames]

    current = next((e for e in events if e["id"] == evidence.get("event_id")), None)
    explanation = said(current["sentence"]) if current is not None else (
        said(evidence.get("sentence")) if isinstance(evidence.get("sentence"), dict) else None)
    lead = tr(N_("The charts show the pollutant a minute at the warning's station and the park's other stations "
                 "that read it, with the thresholds of the warning levels as red lines, and the wind at the met "
                 "station."))
    links = [(word(N_("Incident")), f"/park/incidents/{evidence['event_id']}")] \
        if isinstance(evidence.get("event_id"), int) else []
    links.append((word(N_("Park map")), f"/park/parks/{station['park_code']}"))
    return EvidenceData(
        tz=tz, span_start=span_start, span_end=span_end, window_start=t0, window_end=t1, window_capped=capped,
        head=head, explanation=explanation,
        rules=tuple(dict.fromkeys(e["code"] for e in events if e["code"])), lead=lead, series=series, tables=tables,
        records=records, records_total=total, links=links)
