"""The HJ 212-2017 Appendix B factor catalogue (store/seed/factors.yaml)."""

from ecosentry.store.seed import FACTOR_FIELDS, factor_index, load_factors

# code: (old code, unit, cou unit, medium, category) — HJ 212-2017 Appendix B as summarised in
# shared/reference/china-vietnam-rules.md, plus NO/NO2/CO and the flue pressure/humidity codes.
REQUIRED = {
    "a34013": ("01", "mg/m³", "kg", "gas", "pollutant"),
    "a21026": ("02", "mg/m³", "kg", "gas", "pollutant"),
    "a21002": ("03", "mg/m³", "kg", "gas", "pollutant"),
    "a21003": (None, "mg/m³", "kg", "gas", "pollutant"),
    "a21004": (None, "mg/m³", "kg", "gas", "pollutant"),
    "a21005": ("04", "mg/m³", "kg", "gas", "pollutant"),
    "a19001": ("S01", "%", None, "gas", "parameter"),
    "a01011": ("S02", "m/s", None, "gas", "parameter"),
    "a01012": ("S03", "°C", None, "gas", "parameter"),
    "a01013": ("S08", "kPa", None, "gas", "parameter"),
    "a01014": ("S05", "%", None, "gas", "parameter"),
    "a00000": ("B02", "m³/s", "m³", "gas", "flow"),
    "w00000": ("B01", "L/s", "m³", "water", "flow"),
    "w01018": ("011", "mg/L", "kg", "water", "pollutant"),
    "w21003": ("060", "mg/L", "kg", "water", "pollutant"),
    "w21011": ("101", "mg/L", "kg", "water", "pollutant"),
    "w21001": ("065", "mg/L", "kg", "water", "pollutant"),
    "w01001": ("001", None, None, "water", "pollutant"),
}


def test_every_code_is_unique_and_complete():
    factors = load_factors()
    codes = [f["code"] for f in factors]
    assert len(codes) == len(set(codes))
    assert len(factors) >= 60
    for f in factors:
        assert set(FACTOR_FIELDS) <= set(f), f["code"]
        assert f["medium"] in {"gas", "water", "ambient"}
        assert f["category"] in {"pollutant", "parameter", "flow"}
        assert isinstance(f["confirmed"], bool)
        assert f["name_zh"] and f["name_en"]
        assert len(f["code"]) == 6 and f["code"][0] in "aw"
        assert f["old_code"] is None or isinstance(f["old_code"], str)


def test_old_codes_are_unique_per_medium():
    for medium in ("gas", "water"):
        old = [f["old_code"] for f in load_factors() if f["medium"] == medium and f["old_code"]]
        assert len(old) == len(set(old)), medium


def test_required_codes_are_present_and_right():
    index = factor_index()
    for code, (old, unit, cou, medium, category) in REQUIRED.items():
        f = index[code]
        assert (f["old_code"], f["unit"], f["cou_unit"], f["medium"], f["category"]) == (
            old, unit, cou, medium, category,
        ), code
        assert f["confirmed"] is True, code


def test_load_returns_a_fresh_copy():
    first = load_factors()
    first[0]["code"] = "changed"
    assert load_factors()[0]["code"] != "changed"


def test_the_libyaml_reading_is_the_pure_python_one():
    """The catalogue is parsed by libyaml when PyYAML has it (issue 13 item 3, speed): the same entries, in
    the same order and types, as ``yaml.safe_load``."""
    from importlib import resources

    import yaml

    text = resources.files("ecosentry.store.seed").joinpath("factors.yaml").read_text(encoding="utf-8")
    slow = yaml.safe_load(text)
    fast = load_factors()
    assert fast == slow
    assert [[type(v) for v in e.values()] for e in fast] == [[type(v) for v in e.values()] for e in slow]
