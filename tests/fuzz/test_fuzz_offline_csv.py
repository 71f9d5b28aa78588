"""Properties of the CSV readers of the offline commands (``ecosentry gates check``, ``om check``, ``park
traceback``) under hostile files (issue 19 item 6): any bytes give rows or an :class:`InputError` naming the
file (never another exception: the command would end in a traceback instead of exit code 2 and a sentence),
what is accepted is usable as it is, and a file written by ``csv`` reads back as written.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, strategies as st

from ecosentry.offline_csv import InputError, instant, number, required, rows
from ecosentry.subsystems.gates import offline as gates_offline
from ecosentry.subsystems.om import offline as om_offline
from ecosentry.subsystems.park import offline as park_offline
from fuzzkit import fuzz

COLUMNS = ("name", "time", "value")
_DIR = Path(tempfile.mkdtemp(prefix="fuzz-offline-csv-"))


def a_file(data: bytes) -> Path:
    path = _DIR / "input.csv"
    path.write_bytes(data)
    return path


def read_all(path: Path, columns=COLUMNS, max_len=None) -> list | InputError:
    try:
        return list(rows(path, columns, max_len))
    except InputError as exc:
        assert exc.source == str(path) and str(exc).startswith(str(path)) and exc.say(lambda m: m)
        return exc


def refused_or(fn, *args):
    try:
        return fn(*args)
    except InputError as exc:
        assert str(exc)
        return exc


CELLS = ["", " ", "a", "中文", "x" * 70, "1", "-1", "1e308", "1e309", "nan", "inf", "-inf", "١٢", "１２", "1_000",
         "0x10", "2026-12-06T08:00:00+08:00", "2026-12-06T08:00:00Z", "2026-12-06T08:00:00", "0001-01-01T00:00:00+08:00",
         "9999-12-31T23:59:59-05:00", "2026-02-30T00:00:00+08:00", "in", "out", "red", "A", "F", "calibration",
         "open", "zero", "pass", "3.5%", "\x00", "\r", "\n", '"', '""', ",", "\ufeff"]
cells = st.sampled_from(CELLS) | st.text(max_size=12)


def csv_text(header: list[str], body: list[list[str]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(body)
    return out.getvalue().encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------------------- shared readers


@fuzz(300)
@given(st.binary(max_size=400))
def test_random_bytes(data):
    read_all(a_file(data))
    read_all(a_file(b"name,time,value\n" + data), max_len={"name": 8})


@fuzz(300)
@given(st.lists(st.sampled_from(list(COLUMNS) + ["x", " name ", ""]) | cells, min_size=1, max_size=5),
       st.lists(st.lists(cells, max_size=6), max_size=6))
def test_csv_like_files(header, body):
    read_all(a_file(csv_text(header, body)), max_len={"name": 20})


@fuzz(200)
@given(st.lists(st.tuples(*[st.text(st.characters(exclude_categories=("Cs",)), max_size=10)
                            .map(lambda s: s.strip()) for _ in COLUMNS]), max_size=8))
def test_written_rows_read_back(body):
    path = a_file(csv_text(list(COLUMNS), [list(r) for r in body]))
    got = read_all(path)
    if isinstance(got, InputError):  # only a NUL, which the csv module refuses, is no CSV
        assert any("\x00" in c for r in body for c in r), got
        return
    assert [tuple(row[c] for c in COLUMNS) for _, row in got] == [r for r in body if any(r)]


@fuzz(300)
@given(cells | st.datetimes(timezones=st.timezones() | st.none()).map(lambda t: t.isoformat()))
def test_instant(text):
    t = refused_or(instant, Path("t.csv"), 2, "time", text)
    if isinstance(t, datetime):
        assert t.tzinfo is not None
        t.astimezone(timezone.utc)  # a time the checks can put on the UTC line (0001-01-01T00:00+08:00 has none)


@fuzz(300)
@given(cells | st.floats().map(repr) | st.text("0123456789.eE+-_ ", max_size=8), st.none() | st.floats(-10, 10))
def test_number(text, minimum):
    v = refused_or(number, Path("n.csv"), 2, "value", text, minimum)
    if isinstance(v, float):
        assert math.isfinite(v) and (minimum is None or v >= minimum)
        assert text.strip().isascii() and "_" not in text  # ١٢, １２ and 1_000 are not numbers in a data file


@fuzz(100)
@given(cells)
def test_required(text):
    v = refused_or(required, Path("r.csv"), 2, {"f": text}, "f")
    assert isinstance(v, InputError) or v == text


# ----------------------------------------------------------------------------- the subsystems' readers

LOADERS = {
    "gates enterprises": (gates_offline.load_enterprises, ("enterprise", "grade", "small_volume_exempt")),
    "gates alerts": (lambda p: gates_offline.load_alerts(p, {"E1": None, "a": None}),
                     ("enterprise", "level", "start", "end")),
    "gates register": (gates_offline.load_register,
                       ("plate", "plate_colour", "vin", "emission_stage", "fuel", "registration_date")),
    "om marks": (om_offline.load_marks, ("mark_id", "point", "factor", "kind", "start", "end")),
    "om orders": (om_offline.load_orders, ("order_id", "point", "kind", "created", "on_site", "done", "deadline")),
    "om checks": (om_offline.load_checks, ("point", "factor", "time", "kind", "result", "drift_pct")),
    "park met": (park_offline.load_met, ("time", "wind_speed", "wind_dir_deg", "stability")),
    "park stations": (park_offline.load_stations, ("station", "x", "y")),
}


@fuzz(400)
@given(st.sampled_from(sorted(LOADERS)), st.lists(st.lists(cells, min_size=3, max_size=8), max_size=4))
def test_each_loader_refuses_with_an_input_error(which, body):
    load, columns = LOADERS[which]
    path = a_file(csv_text(list(columns), body))
    result = refused_or(load, path)
    if which.startswith("om") and isinstance(result, list):
        for item in result:  # the O&M checks put every time on the local (UTC+8) day
            for t in vars(item).values() if hasattr(item, "__dict__") else ():
                if isinstance(t, datetime):
                    t.astimezone(timezone(timedelta(hours=8)))
