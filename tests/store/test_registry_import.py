"""Registry import (YAML and CSV) into SQLite and PostgreSQL: structure, idempotence, errors that name the
row or key at fault and change nothing, the region tree, and the migrations both ways."""

from __future__ import annotations

import csv
import tempfile
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

from ecosentry.service import prepare_database
from ecosentry.subsystems.monitoring.simulate.fleet import REGIONS, demo_fleet, write_fleet_yaml
from ecosentry.store.schema import installed_metadata
from ecosentry.store import schema as s
from ecosentry.store.db import alembic_config, make_engine, migrate
from ecosentry.fleet import CSV_COLUMNS, RegistryError, import_fleet, load_fleet_file
from ecosentry.store.registry import load_point_directory, region_subtree

REGISTRY_TABLES = (s.regions, s.enterprises, s.outlets, s.points, s.point_factors, s.limits, s.users)
REGION_NAMES = {r["code"]: r["name"] for r in REGIONS}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def engine(db_url):
    eng = prepare_database(db_url)
    yield eng
    eng.dispose()


def points_of(fleet: dict):
    return [(e, o, p) for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]]


def counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t.name: c.execute(select(func.count()).select_from(t)).scalar_one() for t in REGISTRY_TABLES}


def snapshot(engine) -> dict[str, list]:
    """Every registry row (ids included), to show that a failed import changed nothing at all."""
    with engine.connect() as c:
        return {t.name: sorted(tuple(map(repr, r)) for r in c.execute(select(t))) for t in REGISTRY_TABLES}


def structure(engine) -> dict[str, set]:
    """The registry as natural keys (what both file formats carry), independent of ids."""
    e, o, p, pf, lim = s.enterprises, s.outlets, s.points, s.point_factors, s.limits
    with engine.connect() as c:
        ents = set(c.execute(select(e.c.credit_code, e.c.name, e.c.industry, e.c.region_code)).all())
        outs = set(c.execute(select(e.c.credit_code, o.c.code, o.c.name, o.c.medium, o.c.ref_o2, o.c.duct_area)
                             .join_from(o, e, o.c.enterprise_id == e.c.id)).all())
        pts = set(c.execute(select(p.c.mn, p.c.password, p.c.st, p.c.name, p.c.tz, p.c.min_interval, p.c.region_code,
                                   e.c.credit_code, o.c.code)
                            .join_from(p, o, p.c.outlet_id == o.c.id).join(e, o.c.enterprise_id == e.c.id)).all())
        pfs = set(c.execute(select(p.c.mn, pf.c.factor_code, pf.c.range_low, pf.c.range_high)
                            .join_from(pf, p, pf.c.point_id == p.c.id)).all())
        lims = set(c.execute(select(p.c.mn, lim.c.factor_code, lim.c.kind, lim.c.upper, lim.c.lower, lim.c.valid_from,
                                    lim.c.standard).join_from(lim, p, lim.c.point_id == p.c.id)).all())
    return {"enterprises": ents, "outlets": outs, "points": pts, "point_factors": pfs, "limits": lims}


def expected_structure(fleet: dict) -> dict[str, set]:
    ents, outs, pts, pfs, lims = set(), set(), set(), set(), set()
    for e in fleet["enterprises"]:
        ents.add((e["credit_code"], e["name"], e["industry"], e["region"]))
        for o in e["outlets"]:
            outs.add((e["credit_code"], o["code"], o["name"], o["medium"], o["ref_o2"], o["duct_area"]))
            for p in o["points"]:
                pts.add((p["mn"], p["password"], p["st"], p["name"], p["tz"], p["min_interval"], e["region"],
                         e["credit_code"], o["code"]))
                for f in p["factors"]:
                    pfs.add((p["mn"], f["code"], f["range"][0], f["range"][1]))
                    for lm in f["limits"]:
                        lims.add((p["mn"], f["code"], lm["kind"], lm["upper"], lm.get("lower"),
                                  date.fromisoformat(lm["valid_from"]), lm["standard"]))
    return {"enterprises": ents, "outlets": outs, "points": pts, "point_factors": pfs, "limits": lims}


def fleet_csv_rows(fleet: dict) -> list[dict[str, str]]:
    """The fleet flattened to the CSV format: one row per point-factor."""
    rows = []
    for e, o, p in points_of(fleet):
        for f in p["factors"]:
            by_kind = {lm["kind"]: lm for lm in f["limits"]}
            any_limit = next(iter(f["limits"]), {})
            rows.append({
                "region_code": e["region"], "region_name": REGION_NAMES[e["region"]],
                "credit_code": e["credit_code"], "enterprise_name": e["name"], "industry": e["industry"],
                "outlet_code": o["code"], "outlet_name": o["name"], "medium": o["medium"],
                "ref_o2": "" if o["ref_o2"] is None else str(o["ref_o2"]),
                "duct_area": "" if o["duct_area"] is None else str(o["duct_area"]),
                "mn": p["mn"], "password": p["password"], "st": p["st"], "point_name": p["name"], "tz": p["tz"],
                "min_interval": str(p["min_interval"]), "factor": f["code"],
                "range_low": str(f["range"][0]), "range_high": str(f["range"][1]),
                "limit_hour": str(by_kind["hour"]["upper"]) if "hour" in by_kind else "",
                "limit_day": str(by_kind["day"]["upper"]) if "day" in by_kind else "",
                "limit_lower": "" if any_limit.get("lower") is None else str(any_limit["lower"]),
                "limit_from": any_limit.get("valid_from", ""), "standard": any_limit.get("standard", ""),
            })
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], columns=CSV_COLUMNS, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


# --------------------------------------------------------------------------- YAML


def test_yaml_import_of_the_demo_fleet(engine, tmp_path):
    fleet = demo_fleet(7)
    path = write_fleet_yaml(fleet, tmp_path / "fleet.yaml")
    summary = import_fleet(engine, load_fleet_file(path))

    n_outlets = sum(len(e["outlets"]) for e in fleet["enterprises"])
    n_pf = sum(len(p["factors"]) for _, _, p in points_of(fleet))
    n_limits = sum(len(f["limits"]) for _, _, p in points_of(fleet) for f in p["factors"])
    assert (summary.regions, summary.enterprises, summary.outlets, summary.points, summary.point_factors,
            summary.limits, summary.users) == (10, len(fleet["enterprises"]), n_outlets, 7, n_pf, n_limits,
                                             len(fleet["users"]))
    assert counts(engine) == {"regions": 10, "enterprises": len(fleet["enterprises"]), "outlets": n_outlets,
                              "points": 7, "point_factors": n_pf, "limits": n_limits,
                              "users": len(fleet["users"])}
    assert structure(engine) == expected_structure(fleet)

    # gas points: 4 of 7 (ST 31, 1-min data, hourly limits); water: 3 (ST 32, 10-min data, daily limits)
    directory = load_point_directory(engine)
    assert sorted(p.medium for p in directory.values()) == ["gas"] * 4 + ["water"] * 3
    assert {p.min_interval for p in directory.values() if p.medium == "gas"} == {1}
    assert {p.min_interval for p in directory.values() if p.medium == "water"} == {10}
    e, o = s.enterprises, s.outlets
    with engine.connect() as c:
        first = fleet["enterprises"][0]
        row = c.execute(select(e).where(e.c.credit_code == first["credit_code"])).mappings().one()
        assert (row["address"], row["lon"], row["lat"]) == (first["address"], first["lon"], first["lat"])
        heights = dict(c.execute(select(o.c.code, o.c.height).join_from(o, e, o.c.enterprise_id == e.c.id)
                                 .where(e.c.credit_code == first["credit_code"])).all())
        assert heights == {x["code"]: x["height"] for x in first["outlets"]}
        users = dict(c.execute(select(s.users.c.username, s.users.c.role)).all())
        assert users == {u["username"]: u["role"] for u in fleet["users"]}  # one account per role
        ph = c.execute(select(s.limits.c.lower, s.limits.c.upper, s.limits.c.kind)
                       .where(s.limits.c.factor_code == "w01001")).all()
        assert len(ph) == 3 and set(ph) == {(6.0, 9.0, "day")}  # pH 6–9 on each water point


def test_reimport_is_idempotent_and_replaces_limits(engine, tmp_path):
    fleet = demo_fleet(7)
    path = write_fleet_yaml(fleet, tmp_path / "fleet.yaml")
    import_fleet(engine, load_fleet_file(path))
    before_counts, before_structure = counts(engine), structure(engine)
    with engine.connect() as c:
        ids_before = sorted(c.execute(select(s.points.c.mn, s.points.c.id)).all())

    import_fleet(engine, load_fleet_file(path))
    assert counts(engine) == before_counts
    assert structure(engine) == before_structure
    with engine.connect() as c:
        assert sorted(c.execute(select(s.points.c.mn, s.points.c.id)).all()) == ids_before  # updated in place

    # edit the file: a stricter SO2 limit on the first gas point, a renamed enterprise, one more limit period
    _e, _o, gas = next((e, o, p) for e, o, p in points_of(fleet) if p["st"] == "31")
    so2 = next(f for f in gas["factors"] if f["code"] == "a21026")
    old_upper = so2["limits"][0]["upper"]
    so2["limits"] = [
        {"kind": "hour", "upper": old_upper, "valid_from": "2020-01-01", "valid_to": "2025-12-31",
         "standard": "old"},
        {"kind": "hour", "upper": old_upper / 2, "valid_from": "2026-01-01", "standard": "new"},
    ]
    fleet["enterprises"][0]["name"] += "（更名）"
    import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, path)))
    after = counts(engine)
    assert after == {**before_counts, "limits": before_counts["limits"] + 1}
    lim = s.limits
    with engine.connect() as c:
        pid = c.execute(select(s.points.c.id).where(s.points.c.mn == gas["mn"])).scalar_one()
        rows = c.execute(select(lim.c.upper, lim.c.valid_from, lim.c.valid_to, lim.c.standard)
                         .where(lim.c.point_id == pid, lim.c.factor_code == "a21026")
                         .order_by(lim.c.valid_from)).all()
        assert rows == [(old_upper, date(2020, 1, 1), date(2025, 12, 31), "old"),
                        (old_upper / 2, date(2026, 1, 1), None, "new")]
        name = c.execute(select(s.enterprises.c.name)
                         .where(s.enterprises.c.credit_code == fleet["enterprises"][0]["credit_code"])).scalar_one()
        assert name.endswith("（更名）")
    # and once more: still the same (limits replaced, not doubled)
    import_fleet(engine, load_fleet_file(path))
    assert counts(engine) == after


# --------------------------------------------------------------------------- CSV


def test_csv_import_gives_the_same_structure_as_yaml(engine, tmp_path):
    fleet = demo_fleet(7)
    rows = fleet_csv_rows(fleet)
    path = write_csv(tmp_path / "fleet.csv", rows, encoding="utf-8-sig")  # Excel writes a BOM
    loaded = load_fleet_file(path)
    summary = import_fleet(engine, loaded)
    assert summary.points == 7 and summary.point_factors == len(rows)
    assert structure(engine) == expected_structure(fleet)
    with engine.connect() as c:
        regions = dict(c.execute(select(s.regions.c.code, s.regions.c.name)).all())
    assert regions == {e["region"]: REGION_NAMES[e["region"]] for e in fleet["enterprises"]}
    # idempotent as well (limit rows are replaced, so only their ids change)
    before_counts, before_structure = counts(engine), structure(engine)
    import_fleet(engine, load_fleet_file(path))
    assert counts(engine) == before_counts and structure(engine) == before_structure


def test_csv_reimport_keeps_the_region_tree_of_a_yaml_import(engine, tmp_path):
    """CSV rows carry a region code and name only: they must not cut the districts off their city."""
    fleet = demo_fleet(7)
    import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "fleet.yaml")))
    with engine.connect() as c:
        tree_before = sorted(region_subtree(c, "320500"))
        regions_before = sorted(c.execute(select(s.regions)).all())
    rows = fleet_csv_rows(fleet)
    rows[0]["region_name"] = ""  # a blank name must not replace the stored one
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "fleet.csv", rows)))
    with engine.connect() as c:
        assert sorted(region_subtree(c, "320500")) == tree_before
        assert sorted(c.execute(select(s.regions)).all()) == regions_before
    assert structure(engine) == expected_structure(fleet)


def test_csv_rows_of_one_point_factor_give_its_limit_history(engine, tmp_path):
    fleet = demo_fleet(1)
    rows = fleet_csv_rows(fleet)
    so2 = next(r for r in rows if r["factor"] == "a21026")
    later = {**so2, "limit_hour": "17.5", "limit_from": "2027-01-01", "standard": "stricter"}
    rows.insert(rows.index(so2) + 1, later)
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "fleet.csv", rows)))
    lim = s.limits
    with engine.connect() as c:
        got = c.execute(select(lim.c.upper, lim.c.valid_from, lim.c.standard)
                        .where(lim.c.factor_code == "a21026").order_by(lim.c.valid_from)).all()
        n_pf = c.execute(select(func.count()).select_from(s.point_factors)).scalar_one()
    assert got == [(float(so2["limit_hour"]), date.fromisoformat(so2["limit_from"]), so2["standard"]),
                   (17.5, date(2027, 1, 1), "stricter")]
    assert n_pf == len(rows) - 1


# --------------------------------------------------------------------------- errors


def _demo_fleet_7(engine) -> None:
    with tempfile.TemporaryDirectory() as folder:
        import_fleet(engine, load_fleet_file(write_fleet_yaml(demo_fleet(7), Path(folder) / "good.yaml")))


@pytest.fixture
def seeded(db_kind, built_database):
    """A database already holding demo_fleet(7) (imported from its YAML once per module and kind of database,
    copied for each test), and its snapshot."""
    url, _ = built_database(db_kind, _demo_fleet_7)
    eng = prepare_database(url)
    yield eng, snapshot(eng)
    eng.dispose()


def _bad_csv(tmp_path, edit) -> Path:
    """demo_fleet(3) as CSV (new enterprises, so a partial import would show), with one row edited."""
    rows = fleet_csv_rows(demo_fleet(3, seed=99))
    edit(rows)
    return write_csv(tmp_path / "bad.csv", rows)


@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows[4].update(mn=""), r"CSV line 6: missing mn"),
    (lambda rows: rows[2].update(password="", st=""), r"CSV line 4: missing password, st"),
    (lambda rows: rows[5].update(range_high="abc"), r"CSV line 7: 'abc' is not a number"),
    (lambda rows: rows[0].update(ref_o2="6,0"), r"CSV line 2: '6,0' is not a number"),
    (lambda rows: rows[3].update(min_interval="one"), r"CSV line 5: .*'one'.*min_interval|min_interval.*'one'"),
    (lambda rows: rows[-1].update(limit_from="2020/01/01"), r"CSV line \d+: .*'2020/01/01'"),
], ids=["missing-mn", "missing-two", "non-number", "decimal-comma", "bad-min-interval", "bad-date"])
def test_bad_csv_names_the_line_and_changes_nothing(seeded, tmp_path, edit, message):
    engine, before = seeded
    path = _bad_csv(tmp_path, edit)
    with pytest.raises(RegistryError, match=message):
        import_fleet(engine, load_fleet_file(path))
    assert snapshot(engine) == before


def test_bad_limit_date_is_reported_with_its_line_before_any_write(seeded, tmp_path):
    engine, before = seeded
    path = _bad_csv(tmp_path, lambda rows: rows[-1].update(limit_from="2020-13-01"))
    n = len(fleet_csv_rows(demo_fleet(3, seed=99))) + 1
    with pytest.raises(RegistryError, match=rf"CSV line {n}: .*'2020-13-01'"):
        import_fleet(engine, load_fleet_file(path))
    assert snapshot(engine) == before


def _last_point(fleet: dict) -> dict:
    return points_of(fleet)[-1][2]


@pytest.mark.parametrize("edit, message", [
    (lambda f: _last_point(f)["factors"].append({"code": "a99999", "range": [0, 1], "limits": []}),
     r"point \d+: unknown factor code 'a99999'"),
    (lambda f: f["enterprises"][-1]["outlets"][0].update(medium="air"),
     r"outlet D[AW]00\d of .*: medium must be gas, water or ambient"),
    (lambda f: f["enterprises"][-1]["outlets"][0].pop("medium"), r"outlet of .*: missing medium"),
    (lambda f: f["enterprises"][-1].update(credit_code=""), r"enterprise: missing credit_code"),
    (lambda f: _last_point(f).pop("password"), r"point of outlet D[AW]00\d: missing password"),
    (lambda f: f["enterprises"][-1].update(region="329999"), r"329999"),
    (lambda f: _last_point(f)["factors"][0]["limits"].append(
        {"kind": "day", "upper": "35 mg/m3", "valid_from": "2020-01-01"}), r"'35 mg/m3' is not a number"),
    (lambda f: f["enterprises"][-1]["outlets"][0].update(duct_area="big"), r"duct_area.*'big' is not a number"),
    (lambda f: _last_point(f).update(min_interval="x"), r"min_interval.*'x'"),
    (lambda f: _last_point(f)["factors"][0]["limits"].append(
        {"kind": "day", "upper": 1.0, "valid_from": "yesterday"}), r"valid_from.*'yesterday'"),
    (lambda f: _last_point(f)["factors"].append(dict(_last_point(f)["factors"][0])),
     r"point \d+: factor \w+ is listed twice"),
], ids=["unknown-factor", "bad-medium", "no-medium", "no-credit-code", "no-password", "unknown-region",
        "limit-not-a-number", "duct-area-not-a-number", "bad-min-interval", "bad-date", "duplicate-factor"])
def test_bad_yaml_names_the_key_and_changes_nothing(seeded, tmp_path, edit, message):
    engine, before = seeded
    fleet = demo_fleet(7)
    fleet["enterprises"].append(demo_fleet(3, seed=99)["enterprises"][0])  # new rows a partial import would leave
    for e in fleet["enterprises"]:
        e["name"] += "（新）"  # updates a partial import would leave
    edit(fleet)
    path = write_fleet_yaml(fleet, tmp_path / "bad.yaml")
    with pytest.raises(RegistryError, match=message):
        import_fleet(engine, load_fleet_file(path))
    assert snapshot(engine) == before


@pytest.mark.parametrize("name, content, message", [
    ("fleet.txt", b"regions: []\n", r"unknown fleet format"),
    ("list.yaml", b"- a\n- b\n", r"top level must be a mapping"),
    ("broken.yaml", b"regions: [\n  {code: 320000\n", r"broken\.yaml.*YAML"),
    ("gbk.csv", ",".join(CSV_COLUMNS).encode() + "\n320506,吴中区\n".encode("gbk"), r"gbk\.csv.*UTF-8"),
])
def test_unreadable_files_raise_registry_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RegistryError, match=message):
        load_fleet_file(path)


def test_registry_error_is_a_value_error():
    assert issubclass(RegistryError, ValueError)


# --------------------------------------------------------------------------- regions


def test_region_subtree_follows_the_stored_tree(engine, tmp_path):
    import_fleet(engine, load_fleet_file(write_fleet_yaml(demo_fleet(7), tmp_path / "fleet.yaml")))
    counties = {"320506", "320507", "320508", "320509", "320581", "320582", "320583", "320585"}
    with engine.connect() as c:
        assert set(region_subtree(c, "320000")) == {"320000", "320500"} | counties
        city = region_subtree(c, "320500")
        assert city[0] == "320500" and sorted(city[1:]) == sorted(counties) and len(city) == 9
        assert region_subtree(c, "320583") == ["320583"]
    # a county-level code is not guessed from its digits: a region filed elsewhere is not in the subtree
    import_fleet(engine, {"regions": [{"code": "320599", "name": "测试区", "level": "county", "parent": "320000"}]})
    with engine.connect() as c:
        assert "320599" not in region_subtree(c, "320500")
        assert "320599" in region_subtree(c, "320000")


def test_region_subtree_ends_on_a_cycle(engine):
    import_fleet(engine, {"regions": [{"code": "900000", "name": "A", "level": "province"},
                                      {"code": "900100", "name": "B", "level": "city", "parent": "900000"}]})
    # a later file files A under B: the stored tree now has a cycle
    import_fleet(engine, {"regions": [{"code": "900000", "name": "A", "level": "province", "parent": "900100"}]})
    with engine.connect() as c:
        assert sorted(region_subtree(c, "900000")) == ["900000", "900100"]
        assert sorted(region_subtree(c, "900100")) == ["900000", "900100"]


# --------------------------------------------------------------------------- migrations


def _tables(url: str) -> set[str]:
    """The database's tables, without the monthly partitions (``raw_frames_y2026m11`` …: the migration that
    partitions raw_frames makes the months around today, the partition job the rest)."""
    import re

    eng = make_engine(url)
    try:
        return {t for t in inspect(eng).get_table_names() if not re.fullmatch(r"\w+_y\d{4}m\d{2}", t)}
    finally:
        eng.dispose()


def _installed_tables() -> set[str]:
    """The installed schema's tables: the shared metadata also holds those of a subsystem that is only imported (the
    tests of a not-yet-installed subsystem import its schema module), which no installed migration creates."""
    import sys

    from sqlalchemy import Table

    from ecosentry.installed import installed_names

    names = installed_names()
    imported_only = {v.name for m, mod in list(sys.modules.items())
                     if m.startswith("ecosentry.subsystems.") and m.endswith(".schema")
                     and not any(m.startswith(n + ".") for n in names)
                     for v in vars(mod).values() if isinstance(v, Table)}
    return set(installed_metadata().tables) - imported_only


def test_migrations_upgrade_downgrade_upgrade(db_url, tmp_path):
    schema_tables = _installed_tables()
    if db_url.startswith("postgresql"):
        # the partitions for months without their own partition
        schema_tables |= {"observations_default", "raw_frames_default"}
    migrate(db_url)
    assert _tables(db_url) == schema_tables | {"alembic_version"}
    eng = make_engine(db_url)
    with eng.connect() as c:
        # at every branch's newest revision: the core's and each installed subsystem's (a subsystem's head that
        # depends on the core's stands for both in alembic_version)
        script = ScriptDirectory.from_config(alembic_config(db_url))
        current = tuple(c.execute(text("SELECT version_num FROM alembic_version")).scalars())
        reached = {rev.revision for rev in script.iterate_revisions(current, "base")}
        assert set(script.get_heads()) <= reached and set(current) <= set(script.get_heads())
    eng.dispose()

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    assert _tables(db_url) - {"alembic_version"} == set()
    command.upgrade(cfg, "heads")
    assert _tables(db_url) == schema_tables | {"alembic_version"}
    migrate(db_url)  # already at head: nothing to do

    eng = prepare_database(db_url)
    try:
        summary = import_fleet(eng, load_fleet_file(write_fleet_yaml(demo_fleet(2), tmp_path / "f.yaml")))
        assert summary.points == 2 and counts(eng)["points"] == 2
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- docs/registry.md


DOC = Path(__file__).parents[2] / "docs" / "registry.md"


def _doc_block(lang: str) -> str:
    import re

    blocks = re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, f"one {lang} example expected in {DOC}"
    return blocks[0]


def test_docs_examples_import_as_documented(engine, tmp_path):
    import re

    yaml_path = tmp_path / "example.yaml"
    yaml_path.write_text(_doc_block("yaml"), encoding="utf-8")
    summary = import_fleet(engine, load_fleet_file(yaml_path))
    text = DOC.read_text(encoding="utf-8")
    documented = re.search(r"which returns\n`(ImportSummary\(.*?\))`", text).group(1)
    assert repr(summary) == documented
    said = ", ".join(f"{getattr(summary, k)} {k.replace('_', ' ')}" for k in
                     ("regions", "enterprises", "outlets", "points", "point_factors", "limits", "users", "parks"))
    assert f"`imported: {said}`" in text        # the command's sentence, in English
    with engine.connect() as c:
        assert sorted(region_subtree(c, "320000")) == ["320000", "320500", "320506"]
        cod = c.execute(select(s.limits.c.upper, s.limits.c.valid_to).where(s.limits.c.factor_code == "w01018")
                        .order_by(s.limits.c.valid_from)).all()
        assert cod == [(100.0, date(2025, 12, 31)), (50.0, None)]
        scope = c.execute(select(s.users.c.region_code).where(s.users.c.username == "wz-regulator")).scalar_one()
        assert scope == "320506"
    yaml_structure = structure(engine)

    # the CSV example describes the same enterprise, a subset of its factors, and the same COD history
    csv_path = tmp_path / "example.csv"
    csv_path.write_text(_doc_block("csv"), encoding="utf-8")
    fleet = load_fleet_file(csv_path)
    assert _doc_block("csv").splitlines()[0].split(",") == list(CSV_COLUMNS)
    assert [p["mn"] for o in fleet["enterprises"][0]["outlets"] for p in o["points"]] == \
        ["32050600000001", "32050600000002"]
    import_fleet(engine, fleet)
    csv_structure = structure(engine)
    assert csv_structure["enterprises"] == yaml_structure["enterprises"]
    assert csv_structure["limits"] == yaml_structure["limits"]  # same limits, not doubled
    with engine.connect() as c:
        assert sorted(region_subtree(c, "320000")) == ["320000", "320500", "320506"]  # tree kept


# --------------------------------------------------------------------------- limits from the seed table


def test_limits_picked_from_the_seed_table_by_standard_and_source(engine, tmp_path):
    fleet = demo_fleet(3)
    _e, _o, gas = next((e, o, p) for e, o, p in points_of(fleet) if p["st"] == "31")
    so2 = next(f for f in gas["factors"] if f["code"] == "a21026")
    # GB 13223-2011 Table 1, coal boiler, SO2: new unit 100, existing unit 200 (limits_seed.yaml rows)
    so2["limits"] = [{"seed": {"standard": "GB 13223-2011", "table": "1", "source": "coal boiler",
                               "condition": "existing unit"}, "valid_from": "2020-01-01", "valid_to": "2025-12-31"},
                     {"seed": {"standard": "GB 13223-2011", "table": "2", "source": "coal boiler"},
                      "valid_from": "2026-01-01"}]
    import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "fleet.yaml")))
    lim = s.limits
    with engine.connect() as c:
        pid = c.execute(select(s.points.c.id).where(s.points.c.mn == gas["mn"])).scalar_one()
        rows = c.execute(select(lim.c.kind, lim.c.upper, lim.c.valid_from, lim.c.standard)
                         .where(lim.c.point_id == pid, lim.c.factor_code == "a21026")
                         .order_by(lim.c.valid_from)).all()
    assert rows == [("hour", 200.0, date(2020, 1, 1), "GB 13223-2011 表1 coal boiler (existing unit)"),
                    ("hour", 50.0, date(2026, 1, 1), "GB 13223-2011 表2 coal boiler")]

    # ambiguous (new unit 100 / existing unit 200 / regional rows) → a clear error listing the candidates
    so2["limits"] = [{"seed": {"standard": "GB 13223-2011", "table": "1", "source": "coal boiler"}}]
    before = snapshot(engine)
    with pytest.raises(RegistryError, match=r"matches 4 rows .*existing unit.*name table and condition"):
        import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "fleet.yaml")))
    assert snapshot(engine) == before


def test_connection_and_decommission_times_from_yaml_and_csv(engine, tmp_path):
    """联网 / 撤销 times (issue 11 item 2): a date is the point's local midnight, a time is local unless it has
    an offset; a re-import without the key keeps the stored value; a bad value names the point."""
    from datetime import datetime, timezone

    fleet = demo_fleet(2)
    (_, _, p1), (_, _, p2) = points_of(fleet)
    p1["connected_at"] = "2026-12-01"
    p2["connected_at"] = "2026-12-04T14:30"
    p2["decommissioned_at"] = "2026-12-10T00:00:00+00:00"
    import_fleet(engine, fleet)

    def times() -> dict:
        with engine.connect() as c:
            return {r.mn: (r.connected_at, r.decommissioned_at) for r in c.execute(
                select(s.points.c.mn, s.points.c.connected_at, s.points.c.decommissioned_at))}

    expected = {p1["mn"]: (datetime(2026, 11, 30, 16, tzinfo=timezone.utc), None),
                p2["mn"]: (datetime(2026, 12, 4, 6, 30, tzinfo=timezone.utc),
                           datetime(2026, 12, 10, tzinfo=timezone.utc))}
    assert times() == expected
    for _, _, p in points_of(fleet):
        p.pop("connected_at", None)
        p.pop("decommissioned_at", None)
    import_fleet(engine, fleet)
    assert times() == expected
    # CSV: the columns connected_at / decommissioned_at, on the point's first row
    rows = fleet_csv_rows(fleet)
    for r in rows:
        r["connected_at"] = "2026-12-02" if r["mn"] == p1["mn"] else ""
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "fleet.csv", rows)))
    assert times()[p1["mn"]][0] == datetime(2026, 12, 1, 16, tzinfo=timezone.utc)
    assert times()[p2["mn"]] == expected[p2["mn"]]
    p1["connected_at"] = "yesterday"
    with pytest.raises(RegistryError, match=rf"point {p1['mn']}, connected_at: 'yesterday' is not a date"):
        import_fleet(engine, fleet)


# --------------------------------------------------------------------------- detection limits


def _detection_limits(engine) -> dict[tuple[str, str], float | None]:
    pf, p = s.point_factors, s.points
    with engine.connect() as c:
        return {(r.mn, r.factor_code): r.detection_limit for r in c.execute(
            select(p.c.mn, pf.c.factor_code, pf.c.detection_limit).join_from(pf, p, pf.c.point_id == p.c.id))}


def _with_detection_limits(fleet: dict) -> dict[tuple[str, str], float]:
    """Give the SO2, NOx, COD and NH3-N factors of ``fleet`` a method detection limit (SO2/NOx 3 mg/m³, HJ 57-2017
    and HJ 693-2014; COD 4 mg/L, HJ 828-2017; NH3-N 0.025 mg/L, HJ 535-2009) and no other factor one (the demo
    fleet registers the national methods' limits of its own); the limits given, by (MN, factor)."""
    given = {"a21026": 3.0, "a21002": 3.0, "w01018": 4.0, "w21003": 0.025}
    out = {}
    for _e, _o, p in points_of(fleet):
        for f in p["factors"]:
            f.pop("detection_limit", None)
            if f["code"] in given:
                f["detection_limit"] = given[f["code"]]
                out[(p["mn"], f["code"])] = given[f["code"]]
    assert out, "the demo fleet has concentration factors"
    return out


def test_detection_limits_round_trip_through_yaml_and_csv(engine, tmp_path):
    """The YAML key and the CSV column ``detection_limit`` store ``point_factors.detection_limit``; the CSV of the
    same fleet stores the same; a file without them keeps the stored values, an empty cell / null clears."""
    fleet = demo_fleet(4)
    given = _with_detection_limits(fleet)
    import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "fleet.yaml")))
    stored = _detection_limits(engine)
    assert {k: v for k, v in stored.items() if v is not None} == given
    assert all(stored[k] is None for k in stored if k not in given)  # the other factors have none

    # the same fleet as CSV, with the column: the same values, the same point-factors (updated in place)
    rows = fleet_csv_rows(fleet)
    for r in rows:
        r["detection_limit"] = str(given.get((r["mn"], r["factor"]), ""))
    before = counts(engine)
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "fleet.csv", rows)))
    assert _detection_limits(engine) == stored and counts(engine) == before

    # an older CSV without the column (and a YAML without the key) keeps them
    old_columns = [c for c in CSV_COLUMNS if c != "detection_limit"]
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "old.csv", [
        {k: v for k, v in r.items() if k != "detection_limit"} for r in rows], columns=old_columns)))
    assert _detection_limits(engine) == stored
    without = demo_fleet(4)
    for _e, _o, p in points_of(without):  # the demo fleet's own limits left out: a YAML without the key
        for f in p["factors"]:
            f.pop("detection_limit", None)
    import_fleet(engine, load_fleet_file(write_fleet_yaml(without, tmp_path / "without.yaml")))
    assert _detection_limits(engine) == stored

    # an empty cell clears one; YAML null clears another
    (mn1, f1), (mn2, f2) = sorted(given)[:2]
    for r in rows:
        if (r["mn"], r["factor"]) == (mn1, f1):
            r["detection_limit"] = ""
    import_fleet(engine, load_fleet_file(write_csv(tmp_path / "fleet.csv", rows)))
    assert _detection_limits(engine)[(mn1, f1)] is None
    entry = {(p["mn"], f["code"]): f for _e, _o, p in points_of(fleet) for f in p["factors"]}
    del entry[(mn1, f1)]["detection_limit"]  # the YAML no longer gives it: the cleared value stays cleared
    entry[(mn2, f2)]["detection_limit"] = None
    import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "fleet.yaml")))
    after = _detection_limits(engine)
    assert after[(mn2, f2)] is None
    assert {k: v for k, v in after.items() if v is not None} == {k: v for k, v in given.items()
                                                                 if k not in ((mn1, f1), (mn2, f2))}


@pytest.mark.parametrize("value, message, zh", [
    (0, r"point \d+, factor a21026: detection_limit 0 must be above 0", "检出限 detection_limit 0 必须大于 0"),
    (-0.5, r"detection_limit -0.5 must be above 0", "必须大于 0"),
    (250, r"point \d+, factor a21026: detection_limit 250 must be below the range's upper bound 200",
     "检出限 detection_limit 250 必须低于量程上限 200"),
    (200, r"detection_limit 200 must be below the range's upper bound 200", "必须低于量程上限 200"),
    ("3 mg/m3", r"detection_limit '3 mg/m3' is not a number", "不是数字"),
], ids=["zero", "negative", "above-range", "at-range-top", "not-a-number"])
def test_a_bad_detection_limit_is_refused_in_the_readers_language(seeded, tmp_path, value, message, zh):
    from ecosentry.locale import translations

    engine, before = seeded
    fleet = demo_fleet(7)
    _e, _o, gas = next((e, o, p) for e, o, p in points_of(fleet) if p["st"] == "31")
    so2 = next(f for f in gas["factors"] if f["code"] == "a21026")
    so2["range"] = [0.0, 200.0]
    so2["detection_limit"] = value
    fleet["enterprises"][0]["name"] += "（新）"  # an update a partial import would leave
    with pytest.raises(RegistryError, match=message) as refused:
        import_fleet(engine, load_fleet_file(write_fleet_yaml(fleet, tmp_path / "bad.yaml")))
    said = refused.value.say(translations("zh").gettext)
    assert said.startswith(f"监测点 {gas['mn']}，因子 a21026：") and zh in said
    assert snapshot(engine) == before


def test_a_bad_detection_limit_in_a_csv_names_its_line(seeded, tmp_path):
    engine, before = seeded
    rows = fleet_csv_rows(demo_fleet(3, seed=99))
    rows[2]["detection_limit"] = rows[2]["range_high"]
    with pytest.raises(RegistryError, match=r"detection_limit \S+ must be below the range's upper bound"):
        import_fleet(engine, load_fleet_file(write_csv(tmp_path / "bad.csv", rows)))
    rows[2]["detection_limit"] = "n/a"
    with pytest.raises(RegistryError, match=r"CSV line 4: 'n/a' is not a number"):
        import_fleet(engine, load_fleet_file(write_csv(tmp_path / "bad.csv", rows)))
    assert snapshot(engine) == before


def test_the_detection_limit_migration_goes_down_and_up_keeping_the_rows(db_url, tmp_path):
    """Migration 0013 adds ``point_factors.detection_limit`` (nullable, commented with its unit) and its
    downgrade drops it, the point-factors and their ranges kept; the schema module and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    eng = prepare_database(db_url)
    fleet = demo_fleet(2)
    given = _with_detection_limits(fleet)
    import_fleet(eng, fleet)
    ranges = structure(eng)["point_factors"]
    eng.dispose()

    def columns() -> dict[str, dict]:
        e = make_engine(db_url)
        try:
            return {c["name"]: c for c in inspect(e).get_columns("point_factors")}
        finally:
            e.dispose()

    cfg = alembic_config(db_url)
    command.downgrade(cfg, "0012")
    assert "detection_limit" not in columns()
    eng = make_engine(db_url)
    with eng.connect() as c:  # the rows and their ranges stay
        rows = set(c.execute(select(s.points.c.mn, s.point_factors.c.factor_code, s.point_factors.c.range_low,
                                    s.point_factors.c.range_high)
                             .join_from(s.point_factors, s.points, s.point_factors.c.point_id == s.points.c.id)))
    eng.dispose()
    assert rows == ranges

    command.upgrade(cfg, "heads")
    col = columns()["detection_limit"]
    assert col["nullable"]
    if db_url.startswith("postgresql"):
        assert col["comment"] == "analyser's method detection limit, in the factor's concentration unit (factors.unit)"
    eng = prepare_database(db_url)
    try:
        assert set(_detection_limits(eng).values()) == {None}  # the values went with the column
        import_fleet(eng, fleet)
        assert {k: v for k, v in _detection_limits(eng).items() if v is not None} == given
        with eng.connect() as c:
            diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())
        assert [d for d in diffs if "point_factors" in repr(d)] == []
    finally:
        eng.dispose()
