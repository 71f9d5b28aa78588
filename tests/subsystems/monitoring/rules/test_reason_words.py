"""Reasons of invalid hours, as the rules store them, said in Chinese and Vietnamese (no engine strings)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.locale import translations
from ecosentry.subsystems.monitoring.rules.cn.marks import MarkSpan, hour_mark_effect
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text

H = datetime(2026, 11, 20, 1, tzinfo=timezone.utc)


def _auto_mark_reason() -> str:
    mark = MarkSpan(id=10, type="comm_interruption", start=H - timedelta(minutes=30), end=H + timedelta(hours=2),
                    factor_codes=None, status="approved", source="auto")
    _effect, _ids, reason = hour_mark_effect([mark], "a21026", H, H + timedelta(hours=1))
    return reason


@pytest.mark.parametrize("lang, expected", [
    ("zh", "自动标记 #10（通讯中断）：该小时无效"),
    ("vi", "đánh dấu tự động #10 (Mất kết nối truyền dữ liệu): giờ này không hợp lệ"),
])
def test_mark_reason_is_a_sentence(lang, expected):
    reason = _auto_mark_reason()
    assert reason == "CN-MARK-INVALID: auto mark #10 comm_interruption (invalid)"
    assert reason_text(reason, translations(lang).gettext) == expected


def test_fragments_of_an_invalid_hour():
    zh = translations("zh").gettext
    assert reason_text("valid minutes 20 < 45; D 30 min; missing 10 min", zh) == \
        "有效分钟数 20，少于 45；标记 D 共 30 分钟；缺失 10 分钟"
    assert reason_text(None, zh) == "" and reason_text("something new", zh) == "something new"
