"""Status validity (Circular 10/2021 Art. 39), exceedance per value and per day, completeness per station
per day, and the 30-day publication view."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from ecosentry.protocols.vn_txt import parse_file, write_file, VnFileName
from ecosentry.contracts.catalogue import RULES
from ecosentry.subsystems.monitoring.rules.vn import (
    Bounds, FileReceipt, Measurement, STATUS_VALIDITY, cmax, daily_completeness, daily_exceedance,
    expected_files, hj212_flag, is_late, is_valid, judge_value, publication_view, qcvn_limit,
    receipts_and_measurements,
)

COD = cmax(qcvn_limit("QCVN 40:2011/BTNMT", "B", "COD"), kq=0.9, kf=1.1)   # 148.5 mg/L
PH = cmax(qcvn_limit("QCVN 40:2011/BTNMT", "B", "pH"))                     # 5.5–9
DAY = date(2026, 3, 25)


def at(h, m=0, d=DAY):
    return datetime(d.year, d.month, d.day, h, m)


def test_status_validity_table():
    assert [is_valid(s) for s in ("00", "01", "02")] == [True, False, False]
    assert [hj212_flag(s) for s in ("00", "01", "02")] == ["N", "C", "D"]
    assert not STATUS_VALIDITY["01"].qcvn_checked and not STATUS_VALIDITY["01"].completeness_valid
    assert STATUS_VALIDITY["02"].label_vi == "báo lỗi thiết bị"
    with pytest.raises(ValueError):
        is_valid("03")
    for code in ("VN-STATUS-VALIDITY", "VN-QCVN-EXC-VALUE", "VN-QCVN-EXC-DAY", "VN-QCVN-NOT-JUDGED",
                 "VN-COMPLETENESS-DAY", "VN-LATE-5MIN"):
        assert code in RULES


def test_value_judgement():
    assert judge_value(150.0, "00", COD).exceeded is True
    assert judge_value(150.0, "00", COD).multiple == pytest.approx((150 - 148.5) / 148.5)
    assert judge_value(148.5, "00", COD).exceeded is False        # equal complies
    assert judge_value(999.0, "01", COD).exceeded is None          # calibrating: not judged
    assert judge_value(999.0, "02", COD).rule == "VN-QCVN-NOT-JUDGED"
    assert judge_value(5.4, "00", PH).exceeded is True and judge_value(5.5, "00", PH).exceeded is False


def test_daily_mean_of_valid_values_only():
    ms = [Measurement("w01018", at(0, 5 * i), 140.0, "00") for i in range(10)]        # mean 140
    ms += [Measurement("w01018", at(1, 5 * i), 170.0, "00") for i in range(5)]        # → (1400 + 850) / 15 = 150
    ms += [Measurement("w01018", at(2, 5 * i), 900.0, "01") for i in range(3)]        # calibrating: ignored
    ms += [Measurement("w01018", at(3, 0), 900.0, "02")]                              # error: ignored
    ms += [Measurement("w01018", at(0, 0, DAY + timedelta(days=1)), 10.0, "00")]
    ms += [Measurement("w01018", at(0, 5, DAY + timedelta(days=2)), 500.0, "02")]     # only invalid
    days = {d.day: d for d in daily_exceedance(ms, {"w01018": COD})}
    d = days[DAY]
    assert (d.n_values, d.n_valid, d.n_calibrating, d.n_error) == (19, 15, 3, 1)
    assert d.mean == pytest.approx((10 * 140 + 5 * 170) / 15) == pytest.approx(150.0)
    assert d.exceeded is True and d.multiple == pytest.approx((150 - 148.5) / 148.5)
    assert d.n_values_exceeding == 5 and d.upper == pytest.approx(148.5)
    assert days[DAY + timedelta(days=1)].exceeded is False
    assert days[DAY + timedelta(days=2)].exceeded is None      # not judged, never "compliant"
    unlimited = daily_exceedance([Measurement("Flow_In", at(1), 5.0, "00")], {})
    assert unlimited[0].exceeded is None and unlimited[0].reason == "no limit for this parameter"


def test_completeness_counts_and_rates():
    assert expected_files(5) == 288 and expected_files(1) == 1440
    with pytest.raises(ValueError):
        expected_files(7)
    tz7 = timezone(timedelta(hours=7))
    receipts = []
    for i in range(288):
        t = at(0) + timedelta(minutes=5 * i)
        if i % 10 == 9:          # 28 slots missing
            continue
        status = ("00", "01") if i < 3 else ("00", "02") if i == 3 else ("00", "00")
        delay = timedelta(minutes=7) if i % 50 == 0 else timedelta(seconds=40)
        receipts.append(FileReceipt(t, (t + delay).replace(tzinfo=tz7), status))
    receipts.append(FileReceipt(at(0, 2), None, ("00",)))             # same slot as 00:00: a duplicate
    receipts.append(FileReceipt(at(0, 0, DAY + timedelta(days=1)), None, ("00",)))  # other day
    c = daily_completeness(receipts, DAY)
    assert (c.expected, c.received, c.missing, c.duplicates) == (288, 260, 28, 1)
    assert (c.calibrating, c.device_error, c.valid) == (3, 1, 256)
    assert c.late == 6              # i = 0, 50, 100, 150, 200, 250
    assert c.received_rate == pytest.approx(260 / 288) and c.valid_rate == pytest.approx(256 / 288)
    assert c.on_time_rate == pytest.approx(254 / 260)
    empty = daily_completeness([], DAY)
    assert (empty.received, empty.on_time_rate) == (0, None)


def test_late_is_strictly_more_than_five_minutes_in_station_time():
    t = at(12, 0)                                           # 12:00 Vietnam = 05:00 UTC
    utc = datetime(2026, 3, 25, 5, 0, tzinfo=timezone.utc)
    assert not is_late(t, utc + timedelta(minutes=5))
    assert is_late(t, utc + timedelta(minutes=5, seconds=1))
    assert not is_late(t, None)


def test_publication_view_from_parsed_files():
    today = DAY
    files = []
    for day_back in range(3):
        d = today - timedelta(days=day_back)
        for i in range(12):                                   # 12 files of 288 a day
            t = at(8, 0, d) + timedelta(minutes=5 * i)
            cod = 200.0 if day_back == 1 else 100.0          # yesterday exceeds
            name, data = write_file(VnFileName("HN", "PHCH", "NUOSXL", t),
                                    [("COD", cod, "mg/L", "00"), ("pH", 7.2, "", "01" if i == 0 else "00")])
            received = (t.replace(tzinfo=timezone(timedelta(hours=7))) + timedelta(minutes=1 if i else 9))
            files.append((parse_file(name, data), received))
    receipts, measurements = receipts_and_measurements(files, parameter_of={"COD": "w01018", "pH": "w01001"})
    view = publication_view("HN_PHCH_NUOSXL", measurements, receipts, {"w01018": COD, "w01001": PH},
                            today=today, days=30, station_name="Trạm nước thải số 1")
    json.dumps(view)                                          # plain data
    assert view["from"] == "2026-02-24" and view["to"] == "2026-03-25" and len(view["days"]) == 30
    d0, d1, d29 = view["days"][0], view["days"][1], view["days"][29]
    assert d0["date"] == "2026-03-25" and d0["exceedances"] == 0 and d1["exceedances"] == 1
    cod1 = next(p for p in d1["parameters"] if p["parameter"] == "w01018")
    assert cod1["mean"] == 200.0 and cod1["exceeded"] is True and cod1["upper"] == pytest.approx(148.5)
    c0 = d0["completeness"]
    assert (c0["expected"], c0["received"], c0["valid"], c0["late"], c0["calibrating"]) == (288, 12, 11, 1, 1)
    assert d29["parameters"] == [] and d29["completeness"]["received"] == 0
    assert view["summary"]["days_with_exceedance"] == 1 and view["summary"]["late_files"] == 3
    assert view["limits"]["w01018"]["explanation"].startswith("COD: 150 × Kq 0.9 × Kf 1.1 = 148.5")
