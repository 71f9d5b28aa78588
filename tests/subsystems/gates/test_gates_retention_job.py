"""The retention job (issue 16 item 6) on SQLite and PostgreSQL on a controllable clock: per jurisdiction (the
nearest region of the enterprise's chain the settings name, else ``default``), ledger rows with their passages,
decisions and upload deliveries, and the pictures' references and files; nothing a second early (a missing day
rolled forward), an entry kept while its exit is kept, a picture kept while any row names it, small batches each
with its own audit entry (what, how many, which period), and the job as a service part off the event loop; legal
holds (a regulator's hold on an enterprise and a period, an open supervision case on a gates alarm) keep their
records until released."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from ecosentry.alarms import store as alarm_store
from ecosentry.alarms.disposal import Deadlines
from ecosentry.alarms.disposal_store import take_step

from ecosentry.store import schema as s
from ecosentry.store.audit import list_audit
from ecosentry.store.pictures import FilePictureStore
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.pipeline.retention import RetentionJob
from ecosentry.subsystems.gates.rules.retention import RetentionSettings
from ecosentry.subsystems.gates import alarms as _gates_alarms  # noqa: F401  (the ALM-VEH-… types registered)
from ecosentry.subsystems.gates.errors import GatesInputError
from ecosentry.subsystems.gates.store.holds import list_holds, place_hold, release_hold
from ecosentry.subsystems.gates.store.outbox import enqueue
from ecosentry.subsystems.gates.store.retention import jurisdictions, run_retention
from gates_dbkit import CREDIT, STAGE5, gates_database, png

Z = ZoneInfo("Asia/Shanghai")
#: The province of the test enterprise keeps the 2020 guide's floors; everyone else the defaults (24 / 12).
SETTINGS = RetentionSettings(jurisdictions={"140000": {"ledger_months": 12, "media_months": 6}})


class World:
    def __init__(self, db_url, tmp_path) -> None:
        self.engine = gates_database(db_url)
        self.store = FilePictureStore(tmp_path / "pictures")
        self.seq = 0
        with self.engine.begin() as c:
            self.ent = c.scalar(select(s.enterprises.c.id).where(s.enterprises.c.credit_code == CREDIT))
            c.execute(insert(s.regions).values(code="110000", name="北京市", level="province"))
            self.other = c.execute(insert(s.enterprises).values(credit_code="91110000MA0OTHER01", name="北京物流",
                                                                region_code="110000")).inserted_primary_key[0]
            self.gate = c.scalar(select(gs.gates_gates.c.id).where(gs.gates_gates.c.code == "G1"))
            self.device = c.scalar(select(gs.gates_devices.c.id).where(gs.gates_devices.c.code == "GD-0001"))

    def picture(self, seed: int, stored: datetime) -> str:
        data = png(seed)
        sha = self.store.put(data)
        with self.engine.begin() as c:
            c.execute(insert(gs.gates_pictures).values(sha256=sha, content_type="image/png", size=len(data),
                                                       stored_at=stored))
        return sha

    def passage(self, at: datetime, inbound: bool, *, picture: str | None = None, pairs_with: int | None = None,
                enterprise: int | None = None) -> tuple[int, int]:
        """A passage with its decision and ledger row (queued for upload); (passage id, ledger id)."""
        self.seq += 1
        ent = enterprise or self.ent
        with self.engine.begin() as c:
            pid = c.execute(insert(gs.gates_passages).values(
                spool="s", spool_seq=self.seq, enterprise_id=ent, gate_id=self.gate, device_id=self.device, at=at,
                received_at=at, inbound=inbound, plate=STAGE5, picture=picture)).inserted_primary_key[0]
            c.execute(insert(gs.gates_decisions).values(passage_id=pid, kind="rule", allowed=True,
                                                        reason="no_alert", decided_at=at))
            lid = c.execute(insert(gs.gates_ledger).values(
                enterprise_id=ent, source="camera", passage_id=pid, at=at, inbound=inbound, plate=STAGE5,
                pairs_with=pairs_with, entered_at=at)).inserted_primary_key[0]
            enqueue(c, [(lid, ent, at)], at)
        return pid, lid

    def ids(self, table) -> set:
        with self.engine.connect() as c:
            return set(c.execute(select(*table.primary_key.columns)).scalars())

    def picture_of(self, pid: int) -> str | None:
        with self.engine.connect() as c:
            return c.scalar(select(gs.gates_passages.c.picture).where(gs.gates_passages.c.id == pid))

    def run(self, now: datetime, batch: int = 1):
        return run_retention(self.engine, now, SETTINGS, self.store, batch=batch)


def test_jurisdiction_is_the_nearest_named_region(db_url, tmp_path):
    w = World(db_url, tmp_path)
    w.passage(datetime(2024, 1, 1, tzinfo=Z), True, enterprise=w.other)
    with w.engine.connect() as c:
        assert jurisdictions(c, SETTINGS) == {"140000": [w.ent], "default": [w.other]}


def test_nothing_goes_a_second_early_and_everything_goes_on_time(db_url, tmp_path):
    w = World(db_url, tmp_path)
    t0 = datetime(2024, 1, 31, 10, tzinfo=Z)
    a = w.picture(1, t0)
    entry_p, entry = w.passage(t0, True, picture=a)
    exit_p, exit_ = w.passage(t0 + timedelta(hours=2), False, pairs_with=entry)
    # a capture on 31 March: six months on there is no 31 September, so it is due on 1 October 00:00
    e = w.picture(2, datetime(2024, 3, 31, 12, tzinfo=Z))
    march_p, march = w.passage(datetime(2024, 3, 31, 12, tzinfo=Z), True, picture=e)
    register = w.picture(3, datetime(2023, 5, 1, tzinfo=Z))     # a 行驶证 the register names: kept
    orphan = w.picture(4, datetime(2024, 1, 1, tzinfo=Z))       # named by nothing
    with w.engine.begin() as c:
        c.execute(gs.gates_vehicles.update().where(gs.gates_vehicles.c.plate == STAGE5).values(licence_picture=register))
    _, other = w.passage(t0, True, enterprise=w.other)          # default jurisdiction: 24 months

    # media, 6 months in 140000: the orphan first (1 July), then the January capture (31 July 10:00)
    assert w.run(datetime(2024, 6, 30, 23, 59, 59, tzinfo=Z)).batches == 0
    w.run(datetime(2024, 7, 1, tzinfo=Z))
    assert not w.store.has(orphan) and w.store.has(a)
    w.run(datetime(2024, 7, 31, 9, 59, 59, tzinfo=Z))
    assert w.picture_of(entry_p) == a and w.store.has(a)
    w.run(datetime(2024, 7, 31, 10, tzinfo=Z))
    assert w.picture_of(entry_p) is None and not w.store.has(a) and w.store.has(register)
    assert w.ids(gs.gates_passages) >= {entry_p, exit_p}           # the passage is ledger: kept 12 months
    w.run(datetime(2024, 9, 30, 23, 59, 59, tzinfo=Z))
    assert w.picture_of(march_p) == e
    w.run(datetime(2024, 10, 1, tzinfo=Z))
    assert w.picture_of(march_p) is None and not w.store.has(e)
    assert w.ids(gs.gates_pictures) == {register}

    # ledger, 12 months: the entry is due at 10:00 but its exit (12:00) still needs it
    w.run(datetime(2025, 1, 31, 11, tzinfo=Z))
    assert {entry, exit_} <= w.ids(gs.gates_ledger) and entry_p in w.ids(gs.gates_passages)
    report = w.run(datetime(2025, 1, 31, 12, tzinfo=Z))
    assert w.ids(gs.gates_ledger) == {march, other}
    assert w.ids(gs.gates_passages).isdisjoint({entry_p, exit_p})
    with w.engine.connect() as c:
        assert set(c.execute(select(gs.gates_upload_outbox.c.ledger_id)).scalars()) == {march, other}
        assert set(c.execute(select(gs.gates_decisions.c.passage_id)).scalars()).isdisjoint({entry_p, exit_p})
    assert report.total("gates_ledger") == 2 and report.total("gates_passages") == 2 and report.batches == 4

    # the other enterprise keeps the default 24 months
    w.run(datetime(2026, 1, 31, 9, 59, 59, tzinfo=Z))
    assert other in w.ids(gs.gates_ledger)
    w.run(datetime(2026, 1, 31, 10, tzinfo=Z))
    assert w.ids(gs.gates_ledger) == set()  # March's row went in 2025 (12 months), the other's now
    assert w.ids(gs.gates_pictures) == {register} and w.store.has(register)


def test_each_batch_writes_its_own_audit_entry(db_url, tmp_path):
    w = World(db_url, tmp_path)
    t0 = datetime(2024, 2, 1, 8, tzinfo=Z)
    for i in range(5):
        w.passage(t0 + timedelta(hours=i), True)
    w.run(datetime(2025, 3, 1, tzinfo=Z), batch=2)
    entries = list_audit(w.engine, entity="gates_ledger")
    rows = [e for e in entries if "gates_ledger" in e["after"]["counts"]]
    assert sorted(e["after"]["counts"]["gates_ledger"] for e in rows) == [1, 2, 2]
    assert all(e["actor"] == "retention" and e["action"] == "delete" and e["entity_id"] == "140000" for e in entries)
    assert all(e["before"]["kind"] == "ledger" and e["before"]["months"] == 12 for e in entries)
    periods = sorted(tuple(e["after"]["period"]) for e in rows)
    first = t0.astimezone(timezone.utc).isoformat()
    last = (t0 + timedelta(hours=4)).astimezone(timezone.utc).isoformat()
    assert periods[0][0] == first and periods[-1][1] == last
    assert sum(e["after"]["counts"].get("gates_upload_outbox", 0) for e in rows) == 5
    assert sum(e["after"]["counts"].get("gates_passages", 0) for e in entries) == 5
    assert w.run(datetime(2025, 3, 1, tzinfo=Z)).batches == 0     # a second pass finds nothing and writes nothing
    assert len(list_audit(w.engine, entity="gates_ledger")) == len(entries)


async def test_the_job_runs_its_passes_off_the_event_loop(db_url, tmp_path):
    w = World(db_url, tmp_path)
    w.passage(datetime(2020, 1, 1, tzinfo=Z), True)
    clock = [datetime(2021, 1, 1, tzinfo=Z)]
    job = RetentionJob(w.engine, SETTINGS.model_copy(update={"every_s": 3600}), w.store, clock=lambda: clock[0])
    task = asyncio.create_task(job.run())
    ticks = 0
    while job.last is None:
        await asyncio.sleep(0.01)          # the loop keeps turning while the pass runs in its thread
        ticks += 1
    job.stop()
    await asyncio.wait_for(task, 10)
    assert job.last.total("gates_ledger") == 1 and w.ids(gs.gates_ledger) == set() and ticks >= 1


#: Snapshots at the video floor (6 months), heartbeats at 8.
SHORT = RetentionSettings(jurisdictions={"140000": {"ledger_months": 12, "media_months": 6, "snapshot_months": 6,
                                                    "heartbeat_months": 8}})


def test_snapshots_and_heartbeats_go_on_time_their_pictures_only_when_nothing_names_them(db_url, tmp_path):
    w = World(db_url, tmp_path)
    sn, hb = gs.gates_snapshots, gs.gates_heartbeats
    t0 = datetime(2024, 1, 31, 10, tzinfo=Z)
    with w.engine.begin() as c:
        cam = c.scalar(select(gs.gates_cameras.c.id).where(gs.gates_cameras.c.code == "CAM1"))
        other_device = c.scalar(select(gs.gates_devices.c.id).where(gs.gates_devices.c.code == "GD-0002"))
    p1, p2, ref = w.picture(11, t0), w.picture(12, datetime(2024, 3, 1, tzinfo=Z)), w.picture(13, t0)
    with w.engine.begin() as c:
        c.execute(insert(sn), [{"camera_id": cam, "at": t0, "picture": p1, "received_at": t0},
                               {"camera_id": cam, "at": datetime(2024, 3, 1, tzinfo=Z), "picture": p2,
                                "received_at": t0},
                               # this snapshot was chosen as the camera's reference view: its picture stays
                               {"camera_id": cam, "at": t0 - timedelta(days=1), "picture": ref, "received_at": t0}])
        c.execute(gs.gates_cameras.update().where(gs.gates_cameras.c.id == cam).values(reference_picture=ref))
        c.execute(insert(hb), [{"device_id": w.device, "at": t0, "status": "ok"},
                               {"device_id": other_device, "at": datetime(2024, 6, 1, tzinfo=Z), "status": "ok"}])

    def run(now):
        return run_retention(w.engine, now, SHORT, w.store, batch=1)

    assert run(datetime(2024, 7, 31, 9, 59, 59, tzinfo=Z)).total("gates_snapshots") == 1  # the reference's, 30 Jan
    assert len(w.ids(sn)) == 2 and w.store.has(ref) and w.store.has(p1)
    report = run(datetime(2024, 7, 31, 10, tzinfo=Z))
    assert report.total("gates_snapshots") == 1 and len(w.ids(sn)) == 1
    assert not w.store.has(p1) and w.store.has(ref) and w.store.has(p2) and w.ids(gs.gates_pictures) == {ref, p2}
    # heartbeats: 31 January + 8 months has no 31 September: due on 1 October 00:00
    assert len(w.ids(hb)) == 2
    run(datetime(2024, 9, 30, 23, 59, 59, tzinfo=Z))
    assert len(w.ids(hb)) == 2
    report = run(datetime(2024, 10, 1, tzinfo=Z))
    assert report.total("gates_heartbeats") == 1 and len(w.ids(hb)) == 1
    assert not w.store.has(p2) and w.ids(gs.gates_pictures) == {ref}  # the March snapshot went on 1 September
    snaps = [e for e in list_audit(w.engine, entity="gates_media") if e["before"]["kind"] == "snapshots"]
    beats = list_audit(w.engine, entity="gates_heartbeats")
    assert len(snaps) == 3 and all(e["before"]["months"] == 6 and e["after"]["counts"] == {"gates_snapshots": 1}
                                   for e in snaps)
    [beat] = beats
    assert (beat["actor"], beat["action"], beat["entity_id"], beat["before"]["kind"], beat["before"]["months"]) == \
        ("retention", "delete", "140000", "heartbeats", 8)
    assert beat["after"]["counts"] == {"gates_heartbeats": 1} and beat["after"]["period"][0] == \
        t0.astimezone(timezone.utc).isoformat()
    assert run(datetime(2024, 10, 1, tzinfo=Z)).batches == 0


def _snapshot_and_beat(w, at: datetime, seed: int) -> str:
    sha = w.picture(seed, at)
    with w.engine.begin() as c:
        cam = c.scalar(select(gs.gates_cameras.c.id).where(gs.gates_cameras.c.code == "CAM1"))
        c.execute(insert(gs.gates_snapshots).values(camera_id=cam, at=at, picture=sha, received_at=at))
        c.execute(insert(gs.gates_heartbeats).values(device_id=w.device, at=at, status="ok"))
    return sha


def test_a_hold_keeps_the_enterprises_records_of_its_period_until_released(db_url, tmp_path):
    """A regulator's hold on the enterprise and a period (an inspection under way): its ledger rows, passages,
    pictures, snapshots and heartbeats survive every pass, however old; released (audited), the next pass deletes
    them. Records outside the period go on time meanwhile."""
    w = World(db_url, tmp_path)
    held_at, free_at = datetime(2024, 1, 31, 10, tzinfo=Z), datetime(2024, 3, 1, 10, tzinfo=Z)
    pic_held, pic_free = w.picture(1, held_at), w.picture(2, free_at)
    p_in, l_in = w.passage(held_at, True, picture=pic_held)
    p_out, l_out = w.passage(held_at + timedelta(hours=2), False, pairs_with=l_in)
    p_free, l_free = w.passage(free_at, True, picture=pic_free)
    snap_held = _snapshot_and_beat(w, held_at, 3)
    snap_free = _snapshot_and_beat(w, free_at, 4)
    with pytest.raises(GatesInputError, match="reason"):
        place_hold(w.engine, w.ent, held_at, held_at, reason=" ", actor="city")
    with pytest.raises(GatesInputError, match="before its start"):
        place_hold(w.engine, w.ent, held_at, held_at - timedelta(days=1), reason="稽查", actor="city")
    hold = place_hold(w.engine, w.ent, held_at - timedelta(hours=1), held_at + timedelta(hours=1),
                      reason="2026年第12号稽查", case_ref="临环稽〔2026〕12号", actor="city")
    with w.engine.connect() as c:
        [standing] = list_holds(c)
    assert (standing["id"], standing["credit_code"], standing["case_ref"]) == (hold, CREDIT, "临环稽〔2026〕12号")

    now = datetime(2026, 6, 1, tzinfo=Z)                  # 12 / 6 months in 140000: everything is due
    w.run(now, batch=2)
    # held: the entry, its picture, the snapshot, the heartbeat; the exit two hours later (outside the hold)
    # goes, the entry it paired with stays; the free records all go
    assert w.ids(gs.gates_ledger) == {l_in} and w.ids(gs.gates_passages) == {p_in}
    assert w.picture_of(p_in) == pic_held and w.store.has(pic_held) and not w.store.has(pic_free)
    assert w.ids(gs.gates_pictures) == {pic_held, snap_held}
    with w.engine.connect() as c:
        assert [r.at.astimezone(Z) for r in c.execute(select(gs.gates_snapshots.c.at))] == [held_at]
        assert [r.at.astimezone(Z) for r in c.execute(select(gs.gates_heartbeats.c.at))] == [held_at]
    assert not w.store.has(snap_free) and p_out not in w.ids(gs.gates_passages) and l_free not in w.ids(gs.gates_ledger)
    w.run(now + timedelta(days=400))                      # a year later, still held
    assert w.ids(gs.gates_ledger) == {l_in} and w.store.has(snap_held)

    released = release_hold(w.engine, hold, actor="city", reason="稽查结束")
    assert released["released_by"] == "city"
    with pytest.raises(GatesInputError, match="released already"):
        release_hold(w.engine, hold, actor="city")
    entries = [(e["action"], e["actor"]) for e in list_audit(w.engine, entity="gate_hold")]
    assert sorted(entries) == [("place", "city"), ("release", "city")]
    w.run(now + timedelta(days=400))
    assert w.ids(gs.gates_ledger) == set() and w.ids(gs.gates_passages) == set()
    assert w.ids(gs.gates_snapshots) == set() and w.ids(gs.gates_heartbeats) == set()
    assert w.ids(gs.gates_pictures) == set() and not w.store.has(pic_held) and not w.store.has(snap_held)


def test_an_open_supervision_case_holds_the_period_of_its_alarms_findings(db_url, tmp_path):
    """A gates alarm under supervision (督办): the records of the period its findings cover are held while the case
    is open and go at the first pass after it is closed."""
    w = World(db_url, tmp_path)
    at = datetime(2024, 1, 31, 10, tzinfo=Z)
    pic = w.picture(1, at)
    p_in, l_in = w.passage(at, True, picture=pic)
    alarm, _ = alarm_store.raise_alarm(
        w.engine, type="ALM-VEH-ALERT-STAGE", source_type="gates-enterprise", source_id=str(w.ent),
        severity=None, title="t", explanation="e", evidence={}, enterprise_id=w.ent, at=at)
    with w.engine.begin() as c:
        c.execute(insert(gs.gates_findings).values(
            enterprise_id=w.ent, code="VEH-ALERT-STAGE", severity="critical", subject=STAGE5, plate=STAGE5,
            start=at, end=at, detected_at=at, msgid="m", found_at=at, updated_at=at, alarm_id=alarm["id"]))
    now = datetime(2026, 6, 1, tzinfo=Z)
    d = Deadlines()
    take_step(w.engine, alarm["id"], "push", actor="city", role="regulator", deadlines=d, text="请说明",
              at=now - timedelta(days=3))
    w.run(now)
    assert w.ids(gs.gates_ledger) == {l_in} and w.picture_of(p_in) == pic and w.store.has(pic)
    take_step(w.engine, alarm["id"], "handle", actor="plantA", role="enterprise", deadlines=d,
              at=now - timedelta(days=2))
    take_step(w.engine, alarm["id"], "feedback", actor="plantA", role="enterprise", deadlines=d, text="已整改",
              cause="车辆未核查", measures="已停用", at=now - timedelta(days=2))
    take_step(w.engine, alarm["id"], "accept", actor="city", role="regulator", deadlines=d,
              at=now - timedelta(days=1))
    w.run(now)                                           # verified, not closed yet: still held
    assert w.ids(gs.gates_ledger) == {l_in}
    take_step(w.engine, alarm["id"], "close", actor="city", role="regulator", deadlines=d, text="结案",
              at=now - timedelta(hours=1))
    w.run(now)
    assert w.ids(gs.gates_ledger) == set() and w.ids(gs.gates_passages) == set() and not w.store.has(pic)


def test_the_hold_commands_place_list_and_release_a_hold(db_url, tmp_path, monkeypatch, request):
    import os
    import subprocess
    import sys

    from typer.testing import CliRunner

    from ecosentry import cli as ecosentry_cli
    from ecosentry.settings import get_settings

    w = World(db_url, tmp_path)
    env = {"ECOSENTRY_DATABASE_URL": db_url, "ECOSENTRY_DATA_DIR": str(tmp_path / "state"),
           "LANGUAGE": "en"}  # the English sentences are compared
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    request.addfinalizer(get_settings.cache_clear)  # no later test reads this test's settings
    runner = CliRunner()

    def cli(*args):
        """The command in this process (a new process for each command cost ~1 s of imports each)."""
        get_settings.cache_clear()
        return runner.invoke(ecosentry_cli.app, ["vehicles", *args])

    # the first through ``python -m ecosentry`` in its own process, as an operator runs it
    first = subprocess.run([sys.executable, "-m", "ecosentry", "vehicles", "holds"], env={**os.environ, **env},
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and first.stdout.strip() == "", first.stderr
    out = cli("hold", "--enterprise", CREDIT, "--start", "2024-01-01T00:00:00+08:00", "--end",
              "2024-02-01T00:00:00+08:00", "--reason", "2026年第12号稽查", "--case", "临环稽〔2026〕12号",
              "--actor", "city")
    assert out.exit_code == 0, out.stderr
    hold_id = int(out.stdout.split()[1])
    listed = cli("holds")
    assert listed.exit_code == 0 and f"{hold_id}\t{CREDIT}" in listed.stdout and "临环稽〔2026〕12号" in listed.stdout
    bad = cli("hold", "--enterprise", "91110000MA0NOSUCH1", "--start", "2024-01-01T00:00:00+08:00", "--end",
              "2024-02-01T00:00:00+08:00", "--reason", "x")
    assert bad.exit_code == 2 and "91110000MA0NOSUCH1" in bad.stderr
    naive = cli("hold", "--enterprise", CREDIT, "--start", "2024-01-01T00:00:00", "--end",
                "2024-02-01T00:00:00+08:00", "--reason", "x")
    assert naive.exit_code == 2 and "error:" in naive.stderr
    assert cli("release", str(hold_id), "--reason", "结案", "--actor", "city").exit_code == 0
    again = cli("release", str(hold_id))
    assert again.exit_code == 2 and str(hold_id) in again.stderr
    assert cli("holds").stdout.strip() == "" and "released" in cli("holds", "--all").stdout
    with w.engine.connect() as c:
        assert list_holds(c) == [] and len(list_holds(c, standing=False)) == 1
