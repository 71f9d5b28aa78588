"""The control page's rules on worked numbers: a registered limit read back and its arithmetic checked
(Cmax = C × Kq × Kf, QCVN 40:2011; Cmax = C × Kp × Kv, QCVN 19:2009; china-vietnam-rules.md §7.3 [R]), the K-table
row a coefficient stands for, the daily mean from hourly parts equal to the mean of the values, and the status
01/02 periods with the calibrating-too-long rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from ecosentry.contracts.catalogue import get
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (HourPart, Measurement, daily_exceedance, daily_from_hours,
                                                           k_rows, limit_arithmetic, parse_limit_basis)
from ecosentry.subsystems.monitoring.rules.vn.status import (RULE_CALIBRATING_LONG, calibrating_too_long,
                                                             status_periods)


def test_registered_text_read_back():
    b = parse_limit_basis("QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1")
    assert (b.standard, b.column, b.k) == ("QCVN 40:2011/BTNMT", "B", {"kq": 0.9, "kf": 1.1})
    # other spellings: English column, "=", decimal comma, lower case
    b = parse_limit_basis("qcvn 19:2009/btnmt column B; Kp=0,8 Kv: 1.2")
    assert (b.standard, b.column, b.k) == ("QCVN 19:2009/BTNMT", "B", {"kp": 0.8, "kv": 1.2})
    assert parse_limit_basis("GB 13223-2011 表1").standard is None
    assert parse_limit_basis(None).k == {}


def test_cod_arithmetic_worked_example():
    # C = 150 mg/L (column B) × Kq 0.9 (river Q ≤ 50 m³/s) × Kf 1.1 (50 < F ≤ 500 m³/day) = 148.5 mg/L
    a = limit_arithmetic("w01018", "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1", 148.5)
    assert a.limit.upper == 150 and a.k == (("kq", 0.9), ("kf", 1.1))
    assert a.computed == pytest.approx(150 * 0.9 * 1.1) == pytest.approx(148.5)
    assert a.consistent is True and a.problem == ""
    assert a.text == "150 × Kq 0.9 × Kf 1.1 = 148.5 mg/L (QCVN 40:2011/BTNMT column B)"
    assert a.bounds.upper == 148.5


def test_registered_value_that_the_arithmetic_does_not_give_is_shown():
    # dust C = 200 mg/Nm³ × Kp 0.9 × Kv 1.0 = 180, but 200 was registered: judged against 200, flagged
    a = limit_arithmetic("a34013", "QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1.0", 200.0)
    assert a.computed == pytest.approx(180.0) and a.upper == 200.0
    assert a.consistent is False and a.problem == "mismatch"
    assert a.bounds.upper == 200.0


def test_registry_rounding_is_not_a_mismatch():
    # 1000 × 0.8 × 1.4 = 1120; SO2 500 × 0.9 × 0.8 = 360 registered with 4 decimals as 360.0
    assert limit_arithmetic("a21005", "QCVN 19:2009/BTNMT cột B, Kp 0.8, Kv 1.4", 1120.0).consistent
    assert limit_arithmetic("w21003", "QCVN 40:2011/BTNMT cột B, Kq 1.1, Kf 0.9", 9.9).consistent  # 10 × 1.1 × 0.9


@pytest.mark.parametrize("text, problem", [
    ("GB 18918-2002", "no_standard"),
    ("QCVN 40:2011/BTNMT cột B", "missing_k"),          # COD needs Kq and Kf
    ("QCVN 40:2025/BTNMT cột B", "not_seeded"),         # successor: no values in the seed
])
def test_what_cannot_be_explained_says_why(text, problem):
    a = limit_arithmetic("w01018", text, 150.0)
    assert a.problem == problem and a.bounds.upper == 150.0   # the registered value is still judged


def test_no_coefficients_for_ph_and_temperature():
    a = limit_arithmetic("w01001", "QCVN 40:2011/BTNMT cột B", 9.0, 5.5)
    assert a.k == () and a.computed == 9 and a.consistent and (a.bounds.lower, a.bounds.upper) == (5.5, 9.0)


def test_k_rows_name_the_table_row_of_the_coefficient():
    assert [(r.symbol, r.lo, r.hi) for r in k_rows("kf", 1.1)] == [("F", 50.0, 500.0)]
    assert [(r.symbol, r.lo, r.hi) for r in k_rows("kf", 0.9)] == [("F", 5000.0, None)]
    assert [(r.symbol, r.lo, r.hi) for r in k_rows("kp", 0.9)] == [("P", 20000.0, 100000.0)]
    assert [r.zone for r in k_rows("kv", 1.0)] == [3]
    # Kq 1.0: a river with 50 < Q ≤ 200 m³/s, a lake above 100·10⁶ m³, or protected coastal water
    kinds = {(r.kind, r.lo, r.hi) for r in k_rows("kq", 1.0)}
    assert kinds == {("river", 50.0, 200.0), ("lake", 1e8, None), ("coastal_protected", None, None)}


def _day_values():
    """One parameter on 2026-03-02: 144 values 140 (00), 36 values 999 (01), 12 values 5 (02), 96 values 170 (00)."""
    t0 = datetime(2026, 3, 2)
    out = []
    for i in range(288):
        h = i // 12
        v, st = (140.0, "00") if h < 12 else (999.0, "01") if h < 15 else (5.0, "02") if h < 16 else (170.0, "00")
        out.append(Measurement("w01018", t0 + timedelta(minutes=5 * i), v, st))
    return out


def test_daily_mean_excludes_status_01_02_worked_example():
    a = limit_arithmetic("w01018", "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1", 148.5)
    [d] = daily_exceedance(_day_values(), {"w01018": a.bounds})
    # (144 × 140 + 96 × 170) / 240 = 36 480 / 240 = 152.0 > 148.5; with 01/02: (36 480 + 35 964 + 60) / 288 = 251.7
    assert d.mean == pytest.approx(36480 / 240) == pytest.approx(152.0)
    assert (d.n_valid, d.n_calibrating, d.n_error, d.n_values_exceeding) == (240, 36, 12, 96)
    assert d.exceeded is True and d.multiple == pytest.approx((152.0 - 148.5) / 148.5)


def test_daily_mean_from_hours_equals_mean_of_values():
    a = limit_arithmetic("w01018", "QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1", 148.5)
    values = _day_values()
    parts = []
    for h in range(24):
        mine = [m for m in values if m.time.hour == h]
        ok = [m.value for m in mine if m.status == "00"]
        parts.append(HourPart("w01018", date(2026, 3, 2), sum(ok) / len(ok) if ok else None, len(ok), len(mine)))
    [d] = daily_from_hours(parts, {"w01018": a.bounds})
    [e] = daily_exceedance(values, {"w01018": a.bounds})
    assert d.mean == pytest.approx(e.mean) == pytest.approx(152.0)
    assert (d.n_valid, d.n_not_judged, d.exceeded) == (240, 48, True)
    # no valid value at all: not judged, never "compliant"
    [n] = daily_from_hours([HourPart("w01018", date(2026, 3, 3), None, 0, 12)], {"w01018": a.bounds})
    assert n.exceeded is None and n.mean is None


def test_status_periods_and_calibrating_too_long():
    periods = status_periods(_day_values(), 5)
    assert [(p.status, p.start.hour, p.end.hour, p.n, p.minutes) for p in periods] == [
        ("01", 12, 15, 36, 180.0), ("02", 15, 16, 12, 60.0)]
    [long] = calibrating_too_long(periods, 120)
    assert long.status == "01" and long.minutes == 180.0
    assert calibrating_too_long(periods, 180) == []        # exactly the limit is not "longer"
    assert get(RULE_CALIBRATING_LONG).kind == "data_quality"


def test_a_missing_file_ends_a_status_period():
    t0 = datetime(2026, 3, 2, 8)
    ms = [Measurement("a21026", t0 + timedelta(minutes=5 * i), 1.0, "01") for i in (0, 1, 2, 4, 5)]
    assert [(p.n, p.minutes) for p in status_periods(ms, 5)] == [(3, 15.0), (2, 10.0)]
