"""The alarm page's power panel says the finding with the equipment's names, not its codes (as the findings
pages do; the stored explanation keeps what the engine wrote)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from ecosentry.fleet import import_fleet
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.power.demo.fleet import enterprises, fleet
from ecosentry.subsystems.power.web.context import alarm_finding


def test_the_panel_names_the_equipment(tmp_path):
    engine = prepare_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ents = enterprises(mqtt=False)
    import_fleet(engine, fleet(ents))
    with engine.connect() as conn:
        eid = conn.execute(select(s.enterprises.c.id).where(
            s.enterprises.c.credit_code == ents[0].credit_code)).scalar_one()
        alarm = {"type": "ALM-PWR-TREAT-OFF", "enterprise_id": eid,
                 "evidence": {"sentence": {"msgid": "%(treatment)s off while %(production)s runs",
                                           "params": {"treatment": "dust1", "production": "oven1,oven2"}}}}
        got = alarm_finding(conn, None, alarm)
    text = got["power_sentence"](lambda m: m, SimpleNamespace(datetime=lambda t, tz: t.isoformat()))
    assert text == "装煤除尘地面站 off while 1号焦炉推焦装煤, 2号焦炉推焦装煤 runs"
    assert alarm["evidence"]["sentence"]["params"]["treatment"] == "dust1"   # the alarm row is not changed
