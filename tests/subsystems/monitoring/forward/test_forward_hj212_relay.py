"""HJ 212 relay to an upper platform that is ecosentry itself: logger → lower platform → relay (own MN/PW)
→ upper platform; the upper platform stops and starts again on the same port; nothing lost or doubled."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ecosentry.subsystems.monitoring.forward.queue import add_target, backlog
from ecosentry.subsystems.monitoring.forward.runner import ForwardRunner
from ecosentry.contracts.envelope import Envelope
from ecosentry.protocols.hj212 import parse_frame
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes
from ecosentry.fleet import import_fleet
from netkit import free_port
from forward_testkit import (  # noqa: F401  (fixture)
    FAST,
    LOCAL_MN,
    LOCAL_PW,
    UPPER_MN,
    UPPER_PW,
    Logger,
    cn_fleet,
    minute_frame,
    running,
    service_settings,
    two_db_urls,
    wait_for,
)

T0 = datetime(2026, 11, 20, 8, 0, 0)  # local time (Asia/Shanghai)
FACTORS = ("a21026", "a21002", "a19001")


def _count(engine, table, *where) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _scanned_all(engine) -> bool:
    """The relay's scan cursor has passed every archived frame of ``engine``."""
    with engine.connect() as c:
        last = c.execute(select(func.max(s.raw_frames.c.id))).scalar_one()
        cursor = c.execute(select(func.min(ms.forward_targets.c.raw_cursor))).scalar_one()
    return last is not None and cursor is not None and cursor >= last


def _upper_minutes(engine) -> list[datetime]:
    p, o = s.points, s.observations
    with engine.connect() as c:
        return list(c.scalars(select(o.c.period_start).join(p, p.c.id == o.c.point_id)
                              .where(p.c.mn == UPPER_MN, o.c.kind == "min", o.c.factor_code == "a21026")
                              .order_by(o.c.period_start)))


async def test_relay_through_upper_outage_nothing_lost_or_doubled(two_db_urls, tmp_path):
    lower_url, upper_url = two_db_urls
    for url, mn, pw, credit in ((lower_url, LOCAL_MN, LOCAL_PW, "91320500MAFWDLOW01"),
                                (upper_url, UPPER_MN, UPPER_PW, "91320500MAFWDUPP01")):
        e = prepare_database(url)
        import_fleet(e, cn_fleet(mn, pw, credit))
        e.dispose()
    port = free_port()  # the upper platform comes back on it: a port of its own, not one the kernel lent it
    upper_settings = service_settings(upper_url, tmp_path / "upper", port=port)
    async with running(service_settings(lower_url, tmp_path / "lower")) as lower:
        upper_cm = running(upper_settings)
        upper = await upper_cm.__aenter__()
        upper_up = True
        add_target(lower.engine, name="province", kind="hj212", host="127.0.0.1", port=port,
                   mn_map={LOCAL_MN: {"mn": UPPER_MN, "pw": UPPER_PW}}, point_mns=[LOCAL_MN])
        runner = ForwardRunner(lower.engine, FAST)
        relay = asyncio.create_task(runner.run())
        logger = await Logger.connect(lower.hj212_port)
        minutes = [T0 + timedelta(minutes=i) for i in range(10)]
        try:
            # 1. both platforms up: the logger's frames reach the upper platform under the upper MN
            for t in minutes[:5]:
                reply = await logger.send(minute_frame(LOCAL_MN, t, {"a21026": 20 + t.minute, "a21002": 50.5,
                                                                      "a19001": 8.2}))
                assert parse_frame(reply).cn == "9014"
            await wait_for(lambda: len(_upper_minutes(upper.engine)) == 5, "5 minutes at the upper platform")
            await wait_for(lambda: backlog(lower.engine)[0]["delivered"] == 5, "5 items delivered")

            # 2. the upper platform stops; the logger keeps sending to the lower one
            upper_up = False
            await upper_cm.__aexit__(None, None, None)
            for t in minutes[5:]:
                await logger.send(minute_frame(LOCAL_MN, t, {"a21026": 20 + t.minute, "a21002": 50.5,
                                                             "a19001": 8.2}))
            # a frame re-sent by the logger (it missed our reply) is the same data: not queued twice
            await logger.send(minute_frame(LOCAL_MN, minutes[6], {"a21026": 26, "a21002": 50.5, "a19001": 8.2}))
            await wait_for(lambda: _count(lower.engine, ms.forward_deliveries, ms.forward_deliveries.c.ok.is_(False))
                           >= 2, "failed attempts while the upper platform is down")
            # every frame archived (5 before, 5 during the outage, 1 re-sent) and scanned by the relay: only then
            # is the count final (under load the relay's scan runs behind the failed attempts)
            await wait_for(lambda: _count(lower.engine, s.raw_frames) >= 11 and _scanned_all(lower.engine),
                           "every frame scanned by the relay")
            assert backlog(lower.engine)[0]["pending"] == 5

            # 3. the upper platform comes back on the same port: the backlog drains, in order
            upper_cm = running(service_settings(upper_url, tmp_path / "upper", port=port))
            upper = await upper_cm.__aenter__()
            upper_up = True
            await wait_for(lambda: backlog(lower.engine)[0]["pending"] == 0, "backlog drained")
            await upper.drain()
            await wait_for(lambda: len(_upper_minutes(upper.engine)) == 10, "10 minutes at the upper platform")

            ue = upper.engine
            # nothing doubled: one accepted raw frame per minute, under the upper MN, none quarantined
            with ue.connect() as c:
                raws = c.execute(select(s.raw_frames.c.mn, s.raw_frames.c.status, s.raw_frames.c.raw)
                                 .where(s.raw_frames.c.transport == "hj212-tcp")
                                 .order_by(s.raw_frames.c.id)).all()
            assert [(r.mn, r.status) for r in raws] == [(UPPER_MN, "accepted")] * 10
            frames = [parse_frame(r.raw) for r in raws]
            assert [f.data_time for f in frames] == minutes  # kept in order
            assert {f.pw for f in frames} == {UPPER_PW}
            assert _count(ue, s.quarantine) == 0
            assert _upper_minutes(ue) == sorted(set(_upper_minutes(ue)))
            assert _count(ue, s.observations, s.observations.c.kind == "min") == 10 * len(FACTORS)
            # the values crossed unchanged
            with ue.connect() as c:
                v = c.execute(select(s.observations.c.value).where(
                    s.observations.c.factor_code == "a21026", s.observations.c.kind == "min")
                    .order_by(s.observations.c.period_start)).scalars().all()
            assert v == [20.0 + i for i in range(10)]
            # delivery log: every item delivered once, the first after the outage failed first
            le = lower.engine
            with le.connect() as c:
                items = c.execute(select(ms.forward_queue).order_by(ms.forward_queue.c.id)).all()
                log = c.execute(select(ms.forward_deliveries).order_by(ms.forward_deliveries.c.id)).all()
            assert len(items) == 10 and {i.status for i in items} == {"delivered"}
            for it in items:
                assert sum(1 for r in log if r.item_id == it.id and r.ok) == 1
            after = [r for r in log if r.item_id == items[5].id]
            assert not after[0].ok and after[-1].ok and "9014" in after[-1].detail
        finally:
            runner.stop()
            await asyncio.wait_for(relay, 10)
            await logger.close()
            if upper_up:
                await upper_cm.__aexit__(None, None, None)


async def test_wrong_upper_password_is_retried_until_fixed(db_url, tmp_path):
    """The upper platform quarantines a frame with a wrong PW and sends no 9014 (HJ 212-2017 §6.6.3): the
    relay records the timeout, keeps the item, and delivers it once the mapping is corrected."""
    lower = prepare_database(db_url)
    import_fleet(lower, cn_fleet(LOCAL_MN, LOCAL_PW, "91320500MAFWDLOW01"))
    upper_url = f"sqlite:///{tmp_path / 'upper.sqlite'}"
    e = prepare_database(upper_url)
    import_fleet(e, cn_fleet(UPPER_MN, UPPER_PW, "91320500MAFWDUPP01"))
    e.dispose()
    async with running(service_settings(upper_url, tmp_path / "upper")) as upper:
        target = add_target(lower, name="province", kind="hj212", host="127.0.0.1", port=upper.hj212_port,
                            mn_map={LOCAL_MN: {"mn": UPPER_MN, "pw": "wrong"}})
        with lower.connect() as c:
            pid = c.scalar(select(s.points.c.id).where(s.points.c.mn == LOCAL_MN))
        write_envelopes(lower, "sp", [(1, Envelope(
            transport="hj212-tcp", received_at=datetime.now().astimezone(), status="accepted", mn=LOCAL_MN,
            cn="2051", point_id=pid, raw=minute_frame(LOCAL_MN, T0, {"a21026": 3.0})))])
        runner = ForwardRunner(lower, FAST.model_copy(update={"ack_timeout": 0.3}))
        relay = asyncio.create_task(runner.run())
        try:
            await wait_for(lambda: _count(lower, ms.forward_deliveries) >= 2, "two unanswered attempts")
            b = backlog(lower)[0]
            assert b["pending"] == 1 and "no 9014 reply" in b["last_error"]
            await wait_for(lambda: _count(upper.engine, s.quarantine, s.quarantine.c.reason == "bad_password") >= 1,
                           "quarantined at the upper platform")
            with lower.begin() as c:  # the operator corrects the password
                c.execute(update(ms.forward_targets).where(ms.forward_targets.c.id == target.id)
                          .values(mn_map={LOCAL_MN: {"mn": UPPER_MN, "pw": UPPER_PW}}))
            await wait_for(lambda: backlog(lower)[0]["delivered"] == 1, "delivered after the fix")
            await upper.drain()
            await wait_for(lambda: len(_upper_minutes(upper.engine)) == 1, "the minute at the upper platform")
        finally:
            runner.stop()
            await asyncio.wait_for(relay, 10)
            lower.dispose()
