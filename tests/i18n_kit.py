"""A subsystem's words as a reader gets them: its own catalogue, then the core's under it (the merge that
:func:`ecosentry.locale.translations` does at run time), so a sentence of a shared core module (the offline
files' errors of :mod:`ecosentry.offline_csv`) counts as translated for every subsystem that uses it."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from ecosentry.locale import LOCALE_DIR


class MergedCatalogue:
    def __init__(self, *catalogues) -> None:
        self.catalogues = catalogues

    def get(self, msgid: str):
        """The first catalogue's message that has a translation (else the first one found, else None)."""
        found = None
        for c in self.catalogues:
            m = c.get(msgid)
            if m is not None and m.string:
                return m
            found = found or m
        return found


def subsystem_catalogue(package: Path, lang: str) -> MergedCatalogue:
    """The subsystem's ``locale/<lang>`` catalogue over the core's."""
    out = []
    for po in (package / "locale" / lang / "LC_MESSAGES" / "messages.po", LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"):
        with open(po, "rb") as fh:
            out.append(read_po(fh))
    return MergedCatalogue(*out)
