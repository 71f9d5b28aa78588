"""The O&M demo's scene, pure: who maintains which points, the station rooms, and what happened before the demo
started (work orders, door events, calibration checks, one unsupported mark), all relative to the start ``t0``.

Two organisations. The first (the demo's ``om`` account is its engineer) is filed (备案) and holds the contracts
of the points the ``om`` account maintains; its two station rooms have door controllers and cameras. Its busy room
(``ROOM-1``) has planned work in every state — a daily inspection reviewed, one done awaiting review, a weekly
inspection assigned, a calibration order on site after the automatic span check failed two hours ago (out of
control, ``ALM-OM-CAL-OUT-OF-CONTROL``), a periodic verification accepted eleven days ago and now overdue
(``ALM-OM-WO-OVERDUE``) — and its door opened for each visit. Its quiet room (``ROOM-2``) had a reviewed daily
inspection yesterday and nothing open: a maintenance mark filed for five hours ago has neither a work order nor a
door opening (``OM-MARK-NO-ORDER``, ``OM-MARK-NO-DOOR``), and the opening of its door a minute into the demo is
explained by nothing (``ALM-OM-DOOR-UNEXPLAINED``). The second organisation (备案 pending) maintains the first
enterprise's point; its room has a door controller but no camera, and one more enterprise under contract has no
station room registered at all (the gaps of 应装尽装、应联尽联).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["DemoPoint", "Room", "OrderPlan", "DoorPlan", "CheckPlan", "MarkPlan", "InstrumentPlan", "Scene", "scene",
           "ORG_A", "ORG_B", "ENGINEER_B", "REVIEWER", "REGISTERED", "CHANGED"]

ORG_A, ORG_B = "DEMO-OM-SZ", "DEMO-OM-QY"
#: Org B has no account in the demo: its engineer is named as the orders' assignee.
ENGINEER_B = "李工（清源）"
#: The account that reviews (approves) finished orders: the demo's city regulator.
REVIEWER = "regulator"


@dataclass(frozen=True)
class DemoPoint:
    """A point of the demo fleet as the scene needs it."""

    id: int
    mn: str
    enterprise: str       # credit code
    enterprise_name: str
    factor: str           # the factor its checks are about (its first)
    password: str = ""    # its HJ 212 access password (PW), for the logger's instrument frames


@dataclass(frozen=True)
class Room:
    code: str
    name: str
    point: DemoPoint
    door_id: str
    secret: str
    cameras: tuple[dict, ...] = ()


@dataclass(frozen=True)
class OrderPlan:
    """A work order made before the start: its kind, point, creation time and the actions after it
    (``(action, minutes after creation)``), by the organisation's engineer (the review by :data:`REVIEWER`)."""

    key: str
    point: DemoPoint
    kind: str
    created: datetime
    steps: tuple[tuple[str, float], ...]
    engineer: str
    note: str


@dataclass(frozen=True)
class DoorPlan:
    room: Room
    at: datetime
    event: str


@dataclass(frozen=True)
class CheckPlan:
    point: DemoPoint
    at: datetime
    kind: str
    result: str
    drift_pct: float


@dataclass(frozen=True)
class MarkPlan:
    point: DemoPoint
    start: datetime
    end: datetime
    reason: str


#: The instrument parameters registered (备案) for the logger's analyser: HJ 212-2017 Appendix B i13xxx info codes
#: (their names in the standard were not read [R]; the demo keeps the codes as names).
REGISTERED = {"i13001": 500.0, "i13004": 1.0}
#: The change the logger reports during the demo with no work order: the range doubled.
CHANGED = ("i13001", 1000.0)


@dataclass(frozen=True)
class InstrumentPlan:
    """The logger reporting its analyser's parameters over HJ 212 CN 3020: the registered values at first, then
    :data:`CHANGED` with no work order at the point."""

    point: DemoPoint
    registered: dict
    changed: tuple[str, float]


@dataclass
class Scene:
    fleet: dict                          # the registry document (key ``om:``)
    busy: Room                           # ROOM-1: the visits during the demo
    quiet: Room                          # ROOM-2: the unexplained opening
    rooms: list[Room]
    orders: list[OrderPlan] = field(default_factory=list)
    doors: list[DoorPlan] = field(default_factory=list)
    checks: list[CheckPlan] = field(default_factory=list)
    mark: MarkPlan | None = None
    failed: CheckPlan | None = None
    instrument: InstrumentPlan | None = None

    def pushing_camera(self, room: Room) -> dict | None:
        """The room's camera that pushes snapshots and heartbeats (with its secret), if any."""
        return next((c for c in room.cameras if c.get("secret")), None)


def door_secret(seed: str, door_id: str) -> str:
    """The demo door controller's secret: derived from the demo's seed (a second run keeps it)."""
    return hmac.new(seed.encode(), door_id.encode(), hashlib.sha256).hexdigest()[:32]


def _visit(order: OrderPlan, room: Room, arrive: float, leave: float) -> list[DoorPlan]:
    """The door of the room opened on arrival and closed on leaving (minutes after the order's creation)."""
    return [DoorPlan(room, order.created + timedelta(minutes=arrive - 3), "open"),
            DoorPlan(room, order.created + timedelta(minutes=leave + 2), "close")]


def _order(key, point, kind, created, steps, engineer, note) -> OrderPlan:
    return OrderPlan(key, point, kind, created, tuple(steps), engineer, note)


def scene(points: list[DemoPoint], other: list[DemoPoint], t0: datetime, seed: str, engineer: str | None,
          failed_drift: float) -> Scene:
    """The scene for the ``om`` account's points (at least one; the first two get the rooms) and ``other`` points
    (the second organisation's: the first gets a room without camera, the second none). ``failed_drift`` is the
    span drift of the failed check [% F.S.] (beyond its analyser's allowed drift)."""
    year = t0.year
    busy_p = points[0]
    quiet_p = points[1] if len(points) > 1 else None
    rooms = []
    for n, (p, cams) in enumerate(((busy_p, ({"id": "CAM1", "rtsp": "rtsp://10.20.1.11/h264/ch1/main"},
                                             {"id": "CAM2", "gb28181": "32050000001320000011"})),
                                   (quiet_p, ({"id": "CAM1", "rtsp": "rtsp://10.20.2.11/h264/ch1/main"},))), start=1):
        if p is not None:
            door = f"DEMO-DOOR-{n}"
            # each room's CAM1 pushes snapshots on door openings and heartbeats (its secret from the seed)
            cams = tuple({**c, "secret": door_secret(seed, f"ROOM-{n}-{c['id']}")} if c["id"] == "CAM1" else c
                         for c in cams)
            rooms.append(Room(f"ROOM-{n}", f"{p.enterprise_name}1号站房", p, door, door_secret(seed, door), cams))
    if other:
        p = other[0]
        rooms.append(Room("ROOM-3", f"{p.enterprise_name}站房", p, "DEMO-DOOR-3", door_secret(seed, "DEMO-DOOR-3")))
    busy, quiet = rooms[0], rooms[1] if quiet_p is not None else rooms[0]

    def contracts(ps: list[DemoPoint], prefix: str) -> list[dict]:
        by_ent: dict[str, list[str]] = {}
        for p in ps:
            by_ent.setdefault(p.enterprise, []).append(p.mn)
        return [{"id": f"{prefix}-{year}-{i:02d}", "enterprise": e, "points": mns, "from": f"{year}-01-01",
                 "to": f"{year}-12-31"} for i, (e, mns) in enumerate(by_ent.items(), start=1)]

    staff_a = [{"id": "S01", "name": "陈建国", "user": engineer, "commitment_signed": f"{year}-01-08",
                "certificates": [{"name": "污染源自动监控设施运维上岗证", "number": f"JS-YW-{year}-0117",
                                  "valid_to": f"{year + 2}-06-30"}]},
               {"id": "S02", "name": "刘洋", "commitment_signed": f"{year}-01-08",
                "certificates": [{"name": "污染源自动监控设施运维上岗证", "number": f"JS-YW-{year}-0118",
                                  "valid_to": f"{year + 1}-03-31"}]},
               {"id": "S03", "name": "赵磊", "certificates": [{"name": "污染源自动监控设施运维上岗证",
                                                              "number": f"JS-YW-{year}-0342"}]}]
    if engineer is None:
        del staff_a[0]["user"]
    orgs = [{"id": ORG_A, "name": "苏州示范环保运维有限公司", "credit_code": "91320500MA1DEMOYW1",
             "filing": {"status": "filed", "date": f"{year}-01-06"},
             "qualifications": [{"name": "环境污染治理设施运营资质（自动连续监测）", "number": f"苏环运{year}-021",
                                 "valid_to": f"{year + 3}-12-31"}],
             "staff": staff_a, "contracts": contracts(points, "SZ")}]
    if other:
        orgs.append({"id": ORG_B, "name": "苏州清源环境技术服务有限公司", "credit_code": "91320500MA1DEMOQY2",
                     "filing": {"status": "pending"},
                     "qualifications": [{"name": "环境污染治理设施运营资质（自动连续监测）", "number": f"苏环运{year}-058"}],
                     "staff": [{"id": "S01", "name": "李明", "commitment_signed": f"{year}-02-01"}],
                     "contracts": contracts(other, "QY")})
    fleet = {"om": {"organisations": orgs, "rooms": [
        {"id": r.code, "name": r.name, "enterprise": r.point.enterprise, "points": [r.point.mn],
         "door": {"id": r.door_id, "secret": r.secret}, "cameras": [dict(c) for c in r.cameras]} for r in rooms]}}
    # the quiet room's logger reports its analyser's parameters (the busy point always has an order at work)
    logger_p = quiet_p or busy_p
    fleet["om"]["parameters"] = [{"point": logger_p.mn, "factor": logger_p.factor, "name": name, "value": value}
                                 for name, value in REGISTERED.items()]
    sc = Scene(fleet, busy, quiet, rooms, instrument=InstrumentPlan(logger_p, dict(REGISTERED), CHANGED))

    h = timedelta(hours=1)
    visit = (("assign", 5), ("accept", 15), ("arrive", 60), ("finish", 100))
    eng = engineer or "陈建国"
    # the busy room: planned work in every state
    o = _order("reviewed", busy_p, "daily_inspection", t0 - 50 * h, (*visit, ("approve", 20 * 60)), eng,
               "日常巡检：站房环境、采样管路、反吹")
    sc.orders.append(o)
    sc.doors += _visit(o, busy, 60, 100)
    o = _order("done", busy_p, "daily_inspection", t0 - 26 * h, visit, eng, "日常巡检：标气有效期、伴热温度")
    sc.orders.append(o)
    sc.doors += _visit(o, busy, 60, 100)
    sc.orders.append(_order("assigned", busy_p, "weekly_inspection", t0 - 3 * h, (("assign", 10),), eng,
                            "周巡检：全系统检查、耗材更换"))
    failed_at = t0 - 2 * h - timedelta(minutes=10)
    sc.failed = CheckPlan(busy_p, failed_at, "span", "fail", failed_drift)
    o = _order("on_site", busy_p, "calibration", t0 - 2 * h, (("assign", 2), ("accept", 8), ("arrive", 40)), eng,
               "跨度核查不合格：现场校准")
    sc.orders.append(o)
    sc.doors.append(DoorPlan(busy, o.created + timedelta(minutes=37), "open"))
    o = _order("overdue", busy_p, "verification", t0 - 11 * 24 * h, (("assign", 30), ("accept", 90)), eng,
               "季度校验（比对前自查）")
    sc.orders.append(o)
    # daily automatic zero and span checks of the last three days (02:00 local is about 18:00 UTC)
    for d in range(3, 0, -1):
        day = (t0 - d * 24 * h).replace(hour=18, minute=0, second=0, microsecond=0)
        for p in [x for x in (busy_p, quiet_p) if x is not None]:
            sc.checks.append(CheckPlan(p, day, "zero", "pass", 0.4 + 0.1 * d))
            sc.checks.append(CheckPlan(p, day + timedelta(minutes=20), "span", "pass", -0.6 + 0.2 * d))
    # the quiet room: yesterday's inspection reviewed, then nothing open
    if quiet_p is not None:
        o = _order("quiet", quiet_p, "daily_inspection", t0 - 30 * h, (*visit, ("approve", 8 * 60)), eng,
                   "日常巡检")
        sc.orders.append(o)
        sc.doors += _visit(o, quiet, 60, 100)
    sc.mark = MarkPlan(quiet_p or busy_p, t0 - 6 * h, t0 - 5 * h, "设备维护（运维人员手机补报）")
    # the second organisation: two inspections, one reviewed and one done
    if other:
        for key, ago in (("b-reviewed", 40), ("b-done", 16)):
            steps = (*visit, ("approve", 6 * 60)) if key == "b-reviewed" else visit
            o = _order(key, other[0], "daily_inspection", t0 - ago * h, steps, ENGINEER_B, "日常巡检")
            sc.orders.append(o)
            sc.doors += _visit(o, rooms[-1], 60, 100)
    sc.doors.sort(key=lambda d: d.at)
    return sc
