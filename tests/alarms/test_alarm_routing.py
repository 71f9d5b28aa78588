"""Routing and the escalation schedule as pure functions: alarm + subscriptions + region ancestry + now →
notifications (no database, no clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.alarms.catalogue import ALARM_TYPES, AlarmType, register_alarm_type, severity_rank
from ecosentry.alarms.escalation import max_escalation, plan_tick
from ecosentry.alarms.routing import AlarmPolicy, Subscription, ancestry, compose, recipients, route_event
from ecosentry.contracts.catalogue import RULES

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
PARENTS = {"320506": "320500", "320500": "320000", "320000": "CN", "CN": None, "320581": "320500"}
REGIONS = ancestry("320506", PARENTS)
POLICY = AlarmPolicy(route_levels=2, escalate_after=timedelta(minutes=30), repeat_every=timedelta(minutes=60),
                     repeat_max=2, base_url="https://eco.example/")

SUBS = [
    Subscription(1, "county", "email", "county@eco.example", "320506"),
    Subscription(2, "city", "sms", "+8613800000001", "320500"),
    Subscription(3, "province", "email", "prov@eco.example", "320000"),
    Subscription(4, "ministry", "webhook", "https://mee.example/hook", "CN"),
    Subscription(5, "neighbour", "email", "kunshan@eco.example", "320581"),  # a sibling county: never
    Subscription(6, "city-exc", "email", "exc@eco.example", "320500", frozenset({"ALM-EXCEEDANCE"})),
    Subscription(7, "city-crit", "email", "crit@eco.example", "320500", None, "critical"),
    Subscription(8, "city-off", "email", "off@eco.example", "320500", active=False),
    Subscription(9, "city2", "email", "county@eco.example", "320500"),  # same address as 1: told once
]


def alarm(**kw) -> dict:
    base = {"id": 7, "type": "ALM-DATA-MISSING", "severity": "warning", "state": "active", "title": "SO2 missing",
            "explanation": "no minute record for 20 min", "source_type": "point", "source_id": "3", "point_id": 3,
            "enterprise_id": 1, "region_code": "320506", "occurrences": 1, "first_at": T0, "last_at": T0,
            "escalation_level": 0, "repeats": 0, "evidence": {"missing": 20}}
    return {**base, **kw}


def addresses(deliveries) -> list[str]:
    return [d.notification.recipient for d in deliveries]


def test_ancestry_nearest_first_and_cycle_safe():
    assert REGIONS == ("320506", "320500", "320000", "CN")
    assert ancestry(None, PARENTS) == ()
    assert ancestry("A", {"A": "B", "B": "A"}) == ("A", "B")


def test_raise_reaches_county_and_city_filtered_by_type_and_severity():
    out = route_event(alarm(), "raised", SUBS, REGIONS, POLICY)
    assert addresses(out) == ["county@eco.example", "+8613800000001"]
    assert [d.channel for d in out] == ["email", "sms"] and [d.subscription_id for d in out] == [1, 2]
    crit = route_event(alarm(type="ALM-EXCEEDANCE", severity="critical"), "raised", SUBS, REGIONS, POLICY)
    assert addresses(crit) == ["county@eco.example", "+8613800000001", "exc@eco.example", "crit@eco.example"]
    one_level = AlarmPolicy(route_levels=1)
    assert addresses(route_event(alarm(), "raised", SUBS, REGIONS, one_level)) == ["county@eco.example"]


def test_notification_content():
    n = route_event(alarm(), "raised", SUBS, REGIONS, POLICY)[0].notification
    assert (n.alarm_id, n.event, n.code, n.severity, n.user) == (7, "raised", "ALM-DATA-MISSING", "warning", "county")
    assert n.title == "[WARNING] SO2 missing"
    assert n.url == "https://eco.example/alarms/7" and n.url in n.body
    assert ALARM_TYPES["ALM-DATA-MISSING"].summary in n.body and "no minute record for 20 min" in n.body
    assert n.payload["alarm"]["first_at"] == T0.isoformat() and n.payload["event"] == "raised"


@pytest.mark.parametrize(("minutes", "level", "repeats", "escalated", "repeated"), [
    (29, None, None, [], []),
    (30, 1, None, ["prov@eco.example"], []),
    (59, None, None, [], []),  # (already at level 1)
    (60, 2, 1, ["https://mee.example/hook"],
     ["county@eco.example", "+8613800000001", "prov@eco.example"]),
])
def test_schedule_steps(minutes, level, repeats, escalated, repeated):
    current = alarm(escalation_level=0 if minutes < 59 else 1)
    plan = plan_tick(current, SUBS, REGIONS, POLICY, T0 + timedelta(minutes=minutes))
    assert (plan.escalation_level, plan.repeats) == (level, repeats)
    assert addresses(plan.escalated) == escalated and addresses(plan.repeated) == repeated
    assert all(d.notification.event == "escalated" for d in plan.escalated)
    assert all(d.notification.event == "repeat" for d in plan.repeated)


def test_repeats_stop_at_max_and_escalation_at_the_top():
    top = alarm(escalation_level=max_escalation(POLICY, len(REGIONS)), repeats=2)
    assert max_escalation(POLICY, len(REGIONS)) == 2
    plan = plan_tick(top, SUBS, REGIONS, POLICY, T0 + timedelta(hours=10))
    assert (plan.escalation_level, plan.repeats, plan.escalated, plan.repeated) == (None, None, [], [])


def test_missed_ticks_catch_up_in_one_step():
    plan = plan_tick(alarm(), SUBS, REGIONS, POLICY, T0 + timedelta(minutes=125))
    assert (plan.escalation_level, plan.repeats) == (2, 2)
    assert addresses(plan.escalated) == ["prov@eco.example", "https://mee.example/hook"]
    # the newly escalated recipients get the escalation, not also a repeat
    assert addresses(plan.repeated) == ["county@eco.example", "+8613800000001"]


def test_acknowledged_or_cleared_alarms_are_quiet():
    for state in ("acknowledged", "cleared"):
        plan = plan_tick(alarm(state=state), SUBS, REGIONS, POLICY, T0 + timedelta(hours=3))
        assert (plan.escalation_level, plan.repeats, plan.escalated, plan.repeated) == (None, None, [], [])


def test_recipients_dedupe_and_policy_checks():
    chosen = recipients("ALM-DATA-MISSING", "warning", SUBS, ["320500", "320506"])
    assert [s.id for s in chosen] == [2, 9]  # nearest region first; 9's address also served once
    with pytest.raises(ValueError):
        AlarmPolicy(route_levels=0)
    with pytest.raises(ValueError):
        AlarmPolicy(repeat_every=timedelta(0))
    assert compose(alarm(), "repeat", SUBS[0]).url is None


def test_catalogue_registers_alarm_types_in_the_rule_catalogue():
    codes = {"ALM-EXCEEDANCE", "ALM-DATA-MISSING", "ALM-FALSIFICATION", "ALM-DEVICE-FAULT", "ALM-LOGGER-OFFLINE",
             "ALM-TREATMENT-OFF", "ALM-VEHICLE-RULE", "ALM-TOXIC-GAS"}
    assert codes <= set(ALARM_TYPES)
    for code in codes:
        rule = RULES[code]
        assert rule.tag == "ours" and rule.severity == ALARM_TYPES[code].severity and rule.summary
    assert severity_rank("critical") > severity_rank("warning") > severity_rank("info")
    extra = AlarmType("ALM-TEST-NOISE", "info", "A noise sensor is above its alarm level.", "test", ("park_sensor",))
    register_alarm_type(extra, "tests")
    assert register_alarm_type(extra, "tests") is extra and RULES["ALM-TEST-NOISE"].module == "tests"
    with pytest.raises(ValueError, match="registered differently"):
        register_alarm_type(AlarmType("ALM-TEST-NOISE", "critical", "other", "test"))
    with pytest.raises(ValueError, match="ALM-"):
        AlarmType("DET-X", "info", "x", "y")
    del ALARM_TYPES["ALM-TEST-NOISE"], RULES["ALM-TEST-NOISE"]
