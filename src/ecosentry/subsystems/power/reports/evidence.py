"""The electricity data in the evidence pack (证据包) of a power alarm (``ALM-PWR-…``, ``Subsystem.evidence_data``).

What proves a treatment facility off during production, a late start or an early stop, or production during a
stop or limit order of a heavy-pollution alert is the equipment's power around the alarm span: the pack shows,
in the enterprise's local time,

* the equipment the finding names and the equipment linked to it (the treatment serving a production unit, the
  production a treatment serves), their meters and loggers (added to the alarm's summary);
* per unit its active power a minute over the data window (the readings the rules judged), its on and off
  thresholds in force, the stop and limit orders in force on the named equipment (:func:`.queries.measures.
  orders_for`, the same orders the live engine judges) and the alarm span;
* a table of the window's hours per unit (mean, minimum and maximum power, minutes running under the unit's
  thresholds with hysteresis and dwell, readings), the minute values of the alarm span, the orders in force;
* the loggers' original frames of the span with their SHA-256 (:mod:`.queries.evidence`).

The explanation is the finding's sentence said in the reader's language (:func:`..alarms.alarm_sentence`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from ecosentry.contracts.evidence import evidence_time, pack_time, pack_word
from ecosentry.contracts.evidence import (EvidenceBand, EvidenceData, EvidenceLine, EvidenceRecord, EvidenceRequest,
                                          EvidenceSeries, EvidenceTable)
from ecosentry.locale import translations
from ecosentry.said import N_
from ecosentry.subsystems.power.alarms import alarm_sentence, named_params
from ecosentry.subsystems.power.queries.evidence import device_mns, span_frames
from ecosentry.subsystems.power.queries.measures import orders_for
from ecosentry.subsystems.power.queries.readings import minute_grid
from ecosentry.subsystems.power.queries.registry import (enterprise_zone, equipment_of, linkage_of,
                                                         threshold_versions)
from ecosentry.subsystems.power.reports.alert_report import LEVEL_MSGIDS
from ecosentry.subsystems.power.rules.state import ON
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.subsystems.power.timeline import unit_codes, view_thresholds

__all__ = ["evidence_data", "alarm_span", "units_of_alarm", "hour_rows", "SPAN_MINUTES_SHOWN"]

#: Minute values of the alarm span listed at most (the chart shows them all). [min]
SPAN_MINUTES_SHOWN = 120

ROLE_MSGIDS = {"production": N_("Production"), "treatment": N_("Treatment"), "total": N_("Total meter")}


def alarm_span(alarm: dict) -> tuple[datetime, datetime]:
    """[start, end] of a power alarm's finding (UTC): its evidence's start and end; an open finding up to the
    alarm's last sighting."""
    ev = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    start, end = _time(ev.get("start")), _time(ev.get("end"))
    first, last = _time(alarm["first_at"]), _time(alarm["last_at"])
    start = start or first
    end = end or max(last, start)
    return start, max(end, start)


def units_of_alarm(units: list[dict], links: list[dict], codes: list[str]) -> list[dict]:
    """The units a finding names (``codes``) and those linked to them (the treatment serving a named production
    unit, the production a named treatment serves), in the registry's order (production, treatment, total)."""
    by_id = {u["id"]: u for u in units}
    named = {u["id"] for u in units if u["code"] in codes}
    linked = {lk["treatment_id"] for lk in links if lk["production_id"] in named} | \
             {lk["production_id"] for lk in links if lk["treatment_id"] in named}
    return [u for u in units if u["id"] in named | {i for i in linked if i in by_id}]


def hour_rows(t0: datetime, values: np.ndarray, codes: np.ndarray) -> list[tuple[datetime, float | None,
                                                                                 float | None, float | None, int, int]]:
    """Per clock hour of a minute series starting at ``t0`` (a whole hour): (hour start, mean, min, max power
    [kW], minutes running, readings); a hour without a reading has no mean, minimum or maximum."""
    out = []
    for i in range(0, values.size, 60):
        v, c = values[i:i + 60], codes[i:i + 60]
        seen = v[np.isfinite(v)]
        out.append((t0 + timedelta(minutes=i), float(seen.mean()) if seen.size else None,
                    float(seen.min()) if seen.size else None, float(seen.max()) if seen.size else None,
                    int((c == ON).sum()), int(seen.size)))
    return out


_time = evidence_time


def _kw(v: float | None) -> str:
    return "—" if v is None or v != v else f"{v:.1f}"


def _settings() -> PowerSettings:
    from ecosentry.settings import get_settings

    return getattr(get_settings(), "power", None) or PowerSettings()


def evidence_data(conn: Connection, request: EvidenceRequest) -> EvidenceData | None:
    """The electricity data of a power alarm's pack; ``None`` for an alarm that is not a power one."""
    alarm = dict(request.alarm)
    if not str(alarm.get("type", "")).startswith("ALM-PWR-") or alarm.get("enterprise_id") is None:
        return None
    lang = request.lang
    tr = translations(lang).gettext

    word = pack_word(tr, lang)  # "车牌 Plate" / "Biển số (Plate)"

    enterprise = int(alarm["enterprise_id"])
    tz = enterprise_zone(conn, enterprise, request.default_tz)
    zone = ZoneInfo(tz)
    span_start, span_end = alarm_span(alarm)
    t0, t1, capped = request.window(span_start, span_end)
    evidence = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    named = [str(c) for c in evidence.get("equipment") or []]
    all_units = equipment_of(conn, enterprise)
    units = units_of_alarm(all_units, linkage_of(conn, enterprise), named)
    names = {u["code"]: u["name"] or u["code"] for u in all_units}
    meter_ids = [u["meter_id"] for u in units if u["meter_id"] is not None]
    minutes = int((t1 - t0).total_seconds() // 60)
    power = minute_grid(conn, meter_ids, t0, minutes)
    versions = threshold_versions(conn, meter_ids, t0, t1)
    settings = _settings()

    def when(t: datetime, seconds: bool = False) -> str:
        return pack_time(t, zone, lang, seconds=seconds)

    series, hours, span_cols = [], [], []
    times = [t0 + timedelta(minutes=i) for i in range(minutes)]
    for u in units:
        v = power.get(u["meter_id"], np.full(minutes, np.nan)) if u["meter_id"] is not None \
            else np.full(minutes, np.nan)
        seq = versions.get(u["meter_id"], [])
        th = None
        if u["role"] != "total":
            th, _source = view_thresholds(seq[-1][1] if seq else None, u["rated_kw"] or u["meter_rated_kw"], v,
                                          settings.thresholds)
        lines = () if th is None else (EvidenceLine(th.on, word(N_("On threshold"))),
                                       EvidenceLine(th.off, word(N_("Off threshold"))))
        label = f"{names[u['code']]}\n{u['code']}"
        series.append(EvidenceSeries(label, "kW", times, [None if x != x else float(x) for x in v.tolist()], lines))
        codes = unit_codes(v, th)
        role = tr(ROLE_MSGIDS.get(u["role"], u["role"]))
        for h, mean, lo, hi, running, seen in hour_rows(t0, v, codes):
            hours.append((h, f"{names[u['code']]} ({u['code']}, {role})", mean, lo, hi,
                          str(running) if th is not None else "—", seen))
        span_cols.append((u, v))

    # the summary's labels are short (its first column is narrow): the reader's word alone
    head = [(tr(N_("Equipment")), "; ".join(
                f"{names[u['code']]} ({u['code']}, {tr(ROLE_MSGIDS.get(u['role'], u['role']))})" for u in units)
             or "—"),
            (tr(N_("Meters")), ", ".join(u["meter_code"] for u in units if u["meter_code"]) or "—")]
    mns = device_mns(conn, meter_ids)
    head.append((tr(N_("Power loggers (MN)")), ", ".join(mns) or "—"))

    orders = [o for o in orders_for(conn, enterprise, t0, t1) if not named or set(o.equipment) & set(named)]
    bands, order_rows = [], []
    for o in orders:
        level = tr(LEVEL_MSGIDS.get(o.level or "", o.level or "")) if o.level else "—"
        what = (tr(N_("Stop order (%(level)s alert)")) % {"level": level} if o.measure == "stop" else
                tr(N_("Limit order to %(pct)s %% of the baseline (%(level)s alert)"))
                % {"pct": f"{o.allowed_pct:g}", "level": level})
        bands.append(EvidenceBand(o.start, o.end, what))
        order_rows.append((what, ", ".join(f"{names.get(c, c)} ({c})" for c in o.equipment), when(o.start),
                           when(o.end), str(o.alert_id) if o.alert_id is not None else "—"))

    tables = [EvidenceTable(
        word(N_("Power of each hour of the window (kW); minutes running under the unit's thresholds.")),
        tuple(word(x) for x in (N_("Hour"), N_("Equipment"), N_("Mean kW"), N_("Min kW"), N_("Max kW"),
                                N_("Minutes running"), N_("Readings"))),
        [(when(h), unit, _kw(mean), _kw(lo), _kw(hi), running, str(seen))
         for h, unit, mean, lo, hi, running, seen in sorted(hours, key=lambda r: r[0])],
        (0.2, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1))]
    i0 = max(0, int((span_start - t0).total_seconds() // 60))
    i1 = min(minutes, -int(-(span_end - t0).total_seconds() // 60))   # the span's minutes, its end excluded
    shown = list(range(i0, min(i1, i0 + SPAN_MINUTES_SHOWN)))
    if shown and span_cols:
        caption = tr(N_("Power each minute of the alarm span (kW), %(shown)d of %(total)d minutes.")) % {
            "shown": len(shown), "total": max(0, i1 - i0)}
        n = len(span_cols)
        tables.append(EvidenceTable(
            caption, (word(N_("Time")), *(f"{names[u['code']]} ({u['code']}) kW" for u, _ in span_cols)),
            [(when(times[i]), *(_kw(float(v[i])) for _, v in span_cols)) for i in shown],
            (0.28, *([0.72 / n] * n))))
    if order_rows:
        tables.append(EvidenceTable(
            word(N_("Orders of heavy-pollution alerts in force on the equipment.")),
            tuple(word(x) for x in (N_("Order"), N_("Equipment"), N_("Order start"), N_("Order end"), N_("Alert"))),
            order_rows, (0.3, 0.22, 0.19, 0.19, 0.1)))

    grace = span_end + timedelta(minutes=request.record_grace_minutes)
    frames, total = span_frames(conn, meter_ids, mns, span_start, span_end, grace, request.max_records)
    records = [EvidenceRecord(int(f.id), _time(f.received_at), f.cn, f.qn, f.status, bytes(f.raw)) for f in frames]

    said = evidence.get("sentence")
    explained = dict(evidence)
    if isinstance(said, dict):
        explained["sentence"] = {**said, "params": named_params(said.get("params") or {}, names)}
    explanation = alarm_sentence(explained, tr, when, request.now)
    lead = tr(N_("The charts show each unit's active power, one reading a minute (the data the rules judged); "
                 "red lines are its on and off thresholds, hatched spans the orders in force."))
    day = span_start.astimezone(zone).date().isoformat()
    return EvidenceData(
        tz=tz, span_start=span_start, span_end=span_end, window_start=t0, window_end=t1, window_capped=capped,
        head=head, explanation=explanation, rules=tuple(c for c in (evidence.get("code"),) if isinstance(c, str)),
        lead=lead, series=series, bands=bands, tables=tables, records=records, records_total=total,
        links=[(word(N_("Electricity view of that day")), f"/power/enterprises/{enterprise}?day={day}")])
