"""From the alert and the emission-reduction lists to orders, compliance and the control effect (power
queries.measures, queries.compliance), on SQLite and PostgreSQL (tests/subsystems/power/alert_world.py)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from alert_world import D0, D1, SETTINGS, build  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.subsystems.power.queries.compliance import BREACH, COMPLIES, NO_DATA, alert_compliance  # noqa: E402
from ecosentry.subsystems.power.queries.measures import orders_for  # noqa: E402


@pytest.fixture
def world(db_url):
    engine = prepare_database(db_url)
    ids = build(engine)
    yield engine, ids
    engine.dispose()


def test_orders_for_levels_subtree_overlaps_and_safety_loads(world):
    engine, ids = world
    with engine.connect() as conn:
        a = orders_for(conn, ids["ent"]["A"], D0 - timedelta(days=1), D1 + timedelta(days=1))
        f = orders_for(conn, ids["ent"]["F"], D0, D1)
        c = orders_for(conn, ids["ent"]["C"], D0 + timedelta(hours=6), D0 + timedelta(hours=8))
        none = orders_for(conn, ids["ent"]["C"], D1, D1 + timedelta(days=1))
    got = [(o.alert_id, o.level, o.measure, o.equipment, o.allowed_pct, o.start.astimezone(D0.tzinfo).hour,
            (o.end - D0).total_seconds() / 3600) for o in a]
    y, orange = ids["alert"][1], ids["alert"][2]
    assert got == [(y, "yellow", "limit", ("kiln",), 50.0, 0, 12.0),
                   (orange, "orange", "stop", ("mill",), None, 12, 18.0),
                   (orange, "orange", "limit", ("kiln",), 50.0, 12, 18.0),
                   (y, "yellow", "limit", ("kiln",), 50.0, 18, 24.0)]
    assert all("fan" not in o.equipment for o in a)            # the safety load, though a stop names it
    assert [(o.alert_id, o.level, o.equipment) for o in f] == [(ids["alert"][3], "red", ("bf",))]
    assert [(o.start, o.end) for o in c] == [(D0 + timedelta(hours=6), D0 + timedelta(hours=8))]
    assert none == []


def test_compliance_from_order_to_report(world):
    engine, ids = world
    with engine.connect() as conn:
        rep = alert_compliance(conn, ids["alert"][1], SETTINGS, now=D1 + timedelta(days=1))
        county = alert_compliance(conn, ids["alert"][2], SETTINGS, now=D1 + timedelta(days=1))
    assert not rep.in_force and rep.end == D1
    verdicts = {e.enterprise["name"]: e.verdict for e in rep.enterprises}
    assert verdicts == {"潍坊奎文钢铁有限公司": COMPLIES, "潍坊寒亭钢铁有限公司": BREACH,
                        "潍坊寒亭化工有限公司": COMPLIES, "潍坊东风化工有限公司": NO_DATA}
    ent = {e.enterprise["name"][2:6]: e for e in rep.enterprises}
    a, b, c = ent["奎文钢铁"], ent["寒亭钢铁"], ent["寒亭化工"]
    # A's kiln at 45 % of its baseline in the yellow hours (the orange hours belong to alert 2)
    kiln = [o for o in a.orders if o.order.measure == "limit"]
    assert len(kiln) == 2 and all(abs(o.share - 0.45) < 0.02 for o in kiln)
    assert sum(len(o.hours) for o in kiln) == 18
    # B at its full load: every judged hour above 50 % × 1.1, one finding over the whole day
    (bo,) = b.orders
    assert bo.verdict == BREACH and abs(bo.share - 1.0) < 0.02 and len(bo.findings) == 1
    assert bo.findings[0].code == "PWR-ORDER-LIMIT-EXCEEDED" and bo.baseline_source == "computed"
    # C stopped: no minute running, the whole production side at −100 %
    (co,) = c.orders
    assert co.units[0]["running_minutes"] == 0 and c.stopped and c.change < -0.99
    # the orange county alert: A's mill ran 12:00–13:00 under a stop order
    (ca,) = county.enterprises
    assert ca.verdict == BREACH and ca.stop_running_minutes == 60
    (f,) = [f for o in ca.orders for f in o.findings]
    assert f.code == "PWR-ORDER-STOP-RUNNING" and f.equipment == ("mill",) and f.start.hour == 12
    # the Weifang-style table: by industry and by county
    ind = {g.key: g for g in rep.by_industry}
    assert ind["3110 炼钢"].enterprises == 2 and ind["3110 炼钢"].breaches == 1
    assert ind["2614 有机化学原料制造"].stopped == 2 and ind["2614 有机化学原料制造"].stopped_over == 1
    assert [g.name for g in rep.by_region] == ["寒亭区", "奎文区"]
    assert rep.total.enterprises == 4 and rep.total.judged == 3 and -0.6 < rep.total.change < -0.3


def test_an_alert_in_force_is_judged_so_far(world):
    engine, ids = world
    with engine.connect() as conn:
        rep = alert_compliance(conn, ids["alert"][1], SETTINGS, now=D0 + timedelta(hours=6, minutes=30))
        before = alert_compliance(conn, ids["alert"][1], SETTINGS, now=D0 - timedelta(hours=1))
    assert rep.in_force and rep.end == D0 + timedelta(hours=6, minutes=30)
    b = next(e for e in rep.enterprises if e.enterprise["name"] == "潍坊寒亭钢铁有限公司")
    assert b.verdict == BREACH and len([h for h in b.orders[0].hours if h["judged"]]) == 6
    assert not before.in_force and all(e.verdict == NO_DATA for e in before.enterprises)
