"""Issue 17 item 3, end to end: a chlorine release read by an enterprise-boundary station of a chemical park, sent
over real HJ 212 TCP frames with the park's met station through the running service (park gateway → spool →
ingest worker → park sink → live warning job) → the warning raised at level I, escalated to level II and cleared;
each raise a core alarm that the park committee's account sees and receives by e-mail (aiosmtpd), the enterprise
of the station sees, and the enterprises around (one within the notify radius, one downwind) see as a notice; the
incident (threat zones and the traceback ranking) stored with the raise."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlalchemy import select

from ecosentry.alarms.subscriptions import create_subscription
from ecosentry.auth.guards import alarm_clause
from ecosentry.auth.principal import resolve_scope
from ecosentry.fleet import import_fleet
from ecosentry.protocols.hj212 import build_frame
from ecosentry.service import Service, prepare_database
from ecosentry.settings import settings_class
from ecosentry.store import schema as s
from ecosentry.subsystems.park import schema as ps
from parkkit import AMMON, B01_MN, B01_PW, CHLOR, E01_MN, E01_PW, FAR, MET_MN, MET_PW, NAMES, fleet, park_env
from netkit import free_port

CST = ZoneInfo("Asia/Shanghai")
PARK_MAIL = "yjc-park@example.cn"
#: Cl2 at the boundary station, minute by minute [mg/m³]: background, level I (≥ 1 mg/m³, GBZ 2.1 MAC), level II
#: (≥ 5.80 mg/m³, AEGL-2 2 ppm), then background until cleared (5 readings below 0.8 × the level's threshold).
B01_CL2 = [0.01] * 40 + [2.0, 7.0] + [0.01] * 6
E01_CL2 = [0.004] * 40 + [0.3, 0.9, 0.2] + [0.004] * 5


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def frame(mn: str, pw: str, at: datetime, values: dict[str, float]) -> bytes:
    local = at.astimezone(CST).replace(tzinfo=None)
    return build_frame(qn=local.strftime("%Y%m%d%H%M%S") + "000", st="22", cn="2011", pw=pw, mn=mn, flag=5,
                       cp=[{"DataTime": local.strftime("%Y%m%d%H%M%S")}, {f"{k}-Rtd": v for k, v in values.items()}])


async def send_minutes(port: int, base: datetime) -> None:
    """Each minute: the met station (wind from the west, 3 m/s, class D), then the two Cl2 stations; each frame on
    the spool (its 9014) before the next."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    try:
        for i, (b01, e01) in enumerate(zip(B01_CL2, E01_CL2, strict=True)):
            at = base + timedelta(minutes=i)
            for data in (frame(MET_MN, MET_PW, at, {"a01007": 3.0, "a01008": 270, "xPGSC": 4}),
                         frame(B01_MN, B01_PW, at, {"a21022": b01}), frame(E01_MN, E01_PW, at, {"a21022": e01})):
                w.write(data)
                await w.drain()
                assert b"CN=9014" in await asyncio.wait_for(r.readuntil(b"\r\n"), 30)
    finally:
        w.close()


async def test_a_chlorine_warning_is_raised_escalated_cleared_seen_and_mailed(tmp_path, db_url, monkeypatch):
    park_env(monkeypatch)
    engine = prepare_database(db_url)
    import_fleet(engine, fleet())
    with engine.connect() as c:
        users = {u["username"]: dict(u) for u in c.execute(select(s.users)).mappings()}
        ents = dict(c.execute(select(s.enterprises.c.credit_code, s.enterprises.c.id)).all())
    create_subscription(engine, user_id=users["park-committee"]["id"], channel="email", address=PARK_MAIL,
                        region_code="320582", min_severity="warning")
    engine.dispose()
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_PORT", str(smtp.port))
    st = settings_class(NAMES)(database_url=db_url, data_dir=tmp_path / "state", hj212_host="127.0.0.1",
                               hj212_port=0, http_host="127.0.0.1", http_port=0,
                               park={"hj212_port": 0, "live": {"every_seconds": 0.2}})
    svc = Service(st)
    await svc.start(web=False, forward=False)
    try:
        base = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=len(B01_CL2))
        await send_minutes(svc.parts["park_hj212"].port, base)
        events: list = []
        for _ in range(300):   # the job's pass every 0.2 s; the dispatcher mails at once
            with svc.engine.connect() as c:
                events = c.execute(select(ps.park_warning_events).order_by(ps.park_warning_events.c.at)).all()
                open_ = c.execute(select(s.alarms.c.id).where(s.alarms.c.type.like("ALM-PARK-%"),
                                                              s.alarms.c.state != "cleared")).all()
                nearby = c.execute(select(s.alarms.c.id).where(s.alarms.c.type == "ALM-PARK-NEARBY")).all()
                evaluated = c.execute(select(ps.park_warning_states.c.evaluated_to)).scalars().all()
            # settled: every transition, alarm and notice filed, each station evaluated to the last minute sent
            last = base + timedelta(minutes=len(B01_CL2) - 1)
            if (len(events) >= 5 and not open_ and len(nearby) >= 3 and len(inbox.messages) >= 2
                    and evaluated and all(e is not None and _utc(e) >= last for e in evaluated)):
                break
            await asyncio.sleep(0.2)
        with svc.engine.connect() as c:
            alarms = c.execute(select(s.alarms).where(s.alarms.c.type.like("ALM-PARK-%"))
                               .order_by(s.alarms.c.id)).mappings().all()
            b01 = c.execute(select(ps.park_stations.c.id).where(ps.park_stations.c.code == "B01")).scalar_one()
            state = c.execute(select(ps.park_warning_states).where(ps.park_warning_states.c.station_id == b01)
                              ).one()
            seen = {name: {a.type for a in c.execute(select(s.alarms.c.type).where(
                s.alarms.c.type.like("ALM-PARK-%"), alarm_clause(resolve_scope(c, users[name]))))}
                for name in ("park-committee", "chlor", "far")}
        b01_events = [e for e in events if e.station_id == b01]
        # the park-edge station further east saw the plume below level I: an attention (three readings at twice its
        # background), filed under the nearest source handling chlorine, cleared after five readings back down
        assert [(e.transition, e.level) for e in events if e.station_id != b01] == [("raised", 1), ("cleared", 0)]
        minute = {e.transition: e.at for e in b01_events}
        assert [(e.transition, e.previous, e.level) for e in b01_events] == \
            [("raised", 0, 2), ("escalated", 2, 3), ("cleared", 3, 0)]
        assert minute["raised"] == base + timedelta(minutes=40) and minute["cleared"] == base + timedelta(minutes=46)
        assert [(e.value, e.code) for e in b01_events[:2]] == [(2.0, "PARK-LEVEL-I"), (7.0, "PARK-LEVEL-II")]
        assert state.level == 0 and state.evaluated_to == base + timedelta(minutes=len(B01_CL2) - 1)
        # the incident of the raise: zones of the three AEGLs with the wind from the west, the ranking's reasons
        inc = b01_events[0].incident
        assert inc["wind"] == {"speed_m_s": 3.0, "from_deg": 270.0, "stability": "D"}
        assert [z["name"] for z in inc["zones"]] == ["AEGL1", "AEGL2", "AEGL3"]
        assert inc["ranking"][0]["source"] == "S01" and inc["ranking"][0]["msgid"]
        assert inc["around"] == [ents[AMMON], ents[FAR]]
        # the alarms: level I then II filed under the station's enterprise, both cleared by data; the notices to
        # the enterprise within the radius (ammonia plant) and the one downwind (the east one; it is also within the
        # radius of the edge station), cleared too
        by_type = {}
        for a in alarms:
            by_type.setdefault(a["type"], []).append(a)
        assert [(a["enterprise_id"], a["state"], a["severity"]) for a in by_type["ALM-PARK-LEVEL-I"]] == \
            [(ents[CHLOR], "cleared", "warning")]
        assert [(a["enterprise_id"], a["state"], a["severity"]) for a in by_type["ALM-PARK-LEVEL-II"]] == \
            [(ents[CHLOR], "cleared", "critical")]
        assert sorted(a["enterprise_id"] for a in by_type["ALM-PARK-NEARBY"]) == [ents[AMMON], ents[FAR], ents[FAR]]
        assert {a["state"] for a in by_type["ALM-PARK-NEARBY"]} == {"cleared"}
        assert {a["region_code"] for a in alarms} == {"320582"}
        assert "氯碱厂界东" in by_type["ALM-PARK-LEVEL-II"][0]["explanation"]
        # who sees what: the committee everything, the station's enterprise its warnings, the downwind one its notice
        assert seen["park-committee"] == {"ALM-PARK-ATTENTION", "ALM-PARK-LEVEL-I", "ALM-PARK-LEVEL-II",
                                          "ALM-PARK-NEARBY"}
        assert seen["chlor"] == {"ALM-PARK-ATTENTION", "ALM-PARK-LEVEL-I", "ALM-PARK-LEVEL-II"}
        assert seen["far"] == {"ALM-PARK-NEARBY"}
        # the committee's e-mails: one per raise of a warning level (attention and the notices are info, below its
        # subscription's severity)
        assert [str(m["To"]) for m in inbox.messages] == [PARK_MAIL, PARK_MAIL]
        bodies = [m.get_body(("plain",)).get_content() for m in inbox.messages]
        raised_local = (base + timedelta(minutes=40)).astimezone(CST).strftime("%H:%M")
        assert all("氯碱厂界东" in b for b in bodies) and raised_local in bodies[0]    # names, local time
    finally:
        await svc.stop()
        smtp.stop()
