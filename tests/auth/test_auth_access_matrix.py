"""THE ACCESS MATRIX: every /api/v1 route × every role, inside and outside the role's scope.

The test walks ``app.routes``; every route must have a :class:`Spec` in :data:`SPECS` saying how to call it
(path objects, query, body) and what it needs. A route without one fails the test: add its spec when you add
a route. For each role the route is called on an object inside the scope (served, 2xx, when the role may do
the action) and on one outside it (refused: 404, or 403 where the spec says so); a role that may not do
the action is refused with 401 (anonymous) or 403 either way. List answers are checked against the scope
computed here independently of :mod:`ecosentry.auth.principal` (no out-of-scope id may appear, and the
in-scope ones do).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from authkit import (COUNTY_A, COUNTY_B, CITY, DOOR_ID, DOOR_SECRET, MN_A_GAS, MN_A_WATER, MN_B_GAS, CREDIT_A,
                     CREDIT_B, PASSWORD, PROVINCE, ROLES, World, build_world)
from authkit import make_app
from pgdb import make_pg_database
from ecosentry.auth.principal import PERMISSIONS
from ecosentry.service import prepare_database
from ecosentry.subsystems.monitoring.store import marks as mark_store
from ecosentry.store import schema as s
from ecosentry.subsystems.om.schema import om_work_orders


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory) -> World:
    """One world per database kind for the whole matrix (every call makes its own fresh objects)."""
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'matrix.sqlite'}"
    else:
        url, drop = make_pg_database(request.getfixturevalue("pg_server"))
    engine = prepare_database(url)
    yield build_world(engine)
    engine.dispose()
    if drop is not None:
        drop()


@pytest.fixture
def tmp_path(tmp_path_factory):
    return tmp_path_factory.mktemp("app")

# --------------------------------------------------------------------------- the scope oracle

ALL_POINTS = {MN_A_GAS, MN_A_WATER, MN_B_GAS}
A_POINTS = {MN_A_GAS, MN_A_WATER}
#: Points each role may see (MNs), written out by hand from the fleet (authkit.FLEET).
VISIBLE_POINTS = {"admin": ALL_POINTS, "province": ALL_POINTS, "city": ALL_POINTS, "county_a": A_POINTS,
                  "county_b": {MN_B_GAS}, "enterprise_a": A_POINTS, "om": {MN_B_GAS}, "park": A_POINTS,
                  "public": A_POINTS, "anonymous": A_POINTS}
VISIBLE_ENTERPRISES = {"admin": {CREDIT_A, CREDIT_B}, "province": {CREDIT_A, CREDIT_B}, "city": {CREDIT_A, CREDIT_B},
                       "county_a": {CREDIT_A}, "county_b": {CREDIT_B}, "enterprise_a": {CREDIT_A}, "om": {CREDIT_B},
                       "park": {CREDIT_A}, "public": {CREDIT_A}, "anonymous": {CREDIT_A}}
#: Regions whose point-less alarms each role sees.
VISIBLE_REGIONS = {"admin": {PROVINCE, CITY, COUNTY_A, COUNTY_B}, "province": {PROVINCE, CITY, COUNTY_A, COUNTY_B},
                   "city": {CITY, COUNTY_A, COUNTY_B}, "county_a": {COUNTY_A}, "county_b": {COUNTY_B}}
#: A point inside and one outside each role's scope.
INSIDE = {"admin": MN_A_GAS, "province": MN_B_GAS, "city": MN_A_GAS, "county_a": MN_A_GAS, "county_b": MN_B_GAS,
          "enterprise_a": MN_A_GAS, "om": MN_B_GAS, "park": MN_A_GAS, "public": MN_A_GAS, "anonymous": MN_A_GAS}
OUTSIDE = {"county_a": MN_B_GAS, "county_b": MN_A_GAS, "enterprise_a": MN_B_GAS, "om": MN_A_GAS, "park": MN_B_GAS,
           "public": MN_B_GAS, "anonymous": MN_B_GAS}
#: The region of a regulator (for region-wide calls), and one outside it.
OWN_REGION = {"province": PROVINCE, "city": CITY, "county_a": COUNTY_A, "county_b": COUNTY_B}
OTHER_REGION = {"county_a": COUNTY_B, "county_b": COUNTY_A}


def role_of(name: str) -> str:
    return ROLES[name][0] or "public"


def may(name: str, action: str | None) -> bool:
    if action is None:
        return True
    if action == "login":
        return name != "anonymous"
    return role_of(name) in PERMISSIONS[action]


# --------------------------------------------------------------------------- how to call each route


@dataclass
class Ctx:
    world: World
    name: str            # matrix role name
    point_id: int        # the point the call is about (inside or outside)
    inside: bool


@dataclass
class Spec:
    """How to call a route and what it needs.

    ``target``: the object in the path, made fresh for every call (``point``, ``mark``, ``open_mark``,
    ``evidence``, ``alarm``, ``subscription``, ``api_key``) or ``None``. ``action``: the permission needed
    (``None``: anyone, ``"login"``: any account). ``inside_ok(name)``: whether the inside call is served for
    a role that has the permission (default yes). ``outside``: the refusal expected outside the scope.
    ``listing``: a checker returning the out-of-scope ids found in the answer. ``headers``: headers of the
    call beside the account's (a device's own credential); ``content``: a raw body (text) instead of JSON.
    """

    action: str | None
    target: str | None = None
    query: Callable[[Ctx], dict] | dict = field(default_factory=dict)
    body: Callable[[Ctx], dict] | dict | None = None
    files: dict | None = None
    inside_ok: Callable[[str], bool] = lambda name: True
    outside: int = 404
    outside_call: Callable[[str], bool] | None = None   # non-object routes that still have an "outside" call
    listing: Callable[[object, Ctx], tuple[set, set]] | None = None
    stream: bool = False
    #: Authenticated by the device's own credentials (headers of its own), not by an account: 401 for everyone
    #: calling without them.
    device: bool = False
    headers: Callable[[Ctx], dict] | None = None
    content: Callable[[Ctx], str] | None = None


def _ids(world: World, mns) -> set[int]:
    return {world.points[m] for m in mns}


def _ents(world: World, codes) -> set[int]:
    return {world.enterprises[c] for c in codes}


def points_listing(body, ctx: Ctx) -> tuple[set, set]:
    """(ids found, ids expected)."""
    return {p["id"] for p in body["items"]}, _ids(ctx.world, VISIBLE_POINTS[ctx.name])


def enterprises_listing(body, ctx: Ctx) -> tuple[set, set]:
    found = {("e", e["id"]) for e in body["items"]} | {("p", p["id"]) for e in body["items"] for o in e["outlets"]
                                                      for p in o["points"]}
    expected = {("e", i) for i in _ents(ctx.world, VISIBLE_ENTERPRISES[ctx.name])} | \
        {("p", i) for i in _ids(ctx.world, VISIBLE_POINTS[ctx.name])}
    return found, expected


def rates_listing(body, ctx: Ctx) -> tuple[set, set]:
    # a point without derived hours has no rates and is left out: only the "never outside" half applies
    found = {p["point_id"] for p in body["points"]}
    return found, found & _ids(ctx.world, VISIBLE_POINTS[ctx.name])


def _alarm_visible(ctx: Ctx, alarm: dict) -> bool:
    if alarm["point_id"] is not None:
        return alarm["point_id"] in _ids(ctx.world, VISIBLE_POINTS[ctx.name])
    return alarm["region_code"] in VISIBLE_REGIONS.get(ctx.name, set())


def alarms_listing(body, ctx: Ctx) -> tuple[set, set]:
    found = {a["id"] for a in body["items"]}
    with ctx.world.engine.connect() as conn:
        every = conn.execute(select(s.alarms)).mappings().all()
    expected = {a["id"] for a in every if _alarm_visible(ctx, dict(a))}
    return found, expected if body["total"] <= len(body["items"]) else found & expected


def _audit_visible(ctx: Ctx, row: dict) -> bool:
    if role_of(ctx.name) == "admin" or row["actor"] == f"m-{ctx.name}":
        return True
    eng = ctx.world.engine
    with eng.connect() as conn:
        if row["entity"] == "mark":
            pid = conn.execute(select(s.marks.c.point_id).where(s.marks.c.id == int(row["entity_id"]))).scalar()
            return pid in _ids(ctx.world, VISIBLE_POINTS[ctx.name])
        if row["entity"] == "pollution_alert" and role_of(ctx.name) == "regulator":
            region = conn.execute(select(s.pollution_alerts.c.region_code)
                                  .where(s.pollution_alerts.c.id == int(row["entity_id"]))).scalar()
            return region in VISIBLE_REGIONS.get(ctx.name, set())
        if row["entity"] == "alarm":
            a = conn.execute(select(s.alarms).where(s.alarms.c.id == int(row["entity_id"]))).mappings().one()
            return _alarm_visible(ctx, dict(a))
    return False


def audit_listing(body, ctx: Ctx) -> tuple[set, set]:
    found = {r["id"] for r in body["items"]}
    return found, {r["id"] for r in body["items"] if _audit_visible(ctx, r)} | (found if False else set())


def audit_csv_listing(text: str, ctx: Ctx) -> tuple[set, set]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows, "the audit export is empty"
    found = {int(r["id"]) for r in rows}
    return found, {int(r["id"]) for r in rows if _audit_visible(ctx, r)}


#: Regions whose heavy-pollution alerts each role sees (its own and those above; a regulator its subtree too).
ALERT_REGIONS = {"admin": {PROVINCE, CITY, COUNTY_A, COUNTY_B}, "province": {PROVINCE, CITY, COUNTY_A, COUNTY_B},
                 "city": {PROVINCE, CITY, COUNTY_A, COUNTY_B}, "county_a": {PROVINCE, CITY, COUNTY_A},
                 "county_b": {PROVINCE, CITY, COUNTY_B}, "enterprise_a": {PROVINCE, CITY, COUNTY_A},
                 "om": {PROVINCE, CITY, COUNTY_B}, "park": {PROVINCE, CITY, COUNTY_A},
                 "public": {PROVINCE, CITY, COUNTY_A}, "anonymous": {PROVINCE, CITY, COUNTY_A}}


def alerts_listing(body, ctx: Ctx) -> tuple[set, set]:
    found = {a["id"] for a in body["items"]}
    with ctx.world.engine.connect() as conn:
        every = conn.execute(select(s.pollution_alerts.c.id, s.pollution_alerts.c.region_code)).all()
    expected = {i for i, region in every if region in ALERT_REGIONS[ctx.name]}
    return found, expected if body["total"] <= len(body["items"]) else found & expected


def _point_region(ctx: Ctx) -> str:
    return COUNTY_B if ctx.point_id == ctx.world.points[MN_B_GAS] else COUNTY_A


def ALERT_BODY(ctx: Ctx) -> dict:  # noqa: N802
    start = ctx.world.alert_slot()
    region = OWN_REGION.get(ctx.name, COUNTY_A) if ctx.inside else OTHER_REGION[ctx.name]
    return {"region_code": region, "level": "yellow", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=12)).isoformat(), "issued_by": "矩阵应急指挥部"}


def own_listing(body, ctx: Ctx) -> tuple[set, set]:
    found = {(x["id"], x["user_id"]) for x in body["items"]}
    if role_of(ctx.name) == "admin":
        return found, found
    return found, {x for x in found if x[1] == ctx.world.users[ctx.name]}


DAY = {"day": "2026-11-20"}
SUB_BODY = lambda ctx: {"channel": "email", "address": "officer@example.org",  # noqa: E731
                        "region_code": (OWN_REGION.get(ctx.name, COUNTY_A) if ctx.inside else OTHER_REGION[ctx.name])}
REGION_RATES = lambda ctx: {"start_day": "2026-11-20", "end_day": "2026-11-20",  # noqa: E731
                            **({} if ctx.inside else {"region": OTHER_REGION.get(ctx.name, COUNTY_B)})}
REGULATOR_OR_ADMIN = lambda name: role_of(name) in ("admin", "regulator")  # noqa: E731

API = "/api/v1"
def _gate_ledger_row(ctx: Ctx) -> dict:
    """A guard's ledger row for the enterprise of the call's point (the gates subsystem's manual entry)."""
    a_points = {ctx.world.points[m] for m in A_POINTS}
    credit = CREDIT_A if ctx.point_id in a_points else CREDIT_B
    return {"enterprise_id": ctx.world.enterprises[credit], "time": "2026-12-06T08:00:00+08:00", "direction": "in",
            "plate": "苏E12345", "emission_stage": "5", "cargo": "煤", "weight_t": 30}


def orders_listing(body, ctx: Ctx) -> tuple[set, set]:
    """O&M work orders: those of the points the role sees (a regulator its region's, an enterprise its own
    points', the O&M engineer the points it maintains)."""
    found = {o["id"] for o in body["items"]}
    with ctx.world.engine.connect() as conn:
        every = conn.execute(select(om_work_orders.c.id, om_work_orders.c.point_id)).all()
    expected = {i for i, p in every if p in _ids(ctx.world, VISIBLE_POINTS[ctx.name])}
    return found, expected if len(body["items"]) < 500 else found & expected


def _mn(ctx: Ctx) -> str:
    return next(mn for mn, pid in ctx.world.points.items() if pid == ctx.point_id)


def _check_time(ctx: Ctx) -> str:
    return ctx.world.calibration_time().isoformat()


def DOOR_HEADERS(ctx: Ctx) -> dict:  # noqa: N802
    """The door controller's own credential: inside, the call carries it (beside the account's); outside, the
    account's credential alone, which is no door controller's (401 whoever the account is)."""
    return {"X-Door-Id": DOOR_ID, "X-Door-Secret": DOOR_SECRET} if ctx.inside else {}


def DOOR_BODY(ctx: Ctx) -> dict:  # noqa: N802
    at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=next(ctx.world._serial))
    return {"time": at.isoformat(), "event": "open"}


def _png() -> bytes:
    """A real 1×1 PNG (a photo taken on site, as far as the picture check can tell)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x10\x80\x10")) + chunk(b"IEND", b""))


def _om_order_on_site(world: World, point_id: int) -> int:
    """A fresh O&M work order at the point, its engineer on site (it takes photos)."""
    from zoneinfo import ZoneInfo

    from ecosentry.subsystems.om.rules.deadlines import DeadlineSettings
    from ecosentry.subsystems.om.store import workorders as om_orders

    at = datetime.now(timezone.utc) - timedelta(hours=1)
    order = om_orders.create_order(world.engine, kind="weekly_inspection", at=at, actor="matrix",
                                   settings=DeadlineSettings(), zone=ZoneInfo("Asia/Shanghai"), point_id=point_id,
                                   assignee="matrix")
    for action in ("accept", "arrive"):
        om_orders.transition(world.engine, order["id"], action, at, "matrix")
    return order["id"]
_GATE_SEQ = iter(range(1, 1_000_000))
GATE_GUARD = lambda name: role_of(name) in ("admin", "enterprise")  # noqa: E731


def gate_objects(ctx: Ctx) -> tuple[int, int]:
    """A passage with the rule's decision and its ledger row whose stage is to complete, at the enterprise of the
    call's point (the gates subsystem's guard acts on them); (passage id, ledger row id)."""
    from ecosentry.subsystems.gates import schema as gs

    a_points = {ctx.world.points[m] for m in A_POINTS}
    ent = ctx.world.enterprises[CREDIT_A if ctx.point_id in a_points else CREDIT_B]
    n = next(_GATE_SEQ)
    now = datetime.now(timezone.utc)
    with ctx.world.engine.begin() as c:
        if c.scalar(select(gs.gates_enterprises.c.grade).where(gs.gates_enterprises.c.enterprise_id == ent)) is None:
            c.execute(gs.gates_enterprises.insert().values(enterprise_id=ent, grade="B"))
        gate = c.execute(gs.gates_gates.insert().values(enterprise_id=ent, code=f"MG{n}", name=f"矩阵门{n}")
                         .returning(gs.gates_gates.c.id)).scalar_one()
        device = c.execute(gs.gates_devices.insert().values(code=f"MD{n}", gate_id=gate, token_hash=f"{n:064x}")
                           .returning(gs.gates_devices.c.id)).scalar_one()
        pid = c.execute(gs.gates_passages.insert().values(
            spool="matrix", spool_seq=n, enterprise_id=ent, gate_id=gate, device_id=device, at=now, received_at=now,
            inbound=True, plate="苏E00001").returning(gs.gates_passages.c.id)).scalar_one()
        c.execute(gs.gates_decisions.insert().values(passage_id=pid, kind="rule", allowed=None,
                                                     reason="unknown_stage", grade="B", decided_at=now))
        row = c.execute(gs.gates_ledger.insert().values(
            enterprise_id=ent, source="camera", passage_id=pid, at=now, inbound=True, plate="苏E00001",
            stage_unknown=True, entered_at=now).returning(gs.gates_ledger.c.id)).scalar_one()
    return pid, row


SPECS: dict[tuple[str, str], Spec] = {
    # accounts
    ("POST", f"{API}/auth/login"): Spec(None, body=lambda ctx: {"username": f"m-{ctx.name}", "password": PASSWORD},
                                        inside_ok=lambda name: name != "anonymous"),
    ("POST", f"{API}/auth/logout"): Spec(None),
    ("GET", f"{API}/auth/me"): Spec(None),
    ("POST", f"{API}/auth/password"): Spec("login", body={"old_password": PASSWORD, "new_password": PASSWORD}),
    ("GET", f"{API}/auth/api-keys"): Spec("apikeys.manage", listing=own_listing),
    ("POST", f"{API}/auth/api-keys"): Spec("apikeys.manage", body={"name": "matrix extra"}),
    ("DELETE", f"{API}/auth/api-keys/{{key_id}}"): Spec("apikeys.manage", target="api_key"),
    # registry and data
    ("GET", f"{API}/points"): Spec(None, listing=points_listing),
    ("GET", f"{API}/points/{{point_id}}"): Spec(None, target="point"),
    ("GET", f"{API}/points/{{point_id}}/latest"): Spec(None, target="point"),
    ("GET", f"{API}/points/{{point_id}}/series"): Spec(None, target="point", query={"factor": "a21026"}),
    ("GET", f"{API}/points/{{point_id}}/hourly"): Spec(None, target="point"),
    ("GET", f"{API}/points/{{point_id}}/periods"): Spec(None, target="point"),
    ("GET", f"{API}/points/{{point_id}}/rates"): Spec(None, target="point"),
    ("GET", f"{API}/rates"): Spec(None, listing=rates_listing),
    ("GET", f"{API}/enterprises"): Spec(None, listing=enterprises_listing),
    # reports
    ("GET", f"{API}/points/{{point_id}}/reports/daily"): Spec(None, target="point", query=DAY),
    ("GET", f"{API}/points/{{point_id}}/reports/monthly"): Spec(None, target="point",
                                                                query={"year": 2026, "month": 11}),
    ("GET", f"{API}/points/{{point_id}}/reports/yearly"): Spec(None, target="point", query={"year": 2026}),
    ("GET", f"{API}/reports/rates"): Spec(None, query=REGION_RATES, inside_ok=REGULATOR_OR_ADMIN,
                                          outside_call=lambda name: name in OTHER_REGION),
    # marks
    ("POST", f"{API}/points/{{point_id}}/marks"): Spec("marks.file", target="point", body={
        "type": "maintenance", "start": "2026-11-21T08:00:00", "end": "2026-11-21T09:00:00", "reason": "matrix"}),
    ("GET", f"{API}/points/{{point_id}}/marks"): Spec("marks.read", target="point"),
    ("GET", f"{API}/marks/{{mark_id}}"): Spec("marks.read", target="mark"),
    ("POST", f"{API}/marks/{{mark_id}}/evidence"): Spec("marks.file", target="mark",
                                                        files={"file": ("note.txt", b"evidence", "text/plain")}),
    ("GET", f"{API}/marks/{{mark_id}}/evidence/{{evidence_id}}"): Spec("marks.read", target="evidence"),
    ("POST", f"{API}/marks/{{mark_id}}/review"): Spec("marks.review", target="mark", body={"decision": "approved"}),
    ("POST", f"{API}/marks/{{mark_id}}/close"): Spec("marks.file", target="open_mark", body=lambda ctx: {
        "end": (ctx.world.last_mark_start + timedelta(minutes=30)).isoformat()}),
    ("DELETE", f"{API}/marks/{{mark_id}}"): Spec("marks.file", target="mark"),
    ("POST", f"{API}/marks/{{mark_id}}/manual-values"): Spec("marks.file", target="mark", body={
        "factor_code": "a21026", "sampled_at": "2026-10-01T08:10:00", "value": 12.5}),
    ("GET", f"{API}/marks/{{mark_id}}/manual-values"): Spec("marks.read", target="mark"),
    # alarms
    ("GET", f"{API}/alarm-types"): Spec(None),
    ("GET", f"{API}/alarms"): Spec("alarms.read", listing=alarms_listing),
    ("GET", f"{API}/alarms/{{alarm_id}}"): Spec("alarms.read", target="alarm"),
    ("POST", f"{API}/alarms/{{alarm_id}}/ack"): Spec("alarms.act", target="alarm", body={"comment": "seen"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/assign"): Spec("alarms.act", target="alarm", body={"assignee": "li.wei"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/comments"): Spec("alarms.comment", target="alarm", body={"text": "looking"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/clear"): Spec("alarms.act", target="alarm", body={"reason": "repaired"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/links"): Spec("alarms.comment", target="alarm",
                                                       body={"kind": "work_order", "target_id": "WO-1"}),
    ("GET", f"{API}/alarms/{{alarm_id}}/evidence.pdf"): Spec("alarms.read", target="alarm"),
    # the supervision of alarms (督办): each step called on a case in the state it fits
    ("GET", f"{API}/alarms/{{alarm_id}}/disposal"): Spec("alarms.read", target="alarm"),
    ("POST", f"{API}/alarms/{{alarm_id}}/disposal/push"): Spec("alarms.supervise", target="alarm",
                                                               body={"request": "请核查并反馈"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/disposal/handle"): Spec("alarms.respond", target="pushed_alarm",
                                                                 body={"comment": "已签收"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/disposal/feedback"): Spec(
        "alarms.respond", target="handling_alarm", body={"cause": "泵故障", "measures": "已更换"},
        files={"files": ("记录.pdf", b"%PDF-1.4 matrix", "application/pdf")}),
    ("POST", f"{API}/alarms/{{alarm_id}}/disposal/verify"): Spec("alarms.supervise", target="feedback_alarm",
                                                                 body={"decision": "accept"}),
    ("POST", f"{API}/alarms/{{alarm_id}}/disposal/close"): Spec("alarms.supervise", target="verified_alarm",
                                                                body={"summary": "整改到位"}),
    ("GET", f"{API}/alarms/{{alarm_id}}/disposal/files/{{file_id}}"): Spec("alarms.read", target="disposal_file"),
    ("GET", f"{API}/alarms/stream"): Spec("alarms.read", stream=True),
    ("GET", f"{API}/alarm-subscriptions"): Spec("subscriptions.manage", listing=own_listing),
    ("POST", f"{API}/alarm-subscriptions"): Spec("subscriptions.manage", body=SUB_BODY, inside_ok=REGULATOR_OR_ADMIN,
                                                 outside=403, outside_call=lambda name: name in OTHER_REGION),
    ("GET", f"{API}/alarm-subscriptions/{{sub_id}}"): Spec("subscriptions.manage", target="subscription"),
    ("PATCH", f"{API}/alarm-subscriptions/{{sub_id}}"): Spec("subscriptions.manage", target="subscription",
                                                            body={"active": False}),
    ("DELETE", f"{API}/alarm-subscriptions/{{sub_id}}"): Spec("subscriptions.manage", target="subscription"),
    # heavy-pollution alerts
    ("GET", f"{API}/alerts"): Spec("alerts.read", query={"state": "all", "page_size": 5000}, listing=alerts_listing),
    ("GET", f"{API}/alerts/{{alert_id}}"): Spec("alerts.read", target="pollution_alert"),
    ("POST", f"{API}/alerts"): Spec("alerts.issue", body=ALERT_BODY, inside_ok=REGULATOR_OR_ADMIN, outside=403,
                                    outside_call=lambda name: name in OTHER_REGION),
    ("POST", f"{API}/alerts/{{alert_id}}/lift"): Spec("alerts.issue", target="pollution_alert"),
    ("POST", f"{API}/alerts/{{alert_id}}/level"): Spec("alerts.issue", target="past_alert", body=lambda ctx: {
        "level": "red", "at": (ctx.world.last_alert_start + timedelta(hours=1)).isoformat()}),
    # audit and system
    ("GET", f"{API}/audit"): Spec("audit.read", listing=audit_listing),
    ("GET", f"{API}/audit/export.csv"): Spec("audit.read", listing=audit_csv_listing),
    ("GET", f"{API}/stats"): Spec(None),
    # the gates subsystem: the guard's entry of a ledger row, for an enterprise in the account's area
    ("POST", f"{API}/gates/ledger"): Spec("marks.file", body=_gate_ledger_row,
                                         outside_call=lambda name: name in OUTSIDE),
    # the O&M subsystem: regulators read their region's work orders, the enterprise its points', the O&M engineer
    # those of the points it maintains; the visit (create, assign ... finish, file checks) is the enterprise's and
    # the O&M engineer's, the review the regulator's (test_work_order_review_is_the_regulators below)
    ("GET", f"{API}/om/work-orders"): Spec("marks.read", listing=orders_listing),
    ("POST", f"{API}/om/work-orders"): Spec("marks.file", body=lambda ctx: {"kind": "daily_inspection",
                                                                           "point_id": ctx.point_id},
                                            outside_call=lambda name: name in OUTSIDE),
    ("GET", f"{API}/om/work-orders/{{order_id}}"): Spec("marks.read", target="work_order"),
    ("POST", f"{API}/om/work-orders/{{order_id}}/{{action}}"): Spec("marks.file", target="order_assign",
                                                                   body={"assignee": "m-om"}),
    ("POST", f"{API}/om/calibrations"): Spec("marks.file", body=lambda ctx: [{
        "point_id": ctx.point_id, "factor": "a21026", "time": _check_time(ctx), "kind": "zero", "result": "pass",
        "drift_pct": 0.5}], outside_call=lambda name: name in OUTSIDE),
    ("POST", f"{API}/om/calibrations/csv"): Spec("marks.file", content=lambda ctx: (
        f"point,factor,time,kind,result,drift_pct\n{_mn(ctx)},a21026,{_check_time(ctx)},span,pass,0.6\n"),
        outside_call=lambda name: name in OUTSIDE),
    ("GET", f"{API}/om/points/{{point_id}}/invalid-periods"): Spec(None, target="point", query={"factor": "a21026"}),
    # a station-room door controller pushes with its own id and secret, whatever else the request carries
    ("POST", f"{API}/om/doors/events"): Spec(None, body=DOOR_BODY, headers=DOOR_HEADERS, outside=401,
                                             outside_call=lambda name: True),
    # O&M: photos taken on site, uploaded to a work order of the point (the engineer on site)
    ("POST", f"{API}/om/work-orders/{{order_id}}/photos"): Spec("marks.file", target="om_order_on_site",
                                                              files={"photos": ("site.png", _png(), "image/png")}),
    # the guard's override of a gate decision and completion of a row's stage: the enterprise's accounts, admins
    ("POST", f"{API}/gates/passages/{{passage_id}}/override"): Spec(
        "marks.file", target="gate_passage", body={"allowed": True, "reason": "矩阵核对"}, inside_ok=GATE_GUARD),
    ("POST", f"{API}/gates/ledger/{{row_id}}/stage"): Spec(
        "marks.file", target="gate_ledger_row", body={"emission_stage": "5"}, inside_ok=GATE_GUARD),
    # the O&M subsystem: the month's stored assessment (none in this world) and the door/video coverage of the
    # key units in scope (this world has no station room: every key unit is listed with its gaps)
    ("GET", f"{API}/om/assessments"): Spec("marks.read", query={"month": "2026-11"}),
    ("GET", f"{API}/om/coverage"): Spec("marks.read", listing=lambda body, ctx: (
        {u["enterprise_id"] for u in body["units"]}, _ents(ctx.world, VISIBLE_ENTERPRISES[ctx.name]))),
    # the O&M subsystem: station-room cameras push with their own secret (X-Room-Id, X-Camera-Id, X-Camera-Secret)
    ("POST", f"{API}/om/cameras/snapshots"): Spec(None, device=True),
    ("POST", f"{API}/om/cameras/heartbeat"): Spec(None, device=True),
}


def api_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) under /api/v1, walking included routers too."""
    out = []

    def walk(routes, prefix=""):
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes, prefix + (r.include_context.prefix or ""))
            elif isinstance(r, APIRoute):
                path = prefix + r.path
                if path.startswith(API):
                    out.extend((m, path) for m in sorted(r.methods - {"HEAD", "OPTIONS"}))

    walk(app.routes)
    return sorted(set(out))


# --------------------------------------------------------------------------- calling


def path_params(spec: Spec, ctx: Ctx) -> dict:
    w, pid = ctx.world, ctx.point_id
    other_user = w.users["admin"] if ctx.name != "admin" else None
    if spec.target == "point":
        return {"point_id": pid}
    if spec.target == "mark":
        return {"mark_id": w.mark(pid)}
    if spec.target == "open_mark":
        return {"mark_id": w.mark(pid, open_=True)}
    if spec.target == "evidence":
        mark_id = w.mark(pid)
        return {"mark_id": mark_id, "evidence_id": w.evidence(mark_id)}
    if spec.target == "alarm":
        return {"alarm_id": w.alarm(pid)}
    if spec.target == "pollution_alert":   # an alert of the point's county: inside covers the role, outside not
        return {"alert_id": w.pollution_alert(_point_region(ctx))}
    if spec.target == "past_alert":   # the same, running at the body's time (a level changes only while it runs)
        return {"alert_id": w.pollution_alert(_point_region(ctx), past=True)}
    if spec.target in ("pushed_alarm", "handling_alarm", "feedback_alarm", "verified_alarm"):
        return {"alarm_id": w.case(pid, spec.target.split("_")[0])}
    if spec.target == "om_order_on_site":
        return {"order_id": _om_order_on_site(w, pid)}
    if spec.target == "disposal_file":
        alarm_id = w.case(pid, "feedback")
        return {"alarm_id": alarm_id, "file_id": w.disposal_file(alarm_id)}
    if spec.target == "subscription":
        owner = w.users.get(ctx.name, other_user) if ctx.inside else other_user
        return {"sub_id": w.subscription(owner)}
    if spec.target == "work_order":
        return {"order_id": w.work_order(pid)}
    if spec.target == "order_assign":
        return {"order_id": w.work_order(pid), "action": "assign"}
    if spec.target == "api_key":
        owner = w.users.get(ctx.name, other_user) if ctx.inside else other_user
        return {"key_id": w.api_key(owner)}
    if spec.target == "gate_passage":
        return {"passage_id": gate_objects(ctx)[0]}
    if spec.target == "gate_ledger_row":
        return {"row_id": gate_objects(ctx)[1]}
    return {}


def call(client: TestClient, method: str, path: str, spec: Spec, ctx: Ctx):
    url = path.format(**path_params(spec, ctx))
    query = spec.query(ctx) if callable(spec.query) else spec.query
    body = spec.body(ctx) if callable(spec.body) else spec.body
    headers = {**ctx.world.headers[ctx.name], **(spec.headers(ctx) if spec.headers else {})}
    if spec.content is not None:
        return client.request(method, url, params=query, content=spec.content(ctx).encode(),
                              headers={**headers, "Content-Type": "text/csv"})
    if spec.stream:  # only refusals are answered at once; a served stream never ends (test_auth_live_scope)
        return client.request(method, url, params=query, headers=headers)
    if spec.files:  # multipart: the fields go as form data beside the files
        return client.request(method, url, params=query, data=body, files=spec.files, headers=headers)
    return client.request(method, url, params=query, json=body, headers=headers)


def expected(spec: Spec, name: str, inside: bool) -> set[int]:
    if spec.device:
        return {401}
    if not may(name, spec.action):
        return {401} if name == "anonymous" else {403}
    if inside:
        if not spec.inside_ok(name):
            if name == "anonymous":
                return {401}
            return {403} if spec.listing is None and spec.target is None else {403, 404}
        return set(range(200, 300))
    return {spec.outside}


def test_every_api_route_has_a_spec(world, tmp_path):
    routes = api_routes(make_app(world.engine, tmp_path))
    unknown = [f"{m} {p}" for m, p in routes if (m, p) not in SPECS]
    assert not unknown, ("the access matrix does not know how to call these routes; add a Spec for each to "
                         f"tests/auth/test_auth_access_matrix.py: {unknown}")
    gone = [f"{m} {p}" for m, p in SPECS if (m, p) not in routes]
    assert not gone, f"specs for routes that no longer exist: {gone}"


@pytest.mark.parametrize("name", list(ROLES))
def test_access_matrix(world, tmp_path, name):
    app = make_app(world.engine, tmp_path, rate_limit_default="100000/minute", rate_limit_anonymous="100000/minute")
    # something to list: a mark and an alarm on every point, and an alarm of county B without a point
    for mn in sorted(ALL_POINTS):
        world.mark(world.points[mn])
        world.alarm(world.points[mn])
        world.work_order(world.points[mn])
    world.alarm(region=COUNTY_B)
    failures = []
    with TestClient(app) as client:
        routes = api_routes(app)
        # lists first, while the world holds only what was made above
        ordered = sorted(routes, key=lambda mp: (SPECS[mp].listing is None, mp))
        for method, path in ordered:
            spec = SPECS[(method, path)]
            if spec.stream and may(name, spec.action):
                continue  # a served stream never ends: its scope is tested in test_auth_live_scope.py
            calls = [True]
            if name in OUTSIDE and spec.target is not None:
                calls.append(False)
            if spec.outside_call is not None and spec.outside_call(name):
                calls.append(False)
            for inside in calls:
                # (a call outside for a role without an outside point is about the credential, not the point)
                pid = world.points[INSIDE[name] if inside else OUTSIDE.get(name, INSIDE[name])]
                ctx = Ctx(world, name, pid, inside)
                r = call(client, method, path, spec, ctx)
                world.close_open_marks()
                want = expected(spec, name, inside)
                where = "inside" if inside else "outside"
                if r.status_code not in want:
                    failures.append(f"{method} {path} as {name} ({where}): {r.status_code} {r.text[:160]!r}, "
                                    f"expected {sorted(want)[:3]}")
                    continue
                if r.status_code >= 400:
                    assert r.headers["content-type"].startswith("application/json") and r.json()["detail"], \
                        f"{method} {path}: a refusal must carry a sentence"
                if spec.listing is not None and r.status_code < 300:
                    content = r.text if path.endswith(".csv") else r.json()
                    found, allowed = spec.listing(content, ctx)
                    if found - allowed:
                        failures.append(f"{method} {path} as {name}: out-of-scope items {sorted(found - allowed)}")
                    if not path.endswith(("audit", ".csv")) and allowed - found:
                        failures.append(f"{method} {path} as {name}: in-scope items missing {sorted(allowed - found)}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- the O&M review and door controller


@pytest.mark.parametrize("name", list(ROLES))
def test_work_order_review_is_the_regulators(world, tmp_path, name):
    """The review of a done work order (approve, reject) is the regulator's (``marks.review``), within its
    region; the enterprise and the O&M engineer who did the visit may not approve their own work."""
    app = make_app(world.engine, tmp_path, rate_limit_default="100000/minute", rate_limit_anonymous="100000/minute")
    failures = []
    with TestClient(app) as client:
        for inside in [True] + ([False] if name in OUTSIDE else []):
            pid = world.points[INSIDE[name] if inside else OUTSIDE[name]]
            for action in ("approve", "reject"):
                order_id = world.work_order(pid, upto="done")
                r = client.post(f"{API}/om/work-orders/{order_id}/{action}", json={"note": "matrix"},
                                headers=world.headers[name])
                if not may(name, "marks.review"):
                    want = {401} if name == "anonymous" else {403}
                else:
                    want = set(range(200, 300)) if inside else {404}
                if r.status_code not in want:
                    failures.append(f"{action} as {name} ({'inside' if inside else 'outside'}): {r.status_code} "
                                    f"{r.text[:160]!r}")
                elif r.status_code < 300:
                    assert r.json()["state"] == {"approve": "reviewed", "reject": "rejected"}[action]
    assert not failures, "\n".join(failures)


def test_a_door_event_needs_the_controllers_own_secret(world, tmp_path):
    """The door push knows no user: an administrator's credential with a wrong door secret is refused (401) and
    stores nothing; the controller's id and secret alone (no account) store the event."""
    app = make_app(world.engine, tmp_path, rate_limit_default="100000/minute", rate_limit_anonymous="100000/minute")
    at = (datetime.now(timezone.utc) - timedelta(minutes=3)).replace(microsecond=0).isoformat()
    with TestClient(app) as client:
        wrong = client.post(f"{API}/om/doors/events", json={"time": at, "event": "close"},
                            headers={**world.headers["admin"], "X-Door-Id": DOOR_ID, "X-Door-Secret": "admin's guess!"})
        assert wrong.status_code == 401 and wrong.json()["detail"]
        own = client.post(f"{API}/om/doors/events", json={"time": at, "event": "close"},
                          headers={"X-Door-Id": DOOR_ID, "X-Door-Secret": DOOR_SECRET})
        assert own.status_code == 201 and own.json()["stored"] is True and own.json()["room"] == "ROOM-B"


# --------------------------------------------------------------------------- every route the public can reach

#: The public scope (docs/access.md, role ``public``): the published enterprises (here 甲, CREDIT_A) with
#: their outlets and points and their derived values; never an alarm, a mark, or anything of an unpublished
#: enterprise. These strings belong to what the public may not see and must appear in no anonymous answer.
UNPUBLISHED_NAME = "乙热电有限公司"
PRIVATE_MARK_REASON = "private maintenance note 7Q"
ALARM_TITLES = ("二氧化硫超标", "边界站超标")
#: Catalogues and documentation that name alarm fields without carrying an alarm (the alarm types are the
#: published rule catalogue; the OpenAPI schema describes every field of the API).
DOCUMENTATION = {"/api/v1/alarm-types", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def get_routes(app) -> list[str]:
    """Every GET path of the application (API and pages), walking included routers too."""
    from starlette.routing import Route

    out = set()

    def walk(routes, prefix=""):
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes, prefix + (r.include_context.prefix or ""))
            elif isinstance(r, Route) and "GET" in (r.methods or ()):
                out.add(prefix + r.path)

    walk(app.routes)
    return sorted(out)


def _alarm_fields(value, path="") -> list[str]:
    """Keys or state values of a JSON answer that tell about alarms."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if "alarm" in str(k).lower():
                found.append(f"{path}.{k}")
            if k == "state" and v == "alarm":
                found.append(f"{path}.state=alarm")
            found += _alarm_fields(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _alarm_fields(v, f"{path}[{i}]")
    return found


def _samples(world: World) -> dict[str, list]:
    """Ids for every path parameter: an object of the published enterprise and one of the unpublished one."""
    with world.engine.connect() as conn:
        outlets = dict(conn.execute(select(s.points.c.mn, s.points.c.outlet_id)).all())
    a, b = world.points[MN_A_GAS], world.points[MN_B_GAS]
    mark_a = mark_store.file_mark(world.engine, point_id=a, type="maintenance", reason=PRIVATE_MARK_REASON,
                                  start=datetime(2026, 9, 1, tzinfo=timezone.utc),
                                  end=datetime(2026, 9, 1, 1, tzinfo=timezone.utc), filed_by="fixture")
    mark_b = world.mark(b)
    return {"point_id": [a, b], "enterprise_id": [world.enterprises[CREDIT_A], world.enterprises[CREDIT_B]],
            "outlet_id": [outlets[MN_A_GAS], outlets[MN_B_GAS]],
            "alarm_id": [world.alarm(a), world.alarm(b), world.alarm(region=COUNTY_A)],
            "mark_id": [mark_a, mark_b], "evidence_id": [world.evidence(mark_a)],
            "slug": ["points", "enterprises", "users"], "key": [a, world.users["admin"]],
            "sub_id": [world.subscription(world.users["county_a"])],
            # Vietnamese station files (this world has none, so 1 and 2 are unknown) and a supervision case's file
            "file_id": [1, 2, world.disposal_file(world.case(b, "feedback"))],
            "alert_id": [world.pollution_alert(COUNTY_A), world.pollution_alert(COUNTY_B)],
            "name": ["view.js"],  # the power pages' script (static, public)
            "row_id": [1, 2], "meter_id": [1, 2],  # power registry rows and meters: this world has none
            "sha256": ["0" * 64, "f" * 64],  # gate pictures: this world has none
            "finding_id": [1, 2],  # the gate checks' findings: none in this world
            "park_code": ["JSHG", "NOPE"], "event_id": [1, 2],  # chemical parks and their warnings: none here
            "room_id": [1, 2], "snapshot_id": [1, 2],  # O&M station rooms and their snapshots: none here
            "order_id": [world.work_order(a), world.work_order(b)]}  # O&M work orders


def test_no_anonymous_answer_discloses_alarms_or_unpublished_data(world, tmp_path):
    """Every GET route (pages, JSON helpers of the pages, the API), called anonymously with ids inside and
    outside the public scope: redirects go to the login or public page, refusals are refusals, and no 2xx
    answer carries an alarm, a mark or anything of the unpublished enterprise."""
    import itertools
    import re

    app = make_app(world.engine, tmp_path, rate_limit_default="100000/minute", rate_limit_anonymous="100000/minute")
    samples = _samples(world)
    failures, served = [], []
    with TestClient(app, follow_redirects=False) as client:
        for path in get_routes(app):
            names = re.findall(r"{(\w+)}", path)
            missing = [n for n in names if n not in samples]
            assert not missing, f"{path}: add sample ids for {missing} to _samples"
            for combo in itertools.product(*(samples[n] for n in names)):
                url = path.format(**dict(zip(names, combo)))
                r = client.get(url, params={"day": "2026-11-20", "year": 2026, "month": 11, "factor": "a21026"})
                if r.status_code in (301, 302, 303, 307):
                    if not r.headers["location"].startswith(("/login", "/public")):
                        failures.append(f"{url}: redirects to {r.headers['location']}")
                    continue
                if r.status_code >= 400:
                    continue
                served.append(url)
                text = r.text
                leaks = [x for x in (UNPUBLISHED_NAME, MN_B_GAS, PRIVATE_MARK_REASON, *ALARM_TITLES) if x in text]
                if r.headers.get("content-type", "").startswith("application/json") and path not in DOCUMENTATION:
                    leaks += _alarm_fields(r.json())
                if leaks:
                    failures.append(f"{url}: {r.status_code} discloses {leaks[:5]}")
    assert "/map/markers.json" in served and "/public" in served  # the walk reached the public answers
    assert not failures, "\n".join(failures)
