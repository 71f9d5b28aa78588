"""The reader's voice for an alarm (:class:`ecosentry.alarms.wording.Voice`): the catalogue of a language and
the names of the alarm's enterprise, point and factors, read from the database; times in the point's zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from ecosentry.alarms.wording import AlarmNames, Voice
from ecosentry.locale import LOCALES, Formatter, translations
from ecosentry.store import schema as s

__all__ = ["factor_names", "load_voice", "reader_language"]


def reader_language(user_locale: str | None, default: str) -> str:
    """The recipient's preferred language, else the deployment's default (``ECOSENTRY_DEFAULT_LOCALE``)."""
    for candidate in (user_locale, default):
        if candidate in LOCALES:
            return candidate
    return "zh"


def factor_names(conn: Connection, lang: str) -> dict[str, tuple[str, str | None]]:
    """Factor code → (name in ``lang``, unit): the Chinese name, else the catalogue's translation of the
    English name; the unit as the language writes it (Vietnamese: ``mg/Nm3`` for a flue gas's ``mg/m³``)."""
    _ = translations(lang).gettext
    f = s.factors
    return {r.code: (r.name_zh if lang == "zh" else _(r.name_en), _(r.unit) if r.unit else r.unit)
            for r in conn.execute(select(f.c.code, f.c.name_zh, f.c.name_en, f.c.unit))}


def load_voice(conn: Connection, alarm: Mapping[str, Any], lang: str, default_tz: str) -> Voice:
    """How to say ``alarm`` in ``lang``: its names, and times in its point's zone (else ``default_tz``)."""
    p, e = s.points, s.enterprises
    point = conn.execute(select(p.c.name, p.c.tz).where(p.c.id == alarm.get("point_id"))).first() \
        if alarm.get("point_id") is not None else None
    enterprise = conn.execute(select(e.c.name).where(e.c.id == alarm.get("enterprise_id"))).scalar() \
        if alarm.get("enterprise_id") is not None else None
    fmt = Formatter(lang, point.tz if point is not None else default_tz)
    names = AlarmNames(enterprise, point.name if point is not None else None, factor_names(conn, lang))
    return Voice(translations(lang).gettext, fmt.datetime, fmt.measured, names)
