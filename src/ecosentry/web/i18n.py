"""Languages of the UI: Simplified Chinese, Vietnamese and English, with gettext catalogues (Babel).

Catalogues are ``web/locale/<lang>/LC_MESSAGES/messages.po`` (source language of the templates: English
msgids). They are compiled in memory at start-up with Babel, so no build step is needed; ``pybabel
extract -F babel.cfg`` refreshes the template (``messages.pot``) and ``pybabel update`` the catalogues.

The request's language (:func:`negotiate`): ``?lang=`` (also stored in the ``lang`` cookie by the language
switcher), the ``lang`` cookie, the user's preferred locale, the ``Accept-Language`` header, then the
deployment default (``ECOSENTRY_DEFAULT_LOCALE``: ``zh`` for Chinese deployments, ``vi`` for Vietnamese
ones). Dates, numbers and time zones follow the locale (:class:`Formatter`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from starlette.requests import Request

__all__ = ["LOCALES", "BABEL_LOCALE", "LOCALE_DIR", "translations", "negotiate", "Formatter"]

#: UI languages: code → name in that language (the switcher shows these).
LOCALES: dict[str, str] = {"zh": "简体中文", "vi": "Tiếng Việt", "en": "English"}
#: UI code → Babel locale for dates and numbers.
BABEL_LOCALE = {"zh": "zh_Hans_CN", "vi": "vi_VN", "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English: the msgids themselves)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang not in LOCALES or not po.is_file():
        return NullTranslations()
    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=BABEL_LOCALE[lang])
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(buf)


def _accept_language(header: str) -> list[str]:
    out = []
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag:
            out.append(tag.split("-")[0])
    return out


def negotiate(request: Request, user_locale: str | None = None, default: str = "zh") -> str:
    """The language of this request (see the module docstring for the order)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), user_locale,
                      *_accept_language(request.headers.get("accept-language", "")), default):
        if candidate in LOCALES:
            return candidate
    return "zh"


@dataclass(frozen=True)
class Formatter:
    """Dates, numbers and times for one language and display time zone."""

    lang: str
    tz: str = "Asia/Shanghai"

    @property
    def locale(self) -> Locale:
        return Locale.parse(BABEL_LOCALE[self.lang])

    def datetime(self, t: datetime | None, tz: str | None = None, fmt: str = "short") -> str:
        """A time in ``tz`` (the point's zone) or the display zone, in the language's format."""
        if t is None:
            return "—"
        return format_datetime(t.astimezone(ZoneInfo(tz or self.tz)), fmt, locale=self.locale)

    def zone(self, tz: str | None = None) -> str:
        """A time zone as a reader names it ("中国（上海）时间", "Giờ Việt Nam"), not its IANA id."""
        return get_timezone_location(get_timezone(tz or self.tz), locale=self.locale)

    def date(self, d: date | datetime | None, fmt: str = "medium") -> str:
        return "—" if d is None else format_date(d, fmt, locale=self.locale)

    def number(self, x: float | int | None, decimals: int = 2) -> str:
        if x is None:
            return "—"
        return format_decimal(x, format=f"#,##0.{'0' * decimals}" if decimals else "#,##0", locale=self.locale)

    def percent(self, x: float | None, decimals: int = 1) -> str:
        if x is None:
            return "—"
        return format_percent(x, format=f"#,##0.{'0' * decimals}%" if decimals else "#,##0%", locale=self.locale)
