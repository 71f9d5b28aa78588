"""The monthly assessment over the stored data (issue 18 item 6): the constructed November of ``assesskit``
scored, ranked and stored, recomputed idempotently, with settable weights; the stored daily slot counts read by
the core's read model; the job stores the last finished month once; ``ecosentry ops assess``."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from assesskit import CN, MONTH, NOW, build_november, local, settings_for_example
from ecosentry.store.queries.day_counts import day_slot_counts
from ecosentry.subsystems.om.queries.assessment import month_bounds
from ecosentry.subsystems.om.rules.assessment import FORMULA
from ecosentry.subsystems.om.schema import om_assessments, om_station_health
from ecosentry.subsystems.om.store.assessment import (MonthNotFinished, assess_stored_month, last_finished_month)


def test_the_stored_days_give_the_slot_counts(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    t0, t1 = month_bounds(MONTH, CN)
    with eng.connect() as c:
        counts = day_slot_counts(c, [pts["a"], pts["b"]], t0, t1)
    assert counts[pts["a"]] == (1440, 1436, 1428)
    assert counts[pts["b"]] == (0, 0, 0)        # never sent data, no connection time: owes nothing yet


def test_the_constructed_month_scores_as_worked_out(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    om = settings_for_example(st)
    res = assess_stored_month(eng, MONTH, om, NOW)
    (code1, _n1, li), (code2, _n2, qy) = res.organisations
    assert (code1, code2) == ("ORG-LI", "ORG-QY")
    assert qy.counts.expected == 1440 and qy.counts.received == 1436 and qy.counts.valid == 1428
    assert qy.components == {"eff": round(1436 / 1440 * 1428 / 1440, 4), "response": 0.5, "repair": 0.5,
                             "marks": 0.8, "calibration": 0.9}
    assert (qy.alarm_orders, qy.responded_in_time, qy.repaired_in_time) == (2, 1, 1)
    assert (qy.marks, qy.unsupported_marks, qy.checks, qy.failed_checks, qy.overdue) == (5, 1, 10, 1, 2)
    # 100 × (0.4·0.98891 + 0.15·0.5 + 0.15·0.5 + 0.15·0.8 + 0.15·0.9) − 2·2 = 76.06
    assert qy.score == 76.1 and qy.grade == "良" and qy.formula == FORMULA
    assert qy.mean_response_hours == round((5 + 48) / 2, 2)
    assert qy.mean_repair_hours == round((10 + (11 * 24 + 3)) / 2, 2)
    assert li.score == 98.0 and li.grade == "优" and li.overdue == 1
    health = {p: a.grade for _c, p, a in res.stations}
    assert health == {pts["a"]: "red", pts["b"]: "green"}     # A: an unsupported mark, data out of control
    codes = sorted(f.code for f in res.findings if f.point == str(pts["a"]))
    assert codes.count("OM-MARK-NO-ORDER") == 1 and codes.count("OM-MARK-NO-DOOR") == 1
    assert "OM-CAL-OUT-OF-CONTROL" in codes and "OM-DOOR-UNEXPLAINED" not in codes
    with eng.connect() as c:
        stored = {r.organisation_id: r for r in c.execute(select(om_assessments))}
        assert sorted((r.rank, r.score, r.grade) for r in stored.values()) == [(1, 98.0, "优"), (2, 76.1, "良")]
        detail = next(r.detail for r in stored.values() if r.rank == 2)
        assert detail["weights"] == {"eff": 0.4, "response": 0.15, "repair": 0.15, "marks": 0.15,
                                     "calibration": 0.15}
        assert detail["findings"]["OM-WO-OVERDUE"] == 1 and detail["findings"]["OM-PLAN-OVERDUE"] == 1


def test_recomputing_a_month_replaces_its_rows_and_weights_are_settings(om_world):
    eng, st, pts = om_world
    build_november(eng, pts)
    om = settings_for_example(st)
    assess_stored_month(eng, MONTH, om, NOW)
    assess_stored_month(eng, MONTH, om, NOW)
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(om_assessments)).scalar() == 2
        assert c.execute(select(func.count()).select_from(om_station_health)).scalar() == 2
    # only the effective-transmission rate weighs: 100 × 0.98891 − 4 = 94.9
    om.assessment.weights.response = om.assessment.weights.repair = 0
    om.assessment.weights.marks = om.assessment.weights.calibration = 0
    res = assess_stored_month(eng, MONTH, om, NOW)
    qy = next(a for c, _n, a in res.organisations if c == "ORG-QY")
    assert qy.score == 94.9 and qy.grade == "优"
    with eng.connect() as c:
        assert c.execute(select(om_assessments.c.score).order_by(om_assessments.c.score)).scalars().all() == [94.9, 98.0]


def test_an_unfinished_month_is_refused(om_world):
    eng, st, pts = om_world
    with pytest.raises(MonthNotFinished):
        assess_stored_month(eng, "2026-12", st.om, NOW)
    assert last_finished_month(NOW, CN) == "2026-11"
    assert last_finished_month(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc), CN) == "2026-11"


def test_the_job_stores_the_last_finished_month_once(om_world):
    from ecosentry.subsystems.om.jobs import assess_pass

    eng, st, pts = om_world
    build_november(eng, pts)
    om = settings_for_example(st)
    assert assess_pass(eng, NOW, om) == "2026-11"
    assert assess_pass(eng, NOW, om) is None          # stored: nothing to do
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(om_assessments)).scalar() == 2


def _cli(args: list[str], db_url: str, tmp_path, **env) -> subprocess.CompletedProcess:
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
           "LANGUAGE": "zh", "LC_ALL": "", **env}
    return subprocess.run([sys.executable, "-m", "ecosentry", "ops", "assess", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_ops_assess_command(om_world, db_url, tmp_path):
    eng, st, pts = om_world
    build_november(eng, pts)
    env = {"ECOSENTRY_OM__DEADLINES__PLAN_DAYS": '{"weekly_inspection": 7}',
           "ECOSENTRY_OM__CALIBRATION__INTERVAL_HOURS": '{"gas": 720, "particulate": 720}'}
    r = _cli(["--month", MONTH], db_url, tmp_path, **env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("2026-11") and lines[1].startswith("得分 = 100 × (0.4·E + 0.15·R")
    rows = [line for line in lines if "(ORG-" in line]  # the ranking, by the organisations' names
    assert "(ORG-LI)" in rows[0] and "98.0" in rows[0] and "优" in rows[0] and rows[0].split()[0] == "1"
    assert "(ORG-QY)" in rows[1] and "76.1" in rows[1] and "良" in rows[1]
    assert "排名" in r.stdout and "运维机构" in r.stdout and "E = 有效传输率" in r.stdout
    with eng.connect() as c:
        assert c.execute(select(func.count()).select_from(om_assessments)).scalar() == 2
    for bad in ("2026-13", "2099-01"):
        r = _cli(["--month", bad], db_url, tmp_path, **env)
        assert r.returncode == 2 and bad in r.stderr
