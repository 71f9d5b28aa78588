"""The gates registry import, the ledger CSV import and the guard's entry through the API, on SQLite and
PostgreSQL: idempotent re-imports, errors naming the file, line (or place) and field in Chinese and Vietnamese
with nothing stored; the picture store (content-addressed, sharded, deduplicated, type and size checked) and the
retention settings' floors."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from ecosentry.api.app import create_app
from ecosentry.auth.deps import hash_api_key
from ecosentry.locale import translations
from ecosentry.store import schema as s
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.store.pictures import FilePictureStore, PictureError, check_picture
from ecosentry.subsystems.gates.store.ledger import import_ledger_csv
from ecosentry.subsystems.gates.store.registry import import_gates
from gates_dbkit import CREDIT, FLEET, STAGE4, STAGE5, gates_database, png


def count(engine, table) -> int:
    with engine.connect() as c:
        return c.scalar(select(func.count()).select_from(table))


def test_the_registry_import_is_idempotent_and_says_its_errors_in_zh_and_vi(db_url):
    engine = gates_database(db_url)
    tables = (gs.gates_enterprises, gs.gates_gates, gs.gates_cameras, gs.gates_devices, gs.gates_vehicles,
              gs.gates_machinery, gs.gates_loading_places)
    first = {t.name: count(engine, t) for t in tables}
    assert first == {"gates_enterprises": 1, "gates_gates": 2, "gates_cameras": 3, "gates_devices": 2,
                     "gates_vehicles": 4, "gates_machinery": 1, "gates_loading_places": 1}
    with engine.begin() as c:
        assert import_gates(c, FLEET, "again")["vehicles"] == 4
    assert {t.name: count(engine, t) for t in tables} == first
    with engine.connect() as c:
        stage = c.scalar(select(gs.gates_vehicles.c.emission_stage).where(gs.gates_vehicles.c.plate == STAGE4))
    assert stage == "4"
    bad = copy.deepcopy(FLEET)
    bad["gates"]["enterprises"][0]["vehicles"][1]["emission_stage"] = "欧五"
    with pytest.raises(GatesInputError) as err, engine.begin() as c:
        import_gates(c, bad, "test")
    zh, vi = (err.value.say(translations(lang).gettext) for lang in ("zh", "vi"))
    assert f"企业 {CREDIT}" in zh and f"车辆 {STAGE5}" in zh and "emission_stage" in zh and "不是排放阶段" in zh
    assert f"xe {STAGE5}" in vi and "không phải mức khí thải" in vi
    bad = copy.deepcopy(FLEET)
    bad["gates"]["enterprises"][0]["gates"][0]["devices"][0]["token"] = "short"
    with pytest.raises(GatesInputError) as err, engine.begin() as c:
        import_gates(c, bad, "test")
    assert "门禁设备 GD-0001" in err.value.say(translations("zh").gettext)


LEDGER = ("enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t,purpose\n"
          f"{CREDIT},2026-12-06T08:00:00+08:00,in,{STAGE5},,,,煤,31.5,transport\n"
          f"{CREDIT},2026-12-06T10:00:00+08:00,out,{STAGE5},,,,,,transport\n"
          f"{CREDIT},2026-12-06T11:00:00+08:00,进,晋C00001,,国六,柴油,焦炭,28,commissioning\n"
          f"{CREDIT},2026-12-06T11:30:00+08:00,in,晋C00002,,,,,,maintenance\n")


def test_a_ledger_csv_is_joined_to_the_register_paired_and_imported_once(db_url, tmp_path):
    engine = gates_database(db_url)
    path = tmp_path / "L.csv"
    path.write_text(LEDGER, encoding="utf-8")
    assert import_ledger_csv(engine, path, actor="inspector") == (4, 4, 0)
    assert import_ledger_csv(engine, path, actor="inspector") == (4, 0, 0)
    with engine.connect() as c:
        rows = {(r.plate, r.inbound): r for r in c.execute(select(gs.gates_ledger))}
    assert len(rows) == 4
    entry, exit_ = rows[(STAGE5, True)], rows[(STAGE5, False)]
    assert (entry.emission_stage, entry.vin, entry.cargo, entry.weight_t, entry.source) == \
        ("5", "LZZ1CLVB7KA123457", "煤", 31.5, "csv")
    assert exit_.pairs_with == entry.id
    assert (rows[("晋C00001", True)].emission_stage, rows[("晋C00001", True)].purpose) == ("6", "commissioning")
    assert rows[("晋C00002", True)].stage_unknown and rows[("晋C00002", True)].purpose == "maintenance"
    bad = tmp_path / "bad.csv"
    bad.write_text(LEDGER.replace(",31.5,", ",3150,").replace("晋C00002", "晋C00003"), encoding="utf-8")
    with pytest.raises(GatesInputError) as err:
        import_ledger_csv(engine, bad, actor="inspector")
    assert "bad.csv 第 2 行, weight_t" in err.value.say(translations("zh").gettext)
    assert "bad.csv dòng 2, weight_t" in err.value.say(translations("vi").gettext)
    assert count(engine, gs.gates_ledger) == 4  # nothing of the bad file


def test_the_guard_enters_a_row_through_the_api(db_url):
    engine = gates_database(db_url)
    key = "es_guard____gates_test_key_00000"
    with engine.begin() as c:
        ent = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == CREDIT))
        uid = c.execute(insert(s.users).values(username="guard", role="enterprise", enterprise_id=ent)
                        .returning(s.users.c.id)).scalar_one()
        c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=key[:12], key_hash=hash_api_key(key),
                                            created_at=func.now()))
    client = TestClient(create_app(engine))
    body = {"enterprise_id": ent, "time": "2026-12-06T09:00:00+08:00", "direction": "in", "plate": "晋C12345",
            "emission_stage": "国五", "fuel": "diesel", "cargo": "煤", "weight_t": 30, "purpose": "testing"}
    headers = {"X-API-Key": key, "Accept-Language": "vi"}
    r = client.post("/api/v1/gates/ledger", json=body, headers=headers)
    assert r.status_code == 201 and r.json() == {"stored": True}
    assert client.post("/api/v1/gates/ledger", json=body, headers=headers).json() == {"stored": False}
    r = client.post("/api/v1/gates/ledger", json={**body, "direction": "up"}, headers=headers)
    assert r.status_code == 422 and "direction" in r.json()["detail"] and "phải là" in r.json()["detail"]
    r = client.post("/api/v1/gates/ledger", json={**body, "enterprise_id": ent + 1}, headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == "Không có doanh nghiệp này trong phạm vi của bạn"
    r = client.post("/api/v1/gates/ledger?lang=zh", json={**body, "direction": "up"}, headers=headers)
    assert r.status_code == 422 and "direction" in r.json()["detail"] and "phải là" not in r.json()["detail"]
    with engine.connect() as c:
        [row] = c.execute(select(gs.gates_ledger)).all()
    assert (row.source, row.entered_by, row.emission_stage, row.purpose) == ("manual", "guard", "5", "testing")


def test_pictures_are_content_addressed_sharded_and_deduplicated(tmp_path):
    store = FilePictureStore(tmp_path / "pictures")
    a = png(1)
    name = store.put(a)
    assert store.put(a) == name and store.get(name) == a and store.has(name)
    assert store.path(name) == tmp_path / "pictures" / name[:2] / name[2:4] / name
    assert len(list((tmp_path / "pictures").rglob("*"))) == 3  # two folders and one file
    assert check_picture(a, 4096) == "image/png" and check_picture(b"\xff\xd8\xff\xe0" + b"\0" * 8, 64) == "image/jpeg"
    for data, limit in ((b"", 10), (b"GIF89a", 100), (a, 10)):
        with pytest.raises(PictureError):
            check_picture(data, limit)
    assert store.delete(name) and not store.has(name) and store.get(name) is None


def test_a_vehicle_register_csv_is_upserted_by_plate_and_refused_whole_on_a_bad_row(db_url, tmp_path):
    from ecosentry.subsystems.gates.store.registry import import_register_csv

    engine = gates_database(db_url)
    good = tmp_path / "R.csv"
    good.write_text("plate,plate_colour,vin,emission_stage,fuel,registration_date,owner,in_plant\n"
                    f"{STAGE4},yellow,LZZ1CLVB5KA123456,国五,diesel,2015-03-01,新车队,否\n"
                    "晋K55555,黄色,,6,天然气,2022-01-02,,是\n", encoding="utf-8")
    assert import_register_csv(engine, good, CREDIT) == (2, 1)
    assert import_register_csv(engine, good, CREDIT) == (2, 0)
    with engine.connect() as c:
        v = {r.plate: r for r in c.execute(select(gs.gates_vehicles))}
    assert len(v) == 5 and (v[STAGE4].emission_stage, v[STAGE4].owner) == ("5", "新车队")
    assert (v["晋K55555"].fuel, v["晋K55555"].plate_colour, v["晋K55555"].in_plant) == ("natural_gas", "yellow", True)
    bad = tmp_path / "R2.csv"
    bad.write_text("plate,plate_colour,vin,emission_stage,fuel,registration_date\n"
                   "晋K66666,yellow,,4,diesel,2020-01-01\n"
                   "晋K77777,yellow,LZZ1CLVB5KA12345,4,diesel,2020-01-01\n", encoding="utf-8")
    with pytest.raises(GatesInputError) as err:
        import_register_csv(engine, bad, CREDIT)
    assert "R2.csv 第 3 行, vin" in err.value.say(translations("zh").gettext)
    assert "R2.csv dòng 3, vin: số VIN có 17 ký tự, không phải 16" in err.value.say(translations("vi").gettext)
    assert count(engine, gs.gates_vehicles) == 5
