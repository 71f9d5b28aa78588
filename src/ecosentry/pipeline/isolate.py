"""Finding the record that makes a batch write fail, so that it alone is set aside.

The worker writes the spool in batches of thousands of records in one transaction. When the database
refuses a batch because of one record (a value it cannot store), retrying the same batch fails forever
and every logger's data behind it waits. Splitting the failed batch in halves, again and again, finds
the culprit in about 2·log₂(n) writes; the good halves are written as they succeed, the culprit is
handed to ``set_aside`` (which archives it in a form that cannot fail).

A failure that is not the records' (the database unreachable, or refusing even the set-aside form) is
raised, and the worker retries the whole batch later: writes are idempotent, so halves already written
change nothing when written again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Isolation(Generic[T, R]):
    """What :func:`write_isolating` did."""

    #: what ``write`` and ``set_aside`` returned, in the order the parts were written
    results: list[R] = field(default_factory=list)
    #: records the database refused on their own, with the error, after they were set aside
    culprits: list[tuple[T, BaseException]] = field(default_factory=list)
    #: calls of ``write`` (1 when the batch is good)
    attempts: int = 0


def write_isolating(items: Sequence[T], write: Callable[[Sequence[T]], R],
                    set_aside: Callable[[T, BaseException], R],
                    is_transient: Callable[[BaseException], bool]) -> Isolation[T, R]:
    """Write ``items`` with ``write``; on a failure that ``is_transient`` does not excuse, split the part in
    halves until the failing records are found one by one, and pass each to ``set_aside``.

    Raises
    ------
    Exception
        A transient failure (from ``write``), or the failure of a record when even ``set_aside`` fails:
        nothing is known to be the records' fault, the caller retries the whole batch.
    """
    out: Isolation[T, R] = Isolation()
    parts: list[Sequence[T]] = [items] if items else []
    while parts:
        part = parts.pop()
        out.attempts += 1
        try:
            out.results.append(write(part))
            continue
        except Exception as exc:
            if is_transient(exc):
                raise
            failure = exc
        if len(part) > 1:
            mid = len(part) // 2
            parts += [part[mid:], part[:mid]]  # the first half is written first: the order is kept
            continue
        try:
            out.results.append(set_aside(part[0], failure))
        except Exception as aside_failure:
            if is_transient(aside_failure):  # the database went away meanwhile
                raise
            raise failure from aside_failure
        out.culprits.append((part[0], failure))
    return out
