"""The enterprise's electricity day and the list's "now", assembled from the read models and the pure
:mod:`ecosentry.subsystems.power.timeline` (no SQL here: :mod:`..queries`)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Connection

from ecosentry.subsystems.power.queries.findings import findings_overlapping, open_counts
from ecosentry.subsystems.power.queries.readings import last_reading_by_enterprise, minute_grid
from ecosentry.subsystems.power.queries.registry import (equipment_of, linkage_of, threshold_versions,
                                                         thresholds_in_force)
from ecosentry.subsystems.power.settings import PowerSettings
from ecosentry.subsystems.power.timeline import mean_load_share, state_bands, state_now, view_thresholds
from ecosentry.subsystems.power.web.words import equipment_names, finding_sentence

__all__ = ["day_window", "enterprise_day", "enterprises_now", "NOW_MINUTES"]

#: Minutes of readings the list judges "now" from (the dwell needs a few; a silent meter is "no data").
NOW_MINUTES = 30


def day_window(day: date, tz: str, now: datetime) -> tuple[datetime, int]:
    """UTC start of the local day and its number of minutes up to now (a DST day has 1,380 or 1,500)."""
    z = ZoneInfo(tz)
    t0 = datetime.combine(day, time(0), z).astimezone(timezone.utc)
    t1 = datetime.combine(day + timedelta(days=1), time(0), z).astimezone(timezone.utc)
    t1 = min(t1, now.astimezone(timezone.utc).replace(second=0, microsecond=0))
    return t0, max(0, int((t1 - t0).total_seconds() // 60))


def _local(t: datetime, z: ZoneInfo) -> str:
    return t.astimezone(z).strftime("%Y-%m-%d %H:%M:%S")


def _ordered(units: list[dict], links: list[dict]) -> list[dict]:
    """Production units each followed by the treatment serving it (a treatment once, after the first
    production it serves), then the rest (treatment serving nothing, the total meter)."""
    serves: dict[int, list[int]] = {}
    for lk in links:
        serves.setdefault(lk["production_id"], []).append(lk["treatment_id"])
    by_id = {u["id"]: u for u in units}
    out, done = [], set()
    for u in units:
        if u["role"] != "production":
            continue
        out.append(u)
        done.add(u["id"])
        for t in sorted(serves.get(u["id"], []), key=lambda i: by_id[i]["code"] if i in by_id else ""):
            if t in by_id and t not in done:
                out.append(by_id[t])
                done.add(t)
    out += [u for u in units if u["id"] not in done]
    return out


def enterprise_day(conn: Connection, enterprise_id: int, day: date, tz: str, now: datetime,
                   settings: PowerSettings, gettext) -> dict:
    """Everything the view shows of one local day: per unit its power (kW, one sample a minute), its state
    bands, thresholds, state now and mean load share; the linkage; the findings meeting the day."""
    z = ZoneInfo(tz)
    t0, minutes = day_window(day, tz, now)
    units = equipment_of(conn, enterprise_id)
    links = linkage_of(conn, enterprise_id)
    meter_ids = [u["meter_id"] for u in units if u["meter_id"] is not None]
    power = minute_grid(conn, meter_ids, t0, minutes)
    versions = threshold_versions(conn, meter_ids, t0, t0 + timedelta(minutes=max(minutes, 1)))
    names = {u["code"]: u["name"] or u["code"] for u in units}
    by_id = {u["id"]: u for u in units}
    today = now.astimezone(z).date() == day
    out_units = []
    for u in _ordered(units, links):
        v = power.get(u["meter_id"], np.full(minutes, np.nan))
        rated = u["rated_kw"] or u["meter_rated_kw"]
        normal = u["normal_kw"] or rated
        seq = versions.get(u["meter_id"], [])
        th, source = (None, "total") if u["role"] == "total" else view_thresholds(
            seq[-1][1] if seq else None, rated, v, settings.thresholds)
        judged = th
        if th is not None and seq and (len(seq) > 1 or seq[0][0] > t0):  # changed during the day: each version
            judged = [(int((f - t0).total_seconds() // 60), view_thresholds(row, rated, v, settings.thresholds)[0])
                      for f, row in seq]                                # judges its own minutes
            if judged[0][0] > 0:  # before the first version: as without one (learned, else rated)
                judged.insert(0, (0, view_thresholds(None, rated, v, settings.thresholds)[0] or judged[0][1]))
        serves = [by_id[lk["production_id"]]["name"] for lk in links if lk["treatment_id"] == u["id"]]
        served_by = [by_id[lk["treatment_id"]]["name"] for lk in links if lk["production_id"] == u["id"]]
        out_units.append({
            "id": u["id"], "code": u["code"], "name": u["name"] or u["code"], "role": u["role"], "kind": u["kind"],
            "line": u["line_name"], "meter": u["meter_code"], "channel": u["channel"], "rated_kw": rated,
            "normal_kw": normal, "safety_load": bool(u["safety_load"]), "serves": serves, "served_by": served_by,
            "threshold": None if th is None else {"on": th.on, "off": th.off, "dwell": th.dwell, "source": source},
            "threshold_changes": [[_local(f, z), row["on_kw"], row["off_kw"], row["version"]] for f, row in seq[1:]],
            "p": [None if x != x else x for x in np.round(np.where(np.isfinite(v), v, np.nan), 2).tolist()],
            "bands": [[_local(t0 + timedelta(minutes=a), z), _local(t0 + timedelta(minutes=b), z), s]
                      for a, b, s in state_bands(v, judged)] if u["role"] != "total" else [],
            "state_now": state_now(v, judged) if today and u["role"] != "total" else None,
            "share": mean_load_share(v, judged, normal),
            "readings": int(np.isfinite(v).sum()),
        })
    end = t0 + timedelta(minutes=minutes)
    rows = findings_overlapping(conn, enterprise_id, t0, end) if minutes else []
    findings = [{"id": f["id"], "code": f["code"], "severity": f["severity"], "open": f["end_at"] is None,
                 "start": _local(max(f["start_at"], t0), z), "end": _local(min(f["end_at"] or end, end), z),
                 "started": f["start_at"], "ended": f["end_at"],
                 "equipment": equipment_names(f["key"], names), "text": finding_sentence(f, gettext, names)}
                for f in rows]
    return {"enterprise_id": enterprise_id, "day": day.isoformat(), "tz": tz, "start": _local(t0, z),
            "end": _local(t0 + timedelta(days=1) if minutes else t0, z), "now": _local(end, z),
            "minutes": minutes, "units": out_units, "findings": findings,
            "linkage": [{"treatment": names.get(lk["treatment_code"], lk["treatment_code"]),
                         "production": names.get(lk["production_code"], lk["production_code"]),
                         "treatment_id": lk["treatment_id"], "production_id": lk["production_id"],
                         "grace_minutes": lk["grace_minutes"]} for lk in links]}


def enterprises_now(conn: Connection, enterprise_ids: list[int], now: datetime, settings: PowerSettings
                    ) -> dict[int, dict]:
    """Per enterprise: units running / stopped / without data now, open findings by severity, last reading.
    One query of the last :data:`NOW_MINUTES` minutes for every meter of the list."""
    units = [u for u in equipment_of(conn, enterprise_ids) if u["role"] != "total"]
    meter_ids = [u["meter_id"] for u in units if u["meter_id"] is not None]
    t0 = now.astimezone(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=NOW_MINUTES)
    power = minute_grid(conn, meter_ids, t0, NOW_MINUTES + 1)
    in_force = thresholds_in_force(conn, meter_ids, now)
    counts = open_counts(conn, enterprise_ids)
    last = last_reading_by_enterprise(conn, enterprise_ids)
    out = {e: {"running": 0, "stopped": 0, "no_data": 0, "units": 0, "open": counts.get(e, {}),
               "last": last.get(e)} for e in enterprise_ids}
    for u in units:
        v = power.get(u["meter_id"], np.full(NOW_MINUTES + 1, np.nan))
        rated = u["rated_kw"] or u["meter_rated_kw"]
        th, _ = view_thresholds(in_force.get(u["meter_id"]), rated, np.full(1, np.nan), settings.thresholds)
        st = state_now(v, th)
        row = out[u["enterprise_id"]]
        row["units"] += 1
        row["running" if st == 1 else "stopped" if st == 0 else "no_data"] += 1
    return out
