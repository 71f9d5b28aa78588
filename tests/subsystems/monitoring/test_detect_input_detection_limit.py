"""The platform's detection input carries the registry's method detection limits (``point_factors.detection_limit``)
to the detectors: a week of hourly NH3-N at its detection limit is DET-AT-DETECTION-LIMIT in the service, as in
``ecosentry detect``; without a registered limit the rule stays silent (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.store.registry import load_point_directory
from ecosentry.subsystems.monitoring.detect.registry import all_detectors, run_detectors
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.pipeline.detect_input import load_point_data

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
HOURS = 24 * 8
MN = "32050600000202"


def _fleet(detection_limit: float | None) -> dict:
    ammonia = {"code": "w21003", "range": [0.0, 20.0]}
    if detection_limit is not None:
        ammonia["detection_limit"] = detection_limit  # HJ 535-2009 (Nessler's reagent): 0.025 mg/L
    return {
        "regions": [{"code": "320506", "name": "吴中区", "level": "county"}],
        "enterprises": [{
            "credit_code": "91320506MA1DLTEST1", "name": "检出限测试污水处理有限公司", "region": "320506",
            "outlets": [{"code": "DW001", "name": "废水总排口", "medium": "water", "points": [{
                "mn": MN, "password": "123456", "st": "32", "min_interval": 10, "connected_at": "2020-01-01",
                "factors": [ammonia, {"code": "w01018", "range": [0.0, 500.0]}, "w00000"]}]}],
        }],
    }


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    yield eng
    eng.dispose()


def _store_hours(engine) -> None:
    """Eight days of valid hourly values: NH3-N at 0.02–0.05 mg/L, COD well above its limit of detection, the
    flow swinging 40–62 m³/h (a twelve-hour cycle) while NH3-N does not follow it: written, not measured."""
    start = NOW - timedelta(hours=HOURS)
    with engine.begin() as c:
        pid = c.execute(s.points.select().where(s.points.c.mn == MN)).first().id
        rows = []
        for i in range(HOURS):
            t = start + timedelta(hours=i)
            for factor, value in (("w21003", 0.02 + 0.03 * ((i * 7) % 11) / 10), ("w01018", 30.0 + (i % 9)),
                                  ("w00000", 40.0 + 2.0 * (i % 12))):
                rows.append({"point_id": pid, "factor_code": factor, "period_start": t, "value": value,
                             "flag": "N", "valid": True, "valid_minutes": 60, "received_minutes": 60,
                             "n_records": 6, "computed_at": NOW})
        c.execute(s.hourly_values.insert(), rows)


def _judge(engine):
    info = load_point_directory(engine)[MN]
    with engine.connect() as conn:
        data = load_point_data(conn, info, NOW)
    return data, run_detectors(data, DetectorSettings(), all_detectors())


def test_a_week_at_the_registered_detection_limit_is_found_by_the_platform(engine):
    import_fleet(engine, _fleet(0.025))
    _store_hours(engine)
    data, findings = _judge(engine)
    assert data.detection_limits == {"w21003": 0.025}
    assert data.registered["w21003"] == {"range_low": 0.0, "range_high": 20.0, "detection_limit": 0.025}
    [f] = [f for f in findings if f.code == "DET-AT-DETECTION-LIMIT"]
    assert f.point == MN and f.factors == ("w21003",)
    assert f.evidence["detection_limit"] == 0.025 and f.evidence["hours"] == HOURS
    assert f.start == NOW - timedelta(hours=HOURS) and f.end == NOW


def test_without_a_registered_detection_limit_the_rule_is_silent(engine):
    import_fleet(engine, _fleet(None))
    _store_hours(engine)
    data, findings = _judge(engine)
    assert data.detection_limits == {} and "detection_limit" not in data.registered["w21003"]
    assert [f for f in findings if f.code == "DET-AT-DETECTION-LIMIT"] == []
