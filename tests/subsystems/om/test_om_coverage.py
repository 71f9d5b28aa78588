"""The coverage rule (应装尽装、应联尽联), pure: a key unit is installed when every point is in a station room with
a door controller and a camera, networked when besides every room's door reported within its window and a camera
of every room within its window; per region the counts and shares, with the gaps named."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ecosentry.subsystems.om.rules.coverage import CoverageSettings, KeyUnit, Room, region_coverage, unit_coverage

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)
S = CoverageSettings()


def room(i, points, door=True, door_age_h=1.0, cameras=(0.5,)):
    return Room(i, f"R{i}", tuple(points), door, None if door_age_h is None else NOW - timedelta(hours=door_age_h),
                tuple(None if a is None else NOW - timedelta(hours=a) for a in cameras))


def test_installed_and_networked_and_each_gap():
    rooms = [room(1, [1, 2]), room(2, [3], cameras=()), room(3, [4], door=False), room(4, [5], door_age_h=192.5),
             room(5, [6], cameras=(30, None)), room(6, [7], door_age_h=192, cameras=(24, 40))]
    units = [KeyUnit(1, "甲", "130100", (1, 2)), KeyUnit(2, "乙", "130100", (3,)), KeyUnit(3, "丙", "130200", (4,)),
             KeyUnit(4, "丁", "130200", (5,)), KeyUnit(5, "戊", "130200", (6,)), KeyUnit(6, "己", "130200", (7, 8))]
    got = [unit_coverage(u, rooms, NOW, S, {8: "P8"}) for u in units]
    assert [(u.installed, u.networked) for u in got] == [(True, True), (False, False), (False, False),
                                                         (True, False), (True, False), (False, False)]
    assert [u.gaps for u in got] == [[], [("no_camera", "R2")], [("no_door", "R3")], [("door_silent", "R4")],
                                     [("camera_silent", "R5")], [("no_room", "P8")]]
    # the window's edge counts (192 h for the door, 24 h for a camera)
    assert unit_coverage(KeyUnit(7, "庚", "130200", (7,)), rooms, NOW, S).networked
    regions = region_coverage(got)
    assert [(r.region_code, r.units, r.installed, r.networked) for r in regions] == [("130100", 2, 1, 1),
                                                                                      ("130200", 4, 2, 0)]
    assert regions[0].installed_share == 0.5 and regions[1].networked_share == 0.0
    assert (regions[1].door_installed, regions[1].video_installed, regions[1].door_networked,
            regions[1].video_networked) == (2, 3, 1, 2)
