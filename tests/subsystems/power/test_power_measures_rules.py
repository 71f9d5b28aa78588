"""Levels, safety loads and overlapping alerts → orders (power.rules.measures), on constructed lists."""

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.subsystems.power.rules.measures import Measure, governing_spans, measures_at_level, orders_in_spans

T0 = datetime(2026, 1, 10, tzinfo=timezone.utc)
LIST = [Measure("kiln1", "yellow", "limit", 70), Measure("kiln1", "orange", "limit", 50),
        Measure("kiln1", "red", "stop"), Measure("mill", "orange", "stop"),
        Measure("fan_safe", "yellow", "stop", safety_load=True), Measure("dryer", "yellow", "stop"),
        Measure("dryer", "red", "limit", 50)]


def test_yellow_applies_upwards_and_the_stricter_wins():
    y, o, r = (measures_at_level(LIST, lv) for lv in ("yellow", "orange", "red"))
    assert (y["kiln1"].measure, y["kiln1"].limit_pct) == ("limit", 70)
    assert (o["kiln1"].measure, o["kiln1"].limit_pct) == ("limit", 50)
    assert r["kiln1"].measure == "stop"
    assert "mill" not in y and o["mill"].measure == "stop" and r["mill"].measure == "stop"
    # a red "limit" never relaxes the yellow stop declared below it
    assert r["dryer"].measure == "stop"


def test_safety_loads_are_never_ordered():
    for lv in ("yellow", "orange", "red"):
        assert "fan_safe" not in measures_at_level(LIST, lv)


def _alert(id_, level, h0, h1, lifted=None):
    return {"id": id_, "level": level, "starts_at": T0 + timedelta(hours=h0),
            "ends_at": None if h1 is None else T0 + timedelta(hours=h1),
            "lifted_at": None if lifted is None else T0 + timedelta(hours=lifted)}


def test_overlapping_alerts_the_highest_level_governs():
    alerts = [_alert(1, "yellow", 0, 48), _alert(2, "orange", 12, 18), _alert(3, "yellow", 20, 30)]
    spans = governing_spans(alerts, T0, T0 + timedelta(hours=48))
    got = [(s.alert_id, s.level, int((s.start - T0).total_seconds() // 3600), int((s.end - T0).total_seconds() // 3600))
           for s in spans]
    # alert 3 (yellow, later start) governs its hours on the tie with alert 1
    assert got == [(1, "yellow", 0, 12), (2, "orange", 12, 18), (1, "yellow", 18, 20), (3, "yellow", 20, 30),
                   (1, "yellow", 30, 48)]


def test_clipped_to_the_period_and_lifted_alerts_end_when_lifted():
    alerts = [_alert(1, "red", -5, None, lifted=10)]
    spans = governing_spans(alerts, T0, T0 + timedelta(hours=48))
    assert [(s.start, s.end) for s in spans] == [(T0, T0 + timedelta(hours=10))]
    assert governing_spans([_alert(1, "red", 50, 60)], T0, T0 + timedelta(hours=48)) == []


def test_orders_group_stops_and_limits_by_share():
    spans = governing_spans([_alert(7, "orange", 0, 24)], T0, T0 + timedelta(days=1))
    orders = orders_in_spans("91X", LIST + [Measure("line2", "yellow", "limit", 50)], spans)
    assert [(o.measure, o.equipment, o.allowed_pct, o.alert_id, o.level) for o in orders] == [
        ("stop", ("dryer", "mill"), None, 7, "orange"),
        ("limit", ("kiln1", "line2"), 50, 7, "orange")]


@pytest.mark.parametrize("level", ["purple", "RED"])
def test_unknown_levels_are_ignored(level):
    assert measures_at_level([Measure("a", level, "stop")], "red") == {}


@pytest.mark.parametrize("bad", [Measure("a", "red", "limit", None), Measure("a", "red", "limit", 100),
                                 Measure("a", "red", "limit", -5), Measure("a", "red", "shut")])
def test_a_measure_no_order_can_be_made_of_is_left_out(bad):
    assert measures_at_level([bad, Measure("b", "yellow", "stop")], "red").keys() == {"b"}
    spans = governing_spans([_alert(1, "red", 0, 2)], T0, T0 + timedelta(hours=2))
    assert [o.equipment for o in orders_in_spans("91X", [bad], spans)] == []
