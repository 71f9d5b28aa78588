"""The honest-set scorer on hand-made cases: matching by point, factor and time, and the arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ecosentry.subsystems.monitoring.bench.honest_eval import Judged, overlaps, score, to_markdown, write_section
from ecosentry.subsystems.monitoring.simulate.inject import Label

T0 = datetime(2026, 10, 5, tzinfo=timezone.utc)


def h(x: float) -> datetime:
    return T0 + timedelta(hours=x)


def label(i, point, factors, a, b, fault="narrow_band"):
    return Label(id=i, fault=fault, family="x", also=(), point=point, factors=tuple(factors), start=h(a), end=h(b))


def found(code, point, factor, a, b, severity="warning", kind="falsification"):
    return Judged(code=code, severity=severity, kind=kind, point=point,
                  factors=frozenset(x for x in factor.split(",") if x), start=h(a), end=h(b))


def test_overlap_needs_point_factor_and_time():
    lb = label(1, "P1", ["a21026"], 10, 20)
    assert overlaps(found("C", "P1", "a21026", 19, 21), lb)
    assert overlaps(found("C", "P1", "a21026,a21002", 20.5, 22), lb)  # within the 1 h tolerance
    assert not overlaps(found("C", "P1", "a21026", 21.5, 22), lb)
    assert not overlaps(found("C", "P2", "a21026", 12, 13), lb)
    assert not overlaps(found("C", "P1", "a21002", 12, 13), lb)
    assert overlaps(found("C", "P1", "", 12, 13), lb)  # a point-wide finding
    assert overlaps(found("C", "P1", "a01011", 12, 13), label(2, "P1", ["*"], 10, 20))  # a point-wide label


def test_precision_recall_and_clean_rates():
    labels = [
        label(1, "P1", ["a21026"], 10, 20),
        label(2, "P2", ["w01018"], 30, 40, fault="capped_peaks"),
        label(3, "P3", ["w01018"], 30, 40, fault="clone_source"),  # context only
    ]
    findings = [
        found("A", "P1", "a21026", 12, 13),                           # TP, detects 1
        found("A", "P1", "a21026", 14, 15),                           # TP again
        found("A", "P9", "a21026", 12, 13),                           # FP on a clean point
        found("B", "P2", "w01018", 35, 36, kind="statistical"),       # TP, but not a falsification sign
        found("B", "P9", "w01018", 1, 2, kind="statistical", severity="info"),  # FP, clean, info
        found("A", "P3", "w01018", 31, 32),                           # explained by the context label
        found("A", "P2", "w21003", 35, 36),                           # FP: other factor
    ]
    s = score(findings, labels, clean_points=["P9", "P8"], days=5)
    assert s.labels == 2  # the context label is not counted
    assert (s.all.findings, s.all.tp, s.all.explained, s.all.fp) == (7, 3, 1, 3)
    assert s.all.precision == pytest.approx(3 / 6)
    assert s.detected_any == 2 and s.recall_any == 1.0
    # falsification signs: the five A findings: 2 TP, 1 explained, 2 FP; they detect label 1 only
    assert (s.falsification.findings, s.falsification.tp, s.falsification.fp) == (5, 2, 2)
    assert s.falsification_precision == pytest.approx(0.5)
    assert s.falsification_recall == pytest.approx(0.5)
    # clean point-days: 2 clean points × 5 days; findings on clean points: 2 (1 at warning or above)
    assert s.clean_point_days == 10
    assert s.per_clean_point_day == pytest.approx(0.2)
    assert s.warning_per_clean_point_day == pytest.approx(0.1)
    rows = {r.code: r for r in s.codes}
    assert (rows["A"].all.tp, rows["A"].all.fp, rows["A"].detected) == (2, 2, 1)
    assert (rows["B"].all.tp, rows["B"].all.fp, rows["B"].warning.findings, rows["B"].detected) == (1, 1, 1, 1)
    classes = {c.fault: c for c in s.classes}
    assert (classes["capped_peaks"].detected, classes["capped_peaks"].detected_falsification) == (1, 0)
    assert [lb.id for lb in s.missed] == []
    text = to_markdown(s)
    assert "| `A` | falsification | warning | 5 | 2 | 2 | 50 % | 50 % (1/2) | 0.100 |" in text


def test_kind_falls_back_to_the_code_family():
    base = {"severity": "warning", "point": "P", "factor": "a21026", "start": "2026-10-05T00:00:00Z",
            "end": "2026-10-05T01:00:00Z"}
    assert Judged.from_json({**base, "code": "DET-STAT-SHIFT"}).kind == "statistical"
    assert Judged.from_json({**base, "code": "DET-MISSING-HOUR"}).kind == "data_quality"
    assert Judged.from_json({**base, "code": "DET-CLONE"}).falsification
    assert not Judged.from_json({**base, "code": "DET-CLONE", "kind": "process_change"}).falsification


def test_write_section_replaces_only_its_own_section(tmp_path):
    path = tmp_path / "b.md"
    write_section(path, "injected", "first table")
    write_section(path, "honest", "second table")
    write_section(path, "injected", "third table")
    text = path.read_text(encoding="utf-8")
    assert "third table" in text and "second table" in text and "first table" not in text
    assert text.index("third table") < text.index("second table")
