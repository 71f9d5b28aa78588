"""Alarms as a page shows them: title, explanation and type name in the reader's language
(:mod:`ecosentry.alarms.wording`), with the enterprise's, point's and factors' names and local times."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from ecosentry.alarms.voice import factor_names
from ecosentry.alarms.wording import AlarmNames, alarm_explanation, alarm_title, type_name
from ecosentry.store.queries.alarms import alarm_place_names
from ecosentry.web.i18n import Formatter, translations
from ecosentry.web.templating import page_context

__all__ = ["localise_alarms", "localise_for"]


def localise_alarms(conn: Connection, rows: Iterable[dict], fmt: Formatter) -> list[dict]:
    """The rows with ``title``, ``explanation`` and ``type_name`` in ``fmt.lang``; the stored English wording
    stays in ``title_en`` and ``explanation_en``."""
    rows = list(rows)
    _ = translations(fmt.lang).gettext
    factors = factor_names(conn, fmt.lang)
    pids = {r["point_id"] for r in rows if r.get("point_id") is not None}
    eids = {r["enterprise_id"] for r in rows if r.get("enterprise_id") is not None}
    points, ents = alarm_place_names(conn, pids, eids)
    out = []
    for r in rows:
        point_name, tz = points.get(r.get("point_id"), (None, None))
        names = AlarmNames(ents.get(r.get("enterprise_id")), point_name, factors)
        explanation = alarm_explanation(r, names, _, lambda t, tz=tz: fmt.datetime(t, tz),
                                        fmt.measured)
        codes = r.get("factor_codes")
        if isinstance(codes, str):
            codes = [c for c in codes.split(",") if c]
        out.append({**r, "title_en": r.get("title"), "explanation_en": r.get("explanation"),
                    "title": alarm_title(r, names, _),
                    "explanation": explanation if explanation is not None else r.get("explanation"),
                    "type_name": type_name(str(r.get("type")), _),
                    "factor_names": [names.factor(c) for c in codes or []]})
    return out


def localise_for(request, rows: Iterable[dict]) -> list[dict]:
    """:func:`localise_alarms` in the language and display zone of ``request``."""
    with request.app.state.engine.connect() as conn:
        return localise_alarms(conn, rows, page_context(request)["fmt"])
