"""The access-test world: a province with a city and two counties, two enterprises (A in county A, published,
in a chemical park; B in county B), an O&M contractor maintaining B's gas point, and one account per role
with an API key. The O&M contractor is registered too (:data:`OM_FLEET`, the fleet's ``om:`` key): its
organisation, a contract for B's gas point, the ``om`` account as its staff, B's station room with a door
controller (:data:`DOOR_ID`, :data:`DOOR_SECRET`) and a camera; each gas point has a passing zero check and
work orders are made fresh for every call (:meth:`World.work_order`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from ecosentry.alarms import store as alarm_store
from ecosentry.api.app import create_app
from ecosentry.settings import Settings
from ecosentry.alarms import disposal_store
from ecosentry.alarms.disposal import Deadlines
from ecosentry.alarms import subscriptions as subs
from ecosentry.auth.accounts import create_user
from ecosentry.auth.apikeys import create_api_key
from ecosentry.subsystems.monitoring.store import marks as mark_store
from ecosentry.store import pollution_alerts as alert_store
from ecosentry.store import schema as s
from ecosentry.fleet import import_fleet
from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings
from ecosentry.subsystems.om.rules.calibration import CalibrationSettings
from ecosentry.subsystems.om.store import calibrations as om_calibrations
from ecosentry.subsystems.om.store import workorders as om_orders

PASSWORD = "correct horse battery"
COUNTY_A, COUNTY_B, CITY, PROVINCE = "320506", "320507", "320500", "320000"
MN_A_GAS, MN_A_WATER, MN_B_GAS = "MATRIXA0000000000000GAS1", "MATRIXA000000000000WAT01", "MATRIXB0000000000000GAS1"
CREDIT_A, CREDIT_B = "91320506MA1MATRXA1", "91320507MA1MATRXB2"
DOOR_ID, DOOR_SECRET = "MATRIX-DOOR-B", "matrix door secret of room B"


def _gas_point(mn: str) -> dict:
    return {"mn": mn, "password": "123456", "st": "31", "min_interval": 1,
            "factors": [{"code": "a21026", "range": [0, 200], "limits": [{"kind": "hour", "upper": 35}]},
                        {"code": "a19001", "range": [0, 25]}]}


FLEET = {
    "regions": [
        {"code": PROVINCE, "name": "江苏省", "level": "province"},
        {"code": CITY, "name": "苏州市", "level": "city", "parent": PROVINCE},
        {"code": COUNTY_A, "name": "吴中区", "level": "county", "parent": CITY},
        {"code": COUNTY_B, "name": "相城区", "level": "county", "parent": CITY},
    ],
    "parks": [{"code": "PARK-A", "name": "吴中示范化工园区", "region": COUNTY_A}],
    "enterprises": [
        {"credit_code": CREDIT_A, "name": "甲化工有限公司", "region": COUNTY_A, "park": "PARK-A", "published": True,
         "outlets": [{"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "ref_o2": 6.0,
                      "points": [_gas_point(MN_A_GAS)]},
                     {"code": "DW001", "name": "废水总排口", "medium": "water",
                      "points": [{"mn": MN_A_WATER, "password": "123456", "st": "32", "factors": ["w01018"]}]}]},
        {"credit_code": CREDIT_B, "name": "乙热电有限公司", "region": COUNTY_B,
         "outlets": [{"code": "DA001", "name": "1号锅炉排口", "medium": "gas", "ref_o2": 6.0,
                      "points": [_gas_point(MN_B_GAS)]}]},
    ],
}

#: The O&M registry (imported once the accounts exist: the staff member logs in as ``m-om``).
OM_FLEET = {"om": {
    "organisations": [{
        "id": "MATRIX-OM", "name": "苏州矩阵环保运维有限公司", "credit_code": "91320500MA1MATRXO3",
        "filing": {"status": "filed", "date": "2026-01-05"},
        "qualifications": [{"name": "污染源自动监控设施运营", "number": "JS-2026-001", "valid_to": "2028-12-31"}],
        "staff": [{"id": "S01", "name": "王工", "user": "m-om", "commitment_signed": "2026-01-10",
                   "certificates": [{"name": "运维上岗证", "number": "C-01", "valid_to": "2027-06-30"}]}],
        "contracts": [{"id": "C-B", "enterprise": CREDIT_B, "points": [MN_B_GAS], "from": "2026-01-01"}]}],
    "rooms": [{"id": "ROOM-B", "name": "乙热电1号站房", "enterprise": CREDIT_B, "points": [MN_B_GAS],
               "door": {"id": DOOR_ID, "secret": DOOR_SECRET},
               "cameras": [{"id": "CAM1", "rtsp": "rtsp://10.0.0.5/stream1"}]}]}}

#: Roles of the matrix: name → (role, scope fields). "anonymous" has no account.
ROLES = {
    "admin": ("admin", {}),
    "province": ("regulator", {"region_code": PROVINCE}),
    "city": ("regulator", {"region_code": CITY}),
    "county_a": ("regulator", {"region_code": COUNTY_A}),
    "county_b": ("regulator", {"region_code": COUNTY_B}),
    "enterprise_a": ("enterprise", {"enterprise": CREDIT_A}),
    "om": ("om", {"points": [MN_B_GAS]}),
    "park": ("park", {"park_code": "PARK-A"}),
    "public": ("public", {}),
    "anonymous": (None, {}),
}


@dataclass
class World:
    engine: Engine
    points: dict[str, int]                       # MN → id
    enterprises: dict[str, int]                  # credit code → id
    users: dict[str, int] = field(default_factory=dict)      # matrix role name → user id
    headers: dict[str, dict] = field(default_factory=dict)   # matrix role name → request headers
    _serial: count = field(default_factory=lambda: count(1))
    last_mark_start: datetime | None = None
    last_alert_start: datetime | None = None
    open_marks: list = field(default_factory=list)

    # ------------------------------------------------------------------ fresh objects

    def mark(self, point_id: int, *, open_: bool = False) -> int:
        # one mark per two hours: many marks in one hour make a validity reason longer than its column (see
        # the report of issue 6), which is not what these tests are about
        start = datetime(2026, 10, 1, tzinfo=timezone.utc) + timedelta(hours=2 * next(self._serial))
        self.last_mark_start = start
        mark_id = mark_store.file_mark(self.engine, point_id=point_id, type="maintenance", start=start,
                                       end=None if open_ else start + timedelta(minutes=30), reason="matrix",
                                       filed_by="fixture")
        if open_:
            self.open_marks.append((mark_id, start))
        return mark_id

    def close_open_marks(self) -> None:
        """Close the open marks a refused call left open (an open mark covers every later hour)."""
        for mark_id, start in self.open_marks:
            if mark_store.get_mark(self.engine, mark_id)["end"] is None:
                mark_store.close_mark(self.engine, mark_id, start + timedelta(minutes=30), "fixture")
        self.open_marks.clear()

    def evidence(self, mark_id: int) -> int:
        return mark_store.attach_evidence(self.engine, mark_id, "photo.jpg", "image/jpeg", b"\xff\xd8evidence",
                                          "fixture")["id"]

    def alarm(self, point_id: int | None = None, *, region: str | None = None) -> int:
        n = next(self._serial)
        at = datetime.now(timezone.utc)
        if point_id is not None:
            alarm, _ = alarm_store.raise_alarm(
                self.engine, type="ALM-EXCEEDANCE", source_type="point", source_id=f"{point_id}-{n}", severity=None,
                title="二氧化硫超标", explanation="matrix", evidence={"n": n}, point_id=point_id,
                factor_codes=["a21026"], at=at)
        else:
            alarm, _ = alarm_store.raise_alarm(
                self.engine, type="ALM-TOXIC-GAS", source_type="park_sensor", source_id=f"sensor-{n}", severity=None,
                title="边界站超标", explanation="matrix", evidence={"n": n}, region_code=region, at=at)
        return alarm["id"]

    def alert_slot(self) -> datetime:
        """A start in a future slot of its own (alerts of one region may not overlap)."""
        return datetime(2030, 1, 1, tzinfo=timezone.utc) + timedelta(days=2 * next(self._serial))

    def pollution_alert(self, region: str, *, past: bool = False) -> int:
        """A fresh one-day heavy-pollution alert of ``region`` in a slot of its own (alerts of one region may not
        overlap): in the future (scheduled), or ``past`` (ten years earlier, so that a level change at
        ``last_alert_start`` + 1 h finds it running then); its start is ``last_alert_start``."""
        start = self.alert_slot() - (timedelta(days=3650) if past else timedelta(0))
        self.last_alert_start = start
        return alert_store.issue(self.engine, region_code=region, level="orange", starts_at=start,
                                 ends_at=start + timedelta(days=1), issued_by="矩阵应急指挥部", actor="fixture")

    def case(self, point_id: int, upto: str) -> int:
        """A fresh alarm of the point whose supervision (督办) has reached ``upto`` (pushed, handling, feedback,
        verified), taken by the admin; returns the alarm id."""
        alarm_id = self.alarm(point_id)
        steps = {"pushed": ["push"], "handling": ["push", "handle"], "feedback": ["push", "handle", "feedback"],
                 "verified": ["push", "handle", "feedback", "accept"]}[upto]
        texts = {"push": {"text": "请反馈"}, "feedback": {"cause": "泵故障", "measures": "已更换",
                                                          "files": [("记录.pdf", b"%PDF-1.4 fixture")]}}
        for step in steps:
            disposal_store.take_step(self.engine, alarm_id, step, actor="fixture", role="admin",
                                     deadlines=Deadlines(), **texts.get(step, {}))
        return alarm_id

    def disposal_file(self, alarm_id: int) -> int:
        """The first evidence file of the alarm's supervision case."""
        case = disposal_store.case(self.engine, alarm_id)
        return next(f["id"] for x in case["steps"] for f in x["files"])

    def subscription(self, user_id: int, region: str = COUNTY_A) -> int:
        return subs.create_subscription(self.engine, user_id=user_id, channel="email", address="x@example.org",
                                        region_code=region)["id"]

    def api_key(self, user_id: int) -> int:
        return create_api_key(self.engine, user_id, f"extra-{next(self._serial)}")[1]["id"]

    def work_order(self, point_id: int, *, upto: str = "created") -> int:
        """A fresh daily-inspection order of the point, moved up to ``upto`` (created, assigned, done) by the
        O&M engineer; its id."""
        at = datetime.now(timezone.utc) - timedelta(hours=3)
        order = om_orders.create_order(self.engine, kind="daily_inspection", at=at, actor="fixture",
                                       settings=DeadlineSettings(), zone=ZoneInfo("Asia/Shanghai"),
                                       point_id=point_id)
        steps = {"created": [], "assigned": ["assign"], "done": ["assign", "accept", "arrive", "finish"]}[upto]
        for i, action in enumerate(steps, start=1):
            om_orders.transition(self.engine, order["id"], action, at + timedelta(minutes=10 * i), "m-om",
                                 assignee="m-om" if action == "assign" else None)
        return order["id"]

    def calibration_time(self) -> datetime:
        """A time of its own for a zero/span check (one check per point, factor, kind and time)."""
        return datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(minutes=next(self._serial))


def build_world(engine: Engine) -> World:
    """Import :data:`FLEET` and create one account (password :data:`PASSWORD`) and API key per role."""
    import_fleet(engine, FLEET)
    with engine.connect() as conn:
        points = dict(conn.execute(select(s.points.c.mn, s.points.c.id)).all())
        ents = dict(conn.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    world = World(engine, points, ents)
    for name, (role, scope) in ROLES.items():
        if role is None:
            world.headers[name] = {}
            continue
        fields = dict(scope)
        point_ids = [points[m] for m in fields.pop("points", [])] or None
        if "enterprise" in fields:
            fields["enterprise_id"] = ents[fields.pop("enterprise")]
        user_id = create_user(engine, username=f"m-{name}", role=role, password=PASSWORD, point_ids=point_ids,
                              display_name=name, **fields)
        key, _ = create_api_key(engine, user_id, "matrix")
        world.users[name] = user_id
        world.headers[name] = {"Authorization": f"Bearer {key}"}
    import_fleet(engine, OM_FLEET)
    checks = [om_calibrations.CheckIn(points[mn], "a21026", datetime(2026, 10, 1, tzinfo=timezone.utc), "zero",
                                      "pass", 0.4) for mn in (MN_A_GAS, MN_B_GAS)]
    om_calibrations.record_checks(engine, checks, source="api", actor="fixture", settings=CalibrationSettings())
    return world


def make_app(engine, tmp_path, **access):
    """The application with these fields of the settings section ``access`` (``login_max_failures`` …)."""
    st = Settings(database_url="sqlite://", data_dir=tmp_path / "state", access=access)
    return create_app(engine, settings=st)
