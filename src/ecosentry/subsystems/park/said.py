"""A sentence of the park rules said in the reader's language: a catalogue msgid with named parameters, some of
whose values (a level, a factor's name) are words of the catalogue themselves. Times in the parameters are local
(``YYYY-MM-DD HH:MM``), never UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["say", "local_time", "TRANSLATED_PARAMS"]

#: Parameters whose values are msgids (translated with the sentence).
TRANSLATED_PARAMS = ("level", "previous", "substance", "handles")


def local_time(t: datetime, timezone: str) -> str:
    return t.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def say(msgid: str, params: dict[str, Any], gettext: Callable[[str], str] | None = None) -> str:
    """``msgid % params``, translated with ``gettext`` when given (the English sentence otherwise)."""
    if gettext is None:
        return msgid % params
    return gettext(msgid) % {k: gettext(v) if k in TRANSLATED_PARAMS and isinstance(v, str) else v
                             for k, v in params.items()}
