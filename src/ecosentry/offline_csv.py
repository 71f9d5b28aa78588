"""The CSV files of the subsystems' offline checks (``ecosentry gates check``, ``om check``, ``park traceback``):
read strictly, with every problem an :class:`InputError` naming the file, the line and the field (nothing is
guessed: a bad row stops the check, the command exits 2).

An :class:`InputError` is a :class:`ecosentry.said.Said`: ``str`` is the English sentence
(``P.csv line 2, time: 'yesterday' is not an ISO 8601 time``), :meth:`~ecosentry.said.Said.say` the reader's
language; the problem is itself a :class:`~ecosentry.said.Said` nested under the place. The readers here are the
shared part (header, rows, required fields, times, numbers); what a value means stays with each subsystem.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ecosentry.said import N_, Said

__all__ = ["InputError", "rows", "required", "instant", "number"]

#: A number as a data file writes it: ASCII digits, a point, an exponent. ``float`` also takes other scripts'
#: digits (``١٢``, ``１２``) and underscores (``1_000``), which no exporting tool writes (issue 19, tests/fuzz).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)

#: Where in a file, by which of line and field are known.
WHERE = {
    (False, False): N_("%(source)s: %(problem)s"),
    (True, False): N_("%(source)s line %(line)s: %(problem)s"),
    (False, True): N_("%(source)s, %(field)s: %(problem)s"),
    (True, True): N_("%(source)s line %(line)s, %(field)s: %(problem)s"),
}


class InputError(Said):
    """A file that cannot be used: the file, the line, the field and what is wrong (``problem``: a msgid with
    ``params``)."""

    def __init__(self, source: str | Path, line: int | None, field_: str | None, problem: str,
                 **params: Any) -> None:
        self.source, self.line, self.field = str(source), line, field_
        self.problem = Said(problem, **params)
        super().__init__(WHERE[(bool(line), bool(field_))], source=self.source, line=line, field=field_,
                         problem=self.problem)


def rows(path: Path, columns: tuple[str, ...], max_len: Mapping[str, int] | None = None,
         ) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` of a UTF-8 CSV file with a header naming at least ``columns``: values stripped, blank
    rows skipped, a row with more values than the header refused, a field longer than ``max_len`` refused."""
    try:
        f = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(path, None, None, N_("cannot be read (%(reason)s)"), reason=exc.strerror) from None
    with f:
        try:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in columns if c not in header]
            if missing:
                raise InputError(path, 1, missing[0], N_("missing column(s) %(columns)s"),
                                 columns=", ".join(missing))
            for line, raw in enumerate(reader, start=2):
                if None in raw:
                    raise InputError(path, line, None, N_("more values than columns"))
                row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
                if not any(row.values()):
                    continue
                for name, limit in (max_len or {}).items():
                    if len(row.get(name, "")) > limit:
                        raise InputError(path, line, name, N_("longer than %(limit)s characters"), limit=limit)
                yield line, row
        except UnicodeDecodeError:
            raise InputError(path, None, None, N_("is not UTF-8 text")) from None
        except csv.Error as exc:
            raise InputError(path, None, None, N_("is not CSV (%(reason)s)"), reason=str(exc)) from None


def required(path: Path, line: int, row: Mapping[str, str], field: str) -> str:
    """The field's value, refused when empty."""
    value = row.get(field, "")
    if not value:
        raise InputError(path, line, field, N_("is empty"))
    return value


def instant(path: Path, line: int, field: str, text: str) -> datetime:
    """An ISO 8601 time with its offset (a time without one would be read in some unknown zone)."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(path, line, field, N_("%(text)r is not an ISO 8601 time"), text=text) from None
    if t.tzinfo is None:
        raise InputError(path, line, field, N_("%(text)r has no offset (+08:00, Z ...)"), text=text)
    try:  # 0001-01-01T00:00:00+08:00 is before year 1 in UTC: no instant the checks can compare (issue 19)
        t.astimezone(timezone.utc)
    except OverflowError:
        raise InputError(path, line, field, N_("%(text)r is out of range"), text=text) from None
    return t


def number(path: Path, line: int, field: str, text: str, minimum: float | None = None) -> float:
    """A finite number (``minimum`` or more when given)."""
    try:
        v = float(text)
    except ValueError:
        raise InputError(path, line, field, N_("%(text)r is not a number"), text=text) from None
    if not math.isfinite(v):
        raise InputError(path, line, field, N_("%(text)r is not a finite number"), text=text)
    if not _NUMBER.fullmatch(text.strip()):
        raise InputError(path, line, field, N_("%(text)r is not a number"), text=text)
    if minimum is not None and v < minimum:
        raise InputError(path, line, field, N_("%(text)r must be %(minimum)s or more"), text=text,
                         minimum=f"{minimum:g}")
    return v
