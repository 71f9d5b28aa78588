"""Pure parts of the continuous detection job: which alarm a finding raises, when it is current, wording."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ecosentry.alarms.catalogue import ALARM_TYPES
from ecosentry.contracts.catalogue import RULES
from ecosentry.subsystems.monitoring.detect.model import Finding
from ecosentry.subsystems.monitoring.detect.registry import all_codes, all_detectors
from ecosentry.subsystems.monitoring.pipeline.detection import (
    DetectionJob,
    DetectionSettings,
    alarm_type_of,
    group_current,
    offline_threshold,
    summarise_findings,
)
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
from helpers import FLEET  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def finding(code: str, end_h_ago: float, severity: str = "warning", factors=("a21026",)) -> Finding:
    end = NOW - timedelta(hours=end_h_ago)
    return Finding(code, severity, "MN1", tuple(factors), end - timedelta(hours=4), end,
                   f"{code} explained with numbers 35.2 mg/m³.", {"x": 1})


def test_every_detector_code_maps_to_a_registered_alarm_type():
    all_detectors()
    codes = all_codes()
    assert codes, "detectors are registered"
    for code in codes:
        # the alarm type follows the kind; a process change raises none
        if RULES[code].kind == "process_change":
            assert alarm_type_of(code) is None
        else:
            assert alarm_type_of(code) in ALARM_TYPES
    assert alarm_type_of("DET-LOAD-SHIFT") is None
    assert alarm_type_of("DET-STAT-SHIFT") == alarm_type_of("DET-STAT-VARIANCE") == "ALM-DATA-ANOMALY"
    assert alarm_type_of("DET-MISSING-MINUTES") == alarm_type_of("DET-NO-DATA") == "ALM-DATA-MISSING"
    assert alarm_type_of("DET-NEGATIVE") == alarm_type_of("DET-STAT-SPIKE") == "ALM-DATA-ANOMALY"
    assert alarm_type_of("DET-CONST-4H") == alarm_type_of("DET-LIMIT-HUG") == "ALM-FALSIFICATION"


def test_only_findings_ending_within_the_recent_window_are_current():
    old = finding("DET-CONST-4H", 2.5)
    edge = finding("DET-LIMIT-HUG", 2.0)
    fresh = finding("DET-MISSING-HOUR", 0.0)
    groups = group_current([old, edge, fresh], NOW, timedelta(hours=2))
    assert groups == {"ALM-FALSIFICATION": [edge], "ALM-DATA-MISSING": [fresh]}


def test_summary_puts_the_worst_finding_first_and_keeps_all_evidence():
    a = finding("DET-CONST-4H", 0, "warning", ("a21026",))
    b = finding("DET-CLONE", 0, "critical", ("a34013", "a01012"))
    s = summarise_findings("MN1", [a, b])
    assert s["severity"] == "critical"
    assert s["title"] == "MN1: DET-CLONE, DET-CONST-4H"
    assert s["explanation"] == b.explanation + " (+1 more)"
    assert s["factor_codes"] == ["a01012", "a21026", "a34013"]
    assert s["evidence"]["n_findings"] == 2 and [f["code"] for f in s["evidence"]["findings"]] == ["DET-CLONE",
                                                                                                  "DET-CONST-4H"]


def test_offline_threshold_is_n_intervals_with_a_floor():
    assert offline_threshold(1, 3, 10) == timedelta(minutes=10)      # 3 × 1 min < 10-min floor
    assert offline_threshold(10, 3, 10) == timedelta(minutes=30)     # 3 × 10 min
    assert offline_threshold(0, 3, 2) == timedelta(minutes=3)        # interval 0 read as 1 min


def test_info_findings_raise_no_alarm_by_themselves():
    weak = finding("DET-LAST-DIGIT", 0, "info")
    assert group_current([weak], NOW, timedelta(hours=2)) == {}
    assert group_current([weak], NOW, timedelta(hours=2), min_severity="info") == {"ALM-FALSIFICATION": [weak]}


def test_device_faults_are_the_trailing_fault_flagged_records():
    from ecosentry.subsystems.monitoring.detect.model import PointData, Series
    from ecosentry.subsystems.monitoring.pipeline.detection import device_faults

    def minutes(flags):
        times = [NOW - timedelta(minutes=len(flags) - i) for i in range(len(flags))]
        return Series.from_records("a21026", [(t, 20.0, f) for t, f in zip(times, flags)])

    data = PointData("MN1", minutes={"a21026": minutes(["N", "D", "N", "D", "D", "D"])})
    [f] = device_faults(data, NOW, timedelta(hours=2))
    # the trailing run of D starts 3 records before the end: NOW − 3 min … the newest at NOW − 1 min
    assert f == {"factor": "a21026", "flag": "D", "since": NOW - timedelta(minutes=3), "at": NOW - timedelta(minutes=1)}
    # back to normal at the newest record → no fault; a fault older than the recent window → no fault
    assert device_faults(PointData("MN1", minutes={"a21026": minutes(["D", "D", "N"])}), NOW, timedelta(hours=2)) == []
    assert device_faults(data, NOW + timedelta(hours=3), timedelta(hours=2)) == []


async def test_a_point_is_evaluated_at_most_every_point_every_seconds(tmp_path):
    """Fresh points are evaluated when due; a point not due stays pending for a later pass."""
    engine = prepare_database(f"sqlite:///{tmp_path / 'x.sqlite'}")
    import_fleet(engine, FLEET)
    with engine.begin() as c:
        c.execute(s.latest_values.insert(), [{"point_id": 1, "factor_code": "a21026", "kind": "min",
                                              "period_start": NOW - timedelta(minutes=1), "value": 1.0,
                                              "received_at": NOW - timedelta(seconds=30)}])
    job = DetectionJob(engine, DetectionSettings(point_every=300))
    job.last_pass = NOW - timedelta(minutes=1)
    assert (await job.pass_once(NOW))["points"] == 1            # heard since the last pass: evaluated
    assert (await job.pass_once(NOW + timedelta(seconds=60)))["points"] == 0   # not due, nothing new
    with engine.begin() as c:                                   # new data 2 min later: heard, not yet due
        c.execute(s.latest_values.update().values(received_at=NOW + timedelta(seconds=110)))
    assert (await job.pass_once(NOW + timedelta(seconds=120)))["points"] == 0 and job.pending == {1}
    assert (await job.pass_once(NOW + timedelta(seconds=300)))["points"] == 1  # due now: evaluated
    assert job.pending == set()
    engine.dispose()
