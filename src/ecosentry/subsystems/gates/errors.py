"""Errors in what people give the gates subsystem (a fleet file's ``gates:`` key, a ledger CSV, the guard's
entry), said in the reader's language: where (the file and its line, or the place: enterprise, gate, vehicle),
the field and what is wrong. ``str`` is the English sentence; :meth:`GatesInputError.say` says it with the
reader's catalogue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecosentry.said import N_, Said

__all__ = ["GatesInputError", "PLACE_WORDS", "LINE_WORD"]

PLACE_WORDS = {"enterprise": N_("enterprise %(id)s"), "gate": N_("gate %(id)s"), "camera": N_("camera %(id)s"),
               "device": N_("gate device %(id)s"), "loading_place": N_("loading place %(id)s"),
               "vehicle": N_("vehicle %(id)s"), "machine": N_("machine %(id)s")}
LINE_WORD = N_("line %(n)s")


class GatesInputError(Said):
    """``source`` (a file name, or "" in a fleet file), ``line`` (its line) or ``place`` (``((kind, id), …)``),
    ``field`` and the problem (a msgid with named parameters)."""

    def __init__(self, source: str, field_: str | None, problem: str, *, line: int | None = None,
                 place: tuple[tuple[str, str], ...] = (), **params: Any) -> None:
        self.source, self.line, self.place, self.field = source, line, tuple(place), field_
        Said.__init__(self, problem, **params)
        self.args = (self._said(lambda m: m),)

    def __str__(self) -> str:
        return self._said(lambda m: m)

    def _said(self, gettext: Callable[[str], str]) -> str:
        head = self.source
        if self.line:
            head = f"{head} {gettext(LINE_WORD) % {'n': self.line}}".strip()
        parts = [head] if head else []
        parts += [gettext(PLACE_WORDS[k]) % {"id": i} for k, i in self.place]
        if self.field:
            parts.append(self.field)
        problem = gettext(self.msgid) % self.params if self.params else gettext(self.msgid)
        where = ", ".join(parts)
        return f"{where}: {problem}" if where else problem

    def say(self, gettext: Callable[[str], str], when=None) -> str:  # noqa: ARG002 (no times in these errors)
        return self._said(gettext)
