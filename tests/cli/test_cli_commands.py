"""The ``ecosentry`` command line through typer's CliRunner on the main app, against a real SQLite file."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ecosentry import cli
from ecosentry.protocols.hj212 import build_frame
from ecosentry.settings import get_settings
from ecosentry.subsystems.monitoring.simulate.fleet import demo_fleet, write_fleet_yaml
from ecosentry.store import schema as s
from ecosentry.store.db import make_engine
from ecosentry.fleet import CSV_COLUMNS

runner = CliRunner()
REGISTRY_TABLES = (s.regions, s.enterprises, s.outlets, s.points, s.point_factors, s.limits, s.users)


@pytest.fixture
def new_db(tmp_path, monkeypatch):
    """ECOSENTRY_* pointing at a SQLite file not made yet and a data folder; returns an engine on that file."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", url)
    monkeypatch.setenv("ECOSENTRY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at the terminal width
    monkeypatch.setenv("LANGUAGE", "en")  # an English terminal unless a test says otherwise
    get_settings.cache_clear()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def db(new_db, tmp_path, sqlite_migrated_template):
    """As :func:`new_db`, the file a copy of the migrated template (as ``ecosentry migrate`` leaves it): the
    commands find it at the newest schema instead of migrating a new file for each test."""
    shutil.copyfile(sqlite_migrated_template, tmp_path / "cli.sqlite")
    return new_db


def invoke(*args: str, input: bytes | str | None = None):
    return runner.invoke(cli.app, list(args), input=input)


def flat(text: str) -> str:
    return " ".join(text.split())


def counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t.name: c.execute(select(func.count()).select_from(t)).scalar_one() for t in REGISTRY_TABLES}


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as c:
        return {t.name: sorted(tuple(map(repr, r)) for r in c.execute(select(t))) for t in REGISTRY_TABLES}


def csv_rows(fleet: dict) -> list[dict[str, str]]:
    rows = []
    for e in fleet["enterprises"]:
        for o in e["outlets"]:
            for p in o["points"]:
                for f in p["factors"]:
                    lim = next(iter(f["limits"]), None)
                    rows.append({
                        "region_code": e["region"], "region_name": "", "credit_code": e["credit_code"],
                        "enterprise_name": e["name"], "industry": e["industry"], "outlet_code": o["code"],
                        "outlet_name": o["name"], "medium": o["medium"], "ref_o2": o["ref_o2"] or "",
                        "duct_area": o["duct_area"] or "", "mn": p["mn"], "password": p["password"], "st": p["st"],
                        "point_name": p["name"], "tz": p["tz"], "min_interval": p["min_interval"],
                        "factor": f["code"], "range_low": f["range"][0], "range_high": f["range"][1],
                        "limit_hour": lim["upper"] if lim and lim["kind"] == "hour" else "",
                        "limit_day": lim["upper"] if lim and lim["kind"] == "day" else "",
                        "limit_lower": lim.get("lower", "") if lim else "",
                        "limit_from": lim["valid_from"] if lim else "", "standard": lim["standard"] if lim else "",
                    })
    return rows


def write_csv(path, rows) -> str:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(CSV_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return str(path)


# --------------------------------------------------------------------------- migrate


def test_help_lists_the_commands(db):
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("serve", "demo", "simulate", "migrate", "registry", "hj212", "bench"):
        assert command in result.stdout


def test_migrate_creates_the_schema_and_seeds_factors(new_db, tmp_path):
    db = new_db  # the file is made by the command
    result = invoke("migrate")
    assert result.exit_code == 0, result.output
    assert flat(result.stdout) == f"database ready: sqlite:///{tmp_path / 'cli.sqlite'}"
    with db.connect() as c:
        names = dict(c.execute(select(s.factors.c.code, s.factors.c.name_zh)
                               .where(s.factors.c.code.in_(["a21026", "w01018"]))).all())
        assert counts(db) == dict.fromkeys(counts(db), 0)
    assert set(names) == {"a21026", "w01018"}  # SO2 and COD from the HJ 212-2017 Appendix B catalogue
    assert invoke("migrate").exit_code == 0  # again: nothing to do


@pytest.mark.parametrize("lang, ready, imported", [("zh", "数据库已就绪：", "已导入：行政区 "),
                                                   ("vi", "Cơ sở dữ liệu đã sẵn sàng: ", "Đã nhập: ")])
def test_migrate_and_import_say_so_in_the_terminals_language(new_db, tmp_path, monkeypatch, lang, ready, imported):
    monkeypatch.setenv("LANGUAGE", lang)
    result = invoke("migrate")
    assert result.exit_code == 0 and flat(result.stdout) == f"{ready}sqlite:///{tmp_path / 'cli.sqlite'}"
    result = invoke("registry", "import", str(write_fleet_yaml(demo_fleet(2), tmp_path / "good.yaml")))
    points = "监测点 2 个" if lang == "zh" else "2 điểm quan trắc"
    assert result.exit_code == 0 and flat(result.stdout).startswith(imported) and points in result.stdout


# --------------------------------------------------------------------------- registry import


def test_registry_import_yaml_prints_a_summary_and_is_idempotent(db, tmp_path):
    fleet = demo_fleet(7)
    path = write_fleet_yaml(fleet, tmp_path / "good.yaml")
    n_ent = len(fleet["enterprises"])
    n_out = sum(len(e["outlets"]) for e in fleet["enterprises"])
    result = invoke("registry", "import", str(path))
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert out.startswith("imported: ")
    n_users = len(fleet["users"])
    for part in ("10 regions", f"{n_ent} enterprises", f"{n_out} outlets", "7 points", f"{n_users} users"):
        assert part in out
    first = counts(db)
    assert (first["regions"], first["enterprises"], first["outlets"], first["points"], first["users"]) == \
        (10, n_ent, n_out, 7, len(fleet["users"]))
    again = invoke("registry", "import", str(path))
    assert again.exit_code == 0 and flat(again.stdout) == out
    assert counts(db) == first


def test_registry_import_csv(db, tmp_path):
    fleet = demo_fleet(4)
    rows = csv_rows(fleet)
    result = invoke("registry", "import", write_csv(tmp_path / "good.csv", rows))
    assert result.exit_code == 0, result.output
    assert f"{len(rows)} point factors" in flat(result.stdout)
    with db.connect() as c:
        mns = set(c.scalars(select(s.points.c.mn)))
    assert mns == {p["mn"] for e in fleet["enterprises"] for o in e["outlets"] for p in o["points"]}


@pytest.mark.parametrize("edit, message", [
    (lambda rows: rows[1].update(range_high="n/a"), "CSV line 3: 'n/a' is not a number"),
    (lambda rows: rows[0].update(credit_code=""), "CSV line 2: missing credit_code"),
    # found only while writing: the rows before it are already in the transaction, which is rolled back
    (lambda rows: rows[-1].update(factor="a99999"), "unknown factor code 'a99999'"),
], ids=["non-number", "missing-value", "unknown-factor"])
def test_registry_import_bad_csv_exits_2_and_changes_nothing(db, tmp_path, monkeypatch, edit, message):
    monkeypatch.setenv("LANGUAGE", "en")
    assert invoke("registry", "import", str(write_fleet_yaml(demo_fleet(7), tmp_path / "good.yaml"))).exit_code == 0
    before = snapshot(db)
    rows = csv_rows(demo_fleet(3, seed=42))
    edit(rows)
    result = invoke("registry", "import", write_csv(tmp_path / "bad.csv", rows))
    assert result.exit_code == 2
    err = flat(result.stderr)
    assert err.startswith("Import failed, nothing changed:") and message in err
    assert result.stdout == ""
    assert snapshot(db) == before


@pytest.mark.parametrize("lang, edit, message", [
    ("zh", lambda rows: rows[1].update(range_high="n/a"), "导入失败，未作任何更改： CSV 第 3 行：'n/a' 不是数字"),
    ("vi", lambda rows: rows[-1].update(factor="a99999"), "mã thông số không xác định 'a99999'"),
    ("zh", lambda rows: rows[0].update(limit_from="2024-13-01"), "CSV 第 2 行：limit_from '2024-13-01' 不是日期"),
    ("zh", lambda rows: rows[0].update(detection_limit="-1"), "因子 a34013：检出限 detection_limit -1 必须大于 0"),
], ids=["zh-number", "vi-factor", "zh-date", "zh-detection-limit"])
def test_registry_import_errors_in_the_terminal_language(db, tmp_path, monkeypatch, lang, edit, message):
    monkeypatch.setenv("LANGUAGE", lang)
    rows = csv_rows(demo_fleet(3, seed=42))
    edit(rows)
    result = invoke("registry", "import", write_csv(tmp_path / "bad.csv", rows))
    assert result.exit_code == 2
    assert message in flat(result.stderr)


def test_fleet_errors_nest_the_place_in_the_readers_language(db):
    from ecosentry.fleet import RegistryError, import_fleet
    from ecosentry.locale import translations
    from ecosentry.service import prepare_database

    fleet = {"regions": [{"code": "320000", "name": "江苏"}],
             "enterprises": [{"credit_code": "91320000X", "name": "甲厂", "region": "320000",
                              "outlets": [{"code": "DA001", "name": "1#", "medium": "gas", "ref_o2": "six"}]}]}
    with pytest.raises(RegistryError) as caught:
        import_fleet(prepare_database(get_settings().database_url), fleet)
    exc = caught.value
    assert str(exc) == "outlet DA001 of 甲厂: ref_o2 'six' is not a number"
    assert exc.say(translations("zh").gettext) == "甲厂 的排放口 DA001：ref_o2 'six' 不是数字"
    assert exc.say(translations("vi").gettext) == "cửa xả DA001 của 甲厂: ref_o2 'six' không phải số"


@pytest.mark.parametrize("name, content, message", [
    ("broken.yaml", "enterprises: [\n  {credit_code: 1\n", "not valid YAML"),
    ("gbk.csv", (",".join(CSV_COLUMNS) + "\n320506,吴中区\n").encode("gbk"), "not UTF-8"),
    ("fleet.json", "{}", "unknown fleet format"),
], ids=["yaml-syntax", "not-utf8", "unknown-suffix"])
def test_registry_import_unreadable_file_exits_2(db, tmp_path, monkeypatch, name, content, message):
    monkeypatch.setenv("LANGUAGE", "en")
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = invoke("registry", "import", str(path))
    assert result.exit_code == 2
    assert message in flat(result.stderr) and name in flat(result.stderr)


def test_registry_import_missing_file(new_db, tmp_path, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en")  # the refusal is said in the terminal's language (test_cli_refusals.py)
    result = invoke("registry", "import", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2  # click's usage error
    err = flat(result.stderr)
    assert "missing.yaml" in err and "does not exist" in err
    assert not (tmp_path / "cli.sqlite").exists()  # refused before touching the database


# --------------------------------------------------------------------------- hj212 parse


GOOD = build_frame(qn="20240315102100000", st="31", cn="2051", pw="123456", mn="32050600000001", flag=5,
                   cp=[{"DataTime": "20240315102000"},
                       {"a21026-Min": "10.5", "a21026-Avg": "12.25", "a21026-Max": "15", "a21026-Flag": "N"}])


def test_hj212_parse_through_the_main_app(db):
    bad = GOOD.replace(b"a21026-Avg=12.25", b"a21026-Avg=12.35")  # CRC no longer matches
    result = invoke("hj212", "parse", input=GOOD + bad)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [x["ok"] for x in lines] == [True, False]
    frame = lines[0]["frame"]
    assert (frame["qn"], frame["st"], frame["cn"], frame["mn"], frame["flag"]) == \
        ("20240315102100000", "31", "2051", "32050600000001", 5)
    assert lines[1]["error"] and lines[1]["detail"]


def test_hj212_parse_only_bad_lines_exits_1(db):
    result = invoke("hj212", "parse", input=b"garbage\n##0000\n")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [x["ok"] for x in lines] == [False, False]
