"""rules.cn.bulk gives exactly the results of the per-period reference functions, on random data."""

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.rules.cn import bulk
from ecosentry.subsystems.monitoring.rules.cn.aggregates import HourValue, daily_from_hours, monthly_from_days
from ecosentry.subsystems.monitoring.rules.cn.exceedance import Limit, judge
from ecosentry.subsystems.monitoring.rules.cn.hourly import MinuteRecord, hourly_from_minutes
from ecosentry.subsystems.monitoring.rules.cn.rates import HourSlot, count_slots, rates_from_counts, sum_counts

RTOL = 1e-12


def _with_exact_valid_counts(rng, valid, targets):
    """Set the first len(targets) rows of ``valid`` (…, n) to exactly ``targets[i]`` True entries."""
    n = valid.shape[-1]
    for i, k in enumerate(targets):
        row = np.zeros(n, dtype=bool)
        row[rng.choice(n, size=k, replace=False)] = True
        valid[i] = row


def _none_if_nan(x):
    return None if x is None or np.isnan(x) else float(x)


def _assert_mean(vector, reference):
    ref = np.array([np.nan if r is None else r for r in reference], dtype=float)
    np.testing.assert_array_equal(np.isnan(vector), np.isnan(ref))
    np.testing.assert_allclose(vector, ref, rtol=RTOL, equal_nan=True)


# --------------------------------------------------------------------------- minutes → hour


@pytest.mark.parametrize("interval", [1, 5])
def test_hours_from_minutes_equals_hourly_from_minutes(interval):
    rng = np.random.default_rng(20251 + interval)
    n_series, per_hour = 300, 60 // interval
    values = rng.lognormal(3.0, 0.6, size=(n_series, per_hour))
    valid = rng.random((n_series, per_hour)) > rng.choice([0.02, 0.2, 0.3, 0.6], size=(n_series, 1))
    # boundary coverages: 44 / 45 valid minutes, plus 0 and 60
    targets = [44, 45, 44, 45, 0, 60] if interval == 1 else [8, 9, 8, 9, 0, 12]  # 5-min: 40/45 min
    _with_exact_valid_counts(rng, valid, targets)
    values[rng.random(values.shape) < 0.03] = np.nan  # flag N but no value → invalid minute
    values[:6] = rng.lognormal(3.0, 0.6, size=(6, per_hour))  # boundary rows: every value present
    flags = rng.choice(list("FMDCTB"), size=values.shape)
    omitted = rng.random(values.shape) < 0.5  # invalid records: half missing, half flagged invalid

    got = bulk.hours_from_minutes(values, valid, interval=interval)

    hour = datetime(2025, 3, 4, 10)
    ref = []
    for s in range(n_series):
        records = []
        for j in range(per_hour):
            if not valid[s, j] and omitted[s, j]:
                continue
            flag = ("N" if j % 7 else "S") if valid[s, j] else str(flags[s, j])
            records.append(MinuteRecord(start=hour + timedelta(minutes=j * interval),
                                        value=_none_if_nan(values[s, j]), flag=flag))
        ref.append(hourly_from_minutes(records, medium="gas", interval_minutes=interval))

    _assert_mean(got.mean, [h.value for h in ref])
    np.testing.assert_array_equal(got.valid, [h.valid for h in ref])
    np.testing.assert_array_equal(got.n_valid, [h.valid_minutes for h in ref])
    assert got.valid[:6].tolist() == [False, True, False, True, False, True]


def test_hours_from_minutes_rejects_bad_shapes():
    with pytest.raises(ValueError):
        bulk.hours_from_minutes(np.zeros((2, 59)), np.ones((2, 59), bool))
    with pytest.raises(ValueError):
        bulk.hours_from_minutes(np.zeros((2, 60)), np.ones((2, 60), bool), interval=7)


# --------------------------------------------------------------------------- hours → day


def test_days_from_hours_equals_daily_from_hours():
    rng = np.random.default_rng(7)
    n_series, n_days = 300, 3
    values = rng.lognormal(3.0, 0.8, size=(n_series, n_days, 24))
    valid = rng.random(values.shape) > rng.choice([0.02, 0.1, 0.2], size=(n_series, 1, 1))
    flat = valid.reshape(-1, 24)
    _with_exact_valid_counts(rng, flat, [19, 20, 19, 20, 0, 24])
    values[rng.random(values.shape) < 0.02] = np.nan
    values.reshape(-1, 24)[:6] = 20.0  # boundary days: every value present
    missing = (rng.random(values.shape) < 0.3) & ~valid

    got = bulk.days_from_hours(values, valid)

    ref = []
    for s in range(n_series):
        for d in range(n_days):
            start = datetime(2025, 1, 1 + d)
            hours = [HourValue(start=start + timedelta(hours=h), value=_none_if_nan(values[s, d, h]),
                               valid=bool(valid[s, d, h]))
                     for h in range(24) if not missing[s, d, h]]
            ref.append(daily_from_hours(hours))
    _assert_mean(got.mean.ravel(), [p.value for p in ref])
    np.testing.assert_array_equal(got.valid.ravel(), [p.valid for p in ref])
    np.testing.assert_array_equal(got.n_valid.ravel(), [p.n_valid for p in ref])
    assert got.valid.ravel()[:6].tolist() == [False, True, False, True, False, True]


# --------------------------------------------------------------------------- days → month


@pytest.mark.parametrize("year", [2024, 2025])
def test_months_from_days_equals_monthly_from_days(year):
    rng = np.random.default_rng(year)
    n_series = 200
    dates = np.arange(np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"))
    values = rng.lognormal(3.0, 0.5, size=(n_series, dates.size))
    valid = rng.random(values.shape) > rng.choice([0.02, 0.15, 0.25], size=(n_series, 1))
    values[rng.random(values.shape) < 0.02] = np.nan
    month_of = dates.astype("datetime64[M]")
    # boundary counts: February 22/23, other months 24/25 valid days
    feb = np.flatnonzero(month_of == np.datetime64(f"{year}-02"))
    mar = np.flatnonzero(month_of == np.datetime64(f"{year}-03"))
    for row, (cols, k) in enumerate([(feb, 22), (feb, 23), (mar, 24), (mar, 25)]):
        sub = np.zeros(cols.size, dtype=bool)
        sub[rng.choice(cols.size, size=k, replace=False)] = True
        valid[row, cols] = sub
        values[row, cols] = rng.lognormal(3.0, 0.5, size=cols.size)

    got = bulk.months_from_days(values, valid, dates)
    assert got.months.tolist() == np.arange(np.datetime64(f"{year}-01"), np.datetime64(f"{year + 1}-01")).tolist()

    ref_mean, ref_valid, ref_n = [], [], []
    py_dates = dates.astype(object)
    for s in range(n_series):
        for m in range(1, 13):
            days = [HourValue(start=datetime(d.year, d.month, d.day), value=_none_if_nan(values[s, j]),
                              valid=bool(valid[s, j]))
                    for j, d in enumerate(py_dates) if d.month == m]
            p = monthly_from_days(days, year=year, month=m)
            ref_mean.append(p.value)
            ref_valid.append(p.valid)
            ref_n.append(p.n_valid)
    _assert_mean(got.mean.ravel(), ref_mean)
    np.testing.assert_array_equal(got.valid.ravel(), ref_valid)
    np.testing.assert_array_equal(got.n_valid.ravel(), ref_n)
    assert [bool(got.valid[0, 1]), bool(got.valid[1, 1]), bool(got.valid[2, 2]), bool(got.valid[3, 2])] == [
        False, True, False, True]


def test_months_from_days_unsorted_dates_and_duplicates():
    rng = np.random.default_rng(3)
    dates = np.arange(np.datetime64("2025-01-20"), np.datetime64("2025-03-05"))
    values = rng.random((4, dates.size))
    valid = rng.random((4, dates.size)) > 0.1
    order = rng.permutation(dates.size)
    a = bulk.months_from_days(values, valid, dates)
    b = bulk.months_from_days(values[:, order], valid[:, order], dates[order])
    np.testing.assert_allclose(a.mean, b.mean, rtol=RTOL)
    np.testing.assert_array_equal(a.n_valid, b.n_valid)
    with pytest.raises(ValueError):
        bulk.months_from_days(values[:, :3], valid[:, :3], [date(2025, 1, 1)] * 3)


# --------------------------------------------------------------------------- rates


def test_rate_counts_equal_count_slots_and_summed_rates():
    rng = np.random.default_rng(11)
    n_series, n_hours = 300, 200
    received = rng.random((n_series, n_hours)) > rng.choice([0.0, 0.02, 0.3], size=(n_series, 1))
    valid = received & (rng.random((n_series, n_hours)) > 0.05)
    stopped = rng.random((n_series, n_hours)) < rng.choice([0.0, 0.1, 1.0], size=(n_series, 1), p=[.6, .3, .1])

    got = bulk.rate_counts(received, valid, stopped)
    start = datetime(2025, 1, 1)
    ref = []
    for s in range(n_series):
        slots = [HourSlot(start=start + timedelta(hours=h), received=bool(received[s, h]),
                          valid=bool(valid[s, h]), stopped=bool(stopped[s, h])) for h in range(n_hours)]
        ref.append(count_slots(slots)[0])
    np.testing.assert_array_equal(got.expected, [c.expected for c in ref])
    np.testing.assert_array_equal(got.received, [c.received for c in ref])
    np.testing.assert_array_equal(got.valid_groups, [c.valid_groups for c in ref])

    per_series = bulk.rates(got)
    ref_rates = [rates_from_counts(c) for c in ref]
    for name in ("trans_rate", "effe_rate", "effe_trans_rate"):
        _assert_mean(getattr(per_series, name), [getattr(r, name) for r in ref_rates])

    # aggregate by summing counts: groups of 10 series ("outlets") and the whole set ("city")
    by_outlet = bulk.RateCountBlock(*(a.reshape(30, 10) for a in got)).sum(axis=1)
    assert by_outlet.expected.shape == (30,)
    outlets = bulk.rates(by_outlet)
    for o in range(30):
        r = rates_from_counts(sum_counts(ref[o * 10:(o + 1) * 10]))
        _assert_mean(np.array([outlets.trans_rate[o], outlets.effe_rate[o], outlets.effe_trans_rate[o]]),
                     [r.trans_rate, r.effe_rate, r.effe_trans_rate])
    city = bulk.rates(got.sum())
    r = rates_from_counts(sum_counts(ref))
    _assert_mean(np.array([city.trans_rate, city.effe_rate, city.effe_trans_rate]),
                 [r.trans_rate, r.effe_rate, r.effe_trans_rate])
    assert np.isnan(per_series.trans_rate[stopped.all(axis=1)]).all()


def test_rate_counts_rejects_valid_not_received():
    with pytest.raises(ValueError):
        bulk.rate_counts(np.array([[False]]), np.array([[True]]))


# --------------------------------------------------------------------------- exceedance


def test_exceed_equals_judge():
    rng = np.random.default_rng(5)
    n = 3000
    upper = rng.choice([35.0, 50.0, 100.0, 0.0, np.nan], size=n, p=[.3, .3, .3, .05, .05])
    values = upper * rng.lognormal(-0.1, 0.3, size=n)
    values[rng.random(n) < 0.1] = 50.0  # exactly at the 50 limit: complies
    values[rng.random(n) < 0.03] = np.nan
    values[upper == 0.0] = rng.choice([0.0, 1.0], size=int((upper == 0.0).sum()))
    valid = rng.random(n) > 0.1

    got = bulk.exceed(values, valid, upper)
    for i in range(n):
        limit = None if np.isnan(upper[i]) else Limit(kind="hour", upper=float(upper[i]))
        r = judge(_none_if_nan(values[i]), bool(valid[i]), limit)
        assert got.judged[i] == (r.exceeded is not None), i
        assert got.exceeded[i] == bool(r.exceeded), i
        if r.multiple is None:
            assert np.isnan(got.multiple[i]), i
        else:
            np.testing.assert_allclose(got.multiple[i], r.multiple, rtol=RTOL)
    assert got.exceeded.any() and (got.judged & ~got.exceeded).any() and (~got.judged).any()


def test_exceed_lower_bound_like_ph():
    values = np.array([5.9, 6.0, 9.0, 9.1, np.nan])
    got = bulk.exceed(values, np.ones(5, bool), upper=9.0, lower=6.0)
    for i, v in enumerate(values):
        r = judge(_none_if_nan(v), True, Limit(kind="day", upper=9.0, lower=6.0))
        assert (bool(got.judged[i]), bool(got.exceeded[i])) == (r.exceeded is not None, bool(r.exceeded))
        assert np.isnan(got.multiple[i]) == (r.multiple is None)
