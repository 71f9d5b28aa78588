"""What the work-order pages show, shared by the board and order pages (:mod:`.orders`) and the engineer's phone
view (:mod:`.phone`): who may read them, the checklists by kind, the buttons, the context of one order's page and
of the phone view (an error shown beside the order it is about)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

from fastapi import Request

from ecosentry.alarms.voice import factor_names
from ecosentry.said import N_
from ecosentry.subsystems.om.queries import orders as q
from ecosentry.subsystems.om.rules.workorders import ACTION_WORDS, ACTIONS, KIND_WORDS, STATE_WORDS, allowed_actions
from ecosentry.subsystems.om.schema import om_work_orders as wo
from ecosentry.subsystems.om.settings import OmSettings
from ecosentry.subsystems.om.store.photos import PHOTO_STATES
from ecosentry.web.forms import gate, not_found
from ecosentry.web.templating import page_context

__all__ = ["reader", "om_settings", "permission", "CHECKLISTS", "BUTTONS", "COLUMN_WORDS", "order_forms",
           "visible_order", "late_text", "now", "detail_context", "phone_context"]

#: The review is the regulator's (``marks.review``); every other action the visit's (``marks.file``), as the API.
REVIEW_ACTIONS = ("approve", "reject")

#: What a button does, said as a command (the trail says what was done: ``ACTION_WORDS``).
BUTTONS = {"assign": N_("Assign"), "accept": N_("Accept"), "arrive": N_("Arrived on site"),
           "finish": N_("Finish"), "approve": N_("Approve"), "reject": N_("Reject"), "reopen": N_("Reopen"),
           "cancel": N_("Cancel the order")}
#: The column titles of the board (one per :data:`..queries.orders.COLUMNS`).
COLUMN_WORDS = (N_("created"), N_("assigned"), N_("accepted"), N_("on site"), N_("done"), N_("reviewed or rejected"))

_INSPECTION = (("room", N_("Station room clean, temperature and humidity normal, door and lock sound")),
               ("sampling", N_("Sampling probe, heated line and filters checked")),
               ("supplies", N_("Calibration gases and reagents in date and sufficient")),
               ("analysers", N_("Analysers without alarms, readings plausible")),
               ("logger", N_("Data logger clock right, link to the platform up")),
               ("logbook", N_("Logbook filled in")))
_CALIBRATION = (("zero", N_("Zero check done and recorded")), ("span", N_("Span check done and recorded")),
                ("gas", N_("Standard gas or solution certificate in date")),
                ("restored", N_("Analyser back to measuring, calibration mark closed")),
                ("logbook", N_("Logbook filled in")))
_COMPARISON = (("reference", N_("Reference method measured beside the analysers")),
               ("results", N_("Results compared and recorded")),
               ("restored", N_("Analysers back to measuring")), ("logbook", N_("Logbook filled in")))
_FAULT = (("cause", N_("Cause of the fault found")), ("repaired", N_("Fault repaired or part replaced")),
          ("data", N_("Data reach the platform again")), ("mark", N_("Mark filed for the affected period")),
          ("logbook", N_("Logbook filled in")))
#: The checklist an engineer ticks when finishing an order, by kind (ours; a key → the item as said).
CHECKLISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "daily_inspection": _INSPECTION, "weekly_inspection": _INSPECTION, "calibration": _CALIBRATION,
    "verification": _COMPARISON, "comparison": _COMPARISON,
    "device_fault": _FAULT, "data_missing": _FAULT, "offline": _FAULT, "drift": _CALIBRATION}


def om_settings(request: Request) -> OmSettings:
    st = getattr(request.app.state, "settings", None)
    return getattr(st, "om", None) or OmSettings()


def reader(request: Request, action: str = "marks.read"):
    """The logged-in reader, or the answer instead of the page (the O&M pages are not public)."""
    principal, denied = gate(request, action)
    if denied is None and principal.is_public:
        denied = not_found(request, "the O&M pages are not public")
    return principal, denied


def permission(action: str) -> str:
    return "marks.review" if action in REVIEW_ACTIONS else "marks.file"


def visible_order(request: Request, principal, order_id: int) -> dict | None:
    with request.app.state.engine.connect() as conn:
        order = q.order_detail(conn, order_id)
    return order if order is not None and principal.sees_point(order["point_id"]) else None


def now() -> datetime:
    return datetime.now(timezone.utc)


def late_text(_, order: dict, at: datetime) -> str | None:
    """"5 h overdue" for an order past its deadline, "done 3 h late" for one done after it."""
    if not order.get("overdue"):
        return None
    end = order["done_at"] or at
    hours = max(1, math.ceil((end - order["deadline"]).total_seconds() / 3600))
    msgid = N_("done %(hours)s h late") if order["done_at"] else N_("%(hours)s h overdue")
    return _(msgid) % {"hours": hours}


def order_forms(principal, order: dict) -> list[str]:
    """The actions the reader may take on the order now (its state allows them and the role may)."""
    return [a for a in allowed_actions(order["state"]) if principal.may(permission(a))]



# --------------------------------------------------------------------------------------------- contexts

def detail_context(request: Request, principal, order: dict, *, error: str | None = None,
                   form: dict | None = None) -> dict:
    ctx = page_context(request)
    _ = ctx["_"]
    at = now()
    order["overdue"] = q.is_overdue(order, at)
    order["late"] = late_text(_, order, at)
    with request.app.state.engine.connect() as conn:
        events = q.order_events(conn, order["id"])
        photos = q.order_photos(conn, order["id"])
        names = factor_names(conn, ctx["lang"])
        factors = q.point_factor_codes(conn, order["point_id"])
        forms = order_forms(principal, order)
        engineers = q.engineers_for(conn, order["point_id"]) if "assign" in forms else []
    checklist = [(key, label, (order["checklist"] or {}).get(key)) for key, label in CHECKLISTS[order["kind"]]]
    known = {k for k, _label in CHECKLISTS[order["kind"]]}
    extra = [(k, v) for k, v in (order["checklist"] or {}).items() if k not in known]   # from the API's clients
    readings = [(names.get(code, (code, None)), value) for code, value in (order["readings"] or {}).items()]
    return {"o": order, "events": events, "photos": photos, "forms": forms, "engineers": engineers,
            "checklist": checklist, "checklist_extra": extra, "readings": readings,
            "factors": [(code, names.get(code, (code, None))) for code in factors],
            "items": CHECKLISTS[order["kind"]], "buttons": BUTTONS, "action_words": ACTION_WORDS,
            "kind_words": KIND_WORDS, "state_words": STATE_WORDS, "error": error, "form": form or {},
            "may_photo": principal.may("marks.file") and order["state"] in PHOTO_STATES,
            "max_mb": round(om_settings(request).photos.max_bytes / 1_000_000, 1),
            "done": _done_text(request, _)}


def _done_text(request: Request, _) -> str | None:
    done = request.query_params.get("done")
    if done in ACTIONS:
        return _("The work order is %(state)s.") % {"state": _(ACTION_WORDS[done])}
    if done == "photos":
        return _("Photos stored: %(count)s.") % {"count": request.query_params.get("n", "0")}
    if done == "created":
        return _("The planned work order is created.")
    return None


def phone_context(request: Request, principal, *, error: tuple[int, str] | None = None) -> dict:
    """The engineer's phone list: their open orders (each with what comes next: accept, arrive, photos and
    finish with the checklist and readings, reopen) and the unassigned ones at their points they may take;
    ``error`` = (order id, sentence) shown on that order's card."""
    ctx = page_context(request)
    _ = ctx["_"]
    at = now()
    with request.app.state.engine.connect() as conn:
        lists = q.my_orders(conn, principal.username, principal.point_clause(wo.c.point_id), at)
        names = factor_names(conn, ctx["lang"])
        for r in lists["mine"]:
            r["factors"] = [(code, names.get(code, (code, None))) for code in q.point_factor_codes(conn, r["point_id"])]
            r["photos"] = q.order_photos(conn, r["id"]) if r["state"] in PHOTO_STATES else []
        free = [r for r in lists["free"] if principal.may("marks.file")
                and principal.username in {e["username"] for e in q.engineers_for(conn, r["point_id"])}]
    for r in (*lists["mine"], *free):
        r["late"] = late_text(_, r, at)
        r["items"] = CHECKLISTS[r["kind"]]
        r["next"] = order_forms(principal, r)
    return {"mine": lists["mine"], "free": free, "error": error, "buttons": BUTTONS, "kind_words": KIND_WORDS,
            "state_words": STATE_WORDS, "photo_states": PHOTO_STATES, "done": _done_text(request, _),
            "done_order": request.query_params.get("order"),
            "max_mb": round(om_settings(request).photos.max_bytes / 1_000_000, 1)}
