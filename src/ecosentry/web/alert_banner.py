"""The heavy-pollution alert banner of every page: while an alert covering the reader is in force, the top of
each page says so in the reader's language ("Orange heavy-pollution alert in force in Linfen since 12-06
20:00"), the highest level first. Which alerts cover whom is :mod:`ecosentry.auth.alert_scope`.

Computed once per request (kept on ``request.state``); a database that cannot answer leaves the page without a
banner (logged) rather than without a page, so that an error page can still be shown.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request

from ecosentry.auth.alert_scope import alert_regions
from ecosentry.auth.principal import Principal
from ecosentry.said import N_
from ecosentry.store.queries.pollution_alerts import any_in_force, banner_alerts

__all__ = ["LEVEL_NAMES", "BANNER", "SHORT_TIME", "banner_lines"]

log = logging.getLogger(__name__)

#: The level names as the notices say them (黄色/橙色/红色预警; cảnh báo vàng/cam/đỏ).
LEVEL_NAMES = {"yellow": N_("Yellow alert"), "orange": N_("Orange alert"), "red": N_("Red alert")}
#: The banner's sentence per level (a sentence each: the word order differs between the languages).
BANNER = {
    "yellow": N_("Yellow heavy-pollution alert in force in %(region)s since %(since)s"),
    "orange": N_("Orange heavy-pollution alert in force in %(region)s since %(since)s"),
    "red": N_("Red heavy-pollution alert in force in %(region)s since %(since)s"),
}
UNTIL = N_(", planned end %(until)s")
#: Month, day and time of the banner, as each language writes them.
SHORT_TIME = {"zh": "MM-dd HH:mm", "en": "MM-dd HH:mm", "vi": "HH:mm dd/MM"}
#: Banners shown at most; more alerts in force are counted in the last line.
MAX_SHOWN = 3


def _alerts(request: Request, principal: Principal) -> list[dict]:
    cached = getattr(request.state, "alert_banner", None)
    if cached is not None:
        return cached
    engine = getattr(request.app.state, "engine", None)
    found: list[dict] = []
    if engine is not None:
        try:
            now = datetime.now(timezone.utc)
            with engine.connect() as conn:
                if any_in_force(conn, now):
                    found = banner_alerts(conn, alert_regions(conn, principal), now)
        except SQLAlchemyError:
            log.warning("the alert banner could not be read", exc_info=True)
    request.state.alert_banner = found
    return found


def banner_lines(request: Request, principal: Principal, gettext, fmt) -> list[dict]:
    """The banner's lines: ``level``, ``text`` (said in the reader's language, local times), ``id``."""
    pattern = SHORT_TIME.get(fmt.lang, "MM-dd HH:mm")
    out = []
    for a in _alerts(request, principal)[:MAX_SHOWN]:
        text = gettext(BANNER[a["level"]]) % {"region": a["region_name"],
                                              "since": fmt.datetime(a["starts_at"], fmt=pattern)}
        end = a["lifted_at"] or a["ends_at"]
        if end is not None:
            text += gettext(UNTIL) % {"until": fmt.datetime(end, fmt=pattern)}
        out.append({"level": a["level"], "text": text, "id": a["id"]})
    return out
