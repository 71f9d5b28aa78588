"""``ecosentry detect`` on several processes (detect/fanout.py): the same findings as in one process."""

from __future__ import annotations

import json
import multiprocessing
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.subsystems.monitoring.detect import csvinput
from ecosentry.subsystems.monitoring.detect.model import DetectorSpec
from ecosentry.subsystems.monitoring.detect.fanout import PointsJob, run_points
from ecosentry.subsystems.monitoring.detect.registry import all_detectors
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.simulate.inject import generate, write_set

runner = CliRunner()
pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the workers are forked (POSIX); elsewhere detect runs in one process")
ZONE = "Asia/Shanghai"


@pytest.fixture(scope="module")
def labelled_set(tmp_path_factory):
    """A small injected set (hourly data, every fault class): findings of many detectors on many points."""
    where = tmp_path_factory.mktemp("fanout")
    return write_set(generate(["constant", "negative", "gap", "spike", "clone", "zero_running"], seed=3, points=8, days=12, per_class=1), where)


def _detect(paths, out, *extra: str) -> bytes:
    args = ["detect", "--input", str(paths["data"]), "--output", str(out), "--limits", str(paths["limits"]),
            "--ranges", str(paths["ranges"]), "--marks", str(paths["marks"]), "--parameters",
            str(paths["parameters"]), "--tz", ZONE, *extra]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_workers_write_the_same_file_as_one_process(labelled_set, tmp_path, jobs):
    one = _detect(labelled_set, tmp_path / "one.jsonl", "--jobs", "1")
    many = _detect(labelled_set, tmp_path / "many.jsonl", "--jobs", jobs)
    found = [json.loads(line) for line in one.decode().splitlines()]
    assert len({f["point"] for f in found}) >= 3 and len({f["code"] for f in found}) >= 3, found
    assert many == one


def test_workers_say_the_summary_in_the_terminals_language(labelled_set, tmp_path, monkeypatch):
    """With workers, the parent loads the catalogue while they judge the points: the same summary as one process."""
    monkeypatch.setenv("LANGUAGE", "vi")
    said = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"f{jobs}.jsonl"
        args = ["detect", "--input", str(labelled_set["data"]), "--output", str(out), "--tz", ZONE, "--jobs", jobs]
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 0, result.output
        said[jobs] = result.output.replace(str(out), "OUT")
    assert "điểm, " in said["2"] and said["2"] == said["1"]


def test_load_meanwhile_loads_the_catalogue_in_a_thread():
    from ecosentry.terminal.messages import load_meanwhile, say

    assert load_meanwhile("en") is None  # English: the msgids themselves
    thread = load_meanwhile("zh")
    thread.join()
    assert say("none", "zh") == "无"


def _points(paths, only=None):
    zone = ZoneInfo(ZONE)
    raw = csvinput.read_long(paths["data"], zone)
    limits, ranges = csvinput.read_limits(paths["limits"]), csvinput.read_ranges(paths["ranges"])
    names = csvinput.point_names(raw, limits, ranges)
    return names, list(csvinput.build_points(raw, tz=ZONE, limits=limits, ranges=ranges, only=only))


def test_point_names_are_the_built_points_in_order(labelled_set):
    names, points = _points(labelled_set)
    assert names == [p.point for p in points]


def test_a_share_of_the_points_is_built_as_in_the_whole_run(labelled_set):
    names, whole = _points(labelled_set)
    share = names[1::2]
    _, part = _points(labelled_set, only=set(share))
    assert [p.point for p in part] == share
    by_name = {p.point: p for p in whole}
    for p in part:
        w = by_name[p.point]
        assert (p.window_start, p.window_end, p.medium) == (w.window_start, w.window_end, w.medium)
        assert set(p.hours) == set(w.hours) and set(p.minutes) == set(w.minutes)
        for f, s in p.hours.items():
            np.testing.assert_array_equal(s.times, w.hours[f].times)
            np.testing.assert_array_equal(s.values, w.hours[f].values)


def test_run_points_in_workers_gives_every_point_in_order_with_its_failures(labelled_set):
    """A detector that raises on one point: its failure comes back from the worker, the others' findings too."""
    zone = ZoneInfo(ZONE)
    raw = csvinput.read_long(labelled_set["data"], zone)
    names = csvinput.point_names(raw)
    specs = dict(all_detectors())
    victim = names[2]

    def broken(data, cfg):
        if data.point == victim:
            raise RuntimeError("broken on purpose")
        return []

    specs["broken"] = DetectorSpec(name="broken", codes=("DET-BROKEN",), func=broken)
    job = PointsJob(csvinput.prepare_points(raw, tz=ZONE), DetectorSettings(), specs)
    serial = list(run_points(job, names, 1))
    forked = list(run_points(job, names, 2))
    assert [r.point for r in forked] == [r.point for r in serial] == names
    for a, b in zip(serial, forked):
        assert a.findings == b.findings
        assert a.errors == b.errors
        assert [p["fleet_copy"].point for p in (a.fleet, b.fleet)] == [a.point, a.point]
    failed = [r for r in forked if r.errors]
    assert [r.point for r in failed] == [victim]
    assert "broken on purpose" in failed[0].errors[0]


def test_a_worker_that_dies_is_an_error_not_a_wait(labelled_set):
    """A worker killed in the middle of a point (here it ends itself): the run says so instead of waiting."""
    import os

    from ecosentry.subsystems.monitoring.detect.fanout import WorkerDied

    zone = ZoneInfo(ZONE)
    raw = csvinput.read_long(labelled_set["data"], zone)
    names = csvinput.point_names(raw)
    victim = names[1]

    def dies(data, cfg):
        if data.point == victim:
            os._exit(3)
        return []

    job = PointsJob(csvinput.prepare_points(raw, tz=ZONE), DetectorSettings(),
                    {"dies": DetectorSpec(name="dies", codes=("DET-DIES",), func=dies)})
    with pytest.raises(WorkerDied):
        list(run_points(job, names, 2))


def test_the_shared_catalogue_is_read_before_the_workers_fork():
    """load_shared reads the factor catalogue of the explanations into this process (the workers inherit it),
    and the labels read from it name the factor."""
    from ecosentry.subsystems.monitoring.detect import national
    from ecosentry.subsystems.monitoring.detect.registry import load_shared

    national.factor_catalogue.cache_clear()
    load_shared()
    assert national.factor_catalogue.cache_info().currsize == 1
    assert national.factor_catalogue()["a21026"]["unit"]
    assert national._label("a21026") == "SO2 (a21026)"
    assert national.factor_catalogue.cache_info().misses == 1
