"""Automatic 通讯中断 marks from data that arrived over TCP (CN-MARK-AUTO-GAP with CN-HOUR-45MIN)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ecosentry.store import schema as s
from helpers import GAS_MN, Logger, minute_frame, running_service

CST = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 10)  # local (Asia/Shanghai), naive for the frames


async def send_minutes(lg: Logger, minutes: list[datetime]) -> None:
    for t in minutes:
        await lg.send(minute_frame(GAS_MN, t, {"a21026": 20.0}))
        await lg.reply()


def so2_marks(engine) -> list[tuple[datetime, datetime]]:
    m = s.marks
    with engine.connect() as c:
        rows = c.execute(select(m.c.start, m.c.end).where(
            m.c.source == "auto", m.c.factor_codes == "a21026", m.c.deleted_at.is_(None)).order_by(m.c.start))
        return [(a.astimezone(CST), b.astimezone(CST)) for a, b in rows]


def so2_hours(engine) -> dict[int, tuple[bool, int, str | None]]:
    h = s.hourly_values
    with engine.connect() as c:
        rows = c.execute(select(h.c.period_start, h.c.valid, h.c.valid_minutes, h.c.mark_ids).where(
            h.c.factor_code == "a21026").order_by(h.c.period_start))
        return {r[0].astimezone(CST).hour: (r[1], r[2], r[3]) for r in rows}


async def test_gaps_become_automatic_marks_and_only_long_ones_decide_hours(tmp_path, db_url):
    # 08:00–09:59 of minute data with three holes:
    #   08:10–08:26 (16 min, inside one hour)        → mark; hour 08 has 44 minutes → invalid, by the mark too
    #   08:50–09:10 (20 min, across the hour)        → mark; 08 … and 09 each miss 10 of them
    #   09:30–09:45 (15 min)                          → no mark (not more than 15 min)
    minutes = [DAY + timedelta(hours=8, minutes=m) for m in range(120)
               if not (10 <= m < 26 or 50 <= m < 70 or 90 <= m < 105)]
    async with running_service(tmp_path, db_url) as svc:
        lg = await Logger.connect(svc.hj212_port)
        await send_minutes(lg, minutes)
        await svc.drain()
        await svc.worker.flush()
        day = DAY.replace(tzinfo=CST)
        assert so2_marks(svc.engine) == [
            (day + timedelta(hours=8, minutes=10), day + timedelta(hours=8, minutes=26)),
            (day + timedelta(hours=8, minutes=50), day + timedelta(hours=9, minutes=10)),
        ]
        hours = so2_hours(svc.engine)
        # hour 08: 60 − 16 − 10 = 34 minutes; the 16-minute mark covers > 15 min of it → listed and invalid
        valid8, n8, ids8 = hours[8]
        assert (valid8, n8) == (False, 34) and ids8 is not None and len(ids8.split(",")) == 1
        # hour 09: 60 − 10 − 15 = 35 minutes: invalid by the 45-minute rule; the straddling mark covers only
        # 10 minutes of it, so it does not decide the hour
        assert hours[9] == (False, 35, None)

        # the holes are back-filled: the marks go away, the hours become valid
        await send_minutes(lg, [DAY + timedelta(hours=8, minutes=m) for m in range(120)
                                if 10 <= m < 26 or 50 <= m < 70 or 90 <= m < 105])
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        assert so2_marks(svc.engine) == []
        assert so2_hours(svc.engine) == {8: (True, 60, None), 9: (True, 60, None)}


#: Twelve factors of one flue-gas point (issue 11 item 8: one gap gave one mark per factor).
MANY = ["a00000", "a19001", "a01011", "a01012", "a01014", "a01013", "a34013", "a21026", "a21002", "a21005",
        "a21024", "a21003"]


def many_factor_fleet() -> dict:
    import copy

    from helpers import FLEET

    f = copy.deepcopy(FLEET)
    f["enterprises"][0]["outlets"][0]["points"][0]["factors"] = [{"code": c} for c in MANY]
    return f


def auto_marks(engine) -> list[tuple[datetime, datetime, str | None]]:
    m = s.marks
    with engine.connect() as c:
        rows = c.execute(select(m.c.start, m.c.end, m.c.factor_codes).where(
            m.c.source == "auto", m.c.deleted_at.is_(None)).order_by(m.c.start))
        return [(a.astimezone(CST), b.astimezone(CST), codes) for a, b, codes in rows]


async def test_one_gap_of_a_point_is_one_mark_covering_all_its_factors(tmp_path, db_url):
    from ecosentry.fleet import import_fleet

    # 08:00–08:59, every factor every minute, except 08:20–08:39 (20 minutes: the logger was silent)
    gap = range(20, 40)
    async with running_service(tmp_path, db_url) as svc:
        import_fleet(svc.engine, many_factor_fleet())
        lg = await Logger.connect(svc.hj212_port)
        for k in range(60):
            if k not in gap:
                await lg.send(minute_frame(GAS_MN, DAY + timedelta(hours=8, minutes=k), {c: 10.0 + k % 3 for c in MANY}))
                await lg.reply()
        await svc.drain()
        await svc.worker.flush()
        day = DAY.replace(tzinfo=CST)
        marks = auto_marks(svc.engine)
        assert marks == [(day + timedelta(hours=8, minutes=20), day + timedelta(hours=8, minutes=40),
                          ",".join(sorted(MANY)))]
        with svc.engine.connect() as c:
            h = s.hourly_values
            ids = {r.factor_code: r.mark_ids for r in c.execute(select(h.c.factor_code, h.c.mark_ids))}
        assert set(ids) == set(MANY) and len(set(ids.values())) == 1  # the same one mark decides every factor

        # back-fill of SO2 only: the logger did communicate for those minutes, so the mark goes; the other
        # factors still miss 20 minutes and their hour is invalid by the 45-minute rule (40 valid minutes)
        for k in gap:
            await lg.send(minute_frame(GAS_MN, DAY + timedelta(hours=8, minutes=k), {"a21026": 10.0}))
            await lg.reply()
        await lg.close()
        await svc.drain()
        await svc.worker.flush()
        assert auto_marks(svc.engine) == []
        with svc.engine.connect() as c:
            hours = {r.factor_code: (r.valid, r.valid_minutes, r.mark_ids) for r in c.execute(
                select(h.c.factor_code, h.c.valid, h.c.valid_minutes, h.c.mark_ids))}
        assert hours["a21026"] == (True, 60, None)
        assert all(hours[c] == (False, 40, None) for c in MANY if c != "a21026"), hours
