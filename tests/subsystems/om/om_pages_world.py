"""A world for the O&M pages, on omkit's (the city 石家庄, the enterprises 石家庄热电 with point A and 石家庄水泥 with
point B, the organisation 河北清源 contracted for A, the engineers om_zhang (A) and om_li (B), the city's regulator),
plus an account of the enterprise 石家庄热电 and passwords for logging in through the page; work orders made by the
real store in several states, one answering a data-missing alarm, one overdue; zero/span checks of SO2 at A filed
through the real store (a failed span check, then a pass)."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from ecosentry.alarms import store as alarm_store
from ecosentry.auth.deps import hash_api_key
from ecosentry.auth.passwords import hash_password
from ecosentry.store import schema as s
from ecosentry.subsystems.om.store import calibrations as cal_store
from ecosentry.subsystems.om.store import workorders as store
from omkit import KEYS, T0

PASSWORD = "Om-pages-2026!"
ENTERPRISE_A = "91130100MA0OMENTA1"


@dataclass
class Orders:
    overdue: int        # weekly inspection at A, assigned to om_zhang, past its deadline
    alarm: int          # data missing at A answering an alarm, created (not yet assigned)
    on_site: int        # calibration at A, om_zhang on site
    done: int           # daily inspection at A, done: waits for the regulator's review
    other: int          # weekly inspection at B, assigned to om_li


def photo(seed: int = 0, size: tuple[int, int] = (640, 480), kind: str = "JPEG") -> bytes:
    """A real photo-like picture (a gradient with a few shapes), JPEG or PNG."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (90 + seed * 20 % 120, 120, 150))
    draw = ImageDraw.Draw(img)
    w, h = size
    for i in range(0, h, 8):
        draw.rectangle([0, i, w, i + 8], fill=(60 + i * 120 // h, 110 + seed * 13 % 80, 170 - i * 80 // h))
    draw.rectangle([w // 5, h // 4, w * 3 // 5, h * 3 // 4], outline=(240, 240, 240), width=6)
    draw.ellipse([w * 3 // 5, h // 3, w * 4 // 5, h * 2 // 3], fill=(230, 200, 60))
    out = io.BytesIO()
    img.save(out, kind, quality=80) if kind == "JPEG" else img.save(out, kind)
    return out.getvalue()


def add_accounts(eng) -> dict[str, str]:
    """The enterprise account ``ent_a`` with an API key, and a password for every account; API keys by user."""
    keys = dict(KEYS)
    keys["ent_a"] = "es_ent_a___om_test_key_" + secrets.token_hex(8)
    with eng.begin() as c:
        ent = c.execute(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == ENTERPRISE_A)).scalar_one()
        uid = c.execute(insert(s.users).values(username="ent_a", role="enterprise", enterprise_id=ent,
                                               display_name="热电环保专员").returning(s.users.c.id)).scalar_one()
        c.execute(insert(s.api_keys).values(user_id=uid, name="t", prefix=keys["ent_a"][:12],
                                            key_hash=hash_api_key(keys["ent_a"]), created_at=T0))
        c.execute(update(s.users).values(password_hash=hash_password(PASSWORD)))
        c.execute(update(s.users).where(s.users.c.username == "city").values(display_name="石家庄市生态环境局"))
    return keys


def add_orders(eng, st, pts: dict, now: datetime) -> Orders:
    zone, dl = ZoneInfo(st.om.timezone), st.om.deadlines

    def make(kind, point, at, **kw):
        return store.create_order(eng, kind=kind, at=at, actor="city", settings=dl, zone=zone, point_id=point, **kw)

    overdue = make("weekly_inspection", pts["a"], now - timedelta(days=4), deadline=now - timedelta(hours=30),
                   assignee="om_zhang")["id"]
    alarm, _ = alarm_store.raise_alarm(eng, type="ALM-DATA-MISSING", source_type="point", source_id=pts["a"],
                                       severity=None, title="", explanation=None, evidence={}, point_id=pts["a"],
                                       at=now - timedelta(hours=5))
    from_alarm = store.create_order(eng, kind="data_missing", at=now - timedelta(hours=4), actor="om_zhang",
                                    settings=dl, zone=zone, alarm_id=alarm["id"])["id"]
    on_site = make("calibration", pts["a"], now - timedelta(hours=6), assignee="om_zhang")["id"]
    store.transition(eng, on_site, "accept", now - timedelta(hours=5), "om_zhang")
    store.transition(eng, on_site, "arrive", now - timedelta(hours=3), "om_zhang")
    done = make("daily_inspection", pts["a"], now - timedelta(hours=20), assignee="om_zhang")["id"]
    for action, hours in (("accept", 19), ("arrive", 18)):
        store.transition(eng, done, action, now - timedelta(hours=hours), "om_zhang")
    store.transition(eng, done, "finish", now - timedelta(hours=17), "om_zhang", note="更换采样滤芯",
                     record={"readings": {"a21026": 35.2}, "checklist": {"room": True, "sampling": True,
                                                                         "logbook": False}})
    other = make("weekly_inspection", pts["b"], now - timedelta(hours=10), assignee="om_li")["id"]
    return Orders(overdue, from_alarm, on_site, done, other)


def add_checks(eng, st, pts: dict, now: datetime) -> tuple[datetime, datetime]:
    """SO2 at A: daily span checks for a week, the one 30 h ago drifting 4.1 % F.S. (2.5 % allowed), recorded as
    passed (a mismatch); the check 6 h ago passes. Returns (failed at, passed at)."""
    failed, passed = now - timedelta(hours=30), now - timedelta(hours=6)
    checks = [cal_store.CheckIn(pts["a"], "a21026", now - timedelta(days=d, hours=6), kind, "pass", drift, "SN-SO2-01",
                                200.0 + drift * 2, 200.0)
              for d in range(6, 1, -1) for kind, drift in (("zero", 0.4), ("span", 0.9))]
    checks += [cal_store.CheckIn(pts["a"], "a21026", failed, "span", "pass", 4.1, "SN-SO2-01", 208.2, 200.0),
               cal_store.CheckIn(pts["a"], "a21026", passed, "span", "pass", 0.7, "SN-SO2-01", 201.4, 200.0)]
    cal_store.record_checks(eng, checks, source="api", actor="om_zhang", settings=st.om.calibration, now=now)
    return failed, passed
