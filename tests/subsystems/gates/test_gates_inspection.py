"""The inspection method reproduced (§3.4): a seeded draw of 2–3 windows of 5–10 minutes on alert days and 5–10
ledger rows, with the full record of matches and mismatches, and the findings drawn from it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ecosentry.subsystems.gates.check import check_dataset, inspection_record
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.gates.simulate import simulate_enterprise

Z = ZoneInfo("Asia/Shanghai")


def _settings(seed: int) -> GatesSettings:
    s = GatesSettings()
    return s.model_copy(update={"checks": s.checks.model_copy(update={
        "inspection": s.checks.inspection.model_copy(update={"seed": seed})})})


def test_an_honest_enterprise_inspected_every_vehicle_matches():
    ds = simulate_enterprise(21, 1, days=7, grade="B", level="orange").dataset()
    [r] = inspection_record(ds)
    assert r.alert_days == ["2026-01-07", "2026-01-08", "2026-01-09"]
    assert 2 <= len(r.windows) <= 3 and 5 <= len(r.rows) <= 10
    for w in r.windows:
        assert 5 <= w.minutes <= 10 and w.start[:10] in r.alert_days
        start, end = datetime.fromisoformat(w.start), datetime.fromisoformat(w.end)
        assert (end - start).total_seconds() == 60 * w.minutes
        assert all(start <= datetime.fromisoformat(s["time"]) < end for s in w.seen)
        assert all(s["ledger_line"] is not None for s in w.seen) and w.matched == len(w.seen)
    assert r.matches >= len(r.windows) and r.mismatches == 0 and r.rows_wanting == 0
    assert all(row.time[:10] in r.alert_days and not row.problems for row in r.rows)
    d = r.as_dict()
    assert d["video"]["matches"] == r.matches and d["ledger"]["sampled"] == len(r.rows)


def test_the_same_seed_draws_the_same_inspection_another_seed_another():
    ds = simulate_enterprise(22, 2, days=7, grade="B", level="red").dataset()
    a, b = inspection_record(ds, _settings(7)), inspection_record(ds, _settings(7))
    assert [x.as_dict() for x in a] == [x.as_dict() for x in b]
    c = inspection_record(ds, _settings(8))
    assert [w.start for w in a[0].windows] != [w.start for w in c[0].windows] or \
        [r.line for r in a[0].rows] != [r.line for r in c[0].rows]


def test_mismatches_in_the_record_are_the_findings():
    # a truck with no ledger row inside the alert: draw seeds until a window catches it
    sim = simulate_enterprise(23, 3, days=6, grade="B", level="orange")
    plate = sim.passages[len(sim.passages) // 2][4]
    t_mid = sim.passages[len(sim.passages) // 2][2]
    sim.ledger = [r for r in sim.ledger if not (r[3] == plate and abs(r[1] - t_mid) <= 200)]
    ds = sim.dataset()
    for seed in range(200):
        st = _settings(seed)
        [r] = inspection_record(ds, st)
        if r.mismatches:
            break
    else:
        raise AssertionError("no window caught the missing row in 200 draws")
    [w] = [w for w in r.windows if w.not_in_ledger]
    assert [s["plate"] for s in w.not_in_ledger] == [plate] and w.matched == len(w.seen) - 1
    found = [f for f in check_dataset(ds, st) if f.code == "VEH-INSPECT-VIDEO"]
    assert len(found) == sum(1 for x in r.windows if x.not_in_ledger or x.ledger_without_vehicle)
    assert found[0].evidence["not_in_ledger"] == [plate] and found[0].evidence["seed"] == seed
    assert found[0].start == datetime.fromisoformat(w.start).astimezone(Z)


def test_without_an_alert_the_rows_are_drawn_from_every_day_and_no_window():
    sim = simulate_enterprise(24, 4, days=5, grade="B", level="orange")
    sim.alerts.clear()
    [r] = inspection_record(sim.dataset())
    assert r.alert_days == [] and r.windows == [] and 5 <= len(r.rows) <= 10
