"""The per-point length leniency (points.lenient_length): off by default, every change audited."""

from __future__ import annotations

from sqlalchemy import select

from ecosentry.service import prepare_database
from ecosentry.store import registry_edit
from ecosentry.store import schema as s
from ecosentry.store.audit import list_audit
from ecosentry.fleet import import_fleet
from ecosentry.store.registry import load_point_directory


FLEET = {
    "regions": [{"code": "320506", "name": "吴中区", "level": "county"}],
    "enterprises": [{"credit_code": "91320506MA1TEST001", "name": "测试热电", "region": "320506", "outlets": [
        {"code": "DA001", "name": "1号排口", "medium": "gas",
         "points": [{"mn": "TEST0000000000000000GAS1", "password": "123456", "st": "31", "name": "CEMS"}]}]}],
}


def test_leniency_is_off_by_default_and_its_changes_are_audited(db_url):
    engine = prepare_database(db_url)
    import_fleet(engine, FLEET)
    info = load_point_directory(engine)["TEST0000000000000000GAS1"]
    assert info.lenient_length is False
    assert list_audit(engine, "point", info.point_id) == []  # nothing changed, nothing audited

    form = registry_edit.get_row(engine, "point", info.point_id)
    raw = {k: "" if v is None else str(v) for k, v in form.items() if k not in ("id", "active")}
    raw.update(active="1", lenient_length="1")
    registry_edit.update(engine, "point", info.point_id, raw, actor="admin")
    assert load_point_directory(engine)["TEST0000000000000000GAS1"].lenient_length is True
    [row] = list_audit(engine, "point", info.point_id)
    assert row["actor"] == "admin" and row["before"]["lenient_length"] is False
    assert row["after"]["lenient_length"] is True

    point = {**FLEET["enterprises"][0]["outlets"][0]["points"][0], "lenient_length": False}
    fleet = {**FLEET, "enterprises": [{**FLEET["enterprises"][0], "outlets": [
        {**FLEET["enterprises"][0]["outlets"][0], "points": [point]}]}]}
    import_fleet(engine, fleet, actor="import by admin")
    newest = list_audit(engine, "point", info.point_id)[0]
    assert newest["actor"] == "import by admin" and newest["after"]["lenient_length"] is False
    with engine.connect() as c:
        assert c.execute(select(s.points.c.lenient_length)).scalar_one() is False
    engine.dispose()
