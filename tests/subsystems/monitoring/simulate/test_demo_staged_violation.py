"""The demo stages one violation a regulator sees at once: the first flue-gas point's SO2 over its hourly limit
from the last complete hour of the history until two hours into the live data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecosentry.subsystems.monitoring.simulate.demo import staged_violations
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet
from ecosentry.subsystems.monitoring.simulate.profiles import gas_profile

NOW = datetime(2026, 12, 4, 10, 20, tzinfo=timezone.utc)


def _first_gas_point(fleet: dict) -> tuple[str, dict, float]:
    for ent in fleet["enterprises"]:
        for outlet in ent["outlets"]:
            if outlet["medium"] == "gas":
                p = outlet["points"][0]
                so2 = next(f for f in p["factors"] if f["code"] == "a21026")
                return str(p["mn"]), outlet, so2["limits"][0]["upper"]
    raise AssertionError("no gas point")


def test_the_first_gas_point_exceeds_its_so2_limit_over_the_staged_hours_only():
    fleet = demo_fleet(4)
    episodes = staged_violations(fleet, NOW, backfill_hours=6)
    mn, outlet, limit = _first_gas_point(fleet)
    assert list(episodes) == [mn]
    (ep,) = episodes[mn]
    assert (ep.factor, ep.start, ep.end) == ("a21026", NOW.replace(minute=0) - timedelta(hours=1),
                                             NOW.replace(minute=0) + timedelta(hours=2))
    profile = gas_profile(mn, ref_o2=outlet.get("ref_o2") or 6.0, duct_area=outlet.get("duct_area") or 10.0)
    before = profile.aggregate(ep.start - timedelta(hours=2), 3600, 5)["a21026"].avg
    profile.episodes = [ep]
    inside = profile.aggregate(ep.start, 3600, 5)["a21026"].avg
    after = profile.aggregate(ep.end, 3600, 5)["a21026"].avg
    plain = gas_profile(mn, ref_o2=outlet.get("ref_o2") or 6.0, duct_area=outlet.get("duct_area") or 10.0)
    assert before < limit and after < limit  # the plant is compliant outside the episode
    assert inside > limit and abs(inside - 2.5 * plain.aggregate(ep.start, 3600, 5)["a21026"].avg) < 1e-6
    assert profile.aggregate(ep.start, 3600, 5)["a21002"].avg == plain.aggregate(ep.start, 3600, 5)["a21002"].avg


def test_no_staged_violation_without_enough_history():
    assert staged_violations(demo_fleet(4), NOW, backfill_hours=1) == {}
