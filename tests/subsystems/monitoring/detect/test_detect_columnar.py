"""The array paths of ``ecosentry detect`` give what the row-by-row paths give (issue 13 item 3).

* the columnar CSV reader = :func:`iter_data_rows` row for row, or declines the file;
* :func:`hourly_columns` = :func:`hourly_series` (the per-hour rule of ``rules/cn/hourly.py``) on random data;
* :func:`robust_baseline` = the per-window loop it replaced: medians and counts bit for bit, σ to a relative 1e-12
  (its MAD is numpy's bit for bit, its mean absolute deviation a sum of prefix sums);
* the naive pandas script of the benchmark counts the simple rules on a worked example.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import csvinput, statistical
from ecosentry.subsystems.monitoring.offline.csvio import AuditInputError, iter_data_rows, read_data_columns

FLAGS = ["N", "N", "N", "N", "N", "N", "S", "F", "M", "D", "C", "T", "B", "X", ""]


def _write_random_csv(path: Path, rng: np.random.Generator, *, layout: str, zone: ZoneInfo, start: datetime,
                      rows: int, steps: tuple[int, ...] = (0, 20, 60, 60, 60, 120, 3600)) -> None:
    lines = ["point,factor,time,value,flag,zs_value"]
    t = start
    for _ in range(rows):
        t = t + timedelta(seconds=int(rng.choice(steps)))
        point = f"P{int(rng.integers(0, 3))}"
        factor = ["a01", "w01018", "a34013"][int(rng.integers(0, 3))]
        value = "" if rng.random() < 0.05 else repr(round(float(rng.normal(5, 10)), int(rng.integers(0, 4))))
        zs = "" if rng.random() < 0.5 else f"{rng.uniform(0, 100):.3f}"
        flag = FLAGS[int(rng.integers(0, len(FLAGS)))]
        if layout == "naive":
            text = t.astimezone(zone).replace(tzinfo=None).isoformat(sep=" ")
        elif layout == "naive-min":
            text = t.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        elif layout == "z":
            text = t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            text = t.astimezone(timezone(timedelta(hours=-3, minutes=-30))).isoformat()
        lines.append(f"{point},{factor},{text},{value},{flag},{zs}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "Asia/Kathmandu"])
@pytest.mark.parametrize("layout", ["naive", "naive-min", "z", "offset"])
@pytest.mark.parametrize("repeats", ["few", "many"])
def test_columnar_reader_gives_the_rows_of_the_row_reader(tmp_path, tz, layout, repeats):
    zone = ZoneInfo(tz)
    rng = np.random.default_rng(abs(hash((tz, layout))) % 2**32)
    path = tmp_path / "data.csv"
    # across the European change of clocks of October 2026 (a repeated hour); "many": most rows repeat the
    # time of the row before (a logger's file: one time per point and factor), so that the distinct times
    # are parsed once each
    steps = (0, 20, 60, 60, 60, 120, 3600) if repeats == "few" else (0, 0, 0, 0, 0, 0, 60, 1800)
    _write_random_csv(path, rng, layout=layout, zone=zone, start=datetime(2026, 10, 24, 20, tzinfo=timezone.utc),
                      rows=3000, steps=steps)
    cols = read_data_columns(path, zone)
    assert cols is not None
    _assert_same_rows(cols, list(iter_data_rows(path, zone)))


def _assert_same_rows(cols, rows) -> None:
    """The columns hold the rows of the row reader, in its order, bit for bit (the sign of a zero too)."""
    assert len(cols) == len(rows)
    epoch = datetime(1970, 1, 1)
    for i, r in enumerate(rows):
        assert cols.points[cols.point_code[i]] == r.point and cols.factors[cols.factor_code[i]] == r.factor
        assert int(cols.utc_us[i]) == (r.time - epoch.replace(tzinfo=timezone.utc)) // timedelta(microseconds=1)
        assert int(cols.local_us[i]) == (r.time.replace(tzinfo=None) - epoch) // timedelta(microseconds=1)
        for got, want in ((cols.values[i], r.value), (cols.zs[i], r.zs_value)):
            assert (math.isnan(got) and want is None) or (got == want and math.copysign(1, got) == math.copysign(1, want))
        assert cols.flag_names[cols.flag_code[i]] == r.flag


@pytest.mark.parametrize("body", [
    'P1,a01,"2026-01-01T00:00:00Z",1,N,\n',          # quotes
    "P1,a01,2026-01-01T00:00:00Z,1,N,\nP1,a01,2026-01-01T00:01Z,1,N,\n",  # two time layouts
    "P1,a01,2026-02-30T00:00:00Z,1,N,\n",            # no such day
    "P1,a01,2026-01-01T00:00:00Z,1e999,N,\n",        # not finite
    "P1,a01,2026-01-01T00:00:00Z,1_0,N,\n",          # a number Python reads (the row reader decides)
    "P1,a01,2026-01-01T00:00:00Z,1 ,N,\n",           # blank after a number
    " P1,a01,2026-01-01T00:00:00Z,1,N,\n",           # blank around a name
    ",a01,2026-01-01T00:00:00Z,1,N,\n",              # empty point
    "P1,a01,2026-01-01T00:00:00Z,1,N\n",             # too few fields
    "P1,a01,2026-01-01T00:00:00+0800,1,N,\n",        # offset without colon
    "P1,a01,2026-02-28T00:00:00Z,1,N,\nP1,a02,2026-02-28T00:00:00Z,1,N,\nP1,a03,2026-02-28T00:00:00Z,1,N,\n"
    "P1,a01,2026-02-29T00:00:00Z,1,N,\nP1,a02,2026-02-29T00:00:00Z,1,N,\n",  # no such day, times repeated
])
def test_columnar_reader_declines_what_only_the_row_reader_should_judge(tmp_path, body):
    path = tmp_path / "d.csv"
    path.write_text("point,factor,time,value,flag,zs_value\n" + body, encoding="utf-8")
    zone = ZoneInfo("Asia/Shanghai")
    assert read_data_columns(path, zone) is None
    try:  # read_long then gives exactly what the row reader gives
        expected = csvinput.group_rows(iter_data_rows(path, zone))
    except AuditInputError as exc:
        with pytest.raises(AuditInputError) as got:
            csvinput.read_long(path, zone)
        assert str(got.value) == str(exc)
    else:
        got = csvinput.read_long(path, zone)
        assert {p: sorted(d) for p, d in got.items()} == {p: sorted(d) for p, d in expected.items()}


_TIME = "2026-01-01T00:00:00Z"
_HEAD = b"point,factor,time,value,flag,zs_value\n"


def _one_value(text: str) -> bytes:
    return _HEAD + f"P1,a01,{_TIME},{text},N,\nP1,a01,2026-01-01T00:01:00Z,2,N,\n".encode()


@pytest.mark.parametrize("data, columnar", [
    # numbers: polars' CSV parser reads the double of Python's float(text.strip()), or the file is declined
    (_one_value(" 1"), True), (_one_value("  "), True), (_one_value("+.5"), True), (_one_value("5."), True),
    (_one_value("1.e5"), True), (_one_value("1E+05"), True), (_one_value("-0"), True), (_one_value("-0.0e3"), True),
    (_one_value("1e-400"), True), (_one_value("0.1000000000000000055511151231257827"), True),
    (_one_value("9007199254740993"), True), (_one_value("123456789012345678901234567890"), True),
    (_one_value("inf"), False), (_one_value("-Infinity"), False), (_one_value("nan"), False),
    (_one_value("1e400"), False), (_one_value("1_0"), False), (_one_value("0x10"), False), (_one_value("1e"), False),
    (_one_value("."), False), (_one_value("\uff11"), False), (_one_value("1\t"), False), (_one_value("\x0b1"), False),
    # line ends, byte order mark, header
    (_one_value("1").replace(b"\n", b"\r\n"), True),
    (_one_value("1").replace(b"\n", b"\r\n") + b"\r\n\r\n", True),
    (_one_value("1").replace(b"N,\nP1", b"N,\rP1"), False),                      # a lone carriage return
    (_one_value("1").replace(b"\nP1,", b'\n"P1,', 1).replace(b"\n", b"\r\n"), False),  # CRLF, one quote first
    (b"\xef\xbb\xbf" + _one_value("1"), True),
    (b" Point , FACTOR,Time,VALUE,flag,zs_value\n" + _one_value("1")[len(_HEAD):], True),
    (f"value,time,factor,point\n1.5,{_TIME},a01,P1\n,{_TIME},a02,P1\n".encode(), True),  # no flag, no zs_value
    (_HEAD, False),                                                                   # a header only
    (_HEAD + b"P1,a01," + _TIME.encode() + b",1,N,\n\nP1,a02," + _TIME.encode() + b",1,N,\n", False),  # blank line
    (_HEAD + b"P1,a01," + _TIME.encode() + b",1,N,,x\n", False),                    # a field too many
    (_HEAD + b"P1,a01," + _TIME.encode() + b",1,N,,x\nP1,a01," + _TIME.encode() + b",1,N\n", False),  # and one few
    # names, flags and columns the row reader ignores
    (_one_value("1").replace(b"P1", b"P 1"), True), (_one_value("1").replace(b"P1", b"P\t1"), False),
    (_one_value("1").replace(b"P1", "\u70b91".encode()), False),
    (_one_value("1").replace(b",N,", b", N,", 1), False), (_one_value("1").replace(b",N,", b",,", 1), True),
    (b"point,factor,time,value,note\nP1,a01," + _TIME.encode() + b",1,a b\n", True),
    (b"point,factor,time,value,note\nP1,a01," + _TIME.encode() + b',1,a"b\n', False),
    (b"point,factor,time,value,note\nP1,a01," + _TIME.encode() + b",1,a\x00b\n", False),
    (b"point,factor,time,value,note\nP1,a01," + _TIME.encode() + b",1,a\x01b\n", False),
    (b"point,factor,time,value,note\nP1,a01," + _TIME.encode() + b",1,\xe7\x82\xb9\n", False),
    (_one_value('"1"'), False), (_one_value("1").replace(b",N,", b',"N",', 1), False),
    (_one_value("1").replace(b",N,", b",N\x7f,", 1), False),
], ids=lambda v: v if isinstance(v, bool) else repr(v[-60:]))
def test_columnar_reader_equals_the_row_reader_on_edge_cases(tmp_path, data, columnar):
    """Files at the edge of what the columnar reader takes: when it takes one, its columns are the row
    reader's rows bit for bit; when it declines one, read_long gives the row reader's result or its exact
    error. ``columnar`` says which path the file takes (a number polars reads with Python's value, a blank
    line or a quote the row reader judges)."""
    path = tmp_path / "d.csv"
    path.write_bytes(data)
    zone = ZoneInfo("Asia/Shanghai")
    cols = read_data_columns(path, zone)
    assert (cols is not None) == columnar
    try:
        rows = list(iter_data_rows(path, zone))
    except AuditInputError as exc:
        with pytest.raises(AuditInputError) as got:
            csvinput.read_long(path, zone)
        assert str(got.value) == str(exc)
        return
    if cols is not None:
        _assert_same_rows(cols, rows)
    got = csvinput.read_long(path, zone)
    assert {p: sorted(d) for p, d in got.items()} == {p: sorted(d) for p, d in csvinput.group_rows(rows).items()}


def _number_text(rng: np.random.Generator) -> str:
    """A number as loggers and people write it: blanks before, a sign, digits around a point (either side may
    be empty), an exponent; long mantissas and exponents at the ends of the double range included."""
    digits = lambda k: "".join(rng.choice(list("0123456789"), size=k))  # noqa: E731
    whole, frac = digits(int(rng.integers(0, 25))), digits(int(rng.integers(0, 25)))
    if not whole and not frac:
        whole = "0"
    body = whole + ("." + frac if frac or rng.random() < 0.3 else "")
    if rng.random() < 0.4:
        body += str(rng.choice(["e", "E"])) + str(rng.choice(["", "+", "-"])) + str(int(rng.integers(0, 330)))
    return " " * int(rng.integers(0, 3) if rng.random() < 0.1 else 0) + str(rng.choice(["", "", "+", "-"])) + body


def test_columnar_numbers_are_the_row_readers_doubles(tmp_path):
    """Polars' CSV parser reads every number of the row reader's grammar to Python's double (correct rounding
    of long mantissas, subnormals, the sign of zero): 20,000 random texts, all taken by the columnar path."""
    rng = np.random.default_rng(13)
    texts = [t for t in (_number_text(rng) for _ in range(20_000)) if math.isfinite(float(t))]
    lines = [f"P1,a01,{_TIME},{t},N,{texts[-1 - i]}" for i, t in enumerate(texts)]
    path = tmp_path / "d.csv"
    path.write_bytes(_HEAD + "\n".join(lines).encode())
    zone = ZoneInfo("Asia/Shanghai")
    cols = read_data_columns(path, zone)
    assert cols is not None
    _assert_same_rows(cols, list(iter_data_rows(path, zone)))

def _same_series(a, b):
    assert a.factor == b.factor
    assert np.array_equal(a.times, b.times)
    assert np.array_equal(a.values, b.values, equal_nan=True)
    assert a.flags == b.flags
    assert (a.zs is None) == (b.zs is None)
    if a.zs is not None:
        assert np.array_equal(a.zs, b.zs, equal_nan=True)
    assert (a.valid is None) == (b.valid is None)
    if a.valid is not None:
        assert np.array_equal(a.valid, b.valid)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin", "Asia/Kathmandu"])
@pytest.mark.parametrize("medium", ["gas", "water"])
def test_hourly_columns_equal_the_per_hour_rule(tz, medium):
    zone = ZoneInfo(tz)
    rng = np.random.default_rng(7 + len(tz) + len(medium))
    for trial in range(30):
        interval = [1, 2, 5, 10][trial % 4]
        raw = csvinput.RawSeries("P", "a01")
        t0 = datetime(2026, 10, 25, 0, tzinfo=timezone.utc) + timedelta(minutes=int(rng.integers(0, 600)))
        n = int(rng.integers(1, 400))
        keep_p = rng.uniform(0.5, 1.0)
        flag_mode = trial % 3  # mostly N, mixed, mostly F/S
        for k in range(n):
            if rng.random() > keep_p:
                continue
            t = t0 + timedelta(minutes=interval * k)
            if rng.random() < 0.05:  # duplicate start, later in the file
                t = t - timedelta(minutes=interval)
            if flag_mode == 0:
                flag = "N" if rng.random() < 0.95 else FLAGS[int(rng.integers(0, len(FLAGS)))]
            elif flag_mode == 1:
                flag = FLAGS[int(rng.integers(0, len(FLAGS)))]
            else:
                flag = ["F", "S", " S ", None, "N"][int(rng.integers(0, 5))]
            value = None if rng.random() < 0.05 else float(np.round(rng.normal(3, 2), int(rng.integers(0, 3))))
            if trial % 5 == 0:
                value = 0.1 if value is not None else None  # a constant: the mean must be exactly the same
            zs = None if rng.random() < 0.3 else float(rng.uniform(0, 9))
            raw.add(t.astimezone(zone), value, flag or None if flag != " S " else flag, zs)
        expected = csvinput.hourly_series(raw, medium=medium, tz=tz, interval_minutes=interval)
        got = csvinput.hourly_columns(csvinput.columns_of(raw, zone), medium=medium, interval_minutes=interval)
        _same_series(got, expected)
        # the clock of another factor written at the same instants (a logger's): taken for this one, the same hours
        cs = csvinput.columns_of(raw, zone)
        twin = csvinput.ColumnSeries("P", "a02", zone, cs.utc_us.copy(), cs.local_us.copy(), rng.normal(size=len(cs)),
                                     cs.flag_names, cs.flag_code, cs.zs)
        theirs = csvinput.hour_clock(twin)
        assert csvinput.hour_clock(cs, like=theirs) is theirs
        shared, twins = csvinput.hourly_columns_of([cs, twin], theirs, medium=medium, interval_minutes=interval)
        _same_series(shared, expected)
        _same_series(twins, csvinput.hourly_columns(twin, medium=medium, interval_minutes=interval))


def _reference_baseline(x, window, min_history, stride=1, chunk=2048):
    """The per-window loop robust_baseline was before it grew the prefixes in arrays."""
    from numpy.lib.stride_tricks import sliding_window_view

    def stats(w):
        med = np.median(w, axis=1)
        dev = np.abs(w - med[:, None])
        return med, np.maximum(statistical._MAD_TO_SIGMA * np.median(dev, axis=1),
                               statistical._MEAN_AD_TO_SIGMA * dev.mean(axis=1))

    n = len(x)
    stride = max(int(stride), 1)
    at = np.arange(0, n, stride)
    med_at, sig_at = np.full(len(at), np.nan), np.full(len(at), np.nan)
    count_at = np.minimum(at, window)
    for k, j in enumerate(at):
        if j >= window:
            break
        if j >= max(min_history, 1):
            m, s = stats(x[None, :j])
            med_at[k], sig_at[k] = m[0], s[0]
    full = np.flatnonzero(at >= window)
    if len(full) and n > window:
        views = sliding_window_view(x[:-1], window)
        starts = at[full] - window
        for a in range(0, len(full), chunk):
            m, s = stats(views[starts[a : a + chunk]])
            med_at[full[a : a + chunk]], sig_at[full[a : a + chunk]] = m, s
    slot = np.arange(n) // stride
    med, sigma, count = med_at[slot], sig_at[slot], count_at[slot]
    sigma[count < min_history] = np.nan
    med[count < min_history] = np.nan
    return med, sigma, count


def test_robust_baseline_equals_the_per_window_loop():
    rng = np.random.default_rng(3)
    for trial in range(120):
        n, window = int(rng.integers(1, 500)), int(rng.integers(1, 300))
        min_history, stride = int(rng.integers(0, 60)), int(rng.integers(1, 8))
        kind = trial % 3
        if kind == 0:
            x = rng.normal(size=n) * 10 ** rng.uniform(-3, 3)
        elif kind == 1:
            x = np.round(rng.normal(size=n), 1)  # ties
        else:
            x = rng.integers(0, 3, n).astype(float)  # many ties, zero MAD
        med, sigma, count = statistical.robust_baseline(x, window, min_history, stride)
        ref_med, ref_sigma, ref_count = _reference_baseline(x, window, min_history, stride)
        where = (trial, n, window, min_history, stride)
        assert np.array_equal(med, ref_med, equal_nan=True), where
        assert np.array_equal(count, ref_count), where
        assert np.array_equal(np.isnan(sigma), np.isnan(ref_sigma)), where
        np.testing.assert_allclose(sigma, ref_sigma, rtol=1e-12, atol=1e-12 * np.nanmax(np.abs(x), initial=0.0),
                                   err_msg=str(where))


def test_naive_pandas_script_counts_the_simple_rules(tmp_path):
    pytest.importorskip("pandas")
    from ecosentry.subsystems.monitoring.bench.naive_rules import run_naive_rules

    lines = ["point,factor,time,value,flag"]
    start = datetime(2026, 3, 1, 0, 0)
    for h in range(8):
        if h == 6:
            continue  # one missing hour
        for m in range(60):
            t = (start + timedelta(hours=h, minutes=m)).isoformat()
            so2 = 5.0 if h < 5 else 6.0 + m  # hours 0-4 constant: one run of 5 hours
            flow = -1.0 if h == 7 else 10.0  # hour 7 negative
            nox = 0.0 if h == 2 else 3.0 + m  # zero while the flow is above zero
            lines += [f"P1,a21026,{t},{so2},N", f"P1,a00000,{t},{flow},N", f"P1,a21002,{t},{nox},N"]
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = run_naive_rules(path, "Asia/Shanghai")
    assert counts["rows"] == 7 * 60 * 3
    assert counts["negative"] == 1
    # SO2 hours 0-4 and the flow hours 0-5 (6 is missing, so 0-5 is one run)
    assert counts["constant_4h"] == 2
    assert counts["zero_running"] == 1
    assert counts["missing_hours"] == 3
    # the bench times it as a command of its own (python naive_rules.py DATA TZ): the same counts, and a time
    from ecosentry.subsystems.monitoring.bench.naive_rules import time_naive_rules

    wall, cpu, as_command = time_naive_rules(path, "Asia/Shanghai")
    assert as_command == counts
    assert wall > 0 and (cpu is None or cpu > 0)


def _blocked_csv(rng: np.random.Generator, *, split_one: bool, ending: str) -> str:
    """A logger's export: each point's factors written series by series (long runs of one point, factor and
    flag); ``split_one`` writes one series in two blocks (the reader must then sort)."""
    t0 = datetime(2026, 10, 24, 20, tzinfo=timezone.utc)
    blocks = []
    for point in ("P2", "P0", "P1"):  # not in sorted order: the order of first appearance is kept
        for factor in ("w01018", "a01", "a34013"):
            rows = []
            for i in range(400):
                flag = "N" if i % 97 else "F"
                value = "" if i % 131 == 0 else f"{rng.normal(5, 3):.2f}"
                rows.append(f"{point},{factor},{(t0 + timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},"
                            f"{value},{flag},")
            blocks.append(rows)
    if split_one:
        blocks.append(blocks[4][200:])
        blocks[4] = blocks[4][:200]
    return "point,factor,time,value,flag,zs_value\n" + "\n".join(r for b in blocks for r in b) + ending


@pytest.mark.parametrize("split_one", [False, True], ids=["series-in-blocks", "one-series-split"])
@pytest.mark.parametrize("ending", ["\n", "", "\n\n\n"], ids=["one-lf", "no-lf", "three-lf"])
def test_columnar_reader_on_a_file_written_series_by_series(tmp_path, split_one, ending):
    """The fast paths of a file written series by series (runs of one point/factor/flag coded once; series as
    slices of the columns, no sort) give what the row reader gives, in the same order; so does a file where
    one series comes in two blocks (the sort), and files ending with no, one or several line feeds."""
    zone = ZoneInfo("Asia/Shanghai")
    path = tmp_path / "d.csv"
    path.write_text(_blocked_csv(np.random.default_rng(5), split_one=split_one, ending=ending), encoding="utf-8")
    assert read_data_columns(path, zone) is not None
    got = csvinput.read_long(path, zone)
    expected = csvinput.group_rows(iter_data_rows(path, zone))
    assert list(got) == list(expected) == ["P2", "P0", "P1"]
    for point, by_factor in expected.items():
        assert list(got[point]) == list(by_factor)
        for factor, raw in by_factor.items():
            cs = got[point][factor]
            ref = csvinput.columns_of(raw, zone)
            np.testing.assert_array_equal(cs.utc_us, ref.utc_us)
            np.testing.assert_array_equal(cs.local_us, ref.local_us)
            np.testing.assert_array_equal(cs.values, ref.values)
            assert [cs.flag_names[c] for c in cs.flag_code] == [ref.flag_names[c] for c in ref.flag_code]


def test_each_read_numbers_its_own_texts(tmp_path):
    """The columnar reader's categories belong to one read: a second file in the same process gets its own
    points, factors, flags and times, numbered from 0, whatever the first held."""
    zone = ZoneInfo("Asia/Shanghai")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_bytes(_HEAD + b"P2,a02,2026-01-01T00:00:00Z,1,N,\nP1,a01,2026-01-01T00:01:00Z,2,S,\n")
    second.write_bytes(_HEAD + b"Q9,w01,2026-02-01T00:00:00Z,3,,\nQ9,w01,2026-02-01T00:00:00Z,4,D,\n")
    a, b = read_data_columns(first, zone), read_data_columns(second, zone)
    assert (a.points, a.point_code.tolist(), a.flag_names, a.flag_code.tolist()) == (["P1", "P2"], [1, 0], ["N", "S"], [0, 1])
    assert (b.points, b.point_code.tolist(), b.factors, b.factor_code.tolist()) == (["Q9"], [0, 0], ["w01"], [0, 0])
    assert (b.flag_names, b.flag_code.tolist()) == ([None, "D"], [0, 1])
    _assert_same_rows(b, list(iter_data_rows(second, zone)))


def test_an_hour_clock_is_shared_only_by_the_same_times_in_the_same_zone():
    zone = ZoneInfo("Asia/Shanghai")
    raw = csvinput.RawSeries("P", "a01")
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    for k in range(150):
        raw.add((t0 + timedelta(minutes=k)).astimezone(zone), float(k), "N", None)
    cs = csvinput.columns_of(raw, zone)
    clock = csvinput.hour_clock(cs)
    assert not clock.stamps.flags.writeable  # the hours' starts of every series of the clock: not to be written
    later = csvinput.ColumnSeries("P", "a02", zone, cs.utc_us + 60_000_000, cs.local_us + 60_000_000, cs.values,
                                  cs.flag_names, cs.flag_code, cs.zs)
    assert csvinput.hour_clock(later, like=clock) is not clock
    berlin = csvinput.columns_of(raw, ZoneInfo("Europe/Berlin"))
    assert csvinput.hour_clock(berlin, like=csvinput.hour_clock(csvinput.columns_of(raw, ZoneInfo("Europe/Paris")))
                               ).zone is berlin.zone
    empty = csvinput.ColumnSeries("P", "a03", zone, cs.utc_us[:0], cs.local_us[:0], cs.values[:0], cs.flag_names,
                                  cs.flag_code[:0], cs.zs[:0])
    [none] = csvinput.hourly_columns_of([empty], csvinput.hour_clock(empty, like=clock), medium="gas", interval_minutes=1)
    assert len(none) == 0
