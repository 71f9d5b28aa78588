"""What the findings of a subsystem's rules share: a catalogue ``code`` (its severity from the catalogue), and one
sentence as a catalogue msgid with named parameters. ``explanation`` is the English sentence; :meth:`say` says it
in the reader's language with the subsystem's catalogues, the parameters named in ``translated_params`` (words of
the catalogue: a level, a kind) translated too. The subsystem's finding (a frozen dataclass) adds its own fields
(where, when, evidence) and its ``as_dict``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ecosentry.contracts.catalogue import get

__all__ = ["FindingSentence"]


class FindingSentence:
    """Mixed into a finding with ``code``, ``msgid`` and ``params``."""

    #: Parameters whose values are words of the catalogue, translated with the sentence.
    translated_params: ClassVar[tuple[str, ...]] = ()
    code: str
    msgid: str
    params: dict[str, Any]

    @property
    def severity(self) -> str:
        return get(self.code).severity or "info"

    @property
    def explanation(self) -> str:
        return self.msgid % self.params

    def say(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of ``gettext``."""
        params = {k: gettext(v) if k in self.translated_params and isinstance(v, str) else v
                  for k, v in self.params.items()}
        return gettext(self.msgid) % params
