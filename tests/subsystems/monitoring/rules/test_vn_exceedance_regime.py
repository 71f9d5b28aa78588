"""A Vietnamese exceedance is judged on the right value and cites the Vietnamese regime (rules/vn/exceedance.py,
rules/regime.py, pipeline periods and hours), worked on the formulas of china-vietnam-rules.md §7.3:

* QCVN 19:2009/BTNMT column B SO2: Cmax = C × Kp × Kv = 500 × 0.9 (P = 50 000 m³/h) × 1.0 (zone 3) = 450 mg/Nm³
  at 25 °C; no reference O2, so the hour is judged on its measured mean;
* QCVN 22:2009/BTNMT coal, reference O2 6 %: 300 mg/Nm³ at O2 11 % is 300 × (21 − 6)/(21 − 11) = 450 (HJ 212-2017
  eq. (28)), judged corrected where the point's outlet carries the reference O2;
* QCVN 40:2011/BTNMT column B COD: Cmax = C × Kq × Kf = 150 × 0.9 (river Q ≤ 50 m³/s) × 1.1 (F 50–500 m³/day)
  = 148.5 mg/L, judged on the daily mean.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from ecosentry.catalogue import full_catalogue
from ecosentry.subsystems.monitoring.pipeline.detection import cite_rules
from ecosentry.subsystems.monitoring.pipeline.hourly import hour_row
from ecosentry.subsystems.monitoring.pipeline.periods import judge_hour, with_regime_code
from ecosentry.subsystems.monitoring.rules.cn.exceedance import Limit, judge_water_day
from ecosentry.subsystems.monitoring.rules.cn.hourly import MinuteRecord, hourly_from_minutes
from ecosentry.subsystems.monitoring.rules.regime import alarm_type_sources, exceedance_rule, regime_of
from ecosentry.subsystems.monitoring.rules.vn.exceedance import judged_value
from ecosentry.subsystems.monitoring.rules.vn.qcvn import (cmax, kf_for_flow, kp_for_flow, kq_for_receiving_water,
                                                           kv_for_zone, qcvn_limit)

UTC = timezone.utc
HOUR = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)    # 10:00 Asia/Ho_Chi_Minh
DAY = date(2026, 12, 6)
QCVN19 = "QCVN 19:2009/BTNMT cột B, Kp 0.9, Kv 1"


def so2_cmax() -> float:
    bounds = cmax(qcvn_limit("QCVN 19:2009/BTNMT", "B", "a21026"), kp=kp_for_flow(50_000), kv=kv_for_zone(3))
    return bounds.upper


def vn_gas_point(ref_o2=None):
    return SimpleNamespace(medium="gas", ref_o2=ref_o2, tz="Asia/Ho_Chi_Minh", min_interval=5)


def five_minute_hour(values: list[float]) -> list[MinuteRecord]:
    return [MinuteRecord(start=HOUR + timedelta(minutes=5 * i), value=v, flag="N") for i, v in enumerate(values)]


def test_qcvn19_worked_cmax():
    assert kp_for_flow(50_000) == 0.9 and kv_for_zone(3) == 1.0
    assert so2_cmax() == pytest.approx(450.0)


def test_vn_gas_hour_is_judged_on_its_measured_mean_and_cites_vn_exc_gas_hour():
    # a QCVN 19:2009 station has no reference O2: the hour's mean as measured (at 25 °C), never "corrected"
    values = [440.0] * 6 + [480.0] * 6                # mean 460 > 450
    minutes = five_minute_hour(values)
    hv = hourly_from_minutes(minutes, medium="gas", interval_minutes=5)
    assert hv.valid and hv.value == pytest.approx(460.0) and hv.zs_value is None
    limits = [Limit("hour", so2_cmax(), valid_from=date(2010, 1, 1), standard=QCVN19)]
    row = hour_row((1, "a21026", HOUR), hv, vn_gas_point(), [], limits, "mean_of_minute", HOUR, None,
                   lambda: (minutes, []), day=DAY)
    assert row["zs_value"] is None                     # no correction applied
    assert row["exceeded"] is True and row["limit_value"] == pytest.approx(450.0)
    assert row["multiple"] == pytest.approx((460 - 450) / 450)
    exc = judge_hour("gas", None, hv.value, True, limits, DAY)
    assert exc.rule_code == "VN-EXC-GAS-HOUR" and exc.exceeded
    assert judged_value(hv.value, None) == (pytest.approx(460.0), False)


def test_qcvn22_point_with_a_reference_o2_is_judged_corrected():
    # the reference O2 is a setting of the point's outlet (QCVN 22:2009 coal 6 %): the hour is corrected
    so2, o2 = five_minute_hour([300.0] * 12), five_minute_hour([11.0] * 12)
    hv = hourly_from_minutes(so2, medium="gas", interval_minutes=5)
    limits = [Limit("hour", 400.0, valid_from=date(2010, 1, 1), standard="QCVN 22:2009/BTNMT (than, O2 6 %)")]
    row = hour_row((1, "a21026", HOUR), hv, vn_gas_point(ref_o2=6.0), [], limits, "mean_of_minute", HOUR, None,
                   lambda: (so2, o2), day=DAY)
    assert row["zs_value"] == pytest.approx(300 * (21 - 6) / (21 - 11))    # 450
    assert row["exceeded"] is True and row["multiple"] == pytest.approx(450 / 400 - 1)
    assert judged_value(hv.value, row["zs_value"]) == (pytest.approx(450.0), True)


def test_chinese_hour_keeps_its_code():
    limits = [Limit("hour", 35.0, valid_from=date(2020, 1, 1), standard="GB 13223-2011 表1")]
    exc = judge_hour("gas", 42.0, 40.0, True, limits, DAY)
    assert exc.rule_code == "CN-EXC-GAS-HOUR" and exc.exceeded


def test_vn_wastewater_day_against_qcvn40_cites_vn_exc_water_day():
    kq, kf = kq_for_receiving_water("river", 30), kf_for_flow(200)
    assert (kq, kf) == (0.9, 1.1)
    c = cmax(qcvn_limit("QCVN 40:2011/BTNMT", "B", "w01018"), kq=kq, kf=kf).upper
    assert c == pytest.approx(148.5)
    limits = [Limit("day", c, valid_from=date(2012, 1, 1), standard="QCVN 40:2011/BTNMT cột B, Kq 0.9, Kf 1.1")]
    exc = with_regime_code(judge_water_day(150.0, True, limits, DAY), "water", "day")
    assert exc.exceeded and exc.rule_code == "VN-EXC-WATER-DAY"
    assert exc.multiple == pytest.approx(1.5 / 148.5)
    invalid = with_regime_code(judge_water_day(150.0, False, limits, DAY), "water", "day")
    assert invalid.exceeded is None and invalid.rule_code == "VN-QCVN-NOT-JUDGED"


def test_regime_of_a_limit_and_its_codes():
    assert regime_of(QCVN19) == "vn"
    assert regime_of("GB 13223-2011 表1") == "cn" and regime_of("排污许可证") == "cn"
    assert regime_of("giấy phép môi trường", country="VN") == "vn"
    assert [exceedance_rule("vn", m, p) for m, p in (("gas", "hour"), ("gas", "day"), ("water", "day"))] == [
        "VN-EXC-GAS-HOUR", "VN-EXC-GAS-DAY", "VN-EXC-WATER-DAY"]
    assert [exceedance_rule("cn", m, p) for m, p in (("gas", "hour"), ("gas", "day"), ("water", "day"))] == [
        "CN-EXC-GAS-HOUR", "CN-EXC-GAS-DAY", "CN-EXC-WATER-DAY"]


def test_vn_codes_are_in_the_catalogue_citing_qcvn_and_the_circular_only():
    rules = {r.code: r for r in full_catalogue()}
    for code in ("VN-EXC-GAS-HOUR", "VN-EXC-GAS-DAY", "VN-EXC-WATER-DAY"):
        rule = rules[code]
        assert rule.severity == "critical" and "QCVN" in rule.source and "Circular 10/2021" in rule.source
        assert "HJ " not in rule.source and "GB " not in rule.source
    vn = alarm_type_sources("ALM-EXCEEDANCE", "vn")
    assert "QCVN 19:2009" in vn and "QCVN 40:2011" in vn and "Circular 10/2021" in vn
    assert "HJ" not in vn and "GB" not in vn
    assert alarm_type_sources("ALM-EXCEEDANCE", "cn") is None      # the alarm catalogue's own text


def test_cite_rules_names_the_limit_and_the_regime_of_each_period():
    info = SimpleNamespace(point_id=7, tz="Asia/Ho_Chi_Minh", medium="gas")
    limits = {(7, "a21026"): [Limit("hour", 450.0, valid_from=date(2010, 1, 1), standard=QCVN19)],
              (7, "a21002"): [Limit("day", 100.0, valid_from=date(2010, 1, 1), standard="GB 13223-2011 表1")]}
    judged = [{"factor_code": "a21026", "period": "hour", "period_start": HOUR, "exceeded": True, "corrected": 0},
              {"factor_code": "a21002", "period": "day", "period_start": HOUR, "exceeded": True, "corrected": 1}]
    out = cite_rules(judged, limits, info)
    assert [(r["rule"], r["standard"], r["corrected"]) for r in out] == [
        ("VN-EXC-GAS-HOUR", QCVN19, False), ("CN-EXC-GAS-DAY", "GB 13223-2011 表1", True)]
