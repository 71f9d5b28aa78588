"""The evidence pack (证据包) of an alarm as a PDF download, for enforcement (:mod:`ecosentry.subsystems.monitoring.reports.evidence`).

Links in the pack start with ``base_url`` (query), else ``settings.alarms.base_url``, else they are relative.
The cited rules are in the reader's language (``?lang=``, the ``lang`` cookie, the account's locale, the
browser's ``Accept-Language``, then ``ECOSENTRY_DEFAULT_LOCALE``).
Needs ``alarms.read`` (401/403); raw frames are listed only for ``raw.read``; 404 for an unknown alarm or one outside the principal's scope.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from sqlalchemy import Engine

from ecosentry.alarms.store import AlarmNotFound, get_alarm
from ecosentry.api.deps import get_engine
from ecosentry.auth.deps import requires
from ecosentry.auth.guards import alarm_or_404
from ecosentry.auth.principal import Principal
from ecosentry.subsystems.monitoring.reports.evidence import EvidenceSettings, build_evidence_pack, evidence_pack_pdf
from ecosentry.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["alarms"])


@router.get("/alarms/{alarm_id}/evidence.pdf", summary="Evidence pack (证据包) of an alarm, PDF",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def evidence_pdf(alarm_id: int, request: Request,
                 base_url: str | None = Query(None, description="base URL of the platform for the links"),
                 max_frames: int | None = Query(None, ge=0, le=1000, description="raw frames listed at most"),
                 engine: Engine = Depends(get_engine),
                 principal: Principal = Depends(requires("alarms.read"))) -> Response:
    if not principal.may("raw.read"):  # e.g. a park committee: the pack without the raw frames
        max_frames = 0
    settings = EvidenceSettings() if max_frames is None else EvidenceSettings(max_frames=max_frames)
    from ecosentry.web.i18n import negotiate, translations

    st = getattr(request.app.state, "settings", None) or get_settings()
    lang = negotiate(request, principal.locale, getattr(st, "default_locale", "zh"))
    try:
        alarm_or_404(principal, get_alarm(engine, alarm_id))
        # a Vietnamese reader gets a Vietnamese pack; the others the Chinese one (with English beside it)
        pack = build_evidence_pack(engine, alarm_id, base_url=base_url or get_settings().alarms.base_url,
                                   settings=settings, lang=lang,
                                   default_tz=getattr(st, "default_tz", None) or "Asia/Shanghai")
    except AlarmNotFound as exc:
        raise HTTPException(404, exc) from None
    return Response(evidence_pack_pdf(pack, translations(lang).gettext), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="alarm-{alarm_id}-evidence.pdf"'})
