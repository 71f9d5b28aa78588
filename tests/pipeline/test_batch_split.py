"""Splitting a failed batch finds the record the database refuses in a logarithmic number of writes."""

from __future__ import annotations

import math

import pytest

from ecosentry.pipeline.isolate import write_isolating


class Refused(Exception):
    """What a database raises for a value it cannot store."""


class Unreachable(Exception):
    """What a database raises when it cannot be reached."""


class Table:
    """A store that refuses any part containing a bad record, and writes a part all or nothing."""

    def __init__(self, bad: set[int], *, refuse_set_aside: bool = False, down_after: int | None = None) -> None:
        self.bad, self.refuse_set_aside, self.down_after = bad, refuse_set_aside, down_after
        self.rows: list[int] = []
        self.set_aside: list[int] = []
        self.writes = 0

    def write(self, part):
        self.writes += 1
        if self.down_after is not None and self.writes > self.down_after:
            raise Unreachable("connection refused")
        if self.bad & set(part):
            raise Refused(f"value too long in one of {len(part)} records")
        self.rows.extend(part)
        return len(part)

    def aside(self, item, exc):
        if self.refuse_set_aside:
            raise Refused("even the archive form is refused")
        self.set_aside.append(item)
        return 1


def test_one_culprit_in_a_thousand_is_found_in_a_logarithmic_number_of_writes():
    table = Table({617})
    done = write_isolating(list(range(1000)), table.write, table.aside, lambda e: isinstance(e, Unreachable))
    assert table.rows == [i for i in range(1000) if i != 617]  # 999 written, in their order
    assert table.set_aside == [617] and [c for c, _ in done.culprits] == [617]
    assert isinstance(done.culprits[0][1], Refused)
    # the whole batch, then two halves at each of ⌈log₂ 1000⌉ = 10 levels
    assert done.attempts == table.writes <= 1 + 2 * math.ceil(math.log2(1000))


def test_a_good_batch_is_one_write_and_several_culprits_are_all_found():
    table = Table(set())
    assert write_isolating(list(range(1000)), table.write, table.aside, lambda e: False).attempts == 1
    table = Table({0, 499, 999})
    done = write_isolating(list(range(1000)), table.write, table.aside, lambda e: False)
    assert sorted(table.set_aside) == [0, 499, 999] and len(table.rows) == 997
    assert done.attempts <= 1 + 3 * 2 * math.ceil(math.log2(1000))


def test_an_unreachable_database_is_not_blamed_on_a_record():
    table = Table({617}, down_after=3)  # the database goes away while the batch is being split
    with pytest.raises(Unreachable):
        write_isolating(list(range(1000)), table.write, table.aside, lambda e: isinstance(e, Unreachable))
    assert table.set_aside == []  # nothing set aside: the caller retries the whole batch later


def test_a_failure_that_even_the_set_aside_form_meets_is_not_the_records():
    table = Table({5}, refuse_set_aside=True)
    with pytest.raises(Refused):
        write_isolating(list(range(10)), table.write, table.aside, lambda e: False)
    assert table.set_aside == []


def test_a_database_lost_while_setting_the_culprit_aside_is_waited_for():
    table = Table({5})

    def aside_unreachable(item, exc):
        raise Unreachable("connection lost")

    with pytest.raises(Unreachable):
        write_isolating(list(range(10)), table.write, aside_unreachable, lambda e: isinstance(e, Unreachable))
