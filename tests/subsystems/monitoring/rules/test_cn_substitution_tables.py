"""Worked examples for rules.cn.substitution (reference notes §2.2, §2.3; HJ 75-2017 §12, HJ 356-2019 §8)."""

import pytest

from ecosentry.subsystems.monitoring.rules.cn.substitution import (
    Revision,
    SubstitutionSettings,
    find_gaps,
    quarterly_capture_rate,
    substitute_gas_emissions,
    substitute_water_values,
)

HIST = 2200  # valid hours before the gap


def gas_series(n_gap, after=3.0):
    """2200 valid hours of 1.0 with markers, then n_gap invalid hours, then one valid hour.

    Markers, counted back from the gap start (index 2200):
      10th valid hour before  → 2.0 (inside the 180-hour window)
      181st                   → 5.0 (outside 180, inside 720)
      721st                   → 7.0 (outside 720, inside 2160)
      2161st                  → 9.0 (outside every window)
    so the window used shows in the substitute: 180 → 2.0, 720 → 5.0, 2160 → 7.0.
    """
    values = [1.0] * HIST
    values[HIST - 10] = 2.0
    values[HIST - 181] = 5.0
    values[HIST - 721] = 7.0
    values[HIST - 2161] = 9.0
    values += [None] * n_gap + [after]
    valid = [True] * HIST + [False] * n_gap + [True]
    return values, valid


def run(n_gap, alpha, cause="maintenance", **kw):
    values, valid = gas_series(n_gap, after=kw.pop("after", 3.0))
    causes = [None] * HIST + [cause] * n_gap + [None]
    return substitute_gas_emissions(values, valid, causes, alpha, **kw)


def test_capture_rate():
    # Q = 92 d × 24 = 2208 h, 208 h stopped, 200 h invalid → (2208 − 208 − 200)/(2208 − 208) = 1800/2000
    assert quarterly_capture_rate(2208, 208, 200) == 0.9
    assert quarterly_capture_rate(2208, 208, 201) == 1799 / 2000
    assert quarterly_capture_rate(2208, 2208, 0) is None
    with pytest.raises(ValueError):
        quarterly_capture_rate(10, 6, 5)
    with pytest.raises(ValueError):
        quarterly_capture_rate(10, -1, 0)


@pytest.mark.parametrize(
    "alpha, n_gap, substitute, code",
    [
        (0.90, 24, 2.0, "CN-SUB-GAS-GAP-180"),   # α = 90 %, N = 24 → max of 180
        (0.90, 25, 5.0, "CN-SUB-GAS-GAP-720"),   # α = 90 %, N = 25 → max of 720
        (0.899, 24, 7.0, "CN-SUB-GAS-GAP-2160"),  # α = 89.9 % → max of 2160 whatever N
        (0.899, 25, 7.0, "CN-SUB-GAS-GAP-2160"),
        (0.75, 24, 7.0, "CN-SUB-GAS-GAP-2160"),   # α = 75 % → still 2160
        (0.75, 25, 7.0, "CN-SUB-GAS-GAP-2160"),
        (0.749, 24, None, "CN-SUB-GAS-NONE"),     # α = 74.9 % → no substitution
        (0.749, 25, None, "CN-SUB-GAS-NONE"),
    ],
)
def test_maintenance_table(alpha, n_gap, substitute, code):
    revs = run(n_gap, alpha)
    assert len(revs) == n_gap
    assert [r.index for r in revs] == list(range(HIST, HIST + n_gap))
    assert {r.substitute for r in revs} == {substitute}
    assert {r.rule_code for r in revs} == {code}
    assert all(r.original is None for r in revs)


def test_capture_rate_feeds_the_table_at_the_boundary():
    assert run(24, quarterly_capture_rate(2208, 208, 200))[0].rule_code == "CN-SUB-GAS-GAP-180"
    assert run(24, quarterly_capture_rate(2208, 208, 201))[0].rule_code == "CN-SUB-GAS-GAP-2160"


def test_below_75_percent_explains_why():
    r = run(3, 0.749)[0]
    assert r.substitute is None
    assert r.explanation == (
        "维护 (maintenance) gap of N = 3 h at [2200, 2203), α = 0.749: "
        "α < 75%: HJ 75 gives no substitution; manual/permit rules apply"
    )


def test_maintenance_short_gap_mean_before_after_setting():
    # Valid hour before the gap = 1.0, after = 4.0 → (1.0 + 4.0)/2 = 2.5 (N = 24, α = 90 %).
    settings = SubstitutionSettings(maintenance_short_gap="mean_before_after")
    revs = run(24, 0.90, after=4.0, settings=settings)
    assert {(r.substitute, r.rule_code) for r in revs} == {(2.5, "CN-SUB-GAS-GAP-MEAN")}
    # N = 25 is outside the short-gap row: max of 720 regardless of the setting.
    assert run(25, 0.90, settings=settings)[0].substitute == 5.0
    with pytest.raises(ValueError):
        SubstitutionSettings(maintenance_short_gap="median")


def test_mean_before_after_needs_both_sides():
    settings = SubstitutionSettings(maintenance_short_gap="mean_before_after")
    revs = substitute_gas_emissions([1.0, None], [True, False], [None, "missing"], 0.95, settings=settings)
    assert (revs[0].substitute, revs[0].rule_code) == (None, "CN-SUB-GAS-NODATA")


def test_out_of_control_window_ends_before_last_calibration():
    # Last passing calibration at index 2100. 180 valid hours before it = [1920, 2100) contains
    # index 2019 (5.0) → 5.0; 720 before it = [1380, 2100) contains 1479 (7.0) → 7.0.
    assert run(24, 0.95, cause="out_of_control", last_calibration_index=2100)[0].substitute == 5.0
    r = run(25, 0.95, cause="out_of_control", last_calibration_index=2100)[0]
    assert (r.substitute, r.rule_code) == (7.0, "CN-SUB-GAS-OOC-720")
    assert "last calibration at index 2100" in r.explanation
    # No calibration index: the window ends at the gap start, and the explanation says so.
    r = run(24, 0.95, cause="out_of_control")[0]
    assert (r.substitute, r.rule_code) == (2.0, "CN-SUB-GAS-OOC-180")
    assert "last calibration index not given" in r.explanation
    assert run(24, 0.80, cause="out_of_control")[0].rule_code == "CN-SUB-GAS-OOC-2160"


def test_gaps_split_by_cause_and_input_untouched():
    # 3 maintenance hours then 2 missing hours: two gaps, N = 3 and N = 2.
    values = [4.0, 6.0, None, None, None, None, None, 5.0]
    valid = [True, True, False, False, False, False, False, True]
    causes = [None, None, "maintenance", "maintenance", "maintenance", "missing", None, None]
    before = list(values)
    assert find_gaps(values, valid, causes) == [(2, 5, "maintenance"), (5, 7, "missing")]
    revs = substitute_gas_emissions(values, valid, causes, 0.95)
    assert values == before
    # Only 2 valid hours before each gap: max(4.0, 6.0) = 6.0, and the explanation says "only 2".
    assert revs[0] == Revision(
        2, None, 6.0, "CN-SUB-GAS-GAP-180",
        "维护 (maintenance) gap of N = 3 h at [2, 5), α = 0.95: max of the 180 valid hours before gap start "
        "(only 2 available)",
    )
    assert revs[3].explanation.startswith("缺失 (missing) gap of N = 2 h at [5, 7)")


def test_invalid_value_is_kept_as_original_and_valid_without_value_is_missing():
    causes = [None, "maintenance", "out_of_control"]
    revs = substitute_gas_emissions([3.0, 80.0, None], [True, False, True], causes, 0.95)
    assert [(r.index, r.original, r.substitute) for r in revs] == [(1, 80.0, 3.0), (2, None, 3.0)]
    assert revs[1].explanation.startswith("缺失 (missing)")
    with pytest.raises(ValueError, match="cause"):
        substitute_gas_emissions([None], [False], ["calibration"], 0.95)
    with pytest.raises(ValueError, match="alpha"):
        substitute_gas_emissions([None], [False], [None], 90.0)


def test_no_valid_history_gives_none():
    revs = substitute_gas_emissions([None, None], [False, False], [None, None], 0.95)
    assert {(r.substitute, r.rule_code) for r in revs} == {(None, "CN-SUB-GAS-NODATA")}


def test_water_mean_of_preceding_period_of_equal_length():
    # COD: gap of N = 2 at [4, 6) → preceding 2 h [2, 4) = 3.0, 4.0 → mean 3.5
    values = [1.0, 2.0, 3.0, 4.0, None, None, 9.0]
    revs = substitute_water_values(values, [v is not None for v in values], "w01018")
    assert [(r.index, r.substitute, r.rule_code) for r in revs] == [
        (4, 3.5, "CN-SUB-WATER-MEAN"), (5, 3.5, "CN-SUB-WATER-MEAN"),
    ]
    assert revs[0].explanation == "gap of N = 2 h: mean of 2 valid values in the preceding 2 h [2, 4)"
    # flow (w00000) uses the mean too
    assert substitute_water_values(values, [v is not None for v in values], "w00000")[0].substitute == 3.5


def test_water_ph_median():
    # pH: gap N = 3 at [4, 7) → preceding [1, 4) = 6.0, 9.0, 8.0 → median 8.0 (mean would be 7.666…)
    values = [7.0, 6.0, 9.0, 8.0, None, None, None]
    revs = substitute_water_values(values, [v is not None for v in values], "w01001")
    assert {(r.substitute, r.rule_code) for r in revs} == {(8.0, "CN-SUB-WATER-PH-MEDIAN")}
    # even count: N = 2 at [4, 6) → preceding [2, 4) = 9.0, 8.0 → median (8.0 + 9.0)/2 = 8.5
    values = [7.0, 6.0, 9.0, 8.0, None, None]
    assert substitute_water_values(values, [v is not None for v in values], "w01001")[0].substitute == 8.5


def test_water_window_skips_invalid_clips_and_may_be_empty():
    # Gap N = 3 at [1, 4): preceding 3 h clipped to [0, 1) → 5.0
    revs = substitute_water_values([5.0, None, None, None], [True, False, False, False], "w21003")
    assert revs[0].substitute == 5.0
    assert revs[0].explanation.endswith("(clipped at series start)")
    # Invalid value in the window is skipped: [2.0 (invalid), 4.0] before a 2-hour gap → 4.0
    revs = substitute_water_values([2.0, 4.0, None, None], [False, True, False, False], "w21011")
    assert [r.index for r in revs] == [0, 2, 3]
    assert (revs[0].substitute, revs[0].rule_code) == (None, "CN-SUB-WATER-NODATA")
    assert revs[1].substitute == 4.0
    with pytest.raises(ValueError, match="factor"):
        substitute_water_values([1.0], [True], "a21026")


def test_look_back_windows_from_the_valid_hours_index_equal_the_walk_back():
    """The bulk recompute's windows (slices of a ValidHistory over a longer series, issue 19 item 3) give
    the revisions of the walk back hour by hour: every window length, short history, no history, out of
    control, non-finite values and a slice that starts inside the longer series."""
    import math
    import random

    from ecosentry.subsystems.monitoring.rules.cn.substitution import ValidHistory

    rnd = random.Random(193)
    for case in range(40):
        n = rnd.choice([30, 400, 3000])
        values = [None if rnd.random() < 0.05 else (math.nan if rnd.random() < 0.01 else round(rnd.uniform(0, 9), 3))
                  for _ in range(n)]
        valid = [rnd.random() > (0.5 if case % 5 == 0 else 0.08) for _ in range(n)]
        causes = [rnd.choice(["missing", "maintenance", "out_of_control"]) if not v else None for v in valid]
        history = ValidHistory.of(values, valid)
        offset = rnd.randrange(0, n // 3)
        for alpha in (0.95, 0.8, 0.5):
            whole = substitute_gas_emissions(values, valid, causes, alpha)
            assert substitute_gas_emissions(values, valid, causes, alpha, history=history) == whole
            part = (values[offset:], valid[offset:], causes[offset:])
            assert substitute_gas_emissions(*part, alpha, history=history, offset=offset) == \
                substitute_gas_emissions(*part, alpha)
        assert any(r.rule_code.endswith("-2160") for r in substitute_gas_emissions(values, valid, causes, 0.8))
    empty = ValidHistory.of([None, None], [False, False])
    assert empty.last_before(2, 180).size == 0
    assert substitute_gas_emissions([None], [False], ["missing"], 0.95, history=empty)[0].rule_code == \
        "CN-SUB-GAS-NODATA"


def test_emit_from_returns_the_tail_of_the_same_revisions():
    """A caller that needs one day of a long look-back (the worker's flush) gets exactly the revisions of the
    hours from ``emit_from`` on: each gap is still judged whole (its N, its window, its explanation)."""
    import random

    rnd = random.Random(2)
    values = [None if rnd.random() < 0.2 else round(rnd.uniform(1, 9), 2) for _ in range(400)]
    values[100:160] = [None] * 60  # a long gap that the cut falls in
    valid = [v is not None and rnd.random() > 0.05 for v in values]
    causes = [None if ok else rnd.choice(["maintenance", "missing", "out_of_control"]) for ok in valid]
    valid[100:160], causes[100:160] = [False] * 60, ["missing"] * 60
    for cut in (0, 1, 130, 159, 160, 399, 400):
        for alpha in (0.95, 0.8, 0.5):
            whole = substitute_gas_emissions(values, valid, causes, alpha)
            assert substitute_gas_emissions(values, valid, causes, alpha, emit_from=cut) == \
                [r for r in whole if r.index >= cut]
        for factor in ("w01018", "w01001"):
            whole = substitute_water_values(values, valid, factor)
            assert substitute_water_values(values, valid, factor, emit_from=cut) == [r for r in whole if r.index >= cut]
    gap = [r for r in substitute_gas_emissions(values, valid, causes, 0.95, emit_from=130) if r.index < 160]
    assert gap[0].index == 130 and "gap of N = 60 h at [100, 160)" in gap[0].explanation


def test_find_gaps_in_runs_equals_hour_by_hour():
    """The gaps found run by run are the ones an hour-by-hour walk finds; an unknown cause is refused at its
    first hour."""
    import math
    import random

    def by_hour(values, valid, causes):
        gaps = []
        for i, (v, ok) in enumerate(zip(values, valid)):
            if ok and v is not None and math.isfinite(v):
                continue
            cause = causes[i] if not ok and causes[i] is not None else "missing"
            if gaps and gaps[-1][1] == i and gaps[-1][2] == cause:
                gaps[-1] = (gaps[-1][0], i + 1, cause)
            else:
                gaps.append((i, i + 1, cause))
        return gaps

    rnd = random.Random(3)
    for _ in range(50):
        n = rnd.randint(0, 300)
        values = [rnd.choice([None, 1.0, 2.5, float("nan"), float("inf")]) for _ in range(n)]
        valid = [rnd.random() > 0.3 for _ in range(n)]
        causes = [rnd.choice([None, "maintenance", "missing", "out_of_control"]) for _ in range(n)]
        assert find_gaps(values, valid, causes) == by_hour(values, valid, causes)
        assert find_gaps(values, valid) == by_hour(values, valid, [None] * n)
    with pytest.raises(ValueError, match="unknown cause 'calibration' at index 2"):
        find_gaps([1.0, None, None], [True, False, False], [None, "missing", "calibration"])
