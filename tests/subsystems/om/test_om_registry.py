"""The fleet key ``om:`` stored by the registry import: organisations, staff, contracts, station rooms with their
door controller (secret only as a hash) and cameras; a re-import changes nothing; an error names its place, said
in Chinese and Vietnamese, and refuses the whole import."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ecosentry.auth.passwords import verify_password
from ecosentry.fleet import RegistryError, import_fleet
from ecosentry.locale import translations
from ecosentry.subsystems.om import schema as os_
from omkit import DOOR_SECRET, MN_A, fleet

TABLES = (os_.om_organisations, os_.om_staff, os_.om_contracts, os_.om_contract_points, os_.om_rooms,
          os_.om_room_points, os_.om_cameras)


def snapshot(eng) -> dict:
    with eng.connect() as c:
        return {t.name: sorted(tuple(map(str, r)) for r in c.execute(select(t))) for t in TABLES}


def test_the_om_key_is_stored_and_a_reimport_changes_nothing(om_world):
    eng, _st, pts = om_world
    first = snapshot(eng)
    assert len(first["om_organisations"]) == 1 and len(first["om_staff"]) == 1
    assert len(first["om_cameras"]) == 2 and len(first["om_room_points"]) == 1
    with eng.connect() as c:
        org = c.execute(select(os_.om_organisations)).mappings().one()
        room = c.execute(select(os_.om_rooms)).mappings().one()
        contract_points = list(c.execute(select(os_.om_contract_points.c.point_id)).scalars())
        staff = c.execute(select(os_.om_staff)).mappings().one()
    assert org["filing_status"] == "filed" and org["filed_on"].isoformat() == "2026-01-05"
    assert org["qualifications"][0]["number"] == "HB-2026-001"
    assert staff["username"] == "om_zhang" and staff["commitment_signed_on"].isoformat() == "2026-01-10"
    assert contract_points == [pts["a"]]
    assert room["door_id"] == "DOOR-A" and DOOR_SECRET not in room["door_secret_hash"]
    assert verify_password(room["door_secret_hash"], DOOR_SECRET)
    summary = import_fleet(eng, fleet())
    assert summary.subsystems == {"om_organisations": 1, "om_staff": 1, "om_contracts": 1, "om_rooms": 1,
                                  "om_cameras": 2}
    assert snapshot(eng) == first          # the same rows, the same (salted) hash of the door secret


def _with(change) -> dict:
    f = fleet()
    change(f["om"])
    return f


BAD = {
    "unknown enterprise": (
        lambda om: om["organisations"][0]["contracts"][0].update(enterprise="91130100MA0NOSUCH1"),
        "contract C2026-01 of organisation ORG-QY: enterprise 91130100MA0NOSUCH1 is neither in the file nor in "
        "the database", "合同", "hợp đồng"),
    "camera without address": (
        lambda om: om["rooms"][0]["cameras"].append({"id": "CAM3"}),
        "camera CAM3 of station room ROOM-A: a camera needs an RTSP URL (rtsp) or a GB/T 28181 id (gb28181)",
        "站房", "phòng trạm"),
    "filing status": (
        lambda om: om["organisations"][0]["filing"].update(status="maybe"),
        "organisation ORG-QY: filing status must be one of filed, pending, revoked, none, not 'maybe'",
        "备案", "đăng ký"),
    "contract ends before it starts": (
        lambda om: om["organisations"][0]["contracts"][0].update(to="2025-12-31"),
        "contract C2026-01 of organisation ORG-QY: the contract ends (2025-12-31) before it starts (2026-01-01)",
        "合同", "hợp đồng"),
    "door held by another room": (
        lambda om: om["rooms"].append({"id": "ROOM-B", "name": "水泥站房",
                                       "door": {"id": "DOOR-A", "secret": "another-secret-1"}}),
        "station room ROOM-B: door controller DOOR-A is already the door of station room ROOM-A", "门禁",
        "cửa"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_an_error_names_its_place_in_the_readers_language_and_stores_nothing(om_world, case):
    eng, _st, _pts = om_world
    change, english, zh_word, vi_word = BAD[case]
    before = snapshot(eng)
    with pytest.raises(RegistryError) as e:
        import_fleet(eng, _with(change))
    assert english in str(e.value)
    zh = e.value.say(translations("zh").gettext)
    vi = e.value.say(translations("vi").gettext)
    assert zh_word in zh and "运维" in zh, zh
    assert vi_word in vi.lower(), vi
    assert snapshot(eng) == before


def test_an_om_key_alone_on_a_known_registry(om_world):
    """The ``om:`` key may come in a file of its own, naming points and enterprises already in the database."""
    eng, _st, _pts = om_world
    only = {"om": _with(lambda om: om["rooms"][0].update(name="热电1号站房（改）"))["om"]}
    import_fleet(eng, only)
    with eng.connect() as c:
        assert c.execute(select(os_.om_rooms.c.name)).scalar_one() == "热电1号站房（改）"
        assert c.execute(select(func.count()).select_from(os_.om_room_points)).scalar_one() == 1
    assert MN_A
