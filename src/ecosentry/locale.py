"""The languages of what ecosentry says to people (zh, vi, en): gettext catalogues and a formatter of dates,
numbers and time zones. The pages (:mod:`ecosentry.web.i18n`) and the notifications (:mod:`ecosentry.alarms`)
both use it, so it sits below both.

Catalogues are ``web/locale/<lang>/LC_MESSAGES/messages.po`` (English msgids), compiled on first use (the compiled
bytes kept between processes in :func:`mo_cache_dir`, under the hash of the ``.po`` file's content),
plus those the installed subsystems bring in their own ``locale/`` folders
(:attr:`ecosentry.contracts.subsystem.Subsystem.locale`), so a subsystem's words travel with it; where both
translate one msgid, the core's catalogue wins. Since they merge into one, a msgid has one translation in all of
them (``tests/web/test_i18n_catalogues.py``): an English word with another meaning in a subsystem takes a msgid of
its own (the gates' "Quantity" 数量 beside the core's "Number" 编号, the O&M's "green code" 绿码 beside the plate
colour "green" 绿色).
"""

from __future__ import annotations

import hashlib
import io
import os
import time
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

from ecosentry.installed import locale_dirs

__all__ = ["LOCALES", "BABEL_LOCALE", "LOCALE_DIR", "translations", "accept_languages", "scope_language",
           "Formatter"]

#: UI languages: code → name in that language (the switcher shows these).
LOCALES: dict[str, str] = {"zh": "简体中文", "vi": "Tiếng Việt", "en": "English"}
#: UI code → Babel locale for dates and numbers.
BABEL_LOCALE = {"zh": "zh_Hans_CN", "vi": "vi_VN", "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "web" / "locale"
#: Named date formats replaced per language: Vietnamese readers write days as dd/mm/yyyy (two-digit day and
#: month, four-digit year) with the time after the day, where Babel's vi_VN short forms give ``04:43 6/12/26``
#: (issue 14 item 7). ``month`` names a calendar month (a monthly report's). Other names (``long``, ``full``)
#: and explicit patterns pass through to Babel.
DATE_PATTERNS: dict[str, dict[str, dict[str, str]]] = {
    "zh": {"date": {"month": "yyyy-MM"}},
    "en": {"date": {"month": "yyyy-MM"}},
    "vi": {"datetime": {"short": "dd/MM/yyyy HH:mm", "medium": "dd/MM/yyyy HH:mm:ss"},
           "date": {"short": "dd/MM/yyyy", "medium": "dd/MM/yyyy", "month": "MM/yyyy"}},
}


def accept_languages(header: str) -> list[str]:
    """The primary language tags of an ``Accept-Language`` header, in the order given (``zh-CN`` → ``zh``)."""
    out = []
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag:
            out.append(tag.split("-")[0])
    return out


def scope_language(scope: dict, default: str = "zh") -> str:
    """The language of an ASGI request answered before any route (a middleware's refusal: CSRF, rate limit), in
    :func:`ecosentry.web.i18n.negotiate`'s order without an account: ``?lang=``, the ``lang`` cookie,
    ``Accept-Language``, the application's ``default_locale`` setting, else ``default``."""
    from http.cookies import CookieError, SimpleCookie
    from urllib.parse import parse_qs

    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    cookie = None
    try:
        jar = SimpleCookie(headers.get("cookie", ""))
        cookie = jar["lang"].value if "lang" in jar else None
    except CookieError:
        pass
    settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
    for candidate in (query, cookie, *accept_languages(headers.get("accept-language", "")),
                      getattr(settings, "default_locale", None), default):
        if candidate in LOCALES:
            return candidate
    return "zh"


@lru_cache(maxsize=None)
def _mo_bytes(po: Path, lang: str, mtime_ns: int, size: int) -> bytes:
    """The ``.po`` file compiled to ``.mo`` bytes, kept per file version: reading a catalogue with babel costs
    ~0.1 s, and :func:`translations` is made again whenever the installed list changes (its cache cleared).
    Across processes the compiled bytes are kept in :func:`mo_cache_dir` under the hash of the ``.po`` file's
    content (every command that says a sentence compiled the five catalogues anew: ~0.1 s of CPU each time)."""
    source = po.read_bytes()
    cached = None
    folder = mo_cache_dir()
    if folder is not None:
        cached = folder / f"{hashlib.sha256(source + lang.encode()).hexdigest()[:32]}.mo"
        try:
            return cached.read_bytes()
        except OSError:
            pass
    compiled = _compile(source, lang)
    if cached is not None:
        _keep(cached, compiled)
    return compiled


def _compile(source: bytes, lang: str) -> bytes:
    """``.po`` bytes compiled to ``.mo`` bytes (babel)."""
    buf = io.BytesIO()
    write_mo(buf, read_po(io.BytesIO(source), locale=BABEL_LOCALE[lang]), use_fuzzy=False)
    return buf.getvalue()


def mo_cache_dir() -> Path | None:
    """Where compiled catalogues are kept between processes: ``ECOSENTRY_MO_CACHE`` (empty: nowhere), else
    ``$XDG_CACHE_HOME/ecosentry/mo`` or ``~/.cache/ecosentry/mo``."""
    if "ECOSENTRY_MO_CACHE" in os.environ:
        return Path(os.environ["ECOSENTRY_MO_CACHE"]) if os.environ["ECOSENTRY_MO_CACHE"] else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ecosentry" / "mo"


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a unique temporary file renamed over it); a folder
    that cannot be written leaves the catalogue compiled in memory only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        # the versions of a catalogue nobody read for a month are let go (each edit of a .po adds one)
        old = time.time() - _MO_KEEP_SECONDS
        for other in path.parent.glob("*.mo"):
            if other.stat().st_atime < old and other.stat().st_mtime < old:
                other.unlink(missing_ok=True)
    except OSError:
        pass


#: A compiled catalogue neither written nor read for this long is deleted when another one is written. [s]
_MO_KEEP_SECONDS = 30 * 86400


def _compiled(po: Path, lang: str) -> Translations:
    """A new :class:`Translations` of ``po`` (callers merge into it, so never a shared one)."""
    st = po.stat()
    try:
        return Translations(io.BytesIO(_mo_bytes(po, lang, st.st_mtime_ns, st.st_size)))
    except Exception:  # noqa: BLE001 - a kept file that is not a catalogue (a foreign writer): compile again
        return Translations(io.BytesIO(_compile(po.read_bytes(), lang)))


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang``: the installed subsystems' catalogues, then the core's over them
    (English: the msgids themselves)."""
    if lang not in LOCALES:
        return NullTranslations()
    found = [d / lang / "LC_MESSAGES" / "messages.po" for d in (*locale_dirs(), LOCALE_DIR)]
    catalogues = [_compiled(po, lang) for po in found if po.is_file()]
    if not catalogues:
        return NullTranslations()
    merged = catalogues[0]
    for more in catalogues[1:]:
        merged.merge(more)  # a later catalogue's translation of a msgid replaces an earlier one's
    return merged


@lru_cache(maxsize=None)
def core_translations(lang: str) -> NullTranslations:
    """The core's catalogue of ``lang`` alone: for what is said before the subsystems are loaded (an installed
    list that cannot be loaded)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    return _compiled(po, lang) if lang in LOCALES and po.is_file() else NullTranslations()


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
        fmt = DATE_PATTERNS.get(self.lang, {}).get("datetime", {}).get(fmt, fmt)
        return format_datetime(t.astimezone(ZoneInfo(tz or self.tz)), fmt, locale=self.locale)

    def zone(self, tz: str | None = None) -> str:
        """A time zone as a reader names it ("中国（上海）时间", "Giờ Việt Nam"), not its IANA id."""
        return get_timezone_location(get_timezone(tz or self.tz), locale=self.locale)

    def date(self, d: date | datetime | None, fmt: str = "medium") -> str:
        fmt = DATE_PATTERNS.get(self.lang, {}).get("date", {}).get(fmt, fmt)
        return "—" if d is None else format_date(d, fmt, locale=self.locale)

    def number(self, x: float | int | None, decimals: int = 2) -> str:
        if x is None:
            return "—"
        return format_decimal(x, format=f"#,##0.{'0' * decimals}" if decimals else "#,##0", locale=self.locale)

    def measured(self, x: float | int | None) -> str:
        """A measured number without trailing zeros: 120 → 120, 120.5 → 120.5, 0.035 → 0.035."""
        if x is None:
            return "—"
        x = float(x)
        decimals = 0 if x == int(x) else 2 if abs(x) >= 1 else 4
        text = self.number(x, decimals)
        if decimals:
            sep = self.locale.number_symbols.get("latn", self.locale.number_symbols).get("decimal", ".") \
                if hasattr(self.locale.number_symbols, "get") else "."
            text = text.rstrip("0").rstrip(sep)
        return text

    def percent(self, x: float | None, decimals: int = 1) -> str:
        if x is None:
            return "—"
        return format_percent(x, format=f"#,##0.{'0' * decimals}%" if decimals else "#,##0%", locale=self.locale)
