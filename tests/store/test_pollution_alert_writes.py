"""Heavy-pollution alerts: issue, correct, change level (a new alert from the change), lift; each audited;
refusals as sentences naming the field, on SQLite and PostgreSQL (column lengths)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import pollution_alerts as pa
from ecosentry.store.queries import pollution_alerts as q

UTC = timezone.utc
REGIONS = {"regions": [
    {"code": "140000", "name": "山西省", "level": "province"},
    {"code": "141000", "name": "临汾市", "level": "city", "parent": "140000"},
    {"code": "141002", "name": "尧都区", "level": "county", "parent": "141000"},
    {"code": "141081", "name": "侯马市", "level": "county", "parent": "141000"},
]}
T0 = datetime(2026, 12, 6, 12, tzinfo=UTC)   # 20:00 Beijing time
COUNTY = frozenset({"141002"})


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    import_fleet(eng, REGIONS)
    yield eng
    eng.dispose()


def _issue(engine, **kw):
    args = dict(region_code="141000", level="orange", starts_at=T0, ends_at=T0 + timedelta(days=3),
                issued_by="临汾市重污染天气应急指挥部", document="临重应急〔2026〕12号", actor="city")
    args.update(kw)
    return pa.issue(engine, **args)


def _audit(engine, alert_id):
    with engine.connect() as conn:
        return q.alert_history(conn, alert_id)


def test_issue_covers_the_subtree_and_is_audited(engine):
    aid = _issue(engine)
    with engine.connect() as conn:
        assert [a["id"] for a in q.alerts_in_force(conn, "141081", T0 + timedelta(hours=1))] == [aid]
        assert q.alerts_in_force(conn, "141081", T0 - timedelta(minutes=1)) == []
        assert q.alerts_in_force(conn, "140000", T0 + timedelta(hours=1)) == []   # not above the city
        row = q.alert_detail(conn, aid)
    assert row["region_name"] == "临汾市" and row["document"] == "临重应急〔2026〕12号"
    history = _audit(engine, aid)
    assert [(h["action"], h["actor"]) for h in history] == [("create", "city")]
    assert history[0]["after"]["level"] == "orange"


@pytest.mark.parametrize("kw, field, words", [
    (dict(ends_at=T0 - timedelta(hours=1)), "ends_at", "must be after the start"),
    (dict(ends_at=T0), "ends_at", "must be after the start"),
    (dict(level="purple"), "level", "unknown alert level"),
    (dict(region_code="999999"), "region_code", "no region"),
    (dict(region_code="1410000000000000"), "region_code", "no region"),
    (dict(issued_by="   "), "issued_by", "required"),
    (dict(issued_by="指" * 201), "issued_by", "at most 200 characters"),
    (dict(document="号" * 101), "document", "at most 100 characters"),
    (dict(note="x" * (pa.MAX_NOTE + 1)), "note", "at most 2000"),
    (dict(starts_at=datetime(2026, 12, 6, 20)), "starts_at", "time zone"),
    (dict(region_code="141000", scope=COUNTY), "region_code", "outside your area"),
])
def test_refusals_name_the_field_and_change_nothing(engine, kw, field, words):
    with pytest.raises(pa.AlertError) as exc:
        _issue(engine, **kw)
    assert exc.value.field == field and words in str(exc.value)
    with engine.connect() as conn:
        assert q.alert_list(conn, None, when=None, at=T0)[1] == 0


def test_longest_values_fit_the_columns(engine):
    aid = _issue(engine, issued_by="指" * 200, document="号" * 100, note="注" * pa.MAX_NOTE)
    row = pa.get(engine, aid)
    assert len(row["issued_by"]) == 200 and len(row["document"]) == 100 and len(row["note"]) == pa.MAX_NOTE


def test_county_regulator_issues_for_its_county_only(engine):
    aid = _issue(engine, region_code="141002", scope=COUNTY, level="red", actor="county")
    with engine.connect() as conn:
        assert [a["id"] for a in q.alerts_in_force(conn, "141002", T0)] == [aid]
        assert q.alerts_in_force(conn, "141081", T0) == []
    city = _issue(engine)   # the city's orange alert over the county's red one: both in force, red first
    with engine.connect() as conn:
        assert [a["id"] for a in q.alerts_in_force(conn, "141002", T0)] == [aid, city]
    with pytest.raises(pa.AlertNotFound):   # the county may not lift the city's alert
        pa.lift(engine, city, actor="county", scope=COUNTY, now=T0 + timedelta(hours=1))


def test_same_region_overlap_is_refused(engine):
    _issue(engine, ends_at=None)
    with pytest.raises(pa.AlertConflict) as exc:
        _issue(engine, starts_at=T0 + timedelta(days=5), ends_at=T0 + timedelta(days=6))
    assert exc.value.field == "starts_at" and "already covers" in str(exc.value)


def test_upgrade_ends_the_running_alert_and_begins_the_next(engine):
    aid = _issue(engine, level="yellow")
    at = T0 + timedelta(hours=12)
    new = pa.change_level(engine, aid, level="red", at=at, document="临重应急〔2026〕13号", actor="city")
    with engine.connect() as conn:
        assert [a["level"] for a in q.alerts_in_force(conn, "141002", at - timedelta(minutes=1))] == ["yellow"]
        assert [a["id"] for a in q.alerts_in_force(conn, "141002", at)] == [new]
        new_row = q.alert(conn, new)
        assert new_row["ends_at"] == T0 + timedelta(days=3) and new_row["issued_by"] == "临汾市重污染天气应急指挥部"
        assert [r["id"] for r in q.episode(conn, aid)] == [aid, new] == [r["id"] for r in q.episode(conn, new)]
    old = _audit(engine, aid)
    assert [h["action"] for h in old] == ["create", "upgrade"] and old[-1]["after"]["continued_by"] == new
    assert _audit(engine, new)[0]["after"]["continues"] == aid
    back = pa.change_level(engine, new, level="orange", at=at + timedelta(hours=6), actor="city")
    assert _audit(engine, new)[-1]["action"] == "downgrade"
    with pytest.raises(pa.AlertError) as exc:
        pa.change_level(engine, back, level="orange", at=at + timedelta(hours=7), actor="city")
    assert "already at this level" in str(exc.value)
    with pytest.raises(pa.AlertConflict):   # an ended alert has no level to change
        pa.change_level(engine, aid, level="red", at=at + timedelta(hours=7), actor="city")


def test_correct_and_lift(engine):
    aid = _issue(engine)
    now = T0 + timedelta(hours=2)
    saved = pa.correct(engine, aid, {"document": "临重应急〔2026〕12号（更正）", "ends_at": None}, actor="city", now=now)
    assert saved["ends_at"] is None
    with pytest.raises(pa.AlertConflict):   # begun: the level changes through a new notice
        pa.correct(engine, aid, {"level": "red"}, actor="city", now=now)
    with pytest.raises(pa.AlertError) as exc:
        pa.lift(engine, aid, at=now + timedelta(hours=1), actor="city", now=now)
    assert "future" in str(exc.value)
    lifted = pa.lift(engine, aid, at=now, actor="city", note="临重应急〔2026〕14号 解除", now=now)
    assert lifted["lifted_at"] == now and "14号" in lifted["note"]
    with engine.connect() as conn:
        assert q.alerts_in_force(conn, "141002", now) == []
        assert q.status(q.alert(conn, aid), now) == "lifted"
    with pytest.raises(pa.AlertConflict):
        pa.lift(engine, aid, actor="city", now=now + timedelta(hours=1))
    assert [h["action"] for h in _audit(engine, aid)] == ["create", "update", "lift"]


def test_a_scheduled_alert_lifted_before_it_begins_is_cancelled(engine):
    aid = _issue(engine, level="yellow")
    now = T0 - timedelta(hours=3)
    assert pa.correct(engine, aid, {"level": "red", "starts_at": T0 + timedelta(hours=1)}, actor="city",
                      now=now)["level"] == "red"
    pa.lift(engine, aid, actor="city", now=now)
    with engine.connect() as conn:
        row = q.alert(conn, aid)
        assert q.status(row, T0 + timedelta(hours=2)) == "cancelled"
        assert q.alert_list(conn, None, when="past", at=now)[1] == 1
        assert q.alerts_overlapping(conn, T0, T0 + timedelta(days=1)) == []
    _issue(engine)  # the cancelled alert leaves the period free


def test_status_is_a_pure_function_of_the_row():
    row = {"starts_at": T0, "ends_at": T0 + timedelta(days=1), "lifted_at": None}
    assert [q.status(row, T0 + timedelta(hours=h)) for h in (-1, 0, 23, 24)] == \
        ["scheduled", "in_force", "in_force", "ended"]
    assert q.status({**row, "ends_at": None}, T0 + timedelta(days=400)) == "in_force"


def test_lists_by_state_and_the_regions_that_see_them(engine):
    past = _issue(engine, starts_at=T0 - timedelta(days=10), ends_at=T0 - timedelta(days=8))
    now_ = _issue(engine, region_code="141002", level="red")
    later = _issue(engine, region_code="141081", starts_at=T0 + timedelta(days=5), ends_at=None)
    at = T0 + timedelta(hours=1)
    with engine.connect() as conn:
        ids = lambda when, regions=None: [r["id"] for r in q.alert_list(conn, regions, when=when, at=at)[0]]  # noqa
        assert ids("in_force") == [now_] and ids("scheduled") == [later] and ids("past") == [past]
        county = q.concerned_regions(conn, ["141081"])
        assert county == {"141081", "141000", "140000"}
        assert ids(None, county) == [later, past]
        assert q.enterprise_regions(conn, []) == set()
        assert [r["id"] for r in q.banner_alerts(conn, {"141002", "141000"}, at)] == [now_]
