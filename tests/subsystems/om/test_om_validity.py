"""A failed calibration invalidates data until the next pass and changes the rates (issue 18 item 3), end to end
with the O&M subsystem installed, on SQLite and PostgreSQL.

Worked example (docs/rules.md, docs/om.md). Point A sends a complete day of minute data (1 December 2026, local
time): SO2 (a21026) and particulate (a34013), 60 valid minutes an hour, 24 valid hours each; the hours, the day and
the rates are computed. Then the O&M engineer files, through O&M's API, the span check of SO2 at 03:00 that drifted
4.0 % F.S. (2.5 % allowed) and the passing check after recalibration at 11:30. The hours are recomputed at once:
03:00–10:00 are wholly out of control, 11:00 keeps 30 valid minutes (< 45): 9 SO2 hours invalid, with the reason
``CN-HOUR-OOC``; the SO2 day keeps 15 valid hours (< 20: an invalid day). The day's rates for SO2: 应收 24, 实收 24,
有效 15: transmission rate 100 %, effective-transmission rate 24/24 × 15/24 = 62.5 % (was 100 %); the point (both
factors summed): 48, 48, 39 → 81.25 % (was 100 %). Point B's checks all pass: nothing of it changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from ecosentry.locale import translations
from ecosentry.pipeline.directory import PointDirectory
from ecosentry.store import schema as s
from ecosentry.store.partitions import ensure_month_partitions
from ecosentry.subsystems.monitoring.pipeline.recompute import recompute_range
from ecosentry.subsystems.monitoring.queries.rates import point_rate_counts
from ecosentry.subsystems.monitoring.rules.cn.rates import RateSettings, rates_from_counts, sum_counts
from ecosentry.subsystems.monitoring.rules.cn.reason_words import reason_text
from omkit import auth, om_server

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 12, 1, tzinfo=SH)
LO, HI = DAY.astimezone(timezone.utc), (DAY + timedelta(days=1)).astimezone(timezone.utc)
FACTORS = ("a21026", "a34013")


def _store_minutes(eng, pids) -> None:
    received = HI + timedelta(minutes=5)
    rows = [{"point_id": p, "factor_code": f, "kind": "min", "period_start": LO + timedelta(minutes=m), "value": 30.0,
             "flag": "N", "cou": 0.025, "received_at": received}
            for p in pids for f in FACTORS for m in range(24 * 60)]
    with eng.begin() as c:
        if c.dialect.name == "postgresql":
            ensure_month_partitions(c, around=DAY.date(), before=1, ahead=1)
        c.execute(s.point_factors.update().where(s.point_factors.c.point_id.in_(pids)).values(assessed=True))
        c.execute(s.points.update().where(s.points.c.id.in_(pids)).values(connected_at=LO, tz="Asia/Shanghai"))
        c.execute(s.observations.insert(), rows)


def _hours(eng, pid: int, factor: str = "a21026") -> dict[int, dict]:
    h = s.hourly_values
    with eng.connect() as c:
        return {r["period_start"].astimezone(SH).hour: dict(r) for r in c.execute(select(h).where(
            h.c.point_id == pid, h.c.factor_code == factor, h.c.period_start >= LO,
            h.c.period_start < HI)).mappings()}


def _day(eng, pid: int, factor: str) -> dict:
    d = s.derived_periods
    with eng.connect() as c:
        return dict(c.execute(select(d).where(d.c.point_id == pid, d.c.factor_code == factor, d.c.period == "day",
                                              d.c.period_start == LO)).mappings().one())


def _rates(eng, pid: int):
    per = dict(point_rate_counts(eng, pid, LO, HI, "Asia/Shanghai", "backfilled", RateSettings(),
                                 now=HI + timedelta(days=1)))
    return per, rates_from_counts(sum_counts([r.counts for r in per.values()]), settings=RateSettings())


def _file(base: str, checks: list[dict]) -> dict:
    r = httpx.post(f"{base}/api/v1/om/calibrations", json=checks, headers=auth("admin"), timeout=120)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_failed_span_check_invalidates_the_hours_until_the_pass_and_lowers_the_rates(om_world):
    eng, st, pts = om_world
    a, b = pts["a"], pts["b"]
    _store_minutes(eng, [a, b])
    recompute_range(eng, PointDirectory(eng), LO, HI, point_ids=[a, b])   # computed before the checks are filed
    per, point = _rates(eng, a)
    assert per["a21026"].effe_trans_rate == 1.0 and point.effe_trans_rate == 1.0
    before_b = (_hours(eng, b), _day(eng, b, "a21026"))

    with om_server(eng, st) as base:
        out = _file(base, [
            {"point_id": a, "factor": "a21026", "time": "2026-12-01T03:00:00+08:00", "kind": "span", "result": "fail",
             "drift_pct": 4.0},
            {"point_id": a, "factor": "a21026", "time": "2026-12-01T11:30:00+08:00", "kind": "span", "result": "pass",
             "drift_pct": 0.8},
            {"point_id": b, "factor": "a21026", "time": "2026-12-01T03:00:00+08:00", "kind": "span", "result": "pass",
             "drift_pct": 1.2},
            {"point_id": b, "factor": "a21026", "time": "2026-12-01T03:05:00+08:00", "kind": "zero", "result": "pass",
             "drift_pct": -0.4}])
        assert out == {"stored": 4, "already": 0, "out_of_control": 0}
        query = {"factor": "a21026", "start": "2026-12-01T00:00:00+08:00", "end": "2026-12-02T00:00:00+08:00",
                 "page_size": 100}
        api = {lang: httpx.get(f"{base}/api/v1/points/{a}/hourly", params=query,
                               headers={**auth("admin"), "Accept-Language": lang}).json()["items"]
               for lang in ("en", "zh", "vi")}

    hours = _hours(eng, a)
    assert sorted(h for h, r in hours.items() if not r["valid"]) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert hours[5]["valid_minutes"] == 0 and hours[5]["received_minutes"] == 60 and hours[5]["flag"] == "N"
    assert hours[11]["valid_minutes"] == 30 and hours[11]["reason"] == (
        "valid minutes 30 < 45; CN-HOUR-OOC: out of control 30 min")
    assert hours[12]["valid"] and hours[12]["reason"] is None
    assert all(r["valid"] for r in _hours(eng, a, "a34013").values())          # the other analyser is in control
    by_api = {lang: {datetime.fromisoformat(i["time"]).hour: i for i in items} for lang, items in api.items()}
    four = by_api["en"][4]
    assert not four["valid"] and four["reason"] == "valid minutes 0 < 45; CN-HOUR-OOC: out of control 60 min"
    # the explanation in the reader's language: the API's reason_text, the point page's reason_text(reason)
    assert four["reason_text"] == ("0 valid minutes, fewer than 45; 60 min measured while the analyser was out of "
                                   "control (a failed zero/span check until the next passing one): invalid data")
    assert by_api["zh"][4]["reason_text"] == reason_text(four["reason"], translations("zh").gettext)
    assert "60 分钟数据测于分析仪失控期间" in by_api["zh"][4]["reason_text"]
    assert "mất kiểm soát" in by_api["vi"][4]["reason_text"]
    assert by_api["zh"][12]["reason_text"] == ""

    day = _day(eng, a, "a21026")
    assert (day["n_valid"], day["valid"]) == (15, False)
    assert _day(eng, a, "a34013")["n_valid"] == 24
    per, point = _rates(eng, a)
    so2 = per["a21026"]
    assert (so2.counts.expected, so2.counts.received, so2.counts.valid_groups) == (24, 24, 15)
    assert so2.trans_rate == 1.0 and so2.effe_trans_rate == 0.625                 # 24/24 × 15/24, was 100 %
    assert (point.counts.expected, point.counts.received, point.counts.valid_groups) == (48, 48, 39)
    assert point.effe_trans_rate == 39 / 48 == 0.8125                             # was 100 %

    # no check failed at point B: its hours and day were not even recomputed
    assert (_hours(eng, b), _day(eng, b, "a21026")) == before_b


def test_the_contracts_answer_for_many_points_equals_the_whole_history_replayed(om_world):
    """``invalid_periods_of_points`` starts from the last zero and span check before the range (cheap on the ingest
    path); on random check series it gives, for every window, the full replay's periods clipped to the window."""
    import random

    from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
    from ecosentry.subsystems.om.store.calibrations import (CheckIn, invalid_periods, invalid_periods_of_points,
                                                            record_checks)

    eng, st, pts = om_world
    rnd = random.Random(18)
    checks, t = [], LO - timedelta(days=20)
    while t < HI + timedelta(days=5):
        for p, f in ((pts["a"], "a21026"), (pts["a"], "a34013"), (pts["b"], "a21026")):
            if rnd.random() < 0.6:
                kind = rnd.choice(("zero", "span"))
                checks.append(CheckIn(p, f, t + timedelta(minutes=rnd.randrange(0, 300)), kind, "pass",
                                      rnd.choice((0.5, 1.0, 1.5, 3.5, 4.0))))
        t += timedelta(hours=7)
    settings = CalibrationSettings()
    now = HI + timedelta(days=5)
    record_checks(eng, checks, source="csv", actor=None, settings=settings, now=now)
    with eng.connect() as c:
        for _ in range(40):
            a = LO - timedelta(days=20) + timedelta(minutes=rnd.randrange(0, 25 * 24 * 60))
            b = a + timedelta(hours=rnd.choice((1, 6, 30, 200)))
            batch = {(p.point_id, p.factor_code, p.start, p.end)
                     for p in invalid_periods_of_points(c, [pts["a"], pts["b"]], a, b, now, settings)}
            whole = {(p, f, max(x, a), min(y, b)) for p, f in ((pts["a"], "a21026"), (pts["a"], "a34013"),
                                                              (pts["b"], "a21026"))
                     for x, y in invalid_periods(c, p, f, a, b, now, settings)}
            assert batch == whole, (a, b)
        assert len(invalid_periods(c, pts["a"], "a21026", LO - timedelta(days=20), now, now, settings)) > 3
