"""DONRE → MONRE by FTP against a real pyftpdlib server: store-and-forward through an outage, exactly once,
in order, same names and bytes, delivery log of failures and successes (issue 7 item 4)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ecosentry.subsystems.monitoring.forward.queue import QueueItem, add_target, backlog, enqueue_for_targets, load_target
from ecosentry.subsystems.monitoring.forward.runner import ForwardRunner
from ecosentry.subsystems.monitoring.forward.vn_ftp import VnFtpForwarder
from ecosentry.contracts.envelope import Envelope
from ecosentry.service import prepare_database
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes
from ecosentry.fleet import import_fleet
from forward_testkit import (
    FAST,
    VN_FLEET,
    VN_OTHER_PROVINCE,
    VN_STATION,
    VN_STATION_2,
    MonreFtp,
    vn_file,
    wait_for,
)

T0 = datetime(2026, 11, 20, 8, 0, 0)  # station local time


class Archive:
    """Writes received station files as the ingest worker does (raw_frames, transport "ftp")."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.seq = 0
        with engine.connect() as c:
            self.points = dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())

    def receive(self, station: str, t: datetime, *, status: str = "accepted") -> tuple[str, bytes, Envelope]:
        name, data = vn_file(station, t, {"COD": (40.0 + t.minute, "mg/L", "00"), "TSS": (12.5, "mg/L", "00"),
                                          "pH": (7.1, "", "00")})
        # as the vn-file sink fills it (vn/judge.py): cn "vn-txt", qn the file time, detail JSON with the file name
        env = Envelope(transport="ftp", received_at=datetime.now().astimezone(), raw=data, status=status,
                       peer="127.0.0.1:50000", mn=station, cn="vn-txt", qn=t.strftime("%Y%m%d%H%M%S"),
                       point_id=self.points[station],
                       detail=json.dumps({"file": name, "message": None, "delay_s": 12.0, "late": False}))
        self.seq += 1
        write_envelopes(self.engine, "ftpspool", [(self.seq, env)])
        return name, data, env


def _rows(engine, *where):
    with engine.connect() as c:
        return c.execute(select(ms.forward_queue).where(*where).order_by(ms.forward_queue.c.id)).all()


def _log(engine):
    with engine.connect() as c:
        return c.execute(select(ms.forward_deliveries).order_by(ms.forward_deliveries.c.id)).all()


async def test_monre_down_then_up_every_file_once_in_order(db_url, tmp_path):
    engine = prepare_database(db_url)
    import_fleet(engine, VN_FLEET)
    monre = MonreFtp(tmp_path / "monre")
    monre.start()
    target = add_target(engine, name="monre", kind="vn-ftp", host="127.0.0.1", port=monre.port,
                        username=MonreFtp.USER, password=MonreFtp.PASSWORD, remote_path="/inbox/HN",
                        region_code="VN-HN")
    archive = Archive(engine)
    runner = ForwardRunner(engine, FAST)
    task = asyncio.create_task(runner.run())
    sent: list[tuple[str, bytes]] = []
    try:
        # 1. receiver up: three files of two stations of the province; one of another province is not ours
        for i in range(3):
            name, data, _ = archive.receive(VN_STATION if i != 1 else VN_STATION_2, T0 + timedelta(minutes=5 * i))
            sent.append((name, data))
        archive.receive(VN_OTHER_PROVINCE, T0)
        archive.receive(VN_STATION, T0 + timedelta(minutes=100), status="rejected")  # never forwarded
        await wait_for(lambda: len(monre.renames) == 3, "3 files at MONRE")

        # 2. receiver down: files keep arriving at the province and wait in the queue
        monre.stop()
        for i in range(3, 7):
            name, data, _ = archive.receive(VN_STATION, T0 + timedelta(minutes=5 * i))
            sent.append((name, data))
        await wait_for(lambda: sum(not r.ok for r in _log(engine)) >= 3, "failed attempts while MONRE is down")
        assert len(monre.renames) == 3
        assert backlog(engine)[0]["pending"] == 4 and "connect" in backlog(engine)[0]["last_error"]

        # 3. receiver up again on the same port: the backlog drains, in order
        monre.start()
        await wait_for(lambda: len(monre.renames) == 7, "7 files at MONRE after the outage")
        await wait_for(lambda: backlog(engine)[0]["pending"] == 0, "queue empty")

        # 4. the same file uploaded again by the logger, and a replay of the spool: nothing new
        name, data, env = archive.receive(VN_STATION, T0)  # same name as the first file
        assert enqueue_for_targets(engine, [env]) == 0
        with engine.connect() as c:
            again = c.execute(select(s.raw_frames).where(s.raw_frames.c.transport == "ftp")
                              .order_by(s.raw_frames.c.id)).mappings().all()
        assert enqueue_for_targets(engine, again) == 0
        write_envelopes(engine, "ftpspool", [(1, env)])  # spool replay: same (spool, seq)
        await wait_for(lambda: load_target(engine, target.id).raw_cursor >= archive.seq, "feeder caught up")
    finally:
        runner.stop()
        await asyncio.wait_for(task, 10)
        monre.stop()

    # every file exactly once, same name, same bytes, in the order received
    assert monre.renames == [n for n, _ in sent]
    folder = tmp_path / "monre" / "inbox" / "HN"
    assert sorted(p.name for p in folder.iterdir()) == sorted(n for n, _ in sent)  # no *.part left
    for name, data in sent:
        assert (folder / name).read_bytes() == data
    # delivery log: one success per item; the first file after the outage failed before it succeeded
    items = _rows(engine)
    assert [r.name for r in items] == [n for n, _ in sent] and {r.status for r in items} == {"delivered"}
    log = _log(engine)
    for it in items:
        assert sum(1 for r in log if r.item_id == it.id and r.ok) == 1
    first_after = items[3]
    tries = [r for r in log if r.item_id == first_after.id]
    assert [r.ok for r in tries][-1] and not tries[0].ok and len(tries) == first_after.attempts >= 2
    assert "stored /inbox/HN/" in tries[-1].detail
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(ms.forward_queue)) == 7
    engine.dispose()


async def test_retry_after_lost_rename_reply_does_not_upload_again(db_url, tmp_path):
    """The rename succeeded but its reply was lost: the retry finds the file and counts it delivered."""
    engine = prepare_database(db_url)
    import_fleet(engine, VN_FLEET)
    monre = MonreFtp(tmp_path / "monre")
    monre.start()
    try:
        target = add_target(engine, name="monre", kind="vn-ftp", host="127.0.0.1", port=monre.port,
                            username=MonreFtp.USER, password=MonreFtp.PASSWORD, remote_path="in")
        name, data = vn_file(VN_STATION, T0, {"COD": (41.0, "mg/L", "00")})
        fwd = VnFtpForwarder(target, FAST)
        first = QueueItem(1, target.id, VN_STATION, name, "file:" + name, data, 0, None)
        [a] = await fwd.deliver([first])
        assert a.ok and monre.stores == [name + ".part"] and monre.renames == [name]
        retried = QueueItem(1, target.id, VN_STATION, name, "file:" + name, data, 1, None)
        [b] = await fwd.deliver([retried])
        assert b.ok and "already present" in b.detail
        assert monre.stores == [name + ".part"] and monre.renames == [name]  # nothing sent twice
        # a wrong password is a retryable failure with the server's reason, never a loss
        bad = load_target(engine, target.id)
        bad.password = "wrong"
        [c] = await VnFtpForwarder(bad, FAST).deliver([first])
        assert not c.ok and not c.permanent and "530" in c.detail
    finally:
        monre.stop()
        engine.dispose()
