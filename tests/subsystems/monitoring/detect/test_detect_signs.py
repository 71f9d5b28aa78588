"""Falsification signs judged against process physics (issue 13, :mod:`...detect.signs`), on plants of the
honest-plant simulator (:mod:`...simulate.honest`): each sign stays silent on honest plants that start up,
follow the grid, run night shifts or sit close to their limit, and finds the fraud it is about."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.subsystems.monitoring.detect import signs
from ecosentry.subsystems.monitoring.detect.model import Mark, PointData, Series, to_datetime64
from ecosentry.subsystems.monitoring.detect.registry import (
    all_detectors,
    all_fleet_detectors,
    family_of,
    fleet_digests,
    run_fleet_detectors,
)
from ecosentry.subsystems.monitoring.detect.settings import DetectorSettings
from ecosentry.subsystems.monitoring.simulate import honest

UTC = timezone.utc
#: 2026-10-05 00:00 in Asia/Shanghai.
T0 = datetime(2026, 10, 4, 16, 0, tzinfo=UTC)
DAYS = 4
N = DAYS * 1440
HOD = (np.arange(N) / 60.0) % 24.0  # local hour of day (T0 is local midnight)
CFG = DetectorSettings()
SO2, NOX, DUST, O2 = "a21026", "a21002", "a34013", "a19001"
COD, NH3N, TP, TN, WFLOW = "w01018", "w21003", "w21011", "w21001", "w00000"


def plant(kind: str, archetype: str, seed: int = 3, name: str = "P1") -> honest.HonestPoint:
    rng = np.random.default_rng([seed, 11, 0])
    build = honest._gas_point if kind == "gas" else honest._water_point
    return build(rng, name, archetype, N, HOD)


def data_of(p: honest.HonestPoint, *, flags: dict[str, np.ndarray] | None = None,
            marks: list[Mark] | None = None) -> PointData:
    """The point as ``ecosentry detect`` sees it: minute series (rows only where a value was written) and
    hourly means of whole hours."""
    times = to_datetime64(T0) + np.arange(N) * np.timedelta64(60, "s")
    minutes, hours = {}, {}
    for f, v in p.values.items():
        keep = np.isfinite(v)
        fl = flags.get(f) if flags else None
        minute_flags = tuple(fl[keep]) if fl is not None else tuple(p.flags[keep]) if (p.flags != "N").any() else ()
        z = p.zs.get(f)
        minutes[f] = Series(f, times[keep], v[keep], minute_flags, zs=None if z is None else z[keep])
        hv = np.array([np.nanmean(v[h * 60:(h + 1) * 60]) if np.isfinite(v[h * 60:(h + 1) * 60]).sum() >= 45
                       else np.nan for h in range(N // 60)])
        hz = None if z is None else np.array([np.nanmean(z[h * 60:(h + 1) * 60]) if np.isfinite(
            z[h * 60:(h + 1) * 60]).any() else np.nan for h in range(N // 60)])
        hf = tuple("F" if (p.flags[h * 60:(h + 1) * 60] == "F").any() else "N" for h in range(N // 60))
        ok = np.isfinite(hv)
        ht = to_datetime64(T0) + np.arange(N // 60) * np.timedelta64(3600, "s")
        hours[f] = Series(f, ht[ok], hv[ok], tuple(np.array(hf)[ok]), zs=None if hz is None else hz[ok])
    return PointData(point=p.point, medium=p.medium, tz="Asia/Shanghai", minutes=minutes, hours=hours,
                     limits=dict(p.hour_limits), day_limits=dict(p.day_limits), marks=list(marks or []))


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def codes(findings) -> list[str]:
    for f in findings:
        json.dumps(f.to_json())
    return [f.code for f in findings]


def copy_into(p: honest.HonestPoint, f: str, src: np.ndarray, a: int, b: int) -> None:
    """``f`` becomes an affine copy of ``src`` over minutes [a, b) (same mean and spread as its own)."""
    y, x = p.values[f][a:b], src[a:b]
    gain = float(np.std(y) / np.std(x))
    honest._set_measured(p, f, slice(a, b), np.mean(y) + gain * (x - np.mean(x)))


# ---------------------------------------------------------------------------------------------- the catalogue


def test_every_sign_is_a_falsification_sign_with_a_family_and_a_registered_detector():
    specs = all_detectors()
    emitted = {c for s in specs.values() for c in s.codes}
    for rule in (signs.RULE_COPY, signs.RULE_FACTOR_GAP, signs.RULE_NIGHT_LOAD, signs.RULE_LIMIT_CAP,
                 signs.RULE_COLLAPSE):
        assert rule.kind == "falsification" and rule.code in emitted
        assert family_of(rule.code) is not None
    assert family_of("DET-CLONE-MINUTE") == "clone" and family_of("DET-NIGHT-LOAD") == "day_night"
    assert family_of("DET-LIMIT-CAP") == "limit_hugging" and family_of("DET-FACTOR-GAP") == "missing"
    assert "fleet_copy" in all_fleet_detectors()


# ---------------------------------------------------------------------------------------------- copies


@pytest.mark.parametrize("archetype", ["load_following", "night_shift", "cycling", "base_load"])
def test_honest_pollutants_that_share_the_load_are_no_copy(archetype):
    assert codes(signs.detect_channel_copy(data_of(plant("gas", archetype)), CFG)) == []


def test_a_pollutant_copied_from_another_for_16_hours_is_found_there():
    p = plant("gas", "load_following")
    copy_into(p, SO2, p.values[NOX].copy(), 1800, 1800 + 16 * 60)
    [f] = signs.detect_channel_copy(data_of(p), CFG)
    assert f.code == "DET-CLONE-MINUTE" and set(f.factors) == {SO2, NOX} and f.severity == "critical"
    assert at(1800) - timedelta(minutes=30) <= f.start <= at(1800 + 60)
    assert at(1800 + 15 * 60) <= f.end <= at(1800 + 16 * 60 + 30)
    assert f.evidence["r_changes_min"] > 0.9
    assert f.start < f.detected_at <= f.start + timedelta(hours=4)  # one window of changes after it began


def test_a_low_gain_copy_that_rounding_hides_from_the_changes_is_found_by_its_exactness():
    p = plant("gas", "night_shift", seed=5)
    a, b = 1700, 1700 + 16 * 60
    x = p.values[NOX][a:b]
    # dust as 0.1 × NOx: each NOx step of ~0.5 mg/m³ moves dust by 0.05, half its 0.1 mg/m³ resolution
    honest._set_measured(p, DUST, slice(a, b), np.mean(p.values[DUST][a:b]) + 0.1 * (x - np.mean(x)))
    [f] = signs.detect_channel_copy(data_of(p), CFG)
    assert f.code == "DET-CLONE-MINUTE" and f.evidence["r_changes_min"] < CFG.signs.copy_change_r_min
    assert f.evidence["residual_in_rounding_errors"] <= CFG.signs.copy_rounding_ratio
    assert f.end - f.start >= timedelta(hours=14)
    # the changes alone do not show it: rounding took them
    off = DetectorSettings.from_mapping({"signs": {"copy_rounding_ratio": 0}})
    assert signs.detect_channel_copy(data_of(p), off) == []


def test_process_parameters_are_never_judged_by_the_copy_test():
    p = plant("gas", "load_following")
    p.values["a01014"] = p.values["a01012"] * 0.2  # moisture wired to temperature: physics, not fraud here
    assert codes(signs.detect_channel_copy(data_of(p), CFG)) == []


def test_a_water_copy_is_judged_over_enough_measuring_cycles():
    p = plant("water", "municipal")
    copy_into(p, NH3N, p.values[TN].copy(), 1500, 1500 + 16 * 60)
    found = signs.detect_channel_copy(data_of(p), CFG)
    assert [f.code for f in found] == ["DET-CLONE-MINUTE"] and set(found[0].factors) == {NH3N, TN}
    assert found[0].evidence["window_min"] >= 12 * 60  # twelve hourly readings at least


def test_fleet_copy_names_the_other_point_on_both_and_honest_fleets_are_quiet():
    a, b, c = (plant("gas", k, seed=s, name=n) for k, s, n in
               (("load_following", 1, "A"), ("night_shift", 2, "B"), ("near_limit", 4, "C")))
    assert run_fleet_detectors([fleet_digests(data_of(p), CFG) for p in (a, b, c)], CFG) == []
    copy_into(b, NOX, a.values[NOX].copy(), 2000, 2000 + 20 * 60)
    found = run_fleet_detectors([fleet_digests(data_of(p), CFG) for p in (a, b, c)], CFG)
    assert sorted((f.point, f.factor, f.evidence["other_point"]) for f in found) == [("A", NOX, "B"), ("B", NOX, "A")]
    only = ["DET-NEGATIVE"]
    assert fleet_digests(data_of(a), CFG, only_codes=only) == {}
    assert run_fleet_detectors([fleet_digests(data_of(p), CFG) for p in (a, b)], CFG, only_codes=only) == []


def test_two_plants_stepping_at_the_same_minute_are_no_copy():
    """Night discharge switched on at 23:00 at two plants: two large steps at the same minute, nothing else
    shared; the changes are clipped before they are correlated."""
    pts = []
    for seed, name in ((1, "W1"), (2, "W2")):
        p = plant("water", "industrial_day", seed=seed, name=name)
        night = (HOD >= 23) | (HOD < 5)
        night[:1440] = False
        honest._set_measured(p, COD, night, p.values[COD][night] * 1.6)
        pts.append(fleet_digests(data_of(p), CFG))
    assert [f.code for f in run_fleet_detectors(pts, CFG)] == []


# ---------------------------------------------------------------------------------------------- selective gap


def test_one_pollutant_silent_while_the_others_report_is_found_with_the_level_before_it():
    p = plant("gas", "near_limit")
    p.values[SO2][2000:2180] = np.nan
    p.zs[SO2][2000:2180] = np.nan
    [f] = signs.detect_selective_gap(data_of(p), CFG)
    assert f.code == "DET-FACTOR-GAP" and f.factors == (SO2,) and (f.start, f.end) == (at(2000), at(2180))
    assert f.evidence["minutes"] == 180 and f.evidence["share_of_limit_before"] > 0.6
    assert f.detected_at == at(2060)  # causal: when the silence reached the hour
    assert "near_limit" in f.evidence


def test_a_declared_fault_a_marked_maintenance_or_a_logger_outage_is_not_a_selective_gap():
    p = plant("gas", "load_following")
    flags = {SO2: np.full(N, "N")}
    flags[SO2][2000:2180] = "D"  # the analyser reported its fault (HJ 212-2017 Table 8)
    assert codes(signs.detect_selective_gap(data_of(p, flags=flags), CFG)) == []
    p.values[NOX][3000:3120] = np.nan
    p.zs[NOX][3000:3120] = np.nan
    marked = [Mark("maintenance", at(2990), at(3130), frozenset({NOX}))]
    assert codes(signs.detect_selective_gap(data_of(p, marks=marked), CFG)) == []
    assert codes(signs.detect_selective_gap(data_of(p), CFG)) == ["DET-FACTOR-GAP"]
    q = plant("gas", "night_shift")
    for v in q.values.values():
        v[2500:2700] = np.nan  # the whole data logger was silent: a communication loss, not one channel
    assert codes(signs.detect_selective_gap(data_of(q), CFG)) == []


def test_a_stop_with_its_mark_is_no_gap():
    p = plant("gas", "cycling")
    stop = np.flatnonzero(p.flags == "F")
    for f in honest.GAS_POLLUTANTS:
        p.values[f][stop] = np.nan
    marks = [Mark("stopped", at(int(stop[0])), at(int(stop[-1]) + 1))]
    assert codes(signs.detect_selective_gap(data_of(p, marks=marks), CFG)) == []


# ---------------------------------------------------------------------------------------------- night load


@pytest.mark.parametrize("archetype", honest.WATER_ARCHETYPES)
@pytest.mark.parametrize("seed", [3, 4])
def test_honest_wastewater_nights_are_no_night_discharge(archetype, seed):
    assert codes(signs.detect_night_load(data_of(plant("water", archetype, seed=seed)), CFG)) == []


def test_a_plant_whose_night_shift_raises_the_flow_but_not_the_treated_concentration_is_honest():
    p = plant("water", "municipal")
    night = (HOD >= 22) | (HOD < 6)
    p.values[WFLOW][night] *= 1.5  # heavier night shift, every night
    assert codes(signs.detect_night_load(data_of(p), CFG)) == []


def test_untreated_night_discharge_on_three_nights_is_found():
    p = plant("water", "industrial_day")
    night = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 1440 - 60)
    for g in (COD, NH3N):
        honest._set_measured(p, g, night, p.values[g][night] * 1.5)
    p.values[WFLOW][night] *= 1.3
    [f] = signs.detect_night_load(data_of(p), CFG)
    assert f.code == "DET-NIGHT-LOAD" and COD in f.factors and WFLOW in f.factors
    assert len(f.evidence["nights"]) >= 2
    assert f.start < f.detected_at < f.end


def test_night_load_is_a_wastewater_sign():
    assert codes(signs.detect_night_load(data_of(plant("gas", "night_shift")), CFG)) == []


# ---------------------------------------------------------------------------------------------- capped peaks


@pytest.mark.parametrize("kind,archetype", [("gas", "near_limit"), ("water", "near_limit"), ("gas", "base_load")])
def test_honest_plants_close_to_their_limit_keep_moving_there(kind, archetype):
    for seed in (1, 2, 3):
        assert codes(signs.detect_limit_cap(data_of(plant(kind, archetype, seed=seed)), CFG)) == []


def test_peaks_cut_at_a_ceiling_under_the_limit_are_found():
    p = plant("gas", "near_limit")
    a, b = 1600, 1600 + 18 * 60
    judged = p.zs[SO2][a:b]
    true = judged / np.nanmean(judged) * 35.0 * 1.02
    cap = 34.0
    rng = np.random.default_rng(1)
    reported = np.where(true > cap, cap * (1 - 0.004 * np.abs(rng.standard_normal(b - a))), true)
    honest._set_judged(p, SO2, slice(a, b), reported)
    [f] = signs.detect_limit_cap(data_of(p), CFG)
    assert f.code == "DET-LIMIT-CAP" and f.factors == (SO2,) and f.evidence["zs_used"]
    assert f.evidence["max"] < 35.0 and f.evidence["still_hours"] >= CFG.signs.cap_min_hours


# ---------------------------------------------------------------------------------------------- near zero


@pytest.mark.parametrize("kind,archetype", [("gas", "cycling"), ("gas", "load_following"), ("water", "batch_stop"),
                                            ("water", "municipal")])
def test_honest_plants_with_stops_and_low_values_do_not_collapse(kind, archetype):
    p = plant(kind, archetype)
    marks = [Mark("stopped", at(int(s[0])), at(int(s[-1]) + 1))] if (s := np.flatnonzero(p.flags == "F")).size else []
    assert codes(signs.detect_collapse(data_of(p, marks=marks), CFG)) == []


def test_a_diluted_sample_reading_a_few_per_cent_for_hours_is_found():
    p = plant("water", "municipal")
    honest._set_measured(p, COD, slice(2000, 2000 + 6 * 60), p.values[COD][2000:2000 + 6 * 60] * 0.06)
    [f] = signs.detect_collapse(data_of(p), CFG)
    assert f.code == "DET-NEAR-ZERO" and f.factors == (COD,) and f.evidence["share"] < 0.15
    assert f.evidence["hours"] >= 5


# ---------------------------------------------------------------------------------------------- the command


def test_ecosentry_detect_runs_the_fleet_test_over_the_points_it_read(tmp_path):
    a = plant("gas", "load_following", seed=1, name="A")
    b = plant("gas", "night_shift", seed=2, name="B")
    copy_into(b, NOX, a.values[NOX].copy(), 2000, 2000 + 20 * 60)
    rows = ["point,factor,time,value,flag"]
    stamps = [(T0 + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(N)]
    for p in (a, b):
        for f in (NOX, SO2, O2, "a00000"):
            rows += [f"{p.point},{f},{stamps[i]},{p.values[f][i]:.2f},N" for i in range(N)]
    data = tmp_path / "data.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "findings.jsonl"
    result = CliRunner().invoke(cli.app, ["detect", "--input", str(data), "--output", str(out),
                                          "--only", "DET-CLONE-MINUTE"])
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted((f["point"], f["evidence"].get("other_point")) for f in found) == [("A", "B"), ("B", "A")]


# ---------------------------------------------------------------------------------------------- issue 13: recall
# Each kind of fraud a held-out seed showed the signs missing, on a small worked example.


@pytest.mark.parametrize("archetype", honest.WATER_ARCHETYPES)
def test_honest_water_analysers_compared_cycle_by_cycle_are_no_copy(archetype):
    assert codes(signs.detect_channel_copy(data_of(plant("water", archetype, seed=5)), CFG)) == []


def test_a_water_copy_of_thirteen_measuring_cycles_is_found():
    """13 hours of an hourly analyser: 13 matching changes, no more (seed 17 W030 lasted 13.3 h)."""
    p = plant("water", "batch_stop", seed=4)
    stop = np.flatnonzero(~p.running)
    b0 = 60 if stop[0] > 16 * 60 else int(stop[-1]) + 120  # clear of the plant's stop
    a = b0 + int(np.flatnonzero(np.diff(p.values[TN][b0:b0 + 100]) != 0)[0]) + 1 - 10  # 10 min before a cycle
    assert p.running[a:a + 13 * 60 + 20].all()
    copy_into(p, TN, p.values[COD].copy(), a, a + 13 * 60 + 20)
    [f] = signs.detect_channel_copy(data_of(p), CFG)
    assert set(f.factors) == {TN, COD} and f.evidence["r_changes_median"] >= CFG.signs.copy_change_r_min
    assert at(a) - timedelta(hours=2) <= f.start and f.end <= at(a + 13 * 60) + timedelta(hours=3)


def test_night_discharge_on_a_plant_whose_nights_are_leaner_than_its_flanks_is_found():
    """x1.42 on two nights of a day-shift plant (its effluent follows the day's influent hours later, so
    its usual night concentration sits under the evening and morning: the discharge reads x1.2-1.3 against
    them; seed 7 W034)."""
    p = plant("water", "industrial_day", seed=6)
    night = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 2 * 1440 - 60)
    for g in (COD, NH3N):
        honest._set_measured(p, g, night, p.values[g][night] * 1.42)
    p.values[WFLOW][night] *= 1.3
    [f] = signs.detect_night_load(data_of(p), CFG)
    assert COD in f.factors and WFLOW in f.factors and len(f.evidence["nights"]) == 2


def test_a_night_seen_only_against_its_morning_is_not_judged():
    """The data begin at midnight: the first night has no evening. A rise there and on one full night is
    one judged night, not the two a finding needs."""
    p = plant("water", "industrial_day", seed=3)
    first = (HOD < 5) & (np.arange(N) < 1440)
    full = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 2 * 1440 - 60) & (np.arange(N) < 3 * 1440)
    for night in (first, full):
        for g in (COD, NH3N):
            honest._set_measured(p, g, night, p.values[g][night] * 1.6)
        p.values[WFLOW][night] *= 1.3
    assert codes(signs.detect_night_load(data_of(p), CFG)) == []


def test_peaks_capped_only_half_of_the_time_are_found_by_the_records_at_the_ceiling():
    """The true level crosses the cap at the load's peaks only (about half the minutes): no six still hours
    in a row, but half the records piled within half a noise width under one ceiling (seed 7 G020)."""
    p = plant("gas", "night_shift", seed=2)
    a, b = 1600, 1600 + 20 * 60
    judged = p.zs[NOX][a:b]
    true = judged / np.nanmedian(judged) * 48.0
    cap = 48.0
    rng = np.random.default_rng(2)
    reported = np.where(true > cap, cap * (1 - 0.004 * np.abs(rng.standard_normal(b - a))), true)
    honest._set_judged(p, NOX, slice(a, b), reported)
    assert 0.3 < float(np.mean(true > cap)) < 0.7
    found = signs.detect_limit_cap(data_of(p), CFG)
    assert [f.factors for f in found] == [(NOX,)]
    ev = found[0].evidence
    assert ev["share_at_ceiling"] >= CFG.signs.cap_ceiling_share and ev["ceiling"] < 50.0
    assert at(a) - timedelta(hours=1) <= found[0].start and found[0].end <= at(b) + timedelta(hours=1)


def test_a_measured_reading_held_flat_after_a_step_is_found_though_its_zs_moves_with_the_o2():
    """×1.7 step, the analyser's reading then held within 0.2 %: the 折算 computed from it carries the O2's
    movement (above the 1 % flatness), the measured value does not (seed 7 G010, seed 17 G004)."""
    from ecosentry.subsystems.monitoring.detect.patterns import detect_step_flat

    p = plant("gas", "load_following", seed=7)
    a, b = 1500, 1500 + 9 * 60
    level = float(np.mean(p.values[NOX][a - 60:a])) * 1.7
    rng = np.random.default_rng(3)
    honest._set_measured(p, NOX, slice(a, b), level * (1 + 0.002 * rng.standard_normal(b - a)))
    found = [f for f in detect_step_flat(data_of(p), CFG) if f.factor == NOX]
    assert len(found) == 1 and found[0].evidence["zs_used"] is False
    assert at(a) - timedelta(hours=2) <= found[0].start <= at(a) + timedelta(hours=2)
    # an honest plant of the same kind has no step then flat in either value
    assert [f for f in detect_step_flat(data_of(plant("gas", "load_following", seed=7)), CFG)] == []


def test_an_honest_level_near_its_limit_reported_in_whole_units_is_no_ceiling():
    """SO2 at 0.9 of its limit reported in whole mg/m³: its highest value repeats by rounding alone."""
    p = plant("gas", "near_limit", seed=1)
    true = p.zs[SO2] / np.nanmedian(p.zs[SO2]) * 0.93 * 35.0
    o2 = p.values[O2]
    p.values[SO2] = np.round(true * (21.0 - o2) / 15.0)
    p.zs[SO2] = np.round(true)  # a DAS that rounds its 折算 too
    assert [f for f in signs.detect_limit_cap(data_of(p), CFG) if "at_ceiling" in f.evidence] == []


def test_night_discharge_seen_by_one_well_resolved_pollutant_alone_is_found():
    """x1.45 COD on two nights, the second analyser (NH3-N at a few tenths of a mg/L, near its detection limit)
    too coarse to show it (seed 47 W037: COD x1.44 at 14 sigma, NH3-N x1.18): COD's rise stands far beyond
    its own hour-to-hour scatter on each night, so it suffices alone, and the finding says so."""
    p = plant("water", "industrial_day", seed=6)
    night = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 2 * 1440 - 60)
    honest._set_measured(p, COD, night, p.values[COD][night] * 1.45)
    p.values[WFLOW][night] *= 1.3
    [f] = signs.detect_night_load(data_of(p), CFG)
    assert f.factors == (COD, WFLOW) and f.evidence["alone"] == [COD]
    assert len(f.evidence["nights"]) == 2
    assert min(f.evidence["rise_sigmas"][COD]) >= CFG.signs.night_single_z
    assert "rose alone" in f.explanation


def test_a_pollutant_near_its_detection_limit_rising_at_night_alone_is_no_night_discharge():
    """NH3-N at 0.1 mg/L (a few steps of its 0.01 resolution) reading x1.5 on two nights, with a heavier night
    flow: its load rises on both nights, but by a few of its own hour-to-hour sigma, within what one analyser
    near its detection limit wanders (honest plants of the dev seeds: up to 5.8 sigma). One coarse witness is
    not enough."""
    p = plant("water", "municipal", seed=3)
    night = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 2 * 1440 - 60)
    honest._set_measured(p, NH3N, night, p.values[NH3N][night] * 1.5)
    p.values[WFLOW][night] *= 1.3
    data = data_of(p)
    nt = signs._nights(data, CFG)
    rose = nt.rises[NH3N]
    assert rose.sum() == 2 and np.nanmax(nt.rise_z[NH3N][rose]) < CFG.signs.night_single_z
    assert codes(signs.detect_night_load(data, CFG)) == []


def test_one_pollutant_alone_needs_its_strong_rise_on_two_nights():
    """COD x1.45 on one night only: a single night is one process upset, not night after night."""
    p = plant("water", "industrial_day", seed=6)
    night = ((HOD >= 23) | (HOD < 5)) & (np.arange(N) >= 2 * 1440 - 60) & (np.arange(N) < 3 * 1440)
    honest._set_measured(p, COD, night, p.values[COD][night] * 1.45)
    p.values[WFLOW][night] *= 1.3
    assert codes(signs.detect_night_load(data_of(p), CFG)) == []


# ------------------------------------------------------------------------------ narrow band at a coarse resolution


def test_the_hourly_mean_of_dithering_records_resolves_finer_than_their_digits():
    """Dust at 0.1 mg/m³ whose minute records spread over several steps in an hour: the hourly mean's rounding
    error is 0.1 / √(12 · 60), so it resolves 0.1 / √60 ≈ 0.013 with the margin the record's own 0.1 had. A
    low reading repeating one step (NH3-N 0.08, now and then 0.09) keeps its 0.01: its mean moves by steps."""
    from ecosentry.subsystems.monitoring.detect.patterns import _mean_resolution

    times = to_datetime64(T0) + np.arange(N) * np.timedelta64(60, "s")
    rng = np.random.default_rng(1)
    dust = np.round(2.0 + 0.15 * rng.standard_normal(N), 1)
    assert _mean_resolution(Series(DUST, times, dust)) == pytest.approx(0.1 / np.sqrt(60))
    low = np.where(rng.random(N) < 0.05, 0.09, 0.08)
    assert _mean_resolution(Series(NH3N, times, low)) == pytest.approx(0.01)


@pytest.mark.parametrize("archetype", honest.GAS_ARCHETYPES)
def test_honest_dust_at_a_coarse_resolution_is_no_narrow_band(archetype):
    from ecosentry.subsystems.monitoring.detect.patterns import detect_narrow_spread

    assert codes(detect_narrow_spread(data_of(plant("gas", archetype, seed=4)), CFG)) == []


def test_dust_held_in_a_narrow_band_under_its_coarse_resolution_is_found():
    """Dust at 0.1 mg/m³ resolution held at 2.07 ± 0.15 for 30 h (seed 3 G012): the hourly means move 0.01 an
    hour where the base-load plant's history and load move them about 0.06 (0.045 and 0.03); that expected
    movement is under the digit of one record, but not under what the hourly mean of 60 of them resolves
    (judged against 0.1, nothing was found)."""
    from ecosentry.subsystems.monitoring.detect.patterns import detect_narrow_spread

    p = plant("gas", "base_load", seed=4)
    a, b = 1440 + 300, 1440 + 300 + 30 * 60
    rng = np.random.default_rng(7)
    honest._set_measured(p, DUST, slice(a, b), 2.07 + rng.uniform(-0.15, 0.15, b - a))
    found = detect_narrow_spread(data_of(p), CFG)
    assert found and {f.factor for f in found} == {DUST}
    for f in found:
        assert at(a) - timedelta(hours=1) <= f.start and f.end <= at(b) + timedelta(hours=1)
        assert f.evidence["resolution"] == pytest.approx(0.1 / np.sqrt(60))
        assert f.evidence["rms_change"] < 0.2 * f.evidence["typical_rms_change"] < 0.1  # under one record's digit
