"""NAB scorer (ecosentry.subsystems.monitoring.detect.nab) on hand-made cases, the arithmetic written out.

Scaled sigmoid σ(y) = 2 / (1 + e^{5y}) - 1 = tanh(-5y/2) (Lavin & Ahmad 2015, eq. 1).
σ(-1) = tanh(2.5) = 0.98661429815; a TP scores A_TP · σ(y) / σ(-1).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from ecosentry.subsystems.monitoring.detect import nab

NAB_DIR = Path("/work/shared/nab")
STANDARD = nab.CostProfile("standard", tp=1.0, fp=0.11, fn=1.0)
LOW_FN = nab.CostProfile("reward_low_FN", tp=1.0, fp=0.11, fn=2.0)

# 100 one-minute rows; one window over rows 40..49 (10 rows).
TIMES = np.datetime64("2024-01-01T00:00:00", "s") + np.arange(100).astype("timedelta64[m]").astype("timedelta64[s]")
WINDOW = [(TIMES[40], TIMES[49])]
SIGMA_M1 = math.tanh(2.5)  # σ(-1) = 0.98661...


def _score(detections, profile=STANDARD, probation=0, windows=WINDOW):
    return nab.score_series("t/x.csv", TIMES, detections, windows, profile, probation=probation)


def test_scaled_sigmoid_values():
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(0.98661429815)
    assert nab.scaled_sigmoid(0.0) == pytest.approx(0.0)
    assert nab.scaled_sigmoid(1.0) == pytest.approx(-0.98661429815)
    assert nab.scaled_sigmoid(3.5) == -1.0  # beyond y = 3 an FP costs the full weight


def test_detection_at_window_start_scores_one():
    # i = 40 (first row): y = -(49 - 40 + 1) / 10 = -1 → σ(-1) / σ(-1) = 1.
    s = _score([40])
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    assert s.raw == pytest.approx(1.0)


def test_detection_at_window_end_scores_little():
    # i = 49 (last row): y = -(49 - 49 + 1) / 10 = -0.1 → σ(-0.1) = tanh(0.25) = 0.244919;
    # / σ(-1) = 0.244919 / 0.986614 = 0.248242.
    s = _score([49])
    assert s.raw == pytest.approx(math.tanh(0.25) / SIGMA_M1)
    assert s.raw == pytest.approx(0.248242, abs=1e-6)


def test_only_the_first_detection_in_a_window_counts():
    # 45: y = -(49 - 45 + 1)/10 = -0.5 → tanh(1.25)/tanh(2.5) = 0.848283/0.986614 = 0.859791; 47 and 49 ignored.
    s = _score([45, 47, 49])
    assert (s.tp, s.fp) == (1, 0)
    assert s.raw == pytest.approx(math.tanh(1.25) / SIGMA_M1)
    assert s.first_hits == [45]


def test_false_positive_before_the_window_and_missed_window():
    # FP at row 10 (no preceding window) costs -A_FP = -0.11; the window is missed: -A_FN = -1 → -1.11.
    s = _score([10])
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    assert s.raw == pytest.approx(-1.11)


def test_false_positive_after_the_window_weighted_by_distance():
    # TP at 40 = +1. FP at 58: y = |58 - 49| / (10 - 1) = 1 → σ(1) = -0.986614 → × 0.11 = -0.108528.
    s = _score([40, 58])
    assert s.raw == pytest.approx(1.0 + 0.11 * -math.tanh(2.5))
    # FP at 50 (right after): y = 1/9 → σ = -tanh(5/18) = -0.270855 → × 0.11 = -0.029794.
    s = _score([40, 50])
    assert s.raw == pytest.approx(1.0 - 0.11 * math.tanh(5.0 / 18.0))
    # FP at 99: y = 50/9 > 3 → -1 × 0.11.
    s = _score([40, 99])
    assert s.raw == pytest.approx(1.0 - 0.11)


def test_missed_window_costs_the_profile_fn_weight():
    assert _score([]).raw == pytest.approx(-1.0)
    assert _score([], profile=LOW_FN).raw == pytest.approx(-2.0)


def test_probationary_detections_are_not_scored():
    # probation 15 rows: the detection at row 10 is ignored, only the missed window counts.
    s = _score([10], probation=15)
    assert (s.fp, s.fn) == (0, 1)
    assert s.raw == pytest.approx(-1.0)
    # NAB's probationary length: min(floor(0.15 n), 0.15 × 5000).
    assert nab.probation_length(4032) == 604  # floor(604.8)
    assert nab.probation_length(22695) == 750  # capped


def test_normalised_null_zero_perfect_hundred():
    windows2 = [(TIMES[20], TIMES[29]), (TIMES[60], TIMES[79])]
    null = [_score([]), _score([], windows=windows2)]
    perfect = [_score([40]), _score([20, 60], windows=windows2)]
    assert nab.normalised_score(null) == pytest.approx(0.0)
    assert nab.normalised_score(perfect) == pytest.approx(100.0)
    # Half-way: window 1 hit at its start (+1), windows 2-3 missed (-2); null -3, perfect +3:
    # 100 × (-1 - -3) / (3 - -3) = 33.33.
    half = [_score([40]), _score([], windows=windows2)]
    assert nab.normalised_score(half) == pytest.approx(100.0 * 2.0 / 6.0)


def test_series_without_windows_only_fps():
    s = _score([30, 70], windows=[])
    assert (s.windows, s.fp, s.raw, s.null, s.perfect) == (0, 2, pytest.approx(-0.22), 0.0, 0.0)


def test_real_labels_and_profiles_load():
    profiles = nab.load_profiles(NAB_DIR)
    assert profiles["standard"] == nab.CostProfile("standard", 1.0, 0.11, 1.0)
    assert profiles["reward_low_FP"].fp == 0.22 and profiles["reward_low_FN"].fn == 2.0
    windows = nab.load_windows(NAB_DIR)
    assert len(windows) == 58 and sum(len(w) for w in windows.values()) == 116
    s = nab.read_series(NAB_DIR / "data/realTraffic/speed_7578.csv")
    assert s.key == "realTraffic/speed_7578.csv" and len(s.times) == len(s.values) == 1127
    bounds = nab.window_bounds(s.times, windows[s.key])
    assert len(bounds) == 4 and all(a <= b for a, b in bounds)


def test_bench_nab_on_a_two_series_corpus(tmp_path):
    from rich.console import Console

    from ecosentry.subsystems.monitoring.bench.nab import run_bench_nab

    keys = ["realTraffic/speed_7578.csv", "realAdExchange/exchange-2_cpc_results.csv"]
    all_windows = json.loads((NAB_DIR / "labels/combined_windows.json").read_text())
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/combined_windows.json").write_text(json.dumps({k: all_windows[k] for k in keys}))
    shutil.copytree(NAB_DIR / "config", tmp_path / "config")
    for k in keys:
        (tmp_path / "data" / k).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(NAB_DIR / "data" / k, tmp_path / "data" / k)
    out = tmp_path / "nab.json"
    result = run_bench_nab(tmp_path, "standard", out, Console(record=True, width=120))
    written = json.loads(out.read_text())
    assert written["series_count"] == 2 and written["rows"] == 1127 + 1624
    assert set(written["scores"]) == {"standard", "reward_low_FP", "reward_low_FN"}
    # The corpus score is the normalisation of the per-series raw scores written beside it.
    raws = sum(s["standard"]["raw"] for s in written["series"])
    windows = sum(s["windows"] for s in written["series"])
    assert result["score"] == pytest.approx(100.0 * (raws + windows) / (2 * windows), abs=0.01)


def test_bench_nab_scores_exactly_what_detect_format_nab_writes(tmp_path):
    """Issue 13: one path. The rows the bench scores are the ``detected_at`` rows of the findings that
    ``ecosentry detect --format nab`` writes for the same file, so both give the same NAB score."""
    from rich.console import Console
    from typer.testing import CliRunner

    from ecosentry import cli
    from ecosentry.subsystems.monitoring.bench.nab import run_bench_nab

    key = "realKnownCause/nyc_taxi.csv"
    windows = nab.load_windows(NAB_DIR)
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/combined_windows.json").write_text(
        json.dumps({key: [[str(a).replace("T", " "), str(b).replace("T", " ")] for a, b in windows[key]]}))
    shutil.copytree(NAB_DIR / "config", tmp_path / "config")
    (tmp_path / "data" / key).parent.mkdir(parents=True)
    shutil.copy(NAB_DIR / "data" / key, tmp_path / "data" / key)
    bench = run_bench_nab(tmp_path, "standard", None, Console(record=True, width=120))

    out = tmp_path / "findings.jsonl"
    result = CliRunner().invoke(cli.app, ["detect", "--input", str(NAB_DIR / "data" / key), "--format", "nab",
                                          "--output", str(out)])
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in out.read_text().splitlines()]
    series = nab.read_series(NAB_DIR / "data" / key, key)
    at = np.array([f["detected_at"][:19] for f in found], dtype="datetime64[s]")
    rows = np.searchsorted(series.times, at)
    assert (series.times[rows] == at).all()  # every detection is on a row of the file, in its clock
    scores = {name: nab.score_series(key, series.times, rows, windows[key], prof)
              for name, prof in nab.load_profiles(NAB_DIR).items()}
    assert bench["series"][0]["alarms"] == len(found)
    for name, sc in scores.items():
        assert bench["series"][0][name] == {"raw": round(sc.raw, 4), "tp": sc.tp, "fp": sc.fp, "fn": sc.fn}
        assert bench["scores"][name] == round(nab.normalised_score([sc]), 2)
