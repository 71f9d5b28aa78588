"""What the monitoring subsystem adds to core pages: words for every template, and the alarm page's marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from ecosentry.subsystems.monitoring.queries.marks import mark_in_scope, marks_of_point
from ecosentry.alarms.voice import factor_names
from ecosentry.locale import LOCALES, translations
from ecosentry.subsystems.monitoring.rules.cn.reason_words import mark_reason_text, reason_text
from ecosentry.subsystems.monitoring.web.marks_pages import TYPE_NAMES_ZH
from ecosentry.web.views.work_scope import mark_clause


def page_words(request, tr) -> dict[str, Any]:
    """``reason_text(reason)``: a stored hour/period reason said in the page's language; ``mark_reason(text)``:
    a mark's reason, the automatic marks' machine sentence said in the language; ``factor_list(codes)``: factor
    codes as their names in the page's language, joined (read once per page, when first used)."""
    names: dict[str, tuple[str, str | None]] = {}

    def factor_list(codes) -> str:
        if not names:
            lang = next((k for k in LOCALES if translations(k) is tr), "en")
            with request.app.state.engine.connect() as conn:
                names.update(factor_names(conn, lang))
        return tr.gettext(", ").join(names.get(c, (c, None))[0] for c in codes or [])

    return {"reason_text": lambda reason: reason_text(reason, tr.gettext), "factor_list": factor_list,
            "mark_reason": lambda text: mark_reason_text(text, tr.gettext)}


def mark_visible(conn: Connection, principal, target_id: str) -> bool:
    """An alarm may be linked to mark ``target_id`` when the principal sees the mark."""
    return target_id.isdigit() and mark_in_scope(conn, int(target_id), mark_clause(principal))


def alarm_marks(conn: Connection, principal, alarm: dict) -> dict[str, Any]:
    """The marks of the alarm's point, offered by the alarm page's "link a mark" form."""
    marks = []
    if alarm.get("point_id") is not None:
        marks = marks_of_point(conn, alarm["point_id"], mark_clause(principal), limit=50)
    return {"marks": marks, "type_names_zh": TYPE_NAMES_ZH, "alarm_panels": ["alarm_link_mark.html"]}
