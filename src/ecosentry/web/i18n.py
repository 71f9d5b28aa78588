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

from starlette.requests import Request

from ecosentry.locale import BABEL_LOCALE, LOCALE_DIR, LOCALES, Formatter, accept_languages, translations

__all__ = ["LOCALES", "BABEL_LOCALE", "LOCALE_DIR", "translations", "negotiate", "Formatter"]


def negotiate(request: Request, user_locale: str | None = None, default: str = "zh") -> str:
    """The language of this request (see the module docstring for the order)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), user_locale,
                      *accept_languages(request.headers.get("accept-language", "")), default):
        if candidate in LOCALES:
            return candidate
    return "zh"
