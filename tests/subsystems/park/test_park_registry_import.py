"""Registry import of the fleet key ``park:`` (issue 17 item 1) on SQLite and PostgreSQL: the park's site, sources,
stations (tiers, lon/lat turned into park metres) and receptors stored; a re-import changes nothing; every error
names the park, the item and the field in the reader's language and refuses the whole import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ecosentry.fleet import RegistryError, import_fleet
from ecosentry.service import prepare_database
from ecosentry.subsystems.park import schema as ps
from ecosentry.subsystems.park.i18n import gettext_for
from ecosentry.subsystems.park.store.registry import to_local
from parkkit import AMMON, B01_MN, fleet, park_env


def counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t.name: c.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (ps.park_sites, ps.park_sources, ps.park_stations, ps.park_receptors)}


def test_import_stores_the_park_and_a_reimport_changes_nothing(db_url, monkeypatch):
    park_env(monkeypatch)
    engine = prepare_database(db_url)
    summary = import_fleet(engine, fleet())
    assert summary.subsystems == {"park_sites": 1, "park_sources": 3, "park_stations": 4, "park_receptors": 2}
    with engine.connect() as c:
        st = {r.code: r for r in c.execute(select(ps.park_stations))}
        site = c.execute(select(ps.park_sites)).one()
    assert site.boundary == [[0, 0], [3000, 0], [3000, 2500], [0, 2500]] and site.notify_radius_m == 800
    assert {k: r.tier for k, r in st.items()} == {"B01": "boundary", "E01": "edge", "M01": "met", "Q01": "receptor"}
    assert st["B01"].factors == ["Cl2", "HCl"] and st["B01"].mn == B01_MN      # HJ 212 code → substance code
    assert st["M01"].factors == ["a01007", "a01008", "a01001", "xPGSC"]
    x, y = to_local(120.5495, 31.961, 120.52, 31.95)                         # ≈ 2 785 m east, 1 223 m north
    assert (round(st["E01"].x), round(st["E01"].y)) == (round(x), round(y)) and 2700 < x < 2900 and 1150 < y < 1300
    ids = {k: r.id for k, r in st.items()}
    before = counts(engine)
    import_fleet(engine, fleet())
    with engine.connect() as c:
        assert {r.code: r.id for r in c.execute(select(ps.park_stations))} == ids
    assert counts(engine) == before == {"park_sites": 1, "park_sources": 3, "park_stations": 4, "park_receptors": 2}
    engine.dispose()


def _fails(engine, f) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        import_fleet(engine, f)
    return info.value


def test_errors_name_park_item_and_field_in_zh_and_vi_and_store_nothing(db_url, monkeypatch):
    park_env(monkeypatch)
    engine = prepare_database(db_url)
    f = fleet()
    f["park"][0]["stations"][1]["tier"] = "fence"
    err = _fails(engine, f)
    assert "park JSHG, station E01, tier: must be one of boundary, edge, receptor, met, not 'fence'" in str(err)
    assert counts(engine) == dict.fromkeys(counts(engine), 0)        # the whole import refused
    zh, vi = gettext_for("zh"), gettext_for("vi")
    said_zh, said_vi = err.params["error"].say(zh), err.params["error"].say(vi)
    assert "园区 JSHG" in said_zh and "监测站 E01" in said_zh and "必须是" in said_zh
    assert "khu công nghiệp JSHG" in said_vi and "trạm E01" in said_vi and "phải là một trong" in said_vi

    f = fleet()
    f["park"][0]["sources"][0]["enterprise"] = "91320582MA1OTHER01"
    err = _fails(engine, f)
    assert "source S01, enterprise: enterprise 91320582MA1OTHER01 is not in this park (its park: OTHER)" in str(err)
    assert "污染源 S01" in err.params["error"].say(zh)

    f = fleet()
    f["park"][0]["stations"][0]["factors"] = ["a21022", "a99999"]
    assert "'a99999' is not a factor a park station reads" in str(_fails(engine, f))

    f = fleet()
    f["park"][0]["stations"][1]["mn"] = B01_MN
    assert f"station E01, mn: MN {B01_MN} already belongs to station JSHG/B01" in str(_fails(engine, f))

    f = fleet()
    f["park"][0]["code"] = "NOPARK"
    err = _fails(engine, f)
    assert "park NOPARK, the park entry, code: no park with this code" in str(err)
    assert "园区条目" in err.params["error"].say(zh)

    f = fleet()
    del f["park"][0]["origin"]
    assert "station E01, lon: a position in lon/lat needs the park's origin" in str(_fails(engine, f))

    f = fleet()
    f["park"][0]["sources"][1]["enterprise"] = AMMON[:-1] + "9"
    assert "no enterprise with credit code" in str(_fails(engine, f))
    assert counts(engine) == dict.fromkeys(counts(engine), 0)
    engine.dispose()
