"""The subsystem's own catalogues (``locale/<lang>/LC_MESSAGES/messages.po``), for the offline tools that run
without the web shell."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

__all__ = ["gettext_for"]

LOCALE = Path(__file__).parent / "locale"


@lru_cache(maxsize=4)
def gettext_for(lang: str) -> Callable[[str], str]:
    """``gettext`` of ``zh`` or ``vi`` (English: the msgid itself)."""
    if lang == "en":
        return lambda m: m
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)

    def gettext(msgid: str) -> str:
        m = catalog.get(msgid)
        return m.string if m is not None and m.string else msgid
    return gettext
