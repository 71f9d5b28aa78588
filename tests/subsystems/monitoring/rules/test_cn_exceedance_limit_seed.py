"""The limit seed (limits_seed.yaml) parses and matches the reference notes §4.3 / §3.2."""

from datetime import date

import pytest

from ecosentry.subsystems.monitoring.rules.cn.exceedance import judge_water_day, load_limit_seed

CODES = {"a34013", "a21026", "a21002", "a21005", "a21024", "w01018", "w21003", "w21011", "w21001", "w01001", None}


@pytest.fixture(scope="module")
def rows():
    return load_limit_seed()


def find(rows, standard, factor, source=None, table=None, kind=None, condition=None):
    hits = [
        r for r in rows
        if r.standard == standard and r.factor == factor
        and (source is None or r.source == source)
        and (table is None or r.table == table)
        and (kind is None or r.kind == kind)
        and (condition is None or r.condition == condition)
    ]
    assert len(hits) == 1, hits
    return hits[0]


def test_every_row_parses(rows):
    assert len(rows) == 116
    for r in rows:
        assert r.kind in ("hour", "day")
        assert r.factor in CODES
        assert r.tag == "R"
        assert r.upper is not None or r.lower is not None
        # gas rows carry a reference O2, water rows do not
        assert (r.ref_o2 is not None) == (r.factor is not None and r.factor.startswith("a"))
        r.to_limit(valid_from=date(2020, 1, 1))


def test_spot_values_match_reference(rows):
    assert find(rows, "GB 13223-2011", "a21026", "coal boiler", "1", condition="new unit").upper == 100
    assert find(rows, "GB 13223-2011", "a21026", "coal boiler", "1", condition="existing unit").upper == 200
    assert find(rows, "GB 13223-2011", "a21026", "coal boiler", "1", condition="new unit").ref_o2 == 6
    assert find(rows, "环发〔2015〕164号 ultra-low", "a21002").upper == 50
    assert find(rows, "环发〔2015〕164号 ultra-low", "a34013").upper == 10
    assert find(rows, "GB 13223-2011", "a21002", "gas turbine", "2").upper == 50
    assert find(rows, "GB 13271-2014", "a21026", "coal boiler (new)", "2").upper == 300
    assert find(rows, "GB 13271-2014", "a21002", "gas boiler (special)", "3").upper == 150
    assert find(rows, "GB 13271-2014", "a21002", "gas boiler (special)", "3").ref_o2 == 3.5
    assert find(rows, "GB 18485-2014", "a21024", kind="hour").upper == 60
    assert find(rows, "GB 18485-2014", "a21005", kind="day").upper == 80
    assert find(rows, "GB 18485-2014", "a34013", kind="day").ref_o2 == 11
    assert find(rows, "GB 4915-2013", "a21002", "cement kiln (special)").upper == 320
    assert find(rows, "GB 18918-2002", "w01018", "一级A").upper == 50
    assert find(rows, "GB 18918-2002", "w21003", "一级A", condition="water temperature ≤ 12 °C").upper == 8
    assert find(rows, "GB 18918-2002", "w21011", "一级A", condition="built on or after 2006-01-01").upper == 0.5
    ph = find(rows, "GB 8978-1996", "w01001")
    assert (ph.lower, ph.upper) == (6.0, 9.0)
    assert find(rows, "GB 8978-1996", "w01018", "其他排污单位, 三级").upper == 500


def test_seed_row_drives_a_judgement(rows):
    # GB 18918 一级A COD 50 mg/L, daily mean 55 → (55 − 50)/50 = 0.1
    cod = find(rows, "GB 18918-2002", "w01018", "一级A").to_limit()
    e = judge_water_day(55.0, True, [cod], date(2024, 6, 1))
    assert e.exceeded is True and e.multiple == (55.0 - 50.0) / 50.0 == 0.1
    assert e.reason == "55 > upper limit 50 (GB 18918-2002 Table 1)"


def test_bad_rows_are_rejected(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rows:\n- {standard: X, table: null, source: s, factor: null, factor_name: f, kind: week, "
                   "upper: 1, lower: null, ref_o2: null, condition: null, tag: R}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kind"):
        load_limit_seed(str(bad))
    bad.write_text("rows:\n- {standard: X}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="fields"):
        load_limit_seed(str(bad))
