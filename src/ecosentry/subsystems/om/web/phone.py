"""``/om/my``: the O&M engineer's phone view (issue 18 item 7). It works at 390 × 844 px with big touch targets and
no horizontal scroll: the engineer's own open orders, soonest deadline first, each with the one thing to do next
(accept, arrived on site, photos taken on site and finish with the checklist and readings, reopen), and the
unassigned orders at their points they may take. The forms post to the order routes of :mod:`.orders` with
``back=my`` (the answer comes back here, at the order's card); photos come from the phone's camera
(``<input type="file" accept="image/*" capture="environment" multiple>``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ecosentry.subsystems.om.web.order_views import phone_context, reader
from ecosentry.web.forms import work_render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/om/my")
def my_orders(request: Request):
    principal, denied = reader(request, "marks.file")
    if denied:
        return denied
    return work_render(request, "om_my.html", phone_context(request, principal))
