"""What a rule's source says to somebody outside the project: the standards, official documents and published
literature a regulator or an enterprise can look up, without the project's own design notes.

The catalogue's ``source`` (:class:`ecosentry.contracts.catalogue.Rule`) cites both: ``"HJ 75-2017 §12;
china-vietnam-rules.md §2.2"``. The second part is a file of this repository's design notes; a document
handed to enforcement (the evidence pack) must not send its reader there (issue 11 item 7).
"""

from __future__ import annotations

import re

__all__ = ["INTERNAL_NOTES", "split_citations", "public_citations"]

#: Markers of the project's internal notes (shared/reference/*.md, docs/*.md).
INTERNAL_NOTES = ("china-vietnam-rules.md", "anchors.md", "subsystems.md", "reference notes", "docs/", ".md ",
                  "platform choice")


def split_citations(source: str) -> list[str]:
    """The ``;``-separated parts of a source, not splitting inside brackets (``(a; b)`` stays whole)."""
    parts, depth, cur = [], 0, []
    for ch in source:
        if ch in "(（[":
            depth += 1
        elif ch in ")）]" and depth:
            depth -= 1
        if ch == ";" and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _internal(part: str) -> bool:
    text = part.lower() + " "
    return any(marker in text for marker in INTERNAL_NOTES) or text.rstrip().endswith(".md")


#: The catalogue's own shorthand for "a threshold the platform chose" inside a citation: "(ours)",
#: ", thresholds ours".
_OURS = re.compile(r"\s*\(ours\)|,?\s*thresholds ours")


def public_citations(source: str) -> list[str]:
    """The parts of ``source`` that cite something published; ``[]`` when the rule is the platform's own
    (the caller then says so in the reader's language)."""
    out = []
    for part in split_citations(source):
        if _internal(part):
            continue
        part = _OURS.sub("", part).replace("()", "").replace(" ( ", " (").strip()
        part = re.sub(r"\(\s*\)", "", part).strip()
        if part:
            out.append(part)
    return out
