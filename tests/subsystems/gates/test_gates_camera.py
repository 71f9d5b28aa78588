"""Camera offline / power cut and camera view changed (issue 16 item 5): constructed heartbeat streams and generated
gate pictures, each check firing and not firing; the simulated cameras; the offline check's camera files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image

from ecosentry.contracts.catalogue import get
from ecosentry.subsystems.gates.check import check_dataset
from ecosentry.subsystems.gates.rules.camera import (
    CameraInputs, CameraSettings, Heartbeats, SnapshotInput, camera_offline, camera_views, silent_spells,
    watched_intervals)
from ecosentry.subsystems.gates.rules.camera_view import compare_views, grid_mean
from ecosentry.subsystems.gates.simulate import simulate_enterprise
from ecosentry.subsystems.gates.simulate_camera import (
    CAMERA_FAULTS, add_cameras, camera_view, cover, darken, gate_scene)

Z = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 1, 5, tzinfo=Z)
NOPASS = (np.zeros(0, dtype=object), np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64))


def ts(hours: float, day: int = 0) -> int:
    return int((DAY + timedelta(days=day, hours=hours)).timestamp())


def beats(ent: str, gate: str, t0: int, t1: int, every: int = 60, holes: tuple = ()) -> list[tuple[str, str, int]]:
    return [(ent, gate, t) for t in range(t0, t1, every) if not any(a <= t < b for a, b in holes)]


# ---------------------------------------------------------------------------------------------- offline
def test_silent_spells_between_signs_and_at_the_ends():
    assert silent_spells(np.array([100, 160, 220, 2000]), 0, 2100, 900) == [(220, 2000)]
    assert silent_spells(np.array([1000]), 0, 3000, 900) == [(0, 1000), (1000, 3000)]
    assert silent_spells(np.array([100, 200]), 0, 300, 900) == []


def test_watched_time_is_working_hours_and_alerts_over_midnight():
    st = CameraSettings(working_hours="07:00-19:00")
    assert watched_intervals(ts(18), ts(8, 1), Z, st) == [(ts(18), ts(19)), (ts(7, 1), ts(8, 1))]
    assert watched_intervals(ts(20), ts(23), Z, st, [(ts(21), ts(22))]) == [(ts(21), ts(22))]
    night = CameraSettings(working_hours="22:00-06:00")
    assert watched_intervals(ts(20), ts(7, 1), Z, night) == [(ts(22), ts(6, 1))]
    assert watched_intervals(ts(1), ts(2), Z, CameraSettings(working_hours="00:00-24:00")) == [(ts(1), ts(2))]
    with pytest.raises(ValueError):
        CameraSettings(working_hours="7 to 19")
    with pytest.raises(ValueError):
        CameraSettings(enterprise_hours={"E1": "25:00-26:00"})


def test_an_outage_in_working_hours_fires_a_dark_night_with_heartbeats_does_not():
    hb = Heartbeats.of(beats("E1", "G1", ts(0), ts(0, 2), holes=((ts(10), ts(11, 0) + 1800),))
                       + beats("E1", "G2", ts(0), ts(0, 2)))
    [f] = camera_offline(*NOPASS, hb, {}, Z, CameraSettings())
    assert f.code == "VEH-CAMERA-OFFLINE" and f.enterprise == "E1" and f.evidence["gate"] == "G1"
    assert f.start == datetime(2026, 1, 5, 9, 59, tzinfo=Z) and f.end == datetime(2026, 1, 5, 11, 30, tzinfo=Z)
    assert f.evidence["watched_minutes"] == 91 and f.evidence["all_gates_silent"] is False
    assert "G1" in f.explanation and "2026-01-05 09:59:00" in f.explanation
    assert get("VEH-CAMERA-OFFLINE").severity == "warning"


def test_silence_at_night_counts_only_inside_an_alert():
    hole = ((ts(22), ts(5, 1)),)
    hb = Heartbeats.of(beats("E1", "G1", ts(0), ts(0, 2), holes=hole))
    assert camera_offline(*NOPASS, hb, {}, Z, CameraSettings()) == []
    [shifts] = camera_offline(*NOPASS, hb, {}, Z, CameraSettings(enterprise_hours={"E1": "00:00-24:00"}))
    assert shifts.evidence["watched_minutes"] == 421 and shifts.evidence["working_hours"] == "00:00-24:00"
    [f] = camera_offline(*NOPASS, hb, {"E1": [(ts(23), ts(2, 1))]}, Z, CameraSettings())
    assert f.start == datetime(2026, 1, 5, 23, tzinfo=Z) and f.end == datetime(2026, 1, 6, 2, tzinfo=Z)
    assert f.evidence["alert_minutes"] == 180


def test_passages_are_signs_of_life_and_short_gaps_pass():
    hb = Heartbeats.of(beats("E1", "G1", ts(0), ts(0, 1), holes=((ts(9), ts(10)),)))
    # trucks every 10 minutes through the heartbeat hole: the camera lives
    passes = [ts(9) + 600 * k for k in range(7)]
    p = (np.array(["E1"] * 7, dtype=object), np.array(["G1"] * 7, dtype=object), np.array(passes, dtype=np.int64))
    assert camera_offline(*p, hb, {}, Z, CameraSettings()) == []
    assert len(camera_offline(*NOPASS, hb, {}, Z, CameraSettings())) == 1
    assert camera_offline(*NOPASS, hb, {}, Z, CameraSettings(offline_minutes=62)) == []


def test_a_gate_without_heartbeats_is_not_judged_and_a_power_cut_silences_every_gate():
    cut = ((ts(13), ts(15)),)
    hb = Heartbeats.of(beats("E1", "G1", ts(0), ts(0, 1), holes=cut) + beats("E1", "G2", ts(0), ts(0, 1), holes=cut))
    p = (np.array(["E1", "E1"], dtype=object), np.array(["G3", "G3"], dtype=object),
         np.array([ts(8), ts(17)], dtype=np.int64))
    found = camera_offline(*p, hb, {}, Z, CameraSettings())
    assert sorted(f.evidence["gate"] for f in found) == ["G1", "G2"]
    assert all(f.evidence["all_gates_silent"] for f in found)


def test_a_camera_that_dies_stays_dead_to_the_end_of_the_data():
    hb = Heartbeats.of(beats("E1", "G1", ts(0), ts(0, 2)) + beats("E1", "G2", ts(0), ts(12)))
    [f] = camera_offline(*NOPASS, hb, {}, Z, CameraSettings())
    assert f.evidence["gate"] == "G2" and f.evidence["next_sign_of_life"] is None
    assert f.start == datetime(2026, 1, 5, 11, 59, tzinfo=Z) and f.end == datetime(2026, 1, 6, 19, tzinfo=Z)


# ---------------------------------------------------------------------------------------------- view
@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    return gate_scene(11)


def test_grid_mean_averages_equal_cells():
    a = np.arange(16, dtype=float).reshape(4, 4)
    assert np.array_equal(grid_mean(a, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    assert grid_mean(np.ones((3, 5)), 6, 10).shape == (6, 10)


def test_night_noise_and_shake_keep_the_view(scene):
    rng = np.random.default_rng(0)
    ref = camera_view(scene)
    st = CameraSettings()
    for snap in (darken(ref, rng), darken(ref, rng, light=0.12, grain=6), darken(camera_view(scene, dx=1, dy=-1), rng,
                 light=1.0, grain=3), (255 * (ref / 255.0) ** 2.2).astype(np.uint8), np.clip(ref * 0.5 + 60, 0, 255)):
        cmp = compare_views(snap, ref, grid=st.view_grid, blank_std=st.view_blank_std)
        assert not cmp.blank and cmp.similarity >= st.view_min_similarity, cmp
    # another resolution (the snapshot stream is smaller than the reference still) and RGB
    small = np.asarray(Image.fromarray(ref).resize((96, 72), Image.Resampling.BILINEAR))
    rgb = np.stack([ref, ref, ref], axis=-1)
    assert compare_views(small, rgb).similarity >= st.view_min_similarity


def test_a_moved_turned_or_covered_camera_changes_the_view(scene):
    rng = np.random.default_rng(1)
    ref = camera_view(scene)
    st = CameraSettings()
    for snap in (camera_view(scene, dx=10), camera_view(scene, dx=-19, dy=3), camera_view(scene, dy=12),
                 camera_view(scene, angle=4), camera_view(scene, angle=-6), cover(ref, rng, fraction=0.5)):
        cmp = compare_views(darken(snap, rng, light=0.25), ref)
        assert cmp.similarity < st.view_min_similarity, cmp
    blank = compare_views(cover(ref, rng), ref)
    assert blank.blank and blank.similarity == 0.0


def test_camera_views_one_finding_per_run_of_changed_snapshots(scene):
    rng = np.random.default_rng(2)
    ref = camera_view(scene)
    moved = camera_view(scene, dx=19, dy=3)
    snaps = [SnapshotInput("E1", "G1", ts(12, d), darken(moved if 2 <= d <= 4 else ref, rng, light=1, grain=3), ref,
                           line=d + 2) for d in range(7)]
    snaps.append(SnapshotInput("E1", "G2", ts(12), cover(ref, rng), ref))
    found = camera_views(snaps, Z, CameraSettings())
    assert [f.code for f in found] == ["VEH-CAMERA-VIEW", "VEH-CAMERA-VIEW"]
    f, blank = found
    assert f.start == datetime(2026, 1, 7, 12, tzinfo=Z) and f.end == datetime(2026, 1, 9, 12, tzinfo=Z)
    assert f.evidence["snapshots"] == 3 and f.evidence["lines"] == [4, 5, 6]
    assert f.evidence["back_to_reference"] == datetime(2026, 1, 10, 12, tzinfo=Z).isoformat()
    assert "similarity" in f.explanation and "blank" in blank.explanation and blank.evidence["gate"] == "G2"
    assert camera_views([s for s in snaps if s.t < ts(12, 2)], Z, CameraSettings()) == [blank]


# ---------------------------------------------------------------------------------------------- simulated
def _inputs(cam) -> CameraInputs:
    return CameraInputs(cam.heartbeat_table(), [SnapshotInput(s.enterprise, s.gate, s.t, s.picture, s.reference)
                                                for s in cam.snapshots])


def test_simulated_honest_cameras_stay_clean_and_every_fault_is_found():
    sim = simulate_enterprise(9, 3, days=8, grade="B", level="orange")
    assert check_dataset(sim.dataset(), cameras=_inputs(add_cameras(sim, 9))) == []
    for faults in (("outage", "moved"), ("power_cut", "turned", "covered")):
        sim = simulate_enterprise(9, 4, days=8, grade="A", level="red")
        cam = add_cameras(sim, 9, faults=faults)
        found = check_dataset(sim.dataset(), cameras=_inputs(cam))
        for inj in cam.injected:
            assert any(f.code == inj.code and f.start <= inj.end and f.end >= inj.start for f in found), inj
        allowed = {c for inj in cam.injected for c in (inj.code, *CAMERA_FAULTS[inj.violation][1])}
        assert {f.code for f in found} <= allowed


# ---------------------------------------------------------------------------------------------- offline check
SRC = Path(__file__).resolve().parents[3] / "src"


def _run(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "ECOSENTRY_SUBSYSTEMS": "ecosentry.subsystems.gates",
           "LANGUAGE": "en"}  # the sentences compared are the English ones
    return subprocess.run([sys.executable, "-m", "ecosentry", "vehicles", "check", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_the_offline_check_reads_heartbeats_and_snapshots(tmp_path, scene):
    def iso(t: int) -> str:
        return datetime.fromtimestamp(t, Z).isoformat()

    (tmp_path / "E.csv").write_text("enterprise,grade,small_volume_exempt\nE1,B,false\n", encoding="utf-8")
    (tmp_path / "R.csv").write_text("plate,plate_colour,vin,emission_stage,fuel,registration_date\n",
                                    encoding="utf-8")
    (tmp_path / "P.csv").write_text("enterprise,gate,time,direction,plate,plate_colour,confidence\n"
                                    f"E1,G1,{iso(ts(8))},in,冀A12345,yellow,0.95\n", encoding="utf-8")
    (tmp_path / "L.csv").write_text("enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t\n"
                                    f"E1,{iso(ts(8))},in,冀A12345,,6,diesel,coal,30\n", encoding="utf-8")
    rows = beats("E1", "G1", ts(0), ts(0, 1), holes=((ts(14), ts(16)),))
    (tmp_path / "H.csv").write_text("enterprise,gate,time\n" + "".join(f"{e},{g},{iso(t)}\n" for e, g, t in rows),
                                    encoding="utf-8")
    pics = tmp_path / "pics"
    pics.mkdir()
    ref = camera_view(scene)
    Image.fromarray(ref).save(pics / "ref.png")
    Image.fromarray(darken(ref, np.random.default_rng(3))).convert("RGB").save(pics / "night.jpg", quality=85)
    Image.fromarray(camera_view(scene, angle=6)).save(pics / "turned.png")
    (tmp_path / "S.csv").write_text("enterprise,gate,time,snapshot,reference\n"
                                    f"E1,G1,{iso(ts(0))},pics/night.jpg,pics/ref.png\n"
                                    f"E1,G1,{iso(ts(12))},pics/turned.png,pics/ref.png\n", encoding="utf-8")
    base = ["--passages", str(tmp_path / "P.csv"), "--ledger", str(tmp_path / "L.csv"), "--register",
            str(tmp_path / "R.csv"), "--enterprises", str(tmp_path / "E.csv"), "--output", str(tmp_path / "f.jsonl")]
    out = _run(base + ["--heartbeats", str(tmp_path / "H.csv"), "--snapshots", str(tmp_path / "S.csv"),
                       "--inspection", str(tmp_path / "insp.json")])
    assert out.returncode == 0, out.stderr
    found = [json.loads(x) for x in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines()]
    cams = {f["code"]: f for f in found if f["code"].startswith("VEH-CAMERA")}
    assert set(cams) == {"VEH-CAMERA-OFFLINE", "VEH-CAMERA-VIEW"}
    assert cams["VEH-CAMERA-OFFLINE"]["start"].startswith("2026-01-05T13:59:00+08:00")
    assert cams["VEH-CAMERA-VIEW"]["start"].startswith("2026-01-05T12:00:00+08:00")
    assert cams["VEH-CAMERA-VIEW"]["evidence"]["lines"] == [3]
    record = json.loads((tmp_path / "insp.json").read_text(encoding="utf-8"))
    assert record[0]["enterprise"] == "E1" and record[0]["ledger"]["sampled"] == 1
    # without the camera files the camera checks do not run
    assert _run(base).returncode == 0
    assert not any("VEH-CAMERA" in x for x in (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines())
    # bad input: the file, the line, the field
    (tmp_path / "S2.csv").write_text("enterprise,gate,time,snapshot,reference\n"
                                     f"E1,G1,{iso(ts(0))},pics/missing.png,pics/ref.png\n", encoding="utf-8")
    bad = _run(base + ["--snapshots", str(tmp_path / "S2.csv")])
    assert bad.returncode == 2 and "S2.csv line 2, snapshot" in bad.stderr and "does not exist" in bad.stderr
    (pics / "junk.png").write_bytes(b"not a picture")
    (tmp_path / "S3.csv").write_text("enterprise,gate,time,snapshot,reference\n"
                                     f"E1,G1,{iso(ts(0))},pics/night.jpg,pics/junk.png\n", encoding="utf-8")
    bad = _run(base + ["--snapshots", str(tmp_path / "S3.csv")])
    assert bad.returncode == 2 and "S3.csv line 2, reference" in bad.stderr and "not a picture" in bad.stderr
    Image.new("L", (64, 48), 40).save(pics / "flat.png")
    (tmp_path / "S4.csv").write_text("enterprise,gate,time,snapshot,reference\n"
                                     f"E1,G1,{iso(ts(0))},pics/night.jpg,pics/flat.png\n", encoding="utf-8")
    bad = _run(base + ["--snapshots", str(tmp_path / "S4.csv")])
    assert bad.returncode == 2 and "S4.csv line 2, reference" in bad.stderr and "blank" in bad.stderr
    (tmp_path / "H2.csv").write_text("enterprise,gate,time\nE9,G1,2026-01-05T08:00:00+08:00\n", encoding="utf-8")
    bad = _run(base + ["--heartbeats", str(tmp_path / "H2.csv")])
    assert bad.returncode == 2 and "H2.csv line 2, enterprise" in bad.stderr
    (tmp_path / "H3.csv").write_text("enterprise,gate,time\nE1,G1,2026-01-05 08:00\n", encoding="utf-8")
    bad = _run(base + ["--heartbeats", str(tmp_path / "H3.csv")])
    assert bad.returncode == 2 and "H3.csv line 2, time" in bad.stderr and "offset" in bad.stderr


@pytest.mark.parametrize("lang", ["zh", "vi"])
def test_the_new_codes_are_catalogued_and_said_in_zh_and_vi(lang):
    import importlib
    import re

    from babel.messages.pofile import read_po

    from ecosentry.subsystems.gates import SUBSYSTEM

    for module in SUBSYSTEM.catalogue:
        importlib.import_module(module)
    package = Path(importlib.import_module("ecosentry.subsystems.gates").__file__).parent
    with open(package / "locale" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    for code in ("VEH-CAMERA-OFFLINE", "VEH-CAMERA-VIEW", "VEH-RETENTION-DUE", "VEH-UPLOAD-INVALID",
                 "VEH-UPLOAD-LATE"):
        rule = get(code)
        assert "§" in rule.source and rule.tag and rule.module.startswith("ecosentry.subsystems.gates.rules")
        message = catalog.get(rule.summary)
        assert message is not None and message.string, (lang, code)
    sim = simulate_enterprise(9, 5, days=4, grade="A", level="red")
    cam = add_cameras(sim, 9, faults=("outage", "covered", "turned"))
    for f in check_dataset(sim.dataset(), cameras=_inputs(cam)):
        if f.code.startswith("VEH-CAMERA"):
            said = f.say(lambda m: catalog.get(m).string)
            assert f.params["gate"] in said and f.params["time"] in said and said != f.explanation
            assert sorted(re.findall(r"%\(\w+\)s", catalog.get(f.msgid).string)) == sorted(
                re.findall(r"%\(\w+\)s", f.msgid))
