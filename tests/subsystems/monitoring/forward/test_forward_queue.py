"""The forwarding queue: migration = schema, targets, idempotency keys, selection, attempts and back-off,
re-encoding for the relay, and the ``ecosentry forward`` commands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from typer.testing import CliRunner

from ecosentry.subsystems.monitoring.cli.forward import app as forward_app
from ecosentry.subsystems.monitoring.forward.hj212_relay import RelayEncodeError, reencode
from ecosentry.subsystems.monitoring.forward.queue import (
    Attempt,
    ForwardError,
    Target,
    add_target,
    backlog,
    backoff_delay,
    enqueue_for_targets,
    feed_from_raw_frames,
    hj212_key,
    pending_items,
    record_attempts,
    retry_failed,
    vn_file_name,
)
from ecosentry.contracts.envelope import Envelope
from ecosentry.protocols.hj212 import build_frame, parse_frame
from ecosentry.service import prepare_database
from ecosentry.settings import get_settings
from ecosentry.store.schema import installed_metadata
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms
from ecosentry.subsystems.monitoring.store.ingest import write_envelopes
from ecosentry.fleet import import_fleet
from forward_testkit import (
    LOCAL_MN,
    LOCAL_PW,
    UPPER_MN,
    UPPER_PW,
    VN_FLEET,
    VN_OTHER_PROVINCE,
    VN_STATION,
    VN_STATION_2,
    cn_fleet,
    minute_frame,
    vn_file,
)

T0 = datetime(2026, 11, 20, 8, 0, 0)
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
FORWARD_TABLES = {"forward_targets", "forward_queue", "forward_deliveries"}


@pytest.fixture
def engine(db_url):
    e = prepare_database(db_url)
    import_fleet(e, VN_FLEET)
    import_fleet(e, cn_fleet(LOCAL_MN, LOCAL_PW, "91320500MAFWDLOW01"))
    yield e
    e.dispose()


def _points(engine) -> dict[str, int]:
    with engine.connect() as c:
        return dict(c.execute(select(s.points.c.mn, s.points.c.id)).all())


def test_migration_matches_forward_tables(engine):
    with engine.connect() as c:
        diffs = compare_metadata(MigrationContext.configure(c), installed_metadata())

    def tables(d) -> set[str]:
        out = set()
        for item in (d if isinstance(d, list) else [d]):
            for part in item[1:]:
                name = part.table.name if hasattr(part, "table") else getattr(part, "name", None)
                if isinstance(part, str):
                    name = part
                if name:
                    out.add(name)
        return out

    assert [d for d in diffs if tables(d) & FORWARD_TABLES] == []


# ---------------------------------------------------------------------------------------------------- keys

def test_vn_file_name_from_detail_json_text_qn_or_content():
    name, data = vn_file(VN_STATION, T0, {"COD": (40.0, "mg/L", "00")})
    assert vn_file_name({"detail": json.dumps({"file": "/drop/HN/" + name})}) == name
    assert vn_file_name({"detail": f"received {name}; 7 min late"}) == name
    assert vn_file_name({"qn": name}) == name
    assert vn_file_name({"mn": VN_STATION, "raw": data}) == name  # rebuilt from station key + line time
    assert vn_file_name({"mn": VN_STATION, "raw": b"garbage"}) is None


def test_hj212_key_names_content_not_copy():
    a = minute_frame(LOCAL_MN, T0, {"a21026": 1.0})
    b = minute_frame(LOCAL_MN, T0, {"a21026": 1.0}, flag=4)  # a re-send: other Flag, same data
    assert hj212_key(a) == hj212_key(b) == f"{LOCAL_MN}|2051|20261120080000"
    assert hj212_key(minute_frame(LOCAL_MN, T0 + timedelta(minutes=1), {"a21026": 1.0})) != hj212_key(a)
    sub = build_frame(qn="20261120080000000", st="31", cn="2051", pw="p", mn=LOCAL_MN, flag=7, pnum=2, pno=2,
                      cp=[{"DataTime": "20261120080000"}])
    assert hj212_key(sub).endswith("|2")
    assert hj212_key(b"##00garbage").startswith("sha256:")


# ---------------------------------------------------------------------------------------------------- targets

def test_add_target_rejects_bad_definitions(engine):
    with pytest.raises(ForwardError, match="kind"):
        add_target(engine, name="x", kind="sftp", host="h", port=21)
    with pytest.raises(ForwardError, match="unknown point"):
        add_target(engine, name="x", kind="hj212", host="h", port=9212, point_mns=["NOPE"])
    with pytest.raises(ForwardError, match="region"):
        add_target(engine, name="x", kind="vn-ftp", host="h", port=21, region_code="VN-XX")
    with pytest.raises(ForwardError, match="MN map"):
        add_target(engine, name="x", kind="hj212", host="h", port=9212, mn_map={LOCAL_MN: {"mn": "A;B"}})
    with pytest.raises(ForwardError, match="ack mode"):
        add_target(engine, name="x", kind="hj212", host="h", port=9212, ack_mode="sometimes")
    add_target(engine, name="x", kind="hj212", host="h", port=9212, mn_map={LOCAL_MN: UPPER_MN})
    with pytest.raises(ForwardError, match="already exists"):
        add_target(engine, name="x", kind="vn-ftp", host="h", port=21)


def test_enqueue_selects_by_region_transport_status_and_cn_idempotently(engine):
    pts = _points(engine)
    monre = add_target(engine, name="monre", kind="vn-ftp", host="h", port=21, region_code="VN-HN", now=NOW)
    relay = add_target(engine, name="prov", kind="hj212", host="h", port=9212, point_mns=[LOCAL_MN], now=NOW)

    def file_env(station, t, status="accepted"):
        name, data = vn_file(station, t, {"COD": (40.0, "mg/L", "00")})
        return Envelope(transport="ftp", received_at=NOW, raw=data, status=status, mn=station,
                        point_id=pts[station], detail=json.dumps({"file": name}))

    def frame_env(cn="2051", status="accepted", t=T0):
        raw = minute_frame(LOCAL_MN, t, {"a21026": 1.0}) if cn == "2051" else build_frame(
            qn="20261120080000000", st="31", cn=cn, pw=LOCAL_PW, mn=LOCAL_MN, flag=5, cp=[{"DataTime": "20261120080000"}])
        return Envelope(transport="hj212-tcp", received_at=NOW, raw=raw, status=status, mn=LOCAL_MN, cn=cn,
                        point_id=pts[LOCAL_MN])

    envs = [file_env(VN_STATION, T0), file_env(VN_STATION_2, T0), file_env(VN_OTHER_PROVINCE, T0),
            file_env(VN_STATION, T0 + timedelta(minutes=5), status="quarantined"),
            frame_env(), frame_env(cn="3020"), frame_env(status="rejected", t=T0 + timedelta(minutes=1))]
    write_envelopes(engine, "sp", list(enumerate(envs, 1)))
    added = feed_from_raw_frames(engine, now=NOW)
    assert added == {monre.id: 2, relay.id: 1}
    assert [i.name for i in pending_items(engine, monre.id, 10)] == [
        f"{VN_STATION}_20261120080000.txt", f"{VN_STATION_2}_20261120080000.txt"]
    assert [i.idem_key for i in pending_items(engine, relay.id, 10)] == [f"{LOCAL_MN}|2051|20261120080000"]
    # pushing the same rows or Envelopes again, or feeding again, adds nothing
    with engine.connect() as c:
        rows = c.execute(select(s.raw_frames)).mappings().all()
    assert enqueue_for_targets(engine, rows) == 0
    assert enqueue_for_targets(engine, envs) == 0
    assert feed_from_raw_frames(engine, lookback=100) == {monre.id: 0, relay.id: 0}


def test_new_target_starts_at_now_unless_from_start(engine):
    pts = _points(engine)
    env = Envelope(transport="hj212-tcp", received_at=NOW, raw=minute_frame(LOCAL_MN, T0, {"a21026": 1.0}),
                   status="accepted", mn=LOCAL_MN, cn="2051", point_id=pts[LOCAL_MN])
    write_envelopes(engine, "sp", [(1, env)])
    late = add_target(engine, name="late", kind="hj212", host="h", port=9212)
    full = add_target(engine, name="full", kind="hj212", host="h", port=9212, from_start=True)
    assert feed_from_raw_frames(engine) == {late.id: 0, full.id: 1}


# ---------------------------------------------------------------------------------------------------- attempts

def test_backoff_doubles_up_to_the_cap():
    assert [backoff_delay(n, 2.0, 300.0) for n in range(0, 10)] == [0, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_record_attempts_backoff_give_up_and_retry(engine):
    t = add_target(engine, name="monre", kind="vn-ftp", host="h", port=21, from_start=True)
    envs = []
    for i in range(2):
        name, data = vn_file(VN_STATION, T0 + timedelta(minutes=5 * i), {"COD": (40.0, "mg/L", "00")})
        envs.append({"id": None, "transport": "ftp", "status": "accepted", "mn": VN_STATION, "point_id": None,
                     "detail": name, "raw": data})
    assert enqueue_for_targets(engine, envs, now=NOW) == 2
    head, second = pending_items(engine, t.id, 10)
    record_attempts(engine, [Attempt(head, False, "connect: refused")], backoff_base=2, backoff_max=60,
                    max_attempts=2, now=NOW)
    [head1, _] = pending_items(engine, t.id, 10)
    assert head1.attempts == 1 and head1.next_attempt_at == NOW + timedelta(seconds=2)
    record_attempts(engine, [Attempt(head1, False, "connect: refused")], backoff_base=2, backoff_max=60,
                    max_attempts=2, now=NOW)
    assert [i.id for i in pending_items(engine, t.id, 10)] == [second.id]  # given up after 2 attempts
    b = backlog(engine)[0]
    assert (b["pending"], b["failed"], b["last_error"]) == (1, 1, "connect: refused")
    assert retry_failed(engine, "monre") == 1
    record_attempts(engine, [Attempt(i, True, "stored") for i in pending_items(engine, t.id, 10)],
                    backoff_base=2, backoff_max=60, now=NOW)
    b = backlog(engine)[0]
    assert (b["pending"], b["delivered"], b["failed"]) == (0, 2, 0)
    with engine.connect() as c:
        log = c.execute(select(ms.forward_deliveries.c.attempt, ms.forward_deliveries.c.ok)
                        .order_by(ms.forward_deliveries.c.id)).all()
    assert sorted(log) == sorted([(1, False), (2, False), (3, True), (1, True)])


# ---------------------------------------------------------------------------------------------------- re-encoding

def _relay_target(**kw) -> Target:
    base = dict(id=1, name="prov", kind="hj212", host="h", port=1, mn_map={LOCAL_MN: {"mn": UPPER_MN, "pw": UPPER_PW}})
    return Target(**{**base, **kw})


def test_reencode_swaps_mn_pw_keeps_the_rest_and_recomputes_crc():
    raw = minute_frame(LOCAL_MN, T0, {"a21026": 12.5, "a19001": 8.0})
    out, wants, qn = reencode(raw, _relay_target())
    f, g = parse_frame(raw), parse_frame(out)  # parse_frame checks length and CRC (Appendix A)
    assert (g.mn, g.pw) == (UPPER_MN, UPPER_PW) and wants and qn == f.qn
    assert (g.qn, g.st, g.cn, g.flag, g.cp) == (f.qn, f.st, f.cn, f.flag, f.cp)
    # unmapped MN: kept, with the target's default password (None keeps the logger's)
    other = minute_frame("OTHER0000000000000001", T0, {"a21026": 1.0})
    assert parse_frame(reencode(other, _relay_target(password="deflt"))[0]).pw == "deflt"
    assert parse_frame(reencode(other, _relay_target())[0]).pw == LOCAL_PW
    # ack modes
    no_ack = minute_frame(LOCAL_MN, T0, {"a21026": 1.0}, flag=4)
    assert reencode(no_ack, _relay_target())[1] is False
    forced, wants, _ = reencode(no_ack, _relay_target(ack_mode="always"))
    assert wants and parse_frame(forced).flag == 5
    assert reencode(raw, _relay_target(ack_mode="never"))[1] is False
    # pass-through: byte for byte
    assert reencode(raw, _relay_target(pass_through=True))[0] == raw
    with pytest.raises(RelayEncodeError, match="does not parse"):
        reencode(raw[:-6] + b"0000\r\n", _relay_target())


# ---------------------------------------------------------------------------------------------------- CLI

def test_cli_add_list_backlog(engine, db_url, monkeypatch, request):
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", db_url)
    get_settings.cache_clear()  # the CLI reads the settings once per process
    request.addfinalizer(get_settings.cache_clear)
    cli = CliRunner()
    r = cli.invoke(forward_app, ["add", "prov", "--kind", "hj212", "--host", "10.0.0.9", "--point", LOCAL_MN,
                                 "--map", f"{LOCAL_MN}={UPPER_MN}:{UPPER_PW}", "--ack", "always"])
    assert r.exit_code == 0, r.output
    shown = json.loads(r.stdout)
    assert shown["port"] == 9212 and shown["mn_map"] == {LOCAL_MN: {"mn": UPPER_MN}}  # no password printed
    r = cli.invoke(forward_app, ["add", "monre", "--kind", "vn-ftp", "--host", "ftp.monre.gov.vn", "--user", "hn",
                                 "--password", "pw", "--remote-path", "/HN", "--region", "VN-HN"])
    assert r.exit_code == 0, r.output
    r = cli.invoke(forward_app, ["list", "--json"])
    assert [json.loads(line)["name"] for line in r.stdout.splitlines()] == ["prov", "monre"]
    assert UPPER_PW not in r.stdout and "password" not in r.stdout
    r = cli.invoke(forward_app, ["backlog", "--json"])
    assert [json.loads(line)["pending"] for line in r.stdout.splitlines()] == [0, 0]
    r = cli.invoke(forward_app, ["add", "bad", "--kind", "hj212", "--host", "h", "--map", "nonsense"])
    assert r.exit_code == 2 and "LOCAL_MN=UPPER_MN" in r.output
    assert cli.invoke(forward_app, ["pause", "monre"]).exit_code == 0
    assert cli.invoke(forward_app, ["pause", "nope"]).exit_code == 2


@pytest.mark.parametrize("lang, said", [
    ("zh", {"title": "转发目标（1 个）", "cols": ("名称", "类型", "地址", "转发内容", "转发中"), "what": "1 个监测点",
            "paused": "prov：已暂停", "queued": "prov：0 项已重新排队", "no target": "错误：没有名为 'nope' 的转发目标",
            "bad map": "错误：无法添加转发目标：--map 'nonsense'：应为 LOCAL_MN=UPPER_MN 或 LOCAL_MN=UPPER_MN:UPPER_PW",
            "bad kind": "错误：无法添加转发目标：类型必须是 vn-ftp, hj212 之一，不能是 'sftp'",
            "backlog": ("转发积压", "待发送", "最早待发送", "最近错误")}),
    ("vi", {"title": "Đích chuyển dữ liệu (1)", "cols": ("tên", "loại", "địa chỉ", "nội dung chuyển", "đang chuyển"),
            "what": "1 điểm quan trắc", "paused": "prov: tạm dừng", "queued": "prov: 0 mục được xếp hàng lại",
            "no target": "Lỗi: Không có đích chuyển nào tên 'nope'",
            "bad map": "Lỗi: Không thêm được đích chuyển: --map 'nonsense': cần có dạng LOCAL_MN=UPPER_MN hoặc "
                       "LOCAL_MN=UPPER_MN:UPPER_PW",
            "bad kind": "Lỗi: Không thêm được đích chuyển: Loại phải là một trong vn-ftp, hj212, không phải 'sftp'",
            "backlog": ("Hàng đợi chuyển dữ liệu", "chờ gửi", "chờ gửi lâu nhất", "lỗi gần nhất")}),
])
def test_cli_in_the_terminals_language(engine, db_url, monkeypatch, request, lang, said):
    """``ecosentry forward`` says its tables, results and refusals (its own and the queue's ``ForwardError``) in
    the terminal's language; ``--json`` keeps the field names."""
    monkeypatch.setenv("ECOSENTRY_DATABASE_URL", db_url)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANGUAGE", lang)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    cli = CliRunner()
    r = cli.invoke(forward_app, ["add", "prov", "--kind", "hj212", "--host", "10.0.0.9", "--point", LOCAL_MN])
    assert r.exit_code == 0 and json.loads(r.stdout)["kind"] == "hj212", r.output
    listed = cli.invoke(forward_app, ["list"]).stdout
    assert said["title"] in listed and all(c in listed for c in said["cols"]) and said["what"] in listed, listed
    backlog = cli.invoke(forward_app, ["backlog"]).stdout
    assert all(w in backlog for w in said["backlog"]), backlog
    r = cli.invoke(forward_app, ["pause", "prov"])
    assert r.exit_code == 0 and r.stdout.strip() == said["paused"]
    r = cli.invoke(forward_app, ["retry", "prov"])
    assert r.exit_code == 0 and r.stdout.strip() == said["queued"]
    for args, key in ((["pause", "nope"], "no target"), (["add", "bad", "--kind", "hj212", "--host", "h", "--map",
                                                          "nonsense"], "bad map"),
                      (["add", "bad", "--kind", "sftp", "--host", "h"], "bad kind")):
        r = cli.invoke(forward_app, args)
        assert r.exit_code == 2 and r.stderr.strip() == said[key], r.output
