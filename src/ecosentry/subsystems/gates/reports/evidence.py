"""The gate data in the evidence pack (证据包) of a gate alarm (``ALM-VEH-…``, ``Subsystem.evidence_data``).

What proves a vehicle below the allowed stage during an alert, a passage missing from the ledger, a side-gate
exit, a short share of clean vehicles or a silent or turned camera is the enterprise's gate record around the
findings: the pack shows, in the enterprise's local time with its offset,

* the enterprise's performance grade, the gates and plates the findings name (added to the alarm's summary);
* the entries and exits each hour of the data window, the heavy-pollution alerts in force shaded on the chart;
* the findings that raised or counted in the alarm, each with its sentence;
* the heavy-pollution alerts over the enterprise's region (level, issuer, period) and the least emission stage
  its grade allows at that level (``gates.grades``, the setting the gate rule and the checks judge with);
* the counts of the window: passages in and out, by side gates, refused by the gate rule, without a ledger row,
  the ledger's entries per emission stage;
* the passages (time, plate, stage, fuel, gate, direction, the gate rule's decision and the guard's override,
  the capture's SHA-256), those the findings name first; the ledger rows concerned (2020 guide table 3); for a
  camera alarm, the gate devices' signs of life around the silence and the cameras' snapshots.

The passage as stored is the record of what the gate device pushed (the push's JSON is not kept,
:mod:`..pipeline.sink`): the pack lists no raw frames and says so.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from ecosentry.contracts.evidence import evidence_time, pack_time, pack_word
from ecosentry.contracts.evidence import EvidenceBand, EvidenceData, EvidenceRequest, EvidenceSeries, EvidenceTable
from ecosentry.contracts.finding import say_params
from ecosentry.locale import translations
from ecosentry.said import N_
from ecosentry.subsystems.gates.queries.evidence import (alarm_findings, enterprise_of, window_alerts,
                                                         window_ledger, window_passages, window_snapshots,
                                                         window_traffic, device_signs)
from ecosentry.subsystems.gates.rules.decision import LEVEL_LABELS
from ecosentry.subsystems.gates.rules.findings import TRANSLATED_PARAMS
from ecosentry.subsystems.gates.rules.stages import LABELS as STAGE_LABELS
from ecosentry.subsystems.gates.rules.stages import STAGES
from ecosentry.subsystems.gates.settings import GatesSettings

__all__ = ["evidence_data", "alarm_span", "hourly_counts", "FUEL_LABELS", "ROWS_SHOWN"]

#: Passages, ledger rows and snapshots listed at most. [-]
ROWS_SHOWN = 200
#: Findings' sentences said in the explanation at most (the findings table lists them all). [-]
SENTENCES_SAID = 5

FUEL_LABELS = {"diesel": N_("diesel"), "gasoline": N_("gasoline"), "natural_gas": N_("natural gas"),
               "electric": N_("electric"), "hybrid": N_("hybrid"), "hydrogen": N_("hydrogen"), "other": N_("other")}
SOURCE_LABELS = {"camera": N_("camera"), "csv": N_("CSV import"), "manual": N_("guard's entry")}
CAMERA_CODES = ("VEH-CAMERA-OFFLINE", "VEH-CAMERA-VIEW")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


_time = evidence_time


def alarm_span(alarm: dict, findings: list[dict]) -> tuple[datetime, datetime]:
    """[start, end] of a gate alarm (UTC): from the first finding's start to the last one's end among those that
    raised or counted in it; else its evidence's start and end; else its first and last sighting."""
    starts = [_time(f["start"]) for f in findings]
    ends = [_time(f["end"]) for f in findings]
    if starts:
        start, end = min(starts), max(ends)
    else:
        ev = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
        start = _time(ev.get("start")) or _time(alarm["first_at"])
        end = _time(ev.get("end")) or _time(alarm["last_at"])
    return start, max(end or start, start)


def hourly_counts(t0: datetime, hours: int, traffic: list[dict]) -> tuple[list[int], list[int]]:
    """Entries and exits in each clock hour from ``t0`` (a whole hour) over ``hours`` hours."""
    entries, exits = [0] * hours, [0] * hours
    for r in traffic:
        i = int((_time(r["at"]) - t0).total_seconds() // 3600)
        if 0 <= i < hours:
            (entries if r["inbound"] else exits)[i] += 1
    return entries, exits


def _settings() -> GatesSettings:
    from ecosentry.settings import get_settings

    return getattr(get_settings(), "gates", None) or GatesSettings()


def _ids(evidence: dict | None) -> list[int]:
    ev = evidence or {}
    ids = list(ev.get("lines") or [])
    if isinstance(ev.get("line"), int):
        ids.append(ev["line"])
    return [int(x) for x in ids if isinstance(x, int) and x >= 0]


def evidence_data(conn: Connection, request: EvidenceRequest) -> EvidenceData | None:
    """The gate data of a gate alarm's pack; ``None`` for an alarm that is not a gate one."""
    alarm = dict(request.alarm)
    if not str(alarm.get("type", "")).startswith("ALM-VEH-") or alarm.get("enterprise_id") is None:
        return None
    enterprise = int(alarm["enterprise_id"])
    info = enterprise_of(conn, enterprise)
    if info is None:
        return None
    lang = request.lang
    tr = translations(lang).gettext

    word = pack_word(tr, lang)  # "车牌 Plate" / "Biển số (Plate)"

    tz = info["tz"] or request.default_tz
    zone = ZoneInfo(tz)

    def when(t: datetime | None, seconds: bool = True) -> str:
        return pack_time(t, zone, lang, seconds=seconds)

    def stage(code: str | None) -> str:
        return tr(STAGE_LABELS.get(code or "", N_("unknown stage")))

    def fuel(code: str | None) -> str:
        return tr(FUEL_LABELS[code]) if code in FUEL_LABELS else (code or "—")

    def direction(inbound: bool) -> str:
        return tr(N_("entry")) if inbound else tr(N_("exit"))

    evidence = alarm.get("evidence") if isinstance(alarm.get("evidence"), dict) else {}
    fid = evidence.get("finding_id")
    findings = alarm_findings(conn, int(alarm["id"]), int(fid) if isinstance(fid, int) else None)
    span_start, span_end = alarm_span(alarm, findings)
    t0, t1, capped = request.window(span_start, span_end)
    camera_alarm = any(f["code"] in CAMERA_CODES for f in findings) or evidence.get("code") in CAMERA_CODES
    ledger_named = [i for f in findings if f["code"].startswith("VEH-LEDGER-") for i in _ids(f["evidence"])]
    passage_named = [i for f in findings if not f["code"].startswith("VEH-LEDGER-") and f["code"] not in
                     ("VEH-CAMERA-VIEW",) for i in _ids(f["evidence"])]

    traffic = window_traffic(conn, enterprise, t0, t1)
    passages, passages_total = window_passages(conn, enterprise, t0, t1, passage_named, ROWS_SHOWN)
    # a passage's ledger row is concerned too
    ledger_named += [int(p["ledger_id"]) for p in passages if p["named"] and p["ledger_id"] is not None]
    ledger, ledger_total = window_ledger(conn, enterprise, t0, t1, ledger_named, ROWS_SHOWN)
    alerts = window_alerts(conn, info["region_code"], t0, t1)
    grade_rule = _settings().grades.of(info["grade"])

    # ---- the alarm's summary
    gates = sorted({g for f in findings for g in ((f["evidence"] or {}).get("gates") or [])}
                   | {str((f["params"] or {}).get("gate")) for f in findings if (f["params"] or {}).get("gate")})
    if not gates:
        gates = sorted({f"{p['gate_name']} ({p['gate_code']})" for p in passages if p["named"]})
    plates = sorted({f["plate"] for f in findings if f["plate"]})
    head = [(tr(N_("Performance grade")), info["grade"]), (tr(N_("Gates")), ", ".join(gates) or "—"),
            (tr(N_("Plates")), ", ".join(plates) or "—")]

    # ---- the explanation: the findings' sentences, their times local with the offset
    def said(f: dict) -> str:
        params = {k: (when(datetime.fromisoformat(v).replace(tzinfo=zone)) if isinstance(v, str) and _LOCAL.match(v)
                      else v) for k, v in (f["params"] or {}).items()}
        try:
            return tr(f["msgid"]) % say_params(params, tr, TRANSLATED_PARAMS)
        except (KeyError, TypeError, ValueError):
            return f["code"]

    sentences = [said(f) for f in findings]
    explanation = " ".join(sentences[-SENTENCES_SAID:]) or None
    if explanation and len(sentences) > SENTENCES_SAID:
        explanation = tr(N_("%(shown)d of %(total)d findings:")) % {"shown": SENTENCES_SAID,
                                                                    "total": len(sentences)} + " " + explanation

    # ---- chart: entries and exits each hour, the alerts shaded
    hours = max(1, int((t1 - t0).total_seconds() // 3600))
    entries, exits = hourly_counts(t0, hours, traffic)
    times = [t0 + timedelta(hours=i) for i in range(hours)]
    series = [EvidenceSeries(word(N_("Entries per hour")), tr(N_("vehicles")), times, [float(x) for x in entries]),
              EvidenceSeries(word(N_("Exits per hour")), tr(N_("vehicles")), times, [float(x) for x in exits])]

    def level_word(level: str) -> str:
        return tr(LEVEL_LABELS.get(level, level))

    bands, alert_rows = [], []
    for a in alerts:
        end = a["lifted_at"] or a["ends_at"]
        bands.append(EvidenceBand(max(_time(a["starts_at"]), t0), min(_time(end), t1) if end else t1,
                                  tr(N_("%(level)s alert")) % {"level": level_word(a["level"])}))
        least = grade_rule.min_stage.get(a["level"], "none")
        allowed = tr(N_("no road truck")) if least == "none" else stage(least)
        alert_rows.append((level_word(a["level"]), a["region_name"] or "—", when(a["starts_at"]), when(end),
                           a["issued_by"] + (f" {a['document']}" if a.get("document") else ""),
                           f"{allowed} ({info['grade']})"))

    # ---- tables
    tables: list[EvidenceTable] = []
    if findings:
        tables.append(EvidenceTable(
            word(N_("Findings of the checks that raised or counted in this alarm.")),
            tuple(word(x) for x in (N_("Rule"), N_("From"), N_("To"), N_("Plate"), N_("Finding"))),
            [(f["code"], when(f["start"]), when(f["end"]), f["plate"] or "—", s)
             for f, s in zip(findings, sentences)],
            (0.17, 0.17, 0.17, 0.1, 0.39)))
    if alert_rows:
        tables.append(EvidenceTable(
            word(N_("Heavy-pollution alerts in force over the enterprise's region; the least emission stage its "
                    "grade allows.")),
            tuple(word(x) for x in (N_("Level"), N_("Region"), N_("From"), N_("To"), N_("Issued by"),
                                    N_("Least stage allowed (grade)"))),
            alert_rows, (0.1, 0.12, 0.18, 0.18, 0.24, 0.18)))

    in_alert = [(max(_time(a["starts_at"]), t0), _time(a["lifted_at"] or a["ends_at"]) or t1) for a in alerts]
    n_in = sum(1 for r in traffic if r["inbound"])
    stages: dict[str, int] = {}
    for r in traffic:
        if r["inbound"] and r["in_ledger"]:
            key = r["stage"] if r["stage"] in STAGES else "?"
            stages[key] = stages.get(key, 0) + 1
    counts = [(tr(N_("Passages")), str(len(traffic))), (tr(N_("Entries")), str(n_in)),
              (tr(N_("Exits")), str(len(traffic) - n_in)),
              (tr(N_("Entries during an alert")),
               str(sum(1 for r in traffic if r["inbound"] and any(a <= _time(r["at"]) < b for a, b in in_alert)))),
              (tr(N_("Exits at a side gate")), str(sum(1 for r in traffic if not r["inbound"] and r["side"]))),
              (tr(N_("Refused by the gate rule")), str(sum(1 for r in traffic if r["allowed"] is False))),
              (tr(N_("Passages without a ledger row")), str(sum(1 for r in traffic if not r["in_ledger"]))),
              (tr(N_("Ledger rows")), str(ledger_total))]
    counts += [(tr(N_("Entries in the ledger, %(stage)s")) % {"stage": stage(k) if k != "?" else
                                                               tr(N_("unknown stage"))}, str(n))
               for k, n in sorted(stages.items(), key=lambda x: (STAGES + ("?",)).index(x[0]))]
    tables.append(EvidenceTable(word(N_("Counts of the data window.")), (word(N_("Count")), word(N_("Quantity"))),
                                counts, (0.7, 0.3)))

    def verdict(d: dict) -> str:
        return tr(N_("allowed")) if d["allowed"] else tr(N_("refused")) if d["allowed"] is False else \
            tr(N_("to complete"))

    def decision(p: dict) -> str:
        rule, guard = p["decision"], p["override"]
        said = verdict(rule) if rule is not None else "—"
        if guard is not None:   # the guard's override or completion stands beside the rule's decision
            said = tr(N_("%(rule)s; guard: %(guard)s")) % {"rule": said, "guard": verdict(guard)}
        return said

    def p_stage(p: dict) -> str:
        code = p["ledger_stage"] or (p["register"] or {}).get("emission_stage")
        return stage(code) if p["plate"] else "—"

    def p_fuel(p: dict) -> str:
        return fuel(p["ledger_fuel"] or (p["register"] or {}).get("fuel")) if p["plate"] else "—"

    tables.append(EvidenceTable(
        word(N_("Passages of the window (%(shown)d of %(total)d), as the gate devices pushed them; * the findings "
                "name it. The capture is identified by its SHA-256.")) % {"shown": len(passages),
                                                                          "total": passages_total},
        tuple(word(x) for x in (N_("Time"), N_("Plate"), N_("Emission stage"), N_("Fuel"), N_("Gate"),
                                N_("Direction"), N_("Decision"), N_("Capture SHA-256"))),
        [(("* " if p["named"] else "") + when(p["at"]), p["plate"] or "—", p_stage(p), p_fuel(p),
          f"{p['gate_name']} ({p['gate_code']})", direction(p["inbound"]), decision(p), p["picture"] or "—")
         for p in passages],
        (0.15, 0.09, 0.08, 0.07, 0.1, 0.06, 0.08, 0.37)))
    tables.append(EvidenceTable(
        word(N_("Electronic ledger rows of the window and those the findings name (%(shown)d of %(total)d); "
                "* the findings name it.")) % {"shown": len(ledger), "total": ledger_total},
        tuple(word(x) for x in (N_("Time"), N_("Direction"), N_("Plate"), N_("Emission stage"), N_("Fuel"),
                                N_("VIN"), N_("Cargo"), N_("Weight (t)"), N_("Source"), N_("Gate"))),
        [(("* " if r["named"] else "") + when(r["at"]), direction(r["inbound"]), r["plate"] or "—",
          stage(r["emission_stage"]), fuel(r["fuel"]), r["vin"] or "—", r["cargo"] or "—",
          "—" if r["weight_t"] is None else f"{r['weight_t']:.1f}", tr(SOURCE_LABELS.get(r["source"], r["source"])),
          f"{r['gate_name']} ({r['gate_code']})" if r["gate_code"] else "—") for r in ledger],
        (0.15, 0.06, 0.1, 0.08, 0.07, 0.16, 0.1, 0.07, 0.09, 0.12)))
    if camera_alarm:
        signs = device_signs(conn, enterprise, t0, t1, span_start, span_end)
        tables.append(EvidenceTable(
            word(N_("Signs of life of the gate devices: heartbeats in the window, the last before the silence and "
                    "the first after it (a heartbeat or a passage).")),
            tuple(word(x) for x in (N_("Gate"), N_("Device"), N_("Heartbeats"), N_("Faults reported"),
                                    N_("Last before"), N_("First after"))),
            [(f"{x['gate_name']} ({x['gate_code']})", x["code"], str(x["heartbeats"]), str(x["faults"]),
              when(x["last_before"]), when(x["first_after"])) for x in signs],
            (0.18, 0.14, 0.12, 0.12, 0.22, 0.22)))
        snaps = window_snapshots(conn, enterprise, t0, t1, ROWS_SHOWN)
        tables.append(EvidenceTable(
            word(N_("Snapshots of the cameras in the window, compared with the reference view.")),
            tuple(word(x) for x in (N_("Time"), N_("Camera"), N_("Snapshot SHA-256"), N_("Similarity"),
                                    N_("blank"))),
            [(when(x["at"]), x["camera"], x["picture"], "—" if x["similarity"] is None else f"{x['similarity']:.2f}",
              "—" if x["blank"] is None else (tr(N_("yes")) if x["blank"] else tr(N_("no")))) for x in snaps],
            (0.2, 0.1, 0.5, 0.1, 0.1)))

    lead = tr(N_("The chart shows the vehicles entering and leaving each hour; hatched spans are the "
                 "heavy-pollution alerts in force. The gate devices' pushes are kept as the passages below (each "
                 "capture by its SHA-256), not as raw frames."))
    day = span_start.astimezone(zone).date().isoformat()
    return EvidenceData(
        tz=tz, span_start=span_start, span_end=span_end, window_start=t0, window_end=t1, window_capped=capped,
        head=head, explanation=explanation,
        rules=tuple(dict.fromkeys(f["code"] for f in findings)) or tuple(
            c for c in (evidence.get("code"),) if isinstance(c, str)),
        lead=lead, series=series, values_label=word(N_("Vehicles counted each hour")), bands=bands, tables=tables,
        links=[(word(N_("Vehicle ledger of that day")),
                f"/gates/ledger?enterprise={enterprise}&from={day}T00:00&to={day}T23:59")]
        + [(word(N_("Finding")) + f" {f['id']}", f"/gates/findings/{f['id']}") for f in findings[:10]])
