"""The electricity registry: YAML and CSV files, good and bad; every error names the file, line and field
(shared/reference/subsystems.md §1.3; issue 15 items 1 and 10)."""

from __future__ import annotations

import textwrap

import pytest

from ecosentry.subsystems.power.registry import RegistryError, load_csv, load_registry, load_yaml
from ecosentry.subsystems.power.rules.state import Thresholds

GOOD = textwrap.dedent("""\
    enterprises:
      - id: 91141000MA0EXAMPLE
        name: Example Coking Co.
        tz: Asia/Shanghai
        industry: coking
        unmetered_kw: 8
        lines: [{id: L1, name: Coke oven line 1}]
        meters:
          - {id: SB001, ct_ratio: 200/5, phases: 3, rated_kw: 250}
          - {id: SB002, ct_ratio: 40, phases: 3, rated_kw: 90, thresholds: {on: 12, off: 6, dwell: 4}}
          - {id: SB003, rated_kw: 60}
          - {id: SB000}
        equipment:
          - {id: oven1, role: production, line: L1, meter: SB001, rated_kw: 250, normal_kw: 200}
          - {id: dust1, role: treatment, kind: dust_removal, meter: SB002, rated_kw: 90, serves: [oven1],
             grace_minutes: 10}
          - {id: voc1, role: treatment, kind: voc_treatment, meter: SB003, serves: [oven1]}
          - {id: total, role: total, meter: SB000}
    """)


def test_a_good_yaml_file():
    reg = load_yaml(GOOD, "plant.yaml")
    [ent] = reg.enterprises
    assert ent.id == "91141000MA0EXAMPLE" and ent.unmetered_kw == 8 and ent.zone.key == "Asia/Shanghai"
    meters = ent.meter_by_id()
    assert meters["SB001"].ct_ratio == 40.0 and meters["SB002"].thresholds == Thresholds(12, 6, 4)
    assert meters["SB003"].thresholds is None and meters["SB003"].phases == 3
    eq = ent.equipment_by_id()
    assert eq["oven1"].normal_load_kw == 200 and eq["voc1"].kind == "voc_treatment"
    assert [(lk.treatment, lk.serves, lk.grace_minutes) for lk in ent.linkages] == [
        ("dust1", ("oven1",), 10), ("voc1", ("oven1",), None)]
    assert ent.total.id == "total"
    assert reg.meter_owner()["SB002"][1].id == "dust1"


@pytest.mark.parametrize("change, line, field, words", [
    (("role: production, line: L1", "role: producer, line: L1"), 14, "role", "must be production, treatment or total"),
    (("serves: [oven1],", "serves: [oven9],"), 15, "serves", "'oven9' is not equipment"),
    (("on: 12, off: 6", "on: 12, off: 16"), 10, "thresholds.off", "16 is above the on threshold 12"),
    (("kind: dust_removal", "kind: scrubber"), 15, "kind", "must be one of desulfurisation"),
    (("meter: SB003", "meter: SB001"), 17, "meter", "'SB001' already measures 'oven1'"),
    (("meter: SB003", "meter: SB404"), 17, "meter", "'SB404' is not a meter"),
    (("rated_kw: 250}\n", "rated_kw: lots}\n"), 9, "rated_kw", "'lots' is not a number"),
    (("tz: Asia/Shanghai", "tz: Mars/Olympus"), 2, "tz", "unknown time zone"),
    (("phases: 3, rated_kw: 90", "phases: 2, rated_kw: 90"), 10, "phases", "must be one of 1, 3"),
    (("voc_treatment, meter: SB003, serves: [oven1]", "voc_treatment, meter: SB003"), 17, "serves",
     "serves no production equipment"),
    (("grace_minutes: 10", "grace_minutes: -1"), 15, "grace_minutes", "at least 0"),
])
def test_bad_yaml_names_line_and_field(change, line, field, words):
    old, new = change
    assert old in GOOD
    with pytest.raises(RegistryError) as err:
        load_yaml(GOOD.replace(old, new, 1), "plant.yaml")
    e = err.value
    assert (e.line, e.field) == (line, field), str(e)
    assert words in e.problem
    assert str(e).startswith(f"plant.yaml line {line}, {field}: ")


def test_the_stop_dwell_and_the_schedule_are_read_and_checked():
    text = GOOD.replace("dwell: 4}", "dwell: 4, dwell_off: 1}").replace("unmetered_kw: 8",
                                                                        "unmetered_kw: 8\n    schedule: night")
    [ent] = load_yaml(text, "plant.yaml").enterprises
    assert ent.meter_by_id()["SB002"].thresholds == Thresholds(12, 6, 4, 1) and ent.schedule == "night"
    assert load_yaml(GOOD, "plant.yaml").enterprises[0].schedule == "day"  # the default
    with pytest.raises(RegistryError, match="dwell_off"):
        load_yaml(GOOD.replace("dwell: 4}", "dwell: 4, dwell_off: 0}"), "plant.yaml")
    with pytest.raises(RegistryError, match="schedule"):
        load_yaml(GOOD.replace("unmetered_kw: 8", "unmetered_kw: 8\n    schedule: sometimes"), "plant.yaml")


def test_a_treatment_cannot_serve_another_treatment():
    bad = GOOD.replace("serves: [oven1]}", "serves: [dust1]}")
    with pytest.raises(RegistryError, match=r"line 17, serves: 'dust1' is treatment equipment, not production"):
        load_yaml(bad, "plant.yaml")


def test_not_yaml_and_not_a_registry():
    with pytest.raises(RegistryError, match=r"plant.yaml line 4: not valid YAML"):
        load_yaml("enterprises:\n  - id: a\n  - [b\n", "plant.yaml")
    with pytest.raises(RegistryError, match="needs a list 'enterprises'"):
        load_yaml("plants: []\n", "plant.yaml")
    with pytest.raises(RegistryError, match=r"line 4, id: enterprise 'a' is already defined on line 2"):
        load_yaml("enterprises:\n  - id: a\n    name: x\n  - id: a\n", "plant.yaml")


CSV = textwrap.dedent("""\
    enterprise,equipment,meter,role,serves,rated_kw,kind,normal_kw,on_kw,off_kw,tz,unmetered_kw
    E1,kiln,SB001,production,,250,,200,,,Asia/Shanghai,6
    E1,mill,SB002,production,,120,,,30,15,,
    E1,bag,SB003,treatment,kiln;mill,80,dust_removal,,,,,
    E1,total,SB000,total,,,,,,,,
    E2,line,M1,production,,50,,,,,Asia/Ho_Chi_Minh,
    E2,wwtp,M2,treatment,line,20,wastewater_treatment,,,,,
    """)


def test_a_good_csv_file_in_the_offline_check_layout():
    reg = load_csv(CSV, "E.csv")
    e1, e2 = reg.enterprises
    assert e1.unmetered_kw == 6 and e2.tz == "Asia/Ho_Chi_Minh"
    assert e1.linkages[0].serves == ("kiln", "mill")
    assert e1.meter_by_id()["SB002"].thresholds == Thresholds(30, 15, 3)
    assert e1.equipment_by_id()["bag"].kind == "dust_removal" and e2.equipment_by_id()["wwtp"].rated_kw == 20


@pytest.mark.parametrize("old, new, where", [
    ("E1,mill,SB002,production,,120", "E1,mill,SB002,production,,12O", "E.csv line 3, rated_kw: '12O' is not a number"),
    ("kiln;mill", "kiln;press", "E.csv line 4, serves: 'press' is not equipment of enterprise 'E1'"),
    ("E1,mill,SB002,production", "E1,mill,SB002,productoin", "E.csv line 3, role: must be production"),
    (",30,15,", ",30,45,", "E.csv line 3, off: 45 is above the on threshold 30"),
    ("E2,wwtp,M2,treatment,line,20", "E2,wwtp,M1,treatment,line,20", "E.csv line 7, meter: 'M1' already measures"),
    ("enterprise,equipment,meter,role,serves,rated_kw", "enterprise,equipment,meter,role,rated_kw,serves_x",
     "E.csv line 1, serves: missing column(s) serves"),
])
def test_bad_csv_names_line_and_field(old, new, where):
    assert old in CSV
    with pytest.raises(RegistryError) as err:
        load_csv(CSV.replace(old, new, 1), "E.csv")
    assert str(err.value).startswith(where), str(err.value)


def test_load_by_path(tmp_path):
    (tmp_path / "r.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    assert load_registry(tmp_path / "r.yaml").enterprises[0].id == "91141000MA0EXAMPLE"
    assert len(load_registry(tmp_path / "r.csv").enterprises) == 2
    with pytest.raises(RegistryError, match="cannot be read"):
        load_registry(tmp_path / "none.yaml")
    (tmp_path / "r.txt").write_text("x", encoding="utf-8")
    with pytest.raises(RegistryError, match="must be .yaml, .yml or .csv"):
        load_registry(tmp_path / "r.txt")
