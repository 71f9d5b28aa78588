"""Writer: canonical files, its refusals, and round trips parse(write(x)) on seeded random files
(property tests without extra dependencies: a fixed-seed generator, many cases)."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

import pytest

from ecosentry.protocols.vn_txt import VnFileName, VnLine, format_value, parse_file, write_file

NAME = VnFileName("HN", "PHCH", "NUOPCH", datetime(2026, 2, 3, 12, 45))


def test_canonical_bytes_match_the_reference_layout():
    filename, data = write_file(NAME, [("pH", 8.81, "", "00"), ("TSS", 3.9, "mg/L", "00")])
    assert filename == "HN_PHCH_NUOPCH_20260203124500.txt"
    assert data == b"pH\t8.81\t\t20260203124500\t00\nTSS\t3.90\tmg/L\t20260203124500\t00\n"
    _, crlf = write_file(NAME, [("pH", 8.81, "", "00")], line_end="\r\n")
    assert crlf == b"pH\t8.81\t\t20260203124500\t00\r\n"


def test_values_formatting():
    assert format_value(3.9) == "3.90"
    assert format_value(-0.001) == "0.00"          # no "-0.00"
    assert format_value(1e-7, None) == "0.0000001"  # exact, positional, no exponent
    assert format_value(61617.0875, None) == "61617.0875"
    assert format_value(2.675, 4) == "2.6750"


@pytest.mark.parametrize("lines, match", [
    ([], "at least one line"),
    ([("pH", 8.8, "", "03")], "status"),
    ([("p\tH", 8.8, "", "00")], "TAB"),
    ([(" pH", 8.8, "", "00")], "surrounding spaces"),
    ([("", 8.8, "", "00")], "empty parameter"),
    ([("pH", float("nan"), "", "00")], "not finite"),
    ([("pH", None, "", "00")], "no value"),
    ([("pH", 8.8, "", "00"), ("pH", 8.9, "", "00")], "twice"),
    ([VnLine(1, "pH", 8.8, "", datetime(2026, 2, 3, 12, 50), "00")], "not the file time"),
])
def test_writer_refuses_what_the_parser_would_reject_or_alter(lines, match):
    with pytest.raises(ValueError, match=match):
        write_file(NAME, lines)


def test_writer_refuses_bad_codes():
    with pytest.raises(ValueError, match="facility"):
        write_file(VnFileName("HN", "PH_CH", "NUOPCH", NAME.time), [("pH", 8.8, "", "00")])


_NAME_CHARS = string.ascii_letters + string.digits + " ,.+-()/%" + "ệộảđÁƯơ"


def _random_file(rng: random.Random) -> tuple[VnFileName, list[tuple[str, float, str, str]]]:
    t = datetime(2020, 1, 1) + timedelta(minutes=5 * rng.randrange(0, 600_000))
    name = VnFileName(rng.choice(["HN", "TB", "HCM"]), "F" + str(rng.randrange(100)),
                      rng.choice(["NUOSXL", "KHIOK1"]), t)
    lines, seen = [], set()
    for _ in range(rng.randint(1, 30)):
        param = "".join(rng.choice(_NAME_CHARS) for _ in range(rng.randint(1, 16))).strip()
        if not param or param in seen or param.casefold() in ("parameter", "name", "param"):
            continue
        seen.add(param)
        value = rng.choice([rng.uniform(-50, 50), rng.uniform(0, 1e6), rng.uniform(0, 1e-3), 0.0])
        unit = rng.choice(["", "mg/L", "mg/Nm3", "m3/h", "oC", "%", "ppb", "uS/cm"])
        lines.append((param, value, unit, rng.choice(["00", "01", "02"])))
    if not lines:
        lines.append(("COD", 1.0, "mg/L", "00"))
    return name, lines


@pytest.mark.parametrize("decimals", [2, 4, None])
def test_round_trip_on_random_files(decimals):
    rng = random.Random(20260203 + (decimals or 0))
    for _ in range(300):
        name, lines = _random_file(rng)
        filename, data = write_file(name, lines, decimals=decimals)
        f = parse_file(filename, data)
        assert f.name == name and f.notes == ()
        assert [(ln.parameter, ln.unit, ln.status, ln.time) for ln in f.lines] == [
            (p, u, s, name.time) for p, _, u, s in lines]
        for ln, (_, v, _, _) in zip(f.lines, lines):
            if decimals is None:
                assert ln.value == v                      # exact
            else:
                assert ln.value == float(f"{v:.{decimals}f}")
        # writing what was read gives the same bytes (canonical form is a fixed point)
        assert write_file(f.name, f.lines, decimals=decimals) == (filename, data)
