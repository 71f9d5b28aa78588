"""The one Jinja environment of the pages, and :func:`render`, which gives every template its language,
formatter and principal.

Templates translate with ``{{ _("Text") }}`` (``ngettext`` for plurals); the strings are English msgids
extracted by Babel (``babel.cfg``). Every page gets:

* ``_``, ``ngettext``: the request's catalogue; ``lang`` and ``LOCALES`` for the switcher;
* ``fmt``: a :class:`~ecosentry.web.i18n.Formatter` (dates, numbers, percentages in the language);
* ``principal``: who is looking (``principal.role``, ``principal.may("...")``), for the navigation;
* ``menu``: the navigation, the core's entries and every installed subsystem's;
* ``alert_banner``: the heavy-pollution alerts in force that cover the reader, as sentences
  (:mod:`ecosentry.web.alert_banner`; ``base.html`` shows them above every page);
* whatever the installed subsystems' ``page_context`` functions add (the monitoring subsystem:
  ``reason_text(reason)``, a stored hour/period reason said in the language).

Templates are looked up in the core's ``templates/`` folder, then in each subsystem's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from ecosentry.alarms.wording import type_name
from ecosentry.auth.deps import current_principal
from ecosentry.contracts.subsystem import MenuEntry
from ecosentry.installed import each, menu_entries, template_dirs
from ecosentry.protocols.vn_txt import REASON_WORDS
from ecosentry.said import N_
from ecosentry.web.alert_banner import banner_lines
from ecosentry.web.i18n import LOCALES, Formatter, negotiate, translations

__all__ = ["templates", "render", "page_context"]

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[HERE / "templates", *template_dirs()])
#: An alarm type's name in the reader's language (the core's and every subsystem's types): ``alarm_type_name(code, _)``.
templates.env.globals["alarm_type_name"] = type_name
#: Why a Vietnamese station file was refused, by its reason code (the reader's words, as the DONRE desk says them).
templates.env.globals["VN_FILE_REASONS"] = REASON_WORDS

#: The core's own navigation entries; the subsystems add theirs (:attr:`Subsystem.menu`).
CORE_MENU = (
    MenuEntry("/map", N_("Map"), group="main", order=20),
    MenuEntry("/alarms", N_("Alarms"), group="main", permission="alarms.read", order=40),
    MenuEntry("/alerts", N_("Pollution alerts"), permission="alerts.read", order=10),
    MenuEntry("/audit", N_("Audit"), permission="audit.read", order=20),
    MenuEntry("/admin", N_("Registry"), permission="registry.edit", order=30),
    MenuEntry("/docs", "API", order=90, public=True),
)


#: Time zones of a Vietnamese deployment (``ecosentry demo --country vn`` sets ``default_tz`` to the first).
VN_ZONES = frozenset({"Asia/Ho_Chi_Minh", "Asia/Saigon"})


def deployment_country(settings) -> str:
    """``vn`` when the deployment is Vietnamese (its display zone is Vietnam's, its default language
    Vietnamese, or it receives station files by FTP, Circular 10/2021's transport), else ``cn``."""
    if settings is None:
        return "cn"
    if getattr(settings, "default_tz", None) in VN_ZONES or getattr(settings, "default_locale", None) == "vi" \
            or getattr(settings, "ftp_enabled", False):
        return "vn"
    return "cn"


def navigation(principal, country: str | None = None) -> dict[str, list[MenuEntry]]:
    """The menu entries the principal may follow, by group, in order; an entry of another country than the
    deployment's (``country``) is left out."""
    entries = sorted((*CORE_MENU, *menu_entries()), key=lambda e: (e.order, e.path))
    out: dict[str, list[MenuEntry]] = {"main": [], "more": []}
    public = principal.role == "public"
    for e in entries:
        if public and not e.public:
            continue
        if e.country is not None and e.country != (country or "cn"):
            continue
        if e.permission is None or principal.may(e.permission):
            out[e.group].append(e)
    return out


def page_context(request: Request) -> dict[str, Any]:
    """Language, formatter and principal of the request, as template variables."""
    principal = current_principal(request)
    st = getattr(request.app.state, "settings", None)
    default = getattr(st, "default_locale", "zh") if st is not None else "zh"
    tz = getattr(st, "default_tz", "Asia/Shanghai") if st is not None else "Asia/Shanghai"
    lang = negotiate(request, principal.locale, default)
    tr = translations(lang)
    fmt = Formatter(lang, tz)
    return {"_": tr.gettext, "ngettext": tr.ngettext, "lang": lang, "LOCALES": LOCALES,
            "fmt": fmt, "principal": principal, "menu": navigation(principal, deployment_country(st)),
            "alert_banner": banner_lines(request, principal, tr.gettext, fmt),
            **{k: v for _, contribute in each("page_context") for k, v in contribute(request, tr).items()}}


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """Render ``name`` with the page context; a ``?lang=`` choice is remembered in the ``lang`` cookie."""
    ctx = page_context(request)
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    chosen = request.query_params.get("lang")
    if chosen in LOCALES:
        st = getattr(request.app.state, "settings", None)
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="lax",
                            secure=bool(st is not None and st.access.session_cookie_secure))
    return response
