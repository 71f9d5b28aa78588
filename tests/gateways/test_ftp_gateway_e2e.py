"""The FTP path end to end: a real pyftpdlib server, real ftplib clients, the spool, the ingest worker with the
``vn-file`` sink and the database (SQLite and PostgreSQL). Circular 10/2021 Art. 39 file transmission;
subsystems.md §7 req. 31–34. The ``226`` says the file is stored (in the spool); what became of it is in the
receipt the sink writes once it has judged the file."""

from __future__ import annotations

import asyncio
import ftplib
import io
import json
from datetime import timedelta

import pytest

from ecosentry.gateways.ftp import FtpGateway
from ecosentry.gateways.ftp_settings import FtpSettings
from ecosentry.metrics import counters
from ecosentry.store import schema as s
from ecosentry.subsystems.monitoring import schema as ms

from vn_testkit import (GAS, GAS_PW, PW, WATER, count, drained, file_bytes, file_name, intake_stack, judged,
                        local, log_rows, now_minute, point_id, setup_db)


def _upload(port: int, user: str, password: str, name: str, data: bytes, *, path: str | None = None) -> str:
    """Log in, upload one file (binary), return the server's answer to STOR."""
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(user, password)
        if path:
            ftp.cwd(path)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def _upload_and_rename(port: int, name: str, data: bytes) -> None:
    """STOR as ``<name>.part``, then RNFR/RNTO to the final name."""
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(WATER, PW)
        ftp.storbinary(f"STOR {name}.part", io.BytesIO(data))
        ftp.rename(f"{name}.part", name)


def _download_receipt(port: int, name: str) -> bytes:
    """What a station does to learn what became of its file."""
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(WATER, PW)
        buf = io.BytesIO()
        ftp.retrbinary(f"RETR processed/{name}.receipt.json", buf.write)
        return buf.getvalue()


def _login(port: int, user: str, password: str) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", port, timeout=10)
        ftp.login(user, password)


def _receipt(root, station: str, folder: str, name: str) -> dict:
    return json.loads((root / station / folder / f"{name}.receipt.json").read_text(encoding="utf-8"))


def test_ftp_uploads_end_to_end(db_url, tmp_path):
    asyncio.run(_scenario(db_url, tmp_path))


async def _scenario(db_url, tmp_path) -> None:
    engine = setup_db(db_url)
    wid = point_id(engine, WATER)
    root = tmp_path / "ftp"
    async with intake_stack(engine, tmp_path) as (appender, directory, spool, worker):
        gw = FtpGateway(appender, directory, root, FtpSettings(auth_failed_delay=0.01, registry_refresh_s=3600))
        gw.start("127.0.0.1", 0)
        try:
            async def up(*a, **k):
                """Upload; the answer to STOR and, once the sink has judged the file, its outcome."""
                answer = await asyncio.to_thread(_upload, gw.port, *a, **k)
                assert answer.startswith("226") and "stored" in answer, answer
                return await judged(worker, spool)

            now = now_minute()

            # 1. a valid file, on time: accepted; readings land in observations with N/C/D flags
            t1 = local(now)
            n1 = file_name(WATER, t1)
            got = await up(WATER, PW, n1, file_bytes(t1))
            assert (got.file_name, got.status, got.n_readings, got.late) == (n1, "accepted", 6, False)
            with engine.connect() as c:
                obs = {r.factor_code: r for r in c.execute(s.observations.select().where(
                    s.observations.c.point_id == wid))}
            assert set(obs) == {"w01018", "w01012", "w01001", "w01010", "w00000", "w21003"}
            assert obs["w01018"].value == pytest.approx(45.2) and obs["w01018"].flag == "N"
            assert obs["w01018"].eflag == "00" and obs["w01018"].kind == "min"
            assert obs["w01018"].period_start == now  # station local time → UTC
            assert obs["w01010"].flag == "C" and obs["w21003"].flag == "D"  # 01 calibrating, 02 device error
            assert obs["w00000"].value == pytest.approx(10.0)  # 36 m3/h → 10 L/s
            rec = _receipt(root, WATER, "processed", n1)
            assert rec["accepted"] is True and rec["status"] == "accepted" and rec["late"] is False
            assert rec["delay_s"] is not None and 0 <= rec["delay_s"] < 300 and rec["n_readings"] == 6
            assert (root / WATER / "processed" / n1).read_bytes() == file_bytes(t1)  # the bytes as received
            assert not (root / WATER / n1).exists()

            # 2. late (20 min) and 3. back-filled (3 days): accepted and marked
            t2 = local(now - timedelta(minutes=20))
            got = await up(WATER, PW, file_name(WATER, t2), file_bytes(t2))
            assert got.status == "accepted" and got.late and not got.backfill
            t3 = local(now - timedelta(days=3))
            got = await up(WATER, PW, file_name(WATER, t3), file_bytes(t3))
            assert got.status == "accepted" and got.backfill

            # 4. older than 60 days, 5. from the future: rejected, with the reason in the receipt
            t4 = local(now - timedelta(days=61))
            n4 = file_name(WATER, t4)
            assert (await up(WATER, PW, n4, file_bytes(t4))).reason == "too_old"
            assert _receipt(root, WATER, "rejected", n4)["reason"] == "too_old"
            t5 = local(now + timedelta(minutes=30))
            got = await up(WATER, PW, file_name(WATER, t5), file_bytes(t5))
            assert (got.status, got.reason) == ("rejected", "future")

            # 6. the same file again: a duplicate, no second data; 7. same name, other content: conflict
            assert (await up(WATER, PW, n1, file_bytes(t1))).status == "duplicate"
            dup = _receipt(root, WATER, "processed", n1.replace(".txt", "~1.txt"))  # never over the first
            assert dup["status"] == "duplicate" and dup["file"] == n1
            other = file_bytes(t1).replace(b"45.20", b"12.00")
            got = await up(WATER, PW, n1, other)
            assert (got.status, got.reason) == ("rejected", "conflict")

            # 8. malformed (spaces instead of tabs): rejected with the line
            t8 = local(now - timedelta(minutes=5))
            n8 = file_name(WATER, t8)
            assert (await up(WATER, PW, n8, file_bytes(t8, sep="  "))).reason == "bad_line"
            bad = _receipt(root, WATER, "rejected", n8)
            assert bad["accepted"] is False and bad["line"] == 1 and "TAB" in bad["message"]

            # 9. wrong password, unknown station: refused at login, counted
            before = counters.get("ftp.login_failed.bad_password"), counters.get("ftp.login_failed.unknown_station")
            with pytest.raises(ftplib.error_perm, match="530"):
                await asyncio.to_thread(_login, gw.port, WATER, "wrong")
            with pytest.raises(ftplib.error_perm, match="530"):
                await asyncio.to_thread(_login, gw.port, "HN_NOPE_NUONOPE", PW)
            assert counters.get("ftp.login_failed.bad_password") == before[0] + 1
            assert counters.get("ftp.login_failed.unknown_station") == before[1] + 1

            # 10. a station uploading another station's file: quarantined, never data
            t10 = local(now - timedelta(minutes=10))
            n10 = file_name(WATER, t10)
            got = await up(GAS, GAS_PW, n10, file_bytes(t10))
            assert (got.status, got.reason) == ("quarantined", "station_mismatch")
            assert _receipt(root, GAS, "rejected", n10)["reason"] == "station_mismatch"

            # 11. a station cannot write into processed/ (nor overwrite a receipt)
            with pytest.raises(ftplib.error_perm, match="550"):
                await asyncio.to_thread(_upload, gw.port, WATER, PW, n1, b"x", path="processed")

            # 12. an unknown parameter is kept in the file log and counted, not invented
            t12 = local(now - timedelta(minutes=15))
            n12 = file_name(WATER, t12)
            unmapped_before = counters.get("vn.lines.unmapped.unknown_parameter")
            got = await up(WATER, PW, n12, file_bytes(t12, [("COD", "40", "mg/L", "00"),
                                                            ("Flow in", "50", "m3/h", "00")]))
            assert got.status == "accepted" and got.n_readings == 1 and len(got.unmapped) == 1
            assert counters.get("vn.lines.unmapped.unknown_parameter") == unmapped_before + 1

            # 13. upload under a temporary name, then rename: spooled after the rename; receipts readable
            t13 = local(now - timedelta(minutes=25))
            n13 = file_name(WATER, t13)
            await asyncio.to_thread(_upload_and_rename, gw.port, n13, file_bytes(t13))
            assert (await judged(worker, spool)).file_name == n13
            got = await asyncio.to_thread(_download_receipt, gw.port, n13)
            assert json.loads(got)["status"] == "accepted"

            await drained(worker, spool)
        finally:
            gw.stop()

    # the file log: one row per upload, with timeliness
    rows = {(r["file_name"], r["status"]): r for r in log_rows(engine, WATER)}
    assert rows[(n1, "accepted")]["late"] is False and rows[(n1, "accepted")]["n_readings"] == 6
    assert rows[(file_name(WATER, t2), "accepted")]["late"] is True
    assert rows[(file_name(WATER, t2), "accepted")]["backfill"] is False
    assert rows[(file_name(WATER, t3), "accepted")]["backfill"] is True
    assert rows[(n4, "rejected")]["reason"] == "too_old"
    assert rows[(n1, "duplicate")]["sha256"] == rows[(n1, "accepted")]["sha256"]
    assert rows[(n1, "rejected")]["reason"] == "conflict"
    assert rows[(n8, "rejected")]["reason"] == "bad_line" and rows[(n8, "rejected")]["line"] == 1
    assert rows[(n12, "accepted")]["unmapped"] == [{"line": 2, "parameter": "Flow in", "unit": "m3/h",
                                                     "reason": "unknown_parameter", "value": 50.0}]
    # counted for the mapping page: one line of that name and unit at that station
    with engine.connect() as c:
        assert c.execute(ms.vn_unmapped.select().where(ms.vn_unmapped.c.point_id == wid)).mappings().one()[
            "n_lines"] == 1
    assert log_rows(engine, WATER)[0]["spool_seq"] is not None
    # no second data from the duplicate or the conflict: COD at t1 is still the first value
    with engine.connect() as c:
        cod = c.execute(s.observations.select().where(s.observations.c.point_id == wid,
                                                      s.observations.c.factor_code == "w01018",
                                                      s.observations.c.period_start == now)).all()
    assert len(cod) == 1 and cod[0].value == pytest.approx(45.2)
    # nothing received is lost: every file is in raw_frames (accepted, rejected or quarantined)
    assert count(engine, s.raw_frames, s.raw_frames.c.transport == "ftp") == 11
    assert count(engine, s.raw_frames, s.raw_frames.c.transport == "ftp",
                 s.raw_frames.c.status == "accepted") == 5
    assert count(engine, s.quarantine, s.quarantine.c.reason == "station_mismatch") == 1
    engine.dispose()
