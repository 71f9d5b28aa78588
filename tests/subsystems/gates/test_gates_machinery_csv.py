"""The non-road mobile machinery register as CSV (2020 guide table 5; ``ecosentry vehicles import-machinery``), on
SQLite and PostgreSQL: upserted by registration code (a re-import adds nothing), all rows or none, every error
naming the file, the line and the field in Chinese and Vietnamese (the column limits checked before PostgreSQL
would refuse them); the command exits 2 on a bad file in the deployment's language."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from ecosentry.locale import translations
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.registry import import_machinery_csv
from gates_dbkit import CREDIT, gates_database

HEAD = "registration_code,production_date,emission_stage,machine_code,engine_no,machine_type,fuel\n"
GOOD = (HEAD + "14100012345,2018-03-01,国四,ZL50,E9,装载机,柴油\n"
        "14100099999,2021-07-15,x,XCMG-100,,叉车,electric\n"
        "\n"
        "14100077777,,5,,,挖掘机,\n")


def machines(engine) -> dict:
    with engine.connect() as c:
        return {r.registration_code: r for r in c.execute(select(gs.gates_machinery))}


def test_a_machinery_csv_is_upserted_once(db_url, tmp_path):
    engine = gates_database(db_url)       # the fleet registers 14100012345 (stage x)
    path = tmp_path / "M.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert import_machinery_csv(engine, path, CREDIT) == (3, 2)
    assert import_machinery_csv(engine, path, CREDIT) == (3, 0)
    rows = machines(engine)
    assert len(rows) == 3
    first = rows["14100012345"]
    assert (first.emission_stage, first.production_date, first.machine_type, first.fuel) == \
        ("4", "2018-03-01", "装载机", "diesel")
    assert rows["14100099999"].emission_stage == "x" and rows["14100077777"].production_date is None


@pytest.mark.parametrize("body, where, field, zh, vi", [
    (HEAD + "14100012345,2018-03-01,国四,,,,\n14100055555,2019-02-30,5,,,,\n", 3, "production_date",
     "不是日期", "không phải ngày"),
    (HEAD + "14100055555,,欧五,,,,\n", 2, "emission_stage", "不是排放阶段", "không phải mức khí thải"),
    (HEAD + "14100055555,,,,,,\n", 2, "emission_stage", "必填", "bắt buộc"),
    (HEAD + "1" * 33 + ",,5,,,,\n", 2, "registration_code", "超过 32 个字符", "32 ký tự"),
    (HEAD + "14100055555,,5,," + "E" * 33 + ",,\n", 2, "engine_no", "超过 32 个字符", "32 ký tự"),
    (HEAD + "14100055555,,5,,,,煤油\n", 2, "fuel", "不是燃料", "không phải loại nhiên liệu"),
    (HEAD + "14100055555,,5,,,,\n14100055555,,6,,,,\n", 3, "registration_code", "列出两次", "hai lần"),
    ("registration_code,fuel\n14100055555,diesel\n", 1, "emission_stage", "缺少列", "thiếu cột"),
])
def test_a_bad_row_refuses_the_whole_file_in_zh_and_vi(db_url, tmp_path, body, where, field, zh, vi):
    engine = gates_database(db_url)
    before = set(machines(engine))
    path = tmp_path / "M.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(GatesInputError) as err:
        import_machinery_csv(engine, path, CREDIT)
    said_zh, said_vi = (err.value.say(translations(lang).gettext) for lang in ("zh", "vi"))
    assert said_zh.startswith(f"M.csv 第 {where} 行, {field}") and zh in said_zh, said_zh
    assert said_vi.startswith(f"M.csv dòng {where}, {field}") and vi in said_vi, said_vi
    assert set(machines(engine)) == before


def test_an_unknown_enterprise_or_a_file_not_utf8(db_url, tmp_path):
    engine = gates_database(db_url)
    path = tmp_path / "M.csv"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(GatesInputError, match="--enterprise"):
        import_machinery_csv(engine, path, "91000000000000000X")
    path.write_bytes(HEAD.encode() + "14100055555,,国五,,,装载机,\n".encode("gb18030"))
    with pytest.raises(GatesInputError) as err:
        import_machinery_csv(engine, path, CREDIT)
    assert "UTF-8" in err.value.say(translations("zh").gettext)


def test_import_machinery_command(db_url, tmp_path):
    gates_database(db_url).dispose()
    good, bad = tmp_path / "M.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(HEAD + "14100055555,,欧五,,,,\n", encoding="utf-8")
    env = {**os.environ, "ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
           "ECOSENTRY_DEFAULT_LOCALE": "vi"}

    def run(path):
        return subprocess.run([sys.executable, "-m", "ecosentry", "vehicles", "import-machinery", str(path),
                               "--enterprise", CREDIT], env=env, capture_output=True, text=True, timeout=120)

    refused = run(bad)
    assert refused.returncode == 2 and "bad.csv dòng 2, emission_stage" in refused.stderr, refused.stderr
    done = run(good)
    assert done.returncode == 0 and "3" in done.stdout and "2" in done.stdout, done.stderr
