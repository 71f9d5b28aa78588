"""Vietnamese dates and numbers (issue 14 item 7): dd/mm/yyyy, the time after the day, the decimal comma and the
thousands dot; Chinese and English as Babel gives them."""

from __future__ import annotations

from datetime import date, datetime, timezone

from ecosentry.locale import Formatter

T = datetime(2026, 12, 5, 21, 43, 7, tzinfo=timezone.utc)     # 04:43:07 on 6 December in Vietnam


def test_vietnamese_dates_are_day_month_year():
    f = Formatter("vi", "Asia/Ho_Chi_Minh")
    assert f.datetime(T) == "06/12/2026 04:43"
    assert f.datetime(T, fmt="medium") == "06/12/2026 04:43:07"
    assert f.datetime(T, "Asia/Shanghai") == "06/12/2026 05:43"          # the point's zone wins
    assert f.date(date(2026, 3, 5)) == f.date(date(2026, 3, 5), "short") == "05/03/2026"
    assert f.date(date(2026, 3, 1), "month") == "03/2026"
    assert f.date(date(2026, 3, 5), "yyyy") == "2026"                     # an explicit pattern passes through


def test_vietnamese_numbers_use_the_decimal_comma_and_the_thousands_dot():
    f = Formatter("vi", "Asia/Ho_Chi_Minh")
    assert f.number(1234567.891) == "1.234.567,89"
    assert f.measured(12345.5) == "12.345,5" and f.measured(0.035) == "0,035" and f.measured(120) == "120"
    assert f.percent(0.987) == "98,7%"


def test_chinese_and_english_keep_their_forms():
    zh, en = Formatter("zh", "Asia/Shanghai"), Formatter("en", "Asia/Shanghai")
    assert zh.date(date(2026, 3, 1), "month") == en.date(date(2026, 3, 1), "month") == "2026-03"
    assert zh.number(1234.5) == "1,234.50" and "2026" in zh.datetime(T)
