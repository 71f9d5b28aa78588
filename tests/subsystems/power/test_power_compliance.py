"""From the alert and the emission-reduction lists to orders, compliance and the control effect (power
queries.measures, queries.compliance), on SQLite and PostgreSQL (tests/subsystems/power/alert_world.py)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

sys.path.insert(0, str(Path(__file__).parent))

from alert_world import D0, D1, SETTINGS, build  # noqa: E402

from ecosentry.service import prepare_database  # noqa: E402
from ecosentry.store.db import make_engine  # noqa: E402
from ecosentry.subsystems.power.queries.compliance import BREACH, COMPLIES, NO_DATA, alert_compliance  # noqa: E402
from ecosentry.subsystems.power import schema as ps  # noqa: E402
from ecosentry.subsystems.power.engine.engine import PowerEngine  # noqa: E402
from ecosentry.subsystems.power.queries.measures import orders_for  # noqa: E402


def _fill(url: str, _folder) -> dict:
    engine = prepare_database(url)
    ids = build(engine)
    engine.dispose()
    return ids


@pytest.fixture
def world(db_copy):
    """The alert world, built once per database kind for the module; each test on its own copy."""
    url, ids = db_copy("alerts", _fill)
    engine = make_engine(url)
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


def test_an_edited_baseline_judges_the_engine_and_the_compliance_alike(world):
    """One place decides the baseline of an enterprise for an alert (queries.measures.orders_for): B runs at
    100 % of its computed baseline (a breach of its 50 % limit); with an edited baseline of twice that, it is at
    50 %, within 50 % × 1.1, in the live engine and in the compliance read model alike."""
    engine, ids = world
    b_id, yellow = ids["ent"]["B"], ids["alert"][1]
    now = D1 + timedelta(minutes=1)
    pe = PowerEngine(engine, SETTINGS, orders_for=orders_for)
    asyncio.run(pe.pass_once(now))
    assert _limit_findings(engine, b_id) == 1  # computed from the 7 normal days before: a breach
    with engine.connect() as conn:
        (computed,) = _b(alert_compliance(conn, yellow, SETTINGS, now=now)).orders
    hourly = [h["baseline_kwh"] for h in computed.hours[:24]]
    assert computed.baseline_source == "computed" and abs(hourly[0] - 200.0) < 10
    with engine.begin() as conn:
        conn.execute(delete(ps.power_findings))  # judge again from scratch (a new engine, no stored finding)
        conn.execute(insert(ps.power_baselines).values(enterprise_id=b_id, alert_id=yellow, hours_kwh=[400.0] * 24,
                                                       edited_by="wang", edited_at=now, reason="capacity doubled"))
    with engine.connect() as conn:
        (order,) = orders_for(conn, b_id, D0, D1)
        (edited,) = _b(alert_compliance(conn, yellow, SETTINGS, now=now)).orders
        other_alert = orders_for(conn, ids["ent"]["A"], D0, D1)
    assert order.baseline_kwh == (400.0,) * 24
    assert all(o.baseline_kwh is None for o in other_alert)  # another enterprise: its own, computed
    assert edited.baseline_source == "edited" and edited.verdict == COMPLIES and abs(edited.share - 0.5) < 0.02
    asyncio.run(PowerEngine(engine, SETTINGS, orders_for=orders_for).pass_once(now))
    assert _limit_findings(engine, b_id) == 0  # the engine judged it with the same edited baseline


def _limit_findings(engine, enterprise_id: int) -> int:
    f = ps.power_findings
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(f).where(
            f.c.enterprise_id == enterprise_id, f.c.code == "PWR-ORDER-LIMIT-EXCEEDED"))


def _b(report):
    return {e.enterprise["name"]: e for e in report.enterprises}["潍坊寒亭钢铁有限公司"]
