"""Languages of the UI: Simplified Chinese, Vietnamese and English, with gettext catalogues (Babel).

Catalogues are ``web/locale/<lang>/LC_MESSAGES/messages.po`` (source language of the templates: English
msgids). They are compiled in memory at start-up with Babel, so no build step is needed; ``pybabel
extract -F babel.cfg`` refreshes the template (``messages.pot``) and ``pybabel update`` the catalogues.

The request's language (:func:`negotiate`): ``?lang=`` (also stored in the ``lang`` cookie by the language
switcher), the ``lang`` cookie, the user's preferred locale, the ``Accept-Language`` header, then the
deployment default (``ECOSENTRY_DEFAULT_LOCALE``: ``zh`` for Chinese deployments, ``vi`` for Vietnamese
ones). Dates, numbers and time zones follow the locale (:class:`Formatter`).

:func:`reader_gettext` is that choice for an answer that is not a page (an API refusal's ``detail``, a report's
words): the pages, the downloads and the API's errors (:mod:`ecosentry.web.errors`) thus speak one language.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from ecosentry.locale import BABEL_LOCALE, LOCALE_DIR, LOCALES, Formatter, accept_languages, translations

__all__ = ["LOCALES", "BABEL_LOCALE", "LOCALE_DIR", "translations", "negotiate", "reader_gettext", "Formatter"]


def negotiate(request: Request, user_locale: str | None = None, default: str = "zh") -> str:
    """The language of this request (see the module docstring for the order)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get("lang"), user_locale,
                      *accept_languages(request.headers.get("accept-language", "")), default):
        if candidate in LOCALES:
            return candidate
    return "zh"


def reader_gettext(request: Request, principal=None) -> Callable[[str], str]:
    """The catalogue of the reader's language (:func:`negotiate`: ``?lang=``, cookie, the account's locale,
    ``Accept-Language``, the deployment's default). ``principal``: the request's, else the one already resolved
    for it (``request.state.principal``); none (a refused API key): the account's locale is skipped."""
    from ecosentry.settings import get_settings

    if principal is None:
        principal = getattr(request.state, "principal", None)
    st = getattr(request.app.state, "settings", None) or get_settings()
    lang = negotiate(request, getattr(principal, "locale", None), getattr(st, "default_locale", "zh"))
    return translations(lang).gettext
