"""The station-room pages (issue 18 item 7): ``/om/rooms`` (the rooms in scope) and ``/om/rooms/{id}`` (one room's
day: door openings and closings, camera snapshots, the points' marks and work orders on one time line, the points'
hourly data, the instrument parameters registered against reported, and the O&M findings), with the snapshots'
pictures served by ``/om/rooms/{id}/snapshots/{snapshot_id}`` under the same scope.

Scope: a room is seen by whoever sees one of its points (the regulator of its region, the O&M organisation
maintaining it, the enterprise); a room without points by whoever sees its enterprise; never by the public.
Outside the scope a room answers 404 like an unknown one. Times are the room's local time (its first point's
time zone), never UTC; factors are named, not coded; every word is in the reader's language.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ecosentry.said import N_
from ecosentry.subsystems.om.queries.rooms import room_day, room_head, room_list, snapshot_picture
from ecosentry.subsystems.om.rules.consistency import MARK_KIND_WORDS
from ecosentry.subsystems.om.rules.findings import TRANSLATED_PARAMS, factor_name
from ecosentry.subsystems.om.rules.workorders import KIND_WORDS
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.cameras import picture_store
from ecosentry.web.forms import gate, not_found, work_render
from ecosentry.web.templating import page_context

router = APIRouter(include_in_schema=False)

#: The permission of the station-room pages (regulators, enterprises and O&M accounts read marks and orders).
PERMISSION = "marks.read"

#: A work order's moments on the time line.
ORDER_STAMPS = {"created_at": N_("Work order created"), "assigned_at": N_("Work order assigned"),
                "accepted_at": N_("Work order accepted"), "on_site_at": N_("Engineer on site"),
                "done_at": N_("Work done"), "reviewed_at": N_("Work order reviewed"),
                "rejected_at": N_("Work order rejected"), "cancelled_at": N_("Work order cancelled")}
DOOR_WORDS = {"open": N_("Door opened"), "close": N_("Door closed")}
SOURCE_WORDS = {"http": N_("door controller"), "hj212": N_("data logger (HJ 212)"), "csv": N_("file")}
MARK_TYPE_WORDS = {**MARK_KIND_WORDS, "comm_interruption": N_("communication interruption"),
                   "stopped": N_("stopped"), "stop": N_("stopped"), "standard_sample_check": N_("standard sample check"),
                   "startup_shutdown": N_("start-up or shutdown"), "force_majeure": N_("force majeure")}


def _settings(request: Request) -> OmSettings:
    return getattr(request.app.state.settings, "om", None) or OmSettings()


def _visible(principal, head: dict | None) -> bool:
    if head is None or principal.is_public:
        return False
    if head["points"]:
        return any(principal.sees_point(p["id"]) for p in head["points"])
    return head["enterprise_id"] is not None and principal.sees_enterprise(head["enterprise_id"])


def _room(request: Request, room_id: int):
    """(principal, the room's head, the response to answer instead when it may not be seen)."""
    principal, denied = gate(request, PERMISSION)
    if denied:
        return principal, None, denied
    with request.app.state.engine.connect() as conn:
        head = room_head(conn, room_id)
    if not _visible(principal, head):
        return principal, None, not_found(request, f"no station room {room_id} in scope")
    return principal, head, None


def _day(value: str | None, today: date) -> date | None:
    if not value:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def say(gettext, msgid: str, params: dict | None) -> str:
    """A stored finding's sentence in the reader's language (its word parameters translated too)."""
    params = {k: gettext(v) if k in TRANSLATED_PARAMS and isinstance(v, str) else v
              for k, v in (params or {}).items()}
    try:
        return gettext(msgid) % params
    except (KeyError, TypeError, ValueError):
        return msgid


def timeline(data: dict, room_id: int, zone: ZoneInfo, point_names: dict[int, str]) -> list[dict]:
    """The day's events in time order: ``at`` (aware, local), ``clock`` (HH:MM:SS), ``kind``, ``what`` (a msgid),
    ``word`` (a msgid or None), ``who`` (a point, a camera or an engineer), ``thumb`` (a snapshot's picture URL)."""
    out = []
    for d in data["doors"]:
        out.append({"at": d["at"], "kind": "door-" + d["event"], "what": DOOR_WORDS.get(d["event"], d["event"]),
                    "word": SOURCE_WORDS.get(d["source"]), "who": None, "thumb": None})
    for sn in data["snapshots"]:
        out.append({"at": sn["at"], "kind": "snapshot", "what": N_("Camera snapshot"), "word": None,
                    "who": sn["camera"], "thumb": f"/om/rooms/{room_id}/snapshots/{sn['id']}",
                    "linked": sn["door_event_id"] is not None})
    for m in data["marks"]:
        word = MARK_TYPE_WORDS.get(m["type"])
        who = point_names.get(m["point_id"])
        out.append({"at": m["start"], "kind": "mark", "what": N_("Mark begins"), "word": word, "who": who,
                    "raw": None if word else m["type"], "thumb": None})
        if m["end"] is not None:
            out.append({"at": m["end"], "kind": "mark", "what": N_("Mark ends"), "word": word, "who": who,
                        "raw": None if word else m["type"], "thumb": None})
    for o in data["orders"]:
        for stamp, what in ORDER_STAMPS.items():
            if o[stamp] is not None:
                out.append({"at": o[stamp], "kind": "order", "what": what, "word": KIND_WORDS.get(o["kind"]),
                            "who": o["assignee"], "order": o["id"], "thumb": None})
    for e in out:
        e["at"] = e["at"].astimezone(zone)
        e["clock"] = e["at"].strftime("%H:%M:%S")
    order = {"door-open": 0, "snapshot": 1, "door-close": 3}
    return sorted(out, key=lambda e: (e["at"], order.get(e["kind"], 2)))


def hour_table(data: dict, zone: ZoneInfo, point_names: dict[int, str], multi: bool) -> dict:
    """The points' hourly values as ``columns`` (point, factor code, factor name) × ``rows`` (local hour)."""
    columns, cells, hours = [], {}, set()
    for h in data["hours"]:
        key = (h["point_id"], h["factor_code"])
        if key not in cells:
            cells[key] = {}
            label = factor_name(h["factor_code"])
            columns.append({"key": key, "factor": h["factor_code"], "name": label,
                            "point": point_names.get(h["point_id"]) if multi else None})
        local = h["period_start"].astimezone(zone)
        hours.add(local)
        cells[key][local] = h
    rows = [{"hour": t.strftime("%H:%M"), "cells": [cells[c["key"]].get(t) for c in columns]} for t in sorted(hours)]
    return {"columns": columns, "rows": rows}


@router.get("/om/rooms", response_class=HTMLResponse)
def rooms_page(request: Request):
    principal, denied = gate(request, PERMISSION)
    if denied:
        return denied
    if principal.is_public:
        return not_found(request, "the station rooms are not public")
    with request.app.state.engine.connect() as conn:
        rooms = room_list(conn, principal.point_ids, principal.enterprise_ids)
    return work_render(request, "om_rooms.html", {"rooms": rooms, "tz": _settings(request).timezone})


@router.get("/om/rooms/{room_id}", response_class=HTMLResponse)
def room_page(request: Request, room_id: int, day: str | None = None):
    principal, head, denied = _room(request, room_id)
    if denied:
        return denied
    tz = head["points"][0]["tz"] if head["points"] else _settings(request).timezone
    zone = ZoneInfo(tz)
    now = datetime.now(timezone.utc)
    today = now.astimezone(zone).date()
    the_day = _day(day, today)
    if the_day is None:
        return work_render(request, "om_room.html", {"room": head, "bad_day": day[:40], "tz": tz, "today": today,
                                                     "day": today, "events": [], "table": None, "data": None},
                           status_code=400)
    t0 = datetime.combine(the_day, time(0), zone).astimezone(timezone.utc)
    t1 = datetime.combine(the_day + timedelta(days=1), time(0), zone).astimezone(timezone.utc)
    point_ids = [p["id"] for p in head["points"] if principal.sees_point(p["id"])]
    with request.app.state.engine.connect() as conn:
        data = room_day(conn, room_id, point_ids, t0, t1)
    names = {p["id"]: p["name"] for p in head["points"]}
    gettext = page_context(request)["_"]
    findings = [{**f, "sentence": say(gettext, f["msgid"], f["params"]), "point": names.get(f["point_id"])}
                for f in data["findings"]]
    params = [{**p, "point": names.get(p["point_id"]), "factor_label": factor_name(p["factor_code"])
               if p["factor_code"] != "*" else None,
               "differs": p["registered_value"] is not None and p["reported_value"] is not None
               and abs(p["reported_value"] - p["registered_value"]) > _settings(request).consistency.parameter_tolerance
               * (abs(p["registered_value"]) or 1.0)} for p in data["parameters"]]
    return work_render(request, "om_room.html", {
        "room": head, "tz": tz, "day": the_day, "today": today, "prev_day": the_day - timedelta(days=1),
        "next_day": the_day + timedelta(days=1) if the_day < today else None,
        "events": timeline(data, room_id, zone, names), "table": hour_table(data, zone, names, len(point_ids) > 1),
        "findings": findings, "parameters": params, "data": data, "bad_day": None, "now": now})


@router.get("/om/rooms/{room_id}/snapshots/{snapshot_id}")
def snapshot_image(request: Request, room_id: int, snapshot_id: int):
    _principal, _head, denied = _room(request, room_id)
    if denied:
        return denied
    with request.app.state.engine.connect() as conn:
        pic = snapshot_picture(conn, room_id, snapshot_id)
    data = picture_store(request.app.state.settings).get(pic["picture"]) if pic else None
    if data is None:
        return not_found(request, f"no snapshot {snapshot_id} of room {room_id}")
    return Response(data, media_type=pic["content_type"],
                    headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"})
