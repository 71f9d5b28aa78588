"""Errors a person reads, said in any language: the sentence is a catalogue msgid with named parameters.

``str(error)`` is the English sentence (logs, the API's ``detail``); :meth:`Said.say` says it with the
catalogue of the reader's language (a page passes its gettext and its formatter of local times, so a time
in an error reads as the point's local time, not UTC). Exceptions of the stores and forms derive from
:class:`Said`; a plain ``Said("...")`` without parameters is simply a msgid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["Said", "N_"]


def N_(msgid: str) -> str:
    """Mark a msgid for extraction (Babel's ``N_`` keyword); it is translated where it is shown."""
    return msgid


def _english(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class Said(ValueError):
    """An error whose message is ``msgid % params``."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.msgid = msgid
        self.params = params
        super().__init__(msgid % {k: _english(v) for k, v in params.items()} if params else msgid)

    def say(self, gettext: Callable[[str], str], when: Callable[[datetime], str] = datetime.isoformat) -> str:
        """The message in the catalogue's language, times written by ``when``."""
        text = gettext(self.msgid)
        if not self.params:
            return text
        return text % {k: self._said(v, gettext, when) for k, v in self.params.items()}

    @staticmethod
    def _said(value: Any, gettext: Callable[[str], str], when: Callable[[datetime], str]) -> Any:
        """A parameter as the reader reads it: a time by ``when``, a nested :class:`Said` (where in a file, the
        cause of a wrapped error) in the same language."""
        if isinstance(value, datetime):
            return when(value)
        if isinstance(value, Said):
            return value.say(gettext, when)
        return value
