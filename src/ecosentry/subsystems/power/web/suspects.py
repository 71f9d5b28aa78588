"""The utility-meter suspect list (用电异常嫌疑名单): ``/power/suspects``, for regulators.

Enterprises metered by a total meter only, listed by :mod:`..rules.utility` (night/day ratio, own history and
industry cohort 3σ) with the reasons in one sentence each and the schedule they were judged under; the read
model is :mod:`..queries.utility`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ecosentry.subsystems.power.queries.utility import suspect_list
from ecosentry.subsystems.power.web.alerts import power_settings
from ecosentry.web.forms import gate
from ecosentry.web.templating import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/power/suspects", response_class=HTMLResponse)
def suspects_page(request: Request):
    principal, denied = gate(request, "alarms.act")
    if denied:
        return denied
    settings = power_settings(request)
    with request.app.state.engine.connect() as conn:
        # the cohorts are the whole deployment's: a county's list is judged against the same industries as the city's
        found, days, considered = suspect_list(conn, settings, enterprise_ids=principal.enterprise_ids)
    return render(request, "power_suspects.html", {"found": found, "days": days, "considered": considered,
                                                   "st": settings.utility})
