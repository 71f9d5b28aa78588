"""Labelled fault injection (``ecosentry simulate-inject``) and the precision/recall matching of the benchmark."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.subsystems.monitoring.bench.detect_eval import Found, evaluate, f1, match, to_markdown
from ecosentry.subsystems.monitoring.detect import csvinput
from ecosentry.subsystems.monitoring.simulate.inject import (
    FAULT_ALSO, FAULT_CLASSES, FAULT_FAMILY, Label, generate, parse_classes, read_labels, write_set,
)

runner = CliRunner()
UTC = timezone.utc


@pytest.fixture(scope="module")
def full_set():
    """A smaller set than the benchmark's (14 points, 30 days, one injection per class, 2 clean points)."""
    return generate(seed=7, points=14, per_class=1, clean=2)


def test_same_seed_same_labels_and_values():
    a = generate(["constant", "negative", "gap", "spike", "clone"], seed=3, points=8, days=12, per_class=1)
    b = generate(["constant", "negative", "gap", "spike", "clone"], seed=3, points=8, days=12, per_class=1)
    assert [lb.to_json() for lb in a.labels] == [lb.to_json() for lb in b.labels]
    for pa, pb in zip(a.points, b.points):
        assert pa.point == pb.point
        for factor in pa.values:
            np.testing.assert_array_equal(pa.values[factor], pb.values[factor])
    c = generate(["constant", "negative", "gap", "spike", "clone"], seed=4, points=8, days=12, per_class=1)
    assert [lb.to_json() for lb in c.labels] != [lb.to_json() for lb in a.labels]


def test_every_class_is_injected_with_its_family(full_set):
    counts = Counter(lb.fault for lb in full_set.labels)
    assert counts == {fault: 1 for fault in FAULT_CLASSES}
    for lb in full_set.labels:
        assert lb.family == FAULT_FAMILY[lb.fault]
        assert lb.start < lb.end
        assert lb.point not in full_set.clean_points
    assert len(full_set.clean_points) == 2
    media = {p.point: p.medium for p in full_set.points}
    assert {media[lb.point] for lb in full_set.labels if lb.fault in ("o2_stopped", "clone", "param_drift")} == {"gas"}


def test_faults_of_one_point_do_not_overlap(full_set):
    by_point: dict[str, list[Label]] = {}
    for lb in full_set.labels:
        by_point.setdefault(lb.point, []).append(lb)
    for labels in by_point.values():
        labels.sort(key=lambda lb: lb.start)
        for first, second in zip(labels, labels[1:]):
            assert first.end <= second.start


def test_written_files_carry_the_faults(full_set, tmp_path):
    paths = write_set(full_set, tmp_path)
    labels, doc = read_labels(paths["labels"])
    assert [lb.to_json() for lb in labels] == [lb.to_json() for lb in full_set.labels]
    assert doc["clean_points"] == full_set.clean_points
    zone = ZoneInfo(full_set.tz)
    raw = csvinput.read_long(paths["data"], zone)
    limits = csvinput.read_limits(paths["limits"])
    points = {p.point: p for p in csvinput.build_points(raw, tz=full_set.tz, limits=limits,
                                                      ranges=csvinput.read_ranges(paths["ranges"]),
                                                      marks=csvinput.read_detect_marks(paths["marks"], zone),
                                                      parameters=csvinput.read_parameters(paths["parameters"], zone))}
    assert len(points) == len(full_set.points)

    def hourly(lb: Label, factor: str) -> np.ndarray:
        s = points[lb.point].hours[factor]
        t0, t1 = (np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "s") for t in (lb.start, lb.end))
        return s.values[(s.times >= t0) & (s.times < t1)]

    for lb in labels:
        data = points[lb.point]
        if lb.fault == "negative":
            assert (hourly(lb, lb.factors[0]) < 0).all()
        elif lb.fault == "constant":
            assert len(set(hourly(lb, lb.factors[0]).tolist())) == 1
        elif lb.fault == "over_range":
            assert (hourly(lb, lb.factors[0]) > data.ranges[lb.factors[0]][1]).all()
        elif lb.fault in ("gap", "silent_tail", "no_data"):
            assert all(len(hourly(lb, f)) == 0 for f in data.hours)
        elif lb.fault == "param_drift":
            reported = [r for r in data.reported if r[0] == lb.start]
            assert reported and reported[0][3] != data.registered[reported[0][1]][reported[0][2]]
        elif lb.fault == "false_stop_mark":
            assert any(m.type == "stopped" and m.factors is None and m.start == lb.start for m in data.marks)
        elif lb.fault == "marks_exceedance":
            assert len([m for m in data.marks if lb.start <= m.start < lb.end]) == 4
        elif lb.fault == "last_digit":
            thousandths = np.round(hourly(lb, lb.factors[0]) * 1000).astype(int) % 10
            assert set(thousandths.tolist()) <= {0, 5}
    # clean points: no marks, every hour present
    for point in full_set.clean_points:
        assert not points[point].marks
        assert all(len(s) == len(full_set.times) for s in points[point].hours.values())


def test_simulate_inject_command_is_deterministic(tmp_path):
    args = ["simulate-inject", "--inject", "constant,negative,gap", "--points", "6", "--days", "12",
            "--per-class", "1", "--seed", "11"]
    first = runner.invoke(cli.app, args + ["--out", str(tmp_path / "a")])
    second = runner.invoke(cli.app, args + ["--out", str(tmp_path / "b")])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert (tmp_path / "a" / "labels.json").read_bytes() == (tmp_path / "b" / "labels.json").read_bytes()
    assert (tmp_path / "a" / "data.csv").read_bytes() == (tmp_path / "b" / "data.csv").read_bytes()
    doc = json.loads((tmp_path / "a" / "labels.json").read_text(encoding="utf-8"))
    assert sorted(lb["fault"] for lb in doc["labels"]) == ["constant", "gap", "negative"]
    with open(tmp_path / "a" / "limits.csv", newline="", encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["point", "factor", "kind", "limit"]


def test_unknown_fault_class_is_exit_2(tmp_path):
    result = runner.invoke(cli.app, ["simulate-inject", "--inject", "constant,teleport", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "teleport" in result.output
    with pytest.raises(ValueError, match="teleport"):
        parse_classes("teleport")
    assert parse_classes("all") == list(FAULT_CLASSES)


# --------------------------------------------------------------------------- matching arithmetic

T = datetime(2026, 10, 10, 0, 0, tzinfo=UTC)


def label(id_: int, fault: str, point: str, factors: tuple[str, ...], h0: int, h1: int) -> Label:
    return Label(id=id_, fault=fault, family=FAULT_FAMILY[fault], also=FAULT_ALSO[fault], point=point,
                 factors=factors, start=T + timedelta(hours=h0), end=T + timedelta(hours=h1))


def found(code: str, point: str, factor: str, h0: float, h1: float) -> Found:
    return Found.from_json({"code": code, "point": point, "factor": factor,
                            "start": (T + timedelta(hours=h0)).isoformat(),
                            "end": (T + timedelta(hours=h1)).isoformat()})


def test_matching_counts_tp_fp_fn_and_explained():
    labels = [
        label(1, "constant", "P1", ("a34013",), 10, 18),   # found by a constant finding → TP
        label(2, "negative", "P2", ("a21026",), 30, 33),   # nothing finds it → FN
        label(3, "zero_running", "P3", ("w01018",), 5, 10),  # only a constant finding (allowed "also") → FN
    ]
    findings = [
        found("DET-CONST-4H", "P1", "a34013", 11, 17),     # TP for label 1
        found("DET-CONST-4H", "P1", "a21002", 11, 17),     # other factor → FP
        found("DET-NEGATIVE", "P2", "a21026", 40, 41),     # 7 h after the label, beyond ±2 h → FP
        found("DET-CONST-4H", "P3", "w01018", 5, 10),      # secondary match: explained, neither TP nor FP
    ]
    ev = evaluate(findings, labels, codes=["DET-CONST-4H", "DET-NEGATIVE", "DET-ZERO-RUNNING"])
    assert (ev.tp, ev.fp, ev.explained, ev.findings) == (1, 2, 1, 4)
    assert (ev.detected, ev.labels) == (1, 3)
    assert ev.precision == pytest.approx(1 / 3)        # 1 TP / (1 TP + 2 FP)
    assert ev.recall == pytest.approx(1 / 3)           # 1 of 3 labels detected
    assert ev.f1 == pytest.approx(1 / 3)               # 2·(1/3)·(1/3) / (2/3)
    scores = {s.code: s for s in ev.codes}
    const = scores["DET-CONST-4H"]
    assert (const.findings, const.tp, const.fp, const.explained) == (3, 1, 1, 1)
    assert const.precision == pytest.approx(0.5) and const.recall == pytest.approx(1.0)  # 1 constant label, found
    neg = scores["DET-NEGATIVE"]
    assert (neg.tp, neg.fp, neg.precision, neg.recall) == (0, 1, 0.0, 0.0)
    zero = scores["DET-ZERO-RUNNING"]
    assert (zero.findings, zero.precision, zero.recall) == (0, None, 0.0)
    assert [lb.id for lb in ev.missed] == [2, 3]
    classes = {c.fault: c for c in ev.classes}
    assert classes["constant"].recall == 1.0 and classes["negative"].recall == 0.0
    table = to_markdown(ev)
    assert "| `DET-CONST-4H` | constant | 3 | 1 | 1 | 1 | 50 % | 100 % (1/1) | 67 % |" in table
    assert "| **all** | | 4 | 1 | 1 | 2 | **33 %** | **33 %** (1/3) | **33 %** |" in table


def test_match_rules_point_factor_time_family():
    lb = label(1, "gap", "P1", ("*",), 10, 20)
    assert match(found("DET-MISSING-HOUR", "P1", "a21026", 19, 21), lb) == "primary"   # '*' covers factors
    assert match(found("DET-MISSING-HOUR", "P2", "a21026", 19, 21), lb) is None        # other point
    assert match(found("DET-MISSING-HOUR", "P1", "a21026", 21.5, 23), lb) == "primary"  # within +2 h
    assert match(found("DET-MISSING-HOUR", "P1", "a21026", 22.5, 23), lb) is None      # beyond +2 h
    assert match(found("DET-CONST-4H", "P1", "a21026", 12, 14), lb) is None            # unrelated family
    drift = label(2, "param_drift", "P1", ("a01016", "a00000", "*"), 100, 200)
    assert match(found("DET-PARAM-DRIFT", "P1", "", 100, 101), drift) == "primary"     # point-wide finding
    assert f1(None, 0.5) is None and f1(0.0, 0.0) == 0.0 and f1(1.0, 0.5) == pytest.approx(2 / 3)
