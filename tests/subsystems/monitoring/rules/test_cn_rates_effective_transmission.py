"""Worked examples for rules.cn.rates (reference notes §1.1, §1.2, §1.4)."""

from datetime import datetime, timedelta

import pytest

from ecosentry.subsystems.monitoring.rules.cn.rates import (
    HourSlot,
    RateCounts,
    RateSettings,
    compute_rates,
    count_slots,
    rates_from_counts,
    sum_counts,
)

DAY = datetime(2026, 9, 20, 0, 0)


def day_slots(day=DAY, n=24, **overrides_by_hour):
    """n hourly slots, all received on time and valid, with per-hour overrides {"h13": {...}}."""
    slots = []
    for h in range(n):
        kw = dict(received=True, valid=True)
        kw.update(overrides_by_hour.get(f"h{h}", {}))
        slots.append(HourSlot(start=day + timedelta(hours=h), **kw))
    return slots


def test_all_received_and_valid_is_100_percent():
    r = compute_rates(day_slots())
    assert (r.trans_rate, r.effe_rate, r.effe_trans_rate) == (1.0, 1.0, 1.0)
    assert r.counts == RateCounts(hours=24, expected=24, received=24, expected_groups=24, valid_groups=24)
    assert r.notes == ()


def test_stopped_slots_leave_the_period():
    # 24 slots, 2 stopped → M = 22; 1 missing → D = 21 received → trans = 21/22;
    # S = 21 valid → effe = 21/22; effeTrans = (21/22)²
    slots = day_slots(
        h0={"stopped": True, "received": False, "valid": False},
        h1={"stopped": True, "received": False, "valid": False},
        h5={"received": False, "valid": False},
    )
    r = compute_rates(slots)
    assert r.counts.expected == 22 and r.counts.stopped == 2
    assert r.counts.received == 21 and r.counts.valid_groups == 21
    assert r.trans_rate == 21 / 22
    assert r.effe_rate == 21 / 22
    assert r.effe_trans_rate == (21 / 22) * (21 / 22)
    assert r.hour_reasons[0] == {"hour": "2026-09-20 00", "valid": None, "reason": "停运 (stopped: not in the period)"}
    assert r.hour_reasons[5] == {"hour": "2026-09-20 05", "valid": False, "reason": "not received"}


def test_invalid_hours_lower_validity_not_transmission():
    # 24 received, 3 invalid (维护) → trans = 24/24, effe = 21/24 = 0.875
    maint = {"valid": False, "reason": "自动监测设备维护"}
    r = compute_rates(day_slots(h8=maint, h9=maint, h10=maint))
    assert r.trans_rate == 1.0
    assert r.effe_rate == 21 / 24 == 0.875
    assert r.effe_trans_rate == 0.875
    assert r.hour_reasons[8] == {"hour": "2026-09-20 08", "valid": False, "reason": "自动监测设备维护"}


def test_realtime_does_not_count_back_filled_records():
    # hours 3 and 4 arrived by back-fill (mstatus = 6), valid.
    # 即时: D = 22, S = 22 → trans = 22/24, effe = 22/24.  补全: 24/24 and 24/24.
    late = {"received_late": True}
    slots = day_slots(h3=late, h4=late)
    rt = compute_rates(slots, mode="realtime")
    bf = compute_rates(slots, mode="backfilled")
    assert rt.trans_rate == 22 / 24 and rt.effe_rate == 22 / 24
    assert rt.effe_trans_rate == (22 / 24) ** 2
    assert bf.trans_rate == 1.0 and bf.effe_trans_rate == 1.0
    assert rt.hour_reasons[3]["reason"] == "back-filled (not counted in 即时)"
    assert rt.mode == "realtime" and bf.mode == "backfilled"


def test_observed_100_percent_vs_95_83_percent_standard_sample_day():
    # Reference §1.2: a wastewater COD day showed 100 % and 95.83 % (= 23/24) with a 标样核查 mark.
    # One reading consistent with §1.4: hour 13 is invalid because of the check.
    # Exemption applied:     S = 23 valid of M − NOS = 24 − 1 = 23 → 100 %.
    # Exemption not applied: S = 23 valid of M = 24                → 23/24 = 95.83 %.
    # (Which of 即时/补全 applies the exemption is UNCONFIRMED; both numbers are reproduced.)
    slots = day_slots(h13={"valid": False, "exempt_standard_sample": True, "reason": "标样核查"})
    exempt = compute_rates(slots, factor_code="w01018")
    assert exempt.counts.excluded_groups == 1
    assert exempt.effe_trans_rate == 1.0
    plain = compute_rates(slots, factor_code="w01018", settings=RateSettings(validity_denominator="expected"))
    assert plain.effe_trans_rate == 23 / 24
    assert round(100 * plain.effe_trans_rate, 2) == 95.83


def test_standard_sample_exemption_at_most_one_slot_per_day():
    # Mark 13:21–14:06 covers hours 13 and 14, both invalid. Only one is exempt (NOS = 1):
    # S = 22, M − NOS = 23 → effe = 22/23.
    std = {"valid": False, "exempt_standard_sample": True}
    r = compute_rates(day_slots(h13=std, h14=std), factor_code="w21003")
    assert r.counts.excluded_groups == 1
    assert r.counts.valid_groups == 22
    assert r.effe_rate == 22 / 23
    assert r.hour_reasons[13]["valid"] is None
    assert r.hour_reasons[14] == {
        "hour": "2026-09-20 14", "valid": False, "reason": "invalid; 标样核查 beyond the daily exemption cap",
    }
    # The cap is a setting: 2 per day → S = 22 of 24 − 2 = 22 → 100 %.
    two = compute_rates(day_slots(h13=std, h14=std), factor_code="w21003",
                        settings=RateSettings(max_exempt_slots_per_day=2))
    assert two.effe_rate == 1.0


def test_exemption_prefers_the_invalid_slot_and_counts_per_day():
    # Hour 2 flagged but valid, hour 3 flagged and invalid: the invalid one is exempt → 23/23.
    r = compute_rates(day_slots(h2={"exempt_standard_sample": True},
                                h3={"valid": False, "exempt_standard_sample": True}))
    assert r.hour_reasons[3]["valid"] is None
    assert r.hour_reasons[2]["valid"] is True
    assert r.effe_rate == 1.0
    # Two days, one invalid flagged slot each → NOS = 2 (one per day): 46 valid of 48 − 2.
    std = {"valid": False, "exempt_standard_sample": True}
    two_days = day_slots(h13=std) + day_slots(day=DAY + timedelta(days=1), h13=std)
    r2 = compute_rates(two_days)
    assert r2.counts.excluded_groups == 2 and r2.effe_rate == 1.0


def test_exemption_ignored_for_gas_factor():
    # SO2 (a21026) has no standard-sample exemption: 23/24.
    r = compute_rates(day_slots(h13={"valid": False, "exempt_standard_sample": True}), factor_code="a21026")
    assert r.counts.excluded_groups == 0
    assert r.effe_rate == 23 / 24
    assert r.hour_reasons[13]["reason"] == "invalid; 标样核查 exemption not applicable to this factor"


def test_non_attributable_slots_setting():
    # 4 non-attributable hours (不可抗力), not received.
    # Default: they leave M → M = 20, D = 20 → 100 %.  Kept: M = 24, D = 20 → trans = 20/24, effe = 20/24.
    na = {"non_attributable": True, "received": False, "valid": False}
    slots = day_slots(h0=na, h1=na, h2=na, h3=na)
    r = compute_rates(slots)
    assert r.counts.non_attributable == 4 and r.counts.expected == 20
    assert r.effe_trans_rate == 1.0
    kept = compute_rates(slots, settings=RateSettings(non_attributable_leaves_denominator=False))
    assert kept.counts.expected == 24
    assert kept.trans_rate == 20 / 24 and kept.effe_rate == 20 / 24


def test_received_denominator_variant():
    # 20 received (4 missing), 18 valid: default effe = 18/24; "received" → 18/20 = 0.9.
    miss = {"received": False, "valid": False}
    bad = {"valid": False}
    slots = day_slots(h0=miss, h1=miss, h2=miss, h3=miss, h4=bad, h5=bad)
    assert compute_rates(slots).effe_rate == 18 / 24
    r = compute_rates(slots, settings=RateSettings(validity_denominator="received"))
    assert r.effe_rate == 0.9
    assert r.effe_trans_rate == (20 / 24) * 0.9


def test_division_by_zero_gives_none_with_reason():
    stopped = {"stopped": True, "received": False, "valid": False}
    r = compute_rates(day_slots(n=3, h0=stopped, h1=stopped, h2=stopped))
    assert r.counts.expected == 0
    assert (r.trans_rate, r.effe_rate, r.effe_trans_rate) == (None, None, None)
    assert r.notes == (
        "transRate undefined: expected slots M = 0",
        "effeRate undefined: M − NOS = 0",
        "effeTransRate undefined: a factor rate is undefined",
    )
    empty = compute_rates([])
    assert empty.trans_rate is None


def test_aggregation_sums_counts_and_differs_from_averaging():
    # Point A (COD): 24 expected, 24 received, 24 valid → 1.0
    # Point B (NH3-N): 4 expected (20 stopped), 2 received, 2 valid → trans 0.5, effe 0.5, effeTrans 0.25
    # Summed counts: D = 26 of M = 28, S = 26 of 28 → effeTrans = (26/28)² = 0.8622…
    # Averaging the rates would give (1.0 + 0.25)/2 = 0.625: wrong.
    a = count_slots(day_slots())[0]
    stop = {"stopped": True, "received": False, "valid": False}
    miss = {"received": False, "valid": False}
    b_over = {f"h{h}": stop for h in range(20)}
    b_over.update(h20=miss, h21=miss)
    b = count_slots(day_slots(**b_over))[0]
    rb = rates_from_counts(b)
    assert rb.effe_trans_rate == 0.25
    total = sum_counts([a, b])
    assert total.expected == 28 and total.received == 26 and total.valid_groups == 26 and total.stopped == 20
    agg = rates_from_counts(total)
    assert agg.effe_trans_rate == (26 / 28) * (26 / 28)
    assert agg.effe_trans_rate != (1.0 + 0.25) / 2
    assert sum_counts([]) == RateCounts()


def test_inconsistent_slots_raise():
    with pytest.raises(ValueError, match="duplicate"):
        compute_rates([HourSlot(DAY, True, valid=True), HourSlot(DAY, True)])
    with pytest.raises(ValueError, match="not received"):
        compute_rates([HourSlot(DAY, False, valid=True)])
    with pytest.raises(ValueError, match="mode"):
        compute_rates([], mode="later")
    with pytest.raises(ValueError):
        RateSettings(validity_denominator="received_groups")


# --------------------------------------------------------------------------- expected hours (issue 11 item 2)

def test_expected_hours_run_from_connection_to_now_whole_hours_only():
    from datetime import timedelta, timezone

    from ecosentry.subsystems.monitoring.rules.cn.rates import expected_hours

    cst = timezone(timedelta(hours=8))
    day0, day1 = datetime(2026, 12, 1, tzinfo=cst), datetime(2026, 12, 5, tzinfo=cst)
    now = datetime(2026, 12, 4, 20, 35, tzinfo=cst)
    # connected today at 14:10: 15:00 … 19:00 have ended by 20:35 (14:00 partial, 20:00 running)
    hours = expected_hours(day0, day1, now=now, connected_at=datetime(2026, 12, 4, 14, 10, tzinfo=cst))
    assert [h.hour for h in hours] == [15, 16, 17, 18, 19] and all(h.date().day == 4 for h in hours)
    # connected long ago: every whole hour of the period until now (3 days × 24 + 20)
    assert len(expected_hours(day0, day1, now=now, connected_at=datetime(2020, 1, 1, tzinfo=cst))) == 92
    # decommissioned on the 2nd at 06:30: 1 Dec 00:00 … 2 Dec 05:00
    assert len(expected_hours(day0, day1, now=now, connected_at=datetime(2020, 1, 1, tzinfo=cst),
                              decommissioned_at=datetime(2026, 12, 2, 6, 30, tzinfo=cst))) == 30
    # never connected (no connection time, no data): nothing is owed
    assert expected_hours(day0, day1, now=now, connected_at=None) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        expected_hours(datetime(2026, 12, 1), day1, now=now, connected_at=day0)
