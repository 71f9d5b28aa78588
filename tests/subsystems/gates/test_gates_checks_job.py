"""The checks over the stored tables as a job (``gates.checks_job``): each check fires on constructed stored data
and stays quiet on honest data, the job is idempotent and incremental, its findings are stored once, and the
alarms ``ALM-VEH-…`` are raised (and, for the cameras, cleared) — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, insert, select

from ecosentry.store import pollution_alerts
from ecosentry.store import schema as s
from ecosentry.store.pictures import FilePictureStore
from ecosentry.subsystems.gates import schema as gs
from ecosentry.subsystems.gates.checks_job import CheckJob
from ecosentry.subsystems.gates.settings import GatesSettings
from ecosentry.subsystems.gates.simulate_camera import camera_view, cover, gate_scene
from ecosentry.subsystems.gates.store.snapshots import record_snapshot, set_reference
from gates_dbkit import STAGE4, STAGE5, STAGE6, gates_database

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)   # 18:00 in 临汾


def _settings(**job) -> GatesSettings:
    return GatesSettings(camera={"working_hours": "00:00-24:00"}, job=job)


class World:
    def __init__(self, url: str, tmp_path) -> None:
        self.engine = gates_database(url)
        self.pictures = FilePictureStore(tmp_path / "pictures")
        with self.engine.connect() as c:
            self.ent = c.scalar(select(s.enterprises.c.id))
            self.gate = c.scalar(select(gs.gates_gates.c.id).where(gs.gates_gates.c.code == "G1"))
            self.device = c.scalar(select(gs.gates_devices.c.id).where(gs.gates_devices.c.code == "GD-0001"))
            self.camera = c.scalar(select(gs.gates_cameras.c.id).where(gs.gates_cameras.c.code == "CAM1"))
        self.seq = 0

    def passage(self, at: datetime, plate: str, inbound: bool = True, ledger: bool = True, stage: str | None = None):
        self.seq += 1
        with self.engine.begin() as c:
            pid = c.execute(insert(gs.gates_passages).values(
                spool="t", spool_seq=self.seq, enterprise_id=self.ent, gate_id=self.gate, device_id=self.device,
                at=at, received_at=at, inbound=inbound, plate=plate, confidence=0.99 if plate else None)
                .returning(gs.gates_passages.c.id)).scalar_one()
            if ledger:
                c.execute(insert(gs.gates_ledger).values(
                    enterprise_id=self.ent, source="camera", passage_id=pid, at=at, inbound=inbound, plate=plate,
                    vin="1M8GDM9AXKP042788", emission_stage=stage, cargo="煤", weight_t=30.0, entered_at=at))
        return pid

    def beats(self, t0: datetime, t1: datetime, every: int = 60) -> None:
        rows, t = [], t0
        while t <= t1:
            rows.append({"device_id": self.device, "at": t, "status": "ok"})
            t += timedelta(seconds=every)
        with self.engine.begin() as c:
            c.execute(insert(gs.gates_heartbeats), rows)

    def findings(self, code: str | None = None) -> list[dict]:
        f = gs.gates_findings.c
        q = select(gs.gates_findings).order_by(f.id)
        if code:
            q = q.where(f.code == code)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q).mappings()]

    def alarms(self, kind: str) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(select(s.alarms).where(s.alarms.c.type == kind)
                                               .order_by(s.alarms.c.id)).mappings()]


@pytest.fixture
def world(db_url, tmp_path) -> World:
    return World(db_url, tmp_path)


def test_a_stage_below_the_grade_during_an_alert_is_found_once_and_alarmed_once(world):
    pollution_alerts.issue(world.engine, region_code="140000", level="orange", starts_at=NOW - timedelta(hours=5),
                           ends_at=NOW + timedelta(hours=5), issued_by="山西省", actor="test")
    world.passage(NOW - timedelta(hours=2), STAGE4, stage="4")        # grade B, orange: 国五 at least
    world.passage(NOW - timedelta(hours=2, minutes=-5), STAGE6, stage="6")
    job = CheckJob(world.engine, _settings())
    first = job.pass_sync(NOW)
    found = world.findings("VEH-ALERT-STAGE")
    assert [(x["plate"], x["severity"]) for x in found] == [(STAGE4, "critical")]
    assert found[0]["evidence"]["lines"] and found[0]["alarm_id"] is not None
    alarm = world.alarms("ALM-VEH-ALERT-STAGE")
    assert len(alarm) == 1 and alarm[0]["enterprise_id"] == world.ent and "晋A12344" in alarm[0]["explanation"]
    assert "国四" in alarm[0]["explanation"]    # said in the deployment's language (zh)
    assert first.enterprises == 1 and first.findings_new >= 1
    # the same pass again: nothing new, nothing raised again
    again = job.pass_sync(NOW)
    assert again.enterprises == 0 and again.findings_new == 0 and again.alarms == []
    assert len(world.findings("VEH-ALERT-STAGE")) == 1
    assert world.alarms("ALM-VEH-ALERT-STAGE")[0]["occurrences"] == 1
    # a forced re-run over the same data (the progress forgotten) doubles nothing
    with world.engine.begin() as c:
        c.execute(gs.gates_check_state.delete())
    job.pass_sync(NOW)
    assert len(world.findings("VEH-ALERT-STAGE")) == 1
    assert world.alarms("ALM-VEH-ALERT-STAGE")[0]["occurrences"] == 1
    # new data: the same plate again in the same alert grows the finding, no second finding
    world.passage(NOW + timedelta(minutes=10), STAGE4, stage="4")
    later = job.pass_sync(NOW + timedelta(minutes=20))
    assert later.enterprises == 1
    found = world.findings("VEH-ALERT-STAGE")
    assert len(found) == 1 and found[0]["params"]["count"] == 2
    assert found[0]["end"].replace(tzinfo=timezone.utc) == NOW + timedelta(minutes=10)


def test_honest_traffic_without_an_alert_finds_nothing(world):
    for k in range(6):
        world.passage(NOW - timedelta(hours=3, minutes=-10 * k), STAGE6, inbound=k % 2 == 0, stage="6")
    report = CheckJob(world.engine, _settings()).pass_sync(NOW)
    assert report.enterprises == 1
    # only the register's own faults (the kit's register has VINs with a wrong check digit), no alarm
    assert {x["code"] for x in world.findings()} == {"VEH-VIN-INVALID"}
    with world.engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(s.alarms)) == 0


def test_a_passage_without_a_ledger_row_is_found_once_settled(world):
    world.passage(NOW - timedelta(hours=2), STAGE6, stage="6")                  # video and ledger both cover
    world.passage(NOW - timedelta(seconds=10), STAGE6, inbound=False, stage="6")  # the period compared
    old = world.passage(NOW - timedelta(hours=1), STAGE5, ledger=False)      # its ledger row was never made
    world.passage(NOW - timedelta(seconds=30), STAGE5, inbound=False, ledger=False)  # the guard may still enter it
    job = CheckJob(world.engine, _settings())
    job.pass_sync(NOW)
    found = world.findings("VEH-PASSAGE-NO-LEDGER")
    assert len(found) == 1 and found[0]["evidence"]["line"] == old
    assert len(world.alarms("ALM-VEH-NO-LEDGER")) == 1
    # once settled, the second is found by the next pass though no new data came
    job.pass_sync(NOW + timedelta(minutes=10))
    assert len(world.findings("VEH-PASSAGE-NO-LEDGER")) == 2
    assert world.alarms("ALM-VEH-NO-LEDGER")[0]["occurrences"] == 2


def test_an_exit_without_an_entry_is_found(world):
    world.passage(NOW - timedelta(hours=200), STAGE6, stage="6")    # long before: the data's start
    world.passage(NOW - timedelta(hours=1), STAGE6, inbound=False, stage="6")
    CheckJob(world.engine, _settings()).pass_sync(NOW)
    assert [x["plate"] for x in world.findings("VEH-EXIT-WITHOUT-ENTRY")] == [STAGE6]
    assert len(world.alarms("ALM-VEH-SIDE-GATE")) == 1


def test_a_silent_camera_is_an_open_finding_with_an_alarm_cleared_when_it_beats_again(world):
    world.beats(NOW - timedelta(hours=3), NOW - timedelta(minutes=40))
    job = CheckJob(world.engine, _settings())
    job.pass_sync(NOW)
    found = world.findings("VEH-CAMERA-OFFLINE")
    assert len(found) == 1 and found[0]["open"] and found[0]["subject"] == "东门"
    alarm = world.alarms("ALM-VEH-CAMERA-OFFLINE")
    assert len(alarm) == 1 and alarm[0]["state"] == "active" and alarm[0]["source_id"] == f"{world.ent}:东门"
    job.pass_sync(NOW + timedelta(minutes=5))       # still silent: the finding grows, no second alarm
    assert len(world.findings("VEH-CAMERA-OFFLINE")) == 1
    assert world.alarms("ALM-VEH-CAMERA-OFFLINE")[0]["occurrences"] == 1
    world.beats(NOW + timedelta(minutes=8), NOW + timedelta(minutes=10))
    job.pass_sync(NOW + timedelta(minutes=10))
    found = world.findings("VEH-CAMERA-OFFLINE")
    assert len(found) == 1 and not found[0]["open"]
    assert found[0]["evidence"]["next_sign_of_life"] is not None
    assert world.alarms("ALM-VEH-CAMERA-OFFLINE")[0]["state"] == "cleared"


def test_a_beating_camera_or_a_gate_without_heartbeats_is_not_offline(world):
    world.beats(NOW - timedelta(hours=3), NOW)
    CheckJob(world.engine, _settings()).pass_sync(NOW)
    assert world.findings("VEH-CAMERA-OFFLINE") == []
    # the side gate G2 never beats: silence there is no evidence


def _jpeg(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_turned_camera_is_found_from_its_snapshots_and_cleared_when_turned_back(world):
    scene = gate_scene(3)
    view = camera_view(scene)
    set_reference(world.engine, world.pictures, world.camera, _jpeg(view), "admin")
    rng = np.random.default_rng(1)
    record_snapshot(world.engine, world.pictures, world.camera, NOW - timedelta(hours=2), _jpeg(view + 3))
    record_snapshot(world.engine, world.pictures, world.camera, NOW - timedelta(hours=1),
                    _jpeg(camera_view(scene, dx=40)))
    record_snapshot(world.engine, world.pictures, world.camera, NOW - timedelta(minutes=30), _jpeg(cover(view, rng)))
    job = CheckJob(world.engine, _settings(), pictures=world.pictures)
    report = job.pass_sync(NOW)
    assert report.snapshots_compared == 3
    found = world.findings("VEH-CAMERA-VIEW")
    assert len(found) == 1 and found[0]["open"] and found[0]["evidence"]["snapshots"] == 2
    assert found[0]["subject"] == "东门 (CAM1)"
    assert world.alarms("ALM-VEH-CAMERA-VIEW")[0]["state"] == "active"
    assert job.pass_sync(NOW).snapshots_compared == 0      # compared once
    record_snapshot(world.engine, world.pictures, world.camera, NOW + timedelta(minutes=5), _jpeg(view))
    job.pass_sync(NOW + timedelta(minutes=6))
    found = world.findings("VEH-CAMERA-VIEW")
    assert len(found) == 1 and not found[0]["open"] and found[0]["evidence"]["back_to_reference"]
    assert world.alarms("ALM-VEH-CAMERA-VIEW")[0]["state"] == "cleared"


def test_snapshots_of_the_reference_view_find_nothing(world):
    view = camera_view(gate_scene(4))
    set_reference(world.engine, world.pictures, world.camera, _jpeg(view), "admin")
    for k in range(3):
        record_snapshot(world.engine, world.pictures, world.camera, NOW - timedelta(hours=k), _jpeg(view * 0.5))
    assert not record_snapshot(world.engine, world.pictures, world.camera, NOW, _jpeg(view * 0.5))  # replay
    CheckJob(world.engine, _settings(), pictures=world.pictures).pass_sync(NOW)
    assert world.findings("VEH-CAMERA-VIEW") == []


@pytest.mark.parametrize("locale, words", [("vi", ("Camera", "东门", "phút")), ("en", ("camera of gate 东门", "minutes"))])
def test_the_alarms_are_said_in_the_deployments_language(world, locale, words):
    world.beats(NOW - timedelta(hours=3), NOW - timedelta(minutes=40))
    CheckJob(world.engine, _settings(), locale=locale).pass_sync(NOW)
    [alarm] = world.alarms("ALM-VEH-CAMERA-OFFLINE")
    for word in words:
        assert word in alarm["explanation"] or word in alarm["title"], (word, alarm["explanation"], alarm["title"])


async def test_the_watch_checks_new_passages_at_once_and_leaves_the_cameras_to_the_full_pass(world):
    """Between two full passes the job looks for new passages (``job.watch_seconds``): a 国四 truck's alarm is raised
    by the look that follows it; the look checks only the enterprises with new rows and no camera (a passage is a
    sign of life, yet the camera's open silence waits for the full pass to be closed)."""
    pollution_alerts.issue(world.engine, region_code="140000", level="orange", starts_at=NOW - timedelta(hours=5),
                           ends_at=NOW + timedelta(hours=5), issued_by="山西省", actor="test")
    world.beats(NOW - timedelta(hours=3), NOW - timedelta(minutes=40))
    job = CheckJob(world.engine, _settings())
    first = await job.watch_once(NOW)          # no pass yet: the first look is a full pass
    assert first.enterprises == 0 and len(world.findings("VEH-CAMERA-OFFLINE")) == 1
    assert world.findings("VEH-CAMERA-OFFLINE")[0]["open"]
    nothing = await job.watch_once(NOW + timedelta(seconds=2))
    assert nothing.counts() == {"enterprises": 0, "findings_new": 0, "findings_updated": 0,
                                "snapshots_compared": 0, "alarms": 0}
    world.passage(NOW + timedelta(seconds=3), STAGE4, stage="4")
    seen = await job.watch_once(NOW + timedelta(seconds=4))
    assert seen.enterprises == 1 and seen.snapshots_compared == 0
    [alarm] = world.alarms("ALM-VEH-ALERT-STAGE")
    assert alarm["state"] == "active" and alarm["evidence"]["plate"] == STAGE4
    [offline] = world.findings("VEH-CAMERA-OFFLINE")
    assert offline["open"] and world.alarms("ALM-VEH-CAMERA-OFFLINE")[0]["state"] == "active"
    # the next look finds nothing new; the full pass then reads the cameras and closes the silence
    assert (await job.watch_once(NOW + timedelta(seconds=6))).alarms == []
    await job.pass_once(NOW + timedelta(seconds=8))
    assert not world.findings("VEH-CAMERA-OFFLINE")[0]["open"]
    assert world.alarms("ALM-VEH-CAMERA-OFFLINE")[0]["state"] == "cleared"
    assert len(world.alarms("ALM-VEH-ALERT-STAGE")) == 1


def test_a_pass_reads_only_the_new_rows_and_sees_the_guards_completed_stage(world):
    """The job keeps each enterprise's window in memory: the next pass reads the new rows only (and the ledger rows
    still waiting for the guard's stage), and what it checks is what a whole read gives."""
    from ecosentry.subsystems.gates.rules.decision import GradeRules
    from ecosentry.subsystems.gates.store import findings as fs
    from ecosentry.subsystems.gates.store.decisions import complete_stage

    for k in range(6):
        world.passage(NOW - timedelta(hours=3, minutes=-10 * k), STAGE6, inbound=k % 2 == 0, stage="6")
    job = CheckJob(world.engine, _settings())
    job.pass_sync(NOW)
    assert job.rows.last_read == (6, 6)
    pid = world.passage(NOW + timedelta(minutes=1), "晋A99999")          # not registered: the guard must complete it
    with world.engine.begin() as c:
        row = c.scalar(select(gs.gates_ledger.c.id).where(gs.gates_ledger.c.passage_id == pid))
        c.execute(gs.gates_ledger.update().where(gs.gates_ledger.c.id == row).values(stage_unknown=True))
    job.pass_sync(NOW + timedelta(minutes=2))
    assert job.rows.last_read == (1, 1)      # the new passage and its ledger row only
    complete_stage(world.engine, row, stage="5", fuel=None, operator="guard", rules=GradeRules())
    world.passage(NOW + timedelta(minutes=20), STAGE5, stage="5")
    job.pass_sync(NOW + timedelta(minutes=30))
    # the new passage and row; those of the last 10 minutes before the last read (a late commit), among them the
    # row still unknown at the last read (read again anyway, once)
    assert job.rows.last_read == (2, 2)
    later = NOW + timedelta(minutes=30)
    start = datetime(2026, 11, 30, 16, tzinfo=timezone.utc)
    with world.engine.connect() as c:
        info = fs.enterprise_info(c, world.ent)
        cached = job.rows.dataset(c, info, start, later, later)
        whole = fs.load_dataset(c, info, start, later, later)
    assert list(cached.passages.line) == list(whole.passages.line) and len(whole.passages) == 8
    assert list(cached.ledger.line) == list(whole.ledger.line)
    assert list(cached.ledger.stage) == list(whole.ledger.stage) and "5" == cached.ledger.stage[-2]
    assert list(cached.passages.t) == list(whole.passages.t)
    # a row waiting for the guard long past the tail: read again at each pass until completed
    pid = world.passage(NOW + timedelta(minutes=31), "晋A99998")
    with world.engine.begin() as c:
        row = c.scalar(select(gs.gates_ledger.c.id).where(gs.gates_ledger.c.passage_id == pid))
        c.execute(gs.gates_ledger.update().where(gs.gates_ledger.c.id == row).values(stage_unknown=True))
    job.pass_sync(NOW + timedelta(minutes=40))
    world.passage(NOW + timedelta(minutes=55), STAGE6, stage="6")
    job.pass_sync(NOW + timedelta(minutes=60))
    complete_stage(world.engine, row, stage="4", fuel=None, operator="guard", rules=GradeRules())
    world.passage(NOW + timedelta(minutes=75), STAGE6, stage="6")
    job.pass_sync(NOW + timedelta(minutes=80))
    assert job.rows.last_read == (2, 3)       # the new one, the one of the tail, and the row that was waiting
    later = NOW + timedelta(minutes=80)
    with world.engine.connect() as c:
        cached = job.rows.dataset(c, info, start, later, later)
        whole = fs.load_dataset(c, info, start, later, later)
    assert list(cached.ledger.line) == list(whole.ledger.line)
    assert list(cached.ledger.stage) == list(whole.ledger.stage)
    assert cached.ledger.stage[list(cached.ledger.line).index(row)] == "4"


# ------------------------------------------------------------------------------------------- a ledger's day
def _traffic(world: World, day_start: datetime, n: int, *, cargo: str | None = None, weight: float | None = None,
             stage: str = "6", plate: str = STAGE6) -> None:
    """``n`` passages a minute apart (in and out in turn) with their camera ledger rows, in one transaction: the
    rows as the push makes them (no cargo, no volume) unless given."""
    p = gs.gates_passages.c
    with world.engine.begin() as c:
        rows = []
        for k in range(n):
            world.seq += 1
            at = day_start + timedelta(minutes=k)
            rows.append({"spool": "t", "spool_seq": world.seq, "enterprise_id": world.ent, "gate_id": world.gate,
                         "device_id": world.device, "at": at, "received_at": at, "inbound": k % 2 == 0,
                         "plate": plate, "confidence": 0.99})
        c.execute(insert(gs.gates_passages), rows)
        stored = c.execute(select(p.id, p.at, p.inbound).where(p.enterprise_id == world.ent,
                                                               p.at >= day_start, p.at < day_start + timedelta(minutes=n))
                           .order_by(p.id)).all()
        c.execute(insert(gs.gates_ledger), [{
            "enterprise_id": world.ent, "source": "camera", "passage_id": r.id, "at": r.at, "inbound": r.inbound,
            "plate": plate, "vin": "1M8GDM9AXKP042788", "emission_stage": stage, "cargo": cargo, "weight_t": weight,
            "entered_at": r.at} for r in stored])


def test_a_day_of_incomplete_ledger_rows_is_one_finding_per_enterprise_day_updated_on_new_rows(world):
    """The flood: 300 camera rows a day without cargo and volume (the push carries neither), two days → two
    findings (not 600), no alarm; a pass again adds nothing; new rows of the day update its counts."""
    day1 = datetime(2026, 12, 4, 0, 30, tzinfo=timezone.utc)          # 08:30 in 临汾, 4 December
    day2 = day1 + timedelta(days=1)
    _traffic(world, day1, 300)
    _traffic(world, day2, 200)
    job = CheckJob(world.engine, _settings())
    first = job.pass_sync(day2 + timedelta(hours=6))
    found = world.findings("VEH-LEDGER-INCOMPLETE")
    assert [(x["subject"], x["params"]["count"], x["params"]["rows"]) for x in found] == [
        ("2026-12-04", 300, 300), ("2026-12-05", 200, 200)]
    assert first.findings_new == 2 + len([x for x in world.findings() if x["code"] != "VEH-LEDGER-INCOMPLETE"])
    assert not first.alarms
    ev = found[0]["evidence"]
    assert ev["fields"] == {"cargo": 300, "weight_t": 300} and ev["count"] == 300 and ev["rows"] == 300
    assert ev["first"] == "2026-12-04T08:30:00+08:00" and ev["last"] == "2026-12-04T13:29:00+08:00"
    assert len(ev["examples"]) == 5 and len(ev["lines"]) == 20 and all(x["plate"] == STAGE6 for x in ev["examples"])
    assert found[0]["open"] and found[0]["plate"] == ""
    assert found[0]["start"].replace(tzinfo=timezone.utc) == day1
    assert world.alarms("ALM-VEH-NO-LEDGER") == []
    # again, and again with the progress forgotten: the same two findings, nothing new
    assert job.pass_sync(day2 + timedelta(hours=7)).findings_new == 0
    with world.engine.begin() as c:
        c.execute(gs.gates_check_state.delete())
    job.rows.clear()
    again = job.pass_sync(day2 + timedelta(hours=7))
    assert again.findings_new == 0 and again.findings_updated >= 2
    assert len(world.findings("VEH-LEDGER-INCOMPLETE")) == 2
    # ten more rows on the second day (the watch's look, as the service runs it): the day's counts grow
    _traffic(world, day2 + timedelta(hours=8), 10, cargo="煤")         # cargo given, no volume
    later = job.pass_sync(day2 + timedelta(hours=9))
    assert later.findings_new == 0
    found = world.findings("VEH-LEDGER-INCOMPLETE")
    assert len(found) == 2
    assert found[1]["evidence"]["fields"] == {"cargo": 200, "weight_t": 210}
    assert (found[1]["params"]["count"], found[1]["params"]["rows"]) == (210, 210)
    assert found[0]["params"]["count"] == 300                            # the first day left as it was


def test_a_ledger_copied_wrong_and_a_day_without_video_are_one_finding_each(world):
    """A stage written wrong on every row of a vehicle, and ledger rows the camera never saw: one finding per day
    and code, each with its vehicles or examples."""
    day = datetime(2026, 12, 4, 0, 30, tzinfo=timezone.utc)
    _traffic(world, day, 120, cargo="煤", weight=30.0, stage="6", plate=STAGE4)    # 国四 written as 国六
    _traffic(world, day + timedelta(hours=3), 20, cargo="煤", weight=30.0)
    with world.engine.begin() as c:                       # 80 rows between the two without any passage
        c.execute(insert(gs.gates_ledger), [{
            "enterprise_id": world.ent, "source": "csv", "at": day + timedelta(hours=2, minutes=35, seconds=30 * k),
            "inbound": True,
            "plate": STAGE5, "vin": "1M8GDM9AXKP042788", "emission_stage": "5", "cargo": "煤", "weight_t": 30.0,
            "entered_at": day, "source_key": f"k{k}"} for k in range(80)])
    CheckJob(world.engine, _settings()).pass_sync(day + timedelta(days=1))
    [m] = world.findings("VEH-LEDGER-STAGE-MISMATCH")
    assert m["evidence"]["by_vehicle"] == [{"plate": STAGE4, "ledger_stage": "6", "register_stage": "4",
                                            "rows": 120}]
    assert (m["params"]["count"], m["params"]["rows"], m["params"]["vehicles"]) == (120, 220, 1)
    [n] = world.findings("VEH-LEDGER-NO-PASSAGE")
    assert (n["params"]["count"], n["evidence"]["directions"]) == (80, {"in": 80, "out": 0})
    assert not world.findings("VEH-LEDGER-INCOMPLETE") and not world.findings("VEH-PASSAGE-NO-LEDGER")


def _ledger_csv(path, day: datetime, n: int, *, cargo: str) -> None:
    from gates_dbkit import CREDIT

    lines = ["enterprise,time,direction,plate,vin,emission_stage,fuel,cargo,weight_t"]
    for k in range(n):
        at = (day + timedelta(minutes=k)).isoformat()
        lines.append(f"{CREDIT},{at},{'in' if k % 2 == 0 else 'out'},{STAGE5},1M8GDM9AXKP042788,5,diesel,{cargo},"
                     f"{'' if not cargo else 30}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_day_the_enterprise_corrects_by_uploading_its_ledger_again_shrinks_then_closes(world, tmp_path):
    """The enterprise's ledger CSV of a day without cargo and volume: one finding; the file uploaded again with half
    the rows completed → the day's counts shrink at the next pass; all completed → the finding is closed (kept,
    no longer open); every correction audited."""
    from ecosentry.store import audit
    from ecosentry.subsystems.gates.store.ledger import import_ledger_csv

    day = datetime(2026, 12, 4, 0, 30, tzinfo=timezone.utc)
    _ledger_csv(tmp_path / "L.csv", day, 40, cargo="")
    assert import_ledger_csv(world.engine, tmp_path / "L.csv", actor="enterprise") == (40, 40, 0)
    job = CheckJob(world.engine, _settings())
    job.pass_sync(day + timedelta(days=1))
    [f] = world.findings("VEH-LEDGER-INCOMPLETE")
    assert f["open"] and f["evidence"]["fields"] == {"cargo": 40, "weight_t": 40}
    # half of the day completed: the first 20 rows
    _ledger_csv(tmp_path / "L2.csv", day, 20, cargo="煤")
    assert import_ledger_csv(world.engine, tmp_path / "L2.csv", actor="enterprise") == (20, 0, 20)
    job.pass_sync(day + timedelta(days=1, minutes=5))
    [f] = world.findings("VEH-LEDGER-INCOMPLETE")
    assert f["open"] and (f["params"]["count"], f["params"]["rows"]) == (20, 40)
    assert f["start"].replace(tzinfo=timezone.utc) == day + timedelta(minutes=20)   # the first row still wanting
    # the whole day completed: closed, not deleted; the same file again changes nothing
    _ledger_csv(tmp_path / "L3.csv", day, 40, cargo="煤")
    assert import_ledger_csv(world.engine, tmp_path / "L3.csv", actor="enterprise") == (40, 0, 20)
    assert import_ledger_csv(world.engine, tmp_path / "L3.csv", actor="enterprise") == (40, 0, 0)
    report = job.pass_sync(day + timedelta(days=1, minutes=10))
    [f] = world.findings("VEH-LEDGER-INCOMPLETE")
    assert not f["open"] and f["params"]["count"] == 20 and report.findings_new == 0
    corrections = audit.list_audit(world.engine, entity="gate_ledger", limit=100)
    assert len([a for a in corrections if a["action"] == "correct"]) == 40
    assert corrections[0]["before"] == {"cargo": None, "weight_t": None}
    assert corrections[0]["after"] == {"cargo": "煤", "weight_t": 30.0}
    # a new bad row on that day opens it again
    with world.engine.begin() as c:
        c.execute(insert(gs.gates_ledger).values(
            enterprise_id=world.ent, source="manual", at=day + timedelta(hours=2), inbound=True, plate=STAGE5,
            vin="1M8GDM9AXKP042788", emission_stage="5", entered_at=day, source_key="late"))
    job.pass_sync(day + timedelta(days=1, minutes=15))
    [f] = world.findings("VEH-LEDGER-INCOMPLETE")
    assert f["open"] and (f["params"]["count"], f["params"]["rows"]) == (1, 41)


@pytest.mark.parametrize("lang, words", [
    ("zh", ("2026-12-04 的台账：300 条记录中 300 条不完整", "缺货物名称 300 条", "缺运输量（吨） 300 条", "08:30 至 13:29")),
    ("vi", ("Sổ theo dõi ngày 2026-12-04: 300 trên 300 dòng chưa đầy đủ", "thiếu hàng hóa ở 300 dòng",
            "thiếu khối lượng vận chuyển (tấn) ở 300 dòng"))])
def test_a_days_finding_is_said_with_its_counts_and_the_fields_in_the_readers_words(world, lang, words):
    from ecosentry.locale import translations
    from ecosentry.subsystems.gates.web.words import finding_sentence

    _traffic(world, datetime(2026, 12, 4, 0, 30, tzinfo=timezone.utc), 300)
    CheckJob(world.engine, _settings()).pass_sync(datetime(2026, 12, 5, tzinfo=timezone.utc))
    [f] = world.findings("VEH-LEDGER-INCOMPLETE")
    said = finding_sentence(translations(lang).gettext, f)
    for w in words:
        assert w in said, said
    assert not any(code in said for code in ("cargo", "weight_t", "missing"))
