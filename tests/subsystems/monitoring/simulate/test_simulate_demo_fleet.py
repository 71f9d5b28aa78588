"""Demo fleet: structure, uniqueness, valid codes, determinism, YAML round trip."""

import re
from datetime import datetime

import pytest
import yaml

from ecosentry.protocols.credit_code import is_valid_credit_code, is_valid_organization_code
from ecosentry.subsystems.monitoring.simulate.fleet import REGIONS, demo_fleet, write_fleet_yaml
from ecosentry.subsystems.monitoring.simulate.profiles import gas_profile
from ecosentry.store.seed import factor_index

ENTERPRISE_KEYS = {"credit_code", "name", "industry", "region", "address", "lon", "lat", "published", "outlets"}
OUTLET_KEYS = {"code", "name", "medium", "lon", "lat", "ref_o2", "duct_area", "height", "points"}
POINT_KEYS = {"mn", "password", "st", "name", "tz", "min_interval", "rtd_interval", "factors"}


def points_of(fleet):
    return [(e, o, p) for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]]


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_fleet_has_n_unique_loggers_with_valid_codes(n):
    fleet = demo_fleet(n)
    rows = points_of(fleet)
    assert len(rows) == n
    mns = [p["mn"] for _, _, p in rows]
    assert len(set(mns)) == n
    assert all(len(mn) <= 24 and mn.isdigit() for mn in mns)
    credit = [e["credit_code"] for e in fleet["enterprises"]]
    assert len(set(credit)) == len(credit)
    for code, e in zip(credit, fleet["enterprises"]):
        assert is_valid_credit_code(code), code
        assert is_valid_organization_code(code[8:17]), code
        assert code[2:8] == e["region"]  # registering authority's division
    names = [e["name"] for e in fleet["enterprises"]]
    assert len(set(names)) == len(names)
    # About one gas point per two loggers.
    assert sum(p["st"] == "31" for _, _, p in rows) == (n + 1) // 2


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_every_point_has_known_factors_and_consistent_limits(n):
    catalogue = factor_index()
    fleet = demo_fleet(n)
    for e, o, p in points_of(fleet):
        assert set(e) - {"park"} == ENTERPRISE_KEYS and set(o) == OUTLET_KEYS and set(p) == POINT_KEYS
        assert p["factors"], p["mn"]
        assert p["password"] == "123456" and p["tz"] == "Asia/Shanghai" and p["rtd_interval"] == 30
        codes = [f["code"] for f in p["factors"]]
        assert len(codes) == len(set(codes))
        for f in p["factors"]:
            assert f["code"] in catalogue
            assert catalogue[f["code"]]["medium"] == o["medium"]
            lo, hi = f["range"]
            assert lo < hi
            for limit in f["limits"]:
                assert limit["kind"] == ("hour" if o["medium"] == "gas" else "day")
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", limit["valid_from"])
                assert limit["standard"]
                assert limit["upper"] <= hi
        if o["medium"] == "gas":
            assert p["st"] == "31" and p["min_interval"] == 1
            assert o["code"].startswith("DA") and o["ref_o2"] in (6.0, 9.0, 10.0)
            assert o["duct_area"] > 0 and o["height"] > 0
            assert {"a34013", "a21026", "a21002", "a19001", "a00000"} <= set(codes)
        else:
            assert p["st"] == "32" and p["min_interval"] == 10
            assert o["code"].startswith("DW") and o["ref_o2"] is None and o["duct_area"] is None
            assert {"w01018", "w21003", "w21011", "w21001", "w01001", "w00000"} <= set(codes)
            ph = next(f for f in p["factors"] if f["code"] == "w01001")
            assert (ph["limits"][0]["lower"], ph["limits"][0]["upper"]) == (6.0, 9.0)


def test_limits_follow_the_industry():
    fleet = demo_fleet(300, seed=3)
    seen = set()
    for e, o, p in points_of(fleet):
        limits = {f["code"]: f["limits"][0] for f in p["factors"] if f["limits"]}
        industry = e["industry"]
        if o["medium"] == "gas" and industry.startswith(("4411", "4412")):
            assert limits["a21026"]["upper"] == 35.0 and limits["a34013"]["upper"] == 10.0
            assert limits["a21002"]["standard"] == "环发〔2015〕164号 超低排放" and o["ref_o2"] == 6.0
        if o["medium"] == "water" and industry.startswith("4620"):
            assert limits["w01018"]["upper"] == 50.0 and limits["w21011"]["upper"] == 0.5
            assert limits["w21001"]["upper"] == 15.0 and limits["w21003"]["upper"] == 5.0
        if o["medium"] == "water" and not industry.startswith("4620"):
            assert limits["w01018"]["standard"].startswith("GB 8978-1996")
        if o["medium"] == "gas" and industry.startswith("3011"):
            assert o["ref_o2"] == 10.0
        seen.add(industry.split()[0])
    assert {"4411", "4412", "4620", "2221", "2614"} <= seen


def test_regions_are_a_tree_and_referenced():
    fleet = demo_fleet(50)
    codes = {r["code"] for r in fleet["regions"]}
    for r in fleet["regions"]:
        assert r.get("parent") is None or r["parent"] in codes
    assert {e["region"] for e in fleet["enterprises"]} <= codes
    assert {r["code"]: r["name"] for r in REGIONS}["320583"] == "昆山市"
    assert any(u["role"] == "admin" and u["username"] == "admin" for u in fleet["users"])


def test_deterministic_for_n_and_seed():
    assert demo_fleet(7, seed=1) == demo_fleet(7, seed=1)
    assert demo_fleet(7, seed=1) != demo_fleet(7, seed=2)
    assert demo_fleet(0)["enterprises"] == []
    with pytest.raises(ValueError):
        demo_fleet(-1)


def test_password_parameter():
    fleet = demo_fleet(3, password="pw-ABC")
    assert {p["password"] for _, _, p in points_of(fleet)} == {"pw-ABC"}


def test_write_fleet_yaml_round_trips(tmp_path):
    fleet = demo_fleet(7)
    path = write_fleet_yaml(fleet, tmp_path / "sub" / "fleet.yaml")
    text = path.read_text(encoding="utf-8")
    assert "苏州市" in text  # written as UTF-8, not escaped
    loaded = yaml.safe_load(text)
    assert loaded == fleet
    assert isinstance(loaded["enterprises"][0]["outlets"][0]["points"][0]["mn"], str)


def test_gas_points_feed_the_profile_generator():
    for _, o, p in points_of(demo_fleet(7)):
        if o["medium"] == "gas":
            profile = gas_profile(p["mn"], o["ref_o2"], o["duct_area"])
            flow_range = next(f["range"] for f in p["factors"] if f["code"] == "a00000")
            assert profile.aggregate(datetime(2024, 1, 1), 3600, 60)["a00000"].max <= flow_range[1]
