"""The current month to date as a provisional ranking (issue 18 item 6): during November the assessment job
stores November over its days so far, by the same rules, marked provisional; the ranking page, the API and the
reports say so (zh, vi); once November has ended the job's pass of the finished month replaces it. On the
constructed November of ``assesskit``, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi.testclient import TestClient
from sqlalchemy import select

from assesskit import CN, MONTH, NOW, build_november, settings_for_example
from ecosentry.api.app import create_app
from ecosentry.subsystems.om.jobs import assess_pass, provisional_pass
from ecosentry.subsystems.om.schema import om_assessments, om_station_health
from ecosentry.subsystems.om.store.assessment import MonthNotFinished, assess_month_to_date
from omkit import KEYS

MID = datetime(2026, 11, 12, 12, 30, tzinfo=CN)      # Thursday 12 November, 12:30 local


def _stored(eng) -> dict[str, dict]:
    with eng.connect() as c:
        return {code: d for code, d in c.execute(select(om_assessments.c.organisation_id, om_assessments.c.detail)
                                                 .where(om_assessments.c.month == MONTH))}


def test_the_month_to_date_is_scored_by_the_same_rules_and_stored_as_provisional(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    om = settings_for_example(st)
    assert provisional_pass(eng, MID, om) == MONTH
    res = assess_month_to_date(eng, MID, om, store=False)
    qy = next(a for c, _n, a in res.organisations if c == "ORG-QY")
    # 1–12 November to 12:00 local: 11.5 days × 24 h × 2 factors expected
    assert qy.counts.expected == 2 * (11 * 24 + 12)
    # only what happened so far: fault 1 (10 Nov, on site in 5 h, restored in time), three marks all supported,
    # the ten checks of 1–10 Nov with one failure; fault 2 (16 Nov) and the unsupported mark (20 Nov) not yet
    assert (qy.alarm_orders, qy.responded_in_time, qy.repaired_in_time) == (1, 1, 1)
    assert (qy.marks, qy.unsupported_marks, qy.checks, qy.failed_checks) == (3, 0, 10, 1)
    assert qy.overdue == 0
    details = list(_stored(eng).values())
    assert details and all(d["provisional"] and d["until"] == "2026-11-12T04:00:00+00:00" for d in details)
    with eng.connect() as c:
        assert all(d.get("provisional") for d in c.execute(select(om_station_health.c.detail)).scalars())
    # a month that is not the clock's cannot be provisional
    try:
        from ecosentry.subsystems.om.store.assessment import assess_stored_month
        assess_stored_month(eng, "2026-10", om, MID, provisional=True)
        raise AssertionError("October is not the month to date")
    except MonthNotFinished:
        pass


def test_the_finished_month_replaces_the_provisional_one(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    om = settings_for_example(st)
    provisional_pass(eng, datetime(2026, 11, 30, 23, 0, tzinfo=CN), om)
    assert all(d.get("provisional") for d in _stored(eng).values())
    # December: November is finished and assessed for good (the worked example's 76.1), December is to date
    assert assess_pass(eng, NOW, om) == MONTH
    assert not any(d.get("provisional") for d in _stored(eng).values())
    with eng.connect() as c:
        assert sorted(c.execute(select(om_assessments.c.score).where(om_assessments.c.month == MONTH))
                      .scalars()) == [76.1, 98.0]
    assert assess_pass(eng, NOW, om) is None
    assert provisional_pass(eng, NOW, om) == "2026-12"
    assert not any(d.get("provisional") for d in _stored(eng).values())


def test_the_page_and_the_api_say_it_is_provisional(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    provisional_pass(eng, MID, settings_for_example(st))
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        for lang, words in (("zh", ("暂定", "本月尚未结束", "2026-11-12 12:00")),
                            ("vi", ("tạm tính", "Tháng này chưa kết thúc", "2026-11-12 12:00"))):
            # the newest stored month is the default: the month to date
            r = client.get(f"/om/ranking?lang={lang}", headers={"X-API-Key": KEYS["admin"]})
            assert r.status_code == 200 and 'id="provisional"' in r.text
            assert 'data-org="ORG-QY"' in r.text
            for w in words:
                assert w in r.text, (lang, w)
        api = client.get(f"/api/v1/om/assessments?month={MONTH}", headers={"X-API-Key": KEYS["admin"]}).json()
        assert api["provisional"] is True and api["items"][0]["assessment"]["until"]
        pdf = client.get(f"/om/ranking/report.xlsx?month={MONTH}&lang=zh", headers={"X-API-Key": KEYS["admin"]})
        assert pdf.status_code == 200
    # a finished month says nothing of the kind
    assess_pass(eng, NOW, settings_for_example(st))
    with TestClient(create_app(eng, settings=st), follow_redirects=False) as client:
        r = client.get(f"/om/ranking?month={MONTH}&lang=zh", headers={"X-API-Key": KEYS["admin"]})
        assert r.status_code == 200 and 'id="provisional"' not in r.text
    assert NOW.tzinfo is timezone.utc
