"""The point-wide automatic 通讯中断 marks of many points at once (``sync_points_gap_marks``, the worker's flush):
each point's marks are what the rule gives on its own minutes, whatever the other points sent; a second run
changes nothing; a back-fill of one point removes its mark only; a point whose marks cannot be written loses
only its own (issue 19: the flush in proportion to what changed, not a transaction per point)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring.bench.recompute_db import OBS, _insert
from ecosentry.subsystems.monitoring.rules.cn.marks import auto_gap_marks
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.monitoring.store.marks import sync_point_gap_marks, sync_points_gap_marks

T0 = datetime(2026, 11, 10, 0, 0, tzinfo=timezone.utc)
W0, W1 = T0, T0 + timedelta(hours=2)
#: minutes each point is silent in [W0, W1) (all its factors); point index → holes [start, end) in minutes
HOLES = {0: [], 1: [(10, 30)], 2: [(50, 70), (95, 111)], 3: [(0, 20)], 4: [(100, 120)], 5: [(40, 55)]}


@pytest.fixture
def fleet_engine(db_url):
    eng = prepare_database(db_url)
    import_fleet(eng, demo_fleet(12, seed=11))
    yield eng
    eng.dispose()


def _points(engine) -> list[tuple[int, int, list[str]]]:
    """Minute points: (id, min_interval, monitored factors), first six by id."""
    with engine.connect() as c:
        pts = c.execute(select(s.points.c.id, s.points.c.min_interval).where(s.points.c.min_interval == 1)
                        .order_by(s.points.c.id)).all()
        pf = s.point_factors
        out = []
        for pid, step in pts[: len(HOLES)]:
            out.append((pid, step, sorted(c.execute(select(pf.c.factor_code).where(pf.c.point_id == pid)).scalars())))
    assert len(out) == len(HOLES), "the demo fleet has six points of minute data"
    return out


def _minutes(holes: list[tuple[int, int]]) -> list[int]:
    return [k for k in range(120) if not any(a <= k < b for a, b in holes)]


def _store(engine, pid: int, factors: list[str], minutes: list[int]) -> None:
    now = datetime.now(timezone.utc)
    row = dict.fromkeys(OBS)
    rows = []
    for f in factors:
        for k in minutes:
            r = row | {"point_id": pid, "factor_code": f, "kind": "min", "period_start": T0 + timedelta(minutes=k),
                       "value": 1.0, "flag": "N", "received_at": now}
            rows.append(tuple(r[c] for c in OBS))
    _insert(engine, rows)


def _auto_marks(engine) -> dict[int, list[tuple[datetime, datetime, str | None]]]:
    m = s.marks
    out: dict[int, list] = {}
    with engine.connect() as c:
        for r in c.execute(select(m.c.point_id, m.c.start, m.c.end, m.c.factor_codes).where(
                m.c.source == "auto", m.c.deleted_at.is_(None)).order_by(m.c.point_id, m.c.start)):
            out.setdefault(r.point_id, []).append((r.start, r.end, r.factor_codes))
    return out


def test_each_point_gets_the_marks_of_its_own_minutes(fleet_engine):
    pts = _points(fleet_engine)
    for (pid, _step, factors), holes in zip(pts, HOLES.values()):
        # the first factor keeps sending through the first 3 minutes of the point's holes: the logger communicated
        _store(fleet_engine, pid, factors[1:], _minutes(holes))
        _store(fleet_engine, pid, factors[:1], _minutes([(a + 3, b) for a, b in holes]))
    windows = {pid: (W0, W1) for pid, _s, _f in pts}
    done = sync_points_gap_marks(fleet_engine, windows)
    assert done.failed == {}
    got = _auto_marks(fleet_engine)
    marked = []
    for (pid, step, factors), holes in zip(pts, HOLES.values()):
        union = [T0 + timedelta(minutes=k) for k in _minutes([(a + 3, b) for a, b in holes])]
        expected = [(a, b, ",".join(factors)) for a, b in auto_gap_marks(union, step, W0, W1, 15)]
        assert got.get(pid, []) == expected, pid
        if expected:
            marked.append(pid)
    # holes of 17 minutes once the first factor's 3 are left out: points 1, 2 (one of its two), 3 and 4 (cut by the
    # window's end); point 2's second hole (13) and point 5's (12) are too short
    assert marked == [pts[i][0] for i in (1, 2, 3, 4)] and sorted(done.changes) == marked
    assert all(len(c["created"]) == 1 and not c["updated"] and not c["deleted"] for c in done.changes.values())
    # idempotent: nothing to do the second time
    again = sync_points_gap_marks(fleet_engine, windows)
    assert again.changes == {} and again.failed == {}
    # one point back-fills its hole: its mark goes, the others stay
    pid1, _step, factors1 = pts[1]
    _store(fleet_engine, pid1, factors1[:1], list(range(13, 30)))
    third = sync_points_gap_marks(fleet_engine, windows)
    assert list(third.changes) == [pid1] and len(third.changes[pid1]["deleted"]) == 1
    after = _auto_marks(fleet_engine)
    assert pid1 not in after and {p: v for p, v in after.items()} == {p: v for p, v in got.items() if p != pid1}


def test_the_single_point_call_is_the_same_rule(fleet_engine):
    pid, step, factors = _points(fleet_engine)[2]
    _store(fleet_engine, pid, factors, _minutes(HOLES[2]))
    res = sync_point_gap_marks(fleet_engine, pid, None, W0, W1, only_minute_factors=True)
    assert len(res["created"]) == 2
    union = [T0 + timedelta(minutes=k) for k in _minutes(HOLES[2])]
    assert _auto_marks(fleet_engine)[pid] == [(a, b, ",".join(factors)) for a, b in auto_gap_marks(union, step, W0, W1)]
    assert sync_point_gap_marks(fleet_engine, pid, None, W0, W1, only_minute_factors=True) == {
        "created": [], "updated": [], "deleted": []}


def test_a_point_whose_marks_cannot_be_written_loses_only_its_own(fleet_engine):
    if fleet_engine.dialect.name != "postgresql":
        pytest.skip("the refusing trigger is PostgreSQL's")
    pts = _points(fleet_engine)
    for (pid, _step, factors), holes in zip(pts, HOLES.values()):
        _store(fleet_engine, pid, factors, _minutes(holes))
    bad = pts[1][0]
    with fleet_engine.begin() as c:  # the database refuses the marks of one point
        c.execute(text(
            "CREATE FUNCTION refuse_marks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.point_id = {bad} THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$"))
        c.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON marks FOR EACH ROW EXECUTE FUNCTION refuse_marks()"))
    done = sync_points_gap_marks(fleet_engine, {pid: (W0, W1) for pid, _s, _f in pts})
    assert list(done.failed) == [bad] and "refused for the test" in str(done.failed[bad])
    got = _auto_marks(fleet_engine)
    assert bad not in got
    # the others each as the rule says
    for (pid, step, factors), holes in list(zip(pts, HOLES.values()))[2:]:
        union = [T0 + timedelta(minutes=k) for k in _minutes(holes)]
        assert got.get(pid, []) == [(a, b, ",".join(factors)) for a, b in auto_gap_marks(union, step, W0, W1)]
