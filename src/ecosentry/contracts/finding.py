"""What the findings of a subsystem's rules share: a catalogue ``code`` (its severity from the catalogue), and one
sentence as a catalogue msgid with named parameters. ``explanation`` is the English sentence; :meth:`say` says it
in the reader's language with the subsystem's catalogues, the parameters named in ``translated_params`` (words of
the catalogue: a level, a kind) translated too. The subsystem's finding (a frozen dataclass) adds its own fields
(where, when, evidence) and its ``as_dict``.

A parameter may itself be a sentence (:func:`sentence`: a msgid with its own parameters, JSON-able so that a stored
finding keeps it) or a list of words or sentences, said in the reader's language and joined: "which fields a ledger
row lacks", "why a VIN is not valid" are told in the reader's words, not in the rule's English."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ecosentry.contracts.catalogue import get

__all__ = ["FindingSentence", "sentence", "say_params", "LIST_SEPARATOR"]

#: Between the items of a list parameter (a catalogue msgid: "；" in Chinese).
LIST_SEPARATOR = "; "


def sentence(msgid: str, *, words: tuple[str, ...] = (), **params: Any) -> dict[str, Any]:
    """A sentence to put in a finding's parameters: ``msgid`` (a catalogue msgid) with its parameters, those named
    in ``words`` being catalogue words translated with it. A plain dict, so it is stored as JSON with the finding."""
    out: dict[str, Any] = {"msgid": msgid, "params": params}
    if words:
        out["words"] = list(words)
    return out


def _said(value: Any, gettext: Callable[[str], str], word: bool) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        return gettext(value["msgid"]) % say_params(value.get("params") or {}, gettext, value.get("words") or ())
    if isinstance(value, list):
        return gettext(LIST_SEPARATOR).join(str(_said(v, gettext, word)) for v in value)
    if word and isinstance(value, str):
        return gettext(value)
    return value


def say_params(params: dict[str, Any], gettext: Callable[[str], str], words=()) -> dict[str, Any]:
    """A sentence's parameters in the language of ``gettext``: the ``words`` translated, nested sentences and
    lists said (:func:`sentence`), the rest as they are."""
    return {k: _said(v, gettext, k in words) for k, v in params.items()}


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
        return self.msgid % say_params(self.params, _english)

    def say(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of ``gettext``."""
        return gettext(self.msgid) % say_params(self.params, gettext, self.translated_params)


def _english(msgid: str) -> str:
    return msgid
